// The rule registry: the catalogue, in the order docs list them.
import type { Rule, RuleMeta } from "./define.ts";
import configInvalid from "./config/invalid.ts";
import suppressUnknownRule from "./suppress/unknown-rule.ts";
import suppressUnused from "./suppress/unused.ts";
import dbConnectionsExceedMax from "./db/connections-exceed-max.ts";
import dbPumaThreadsExceedPool from "./db/puma-threads-exceed-pool.ts";
import dbSidekiqConcurrencyExceedsPool from "./db/sidekiq-concurrency-exceeds-pool.ts";
import dbSolidQueueThreadsExceedPool from "./db/solid-queue-threads-exceed-pool.ts";
import dbDjangoPoolWithConnMaxAge from "./db/django-pool-with-conn-max-age.ts";
import pgbouncerClientsExceedMaxClientConn from "./pgbouncer/clients-exceed-max-client-conn.ts";
import pgbouncerServerConnectionsExceedMax from "./pgbouncer/server-connections-exceed-max.ts";
import pgbouncerSessionPoolBelowClients from "./pgbouncer/session-pool-below-clients.ts";
import workersExceedCpu from "./workers/exceed-cpu.ts";
import workersFractionalCpu from "./workers/fractional-cpu.ts";
import composeOverrideReplacesCommand from "./compose/override-replaces-command.ts";
import composeCommandReplacesDockerfileCmd from "./compose/command-replaces-dockerfile-cmd.ts";
import gunicornMaxRequestsWithoutJitter from "./gunicorn/max-requests-without-jitter.ts";
import gunicornThreadsIgnored from "./gunicorn/threads-ignored.ts";
import gunicornWorkerConnectionsIgnored from "./gunicorn/worker-connections-ignored.ts";
import serverReloadInProduction from "./server/reload-in-production.ts";
import serverBindLocalhostInContainer from "./server/bind-localhost-in-container.ts";
import uvicornReloadWithWorkers from "./uvicorn/reload-with-workers.ts";
import workersCpuCountInContainer from "./workers/cpu-count-in-container.ts";
import workersSingleProcess from "./workers/single-process.ts";
import apprunnerPortMismatch from "./apprunner/port-mismatch.ts";
import apprunnerInvalidCpuMemory from "./apprunner/invalid-cpu-memory.ts";
import serverDebugInProduction from "./server/debug-in-production.ts";
import serverMetricsIntervalLow from "./server/metrics-interval-low.ts";
import serverDevServerInProduction from "./server/dev-server-in-production.ts";
import composeDevDockerfileInProduction from "./compose/dev-dockerfile-in-production.ts";
import workersThreadsExceedCpu from "./workers/threads-exceed-cpu.ts";
import workersMemoryExceedLimit from "./workers/memory-exceed-limit.ts";
import nginxRlimitNofileLow from "./nginx/rlimit-nofile-low.ts";
import nginxUpstreamKeepaliveOff from "./nginx/upstream-keepalive-off.ts";
import nginxWorkerConnectionsLow from "./nginx/worker-connections-low.ts";
import nginxWorkerProcessesDefault from "./nginx/worker-processes-default.ts";
import nginxWorkerProcessesAutoCpuLimit from "./nginx/worker-processes-auto-cpu-limit.ts";
import nginxCapacityBelowClients from "./nginx/capacity-below-clients.ts";
import nginxDirectiveNotAllowedInIf from "./nginx/directive-not-allowed-in-if.ts";
import configConflictingValues from "./config/conflicting-values.ts";
import proxyTimeoutShorterThanApp from "./proxy/timeout-shorter-than-app.ts";
import proxyKeepaliveShorterThanUpstream from "./proxy/keepalive-shorter-than-upstream.ts";
import gunicornTimeoutDefaultBehindLongProxy from "./gunicorn/timeout-default-behind-long-proxy.ts";
import gunicornTimeoutDisabled from "./gunicorn/timeout-disabled.ts";
import flySoftLimitAboveCapacity from "./fly/soft-limit-above-capacity.ts";

// One rule per line, so that rules added in parallel merge without conflicts.
export const ALL_RULES: Rule[] = [
  workersSingleProcess,
  workersExceedCpu,
  workersFractionalCpu,
  workersThreadsExceedCpu,
  workersMemoryExceedLimit,
  workersCpuCountInContainer,
  serverReloadInProduction,
  serverBindLocalhostInContainer,
  serverDebugInProduction,
  serverMetricsIntervalLow,
  serverDevServerInProduction,
  uvicornReloadWithWorkers,
  gunicornWorkerConnectionsIgnored,
  gunicornMaxRequestsWithoutJitter,
  gunicornThreadsIgnored,
  composeOverrideReplacesCommand,
  composeCommandReplacesDockerfileCmd,
  composeDevDockerfileInProduction,
  dbConnectionsExceedMax,
  dbPumaThreadsExceedPool,
  dbSidekiqConcurrencyExceedsPool,
  dbSolidQueueThreadsExceedPool,
  dbDjangoPoolWithConnMaxAge,
  pgbouncerClientsExceedMaxClientConn,
  pgbouncerServerConnectionsExceedMax,
  pgbouncerSessionPoolBelowClients,
  apprunnerPortMismatch,
  apprunnerInvalidCpuMemory,
  flySoftLimitAboveCapacity,
  nginxWorkerConnectionsLow,
  nginxWorkerProcessesDefault,
  nginxWorkerProcessesAutoCpuLimit,
  nginxRlimitNofileLow,
  nginxDirectiveNotAllowedInIf,
  nginxUpstreamKeepaliveOff,
  proxyTimeoutShorterThanApp,
  gunicornTimeoutDefaultBehindLongProxy,
  gunicornTimeoutDisabled,
  proxyKeepaliveShorterThanUpstream,
  nginxCapacityBelowClients,
  configConflictingValues,
];

/** Rules the audit reports itself (configuration, suppressions): in the catalogue, without a check. */
export const ENGINE_RULES: RuleMeta[] = [configInvalid, suppressUnknownRule, suppressUnused];
