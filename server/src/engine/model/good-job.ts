// GoodJob's job threads and the connections they need: `good_job start` runs them in a process of its own, and
// GOOD_JOB_EXECUTION_MODE=async runs them inside each web server process, beside its request threads. Each job thread
// holds a connection, LISTEN/NOTIFY one more, cron two more when it is enabled (GoodJob's README), all from the
// process's Active Record pool.
import { SOURCES } from "../knowledge/sources.ts";
import { optionValue, type ServerInvocation } from "../parse/servers.ts";
import type { EnvLookup } from "../parse/shell.ts";
import type { Fact } from "../types.ts";
import type { Context } from "./build.ts";
import { railsConfig, railsConfigName, railsConfigNumber, type RailsConfigValue } from "./rails-config.ts";

/** The connection of the LISTEN/NOTIFY notifier (SOURCES.goodJobConnections). */
export const GOOD_JOB_LISTEN_NOTIFY = 1;
/** The connections of the cron scheduler, when enabled (SOURCES.goodJobConnections). */
export const GOOD_JOB_CRON = 2;
/** DEFAULT_MAX_THREADS in lib/good_job/configuration.rb. */
const DEFAULT_MAX_THREADS = 5;

export const GOOD_JOB_SOURCES = [SOURCES.goodJobConnections, SOURCES.goodJobConfiguration];

export interface GoodJobThreads {
  /** Job threads in one process: the sum over its schedulers (`--queues="mice:2;elephants:1"`), each max_threads unless it says. */
  threads: Fact<number>;
  /** What sets them, for messages: `--max-threads`, GOOD_JOB_MAX_THREADS, RAILS_MAX_THREADS, `--queues`. Undefined for GoodJob's default. */
  threadsFrom?: string;
  listenNotify: boolean;
  cron: boolean;
  /** GOOD_JOB_EXECUTION_MODE (or `config.good_job.execution_mode`) when it runs the threads inside a web server's processes (async, async_server, async_all). */
  asyncMode?: Fact<string>;
  /** What sets asyncMode, for messages: "GOOD_JOB_EXECUTION_MODE", "config.good_job.execution_mode". */
  asyncModeFrom?: string;
}

const ASYNC_MODES = new Set(["async", "async_server", "async_all"]);
const TRUE = /^(1|true|t|yes|y|on)$/i;

/** Connections one process needs for GoodJob: its job threads, LISTEN/NOTIFY and cron. */
export function goodJobConnections(g: GoodJobThreads): number {
  return g.threads.value + goodJobExtra(g);
}

/** The connections besides the job threads. */
export function goodJobExtra(g: GoodJobThreads): number {
  return (g.listenNotify ? GOOD_JOB_LISTEN_NOTIFY : 0) + (g.cron ? GOOD_JOB_CRON : 0);
}

/** " + LISTEN/NOTIFY 1 + cron 2": the terms after the job threads. */
export function goodJobExtraTerms(g: GoodJobThreads): string {
  return `${g.listenNotify ? ` + LISTEN/NOTIFY ${GOOD_JOB_LISTEN_NOTIFY}` : ""}${g.cron ? ` + cron ${GOOD_JOB_CRON}` : ""}`;
}

/** "5 GoodJob threads (GOOD_JOB_MAX_THREADS)", "5 GoodJob threads (GoodJob's default)". */
export function goodJobThreadsText(g: GoodJobThreads): string {
  return `${g.threads.value} GoodJob thread${g.threads.value === 1 ? "" : "s"} (${g.threadsFrom ?? "GoodJob's default"})`;
}

/**
 * `config.good_job.*` as the app's config/application.rb, config/environments/<env>.rb and config/initializers/good_job.rb set it for the deployment's environment
 * (model/rails-config.ts): GoodJob reads it before its GOOD_JOB_* variables (lib/good_job/configuration.rb, rails_config).
 */
export interface GoodJobRailsConfig {
  maxThreads?: Fact<number>;
  queues?: Fact<string>;
  enableCron?: Fact<string>;
  executionMode?: Fact<string>;
}

/**
 * GoodJob reads its configuration lazily, after the app's initializers ran: settings there (GoodJob's README sets cron in
 * config/initializers/good_job.rb) count over the environment's file.
 */
const GOOD_JOB_INITIALIZERS = ["config/initializers/good_job.rb"];

/** The `config.good_job` settings of the Rails app at `root`, set one by one or as a hash (`config.good_job = { max_threads: 4 }`). */
export function goodJobRailsConfig(ctx: Context, root: string, env: EnvLookup): GoodJobRailsConfig {
  const config = railsConfig(ctx, root, env, "good_job", GOOD_JOB_INITIALIZERS);
  if (config.size === 0) return {};
  const value = (key: string) => config.get(key);
  const maxThreads = value("max_threads");
  const queues = value("queues");
  const cron = value("enable_cron");
  const mode = value("execution_mode");
  const read = (v: RailsConfigValue | undefined) => (v ? railsConfigName(ctx, v, env) : undefined);
  const out: GoodJobRailsConfig = {};
  const threads = maxThreads && railsConfigNumber(ctx, maxThreads, env);
  if (threads) out.maxThreads = threads;
  const queueString = queues && /^(["'])([^"'#{}]*)\1$/.exec(queues.written);
  if (queues && queueString) out.queues = { value: queueString[2], origin: "stated", at: queues.at };
  if (cron && /^(true|false)$/.test(cron.written)) out.enableCron = { value: cron.written, origin: "stated", at: cron.at };
  const executionMode = read(mode);
  if (executionMode) out.executionMode = executionMode;
  return out;
}

/**
 * GoodJob's threads as `good_job start` (its options, then `config.good_job`, then GOOD_JOB_* variables) or an async web
 * process (`config.good_job`, then the variables) reads them.
 */
export function goodJobThreads(invocation: ServerInvocation | undefined, env: EnvLookup, rails: GoodJobRailsConfig = {}): GoodJobThreads {
  const option = invocation && optionValue(invocation, "max_threads")?.value;
  const fromOption =
    option && Number.isInteger(Number(option.fact.value)) ? { from: "--max-threads", fact: { ...option.fact, value: Number(option.fact.value) } }
    : rails.maxThreads ? { from: `config.good_job.max_threads in ${rails.maxThreads.at?.file ?? "the app's config"}`, fact: rails.maxThreads }
    : undefined;
  const fromEnv = ["GOOD_JOB_MAX_THREADS", "RAILS_MAX_THREADS"].map((name) => ({ name, fact: env(name) })).find((v) => v.fact && Number.isInteger(Number(v.fact.value)));
  const max: { from?: string; fact: Fact<number> } = fromOption ?? (fromEnv?.fact ? { from: fromEnv.name, fact: { ...fromEnv.fact, value: Number(fromEnv.fact.value) } } : { fact: { value: DEFAULT_MAX_THREADS, origin: "default", by: "GoodJob" } });
  const queues = (invocation && optionValue(invocation, "queues")?.value?.fact) ?? rails.queues ?? env("GOOD_JOB_QUEUES");
  // Schedulers are separated by `;`, each with its own threads (`queue:N`), else max_threads.
  const schedulers = queues?.value.trim() ? queues.value.split(";").filter((s) => s.trim() !== "") : [];
  const counted = schedulers.map((s) => /:\s*(\d+)\s*$/.exec(s)?.[1]);
  const threads: { from?: string; fact: Fact<number> } =
    schedulers.length > 1 || counted.some((n) => n !== undefined)
      ? { from: "--queues", fact: { ...(queues as Fact<string>), value: counted.reduce((sum, n) => sum + (n === undefined ? max.fact.value : Number(n)), 0) } }
      : max;
  const listen = invocation && optionValue(invocation, "enable_listen_notify");
  const listenOff = listen ? listen.flag.value.startsWith("--no-") : /^(0|false|f|no|n|off)$/i.test(env("GOOD_JOB_ENABLE_LISTEN_NOTIFY")?.value ?? "");
  const cronOption = invocation && optionValue(invocation, "enable_cron");
  const cron = cronOption ? !cronOption.flag.value.startsWith("--no-") : TRUE.test((rails.enableCron ?? env("GOOD_JOB_ENABLE_CRON"))?.value ?? "");
  return { threads: threads.fact, ...(threads.from ? { threadsFrom: threads.from } : {}), listenNotify: !listenOff, cron };
}

/** `config.good_job.execution_mode`, else GOOD_JOB_EXECUTION_MODE, set to run jobs inside the web server's processes. */
export function goodJobAsync(env: EnvLookup, rails: GoodJobRailsConfig = {}): GoodJobThreads | undefined {
  const mode = rails.executionMode ?? env("GOOD_JOB_EXECUTION_MODE");
  if (!mode || !ASYNC_MODES.has(mode.value.trim())) return undefined;
  return { ...goodJobThreads(undefined, env, rails), asyncMode: mode, asyncModeFrom: rails.executionMode ? "config.good_job.execution_mode" : "GOOD_JOB_EXECUTION_MODE" };
}
