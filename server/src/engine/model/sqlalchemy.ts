// The SQLAlchemy engine a Python app creates, read from its source as text (never imported): the
// `create_engine(url, pool_size=20, max_overflow=10)` (or create_async_engine, SQLModel's create_engine)
// in the modules the server's app imports. Each argument is a literal, an environment variable, or a
// pydantic settings field (`pool_size=settings.DB_POOL_SIZE`): the field's default, overridden by the
// environment variable of its name (case-insensitive unless the class says case_sensitive, with its
// env_prefix; an alias is the name), as pydantic-settings reads it. Without pool_size or max_overflow,
// SQLAlchemy's defaults apply: 5 and 10. Flask-SQLAlchemy's `db = SQLAlchemy()` creates the engine from
// SQLALCHEMY_ENGINE_OPTIONS with engine_from_config, so the same defaults apply (Flask-SQLAlchemy 3 sets no pool_size: SOURCES.flaskSqlalchemyEngineOptions).
import type { EngineOptions, FlaskConfig, FromObject } from "../parse/flask-config.ts";
import type { PinnedVersion } from "../parse/python-requirements.ts";
import type { PythonArgument, PythonCall, PythonModule } from "../parse/python-calls.ts";
import { type SettingExpr, settingNumber } from "../parse/setting-expr.ts";
import type { Fact, SourceRef } from "../types.ts";

/** The functions that create an engine with a connection pool, for readPythonModule. */
export const ENGINE_FUNCTIONS: ReadonlySet<string> = new Set([
  "sqlalchemy.create_engine",
  "sqlalchemy.engine.create_engine",
  "sqlalchemy.ext.asyncio.create_async_engine",
  "sqlmodel.create_engine",
  "flask_sqlalchemy.SQLAlchemy",
]);

const FLASK_SQLALCHEMY = "flask_sqlalchemy.SQLAlchemy";

/** create_engine()'s defaults (knowledge/sources.ts: sqlalchemyPoolSize, sqlalchemyMaxOverflow). */
export const SQLALCHEMY_DEFAULTS = { poolSize: 5, maxOverflow: 10 };

export interface SqlAlchemyEngine {
  /** The create_engine call. */
  at: SourceRef;
  size: Fact<number>;
  sizeName: string;
  overflow: Fact<number>;
  overflowName: string;
  /** The Python files the sizes were read from, for the deployment's files. */
  files: string[];
  /** What creates the engine at `at`, for messages: the app's create_engine call, or Flask-SQLAlchemy's options. */
  what: string;
  /** Lines that explain the reading (the Flask-SQLAlchemy version pinned, keys it ignores), for related lines. */
  notes?: EngineNote[];
  /** SQLALCHEMY_BINDS's engines on the same server as this one (Flask-SQLAlchemy), each with its own pool. */
  binds?: EngineBind[];
}

/** A Flask-SQLAlchemy bind on the default engine's server: an engine of its own, with its own pool in each process. */
export interface EngineBind {
  name: string;
  /** The bind's key in SQLALCHEMY_BINDS. */
  at: SourceRef;
  size: Fact<number>;
  overflow: Fact<number>;
}

export interface EngineNote {
  at: SourceRef;
  message: string;
}

export interface PythonSource {
  /** The module read from the file at `path` (memoised by the caller), or undefined when there is no such file. */
  module(path: string): PythonModule | undefined;
  /** The variables of the process's environment, for pydantic's case-insensitive lookup (made only when an engine call is found). */
  env: () => ReadonlyMap<string, Fact<string>>;
  /** Flask-SQLAlchemy's options and config classes in the file at `path` (parse/flask-config.ts), read only for an app that uses it. */
  flaskConfig(path: string): FlaskConfig | undefined;
  /** The Flask-SQLAlchemy version the project pins (parse/python-requirements.ts), asked only when it decides the pool. */
  flaskSqlalchemyVersion?: () => (PinnedVersion & { file: string }) | undefined;
}

/** Files looked at, at most, following an app's imports: an app's engine is a few imports away from its entry module. */
const MAX_MODULES = 40;

/**
 * The one engine the app creates, found from its entry modules (`app.main` of `app.main:app`) or files
 * (`main.py`) through their imports inside `dir`. Undefined when there is none, several, or one whose pool
 * Headroom cannot size (a `poolclass=`, a SQLite URL, an unreadable or unbounded size).
 */
export function findSqlAlchemyEngine(source: PythonSource, dir: string, entries: string[]): SqlAlchemyEngine | undefined {
  const queue = [...entries];
  // The app's own top-level packages (`app` of app/main.py), whose folders may have no __init__.py.
  const ownPackages = new Set(entries.map((entry) => entry.slice(dir ? dir.length + 1 : 0).split("/")).filter((parts) => parts.length > 1).map((parts) => parts[0]));
  const seen = new Set<string>();
  const found: Array<{ path: string; module: PythonModule; call: PythonModule["calls"][number] }> = [];
  for (let i = 0; i < queue.length && seen.size < MAX_MODULES; i++) {
    const path = queue[i];
    if (seen.has(path)) continue;
    seen.add(path);
    const module = source.module(path);
    if (!module) continue;
    for (const call of module.calls) if (!call.conditional) found.push({ path, module, call });
    for (const { module: imported, names } of module.imports) {
      const file = moduleFile(source, dir, path, imported);
      if (file) queue.push(file);
      // `from app import db`: a name is a submodule only of a package (an `__init__.py`, or a folder without one: looked
      // for in the app's own packages and relative imports, not in every library the app imports).
      if (file?.endsWith(".py") && !file.endsWith("/__init__.py")) continue;
      if (!file && !imported.startsWith(".") && !ownPackages.has(imported.split(".")[0])) continue;
      for (const name of names) {
        const submodule = moduleFile(source, dir, path, imported.endsWith(".") ? `${imported}${name}` : `${imported}.${name}`);
        if (submodule) queue.push(submodule);
      }
    }
  }
  if (found.length !== 1) return undefined;
  const { path, module, call } = found[0];
  if (call.callee === FLASK_SQLALCHEMY) return flaskEngine(source, dir, path, call, [...seen]);
  const url = call.args[0]?.value;
  if (call.spread || call.kwargs.has("poolclass") || (url?.kind === "string" && /^sqlite/.test(String(url.value)))) return undefined;
  const files = new Set([path]);
  const size = poolArgument(source, dir, path, module, call.kwargs.get("pool_size"), "pool_size", SQLALCHEMY_DEFAULTS.poolSize, files);
  const overflow = poolArgument(source, dir, path, module, call.kwargs.get("max_overflow"), "max_overflow", SQLALCHEMY_DEFAULTS.maxOverflow, files);
  // pool_size 0 means no limit; max_overflow -1 no limit on overflow: nothing to count.
  if (!size || !overflow || size.fact.value <= 0 || overflow.fact.value < 0) return undefined;
  return { at: { file: path, ...call.span }, size: size.fact, sizeName: size.name, overflow: overflow.fact, overflowName: overflow.name, files: [...files], what: "the app creates its SQLAlchemy engine here" };
}

type Options = { file: string; options: EngineOptions };

/**
 * Flask-SQLAlchemy's engine: pool_size and max_overflow from the options that apply, else SQLAlchemy's defaults. Where several
 * config classes set them, the one `app.config.from_object(...)` names (or a base it inherits them from) applies. 3.x merges the
 * constructor's `engine_options` under SQLALCHEMY_ENGINE_OPTIONS and ignores the 2.x keys; 2.x (2.4 and later) puts the
 * constructor's over SQLALCHEMY_ENGINE_OPTIONS over SQLALCHEMY_POOL_SIZE and SQLALCHEMY_MAX_OVERFLOW (SOURCES.flaskSqlalchemy2Options).
 * Which one runs is read from the project's pin only when it matters (the 2.x keys are set, or both options set one key); undefined
 * when that cannot be told, for a `poolclass`, or a size not read.
 */
function flaskEngine(source: PythonSource, dir: string, path: string, call: PythonCall, visited: string[]): SqlAlchemyEngine | undefined {
  const configs = new Map<string, FlaskConfig>();
  for (const file of visited) {
    const config = source.flaskConfig(file);
    if (config) configs.set(file, config);
  }
  const env = (name: string) => source.env().get(name);
  // Where the instance runs init_app: `db.init_app(app)` for a name a file binds to SQLAlchemy(), or `SQLAlchemy(app)` itself.
  const names = new Set([...configs.values()].flatMap((config) => config.instances.map((instance) => instance.name)));
  const initsIn = (file: string) => {
    const config = configs.get(file);
    return config ? [...config.inits.filter((init) => names.has(init.name)), ...config.instances.filter((instance) => instance.init)] : [];
  };
  // Config written after init_app in the same function (or both at module level): 3.x has already read it.
  const late = (file: string, at: number, scope: number | undefined) => (scope === undefined ? undefined : initsIn(file).find((init) => init.scope === scope && init.at < at));
  const targets: Target[] = [];
  for (const [file, config] of [...configs]) {
    for (const from of config.fromObject) {
      const target = fromObjectTarget(from, file, configs, env);
      targets.push({ ...target, late: late(file, from.at, from.scope) !== undefined });
      // `from_object("config.ProductionConfig")` names a module nothing may import: read it too.
      const name = target.name;
      const module = name?.includes(".") ? moduleFile(source, dir, file, name.slice(0, name.lastIndexOf("."))) : undefined;
      const read = module && !configs.has(module) ? source.flaskConfig(module) : undefined;
      if (module && read) configs.set(module, read);
    }
  }
  const all = [...configs].flatMap(([file, config]) => config.options.map((options) => ({ file, options, after: late(file, options.span.start, options.scope) })));
  const bases = new Map([...configs.values()].flatMap((config) => [...config.classes]));
  const classesOf = (file: string) => [...(configs.get(file)?.classes.keys() ?? [])];
  const lateOnes = all.filter((o) => o.after);
  if (lateOnes.length === 0 && !targets.some((t) => t.late)) return flaskPool(source, path, call, configs, all, targets, bases, classesOf);
  // Which Flask-SQLAlchemy runs decides whether the config set after init_app applies: 2.x creates the engine on first use, 3.x in init_app.
  const version = source.flaskSqlalchemyVersion?.();
  const earlyTargets = targets.filter((t) => !t.late);
  // Config classes count only through a from_object that runs in time (or, without any from_object, the only class that sets them).
  const early = all.filter((o) => !o.after && (o.options.className === undefined || earlyTargets.length > 0 || targets.length === 0));
  if (!version) {
    const without = flaskPool(source, path, call, configs, early, earlyTargets, bases, classesOf);
    const withLate = flaskPool(source, path, call, configs, all, targets, bases, classesOf);
    // Not pinned, and it changes the pool: not guessed.
    return without && withLate && samePools(without, withLate) ? without : undefined;
  }
  if (version.major === 2) return flaskPool(source, path, call, configs, all, targets, bases, classesOf, version);
  const engine = flaskPool(source, path, call, configs, early, earlyTargets, bases, classesOf, version);
  if (!engine) return undefined;
  const ignored = lateOnes.filter((o) => o.options.kind === "options" || o.options.kind === "binds");
  for (const o of ignored) {
    const init = o.after && "init" in o.after ? `${o.after.name} = SQLAlchemy(app)` : `${o.after?.name}.init_app(app)`;
    engine.notes?.unshift({ at: { file: o.file, ...o.options.span }, message: `ignored: set after ${init}, and Flask-SQLAlchemy 3 reads its config only when init_app runs (${version.written} in ${version.file})` });
    engine.files.push(o.file);
  }
  return engine;
}

/** `unknown`: a class Headroom cannot name; `anywhere`: nor the module it is in (an unset variable, a dict not found). */
type Target = { name?: string; unknown?: true; anywhere?: true; late?: boolean; assumed?: EngineNote };

/** The class `from_object(...)` loads: a name; an environment variable's value (else its default); a dict of classes at a known key. */
function fromObjectTarget(from: FromObject, file: string, configs: Map<string, FlaskConfig>, env: (name: string) => Fact<string> | undefined): Target {
  if (from.name !== undefined) return { name: from.name };
  const expr = from.env ?? from.index?.key;
  let key: string | undefined;
  let assumed: EngineNote | undefined;
  if (expr?.kind === "string" && typeof expr.value === "string") key = expr.value;
  else if (expr?.kind === "env" && expr.envName) {
    key = env(expr.envName)?.value;
    if (key === undefined && expr.envDefault) {
      key = expr.envDefault.value;
      assumed = { at: { file, ...expr.envDefault.span }, message: `${expr.envName} is not set in the deployment's environment: its default ${key} is assumed` };
    }
  }
  if (key === undefined) return from.index && [...configs.values()].some((config) => config.classMaps.has(from.index?.dict ?? "")) ? { unknown: true } : { unknown: true, anywhere: true };
  if (!from.index) return { name: key, ...(assumed ? { assumed } : {}) };
  for (const config of configs.values()) {
    const name = config.classMaps.get(from.index.dict)?.get(key);
    if (name) return { name, ...(assumed ? { assumed } : {}) };
  }
  return { unknown: true, anywhere: true };
}

function samePools(a: SqlAlchemyEngine, b: SqlAlchemyEngine): boolean {
  const binds = (e: SqlAlchemyEngine) => (e.binds ?? []).map((bind) => `${bind.name} ${bind.size.value}+${bind.overflow.value}`).join();
  return a.size.value === b.size.value && a.overflow.value === b.overflow.value && binds(a) === binds(b);
}

function flaskPool(
  source: PythonSource,
  path: string,
  call: PythonCall,
  configs: Map<string, FlaskConfig>,
  all: Options[],
  fromObjects: Target[],
  bases: Map<string, string[]>,
  classesOf: (file: string) => string[],
  lateDecided?: PinnedVersion & { file: string },
): SqlAlchemyEngine | undefined {
  const unknownTarget = fromObjects.some((t) => t.unknown);
  // A class loaded from a module not known, and no class read sets the pool: it may set it where Headroom does not look.
  if (fromObjects.some((t) => t.anywhere) && !all.some((o) => o.options.className !== undefined && (o.options.kind === "options" || o.options.kind === "legacy"))) return undefined;
  // `from_object(config_class)`, a variable (a factory's parameter, `def create_app(config_class=Config)`): names no class.
  const targets = fromObjects.flatMap((t) => (t.name === undefined ? [] : [t.name.slice(t.name.lastIndexOf(".") + 1)])).filter((target) => bases.has(target) || !/^[a-z_][a-z0-9_]*$/.test(target));
  const unnamed = unknownTarget || fromObjects.some((t) => t.name !== undefined && !targets.includes(t.name.slice(t.name.lastIndexOf(".") + 1)));
  const choose = (kind: EngineOptions["kind"]) => chooseOptions(all.filter((o) => o.options.kind === kind), targets, bases, unnamed ? classesOf : undefined);
  const chosen = choose("options");
  const legacy = choose("legacy");
  const written = call.kwargs.get("engine_options");
  const constructor = written && configs.get(path)?.constructorOptions.find((o) => o.span.start === written.value.span.start);
  // engine_options given as a name or a call Headroom does not follow: its pool is not known.
  if (chosen === "ambiguous" || legacy === "ambiguous" || (written && !constructor)) return undefined;
  const fromConstructor = constructor ? { file: path, options: constructor } : undefined;
  const keys = ["poolSize", "maxOverflow"] as const;
  // The version decides when both options set one key, or the 2.x keys set one the options leave unset.
  const decides = keys.some((key) => (fromConstructor?.options[key] !== undefined && chosen?.options[key] !== undefined) || (legacy?.options[key] !== undefined && fromConstructor?.options[key] === undefined && chosen?.options[key] === undefined));
  const decided = decides ? source.flaskSqlalchemyVersion?.() : lateDecided;
  // Which Flask-SQLAlchemy decides what applies, and the workspace does not pin it: not guessed.
  if (decides && !decided) return undefined;
  const layers = (decided?.major === 2 ? [fromConstructor, chosen, legacy] : [chosen, fromConstructor]).filter((o): o is Options => o !== undefined);
  if (layers.some((o) => o.options.poolclass)) return undefined;
  const env = (name: string) => source.env().get(name);
  const files = new Set([path, ...layers.map((o) => o.file)]);
  const { size, overflow } = layeredPool(layers, env);
  if (!size || !overflow) return undefined;
  const sizing = size.from ?? overflow.from;
  const at = sizing ? { file: sizing.file, ...sizing.options.span } : { file: path, ...call.span };
  // SQLALCHEMY_BINDS: each bind is an engine of its own, with a pool of its own in each process (SOURCES.flaskSqlalchemyConfigKeys).
  const bindsFrom = choose("binds");
  const uri = choose("uri");
  let pinned = decided;
  const binds: EngineBind[] = [];
  if (bindsFrom && bindsFrom !== "ambiguous" && uri && uri !== "ambiguous") {
    const server = serverOf(urlValue(uri.options.url, env));
    for (const bind of server ? (bindsFrom.options.binds ?? []) : []) {
      if (serverOf(urlValue(bind.options.url, env)) !== server) continue;
      // 3.x: the bind's own dict over the constructor's engine_options (SQLALCHEMY_ENGINE_OPTIONS is the default bind's only).
      // 2.x: binds are URLs that take the default engine's options (a dict bind is 3.x's).
      const three = [{ file: bindsFrom.file, options: bind.options }, fromConstructor].filter((o): o is Options => o !== undefined);
      const two = [fromConstructor, chosen, legacy].filter((o): o is Options => o !== undefined);
      let bindLayers = three;
      if (!bind.dict) {
        const a = layeredPool(three, env);
        const b = layeredPool(two, env);
        if (a.size?.fact.value !== b.size?.fact.value || a.overflow?.fact.value !== b.overflow?.fact.value) {
          pinned ??= source.flaskSqlalchemyVersion?.();
          // Which Flask-SQLAlchemy sizes the binds, and nothing pins it: they are not counted.
          if (!pinned) break;
          bindLayers = pinned.major === 2 ? two : three;
        }
      }
      const sized = layeredPool(bindLayers, env);
      if (bindLayers.some((o) => o.options.poolclass) || !sized.size || !sized.overflow) continue;
      binds.push({ name: bind.name, at: { file: bindsFrom.file, ...bind.nameSpan }, size: sized.size.fact, overflow: sized.overflow.fact });
      files.add(bindsFrom.file);
    }
  }
  const notes: EngineNote[] = [];
  const version = pinned;
  if (version) {
    files.add(version.file);
    const pinned = `${version.written} in ${version.file}`;
    if (legacy && version.major === 3) notes.push({ at: { file: legacy.file, ...legacy.options.span }, message: `ignored: Flask-SQLAlchemy 3.0 removed SQLALCHEMY_POOL_SIZE and SQLALCHEMY_MAX_OVERFLOW (${pinned}); SQLALCHEMY_ENGINE_OPTIONS sizes the pool` });
    notes.push({
      at: { file: version.file, ...version.span },
      message: version.assumed
        ? `assumed: the project installs Flask-SQLAlchemy 3.x, as ${version.written} does not pin it and ${version.assumed}`
        : `the project installs Flask-SQLAlchemy ${version.major === 2 ? "2.x" : "3.0 or later"} (${version.written})`,
    });
  }
  // The config class an environment variable's default picks, where the classes size the pool differently.
  if (all.filter((o) => o.options.className !== undefined).length > 1) {
    for (const target of fromObjects) {
      if (!target.assumed) continue;
      notes.push(target.assumed);
      files.add(target.assumed.at.file);
    }
  }
  return { at, size: size.fact, sizeName: size.name, overflow: overflow.fact, overflowName: overflow.name, files: [...files], what: flaskWhat(sizing), ...(notes.length > 0 ? { notes } : {}), ...(binds.length > 0 ? { binds } : {}) };
}

/** pool_size and max_overflow from the first of `layers` that sets each, else SQLAlchemy's defaults; undefined when one is not read or unbounded. */
function layeredPool(layers: Options[], env: (name: string) => Fact<string> | undefined): { size?: PoolValue & { from?: Options }; overflow?: PoolValue & { from?: Options } } {
  const value = (key: "poolSize" | "maxOverflow", keyword: string, fallback: number): (PoolValue & { from?: Options }) | undefined => {
    const from = layers.find((o) => o.options[key] !== undefined);
    const expr = from?.options[key];
    if (!from || !expr) return { fact: { value: fallback, origin: "default", by: "SQLAlchemy" }, name: keyword };
    const fact = settingNumber(expr, from.file, env);
    const name = expr.kind === "env" && expr.envName ? expr.envName : from.options.kind === "legacy" ? `SQLALCHEMY_${key === "poolSize" ? "POOL_SIZE" : "MAX_OVERFLOW"}` : keyword;
    return fact && { fact, name, from };
  };
  const size = value("poolSize", "pool_size", SQLALCHEMY_DEFAULTS.poolSize);
  const overflow = value("maxOverflow", "max_overflow", SQLALCHEMY_DEFAULTS.maxOverflow);
  // pool_size 0 means no limit; max_overflow -1 no limit on overflow: nothing to count.
  return size && overflow && size.fact.value > 0 && overflow.fact.value >= 0 ? { size, overflow } : {};
}

/** A URL's text: a literal, or the environment variable it reads (else its default). */
function urlValue(expr: SettingExpr | undefined, env: (name: string) => Fact<string> | undefined): string | undefined {
  if (expr?.kind === "string" && typeof expr.value === "string") return expr.value;
  if (expr?.kind === "env" && expr.envName) return env(expr.envName)?.value ?? expr.envDefault?.value;
  return undefined;
}

/** `host:port` of a database URL (`postgresql+psycopg://u:p@db/app` → `db:5432`, PostgreSQL's port when none is written); undefined without a host (SQLite, a socket). */
function serverOf(url: string | undefined): string | undefined {
  const m = url === undefined ? null : /^([\w+.-]+):\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^:/?#]+)(?::(\d+))?/.exec(url.trim());
  return m ? `${m[2].toLowerCase()}:${m[3] ?? (/^postgres/.test(m[1]) ? "5432" : m[1])}` : undefined;
}

function flaskWhat(sizing: Options | undefined): string {
  if (!sizing) return "Flask-SQLAlchemy creates the app's engine here, with SQLAlchemy's pool defaults";
  if (sizing.options.kind === "constructor") return "Flask-SQLAlchemy creates the app's engine with these engine_options";
  if (sizing.options.kind === "legacy") return "Flask-SQLAlchemy 2.x creates the app's engine with SQLALCHEMY_POOL_SIZE and SQLALCHEMY_MAX_OVERFLOW (deprecated since 2.4)";
  return "Flask-SQLAlchemy creates the app's engine with these SQLALCHEMY_ENGINE_OPTIONS";
}

/**
 * The config's options that apply: the one `app.config[...] =` or module-level setting; else those of the class
 * `from_object` names, or of the nearest base it inherits them from (none: the defaults); else the only class that
 * sets them. When a `from_object` loads a class Headroom cannot name (`classesOf` given), every class of the files
 * that set them must come to the same options. "ambiguous" when that cannot be told.
 */
function chooseOptions(candidates: Options[], targets: string[], bases: Map<string, string[]>, classesOf?: (file: string) => string[]): Options | "ambiguous" | undefined {
  const unowned = candidates.filter((o) => o.options.className === undefined);
  if (unowned.length > 0) return unowned.length === 1 ? unowned[0] : "ambiguous";
  if (candidates.length === 0) return undefined;
  const possible = new Set(classesOf ? candidates.flatMap((candidate) => classesOf(candidate.file)) : []);
  if (targets.length === 0 && possible.size === 0) return candidates.length === 1 ? candidates[0] : "ambiguous";
  // A named class that sets nothing leaves the options to the others; a class that may be loaded and sets nothing means the defaults.
  const applying = new Set<Options | undefined>();
  for (const [name, setsNothingCounts] of [...targets.map((t) => [t, false] as const), ...[...possible].map((c) => [c, true] as const)]) {
    const found = inherited(candidates, name, bases);
    if (found === "ambiguous") return "ambiguous";
    if (found || setsNothingCounts) applying.add(found);
  }
  return applying.size > 1 ? "ambiguous" : [...applying][0];
}

/** The options class `name` sets or inherits from its nearest base that sets them. */
function inherited(candidates: Options[], name: string, bases: Map<string, string[]>): Options | "ambiguous" | undefined {
  let names = [name];
  for (let depth = 0; depth < 4 && names.length > 0; depth++) {
    const hits = candidates.filter((o) => names.includes(o.options.className as string));
    if (hits.length > 1) return "ambiguous";
    if (hits.length === 1) return hits[0];
    names = names.flatMap((n) => bases.get(n) ?? []).map((base) => base.slice(base.lastIndexOf(".") + 1));
  }
  return undefined;
}

/** The path of an imported module inside `dir`: `app.db` → app/db.py or app/db/__init__.py; `.db` from the importing file's package. */
function moduleFile(source: PythonSource, dir: string, from: string, imported: string): string | undefined {
  const dots = /^\.*/.exec(imported)?.[0].length ?? 0;
  let base = dir;
  if (dots > 0) {
    base = from.includes("/") ? from.slice(0, from.lastIndexOf("/")) : "";
    for (let up = 1; up < dots; up++) base = base.includes("/") ? base.slice(0, base.lastIndexOf("/")) : "";
  }
  const rest = imported.slice(dots).replace(/\./g, "/");
  if (!rest) return undefined;
  const prefix = base ? `${base}/${rest}` : rest;
  return [`${prefix}.py`, `${prefix}/__init__.py`].find((path) => source.module(path) !== undefined);
}

interface PoolValue {
  fact: Fact<number>;
  name: string;
}

function poolArgument(source: PythonSource, dir: string, path: string, module: PythonModule, argument: PythonArgument | undefined, keyword: string, fallback: number, files: Set<string>): PoolValue | undefined {
  if (!argument) return { fact: { value: fallback, origin: "default", by: "SQLAlchemy" }, name: keyword };
  const env = (name: string) => source.env().get(name);
  const fact = settingNumber(argument.value, path, env);
  if (fact) return { fact, name: argument.value.kind === "env" && argument.value.envName ? argument.value.envName : keyword };
  const dotted = argument.dottedName?.split(".");
  if (dotted?.length !== 2) return undefined;
  const field = settingsField(source, dir, path, module, dotted[0], dotted[1]);
  if (!field) return undefined;
  files.add(field.path);
  const via = { at: { file: path, ...argument.value.span }, note: `${keyword}=${argument.dottedName}` };
  return { fact: { ...field.fact, via: [...(field.fact.via ?? []), via] }, name: field.name };
}

/**
 * A pydantic settings field read through the instance `holder` names (`settings` of `settings.DB_POOL_SIZE`): the
 * environment variable pydantic-settings would read for it, else its default where the class states it.
 */
function settingsField(source: PythonSource, dir: string, path: string, module: PythonModule, holder: string, field: string): { fact: Fact<number>; name: string; path: string } | undefined {
  let instancePath = path;
  let instanceModule: PythonModule | undefined = module;
  let className = module.instances.get(holder);
  const imported = module.aliases.get(holder);
  if (!className && imported?.includes(".")) {
    // `from app.core.config import settings`: the instance is in that module
    const file = moduleFile(source, dir, path, imported.slice(0, imported.lastIndexOf(".")));
    instanceModule = file === undefined ? undefined : source.module(file);
    instancePath = file ?? path;
    className = instanceModule?.instances.get(imported.slice(imported.lastIndexOf(".") + 1));
  }
  const cls = className === undefined ? undefined : instanceModule?.classes.get(className);
  const declared = cls?.fields.get(field);
  if (!cls || !declared || !cls.bases.some((base) => /(^|\.)BaseSettings$/.test(base))) return undefined;
  const envName = declared.alias ?? `${cls.envPrefix ?? ""}${field}`;
  const fromEnv = [...source.env()].find(([name]) => (cls.caseSensitive ? name === envName : name.toLowerCase() === envName.toLowerCase()));
  if (fromEnv && fromEnv[1].value.trim() !== "" && Number.isInteger(Number(fromEnv[1].value))) return { fact: { ...fromEnv[1], value: Number(fromEnv[1].value) }, name: fromEnv[0], path: instancePath };
  const fact = settingNumber(declared.value, instancePath, (name) => source.env().get(name));
  return fact ? { fact, name: envName, path: instancePath } : undefined;
}
