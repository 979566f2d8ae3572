import { SOURCES } from "../../knowledge/sources.ts";
import type { Deployment, ServerProcess } from "../../model/types.ts";
import { threshold, thresholdDefault } from "../../config.ts";
import type { Fact, Fix } from "../../types.ts";
import { defineRule } from "../define.ts";
import { effectiveWorkerClass, workerKind } from "../gunicorn/settings.ts";

const RULE_ID = "server/metrics-interval-low";
/** Collections closer together than this are reported (seconds): engine/config.ts THRESHOLDS, tunable in headroom.yml. */
const MIN_INTERVAL = "min_interval_seconds";

/** Only names that say both "metrics" and "interval"/"period": PERF_METRICS_INTERVAL, METRICS_COLLECTION_INTERVAL_SECONDS. */
const INTERVAL_NAME = /^(?=.*METRICS?)(?=.*(INTERVAL|PERIOD)).*$/i;
/** System metrics switched on: PERF_ENABLE_SYSTEM_METRICS, SYSTEM_METRICS_ENABLED, COLLECT_SYSTEM_METRICS. */
const SYSTEM_SWITCH = /SYSTEM_METRICS/i;
const TRUTHY = new Set(["1", "true", "yes", "on"]);

/** Servers that run the app on one event loop per process. */
function asyncServer(process: ServerProcess): string | undefined {
  const server = process.invocation.server;
  if (server === "uvicorn" || server === "hypercorn" || server === "daphne") return server;
  if (server === "gunicorn") {
    const workerClass = effectiveWorkerClass(process);
    if (workerClass && workerKind(workerClass.value) === "uvicorn") return `gunicorn with ${workerClass.value}`;
  }
  return undefined;
}

/** Seconds: a bare number is seconds unless the name says _MS; `500ms`, `30s`, `2m` are read as written. */
export function intervalSeconds(name: string, value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)?\s*$/i.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]?.toLowerCase() ?? (/_(MS|MILLIS|MILLISECONDS)$/i.test(name) ? "ms" : /_(MIN|MINUTES)$/i.test(name) ? "m" : "s");
  return unit === "ms" ? n / 1000 : unit === "m" || unit === "min" ? n * 60 : n;
}

export default defineRule({
  meta: {
    id: RULE_ID,
    summary: "System metrics collected every few seconds on an async server's event loop",
    severity: "warning",
    fix: "unsafe",
    sources: [SOURCES.asyncioBlockingCode, SOURCES.psutilCpuPercentBlocking, SOURCES.prometheusScrapeInterval],
    docs: {
      why:
        "System metrics (CPU, memory, per-process usage) are usually read with psutil, whose `cpu_percent(interval=1)` sleeps for " +
        "the interval: called from a coroutine on uvicorn, hypercorn, daphne or gunicorn's UvicornWorker, it stops the event loop, and " +
        "Python's asyncio guide puts it plainly: a call that takes 1 second delays \"all concurrent asyncio Tasks and IO operations\" by " +
        "1 second. Collected every few seconds in every worker, that is a CPU floor and latency spikes on every request (the seed " +
        "incident: 30 s collections with system metrics on by default, CPU at 100%). Headroom reads this from configuration only: an " +
        "environment variable whose name says metrics and interval (`*METRICS*INTERVAL*`, `*METRICS*PERIOD*`) below " +
        `${thresholdDefault(RULE_ID, MIN_INTERVAL)} s by default (Prometheus's default scrape interval is 1 minute: collecting faster than anyone reads is waste; ` +
        "`thresholds.server/metrics-interval-low.min_interval_seconds` in headroom.yml changes it), " +
        "together with a `*SYSTEM_METRICS*` switch set to true, on an async server. It cannot see the code: if the collector already " +
        "runs off the loop (`asyncio.to_thread`), raise the interval anyway or turn system metrics off in production.",
      bad: {
        "docker-compose.yml":
          "services:\n  api:\n    image: api:latest\n    command: uvicorn app.main:app --host 0.0.0.0 --port 8000\n    environment:\n      PERF_ENABLE_SYSTEM_METRICS: \"true\"\n      PERF_METRICS_INTERVAL: \"30\"\n",
      },
      good: {
        "docker-compose.yml":
          "services:\n  api:\n    image: api:latest\n    command: uvicorn app.main:app --host 0.0.0.0 --port 8000\n    environment:\n      PERF_ENABLE_SYSTEM_METRICS: \"false\"\n      PERF_METRICS_INTERVAL: \"120\"\n",
      },
    },
  },
  check({ model, config, report, text }) {
    const minimum = threshold(config, RULE_ID, MIN_INTERVAL);
    for (const deployment of model.deployments) {
      // The switch first: few deployments set one, and it makes nothing per process.
      const systemSwitch = systemMetricsOn(deployment);
      if (!systemSwitch) continue;
      const server = firstAsyncServer(deployment);
      if (!server) continue;
      for (const [name, fact] of deployment.env) {
        if (!INTERVAL_NAME.test(name) || !fact.at) continue;
        const seconds = intervalSeconds(name, fact.value);
        if (seconds === undefined || seconds <= 0 || seconds >= minimum.value) continue;
        const workers = deployment.processes.reduce((n, p) => n + Math.max(1, p.workers.value), 0);
        const perHour = Math.round(3600 / seconds);
        report({
          at: fact.at,
          deployment,
          message:
            `${name}=${fact.value} collects metrics every ${seconds} s with ${systemSwitch.name}=${systemSwitch.fact.value} on ${server}, an asyncio event loop: ` +
            `${perHour} collections an hour ${workers === 1 ? "in its one worker process" : `in each of ${workers} worker processes`}. psutil's cpu_percent(interval=…) sleeps for its interval, ` +
            "and run on the loop it stalls every request of that worker meanwhile. Collect every " +
            `${minimum.value} s or more${minimum.origin === "configured" ? " (the minimum headroom.yml sets)" : ""}, off the loop (asyncio.to_thread), or turn system metrics off in production.`,
          related: [
            ...(systemSwitch.fact.at ? [{ at: systemSwitch.fact.at, message: `system metrics switched on: ${systemSwitch.name}=${systemSwitch.fact.value}` }] : []),
            ...(minimum.at ? [{ at: minimum.at, message: `minimum interval configured here: ${minimum.value} s` }] : []),
          ],
          fixes: raiseFix(fact, name, minimum.value, text),
        });
      }
    }
  },
});

function firstAsyncServer(deployment: Deployment): string | undefined {
  for (const process of deployment.processes) {
    const server = asyncServer(process);
    if (server) return server;
  }
  return undefined;
}

function systemMetricsOn(deployment: Deployment): { name: string; fact: Fact<string> } | undefined {
  for (const [name, fact] of deployment.env) if (SYSTEM_SWITCH.test(name) && !INTERVAL_NAME.test(name) && TRUTHY.has(fact.value.trim().toLowerCase())) return { name, fact };
  return undefined;
}

function raiseFix(fact: Fact<string>, name: string, seconds: number, text: (file: string) => string | undefined): Fix[] {
  const at = fact.at;
  // Only a bare number in seconds is rewritten: a unit or a millisecond name would need the same spelling back.
  if (!at || !/^\d+$/.test(fact.value) || /_(MS|MILLIS|MILLISECONDS|MIN|MINUTES)$/i.test(name) || text(at.file)?.slice(at.start, at.end) !== fact.value) return [];
  const value = String(Math.ceil(seconds));
  return [{ title: `Collect every ${value} s`, safe: false, edits: [{ ...at, newText: value }] }];
}
