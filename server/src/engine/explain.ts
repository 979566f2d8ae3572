// What a number in a deployment file feeds: the text of the hover on a worker count, a pool size
// or overflow, a thread count, an instance count, a CPU limit, nginx's worker_processes or
// worker_connections, or PostgreSQL's max_connections. The arithmetic is model/budget.ts's, the
// same as the rules'.
import { type ConnectionBudget, connectionBudgets, ownConnectionsText, proxyClientCapacity, shareSum, sumIsFloor } from "./model/budget.ts";
import type { Deployment, DeploymentModel } from "./model/types.ts";
import { plural } from "./report/plural.ts";
import { floorWhy, threadsOf } from "./report/summary.ts";
import { workersFloor } from "./model/pools.ts";
import { formatCpus, maxWorkers, PROCESS_SERVERS } from "./rules/workers/recommended.ts";
import type { Fact, SourceRef } from "./types.ts";
import { serverName } from "./parse/servers.ts";

export interface Explanation {
  /** Markdown. */
  text: string;
  /** The value the text is about, as written at the hovered place. */
  at: SourceRef;
}

/** The explanation of the value written at `offset` in `file`, if it is one the model uses. */
export function explainAt(model: DeploymentModel, file: string, offset: number): Explanation | undefined {
  const budgets = connectionBudgets(model);
  const hit = (fact: Fact<unknown> | undefined): SourceRef | undefined => {
    if (!fact) return undefined;
    const places = [...(fact.origin === "stated" && fact.at ? [fact.at] : []), ...(fact.via ?? []).map((v) => v.at)];
    return places.find((at) => at.file === file && at.start <= offset && offset <= at.end && at.end > at.start);
  };

  for (const deployment of model.deployments) {
    const pool = deployment.pool;
    for (const process of deployment.processes) {
      const at = hit(process.workers);
      if (at) {
        const n = process.workers.value;
        const cpus = deployment.cpus;
        const advice = cpus && PROCESS_SERVERS.has(process.invocation.server) ? ` on ${formatCpus(cpus.value)}: gunicorn advises at most (2 x ${Number(cpus.value.toFixed(2))}) + 1 = ${maxWorkers(cpus.value)}` : "";
        const instances = deployment.instances.value;
        // supervisord's numprocs: the count is per copy.
        const copies = process.copies?.value ?? 1;
        const perInstance = n * copies;
        const where = copies > 1 ? ` in each of ${copies} copies (numprocs), ${copies} x ${n} = ${perInstance} per instance` : " per instance";
        const inAll = instances !== 1 ? ` ${instances} instances run ${instances} x ${perInstance} = ${instances * perInstance} in all.` : "";
        return { at, text: [`**${n} ${serverName(process.invocation)} ${n === 1 ? "process" : "workers"}**${where}${advice}.${inAll}`, budgetLine(deployment, budgets)].filter(Boolean).join("\n\n") };
      }
      const copiesAt = hit(process.copies);
      if (process.copies && copiesAt) {
        const copies = process.copies.value;
        const n = process.workers.value;
        return {
          at: copiesAt,
          text: [`**numprocs ${copies}**: supervisord starts ${copies} copies of this ${serverName(process.invocation)}, each with ${n} worker${n === 1 ? "" : "s"} and ${n === 1 ? "its" : "their"} own pools: ${copies} x ${n} = ${copies * n} per instance.`, budgetLine(deployment, budgets)].filter(Boolean).join("\n\n"),
        };
      }
      const threads = threadsOf(process);
      const threadsAt = hit(threads);
      if (threads && threadsAt) {
        // Where the workspace does not give the count, the model holds the server's default: say it is a floor.
        const floor = workersFloor(process);
        const workers = floor?.value ?? process.workers.value;
        const orMore = floor ? " or more" : "";
        const perInstance = threads.value * workers;
        const instances = deployment.instances.value;
        const across = instances !== 1 ? `, ${perInstance * instances}${orMore} across ${instances} instances` : "";
        return {
          at: threadsAt,
          text: [
            `**${threads.value} threads** in each of ${workers} ${serverName(process.invocation)} worker${workers === 1 ? "" : "s"}${floor ? ` or more (${floorWhy(floor)})` : ""}: ${workers} x ${threads.value} = ${perInstance}${orMore} requests at once per instance${across}.`,
            budgetLine(deployment, budgets),
          ]
            .filter(Boolean)
            .join("\n\n"),
        };
      }
    }
    if (pool) {
      const at = hit(pool.size) ?? hit(pool.overflow);
      if (at) {
        const what = hit(pool.size) ? `**${pool.sizeName ?? "pool size"} ${pool.size.value}**: connections each process keeps` : `**${pool.overflowName ?? "max_overflow"} ${pool.overflow?.value}**: extra connections each process opens under load`;
        return { at, text: [`${what}; every ${singularLabel(pool.processLabel)} ${ownConnectionsText(pool)}.`, budgetLine(deployment, budgets)].filter(Boolean).join("\n\n") };
      }
    }
    const instancesAt = hit(deployment.instances);
    if (instancesAt) return { at: instancesAt, text: [`**${deployment.instances.value} instance${deployment.instances.value === 1 ? "" : "s"}**, each with its own processes and pools.`, budgetLine(deployment, budgets)].filter(Boolean).join("\n\n") };
    const cpusAt = hit(deployment.cpus);
    if (cpusAt && deployment.cpus) {
      const workers = deployment.processes
        .filter((p) => PROCESS_SERVERS.has(p.invocation.server))
        .map((p) => {
          const floor = workersFloor(p);
          const n = floor?.value ?? p.workers.value;
          return `${floor ? "at least " : ""}${n} ${serverName(p.invocation)} worker${n === 1 ? "" : "s"}`;
        });
      const cpus = deployment.cpus.value;
      return { at: cpusAt, text: `**${formatCpus(cpus)}** per instance: gunicorn advises at most (2 x ${Number(cpus.toFixed(2))}) + 1 = ${maxWorkers(cpus)} worker processes${workers.length ? `; this deployment runs ${workers.join(", ")}` : ""}.` };
    }
  }

  for (const proxy of model.proxies) {
    const at = hit(proxy.workerConnections) ?? hit(proxy.workerProcesses);
    if (!at) continue;
    const { perWorker, total } = proxyClientCapacity(proxy);
    const wc = proxy.workerConnections.value;
    const formula =
      total !== undefined
        ? `worker_processes ${proxy.workerProcesses.value} x worker_connections ${wc} / 2 = **${total} clients** at once`
        : `worker_connections ${wc} / 2 = **${perWorker} clients** per worker (worker_processes ${proxy.workerProcesses.value})`;
    return { at, text: `${formula}: each proxied request holds a client and an upstream connection.` };
  }

  for (const budget of budgets) {
    const at = hit(budget.database.maxConnections) ?? hit(budget.database.reserved);
    if (!at) continue;
    const { database } = budget;
    const shares = budget.shares.map((s) => `- ${s.deployment.name}: ${shareSum(s)}`);
    return {
      at,
      text: [`max_connections ${database.maxConnections.value} − ${database.reserved.value} reserved = **${budget.allowed}** for the pools; they may open **${sumIsFloor(budget.shares) ? "at least " : ""}${budget.total}**.`, ...shares].join("\n"),
    };
  }
  return undefined;
}

/** "3 instances x 5 gunicorn workers x (DB_POOL_SIZE 4 + DB_MAX_OVERFLOW 4) = 120 of 97 connections (PostgreSQL (assumed))". */
function budgetLine(deployment: Deployment, budgets: ConnectionBudget[]): string {
  for (const budget of budgets) {
    const share = budget.shares.find((s) => s.deployment === deployment);
    if (!share) continue;
    const mine = shareSum(share);
    const over = budget.total > budget.allowed ? " (over the limit)" : "";
    // App Runner adds instances under load: without headroom.yml's max the sum is one instance's (as db/connections-exceed-max says).
    const scaling =
      deployment.autoscaling && deployment.instances.origin !== "configured"
        ? ` That is one instance: ${deployment.autoscaling.origin === "stated" ? `App Runner autoscaling (${deployment.autoscaling.value})` : "App Runner's default autoscaling (up to 25 instances)"} ` +
          `adds ${share.total / deployment.instances.value} per instance it starts; set facts.max_instances in headroom.yml.`
        : deployment.instancesUnknown && deployment.instances.origin !== "configured"
          ? ` That is ${deployment.instances.value === 1 ? "one instance" : `${deployment.instances.value} instances`}: ${deployment.instancesUnknown}; set facts.max_instances in headroom.yml.`
          : "";
    if (budget.shares.length === 1) return `Connections: ${mine} **of ${budget.allowed}** that ${budget.database.name} accepts${over}.${scaling}`;
    return `Connections: ${mine}; with the other ${plural(budget.shares.length - 1, "deployment")}, **${sumIsFloor(budget.shares) ? "at least " : ""}${budget.total} of ${budget.allowed}** that ${budget.database.name} accepts${over}.${scaling}`;
  }
  return "";
}

function singularLabel(label: string): string {
  return label.endsWith("processes") ? label.slice(0, -2) : label.endsWith("s") ? label.slice(0, -1) : label;
}
