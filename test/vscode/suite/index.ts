// Loaded inside VS Code's extension host, by @vscode/test-electron (desktop VS Code) or by
// test/e2e/code-server.test.ts (code-server's extension host): runs the mocha suites bundled beside it
// (out/vscode-test/*.suite.js). Suites are named *.suite.ts so node's test runner (npm test) skips them.
// With HEADROOM_VSCODE_TEST_RESULT set, the outcome is also written there as JSON: in code-server the
// extension host runs on the server, and that file is how the test driving the browser learns it.
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Mocha from "mocha";

export interface SuiteResult {
  passed: string[];
  failed: Array<{ title: string; error: string }>;
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 60_000, color: false });
  const suites = readdirSync(__dirname).filter((f) => f.endsWith(".suite.js")).sort();
  if (suites.length === 0) throw new Error(`no *.suite.js beside ${__filename}: run scripts/build-vscode-tests.mjs`);
  for (const file of suites) mocha.addFile(join(__dirname, file));
  const result: SuiteResult = { passed: [], failed: [] };
  await new Promise<void>((resolve) => {
    mocha
      .run()
      .on("pass", (test) => result.passed.push(test.fullTitle()))
      .on("fail", (test, err: Error) => result.failed.push({ title: test.fullTitle(), error: err.stack ?? err.message }))
      .on("end", () => resolve());
  });
  const out = process.env.HEADROOM_VSCODE_TEST_RESULT;
  if (out) writeFileSync(out, JSON.stringify(result, null, 2));
  if (result.failed.length > 0) throw new Error(`${result.failed.length} VS Code integration test(s) failed`);
}
