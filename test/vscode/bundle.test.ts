// The VS Code integration suite (test/vscode/suite) runs in an editor: `npm run test:vscode` (desktop VS Code,
// not installable on the project's machines) and test/e2e/code-server.test.ts. On every `npm test` this
// checks that it still bundles and that its entry point loads; `tsc --noEmit` typechecks it with the rest.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";

const repo = join(__dirname, "..", "..");
const out = join(repo, "out", "vscode-test");

describe("VS Code integration suite bundle", () => {
  it("bundles index.js and one .suite.js per suite into out/vscode-test", () => {
    execFileSync(process.execPath, [join(repo, "scripts", "build-vscode-tests.mjs")], { cwd: repo, stdio: "pipe" });
    const suites = readdirSync(join(repo, "test", "vscode", "suite"))
      .filter((f) => f.endsWith(".suite.ts"))
      .map((f) => f.replace(/\.ts$/, ".js"));
    assert.ok(suites.length > 0, "at least one suite");
    const built = readdirSync(out).filter((f) => f.endsWith(".js"));
    assert.deepEqual(built.sort(), [...suites, "index.js"].sort());
    // vscode comes from the extension host; mocha must stay one instance shared by index.js and the suites.
    for (const file of suites) {
      const text = readFileSync(join(out, file), "utf8");
      assert.match(text, /require\("vscode"\)/, file);
      assert.match(text, /require\("mocha"\)/, file);
    }
  });

  it("index.js loads outside VS Code and exports run()", () => {
    const index = createRequire(__filename)(join(out, "index.js")) as { run?: unknown };
    assert.equal(typeof index.run, "function");
  });
});
