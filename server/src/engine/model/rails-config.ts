// `config.<namespace>.<key> = value` (or `config.<namespace> = { key: value }`) settings of a Rails app, read as text from
// config/application.rb, then config/environments/<env>.rb and the initializers a gem reads its settings after (each later
// file wins). A setting counts where the deployment's environment runs its line: a
// trailing `if`/`unless` and the enclosing `if`/`unless`/`elsif`/`else` blocks are tests Headroom reads
// (`Rails.env.production?`, `ENV["X"]`, `ENV["X"] == "v"`); a line under any other test, or inside a method, is not taken.
import { parseRubyCondition, parseRubyExpression } from "../parse/puma-rb.ts";
import { type EnvCondition, envConditionHolds, settingNumber } from "../parse/setting-expr.ts";
import type { EnvLookup } from "../parse/shell.ts";
import type { Fact, SourceRef } from "../types.ts";
import { type Context, existing, join } from "./build.ts";

export interface RailsConfigValue {
  /** The value as written, without a trailing modifier or comment. */
  written: string;
  /** Where it is written. */
  at: SourceRef;
}

/** One open block: an if chain with the tests its current branch needs (undefined: one Headroom cannot read), or another block. */
type Frame = { kind: "if"; earlier: EnvCondition[]; branch: EnvCondition[] | undefined; unreadable: boolean } | { kind: "def" } | { kind: "block" };

const OPENS_BLOCK = /^(?:case|while|until|for|begin|class|module)\b|\bdo(?:\s*\|[^|]*\|)?$/;

/**
 * The values of `config.<namespace>.<key>` that the app at `root` sets for the deployment's environment: for each key, the
 * last line that runs in `initializers` (config/initializers files the namespace's gem reads after boot), else
 * config/environments/<env>.rb, else config/application.rb. `config.<namespace> = { key: value, ... }` replaces every key set
 * before it with the hash's (Rails stores the hash itself; its symbol keys are what a gem reads with `config[:key]`).
 */
export function railsConfig(ctx: Context, root: string, env: EnvLookup, namespace: string, initializers: readonly string[] = []): Map<string, RailsConfigValue> {
  const environment = env("RAILS_ENV")?.value || env("RACK_ENV")?.value || "production";
  const out = new Map<string, RailsConfigValue>();
  const holds = (c: EnvCondition) => envConditionHolds(c, (name) => env(name)?.value);
  const prefix = `config.${namespace}`;
  for (const name of ["config/application.rb", `config/environments/${environment}.rb`, ...initializers]) {
    const path = existing(ctx, join(root, name));
    const text = path === undefined ? undefined : ctx.host.read(path);
    if (path === undefined || text === undefined || !text.includes(prefix)) continue;
    const frames: Frame[] = [];
    const lines = text.split("\n");
    let offset = 0;
    for (let index = 0; index < lines.length; index++) {
      const raw = lines[index];
      const lineStart = offset;
      offset += raw.length + 1;
      const line = raw.replace(/\s+#.*$|^\s*#.*$/, "").trim().replace(/^Rails\.application\.config\./, "config.");
      if (line === "") continue;
      const word = /^[a-z]+/.exec(line)?.[0];
      const top = frames[frames.length - 1];
      if (word === "if" || word === "unless") {
        const test = parseRubyCondition(line.slice(word.length).replace(/\s+then$/, ""), word === "unless");
        frames.push({ kind: "if", earlier: test ? [test] : [], branch: test ? [test] : undefined, unreadable: !test });
        continue;
      }
      if ((word === "elsif" || word === "else") && top?.kind === "if") {
        const test = word === "elsif" ? parseRubyCondition(line.slice(word.length).replace(/\s+then$/, ""), false) : undefined;
        if (word === "elsif" && !test) top.unreadable = true;
        const failed = top.earlier.map((c) => ({ ...c, negated: !c.negated }));
        top.branch = top.unreadable ? undefined : [...failed, ...(test ? [test] : [])];
        if (test) top.earlier.push(test);
        continue;
      }
      if (word === "end") {
        frames.pop();
        continue;
      }
      if (word === "def") {
        if (!/^def\s+[\w.?!]+(\([^)]*\))?\s*=/.test(line)) frames.push({ kind: "def" });
        continue;
      }
      if (OPENS_BLOCK.test(line)) {
        frames.push({ kind: "block" });
        continue;
      }
      if (!line.startsWith(prefix)) continue;
      const runs = (modifier: string | undefined, negated: boolean) => {
        const test = modifier === undefined ? undefined : parseRubyCondition(modifier, negated);
        if (modifier !== undefined && !test) return false;
        if (frames.some((f) => f.kind === "def" || (f.kind === "if" && (f.branch === undefined || !f.branch.every(holds))))) return false;
        return !test || holds(test);
      };
      if (line.slice(prefix.length).trimStart().startsWith("=")) {
        // `config.good_job = { ... }`, over as many lines as its braces take.
        const open = text.indexOf("{", lineStart + raw.indexOf("="));
        const hash = open < 0 || text.slice(lineStart + raw.indexOf("=") + 1, open).trim() !== "" ? undefined : rubyHash(text, open);
        if (!hash) continue;
        while (offset <= hash.end && index + 1 < lines.length) offset += lines[++index].length + 1;
        const after = text.slice(hash.end + 1, offset - 1).replace(/\s+#.*$|^\s*#.*$/, "").trim();
        const modifier = /^(if|unless)\s+(.+)$/.exec(after);
        if ((after !== "" && !modifier) || !runs(modifier?.[2], modifier?.[1] === "unless")) continue;
        out.clear();
        for (const [key, value] of hash.entries) out.set(key, { written: value.written, at: { file: path, start: value.start, end: value.start + value.written.length } });
        continue;
      }
      const m = /^config\.[a-z_]+\.([a-z_]+)\s*=\s*(.+)$/.exec(line);
      if (!m) continue;
      const modifier = /^(.*?)\s+(if|unless)\s+(.+)$/.exec(m[2]);
      if (!runs(modifier?.[3], modifier?.[2] === "unless")) continue;
      const written = modifier ? modifier[1].trim() : m[2];
      const start = lineStart + raw.indexOf(written, raw.indexOf("="));
      out.set(m[1], { written, at: { file: path, start, end: start + written.length } });
    }
  }
  return out;
}

/**
 * The symbol-keyed entries (`max_threads: 5`, `:queues => "*"`) of the Ruby hash literal whose `{` is at `open`, each value
 * as written and where it starts; `end` is the offset of the closing `}`. Undefined when the braces do not close. Comments
 * and strings are skipped when finding the braces and commas; a key of another kind (a string) is left out.
 */
function rubyHash(text: string, open: number): { entries: Map<string, { written: string; start: number }>; end: number } | undefined {
  const entries = new Map<string, { written: string; start: number }>();
  let depth = 0;
  let entryStart = open + 1;
  const take = (end: number) => {
    const entry = text.slice(entryStart, end).replace(/#[^\n]*/g, (comment) => " ".repeat(comment.length));
    const key = /^\s*(?:([a-z_]+):(?!:)|:([a-z_]+)\s*=>)\s*/.exec(entry);
    const written = key && entry.slice(key[0].length).trim();
    if (key && written) entries.set(key[1] ?? key[2], { written, start: entryStart + key[0].length });
    entryStart = end + 1;
  };
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      // Skip the string, its escapes too (`#{...}` holds no quote of the same kind in configuration values).
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
    } else if (c === "#" && text[i + 1] !== "{") {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++;
    } else if (c === "{" || c === "(" || c === "[") depth++;
    else if (c === "}" || c === ")" || c === "]") {
      if (--depth === 0) {
        take(i);
        return { entries, end: i };
      }
    } else if (c === "," && depth === 1) take(i);
  }
  return undefined;
}

/** A setting's value as a number (`10`, `ENV.fetch("GOOD_JOB_MAX_THREADS", 10).to_i`), where the environment gives one. */
export function railsConfigNumber(ctx: Context, value: RailsConfigValue, env: EnvLookup): Fact<number> | undefined {
  const text = ctx.host.read(value.at.file);
  const expr = text === undefined ? undefined : parseRubyExpression(text, value.at.file, value.at.start, value.at.end);
  return expr && settingNumber(expr, value.at.file, env);
}

/** A setting's value as a name: a symbol or string literal (`:async`, `"async"`), or a variable with a string default. */
export function railsConfigName(ctx: Context, value: RailsConfigValue, env: EnvLookup): Fact<string> | undefined {
  const literal = /^:([a-z_]+)$|^["']([a-z_]+)["']$/.exec(value.written);
  if (literal) return { value: literal[1] ?? literal[2], origin: "stated", at: value.at };
  const text = ctx.host.read(value.at.file);
  const expr = text === undefined ? undefined : parseRubyExpression(text, value.at.file, value.at.start, value.at.end);
  if (expr?.kind !== "env" || !expr.envName) return undefined;
  const set = env(expr.envName);
  if (set) return set;
  return expr.envDefault ? { value: expr.envDefault.value, origin: "stated", at: { file: value.at.file, ...expr.envDefault.span } } : undefined;
}
