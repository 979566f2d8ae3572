// hypercorn's TOML configuration (`hypercorn --config hypercorn.toml`), read as text: the top-level
// `key = value` lines before the first [table], which is where hypercorn's settings live
// (`workers = 4`, `bind = ["0.0.0.0:8000"]`, `keep_alive_timeout = 75`). Integers, booleans and
// strings are described; anything else (arrays, inline tables, multi-line values) is unknown.
import type { SettingExpr } from "./setting-expr.ts";
import { textLines } from "./text-lines.ts";

export function parseHypercornToml(text: string): { settings: Map<string, SettingExpr> } {
  const settings = new Map<string, SettingExpr>();
  for (const { line, start: lineStart } of textLines(text)) {
    const trimmed = line.trim();
    if (trimmed.startsWith("[")) break;
    const m = /^(\s*)([A-Za-z_][\w-]*)\s*=\s*(.*?)\s*$/.exec(line.replace(/\s#[^"']*$/, ""));
    if (!m || trimmed.startsWith("#")) continue;
    const keyStart = lineStart + m[1].length;
    const nameSpan = { start: keyStart, end: keyStart + m[2].length };
    const valueStart = lineStart + line.indexOf(m[3], m[1].length + m[2].length);
    const span = { start: valueStart, end: valueStart + m[3].length };
    settings.set(m[2], describe(m[3], span, nameSpan));
  }
  return { settings };
}

function describe(value: string, span: { start: number; end: number }, nameSpan: { start: number; end: number }): SettingExpr {
  if (/^[+-]?\d+$/.test(value.replace(/_/g, ""))) return { kind: "number", value: Number(value.replace(/_/g, "")), span, nameSpan };
  if (value === "true" || value === "false") return { kind: "bool", value: value === "true", span, nameSpan };
  const quoted = /^"([^"\\]*)"$|^'([^']*)'$/.exec(value);
  if (quoted) return { kind: "string", value: quoted[1] ?? quoted[2], span, nameSpan };
  return { kind: "unknown", span, nameSpan };
}
