// Configuration: `headroom.yml` at the workspace root and the editor's `headroom.*` settings, with
// the same keys. Both are read into one tree shape (values with their source range, when there is
// a file) and checked by one validator, so a bad key is reported at its line in headroom.yml
// instead of being ignored or crashing the audit. docs/configuration.md describes the keys;
// schemas/headroom.schema.json (generated from configSchema()) lets editors validate and complete them.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { yamlSource } from "./parse/text-lines.ts";
import { YAML_TOO_DEEP, yamlErrorText, yamlTooDeepAt } from "./parse/yaml-depth.ts";
import type { Fact, SourceRef } from "./types.ts";

export const CONFIG_FILE = "headroom.yml";

export const RULE_SETTINGS = ["off", "info", "warning", "error"] as const;
export type RuleSetting = (typeof RULE_SETTINGS)[number];

/** Facts about one deployment that live outside the repository. */
export interface DeploymentFacts {
  /** Autoscaling's maximum instance count: the most instances that can run at once. */
  maxInstances?: Fact<number>;
  /** Resident memory one worker process uses, in MiB (measured in production). */
  workerMemoryMiB?: Fact<number>;
  /** How many users are expected to use the service at the same time. */
  concurrentUsers?: Fact<number>;
}

/**
 * What an environment variable sets in a deployment's connection pool (`pools.env` in headroom.yml,
 * docs/pools.md): SQLAlchemy's pool_size or max_overflow, Active Record's pool, Sidekiq's
 * concurrency; `ignore` stops Headroom reading one of its built-in names.
 */
export const POOL_ENV_ROLES = ["pool_size", "max_overflow", "activerecord_pool", "sidekiq_concurrency", "ignore"] as const;
export type PoolEnvRole = (typeof POOL_ENV_ROLES)[number];

/**
 * A rule's number that a team may reasonably tune (headroom.yml `thresholds: { <rule>: { <key>: n } }`).
 * The default is the rule's documented choice; the rule's docs page lists its thresholds.
 */
export interface ThresholdSpec {
  rule: string;
  key: string;
  default: number;
  /** Smallest accepted value; whole numbers only when `integer`. */
  minimum: number;
  integer?: boolean;
  description: string;
}

export const THRESHOLDS: readonly ThresholdSpec[] = [
  {
    rule: "server/metrics-interval-low",
    key: "min_interval_seconds",
    default: 60,
    minimum: 1,
    description: "Metrics collections closer together than this many seconds are reported (default 60: Prometheus's default scrape interval).",
  },
  {
    rule: "nginx/rlimit-nofile-low",
    key: "assumed_soft_limit",
    default: 1024,
    minimum: 1,
    integer: true,
    description: "The open-file soft limit nginx is assumed to inherit when neither worker_rlimit_nofile nor the compose service's `ulimits: nofile` states one (default 1024: Docker Engine 29+ with containerd 2.1.5+, and systemd; older Docker Engines gave containers 1048576).",
  },
  {
    rule: "workers/threads-exceed-cpu",
    key: "factor",
    default: 2,
    minimum: 1,
    description: "Threads are reported above this multiple of the server's documented threads per vCPU (gunicorn 12, Puma 5): by default above 24 per vCPU for gunicorn, 10 for Puma.",
  },
];

/** A rule's threshold: headroom.yml's value (origin "configured", with its line) or the rule's default. */
export function threshold(config: HeadroomConfig, rule: string, key: string): Fact<number> {
  return config.thresholds.get(`${rule}.${key}`) ?? { value: thresholdDefault(rule, key), origin: "default", by: "Headroom" };
}

/** The default of a threshold THRESHOLDS declares (rules quote it in their docs). */
export function thresholdDefault(rule: string, key: string): number {
  const spec = THRESHOLDS.find((t) => t.rule === rule && t.key === key);
  if (!spec) throw new Error(`no threshold ${rule}.${key}`);
  return spec.default;
}

export interface Suppression {
  rule: Fact<string>;
  /** A path glob (picomatch), relative to the workspace root. */
  file: Fact<string>;
  reason?: string;
  /** The whole entry, for reporting it when unused. */
  at?: SourceRef;
}

/**
 * The configuration rules and the model see. Every value is a Fact with origin "configured" and,
 * when it comes from headroom.yml, `at` pointing at the value, so a finding can relate to that line.
 */
export interface HeadroomConfig {
  rules: Map<string, Fact<RuleSetting>>;
  facts: DeploymentFacts & {
    /** max_connections of every database the workspace's deployments use (a managed database). */
    maxConnections?: Fact<number>;
    /** Per database: the compose service name, the postgresql.conf path, or the database's name. */
    databases: Map<string, { maxConnections?: Fact<number>; at?: SourceRef }>;
    /** Per deployment: its id (`compose:docker-compose.yml#web`), its name, or its service name (`web`). */
    deployments: Map<string, DeploymentFacts & { at?: SourceRef }>;
  };
  /** Per environment variable name: what it sets in a pool, over model/pools.ts's built-in names. */
  pools: { env: Map<string, { role: Fact<PoolEnvRole>; at?: SourceRef }> };
  /** Tuned rule thresholds by `<rule>.<key>` (THRESHOLDS); read them with threshold(). */
  thresholds: Map<string, Fact<number>>;
  include: Array<Fact<string>>;
  ignore: Array<Fact<string>>;
  suppressions: Suppression[];
}

export interface ConfigProblem {
  message: string;
  /** Where in headroom.yml; undefined for editor settings (then `key` names the setting). */
  at?: SourceRef;
  /** The dotted key path, e.g. `rules.workers/exceed-cpu`, for messages without a file position. */
  key: string;
}

export function emptyConfig(): HeadroomConfig {
  return { rules: new Map(), facts: { databases: new Map(), deployments: new Map() }, pools: { env: new Map() }, thresholds: new Map(), include: [], ignore: [], suppressions: [] };
}

// ---------------------------------------------------------------------------------------------
// One tree shape for YAML documents and plain settings objects

type Tree =
  | { kind: "map"; entries: Array<{ key: string; keyAt?: SourceRef; value: Tree }>; at?: SourceRef }
  | { kind: "seq"; items: Tree[]; at?: SourceRef }
  | { kind: "scalar"; value: unknown; at?: SourceRef };

function fromYaml(node: unknown, file: string, depth = 0): Tree {
  const at = (n: { range?: [number, number, number] | null }): SourceRef | undefined => (n.range ? { file, start: n.range[0], end: n.range[1] } : undefined);
  if (depth > 20) return { kind: "scalar", value: undefined };
  if (isMap(node)) {
    const entries: Array<{ key: string; keyAt?: SourceRef; value: Tree }> = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : keyNode ? String(keyNode) : "";
      const value = pair.value === null ? { kind: "scalar" as const, value: null, at: keyNode ? at(keyNode) : undefined } : fromYaml(pair.value, file, depth + 1);
      entries.push({ key, keyAt: keyNode ? at(keyNode) : undefined, value });
    }
    return { kind: "map", entries, at: at(node) };
  }
  if (isSeq(node)) return { kind: "seq", items: node.items.map((item) => fromYaml(item, file, depth + 1)), at: at(node) };
  if (isScalar(node)) return { kind: "scalar", value: node.value, at: at(node) };
  if (isAlias(node)) return { kind: "scalar", value: undefined, at: at(node) };
  return { kind: "scalar", value: node ?? null };
}

function fromPlain(value: unknown, depth = 0): Tree {
  if (depth > 20) return { kind: "scalar", value: undefined };
  if (Array.isArray(value)) return { kind: "seq", items: value.map((v) => fromPlain(v, depth + 1)) };
  if (typeof value === "object" && value !== null) return { kind: "map", entries: Object.entries(value).map(([key, v]) => ({ key, value: fromPlain(v, depth + 1) })) };
  return { kind: "scalar", value };
}

// ---------------------------------------------------------------------------------------------
// Validation: the keys below are the configuration; schemas/headroom.schema.json says the same.

const DEPLOYMENT_FACT_KEYS = {
  max_instances: "maxInstances",
  worker_memory_mib: "workerMemoryMiB",
  concurrent_users: "concurrentUsers",
} as const;

const TOP_KEYS = ["rules", "facts", "pools", "thresholds", "include", "ignore", "suppressions"];
/** A name a shell, compose or App Runner can set: letters, digits and `_`, not starting with a digit. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FACT_KEYS = ["max_connections", ...Object.keys(DEPLOYMENT_FACT_KEYS), "databases", "deployments"];

class Reader {
  readonly problems: ConfigProblem[] = [];
  readonly config = emptyConfig();

  constructor(private readonly knownRules: ReadonlySet<string>) {}

  problem(message: string, key: string, at?: SourceRef): void {
    this.problems.push({ message, key, at });
  }

  read(tree: Tree): void {
    if (tree.kind === "scalar" && (tree.value === null || tree.value === undefined)) return; // an empty file
    const map = this.map(tree, "", "the configuration");
    if (!map) return;
    for (const entry of map) {
      const { key, keyAt, value } = entry;
      if (key === "rules") this.readRules(value);
      else if (key === "facts") this.readFacts(value);
      else if (key === "pools") this.readPools(value);
      else if (key === "thresholds") this.readThresholds(value);
      else if (key === "include" || key === "ignore") this.readGlobs(value, key, this.config[key]);
      else if (key === "suppressions") this.readSuppressions(value);
      else this.problem(`unknown key "${key}": expected one of ${TOP_KEYS.join(", ")}`, key, keyAt);
    }
  }

  private map(tree: Tree, key: string, what: string): Array<{ key: string; keyAt?: SourceRef; value: Tree }> | undefined {
    if (tree.kind === "map") return tree.entries;
    this.problem(`${key || "the configuration"} must be a mapping of ${what}`, key, tree.at);
    return undefined;
  }

  private readRules(tree: Tree): void {
    for (const { key: id, keyAt, value } of this.map(tree, "rules", "rule ids to off, info, warning or error") ?? []) {
      const key = `rules.${id}`;
      if (!this.knownRules.has(id)) {
        this.problem(`unknown rule "${id}"${suggestRule(id, this.knownRules)}`, key, keyAt);
        continue;
      }
      if (value.kind !== "scalar" || typeof value.value !== "string" || !(RULE_SETTINGS as readonly string[]).includes(value.value)) {
        this.problem(`${key} must be one of ${RULE_SETTINGS.join(", ")}, not ${show(value)}`, key, value.at ?? keyAt);
        continue;
      }
      this.config.rules.set(id, configured(value.value as RuleSetting, value.at));
    }
  }

  private readFacts(tree: Tree): void {
    const facts = this.config.facts;
    for (const { key, keyAt, value } of this.map(tree, "facts", "facts") ?? []) {
      const path = `facts.${key}`;
      if (key === "max_connections") facts.maxConnections = this.count(value, path, keyAt);
      else if (key in DEPLOYMENT_FACT_KEYS) facts[DEPLOYMENT_FACT_KEYS[key as keyof typeof DEPLOYMENT_FACT_KEYS]] = this.count(value, path, keyAt);
      else if (key === "databases") {
        for (const db of this.map(value, path, "database names to { max_connections }") ?? []) {
          const dbPath = `${path}.${db.key}`;
          const entry: { maxConnections?: Fact<number>; at?: SourceRef } = { at: db.keyAt };
          for (const { key: k, keyAt: kAt, value: v } of this.map(db.value, dbPath, "max_connections") ?? []) {
            if (k === "max_connections") entry.maxConnections = this.count(v, `${dbPath}.${k}`, kAt);
            else this.problem(`unknown key "${k}" in ${dbPath}: expected max_connections`, `${dbPath}.${k}`, kAt);
          }
          facts.databases.set(db.key, entry);
        }
      } else if (key === "deployments") {
        for (const d of this.map(value, path, "deployment ids or names to their facts") ?? []) {
          const dPath = `${path}.${d.key}`;
          const entry: DeploymentFacts & { at?: SourceRef } = { at: d.keyAt };
          for (const { key: k, keyAt: kAt, value: v } of this.map(d.value, dPath, Object.keys(DEPLOYMENT_FACT_KEYS).join(", ")) ?? []) {
            if (k in DEPLOYMENT_FACT_KEYS) entry[DEPLOYMENT_FACT_KEYS[k as keyof typeof DEPLOYMENT_FACT_KEYS]] = this.count(v, `${dPath}.${k}`, kAt);
            else this.problem(`unknown key "${k}" in ${dPath}: expected one of ${Object.keys(DEPLOYMENT_FACT_KEYS).join(", ")}`, `${dPath}.${k}`, kAt);
          }
          facts.deployments.set(d.key, entry);
        }
      } else this.problem(`unknown key "${key}" in facts: expected one of ${FACT_KEYS.join(", ")}`, path, keyAt);
    }
  }

  private readPools(tree: Tree): void {
    for (const { key, keyAt, value } of this.map(tree, "pools", "env") ?? []) {
      if (key !== "env") {
        this.problem(`unknown key "${key}" in pools: expected env`, `pools.${key}`, keyAt);
        continue;
      }
      for (const entry of this.map(value, "pools.env", `environment variable names to ${POOL_ENV_ROLES.join(", ")}`) ?? []) {
        const path = `pools.env.${entry.key}`;
        if (!ENV_NAME.test(entry.key)) {
          this.problem(`"${entry.key}" in pools.env is not an environment variable name (letters, digits and _, not starting with a digit)`, path, entry.keyAt);
          continue;
        }
        const role = entry.value;
        if (role.kind !== "scalar" || typeof role.value !== "string" || !(POOL_ENV_ROLES as readonly string[]).includes(role.value)) {
          this.problem(`${path} must be one of ${POOL_ENV_ROLES.join(", ")}, not ${show(role)}`, path, role.at ?? entry.keyAt);
          continue;
        }
        this.config.pools.env.set(entry.key, { role: configured(role.value as PoolEnvRole, role.at), at: entry.keyAt });
      }
    }
  }

  private readThresholds(tree: Tree): void {
    const rules = [...new Set(THRESHOLDS.map((t) => t.rule))];
    for (const { key: rule, keyAt, value } of this.map(tree, "thresholds", "rule ids to their thresholds") ?? []) {
      const specs = THRESHOLDS.filter((t) => t.rule === rule);
      if (specs.length === 0) {
        this.problem(`rule "${rule}" has no thresholds: expected one of ${rules.join(", ")}`, `thresholds.${rule}`, keyAt);
        continue;
      }
      for (const { key, keyAt: at, value: v } of this.map(value, `thresholds.${rule}`, specs.map((t) => t.key).join(", ")) ?? []) {
        const path = `thresholds.${rule}.${key}`;
        const spec = specs.find((t) => t.key === key);
        if (!spec) {
          this.problem(`unknown key "${key}" in thresholds.${rule}: expected ${specs.map((t) => t.key).join(", ")}`, path, at);
          continue;
        }
        const ok = v.kind === "scalar" && typeof v.value === "number" && Number.isFinite(v.value) && v.value >= spec.minimum && (!spec.integer || Number.isInteger(v.value));
        if (!ok) {
          this.problem(`${path} must be a ${spec.integer ? "whole number" : "number"} of at least ${spec.minimum}, not ${show(v)}`, path, v.at ?? at);
          continue;
        }
        this.config.thresholds.set(`${rule}.${key}`, configured(v.value as number, v.at));
      }
    }
  }

  /** A positive whole number. */
  private count(tree: Tree, key: string, keyAt?: SourceRef): Fact<number> | undefined {
    if (tree.kind === "scalar" && typeof tree.value === "number" && Number.isInteger(tree.value) && tree.value >= 1) return configured(tree.value, tree.at);
    this.problem(`${key} must be a whole number of at least 1, not ${show(tree)}`, key, tree.at ?? keyAt);
    return undefined;
  }

  private string(tree: Tree, key: string, keyAt?: SourceRef): Fact<string> | undefined {
    if (tree.kind === "scalar" && typeof tree.value === "string" && tree.value.trim() !== "") return configured(tree.value, tree.at);
    this.problem(`${key} must be a non-empty string, not ${show(tree)}`, key, tree.at ?? keyAt);
    return undefined;
  }

  private readGlobs(tree: Tree, key: string, into: Array<Fact<string>>): void {
    if (tree.kind !== "seq") {
      this.problem(`${key} must be a list of path globs, not ${show(tree)}`, key, tree.at);
      return;
    }
    tree.items.forEach((item, i) => {
      const glob = this.string(item, `${key}[${i}]`);
      if (glob) into.push(glob);
    });
  }

  private readSuppressions(tree: Tree): void {
    if (tree.kind !== "seq") {
      this.problem(`suppressions must be a list of { rule, file, reason }, not ${show(tree)}`, "suppressions", tree.at);
      return;
    }
    tree.items.forEach((item, i) => {
      const key = `suppressions[${i}]`;
      const entries = this.map(item, key, "rule, file and reason");
      if (!entries) return;
      let rule: Fact<string> | undefined;
      let file: Fact<string> | undefined;
      let reason: string | undefined;
      let complete = true;
      for (const { key: k, keyAt, value } of entries) {
        if (k === "rule") {
          rule = this.string(value, `${key}.rule`, keyAt);
          if (rule && !this.knownRules.has(rule.value)) this.problem(`unknown rule "${rule.value}"${suggestRule(rule.value, this.knownRules)}`, `${key}.rule`, rule.at);
          if (!rule || !this.knownRules.has(rule.value)) complete = false;
        } else if (k === "file") {
          file = this.string(value, `${key}.file`, keyAt);
          if (!file) complete = false;
        } else if (k === "reason") reason = this.string(value, `${key}.reason`, keyAt)?.value;
        else this.problem(`unknown key "${k}" in ${key}: expected rule, file, reason`, `${key}.${k}`, keyAt);
      }
      const missing = ["rule", "file"].filter((k) => !entries.some((e) => e.key === k));
      if (missing.length > 0) this.problem(`${key} needs ${missing.join(" and ")}`, key, item.at);
      if (complete && rule && file) this.config.suppressions.push({ rule, file, reason, at: item.at });
    });
  }
}

function configured<T>(value: T, at: SourceRef | undefined): Fact<T> {
  return at ? { value, origin: "configured", at } : { value, origin: "configured" };
}

function show(tree: Tree): string {
  if (tree.kind === "map") return "a mapping";
  if (tree.kind === "seq") return "a list";
  return tree.value === null || tree.value === undefined ? "nothing" : JSON.stringify(tree.value);
}

/** ` (did you mean "x"?)` when one known id is close, by edit distance. */
export function suggestRule(id: string, known: Iterable<string>): string {
  const best = closest(id, known, Math.max(3, Math.floor(id.length / 4)));
  return best ? ` (did you mean "${best}"?)` : "";
}

/** The known word nearest to `word` by edit distance, if one is within `maxDistance` edits. */
export function closest(word: string, known: Iterable<string>, maxDistance: number): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  for (const k of known) {
    const d = distance(word, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length];
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** Reads headroom.yml. YAML errors and invalid keys become problems; the valid part still applies. */
export function readConfigFile(text: string, knownRules: ReadonlySet<string>, file = CONFIG_FILE): { config: HeadroomConfig; problems: ConfigProblem[] } {
  const reader = new Reader(knownRules);
  const source = yamlSource(text);
  const deep = yamlTooDeepAt(source);
  if (deep !== undefined) {
    reader.problem(`not valid YAML: ${YAML_TOO_DEEP}`, "", { file, start: deep, end: Math.min(deep + 1, text.length) });
    return { config: reader.config, problems: reader.problems };
  }
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(source, { lineCounter: new LineCounter(), uniqueKeys: true, prettyErrors: false });
  } catch (err) {
    reader.problem(`not valid YAML: ${yamlErrorText(err instanceof Error ? err.message : String(err))}`, "", { file, start: 0, end: 0 });
    return { config: reader.config, problems: reader.problems };
  }
  if (doc.errors.length > 0) {
    for (const e of doc.errors.slice(0, 5)) {
      // The parser may place an end-of-input error one past the text.
      const start = Math.min(e.pos[0], text.length);
      reader.problem(`not valid YAML: ${yamlErrorText(e.message)}`, "", { file, start, end: Math.min(Math.max(start, e.pos[1]), text.length) });
    }
    return { config: reader.config, problems: reader.problems };
  }
  reader.read(fromYaml(doc.contents, file));
  return { config: reader.config, problems: reader.problems };
}

/** Reads the editor's `headroom.*` settings (an object with the same keys; other keys such as `trace` are the client's). */
export function readConfigSettings(settings: unknown, knownRules: ReadonlySet<string>): { config: HeadroomConfig; problems: ConfigProblem[] } {
  const reader = new Reader(knownRules);
  if (typeof settings === "object" && settings !== null && !Array.isArray(settings)) {
    const relevant = Object.fromEntries(Object.entries(settings).filter(([k, v]) => TOP_KEYS.includes(k) && v !== null && v !== undefined && !isEmptyObject(v)));
    reader.read(fromPlain(relevant));
  }
  return { config: reader.config, problems: reader.problems };
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0);
}

/**
 * Editor settings, then headroom.yml over them: a key set in headroom.yml wins (per rule, per
 * fact, per database and deployment fact); lists (include, ignore, suppressions) are joined.
 */
export function mergeConfigs(settings: HeadroomConfig, file: HeadroomConfig): HeadroomConfig {
  const mergeMaps = <V extends object>(a: Map<string, V>, b: Map<string, V>) => {
    const out = new Map(a);
    for (const [k, v] of b) out.set(k, { ...out.get(k), ...Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) } as V);
    return out;
  };
  return {
    rules: new Map([...settings.rules, ...file.rules]),
    facts: {
      maxConnections: file.facts.maxConnections ?? settings.facts.maxConnections,
      maxInstances: file.facts.maxInstances ?? settings.facts.maxInstances,
      workerMemoryMiB: file.facts.workerMemoryMiB ?? settings.facts.workerMemoryMiB,
      concurrentUsers: file.facts.concurrentUsers ?? settings.facts.concurrentUsers,
      databases: mergeMaps(settings.facts.databases, file.facts.databases),
      deployments: mergeMaps(settings.facts.deployments, file.facts.deployments),
    },
    pools: { env: new Map([...settings.pools.env, ...file.pools.env]) },
    thresholds: new Map([...settings.thresholds, ...file.thresholds]),
    include: [...settings.include, ...file.include],
    ignore: [...settings.ignore, ...file.ignore],
    suppressions: [...settings.suppressions, ...file.suppressions],
  };
}
