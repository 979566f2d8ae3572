import { threshold, thresholdDefault } from "../../config.ts";
import { SOURCES } from "../../knowledge/sources.ts";
import { defineRule } from "../define.ts";
import { cpuLimitRelated, formatCpuLimit, formatCpus, scaledToZero } from "./recommended.ts";
import { runsPuma, threadsPerWorker } from "./threads.ts";

/**
 * Threads per vCPU that the servers' own docs describe: gunicorn, for one core, (2 x 1) + 1 workers
 * with up to 4 x 1 threads each = 12; Puma, pods of 4 workers x 5 threads on 4 vCPU = 5.
 */
export const DOCUMENTED_THREADS_PER_VCPU = { gunicorn: 12, puma: 5 } as const;
const RULE_ID = "workers/threads-exceed-cpu";
/** "Far above": more than `factor` (2 by default, engine/config.ts THRESHOLDS) times that, since I/O-bound apps legitimately run past the advice. */
const FACTOR = "factor";
const DEFAULT_FACTOR = thresholdDefault(RULE_ID, FACTOR);

export default defineRule({
  meta: {
    id: RULE_ID,
    summary: "Threads x workers far above what the instance's CPUs can use",
    severity: "warning",
    fix: "none",
    sources: [SOURCES.gunicornThreads, SOURCES.gunicornWorkerFormula, SOURCES.pumaThreadsDefault, SOURCES.pumaDeploymentSizing],
    docs: {
      why:
        "A thread only helps while another waits on I/O: the threads of one Python or Ruby (MRI) process share one interpreter lock, " +
        "so past what the I/O waits need they only queue for the CPU, and each still holds its stack, its request's memory and often a " +
        "database connection. Headroom counts workers x threads per worker (gunicorn's gthread worker, Puma) per vCPU (Puma also as `bin/rails server`, Rails' own command, with config/puma.rb) and compares it " +
        "with what the servers' docs describe for one core: gunicorn's settings give threads \"in the 2-4 x $(NUM_CORES) range\" and its " +
        "design page (2 x cores) + 1 workers, so one core gets up to 3 x 4 = 12 threads; Puma's deployment guide describes pods of 4 workers " +
        "x 5 threads on 4 vCPU, 5 threads per vCPU. \"Far above\" means more than twice that (over " +
        `${DEFAULT_FACTOR * DOCUMENTED_THREADS_PER_VCPU.gunicorn} per vCPU for gunicorn, over ${DEFAULT_FACTOR * DOCUMENTED_THREADS_PER_VCPU.puma} for Puma): ` +
        "twice, because I/O-heavy apps legitimately run above the advice; `thresholds.workers/threads-exceed-cpu.factor` in headroom.yml changes the multiple. No fix is offered: the right count depends on how much of a " +
        "request is waiting. Async workers (uvicorn, gevent) are not thread pools and are not counted.",
      bad: {
        "docker-compose.yml":
          "services:\n  web:\n    image: web:latest\n    command: gunicorn app:app --workers 4 --threads 16 --bind 0.0.0.0:8000\n    deploy:\n      resources:\n        limits:\n          cpus: \"1\"\n",
      },
      good: {
        "docker-compose.yml":
          "services:\n  web:\n    image: web:latest\n    command: gunicorn app:app --workers 3 --threads 4 --bind 0.0.0.0:8000\n    deploy:\n      resources:\n        limits:\n          cpus: \"1\"\n",
      },
    },
  },
  check({ model, config, report }) {
    const factor = threshold(config, RULE_ID, FACTOR);
    for (const deployment of model.deployments) {
      if (scaledToZero(deployment)) continue;
      const cpus = deployment.cpus;
      if (!cpus || cpus.value <= 0) continue;
      for (const process of deployment.processes) {
        // `bin/rails server` (Rails 8's Dockerfile CMD) runs Puma with config/puma.rb: named and measured as Puma.
        const server = process.invocation.server === "gunicorn" ? "gunicorn" : runsPuma(process) ? "puma" : undefined;
        if (!server) continue;
        const threads = threadsPerWorker(process);
        if (!threads) continue;
        const workers = Math.max(1, process.workers.value);
        // supervisord's numprocs: each copy has its workers and their threads.
        const copies = process.copies?.value ?? 1;
        const total = copies * workers * threads.value;
        const documented = DOCUMENTED_THREADS_PER_VCPU[server];
        const limit = factor.value * documented * cpus.value;
        if (total <= limit) continue;
        const perVcpu = Number((total / cpus.value).toFixed(1));
        const advice =
          server === "gunicorn"
            ? "gunicorn's own advice for one core, (2 x 1) + 1 workers with up to 4 x 1 threads each, is 12"
            : "Puma's deployment guide describes 4 workers x 5 threads on 4 vCPU, 5 per vCPU";
        const perCopy = server === "puma" && process.workers.value === 0 ? "1 puma process (single mode)" : `${workers} ${server} worker${workers === 1 ? "" : "s"}`;
        const workersText = copies > 1 ? `${copies} copies (numprocs) x ${perCopy}` : perCopy;
        report({
          at: threads.at ?? process.workers.at ?? process.commandAt,
          deployment,
          message:
            `${workersText} x ${threads.value} threads (${threads.from}) = ${total} threads on ${formatCpuLimit(cpus)}, ${perVcpu} per vCPU: ${advice}; ` +
            `this is more than ${factor.value} x that (${Number(limit.toFixed(1))} here${factor.origin === "configured" ? ", the factor headroom.yml sets" : ""}). Threads of one process share the interpreter lock, so the extra ones ` +
            "queue for the CPU while each holds memory and, often, a database connection.",
          related: [
            ...(process.workers.at && process.workers.origin !== "default" && process.workers.at !== threads.at ? [{ at: process.workers.at, message: `${workers} worker process${workers === 1 ? "" : "es"}` }] : []),
            ...cpuLimitRelated(cpus, (value) => `CPU limit set here: ${formatCpus(value)}`),
            ...(factor.at ? [{ at: factor.at, message: `factor configured here: ${factor.value}` }] : []),
          ],
        });
      }
    }
  },
});
