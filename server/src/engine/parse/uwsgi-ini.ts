// uWSGI's ini configuration (`uwsgi --ini file` or `uwsgi file.ini`), read as text: the `[uwsgi]`
// section's `key = value` lines, and bare keys as switched-on flags. uWSGI treats `-` and `_` in
// option names alike and `workers` as an alias of `processes`; both are normalised here, so the
// settings map is keyed by the long option name (`processes`, `threads`, `cheaper`, …).
// `$(VAR)` is an environment variable (no default); `%k`, the magic variable of the CPU cores uWSGI
// detects (the host's online CPUs), alone or as `%(%k * 2 + 1)`, is a count of the CPUs; other
// placeholders (`%(name)`, `@(file)`) are not resolved and read as unknown. Later lines win, as for
// repeated command-line options.
import type { ParseProblem } from "../types.ts";
import type { CpuFormula, SettingExpr } from "./setting-expr.ts";
import { readIni } from "./ini.ts";

export interface UwsgiIni {
  settings: Map<string, SettingExpr>;
  problems: ParseProblem[];
}

const ALIASES: Record<string, string> = { workers: "processes", p: "processes" };

export function parseUwsgiIni(text: string, section = "uwsgi"): UwsgiIni {
  const settings = new Map<string, SettingExpr>();
  let depth = 0;
  for (const entry of readIni(text, { configparser: false }).filter((s) => s.name.trim() === section).flatMap((s) => s.entries)) {
    const rawKey = entry.key;
    // `if-env = X` … `endif`: what is inside applies only when the condition holds.
    if (/^if-[\w-]+$/.test(rawKey) && entry.value !== undefined) {
      depth++;
      continue;
    }
    if (/^endif\b/.test(rawKey)) {
      depth = Math.max(0, depth - 1);
      continue;
    }
    const key = ALIASES[rawKey.replace(/_/g, "-")] ?? rawKey.replace(/_/g, "-");
    const nameSpan = entry.keySpan;
    const conditional = depth > 0 ? { conditional: true } : {};
    if (entry.value === undefined) settings.set(key, { kind: "bool", value: true, span: nameSpan, nameSpan, ...conditional });
    else settings.set(key, { ...describe(entry.value, entry.valueSpan, nameSpan), ...conditional });
  }
  return { settings, problems: [] };
}

function describe(value: string, span: { start: number; end: number }, nameSpan: { start: number; end: number }): SettingExpr {
  if (/^-?\d+$/.test(value)) return { kind: "number", value: Number(value), span, nameSpan };
  const env = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(value);
  if (env) return { kind: "env", envName: env[1], span, nameSpan };
  const cpuFormula = cpuCoresFormula(value);
  if (cpuFormula) return { kind: "cpu-count", cpuFormula, span, nameSpan };
  if (/[$%@]\(/.test(value)) return { kind: "unknown", span, nameSpan };
  if (/^(true|yes|on|false|no|off)$/i.test(value)) return { kind: "bool", value: /^(true|yes|on)$/i.test(value), span, nameSpan };
  return { kind: "string", value, span, nameSpan };
}

/**
 * `%k` and the placeholder math written on it: `%(%k * 2)`, `%(%k + 1)`, `%(%k * 2 + 1)`. uWSGI applies the operations in
 * the order written, which for these shapes is also the usual precedence; other expressions stay unknown.
 */
function cpuCoresFormula(value: string): CpuFormula | undefined {
  if (value === "%k") return { multiplier: 1, add: 0 };
  const math = /^%\(\s*%k(?:\s*\*\s*(\d+))?(?:\s*([+-])\s*(\d+))?\s*\)$/.exec(value);
  if (!math || (math[1] === undefined && math[2] === undefined)) return undefined;
  const add = math[3] === undefined ? 0 : Number(math[3]);
  return { multiplier: math[1] === undefined ? 1 : Number(math[1]), add: math[2] === "-" ? -add : add };
}
