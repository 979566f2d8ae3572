// VS Code client: starts the Headroom language server, and shows its audit report in a webview.
// Activation does no work of its own: reading, analysis and the report's HTML all come from the
// server; the client opens files, applies nothing itself, and counts diagnostics for the status bar.
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import {
  type DocumentSelector,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
  WorkDoneProgress,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;
let panel: vscode.WebviewPanel | undefined;
/** The folder the report on display was made for: its paths are relative to it. */
let reportRoot: vscode.Uri | undefined;

interface AuditCounts {
  findings: number;
  errors: number;
  warnings: number;
  /** Files with findings. */
  files: number;
}

/** What the server's `headroom.report` command returns. */
interface Report {
  html: string;
  /** The audited folder, as a file URI: the report's paths are relative to it. */
  root: string;
  counts: AuditCounts;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const selector: DocumentSelector = [
  {
    scheme: "file",
    pattern:
      "**/{*.sh,*.bash,Procfile,Dockerfile*,*.dockerfile,*compose*.y*ml,service.json,apprunner.y*ml,render.y*ml,fly*.toml,heroku.yml,*.conf,.env*,gunicorn*.py,puma.rb,unicorn*.rb,Makefile,*.mk,*.service}",
  },
  // python, ruby and ini: settings files a command names (gunicorn -c conf/prod.py, puma -C, uwsgi --ini) may have any
  // name; the server re-audits only for those the last audit read (AuditResult.dependencies).
  ...["shellscript", "dockerfile", "dockercompose", "yaml", "json", "nginx", "dotenv", "python", "ruby", "ini"].map((language) => ({
    scheme: "file",
    language,
  })),
];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const serverModule = context.asAbsolutePath("dist/server.js");
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.stdio },
    debug: { module: serverModule, transport: TransportKind.stdio, options: { execArgv: ["--nolazy", "--inspect=6009"] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: selector,
    diagnosticCollectionName: "headroom",
    // Machine-scoped, so a workspace's own settings cannot widen what its symlinks may read.
    initializationOptions: { allowedPaths: vscode.workspace.getConfiguration("headroom").get<string[]>("allowedPaths", []) },
    // Tells the server when a headroom.* setting changes; it then reads them (workspace/configuration).
    synchronize: { configurationSection: "headroom" },
  };
  client = new LanguageClient("headroom", "Headroom", serverOptions, clientOptions);

  const status = vscode.window.createStatusBarItem("headroom.findings", vscode.StatusBarAlignment.Left, 0);
  status.name = "Headroom";
  status.command = "headroom.auditWorkspace";
  const updateStatus = () => {
    let errors = 0;
    let others = 0;
    for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
      for (const d of diagnostics) {
        if (d.source !== "headroom") continue;
        if (d.severity === vscode.DiagnosticSeverity.Error) errors++;
        else others++;
      }
    }
    status.text = errors + others === 0 ? "$(check) Headroom" : `$(error) ${errors} $(warning) ${others} Headroom`;
    status.tooltip = `Headroom: ${plural(errors, "error")}, ${plural(others, "other finding")}. Click to open the audit report.`;
    status.show();
  };

  context.subscriptions.push(
    status,
    vscode.languages.onDidChangeDiagnostics(updateStatus),
    // The command resolves to the counts (undefined on failure or cancel) so scripts and integration tests can read them.
    vscode.commands.registerCommand("headroom.auditWorkspace", () => showReport(context)),
  );
  updateStatus();
  await client.start();
}

/** Runs the audit in the server (with progress, cancellable), shows its report and the Problems panel. */
async function showReport(context: vscode.ExtensionContext): Promise<AuditCounts | undefined> {
  const c = client;
  if (!c) return undefined;
  let report: Report | null;
  try {
    report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Auditing the workspace", cancellable: true },
      async (progress, token) => {
        const workDoneToken = randomUUID();
        let done = 0;
        const listener = c.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
          if (value.kind === "end") return;
          const increment = value.percentage !== undefined ? Math.max(0, value.percentage - done) : undefined;
          if (value.percentage !== undefined) done = value.percentage;
          progress.report({ message: value.message, increment });
        });
        try {
          return (await c.sendRequest(ExecuteCommandRequest.type, { command: "headroom.report", arguments: [], workDoneToken }, token)) as Report | null;
        } finally {
          listener.dispose();
        }
      },
    );
  } catch (err) {
    if (isCancellation(err)) void vscode.window.showInformationMessage("Headroom: audit cancelled.");
    else void vscode.window.showErrorMessage(`Headroom: audit failed: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  if (!report) {
    void vscode.window.showWarningMessage("Headroom: no workspace to audit.");
    return undefined;
  }
  const { counts } = report;
  const detail =
    counts.findings === 0
      ? "no problems found."
      : `${plural(counts.findings, "finding")} (${plural(counts.errors, "error")}, ${plural(counts.warnings, "warning")}) in ${plural(counts.files, "file")}.`;
  void vscode.window.showInformationMessage(`Headroom: ${detail}`);
  await vscode.commands.executeCommand("workbench.actions.view.problems");
  if (!panel) {
    panel = vscode.window.createWebviewPanel("headroom.report", "Headroom audit", vscode.ViewColumn.Beside, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [],
    });
    panel.onDidDispose(() => (panel = undefined), undefined, context.subscriptions);
    panel.webview.onDidReceiveMessage(
      (message: unknown) => onMessage(message, context).catch((err: unknown) => void vscode.window.showErrorMessage(`Headroom: ${err instanceof Error ? err.message : String(err)}`)),
      undefined,
      context.subscriptions,
    );
  }
  reportRoot = vscode.Uri.parse(report.root);
  panel.webview.html = report.html;
  panel.reveal(undefined, true);
  return counts;
}

function isCancellation(err: unknown): boolean {
  return err instanceof vscode.CancellationError || (typeof err === "object" && err !== null && (err as { code?: number }).code === -32800);
}

/** A workspace-relative path from the report; anything else (absolute, `..`) is refused. */
function relativePath(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "" || value.startsWith("/") || /^[a-z]:/i.test(value)) return undefined;
  const parts = value.split("/");
  return parts.some((p) => p === ".." || p === "") ? undefined : value;
}

function position(value: unknown): vscode.Position | undefined {
  const p = value as { line?: unknown; character?: unknown } | undefined;
  return Number.isInteger(p?.line) && Number.isInteger(p?.character) ? new vscode.Position(p?.line as number, p?.character as number) : undefined;
}

/** What the report's page posts (html.ts's script): open a location, apply a fix, re-run. Every field is checked. */
async function onMessage(message: unknown, context: vscode.ExtensionContext): Promise<void> {
  const m = message as { type?: unknown; file?: unknown; start?: unknown; end?: unknown; finding?: unknown; fix?: unknown };
  if (m?.type === "open") {
    const file = relativePath(m.file);
    const start = position(m.start);
    const end = position(m.end) ?? start;
    if (!file || !start || !end || !reportRoot) return;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(reportRoot, ...file.split("/")));
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(start, end) });
  } else if (m?.type === "fix" && Number.isInteger(m.finding) && Number.isInteger(m.fix) && client) {
    const result = (await client.sendRequest(ExecuteCommandRequest.type, { command: "headroom.applyFix", arguments: [{ finding: m.finding, fix: m.fix }] })) as { applied: boolean; reason?: string } | null;
    if (!result?.applied) void vscode.window.showWarningMessage(`Headroom: the fix was not applied${result?.reason ? `: ${result.reason}` : ""}.`);
    await showReport(context);
  } else if (m?.type === "refresh") {
    await showReport(context);
  }
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop();
  client = undefined;
}
