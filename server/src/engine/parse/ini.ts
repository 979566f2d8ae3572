// INI-style files read as text, every key and value with its place: the line reader under uWSGI's ini
// (parse/uwsgi-ini.ts) and supervisord's config (parse/supervisor.ts). Two dialects:
// - uWSGI: `key = value` or a bare key, comments on lines of their own (`#` or `;`), one line per value.
// - Python's configparser as supervisord configures it (`inline_comment_prefixes=(';', '#')`,
//   `strict=False`): `key = value` or `key: value` (the first `=` or `:`), keys lower-cased, a `;` or
//   `#` after a blank starts a comment anywhere on a line (also inside quotes: `command=bash -c 'a ; b'`
//   stops at `'a`), and a line indented deeper than its key continues the value (joined with a line
//   break; blank and comment lines inside are dropped).
import type { CharSpans } from "./shell.ts";
import { textLines } from "./text-lines.ts";

export interface Span {
  start: number;
  end: number;
}

export interface IniEntry {
  /** As written, except that configparser's dialect lower-cases it. */
  key: string;
  keySpan: Span;
  /** Undefined for a bare key (no delimiter). Continuation lines are joined with "\n". */
  value?: string;
  /** Where the value is written: exact for a one-line value, from its first to its last character otherwise. */
  valueSpan: Span;
  /** Each character's place, when the value spans several lines (undefined: it maps one to one from `valueSpan.start`). */
  charSpans?: CharSpans;
}

export interface IniSection {
  /** The text between the brackets, as written; "" for lines before any header. */
  name: string;
  nameSpan: Span;
  entries: IniEntry[];
}

export interface IniDialect {
  /** configparser: inline comments, `:` as a delimiter, continuation lines, lower-cased keys. */
  configparser: boolean;
}

export function readIni(text: string, dialect: IniDialect): IniSection[] {
  const sections: IniSection[] = [{ name: "", nameSpan: { start: 0, end: 0 }, entries: [] }];
  let open: { entry: IniEntry; indent: number; pieces: Array<{ text: string; start: number }> } | undefined;
  const close = () => {
    if (open && open.pieces.length > 1) joinContinuation(open.entry, open.pieces);
    open = undefined;
  };
  for (const { line: raw, start: lineStart } of textLines(text)) {
    const line = dialect.configparser ? withoutInlineComment(raw) : raw;
    const trimmed = line.trim();
    const indent = line.length - line.trimStart().length;
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    if (dialect.configparser && open && indent > open.indent) {
      open.pieces.push({ text: trimmed, start: lineStart + indent });
      continue;
    }
    close();
    const header = /^\[([^\]]*)\]/.exec(trimmed);
    if (header) {
      const nameStart = lineStart + indent + 1;
      sections.push({ name: header[1], nameSpan: { start: nameStart, end: nameStart + header[1].length }, entries: [] });
      continue;
    }
    const at = delimiterIndex(line, dialect);
    const rawKey = (at < 0 ? line : line.slice(0, at)).trim();
    const keyStart = lineStart + indent;
    const keySpan = { start: keyStart, end: keyStart + rawKey.length };
    const key = dialect.configparser ? rawKey.toLowerCase() : rawKey;
    const section = sections[sections.length - 1];
    if (at < 0) {
      section.entries.push({ key, keySpan, valueSpan: keySpan });
      continue;
    }
    const rawValue = line.slice(at + 1);
    const value = rawValue.trim();
    const valueStart = lineStart + at + 1 + (value === "" ? 0 : rawValue.indexOf(value));
    const entry: IniEntry = { key, keySpan, value, valueSpan: { start: valueStart, end: valueStart + value.length } };
    section.entries.push(entry);
    if (dialect.configparser) open = { entry, indent, pieces: [{ text: value, start: valueStart }] };
  }
  close();
  return sections;
}

/** configparser: the first `=` or `:` separates the key; uWSGI: the first `=`. */
function delimiterIndex(line: string, dialect: IniDialect): number {
  const eq = line.indexOf("=");
  if (!dialect.configparser) return eq;
  const colon = line.indexOf(":");
  return eq < 0 ? colon : colon < 0 ? eq : Math.min(eq, colon);
}

/** The line up to a `;` or `#` that follows a blank (Python 3's inline comments); a line starting with one is all comment. */
function withoutInlineComment(line: string): string {
  for (let i = 1; i < line.length; i++) {
    if ((line[i] === ";" || line[i] === "#") && /\s/.test(line[i - 1])) return line.slice(0, i);
  }
  return line;
}

/** A value over several lines: its pieces joined with "\n", each character placed where it is written (a break on the end of its line). */
function joinContinuation(entry: IniEntry, pieces: Array<{ text: string; start: number }>): void {
  // configparser drops the first line when it is empty (`command =` then the command indented below).
  const kept = pieces[0].text === "" ? pieces.slice(1) : pieces;
  const starts: number[] = [];
  const ends: number[] = [];
  kept.forEach((piece, i) => {
    if (i > 0) {
      const previousEnd = kept[i - 1].start + kept[i - 1].text.length;
      starts.push(previousEnd);
      ends.push(previousEnd);
    }
    for (let c = 0; c < piece.text.length; c++) {
      starts.push(piece.start + c);
      ends.push(piece.start + c + 1);
    }
  });
  const last = kept[kept.length - 1];
  entry.value = kept.map((p) => p.text).join("\n");
  entry.valueSpan = { start: kept[0].start, end: last.start + last.text.length };
  entry.charSpans = { starts, ends };
}
