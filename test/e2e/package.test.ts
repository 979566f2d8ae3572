// Packaging: runs vsce with the arguments of the `package` script (output redirected to a temp dir) and
// checks what goes into the .vsix by reading the zip's central directory (no unzip, no new dependency).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { packageVsix, zipEntries } from "../helpers/vsix.ts";

const MAX_BYTES = 1024 * 1024;

describe("VS Code extension package (.vsix)", () => {
  let dir: string;
  let vsix: string;
  let entries: string[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "headroom-vsix-"));
    vsix = join(dir, "headroom.vsix");
    packageVsix(vsix);
    entries = zipEntries(readFileSync(vsix));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`is smaller than ${MAX_BYTES / 1024} KB`, () => {
    const size = statSync(vsix).size;
    assert.ok(size < MAX_BYTES, `${vsix} is ${size} bytes`);
  });

  it("contains the server, the client and the manifest", () => {
    for (const name of ["extension/dist/server.js", "extension/dist/extension.js", "extension/package.json", "extension.vsixmanifest"]) {
      assert.ok(entries.includes(name), `${name} missing from ${entries.join(", ")}`);
    }
    assert.ok(entries.includes("extension/syntaxes/nginx.tmLanguage.json"), "the nginx grammar the manifest points at");
    assert.ok(
      entries.some((e) => e.startsWith("extension/docs/rules/")),
      "rule docs",
    );
  });

  it("contains no dependencies, sources, tests, source maps or examples", () => {
    const forbidden = [/(^|\/)node_modules\//, /^extension\/test\//, /^extension\/server\//, /^extension\/client\//, /^extension\/scripts\//, /^extension\/examples\//, /\.map$/, /\.ts$/, /\.vsix$/];
    const bad = entries.filter((e) => forbidden.some((f) => f.test(e)));
    assert.deepEqual(bad, []);
  });

  it("ships only the files .vscodeignore lets through", () => {
    const allowed = [
      /^extension\.vsixmanifest$/,
      /^\[Content_Types\]\.xml$/,
      /^extension\/package\.json$/,
      /^extension\/(readme|changelog)\.md$/,
      /^extension\/LICENSE(\.txt)?$/,
      /^extension\/dist\/[^/]+\.js$/,
      /^extension\/syntaxes\/[^/]+\.json$/,
      /^extension\/docs\/rules\/[^/]+\.md$/,
    ];
    const other = entries.filter((e) => !allowed.some((a) => a.test(e)));
    assert.deepEqual(other, []);
  });
});
