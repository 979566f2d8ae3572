// Fly.io's app configuration (fly.toml, https://fly.io/docs/reference/configuration/): the process groups
// (`[processes]`, name = command; one group `app` running the image's command without it), the Machine size
// of each (`[[vm]]`: `size`, `cpus`, `cpu_kind`, `memory`, `memory_mb`, `processes`), the environment (`[env]`),
// the image (`[build] dockerfile` or `image`) and the Fly Proxy's concurrency limits (`[http_service.concurrency]`,
// `[[services]]` `concurrency`, and `min_machines_running`, the Machines autostop keeps running). How many Machines run
// is not in the file (`fly scale count` sets it): at least min_machines_running of a group's.
import type { Fact, ParseProblem, SourceRef } from "../types.ts";
import { type TomlEntry, parseToml } from "./toml.ts";

export interface FlyProcess {
  name: string;
  /** The command written for the group; absent for the default group `app`, which runs the image's command. */
  command?: { text: string; at: SourceRef };
}

/** One `[[vm]]` (or `[vm]`) section: what it sets, each with its place. */
export interface FlyVm {
  size?: { value: string; at: SourceRef };
  cpus?: Fact<number>;
  cpuKind?: { value: string; at: SourceRef };
  memoryMiB?: Fact<number>;
  /** The groups it applies to; all when absent. */
  processes?: string[];
  /** The section's first key, where a default it leaves applies. */
  at: SourceRef;
}

/** The Fly Proxy's concurrency limits for the Machines of some groups. */
export interface FlyConcurrency {
  /** `[http_service]` or `[[services]]` #n, for messages. */
  section: string;
  type: { value: string; origin: "stated" | "default"; at?: SourceRef };
  softLimit?: Fact<number>;
  hardLimit?: Fact<number>;
  /** The groups the service routes to; all when absent. */
  processes?: string[];
  /** `min_machines_running`: the Machines Fly Proxy's autostop keeps running (in the primary region). */
  minMachinesRunning?: Fact<number>;
}

export interface FlyConfig {
  file: string;
  processes: FlyProcess[];
  vms: FlyVm[];
  env: Map<string, Fact<string>>;
  /** `[build] dockerfile`, as written (relative to fly.toml's folder). */
  dockerfile?: string;
  /** `[build] image`: a prebuilt image, no Dockerfile of the workspace. */
  image?: string;
  concurrency: FlyConcurrency[];
  problems: ParseProblem[];
}

export function parseFlyToml(text: string, file: string): FlyConfig {
  const config: FlyConfig = { file, processes: [], vms: [], env: new Map(), concurrency: [], problems: [] };
  const toml = parseToml(text);
  if (toml.error) {
    config.problems.push({ message: `TOML: ${toml.error.message}`, at: { file, ...toml.error.at }, severity: "error" });
    return config;
  }
  const ref = (entry: TomlEntry, inner = true): SourceRef => ({ file, ...(inner ? entry.inner : entry.at) });
  const strings = (entry: TomlEntry | undefined): string[] | undefined =>
    entry?.kind === "array" ? (entry.items ?? []).filter((i) => i.kind === "string").map((i) => String(i.value)) : entry?.kind === "string" ? [String(entry.value)] : undefined;
  const vms = new Map<string, FlyVm>();
  const services = new Map<string, FlyConcurrency>();
  for (const entry of toml.entries) {
    const [top, second] = entry.path;
    if (top === "processes" && entry.path.length === 2 && entry.kind === "string") {
      config.processes.push({ name: String(second), command: { text: String(entry.value), at: ref(entry) } });
    } else if (top === "env" && entry.path.length === 2 && (entry.kind === "string" || entry.kind === "integer" || entry.kind === "float" || entry.kind === "boolean")) {
      config.env.set(String(second), { value: String(entry.value), origin: "stated", at: ref(entry) });
    } else if (top === "build" && second === "dockerfile" && entry.kind === "string") {
      config.dockerfile = String(entry.value);
    } else if (top === "build" && second === "image" && entry.kind === "string") {
      config.image = String(entry.value);
    } else if (top === "vm") {
      // `[[vm]]` tables have an index; `[vm]` and the dotted `vm.size = …` have none.
      const index = typeof second === "number" ? second : -1;
      const key = entry.path[index < 0 ? 1 : 2];
      const vm = vms.get(String(index)) ?? { at: ref(entry, false) };
      vms.set(String(index), vm);
      readVmKey(config, vm, String(key), entry, ref, strings);
    } else if (top === "http_service" || top === "services") {
      const index = top === "services" && typeof second === "number" ? second : undefined;
      if (top === "services" && index === undefined) continue;
      const rest = entry.path.slice(index === undefined ? 1 : 2);
      const id = top === "services" ? `services#${index}` : "http_service";
      const service = services.get(id) ?? { section: top === "services" ? `[[services]] #${(index ?? 0) + 1}` : "[http_service]", type: { value: "connections", origin: "default" } };
      services.set(id, service);
      if (rest.length === 1 && rest[0] === "processes") {
        const names = strings(entry);
        if (names) service.processes = names;
      } else if (rest.length === 1 && rest[0] === "min_machines_running" && entry.kind === "integer" && Number(entry.value) >= 0) {
        service.minMachinesRunning = { value: Number(entry.value), origin: "stated", at: ref(entry) };
      } else if (rest.length === 2 && rest[0] === "concurrency") {
        if (rest[1] === "type" && entry.kind === "string") service.type = { value: String(entry.value), origin: "stated", at: ref(entry) };
        else if ((rest[1] === "soft_limit" || rest[1] === "hard_limit") && entry.kind === "integer") {
          const fact: Fact<number> = { value: Number(entry.value), origin: "stated", at: ref(entry) };
          if (rest[1] === "soft_limit") service.softLimit = fact;
          else service.hardLimit = fact;
        }
      }
    }
  }
  config.vms = [...vms.values()];
  config.concurrency = [...services.values()];
  return config;
}

function readVmKey(config: FlyConfig, vm: FlyVm, key: string, entry: TomlEntry, ref: (entry: TomlEntry) => SourceRef, strings: (entry: TomlEntry) => string[] | undefined): void {
  const at = ref(entry);
  if (key === "size" && entry.kind === "string") vm.size = { value: String(entry.value), at };
  else if (key === "cpu_kind" && entry.kind === "string") vm.cpuKind = { value: String(entry.value), at };
  else if (key === "cpus" && entry.kind === "integer" && Number(entry.value) >= 1) vm.cpus = { value: Number(entry.value), origin: "stated", at };
  else if (key === "processes") vm.processes = strings(entry) ?? [];
  else if (key === "memory" || key === "memory_mb") {
    // memory = "1gb" / "512mb" / 1024 (MB); memory_mb = 1024. Both may be written (fly launch writes both): the last one read wins.
    const mib = entry.kind === "integer" ? Number(entry.value) : entry.kind === "string" ? flyMemoryMiB(String(entry.value)) : undefined;
    if (mib !== undefined && mib > 0) vm.memoryMiB = { value: mib, origin: "stated", at };
    else config.problems.push({ message: `${key} ${JSON.stringify(entry.value ?? "")}: not a memory size Headroom reads ("512mb", "1gb", or MB as a number)`, at, severity: "warning" });
  }
}

/** "512mb", "1gb", "2GB", "1024" → MiB (Fly counts a gb as 1024 mb). */
export function flyMemoryMiB(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(mb|gb)?\s*$/i.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * (m[2]?.toLowerCase() === "gb" ? 1024 : 1);
}
