import { SOURCES } from "../../knowledge/sources.ts";
import type { CpuLimit, Deployment, ServerProcess } from "../../model/types.ts";
import { defineRule, type Report } from "../define.ts";
import { cpuFraction, cpuLimitRelated, formatCpus, PROCESS_SERVERS, scaledToZero } from "./recommended.ts";

export default defineRule({
  meta: {
    id: "workers/fractional-cpu",
    summary: "Several worker processes under a CPU limit below one core",
    severity: "warning",
    fix: "unsafe",
    sources: [SOURCES.dockerCpusQuota, SOURCES.composeDeployCpus, SOURCES.appRunnerCpuPattern, SOURCES.gunicornWorkerFormula, SOURCES.fastapiOneProcessPerContainer, SOURCES.unicornDefaults, SOURCES.solidQueueWorkerProcesses],
    docs: {
      why:
        "A CPU limit below 1 (compose `cpus: 0.5`, App Runner `0.25 vCPU` or `0.5 vCPU`) is a time quota: Docker's `--cpus 0.5` is " +
        "50 ms of CPU time per 100 ms period for the whole container, whatever the number of processes in it. Several worker " +
        "processes then split less than one core: none of them can ever run on a full core, a CPU-bound request takes at least " +
        "1/limit times longer than on a core of its own, and each extra process still costs its own memory and database pool. " +
        "gunicorn's (2 x cores) + 1 assumes whole cores. Run one worker per such container (concurrency from threads or an async " +
        "worker, capacity from replicas), or give the container at least 1 CPU. Unicorn's `worker_processes` counts too; Unicorn has " +
        "no threads, so there one worker per container means one request at a time per container, and replicas carry the concurrency. " +
        "Solid Queue's `processes` in config/queue.yml counts too, whether `bin/jobs` or Puma's `plugin :solid_queue` forks them: its README " +
        "gives `processes` for dedicating more than one CPU core to a queue, and its `threads` carry the concurrency of one process.\n\n" +
        "This rule owns every CPU limit below 1; `workers/exceed-cpu` owns limits of 1 CPU and more, so a deployment gets one " +
        "finding, not two.",
      bad: {
        "docker-compose.yml": 'services:\n  web:\n    image: web:latest\n    command: ["gunicorn", "--workers", "2", "--bind", "0.0.0.0:8000", "app:app"]\n    deploy:\n      resources:\n        limits:\n          cpus: "0.5"\n',
      },
      good: {
        "docker-compose.yml":
          'services:\n  web:\n    image: web:latest\n    command: ["gunicorn", "--workers", "1", "--threads", "4", "--bind", "0.0.0.0:8000", "app:app"]\n    deploy:\n      replicas: 2\n      resources:\n        limits:\n          cpus: "0.5"\n',
      },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      if (scaledToZero(deployment)) continue;
      const cpus = deployment.cpus;
      if (!cpus || cpus.value >= 1 || cpus.value <= 0) continue;
      for (const process of deployment.processes) {
        reportSolidQueueGroups(process, deployment, cpus, report, text);
        if (!PROCESS_SERVERS.has(process.invocation.server)) continue;
        const workers = process.workers;
        // supervisord's numprocs: each copy's workers share the same quota.
        const copies = process.copies?.value ?? 1;
        const total = workers.value * copies;
        if (workers.origin === "default" || total <= 1 || !workers.at) continue;
        const server = process.invocation.server;
        const share = cpuFraction(cpus.value / total);
        const written = text(workers.at.file)?.slice(workers.at.start, workers.at.end);
        report({
          at: workers.at,
          deployment,
          message:
            `${copies > 1 ? `${copies} copies (numprocs) x ${workers.value} = ${total}` : total} ${server} worker processes share a ${formatCpus(cpus.value)} limit: the whole instance gets ${quotaMs(cpus.value)} ms of CPU time per ` +
            `100 ms, so when they are all busy each gets about ${share} of a core (${formatCpus(cpus.value)} / ${total}) and none ever runs on a full one. ` +
            "gunicorn's (2 x cores) + 1 assumes whole cores. " +
            (server === "unicorn"
              ? "Run 1 worker per instance and more instances (Unicorn has no threads: one worker serves one request at a time), or give the instance at least 1 vCPU."
              : "Run 1 worker per instance (threads or an async worker for concurrency, more instances for capacity), or give the instance at least 1 vCPU."),
          related: cpuLimitRelated(cpus, (value) => `CPU limit set here: ${formatCpus(value)}`),
          fixes: written === String(workers.value) && copies === 1 ? [{ title: "Run 1 worker", safe: false, edits: [{ ...workers.at, newText: "1" }] }] : [],
        });
      }
    }
  },
});

/**
 * Solid Queue's worker groups (config/queue.yml `processes`, stated above 1) forked into a quota below one core, by `bin/jobs` or
 * Puma's plugin. Async mode runs each group once, as threads: nothing to report.
 */
function reportSolidQueueGroups(process: ServerProcess, deployment: Deployment, cpus: CpuLimit, report: (finding: Report) => void, text: (file: string) => string | undefined): void {
  const tree = process.solidQueue;
  if (!tree || tree.async || (process.invocation.server !== "solid_queue" && !tree.inPuma)) return;
  const copies = process.copies?.value ?? 1;
  for (const group of tree.workers) {
    const processes = group.processes;
    const total = processes.value * copies;
    if (processes.origin === "default" || !processes.at || total <= 1) continue;
    const at = processes.at;
    const forked = tree.inPuma ? ", forked by Puma's plugin," : "";
    report({
      at,
      deployment,
      message:
        `${copies > 1 ? `${copies} copies (numprocs) x ${processes.value} = ${total}` : total} Solid Queue worker processes${forked} share a ${formatCpus(cpus.value)} limit: the whole instance gets ${quotaMs(cpus.value)} ms of CPU time per ` +
        `100 ms, so when they are all busy each gets about ${cpuFraction(cpus.value / total)} of a core (${formatCpus(cpus.value)} / ${total}) and none ever runs on a full one. ` +
        "Solid Queue's README gives `processes` for dedicating more than one CPU core to a queue. Run 1 worker process per instance (its `threads` for concurrency, more instances for capacity), or give the instance at least 1 vCPU.",
      related: [
        ...cpuLimitRelated(cpus, (value) => `CPU limit set here: ${formatCpus(value)}`),
        ...(tree.inPuma ? [{ at: tree.inPuma, message: "Puma's plugin forks the Solid Queue supervisor here, with the worker processes of config/queue.yml" }] : tree.command ? [{ at: tree.command, message: "Solid Queue's supervisor starts here and forks the worker processes of config/queue.yml" }] : []),
      ],
      fixes: text(at.file)?.slice(at.start, at.end) === String(processes.value) && copies === 1 ? [{ title: "Run 1 worker process", safe: false, edits: [{ ...at, newText: "1" }] }] : [],
    });
  }
}

/** CPU time per 100 ms period; two significant digits below 1 ms or 0.01 of a core: `cpus: 0.001` is 0.1 ms per period, not 0. */
function quotaMs(cpus: number): number {
  return cpus < 0.01 ? Number((cpus * 100).toPrecision(2)) : Math.round(cpus * 100);
}
