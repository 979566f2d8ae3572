// Solid Queue's supervisor and the processes it forks, as config/queue.yml and config/recurring.yml describe them
// (parse/queue-yml.ts): `bin/jobs` (or `rake solid_queue:start`) runs one, and so does Puma's `plugin :solid_queue`,
// forked once from the Puma server. Each worker process holds up to its threads + 2 database connections (one per job
// thread, one for its polling, one for its heartbeat); each other process (dispatcher, scheduler, the supervisor
// itself) registers and heartbeats from a thread of its own: 2, a floor.
import { SOURCES } from "../knowledge/sources.ts";
import { parseQueueYml, queueProcesses, recurringTaskCount } from "../parse/queue-yml.ts";
import { optionValue, type ServerInvocation } from "../parse/servers.ts";
import { settingNumber } from "../parse/setting-expr.ts";
import type { EnvLookup } from "../parse/shell.ts";
import type { Fact, ParseProblem, SourceRef } from "../types.ts";
import { type Context, dirOf, findNearby, join, namedFile } from "./build.ts";
import type { JobDatabase } from "./pools.ts";
import type { Deployment } from "./types.ts";

/** Connections a worker process holds besides its job threads: its polling (main) thread and its heartbeat (SOURCES.solidQueueWorkerConnections). */
export const SOLID_QUEUE_WORKER_EXTRA = 2;
/** Connections of a dispatcher, scheduler or supervisor: its own thread and its heartbeat (SOURCES.solidQueueProcesses). */
export const SOLID_QUEUE_OTHER_CONNECTIONS = 2;
/** WORKER_DEFAULTS in lib/solid_queue/configuration.rb. */
const DEFAULT_THREADS = 3;
const DEFAULT_PROCESSES = 1;

export const SOLID_QUEUE_SOURCES = [SOURCES.solidQueueWorkerConnections, SOURCES.solidQueueProcesses, SOURCES.solidQueuePumaPlugin];

export interface SolidQueueWorkers {
  threads: Fact<number>;
  processes: Fact<number>;
  /** The `workers:` item in config/queue.yml. */
  at?: SourceRef;
}

/** What one Solid Queue supervisor runs in one instance. */
export interface SolidQueueTree {
  /** config/queue.yml as read, when the workspace has it (without it Solid Queue runs its default processes). */
  config?: string;
  environment: string;
  workers: SolidQueueWorkers[];
  dispatchers: Array<{ at?: SourceRef }>;
  /** Set when config/recurring.yml gives the environment recurring tasks: Solid Queue then forks a scheduler. */
  scheduler?: { at: SourceRef; tasks: number };
  /** Puma's `plugin :solid_queue` line, when Puma runs this supervisor. */
  inPuma?: SourceRef;
  /** The environment variable the plugin line's condition reads (`if ENV["SOLID_QUEUE_IN_PUMA"]`), as the deployment sets it (or not). */
  inPumaWhen?: { envName: string; set?: Fact<string> };
  /**
   * Async mode (`solid_queue_mode :async` in config/puma.rb, `bin/jobs --mode async`, SOLID_QUEUE_SUPERVISOR_MODE=async): the
   * supervisor runs its workers, dispatchers and scheduler as threads of the one process it is in, each worker group once
   * (`processes` is ignored), all sharing that process's pool of each database. `pool`: the queue database's, which holds them.
   */
  async?: { via: string; at?: SourceRef; pool?: number; pumaHeld?: number };
  /** The `bin/jobs` command, when that starts it. */
  command?: SourceRef;
  /**
   * The databases on the counted server that the jobs' own queries use besides Solid Queue's connections (model/pools.ts
   * jobDatabases): the primary when database.yml gives the queue a database of its own, and the other databases (cache,
   * cable) written on the primary's server. Each job thread takes one connection from each pool it queries.
   */
  jobDatabases?: JobDatabase[];
  /** database.yml's `queue` database when it is written on another server: Solid Queue's own connections go there, not to the counted one. */
  queueElsewhere?: SourceRef;
}

/** Connections a process's job threads open on the databases their jobs query, each up to its pool. */
export function jobQueryConnections(databases: readonly JobDatabase[] | undefined, threads: number): number {
  return (databases ?? []).reduce((sum, d) => sum + Math.min(d.size.value, threads), 0);
}

/** " + primary 3 + cache 3": the jobs' own queries of a process with `threads` job threads, term by term. */
export function jobQueryTerms(databases: readonly JobDatabase[] | undefined, threads: number): string {
  return (databases ?? []).map((d) => ` + ${d.name} ${Math.min(d.size.value, threads)}`).join("");
}

/** Database connections one supervisor and the processes it forks may hold. */
export function solidQueueConnections(tree: SolidQueueTree): number {
  const own = solidQueueOwnConnections(tree);
  // Async mode: one process, so one pool per database holds all its threads.
  if (tree.async) return Math.min(own, tree.async.pool ?? own) + jobQueryConnections(tree.jobDatabases, asyncJobThreads(tree));
  return own + tree.workers.reduce((sum, w) => sum + w.processes.value * jobQueryConnections(tree.jobDatabases, w.threads.value), 0);
}

/** Solid Queue's own connections to the queue database: threads + 2 per worker process, 2 per other process. None when that database is on another server. */
function solidQueueOwnConnections(tree: SolidQueueTree): number {
  if (tree.queueElsewhere) return 0;
  const workers = tree.workers.reduce((sum, w) => sum + w.processes.value * (w.threads.value + SOLID_QUEUE_WORKER_EXTRA), 0);
  const others = tree.dispatchers.length + (tree.scheduler ? 1 : 0) + 1;
  return workers + others * SOLID_QUEUE_OTHER_CONNECTIONS;
}

/** The job threads of all workers of an async supervisor, which share its process's pools. */
function asyncJobThreads(tree: SolidQueueTree): number {
  return tree.workers.reduce((sum, w) => sum + w.threads.value, 0);
}

/** "2 worker processes x (3 threads + 2) + 1 dispatcher x 2 + supervisor 2": the sum, term by term. */
export function solidQueueTerms(tree: SolidQueueTree): string {
  if (tree.async) return asyncTerms(tree, tree.async);
  const processes = (w: SolidQueueWorkers) => `${w.processes.value} worker process${w.processes.value === 1 ? "" : "es"}`;
  // The queue database on another server: only the jobs' queries of this server's databases count here.
  if (tree.queueElsewhere) return tree.workers.map((w) => `${processes(w)} x (${jobQueryTerms(tree.jobDatabases, w.threads.value).slice(3)})`).join(" + ");
  const terms = tree.workers.map((w) => `${processes(w)} x (${w.threads.value} thread${w.threads.value === 1 ? "" : "s"} + ${SOLID_QUEUE_WORKER_EXTRA}${jobQueryTerms(tree.jobDatabases, w.threads.value)})`);
  const dispatchers = tree.dispatchers.length;
  if (dispatchers > 0) terms.push(`${dispatchers} dispatcher${dispatchers === 1 ? "" : "s"} x ${SOLID_QUEUE_OTHER_CONNECTIONS}`);
  if (tree.scheduler) terms.push(`scheduler ${SOLID_QUEUE_OTHER_CONNECTIONS}`);
  terms.push(`supervisor ${SOLID_QUEUE_OTHER_CONNECTIONS}`);
  return terms.join(" + ");
}

/** "async mode, one process: 1 worker x (3 threads + 2) + supervisor 2 = 7, held to the queue pool 5; + primary 3": an async supervisor's sum. */
function asyncTerms(tree: SolidQueueTree, async: NonNullable<SolidQueueTree["async"]>): string {
  const own = solidQueueOwnConnections(tree);
  const jobs = jobQueryTerms(tree.jobDatabases, asyncJobThreads(tree));
  const threads = (n: number) => `${n} thread${n === 1 ? "" : "s"}`;
  const terms = tree.workers.map((w) => `1 worker x (${threads(w.threads.value)} + ${SOLID_QUEUE_WORKER_EXTRA})`);
  const dispatchers = tree.dispatchers.length;
  if (dispatchers > 0) terms.push(`${dispatchers} dispatcher${dispatchers === 1 ? "" : "s"} x ${SOLID_QUEUE_OTHER_CONNECTIONS}`);
  if (tree.scheduler) terms.push(`scheduler ${SOLID_QUEUE_OTHER_CONNECTIONS}`);
  terms.push(`supervisor ${SOLID_QUEUE_OTHER_CONNECTIONS}`);
  const room = async.pumaHeld ? `what Puma's request threads (${async.pumaHeld}) leave of the primary's pool in the same process: ${async.pool}` : `the queue database's pool ${async.pool}`;
  const held = async.pool !== undefined && async.pool < own ? `, held to ${room}` : "";
  const queue = tree.queueElsewhere ? "the queue database on another server" : `${terms.join(" + ")}${terms.length > 1 || held ? ` = ${own}` : ""}${held}`;
  return `async mode: ${queue}${jobs ? `; the jobs' queries${jobs}` : ""}`;
}

export interface SolidQueueOptions {
  /** `bin/jobs -c FILE`; config/queue.yml by default. */
  configFile?: string;
  recurringFile?: string;
  skipRecurring?: boolean;
  onlyWork?: boolean;
  onlyDispatch?: boolean;
  inPuma?: SourceRef;
  inPumaWhen?: SolidQueueTree["inPumaWhen"];
  command?: SourceRef;
  async?: SolidQueueTree["async"];
}

/** The options of a `bin/jobs` command line. */
export function solidQueueCliOptions(invocation: ServerInvocation): SolidQueueOptions {
  const configFile = optionValue(invocation, "config_file")?.value?.value;
  const recurringFile = optionValue(invocation, "recurring_schedule_file")?.value?.value;
  return {
    ...(configFile ? { configFile } : {}),
    ...(recurringFile ? { recurringFile } : {}),
    ...(optionValue(invocation, "skip_recurring") ? { skipRecurring: true } : {}),
    ...(optionValue(invocation, "only_work") ? { onlyWork: true } : {}),
    ...(optionValue(invocation, "only_dispatch") ? { onlyDispatch: true } : {}),
  };
}

/** Async mode for `bin/jobs`: `--mode async`, else SOLID_QUEUE_SUPERVISOR_MODE=async (Solid Queue's default_options). */
export function solidQueueCliAsync(invocation: ServerInvocation, env: EnvLookup): SolidQueueTree["async"] {
  const option = optionValue(invocation, "mode")?.value;
  if (option) return option.value === "async" ? { via: "--mode async", ...(option.fact.at ? { at: option.fact.at } : {}) } : undefined;
  const variable = env("SOLID_QUEUE_SUPERVISOR_MODE");
  return variable?.value.trim() === "async" ? { via: "SOLID_QUEUE_SUPERVISOR_MODE=async", ...(variable.at ? { at: variable.at } : {}) } : undefined;
}

/**
 * The supervisor's processes, read from the app's config/queue.yml (the section of RAILS_ENV, production when unset,
 * as for database.yml) and config/recurring.yml, near `dir` (the folder the command runs in, or config/puma.rb's app).
 */
export function solidQueueTree(ctx: Context, deployment: Deployment, dir: string, env: EnvLookup, options: SolidQueueOptions, from: string): SolidQueueTree {
  const environment = env("RAILS_ENV")?.value || env("RACK_ENV")?.value || "production";
  const tree: SolidQueueTree = {
    environment,
    workers: [],
    dispatchers: [],
    ...(options.inPuma ? { inPuma: options.inPuma } : {}),
    ...(options.inPumaWhen ? { inPumaWhen: options.inPumaWhen } : {}),
    ...(options.command ? { command: options.command } : {}),
    ...(options.async ? { async: options.async } : {}),
  };
  const path = options.configFile ? namedFile(ctx, dir, options.configFile) : findNearby(ctx, dir, "config/queue.yml");
  const text = path === undefined ? undefined : ctx.host.read(path);
  let workers: SolidQueueWorkers[] | undefined;
  let dispatchers: Array<{ at?: SourceRef }> | undefined;
  if (path !== undefined && text !== undefined) {
    const yml = ctx.parses.get(`queue-yml:${path}`, text, () => parseQueueYml(text, path));
    reportOnce(ctx, path, yml.problems);
    tree.config = path;
    deployment.files.add(path);
    deployment.links.push({ from, to: path, why: `Solid Queue's supervisor forks the processes the ${environment} section of this file describes` });
    const section = queueProcesses(yml, environment);
    if (section.workers || section.dispatchers) {
      workers = (section.workers ?? []).map((w) => ({
        threads: (w.threads && settingNumber(w.threads, path, env)) || { value: DEFAULT_THREADS, origin: "default", by: "Solid Queue" },
        processes: (w.processes && settingNumber(w.processes, path, env)) || { value: DEFAULT_PROCESSES, origin: "default", by: "Solid Queue" },
        at: { file: path, ...w.at },
      }));
      dispatchers = (section.dispatchers ?? []).map((at) => ({ at: { file: path, ...at } }));
    }
  }
  // Nothing configured: one worker and one dispatcher with their defaults.
  tree.workers = options.onlyDispatch ? [] : (workers ?? [{ threads: { value: DEFAULT_THREADS, origin: "default", by: "Solid Queue" }, processes: { value: DEFAULT_PROCESSES, origin: "default", by: "Solid Queue" } }]);
  // Async mode runs each group once, in the supervisor's process: "the `processes` option [...] will be ignored".
  if (options.async) tree.workers = tree.workers.map((w) => ({ ...w, processes: { value: 1, origin: "default", by: "Solid Queue's async mode" } }));
  tree.dispatchers = options.onlyWork ? [] : (dispatchers ?? [{}]);
  const skipRecurring = options.skipRecurring || options.onlyWork || /^(1|true|t|yes|y|on)$/i.test(env("SOLID_QUEUE_SKIP_RECURRING")?.value ?? "");
  const recurring = skipRecurring ? undefined : options.recurringFile ? namedFile(ctx, dir, options.recurringFile) : findNearby(ctx, dir, "config/recurring.yml");
  const recurringText = recurring === undefined ? undefined : ctx.host.read(recurring);
  if (recurring !== undefined && recurringText !== undefined) {
    const { count, problems } = ctx.parses.get(`recurring-yml:${recurring}:${environment}`, recurringText, () => recurringTaskCount(recurringText, recurring, environment));
    reportOnce(ctx, recurring, problems);
    if (count > 0) {
      tree.scheduler = { at: { file: recurring, start: 0, end: 0 }, tasks: count };
      deployment.files.add(recurring);
      deployment.links.push({ from, to: recurring, why: `its ${count} recurring task${count === 1 ? "" : "s"} make Solid Queue fork a scheduler` });
    }
  }
  return tree;
}

/** A file's parse problems, once per audit however many deployments read it. */
function reportOnce(ctx: Context, path: string, problems: ParseProblem[]): void {
  const key = `solid-queue-problems:${path}`;
  if (ctx.cache.has(key)) return;
  ctx.cache.set(key, true);
  ctx.problems.push(...problems);
}

/** The folder a Rails app's config/ is in, from a file inside it (config/puma.rb → the app's root). */
export function railsAppRoot(file: string): string {
  const dir = dirOf(file);
  return dir.endsWith("config") ? join(dir, "..") : dir;
}
