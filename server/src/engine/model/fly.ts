// Fly.io's fly.toml (parse/fly-toml.ts) in the model's terms: each process group is a deployment, `fly:fly.toml#web`,
// on the Machine size of the `[[vm]]` that applies to it (SOURCES.flyMachineSizes; shared-cpu-1x without one,
// SOURCES.flyDefaultMachineSize), with `[env]`, running its command (or the image's, for the default group `app`),
// and with the Fly Proxy's concurrency limits of the services that route to it. How many Machines run is not in
// fly.toml: the deployment counts one, or the `min_machines_running` its services keep running, and says so (`instancesUnknown`).
import { type FlyConfig, type FlyVm, parseFlyToml } from "../parse/fly-toml.ts";
import type { Fact, ParseProblem, SourceRef } from "../types.ts";
import { type Context, dirOf, join } from "./build.ts";
import type { PlatformService } from "./platform.ts";
import type { CpuLimit } from "./types.ts";

/** The named Machine sizes' CPU kind and count: shared-cpu-2x, performance-4x. */
const SIZE = /^(shared-cpu|performance)-(\d+)x$/;
/** Memory per CPU of a size preset, in MiB: the minimum Fly allows for each kind. */
const MEMORY_PER_CPU: Record<string, number> = { shared: 256, performance: 2048 };

export function flyServices(ctx: Context, path: string): PlatformService[] {
  const text = ctx.host.read(path);
  if (text === undefined) return [];
  const config: FlyConfig = ctx.parses.get(`fly.toml:${path}`, text, () => parseFlyToml(text, path));
  ctx.problems.push(...config.problems);
  if (config.problems.some((p) => p.severity === "error")) return [];
  const dir = dirOf(path);
  // `[build] image` runs a prebuilt image; otherwise fly deploy builds the Dockerfile ([build] dockerfile, else ./Dockerfile).
  const candidate = config.image === undefined ? join(dir, config.dockerfile ?? "Dockerfile") : undefined;
  const dockerfile = candidate !== undefined && ctx.pathSet.has(candidate) ? candidate : undefined;
  const groups = config.processes.length > 0 ? config.processes : [{ name: "app" }];
  return groups.map((group) => {
    const service: PlatformService = {
      id: `fly:${path}#${group.name}`,
      name: `${group.name} (${path})`,
      files: [path],
      dir,
      links: [],
      env: new Map(config.env),
      instancesUnknown: `${path} does not say how many Machines run the ${group.name} group (\`fly scale count\` sets that)`,
    };
    if ("command" in group && group.command) service.command = group.command;
    if (dockerfile) {
      service.dockerfile = dockerfile;
      service.links.push({ from: path, to: dockerfile, why: `fly deploy builds the image from ${dockerfile}${service.command ? `; the ${group.name} group's command replaces its CMD` : ""}` });
    }
    const size = machineSize(config, group.name, path, ctx.problems);
    service.cpus = size.cpus;
    service.memoryMiB = size.memoryMiB;
    const routing = config.concurrency.filter((c) => !c.processes || c.processes.includes(group.name));
    // Every service that routes to the group limits what the proxy sends a Machine (an app may have several ports).
    const limited = routing.filter((c) => c.softLimit || c.hardLimit);
    if (limited.length > 0) service.proxyConcurrency = limited;
    // Autostop keeps min_machines_running Machines running: a floor on the count (the highest floor of the group's services).
    const floor = routing.map((c) => c.minMachinesRunning).filter((f): f is Fact<number> => f !== undefined && f.value > 1).sort((a, b) => b.value - a.value)[0];
    if (floor) {
      service.instances = floor;
      service.instancesUnknown = `${path} keeps at least ${floor.value} Machines of the ${group.name} group running (min_machines_running); \`fly scale count\` may run more`;
    }
    return service;
  });
}

/**
 * The CPUs and memory of the group's Machines: the `[[vm]]` that names the group, else the one that names none;
 * its `cpus` and `memory` over its `size` preset's; what it leaves to the preset of its CPU kind and count.
 */
function machineSize(config: FlyConfig, group: string, path: string, problems: Pick<ParseProblem[], "push">): { cpus: CpuLimit; memoryMiB: Fact<number> } {
  const vm: FlyVm | undefined = config.vms.find((v) => v.processes?.includes(group)) ?? config.vms.find((v) => !v.processes || v.processes.length === 0);
  const preset = vm?.size ? SIZE.exec(vm.size.value) : null;
  if (vm?.size && !preset) {
    problems.push({ message: `size ${JSON.stringify(vm.size.value)}: Headroom reads the CPUs and memory of shared-cpu-Nx and performance-Nx sizes only`, at: vm.size.at, severity: "info" });
  }
  const kind = vm?.cpuKind?.value ?? (preset?.[1] === "performance" ? "performance" : "shared");
  if (vm?.cpuKind && !(kind in MEMORY_PER_CPU)) problems.push({ message: `cpu_kind ${JSON.stringify(kind)}: Fly's kinds are shared and performance`, at: vm.cpuKind.at, severity: "warning" });
  const fallback: SourceRef = vm?.at ?? { file: path, start: 0, end: 0 };
  const cpus: CpuLimit =
    vm?.cpus ?? (preset && vm?.size ? { value: Number(preset[2]), origin: "stated", at: vm.size.at } : { value: 1, origin: "default", by: "Fly.io", at: fallback });
  const perCpu = MEMORY_PER_CPU[kind] ?? MEMORY_PER_CPU.shared;
  const memoryMiB: Fact<number> =
    vm?.memoryMiB ?? (preset && vm?.size && !vm.cpus ? { value: Number(preset[2]) * perCpu, origin: "stated", at: vm.size.at } : { value: cpus.value * perCpu, origin: "default", by: "Fly.io", at: cpus.at ?? fallback });
  return { cpus, memoryMiB };
}
