// The CLI's contract: the JSON format (version 1) and the exit codes, run as a user runs it (the built dist/cli.js).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { ensureBuilt } from "../helpers/build.ts";

const root = join(__dirname, "..", "..");
const cli = join(root, "dist", "cli.js");

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("headroom CLI", () => {
  before(() => {
    ensureBuilt();
  });

  it("exits quietly with the audit's code when its reader stops early (`headroom audit . | head`)", () => {
    // Enough findings that the report outgrows the pipe's buffer, so writing it meets the closed pipe.
    const dir = mkdtempSync(join(tmpdir(), "headroom-epipe-"));
    const service = (i: number) => `  web${i}:\n    command: gunicorn -w 9 app:app\n    deploy:\n      resources:\n        limits:\n          cpus: '1'\n`;
    writeFileSync(join(dir, "docker-compose.yml"), `services:\n${Array.from({ length: 300 }, (_, i) => service(i)).join("")}`);
    const full = run("audit", dir, "--format", "json");
    assert.ok(full.stdout.length > 256 * 1024, `the report is ${full.stdout.length} bytes`);
    const r = spawnSync("bash", ["-c", 'node "$0" audit "$1" --format json | head -c 100 >/dev/null; exit "${PIPESTATUS[0]}"', cli, dir], { encoding: "utf8" });
    assert.equal(r.stderr, "");
    assert.equal(r.status, full.code);
  });

  it("says nothing on stderr about a headroom.yml the workspace does not have", () => {
    const r = run("audit", "examples/well-sized");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
  });

  it("says nothing on stderr about files the model looked for and did not find (app.wsgi's app/settings.py)", () => {
    const r = run("audit", "test/fixtures/compose/command-replaces-dockerfile-cmd/gunicorn-workers-differ");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
  });

  it("prints the JSON contract with 0-based LSP ranges, related locations and fixes", () => {
    const r = run("audit", "examples/gunicorn-five-workers-1vcpu", "--format", "json");
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.version, 1);
    // The seed's 5 workers x (30 + 70) pool also exceed the assumed max_connections: db/connections-exceed-max.
    assert.deepEqual(report.findings.map((f: { rule: string }) => f.rule), ["workers/exceed-cpu", "db/connections-exceed-max"]);
    const [finding] = report.findings;
    assert.equal(finding.rule, "workers/exceed-cpu");
    assert.equal(finding.severity, "warning");
    assert.equal(finding.file, "service.json");
    const text = readFileSync(join(root, "examples/gunicorn-five-workers-1vcpu/service.json"), "utf8").split("\n");
    const { start, end } = finding.range;
    assert.equal(text[start.line].slice(start.character, end.character), "5");
    assert.equal(finding.related[0].file, "service.json");
    assert.match(finding.related[0].message, /1 vCPU/);
    assert.deepEqual(finding.fixes[0].edits.map((e: { newText: string }) => e.newText), ["3"]);
    assert.equal(finding.fixes[0].safe, true);
    assert.deepEqual(report.summary, { files: 2, deployments: 1, error: 1, warning: 1, info: 0, hint: 0 });
  });

  it("lists suppressed findings apart, each with what silenced it: a comment (inSource) or a headroom.yml entry (external)", () => {
    const audit = (dir: string) => {
      const r = run("audit", dir, "--format", "json");
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const lineOf = (dir: string, file: string, line: number) => readFileSync(join(root, dir, file), "utf8").split("\n")[line];

    const shellDir = "test/fixtures/suppress/unused/ok-shell-continued-command";
    const shell = audit(shellDir);
    assert.deepEqual(shell.findings, []);
    assert.equal(shell.summary.warning, 0, "suppressed findings do not count");
    assert.deepEqual(shell.suppressed.map((s: { rule: string; file: string }) => [s.rule, s.file]), [["workers/exceed-cpu", "start.sh"]]);
    const [inSource] = shell.suppressed;
    assert.equal(lineOf(shellDir, "start.sh", inSource.range.start.line).slice(inSource.range.start.character, inSource.range.end.character), "5");
    assert.equal(inSource.severity, "warning");
    assert.ok(inSource.fixes.length > 0, "a suppressed finding keeps its fixes");
    assert.equal(inSource.suppression.kind, "inSource");
    assert.equal(inSource.suppression.file, "start.sh");
    assert.equal(inSource.suppression.reason, "CPU-bound work is offloaded, workers wait on I/O");
    assert.match(lineOf(shellDir, "start.sh", inSource.suppression.range.start.line), /^# headroom-ignore workers\/exceed-cpu:/);

    const ymlDir = "test/fixtures/suppress/unused/ok-json-in-headroom-yml";
    const yml = audit(ymlDir);
    assert.deepEqual(yml.findings, []);
    assert.deepEqual(yml.suppressed.map((s: { rule: string; file: string }) => [s.rule, s.file]), [["workers/exceed-cpu", "service.json"], ["db/connections-exceed-max", "service.json"]]);
    const [workers, connections] = yml.suppressed;
    assert.equal(workers.suppression.kind, "external");
    assert.equal(workers.suppression.file, "headroom.yml");
    assert.equal(workers.suppression.reason, "load-tested with 5 workers");
    assert.match(lineOf(ymlDir, "headroom.yml", workers.suppression.range.start.line), /rule: workers\/exceed-cpu/);
    assert.equal(connections.suppression.reason, "the database is an RDS proxy");

    assert.deepEqual(audit("examples/well-sized").suppressed, [], "present and empty when nothing is suppressed");
  });

  it("exits 1 when a finding reaches --fail-on, 0 otherwise", () => {
    assert.equal(run("audit", "examples/gunicorn-five-workers-1vcpu", "--fail-on", "warning").code, 1);
    assert.equal(run("audit", "examples/gunicorn-five-workers-1vcpu", "--fail-on", "error").code, 1);
    assert.equal(run("audit", "examples/uvicorn-one-process-2vcpu", "--fail-on", "error").code, 0);
    assert.equal(run("audit", "examples/gunicorn-five-workers-1vcpu", "--fail-on", "never").code, 0);
    assert.equal(run("audit", "examples/well-sized", "--fail-on", "info").code, 0);
  });

  it("renders text with the source line, a caret and the fix", () => {
    const r = run("audit", "examples/uvicorn-one-process-2vcpu");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^start\.sh:6:6 {2}warning {2}workers\/single-process {2}One uvicorn worker process on 2 vCPU/m);
    assert.match(r.stdout, /^ {5}\| {6}\^{7}$/m);
    assert.match(r.stdout, /fix \(unsafe\): Run gunicorn with 5 uvicorn workers/);
  });

  it("exits 2 on usage errors and unreadable input, with a message", () => {
    for (const args of [["audit", "--format", "xml"], ["audit", "--fail-on", "sometimes"], ["lint"], [], ["audit", "--bogus"], ["audit", "a", "b"]]) {
      const r = run(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}`);
      assert.match(r.stderr, /^headroom: /);
    }
    const missing = run("audit", "no/such/dir");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such directory/);
    const file = run("audit", "README.md");
    assert.equal(file.code, 2);
    assert.match(file.stderr, /^headroom: README\.md is not a directory$/m);
  });

  it("names the option, command or value a typo was probably meant to be, and an --allow-path that is no folder", () => {
    const cases: Array<[string[], RegExp]> = [
      [["audit", "--formt", "json"], /^headroom: unknown option --formt \(did you mean --format\?\)$/m],
      [["audit", "--unsafe-fix"], /^headroom: unknown option --unsafe-fix \(did you mean --unsafe-fixes\?\)$/m],
      [["audit", "--format", "jsn"], /^headroom: --format must be text, json, html, sarif or github, not "jsn" \(did you mean json\?\)$/m],
      [["audit", "--fail-on", "warnings"], /not "warnings" \(did you mean warning\?\)$/m],
      [["audti", "."], /^headroom: unknown command "audti" \(did you mean audit\?\)$/m],
      [["audit", "--bogus"], /^headroom: unknown option --bogus$/m],
      [["audit", "--format", "x"], /not "x"$/m],
      [["audit", "--allow-path", "no/such/dir"], /^headroom: --allow-path no\/such\/dir is not a directory$/m],
      [["audit", "--allow-path", "README.md"], /^headroom: --allow-path README\.md is not a directory$/m],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, message, args.join(" "));
    }
  });

  it("prints its version and help on stdout with exit code 0", () => {
    const version = run("--version");
    assert.equal(version.code, 0);
    assert.equal(version.stdout, `headroom ${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version}\n`);
    const help = run("--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: headroom audit \[DIR\] \[options\]/);
  });

  it("reports broken files as parse errors instead of crashing", () => {
    const dir = mkdtempSync(join(tmpdir(), "headroom-cli-"));
    cpSync(join(root, "examples/well-sized"), dir, { recursive: true });
    const broken = join(dir, "docker-compose.yml");
    writeFileSync(broken, "services:\n  web: [unclosed\n");
    const r = run("audit", dir, "--format", "json");
    assert.equal(r.code, 1, "a YAML error is an error finding");
    const report = JSON.parse(r.stdout);
    assert.ok(report.findings.some((f: { rule: string; file: string }) => f.rule === "parse/error" && f.file === "docker-compose.yml"));
  });
});
