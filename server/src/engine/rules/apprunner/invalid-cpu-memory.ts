import { SOURCES } from "../../knowledge/sources.ts";
import type { Fact, Fix } from "../../types.ts";
import { defineRule } from "../define.ts";

/** The Cpu/Memory pairs App Runner accepts: vCPU → GB. */
export const VALID_PAIRS: ReadonlyMap<number, readonly number[]> = new Map([
  [0.25, [0.5, 1]],
  [0.5, [1]],
  [1, [2, 3, 4]],
  [2, [4, 6]],
  [4, [8, 10, 12]],
]);

const ALL_MEMORY = [...new Set([...VALID_PAIRS.values()].flat())].sort((a, b) => a - b);

function describePairs(): string {
  return [...VALID_PAIRS].map(([cpu, memory]) => `${cpu} vCPU: ${memory.join("/")} GB`).join("; ");
}

/** The one valid value nearest to `value`, or undefined when two are equally near (no obvious choice). */
function nearest(value: number, candidates: readonly number[]): number | undefined {
  const sorted = [...candidates].sort((a, b) => Math.abs(a - value) - Math.abs(b - value));
  if (sorted.length === 0) return undefined;
  if (sorted.length > 1 && Math.abs(sorted[0] - value) === Math.abs(sorted[1] - value)) return undefined;
  return sorted[0];
}

export default defineRule({
  meta: {
    id: "apprunner/invalid-cpu-memory",
    summary: "An App Runner Cpu/Memory combination that App Runner does not accept",
    severity: "error",
    fix: "unsafe",
    sources: [SOURCES.appRunnerCpuMemoryCombos, SOURCES.appRunnerCpuPattern, SOURCES.appRunnerMemoryPattern],
    docs: {
      why:
        "App Runner offers fixed instance sizes: 0.25 vCPU with 0.5 or 1 GB, 0.5 vCPU with 1 GB, 1 vCPU with 2, 3 or 4 GB, " +
        "2 vCPU with 4 or 6 GB, 4 vCPU with 8, 10 or 12 GB. Any other pair (\"2 vCPU\" with \"2 GB\", \"1 vCPU\" with \"8 GB\") is " +
        "refused by CreateService/UpdateService, so the deployment never happens; a copy-pasted Cpu line is the usual cause. " +
        "Both spellings are read (\"1 vCPU\" or 1024 CPU units, \"4 GB\" or 4096 MB). Headroom checks the pair only in a file that states both. " +
        "A value App Runner's pattern refuses on its own is reported wherever it is: a unit left out (`\"Cpu\": \"2\"` is not 2 vCPU: App Runner's " +
        "unitless Cpu is CPU units, 256 to 4096, and its unitless Memory MB, 512 to 12288), or no number at all; the fix then writes the unit. " +
        "The quick-fix is offered only when one of the two values is not an App Runner size at all and exactly one valid value " +
        "is nearest to it; when both are valid sizes that do not go together, changing either is a sizing decision, so none is offered.",
      bad: { "service.json": '{\n  "ServiceName": "api",\n  "InstanceConfiguration": { "Cpu": "2 vCPU", "Memory": "2 GB" }\n}\n' },
      good: { "service.json": '{\n  "ServiceName": "api",\n  "InstanceConfiguration": { "Cpu": "2 vCPU", "Memory": "4 GB" }\n}\n' },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      const service = deployment.appRunner?.service;
      for (const [field, value] of [["Cpu", service?.unaccepted?.cpu], ["Memory", service?.unaccepted?.memory]] as const) {
        // A JSON number (`"Cpu": 2`) takes its quotes with the fix: App Runner's values are strings.
        if (value?.at) report({ at: value.at, deployment, ...unaccepted(field, value, text(value.at.file)?.[value.at.start - 1] === '"') });
      }
      const cpu = service?.cpu;
      const memory = service?.memoryMiB;
      if (!service || !cpu?.at || !memory?.at) continue;
      const memoryGb = memory.value / 1024;
      const validMemory = VALID_PAIRS.get(cpu.value);
      if (validMemory?.includes(memoryGb)) continue;
      const cpuValid = validMemory !== undefined;
      const memoryValid = ALL_MEMORY.includes(memoryGb);
      const cpusForMemory = [...VALID_PAIRS].filter(([, m]) => m.includes(memoryGb)).map(([c]) => c);
      const fixes: Fix[] = [];
      let at = memory.at;
      let problem: string;
      if (cpuValid && memoryValid) {
        problem = `${cpu.value} vCPU takes ${validMemory.join(", ")} GB and ${memoryGb} GB goes with ${cpusForMemory.join(" or ")} vCPU`;
      } else if (cpuValid) {
        problem = `${memoryGb} GB is not an App Runner memory size; ${cpu.value} vCPU takes ${validMemory.join(", ")} GB`;
        const choice = nearest(memoryGb, validMemory);
        if (choice !== undefined) fixes.push(replaceFix(memory, text, `Memory ${choice} GB`, formatLike(text(memory.at.file)?.slice(memory.at.start, memory.at.end), choice, "GB", 1024)));
      } else {
        at = cpu.at;
        problem = `${cpu.value} vCPU is not an App Runner CPU size (0.25, 0.5, 1, 2 or 4 vCPU)`;
        const choice = memoryValid && cpusForMemory.length === 1 ? cpusForMemory[0] : undefined;
        if (choice !== undefined) fixes.push(replaceFix(cpu, text, `Cpu ${choice} vCPU`, formatLike(text(cpu.at.file)?.slice(cpu.at.start, cpu.at.end), choice, "vCPU", 1024)));
      }
      report({
        at,
        deployment,
        message:
          `App Runner does not accept Cpu ${cpu.value} vCPU with Memory ${memoryGb} GB: ${problem}. CreateService/UpdateService refuse the ` +
          `pair, so this configuration never deploys. Valid pairs: ${describePairs()}.`,
        related: [at === memory.at ? { at: cpu.at, message: `Cpu ${cpu.value} vCPU` } : { at: memory.at, message: `Memory ${memoryGb} GB` }],
        fixes: fixes.filter((f) => f.edits.length > 0),
      });
    }
  },
});

/** A Cpu or Memory value that matches none of App Runner's spellings, and the unit to write when it is a size without one. */
function unaccepted(field: "Cpu" | "Memory", value: Fact<string>, quoted: boolean): { message: string; fixes: Fix[] } {
  const unit = field === "Cpu" ? "vCPU" : "GB";
  const sizes = field === "Cpu" ? [...VALID_PAIRS.keys()] : ALL_MEMORY;
  const accepted = field === "Cpu" ? "256, 512, 1024, 2048 or 4096 (CPU units), or 0.25, 0.5, 1, 2 or 4 vCPU" : `512 to 12288 (MB), or ${ALL_MEMORY.join(", ")} GB`;
  const written = value.value.trim();
  const size = /^\d+(\.\d+)?$/.test(written) && sizes.includes(Number(written)) ? Number(written) : undefined;
  const reading = size !== undefined ? ` "${written}" has no unit, and a unitless ${field} is ${field === "Cpu" ? "CPU units" : "MB"}, far below the smallest size.` : "";
  return {
    message:
      `App Runner does not accept ${field} "${written}": it takes ${accepted}.${reading} CreateService/UpdateService refuse the value, so this ` +
      `configuration never deploys, and Headroom sizes nothing against it.`,
    fixes: size !== undefined && value.at ? [{ title: `Set ${field} ${size} ${unit}`, safe: false, edits: [{ ...value.at, newText: quoted ? `${size} ${unit}` : `"${size} ${unit}"` }] }] : [],
  };
}

/** The new value in the spelling the file uses: "4 GB" / "4096", "2 vCPU" / "2048". */
function formatLike(written: string | undefined, value: number, unit: "GB" | "vCPU", perUnit: number): string {
  if (written !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(written)) return String(value * perUnit);
  return `${value} ${unit}`;
}

function replaceFix(fact: Fact<number>, text: (file: string) => string | undefined, title: string, newText: string): Fix {
  const at = fact.at;
  const written = at ? text(at.file)?.slice(at.start, at.end) : undefined;
  return { title: `Set ${title}`, safe: false, edits: at && written !== undefined && written.trim() !== "" ? [{ ...at, newText }] : [] };
}
