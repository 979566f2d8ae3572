// A Django settings module read as text for CONN_MAX_AGE, never imported. The forms read:
//   CONN_MAX_AGE = 60                                   (top level, as some projects write it)
//   "CONN_MAX_AGE": 60,                                 (inside DATABASES = {...})
//   DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
//   dj_database_url.config(conn_max_age=600)            (and .parse(...))
// with values: a number, None (persistent without limit), or an environment variable with its
// default: os.environ.get/os.getenv (through int()), django-environ's env.int/env("X", default=),
// python-decouple's config("X", default=, cast=int). Anything else is "unknown". The last
// assignment in the file wins, as Python runs it; `from .base import *` names the module it
// starts from (model/build.ts follows one level).
// Django 5.1's connection pool is read too: `"pool": True` or `"pool": {"min_size": 2, "max_size": 8}`
// inside an `"OPTIONS": {...}` dict or a `DATABASES["default"]["OPTIONS"] = {...}` assignment (a dict
// literal; its values read as CONN_MAX_AGE's are).
import { parseGunicornConf } from "./gunicorn-conf.ts";
import type { SettingExpr } from "./setting-expr.ts";

export interface DjangoSettings {
  /** CONN_MAX_AGE: seconds a connection is kept; value null means None (kept without limit). */
  connMaxAge?: SettingExpr & { none?: boolean };
  /**
   * `"OPTIONS": {"pool": ...}` (Django 5.1+, psycopg 3): each process opens a psycopg_pool ConnectionPool.
   * `enabled` is the span of the `True` or of the dict; `minSize`/`maxSize` are the dict's keys, as written.
   */
  pool?: { enabled: { start: number; end: number }; minSize?: SettingExpr; maxSize?: SettingExpr };
  /** Modules imported with `from .x import *` / `from pkg.x import *`, as written (relative ones start with "."). */
  starImports: string[];
  /** The name of the first top-level `DATABASES = …` (or `DATABASES[...] = …`): the project uses a database. */
  databases?: { start: number; end: number };
}

const ASSIGNMENT = /(?:^[ \t]*CONN_MAX_AGE[ \t]*=|["']CONN_MAX_AGE["'][ \t]*:|\[[ \t]*["']CONN_MAX_AGE["'][ \t]*\][ \t]*=|\bconn_max_age[ \t]*=)[ \t]*/gm;

export function parseDjangoSettings(text: string, file: string): DjangoSettings {
  const result: DjangoSettings = { starImports: [] };
  for (const m of text.matchAll(/^from[ \t]+([.\w]+)[ \t]+import[ \t]+\*/gm)) result.starImports.push(m[1]);
  const databases = /^DATABASES[ \t]*[=[]/m.exec(text);
  if (databases) result.databases = { start: databases.index, end: databases.index + "DATABASES".length };
  for (const m of text.matchAll(ASSIGNMENT)) {
    const start = (m.index ?? 0) + m[0].length;
    const end = expressionEnd(text, start);
    if (end <= start) continue;
    const expr = describe(text, file, start, end);
    // A comment line (# CONN_MAX_AGE = 0) is not an assignment.
    const lineStart = text.lastIndexOf("\n", m.index ?? 0) + 1;
    if (text.slice(lineStart, m.index).includes("#")) continue;
    result.connMaxAge = expr;
  }
  const pool = readPoolOption(text, file);
  if (pool) result.pool = pool;
  return result;
}

const OPTIONS_KEY = /["']OPTIONS["'](?:[ \t]*:|\][ \t]*=)[ \t]*\{/g;
const POOL_KEY = /["']pool["'][ \t]*:[ \s]*/g;

/** The last `"pool": True | {...}` inside an `"OPTIONS": {...}` dict of the file; `"pool": False` (or none) is no pool. */
function readPoolOption(text: string, file: string): DjangoSettings["pool"] {
  let found: DjangoSettings["pool"];
  for (const options of text.matchAll(OPTIONS_KEY)) {
    const open = (options.index ?? 0) + options[0].length - 1;
    const close = matchingBrace(text, open);
    const body = text.slice(open, close);
    for (const key of body.matchAll(POOL_KEY)) {
      const lineStart = text.lastIndexOf("\n", open + (key.index ?? 0)) + 1;
      if (text.slice(lineStart, open + (key.index ?? 0)).includes("#")) continue;
      const start = open + (key.index ?? 0) + key[0].length;
      if (text.startsWith("True", start)) found = { enabled: { start, end: start + 4 } };
      else if (text[start] === "{") {
        const end = matchingBrace(text, start);
        // `"pool": {}` is no pool: Django tests `not pool_options`.
        found = /^\{\s*\}$/.test(text.slice(start, end)) ? undefined : { enabled: { start, end }, ...sizes(text, file, start, end) };
      } else found = undefined;
    }
  }
  return found;
}

/** `"min_size": …` and `"max_size": …` of the dict at `start..end`. */
function sizes(text: string, file: string, start: number, end: number): { minSize?: SettingExpr; maxSize?: SettingExpr } {
  const out: { minSize?: SettingExpr; maxSize?: SettingExpr } = {};
  for (const m of text.slice(start, end).matchAll(/["'](min_size|max_size)["'][ \t]*:[ \t]*/g)) {
    const valueStart = start + (m.index ?? 0) + m[0].length;
    const valueEnd = expressionEnd(text, valueStart);
    if (valueEnd <= valueStart) continue;
    out[m[1] === "min_size" ? "minSize" : "maxSize"] = describe(text, file, valueStart, valueEnd);
  }
  return out;
}

/** The offset just after the `}` that closes the `{` at `open` (strings skipped), or the end of the text. */
export function matchingBrace(text: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  return text.length;
}

/** End of the expression at `start`: the end of the line, or a `,`/`)`/`}` outside brackets. */
export function expressionEnd(text: string, start: number): number {
  let depth = 0;
  let quote: string | undefined;
  let i = start;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) break;
      depth--;
    } else if ((c === "," && depth === 0) || (c === "\n" && depth === 0) || (c === "#" && depth === 0)) break;
  }
  let end = i;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return end;
}

/** A Python value at `start..end` of a settings file: None, an environment helper with its default, else as a gunicorn.conf.py value. */
export function describe(text: string, file: string, start: number, end: number): SettingExpr & { none?: boolean } {
  const source = text.slice(start, end);
  const span = { start, end };
  if (source === "None") return { kind: "unknown", none: true, span, nameSpan: span };
  // django-environ and python-decouple: env.int("X", default=60), env("X", default=60), config("X", default=60, cast=int)
  const helper = /^(?:env(?:\.int)?|config)\(\s*["']([A-Za-z_]\w*)["']\s*(?:,\s*default\s*=\s*(?:(None)|["']?(\d+)["']?))?[^)]*\)$/.exec(source);
  if (helper) {
    const expr: SettingExpr & { none?: boolean } = { kind: "env", envName: helper[1], span, nameSpan: span };
    if (helper[3] !== undefined) {
      const at = start + source.indexOf(helper[3], source.indexOf("default"));
      expr.envDefault = { value: helper[3], span: { start: at, end: at + helper[3].length } };
    }
    return expr;
  }
  // Everything else the way a gunicorn.conf.py value is read: the expression assigned at the start of
  // its line (`workers =` then blanks up to where it stands), everything before blanked out.
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const call = "workers =";
  if (start - lineStart < call.length + 1) return { kind: "unknown", span, nameSpan: span };
  const before = text.slice(0, lineStart).replace(/[^\n]/g, " ") + call + " ".repeat(start - lineStart - call.length);
  return parseGunicornConf(before + source, file).settings.get("workers") ?? { kind: "unknown", span, nameSpan: span };
}
