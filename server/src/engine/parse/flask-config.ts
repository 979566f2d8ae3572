// Flask-SQLAlchemy's engine options in a Flask app's Python files, read as text (never imported):
//   SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 10, "max_overflow": 20}       (a config class or module)
//   app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": int(os.getenv("DB_POOL_SIZE", 10))}
//   app.config.update({"SQLALCHEMY_ENGINE_OPTIONS": {...}}), app.config.from_mapping(SQLALCHEMY_ENGINE_OPTIONS={...})
//   SQLALCHEMY_POOL_SIZE = 10, SQLALCHEMY_MAX_OVERFLOW = 20               (Flask-SQLAlchemy 2.x's own keys)
//   db = SQLAlchemy(engine_options={"pool_size": 10})                       (the constructor's defaults)
// and `app.config.from_object("config.ProductionConfig")` / `from_object(ProductionConfig)`, which says
// which config class applies (also through an environment variable, `from_object(os.environ["APP_SETTINGS"])`,
// or a dict of classes, `from_object(config[os.getenv("FLASK_CONFIG", "production")])`), and where the
// SQLAlchemy instance is initialised (`db.init_app(app)`), since Flask-SQLAlchemy 3 reads no config set after.
// Values read as Django settings' are (a literal, os.getenv with its default, …).
import type { SettingExpr } from "./setting-expr.ts";
import { describe, expressionEnd, matchingBrace } from "./django-settings.ts";

export interface EngineOptions {
  /** The dict, `{` to `}` (or `dict(` to `)`); for the 2.x keys, the first key's name. */
  span: { start: number; end: number };
  /**
   * `options`: SQLALCHEMY_ENGINE_OPTIONS; `legacy`: Flask-SQLAlchemy 2.x's SQLALCHEMY_POOL_SIZE and SQLALCHEMY_MAX_OVERFLOW;
   * `constructor`: SQLAlchemy(engine_options=...); `binds`: SQLALCHEMY_BINDS; `uri`: SQLALCHEMY_DATABASE_URI.
   */
  kind: "options" | "legacy" | "constructor" | "binds" | "uri";
  /** The class whose body assigns it (a `SQLALCHEMY_ENGINE_OPTIONS =` in the body of `class Name(...)`). */
  className?: string;
  /** Outside a class: the offset of the `def` whose body sets it (-1 at module level), to compare with init_app's place. */
  scope?: number;
  poolSize?: SettingExpr;
  maxOverflow?: SettingExpr;
  /** A `poolclass` key: a pool Headroom does not size (NullPool, StaticPool). */
  poolclass?: true;
  /** SQLALCHEMY_DATABASE_URI's value (kind `uri`), or a bind's `url` key. */
  url?: SettingExpr;
  /** SQLALCHEMY_BINDS's entries (kind `binds`), each with its URL and, for a dict (Flask-SQLAlchemy 3), its own options. */
  binds?: FlaskBind[];
}

export interface FlaskBind {
  name: string;
  /** The bind's key as written. */
  nameSpan: { start: number; end: number };
  /** The URL, and for a dict its pool keys (`span`: the dict, or the URL's expression). */
  options: EngineOptions;
  /** Written as a dict of engine options (Flask-SQLAlchemy 3), not a URL alone. */
  dict: boolean;
}

export interface FlaskConfig {
  /** SQLALCHEMY_ENGINE_OPTIONS and the 2.x keys (one entry per class, or the file's own, that sets them). */
  options: EngineOptions[];
  /** `engine_options=` dicts written as a literal (kind `constructor`), by the offset of their `{` or `dict(`. */
  constructorOptions: EngineOptions[];
  /** Classes of the file with their bases as written (`ProductionConfig` → `["Config"]`). */
  classes: Map<string, string[]>;
  /** What `app.config.from_object(...)` is given. */
  fromObject: FromObject[];
  /** Module-level dicts of classes (`config = {"production": ProductionConfig, ...}`): key → class name. */
  classMaps: Map<string, Map<string, string>>;
  /** Names the file binds to a Flask-SQLAlchemy instance (`db = SQLAlchemy()`); `init`: given the app (`SQLAlchemy(app)`), which runs init_app. */
  instances: Array<{ name: string; at: number; scope: number; init: boolean }>;
  /** `name.init_app(` calls, with the `def` they run in (-1 at module level). */
  inits: Array<{ name: string; at: number; scope: number }>;
}

export interface FromObject {
  /** A dotted string or a name, as written. */
  name?: string;
  /** An environment variable whose value is the dotted name (`os.environ.get("APP_SETTINGS", "config.ProductionConfig")`). */
  env?: SettingExpr;
  /** `config[KEY]`: the dict of classes, and its key (a string or an environment variable). */
  index?: { dict: string; key: SettingExpr };
  /** The call's offset and the `def` it runs in (-1 at module level). */
  at: number;
  scope: number;
}

const OPTIONS = /(?:^([ \t]*)SQLALCHEMY_ENGINE_OPTIONS[ \t]*=|\[[ \t]*["']SQLALCHEMY_ENGINE_OPTIONS["'][ \t]*\][ \t]*=|["']SQLALCHEMY_ENGINE_OPTIONS["'][ \t]*:)[ \t]*\{/gm;
const LEGACY_KEYS = /(?:^([ \t]*)SQLALCHEMY_(POOL_SIZE|MAX_OVERFLOW)[ \t]*=(?!=)|\[[ \t]*["']SQLALCHEMY_(POOL_SIZE|MAX_OVERFLOW)["'][ \t]*\][ \t]*=(?!=)|["']SQLALCHEMY_(POOL_SIZE|MAX_OVERFLOW)["'][ \t]*:)[ \t]*/gm;
const BINDS = /(?:^([ \t]*)SQLALCHEMY_BINDS[ \t]*=|\[[ \t]*["']SQLALCHEMY_BINDS["'][ \t]*\][ \t]*=|["']SQLALCHEMY_BINDS["'][ \t]*:)[ \t]*\{/gm;
const URI = /(?:^([ \t]*)SQLALCHEMY_DATABASE_URI[ \t]*=(?!=)|\[[ \t]*["']SQLALCHEMY_DATABASE_URI["'][ \t]*\][ \t]*=(?!=)|["']SQLALCHEMY_DATABASE_URI["'][ \t]*:)[ \t]*/gm;
const CONSTRUCTOR_OPTIONS = /\bengine_options[ \t]*=[ \t]*(\{|dict[ \t]*\()/g;

/** Cheap gate: a file that may say anything read here. */
export function mayConfigureFlaskSqlalchemy(text: string): boolean {
  return (
    text.includes("SQLALCHEMY_ENGINE_OPTIONS") ||
    text.includes("SQLALCHEMY_BINDS") ||
    text.includes("SQLALCHEMY_POOL_SIZE") ||
    text.includes("SQLALCHEMY_MAX_OVERFLOW") ||
    text.includes("engine_options") ||
    text.includes("from_object") ||
    text.includes(".init_app(") ||
    text.includes("SQLAlchemy(")
  );
}

export function readFlaskConfig(text: string, file: string): FlaskConfig {
  const classes = new Map<string, string[]>();
  for (const m of text.matchAll(/^class[ \t]+(\w+)[ \t]*(?:\(([^)]*)\))?[ \t]*:/gm)) classes.set(m[1], (m[2] ?? "").split(",").map((b) => b.trim()).filter(Boolean));
  const fromObject: FromObject[] = [];
  for (const m of text.matchAll(/\.from_object\(\s*/g)) {
    const at = m.index ?? 0;
    if (commentedOut(text, at)) continue;
    let start = at + m[0].length;
    let end = expressionEnd(text, start);
    let argument = text.slice(start, end).trim();
    const place = { at, scope: scopeOf(text, at) };
    // `settings = os.getenv("APP_SETTINGS")` then `from_object(settings)`: the variable's last assignment above, in the same function.
    const assigned = /^[a-z_]\w*$/.test(argument) ? lastAssignment(text, argument, at, place.scope) : undefined;
    if (assigned !== undefined) {
      start = assigned;
      end = expressionEnd(text, start);
      argument = text.slice(start, end).trim();
    }
    const named = /^(?:["']([\w.]+)["']|([\w.]+))$/.exec(argument);
    const index = /^(\w+)\[\s*/.exec(argument);
    if (named) fromObject.push({ name: named[1] ?? named[2], ...place });
    else if (index && argument.endsWith("]")) {
      const keyStart = start + index[0].length;
      fromObject.push({ index: { dict: index[1], key: describe(text, file, keyStart, expressionEnd(text, keyStart)) }, ...place });
    } else {
      const env = describe(text, file, start, end);
      fromObject.push(env.kind === "env" ? { env, ...place } : place);
    }
  }
  const classMaps = new Map<string, Map<string, string>>();
  for (const m of text.matchAll(/^(\w+)[ \t]*(?::[^=\n]*)?=[ \t]*\{/gm)) {
    const body = text.slice(m.index + m[0].length, matchingBrace(text, m.index + m[0].length - 1) - 1);
    const entries = [...body.matchAll(/["']([\w.-]+)["'][ \t]*:[ \t]*([A-Za-z_][\w.]*)[ \t]*(?=,|\s*$|\s*#)/g)];
    if (entries.length > 0) classMaps.set(m[1], new Map(entries.map((e) => [e[1], e[2].slice(e[2].lastIndexOf(".") + 1)])));
  }
  const instances: FlaskConfig["instances"] = [];
  for (const m of text.matchAll(/^[ \t]*(\w+)[ \t]*(?::[^=\n]*)?=[ \t]*(?:[\w.]+\.)?SQLAlchemy\((\s*(?![)\s]|\w+\s*=(?!=))\S)?/gm)) {
    instances.push({ name: m[1], at: m.index ?? 0, scope: scopeOf(text, m.index ?? 0), init: m[2] !== undefined });
  }
  const inits: FlaskConfig["inits"] = [];
  for (const m of text.matchAll(/\b(\w+)\.init_app\(/g)) if (!commentedOut(text, m.index ?? 0)) inits.push({ name: m[1], at: m.index ?? 0, scope: scopeOf(text, m.index ?? 0) });
  const options: EngineOptions[] = [];
  for (const m of text.matchAll(OPTIONS)) {
    const at = m.index ?? 0;
    if (commentedOut(text, at)) continue;
    const open = at + m[0].length - 1;
    const found: EngineOptions = { kind: "options", span: { start: open, end: matchingBrace(text, open) } };
    const owner = m[1] ? ownerClass(text, at, m[1]) : undefined;
    if (owner) found.className = owner;
    else found.scope = scopeOf(text, at);
    readPoolKeys(text, file, found, "dict");
    options.push(found);
  }
  // The 2.x keys are two statements: one entry per class (or the file's own statements) that writes either.
  const legacy = new Map<string | undefined, EngineOptions>();
  for (const m of text.matchAll(LEGACY_KEYS)) {
    const at = m.index ?? 0;
    if (commentedOut(text, at)) continue;
    const owner = m[1] ? ownerClass(text, at, m[1]) : undefined;
    const key = m[2] ?? m[3] ?? m[4];
    const start = at + m[0].length;
    const end = expressionEnd(text, start);
    if (end <= start) continue;
    const nameAt = text.indexOf(`SQLALCHEMY_${key}`, at);
    const entry = legacy.get(owner) ?? { kind: "legacy" as const, span: { start: nameAt, end: nameAt + `SQLALCHEMY_${key}`.length }, ...(owner ? { className: owner } : { scope: scopeOf(text, at) }) };
    legacy.set(owner, entry);
    if (key === "POOL_SIZE") entry.poolSize = describe(text, file, start, end);
    else entry.maxOverflow = describe(text, file, start, end);
  }
  options.push(...legacy.values());
  // SQLALCHEMY_BINDS, and SQLALCHEMY_DATABASE_URI beside it (read only where binds may matter: the gate above).
  if (text.includes("SQLALCHEMY_BINDS")) {
    for (const m of text.matchAll(BINDS)) {
      const at = m.index ?? 0;
      if (commentedOut(text, at)) continue;
      const open = at + m[0].length - 1;
      const close = matchingBrace(text, open);
      const owner = m[1] ? ownerClass(text, at, m[1]) : undefined;
      options.push({ kind: "binds", span: { start: open, end: close }, binds: readBinds(text, file, open, close), ...(owner ? { className: owner } : { scope: scopeOf(text, at) }) });
    }
    for (const m of text.matchAll(URI)) {
      const at = m.index ?? 0;
      if (commentedOut(text, at)) continue;
      const start = at + m[0].length;
      const end = expressionEnd(text, start);
      if (end <= start) continue;
      const owner = m[1] ? ownerClass(text, at, m[1]) : undefined;
      options.push({ kind: "uri", span: { start, end }, url: describe(text, file, start, end), ...(owner ? { className: owner } : { scope: scopeOf(text, at) }) });
    }
  }
  const constructorOptions: EngineOptions[] = [];
  for (const m of text.matchAll(CONSTRUCTOR_OPTIONS)) {
    const at = m.index ?? 0;
    if (commentedOut(text, at)) continue;
    const open = at + m[0].length - m[1].length;
    const call = m[1] !== "{";
    const found: EngineOptions = { kind: "constructor", span: { start: open, end: call ? expressionEnd(text, open) : matchingBrace(text, open) } };
    readPoolKeys(text, file, found, call ? "keywords" : "dict");
    constructorOptions.push(found);
  }
  return { options, constructorOptions, classes, fromObject, classMaps, instances, inits };
}

/** pool_size, max_overflow and poolclass in the dict at `found.span`: `"pool_size": 10` in a literal, `pool_size=10` in dict(...). */
function readPoolKeys(text: string, file: string, found: EngineOptions, style: "dict" | "keywords"): void {
  const { start: open, end: close } = found.span;
  const keys = style === "dict" ? /["'](pool_size|max_overflow|poolclass)["'][ \t]*:[ \t]*/g : /\b(pool_size|max_overflow|poolclass)[ \t]*=(?!=)[ \t]*/g;
  for (const key of text.slice(open, close).matchAll(keys)) {
    if (key[1] === "poolclass") {
      found.poolclass = true;
      continue;
    }
    const start = open + (key.index ?? 0) + key[0].length;
    const end = expressionEnd(text, start);
    if (end <= start) continue;
    const value = describe(text, file, start, end);
    if (key[1] === "pool_size") found.poolSize = value;
    else found.maxOverflow = value;
  }
}

/** The entries of the SQLALCHEMY_BINDS dict at `open..close`: `"key": url` (a string, os.environ...) or `"key": {"url": ..., "pool_size": ...}`. */
function readBinds(text: string, file: string, open: number, close: number): FlaskBind[] {
  const binds: FlaskBind[] = [];
  const entry = /(?:\s|#[^\n]*)*["']([\w.-]+)["'][ \t]*:[ \t]*/y;
  for (let i = open + 1; i < close - 1; ) {
    entry.lastIndex = i;
    const m = entry.exec(text);
    if (!m) break;
    const start = i + m[0].length;
    const end = expressionEnd(text, start);
    if (end <= start) break;
    const nameAt = text.indexOf(m[1], i);
    const options: EngineOptions = { kind: "binds", span: { start, end } };
    if (text[start] === "{") {
      readPoolKeys(text, file, options, "dict");
      const url = /["']url["'][ \t]*:[ \t]*/.exec(text.slice(start, end));
      const urlStart = url ? start + url.index + url[0].length : -1;
      if (url) options.url = describe(text, file, urlStart, expressionEnd(text, urlStart));
    } else options.url = describe(text, file, start, end);
    binds.push({ name: m[1], nameSpan: { start: nameAt, end: nameAt + m[1].length }, options, dict: text[start] === "{" });
    i = end;
    while (i < close && /[\s,]/.test(text[i])) i++;
  }
  return binds;
}

function commentedOut(text: string, at: number): boolean {
  return text.slice(text.lastIndexOf("\n", at) + 1, at).includes("#");
}

/**
 * The class whose body holds the statement at `at`, indented by `indent`: the nearest line above that is less indented
 * opens its block; a `class Name` there owns it, anything else (a def, a call's parenthesis) does not.
 */
function ownerClass(text: string, at: number, indent: string): string | undefined {
  let end = text.lastIndexOf("\n", at);
  while (end > 0) {
    const start = text.lastIndexOf("\n", end - 1) + 1;
    const line = text.slice(start, end);
    end = start - 1;
    const lead = /^[ \t]*/.exec(line)?.[0] ?? "";
    if (line.trim() === "" || line.trim().startsWith("#") || lead.length >= indent.length) continue;
    return /^[ \t]*class[ \t]+(\w+)/.exec(line)?.[1];
  }
  return undefined;
}

/**
 * The offset of the `def` whose body holds the statement at `at` (-1 at module level): the nearest less indented line
 * above opens its block; an `if`, `with` or `try` there is walked through to the block that holds it.
 */
function scopeOf(text: string, at: number): number {
  const lineStart = text.lastIndexOf("\n", at - 1) + 1;
  let indent = (/^[ \t]*/.exec(text.slice(lineStart, lineStart + 200))?.[0] ?? "").length;
  let end = lineStart - 1;
  while (end > 0 && indent > 0) {
    const start = text.lastIndexOf("\n", end - 1) + 1;
    const line = text.slice(start, end);
    end = start - 1;
    const lead = (/^[ \t]*/.exec(line)?.[0] ?? "").length;
    if (line.trim() === "" || line.trim().startsWith("#") || lead >= indent) continue;
    if (/^[ \t]*(?:async[ \t]+)?def[ \t]/.test(line)) return start;
    if (/^[ \t]*class[ \t]/.test(line)) return start;
    indent = lead;
  }
  return -1;
}

/** Where the value of the last `name = ...` above `at` in the same function starts. */
function lastAssignment(text: string, name: string, at: number, scope: number): number | undefined {
  let found: number | undefined;
  for (const m of text.slice(0, at).matchAll(new RegExp(`^[ \\t]*${name}[ \\t]*(?::[^=\\n]*)?=(?!=)[ \\t]*`, "gm"))) {
    if (scopeOf(text, m.index ?? 0) === scope) found = (m.index ?? 0) + m[0].length;
  }
  return found;
}
