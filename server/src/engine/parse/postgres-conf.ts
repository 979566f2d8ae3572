// postgresql.conf and the postgres command line.
//
// File syntax follows the PostgreSQL 17 documentation, "Setting Parameters" (§20.1.2): one
// `name = value` per line (the `=` is optional), `#` comments, values quoted with '…' (a quote
// doubled or backslash-escaped inside), names case-insensitive, the last setting of a name
// wins. `include`, `include_if_exists` and `include_dir` are recorded, not followed.
//
// Command line follows the `postgres` reference page (PostgreSQL 17): `-c name=value`,
// `--name=value` (dashes in the name read as underscores), and the short options that set
// parameters (`-B` shared_buffers, `-N` max_connections, `-p` port, `-h` listen_addresses,
// `-k` unix_socket_directories, `-S` work_mem, `-F` fsync=off, `-l` ssl=on, `-D` data directory).
// A compose `command:` for the official image may start with the options themselves (the
// image's entrypoint adds `postgres`).

import type { Fact, ParseProblem, Span } from "../types.ts";
import { type CommandWord, subWord, valueOrigin } from "./servers.ts";
import type { SettingExpr } from "./setting-expr.ts";

export interface PostgresInclude {
  directive: "include" | "include_if_exists" | "include_dir";
  path: string;
  span: Span;
}

export interface PostgresConf {
  /** Keys are lower-case parameter names. */
  settings: Map<string, SettingExpr>;
  includes: PostgresInclude[];
  problems: ParseProblem[];
}

const BOOL_WORDS: Record<string, boolean> = { on: true, off: false, true: true, false: false, yes: true, no: false };

/** Describes a postgresql.conf value: a plain number, a boolean word, or a string (units kept). */
function valueExpr(value: string, quoted: boolean, span: Span, nameSpan: Span): SettingExpr {
  if (!quoted && /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(value)) {
    return { kind: "number", value: Number(value), span, nameSpan };
  }
  if (!quoted && /^0x[0-9a-f]+$/i.test(value)) return { kind: "number", value: Number(value), span, nameSpan };
  const lower = value.toLowerCase();
  if (lower in BOOL_WORDS) return { kind: "bool", value: BOOL_WORDS[lower], span, nameSpan };
  return { kind: "string", value, span, nameSpan };
}

const MEMORY_UNITS: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A memory or time quantity in the given base unit: bytes for memory (`128MB`), milliseconds
 * for time (`10s`). A bare number is in the parameter's own unit, so `bareUnit` says what that
 * is (e.g. 8192 bytes for shared_buffers, 1024 for work_mem). Units are case-sensitive, as in
 * PostgreSQL.
 */
export function pgQuantity(value: string | number, kind: "memory" | "time", bareUnit = 1): number | undefined {
  if (typeof value === "number") return value * bareUnit;
  const m = /^\s*([-+]?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!m[2]) return n * bareUnit;
  const unit = (kind === "memory" ? MEMORY_UNITS : TIME_UNITS)[m[2]];
  return unit === undefined ? undefined : n * unit;
}

/** Reads a postgresql.conf (or postgresql.auto.conf) file. Never throws. */
export function parsePostgresConf(text: string, file: string): PostgresConf {
  const settings = new Map<string, SettingExpr>();
  const includes: PostgresInclude[] = [];
  const problems: ParseProblem[] = [];
  const lineRe = /[^\r\n]*(\r\n|\r|\n|$)/g;
  let m: RegExpExecArray | null;
  while ((m = lineRe.exec(text)) !== null) {
    if (m[0] === "") break;
    const lineStart = m.index;
    const line = m[0].replace(/(\r\n|\r|\n)$/, "");
    readLine(line, lineStart, file, settings, includes, problems);
  }
  return { settings, includes, problems };
}

function readLine(
  line: string,
  base: number,
  file: string,
  settings: Map<string, SettingExpr>,
  includes: PostgresInclude[],
  problems: ParseProblem[],
): void {
  let i = 0;
  const skipWs = () => {
    while (i < line.length && (line[i] === " " || line[i] === "\t")) i++;
  };
  skipWs();
  if (i >= line.length || line[i] === "#") return;
  const nm = /^[A-Za-z_][A-Za-z0-9_$.]*/.exec(line.slice(i));
  if (!nm) {
    problems.push({ message: "Expected a parameter name", at: { file, start: base + i, end: base + line.length }, severity: "warning" });
    return;
  }
  const name = nm[0].toLowerCase();
  const nameSpan = { start: base + i, end: base + i + nm[0].length };
  i += nm[0].length;
  skipWs();
  if (line[i] === "=") {
    i++;
    skipWs();
  }
  let value: string;
  let quoted = false;
  const vStart = i;
  if (line[i] === "'") {
    quoted = true;
    let j = i + 1;
    value = "";
    let closed = false;
    while (j < line.length) {
      const c = line[j];
      if (c === "'" && line[j + 1] === "'") {
        value += "'";
        j += 2;
        continue;
      }
      if (c === "\\" && j + 1 < line.length) {
        const e = line[j + 1];
        value += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e === "b" ? "\b" : e === "f" ? "\f" : e;
        j += 2;
        continue;
      }
      if (c === "'") {
        closed = true;
        j++;
        break;
      }
      value += c;
      j++;
    }
    if (!closed) {
      problems.push({ message: "Unterminated quoted string", at: { file, start: base + i, end: base + line.length }, severity: "error" });
      return;
    }
    i = j;
  } else {
    const vm = /^[^\s#']*/.exec(line.slice(i)) as RegExpExecArray;
    value = vm[0];
    i += value.length;
  }
  const span = { start: base + vStart, end: base + i };
  skipWs();
  if (i < line.length && line[i] !== "#") {
    problems.push({ message: `Unexpected text after the value of ${name}`, at: { file, start: base + i, end: base + line.length }, severity: "warning" });
  }
  if (name === "include" || name === "include_if_exists" || name === "include_dir") {
    includes.push({ directive: name, path: value, span });
    return;
  }
  if (value === "" && !quoted) {
    problems.push({ message: `Missing value for ${name}`, at: { file, ...nameSpan }, severity: "warning" });
    return;
  }
  settings.set(name, valueExpr(value, quoted, span, nameSpan));
}

/** Short options of `postgres` that set a parameter, and options that take a value otherwise. */
const SHORT_PARAM: Record<string, string> = {
  B: "shared_buffers",
  N: "max_connections",
  p: "port",
  h: "listen_addresses",
  k: "unix_socket_directories",
  S: "work_mem",
  D: "data_directory",
  d: "log_min_messages",
};
const SHORT_VALUE_OTHER = new Set(["C", "o", "r", "t", "f"]);
const SHORT_FLAG_PARAM: Record<string, [string, boolean]> = { F: ["fsync", false], l: ["ssl", true] };

export interface PostgresArgs {
  /** Keys are lower-case parameter names (`-N 200` → max_connections). */
  settings: Map<string, SettingExpr>;
  /** The `postgres` word, when the command names it. */
  program?: CommandWord;
  problems: ParseProblem[];
  /** Where a value written as a variable (`max_connections=${PG_MAX}`) is set (the .env line), by parameter. */
  origins: Map<string, Fact<string>>;
}

function isPostgresProgram(value: string): boolean {
  const base = value.slice(value.lastIndexOf("/") + 1);
  return base === "postgres" || base === "postmaster";
}

/**
 * Reads postgres server options from a command's words: `postgres -c max_connections=200
 * -c shared_buffers=256MB -N 200`. Words before the program (`docker-entrypoint.sh`, `exec`,
 * `gosu postgres`) are skipped; a command that starts with an option is read as postgres
 * options (the official image's entrypoint form). Returns no settings for other commands.
 */
export function parsePostgresArgs(words: CommandWord[]): PostgresArgs {
  const settings = new Map<string, SettingExpr>();
  const problems: ParseProblem[] = [];
  let i = words.findIndex((w) => isPostgresProgram(w.value));
  const out: PostgresArgs = { settings, problems, origins: new Map() };
  if (i >= 0) {
    out.program = words[i];
    i++;
  } else if (words[0]?.value.startsWith("-")) {
    i = 0;
  } else return out;
  const file = (w: CommandWord) => w.fact.at?.file ?? "";
  const setNameValue = (w: CommandWord, from: number) => {
    const text = w.value.slice(from);
    const eq = text.indexOf("=");
    if (eq <= 0) {
      problems.push({ message: `Expected name=value, got "${text}"`, at: { file: file(w), start: w.start, end: w.end }, severity: "warning" });
      return;
    }
    const name = text.slice(0, eq).replace(/-/g, "_").toLowerCase();
    const nameWord = subWord(w, from);
    const valueWord = subWord(w, from + eq + 1);
    const nameSpan = { start: nameWord.start, end: Math.min(nameWord.start + eq, nameWord.end) };
    settings.set(name, valueExpr(valueWord.value, false, { start: valueWord.start, end: valueWord.end }, nameSpan));
    const origin = valueOrigin(w, from + eq + 1);
    if (origin) out.origins.set(name, origin);
    else out.origins.delete(name);
  };
  for (; i < words.length; i++) {
    const w = words[i];
    const s = w.value;
    if (s.startsWith("--") && s.length > 2) {
      if (s.includes("=")) setNameValue(w, 2);
      // --describe-config, --single, --boot, --check, --version: no parameter
      continue;
    }
    if (!s.startsWith("-") || s.length < 2) continue;
    const opt = s[1];
    const attached = s.length > 2 ? 2 : -1;
    if (opt === "c") {
      if (attached > 0) setNameValue(w, 2);
      else if (words[i + 1]) setNameValue(words[++i], 0);
      continue;
    }
    const flag = SHORT_FLAG_PARAM[opt];
    if (flag) {
      const span = { start: w.start, end: w.end };
      settings.set(flag[0], { kind: "bool", value: flag[1], span, nameSpan: span });
      continue;
    }
    const param = SHORT_PARAM[opt];
    if (param || SHORT_VALUE_OTHER.has(opt)) {
      const valueWord = attached > 0 ? subWord(w, 2) : words[i + 1];
      if (attached < 0) i++;
      if (!valueWord || !param) continue;
      settings.set(param, valueExpr(valueWord.value, false, { start: valueWord.start, end: valueWord.end }, { start: w.start, end: w.start + 2 }));
      const origin = attached > 0 ? valueOrigin(w, 2) : valueOrigin(valueWord, 0);
      if (origin) out.origins.set(param, origin);
      else out.origins.delete(param);
    }
  }
  return out;
}
