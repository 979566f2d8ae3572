// End-to-end protocol test: the BUILT language server (dist/server.js) over stdio on a temp workspace.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import {
  type CodeAction,
  createMessageConnection,
  type Diagnostic,
  type MessageConnection,
  type PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
  type TextEdit,
} from "vscode-languageserver/node";
import { LineIndex } from "../../server/src/engine/types.ts";
import { ensureBuilt } from "../helpers/build.ts";
import { LspServer } from "../helpers/lsp-server.ts";

const repo = join(__dirname, "..", "..");
const serverJs = join(repo, "dist", "server.js");
const RULE = "workers/single-process";
const WAIT_MS = 10_000;

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


/** Applies LSP edits (ranges against the original text) to a string. */
function apply(text: string, edits: TextEdit[]): string {
  const idx = new LineIndex(text);
  const spans = edits
    .map((e) => ({
      start: idx.offset(e.range.start.line, e.range.start.character),
      end: idx.offset(e.range.end.line, e.range.end.character),
      newText: e.newText,
    }))
    .sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.newText + out.slice(s.end);
  return out;
}

describe("language server over stdio", () => {
  let dir: string;
  let proc: ChildProcess;
  let conn: MessageConnection;
  let stderr = "";
  const latest = new Map<string, PublishDiagnosticsParams>();
  const waiters: Array<{
    uri: string;
    test: (p: PublishDiagnosticsParams) => boolean;
    resolve: (p: PublishDiagnosticsParams) => void;
    reject: (e: Error) => void;
  }> = [];
  let exited = false;
  const logs: string[] = [];
  let startUri: string;
  let serviceUri: string;

  /** Resolves with the first publish for `uri` (the latest one stored, or a later one) that satisfies `test`. */
  function waitFor(uri: string, test: (p: PublishDiagnosticsParams) => boolean, what: string): Promise<PublishDiagnosticsParams> {
    const have = latest.get(uri);
    if (have && test(have)) return Promise.resolve(have);
    if (exited) return Promise.reject(new Error(`server exited before ${what}:\n${stderr}`));
    return new Promise((resolve, reject) => {
      const w = { uri, test, resolve, reject };
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(
          new Error(
            `timed out waiting for ${what}; latest for ${uri}: ${JSON.stringify(latest.get(uri)?.diagnostics.map((d) => d.code))}\nserver log:\n${logs.join("\n")}\n${stderr}`,
          ),
        );
      }, WAIT_MS);
      w.resolve = (p) => {
        clearTimeout(t);
        resolve(p);
      };
      w.reject = (e) => {
        clearTimeout(t);
        reject(e);
      };
      waiters.push(w);
    });
  }

  /** Resolves with the next publish for `uri` after this call. */
  function nextPublish(uri: string, test: (p: PublishDiagnosticsParams) => boolean, what: string): Promise<PublishDiagnosticsParams> {
    latest.delete(uri);
    return waitFor(uri, test, what);
  }

  const hasRule = (p: PublishDiagnosticsParams): boolean => p.diagnostics.some((d) => d.code === RULE);
  const ruleDiag = (p: PublishDiagnosticsParams): Diagnostic => {
    const d = p.diagnostics.find((x) => x.code === RULE);
    assert.ok(d, `expected a ${RULE} diagnostic`);
    return d;
  };

  before(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "headroom-lsp-"));
    writeFileSync(join(dir, "start.sh"), START_SH);
    writeFileSync(join(dir, "service.json"), SERVICE_JSON);
    startUri = pathToFileURL(join(dir, "start.sh")).href;
    serviceUri = pathToFileURL(join(dir, "service.json")).href;

    proc = spawn(process.execPath, [serverJs, "--stdio"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    proc.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    proc.on("exit", (code) => {
      exited = true;
      for (const w of waiters.splice(0)) w.reject(new Error(`server exited (${code}):\n${stderr}`));
    });
    conn = createMessageConnection(
      new StreamMessageReader(proc.stdout as NodeJS.ReadableStream),
      new StreamMessageWriter(proc.stdin as NodeJS.WritableStream),
    );
    conn.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
      latest.set(p.uri, p);
      for (const w of [...waiters]) {
        if (w.uri === p.uri && w.test(p)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(p);
        }
      }
    });
    conn.onNotification("window/logMessage", (p: { message: string }) => {
      logs.push(p.message);
    });
    conn.onRequest("client/registerCapability", () => null);
    conn.onRequest("workspace/configuration", () => []);
    conn.listen();
  });

  after(() => {
    conn?.dispose();
    if (proc && proc.exitCode === null) proc.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("initializes with a root, watcher support and related information", async () => {
    const result = (await conn.sendRequest("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(dir).href,
      workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "ws" }],
      capabilities: {
        workspace: { didChangeWatchedFiles: { dynamicRegistration: true } },
        textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } },
      },
    })) as { capabilities: Record<string, unknown> };
    assert.ok(result.capabilities.codeActionProvider);
    assert.ok(result.capabilities.executeCommandProvider);
    await conn.sendNotification("initialized", {});
  });

  let firstDiag: Diagnostic;

  it("publishes the single-process finding on start.sh with a docs link and a quick fix", async () => {
    await conn.sendNotification("textDocument/didOpen", {
      textDocument: { uri: startUri, languageId: "shellscript", version: 1, text: START_SH },
    });
    const p = await waitFor(startUri, hasRule, `${RULE} on start.sh`);
    firstDiag = ruleDiag(p);
    assert.equal(firstDiag.source, "headroom");
    assert.ok(firstDiag.codeDescription?.href, "codeDescription.href");

    const actions = (await conn.sendRequest("textDocument/codeAction", {
      textDocument: { uri: startUri },
      range: firstDiag.range,
      context: { diagnostics: [firstDiag], only: ["quickfix"] },
    })) as CodeAction[];
    const fixed = actions
      .filter((a) => a.kind === "quickfix")
      .map((a) => {
        const change = a.edit?.documentChanges?.find((c) => "textDocument" in c && c.textDocument.uri === startUri);
        return change && "edits" in change ? apply(START_SH, change.edits) : undefined;
      })
      .find((t) => t?.includes("gunicorn") && t.includes("--workers"));
    assert.ok(fixed, `a quick fix turning start.sh into gunicorn --workers; got ${JSON.stringify(actions, null, 1)}`);
  });

  it("re-publishes start.sh when service.json changes (1 vCPU: single process is fine)", async () => {
    await conn.sendNotification("textDocument/didOpen", {
      textDocument: { uri: serviceUri, languageId: "json", version: 1, text: SERVICE_JSON },
    });
    const republished = nextPublish(startUri, (p) => !hasRule(p), `start.sh re-published without ${RULE}`);
    const start = SERVICE_JSON.indexOf('"2 vCPU"') + 1;
    const idx = new LineIndex(SERVICE_JSON);
    await conn.sendNotification("textDocument/didChange", {
      textDocument: { uri: serviceUri, version: 2 },
      contentChanges: [{ range: { start: idx.position(start), end: idx.position(start + 1) }, text: "1" }],
    });
    await republished;
  });

  it("refuses a quick fix for a diagnostic from an older version of start.sh", async () => {
    await conn.sendNotification("textDocument/didChange", {
      textDocument: { uri: startUri, version: 2 },
      contentChanges: [{ text: `${START_SH}# edited\n` }],
    });
    const actions = (await conn.sendRequest("textDocument/codeAction", {
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
    const res = (await conn.sendRequest("workspace/executeCommand", { command: "headroom.audit", arguments: [] })) as Record<
      string,
      unknown
    >;
    for (const k of ["findings", "errors", "warnings", "files"]) assert.equal(typeof res[k], "number", k);
  });

  it("survives malformed input", async () => {
    await conn.sendNotification("textDocument/didChange", {
      textDocument: { uri: pathToFileURL(join(dir, "never-opened.sh")).href, version: 7 },
      contentChanges: [{ text: "exec true\n" }],
    });
    await assert.rejects(conn.sendRequest("headroom/noSuchMethod", {}));
    await conn.sendNotification("textDocument/codeAction", { garbage: true });
    const res = (await conn.sendRequest("workspace/executeCommand", { command: "headroom.audit", arguments: [] })) as Record<
      string,
      unknown
    >;
    assert.equal(typeof res.findings, "number");
    assert.equal(proc.exitCode, null);
  });

  it("shuts down and exits cleanly", async () => {
    await conn.sendRequest("shutdown");
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    await conn.sendNotification("exit");
    assert.equal(await exited, 0);
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
      (a.edit?.documentChanges ?? []).flatMap((c) => ("edits" in c && c.textDocument.uri === server.uri("start.sh") ? [{ version: c.textDocument.version, text: apply(START_SH, c.edits) }] : [])),
    );
  };

  it("offers its fixes, for the opened version, as soon as it is opened with the text that was analysed", async () => {
    await server.open("start.sh", START_SH, 7);
    const edits = await quickFixEdits();
    const fix = edits.find((e) => e.text.includes("gunicorn") && e.text.includes("--workers"));
    assert.ok(fix, `a gunicorn --workers fix; got ${JSON.stringify(edits)}`);
    assert.equal(fix.version, 7);
    await server.conn.sendNotification("textDocument/didClose", { textDocument: { uri: server.uri("start.sh") } });
  });

  it("offers no edit when the opened text differs from the text analysed", async () => {
    await server.open("start.sh", `# moved down a line\n${START_SH}`, 8);
    assert.deepEqual(await quickFixEdits(), []);
  });
});
