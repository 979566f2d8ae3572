// End-to-end protocol test: the BUILT language server (dist/server.js) over stdio on a temp workspace.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import type { CodeAction, Diagnostic, PublishDiagnosticsParams } from "vscode-languageserver/node";
import { LineIndex } from "../../server/src/engine/types.ts";
import { applyEdits } from "../../server/src/lsp/convert.ts";
import { LspServer } from "../helpers/lsp-server.ts";

const RULE = "workers/single-process";

const START_SH = `#!/bin/sh\nset -e\nexec uvicorn main:app --host 0.0.0.0 --port \${PORT:-10000}\n`;
const SERVICE_JSON = `${JSON.stringify(
  {
    ServiceName: "api",
    SourceConfiguration: {
      ImageRepository: {
        ImageIdentifier: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:latest",
        ImageRepositoryType: "ECR",
        ImageConfiguration: { Port: "10000", StartCommand: "./start.sh" },
      },
      AutoDeploymentsEnabled: false,
    },
    InstanceConfiguration: { Cpu: "2 vCPU", Memory: "4 GB" },
  },
  null,
  2,
)}\n`;


describe("language server over stdio", () => {
  let dir: string;
  let server: LspServer;
  let startUri: string;
  let serviceUri: string;

  const hasRule = (p: PublishDiagnosticsParams): boolean => p.diagnostics.some((d) => d.code === RULE);
  const ruleDiag = (p: PublishDiagnosticsParams): Diagnostic => {
    const d = p.diagnostics.find((x) => x.code === RULE);
    assert.ok(d, `expected a ${RULE} diagnostic`);
    return d;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "headroom-lsp-"));
    writeFileSync(join(dir, "start.sh"), START_SH);
    writeFileSync(join(dir, "service.json"), SERVICE_JSON);
    server = new LspServer(dir);
    startUri = server.uri("start.sh");
    serviceUri = server.uri("service.json");
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("initializes with a root, watcher support and related information", async () => {
    const result = await server.initialize({
      capabilities: {
        workspace: { didChangeWatchedFiles: { dynamicRegistration: true } },
        textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } },
      },
    });
    assert.ok(result.capabilities.codeActionProvider);
    assert.ok(result.capabilities.executeCommandProvider);
  });

  let firstDiag: Diagnostic;

  it("publishes the single-process finding on start.sh with a docs link and a quick fix", async () => {
    await server.open("start.sh", START_SH);
    const p = await server.waitFor(startUri, hasRule, `${RULE} on start.sh`);
    firstDiag = ruleDiag(p);
    assert.equal(firstDiag.source, "headroom");
    assert.ok(firstDiag.codeDescription?.href, "codeDescription.href");

    const actions = (await server.conn.sendRequest("textDocument/codeAction", {
      textDocument: { uri: startUri },
      range: firstDiag.range,
      context: { diagnostics: [firstDiag], only: ["quickfix"] },
    })) as CodeAction[];
    const fixed = actions
      .filter((a) => a.kind === "quickfix")
      .map((a) => {
        const change = a.edit?.documentChanges?.find((c) => "textDocument" in c && c.textDocument.uri === startUri);
        return change && "edits" in change ? applyEdits(START_SH, change.edits) : undefined;
      })
      .find((t) => t?.includes("gunicorn") && t.includes("--workers"));
    assert.ok(fixed, `a quick fix turning start.sh into gunicorn --workers; got ${JSON.stringify(actions, null, 1)}`);
  });

  it("re-publishes start.sh when service.json changes (1 vCPU: single process is fine)", async () => {
    await server.open("service.json", SERVICE_JSON);
    const republished = server.nextPublish(startUri, (p) => !hasRule(p), `start.sh re-published without ${RULE}`);
    const start = SERVICE_JSON.indexOf('"2 vCPU"') + 1;
    const idx = new LineIndex(SERVICE_JSON);
    await server.conn.sendNotification("textDocument/didChange", {
      textDocument: { uri: serviceUri, version: 2 },
      contentChanges: [{ range: { start: idx.position(start), end: idx.position(start + 1) }, text: "1" }],
    });
    await republished;
  });

  it("refuses a quick fix for a diagnostic from an older version of start.sh", async () => {
    await server.replace("start.sh", `${START_SH}# edited\n`, 2);
    const actions = (await server.conn.sendRequest("textDocument/codeAction", {
      textDocument: { uri: startUri },
      range: firstDiag.range,
      context: { diagnostics: [firstDiag] },
    })) as CodeAction[];
    assert.deepEqual(
      actions.filter((a) => a.edit),
      [],
    );
  });

  it("runs headroom.audit on demand and returns counts", async () => {
    const res = (await server.audit()) as Record<string, unknown>;
    for (const k of ["findings", "errors", "warnings", "files"]) assert.equal(typeof res[k], "number", k);
  });

  it("survives malformed input", async () => {
    await server.conn.sendNotification("textDocument/didChange", {
      textDocument: { uri: pathToFileURL(join(dir, "never-opened.sh")).href, version: 7 },
      contentChanges: [{ text: "exec true\n" }],
    });
    await assert.rejects(server.conn.sendRequest("headroom/noSuchMethod", {}));
    await server.conn.sendNotification("textDocument/codeAction", { garbage: true });
    const res = (await server.audit()) as Record<string, unknown>;
    assert.equal(typeof res.findings, "number");
    assert.ok(server.alive);
  });

  it("shuts down and exits cleanly", async () => {
    assert.equal(await server.stop(), 0);
  });
});

describe("code actions for a file audited while closed, then opened", () => {
  let dir: string;
  let server: LspServer;
  let closedDiag: Diagnostic;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "headroom-lsp-open-"));
    writeFileSync(join(dir, "start.sh"), START_SH);
    writeFileSync(join(dir, "service.json"), SERVICE_JSON);
    server = new LspServer(dir);
    await server.initialize();
    await server.audit();
    const p = await server.waitFor(server.uri("start.sh"), (x) => x.diagnostics.some((d) => d.code === RULE), `${RULE} on the closed start.sh`);
    closedDiag = p.diagnostics.find((d) => d.code === RULE) as Diagnostic;
    assert.equal((closedDiag.data as { version: Record<string, number | null> }).version[server.uri("start.sh")], null, "analysed from disk");
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const quickFixEdits = async (): Promise<Array<{ version: number | null; text: string }>> => {
    const actions = (await server.conn.sendRequest("textDocument/codeAction", {
      textDocument: { uri: server.uri("start.sh") },
      range: closedDiag.range,
      context: { diagnostics: [closedDiag], only: ["quickfix"] },
    })) as CodeAction[];
    return actions.flatMap((a) =>
      (a.edit?.documentChanges ?? []).flatMap((c) => ("edits" in c && c.textDocument.uri === server.uri("start.sh") ? [{ version: c.textDocument.version, text: applyEdits(START_SH, c.edits) }] : [])),
    );
  };

  it("offers its fixes, for the opened version, as soon as it is opened with the text that was analysed", async () => {
    await server.open("start.sh", START_SH, 7);
    const edits = await quickFixEdits();
    const fix = edits.find((e) => e.text.includes("gunicorn") && e.text.includes("--workers"));
    assert.ok(fix, `a gunicorn --workers fix; got ${JSON.stringify(edits)}`);
    assert.equal(fix.version, 7);
    await server.close("start.sh");
  });

  it("offers no edit when the opened text differs from the text analysed", async () => {
    await server.open("start.sh", `# moved down a line\n${START_SH}`, 8);
    assert.deepEqual(await quickFixEdits(), []);
  });
});
