// Runs every test/**/*.test.ts with node's test runner (Node 20's --test does not expand globs).
// Extra arguments narrow the run: `npm test -- test/unit` or a file path.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["test"];
const files = [];
const walk = (path) => {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) if (entry !== "fixtures" && entry !== "node_modules") walk(join(path, entry));
  } else if (path.endsWith(".test.ts")) files.push(path);
};
for (const root of roots) walk(root);
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
