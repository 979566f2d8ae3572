// `--format sarif` against the SARIF 2.1.0 JSON schema (the OASIS schema as Microsoft's sarif-js-sdk
// ships it in @microsoft/jest-sarif: sarif-2.1.0-rtm.5.json, draft-04), and what the schema cannot
// check: every region points at the text the finding names, ruleIndex points at its rule.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { ensureBuilt } from "../helpers/build.ts";

const root = join(__dirname, "..", "..");
const cli = join(root, "dist", "cli.js");
const schema = JSON.parse(readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"));

interface Region {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

function sarif(dir: string, cwd = root) {
  const r = spawnSync(process.execPath, [cli, "audit", dir, "--format", "sarif"], { encoding: "utf8", cwd });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return JSON.parse(r.stdout);
}

/** The text a 1-based region covers, endColumn exclusive. */
function regionText(text: string, region: Region): string {
  const lines = text.split(/\r\n|\r|\n/);
  if (region.startLine === region.endLine) return lines[region.startLine - 1].slice(region.startColumn - 1, region.endColumn - 1);
  return [lines[region.startLine - 1].slice(region.startColumn - 1), ...lines.slice(region.startLine, region.endLine - 1), lines[region.endLine - 1].slice(0, region.endColumn - 1)].join("\n");
}

const CASES = [
  "examples/compose-nginx-postgres",
  "examples/gunicorn-five-workers-1vcpu",
  "examples/rails-puma-30-connections",
  "examples/three-apis-behind-nginx",
  "examples/uvicorn-one-process-2vcpu",
  "examples/well-sized",
  "test/fixtures/config/invalid/mistakes",
  "test/fixtures/config/invalid/broken-yaml",
  "test/fixtures/nginx/worker-connections-low/seed-003-three-replicas",
  "test/fixtures/suppress/unused/ok-json-in-headroom-yml",
  "test/fixtures/suppress/unused/ok-shell-continued-command",
];

describe("headroom audit --format sarif", () => {
  let validate: ReturnType<Ajv["compile"]>;
  before(() => {
    ensureBuilt();
    // unicodeRegExp off: the schema's `language` pattern has a stray "]" that only the u flag rejects.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    validate = ajv.compile(schema);
  });

  for (const dir of CASES) {
    it(`is valid SARIF 2.1.0 with regions on the findings' text: ${dir}`, () => {
      const log = sarif(dir);
      assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
      const json = JSON.parse(spawnSync(process.execPath, [cli, "audit", dir, "--format", "json"], { encoding: "utf8", cwd: root }).stdout);
      const [run] = log.runs;
      // Suppressed findings follow the others; JSON lists them apart, under `suppressed`.
      const shown = run.results.filter((r: { suppressions: unknown[] }) => r.suppressions.length === 0);
      assert.deepEqual(shown, run.results.slice(0, shown.length));
      assert.equal(shown.length, json.findings.length);
      assert.equal(run.results.length - shown.length, json.suppressed.length);
      const ids = run.tool.driver.rules.map((r: { id: string }) => r.id);
      assert.ok(ids.includes("parse/error") && ids.includes("config/invalid"), "engine rules are in the catalogue");
      shown.forEach((result: { ruleId: string; ruleIndex: number; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: Region } }> }, i: number) => {
        const finding = json.findings[i];
        assert.equal(result.ruleId, finding.rule);
        assert.equal(ids[result.ruleIndex], result.ruleId);
        const { artifactLocation, region } = result.locations[0].physicalLocation;
        assert.equal(artifactLocation.uri, `${dir}/${finding.file}`);
        const text = readFileSync(join(root, dir, finding.file), "utf8");
        const lines = text.split(/\r\n|\r|\n/);
        const { start, end } = finding.range;
        const expected = start.line === end.line ? lines[start.line].slice(start.character, end.character) : undefined;
        if (expected !== undefined) assert.equal(regionText(text, region), expected);
      });
    });
  }

  it("describes rules with help URIs and levels, and fixes as replacements that produce the fixed text", () => {
    const log = sarif("examples/gunicorn-five-workers-1vcpu");
    const [run] = log.runs;
    assert.equal(run.tool.driver.name, "Headroom");
    assert.equal(run.tool.driver.version, JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version);
    const rule = run.tool.driver.rules.find((r: { id: string }) => r.id === "workers/exceed-cpu");
    assert.equal(rule.helpUri, "https://github.com/headroom-dev/headroom/blob/main/docs/rules/workers-exceed-cpu.md");
    assert.equal(rule.defaultConfiguration.level, "warning");
    const exceed = run.results.find((r: { ruleId: string }) => r.ruleId === "workers/exceed-cpu");
    assert.equal(exceed.level, "warning");
    assert.match(exceed.relatedLocations[0].message.text, /1 vCPU/);
    const [change] = exceed.fixes[0].artifactChanges;
    assert.equal(change.artifactLocation.uriBaseId, "%SRCROOT%");
    const [replacement] = change.replacements;
    const text = readFileSync(join(root, "examples/gunicorn-five-workers-1vcpu/service.json"), "utf8");
    assert.equal(regionText(text, replacement.deletedRegion), "5");
    assert.equal(replacement.insertedContent.text, "3");
    assert.equal(run.results.find((r: { ruleId: string }) => r.ruleId === "db/connections-exceed-max").level, "error");
    assert.equal(run.originalUriBaseIds["%SRCROOT%"].uri, `file://${root}/`);
  });

  it("reports suppressed findings with their suppression: in source (the comment) or external (headroom.yml), with the reason", () => {
    const suppressionsOf = (dir: string, rule: string) => {
      const log = sarif(dir);
      assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
      const [run] = log.runs;
      assert.ok(run.results.every((r: { suppressions?: unknown[] }) => Array.isArray(r.suppressions)), "all results or none carry suppressions");
      const result = run.results.find((r: { ruleId: string; suppressions: unknown[] }) => r.ruleId === rule && r.suppressions.length > 0);
      assert.ok(result, `a suppressed ${rule} result in ${dir}`);
      return result.suppressions as Array<{ kind: string; justification?: string; location: { physicalLocation: { artifactLocation: { uri: string }; region: Region } } }>;
    };
    const text = (dir: string, file: string, region: Region) => regionText(readFileSync(join(root, dir, file), "utf8"), region);

    const shellDir = "test/fixtures/suppress/unused/ok-shell-continued-command";
    const [inSource] = suppressionsOf(shellDir, "workers/exceed-cpu");
    assert.equal(inSource.kind, "inSource");
    assert.equal(inSource.justification, "CPU-bound work is offloaded, workers wait on I/O");
    assert.equal(inSource.location.physicalLocation.artifactLocation.uri, `${shellDir}/start.sh`);
    assert.match(text(shellDir, "start.sh", inSource.location.physicalLocation.region), /^# headroom-ignore workers\/exceed-cpu:/);

    const jsonDir = "test/fixtures/suppress/unused/ok-json-in-headroom-yml";
    const [external] = suppressionsOf(jsonDir, "workers/exceed-cpu");
    assert.equal(external.kind, "external");
    assert.equal(external.justification, "load-tested with 5 workers");
    assert.equal(external.location.physicalLocation.artifactLocation.uri, `${jsonDir}/headroom.yml`);
    assert.match(text(jsonDir, "headroom.yml", external.location.physicalLocation.region), /rule: workers\/exceed-cpu/);
  });

  it("percent-encodes paths, relative to the working directory when DIR is inside it and to DIR otherwise", () => {
    const dir = mkdtempSync(join(tmpdir(), "headroom-sarif-"));
    cpSync(join(root, "examples/gunicorn-five-workers-1vcpu"), join(dir, "my app"), { recursive: true });
    writeFileSync(join(dir, "my app", "start.sh"), "#!/bin/sh\nexec gunicorn -w 9 app:app\n");
    const uris = (log: { runs: Array<{ results: Array<{ locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }> }) =>
      [...new Set(log.runs[0].results.map((r) => r.locations[0].physicalLocation.artifactLocation.uri))].sort();
    const inside = sarif("my app", dir);
    assert.ok(validate(inside), JSON.stringify(validate.errors, null, 2));
    assert.deepEqual(uris(inside), ["my%20app/service.json", "my%20app/start.sh"]);
    assert.equal(inside.runs[0].originalUriBaseIds["%SRCROOT%"].uri, `file://${dir}/`);
    const outside = sarif(join(dir, "my app"), root);
    assert.deepEqual(uris(outside), ["service.json", "start.sh"]);
    assert.equal(outside.runs[0].originalUriBaseIds["%SRCROOT%"].uri, `file://${dir}/my%20app/`);
  });
});
