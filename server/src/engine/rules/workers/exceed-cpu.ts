import { SOURCES } from "../../knowledge/sources.ts";
import { defineRule } from "../define.ts";
import { cpuLimitRelated, formatCpuLimit, formatCpus, maxWorkers, PROCESS_SERVERS, scaledToZero } from "./recommended.ts";
import { optionValue, serverName } from "../../parse/servers.ts";
import { uwsgiNumber } from "../../model/uwsgi.ts";
import type { SolidQueueTree } from "../../model/solid-queue.ts";
import type { ServerProcess } from "../../model/types.ts";
import type { Fact, SourceRef } from "../../types.ts";

export default defineRule({
  meta: {
    id: "workers/exceed-cpu",
    summary: "More worker processes than the instance's CPUs can run",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.gunicornWorkerFormula, SOURCES.gunicornTooManyWorkers, SOURCES.unicornTuning, SOURCES.unicornDefaults, SOURCES.uwsgiEnvironment, SOURCES.uwsgiCheaper, SOURCES.composeCpuset, SOURCES.dockerCpusetCpus, SOURCES.solidQueueWorkerProcesses, SOURCES.solidQueuePumaPlugin, SOURCES.systemdResourceControl, SOURCES.sidekiqSwarm],
    docs: {
      why:
        "Each worker is a process that competes for the instance's CPUs. gunicorn advises (2 x num_cores) + 1 workers; " +
        "beyond that, workers thrash the CPU and each holds its own memory and database pool, so adding them lowers throughput " +
        "and multiplies connections. The count is compared with the CPUs the deployment gives one instance " +
        "(App Runner `InstanceConfiguration.Cpu`, compose `deploy.resources.limits.cpus` or `cpus:`, or the CPUs a compose `cpuset:` " +
        "names: `\"0-3,6\"` is 5; with a quota and a cpuset both set, the smaller bound). A program supervisord starts `numprocs` " +
        "times counts each copy's workers, and the fix lowers the workers per copy; where each copy is one process by the server's default " +
        "(uvicorn's `numprocs=4` under supervisord, or Daphne, which has no workers option and runs `numprocs` copies of itself as the Channels deployment docs show), the fix, unsafe, lowers numprocs (a proxy may still name the ports the dropped copies listened on). The servers one instance runs side by side " +
        "(supervisord's programs, a start script's background servers) share its CPUs: their processes are added up (a prefork " +
        "celery worker's concurrency, one process for Sidekiq or a threaded celery pool, Solid Queue's worker processes; a celery worker without `--concurrency` " +
        "or sidekiqswarm without SIDEKIQ_COUNT forks one process per host CPU, counted as at least one and said so), and when only the sum is over, the " +
        "finding is at the count with the most processes (a celery worker's `--concurrency` or a Solid Queue worker's `processes` in config/queue.yml too), whose fix leaves room for the others. " +
        "Solid Queue's supervisor forks `processes` worker processes for each worker of config/queue.yml (its README: the setting that dedicates more " +
        "than one CPU core to a queue), whether `bin/jobs` starts it beside the web server or Puma's `plugin :solid_queue` forks it beside Puma's " +
        "workers, or alone on a host that runs only jobs (its worker processes are then the count compared with the CPUs); its supervisor, dispatchers and scheduler mostly sleep between polls and are not counted, and in async mode its workers are threads " +
        "of one process (`bin/jobs`'s, or Puma's own). The same bound is applied to Puma's " +
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
      // The processes that run side by side in one instance (supervisord's programs, a script's `&` servers, the Solid Queue
      // processes Puma's plugin forks) share its CPUs.
      // Loops, not flatMap: this runs for every process of every deployment on every keystroke.
      const sharing: Sharer[] = [];
      // A server over on its own is reported in whichever branch of its start script it runs.
      const alone: Sharer[] = [];
      let together = 0;
      for (const process of deployment.processes) {
        const unguarded = !process.guards?.length;
        for (const sharer of sharers(process)) {
          if (unguarded) {
            sharing.push(sharer);
            together += sharer.processes;
          }
          if (sharer.own && ALONE_SERVERS.has(process.invocation.server) && sharer.lower && sharer.processes > max) alone.push(sharer);
        }
      }
      // When no server is over on its own, the sum is reported once, at the stated count with the most processes (a prefork celery worker's,
      // a Solid Queue worker group's `processes` too).
      const lowerable = sharing.filter((s) => s.lower);
      const overTogether = alone.length === 0 && sharing.length > 1 && together > max ? lowerable.sort((a, b) => b.processes - a.processes)[0] : undefined;
      for (const sharer of overTogether ? [overTogether] : alone) {
        const { process } = sharer;
        const lower = sharer.lower as NonNullable<Sharer["lower"]>;
        const at = lower.fact.at as SourceRef;
        // supervisord's numprocs: that many copies of the server, each with its workers, share the CPUs.
        const copies = lower.copies;
        const others = sharing.includes(sharer) ? sharing.filter((s) => s !== sharer) : [];
        const othersCount = others.reduce((sum, s) => sum + s.processes, 0);
        const written = text(at.file)?.slice(at.start, at.end);
        const perCopy = Math.floor(Math.min(max, max - othersCount) / copies);
        const atLeast = others.some((s) => s.floor) ? "at least " : "";
        const withOthers = othersCount > 0 ? `, with ${others.map((s) => s.text()).join(" and ")} in the same instance: ${atLeast}${sharer.processes + othersCount} processes` : "";
        // uWSGI exits at start when `cheaper` is not below `processes`: no fix that would get there.
        const cheaper = sharer.own && process.invocation.server === "uwsgi" ? uwsgiNumber(process.invocation, process.config, (name) => process.exported?.get(name) ?? deployment.env.get(name), "cheaper") : undefined;
        const fixable = written === String(lower.fact.value) && perCopy >= 1 && (cheaper === undefined || perCopy > cheaper.value);
        report({
          at,
          deployment,
          message:
            `${sharer.counted()}${withOthers} for ${formatCpuLimit(cpus)}: at most (2 x ${Number(cpus.value.toFixed(2))}) + 1 = ${max} ` +
            "processes can share these CPUs usefully; more only add context switches, memory and database connections.",
          related: [
            ...cpuLimitRelated(cpus, (value) => `CPU limit set here: ${formatCpus(value)}`),
            ...(copies > 1 && process.copies?.at ? [{ at: process.copies.at, message: `numprocs=${copies}: supervisord starts ${copies} copies of this server, each with its own workers` }] : []),
            ...others.flatMap(sharerRelated),
            // Where Puma's plugin forks them, once however many worker groups it forks.
            ...[...new Set([sharer, ...others].map((s) => s.started))].flatMap((started) => (started ? [started] : [])),
          ],
          // Fewer copies can leave a proxy's upstream naming ports nothing listens on any more: review it.
          fixes: fixable ? [{ title: fixTitle(lower.what, copies, perCopy, othersCount, atLeast), safe: lower.what !== "numprocs", edits: [{ ...at, newText: String(perCopy) }] }] : [],
        });
      }
    }
  },
});

/** Processes that compete for an instance's CPUs, as one count a finding can name. */
interface Sharer {
  process: ServerProcess;
  /** Processes on the CPUs (x numprocs copies). */
  processes: number;
  /** "3 gunicorn workers", "2 Solid Queue worker processes forked by Puma's plugin": worded only for a finding, as the rule counts every process on every keystroke. */
  text(): string;
  /** The same, as a finding at its count starts ("2 copies (numprocs) x 3 gunicorn workers = 6 processes"). */
  counted(): string;
  /** The server's own workers, not processes something else forks beside it. */
  own: boolean;
  /** Where another finding relates it: its stated count, or the line that starts it. */
  relatedAt?: SourceRef;
  /** The line that starts these processes, when a finding at their count should show it (Puma's `plugin :solid_queue`). */
  started?: { at: SourceRef; message: string };
  /** The stated count a fix lowers, with the copies that multiply it. */
  lower?: { fact: Fact<number>; copies: number; what: string };
  /** One process per host CPU (a celery worker without --concurrency, sidekiqswarm without SIDEKIQ_COUNT): the count is a floor. */
  floor?: boolean;
}

/**
 * The processes of one server that compete for the CPUs: its workers (x numprocs copies) for the process servers, a prefork
 * celery worker's concurrency, one process for a threaded one (Sidekiq, celery's threads or gevent pool); Solid Queue's worker
 * processes, whether `bin/jobs` or Puma's plugin forks them (its README: `processes` is how one dedicates more than one CPU
 * core to a queue). The supervisor, dispatchers and scheduler mostly sleep between polls and are not counted; in async mode the
 * workers are threads of one process (`bin/jobs`: that process; Puma's plugin: Puma's own).
 */
function sharers(process: ServerProcess): Sharer[] {
  const copies = process.copies?.value ?? 1;
  const server = process.invocation.server;
  const stated = process.workers.origin !== "default" && process.workers.at !== undefined;
  const out: Sharer[] = [];
  const tree = process.solidQueue;
  if (server === "solid_queue" && tree) {
    const text = () => `${plural(copies, "Solid Queue process")} (async mode)`;
    if (tree.async) out.push({ process, processes: copies, text, counted: text, own: true, relatedAt: tree.command });
    else out.push(...solidQueueWorkerSharers(process, tree, copies, ""));
    return out;
  }
  // sidekiqswarm's SIDEKIQ_COUNT children (one per host core without it: the 1 counted is a floor).
  const sidekiqs = copies * (process.sidekiqSwarm?.processes.value ?? 1);
  // Daphne has no workers option: one process each, run numprocs times under supervisord (the Channels deployment docs' way).
  const own = PROCESS_SERVERS.has(server) ? copies * process.workers.value : server === "celery" ? copies * (celeryForks(process) ? process.workers.value : 1) : server === "sidekiq" ? sidekiqs : server === "daphne" && copies > 1 ? copies : 0;
  if (own > 0) {
    const forks = PROCESS_SERVERS.has(server) || (server === "celery" && celeryForks(process));
    const perHostCpu = (server === "celery" && forks && process.workersFromCpuCount !== undefined && process.workers.origin === "default") || (server === "sidekiq" && process.sidekiqSwarm?.perHostCpu === true);
    const text = () => {
      const unit = PROCESS_SERVERS.has(server) ? (own === 1 ? "worker" : "workers") : forks ? (own === 1 ? "worker process" : "worker processes") : own === 1 ? "process" : "processes";
      return perHostCpu ? `at least ${own} ${serverName(process.invocation)} ${unit} (one per host CPU)` : `${own} ${serverName(process.invocation)} ${unit}`;
    };
    const each = server === "celery" ? "worker process" : server === "daphne" ? "process" : "worker";
    const counted = () => (copies === 1 ? text() : `${copies} copies (numprocs) x ${process.workers.value} ${serverName(process.invocation)} ${each}${process.workers.value === 1 ? "" : "s"} = ${own} processes`);
    const relatedAt = forks && process.workers.origin !== "default" ? process.workers.at : process.commandAt;
    // One process per copy by the server's default (uvicorn's numprocs=4 behind a socket, as its docs run it under supervisord):
    // numprocs is the count to lower.
    const lower: Sharer["lower"] =
      stated && forks ? { fact: process.workers, copies, what: server === "celery" ? "concurrency" : "workers" }
      : (PROCESS_SERVERS.has(server) || server === "daphne") && process.workers.value === 1 && copies > 1 && process.copies?.at ? { fact: process.copies, copies: 1, what: "numprocs" }
      : undefined;
    out.push({ process, processes: own, text, counted, own: true, relatedAt, lower, ...(perHostCpu ? { floor: true } : {}) });
  }
  // Puma's `plugin :solid_queue` forks the supervisor once per Puma server; its worker processes run beside Puma's.
  if (tree?.inPuma && !tree.async) out.push(...solidQueueWorkerSharers(process, tree, copies, " forked by Puma's plugin"));
  return out;
}

/** One sharer per worker group of config/queue.yml: its `processes`, the count a fix lowers when the file states it. */
function solidQueueWorkerSharers(process: ServerProcess, tree: SolidQueueTree, copies: number, how: string): Sharer[] {
  const started =
    tree.inPuma ? { at: tree.inPuma, message: "Puma's plugin forks the Solid Queue supervisor here, in each instance, with the worker processes of config/queue.yml" }
    : tree.command ? { at: tree.command, message: "Solid Queue's supervisor starts here and forks the worker processes of config/queue.yml" }
    : undefined;
  return tree.workers.map((group) => {
    const n = group.processes.value * copies;
    const text = () => `${plural(n, "Solid Queue worker process", "Solid Queue worker processes")}${how}`;
    const stated = group.processes.origin !== "default" && group.processes.at !== undefined;
    const relatedAt = stated ? group.processes.at : (group.at ?? tree.inPuma ?? tree.command);
    const lower = stated ? { fact: group.processes, copies, what: "Solid Queue worker processes" } : undefined;
    return { process, processes: n, text, counted: text, own: !tree.inPuma, relatedAt, started, lower };
  });
}

/**
 * Servers whose own count is reported when it alone is over: the process servers, and Solid Queue's worker processes (its README:
 * `processes` is how one dedicates more than one CPU core to a queue), so a host that runs only `bin/jobs` is sized too.
 */
const ALONE_SERVERS: ReadonlySet<string> = new Set([...PROCESS_SERVERS, "solid_queue", "daphne"]);

function celeryForks(process: ServerProcess): boolean {
  const pool = optionValue(process.invocation, "pool")?.value?.value;
  return pool === undefined || pool === "prefork" || pool === "processes";
}

/** Where another server's processes are counted: its worker count, or its command when it is one process (Sidekiq's count is of threads). */
function sharerRelated(sharer: Sharer): Array<{ at: SourceRef; message: string }> {
  return sharer.relatedAt ? [{ at: sharer.relatedAt, message: `${sharer.text()} on the same CPUs` }] : [];
}

const plural = (n: number, one: string, many = `${one}es`) => `${n} ${n === 1 ? one : many}`;

function fixTitle(what: string, copies: number, perCopy: number, others: number, atLeast: string): string {
  const lowered = copies === 1 ? `Lower the ${what} to ${perCopy}` : `Lower the ${what} to ${perCopy} per copy (${copies} x ${perCopy} = ${copies * perCopy})`;
  return others > 0 ? `${lowered}, ${atLeast}${copies * perCopy + others} processes with the others` : lowered;
}
