// A job runner's processes and threads in words, for the reports and messages that describe servers by their workers
// ("4 puma workers"): a Solid Queue supervisor is not one worker but the processes it forks, a good_job process runs threads.
import { optionValue } from "../parse/servers.ts";
import type { SolidQueueTree } from "./solid-queue.ts";
import type { ServerProcess } from "./types.ts";

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * "Solid Queue supervisor + 2 worker processes x 3 threads + 1 dispatcher + scheduler"; in async mode "Solid Queue supervisor
 * running 1 worker x 3 threads + 1 dispatcher + scheduler as threads of its process"; "1 good_job process x 5 threads";
 * "1 sidekiq process x 25 threads" (its concurrency is threads, not processes; `capsules` adds theirs: "+ capsule critical 5 threads");
 * a celery worker by what its pool runs: "4 celery prefork processes", "1 celery process x 100 greenlets" (gevent).
 * Undefined for any other server.
 */
export function jobRunnerText(process: ServerProcess, capsules: ReadonlyArray<{ name: string; threads: { value: number } }> = []): string | undefined {
  const server = process.invocation.server;
  if (server === "good_job" && process.goodJob) return `1 good_job process x ${count(process.goodJob.threads.value, "thread")}`;
  if (server === "sidekiq") {
    const swarm = process.sidekiqSwarm;
    if (swarm?.perHostCpu) return `sidekiqswarm: 1 sidekiq process per host CPU x ${count(process.workers.value, "thread")}${capsules.map((c) => ` + capsule ${c.name} ${count(c.threads.value, "thread")}`).join("")}`;
    const copies = (process.copies?.value ?? 1) * (swarm?.processes.value ?? 1);
    return `${count(copies, "sidekiq process", "sidekiq processes")} x ${count(process.workers.value, "thread")}${capsules.map((c) => ` + capsule ${c.name} ${count(c.threads.value, "thread")}`).join("")}`;
  }
  if (server === "celery") return celeryWorkerText(process);
  const tree = process.solidQueue;
  if (server !== "solid_queue" || !tree) return undefined;
  return solidQueueProcessesText(tree);
}

/** Celery's --concurrency is child processes in the prefork pool (its default), threads or greenlets in the one process of the others (SOURCES.celeryConcurrencyPools). */
function celeryWorkerText(process: ServerProcess): string {
  const pool = optionValue(process.invocation, "pool")?.value?.value ?? "prefork";
  if (pool === "solo") return "1 celery process, one task at a time";
  if (pool === "threads" || pool === "gevent" || pool === "eventlet") {
    const per = process.threads ? ` x ${count(process.threads.value, pool === "threads" ? "thread" : "greenlet")}` : "";
    return `1 celery process${per}`;
  }
  // Without --concurrency, one child per CPU the worker sees (the host's, in a container): the model's 1 is a floor.
  if (process.workersFromCpuCount && process.workers.origin === "default") return "celery prefork processes: 1 per host CPU";
  return count(process.workers.value, "celery prefork process", "celery prefork processes");
}

/**
 * The jobs a web server runs besides its requests: "Solid Queue supervisor + 2 worker processes x 3 threads + 1 dispatcher,
 * forked by Puma's plugin" (async mode: as threads of Puma's process), "GoodJob async: 5 job threads in each puma process".
 * Undefined when it runs none.
 */
export function jobsInServerText(process: ServerProcess): string | undefined {
  const tree = process.solidQueue;
  if (tree?.inPuma) return tree.async ? solidQueueProcessesText(tree, "Puma's process") : `${solidQueueProcessesText(tree)}, forked by Puma's plugin`;
  const goodJob = process.goodJob;
  if (goodJob?.asyncMode && process.invocation.server !== "good_job") return `GoodJob ${goodJob.asyncMode.value}: ${count(goodJob.threads.value, "job thread")} in each process`;
  return undefined;
}

/** The processes (or, in async mode, threads of `asyncIn`) of a Solid Queue supervisor, as config/queue.yml and config/recurring.yml give them. */
export function solidQueueProcessesText(tree: SolidQueueTree, asyncIn = "its process"): string {
  const workers = tree.workers.map((w) => `${tree.async ? "1 worker" : count(w.processes.value, "worker process", "worker processes")} x ${count(w.threads.value, "thread")}`);
  const others = [...(tree.dispatchers.length > 0 ? [count(tree.dispatchers.length, "dispatcher")] : []), ...(tree.scheduler ? ["scheduler"] : [])];
  const parts = [...workers, ...others].join(" + ");
  if (tree.async) return `Solid Queue supervisor running ${parts || "nothing"} as threads of ${asyncIn} (async mode)`;
  return `Solid Queue supervisor${parts ? ` + ${parts}` : ""}`;
}
