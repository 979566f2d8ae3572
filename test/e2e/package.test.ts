// Packaging: runs vsce with the arguments of the `package` script (output redirected to a temp dir) and
// checks what goes into the .vsix by reading the zip's central directory (no unzip, no new dependency).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureBuilt } from "../helpers/build.ts";

const repo = join(__dirname, "..", "..");
const vsce = join(repo, "node_modules", ".bin", process.platform === "win32" ? "vsce.cmd" : "vsce");
const MAX_BYTES = 1024 * 1024;


/** Entry names from a zip's central directory (no zip64: a .vsix this size never needs it). */
function zipEntries(zip: Buffer): string[] {
  const EOCD = 0x06054b50;
  const CDH = 0x02014b50;
  let eocd = -1;
  // The end record is 22 bytes plus a comment of at most 65535 bytes.
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("not a zip: no end of central directory record");
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== CDH) throw new Error(`bad central directory header at ${at}`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    names.push(zip.toString("utf8", at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

/** The `package` script's arguments, with the value of --out replaced by `out`. */
function packageArgs(out: string): string[] {
  const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  const script = manifest.scripts?.package;
  assert.ok(script, 'package.json has a "package" script');
  const words = script.trim().split(/\s+/);
  assert.deepEqual(words.slice(0, 2), ["vsce", "package"], `"package" runs vsce package: ${script}`);
  const args = words.slice(1);
  const i = args.indexOf("--out");
  if (i >= 0) args.splice(i, 2);
  assert.ok(args.includes("--no-dependencies"), "dist/ bundles are self-contained: --no-dependencies");
  return [...args, "--out", out];
}

describe("VS Code extension package (.vsix)", () => {
  let dir: string;
  let vsix: string;
  let entries: string[];

  before(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "headroom-vsix-"));
    vsix = join(dir, "headroom.vsix");
    const run = spawnSync(vsce, packageArgs(vsix), { cwd: repo, encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
    assert.equal(run.status, 0, `vsce package failed (${run.error?.message ?? run.signal ?? ""}):\n${run.stdout}\n${run.stderr}`);
    assert.ok(existsSync(vsix), `no .vsix at ${vsix}:\n${run.stdout}`);
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
