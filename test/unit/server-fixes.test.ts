// Applies every fix of the server-invocation rules (and workers/*, apprunner/*) to the fixture workspaces and
// checks that the result is still a valid file of its kind: `bash -n` for shell scripts, a YAML
// re-parse for compose files, JSON.parse for .json, and, for gunicorn command lines, Debian
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
import type { ParseProblem } from "../../server/src/engine/types.ts";
import { fixtureCases } from "../helpers/fixtures.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const PYTHON = "/usr/bin/python3";

const REQUIRE = process.env.HEADROOM_REQUIRE_E2E === "1";
const RULE_GROUPS = ["server/", "uvicorn/", "gunicorn/", "workers/", "compose/", "apprunner/", "proxy/", "db/django-pool-with-conn-max-age"];

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
  } else if (/\.ya?ml$/.test(file)) {
    for (const doc of parseAllDocuments(text) as Array<{ errors: unknown[] }>) assert.deepEqual(doc.errors, [], `${file} no longer parses as YAML:\n${text}`);
  } else if (file.endsWith(".json")) {
    assert.doesNotThrow(() => JSON.parse(text), `${file} is no longer JSON`);
  } else if (file.endsWith(".py")) {
    // Python's own parser (gunicorn.conf.py): compiled, never run.
    const r = spawnSync(PYTHON, ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: text, encoding: "utf8" });
    if (r.error && !REQUIRE) return;
    assert.equal(r.status, 0, `${file} no longer parses as Python: ${r.stderr}\n${text}`);
  }
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
  if (gunicornMissing) it(`gunicorn parser check skipped: ${gunicornMissing}`, { skip: !REQUIRE }, () => assert.fail(`HEADROOM_REQUIRE_E2E=1 but ${gunicornMissing}`));
  if (pumaMissing) it(`puma parser check skipped: ${pumaMissing}`, { skip: !REQUIRE }, () => assert.fail(`HEADROOM_REQUIRE_E2E=1 but ${pumaMissing}`));
  let applied = 0;
  for (const c of fixtureCases()) {
    const files = readFixture(c.dir);
    const findings = audit(memoryHost(files)).findings.filter((f) => RULE_GROUPS.some((g) => f.rule.startsWith(g)));
    for (const finding of findings) {
      for (const fix of finding.fixes) {
        applied++;
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
