// Headroom language server: LSP wiring only. The engine (engine/audit.ts) does the analysis;
// lsp/host.ts gives it the workspace, lsp/convert.ts turns its findings into LSP objects.
import { randomBytes } from "node:crypto";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { formatWithOptions } from "node:util";
import {
  type CancellationToken,
  type CodeAction,
  CodeActionKind,
  type CodeActionParams,
  type Connection,
  createConnection,
  type Diagnostic,
  DidChangeWatchedFilesNotification,
  type DidChangeWatchedFilesParams,
  FileChangeType,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
  LSPErrorCodes,
  MarkupKind,
  ProposedFeatures,
  ResponseError,
  type TextDocumentEdit,
  TextDocumentSyncKind,
  TextDocuments,
  type WorkDoneProgressReporter,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { AuditResult } from "./engine/api.ts";
import { lineIndexOf, ParseCache } from "./engine/parse-cache.ts";
import { FIX_ALL_KIND, fixAll, quickFixes, RangeMapper, toDiagnostics } from "./lsp/convert.ts";
import type * as Engine from "./lsp/engine.ts";
import { FrameFilter } from "./lsp/framing.ts";
import { type OpenDoc, ServerHost, type Snapshot } from "./lsp/host.ts";
import { warmUp, warmUpText } from "./lsp/warm-up.ts";

/**
 * The engine (parsers, model, rules: most of this bundle) loads on first use, after `initialize`
 * has been answered: the client waits for that answer before it sends anything else.
 */
let engine: typeof Engine | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a deferred load; esbuild bundles it lazily
const loadEngine = (): typeof Engine => (engine ??= require("./lsp/engine.ts") as typeof Engine);
const isDeploymentFile = (path: string): boolean => loadEngine().isDeploymentFile(path);

const AUDIT_COMMAND = "headroom.audit";
/** Audits with progress and cancellation, returns the report's HTML: { html, root, counts }. */
const REPORT_COMMAND = "headroom.report";
/** Applies one fix of the last report: [{ finding, fix }] → { applied, reason? }. */
const APPLY_FIX_COMMAND = "headroom.applyFix";
/** Files read between two looks at the cancellation token while an audit reads the workspace. */
const READ_BATCH = 25;
/**
 * Edits wait this long for more edits before an audit starts, but only while audits are slow
 * (the last one took over FAST_AUDIT_MS): a fast audit runs as soon as the edit is in.
 */
const DEBOUNCE_MS = 150;
const FAST_AUDIT_MS = 50;

const documents = new TextDocuments(TextDocument);

/**
 * Over stdio (how every client starts it), messages pass through FrameFilter so a malformed frame costs one
 * message rather than the connection; the other transports are left to vscode-languageserver.
 */
function createStdioConnection(): Connection {
  if (!process.argv.includes("--stdio")) return createConnection(ProposedFeatures.all);
  // Both callbacks run only once messages flow, after `connection` is set.
  const input = process.stdin.pipe(new FrameFilter((m) => connection.console.warn(`headroom: input: ${m}`)));
  // Given streams, vscode-languageserver no longer routes console.* away from stdout, which carries the protocol.
  const toLog = (...args: unknown[]) => connection.console.log(formatWithOptions({}, ...args));
  Object.assign(console, { log: toLog, info: toLog, warn: toLog, error: toLog, debug: toLog, trace: toLog });
  return createConnection(ProposedFeatures.all, input, process.stdout);
}

const connection = createStdioConnection();

let root: string | undefined;
let host: ServerHost | undefined;
let watching = false;
/** Folders outside the root that workspace symlinks may lead to: the client's headroom.allowedPaths. */
let allowedDirs: string[] = [];
/** The client can answer workspace/configuration: the `headroom.*` settings are read from it. */
let canReadSettings = false;
/** The editor's `headroom.*` settings (headroom.yml's keys; headroom.yml wins key by key). */
let settings: unknown;
/** Settings problems last shown, so the same message is not repeated on every audit. */
let shownSettingsProblems = "";
/** The audit an edit scheduled, until it runs: cancelled by the next edit or a full audit. */
let scheduled: { cancel(): void } | undefined;
/** How long the last audit took (0 after the first, cold one); decides the debounce. */
let lastAuditMs = Number.POSITIVE_INFINITY;
/** Parses kept between audits: an edit re-parses the edited file only. */
const parses = new ParseCache();
/** An audit with the exact text it read, so offsets map to the lines the user saw. */
interface AuditRun {
  result: AuditResult;
  snapshots: Map<string, Snapshot>;
}
/** The latest audit (hovers explain its model) and the one the open report shows (its fixes apply). */
let latest: AuditRun | undefined;
let reported: AuditRun | undefined;
/** Files the last audit depended on beyond deployment-file names (`gunicorn -c conf/prod.py`): their edits re-audit too. */
let dependencies: ReadonlySet<string> = new Set();
/** uri -> diagnostics last published, so files that lose all findings get cleared. */
const published = new Map<string, Diagnostic[]>();
/**
 * uri -> the diagnostics last published for a file no editor has open, as JSON: the same list is not sent again. In a
 * monorepo every keystroke's audit has findings in thousands of files it did not change (docs/performance.md, item 52).
 */
const sentForClosed = new Map<string, string>();
/** Workspace-relative path -> its file: uri, for files no editor has open (the root does not change once set). */
const diskUris = new Map<string, string>();
/**
 * The warm-up (lsp/warm-up.ts) runs after an audit until it has run once to its end, and never once the user
 * has edited: from then on it would make keystrokes wait. HEADROOM_WARM_UP=0 turns it off (the bench compares).
 */
let warmUpDue = process.env.HEADROOM_WARM_UP !== "0";
/** The deployment file last opened: where the user will type first, so where the warm-up edits. */
let lastOpened: string | undefined;
let justOpened: string | undefined;
/** While a warm-up audit runs: the text it sees for one open document instead of the buffer's. */
let warmUpEdit: { rel: string; text: string } | undefined;
let userHasEdited = false;
let shuttingDown = false;

function logError(where: string, err: unknown): void {
  const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
  try {
    connection.console.error(`headroom: ${where}: ${msg}`);
  } catch {
    // the connection itself is gone; nothing left to tell
  }
}

function guard<A extends unknown[], R>(where: string, fallback: R, fn: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    try {
      return fn(...args);
    } catch (err) {
      logError(where, err);
      return fallback;
    }
  };
}

function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith("file:")) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/** Workspace-relative path with forward slashes, or undefined if outside the root. */
function toRel(abs: string): string | undefined {
  if (!root) return undefined;
  const rel = relative(root, abs);
  if (!rel || rel.startsWith("..") || isAbsolute(rel)) return undefined;
  return rel.split(sep).join("/");
}

function relOfUri(uri: string): string | undefined {
  const p = uriToPath(uri);
  return p === undefined ? undefined : toRel(p);
}

function openDocs(): Map<string, OpenDoc> {
  const out = new Map<string, OpenDoc>();
  for (const doc of documents.all()) {
    const rel = relOfUri(doc.uri);
    if (rel === undefined) continue;
    const text = warmUpEdit?.rel === rel ? warmUpEdit.text : doc.getText();
    out.set(rel, { uri: doc.uri, text, version: doc.version });
  }
  return out;
}

function ensureHost(): ServerHost | undefined {
  if (!host && root) host = new ServerHost(root, isDeploymentFile, openDocs, { allowedDirs, log: (m) => connection.console.info(`headroom: ${m}`), listingFollowsChanges: watching });
  return host;
}

/** The open document at `uri` (matched by file path, not uri spelling), if any. */
function openDocument(uri: string): TextDocument | undefined {
  const direct = documents.get(uri);
  if (direct) return direct;
  const p = uriToPath(uri);
  if (p === undefined) return undefined;
  return documents.all().find((doc) => uriToPath(doc.uri) === p);
}

const currentVersion = (uri: string): number | null => openDocument(uri)?.version ?? null;
const openText = (uri: string): string | undefined => openDocument(uri)?.getText();

/** Each rule's docs page, worked out on first use (a map of every rule per audit cost ~0.25 ms in a profile of compose edits). */
let urlsByRule: Map<string, string> | undefined;
const docsUrls = (): Map<string, string> => (urlsByRule ??= new Map(loadEngine().RULES.map((r) => [r.id, r.docsUrl])));

/** Runs the audit now and publishes diagnostics for every file with findings or previously published. */
function runAudit(): AuditRun | undefined {
  const h = ensureHost();
  if (!h || !root) return undefined;
  const base = root;
  const { host: recHost, snapshots } = h.recording();
  let result: AuditResult;
  // The first audit parses the whole workspace: its time says nothing of an edit's, which re-parses one file, so
  // it does not make the first keystroke wait (that audit's own time then decides).
  const cold = parses.size === 0;
  const started = performance.now();
  try {
    result = loadEngine().audit(recHost, { settings }, parses);
  } catch (err) {
    logError("audit", err);
    return undefined;
  } finally {
    lastAuditMs = cold ? 0 : performance.now() - started;
  }
  dependencies = new Set(result.dependencies);
  reportSettingsProblems(result.configProblems);
  const { byFile, uriOf } = diagnosticsOf(result, snapshots, h, base);
  const next = new Map<string, { diagnostics: Diagnostic[]; version: number | null }>();
  for (const [file, diagnostics] of byFile) {
    next.set(uriOf(file), { diagnostics, version: snapshots.get(file)?.version ?? null });
  }
  for (const uri of published.keys()) {
    if (!next.has(uri)) next.set(uri, { diagnostics: [], version: currentVersion(uri) });
  }
  published.clear();
  for (const [uri, { diagnostics, version }] of next) {
    if (diagnostics.length > 0) published.set(uri, diagnostics);
    if (version === null) {
      // An open document is always published: its publish tells the client that its new version was analysed.
      const json = JSON.stringify(diagnostics);
      if (sentForClosed.get(uri) === json) continue;
      if (diagnostics.length > 0) sentForClosed.set(uri, json);
      else sentForClosed.delete(uri);
    } else {
      sentForClosed.delete(uri);
    }
    const params = version === null ? { uri, diagnostics } : { uri, version, diagnostics };
    connection.sendDiagnostics(params).catch((err: unknown) => logError("sendDiagnostics", err));
  }
  latest = { result, snapshots };
  if (warmUpDue) startWarmUp(h);
  return latest;
}

function diskUri(base: string, file: string): string {
  let uri = diskUris.get(file);
  if (uri === undefined) {
    if (diskUris.size >= 100_000) diskUris.clear();
    uri = pathToFileURL(join(base, file)).href;
    diskUris.set(file, uri);
  }
  return uri;
}

/** The audit's findings as LSP diagnostics by file, and the uri each file is published under. */
function diagnosticsOf(result: AuditResult, snapshots: Map<string, Snapshot>, h: ServerHost, base: string) {
  const open = openDocs();
  const urls = docsUrls();
  const uriOf = (file: string): string => open.get(file)?.uri ?? diskUri(base, file);
  const byFile = toDiagnostics(result.findings, {
    uriOf,
    textOf: (file) => snapshots.get(file)?.text ?? h.read(file),
    versionOf: (file) => snapshots.get(file)?.version ?? open.get(file)?.version ?? null,
    docsUrl: (rule) => urls.get(rule),
    memo: parses,
  });
  return { byFile, uriOf };
}

/**
 * Warms the edit path up on the last opened document (lsp/warm-up.ts): its audits publish nothing and change
 * nothing but the parse cache, which the next audit brings up to date like after any edit.
 */
function startWarmUp(h: ServerHost): void {
  const doc = lastOpened === undefined ? undefined : openDocument(lastOpened);
  const rel = doc === undefined ? undefined : relOfUri(doc.uri);
  const edited = doc === undefined ? undefined : warmUpText(doc.getText());
  if (doc === undefined || rel === undefined || edited === undefined || !root) return;
  const { uri } = doc;
  const base = root;
  const version = doc.version;
  warmUpDue = false;
  warmUp(
    edited,
    {
      audit: (text) => {
        warmUpEdit = text === undefined ? undefined : { rel, text };
        // CPU time, not wall time: on a loaded machine wall time doubles while the audit's own cost does not,
        // and the warm-up would stop there, where cold first keystrokes are slowest.
        const started = process.cpuUsage();
        try {
          const { host: recHost, snapshots } = h.recording();
          diagnosticsOf(loadEngine().audit(recHost, { settings }, parses), snapshots, h, base);
        } finally {
          warmUpEdit = undefined;
        }
        const spent = process.cpuUsage(started);
        return (spent.user + spent.system) / 1000;
      },
      interrupted: () => {
        if (shuttingDown) return "the server is shutting down";
        if (scheduled) return "an audit is due";
        if (documents.get(uri)?.version !== version) return `${rel} changed or closed`;
        return undefined;
      },
      later: (step) => setImmediate(guard("warm-up", undefined, step)),
      done: (summary, interrupted) => {
        // Opening more files interrupts it; the audit they bring starts it again, unless the user has typed.
        if (interrupted && !userHasEdited) warmUpDue = true;
        connection.console.info(`headroom: ${summary} (${rel})`);
      },
    },
    FAST_AUDIT_MS,
  );
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The audit behind the report: reads the workspace in batches, reporting progress and giving a
 * cancellation a chance between batches, then runs the engine on what it read (one step).
 * Undefined when there is no workspace; throws RequestCancelled when cancelled.
 */
async function auditWithProgress(token: CancellationToken, progress: WorkDoneProgressReporter): Promise<AuditRun | undefined> {
  const h = ensureHost();
  if (!h) return undefined;
  cancelScheduled();
  h.invalidateAll();
  progress.begin("Headroom: auditing the workspace", 0, "listing files", true);
  try {
    const files = h.list();
    for (let i = 0; i < files.length; i++) {
      if (i % READ_BATCH === 0) {
        await nextTurn();
        if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, "audit cancelled");
        progress.report(Math.floor((i / files.length) * 80), `reading ${i} of ${files.length} files`);
      }
      h.read(files[i]);
    }
    progress.report(80, `checking ${files.length} files`);
    await nextTurn();
    if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, "audit cancelled");
    return runAudit();
  } finally {
    progress.done();
  }
}

async function report(token: CancellationToken, progress: WorkDoneProgressReporter): Promise<{ html: string; root: string; counts: ReturnType<typeof auditCounts> } | null> {
  const run = await auditWithProgress(token, progress);
  if (!run || !root) return null;
  reported = run;
  const urls = docsUrls();
  const summary = loadEngine().summarizeAudit(run.result, (file) => run.snapshots.get(file)?.text, { docsUrl: (rule) => urls.get(rule) });
  const html = loadEngine().renderHtml(summary, { nonce: randomBytes(18).toString("base64"), interactive: true, title: basename(root) });
  return { html, root: pathToFileURL(root).href, counts: auditCounts(run.result) };
}

/** What "Headroom: Audit Workspace" tells the user: findings, errors, warnings, files with findings. */
function auditCounts(result: AuditResult | undefined): { findings: number; errors: number; warnings: number; files: number } {
  const findings = result?.findings ?? [];
  return {
    findings: findings.length,
    errors: findings.filter((f) => f.severity === "error").length,
    warnings: findings.filter((f) => f.severity === "warning").length,
    files: new Set(findings.map((f) => f.at.file)).size,
  };
}

/** Applies one fix of the report on display, unless a file it edits changed since that audit. */
async function applyReportedFix(arg: unknown): Promise<{ applied: boolean; reason?: string }> {
  const run = reported;
  const h = ensureHost();
  const { finding, fix: fixIndex } = (arg ?? {}) as { finding?: unknown; fix?: unknown };
  if (!run || !h || !root) return { applied: false, reason: "no audit report to apply it from; run the audit again" };
  const fix = typeof finding === "number" && typeof fixIndex === "number" ? run.result.findings[finding]?.fixes[fixIndex] : undefined;
  if (!fix) return { applied: false, reason: "no such fix" };
  const open = openDocs();
  for (const file of new Set(fix.edits.map((e) => e.file))) {
    h.invalidateFile(file);
    const then = run.snapshots.get(file)?.text;
    if (then === undefined || h.read(file) !== then) return { applied: false, reason: `${file} changed since the audit; run it again` };
  }
  const base = root;
  const mapper = new RangeMapper((file) => run.snapshots.get(file)?.text);
  const changes = new Map<string, TextDocumentEdit>();
  for (const e of fix.edits) {
    const uri = open.get(e.file)?.uri ?? pathToFileURL(join(base, e.file)).href;
    // The text matched what the audit read, so the open version now is the one the edit is for.
    const change = changes.get(uri) ?? { textDocument: { uri, version: open.get(e.file)?.version ?? null }, edits: [] };
    change.edits.push({ range: mapper.range(e.file, e.start, e.end), newText: e.newText });
    changes.set(uri, change);
  }
  const response = await connection.workspace.applyEdit({ label: fix.title, edit: { documentChanges: [...changes.values()] } });
  if (response.applied) reported = undefined;
  return { applied: response.applied, ...(response.failureReason ? { reason: response.failureReason } : {}) };
}

function reportSettingsProblems(problems: AuditResult["configProblems"]): void {
  const text = problems.map((p) => `headroom.${p.key}: ${p.message}`).join("; ");
  if (text === shownSettingsProblems) return;
  shownSettingsProblems = text;
  if (text) void connection.window.showWarningMessage(`Headroom settings: ${text}`);
}

/** Reads the `headroom.*` settings from the client, then re-audits. */
async function refreshSettings(): Promise<void> {
  if (!canReadSettings) return;
  try {
    settings = await connection.workspace.getConfiguration({ section: "headroom", ...(root ? { scopeUri: pathToFileURL(root).href } : {}) });
  } catch (err) {
    logError("read settings", err);
  }
  schedule();
}

function cancelScheduled(): void {
  scheduled?.cancel();
  scheduled = undefined;
}

function schedule(): void {
  cancelScheduled();
  const run = guard("scheduled audit", undefined, () => {
    scheduled = undefined;
    runAudit();
  });
  if (lastAuditMs > FAST_AUDIT_MS) {
    const timeout = setTimeout(run, DEBOUNCE_MS);
    scheduled = { cancel: () => clearTimeout(timeout) };
  } else {
    // Not setTimeout(0): Node makes that at least 1 ms, added to every keystroke's latency. Two turns of the
    // event loop, as vscode-jsonrpc handles one queued message per turn: a burst of edits already read is
    // handled before the audit, which then runs once, for the last.
    const first = setImmediate(() => {
      const second = setImmediate(run);
      scheduled = { cancel: () => clearImmediate(second) };
    });
    scheduled = { cancel: () => clearImmediate(first) };
  }
}

function allowedPathsOption(options: unknown): string[] {
  const paths = (options as { allowedPaths?: unknown } | null | undefined)?.allowedPaths;
  return Array.isArray(paths) ? paths.filter((p): p is string => typeof p === "string" && isAbsolute(p)) : [];
}

/** Adopts the folder of the first opened file as the root when the client sent none. */
function adoptRootFrom(uri: string): void {
  if (root) return;
  const p = uriToPath(uri);
  if (p !== undefined) root = dirname(p);
}

connection.onInitialize((params: InitializeParams): InitializeResult => {
  try {
    const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
    if (folder) root = uriToPath(folder);
    if (!root && params.rootPath) root = params.rootPath;
    watching = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    allowedDirs = allowedPathsOption(params.initializationOptions);
    canReadSettings = params.capabilities.workspace?.configuration === true;
  } catch (err) {
    logError("initialize", err);
  }
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
      executeCommandProvider: { commands: [AUDIT_COMMAND, REPORT_COMMAND, APPLY_FIX_COMMAND] },
      hoverProvider: true,
    },
    serverInfo: { name: "headroom" },
  };
});

connection.onInitialized(
  guard("initialized", undefined, () => {
    if (watching) {
      connection.client
        .register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: "**/*" }] })
        .catch((err: unknown) => logError("register watcher", err));
    }
    if (canReadSettings) void refreshSettings();
    else if (root) schedule();
  }),
);

connection.onDidChangeConfiguration(guard("didChangeConfiguration", undefined, () => void refreshSettings()));

/** A file whose change can change the findings: a deployment file by name, or one the last audit read. */
function affectsAudit(rel: string): boolean {
  return isDeploymentFile(rel) || dependencies.has(rel);
}

function isRelevant(uri: string): boolean {
  const rel = relOfUri(uri);
  return rel !== undefined && affectsAudit(rel);
}

documents.onDidOpen(
  guard("didOpen", undefined, (e) => {
    adoptRootFrom(e.document.uri);
    justOpened = e.document.uri;
    host?.invalidateList();
    if (isRelevant(e.document.uri)) {
      lastOpened = e.document.uri;
      schedule();
    }
  }),
);

documents.onDidChangeContent(
  guard("didChange", undefined, (e) => {
    // TextDocuments reports an open as a change too, right after onDidOpen.
    if (justOpened === e.document.uri) justOpened = undefined;
    else {
      userHasEdited = true;
      warmUpDue = false;
    }
    if (isRelevant(e.document.uri)) schedule();
  }),
);

documents.onDidClose(
  guard("didClose", undefined, (e) => {
    const rel = relOfUri(e.document.uri);
    host?.invalidateList();
    if (rel !== undefined) host?.invalidateFile(rel);
    if (rel !== undefined && affectsAudit(rel)) schedule();
  }),
);

connection.onDidChangeWatchedFiles(
  guard("didChangeWatchedFiles", undefined, (params: DidChangeWatchedFilesParams) => {
    let relevant = false;
    for (const change of params.changes) {
      const rel = relOfUri(change.uri);
      if (rel === undefined) continue;
      if (change.type !== FileChangeType.Changed) host?.invalidateList();
      host?.invalidateFile(rel);
      // Deleting a directory reports only the directory.
      if (affectsAudit(rel) || change.type === FileChangeType.Deleted) relevant = true;
    }
    if (relevant) schedule();
  }),
);

connection.onCodeAction(
  guard("codeAction", [] as CodeAction[], (params: CodeActionParams): CodeAction[] => {
    const only = params.context.only;
    const wants = (kind: string): boolean =>
      !only || only.some((k) => k === kind || kind.startsWith(`${k}.`));
    const actions: CodeAction[] = [];
    if (wants(CodeActionKind.QuickFix)) {
      for (const d of params.context.diagnostics) actions.push(...quickFixes(d, currentVersion, openText));
    }
    if (only && wants(FIX_ALL_KIND)) {
      const uri = params.textDocument.uri;
      const all = published.get(uri) ?? [];
      const action = fixAll(uri, all, currentVersion, openText);
      if (action) actions.push(action);
    }
    return actions;
  }),
);

connection.onHover(
  guard("hover", null, (params: HoverParams): Hover | null => {
    const run = latest;
    const rel = relOfUri(params.textDocument.uri);
    const snapshot = rel === undefined ? undefined : run?.snapshots.get(rel);
    if (!run || rel === undefined || !snapshot) return null;
    // Only explain what the audit saw: an edit since then moves the offsets (the next audit is 150 ms away).
    const doc = documents.get(params.textDocument.uri);
    if (doc && doc.getText() !== snapshot.text) return null;
    const offset = lineIndexOf(parses, rel, snapshot.text).offset(params.position.line, params.position.character);
    const explanation = loadEngine().explainAt(run.result.model, rel, offset);
    if (!explanation) return null;
    const range = new RangeMapper(() => snapshot.text, parses).range(rel, explanation.at.start, explanation.at.end);
    return { contents: { kind: MarkupKind.Markdown, value: explanation.text }, range };
  }),
);

connection.onExecuteCommand(async (params, token, progress) => {
  try {
    if (params.command === REPORT_COMMAND) return await report(token, progress);
    if (params.command === APPLY_FIX_COMMAND) return await applyReportedFix(params.arguments?.[0]);
    if (params.command !== AUDIT_COMMAND) return null;
    cancelScheduled();
    ensureHost()?.invalidateAll();
    return auditCounts(runAudit()?.result);
  } catch (err) {
    if (err instanceof ResponseError) throw err;
    logError(`executeCommand ${params.command}`, err);
    return null;
  }
});

connection.onShutdown(() => {
  shuttingDown = true;
  cancelScheduled();
});

process.on("uncaughtException", (err) => logError("uncaught exception", err));
process.on("unhandledRejection", (err) => logError("unhandled rejection", err));

documents.listen(connection);
connection.listen();
