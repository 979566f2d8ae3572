import { SOURCES } from "../../knowledge/sources.ts";
import { type ServerKind, serverName } from "../../parse/servers.ts";
import { defineRule } from "../define.ts";
import { PROCESS_SERVERS, scaledToZero } from "./recommended.ts";

/**
 * Memory one worker process is assumed to hold, MiB. Puma documents "~512MB-1GB per worker"
 * (the low end is used); a Unicorn worker holds the same Rails app, and Unicorn documents no figure of its own; for Python servers no project documents a figure, so Headroom assumes
 * 150 MiB, a framework app after its imports.
 */
export const ASSUMED_WORKER_MIB: Partial<Record<ServerKind, number>> = { puma: 512, unicorn: 512, gunicorn: 150, uvicorn: 150, hypercorn: 150, granian: 150, uwsgi: 150 };

function formatMiB(mib: number): string {
  return mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

export default defineRule({
  meta: {
    id: "workers/memory-exceed-limit",
    summary: "Worker processes x their memory above the instance's memory limit",
    severity: "warning",
    fix: "unsafe",
    sources: [SOURCES.pumaMemoryPerWorker, SOURCES.unicornTuning, SOURCES.pythonWorkerMemory, SOURCES.fastapiMemoryPerProcess, SOURCES.composeDeployMemory, SOURCES.appRunnerMemoryPattern, SOURCES.systemdResourceControl],
    docs: {
      why:
        "Every worker process holds its own copy of the application in memory. When workers x memory per worker exceeds the " +
        "instance's memory limit (compose `deploy.resources.limits.memory`/`mem_limit`, App Runner `Memory`), the kernel kills workers " +
        "(OOM) or the instance swaps, and latency collapses (the seed incident: 1 GB instances swapping at peak). Puma documents " +
        "\"~512MB-1GB per worker\" and Headroom uses the low end, 512 MiB, for Puma and for Unicorn (a worker of the same Rails app; Unicorn's " +
        "tuning guide gives no figure, only never to raise worker_processes to the point where the system hits swap); for Python servers (gunicorn, uvicorn, hypercorn, granian, uWSGI's `processes`) no project documents a figure, so Headroom " +
        "assumes 150 MiB per worker (a framework app after its imports) and says so in the message: measure yours (RSS of one worker " +
        "under load) and set it as `facts.worker_memory_mib` in headroom.yml, which replaces the assumption. A single worker is never reported: if one process does not fit, the estimate is what is wrong. Threads are not multiplied in: they share their process's memory. The unsafe fix lowers the " +
        "workers to what fits.",
      bad: {
        "docker-compose.yml":
          "services:\n  api:\n    image: api:latest\n    command: gunicorn -w 8 -k uvicorn.workers.UvicornWorker --bind 0.0.0.0:8000 app.main:app\n    deploy:\n      resources:\n        limits:\n          cpus: \"4\"\n          memory: 1G\n",
      },
      good: {
        "docker-compose.yml":
          "services:\n  api:\n    image: api:latest\n    command: gunicorn -w 4 -k uvicorn.workers.UvicornWorker --bind 0.0.0.0:8000 app.main:app\n    deploy:\n      resources:\n        limits:\n          cpus: \"4\"\n          memory: 1G\n",
      },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      if (scaledToZero(deployment)) continue;
      const memory = deployment.memoryMiB;
      if (!memory || memory.value <= 0) continue;
      for (const process of deployment.processes) {
        // `rails server` runs Puma (or what --using names): its workers are Puma's.
        const server = serverName(process.invocation);
        // headroom.yml's facts.worker_memory_mib (a measured figure) replaces the assumption.
        const configured = deployment.workerMemoryMiB;
        const perWorker = configured?.value ?? ASSUMED_WORKER_MIB[server as ServerKind];
        if (!PROCESS_SERVERS.has(process.invocation.server) || perWorker === undefined) continue;
        const workers = Math.max(1, process.workers.value);
        // supervisord's numprocs: each copy of the server has its own workers.
        const copies = process.copies?.value ?? 1;
        const total = workers * copies * perWorker;
        // One process over the limit says more about the assumption than about the sizing: report only what fewer workers would fix.
        if (total <= memory.value || workers * copies === 1) continue;
        const fits = Math.max(1, Math.floor(memory.value / perWorker / copies));
        const basis = configured
          ? `configured in ${configured.at ? "headroom.yml" : "the headroom.facts settings"}`
          : server === "puma"
            ? "Puma documents ~512MB-1GB per worker, the low end is used; set facts.worker_memory_mib in headroom.yml to yours"
            : server === "unicorn"
              ? "assumed: Unicorn documents no figure, so Puma's ~512MB-1GB for a worker of the same Rails app is used, the low end; set facts.worker_memory_mib in headroom.yml to yours"
              : "assumed: no Python server documents a figure; measure one worker's RSS and set facts.worker_memory_mib in headroom.yml";
        const limitText = `${formatMiB(memory.value)}${memory.origin === "default" && memory.by ? ` (${memory.by}'s default)` : ""}`;
        const at = process.workers.origin !== "default" && process.workers.at ? process.workers.at : process.commandAt;
        const written = process.workers.at ? text(process.workers.at.file)?.slice(process.workers.at.start, process.workers.at.end) : undefined;
        report({
          at,
          deployment,
          message:
            `${copies > 1 ? `${copies} copies (numprocs) x ` : ""}${workers} ${server} worker${workers === 1 ? "" : "s"} x ${perWorker} MiB (${basis}) = ${total} MiB, above the instance's ${limitText} memory limit: each worker holds its own copy of the app, so under load workers are OOM-killed or the instance swaps. ` +
            `${fits} worker${fits === 1 ? "" : "s"}${copies > 1 ? " per copy" : ""} fit${fits === 1 ? "s" : ""}, or raise the memory.`,
          related: [
            ...(memory.at && memory.origin !== "default" ? [{ at: memory.at, message: `memory limit set here: ${formatMiB(memory.value)}` }] : []),
            ...(configured?.at ? [{ at: configured.at, message: `memory per worker configured here: ${configured.value} MiB` }] : []),
          ],
          fixes: process.workers.origin !== "default" && written === String(process.workers.value) && process.workers.at && fits < process.workers.value ? [{ title: `Lower the workers to ${fits}`, safe: false, edits: [{ ...process.workers.at, newText: String(fits) }] }] : [],
        });
      }
    }
  },
});
