// Fixture workspaces: test/fixtures/<group>/<rule>/<case>/ (and test/fixtures/seeds/<seed>/, whole
// stacks modelled on the incident reports) hold a small workspace. With an expected.txt, the text
// report (no colour) must equal it; without, the audit must be clean.
// Refresh snapshots after an intended change with UPDATE_SNAPSHOTS=1 and review the diff.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { audit } from "../server/src/engine/audit.ts";
import { renderText } from "../server/src/engine/report/text.ts";
import { fixtureCases } from "./helpers/fixtures.ts";
import { memoryHost, readFixture } from "./helpers/memory-host.ts";

describe("fixture workspaces", () => {
  for (const c of fixtureCases()) {
    it(`${c.rule} / ${c.name}`, () => {
      const files = readFixture(c.dir);
      const host = memoryHost(files);
      const result = audit(host);
      if (c.expected === undefined) {
        assert.deepEqual(result.findings.map((f) => `${f.at.file} ${f.rule}: ${f.message}`), [], "a fixture without expected.txt must be clean");
        return;
      }
      const rendered = renderText(result, host.read);
      if (process.env.UPDATE_SNAPSHOTS === "1") writeFileSync(join(c.dir, "expected.txt"), rendered);
      else assert.equal(rendered, c.expected);
    });
  }
});
