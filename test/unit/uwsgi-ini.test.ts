// uWSGI ini files read as text, and linked from `uwsgi --ini` / `uwsgi file.ini` in the model.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildModel, fileKind } from "../../server/src/engine/model/build.ts";
import { uwsgiEnvNames, uwsgiNumber } from "../../server/src/engine/model/uwsgi.ts";
import { recogniseServer, type ServerInvocation } from "../../server/src/engine/parse/servers.ts";
import { parseUwsgiIni } from "../../server/src/engine/parse/uwsgi-ini.ts";
import { memoryHost } from "../helpers/memory-host.ts";
import { words } from "../helpers/words.ts";

const slice = (text: string, span: { start: number; end: number } | undefined) => (span ? text.slice(span.start, span.end) : undefined);

describe("uwsgi.ini", () => {
  it("reads [uwsgi] keys with spans; workers is processes; _ is -; bare keys are flags; later lines win", () => {
    const text = "; comment\r\n[other]\r\nprocesses = 99\r\n[uwsgi]\r\nmaster\r\nworkers = 2\r\nprocesses = 6\r\nenable_threads\r\nthreads=  3\r\ncheaper = 2\r\n";
    const { settings } = parseUwsgiIni(text);
    assert.equal(settings.get("processes")?.value, 6);
    assert.equal(slice(text, settings.get("processes")?.span), "6");
    assert.equal(settings.get("threads")?.value, 3);
    assert.equal(slice(text, settings.get("threads")?.span), "3");
    assert.equal(settings.get("cheaper")?.value, 2);
    assert.equal(settings.get("enable-threads")?.kind, "bool");
    assert.equal(settings.get("master")?.value, true);
  });

  it("$(VAR) is an environment variable; %(x) is unknown; if-env blocks are conditional; another section by name", () => {
    const text = "[uwsgi]\nprocesses = $(UWSGI_PROCESSES)\nthreads = %(cores)\nif-env = FAST\ncheaper = 4\nendif =\n[prod]\nprocesses = 12\n";
    const { settings } = parseUwsgiIni(text);
    assert.deepEqual([settings.get("processes")?.kind, settings.get("processes")?.envName], ["env", "UWSGI_PROCESSES"]);
    assert.equal(settings.get("threads")?.kind, "unknown");
    assert.equal(settings.get("cheaper")?.conditional, true);
    assert.equal(parseUwsgiIni(text, "prod").settings.get("processes")?.value, 12);
  });

  it("%k (the CPU cores uWSGI detects) and the placeholder math on it count the CPUs; other math stays unknown", () => {
    const cases: Array<[string, { multiplier: number; add: number } | undefined]> = [
      ["%k", { multiplier: 1, add: 0 }],
      ["%(%k * 2)", { multiplier: 2, add: 0 }],
      ["%(%k + 1)", { multiplier: 1, add: 1 }],
      ["%(%k * 2 + 1)", { multiplier: 2, add: 1 }],
      ["%(%k*4-1)", { multiplier: 4, add: -1 }],
      ["%(%k + 1 * 2)", undefined],
      ["%(cores * 2)", undefined],
      ["%(%k)", undefined],
    ];
    for (const [value, formula] of cases) {
      const setting = parseUwsgiIni(`[uwsgi]\nprocesses = ${value}\n`).settings.get("processes");
      assert.deepEqual(setting?.kind === "cpu-count" ? setting.cpuFormula : undefined, formula, value);
      if (!formula) assert.equal(setting?.kind, "unknown", value);
    }
  });

  it("the model reads the ini that `uwsgi --ini` or `uwsgi file.ini` names; the environment fills $(VAR); flags win", () => {
    const ini = "[uwsgi]\nprocesses = $(UWSGI_PROCESSES)\nthreads = 2\n";
    const compose = (command: string) => `services:\n  web:\n    image: app\n    command: ${command}\n    environment:\n      UWSGI_PROCESSES: 5\n`;
    for (const command of ["uwsgi --ini deploy/uwsgi.ini", "uwsgi deploy/uwsgi.ini", "uwsgi --ini deploy/app.ini:uwsgi"]) {
      const files = { "docker-compose.yml": compose(command), "deploy/uwsgi.ini": ini, "deploy/app.ini": ini };
      const host = memoryHost(files);
      const d = buildModel(host, host.list().filter((p) => fileKind(p) !== undefined), []).deployments[0];
      const p = d.processes[0];
      assert.deepEqual([p.workers.value, p.threads?.value], [5, 2], command);
      assert.equal(p.workers.at?.file, "docker-compose.yml", command);
    }
    const host = memoryHost({ "docker-compose.yml": compose("uwsgi --ini uwsgi.ini --processes 3 --threads 4"), "uwsgi.ini": ini });
    const p = buildModel(host, host.list(), []).deployments[0].processes[0];
    assert.deepEqual([p.workers.value, p.threads?.value], [3, 4]);
  });
});

describe("uWSGI options from UWSGI_* environment variables", () => {
  const env = (vars: Record<string, string>) => (name: string) => (name in vars ? { value: vars[name] as string, origin: "stated" as const } : undefined);
  const invocation = (cmd: string) => recogniseServer(words(cmd)) as ServerInvocation;

  it("each long flag of an option is a variable: processes is UWSGI_PROCESSES or UWSGI_WORKERS", () => {
    assert.deepEqual(uwsgiEnvNames("processes"), ["UWSGI_PROCESSES", "UWSGI_WORKERS"]);
    assert.deepEqual(uwsgiEnvNames("http-socket"), ["UWSGI_HTTP_SOCKET"]);
    assert.deepEqual(uwsgiEnvNames("cheaper-step"), ["UWSGI_CHEAPER_STEP"]);
  });

  it("the command line wins over the ini file, which wins over the environment", () => {
    const ini = parseUwsgiIni("[uwsgi]\nprocesses = 3\n");
    const config = { path: "uwsgi.ini", settings: ini.settings };
    const vars = env({ UWSGI_WORKERS: "16" });
    assert.equal(uwsgiNumber(invocation("uwsgi --ini uwsgi.ini --processes 5"), config, vars, "processes")?.value, 5);
    assert.equal(uwsgiNumber(invocation("uwsgi --ini uwsgi.ini"), config, vars, "processes")?.value, 3);
    assert.equal(uwsgiNumber(invocation("uwsgi"), undefined, vars, "processes")?.value, 16);
    assert.equal(uwsgiNumber(invocation("uwsgi"), undefined, env({ UWSGI_PROCESSES: "%k" }), "processes"), undefined);
    assert.equal(uwsgiNumber(invocation("uwsgi"), undefined, env({}), "processes"), undefined);
  });
});
