// hypercorn's TOML configuration (`hypercorn --config hypercorn.toml`), read with parse/toml.ts: the top-level
// `key = value` settings before the first [table], which is where hypercorn's settings live
// (`workers = 4`, `bind = ["0.0.0.0:8000"]`, `keep_alive_timeout = 75`). Integers, booleans and
// strings are described; anything else (arrays, floats, inline tables) is unknown. A file that is not TOML,
// which hypercorn cannot load either, sets nothing.
import type { SettingExpr } from "./setting-expr.ts";
import { parseToml, type TomlEntry } from "./toml.ts";

export function parseHypercornToml(text: string): { settings: Map<string, SettingExpr> } {
  const settings = new Map<string, SettingExpr>();
  for (const entry of parseToml(text).entries) {
    if (!entry.inTable && entry.path.length === 1) settings.set(String(entry.path[0]), describe(entry));
  }
  return { settings };
}

function describe(entry: TomlEntry): SettingExpr {
  const span = entry.at;
  const nameSpan = entry.keyAt;
  if (entry.kind === "integer") return { kind: "number", value: Number(entry.value), span, nameSpan };
  if (entry.kind === "boolean") return { kind: "bool", value: entry.value === true, span, nameSpan };
  if (entry.kind === "string") return { kind: "string", value: String(entry.value), span, nameSpan };
  return { kind: "unknown", span, nameSpan };
}
