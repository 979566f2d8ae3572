// The human report: file:line:col, severity, rule, message, the source line with a caret,
// related locations and fixes. Fixture snapshots are rendered with it, without colour.
import type { AuditResult } from "../api.ts";
import type { SourceRef } from "../types.ts";
import { summarize } from "./json.ts";
import { plural } from "./plural.ts";
import { lineIndexes } from "./positions.ts";

export interface TextOptions {
  color?: boolean;
}

const COLORS = { error: "\x1b[31m", warning: "\x1b[33m", info: "\x1b[36m", hint: "\x1b[2m", reset: "\x1b[0m", dim: "\x1b[2m" };

export function renderText(result: AuditResult, read: (file: string) => string | undefined, options: TextOptions = {}): string {
  const index = lineIndexes(read);
  const where = (ref: SourceRef) => {
    const p = index(ref.file).position(ref.start);
    return `${ref.file}:${p.line + 1}:${p.character + 1}`;
  };
  const paint = (color: string, s: string) => (options.color ? `${color}${s}${COLORS.reset}` : s);
  const lines: string[] = [];
  for (const f of result.findings) {
    const lineIndex = index(f.at.file);
    const start = lineIndex.position(f.at.start);
    const end = lineIndex.position(f.at.end);
    lines.push(`${where(f.at)}  ${paint(COLORS[f.severity], f.severity)}  ${f.rule}  ${f.message}${f.fixes.length ? `  [${f.fixes.some((x) => x.safe) ? "safe" : "unsafe"} fix]` : ""}`);
    const source = lineIndex.lineText(start.line);
    const gutter = String(start.line + 1).padStart(4);
    const width = Math.max(1, (end.line === start.line ? end.character : source.length) - start.character);
    const shown = sourceWindow(source, start.character, width);
    lines.push(`${gutter} | ${shown.text}`);
    lines.push(`${" ".repeat(gutter.length)} | ${" ".repeat(shown.caret)}${paint(COLORS[f.severity], "^".repeat(shown.width))}`);
    for (const r of f.related) lines.push(`  related: ${where(r.at)}  ${r.message}`);
    for (const fix of f.fixes) {
      lines.push(`  fix${fix.safe ? "" : " (unsafe)"}: ${fix.title}`);
      for (const e of fix.edits) {
        const before = read(e.file)?.slice(e.start, e.end) ?? "";
        lines.push(`    ${where(e)}  ${JSON.stringify(before)} → ${JSON.stringify(e.newText)}`);
      }
    }
    lines.push("");
  }
  const s = summarize(result);
  // "info" is a severity, not a countable noun: "1 error, 3 warnings, 0 info in 2 files, 1 deployment".
  lines.push(`${plural(s.error, "error")}, ${plural(s.warning, "warning")}, ${s.info} info in ${plural(s.files, "file")}, ${plural(s.deployments, "deployment")}`);
  return `${lines.join("\n")}\n`;
}

/** Source lines longer than this are shown as a window around the finding (a minified or generated line can be megabytes). */
const MAX_SHOWN = 200;
const BEFORE_CARET = 40;

/** The part of a source line to print, with where the caret starts in it and how wide it is. */
function sourceWindow(source: string, character: number, width: number): { text: string; caret: number; width: number } {
  if (source.length <= MAX_SHOWN) return { text: source, caret: character, width };
  const from = Math.max(0, Math.min(character - BEFORE_CARET, source.length - MAX_SHOWN));
  const to = Math.min(source.length, from + MAX_SHOWN);
  const lead = from > 0 ? "…" : "";
  const text = `${lead}${source.slice(from, to)}${to < source.length ? "…" : ""}`;
  return { text, caret: lead.length + character - from, width: Math.max(1, Math.min(width, to - character)) };
}
