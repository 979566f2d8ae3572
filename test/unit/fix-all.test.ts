// Fix-all across the whole catalogue: every fixture and example workspace with safe fixes gets
// them applied the way the editor's `source.fixAll.headroom` does (server/src/lsp/convert.ts:
// per file, the first safe fix of each diagnostic, a fix overlapping one already taken is
// skipped). Then, audited again: no finding that had a safe fix is left, the changed files still
// parse (JSON, YAML, `bash -n`), and a second fix-all changes nothing (idempotent).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { TextDocumentEdit } from "vscode-languageserver";
import { parseAllDocuments } from "yaml";
import { audit } from "../../server/src/engine/audit.ts";
import type { Finding } from "../../server/src/engine/api.ts";
import { applyEdits, fixAll, toDiagnostics } from "../../server/src/lsp/convert.ts";
import { fixtureCases } from "../helpers/fixtures.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const EXAMPLES = join(__dirname, "..", "..", "examples");
const uriOf = (file: string) => `file:///workspace/${file}`;

/** One fix-all over every file of the workspace; returns the new texts and the files it changed. */
function fixAllOnce(files: Record<string, string>): { files: Record<string, string>; changed: string[]; findings: Finding[] } {
  const findings = audit(memoryHost(files)).findings;
  const diagnostics = toDiagnostics(findings, { uriOf, textOf: (f) => files[f], versionOf: () => 1, docsUrl: () => undefined });
  const out = { ...files };
  const changed: string[] = [];
  for (const [file, list] of diagnostics) {
    const change = fixAll(uriOf(file), list, () => 1)?.edit?.documentChanges?.[0] as TextDocumentEdit | undefined;
    if (!change || change.edits.length === 0) continue;
    const text = applyEdits(files[file], change.edits);
    if (text === files[file]) continue;
    out[file] = text;
    changed.push(file);
  }
  return { files: out, changed, findings };
}

/** A finding fix-all can apply: a safe fix whose edits all lie in the finding's own file. */
const fixable = (f: Finding) => f.fixes.some((x) => x.safe && x.edits.length > 0 && x.edits.every((e) => e.file === f.at.file));

function checkStillValid(file: string, text: string): void {
  if (file.endsWith(".json")) assert.doesNotThrow(() => JSON.parse(text), `${file} is no longer JSON`);
  else if (/\.ya?ml$/.test(file)) for (const doc of parseAllDocuments(text) as Array<{ errors: unknown[] }>) assert.deepEqual(doc.errors, [], `${file} no longer parses as YAML`);
  else if (file.endsWith(".sh")) {
    const r = spawnSync("bash", ["-n"], { input: text, encoding: "utf8" });
    assert.equal(r.status, 0, `bash -n ${file}: ${r.stderr}`);
  }
}

const workspaces = [
  ...fixtureCases().map((c) => ({ name: `${c.rule}/${c.name}`, dir: c.dir })),
  ...readdirSync(EXAMPLES).map((name) => ({ name: `examples/${name}`, dir: join(EXAMPLES, name) })),
];

describe("fix-all over every fixture and example, then audit again", () => {
  const rulesFixed = new Set<string>();
  for (const workspace of workspaces) {
    const files = readFixture(workspace.dir);
    const before = audit(memoryHost(files)).findings.filter(fixable);
    if (before.length === 0) continue;
    it(workspace.name, () => {
      const first = fixAllOnce(files);
      assert.ok(first.changed.length > 0, "fix-all changed nothing although safe fixes were offered");
      for (const file of first.changed) checkStillValid(file, first.files[file]);
      const after = audit(memoryHost(first.files)).findings;
      for (const finding of before) {
        rulesFixed.add(finding.rule);
        const left = after.filter((f) => f.rule === finding.rule && f.at.file === finding.at.file);
        assert.deepEqual(
          left.filter((f) => f.message === finding.message || fixable(f)).map((f) => f.message),
          [],
          `${finding.rule} still fires in ${finding.at.file} after fix-all`,
        );
      }
      const second = fixAllOnce(first.files);
      assert.deepEqual(second.changed, [], "a second fix-all changed the workspace again");
    });
  }
  it("fix-all was exercised on many rules", () => assert.ok(rulesFixed.size >= 10, `only ${[...rulesFixed].join(", ")}`));
});
