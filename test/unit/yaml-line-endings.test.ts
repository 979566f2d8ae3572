// YAML files with old Mac line endings (a lone CR): the `yaml` library breaks lines only at LF, so they were
// read as one line (parse/error). Every fixture workspace with YAML files is audited again with their LFs made
// CRs: the findings must be the same, at the same offsets (the text has the same length), with the same fixes;
// an edit that inserts a line uses CR too.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { applyTextEdits } from "../../server/src/engine/fix.ts";
import { ParseCache } from "../../server/src/engine/parse-cache.ts";
import { suppressionEdits } from "../../server/src/engine/suppress.ts";
import type { AuditResult } from "../../server/src/engine/api.ts";
import { fixtureCases } from "../helpers/fixtures.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const isYaml = (path: string) => /\.ya?ml$/.test(path);
const withCr = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).map(([path, text]) => [path, isYaml(path) ? text.replace(/\r?\n/g, "\r") : text]));
// A fix that inserts a line (a variable added to `environment:`) ends it with the file's own break: compare breaks as one.
const shape = (result: AuditResult) => JSON.stringify([result.findings, result.suppressed], (key, value) => (key === "newText" && typeof value === "string" ? value.replace(/\r\n?/g, "\n") : value));

describe("YAML with lone CR line endings", () => {
  const cases = fixtureCases().map((c) => ({ ...c, files: readFixture(c.dir) })).filter((c) => Object.entries(c.files).some(([path, text]) => isYaml(path) && text.includes("\n")));

  it("every fixture with YAML files gives the same findings, suppressions and fixes with CR endings", () => {
    assert.ok(cases.length > 50, `only ${cases.length} fixtures hold YAML`);
    const differ = cases.filter((c) => shape(audit(memoryHost(withCr(c.files)))) !== shape(audit(memoryHost(c.files)))).map((c) => `${c.rule} / ${c.name}`);
    assert.deepEqual(differ, []);
  });

  it("the language server's cache (a compose file read service by service) reads them the same", () => {
    const differ = cases.filter((c) => {
      const cache = new ParseCache();
      const cr = memoryHost(withCr(c.files));
      audit(cr, {}, cache);
      return shape(audit(cr, {}, cache)) !== shape(audit(memoryHost(c.files)));
    });
    assert.deepEqual(differ.map((c) => `${c.rule} / ${c.name}`), []);
  });

  it("a fixed CR file keeps its CR endings and is clean of what was fixed", () => {
    const compose = "services:\r  web:\r    image: shop:latest\r    command: gunicorn -w 8 --bind 0.0.0.0:8000 app:app\r    deploy:\r      resources:\r        limits:\r          cpus: '1'\r";
    const finding = audit(memoryHost({ "docker-compose.yml": compose })).findings.find((f) => f.rule === "workers/exceed-cpu");
    assert.ok(finding, "workers/exceed-cpu fires on the CR file");
    const fixed = applyTextEdits(compose, finding.fixes[0].edits);
    assert.ok(!fixed.includes("\n"), "no LF introduced");
    assert.match(fixed, /-w 3 /);
    assert.deepEqual(audit(memoryHost({ "docker-compose.yml": fixed })).findings.map((f) => f.rule), []);
  });

  it("suppression comments written into a CR file end with CR, and an unused one is removed alone", () => {
    const compose = "services:\r  web:\r    image: shop:latest\r    command: gunicorn -w 8 --bind 0.0.0.0:8000 app:app\r    cpus: 1\r";
    const finding = audit(memoryHost({ "docker-compose.yml": compose })).findings.find((f) => f.rule === "workers/exceed-cpu");
    assert.ok(finding);
    const edits = suppressionEdits("docker-compose.yml", compose);
    const line = edits?.line(finding.rule, finding.at);
    assert.equal(line?.newText, "    # headroom-ignore workers/exceed-cpu\r");
    const suppressed = applyTextEdits(compose, line ? [line] : []);
    assert.deepEqual(audit(memoryHost({ "docker-compose.yml": suppressed })).findings.map((f) => f.rule), []);
    assert.equal(edits?.file("workers/exceed-cpu").newText, "# headroom-ignore-file workers/exceed-cpu\r");

    const unused = compose.replace("    image:", "    # headroom-ignore workers/single-process\r    image:");
    const removal = audit(memoryHost({ "docker-compose.yml": unused })).findings.find((f) => f.rule === "suppress/unused");
    assert.ok(removal, "the unused suppression is reported");
    assert.equal(applyTextEdits(unused, removal.fixes[0].edits), compose);
  });
});
