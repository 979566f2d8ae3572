// A small LSP client for tests: starts the BUILT server (dist/server.js) over stdio on a folder,
// answers workspace/configuration with `settings`, records publishes and window messages.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createMessageConnection, type MessageConnection, type PublishDiagnosticsParams, StreamMessageReader, StreamMessageWriter } from "vscode-languageserver/node";

const serverJs = join(__dirname, "..", "..", "dist", "server.js");

export interface LspSession {
  conn: MessageConnection;
  /** The editor's `headroom` settings the client answers with; change it, then notify didChangeConfiguration. */
  settings: { value: unknown };
  messages: string[];
  uri(file: string): string;
  /** Resolves with the first publish for `file` (latest, or later) that satisfies `test`. */
  published(file: string, test: (p: PublishDiagnosticsParams) => boolean, what: string, timeoutMs?: number): Promise<PublishDiagnosticsParams>;
  close(): Promise<void>;
}

export async function startSession(dir: string, settings: unknown): Promise<LspSession> {
  const proc: ChildProcess = spawn(process.execPath, [serverJs, "--stdio"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout as NodeJS.ReadableStream), new StreamMessageWriter(proc.stdin as NodeJS.WritableStream));
  const latest = new Map<string, PublishDiagnosticsParams>();
  const listeners = new Set<() => void>();
  const session: LspSession = {
    conn,
    settings: { value: settings },
    messages: [],
    uri: (file) => pathToFileURL(join(dir, file)).href,
    published(file, test, what, timeoutMs = 15_000) {
      const uri = session.uri(file);
      return new Promise((resolve, reject) => {
        const check = () => {
          const p = latest.get(uri);
          if (p && test(p)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(p);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${what}; latest: ${JSON.stringify(latest.get(uri)?.diagnostics.map((d) => d.code))}\n${stderr}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async close() {
      await conn.sendRequest("shutdown").catch(() => undefined);
      await conn.sendNotification("exit").catch(() => undefined);
      conn.dispose();
      if (proc.exitCode === null) proc.kill();
    },
  };
  conn.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
    latest.set(p.uri, p);
    for (const l of [...listeners]) l();
  });
  conn.onNotification("window/showMessage", (p: { message: string }) => session.messages.push(p.message));
  conn.onRequest("window/showMessageRequest", (p: { message: string }) => {
    session.messages.push(p.message);
    return null;
  });
  conn.onNotification("window/logMessage", () => undefined);
  conn.onRequest("client/registerCapability", () => null);
  conn.onRequest("workspace/configuration", (p: { items: unknown[] }) => p.items.map(() => session.settings.value));
  conn.listen();
  await conn.sendRequest("initialize", {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "ws" }],
    capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } }, textDocument: { publishDiagnostics: { relatedInformation: true } } },
  });
  await conn.sendNotification("initialized", {});
  return session;
}
