// The arithmetic the sizing rules and the audit report share, so both always show the same
// numbers: each deployment's share of a database's connections, and how many clients an nginx
// proxy can hold. Rules phrase findings from these; the report draws them.
import type { Fact } from "../types.ts";
import type { NginxProxy } from "./nginx.ts";
import { djangoPersistent, holdsOwnConnections, type Pool } from "./pools.ts";
import { jobQueryConnections, jobQueryTerms, solidQueueTerms } from "./solid-queue.ts";
import { goodJobExtra, goodJobExtraTerms, goodJobThreadsText } from "./good-job.ts";
import type { Database, Deployment, DeploymentModel } from "./types.ts";

/** One deployment's share of a database's connections: instances x processes x (size + overflow). */
export interface PoolShare {
  deployment: Deployment;
  pool: Pool;
  /** Connections one process may hold: pool size + overflow. */
  perProcess: number;
  /** Connections the whole deployment may hold. */
  total: number;
}

export interface ConnectionBudget {
  database: Database;
  /** The deployments that connect to this database and have a pool, in model order. */
  shares: PoolShare[];
  /** Sum of the shares. */
  total: number;
  /** What ordinary roles may open: max_connections minus the reserved slots. */
  allowed: number;
}

export function poolShare(deployment: Deployment, pool: Pool): PoolShare {
  const perProcess = sidekiqPoolCap(pool)?.value ?? Math.min(pool.size.value, pool.threadCap?.value ?? pool.size.value) + otherDatabaseConnections(pool) + (pool.overflow?.value ?? 0) + capsuleThreads(pool) + (pool.goodJob ? goodJobExtra(pool.goodJob) + jobQueryConnections(pool.jobDatabases, pool.size.value) : 0);
  return { deployment, pool, perProcess, total: deployment.instances.value * pool.processes.value * perProcess };
}

/**
 * One budget per database of the model, with the shares of the deployments that use it; none for a database whose
 * max_connections is written as a value Headroom cannot read (its limit is not known, so nothing can exceed it).
 */
export function connectionBudgets(model: DeploymentModel): ConnectionBudget[] {
  // Each database lists its clients by id: look them up (an id may name several), then put them back in model order.
  const places = new Map<string, number[]>();
  model.deployments.forEach((d, i) => {
    const same = places.get(d.id);
    if (same) same.push(i);
    else places.set(d.id, [i]);
  });
  return model.databases.filter((database) => !database.limitUnknown).map((database) => {
    const clients = [...new Set(database.clients.flatMap((id) => places.get(id) ?? []))].sort((a, b) => a - b);
    const shares: PoolShare[] = [];
    for (const i of clients) {
      const deployment = model.deployments[i];
      if (deployment.pool) shares.push(poolShare(deployment, deployment.pool));
      for (const pool of deployment.sidePools ?? []) shares.push(poolShare(deployment, pool));
    }
    return {
      database,
      shares,
      total: shares.reduce((sum, s) => sum + s.total, 0),
      allowed: Math.max(0, database.maxConnections.value - database.reserved.value),
    };
  });
}

/**
 * Clients an nginx proxy holds at once: each proxied request takes a client and an upstream
 * connection, so worker_connections / 2 per worker. `workers` and `total` are undefined when
 * worker_processes is `auto` (one per CPU of a machine the workspace does not describe) or not a number.
 */
export function proxyClientCapacity(proxy: NginxProxy): { perWorker: number; workers?: number; total?: number } {
  const perWorker = Math.floor(proxy.workerConnections.value / 2);
  const workers = proxy.workerProcesses.value;
  if (typeof workers !== "number" || !Number.isFinite(workers)) return { perWorker };
  return { perWorker, workers, total: workers * perWorker };
}

/** "3 instances x 5 gunicorn workers x (DB_POOL_SIZE 30 + DB_MAX_OVERFLOW 70)": how a share is computed, in words (autoscaling max when configured). */
export function shareFormula(share: PoolShare): string {
  const parts: string[] = [];
  const { instances } = share.deployment;
  // A configured instance count is headroom.yml's autoscaling max: say so, even when it is 1.
  if (instances.origin === "configured" || share.deployment.instancesAreMax) parts.push(`autoscaling max ${instances.value} instance${instances.value === 1 ? "" : "s"}`);
  else if (instances.value !== 1) parts.push(`${instances.value} instances`);
  // A Solid Queue supervisor is one per instance; its sum says which processes it forks.
  if (share.pool.solidQueue) parts.push(`${share.pool.processLabel} (${solidQueueTerms(share.pool.solidQueue)})`);
  else parts.push(processesText(share.pool), perProcessText(share.pool));
  return parts.join(" x ");
}

/**
 * Whether a share's sum is a floor: processes the host's CPUs multiply, or Django's connections under ASGI (at least 1 a
 * process). The one notion of "at least" for a pool's connections: rules, hovers and every place of the report use it.
 */
export function countsFloor(pool: Pool): boolean {
  return pool.processesFloor === true || pool.asgi !== undefined;
}

/** Whether a sum of shares (a database's budget) is a floor: one of them is. */
export function sumIsFloor(shares: readonly PoolShare[]): boolean {
  return shares.some((s) => countsFloor(s.pool));
}

/** "3 instances x 5 gunicorn workers x (DB_POOL_SIZE 30 + DB_MAX_OVERFLOW 70) = 300", "= at least 30" for a floor. */
export function shareSum(share: PoolShare): string {
  return `${shareFormula(share)} = ${countsFloor(share.pool) ? "at least " : ""}${share.total}`;
}

/** "5 gunicorn workers", or with supervisord's numprocs "2 copies (numprocs) x 5 gunicorn workers": the processes that each open the pool. */
export function processesText(pool: Pool): string {
  const copies = pool.copies?.value ?? 1;
  const atLeast = pool.processesAtLeast ? ` (at least: ${pool.processesAtLeast})` : "";
  return copies > 1 ? `${copies} copies (numprocs) x ${pool.processes.value / copies} ${pool.processLabel}${atLeast}` : `${pool.processes.value} ${pool.processLabel}${atLeast}`;
}

/** What each process of a pool has, for messages: a pool, or (Django without one) connections of its own, one per thread or greenlet. */
export function ownConnectionsText(pool: Pool): string {
  if (pool.greenlets) return `holds its own connections, one per ${pool.greenlets.kind} greenlet`;
  if (pool.kind === "sqlalchemy" && pool.databases) return "has its own pool for each engine";
  if (pool.asgi) return "holds its own connections, one per request in flight";
  return holdsOwnConnections(pool) ? "holds its own connections, one per thread" : "has its own pool";
}

/** "DB_POOL_SIZE 30", "pool 5 (Rails's default)", "concurrency 10 (--concurrency)", "concurrency 10 (config/sidekiq.yml)". */
export function poolSizeText(pool: Pool): string {
  const { size } = pool;
  if (pool.goodJob) return goodJobThreadsText(pool.goodJob);
  if (pool.solidQueue) return `${size.value} Solid Queue connections (${solidQueueTerms(pool.solidQueue)})`;
  if (pool.oneThread) return `1 connection (${pool.oneThread.what}'s one scheduler thread holds one at a time, whatever its pool allows: ${perProcessTerms(pool.oneThread.pool)})`;
  if (pool.djangoPool) return size.origin === "default" ? `pool max_size ${size.value} (${size.by}'s default)` : `${pool.sizeName ?? "pool max_size"} ${size.value}`;
  if (pool.greenlets) {
    const { kind, persistent, setting } = pool.greenlets;
    const each = persistent ? `one persistent connection per ${kind} greenlet, CONN_MAX_AGE` : `one connection per request in flight, each in its own ${kind} greenlet`;
    const written = setting === "gevent" ? `gevent ${size.value} async cores` : `worker_connections ${size.value}`;
    return `${written} (${size.origin === "default" ? `${size.by}'s default; ` : ""}${each})`;
  }
  if (pool.asgi) return `at least 1 connection (under ASGI each request in flight holds its own${djangoPersistent(pool) ? ", kept after it by CONN_MAX_AGE" : ""}; how many run at once is not in the workspace)`;
  if (pool.kind === "django") {
    const n = `${size.value} ${djangoPersistent(pool) ? "persistent " : ""}connection${size.value === 1 ? "" : "s"}`;
    return djangoPersistent(pool) ? `${n} (one per thread, CONN_MAX_AGE)` : `${n} (one per thread while its request runs, CONN_MAX_AGE 0)`;
  }
  if (pool.kind === "sidekiq") return pool.sizeFrom ? `concurrency ${size.value} (${pool.sizeFrom})` : pool.sizeName ? `${pool.sizeName} ${size.value}` : `concurrency ${size.value} (${size.by}'s default)`;
  if (pool.sizeName) return `${pool.sizeName} ${size.value}`;
  return pool.kind === "activerecord" ? `pool ${size.value} (${size.by}'s default)` : `pool_size ${size.value} (${size.by}'s default)`;
}

function perProcessText(pool: Pool): string {
  const cap = sidekiqPoolCap(pool);
  if (cap && pool.activeRecord) {
    const { name } = pool.activeRecord;
    const where = name === "pool" ? (cap.at?.file ?? `${cap.by ?? "Rails"}'s default`) : `${name}${cap.at ? ` in ${cap.at.file}` : ""}`;
    return `Active Record pool ${cap.value} (${where}; its ${pool.size.value + capsuleThreads(pool)} job threads share it)`;
  }
  if (pool.databases && pool.kind === "sqlalchemy") {
    // Flask-SQLAlchemy's binds: an engine each, with its own pool_size + max_overflow.
    const binds = pool.databases.map((d) => `bind ${d.name} (${d.size.value} + ${d.overflow?.value ?? 0})`);
    return `(${[perProcessTerms(pool), ...binds].join(" + ")})`;
  }
  if (pool.databases) {
    const capped = (size: number) => Math.min(size, pool.threadCap?.value ?? size);
    const terms = [`primary ${pool.threadCap ? capped(pool.size.value) : poolSizeText(pool)}`, ...pool.databases.map((d) => `${d.name} ${pool.threadCap ? capped(d.size.value) : `pool ${d.size.value}`}`)].join(" + ");
    const threads = pool.threadCap ? `: ${threadCapTerms(pool.threadCap)}, one connection each per database at most` : "";
    return `(${terms}${threads})`;
  }
  if (pool.threadCap) {
    if (pool.threadCap.value >= pool.size.value) return `${poolSizeText(pool)} (${threadCapTerms(pool.threadCap)} can fill it)`;
    return `${pool.threadCap.value} (${threadCapTerms(pool.threadCap)}, one connection each at most, below ${poolSizeText(pool)})`;
  }
  const terms = perProcessTerms(pool);
  return pool.overflow || pool.capsules?.length || (pool.goodJob && goodJobExtra(pool.goodJob) + jobQueryConnections(pool.jobDatabases, pool.size.value) > 0) ? `(${terms})` : terms;
}

/** "3 puma threads + 4 Action Cable workers": the threads of a Puma (or Unicorn) process that check out connections. */
function threadCapTerms(cap: NonNullable<Pool["threadCap"]>): string {
  return `${cap.threads.value} ${cap.what}${cap.goodJob ? ` + ${cap.goodJob} GoodJob connections` : ""}${cap.actionCable ? ` + ${cap.actionCable} Action Cable workers` : ""}`;
}

/** "DB_POOL_SIZE 30 + DB_MAX_OVERFLOW 70": what one process may hold, term by term. */
function perProcessTerms(pool: Pool): string {
  const capsules = (pool.capsules ?? []).map((c) => ` + capsule ${c.name} ${c.threads.value}`).join("");
  return `${poolSizeText(pool)}${pool.overflow ? ` + ${pool.overflowName ?? "max_overflow"} ${pool.overflow.value}` : ""}${capsules}${pool.goodJob ? goodJobExtraTerms(pool.goodJob) + jobQueryTerms(pool.jobDatabases, pool.size.value) : ""}`;
}

/**
 * A Sidekiq process's Active Record pool when it is smaller than its job threads: the process opens no more
 * connections than that (the other jobs wait for one, db/sidekiq-concurrency-exceeds-pool), so it caps its share.
 */
export function sidekiqPoolCap(pool: Pool): Fact<number> | undefined {
  const ar = pool.kind === "sidekiq" ? pool.activeRecord?.fact : undefined;
  return ar && ar.value < pool.size.value + capsuleThreads(pool) ? ar : undefined;
}

/** Connections of a Rails process's other databases on the same server (cache, queue, cable), each up to its threads. */
export function otherDatabaseConnections(pool: Pool): number {
  return (pool.databases ?? []).reduce((sum, d) => sum + Math.min(d.size.value, pool.threadCap?.value ?? d.size.value) + (d.overflow?.value ?? 0), 0);
}

/** Threads of a Sidekiq process's other capsules, each of which may hold a connection too. */
export function capsuleThreads(pool: Pool): number {
  return (pool.capsules ?? []).reduce((sum, c) => sum + c.threads.value, 0);
}
