import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { CodeAction, TextDocumentEdit } from "vscode-languageserver";
import type { Finding } from "../../server/src/engine/api.ts";
import { PARSE_ERROR_DOCS_URL } from "../../server/src/engine/rules/define.ts";
import { applyEdits, type DiagnosticData, fixAll, quickFixes, toDiagnostics } from "../../server/src/lsp/convert.ts";
import { type OpenDoc, ServerHost } from "../../server/src/lsp/host.ts";

const texts: Record<string, string> = { "a.sh": "one\ntwo\nthree\n", "b.json": '{"x": 1}\n' };
const ctx = {
  uriOf: (f: string) => `file:///ws/${f}`,
  textOf: (f: string) => texts[f],
  versionOf: (f: string) => (f === "a.sh" ? 3 : null),
  docsUrl: (r: string) => `https://docs.invalid/${r}`,
};

function finding(start: number, end: number, fixes: Finding["fixes"], rule = "r/x"): Finding {
  return { rule, severity: "warning", message: "m", at: { file: "a.sh", start, end }, related: [], fixes };
}

describe("lsp conversion", () => {
  it("converts offsets, stamps versions and links docs (parse/error to the reliability notes, as SARIF does)", () => {
    const out = toDiagnostics(
      [
        {
          ...finding(4, 7, [{ title: "t", safe: true, edits: [{ file: "b.json", start: 6, end: 7, newText: "2" }] }]),
          related: [{ at: { file: "b.json", start: 1, end: 4 }, message: "here" }],
        },
        { ...finding(0, 3, [], "parse/error"), severity: "error" },
      ],
      ctx,
    );
    const [d, p] = out.get("a.sh") ?? [];
    assert.deepEqual(d.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 3 } });
    assert.equal(d.codeDescription?.href, "https://docs.invalid/r/x");
    assert.equal(p.codeDescription?.href, PARSE_ERROR_DOCS_URL);
    assert.match(PARSE_ERROR_DOCS_URL, /\/docs\/reliability\.md$/);
    assert.equal(p.severity, 1);
    assert.equal(d.relatedInformation?.[0].location.uri, "file:///ws/b.json");
    const data = d.data as DiagnosticData;
    assert.deepEqual(data.version, { "file:///ws/a.sh": 3, "file:///ws/b.json": null });
    assert.equal(data.fixes[0].edits["file:///ws/b.json"][0].newText, "2");
  });

  it("refuses quick fixes when a stamped version moved", () => {
    const [d] = toDiagnostics([finding(0, 3, [{ title: "t", safe: true, edits: [{ file: "a.sh", start: 0, end: 3, newText: "ONE" }] }])], ctx).get("a.sh") ?? [];
    const fresh = quickFixes(d, (u) => (u.endsWith("a.sh") ? 3 : null));
    // The rule's fix, then the two "Suppress" actions (a.sh is a shell script, where a comment can go); all refused when stale.
    assert.deepEqual(fresh.map((a) => a.title), ["t", "Suppress r/x on this line", "Suppress r/x in this file"]);
    assert.equal(fresh[0].isPreferred, true);
    assert.deepEqual(quickFixes(d, (u) => (u.endsWith("a.sh") ? 4 : null)), []);
    assert.deepEqual(quickFixes({ ...d, source: "other" }, () => 3), []);
  });

  it("keeps the fixes of a file analysed from disk once it is opened with the same text, for the opened version", () => {
    const onDisk: Finding = { ...finding(0, 1, [{ title: "t", safe: true, edits: [{ file: "b.json", start: 6, end: 7, newText: "2" }] }]), at: { file: "b.json", start: 0, end: 1 } };
    const [d] = toDiagnostics([onDisk], ctx).get("b.json") ?? [];
    const stampedVersion = (actions: CodeAction[]) => (actions[0].edit?.documentChanges?.[0] as TextDocumentEdit).textDocument.version;
    assert.equal(stampedVersion(quickFixes(d, () => null)), null);
    assert.equal(stampedVersion(quickFixes(d, () => 5, () => texts["b.json"])), 5);
    assert.deepEqual(quickFixes(d, () => 5, () => '{"x": 10}\n'), []);
    assert.deepEqual(quickFixes(d, () => 5), []);
  });

  it("fix-all takes safe, non-overlapping, same-document fixes", () => {
    const diags =
      toDiagnostics(
        [
          finding(0, 3, [{ title: "a", safe: true, edits: [{ file: "a.sh", start: 0, end: 3, newText: "ONE" }] }]),
          finding(1, 2, [{ title: "overlap", safe: true, edits: [{ file: "a.sh", start: 1, end: 5, newText: "X" }] }]),
          finding(4, 7, [{ title: "unsafe", safe: false, edits: [{ file: "a.sh", start: 4, end: 7, newText: "TWO" }] }]),
          finding(8, 13, [{ title: "c", safe: true, edits: [{ file: "a.sh", start: 8, end: 13, newText: "THREE" }] }]),
          finding(8, 9, [{ title: "other file", safe: true, edits: [{ file: "b.json", start: 0, end: 1, newText: "[" }] }]),
        ],
        ctx,
      ).get("a.sh") ?? [];
    const action = fixAll("file:///ws/a.sh", diags, (u) => (u.endsWith("a.sh") ? 3 : null));
    const change = action?.edit?.documentChanges?.[0];
    assert.ok(change && "edits" in change);
    assert.equal(change.textDocument.version, 3);
    assert.equal(applyEdits(texts["a.sh"], change.edits), "ONE\ntwo\nTHREE\n");
  });

  it("fix-all keeps two insertions at one point, in order, and makes a repeated edit once", () => {
    const insert = (newText: string) => ({ title: newText, safe: true, edits: [{ file: "a.sh", start: 0, end: 0, newText }] });
    const diags = toDiagnostics([finding(0, 3, [insert("A;")]), finding(0, 3, [insert("B;")]), finding(4, 7, [insert("A;")])], ctx).get("a.sh") ?? [];
    const change = fixAll("file:///ws/a.sh", diags, () => 3)?.edit?.documentChanges?.[0];
    assert.ok(change && "edits" in change);
    assert.equal(applyEdits(texts["a.sh"], change.edits), `A;B;${texts["a.sh"]}`);
  });
});

describe("lsp workspace host", () => {
  it("walks past vendored dirs, prefers open buffers, strips BOM and rejects binary", () => {
    const dir = mkdtempSync(join(tmpdir(), "headroom-host-"));
    try {
      mkdirSync(join(dir, "node_modules", "x"), { recursive: true });
      mkdirSync(join(dir, "deploy"));
      writeFileSync(join(dir, "node_modules", "x", "start.sh"), "x");
      writeFileSync(join(dir, "deploy", "start.sh"), "\ufeffexec web\n");
      writeFileSync(join(dir, "bin.sh"), Buffer.from([0x65, 0, 0x66]));
      writeFileSync(join(dir, "README.md"), "hi");
      const keep = (p: string) => p.endsWith(".sh");
      const open = new Map<string, OpenDoc>();
      const host = new ServerHost(dir, keep, () => open);
      assert.deepEqual(host.list(), ["bin.sh", "deploy/start.sh"]);
      open.set("deploy/start.sh", { uri: "file:///x", text: "buffer", version: 2 });
      assert.equal(host.read("deploy/start.sh"), "buffer");
      open.clear();
      assert.equal(host.read("deploy/start.sh"), "exec web\n");
      assert.equal(host.read("bin.sh"), undefined);
      assert.equal(host.read("missing.sh"), undefined);
      const { host: rec, snapshots } = host.recording();
      rec.read("deploy/start.sh");
      assert.deepEqual(snapshots.get("deploy/start.sh"), { text: "exec web\n", version: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
