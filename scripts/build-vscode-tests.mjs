// Bundles the VS Code integration suite (test/vscode/suite) into out/vscode-test/ for @vscode/test-electron:
// index.js (the entry VS Code loads) and one *.suite.js per suite. vscode and mocha stay external: the
// extension host provides vscode, and mocha must be the one instance index.js runs the suites with.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const suiteDir = join(root, "test", "vscode", "suite");
const entries = readdirSync(suiteDir).filter((f) => f === "index.ts" || f.endsWith(".suite.ts"));

await build({
  entryPoints: entries.map((f) => join(suiteDir, f)),
  outdir: join(root, "out", "vscode-test"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  sourcemap: "inline",
  logLevel: "warning",
  absWorkingDir: root,
  external: ["vscode", "mocha"],
});
console.log(`build-vscode-tests: ${entries.length} file(s) in out/vscode-test/`);
