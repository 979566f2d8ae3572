// `headroom audit --fix` on a temporary copy of every example: the safe fixes are written, the
// re-audit has no finding left from the rules they fixed, and a second --fix changes nothing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { readFixture } from "../helpers/memory-host.ts";
import { ensureBuilt } from "../helpers/build.ts";

const root = join(__dirname, "..", "..");
const cli = join(root, "dist", "cli.js");
const EXAMPLES = join(root, "examples");

function run(...args: string[]) {
  return runAs(undefined, ...args);
}

function runAs(user: { uid: number; gid: number } | undefined, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, "audit", ...args], { encoding: "utf8", ...user });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** "fixed FILE: RULE: TITLE" lines of stderr, as [file, rule]. */
function fixedLines(stderr: string): Array<[string, string]> {
  return [...stderr.matchAll(/^headroom: fixed (.+?): ([a-z]+\/[a-z-]+): /gm)].map((m) => [m[1], m[2]]);
}

function rulesIn(dir: string): string[] {
  return JSON.parse(run(dir, "--format", "json").stdout).findings.map((f: { rule: string }) => f.rule);
}

describe("headroom audit --fix", () => {
  before(() => {
    ensureBuilt();
  });

  let fixedSomething = 0;
  for (const name of readdirSync(EXAMPLES)) {
    it(`fixes ${name}: only the files it names change, fixed rules are gone, a second --fix is a no-op`, () => {
      const dir = join(mkdtempSync(join(tmpdir(), "headroom-fix-")), name);
      cpSync(join(EXAMPLES, name), dir, { recursive: true });
      const rulesBefore = rulesIn(dir);
      const first = run(dir, "--fix", "--format", "json", "--fail-on", "never");
      assert.equal(first.code, 0, first.stderr);
      const fixed = fixedLines(first.stderr);
      const after = readFixture(dir);
      const original = readFixture(join(EXAMPLES, name));
      const changedFiles = Object.keys(original).filter((f) => after[f] !== original[f]);
      assert.deepEqual(changedFiles.sort(), [...new Set(fixed.map(([file]) => file))].sort(), "exactly the files it says it fixed changed");
      const fixedRules = new Set(fixed.map(([, rule]) => rule));
      const rulesAfter: string[] = JSON.parse(first.stdout).findings.map((f: { rule: string }) => f.rule);
      assert.deepEqual(rulesAfter.filter((r) => fixedRules.has(r)), [], "no finding left from a rule whose fix was applied");
      assert.deepEqual(rulesIn(dir), rulesAfter, "the report printed after --fix is the re-audit");
      for (const rule of fixedRules) assert.ok(rulesBefore.includes(rule));
      if (fixed.length > 0) fixedSomething++;

      const second = run(dir, "--fix", "--fail-on", "never");
      assert.deepEqual(fixedLines(second.stderr), []);
      assert.deepEqual(readFixture(dir), after);
    });
  }

  it("fixed something in at least one example (the loop above is not vacuous)", () => {
    assert.ok(fixedSomething >= 1, `fixed files in ${fixedSomething} example(s)`);
  });

  it("applies unsafe fixes only with --unsafe-fixes", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "headroom-fix-")), "app");
    cpSync(join(EXAMPLES, "uvicorn-one-process-2vcpu"), dir, { recursive: true });
    const start = readFileSync(join(dir, "start.sh"), "utf8");
    run(dir, "--fix");
    assert.equal(readFileSync(join(dir, "start.sh"), "utf8"), start, "workers/single-process has only an unsafe fix");
    const r = run(dir, "--unsafe-fixes", "--format", "json", "--fail-on", "never");
    assert.deepEqual(fixedLines(r.stderr).filter(([file]) => file === "start.sh"), [["start.sh", "workers/single-process"]]);
    const fixedStart = readFileSync(join(dir, "start.sh"), "utf8");
    assert.notEqual(fixedStart, start);
    const syntax = spawnSync("bash", ["-n"], { input: fixedStart, encoding: "utf8" });
    assert.equal(syntax.status, 0, `bash -n start.sh: ${syntax.stderr}`);
    assert.ok(!JSON.parse(r.stdout).findings.some((f: { rule: string }) => f.rule === "workers/single-process"));
    const again = run(dir, "--unsafe-fixes", "--fail-on", "never");
    assert.deepEqual(fixedLines(again.stderr), [], "a second --unsafe-fixes changes nothing");
    assert.equal(readFileSync(join(dir, "start.sh"), "utf8"), fixedStart);
  });

  it("leaves a read-only file as it is, says why, and exits on what is left", (t) => {
    // Root writes a mode 444 file anyway: then the CLI runs as nobody, for whom the mode holds.
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    if (user) t.diagnostic("running as root: the CLI runs as uid 65534");
    const base = mkdtempSync(join(tmpdir(), "headroom-fix-"));
    chmodSync(base, 0o755);
    const dir = join(base, "app");
    cpSync(join(EXAMPLES, "gunicorn-five-workers-1vcpu"), dir, { recursive: true });
    const service = join(dir, "service.json");
    const before = readFileSync(service, "utf8");
    chmodSync(service, 0o444);
    const r = runAs(user, dir, "--fix", "--format", "json");
    assert.equal(r.code, 1, "the error finding is still there");
    assert.match(r.stderr, /^headroom: not fixed service\.json: EACCES: permission denied/m);
    assert.deepEqual(fixedLines(r.stderr), []);
    assert.equal(readFileSync(service, "utf8"), before);
    assert.ok(JSON.parse(r.stdout).findings.some((f: { rule: string; file: string }) => f.rule === "workers/exceed-cpu" && f.file === "service.json"));
  });
});
