import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const repo = join(__dirname, "..", "..");
const BUNDLES = ["server.js", "extension.js", "cli.js"].map((f) => join(repo, "dist", f));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Tests that run the built bundles rebuild dist/ when a bundle is missing or older than the sources. */
export function ensureBuilt(): void {
  const sources = Math.max(newestSource(join(repo, "server", "src")), newestSource(join(repo, "client", "src")));
  if (BUNDLES.some((b) => !existsSync(b) || statSync(b).mtimeMs < sources)) execSync("npm run build", { cwd: repo, stdio: "inherit" });
}
