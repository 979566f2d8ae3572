import type { CpuLimit, Deployment } from "../../model/types.ts";
import type { ServerKind } from "../../parse/servers.ts";
import type { Fact, RelatedInfo } from "../../types.ts";

/**
 * Servers whose worker count is the process count a CPU can run; gunicorn's advice applies to them. uWSGI's `processes`
 * are workers like gunicorn's, each with its own copy of the app (with `cheaper`, the most it spawns under load).
 */
export const PROCESS_SERVERS: ReadonlySet<ServerKind> = new Set(["gunicorn", "uvicorn", "hypercorn", "granian", "puma", "rails", "unicorn", "uwsgi"]);

/** gunicorn's advice: (2 x num_cores) + 1 workers; for a fractional CPU limit, rounded down, at least 1. */
/** A deployment scaled to zero (`deploy.replicas: 0`, `--scale web=0`) runs no process: nothing to size against its instance. */
export function scaledToZero(deployment: Deployment): boolean {
  return deployment.instances.value === 0;
}

export function maxWorkers(cpus: number): number {
  return Math.max(1, Math.floor(2 * cpus + 1));
}

export function formatCpus(cpus: number): string {
  return `${cpuFraction(cpus)} vCPU`;
}

/** A number of CPUs to two decimals, or to two significant digits below 0.01 (compose's `cpus: 0.001` is not "0"). */
export function cpuFraction(cpus: number): number {
  return Number(cpus > 0 && cpus < 0.01 ? cpus.toPrecision(2) : cpus.toFixed(2));
}

/** The CPUs of an instance, saying whose default they are when nothing in the workspace states them (no related line can). */
export function formatCpuLimit(cpus: CpuLimit): string {
  return `${formatCpus(cpus.value)}${cpus.origin === "default" && cpus.by ? ` (${cpus.by}'s default: nothing in the workspace sets the instance size)` : ""}`;
}

/**
 * Related lines for a stated CPU limit: `describe` words the bound that applies (a cpuset adds its list and
 * count); when the service states a looser bound too, a second line says why that one does not apply.
 */
export function cpuLimitRelated(cpus: CpuLimit, describe: (value: number) => string): RelatedInfo[] {
  if (!cpus.at || cpus.origin === "default") return [];
  const bound = (limit: Fact<number> & { cpuset?: string }) => (limit.cpuset === undefined ? `cpus ${Number(limit.value.toFixed(2))}` : `cpuset "${limit.cpuset}" (${limit.value} CPU${limit.value === 1 ? "" : "s"})`);
  const setNote = cpus.cpuset === undefined ? "" : ` (cpuset "${cpus.cpuset}": the CPUs it may run on)`;
  const looser = cpus.looser;
  return [
    { at: cpus.at, message: `${describe(cpus.value)}${setNote}${looser ? `, the smaller of the service's two CPU bounds` : ""}` },
    ...(looser?.at ? [{ at: looser.at, message: `${bound(looser)} also bounds the CPUs, but ${bound(cpus)} is smaller and applies` }] : []),
  ];
}
