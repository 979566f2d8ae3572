// Shared helpers for the reliability tests: the fixture and example workspaces, span checks, edit application.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { AuditResult } from "../../server/src/engine/api.ts";
import { fileKind } from "../../server/src/engine/model/build.ts";
import { readFixture } from "../helpers/memory-host.ts";

export const REPO = join(__dirname, "..", "..");
/** Real configs from public repositories, one folder per kind (read-only, beside the repository). */
export const REAL_CORPUS = join(REPO, "..", "shared", "corpus", "real");

/** A name the engine recognises for each corpus folder, for files whose upstream path it would not. */
const CORPUS_NAMES: Record<string, string> = {
  apprunner: "apprunner.yaml",
  compose: "docker-compose.yml",
  dockerfile: "Dockerfile",
  env: ".env",
  gunicorn: "gunicorn.conf.py",
  nginx: "nginx.conf",
  postgres: "postgresql.conf",
  procfile: "Procfile",
  puma: "config/puma.rb",
  shell: "start.sh",
};

/**
 * Every corpus file as a one-file workspace under its upstream path (the name is
 * `<owner>__<repo>__<path with / as __>`), or under its kind's usual name when the engine would not
 * recognise that path. Empty when the corpus is absent.
 */
export function corpusWorkspaces(): Array<{ name: string; kind: string; files: Record<string, string> }> {
  if (!existsSync(REAL_CORPUS)) return [];
  const out: Array<{ name: string; kind: string; files: Record<string, string> }> = [];
  for (const kind of readdirSync(REAL_CORPUS).sort()) {
    for (const name of readdirSync(join(REAL_CORPUS, kind)).sort()) {
      const upstream = name.split("__").slice(2).join("/");
      const fallback = kind === "apprunner" && name.endsWith(".json") ? "apprunner.json" : CORPUS_NAMES[kind];
      const path = fileKind(upstream) !== undefined ? upstream : fallback;
      if (path === undefined) continue;
      out.push({ name: `corpus/${kind}/${name}`, kind, files: { [path]: readFileSync(join(REAL_CORPUS, kind, name), "utf8") } });
    }
  }
  return out;
}

/** Every folder under test/fixtures and examples/ that directly holds a file: one workspace each. */
export function allWorkspaces(): Array<{ name: string; files: Record<string, string> }> {
  const out: Array<{ name: string; files: Record<string, string> }> = [];
  const visit = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name !== "expected.txt") || entries.some((e) => e.name === "expected.txt")) {
      out.push({ name: relative(REPO, dir).split(sep).join("/"), files: readFixture(dir) });
      return;
    }
    for (const e of entries) if (e.isDirectory()) visit(join(dir, e.name));
  };
  for (const top of ["test/fixtures", "examples"]) {
    const d = join(REPO, top);
    if (existsSync(d) && statSync(d).isDirectory()) visit(d);
  }
  return out;
}

/** Problems with the ranges of an audit result against the texts it was computed from; empty when all is well. */
export function rangeProblems(result: AuditResult, textOf: (file: string) => string | undefined): string[] {
  const bad: string[] = [];
  const check = (what: string, file: string, start: number, end: number) => {
    const text = textOf(file);
    if (text === undefined) {
      bad.push(`${what}: file ${file} has no text`);
      return;
    }
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= text.length)) {
      bad.push(`${what}: ${file} [${start}, ${end}) outside 0..${text.length}`);
    }
  };
  for (const f of result.findings) {
    check(`${f.rule} at`, f.at.file, f.at.start, f.at.end);
    for (const r of f.related) check(`${f.rule} related`, r.at.file, r.at.start, r.at.end);
    for (const fix of f.fixes) for (const e of fix.edits) check(`${f.rule} edit "${fix.title}"`, e.file, e.start, e.end);
  }
  return bad;
}

/** Applies one fix's edits per file (sorted, refused if they overlap); returns the new texts. */
export function applyFix(
  edits: Array<{ file: string; start: number; end: number; newText: string }>,
  textOf: (file: string) => string | undefined,
): Map<string, string> {
  const byFile = new Map<string, typeof edits>();
  for (const e of edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  const out = new Map<string, string>();
  for (const [file, list] of byFile) {
    const text = textOf(file);
    if (text === undefined) throw new Error(`edit on a file without text: ${file}`);
    const sorted = [...list].sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].start < sorted[i - 1].end) throw new Error(`overlapping edits in ${file}: ${JSON.stringify(sorted.slice(i - 1, i + 1))}`);
    }
    let result = "";
    let at = 0;
    for (const e of sorted) {
      result += text.slice(at, e.start) + e.newText;
      at = e.end;
    }
    out.set(file, result + text.slice(at));
  }
  return out;
}
