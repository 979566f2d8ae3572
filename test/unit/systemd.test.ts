import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { looksLikeServiceUnit, parseServiceUnit } from "../../server/src/engine/parse/systemd.ts";

const at = (text: string, ref: { start: number; end: number } | undefined) => (ref ? text.slice(ref.start, ref.end) : undefined);

describe("systemd service units", () => {
  test("ExecStart= continued over lines keeps its backslashes for the shell reader, its prefixes dropped", () => {
    const text = "[Unit]\nDescription=x\n\n[Service]\nExecStart=-/srv/venv/bin/gunicorn app:app \\\n    --workers 9 \\\n    --bind 127.0.0.1:8000\nRestart=always\n";
    const unit = parseServiceUnit(text, "app.service");
    assert.equal(unit.execStart?.value, "/srv/venv/bin/gunicorn app:app \\\n    --workers 9 \\\n    --bind 127.0.0.1:8000");
    assert.equal(at(text, unit.execStart), unit.execStart?.value);
  });

  test("an empty ExecStart= clears the earlier one; ExecStart= outside [Service] is not read", () => {
    assert.equal(parseServiceUnit("[Service]\nExecStart=/bin/a\nExecStart=\n", "a.service").execStart, undefined);
    assert.equal(parseServiceUnit("[Unit]\nExecStart=/bin/a\n", "a.service").execStart, undefined);
    assert.equal(parseServiceUnit("[Service]\nExecStart=@/bin/a argv0 b\n", "a.service").execStart, undefined, "`@`: the second word is argv[0]");
  });

  test("Environment= assignments, quoted or not, each value located; EnvironmentFile= paths", () => {
    const text = '[Service]\nEnvironment="DJANGO_SETTINGS_MODULE=proj.settings" "WEB_CONCURRENCY=4"\nEnvironment=DB_POOL=10 RAILS_ENV=production\nEnvironmentFile=-/etc/app/app.env\nExecStart=/bin/true\n';
    const unit = parseServiceUnit(text, "a.service");
    assert.deepEqual(unit.environment.map(([k, f]) => [k, f.value, at(text, f.at)]), [
      ["DJANGO_SETTINGS_MODULE", "proj.settings", "proj.settings"],
      ["WEB_CONCURRENCY", "4", "4"],
      ["DB_POOL", "10", "10"],
      ["RAILS_ENV", "production", "production"],
    ]);
    assert.deepEqual(unit.environmentFiles.map((f) => [f.path, f.optional]), [["/etc/app/app.env", true]]);
  });

  test("CPUQuota= in CPUs; MemoryMax= in MiB over MemoryLimit=, infinity none", () => {
    const unit = parseServiceUnit("[Service]\nExecStart=/bin/true\nMemoryMax=1G\nMemoryLimit=512M\nCPUQuota=150%\n", "a.service");
    assert.equal(unit.cpus?.value, 1.5);
    assert.equal(unit.memoryMiB?.value, 1024);
    assert.equal(parseServiceUnit("[Service]\nMemoryLimit=512M\n", "a.service").memoryMiB?.value, 512);
    assert.equal(parseServiceUnit("[Service]\nMemoryMax=infinity\n", "a.service").memoryMiB, undefined);
    assert.equal(parseServiceUnit("[Service]\nMemoryMax=2147483648\n", "a.service").memoryMiB?.value, 2048);
    assert.equal(parseServiceUnit("[Service]\nCPUQuota=2\n", "a.service").problems.length, 1);
  });

  test("only units with [Service] and ExecStart= are read", () => {
    assert.equal(looksLikeServiceUnit("[Service]\nExecStart=/usr/bin/gunicorn app:app\n"), true);
    assert.equal(looksLikeServiceUnit("[D-BUS Service]\nName=org.example\nExec=/usr/bin/x\n"), false);
    assert.equal(looksLikeServiceUnit("<service-group><name>x</name></service-group>\n"), false);
  });
});
