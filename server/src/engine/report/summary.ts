// The audit report's data: per deployment the topology with its numbers (proxy → instances x
// processes x threads → database), each database's connection budget, CPU and memory per
// instance, and every finding with its file and line. Pure and JSON-serialisable, so the CLI
// (`--format html`) and the language server (the VS Code report) render the same thing.
//
// Every number is read from the deployment model or computed by model/budget.ts, the module the
// rules use: a sum the report shows is the sum db/connections-exceed-max reports.
import { jobRunnerText, jobsInServerText } from "../model/job-runners.ts";
import type { AuditResult } from "../api.ts";
import { connectionBudgets, countsFloor, poolShare, proxyClientCapacity, shareFormula, sidekiqPoolCap, sumIsFloor } from "../model/budget.ts";
import { pgbouncerServerTotal } from "../model/pgbouncer.ts";
import { type WorkersFloor, workersFloor } from "../model/pools.ts";
import type { Deployment, ServerProcess } from "../model/types.ts";
import { optionValue, parsePumaThreads, serverName } from "../parse/servers.ts";
import { maxWorkers, PROCESS_SERVERS } from "../rules/workers/recommended.ts";
import type { Fact, Origin, Severity, SourceRef } from "../types.ts";
import { summarize } from "./json.ts";
import { positions } from "./positions.ts";

/** A place in a file: 0-based line and character, as in LSP (the HTML shows line + 1). */
export interface Location {
  file: string;
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** A number as the report shows it: its value, and whether it was stated, a default or assumed. */
export interface Figure<T = number> {
  value: T;
  origin: Origin;
  /** Whose default or assumption ("gunicorn", "PostgreSQL", "Headroom"). */
  by?: string;
  at?: Location;
}

export interface ProcessSummary {
  server: string;
  /** The server as messages name it: `bin/rails server` runs "puma". */
  name: string;
  /** Worker processes per instance. */
  workers: Figure;
  /**
   * Why `workers` is only a floor, where the workspace does not give the count: it counts the host's CPUs
   * (`multiprocessing.cpu_count() * 2 + 1`), or it is a variable the workspace does not set (`--workers $WEB_WORKERS`).
   */
  workersAtLeast?: string;
  /** Threads per worker, when the command sets them. */
  threads?: Figure;
  /** gunicorn's (2 x CPUs) + 1, for servers it applies to, when the CPUs are known. */
  recommendedMaxWorkers?: number;
  /** A job runner's processes and threads in words ("Solid Queue supervisor + 2 worker processes x 3 threads + 1 dispatcher"), instead of workers x threads. */
  label?: string;
  /** The jobs this web server runs besides its requests, in words ("Solid Queue supervisor + 2 worker processes x 3 threads + 1 dispatcher, forked by Puma's plugin"). */
  jobs?: string;
}

export interface PoolSummary {
  kind: string;
  sizeName?: string;
  overflowName?: string;
  size: Figure;
  overflow?: Figure;
  /** A Sidekiq process's other capsules, each with its threads. */
  capsules?: Array<{ name: string; threads: Figure }>;
  /** Processes per instance that each open the pool, and what they are ("gunicorn workers"). */
  processes: Figure;
  processLabel: string;
  /** Why `processes` is only a floor (model/pools.ts), e.g. the workers count the host's CPUs: a note beside the count. */
  processesAtLeast?: string;
  /** supervisord's numprocs, when `processes` are that many copies' workers. */
  copies?: number;
  /**
   * A Sidekiq process's Active Record pool when it is smaller than its job threads (model/budget.ts sidekiqPoolCap): the
   * connections it opens, which its threads share; `name` is the setting that sizes it (`pool`, RAILS_MAX_THREADS).
   */
  activeRecordCap?: Figure & { name: string };
  /** size + overflow + capsule threads, or the Active Record pool that caps them. */
  perProcess: number;
  /** instances x processes x perProcess, for this deployment. */
  total: number;
  /** The total is a floor, as the budget's share of this pool says (model/budget.ts countsFloor). */
  atLeast?: true;
  /** The budget (database name) this share counts against, when one is known. */
  database?: string;
}

export interface DeploymentSummary {
  id: string;
  name: string;
  files: string[];
  instances: Figure;
  /** Why the workspace does not give the number of instances (fly.toml, a compose replicas variable): `instances` counts what it can vouch for. */
  instancesUnknown?: string;
  cpus?: Figure;
  memoryMiB?: Figure;
  processes: ProcessSummary[];
  pool?: PoolSummary;
  /** Roots of the nginx proxies that send requests to it. */
  proxies: string[];
  /** The PgBouncer (its `name` in `poolers`) its database connections go through. */
  pooler?: string;
  /** Ids (indexes into `findings`) of the findings about this deployment. */
  findings: number[];
}

export interface BudgetShare {
  /** The deployment's id; for a PgBouncer's share, its compose deployment's id or its name. */
  deployment: string;
  /** Set for the server connections a PgBouncer in front of the database may open (not a deployment's pool). */
  pooler?: boolean;
  name: string;
  /** "3 instances x 4 gunicorn workers x (DB_POOL_SIZE 10 + DB_MAX_OVERFLOW 10)" */
  formula: string;
  total: number;
  /** The total is a floor: processes the host's CPUs multiply, or Django's connections under ASGI ("= at least 30"). */
  atLeast?: true;
}

export interface BudgetSummary {
  database: string;
  maxConnections: Figure;
  reserved: Figure;
  /** maxConnections - reserved */
  allowed: number;
  /** Sum of the shares. */
  total: number;
  /** Some share counts only the processes the workspace vouches for (its workers count the host's CPUs, say): the total is a floor. */
  totalAtLeast?: true;
  shares: BudgetShare[];
}

export interface ProxySummary {
  root: string;
  workerProcesses: Figure<number | "auto">;
  workerConnections: Figure;
  /** worker_connections / 2: a proxied client holds two connections. */
  clientsPerWorker: number;
  /** worker_processes x clientsPerWorker, when worker_processes is a number. */
  clients?: number;
  /** Ids of the deployments it sends requests to, with how many instances each has. */
  backends: Array<{ deployment: string; service: string; instances: number }>;
  findings: number[];
}

/** A PgBouncer between deployments and PostgreSQL: its pool mode and size, and the server connections it may open. */
export interface PoolerSummary {
  name: string;
  instances: Figure;
  poolMode: Figure<string>;
  /** default_pool_size: server connections per database and user. */
  poolSize?: Figure & { name: string };
  reservePoolSize?: Figure & { name: string };
  maxClientConn?: Figure & { name: string };
  /** Server connections all its instances may open (pgbouncer/server-connections-exceed-max's sum); undefined when a setting is not a number. */
  serverConnections?: number;
  /** The database its server connections go to, when the workspace has it. */
  server?: string;
  /**
   * That database's limit, and everything that may connect to it: this PgBouncer's server connections, the other PgBouncers'
   * in front of it and the apps that connect directly (the sum pgbouncer/server-connections-exceed-max checks).
   */
  serverBudget?: { maxConnections: Figure; reserved: Figure; allowed: number; total: number };
  clients: string[];
}

export interface FindingSummary {
  id: number;
  rule: string;
  severity: Severity;
  message: string;
  at: Location;
  docsUrl?: string;
  related: Array<{ at: Location; message: string }>;
  fixes: Array<{ title: string; safe: boolean }>;
}

export interface AuditSummary {
  counts: ReturnType<typeof summarize>;
  deployments: DeploymentSummary[];
  budgets: BudgetSummary[];
  proxies: ProxySummary[];
  poolers: PoolerSummary[];
  findings: FindingSummary[];
  /** Findings about no deployment or proxy of the report (a file that fails to parse, for instance). */
  otherFindings: number[];
}

export interface SummaryOptions {
  docsUrl?: (rule: string) => string | undefined;
}

/** The report's data for one audit. `read` gives the text the audit read, to turn offsets into lines. */
export function summarizeAudit(result: AuditResult, read: (file: string) => string | undefined, options: SummaryOptions = {}): AuditSummary {
  const at = positions(read);
  const locate = (ref: SourceRef): Location => ({ file: ref.file, ...at(ref) });
  const figure = <T>(fact: Fact<T>): Figure<T> => ({
    value: fact.value,
    origin: fact.origin,
    ...(fact.by ? { by: fact.by } : {}),
    // A default's `at` is where one would write the value, not where it is written: no link for it.
    ...(fact.at && fact.origin === "stated" ? { at: locate(fact.at) } : {}),
  });

  const { model } = result;
  const findings: FindingSummary[] = result.findings.map((f, id) => ({
    id,
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    at: locate(f.at),
    ...(options.docsUrl?.(f.rule) ? { docsUrl: options.docsUrl(f.rule) } : {}),
    related: f.related.map((r) => ({ at: locate(r.at), message: r.message })),
    fixes: f.fixes.map((x) => ({ title: x.title, safe: x.safe })),
  }));

  const budgets = connectionBudgets(model);
  const shown = model.deployments.filter((d) => d.processes.length > 0 || d.pool);
  const owner = new Map<number, string>();
  result.findings.forEach((f, id) => {
    const about = f.deployment ?? shown.find((d) => d.files.has(f.at.file))?.id;
    if (about) owner.set(id, about);
  });
  const proxyOwner = new Map<number, string>();
  result.findings.forEach((f, id) => {
    if (owner.has(id)) return;
    const proxy = model.proxies.find((p) => p.files.has(f.at.file));
    if (proxy) proxyOwner.set(id, proxy.root);
  });
  const idsOf = (map: Map<number, string>, key: string) => [...map].filter(([, k]) => k === key).map(([id]) => id);

  const poolerOf = new Map<string, string>();
  for (const pooler of model.poolers ?? []) for (const client of pooler.clients) if (!poolerOf.has(client)) poolerOf.set(client, pooler.name);
  // The nginx configs a deployment's container runs (mounted or copied into its image) are among its files.
  const proxyFiles = new Map<string, Set<string>>();
  for (const proxy of model.proxies) {
    const id = proxy.service?.deployment;
    if (id === undefined) continue;
    const files = proxyFiles.get(id) ?? new Set<string>();
    for (const file of proxy.files) files.add(file);
    proxyFiles.set(id, files);
  }
  const deployments: DeploymentSummary[] = shown.map((d) => {
    const budget = budgets.find((b) => b.shares.some((s) => s.deployment === d));
    const pool = d.pool;
    const share = budget?.shares.find((s) => s.deployment === d) ?? (pool ? poolShare(d, pool) : undefined);
    const cap = pool ? sidekiqPoolCap(pool) : undefined;
    return {
      id: d.id,
      name: d.name,
      files: [...new Set([...d.files, ...(proxyFiles.get(d.id) ?? [])])].sort(),
      instances: figure(d.instances),
      ...(d.instancesUnknown && d.instances.origin !== "configured" ? { instancesUnknown: d.instancesUnknown } : {}),
      ...(d.cpus ? { cpus: figure(d.cpus) } : {}),
      ...(d.memoryMiB ? { memoryMiB: figure(d.memoryMiB) } : {}),
      processes: d.processes.map((p) => processSummary(d, p, figure, read)),
      ...(pool
        ? {
            pool: {
              kind: pool.kind,
              ...(pool.sizeName ? { sizeName: pool.sizeName } : {}),
              ...(pool.overflowName ? { overflowName: pool.overflowName } : {}),
              size: figure(pool.size),
              ...(pool.overflow ? { overflow: figure(pool.overflow) } : {}),
              ...(pool.capsules ? { capsules: pool.capsules.map((c) => ({ name: c.name, threads: figure(c.threads) })) } : {}),
              processes: figure(pool.processes),
              processLabel: pool.processLabel,
              ...(pool.processesAtLeast ? { processesAtLeast: pool.processesAtLeast } : {}),
              ...(pool.copies ? { copies: pool.copies.value } : {}),
              ...(cap && pool.activeRecord ? { activeRecordCap: { ...figure(cap), name: pool.activeRecord.name } } : {}),
              perProcess: share?.perProcess ?? 0,
              total: share?.total ?? 0,
              ...(countsFloor(pool) ? { atLeast: true as const } : {}),
              ...(budget ? { database: budget.database.name } : {}),
            },
          }
        : {}),
      proxies: model.proxies.filter((p) => p.backends.some((b) => b.deployment === d.id)).map((p) => p.root),
      ...(poolerOf.has(d.id) ? { pooler: poolerOf.get(d.id) } : {}),
      findings: idsOf(owner, d.id),
    };
  });

  const poolers: PoolerSummary[] = (model.poolers ?? []).map((p) => {
    const setting = (f: (Fact<number> & { name: string }) | undefined) => (f ? { ...figure(f), name: f.name } : undefined);
    const poolSize = setting(p.defaultPoolSize);
    const reservePoolSize = setting(p.reservePoolSize);
    const maxClientConn = setting(p.maxClientConn);
    const serverConnections = p.defaultPoolSize && p.reservePoolSize && p.maxDbConnections ? pgbouncerServerTotal(p, model.deployments) : undefined;
    const budget = p.server === undefined ? undefined : budgets.find((b) => b.database.name === p.server);
    const viaPoolers = (model.poolers ?? []).filter((o) => o.server === p.server).reduce((sum, o) => sum + (o === p ? (serverConnections ?? 0) : pgbouncerServerTotal(o, model.deployments)), 0);
    const serverBudget = budget && { maxConnections: figure(budget.database.maxConnections), reserved: figure(budget.database.reserved), allowed: budget.allowed, total: budget.total + viaPoolers };
    return {
      name: p.name,
      instances: figure(p.instances),
      poolMode: figure(p.poolMode),
      ...(poolSize ? { poolSize } : {}),
      ...(reservePoolSize ? { reservePoolSize } : {}),
      ...(maxClientConn ? { maxClientConn } : {}),
      ...(serverConnections !== undefined ? { serverConnections } : {}),
      ...(p.server ? { server: p.server } : {}),
      ...(serverBudget ? { serverBudget } : {}),
      clients: [...p.clients],
    };
  });
  const assigned = new Set([...owner.keys(), ...proxyOwner.keys()]);
  return {
    counts: summarize(result),
    deployments,
    budgets: budgets
      .map((b) => {
        // A PgBouncer in front of the database takes its share as the server connections it may open.
        const pooled = poolers.flatMap((p, i) => {
          const pooler = (model.poolers ?? [])[i];
          if (p.server !== b.database.name || !p.serverConnections || !p.poolSize) return [];
          const instances = p.instances.value !== 1 ? `${p.instances.value} instances x ` : "";
          const reserve = p.reservePoolSize?.value ? ` + ${p.reservePoolSize.name} ${p.reservePoolSize.value}` : "";
          return [{ deployment: pooler.deployment ?? p.name, pooler: true, name: `PgBouncer ${p.name}`, formula: `${instances}(${p.poolSize.name} ${p.poolSize.value}${reserve}) per database and user`, total: p.serverConnections }];
        });
        return {
          database: b.database.name,
          maxConnections: figure(b.database.maxConnections),
          reserved: figure(b.database.reserved),
          allowed: b.allowed,
          total: b.total + pooled.reduce((sum, s) => sum + s.total, 0),
          ...(sumIsFloor(b.shares) ? { totalAtLeast: true as const } : {}),
          shares: [...b.shares.map((s) => ({ deployment: s.deployment.id, name: s.deployment.name, formula: shareFormula(s), total: s.total, ...(countsFloor(s.pool) ? { atLeast: true as const } : {}) })), ...pooled],
        };
      })
      .filter((b) => b.shares.length > 0),
    proxies: model.proxies
      .filter((p) => p.main)
      .map((p) => {
        const capacity = proxyClientCapacity(p);
        const backends = new Map<string, { deployment: string; service: string; instances: number }>();
        for (const b of p.backends) backends.set(b.deployment, { deployment: b.deployment, service: b.service, instances: b.instances.value });
        return {
          root: p.root,
          workerProcesses: figure(p.workerProcesses),
          workerConnections: figure(p.workerConnections),
          clientsPerWorker: capacity.perWorker,
          ...(capacity.total !== undefined ? { clients: capacity.total } : {}),
          backends: [...backends.values()],
          findings: idsOf(proxyOwner, p.root),
        };
      }),
    poolers,
    findings,
    otherFindings: findings.map((f) => f.id).filter((id) => !assigned.has(id)),
  };
}

function processSummary(deployment: Deployment, process: ServerProcess, figure: <T>(fact: Fact<T>) => Figure<T>, read: (file: string) => string | undefined): ProcessSummary {
  const server = process.invocation.server;
  const threads = threadsOf(process);
  const cpus = deployment.cpus?.value;
  const label = jobRunnerText(process, deployment.pool?.kind === "sidekiq" ? deployment.pool.capsules : []);
  const jobs = jobsInServerText(process);
  const floor = workersFloor(process);
  return {
    server,
    name: serverName(process.invocation),
    workers: floor ? { value: floor.value, origin: "assumed", by: "Headroom" } : figure(process.workers),
    ...(floor ? { workersAtLeast: floorWhy(floor, read) } : {}),
    ...(threads ? { threads: figure(threads) } : {}),
    ...(cpus !== undefined && PROCESS_SERVERS.has(server) ? { recommendedMaxWorkers: maxWorkers(cpus) } : {}),
    ...(label ? { label } : {}),
    ...(jobs ? { jobs } : {}),
  };
}

/** Why a workers count is a floor (model/pools.ts workersFloor), for the report and hovers: the formula counts the host's CPUs, or the variable is not set. */
export function floorWhy(floor: WorkersFloor, read?: (file: string) => string | undefined): string {
  if (floor.formula !== undefined) return `${floor.formula} counts the host's CPUs`;
  const written = read?.(floor.at.file)?.slice(floor.at.start, floor.at.end);
  return written && written.length <= 60 ? `${written} is not set in the workspace` : "its count is not set in the workspace";
}

/** Threads per worker: the model's (puma, from its flags or config), else the command line's `--threads` (gunicorn, uwsgi). */
export function threadsOf(process: ServerProcess): Fact<number> | undefined {
  if (process.threads) return process.threads;
  const option = optionValue(process.invocation, "threads");
  const word = option?.value;
  if (!word) return undefined;
  const value = process.invocation.server === "puma" ? parsePumaThreads(word.value)?.max : /^\d+$/.test(word.value) ? Number(word.value) : undefined;
  if (value === undefined) return undefined;
  return { value, origin: "stated", at: word.fact.at ?? { file: process.commandAt.file, start: word.start, end: word.end } };
}
