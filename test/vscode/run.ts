// `npm run test:vscode`: runs test/vscode/suite in a real VS Code with @vscode/test-electron.
// HEADROOM_VSCODE_PATH=/path/to/code uses an installed VS Code; without it @vscode/test-electron downloads
// one (HEADROOM_VSCODE_VERSION, default stable), which needs network access to VS Code's update servers.
// Not part of `npm test`: no VS Code can be installed or downloaded on the project's machines, where
// test/e2e/code-server.test.ts runs the same scenarios in code-server instead.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTests } from "@vscode/test-electron";

const repo = join(__dirname, "..", "..");

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "headroom-vscode-"));
  const workspace = join(dir, "workspace");
  cpSync(join(repo, "test", "e2e", "workspace"), workspace, { recursive: true });
  try {
    await runTests({
      extensionDevelopmentPath: repo,
      extensionTestsPath: join(repo, "out", "vscode-test", "index.js"),
      ...(process.env.HEADROOM_VSCODE_PATH
        ? { vscodeExecutablePath: process.env.HEADROOM_VSCODE_PATH }
        : { version: process.env.HEADROOM_VSCODE_VERSION ?? "stable" }),
      launchArgs: [
        workspace,
        "--disable-extensions",
        "--disable-workspace-trust",
        "--skip-welcome",
        "--user-data-dir",
        join(dir, "user-data"),
        "--extensions-dir",
        join(dir, "extensions"),
      ],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
