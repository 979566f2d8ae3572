// Packaging: runs vsce with the arguments of the `package` script (output redirected to a temp dir) and
// checks what goes into the .vsix by reading the zip's central directory (no unzip, no new dependency).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { packageVsix, zipEntries } from "../helpers/vsix.ts";

const repo = join(__dirname, "..", "..");
const MAX_BYTES = 1024 * 1024;

interface Manifest {
  main: string;
  icon?: string;
  contributes: {
    languages?: Array<{ configuration?: string }>;
    grammars?: Array<{ path: string }>;
    yamlValidation?: Array<{ url: string }>;
    jsonValidation?: Array<{ url: string }>;
  };
}

/** Package-relative files the manifest refers to (schemas given by URL are not files). */
function manifestFiles(m: Manifest): string[] {
  const c = m.contributes;
  const paths = [
    m.main,
    m.icon,
    ...(c.languages ?? []).map((l) => l.configuration),
    ...(c.grammars ?? []).map((g) => g.path),
    ...[...(c.yamlValidation ?? []), ...(c.jsonValidation ?? [])].map((v) => v.url),
  ];
  return paths.filter((p): p is string => p !== undefined && !/^[a-z]+:/.test(p)).map((p) => p.replace(/^\.\//, ""));
}

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
    assert.ok(entries.includes("extension/schemas/headroom.schema.json"), "the headroom.yml schema the manifest points at");
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

  it("ships exactly the runtime files: bundles, what the manifest points at, rule docs, README, CHANGELOG, LICENSE", () => {
    const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as Manifest;
    const expected = new Set([
      "extension.vsixmanifest",
      "[Content_Types].xml",
      "extension/package.json",
      "extension/readme.md",
      "extension/changelog.md",
      "extension/LICENSE.txt",
      "extension/dist/extension.js",
      "extension/dist/server.js",
      ...manifestFiles(manifest).map((f) => `extension/${f}`),
      ...readdirSync(join(repo, "docs", "rules")).map((f) => `extension/docs/rules/${f}`),
    ]);
    assert.deepEqual([...entries].sort(), [...expected].sort());
  });
});
