// The one LSP client of the tests: drives the BUILT language server (dist/server.js) over stdio through
// vscode-jsonrpc, answers what an editor answers (workspace/configuration with `settings`,
// workspace/applyEdit by editing the files on disk), and keeps publishes per uri, messages shown to the
// user, $/progress reports and the server's log. Raw bytes for malformed input; the process's RSS.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  type ApplyWorkspaceEditParams,
  type ClientCapabilities,
  createMessageConnection,
  type InitializeResult,
  type MessageConnection,
  type PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
  type TextDocumentEdit,
} from "vscode-languageserver/node";
import { applyEdits } from "../../server/src/lsp/convert.ts";
import { ensureBuilt } from "./build.ts";

const SERVER_JS = join(__dirname, "..", "..", "dist", "server.js");

export interface StartOptions {
  /** Node flags before the script, e.g. ["--import", preload]. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Run the server as this user and group (only root may), e.g. to meet permissions root ignores. */
  user?: { uid: number; gid: number };
}

export interface InitializeOptions {
  /** What the client declares; the default: related information and versions on publishes. */
  capabilities?: ClientCapabilities;
  initializationOptions?: unknown;
}

export interface ProgressReport {
  token: unknown;
  value: { kind: string; percentage?: number; message?: string };
}

export const DEFAULT_CAPABILITIES: ClientCapabilities = { textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } } };

export class LspServer {
  readonly proc: ChildProcess;
  readonly conn: MessageConnection;
  stderr = "";
  readonly logs: string[] = [];
  /** window/showMessage and window/showMessageRequest texts. */
  readonly messages: string[] = [];
  readonly progress: ProgressReport[] = [];
  /** workspace/applyEdit requests, each applied to the files on disk. */
  readonly edits: ApplyWorkspaceEditParams[] = [];
  /** The `headroom` settings answered to workspace/configuration; change it, then notify didChangeConfiguration. */
  settings: unknown = {};
  readonly latest = new Map<string, PublishDiagnosticsParams>();
  exitCode: number | null | undefined = undefined;
  private readonly listeners = new Set<(p: PublishDiagnosticsParams) => void>();

  constructor(
    readonly root: string,
    options: StartOptions = {},
  ) {
    ensureBuilt();
    this.proc = spawn(process.execPath, [...(options.execArgv ?? []), SERVER_JS, "--stdio"], {
      cwd: root,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      ...options.user,
    });
    this.proc.stderr?.on("data", (b: Buffer) => {
      this.stderr += b.toString();
    });
    this.proc.on("exit", (code) => {
      this.exitCode = code;
    });
    this.conn = createMessageConnection(
      new StreamMessageReader(this.proc.stdout as NodeJS.ReadableStream),
      new StreamMessageWriter(this.proc.stdin as NodeJS.WritableStream),
    );
    this.conn.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
      this.latest.set(p.uri, p);
      for (const listener of [...this.listeners]) listener(p);
    });
    this.conn.onNotification("window/logMessage", (p: { message: string }) => this.logs.push(p.message));
    this.conn.onNotification("window/showMessage", (p: { message: string }) => this.messages.push(p.message));
    this.conn.onRequest("window/showMessageRequest", (p: { message: string }) => {
      this.messages.push(p.message);
      return null;
    });
    this.conn.onNotification("$/progress", (p: ProgressReport) => this.progress.push(p));
    this.conn.onRequest("client/registerCapability", () => null);
    this.conn.onRequest("workspace/configuration", (p: { items: unknown[] }) => p.items.map(() => this.settings));
    this.conn.onRequest("workspace/applyEdit", (params: ApplyWorkspaceEditParams) => {
      this.edits.push(params);
      for (const change of params.edit.documentChanges ?? []) {
        const { textDocument, edits } = change as TextDocumentEdit;
        const file = fileURLToPath(textDocument.uri);
        writeFileSync(file, applyEdits(readFileSync(file, "utf8"), edits));
      }
      return { applied: true };
    });
    this.conn.listen();
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  uri(rel: string): string {
    return pathToFileURL(join(this.root, rel)).href;
  }

  async initialize(options: InitializeOptions = {}): Promise<InitializeResult> {
    const rootUri = pathToFileURL(this.root).href;
    const result = await this.conn.sendRequest<InitializeResult>("initialize", {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: "ws" }],
      capabilities: options.capabilities ?? DEFAULT_CAPABILITIES,
      initializationOptions: options.initializationOptions,
    });
    await this.conn.sendNotification("initialized", {});
    return result;
  }

  open(rel: string, text: string, version = 1): Promise<void> {
    return this.conn.sendNotification("textDocument/didOpen", { textDocument: { uri: this.uri(rel), languageId: "plaintext", version, text } });
  }

  replace(rel: string, text: string, version: number): Promise<void> {
    return this.conn.sendNotification("textDocument/didChange", { textDocument: { uri: this.uri(rel), version }, contentChanges: [{ text }] });
  }

  close(rel: string): Promise<void> {
    return this.conn.sendNotification("textDocument/didClose", { textDocument: { uri: this.uri(rel) } });
  }

  /** Calls `listener` on every publish from now on; returns the function that stops it. */
  onPublish(listener: (p: PublishDiagnosticsParams) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first publish for `uri` (already received, or to come) that passes `test`. */
  waitFor(uri: string, test: (p: PublishDiagnosticsParams) => boolean, what: string, ms = 20_000): Promise<PublishDiagnosticsParams> {
    const have = this.latest.get(uri);
    if (have && test(have)) return Promise.resolve(have);
    if (!this.alive) return Promise.reject(new Error(`the server exited (${this.exitCode}) before ${what}\n${this.stderr}`));
    return new Promise((resolve, reject) => {
      const stop = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.proc.off("exit", exited);
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; latest: ${JSON.stringify(this.latest.get(uri))}\n${this.logs.join("\n")}\n${this.stderr}`));
      }, ms);
      const exited = (code: number | null) => {
        stop();
        reject(new Error(`the server exited (${code}) before ${what}\n${this.stderr}`));
      };
      const listener = (p: PublishDiagnosticsParams) => {
        if (p.uri !== uri || !test(p)) return;
        stop();
        resolve(p);
      };
      this.listeners.add(listener);
      this.proc.once("exit", exited);
    });
  }

  /** The first publish for `uri` after this call that passes `test`. */
  nextPublish(uri: string, test: (p: PublishDiagnosticsParams) => boolean, what: string, ms?: number): Promise<PublishDiagnosticsParams> {
    this.latest.delete(uri);
    return this.waitFor(uri, test, what, ms);
  }

  /** Runs the headroom.audit command: a request the server must answer, so it proves it is up. */
  audit(): Promise<{ findings: number }> {
    return this.conn.sendRequest("workspace/executeCommand", { command: "headroom.audit", arguments: [] });
  }

  /** Bytes straight onto the server's stdin, between whole messages. */
  writeRaw(data: string | Buffer): void {
    this.proc.stdin?.write(data);
  }

  /** Resident set size of the server process in bytes (Linux /proc). */
  rss(): number {
    const status = readFileSync(`/proc/${this.proc.pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    if (kb === undefined) throw new Error("no VmRSS in /proc status");
    return Number(kb) * 1024;
  }

  async stop(): Promise<number | null> {
    if (!this.alive) return this.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => this.proc.once("exit", (code) => resolve(code)));
    try {
      await this.conn.sendRequest("shutdown");
      await this.conn.sendNotification("exit");
    } catch {
      this.proc.kill();
    }
    const code = await exited;
    this.conn.dispose();
    return code;
  }
}

/** A JSON-RPC frame with a correct Content-Length. */
export function frame(body: string): string {
  return `Content-Length: ${Buffer.byteLength(body, "utf8")}\r\n\r\n${body}`;
}
