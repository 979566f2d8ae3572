// supervisord's configuration: the INI dialect (comments, continuation lines, quoting), the programs
// with their places, the command expansion, and how the model follows supervisord from a Dockerfile.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { explainAt } from "../../server/src/engine/explain.ts";
import { renderHtml } from "../../server/src/engine/report/html.ts";
import { summarizeAudit } from "../../server/src/engine/report/summary.ts";
import { readIni } from "../../server/src/engine/parse/ini.ts";
import { expandCommand, parseSupervisorConf } from "../../server/src/engine/parse/supervisor.ts";
import { buildModel, fileKind } from "../../server/src/engine/model/build.ts";
import type { ParseProblem, SourceRef } from "../../server/src/engine/types.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const slice = (text: string, at: { start: number; end: number } | undefined) => (at ? text.slice(at.start, at.end) : undefined);

describe("INI reader, configparser dialect (supervisord)", () => {
  test("; and # start a comment on their own line, and after a blank anywhere else", () => {
    const text = ["# top", "[program:web]", "  ; indented comment", "command=gunicorn app:app -w 4 ; four", "stdout_logfile=/tmp/a;b", "user=app # the app user", ""].join("\n");
    const [, section] = readIni(text, { configparser: true });
    assert.deepEqual(section.entries.map((e) => [e.key, e.value]), [["command", "gunicorn app:app -w 4"], ["stdout_logfile", "/tmp/a;b"], ["user", "app"]]);
    assert.equal(slice(text, section.entries[0].valueSpan), "gunicorn app:app -w 4");
  });

  test("a comment inside quotes still ends the value, as configparser reads it", () => {
    const [, section] = readIni("[program:x]\ncommand=bash -c 'migrate ; exec gunicorn app:app'\n", { configparser: true });
    assert.equal(section.entries[0].value, "bash -c 'migrate");
  });

  test("a line indented deeper than its key continues the value; each character keeps its place", () => {
    const text = ["[program:web]", "command = gunicorn app:app", "    --workers 5", "", "    # not part of it", "\t--timeout 30", "numprocs: 2", ""].join("\n");
    const [, section] = readIni(text, { configparser: true });
    const command = section.entries[0];
    assert.equal(command.value, "gunicorn app:app\n--workers 5\n--timeout 30");
    const five = command.value?.indexOf("5") ?? -1;
    assert.equal(text[command.charSpans?.starts[five] ?? -1], "5");
    assert.equal(slice(text, command.valueSpan), "gunicorn app:app\n    --workers 5\n\n    # not part of it\n\t--timeout 30");
    assert.deepEqual([section.entries[1].key, section.entries[1].value], ["numprocs", "2"]);
  });

  test("keys are lower-cased, = or : separates (whichever comes first), CRLF lines read alike", () => {
    const [, section] = readIni("[program:web]\r\nCommand: python -m http.server --bind=0.0.0.0\r\n", { configparser: true });
    assert.deepEqual([section.entries[0].key, section.entries[0].value], ["command", "python -m http.server --bind=0.0.0.0"]);
  });
});

describe("supervisord config", () => {
  const text = [
    "[supervisord]",
    'environment=APP_ENV="production",TZ=UTC',
    "",
    "[program:web]",
    "command=gunicorn app:app --workers %(ENV_WEB_WORKERS)s --bind 0.0.0.0:80%(process_num)02d",
    "numprocs=3",
    "process_name=%(program_name)s-%(process_num)d",
    'environment=DB_POOL_SIZE="10",NOTE="a, b",PLAIN=x',
    "",
    "[program:cron]",
    "command=/app/bin/cron.sh",
    "autostart=false",
    "",
    "[include]",
    "files = conf.d/*.conf /etc/supervisor/extra/*.ini",
    "",
  ].join("\n");
  const config = parseSupervisorConf(text, "supervisord.conf");

  test("programs with command, numprocs and environment, each value at its place", () => {
    assert.deepEqual(config.programs.map((p) => [p.name, p.autostart]), [["web", true], ["cron", false]]);
    const web = config.programs[0];
    assert.equal(slice(text, web.command?.at), web.command?.value);
    assert.deepEqual([web.numprocs?.value, slice(text, web.numprocs?.at)], [3, "3"]);
    assert.deepEqual([...web.environment].map(([k, f]) => [k, f.value, slice(text, f.at)]), [["DB_POOL_SIZE", "10", "10"], ["NOTE", "a, b", "a, b"], ["PLAIN", "x", "x"]]);
    assert.deepEqual([...config.environment].map(([k, f]) => [k, f.value]), [["APP_ENV", "production"], ["TZ", "UTC"]]);
    assert.deepEqual(config.includes, ["conf.d/*.conf", "/etc/supervisor/extra/*.ini"]);
    assert.equal(config.recognised, true);
  });

  test("%(ENV_X)s becomes ${X} placed on the name; the program's own names are filled in", () => {
    const web = config.programs[0];
    const { text: line, spans } = expandCommand(web.command as NonNullable<typeof web.command>, { program_name: "web", group_name: "web", process_num: 0, numprocs: 3, here: "/" });
    assert.equal(line, "gunicorn app:app --workers ${WEB_WORKERS} --bind 0.0.0.0:8000");
    const name = line.indexOf("WEB_WORKERS");
    assert.equal(text.slice(spans.starts[name], spans.ends[name + 10]), "WEB_WORKERS");
    assert.equal(text.slice(spans.starts[line.length - 2], spans.ends[line.length - 1]), "%(process_num)02d");
  });

  test("a file without supervisord's sections is not one of its configs (an nginx conf.d file)", () => {
    assert.equal(parseSupervisorConf("server {\n  listen 80;\n}\n", "conf.d/default.conf").recognised, false);
  });

  test("a bad numprocs or environment is a problem at its place, never a crash", () => {
    const bad = parseSupervisorConf("[program:x]\ncommand=x\nnumprocs=two\nenvironment=A=1,=2\n", "s.conf");
    assert.deepEqual(bad.problems.map((p) => p.message.split(" ")[0]), ["numprocs", "environment"]);
  });
});

describe("supervisord in the model", () => {
  const build = (files: Record<string, string>) => {
    const host = memoryHost(files);
    const problems: ParseProblem[] = [];
    const model = buildModel(host, host.list().filter((p) => fileKind(p) !== undefined), problems);
    const text = (at: SourceRef | undefined) => (at ? files[at.file]?.slice(at.start, at.end) : undefined);
    return { model, problems, text };
  };
  const dockerfile = (cmd: string) => `FROM python:3.12-slim\nCOPY . /app\n${cmd}\n`;
  const compose = "services:\n  web:\n    build: .\n    environment:\n      WEB_WORKERS: \"4\"\n    cpus: 2\n";

  test("a Dockerfile CMD running supervisord -c leads to the programs it starts, numprocs as copies", () => {
    const { model, text } = build({
      "docker-compose.yml": compose,
      Dockerfile: dockerfile('CMD ["supervisord", "-n", "-c", "/etc/supervisor/conf.d/supervisord.conf"]'),
      "docker/supervisord.conf": "[program:web]\ncommand=gunicorn app:app --workers %(ENV_WEB_WORKERS)s\nnumprocs=2\n\n[program:jobs]\ncommand=celery -A app worker -c 3\n",
    });
    const web = model.deployments.find((d) => d.id === "compose:docker-compose.yml#web");
    assert.ok(web);
    assert.deepEqual(web.processes.map((p) => [p.invocation.server, p.workers.value, p.copies?.value]), [["gunicorn", 4, 2], ["celery", 3, undefined]]);
    assert.equal(web.processes[0].workers.at?.file, "docker-compose.yml");
    assert.equal(text(web.processes[0].copies?.at), "2");
    assert.ok(web.files.has("docker/supervisord.conf"));
    assert.equal(model.deployments.length, 1, "the config is claimed by the container, not also a deployment of its own");
  });

  test("[include] globs, relative or a path in the image, bring in conf.d files; a start script may exec supervisord", () => {
    const { model } = build({
      "docker-compose.yml": compose,
      Dockerfile: dockerfile('CMD ["/start.sh"]'),
      "start.sh": "#!/bin/sh\npython manage.py migrate\nexec /usr/bin/supervisord -c /etc/supervisord.conf\n",
      "supervisord.conf": "[supervisord]\nnodaemon=true\n[include]\nfiles = /etc/supervisor/conf.d/*.conf\n",
      "supervisor/conf.d/web.conf": "[program:web]\ncommand=gunicorn app:app -w 3\n",
      "supervisor/conf.d/worker.conf": "[program:worker]\ncommand=celery -A app worker --concurrency 2\nautostart=false\n",
    });
    const web = model.deployments.find((d) => d.id === "compose:docker-compose.yml#web");
    assert.deepEqual(web?.processes.map((p) => [p.invocation.server, p.workers.value]), [["gunicorn", 3]]);
    assert.ok(web?.files.has("supervisor/conf.d/web.conf"));
  });

  test("numprocs=%(ENV_X)s takes the container's variable, pointing where it is set", () => {
    const { model, text } = build({
      "docker-compose.yml": "services:\n  worker:\n    build: .\n    env_file: worker.env\n",
      "worker.env": "WORKERS_COUNT=4\n",
      Dockerfile: dockerfile('CMD ["supervisord", "-c", "worker.conf"]'),
      "worker.conf": "[supervisord]\n[program:worker]\ncommand=celery -A app worker --concurrency 2\nprocess_name=%(program_name)s-%(process_num)s\nnumprocs=%(ENV_WORKERS_COUNT)s\n",
    });
    const copies = model.deployments[0].processes[0].copies;
    assert.deepEqual([copies?.value, copies?.at?.file, text(copies?.at), text(copies?.via?.[0]?.at)], [4, "worker.env", "4", "%(ENV_WORKERS_COUNT)s"]);
  });

  test("a start script's supervisord -c reads the file from the image's folder, not the script's (redash)", () => {
    const { model } = build({
      "docker-compose.yml": "services:\n  worker:\n    build: .\n    command: worker\n    environment:\n      WORKERS_COUNT: \"2\"\n",
      Dockerfile: 'FROM python:3.10-slim\nWORKDIR /app\nCOPY . /app\nENTRYPOINT ["/app/bin/docker-entrypoint"]\nCMD ["server"]\n',
      "bin/docker-entrypoint": '#!/bin/bash\nworker() {\n  exec supervisord -c worker.conf\n}\ncase "$1" in\n  worker)\n    shift\n    worker\n    ;;\nesac\n',
      "worker.conf": "[supervisord]\nnodaemon=true\n[program:worker]\ncommand=celery -A redash worker -c 3\nprocess_name=%(program_name)s-%(process_num)s\nnumprocs=%(ENV_WORKERS_COUNT)s\n",
    });
    const worker = model.deployments.find((d) => d.id === "compose:docker-compose.yml#worker");
    assert.deepEqual(worker?.processes.map((p) => [p.invocation.server, p.workers.value, p.copies?.value]), [["celery", 3, 2]]);
  });

  test("a supervisord.conf nothing runs is a deployment of its own", () => {
    const { model } = build({ "deploy/supervisord.conf": "[program:api]\ndirectory=%(here)s\ncommand=uvicorn main:app --workers 2\n" });
    assert.deepEqual(model.deployments.map((d) => [d.id, d.processes.map((p) => p.workers.value)]), [["supervisor:deploy/supervisord.conf", [2]]]);
  });
});

describe("numprocs in the sizing rules", () => {
  const files = (workers: number, numprocs: number) => ({
    "docker-compose.yml": "services:\n  web:\n    build: .\n    deploy:\n      resources:\n        limits:\n          cpus: \"1\"\n          memory: 512M\n",
    Dockerfile: 'FROM python:3.12-slim\nCMD ["supervisord", "-c", "/etc/supervisord.conf"]\n',
    "supervisord.conf": `[supervisord]\nnodaemon=true\n[program:web]\ncommand=gunicorn app:app --bind 0.0.0.0:80%(process_num)02d --workers ${workers}\nnumprocs=${numprocs}\nprocess_name=%(program_name)s-%(process_num)d\n`,
  });
  const rules = (workers: number, numprocs: number) => audit(memoryHost(files(workers, numprocs))).findings.map((f) => `${f.rule}: ${f.message.split(":")[0]}${f.fixes[0] ? ` | ${f.fixes[0].title}` : ""}`);

  test("copies x workers are counted against the CPUs and the memory; the fixes lower the workers per copy", () => {
    assert.deepEqual(rules(2, 1), []);
    assert.deepEqual(rules(2, 3), [
      "workers/exceed-cpu: 3 copies (numprocs) x 2 gunicorn workers = 6 processes for 1 vCPU | Lower the workers to 1 per copy (3 x 1 = 3)",
      "workers/memory-exceed-limit: 3 copies (numprocs) x 2 gunicorn workers x 150 MiB (assumed | Lower the workers to 1",
    ]);
  });

  test("more copies than fit with one worker each: reported, with no fix a worker count could make", () => {
    assert.deepEqual(rules(1, 5), [
      "workers/exceed-cpu: 5 copies (numprocs) x 1 gunicorn worker = 5 processes for 1 vCPU",
      "workers/memory-exceed-limit: 5 copies (numprocs) x 1 gunicorn worker x 150 MiB (assumed",
    ]);
  });
});

describe("numprocs in the other worker rules", () => {
  const findings = (cpus: string, command: string, numprocs: number) =>
    audit(
      memoryHost({
        "docker-compose.yml": `services:\n  web:\n    build: .\n    cpus: ${cpus}\n`,
        Dockerfile: 'FROM python:3.12-slim\nCMD ["supervisord", "-c", "/etc/supervisord.conf"]\n',
        "supervisord.conf": `[supervisord]\n[program:web]\ncommand=${command}\nnumprocs=${numprocs}\nprocess_name=web-%(process_num)d\n`,
      }),
    ).findings.map((f) => `${f.rule}: ${f.message.split(":")[0]}${f.fixes.length > 0 ? " [fix]" : ""}`);

  test("single-process: several copies of a one-worker server are several processes", () => {
    assert.deepEqual(findings("2", "uvicorn app:app --host 0.0.0.0 --port 80%(process_num)02d", 1), ["workers/single-process: One uvicorn worker process on 2 vCPU [fix]"]);
    assert.deepEqual(findings("2", "uvicorn app:app --host 0.0.0.0 --port 80%(process_num)02d", 3), []);
  });

  test("fractional-cpu: copies share the quota too; lowering the workers alone is not offered", () => {
    assert.deepEqual(findings("0.5", "gunicorn app:app -b :80%(process_num)02d --workers 1", 1), []);
    assert.deepEqual(findings("0.5", "gunicorn app:app -b :80%(process_num)02d --workers 1", 2), ["workers/fractional-cpu: 2 copies (numprocs) x 1 = 2 gunicorn worker processes share a 0.5 vCPU limit"]);
  });

  test("threads-exceed-cpu: copies x workers x threads", () => {
    assert.deepEqual(findings("1", "gunicorn app:app -b :80%(process_num)02d --workers 3 --threads 8", 1), []);
    assert.deepEqual(findings("1", "gunicorn app:app -b :80%(process_num)02d --workers 3 --threads 8", 2), [
      "workers/exceed-cpu: 2 copies (numprocs) x 3 gunicorn workers = 6 processes for 1 vCPU [fix]",
      "workers/threads-exceed-cpu: 2 copies (numprocs) x 3 gunicorn workers x 8 threads (--threads 8) = 48 threads on 1 vCPU, 48 per vCPU",
    ]);
  });
});

describe("hovers under supervisord", () => {
  test("the workers count says it is per copy, and numprocs says what it multiplies", () => {
    const files = {
      "docker-compose.yml": "services:\n  web:\n    build: .\n    cpus: 2\n",
      Dockerfile: 'FROM python:3.12-slim\nCMD ["supervisord", "-c", "/etc/supervisord.conf"]\n',
      "supervisord.conf": "[supervisord]\n[program:web]\ncommand=gunicorn app:app -b :80%(process_num)02d --workers 3\nnumprocs=2\nprocess_name=web-%(process_num)d\n",
    };
    const model = audit(memoryHost(files)).model;
    const text = files["supervisord.conf"];
    assert.match(explainAt(model, "supervisord.conf", text.indexOf("--workers 3") + 10)?.text ?? "", /^\*\*3 gunicorn workers\*\* in each of 2 copies \(numprocs\), 2 x 3 = 6 per instance on 2 vCPU/);
    assert.match(explainAt(model, "supervisord.conf", text.indexOf("numprocs=2") + 9)?.text ?? "", /^\*\*numprocs 2\*\*: supervisord starts 2 copies of this gunicorn, each with 3 workers and their own pools: 2 x 3 = 6 per instance\./);
  });
});

describe("the audit report under supervisord", () => {
  test("the pool row counts the copies (numprocs) of the server", () => {
    const files = readFixture(join(__dirname, "..", "fixtures", "stacks", "supervisord-gunicorn-numprocs"));
    const summary = summarizeAudit(audit(memoryHost(files)), (f) => files[f]);
    const html = renderHtml(summary, { nonce: "0123456789abcdef", interactive: false });
    assert.match(html, /2 copies \(numprocs\) x 5 gunicorn workers x \(/);
  });
});
