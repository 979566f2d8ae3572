import type { Fact } from "../types.ts";
import type { CpuLimit } from "./types.ts";

/**
 * The CPUs of one instance from a compose service's two bounds: a quota (`cpus:`) caps CPU time, a `cpuset:`
 * the CPUs it may run on; both apply, so the smaller is the limit, and the other is kept to be named.
 */
export function combinedCpuLimit(quota: Fact<number> | undefined, cpuset: (Fact<number> & { list: string }) | undefined): CpuLimit | undefined {
  const set = cpuset && { value: cpuset.value, origin: cpuset.origin, cpuset: cpuset.list, ...(cpuset.at ? { at: cpuset.at } : {}), ...(cpuset.via ? { via: cpuset.via } : {}) };
  if (!quota || !set) return quota ?? set;
  return set.value < quota.value ? { ...set, looser: quota } : { ...quota, looser: set };
}
