import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { s6SeesContainerEnv } from "../../server/src/engine/model/s6-overlay.ts";
import { isExeclineScript, readExeclineRunScript } from "../../server/src/engine/parse/execline.ts";
import type { EnvLookup } from "../../server/src/engine/parse/shell.ts";
import type { Fact } from "../../server/src/engine/types.ts";

const noEnv: EnvLookup = () => undefined;
const envOf =
  (values: Record<string, string>): EnvLookup =>
  (name) =>
    values[name] === undefined ? undefined : { value: values[name], origin: "stated", at: { file: "docker-compose.yml", start: 0, end: 1 } };
const script = (...lines: string[]) => ["#!/command/execlineb -P", ...lines, ""].join("\n");
const program = (text: string, env: EnvLookup = noEnv, keepEnv = false) => readExeclineRunScript(text, "run", env, s6SeesContainerEnv(text, keepEnv));
const values = (text: string, env: EnvLookup = noEnv) => program(text, env)?.words.map((w) => w.value);
const written = (text: string, fact: Fact<string> | undefined) => (fact?.at ? text.slice(fact.at.start, fact.at.end) : undefined);

describe("execline run scripts", () => {
  test("the shebang tells an execline script from a shell's", () => {
    assert.equal(isExeclineScript("#!/command/execlineb -P\nnginx\n"), true);
    assert.equal(isExeclineScript("#!/usr/bin/execlineb -S0\n"), true);
    assert.equal(isExeclineScript("#!/usr/bin/env execlineb\n"), true);
    assert.equal(isExeclineScript("#!/command/with-contenv sh\nexec nginx\n"), false);
    assert.equal(isExeclineScript("#!/bin/sh\nexeclineb -c 'nginx'\n"), false);
  });

  test("the chain loaders in front of the server are skipped with their options and operands", () => {
    const text = script(
      "# comments and blank lines are not words",
      "",
      "with-contenv",
      "s6-envdir -fn -- /run/s6/container_environment",
      "fdmove -c 2 1",
      "redirfd -w 1 /dev/null",
      "s6-softlimit -o 4096 -m 1000000",
      "cd /app",
      "s6-notifyoncheck -d -n 300 -w 1000 -c \"nc -z localhost 8000\"",
      "s6-setuidgid app",
      "exec -a gunicorn",
      'gunicorn app:app -w 4 --bind "0.0.0.0:8000"',
    );
    const found = program(text);
    assert.deepEqual(found?.words.map((w) => w.value), ["gunicorn", "app:app", "-w", "4", "--bind", "0.0.0.0:8000"]);
    assert.equal(found?.containerEnv, true);
    assert.equal(written(text, found?.words[3].fact), "4");
    assert.deepEqual(values(script('nginx -g "daemon off;"')), ["nginx", "-g", "daemon off;"]);
    // a block run first (foreground, if, background) is not the program
    assert.deepEqual(values(script("foreground { python manage.py migrate }", "if { test -f /app/ready }", "background { s6-sleep 1 }", "gunicorn app:app")), ["gunicorn", "app:app"]);
  });

  test("the program sees the container's environment only where with-contenv (or S6_KEEP_ENV) gives it", () => {
    assert.equal(program(script("s6-setuidgid app", "gunicorn app:app"))?.containerEnv, false);
    assert.equal(program(script("s6-setuidgid app", "gunicorn app:app"), noEnv, true)?.containerEnv, true);
    assert.equal(program(script("with-contenv", "emptyenv -p", "gunicorn app:app"))?.containerEnv, false);
    assert.equal(program(script("with-contenv", "exec -c", "gunicorn app:app"))?.containerEnv, false);
    assert.equal(program("#!/command/with-contenv execlineb\ngunicorn app:app\n")?.containerEnv, true);
  });

  test("importas and define substitute where the rest of the line says $name or ${name}", () => {
    const env = envOf({ GUNICORN_WORKERS: "6", PORT: "9000" });
    const text = script("with-contenv", "importas -D 2 workers GUNICORN_WORKERS", "importas -S PORT", "define app app.wsgi:app", "gunicorn $app -w ${workers} --bind 0.0.0.0:${PORT}");
    const found = program(text, env);
    assert.deepEqual(found?.words.map((w) => w.value), ["gunicorn", "app.wsgi:app", "-w", "6", "--bind", "0.0.0.0:9000"]);
    assert.equal(found?.words[3].fact.at?.file, "docker-compose.yml", "the value's place is where the environment sets it");
    assert.equal(found?.words[3].fact.via?.[0].note, "${workers}");
    assert.deepEqual(found?.words[5].pieces?.map((p) => p.value), ["0.0.0.0:", "9000"]);
    // unset: the default; before with-contenv the container's value is not there; without a default it stays as written
    const defaulted = script("with-contenv", "importas -D 2 workers GUNICORN_WORKERS", "gunicorn app:app -w $workers");
    const fallback = program(defaulted, noEnv)?.words[3];
    assert.deepEqual([fallback?.value, written(defaulted, fallback?.fact)], ["2", "2"]);
    assert.equal(values(script("importas -D 2 workers GUNICORN_WORKERS", "with-contenv", "gunicorn app:app -w $workers"), env)?.[3], "2");
    assert.equal(values(script("with-contenv", "importas workers GUNICORN_WORKERS", "gunicorn app:app -w $workers"))?.[3], "$workers");
    assert.equal(values(script("gunicorn app:app -w $GUNICORN_WORKERS"), env)?.[3], "$GUNICORN_WORKERS", "execline substitutes nothing by itself");
    const parallel = script("with-contenv", "multisubstitute {", "  importas -D 3 w GUNICORN_WORKERS", "  define t 60", "}", "gunicorn app:app -w $w -t $t");
    assert.deepEqual(values(parallel), ["gunicorn", "app:app", "-w", "3", "-t", "60"]);
  });

  test("what cannot be followed is not read: values from a program or another folder, a block after the program, bad blocks", () => {
    assert.equal(program(script("backtick -E n { nproc }", "gunicorn app:app -w $n")), undefined);
    assert.equal(program(script("s6-envdir /etc/app/env", "gunicorn app:app")), undefined);
    assert.equal(program(script("pipeline { echo x } gunicorn app:app")), undefined);
    assert.equal(program(script("foreground { echo never closed", "gunicorn app:app")), undefined);
    assert.equal(program(script("with-contenv", "s6-setuidgid")), undefined);
    assert.equal(program(script("")), undefined);
    assert.equal(program(`#!/command/execlineb -P\n${"x ".repeat(20_000)}`), undefined);
  });
});
