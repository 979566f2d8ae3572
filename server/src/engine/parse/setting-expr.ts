// The value of a setting read from a config file as text (gunicorn.conf.py, puma.rb,
// postgresql.conf), described rather than computed: a literal, an environment variable with
// its default, or a CPU-count formula. Nothing is ever evaluated; what cannot be described
// with certainty is kind "unknown".

import type { Fact, Span } from "../types.ts";

export interface CpuFormula {
  /** workers = cpu_count() * multiplier + add */
  multiplier: number;
  add: number;
  /** A floor applied with max(…, n) */
  min?: number;
  /** A cap applied with min(…, n) */
  max?: number;
  /** The multiplier is read from an environment variable; `multiplier` is its default. */
  multiplierEnv?: string;
}

/** The workers `formula` starts on a machine of `cpus` CPUs (at least 1: a server starts one worker). */
export function workersOnCpus(formula: CpuFormula, cpus: number): number {
  let n = Math.floor(formula.multiplier * cpus + formula.add);
  if (formula.min !== undefined) n = Math.max(n, formula.min);
  if (formula.max !== undefined) n = Math.min(n, formula.max);
  return Math.max(1, n);
}

/**
 * Whether `formula` starts the same count on every machine of `cpus` CPUs or more: its cap is at or below what those
 * CPUs give (tiangolo's max(cpu_count(), 2) with MAX_WORKERS 2, `min(cpu_count() * 2 + 1, 4)` from 2 CPUs up). Such a
 * count does not depend on the host. A multiplier a variable may set is not known, so its count may.
 */
export function sameOnAnyHost(formula: CpuFormula, cpus: number): boolean {
  return formula.multiplierEnv === undefined && formula.max !== undefined && workersOnCpus(formula, cpus) === workersOnCpus(formula, Number.MAX_SAFE_INTEGER);
}

/**
 * A condition on one environment variable, as a Ruby config file writes it: `if ENV["X"]` (set: Ruby reads every string
 * as true), `if ENV["X"].present?` (set and not blank), `if ENV.fetch("X", "true") == "true"` (equals, the default when unset),
 * `if Rails.env.production?` (rails-env: the environment RAILS_ENV, else RACK_ENV, names; production when neither is set,
 * as Headroom reads database.yml's section, since what it audits is deployed).
 */
export interface EnvCondition {
  envName: string;
  test: "set" | "present" | "equals" | "rails-env" | "integer";
  /** For equals: the value compared with, and the variable's default when unset (nil when none). For integer: the number compared with. */
  value?: string;
  default?: string;
  /** For integer (`ENV["X"].to_i > 0`, `ENV.fetch("X", 2).to_i >= 1`): the comparison, of the variable's `to_i` with `value`. */
  operator?: ">" | ">=" | "<" | "<=" | "==" | "!=";
  /** `unless`, an `else` branch, `!` or `!=`: the statement runs when the test fails. */
  negated: boolean;
  /** The condition as written. */
  span: Span;
  /** A further condition that must hold too: an `elsif` or `else` branch runs only when the earlier branches' tests fail. */
  and?: EnvCondition;
}

/** The environment a Rails app runs in: RAILS_ENV, else RACK_ENV, else production (what Headroom audits is deployed). */
export function railsEnvironment(env: (name: string) => string | undefined): string {
  return env("RAILS_ENV") || env("RACK_ENV") || "production";
}

/** Whether a condition holds for an environment (`env` gives undefined for an unset variable). */
export function envConditionHolds(condition: EnvCondition, env: (name: string) => string | undefined): boolean {
  const value = env(condition.envName);
  const passes =
    condition.test === "set" ? value !== undefined
    : condition.test === "present" ? value !== undefined && value.trim() !== ""
    : condition.test === "rails-env" ? railsEnvironment(env) === condition.value
    : condition.test === "integer" ? compareIntegers(rubyToI(value ?? condition.default), condition.operator ?? "==", Number(condition.value))
    : (value ?? condition.default) === condition.value;
  return passes !== condition.negated && (condition.and === undefined || envConditionHolds(condition.and, env));
}

/** Ruby's String#to_i (and nil.to_i): the leading integer after blanks, `_` between digits allowed; 0 when there is none. */
export function rubyToI(text: string | undefined): number {
  const m = /^\s*([+-]?\d+(?:_\d+)*)/.exec(text ?? "");
  return m ? Number(m[1].replace(/_/g, "")) : 0;
}

function compareIntegers(a: number, operator: NonNullable<EnvCondition["operator"]>, b: number): boolean {
  switch (operator) {
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case "==":
      return a === b;
    default:
      return a !== b;
  }
}

export interface SettingExpr {
  kind: "number" | "string" | "bool" | "env" | "cpu-count" | "unknown";
  /** For number, string and bool. */
  value?: number | string | boolean;
  /** For env: the variable read. */
  envName?: string;
  /** For env: the literal default used when the variable is unset, where it is written. */
  envDefault?: { value: string; span: Span };
  /** For env: a default that is not a literal (e.g. a CPU formula, another variable). */
  fallback?: SettingExpr;
  /** For cpu-count. */
  cpuFormula?: CpuFormula;
  /**
   * For a Ruby ternary on a test Headroom reads (`Rails.env.production? ? 6 : 0`): both values; the deployment's environment
   * picks one (settingNumber, resolveChoice). The kind is "unknown" until then.
   */
  choice?: { when: EnvCondition; yes: SettingExpr; no: SettingExpr };
  /** For list and tuple literals (gunicorn's `bind = [...]`). */
  items?: SettingExpr[];
  /** True when a conditional statement may change or set the value (the value shown is one branch). */
  conditional?: boolean;
  /** For a conditional statement whose condition reads one environment variable (`if ENV["X"]`): that test. */
  when?: EnvCondition;
  /**
   * Earlier writes of the same setting, in order, when this one is conditional (`if Rails.env.production?` … `else` …):
   * Ruby keeps the last write that runs, which depends on the environment (resolveBranches).
   */
  alternatives?: SettingExpr[];
  /** Places the value travelled through: local variables, other environment variables. */
  via?: Array<{ span: Span; note: string }>;
  /** The right-hand side (or the argument of a DSL call) as written. */
  span: Span;
  /** The setting's name as written. */
  nameSpan: Span;
}

/** A short human description of a setting's value, for messages and tests. */
export function describeSetting(e: Omit<SettingExpr, "span" | "nameSpan">): string {
  switch (e.kind) {
    case "number":
    case "bool":
      return String(e.value);
    case "string":
      return JSON.stringify(e.value);
    case "env": {
      const def = e.envDefault
        ? JSON.stringify(e.envDefault.value)
        : e.fallback
          ? describeSetting(e.fallback)
          : "unset";
      return `$${e.envName} (default ${def})`;
    }
    case "cpu-count": {
      const f = e.cpuFormula;
      if (!f) return "cpu_count";
      let s = f.multiplierEnv
        ? `cpu_count * $${f.multiplierEnv} (default ${f.multiplier})`
        : f.multiplier === 1
          ? "cpu_count"
          : `cpu_count * ${f.multiplier}`;
      if (f.add) s += f.add > 0 ? ` + ${f.add}` : ` - ${-f.add}`;
      if (f.min !== undefined) s = `max(${s}, ${f.min})`;
      if (f.max !== undefined) s = `min(${s}, ${f.max})`;
      return s;
    }
    default:
      if (e.choice) return `${describeCondition(e.choice.when)} ? ${describeSetting(e.choice.yes)} : ${describeSetting(e.choice.no)}`;
      return e.items ? `[${e.items.map(describeSetting).join(", ")}]` : "unknown";
  }
}

function describeCondition(when: EnvCondition): string {
  if (when.test === "rails-env") return `Rails.env.${when.value}?`;
  return when.test === "integer" ? `$${when.envName}.to_i ${when.operator} ${when.value}` : `$${when.envName}`;
}

/** A symbolic value while reading a file (internal to the parsers). */
export type SymVal =
  | { k: "num"; n: number; text: string; span: Span }
  | { k: "str"; s: string; span: Span }
  | { k: "bool"; b: boolean }
  | { k: "none" }
  | { k: "env"; name: string; def?: SymVal; required?: boolean; defConditional?: boolean; toI?: boolean }
  | { k: "cpu"; f: CpuFormula }
  | { k: "list"; items: SymVal[] }
  | { k: "cond"; when: EnvCondition; yes: SymVal; no: SymVal }
  | { k: "unknown" };


/** Turns a symbolic value into the SettingExpr of a setting written at `b`. */
export function symToExpr(val: SymVal, b: { span: Span; nameSpan: Span; via: Array<{ span: Span; note: string }> }, conditional = false): SettingExpr {
  const base = { span: b.span, nameSpan: b.nameSpan } as SettingExpr;
  if (b.via.length) base.via = dedupeVia(b.via);
  if (conditional) base.conditional = true;
  switch (val.k) {
    case "num":
      return { ...base, kind: "number", value: val.n };
    case "str":
      return { ...base, kind: "string", value: val.s };
    case "bool":
      return { ...base, kind: "bool", value: val.b };
    case "cpu":
      return { ...base, kind: "cpu-count", cpuFormula: val.f };
    case "env": {
      const out: SettingExpr = { ...base, kind: "env", envName: val.name };
      const def = val.def;
      if (def && (def.k === "num" || def.k === "str")) {
        out.envDefault = { value: def.k === "num" ? def.text : def.s, span: def.span };
      } else if (def && def.k === "bool") {
        out.fallback = { kind: "bool", value: def.b, span: b.span, nameSpan: b.nameSpan };
      } else if (def && def.k !== "none") {
        out.fallback = symToExpr(def, { span: b.span, nameSpan: b.nameSpan, via: [] });
      }
      if (val.defConditional && out.fallback) out.fallback.conditional = true;
      return out;
    }
    case "list":
      return { ...base, kind: "unknown", items: val.items.map((x) => symToExpr(x, { span: b.span, nameSpan: b.nameSpan, via: [] })) };
    case "cond": {
      // Each branch keeps the place its literal is written, where a finding and its fix point.
      const branch = (v: SymVal) => symToExpr(v, { span: "span" in v ? v.span : b.span, nameSpan: b.nameSpan, via: [] });
      return { ...base, kind: "unknown", choice: { when: val.when, yes: branch(val.yes), no: branch(val.no) } };
    }
    default:
      return { ...base, kind: "unknown" };
  }
}

function dedupeVia(via: Array<{ span: Span; note: string }>): Array<{ span: Span; note: string }> {
  const seen = new Set<string>();
  return via.filter((x) => {
    const key = `${x.span.start}:${x.span.end}:${x.note}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}


/**
 * A setting as a number, when it is a literal or an environment variable (looked up in `env`) with a
 * literal default, or whose default is in turn such a setting (`ENV.fetch("DB_POOL") { ENV.fetch("RAILS_MAX_THREADS") { 5 } }`).
 */
export function settingNumber(setting: SettingExpr, file: string, env: (name: string) => Fact<string> | undefined): Fact<number> | undefined {
  if (setting.choice) return settingNumber(resolveChoice(setting, (name) => env(name)?.value), file, env);
  if (setting.kind === "number" && typeof setting.value === "number") return { value: setting.value, origin: "stated", at: { file, ...setting.span } };
  if (setting.kind === "env" && setting.envName) {
    const fromEnv = env(setting.envName);
    if (fromEnv && Number.isFinite(Number(fromEnv.value))) return { ...fromEnv, value: Number(fromEnv.value) };
    if (setting.envDefault && Number.isFinite(Number(setting.envDefault.value))) return { value: Number(setting.envDefault.value), origin: "stated", at: { file, ...setting.envDefault.span } };
    if ((setting.fallback?.kind === "env" || setting.fallback?.choice) && !setting.fallback.conditional) return settingNumber(setting.fallback, file, env);
  }
  return undefined;
}

/**
 * The settings as an environment runs them: for a setting written in several branches, the last write whose condition holds
 * (none: not set), when every write's condition is one Headroom reads; otherwise the setting as read (the last write).
 */
export function resolveBranches(settings: Map<string, SettingExpr>, env: (name: string) => string | undefined): Map<string, SettingExpr> {
  let out: Map<string, SettingExpr> | undefined;
  for (const [key, setting] of settings) {
    if (!setting.alternatives) continue;
    const writes = [...setting.alternatives, setting];
    if (writes.some((w) => w.conditional && !w.when)) continue;
    const runs = writes.filter((w) => !w.conditional || (w.when && envConditionHolds(w.when, env))).pop();
    out ??= new Map(settings);
    if (runs) out.set(key, runs);
    else out.delete(key);
  }
  return out ?? settings;
}

/** The branch of a ternary (`Rails.env.production? ? 6 : 0`) that `env` takes, nested ones too; any other setting as it is. */
export function resolveChoice(setting: SettingExpr, env: (name: string) => string | undefined): SettingExpr {
  let out = setting;
  while (out.choice) out = envConditionHolds(out.choice.when, env) ? out.choice.yes : out.choice.no;
  return out;
}
