// Database connection pools, read from a deployment's environment. Every pool lives in one
// process: gunicorn/uvicorn workers, puma workers and sidekiq processes each open their own,
// so a deployment can hold (size + overflow) x processes x instances connections.
//
// The environment names Headroom understands are in ONE table, POOL_ENV, below: add a row to
// support a new convention, or map a workspace's own names in headroom.yml (`pools.env`, read by
// poolEnvTable). Names in neither are never guessed from their spelling.
import { CONFIG_FILE, type HeadroomConfig, type PoolEnvRole } from "../config.ts";
import { SOURCES, type Source } from "../knowledge/sources.ts";
import { flagName, optionValue, type ServerKind, serverName } from "../parse/servers.ts";
import { sameOnAnyHost, type SettingExpr, settingNumber, workersOnCpus } from "../parse/setting-expr.ts";
import { SIDEKIQ_CAPSULE } from "../parse/sidekiq-yml.ts";
import type { DatabaseYmlEnvironment } from "../parse/database-yml.ts";
import type { Fact, SourceRef } from "../types.ts";
import { type SolidQueueTree, solidQueueConnections } from "./solid-queue.ts";
import { goodJobConnections, type GoodJobThreads } from "./good-job.ts";
import type { SqlAlchemyEngine } from "./sqlalchemy.ts";
import type { Deployment, ServerProcess } from "./types.ts";

/** A database a job runner's jobs query on the counted server, with the pool each of its processes takes connections from. */
export interface JobDatabase {
  name: string;
  size: Fact<number>;
  /** Its name in database.yml (cache, cable), or where the primary's pool is set; none for Rails' default pool of the primary. */
  at?: SourceRef;
}

export type PoolKind = "sqlalchemy" | "activerecord" | "sidekiq" | "django" | "solid_queue" | "good_job";

export interface PoolEnvName {
  name: string;
  kind: PoolKind;
  /** size: connections the pool keeps (or, for thread-per-connection pools, threads); overflow: extra connections above it. */
  role: "size" | "overflow";
  /** What the value means, for messages. */
  meaning: string;
  source: Source;
  /** For a name the workspace maps in headroom.yml (`pools.env`): the role it gave and where. */
  configured?: { role: PoolEnvRole; at?: SourceRef };
}

/**
 * Environment variables that size a connection pool, in order of precedence within a kind
 * (the first one set wins). SQLAlchemy-style names are application conventions passed to
 * create_engine(pool_size=, max_overflow=); Rails' generated database.yml reads RAILS_MAX_THREADS
 * (DB_POOL is the other common spelling); Sidekiq's concurrency is its thread count, each thread
 * may hold one connection.
 */
export const POOL_ENV: readonly PoolEnvName[] = [
  { name: "DB_POOL_SIZE", kind: "sqlalchemy", role: "size", meaning: "pool size", source: SOURCES.sqlalchemyPoolSize },
  { name: "SQLALCHEMY_POOL_SIZE", kind: "sqlalchemy", role: "size", meaning: "pool size", source: SOURCES.sqlalchemyPoolSize },
  { name: "DATABASE_POOL_SIZE", kind: "sqlalchemy", role: "size", meaning: "pool size", source: SOURCES.sqlalchemyPoolSize },
  { name: "POOL_SIZE", kind: "sqlalchemy", role: "size", meaning: "pool size", source: SOURCES.sqlalchemyPoolSize },
  { name: "DB_MAX_OVERFLOW", kind: "sqlalchemy", role: "overflow", meaning: "overflow", source: SOURCES.sqlalchemyMaxOverflow },
  { name: "SQLALCHEMY_MAX_OVERFLOW", kind: "sqlalchemy", role: "overflow", meaning: "overflow", source: SOURCES.sqlalchemyMaxOverflow },
  { name: "MAX_OVERFLOW", kind: "sqlalchemy", role: "overflow", meaning: "overflow", source: SOURCES.sqlalchemyMaxOverflow },
  { name: "DB_POOL", kind: "activerecord", role: "size", meaning: "Active Record pool", source: SOURCES.railsPoolDefault },
  { name: "RAILS_MAX_THREADS", kind: "activerecord", role: "size", meaning: "threads and Active Record pool", source: SOURCES.railsDatabaseYmlPool },
  { name: "SIDEKIQ_CONCURRENCY", kind: "sidekiq", role: "size", meaning: "Sidekiq threads", source: SOURCES.sidekiqConcurrencyDefault },
];

/** What each `pools.env` role of headroom.yml reads a name as: the built-in entry it stands for. */
const ROLE_ENTRIES: Record<Exclude<PoolEnvRole, "ignore">, Omit<PoolEnvName, "name">> = {
  pool_size: { kind: "sqlalchemy", role: "size", meaning: "pool size", source: SOURCES.sqlalchemyPoolSize },
  max_overflow: { kind: "sqlalchemy", role: "overflow", meaning: "overflow", source: SOURCES.sqlalchemyMaxOverflow },
  activerecord_pool: { kind: "activerecord", role: "size", meaning: "Active Record pool", source: SOURCES.railsPoolDefault },
  sidekiq_concurrency: { kind: "sidekiq", role: "size", meaning: "Sidekiq threads", source: SOURCES.sidekiqConcurrencyDefault },
};

/**
 * The names a deployment's pool is read from: headroom.yml's `pools.env` first (a configured name
 * wins over a built-in one of the same kind and role), then POOL_ENV without the names it maps
 * (to another role, or to `ignore`).
 */
export function poolEnvTable(mapping: HeadroomConfig["pools"]["env"]): readonly PoolEnvName[] {
  if (mapping.size === 0) return POOL_ENV;
  const configured: PoolEnvName[] = [];
  for (const [name, { role, at }] of mapping) {
    if (role.value === "ignore") continue;
    configured.push({ name, ...ROLE_ENTRIES[role.value], configured: { role: role.value, at: role.at ?? at } });
  }
  return [...configured, ...POOL_ENV.filter((entry) => !mapping.has(entry.name))];
}

/** Django without a pool of its own (CONN_MAX_AGE's connections, one per thread or greenlet): what each process holds is connections, not a pool. */
export function holdsOwnConnections(pool: Pool): boolean {
  return pool.kind === "django" && !pool.djangoPool;
}

/** Django's connections outlive their request (CONN_MAX_AGE above 0, or None). */
export function djangoPersistent(pool: Pool): boolean {
  const age = pool.connMaxAge?.value;
  return pool.connMaxAge !== undefined && (age === null || (age ?? 0) > 0);
}

/** psycopg_pool's ConnectionPool(min_size=4, max_size=None): max_size None is min_size. Django 5.1's `"pool": True` takes these defaults. */
export const PSYCOPG_POOL_MIN_SIZE = 4;

/** Documented defaults, used only when a deployment is known to use a database but sets no size. */
export const POOL_DEFAULTS: Record<Exclude<PoolKind, "sqlalchemy" | "django" | "solid_queue" | "good_job">, { value: number; by: string; source: Source }> = {
  // Rails' generated config/database.yml: pool: ENV.fetch("RAILS_MAX_THREADS") { 5 }
  activerecord: { value: 5, by: "Rails", source: SOURCES.railsDatabaseYmlPool },
  // Sidekiq 7: "Sidekiq's default concurrency has been reduced from 10 to 5."
  sidekiq: { value: 5, by: "Sidekiq", source: SOURCES.sidekiqConcurrencyDefault },
};

/** Environment variables that say a deployment talks to a database (without sizing a pool). */
export const DATABASE_ENV = /^(DATABASE_URL|DB_URL|DB_URI|DATABASE_URI|SQLALCHEMY_DATABASE_URI|POSTGRES(QL)?_URL|PG_URL|\w+_DATABASE_URL|DB_HOST|DATABASE_HOST|POSTGRES_HOST|PGHOST)$/;

export interface Pool {
  kind: PoolKind;
  /** Connections one process may keep (for activerecord and sidekiq: threads, each may hold one). */
  size: Fact<number>;
  /** Connections one process may open above `size` (SQLAlchemy max_overflow), when stated. */
  overflow?: Fact<number>;
  /** The environment variable names that set size and overflow, for messages and fixes. */
  sizeName?: string;
  overflowName?: string;
  /** Where a size named only by its setting was read (`--concurrency`, `-c`, `config/sidekiq.yml`), for messages. */
  sizeFrom?: string;
  /**
   * Sidekiq 7's other capsules (`:capsules:` in config/sidekiq.yml): each runs its own threads besides `size` (the default
   * capsule's concurrency), and each thread may hold a connection. Only capsules whose concurrency Headroom reads.
   */
  capsules?: Array<{ name: string; threads: Fact<number> }>;
  /**
   * Django 5.1's psycopg pool (kind "django"): `size` is its max_size, shared by the process's threads. `connMaxAge`: a
   * CONN_MAX_AGE other than 0 set beside it, which Django refuses ("Pooling doesn't support persistent connections").
   */
  djangoPool?: { at: SourceRef; minSize?: number; connMaxAge?: Fact<number | null> };
  /** The `create_engine(...)` call of the app's code the pool is read from (model/sqlalchemy.ts): where pool_size goes when unset. */
  engine?: SourceRef;
  /** What creates that engine, for messages ("the app creates its SQLAlchemy engine here", Flask-SQLAlchemy's options). */
  engineWhat?: string;
  /** Lines that explain how the engine's pool was read (the Flask-SQLAlchemy version pinned, keys it ignores). */
  engineNotes?: SqlAlchemyEngine["notes"];
  /** Django's CONN_MAX_AGE (kind "django"): above 0 or None each thread keeps its connection; 0 closes it after each request. */
  connMaxAge?: Fact<number | null>;
  /**
   * Django served over ASGI without a pool of its own (kind "django"): a process serves many requests at once, each holding
   * its own connection, and nothing in the workspace bounds how many, so `size` is a floor of 1. `at`: where ASGI is said.
   */
  asgi?: SourceRef;
  /** Where Django's settings set DATABASES, for a thread-per-connection count without CONN_MAX_AGE (kind "django", its default 0). */
  djangoDatabases?: SourceRef;
  /**
   * Django under gunicorn's gevent or eventlet worker (kind "django"): `size` is the worker's worker_connections, one
   * connection per greenlet; `persistent` when CONN_MAX_AGE keeps them between requests, else each is held for its request.
   */
  greenlets?: { kind: "gevent" | "eventlet"; workerClass: Fact<string>; persistent: boolean; databases?: SourceRef; setting: "worker_connections" | "gevent" };
  /**
   * A process that uses the database from one thread (celery beat's scheduler): it holds one connection at a time
   * whatever its pool allows, so `size` is 1; `pool` is the pool its environment gives it, for the message.
   */
  oneThread?: { what: string; pool: Pool };
  /**
   * Solid Queue's supervisor and the processes it forks (kind "solid_queue"): `size` is the connections all of them
   * may hold in one instance (model/solid-queue.ts solidQueueConnections), `processes` is the one supervisor.
   */
  solidQueue?: SolidQueueTree;
  /**
   * An Active Record pool bigger than what its Puma process's threads can check out (kind "activerecord"): `value` is
   * the threads (plus GoodJob's, run async in the process), the most connections the process opens from the pool.
   */
  threadCap?: { value: number; threads: Fact<number>; what: string; goodJob?: number; actionCable?: number };
  /**
   * The other databases of a Rails multi-database section on the same server (kind "activerecord"): each a pool of its
   * own in every process, up to its size (and, with `threadCap`, to the threads). `at` is its name in database.yml.
   * For kind "sqlalchemy", Flask-SQLAlchemy's binds on the default engine's server, each with its size and overflow.
   */
  databases?: Array<{ name: string; at: SourceRef; size: Fact<number>; overflow?: Fact<number> }>;
  /** For a Solid Queue pool: the Active Record pool its processes use (database.yml's `queue` database, else the primary). */
  queuePool?: { database: string; fact: Fact<number>; file: string };
  /** `good_job start`'s process (kind "good_job"): `size` is its job threads; LISTEN/NOTIFY and cron add their connections. */
  goodJob?: GoodJobThreads;
  /** For a `good_job start` process: the other databases on the server its jobs query (cache, cable), each up to its job threads. */
  jobDatabases?: JobDatabase[];
  /** Pools are per process, never shared between processes: always true, to say so in types. */
  perProcess: true;
  /** Processes per instance that each open this pool, and what they are ("gunicorn workers"). */
  processes: Fact<number>;
  processLabel: string;
  /** Why `processes` is a floor, for messages: `multiprocessing.cpu_count() * 2 + 1 counts the host's CPUs`. */
  processesAtLeast?: string;
  /**
   * `processes` is the fewest the files allow: a cpu_count() formula counted on one CPU, a celery worker without
   * --concurrency, sidekiqswarm without SIDEKIQ_COUNT (the host's CPUs add more), a workers count set nowhere in the
   * workspace. The share's sum is then a floor too.
   */
  processesFloor?: true;
  /** supervisord's numprocs when several copies of the server run, each with `processes / copies` of them (model/budget.ts processesText). */
  copies?: Fact<number>;
  /**
   * For a Sidekiq pool of a Rails app (database.yml has its section, or DATABASE_URL a `?pool=`): the Active Record pool
   * each Sidekiq process gets, which its job threads share. `name` is what sets it ("RAILS_MAX_THREADS", "pool").
   */
  activeRecord?: { name: string; fact: Fact<number>; unsetVariables?: string[] };
}

const RUBY_THREADED: ReadonlySet<ServerKind> = new Set(["puma", "rails"]);

/** The section of Rails' config/database.yml that a deployment's Ruby processes read (model/build.ts finds it). */
export interface RailsDatabaseConfig {
  path: string;
  environment: string;
  pool?: SettingExpr;
  url?: SettingExpr;
  databases?: DatabaseYmlEnvironment["databases"];
  /**
   * Where an initializer sets the pool and connects again with it (GitLab's config/initializers/database_config.rb sizes it
   * from the process's Puma or Sidekiq threads): the pool the processes use is not database.yml's, nor one Headroom reads.
   */
  poolSetAtBoot?: SourceRef;
}

/** Django's CONN_MAX_AGE, or its connection pool, as the deployment's settings module sets it (model/build.ts finds the module). */
export interface DjangoConnections {
  path: string;
  /** Seconds a connection is kept; null for None (kept without limit). */
  connMaxAge?: Fact<number | null>;
  /** `"OPTIONS": {"pool": ...}` (Django 5.1+): the most connections each process's psycopg pool opens. */
  pool?: { maxSize: Fact<number>; sizeName: string; at: SourceRef; minSize?: number };
  /** Where the module (or one it starts from) sets DATABASES: the app uses a database, with CONN_MAX_AGE's default 0 when unset. */
  databases?: SourceRef;
  /** Where the server says it serves Django over ASGI (an `<project>.asgi` app, or uvicorn/daphne, which speak only ASGI). */
  asgi?: SourceRef;
}

/** The pool of a deployment's processes, from its environment, its servers, database.yml and Django's settings. Undefined when nothing says there is one. */
export function readPool(
  deployment: Deployment,
  rails?: RailsDatabaseConfig,
  django?: DjangoConnections,
  table: readonly PoolEnvName[] = POOL_ENV,
  engine?: SqlAlchemyEngine,
  process: ServerProcess | undefined = deployment.processes[0],
): Pool | undefined {
  const pool = environmentPool(deployment, process, rails, django, table, engine);
  const beat = deployment.celeryBeat;
  if (!pool || !beat || deployment.processes.length > 0) return pool;
  // celery beat sends tasks from one scheduler thread and runs none (SOURCES.celeryBeatScheduler); SQLAlchemy opens a
  // pool's connections only as they are checked out (SOURCES.sqlalchemyNoPrecreate), Django one per thread: one at a time.
  return {
    kind: pool.kind,
    size: { value: 1, origin: "assumed", by: "celery beat" },
    sizeName: "scheduler thread",
    oneThread: { what: "celery beat", pool },
    perProcess: true,
    processes: { value: 1, origin: "stated", at: beat },
    processLabel: "celery beat process",
  };
}

function environmentPool(
  deployment: Deployment,
  process: ServerProcess | undefined,
  rails: RailsDatabaseConfig | undefined,
  django: DjangoConnections | undefined,
  table: readonly PoolEnvName[],
  engine: SqlAlchemyEngine | undefined,
): Pool | undefined {
  const server = process?.invocation.server;
  const envOf = processEnv(deployment, process);
  const usesDatabase = rails !== undefined || [...deployment.env.keys(), ...(process?.exported?.keys() ?? [])].some((k) => DATABASE_ENV.test(k));
  const found = (kind: PoolKind, role: "size" | "overflow") => {
    for (const entry of table) {
      if (entry.kind !== kind || entry.role !== role) continue;
      const fact = envOf(entry.name);
      const n = fact ? Number(fact.value) : Number.NaN;
      if (!fact || fact.value.trim() === "" || !Number.isInteger(n) || n < 0) continue;
      const mapped = entry.configured?.at && { at: entry.configured.at, note: `${CONFIG_FILE} maps ${entry.name} to ${entry.configured.role}` };
      return { name: entry.name, fact: { ...fact, value: n, ...(mapped ? { via: [...(fact.via ?? []), mapped] } : {}) } as Fact<number> };
    }
    return undefined;
  };

  if (server === "solid_queue" && process?.solidQueue) return solidQueuePool(process.solidQueue, queueDatabasePool(deployment, rails, process), jobDatabases(deployment, rails, process));
  // Counted at what GoodJob's README sizes the pool for: one connection per job thread, LISTEN/NOTIFY and cron.
  if (server === "good_job" && process?.goodJob) {
    const goodJob = process.goodJob;
    // GoodJob's records and the jobs' own queries share the primary's pool (one connection per thread); other databases on the server add theirs.
    const databases = jobDatabases(deployment, rails, process).databases;
    return { kind: "good_job", size: goodJob.threads, sizeName: `GoodJob threads${goodJob.threadsFrom ? ` (${goodJob.threadsFrom})` : ""}`, goodJob, ...(databases.length > 0 ? { jobDatabases: databases } : {}), perProcess: true, processes: { value: 1, origin: "default", by: "GoodJob" }, processLabel: "good_job process" };
  }

  if (server === "sidekiq" && process) {
    // The model's worker count for sidekiq is its concurrency: `-c`/`--concurrency`, else config/sidekiq.yml's
    // (model/build.ts); then SIDEKIQ_CONCURRENCY, RAILS_MAX_THREADS (Sidekiq 7 reads it), or 5.
    const flag = optionValue(process.invocation, "concurrency");
    const from = flag?.value && Number.isFinite(Number(flag.value.fact.value)) ? flagName(flag) : process.config?.path;
    const fromCommand = process.workers.origin !== "default" && from ? { name: "concurrency", from, fact: process.workers } : undefined;
    const fromEnv = found("sidekiq", "size") ?? found("activerecord", "size");
    const size = fromCommand ?? fromEnv;
    const d = POOL_DEFAULTS.sidekiq;
    if (!size && !usesDatabase) return undefined;
    const capsules = sidekiqCapsules(process, envOf);
    const fromRails = activeRecordPool(deployment, rails, process);
    // `pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>` with the variable unset for this service: the default applies.
    // Rails' own default only where the section writes no pool: one Headroom cannot evaluate is not taken for it.
    const unsetVariables: string[] = [];
    if (fromRails?.name === "pool") for (let e = rails?.pool; e?.kind === "env" && e.envName; e = e.fallback) unsetVariables.push(e.envName);
    const activeRecord = fromRails
      ? { ...fromRails, ...(unsetVariables.length > 0 ? { unsetVariables } : {}) }
      : rails && rails.pool === undefined
        ? { name: "pool", fact: { value: POOL_DEFAULTS.activerecord.value, origin: "default" as const, by: "Rails" } }
        : undefined;
    return {
      ...(activeRecord ? { activeRecord } : {}),
      kind: "sidekiq",
      size: size?.fact ?? { value: d.value, origin: "default", by: d.by },
      sizeName: size?.name,
      ...(fromCommand ? { sizeFrom: fromCommand.from } : {}),
      ...(capsules.length > 0 ? { capsules } : {}),
      perProcess: true,
      ...sidekiqProcesses(process),
    };
  }

  // The engine the app's code creates says what its pool is: its arguments (or SQLAlchemy's defaults), not a naming convention.
  if (engine && process) {
    // An unset pool_size is named as SQLAlchemy's default in messages ("pool_size 5 (SQLAlchemy's default)").
    const sizeName = engine.size.origin === "default" ? {} : { sizeName: engine.sizeName };
    const notes = engine.notes ? { engineNotes: engine.notes } : {};
    // Flask-SQLAlchemy's binds on the same server: an engine and pool of their own in each process.
    const binds = engine.binds ? { databases: engine.binds } : {};
    return { kind: "sqlalchemy", size: engine.size, ...sizeName, overflow: engine.overflow, overflowName: engine.overflowName, engine: engine.at, engineWhat: engine.what, ...notes, ...binds, perProcess: true, ...processCount(process, deployment.appCommand) };
  }
  const sqlSize = found("sqlalchemy", "size");
  const sqlOverflow = found("sqlalchemy", "overflow");
  if (sqlSize || sqlOverflow) {
    return {
      kind: "sqlalchemy",
      // create_engine()'s own default pool_size is 5 when only the overflow is given.
      size: sqlSize?.fact ?? { value: 5, origin: "default", by: "SQLAlchemy" },
      sizeName: sqlSize?.name,
      overflow: sqlOverflow?.fact,
      overflowName: sqlOverflow?.name,
      perProcess: true,
      ...processCount(process, deployment.appCommand),
    };
  }

  // Django 5.1's pool: one psycopg ConnectionPool per process, which its threads share, up to max_size connections.
  if (django?.pool && process) {
    const conflicting = django.connMaxAge && django.connMaxAge.value !== 0 ? { connMaxAge: django.connMaxAge } : {};
    const minSize = django.pool.minSize !== undefined ? { minSize: django.pool.minSize } : {};
    return { kind: "django", size: django.pool.maxSize, sizeName: django.pool.sizeName, djangoPool: { at: django.pool.at, ...minSize, ...conflicting }, perProcess: true, ...processCount(process, deployment.appCommand) };
  }
  // gevent and eventlet run each client in a greenlet, which Django takes for a thread: a connection each, up to
  // worker_connections per worker. CONN_MAX_AGE keeps them after the request, and a greenlet does not serve the next
  // client, so they are not reused (SOURCES.gunicornDjangoGreenletConnections); with 0 each is held while its request runs.
  const greenlets = process?.greenlets;
  if (django && greenlets && process) {
    const persistent = django.connMaxAge !== undefined && django.connMaxAge.value !== 0;
    return {
      kind: "django",
      size: greenlets.connections,
      sizeName: greenlets.setting,
      ...(django.connMaxAge ? { connMaxAge: django.connMaxAge } : {}),
      greenlets: { kind: greenlets.kind, workerClass: greenlets.workerClass, persistent, ...(django.databases ? { databases: django.databases } : {}), setting: greenlets.setting },
      perProcess: true,
      ...processCount(process, deployment.appCommand),
    };
  }
  // Django opens a connection per thread ("each thread maintains its own connection"): with CONN_MAX_AGE above 0 (or None)
  // the thread keeps it between requests; with 0, Django's default, it is closed after each request, but a thread holds
  // one while its request runs, so a process's threads hold as many at its busiest (SOURCES.djangoConnMaxAge).
  if (django && process && (django.connMaxAge || django.databases)) {
    // Under ASGI requests are not bounded by threads: Django serves "hundreds of connections without using Python threads",
    // sync code in a thread per request (SOURCES.djangoAsyncThreadPerRequest). How many run at once is not in the files: a floor.
    if (django.asgi) {
      return {
        kind: "django",
        size: { value: 1, origin: "assumed", by: "Headroom" },
        sizeName: "connections",
        asgi: django.asgi,
        ...(django.connMaxAge ? { connMaxAge: django.connMaxAge } : django.databases ? { djangoDatabases: django.databases } : {}),
        perProcess: true,
        ...processCount(process, deployment.appCommand),
      };
    }
    const threads = process.threads;
    return {
      kind: "django",
      size: threads ? { ...threads } : { value: 1, origin: "default", by: process.invocation.server },
      sizeName: "threads",
      ...(django.connMaxAge ? { connMaxAge: django.connMaxAge } : django.databases ? { djangoDatabases: django.databases } : {}),
      perProcess: true,
      ...processCount(process, deployment.appCommand),
    };
  }

  // A `pool:` written in a way Headroom cannot evaluate (`Sidekiq.server? ? … : …`) is unknown: neither a variable's value nor Rails' default.
  const fromRails = activeRecordPool(deployment, rails, process);
  const unread = rails?.pool !== undefined && !fromRails;
  const arSize = fromRails ?? (unread ? undefined : found("activerecord", "size"));
  if (arSize || (usesDatabase && !unread && server !== undefined && RUBY_THREADED.has(server))) {
    const d = POOL_DEFAULTS.activerecord;
    const size = arSize?.fact ?? { value: d.value, origin: "default" as const, by: d.by };
    const cap = process && pumaThreadCap(process);
    const databases = rails ? otherDatabases(rails, envOf) : [];
    return {
      kind: "activerecord",
      size,
      sizeName: arSize?.name,
      ...(databases.length > 0 ? { databases } : {}),
      // Kept with Action Cable's workers even when they fill the pool: the message says what fills it.
      ...(cap && (cap.actionCable || [size, ...databases.map((d) => d.size)].some((s) => cap.value < s.value)) ? { threadCap: cap } : {}),
      perProcess: true,
      ...processCount(process, deployment.appCommand),
    };
  }
  return undefined;
}

/**
 * The pools of database.yml's other databases on the primary's server (Rails 8's cache, queue and cable): Active Record
 * opens one per database in each process, each up to its own `pool` (Rails' default 5).
 */
function otherDatabases(rails: RailsDatabaseConfig, env: (name: string) => Fact<string> | undefined): NonNullable<Pool["databases"]> {
  return (rails.databases ?? []).flatMap((d) => {
    if (!d.sameServer) return [];
    const size = (d.pool && settingNumber(d.pool, rails.path, env)) || { value: POOL_DEFAULTS.activerecord.value, origin: "default" as const, by: POOL_DEFAULTS.activerecord.by };
    return [{ name: d.name, at: { file: rails.path, ...d.nameSpan }, size }];
  });
}

/**
 * The most connections a Puma process can hold at once from its pool, when its threads are stated (a Unicorn worker: its one), one per thread
 * (Rails checks a connection out per thread and opens one only when none is free: SOURCES.railsConnectionPerThread), plus what GoodJob runs in it
 * (GOOD_JOB_EXECUTION_MODE=async) and Action Cable's worker pool when the app mounts it (its channel actions check
 * connections out too: SOURCES.actionCableWorkerPool). load_async's executor is not counted.
 */
function pumaThreadCap(process: ServerProcess): Pool["threadCap"] {
  const goodJob = process.goodJob?.asyncMode ? goodJobConnections(process.goodJob) : 0;
  const actionCable = process.actionCable?.workers.value ?? 0;
  const extras = { ...(goodJob > 0 ? { goodJob } : {}), ...(actionCable > 0 ? { actionCable } : {}) };
  // A Unicorn worker serves one client at a time (SOURCES.unicornDefaults): one request thread, one connection.
  if (process.invocation.server === "unicorn") return { value: 1 + goodJob + actionCable, threads: { value: 1, origin: "default", by: "Unicorn" }, what: "unicorn request thread", ...extras };
  const threads = process.threads;
  if (!RUBY_THREADED.has(process.invocation.server) || !threads || threads.origin === "default") return undefined;
  return { value: threads.value + goodJob + actionCable, threads, what: threads.value === 1 ? "puma thread" : "puma threads", ...extras };
}

/**
 * The pool Solid Queue's processes take their connections from: database.yml's `queue` database (Rails 8 connects
 * Solid Queue to it), else the primary's (one database for the app and the queue), as the deployment's environment sizes it.
 */
export function queueDatabasePool(deployment: Deployment, rails: RailsDatabaseConfig | undefined, process?: ServerProcess): Pool["queuePool"] {
  if (!rails) return undefined;
  const env = processEnv(deployment, process);
  const queue = rails.databases?.find((d) => d.name === "queue");
  const expr = queue ? queue.pool : rails.pool;
  const fact = (expr && settingNumber(expr, rails.path, env)) || { value: POOL_DEFAULTS.activerecord.value, origin: "default" as const, by: POOL_DEFAULTS.activerecord.by };
  return { database: queue ? "queue" : "primary", fact, file: rails.path };
}

/**
 * The databases on the primary's server that a job runner's jobs query besides its own queue: each job thread takes a
 * connection from each pool it queries. With database.yml's `queue` database (Rails 8's Solid Queue setup) the jobs' own
 * queries go to the primary (its pool, as the deployment's environment sizes it) and to the other databases written on
 * its server (cache, cable); with the queue in the primary, a job's queries reuse the connection its thread already holds,
 * and only the other databases add. `queueElsewhere`: the queue database is written on another server.
 */
export function jobDatabases(deployment: Deployment, rails: RailsDatabaseConfig | undefined, process?: ServerProcess): { databases: JobDatabase[]; queueElsewhere?: SourceRef } {
  if (!rails) return { databases: [] };
  const env = processEnv(deployment, process);
  const others: JobDatabase[] = otherDatabases(rails, env).filter((d) => d.name !== "queue");
  const queue = rails.databases?.find((d) => d.name === "queue");
  if (!queue) return { databases: others };
  const pool = activeRecordPool(deployment, rails, process)?.fact ?? { value: POOL_DEFAULTS.activerecord.value, origin: "default" as const, by: POOL_DEFAULTS.activerecord.by };
  const primary: JobDatabase = { name: "primary", size: pool, ...(pool.at && pool.origin !== "default" ? { at: pool.at } : {}) };
  return { databases: [primary, ...others], ...(queue.sameServer ? {} : { queueElsewhere: { file: rails.path, ...queue.nameSpan } }) };
}

/**
 * The connections of a Solid Queue supervisor and its processes in one instance, as one share. It points at the
 * threads of its biggest group of workers (or their processes, or the group), the numbers a team changes.
 */
export function solidQueuePool(written: SolidQueueTree, queuePool?: Pool["queuePool"], jobs?: ReturnType<typeof jobDatabases>, pumaHeld = 0): Pool {
  // An async supervisor's threads share one pool of the queue database: it holds at most that many of their connections,
  // less what Puma's request threads hold of it when they are in the same process and the queue is the primary.
  const shared = queuePool?.database === "primary" ? pumaHeld : 0;
  const async = written.async && queuePool ? { async: { ...written.async, pool: Math.max(0, queuePool.fact.value - shared), ...(shared > 0 ? { pumaHeld: shared } : {}) } } : {};
  const tree: SolidQueueTree = { ...written, ...async, ...(jobs && jobs.databases.length > 0 ? { jobDatabases: jobs.databases } : {}), ...(jobs?.queueElsewhere ? { queueElsewhere: jobs.queueElsewhere } : {}) };
  const biggest = [...tree.workers].sort((a, b) => b.processes.value * b.threads.value - a.processes.value * a.threads.value)[0];
  // Several processes: their count is the bigger lever (JOB_CONCURRENCY in Rails' template), else the threads.
  const levers = biggest && biggest.processes.value > 1 ? [biggest.processes, biggest.threads] : [biggest?.threads, biggest?.processes];
  const anchor = levers.find((f) => f?.origin === "stated" && f.at);
  const at = anchor?.at ?? biggest?.at ?? tree.inPuma ?? (tree.config ? { file: tree.config, start: 0, end: 0 } : undefined);
  const size: Fact<number> = anchor ? { ...anchor, value: solidQueueConnections(tree) } : { value: solidQueueConnections(tree), origin: "default", by: "Solid Queue", ...(at ? { at } : {}) };
  return {
    kind: "solid_queue",
    size,
    sizeName: "Solid Queue connections",
    solidQueue: tree,
    ...(queuePool ? { queuePool } : {}),
    perProcess: true,
    processes: { value: 1, origin: "default", by: "Solid Queue" },
    processLabel: tree.inPuma ? (tree.async ? "Solid Queue supervisor in Puma's process" : "Solid Queue supervisor forked by Puma") : "Solid Queue supervisor",
  };
}

/**
 * Active Record's pool as Rails resolves it: a `pool` query parameter of DATABASE_URL (or of the
 * section's `url:`) wins over database.yml's `pool:`, which may read an environment variable
 * (`<%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>`, read as text).
 */
/** The environment the deployment's (first) process sees: what its start script exported, over the deployment's. */
/**
 * The threads of each capsule the process's config/sidekiq.yml declares, where its concurrency reads as a number,
 * then those of its Rails initializer (which runs later: a capsule of the same name is set up there last).
 */
function sidekiqCapsules(process: ServerProcess, env: (name: string) => Fact<string> | undefined): Array<{ name: string; threads: Fact<number> }> {
  const config = process.config;
  const fromYml = !config
    ? []
    : [...config.settings].flatMap(([key, setting]) => {
        if (!key.startsWith(SIDEKIQ_CAPSULE)) return [];
        const threads = settingNumber(setting, config.path, env);
        return threads ? [{ name: key.slice(SIDEKIQ_CAPSULE.length), threads }] : [];
      });
  const fromInitializer = process.initializerCapsules ?? [];
  return [...fromYml.filter((c) => !fromInitializer.some((i) => i.name === c.name)), ...fromInitializer];
}

/** A process's environment: what its command line or start script exports, over the deployment's. */
function processEnv(deployment: Deployment, process: ServerProcess | undefined = deployment.processes[0]): (name: string) => Fact<string> | undefined {
  const exported = process?.exported;
  return (name) => exported?.get(name) ?? deployment.env.get(name);
}

function activeRecordPool(deployment: Deployment, rails: RailsDatabaseConfig | undefined, process?: ServerProcess): { name: string; fact: Fact<number> } | undefined {
  if (rails?.poolSetAtBoot) return undefined;
  const env = processEnv(deployment, process);
  const urlExpr = rails?.url;
  const url = env("DATABASE_URL") ?? (urlExpr && rails && urlFact(urlExpr, rails.path, env));
  const fromUrl = url && urlPool(url);
  if (fromUrl) return { name: "DATABASE_URL pool", fact: fromUrl };
  if (!rails?.pool) return undefined;
  const fact = settingNumber(rails.pool, rails.path, env);
  if (!fact) return undefined;
  return { name: poolVariable(rails.pool, env) ?? "pool", fact };
}

/** The variable whose value the pool takes: the first one set along `ENV["DB_POOL"] || ENV["RAILS_MAX_THREADS"] || 5`; undefined for the file's own literal. */
function poolVariable(expr: SettingExpr, env: (name: string) => Fact<string> | undefined): string | undefined {
  for (let e: SettingExpr | undefined = expr; e?.kind === "env"; e = e.fallback) {
    if (e.envName && env(e.envName)) return e.envName;
  }
  return undefined;
}

function urlFact(expr: SettingExpr, file: string, env: (name: string) => Fact<string> | undefined): Fact<string> | undefined {
  if (expr.kind === "string" && typeof expr.value === "string") return { value: expr.value, origin: "stated", at: { file, ...expr.span } };
  if (expr.kind === "env" && expr.envName) return env(expr.envName);
  return undefined;
}

/** `?pool=N` in a database URL, pointing at N when the URL is written as is. */
export function urlPool(url: Fact<string>): Fact<number> | undefined {
  const m = /[?&]pool=(\d+)(?=&|#|$)/.exec(url.value);
  if (!m) return undefined;
  const start = m.index + m[0].length - m[1].length;
  const at = url.at;
  const exact = at !== undefined && at.end - at.start === url.value.length;
  return { ...url, value: Number(m[1]), ...(at ? { at: exact ? { file: at.file, start: at.start + start, end: at.start + start + m[1].length } : at } : {}) };
}

/**
 * One sidekiq process, supervisord's numprocs copies of it, or the children sidekiqswarm forks: each has the
 * concurrency and its own pool.
 */
function sidekiqProcesses(process: ServerProcess): { processes: Fact<number>; processLabel: string; copies?: Fact<number>; processesFloor?: true } {
  const swarm = process.sidekiqSwarm;
  const copies = process.copies;
  if (!swarm && copies && copies.value > 1) return { processes: { value: copies.value, origin: copies.origin, ...(copies.at ? { at: copies.at } : {}) }, processLabel: "sidekiq processes (numprocs)" };
  if (!swarm) return { processes: { value: 1, origin: "default", by: "Sidekiq" }, processLabel: "sidekiq process" };
  if (swarm.perHostCpu) return { processes: swarm.processes, processLabel: "sidekiqswarm child process (at least: without SIDEKIQ_COUNT, one per host CPU)", processesFloor: true };
  return { processes: swarm.processes, processLabel: swarm.processes.value === 1 ? "sidekiqswarm child process (SIDEKIQ_COUNT)" : "sidekiqswarm child processes (SIDEKIQ_COUNT)" };
}

/** A workers count the workspace does not give, as the floor the files vouch for. */
export interface WorkersFloor {
  value: number;
  /** The formula that counts the host's CPUs, or the variable set nowhere. */
  at: SourceRef;
  /** The formula as written or described (`multiprocessing.cpu_count() * 2 + 1`); undefined for a variable set nowhere. */
  formula?: string;
}

/**
 * Where the model holds only the server's default because the workspace does not give the count, the count the files
 * vouch for, the one floor the pools and the report use: what a formula counting the host's CPUs gives on one CPU (with a
 * multiplier an environment variable may set, its lowest: `WORKERS_PER_CORE * cpu_count()` is 1 or more, `max(…, 2)` 2), or
 * one process for a count written as a variable set nowhere. Undefined where the files give the count, and for uvicorn
 * under --reload, which runs one process whatever the count (SOURCES.uvicornReloadWorkersExclusive).
 */
export function workersFloor(process: ServerProcess): WorkersFloor | undefined {
  if (process.workers.origin !== "default" || (process.invocation.server === "uvicorn" && process.reload)) return undefined;
  const fromCpu = process.workersFromCpuCount;
  if (fromCpu) {
    const formula = fromCpu.cpuFormula;
    // A cap at or below what one CPU gives is the count on every host: exact, not a floor.
    if (formula && sameOnAnyHost(formula, 1)) return undefined;
    return { value: formula ? workersOnCpus(formula.multiplierEnv ? { ...formula, multiplier: 0 } : formula, 1) : 1, at: fromCpu.at, formula: fromCpu.formula };
  }
  return process.workersUnresolved ? { value: 1, at: process.workersUnresolved } : undefined;
}

function processCount(
  process: ServerProcess | undefined,
  appCommand: Deployment["appCommand"],
): { processes: Fact<number>; processLabel: string; processesAtLeast?: string; processesFloor?: true; copies?: Fact<number> } {
  // `python worker.py`, `arq …`: one process of the app's code, assumed (it may fork or run threads of its own).
  if (!process) return { processes: { value: 1, origin: "assumed", by: "Headroom", ...(appCommand ? { at: appCommand.at } : {}) }, processLabel: appCommand ? `${appCommand.program} process (assumed)` : "process" };
  const server = process.invocation.server;
  const name = serverName(process.invocation);
  // uvicorn under --reload runs one process and ignores --workers and WEB_CONCURRENCY (SOURCES.uvicornReloadWorkersExclusive).
  if (server === "uvicorn" && process.reload) return { processes: { value: 1, origin: "stated", at: process.reload }, processLabel: "uvicorn process (--reload)" };
  const floor = workersFloor(process);
  // Without --concurrency celery forks one process per CPU of the host, which the workspace does not say: 1 is a floor.
  const perHostCpu = server === "celery" && floor?.formula !== undefined;
  // Other counts the workspace does not give are counted at their floor, with the reason.
  const counted = perHostCpu ? undefined : floor;
  const n = counted?.value ?? Math.max(1, process.workers.value);
  // puma's `workers 0` (its default) is single mode: the one puma process serves, it forks no worker. A platform's default
  // count above 1 (Heroku's buildpack WEB_CONCURRENCY) is cluster mode all the same.
  const single = RUBY_THREADED.has(server) && (counted ? n === 1 : process.workers.value === 0 || (process.workers.origin === "default" && process.workers.value <= 1));
  const label = server === "celery" ? (perHostCpu ? "celery worker process (at least: without --concurrency, one per host CPU)" : "celery worker process") : single ? `${name} process` : `${name} worker`;
  const processLabel = n === 1 ? label : label.endsWith("s") ? `${label}es` : `${label}s`;
  // supervisord's numprocs: each copy of the server has its workers, each worker its pool.
  const copies = process.copies && process.copies.value > 1 ? process.copies : undefined;
  const value = n * (copies?.value ?? 1);
  const processes: Fact<number> = counted ? { value, origin: "assumed", by: "Headroom", at: counted.at } : { ...process.workers, value };
  const why = counted && (counted.formula ? `${counted.formula} counts the host's CPUs, 1 or more` : "the workers count is a value set nowhere in the workspace, 1 or more");
  return { processes, processLabel, ...(copies ? { copies } : {}), ...(why ? { processesAtLeast: why } : {}), ...(floor ? { processesFloor: true as const } : {}) };
}
