// Rails' config/database.yml, read as text. Rails runs it through ERB before parsing the YAML;
// Headroom never evaluates the ERB: each `<%= … %>` tag is read as one Ruby expression
// (`ENV.fetch("RAILS_MAX_THREADS") { 5 }` → that variable, default 5), `<% … %>` control tags
// and `<%# … %>` comments are blanked out, and offsets stay those of the file.
import { type Document, isMap, parseDocument } from "yaml";
import type { ParseProblem, Span } from "../types.ts";
import { mapGet, scalar } from "./compose.ts";
import { yamlSource } from "./text-lines.ts";
import { YAML_TOO_DEEP, yamlErrorText, yamlTooDeepAt } from "./yaml-depth.ts";
import { parseRubyCondition, parseRubyExpression } from "./puma-rb.ts";
import { type EnvCondition, envConditionHolds, type SettingExpr } from "./setting-expr.ts";

export interface DatabaseYmlEnvironment {
  /** Active Record's pool size for this environment (`pool:`), as written. */
  pool?: SettingExpr;
  /** The `url:` key, when the environment names its database by URL. */
  url?: SettingExpr;
  /**
   * A three-tier section's other databases (Rails 8's cache, queue, cable): each is a pool of its own in every process
   * that uses it. `sameServer` when its `url`, `host` and `port` are written as the primary's (the same text, often
   * through `<<: *primary_production`, or absent from both), so that it counts against the same server. Replicas
   * (`replica: true`) are left out.
   */
  databases?: Array<{ name: string; nameSpan: Span; pool?: SettingExpr; sameServer: boolean }>;
  /**
   * The pool in Sidekiq's own process when `pool:` is `<%= Sidekiq.server? ? A : B %>` (A there; `pool` is B, what
   * every other process gets): Sidekiq.server? is true only in the process the sidekiq command starts.
   */
  sidekiqPool?: SettingExpr;
}

export interface DatabaseYml {
  file: string;
  /** Top-level sections (development, test, production, …); a three-tier section's `primary` database. */
  environments: Map<string, DatabaseYmlEnvironment>;
  problems: ParseProblem[];
}

export interface ErbTag {
  start: number;
  end: number;
  /** The Ruby expression of an output tag (`<%= expr %>`). */
  expr?: Span;
}

export function parseDatabaseYml(text: string, file: string): DatabaseYml {
  const result: DatabaseYml = { file, environments: new Map(), problems: [] };
  const erb = parseErbYaml(text, file, result.problems);
  if (!erb || !isMap(erb.doc.contents)) return result;
  // `<% if Rails.env.production? %>` … `<% else %>` …: ERB runs in the environment whose section Rails reads, so each
  // section is read from the text as that environment renders it.
  const branches = text.includes("Rails.env") ? erbBranches(yamlSource(text), erb.tags) : [];
  for (const pair of erb.doc.contents.items) {
    const name = scalar(pair.key);
    if (!name) continue;
    const rendered = branches.length > 0 ? parseErbYaml(text, file, [], erbSkipped(branches, name.value)) : erb;
    if (!rendered || !isMap(rendered.doc.contents)) continue;
    const { doc, tags } = rendered;
    let section = mapGet(doc, doc.contents, name.value);
    // Rails 6+ multiple databases: `production: { primary: {...}, cache: {...} }`.
    let others: DatabaseYmlEnvironment["databases"];
    if (isMap(section) && !mapGet(doc, section, "adapter") && !mapGet(doc, section, "pool") && !mapGet(doc, section, "url") && isMap(mapGet(doc, section, "primary"))) {
      const tiers = section;
      const primary = mapGet(doc, tiers, "primary");
      // Where a database's server is written: the same source text as the primary's means the same server.
      const serverOf = (entry: unknown) => ["url", "host", "port"].map((key) => {
        const range = mapGet(doc, entry, key)?.range;
        return range ? text.slice(range[0], range[1]) : "";
      }).join("\u0000");
      others = tiers.items.flatMap((pair) => {
        const key = scalar(pair.key);
        const entry = key && key.value !== "primary" ? mapGet(doc, tiers, key.value) : undefined;
        if (!key || !isMap(entry) || scalar(mapGet(doc, entry, "replica"))?.value === "true") return [];
        const pool = erbValue(doc, entry, "pool", text, file, tags);
        return [{ name: key.value, nameSpan: { start: key.start, end: key.end }, ...(pool ? { pool } : {}), sameServer: serverOf(entry) === serverOf(primary) }];
      });
      section = primary;
    }
    if (!isMap(section)) continue;
    const env: DatabaseYmlEnvironment = others && others.length > 0 ? { databases: others } : {};
    const split = sidekiqServerPools(doc, section, text, file, tags);
    const pool = split ? split.elsewhere : erbValue(doc, section, "pool", text, file, tags);
    if (pool) env.pool = pool;
    if (split?.inSidekiq) env.sidekiqPool = split.inSidekiq;
    const url = erbValue(doc, section, "url", text, file, tags);
    if (url) env.url = url;
    result.environments.set(name.value, env);
  }
  return result;
}

/**
 * A YAML file that its tool runs through ERB first (database.yml, sidekiq.yml): output tags become a
 * plain scalar of the same length and the others blanks, so offsets stay the file's. Undefined (and a
 * problem) when the YAML does not parse.
 */
export function parseErbYaml(written: string, file: string, problems: ParseProblem[], skipped: Span[] = []): { doc: Document.Parsed; tags: ErbTag[] } | undefined {
  const text = yamlSource(written);
  const tags = erbTags(text);
  let yamlText = "";
  let last = 0;
  for (const tag of tags) {
    const filler = tag.expr ? "_" : " ";
    yamlText += text.slice(last, tag.start) + text.slice(tag.start, tag.end).replace(/[^\n]/g, filler);
    last = tag.end;
  }
  yamlText += text.slice(last);
  // Branches the environment does not run: blanked, offsets kept.
  for (const span of skipped) yamlText = yamlText.slice(0, span.start) + yamlText.slice(span.start, span.end).replace(/[^\n]/g, " ") + yamlText.slice(span.end);
  const deep = yamlTooDeepAt(yamlText);
  if (deep !== undefined) {
    problems.push({ message: `YAML: ${YAML_TOO_DEEP}`, at: { file, start: deep, end: Math.min(deep + 1, text.length) }, severity: "error" });
    return undefined;
  }
  let doc: Document.Parsed;
  try {
    doc = parseDocument(yamlText, { merge: true, uniqueKeys: false, prettyErrors: false });
  } catch (err) {
    problems.push({ message: `cannot read YAML: ${yamlErrorText(String(err))}`, at: { file, start: 0, end: 0 }, severity: "error" });
    return undefined;
  }
  for (const e of doc.errors) {
    problems.push({ message: `YAML (after blanking ERB tags): ${yamlErrorText(e.message)}`, at: { file, start: Math.min(e.pos[0], text.length), end: Math.min(e.pos[1], text.length) }, severity: "error" });
  }
  return doc.errors.length > 0 ? undefined : { doc, tags };
}

/** The value of `key` in a map of an ERB YAML file: a number, a string, or the Ruby expression of its ERB tag. */
export function erbValue(doc: Document.Parsed, section: unknown, key: string, text: string, file: string, tags: ErbTag[]): SettingExpr | undefined {
  const node = scalar(mapGet(doc, section, key));
  if (!node) return undefined;
  const span = { start: node.start, end: node.end };
  const tag = tags.find((t) => t.expr && t.start < node.end && t.end > node.start);
  if (tag?.expr) return parseRubyExpression(text, file, tag.expr.start, tag.expr.end) ?? { kind: "unknown", span, nameSpan: span };
  const n = Number(node.value);
  if (node.value.trim() !== "" && Number.isFinite(n)) return { kind: "number", value: n, span, nameSpan: span };
  return { kind: "string", value: node.value, span: node.quoted ? { start: node.start + 1, end: node.end - 1 } : span, nameSpan: span };
}

/**
 * `pool: <%= Sidekiq.server? ? A : B %>` (a form Sidekiq's issue tracker passed around: the job threads' pool in the
 * Sidekiq process, the web threads' elsewhere), read as its two branches; undefined for any other pool.
 */
function sidekiqServerPools(doc: Document.Parsed, section: unknown, text: string, file: string, tags: ErbTag[]): { inSidekiq?: SettingExpr; elsewhere?: SettingExpr } | undefined {
  const node = scalar(mapGet(doc, section, "pool"));
  const expr = node && tags.find((t) => t.expr && t.start < node.end && t.end > node.start)?.expr;
  if (!expr) return undefined;
  const test = /^Sidekiq\.server\?\s*\?\s*/.exec(text.slice(expr.start, expr.end));
  if (!test) return groupedSidekiqServerPools(text, file, expr);
  const thenStart = expr.start + test[0].length;
  const colon = ternaryColon(text, thenStart, expr.end);
  if (colon === undefined) return undefined;
  const branch = (start: number, end: number) => {
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
    return start < end ? parseRubyExpression(text, file, start, end) : undefined;
  };
  return { inSidekiq: branch(thenStart, colon), elsewhere: branch(colon + 1, expr.end) };
}

/**
 * `ENV["DB_POOL"] || (if Sidekiq.server? then Sidekiq.default_configuration[:concurrency] else ENV['MAX_THREADS'] end) || 5`
 * (Mastodon's database.yml), or the same group as a ternary in parentheses: each process reads the whole expression with
 * its branch kept in the group and the rest of the group blanked, so offsets stay the file's.
 */
function groupedSidekiqServerPools(text: string, file: string, expr: Span): { inSidekiq?: SettingExpr; elsewhere?: SettingExpr } | undefined {
  // A pool expression is a line; the Ruby reader's cost grows with nesting, so a deeply nested wall of text is not read twice.
  if (expr.end - expr.start > MAX_GROUPED_EXPRESSION) return undefined;
  const opener = /\(\s*(?:if\s+Sidekiq\.server\?\s+then\s|Sidekiq\.server\?\s*\?\s)/.exec(text.slice(expr.start, expr.end));
  if (!opener) return undefined;
  const open = expr.start + opener.index;
  const branchesStart = open + opener[0].length;
  const close = closingParen(text, open, expr.end);
  if (close === undefined) return undefined;
  let yes: Span;
  let no: Span;
  if (opener[0].includes("if")) {
    // `then A else B end`, neither branch holding a block of its own.
    const body = text.slice(branchesStart, close);
    const tail = /\selse\s([\s\S]*?)\send\s*$/.exec(body);
    if (!tail || NESTED_BLOCK.test(body.slice(0, tail.index)) || NESTED_BLOCK.test(tail[1])) return undefined;
    yes = { start: branchesStart, end: branchesStart + tail.index };
    // One blank, "else", one blank: B starts 6 characters into the match.
    const noStart = branchesStart + tail.index + 6;
    no = { start: noStart, end: noStart + tail[1].length };
  } else {
    const colon = ternaryColon(text, branchesStart, close);
    if (colon === undefined) return undefined;
    yes = { start: branchesStart, end: colon };
    no = { start: colon + 1, end: close };
  }
  const blank = (from: number, to: number) => text.slice(from, to).replace(/[^\n]/g, " ");
  const keeping = (kept: Span) => text.slice(0, open + 1) + blank(open + 1, kept.start) + text.slice(kept.start, kept.end) + blank(kept.end, close) + text.slice(close);
  return { inSidekiq: parseRubyExpression(keeping(yes), file, expr.start, expr.end), elsewhere: parseRubyExpression(keeping(no), file, expr.start, expr.end) };
}

const MAX_GROUPED_EXPRESSION = 500;
const NESTED_BLOCK = /\b(if|unless|case|begin|do|else|elsif|end)\b/;

/** The `)` closing the `(` at `open`, before `to`: outside strings. */
function closingParen(text: string, open: number, to: number): number | undefined {
  return scanOutsideStrings(text, open, to, (c, _at, depth) => c === ")" && depth === 0);
}

/** The `:` of a ternary between `from` and `to`: outside brackets and strings, with space on both sides (not `::` or a symbol). */
function ternaryColon(text: string, from: number, to: number): number | undefined {
  return scanOutsideStrings(text, from, to, (c, at, depth) => c === ":" && depth === 0 && /\s/.test(text[at - 1] ?? "") && /\s/.test(text[at + 1] ?? ""));
}

/** The first offset of `[from, to)` outside string literals that `stops` accepts, given the bracket depth after its character. */
function scanOutsideStrings(text: string, from: number, to: number, stops: (c: string, at: number, depth: number) => boolean): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    if (stops(c, i, depth)) return i;
  }
  return undefined;
}

/** One branch of an ERB `if` chain: the text it renders, and the test that must hold for it (undefined for an `else`). */
interface ErbBranch {
  body: Span;
  test?: EnvCondition;
}

/**
 * The `<% if %>` / `<% elsif %>` / `<% else %>` / `<% end %>` chains of an ERB file whose every test is one Headroom reads
 * (`Rails.env.production?`, `ENV["X"]`, …); a chain with another test is left out (all its branches stay, as before).
 */
function erbBranches(text: string, tags: ErbTag[]): ErbBranch[][] {
  const chains: ErbBranch[][] = [];
  // Open blocks: an if chain being read (undefined once a test is not read), or another block (`do`) whose `end` is not the chain's.
  const stack: Array<{ branches: ErbBranch[] | undefined; open?: { start: number; test?: EnvCondition } } | "block"> = [];
  for (const tag of tags) {
    if (tag.expr || text[tag.start + 2] === "#") continue;
    const code = text.slice(tag.start + 2, tag.end - 2).replace(/^-|-$/g, "").trim();
    const word = /^[a-z]+/.exec(code)?.[0];
    const top = stack[stack.length - 1];
    const close = (chain: Exclude<typeof top, "block" | undefined>) => {
      if (chain.branches && chain.open) chain.branches.push({ body: { start: chain.open.start, end: tag.start }, ...(chain.open.test ? { test: chain.open.test } : {}) });
    };
    if (word === "if" || word === "unless") {
      const test = parseRubyCondition(code.slice(word.length), word === "unless");
      stack.push({ branches: test ? [] : undefined, open: { start: tag.end, ...(test ? { test } : {}) } });
    } else if ((word === "elsif" || word === "else") && top && top !== "block") {
      close(top);
      const test = word === "elsif" ? parseRubyCondition(code.slice(word.length), false) : undefined;
      if (word === "elsif" && !test) top.branches = undefined;
      top.open = { start: tag.end, ...(test ? { test } : {}) };
    } else if (word === "end" && top) {
      stack.pop();
      if (top !== "block") {
        close(top);
        if (top.branches) chains.push(top.branches);
      }
    } else if (/\bdo(\s*\|[^|]*\|)?$/.test(code)) stack.push("block");
  }
  return chains;
}

/** The branches `environment` does not render: in each chain, all but the first whose test holds (and the earlier ones' failing). */
function erbSkipped(chains: ErbBranch[][], environment: string): Span[] {
  const env = (name: string) => (name === "RAILS_ENV" ? environment : undefined);
  // Only chains on Rails.env: a test on another variable depends on the deployment, not on the section read.
  const onRailsEnv = (branch: ErbBranch) => branch.test === undefined || branch.test.test === "rails-env";
  return chains.filter((chain) => chain.every(onRailsEnv)).flatMap((chain) => {
    const runs = chain.findIndex((b) => b.test === undefined || envConditionHolds(b.test, env));
    return chain.filter((_, i) => i !== runs).map((b) => b.body);
  });
}

/** ERB tags in order: `<%= expr %>` output tags (with the expression's span), `<% … %>` and `<%# … %>`. */
function erbTags(text: string): ErbTag[] {
  const tags: ErbTag[] = [];
  let i = text.indexOf("<%");
  while (i >= 0) {
    if (text[i + 2] === "%") {
      // `<%%` is a literal `<%`
      i = text.indexOf("<%", i + 3);
      continue;
    }
    const close = text.indexOf("%>", i + 2);
    const end = close < 0 ? text.length : close + 2;
    const tag: ErbTag = { start: i, end };
    if (text[i + 2] === "=" && close >= 0) {
      let from = i + 3;
      let to = close;
      if (text[to - 1] === "-") to--;
      while (from < to && /\s/.test(text[from])) from++;
      while (to > from && /\s/.test(text[to - 1])) to--;
      tag.expr = { start: from, end: to };
    }
    tags.push(tag);
    i = close < 0 ? -1 : text.indexOf("<%", end);
  }
  return tags;
}
