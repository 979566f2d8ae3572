// VS Code client: starts the Headroom language server and adds the "Audit Workspace" command.
// Activation does no work of its own: all reading and analysis happen in the server process.
import * as vscode from "vscode";
import {
  type DocumentSelector,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

interface AuditCounts {
  findings: number;
  errors: number;
  warnings: number;
  files: number;
}

const selector: DocumentSelector = [
  {
    scheme: "file",
    pattern:
      "**/{*.sh,Procfile,Dockerfile*,*.dockerfile,*compose*.y*ml,service.json,apprunner.y*ml,*.conf,.env*,gunicorn*.py,puma.rb}",
  },
  ...["shellscript", "dockerfile", "dockercompose", "yaml", "json", "nginx", "dotenv"].map((language) => ({
    scheme: "file",
    language,
  })),
];

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

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
  };
  client = new LanguageClient("headroom", "Headroom", serverOptions, clientOptions);

  // The command resolves to the counts (undefined on failure) so scripts and integration tests can read them.
  context.subscriptions.push(
    vscode.commands.registerCommand("headroom.auditWorkspace", async (): Promise<AuditCounts | undefined> => {
      if (!client) return undefined;
      try {
        const counts = (await client.sendRequest(ExecuteCommandRequest.type, {
          command: "headroom.audit",
          arguments: [],
        })) as AuditCounts | null;
        if (!counts) {
          void vscode.window.showWarningMessage("Headroom: no workspace to audit.");
          return undefined;
        }
        const detail =
          counts.findings === 0
            ? "no problems found."
            : `${plural(counts.findings, "finding")} (${plural(counts.errors, "error")}, ${plural(counts.warnings, "warning")}) in ${plural(counts.files, "file")}.`;
        void vscode.window.showInformationMessage(`Headroom: ${detail}`);
        await vscode.commands.executeCommand("workbench.actions.view.problems");
        return counts;
      } catch (err) {
        void vscode.window.showErrorMessage(`Headroom: audit failed: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    }),
  );

  await client.start();
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop();
  client = undefined;
}
