// Applies every fix of the server-invocation rules (and workers/*, apprunner/*, proxy/*, db/*) to the fixture workspaces and
// checks that the result is still a valid file of its kind: `bash -n` for shell scripts, a YAML
// re-parse for compose files, JSON.parse for .json, Python's ast.parse for .py (skipped with a message when
// /usr/bin/python3 is absent, unless HEADROOM_REQUIRE_E2E=1), and, for gunicorn command lines, Debian
// gunicorn's own argument parser (skipped when /usr/bin/python3 cannot import gunicorn, unless
// HEADROOM_REQUIRE_E2E=1), and for puma command lines and config files, Debian puma's own CLI and
// config loader (skipped when `ruby -rpuma/cli` fails, unless HEADROOM_REQUIRE_E2E=1). Then: re-auditing finds nothing more for that rule at that place,
// and applying the fix a second time changes nothing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { audit } from "../../server/src/engine/audit.ts";
import type { Finding, Fix } from "../../server/src/engine/api.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { optionValue } from "../../server/src/engine/parse/servers.ts";
import type { ParseProblem } from "../../server/src/engine/types.ts";
import { parseErbYaml } from "../../server/src/engine/parse/database-yml.ts";
import { fixtureCases } from "../helpers/fixtures.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const PYTHON = "/usr/bin/python3";

const REQUIRE = process.env.HEADROOM_REQUIRE_E2E === "1";
const RULE_GROUPS = ["server/", "uvicorn/", "gunicorn/", "workers/", "compose/", "apprunner/", "proxy/", "db/"];

const pythonProbe = spawnSync(PYTHON, ["-c", "import ast"], { encoding: "utf8" });
const pythonMissing = pythonProbe.error || pythonProbe.status !== 0 ? `${PYTHON} cannot run: ${pythonProbe.error?.message ?? pythonProbe.stderr.trim()}` : undefined;

const probe = spawnSync(PYTHON, ["-c", "import gunicorn.config"], { encoding: "utf8" });
const gunicornMissing = probe.error || probe.status !== 0 ? `${PYTHON} cannot import gunicorn: ${probe.error?.message ?? probe.stderr.trim()}` : undefined;

function applyFix(files: Record<string, string>, fix: Fix): Record<string, string> {
  const out = { ...files };
  const byFile = new Map<string, Fix["edits"]>();
  for (const e of fix.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, edits] of byFile) {
    let text = out[file];
    for (const e of [...edits].sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.newText + text.slice(e.end);
    out[file] = text;
  }
  return out;
}

function checkSyntax(file: string, text: string): void {
  if (file.endsWith(".sh")) {
    const r = spawnSync("bash", ["-n"], { input: text, encoding: "utf8" });
    assert.equal(r.status, 0, `bash -n ${file}: ${r.stderr}\n${text}`);
  } else if (/\.ya?ml$/.test(file) && text.includes("<%")) {
    // Rails renders database.yml (and queue.yml, sidekiq.yml) through ERB before the YAML is parsed: tags read as Headroom reads them.
    const problems: ParseProblem[] = [];
    assert.ok(parseErbYaml(text, file, problems) && problems.length === 0, `${file} no longer parses as ERB YAML: ${JSON.stringify(problems)}\n${text}`);
  } else if (/\.ya?ml$/.test(file)) {
    for (const doc of parseAllDocuments(text) as Array<{ errors: unknown[] }>) assert.deepEqual(doc.errors, [], `${file} no longer parses as YAML:\n${text}`);
  } else if (file.endsWith(".json")) {
    assert.doesNotThrow(() => JSON.parse(text), `${file} is no longer JSON`);
  } else if (file.endsWith(".py")) {
    assertPythonParses(file, text);
  }
}

/** Python's own parser (gunicorn.conf.py, settings.py, the module that calls create_engine or uvicorn.run): parsed, never run. */
function assertPythonParses(file: string, text: string): void {
  if (pythonMissing) {
    if (REQUIRE) assert.fail(`HEADROOM_REQUIRE_E2E=1 but ${pythonMissing}`);
    return;
  }
  const r = spawnSync(PYTHON, ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: text, encoding: "utf8" });
  assert.equal(r.status, 0, `${file} no longer parses as Python: ${r.stderr}\n${text}`);
}

/** gunicorn's own parser on every gunicorn command line of the fixed workspace. */
function checkGunicorn(files: Record<string, string>): void {
  const model = buildModel(memoryHost(files), Object.keys(files).sort(), [] as ParseProblem[]);
  for (const deployment of model.deployments) {
    for (const process of deployment.processes) {
      if (process.invocation.server !== "gunicorn") continue;
      const i = process.words.indexOf(process.invocation.program as (typeof process.words)[number]);
      const args = process.words.slice(i + 1).map((w) => w.value);
      if (gunicornMissing) {
        if (REQUIRE) assert.fail(`HEADROOM_REQUIRE_E2E=1 but ${gunicornMissing}`);
        continue;
      }
      const r = spawnSync(PYTHON, ["-c", "import sys, gunicorn.config as c; c.Config().parser().parse_args(sys.argv[1:])", ...args], { encoding: "utf8" });
      assert.equal(r.status, 0, `gunicorn refuses ${JSON.stringify(args)}: ${r.stderr}`);
    }
  }
}

const pumaProbe = spawnSync("ruby", ["-rpuma/cli", "-e", ""], { encoding: "utf8" });
const pumaMissing = pumaProbe.error || pumaProbe.status !== 0 ? `ruby cannot load puma/cli: ${pumaProbe.error?.message ?? pumaProbe.stderr.trim()}` : undefined;

/**
 * Puma's own CLI parser and config loader (Puma::CLI.new parses the options and loads -C's file, without
 * starting a server) on every puma command line of the fixed workspace, run in a copy of it. Only our
 * fixtures are loaded: the product never runs workspace code.
 */
function checkPuma(files: Record<string, string>): void {
  const model = buildModel(memoryHost(files), Object.keys(files).sort(), [] as ParseProblem[]);
  for (const deployment of model.deployments) {
    for (const process of deployment.processes) {
      if (process.invocation.server !== "puma") continue;
      // `-C config/puma.rb` the image holds but the fixture does not: Puma could not load it here.
      if (optionValue(process.invocation, "config")?.value && !process.config) continue;
      if (pumaMissing) {
        if (REQUIRE) assert.fail(`HEADROOM_REQUIRE_E2E=1 but ${pumaMissing}`);
        continue;
      }
      const i = process.words.indexOf(process.invocation.program as (typeof process.words)[number]);
      const args = process.words.slice(i + 1).map((w) => w.value);
      const dir = mkdtempSync(join(tmpdir(), "headroom-puma-"));
      try {
        for (const [file, text] of Object.entries(files)) {
          mkdirSync(dirname(join(dir, file)), { recursive: true });
          writeFileSync(join(dir, file), text);
        }
        const r = spawnSync("ruby", ["-rpuma/cli", "-e", "Puma::CLI.new(ARGV)", "--", ...args], { cwd: dir, encoding: "utf8", env: { PATH: globalThis.process.env.PATH ?? "" } });
        assert.equal(r.status, 0, `puma refuses ${JSON.stringify(args)}: ${r.stderr}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}

const sameFinding = (a: Finding, b: Finding) => a.rule === b.rule && a.at.file === b.at.file && a.message === b.message;

describe("server rule fixes keep files valid", () => {
  if (pythonMissing) it(`Python parse check of .py edits skipped: ${pythonMissing}`, { skip: !REQUIRE }, () => assert.fail(`HEADROOM_REQUIRE_E2E=1 but ${pythonMissing}`));
  if (gunicornMissing) it(`gunicorn parser check skipped: ${gunicornMissing}`, { skip: !REQUIRE }, () => assert.fail(`HEADROOM_REQUIRE_E2E=1 but ${gunicornMissing}`));
  if (pumaMissing) it(`puma parser check skipped: ${pumaMissing}`, { skip: !REQUIRE }, () => assert.fail(`HEADROOM_REQUIRE_E2E=1 but ${pumaMissing}`));
  let applied = 0;
  let dbPythonEdits = 0;
  for (const c of fixtureCases()) {
    const files = readFixture(c.dir);
    const findings = audit(memoryHost(files)).findings.filter((f) => RULE_GROUPS.some((g) => f.rule.startsWith(g)));
    for (const finding of findings) {
      for (const fix of finding.fixes) {
        applied++;
        if (finding.rule.startsWith("db/") && fix.edits.some((e) => e.file.endsWith(".py"))) dbPythonEdits++;
        it(`${c.rule}/${c.name}: ${finding.rule}: ${fix.title}`, () => {
          const fixed = applyFix(files, fix);
          for (const file of new Set(fix.edits.map((e) => e.file))) checkSyntax(file, fixed[file]);
          checkGunicorn(fixed);
          checkPuma(fixed);
          const after = audit(memoryHost(fixed)).findings;
          assert.ok(!after.some((f) => f.rule === finding.rule && f.at.file === finding.at.file && (f.message === finding.message || f.rule !== "workers/single-process")), `${finding.rule} still fires after its fix:\n${after.map((f) => f.message).join("\n")}`);
          // Applying the same edits again must be a no-op: the re-audit offers no fix of this rule that changes the text.
          for (const again of after.filter((f) => sameFinding(f, finding)).flatMap((f) => f.fixes)) assert.deepEqual(applyFix(fixed, again), fixed);
        });
      }
    }
  }
  it("some fixes were exercised", () => assert.ok(applied >= 8, `only ${applied} fixes`));
  // Pools sized in Python (a pydantic settings default, Django's OPTIONS pool, gunicorn.conf.py's worker_connections).
  it("db/ fixes that edit Python files were exercised", () => assert.ok(dbPythonEdits >= 3, `only ${dbPythonEdits} db/ fixes edit a .py file`));
});

describe("fix helpers refuse what they cannot edit safely", () => {
  it("no removal fix for --reload expanded from a variable", () => {
    const files = { "start.sh": '#!/bin/sh\nRELOAD="--reload"\nexec uvicorn app:app --host 0.0.0.0 $RELOAD\n', "service.json": '{"ServiceName":"api","InstanceConfiguration":{"Cpu":"1 vCPU","Memory":"2 GB"}}' };
    const f = audit(memoryHost(files)).findings.filter((x) => x.rule === "server/reload-in-production");
    for (const x of f) assert.deepEqual(x.fixes, []);
  });
  it("no removal fix for a YAML block-list item", () => {
    const files = { "docker-compose.yml": "services:\n  api:\n    image: a\n    command:\n      - uvicorn\n      - app:app\n      - --reload\n" };
    const f = audit(memoryHost(files)).findings.filter((x) => x.rule === "server/reload-in-production");
    assert.equal(f.length, 1);
    assert.deepEqual(f[0].fixes, []);
  });
  it("removes a gunicorn.conf.py setting only when it is a whole line of its own", () => {
    const conf = (line: string) => ({ "start.sh": "#!/bin/sh\nexec gunicorn -c gunicorn.conf.py app:app\n", "gunicorn.conf.py": `worker_class = "uvicorn.workers.UvicornWorker"\n${line}\ntimeout = 60\n` });
    const fixesOf = (line: string) => {
      const f = audit(memoryHost(conf(line))).findings.filter((x) => x.rule === "gunicorn/worker-connections-ignored");
      assert.equal(f.length, 1, line);
      return f[0].fixes;
    };
    assert.deepEqual(fixesOf("worker_connections = 2000  # (per worker)")[0].edits.map((e) => e.newText), [""]);
    assert.deepEqual(fixesOf("worker_connections = \\\n    2000"), []);
    assert.deepEqual(fixesOf("worker_connections = (\n    2000\n)"), []);
  });
});

describe("uvicorn.run() fixes add a keyword argument that Python still parses", () => {
  const NGINX =
    "events {\n    worker_connections 4096;\n}\nhttp {\n    upstream api {\n        server api:8000;\n        keepalive 16;\n    }\n" +
    '    server {\n        listen 80;\n        location / {\n            proxy_pass http://api;\n            proxy_http_version 1.1;\n            proxy_set_header Connection "";\n        }\n    }\n}\n';
  const workspace = (main: string) => ({
    "main.py": main,
    Dockerfile: 'FROM python:3.12-slim\nCOPY . .\nCMD ["python", "main.py"]\n',
    "docker-compose.yml": 'services:\n  api:\n    build: .\n    deploy:\n      resources:\n        limits:\n          cpus: "2"\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n',
    "nginx.conf": NGINX,
  });
  const fixed = (main: string, rule: string) => {
    const files = workspace(main);
    const fixes = audit(memoryHost(files)).findings.filter((f) => f.rule === rule).flatMap((f) => f.fixes);
    return fixes.map((fix) => applyFix(files, fix)["main.py"]);
  };
  const cases: Array<[string, string, string]> = [
    ["one line", 'import uvicorn\nuvicorn.run("app:app", host="0.0.0.0", port=8000)\n', 'uvicorn.run("app:app", host="0.0.0.0", port=8000, timeout_keep_alive=65)'],
    ["one per line, no trailing comma", 'import uvicorn\n\nif __name__ == "__main__":\n    uvicorn.run(\n        "app:app",\n        host="0.0.0.0"\n    )\n', '        host="0.0.0.0",\n        timeout_keep_alive=65\n    )'],
    ["one per line, trailing comma", 'import uvicorn\nuvicorn.run(\n    "app:app",\n    host="0.0.0.0",\n)\n', '    host="0.0.0.0",\n    timeout_keep_alive=65,\n)'],
    ["hanging indent", 'import uvicorn\nuvicorn.run("app:app",\n            host="0.0.0.0")\n', 'uvicorn.run("app:app",\n            host="0.0.0.0",\n            timeout_keep_alive=65)'],
  ];
  for (const [layout, main, expected] of cases) {
    it(`${layout}: timeout_keep_alive and workers`, () => {
      const keepAlive = fixed(main, "proxy/keepalive-shorter-than-upstream");
      assert.equal(keepAlive.length, 1);
      assert.ok(keepAlive[0].includes(expected), keepAlive[0]);
      const workers = fixed(main, "workers/single-process");
      assert.equal(workers.length, 1);
      assert.ok(workers[0].includes("workers=5"), workers[0]);
      for (const text of [...keepAlive, ...workers]) assertPythonParses("main.py", text);
    });
  }
  it("no keyword is added to a call with a comment inside, or whose app is an object (workers need an import string)", () => {
    assert.deepEqual(fixed('import uvicorn\nuvicorn.run(\n    "app:app",\n    host="0.0.0.0",  # all interfaces\n)\n', "proxy/keepalive-shorter-than-upstream"), []);
    assert.deepEqual(fixed('import uvicorn\nfrom app import app\nuvicorn.run(app, host="0.0.0.0")\n', "workers/single-process"), []);
  });
});
