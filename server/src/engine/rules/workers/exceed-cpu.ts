import { SOURCES } from "../../knowledge/sources.ts";
import { defineRule } from "../define.ts";
import { cpuLimitRelated, formatCpuLimit, formatCpus, maxWorkers, PROCESS_SERVERS, scaledToZero } from "./recommended.ts";
import { optionValue, serverName } from "../../parse/servers.ts";
import { uwsgiNumber } from "../../model/uwsgi.ts";
import type { ServerProcess } from "../../model/types.ts";
import type { SourceRef } from "../../types.ts";

export default defineRule({
  meta: {
    id: "workers/exceed-cpu",
    summary: "More worker processes than the instance's CPUs can run",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.gunicornWorkerFormula, SOURCES.gunicornTooManyWorkers, SOURCES.unicornTuning, SOURCES.unicornDefaults, SOURCES.uwsgiEnvironment, SOURCES.uwsgiCheaper, SOURCES.composeCpuset, SOURCES.dockerCpusetCpus],
    docs: {
      why:
        "Each worker is a process that competes for the instance's CPUs. gunicorn advises (2 x num_cores) + 1 workers; " +
        "beyond that, workers thrash the CPU and each holds its own memory and database pool, so adding them lowers throughput " +
        "and multiplies connections. The count is compared with the CPUs the deployment gives one instance " +
        "(App Runner `InstanceConfiguration.Cpu`, compose `deploy.resources.limits.cpus` or `cpus:`, or the CPUs a compose `cpuset:` " +
        "names: `\"0-3,6\"` is 5; with a quota and a cpuset both set, the smaller bound). A program supervisord starts `numprocs` " +
        "times counts each copy's workers, and the fix lowers the workers per copy. The servers one instance runs side by side " +
        "(supervisord's programs, a start script's background servers) share its CPUs: their processes are added up (a prefork " +
        "celery worker's concurrency, one process for Sidekiq or a threaded celery pool), and when only the sum is over, the " +
        "finding is at the count with the most processes (a celery worker's `--concurrency` too), whose fix leaves room for the others. The same bound is applied to Puma's " +
        "workers, to Unicorn's `worker_processes` (read from the config file `unicorn -c` names): Unicorn's tuning guide asks " +
        "for at least one worker per core and more only for slow responses that are not CPU-bound; and to uWSGI's `processes` " +
        "(`--processes`/`--workers`, its ini file, or UWSGI_PROCESSES/UWSGI_WORKERS in its environment, the lowest of the three), " +
        "each a worker with its own copy of the app; no fix is offered where uWSGI's `cheaper` would not stay below the new count, " +
        "as uWSGI then refuses to start.\n\n" +
        "This rule owns CPU limits of 1 and more; below 1 CPU, `workers/fractional-cpu` reports any worker count above 1 " +
        "(where (2 x cores) + 1 no longer means anything), so a deployment gets one finding, not two.",
      bad: {
        "start.sh": "#!/bin/sh\nexec gunicorn main:app --workers 5 -k uvicorn.workers.UvicornWorker --bind 0.0.0.0:${PORT:-8080}\n",
        "service.json": '{\n  "ServiceName": "api",\n  "InstanceConfiguration": { "Cpu": "1 vCPU", "Memory": "2 GB" }\n}\n',
      },
      good: {
        "start.sh": "#!/bin/sh\nexec gunicorn main:app --workers 3 -k uvicorn.workers.UvicornWorker --bind 0.0.0.0:${PORT:-8080}\n",
        "service.json": '{\n  "ServiceName": "api",\n  "InstanceConfiguration": { "Cpu": "1 vCPU", "Memory": "2 GB" }\n}\n',
      },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      if (scaledToZero(deployment)) continue;
      const cpus = deployment.cpus;
      // Below one CPU, workers/fractional-cpu owns the finding.
      if (!cpus || cpus.value < 1) continue;
      const max = maxWorkers(cpus.value);
      // The processes that run side by side in one instance (supervisord's programs, a script's `&` servers) share its CPUs.
      const sharing = deployment.processes.filter((p) => !p.guards?.length && cpuProcesses(p) > 0);
      const together = sharing.reduce((sum, p) => sum + cpuProcesses(p), 0);
      const stated = (p: ServerProcess) => p.workers.origin !== "default" && p.workers.at !== undefined;
      const alone = deployment.processes.filter((p) => PROCESS_SERVERS.has(p.invocation.server) && stated(p) && p.workers.value * (p.copies?.value ?? 1) > max);
      // When no server is over on its own, the sum is reported once, at the stated count with the most processes (a prefork celery worker's too).
      const lowerable = sharing.filter((p) => stated(p) && (PROCESS_SERVERS.has(p.invocation.server) || (p.invocation.server === "celery" && celeryForks(p))));
      const overTogether = alone.length === 0 && sharing.length > 1 && together > max ? lowerable.sort((a, b) => cpuProcesses(b) - cpuProcesses(a))[0] : undefined;
      for (const process of overTogether ? [overTogether] : alone) {
        const workers = process.workers;
        const at = workers.at as SourceRef;
        // supervisord's numprocs: that many copies of the server, each with its workers, share the CPUs.
        const copies = process.copies?.value ?? 1;
        const total = workers.value * copies;
        const others = sharing.includes(process) ? sharing.filter((p) => p !== process) : [];
        const othersCount = others.reduce((sum, p) => sum + cpuProcesses(p), 0);
        const written = text(at.file)?.slice(at.start, at.end);
        const perCopy = Math.floor(Math.min(max, max - othersCount) / copies);
        const name = serverName(process.invocation);
        const unit = process.invocation.server === "celery" ? "worker process" : "worker";
        const counted = copies === 1 ? processesText(process) : `${copies} copies (numprocs) x ${workers.value} ${name} ${unit}${workers.value === 1 ? "" : "s"} = ${total} processes`;
        const withOthers = othersCount > 0 ? `, with ${others.map(processesText).join(" and ")} in the same instance: ${total + othersCount} processes` : "";
        // uWSGI exits at start when `cheaper` is not below `processes`: no fix that would get there.
        const cheaper = process.invocation.server === "uwsgi" ? uwsgiNumber(process.invocation, process.config, (name) => process.exported?.get(name) ?? deployment.env.get(name), "cheaper") : undefined;
        const fixable = written === String(workers.value) && perCopy >= 1 && (cheaper === undefined || perCopy > cheaper.value);
        report({
          at,
          deployment,
          message:
            `${counted}${withOthers} for ${formatCpuLimit(cpus)}: at most (2 x ${Number(cpus.value.toFixed(2))}) + 1 = ${max} ` +
            "processes can share these CPUs usefully; more only add context switches, memory and database connections.",
          related: [
            ...cpuLimitRelated(cpus, (value) => `CPU limit set here: ${formatCpus(value)}`),
            ...(copies > 1 && process.copies?.at ? [{ at: process.copies.at, message: `numprocs=${copies}: supervisord starts ${copies} copies of this server, each with its own workers` }] : []),
            ...others.flatMap(sharerRelated),
          ],
          fixes:
            fixable
              ? [{ title: fixTitle(process.invocation.server === "celery" ? "concurrency" : "workers", copies, perCopy, othersCount), safe: true, edits: [{ ...at, newText: String(perCopy) }] }]
              : [],
        });
      }
    }
  },
});

/**
 * Processes of one server that compete for the CPUs: its workers (x numprocs copies) for the process servers,
 * a prefork celery worker's concurrency, one process for a threaded one (Sidekiq, celery's threads or gevent pool).
 */
function cpuProcesses(process: ServerProcess): number {
  const copies = process.copies?.value ?? 1;
  const server = process.invocation.server;
  if (PROCESS_SERVERS.has(server)) return copies * process.workers.value;
  if (server === "celery") return copies * (celeryForks(process) ? process.workers.value : 1);
  return server === "sidekiq" ? copies : 0;
}

function celeryForks(process: ServerProcess): boolean {
  const pool = optionValue(process.invocation, "pool")?.value?.value;
  return pool === undefined || pool === "prefork" || pool === "processes";
}

/** Where another server's processes are counted: its worker count, or its command when it is one process (Sidekiq's count is of threads). */
function sharerRelated(process: ServerProcess): Array<{ at: SourceRef; message: string }> {
  const counted = PROCESS_SERVERS.has(process.invocation.server) || (process.invocation.server === "celery" && celeryForks(process));
  const at = counted && process.workers.origin !== "default" ? process.workers.at : process.commandAt;
  return at ? [{ at, message: `${processesText(process)} on the same CPUs` }] : [];
}

function processesText(process: ServerProcess): string {
  const n = cpuProcesses(process);
  const name = serverName(process.invocation);
  const plural = n === 1 ? "" : "es";
  if (PROCESS_SERVERS.has(process.invocation.server)) return `${n} ${name} worker${n === 1 ? "" : "s"}`;
  return `${n} ${name} ${process.invocation.server === "celery" && celeryForks(process) ? "worker process" : "process"}${plural}`;
}

function fixTitle(what: string, copies: number, perCopy: number, others: number): string {
  const lowered = copies === 1 ? `Lower the ${what} to ${perCopy}` : `Lower the ${what} to ${perCopy} per copy (${copies} x ${perCopy} = ${copies * perCopy})`;
  return others > 0 ? `${lowered}, ${copies * perCopy + others} processes with the others` : lowered;
}
