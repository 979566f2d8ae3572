// Bundles the extension client, the language server and the CLI into dist/ with esbuild.
import { chmodSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  minify: false,
  sourcemap: "linked",
  logLevel: "warning",
  absWorkingDir: root,
  external: ["vscode"],
  // jsonc-parser's UMD "main" does dynamic requires that a bundle cannot resolve; its ESM build is clean.
  mainFields: ["module", "main"],
};

const entries = [
  { in: "client/src/extension.ts", out: "dist/extension.js" },
  { in: "server/src/server.ts", out: "dist/server.js" },
  { in: "server/src/cli.ts", out: "dist/cli.js", cli: true },
];

const started = Date.now();
const results = await Promise.all(
  entries.map(async (e) => {
    if (!existsSync(join(root, e.in))) {
      console.warn(`build: skipping ${e.in} (not present)`);
      return false;
    }
    await build({
      ...common,
      entryPoints: [e.in],
      outfile: e.out,
      ...(e.cli ? { banner: { js: "#!/usr/bin/env node" } } : {}),
    });
    if (e.cli) chmodSync(join(root, e.out), 0o755);
    return true;
  }),
);
console.log(`build: ${results.filter(Boolean).length} bundle(s) in ${Date.now() - started} ms`);
