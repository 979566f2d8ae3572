import { SOURCES } from "../../knowledge/sources.ts";
import { defineRule } from "../define.ts";
import { cpuLimitRelated, formatCpus, maxWorkers, PROCESS_SERVERS } from "./recommended.ts";
import { serverName } from "../../parse/servers.ts";
import { uwsgiNumber } from "../../model/uwsgi.ts";

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
        "times counts each copy's workers, and the fix lowers the workers per copy. The same bound is applied to Puma's " +
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
      const cpus = deployment.cpus;
      // Below one CPU, workers/fractional-cpu owns the finding.
      if (!cpus || cpus.value < 1) continue;
      for (const process of deployment.processes) {
        if (!PROCESS_SERVERS.has(process.invocation.server)) continue;
        const workers = process.workers;
        const max = maxWorkers(cpus.value);
        // supervisord's numprocs: that many copies of the server, each with its workers, share the CPUs.
        const copies = process.copies?.value ?? 1;
        const total = workers.value * copies;
        if (workers.origin === "default" || total <= max || !workers.at) continue;
        const written = text(workers.at.file)?.slice(workers.at.start, workers.at.end);
        const perCopy = Math.floor(max / copies);
        // uWSGI exits at start when `cheaper` is not below `processes`: no fix that would get there.
        const cheaper = process.invocation.server === "uwsgi" ? uwsgiNumber(process.invocation, process.config, (name) => process.exported?.get(name) ?? deployment.env.get(name), "cheaper") : undefined;
        const fixable = written === String(workers.value) && perCopy >= 1 && (cheaper === undefined || perCopy > cheaper.value);
        const counted = copies === 1 ? `${workers.value} ${serverName(process.invocation)} workers` : `${copies} copies (numprocs) x ${workers.value} ${serverName(process.invocation)} worker${workers.value === 1 ? "" : "s"} = ${total} processes`;
        report({
          at: workers.at,
          deployment,
          message:
            `${counted} for ${formatCpus(cpus.value)}: at most (2 x ${Number(cpus.value.toFixed(2))}) + 1 = ${max} ` +
            "processes can share these CPUs usefully; more only add context switches, memory and database connections.",
          related: [
            ...cpuLimitRelated(cpus, (value) => `CPU limit set here: ${formatCpus(value)}`),
            ...(copies > 1 && process.copies?.at ? [{ at: process.copies.at, message: `numprocs=${copies}: supervisord starts ${copies} copies of this server, each with its own workers` }] : []),
          ],
          fixes:
            fixable
              ? [{ title: copies === 1 ? `Lower the workers to ${max}` : `Lower the workers to ${perCopy} per copy (${copies} x ${perCopy} = ${copies * perCopy})`, safe: true, edits: [{ ...workers.at, newText: String(perCopy) }] }]
              : [],
        });
      }
    }
  },
});
