import type { ServerKind } from "../../parse/servers.ts";

/** Servers whose worker count is the process count a CPU can run; gunicorn's advice applies to them. */
export const PROCESS_SERVERS: ReadonlySet<ServerKind> = new Set(["gunicorn", "uvicorn", "hypercorn", "granian", "puma", "rails", "unicorn"]);

/** gunicorn's advice: (2 x num_cores) + 1 workers; for a fractional CPU limit, rounded down, at least 1. */
export function maxWorkers(cpus: number): number {
  return Math.max(1, Math.floor(2 * cpus + 1));
}

export function formatCpus(cpus: number): string {
  return `${Number(cpus.toFixed(2))} vCPU`;
}
