// Headroom in a real VS Code (desktop, through @vscode/test-electron): the editor scenarios of issue 8.
// The workspace is a copy of test/e2e/workspace (start.sh + service.json for App Runner,
// docker-compose.yml + nginx.conf for the local stack); test/vscode/run.ts opens it.
import assert from "node:assert/strict";
import { before, describe, it } from "mocha";
import * as vscode from "vscode";

const WAIT_MS = 30_000;

/** The rule each file of the workspace must show, with its 0-based position. */
const EXPECTED = [
  { file: "start.sh", rule: "workers/single-process", line: 5, character: 5, relatedIn: "service.json" },
  { file: "service.json", rule: "db/connections-exceed-max", line: 10, character: 27, relatedIn: "service.json" },
  { file: "docker-compose.yml", rule: "workers/exceed-cpu", line: 3, character: 25, relatedIn: "docker-compose.yml" },
  { file: "nginx.conf", rule: "nginx/upstream-keepalive-off", line: 17, character: 23, relatedIn: "nginx.conf" },
];

function workspaceUri(file: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, "a folder is open (test/vscode/run.ts passes it on the command line)");
  return vscode.Uri.joinPath(folder.uri, file);
}

function ruleOf(d: vscode.Diagnostic): string | undefined {
  return typeof d.code === "object" ? String(d.code.value) : d.code === undefined ? undefined : String(d.code);
}

function headroomDiagnostics(uri: vscode.Uri, rule: string): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === "headroom" && ruleOf(d) === rule);
}

/** Resolves when `check` returns a value, checking again whenever diagnostics change (and every 250 ms). */
async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const sub = vscode.languages.onDidChangeDiagnostics(() => done());
      const timer = setTimeout(done, 250);
      function done(): void {
        sub.dispose();
        clearTimeout(timer);
        resolve();
      }
    });
  }
}

async function quickFix(file: string, rule: string, title: string): Promise<vscode.CodeAction> {
  const uri = workspaceUri(file);
  await vscode.workspace.openTextDocument(uri);
  // Fixes published while the file was closed are stamped "not open"; once it is open the server refuses
  // them until it has re-published for the open version (debounced), so ask until the fix is offered.
  const fix = await waitFor(`"${title}" offered for ${rule} in ${file}`, async () => {
    const [diagnostic] = headroomDiagnostics(uri, rule);
    if (!diagnostic) return undefined;
    const actions = await vscode.commands.executeCommand<Array<vscode.CodeAction | vscode.Command>>(
      "vscode.executeCodeActionProvider",
      uri,
      diagnostic.range,
    );
    return actions.find((a): a is vscode.CodeAction => "kind" in a && a.title === title);
  });
  assert.ok(fix.kind && vscode.CodeActionKind.QuickFix.contains(fix.kind), `"${title}" is a quick-fix`);
  assert.ok(fix.edit, `"${title}" carries an edit`);
  return fix;
}

describe("Headroom in VS Code", () => {
  before(async () => {
    const extension = vscode.extensions.getExtension("headroom-dev.headroom");
    assert.ok(extension, "the extension under development is loaded");
    // workspaceContains:**/start.sh activates it; opening a file makes that independent of timing.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(workspaceUri("start.sh")));
    await extension.activate();
  });

  for (const expected of EXPECTED) {
    it(`shows ${expected.rule} in ${expected.file}, with related information`, async () => {
      const uri = workspaceUri(expected.file);
      const [d] = await waitFor(`${expected.rule} in ${expected.file}`, () => {
        const found = headroomDiagnostics(uri, expected.rule);
        return found.length > 0 ? found : undefined;
      });
      assert.deepEqual([d.range.start.line, d.range.start.character], [expected.line, expected.character]);
      assert.ok(typeof d.code === "object" && d.code.target.toString().includes("/docs/rules/"), "code links to the rule's docs");
      const related = d.relatedInformation ?? [];
      assert.ok(related.length > 0, "related information");
      assert.ok(related.every((r) => r.location.uri.path.endsWith(`/${expected.relatedIn}`)), related.map((r) => r.location.uri.path).join(", "));
    });
  }

  it("applies the compose quick-fix: -w 8 becomes -w 3 and the warning goes away", async () => {
    const uri = workspaceUri("docker-compose.yml");
    const before = (await vscode.workspace.openTextDocument(uri)).getText();
    const fix = await quickFix("docker-compose.yml", "workers/exceed-cpu", "Lower the workers to 3");
    assert.ok(await vscode.workspace.applyEdit(fix.edit!), "applyEdit accepted the edit");
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.getText(), before.replace("gunicorn -w 8 ", "gunicorn -w 3 "));
    assert.ok(await doc.save(), "saved");
    await waitFor("workers/exceed-cpu to disappear", () => (headroomDiagnostics(uri, "workers/exceed-cpu").length === 0 ? true : undefined));
  });

  it("applies the nginx quick-fix: the location gets proxy_http_version 1.1 and an empty Connection header", async () => {
    const uri = workspaceUri("nginx.conf");
    const before = (await vscode.workspace.openTextDocument(uri)).getText();
    const fix = await quickFix("nginx.conf", "nginx/upstream-keepalive-off", 'Add proxy_http_version 1.1 and proxy_set_header Connection "" to the location');
    assert.ok(await vscode.workspace.applyEdit(fix.edit!), "applyEdit accepted the edit");
    const doc = await vscode.workspace.openTextDocument(uri);
    const expected = before.replace(
      "        location / {\n",
      '        location / {\n            proxy_http_version 1.1;\n            proxy_set_header Connection "";\n',
    );
    assert.notEqual(expected, before, "the fixture has the location the fix edits");
    assert.equal(doc.getText(), expected);
    await waitFor("nginx/upstream-keepalive-off to disappear", () =>
      headroomDiagnostics(uri, "nginx/upstream-keepalive-off").length === 0 ? true : undefined,
    );
  });

  it("runs Headroom: Audit Workspace, whose counts agree with the diagnostics on display", async () => {
    const counts = await vscode.commands.executeCommand<{ findings: number; errors: number; warnings: number; files: number }>(
      "headroom.auditWorkspace",
    );
    const shown = vscode.languages
      .getDiagnostics()
      .map(([uri, diagnostics]) => ({ uri, diagnostics: diagnostics.filter((d) => d.source === "headroom") }))
      .filter((f) => f.diagnostics.length > 0);
    const all = shown.flatMap((f) => f.diagnostics);
    assert.deepEqual(counts, {
      findings: all.length,
      errors: all.filter((d) => d.severity === vscode.DiagnosticSeverity.Error).length,
      warnings: all.filter((d) => d.severity === vscode.DiagnosticSeverity.Warning).length,
      files: shown.length,
    });
    // The two fixed findings are gone; start.sh's and service.json's remain.
    assert.ok(counts.findings >= 2 && counts.errors >= 1, JSON.stringify(counts));
  });
});
