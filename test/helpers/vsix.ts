// Builds the .vsix the way `npm run package` does (its vsce arguments, output redirected) and reads a
// zip's entry names, for the packaging test and the code-server test that installs the package.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBuilt } from "./build.ts";

const repo = join(__dirname, "..", "..");
const vsce = join(repo, "node_modules", ".bin", process.platform === "win32" ? "vsce.cmd" : "vsce");

/** Entry names from a zip's central directory (no zip64: a .vsix this size never needs it). */
export function zipEntries(zip: Buffer): string[] {
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

/** Builds dist/ if stale and packages it into `out` (a .vsix path) as `npm run package` would. */
export function packageVsix(out: string): void {
  ensureBuilt();
  const run = spawnSync(vsce, packageArgs(out), { cwd: repo, encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
  assert.equal(run.status, 0, `vsce package failed (${run.error?.message ?? run.signal ?? ""}):\n${run.stdout}\n${run.stderr}`);
  assert.ok(existsSync(out), `no .vsix at ${out}:\n${run.stdout}`);
}
