// Helpers shared by the nginx rules: which proxies to look at, how to describe their backends,
// and edits that add directives the way a person would (own line, block's indentation).
import type { Deployment, DeploymentModel, ServerProcess } from "../../model/types.ts";
import { proxyClientCapacity } from "../../model/budget.ts";
import type { NginxProxy } from "../../model/nginx.ts";
import { optionValue } from "../../parse/servers.ts";
import { effectiveWorkerClass, gunicornSetting, workerKind } from "../gunicorn/settings.ts";
import type { Fact, RelatedInfo, SourceRef, TextEdit } from "../../types.ts";

/** worker_connections Headroom proposes: room for 2048 proxied clients per worker. */
export const PROPOSED_WORKER_CONNECTIONS = 4096;

/** The worker_connections nginx and its packages ship (the built-in default and the packaged nginx.conf files), which nginx/worker-connections-low raises. */
export const STOCK_WORKER_CONNECTIONS: ReadonlySet<number> = new Set([512, 768, 1024]);

/** Main configurations that proxy requests (a location with proxy_pass). */
export function proxyingMains(model: DeploymentModel): NginxProxy[] {
  return (model.proxies ?? []).filter((p) => p.main && p.locations.some((l) => l.proxyPass));
}

/** "3 instances of api-1, api-2, api-3" style summary of what the proxy fronts, or undefined. */
export function backendSummary(proxy: NginxProxy): string | undefined {
  const seen = new Map<string, number>();
  for (const b of proxy.backends) if (!seen.has(b.deployment)) seen.set(b.deployment, b.instances.value);
  if (seen.size === 0) return undefined;
  const services = [...new Set(proxy.backends.map((b) => b.service))];
  const instances = [...seen.values()].reduce((a, b) => a + b, 0);
  return `${instances} backend instance${instances === 1 ? "" : "s"} (${services.join(", ")})`;
}

export function backendRelated(proxy: NginxProxy): RelatedInfo[] {
  const upstreams = new Set(proxy.backends.map((b) => b.upstream).filter(Boolean));
  return proxy.upstreams.filter((u) => upstreams.has(u.name)).map((u) => ({ at: u.at, message: `upstream ${u.name}: ${u.servers.length} server${u.servers.length === 1 ? "" : "s"}` }));
}

function lineStart(text: string, offset: number): number {
  let i = offset;
  while (i > 0 && text[i - 1] !== "\n" && text[i - 1] !== "\r") i--;
  return i;
}

function indentAt(text: string, offset: number): string {
  const start = lineStart(text, offset);
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? "";
}

function newline(text: string): string {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

/**
 * Lines added at the start of a block, after its "{", each on its own line with the
 * indentation of the block's first directive (or the block's own plus four spaces).
 */
export function insertInBlock(text: string, block: SourceRef, lines: string[]): TextEdit {
  const open = block.start + 1;
  const inner = text.slice(open, block.end);
  const firstChild = /\S/.exec(inner.replace(/#[^\n]*/g, (m) => " ".repeat(m.length)));
  const childOffset = firstChild && firstChild[0] !== "}" ? open + firstChild.index : undefined;
  const childOnOwnLine = childOffset !== undefined && lineStart(text, childOffset) > open;
  const indent = childOnOwnLine ? indentAt(text, childOffset) : `${indentAt(text, block.start)}    `;
  const nl = newline(text);
  return { file: block.file, start: open, end: open, newText: lines.map((l) => `${nl}${indent}${l}`).join("") };
}

/**
 * The worker_rlimit_nofile edit that raising worker_connections to `connections` needs (2 descriptors per
 * connection), when the current limit (stated, else `inherited`) is enough for today's worker_connections:
 * nginx/rlimit-nofile-low is silent now and would only fire after the fix, so a second fix-all would change
 * the file again. When it fires already, its own fix raises the limit.
 */
export function rlimitFor(proxy: NginxProxy, connections: number, inherited: number, text: (file: string) => string | undefined): TextEdit[] | undefined {
  const needed = 2 * connections;
  const now = 2 * proxy.workerConnections.value;
  const rlimit = proxy.rlimitNofile;
  if (rlimit) {
    if (!rlimit.at || !Number.isFinite(rlimit.value) || rlimit.value < now || rlimit.value >= needed) return undefined;
    return text(rlimit.at.file)?.slice(rlimit.at.start, rlimit.at.end) === String(rlimit.value) ? [{ ...rlimit.at, newText: String(needed) }] : undefined;
  }
  const main = text(proxy.mainAt.file);
  return now <= inherited && main !== undefined ? [insertInMain(main, proxy.mainAt, `worker_rlimit_nofile ${needed};`)] : undefined;
}

/** A directive added to the main context, before the root file's first directive. */
export function insertInMain(text: string, at: SourceRef, line: string): TextEdit {
  const nl = newline(text);
  const before = text.slice(lineStart(text, at.start), at.start);
  const indent = /^[ \t]*$/.test(before) ? before : "";
  const prefix = /^[ \t]*$/.test(before) ? "" : nl;
  return { file: at.file, start: at.start, end: at.start, newText: `${prefix}${line}${nl}${indent}` };
}

export function formatProcesses(value: number | "auto"): string {
  return value === "auto" ? "auto" : String(value);
}

/**
 * The concurrent clients a proxy must hold for its backends, when Headroom can count them: the
 * requests the deployments behind it can serve at once, each instance's web processes x what
 * one process serves at a time (sync gunicorn 1, gthread its threads, gevent/eventlet
 * worker_connections, puma threads, uvicorn --limit-concurrency), or the users configured as
 * expected at once (facts.concurrent_users), which replace that count. Undefined when a backend's
 * concurrency has no bound Headroom can read (uvicorn workers without --limit-concurrency) and
 * no expected load is configured for it.
 */
export interface ProxyDemand {
  clients: number;
  /** "api: 2 instances x 4 gevent workers x 1000 worker_connections", one term per deployment */
  terms: string[];
  /** The configured expected users that replaced a backend's concurrency, by service. */
  configuredUsers: Array<{ service: string; users: Fact<number> }>;
}

export function backendDemand(model: DeploymentModel, proxy: NginxProxy): ProxyDemand | undefined {
  const ids = [...new Set(proxy.backends.map((b) => b.deployment))];
  if (ids.length === 0) return undefined;
  let clients = 0;
  const terms: string[] = [];
  const configuredUsers: ProxyDemand["configuredUsers"] = [];
  // One configured fact can reach several backends (facts.concurrent_users applies to every deployment):
  // those users come through this nginx once, so they are counted once, for all the services it names.
  const userTerms = new Map<Fact<number>, { index: number; services: string[] }>();
  for (const id of ids) {
    const deployment = model.deployments.find((d) => d.id === id);
    const users = deployment?.concurrentUsers;
    if (deployment && users) {
      // The people who run it know the expected load; the backends' own concurrency is only a floor.
      const service = deployment.id.slice(deployment.id.lastIndexOf("#") + 1);
      const counted = userTerms.get(users);
      if (counted) {
        counted.services.push(service);
        continue;
      }
      clients += users.value;
      userTerms.set(users, { index: terms.length, services: [service] });
      terms.push("");
      configuredUsers.push({ service, users });
      continue;
    }
    const web = deployment?.processes.filter((p) => !["celery", "sidekiq", "solid_queue", "good_job"].includes(p.invocation.server)) ?? [];
    if (!deployment || web.length === 0) return undefined;
    let perInstance = 0;
    const parts: string[] = [];
    for (const process of web) {
      const each = processConcurrency(deployment, process);
      if (!each || process.workersFromCpuCount) return undefined;
      const workers = Math.max(1, process.workers.value);
      perInstance += workers * each.value;
      parts.push(`${workers} ${each.what}`);
    }
    clients += deployment.instances.value * perInstance;
    const service = deployment.id.slice(deployment.id.lastIndexOf("#") + 1);
    const instances = deployment.instances.value;
    terms.push(`${service}: ${instances} instance${instances === 1 ? "" : "s"} x ${parts.length > 1 ? `(${parts.join(" + ")})` : parts[0]}`);
  }
  for (const [users, { index, services }] of userTerms) {
    const names = services.join(", ");
    terms[index] = `${names}: ${users.value} concurrent users${services.length > 1 ? " in all" : ""}, configured in ${users.at ? "headroom.yml" : "the headroom.facts settings"}`;
    const entry = configuredUsers.find((c) => c.users === users);
    if (entry) entry.service = names;
  }
  return { clients, terms, configuredUsers };
}

/** Requests one process of a server serves at the same time, when bounded. */
export function processConcurrency(deployment: Deployment, process: ServerProcess): { value: number; what: string } | undefined {
  const invocation = process.invocation;
  const number = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  switch (invocation.server) {
    case "gunicorn": {
      const workerClass = effectiveWorkerClass(process);
      if (!workerClass) return undefined;
      const kind = workerKind(workerClass.value);
      const threads = gunicornSetting(process, "threads", deployment.env);
      const threadCount = threads.from === "default" ? 1 : number(threads.from === "unknown" ? undefined : threads.value);
      if (kind === "sync" && threadCount === 1) return { value: 1, what: "sync gunicorn workers x 1 request" };
      if (kind === "sync" || kind === "gthread") return threadCount ? { value: threadCount, what: `gthread workers x ${threadCount} threads` } : undefined;
      if (kind === "gevent" || kind === "eventlet") {
        const connections = gunicornSetting(process, "worker_connections", deployment.env);
        const value = connections.from === "default" ? 1000 : number(connections.from === "unknown" ? undefined : connections.value);
        return value ? { value, what: `${kind} workers x ${value} worker_connections` } : undefined;
      }
      return undefined;
    }
    case "uvicorn": {
      const value = number(optionValue(invocation, "limit_concurrency")?.value?.value);
      const written = invocation.call ? `limit_concurrency=${value} in ${invocation.program.value}()` : "--limit-concurrency";
      return value ? { value, what: `uvicorn processes x ${value} (${written})` } : undefined;
    }
    case "puma":
      return process.threads ? { value: process.threads.value, what: `puma processes x ${process.threads.value} threads` } : undefined;
    default:
      return undefined;
  }
}

/** nginx's client capacity when proxying, and the backends' concurrency above it: nginx/capacity-below-clients' finding. */
export function capacityShortfall(model: DeploymentModel, proxy: NginxProxy): { capacity: number; demand: ProxyDemand } | undefined {
  const capacity = proxyClientCapacity(proxy).total;
  if (capacity === undefined || !Number.isFinite(capacity)) return undefined;
  const demand = backendDemand(model, proxy);
  return demand && capacity < demand.clients ? { capacity, demand } : undefined;
}
