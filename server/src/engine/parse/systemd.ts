// systemd service units (gunicorn.service, puma.service) read as text, as far as a server's sizing goes: the
// [Service] section's ExecStart=, Environment=, EnvironmentFile=, CPUQuota= and MemoryMax= (systemd.syntax(7),
// systemd.exec(5), systemd.resource-control(5); SOURCES.systemdSyntax, SOURCES.systemdResourceControl).
// `[Section]` headers; `Key=Value` lines, blanks around `=` allowed; a line starting with `#` or `;` is a comment;
// a line ending in a backslash continues on the next. Nothing is run.
import type { Fact, ParseProblem } from "../types.ts";
import { textLines } from "./text-lines.ts";

export interface UnitValue {
  /** As written after `=`, continuation lines included (their backslash and line break kept, as a shell reads them). */
  value: string;
  start: number;
  end: number;
}

export interface ServiceUnit {
  /** The command of the last ExecStart= (an empty ExecStart= clears the earlier ones), without its prefixes (`-`, `@`, `+`, `!`, `:`). */
  execStart?: UnitValue;
  /** Environment= assignments in order, each value located in the file. */
  environment: Array<[string, Fact<string>]>;
  /** EnvironmentFile= paths in order (on the server), `-` (no error when missing) removed. */
  environmentFiles: Array<{ path: string; optional: boolean; at: UnitValue }>;
  /** CPUQuota= as CPUs (150% is 1.5). */
  cpus?: Fact<number>;
  /** MemoryMax= (or the older MemoryLimit=) in MiB. */
  memoryMiB?: Fact<number>;
  /** WorkingDirectory= as written. */
  workingDirectory?: UnitValue;
  problems: ParseProblem[];
}

/** Whether a file is a systemd service unit that starts something: it has a [Service] section with an ExecStart=. */
export function looksLikeServiceUnit(text: string): boolean {
  return /^\s*\[Service\]/m.test(text) && /^\s*ExecStart\s*=/m.test(text);
}

export function parseServiceUnit(text: string, file: string): ServiceUnit {
  const unit: ServiceUnit = { environment: [], environmentFiles: [], problems: [] };
  // MemoryMax= wins over the older MemoryLimit= whatever their order; the last of each counts, `infinity` clears it.
  const memory: Memory = {};
  let section = "";
  let pending: { key: string; start: number } | undefined;
  for (const { line, start: lineStart } of textLines(text)) {
    if (pending) {
      // A continued value runs to the end of the first line that does not end in a backslash.
      if (!/\\\s*$/.test(line)) {
        if (section === "Service") take(unit, memory, file, text, pending.key, pending.start, lineStart + line.trimEnd().length);
        pending = undefined;
      }
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    const header = /^\[([^\]]*)\]\s*$/.exec(trimmed);
    if (header) {
      section = header[1];
      continue;
    }
    const m = /^\s*([A-Za-z][\w.-]*)\s*=\s*/.exec(line);
    if (!m) continue;
    const start = lineStart + m[0].length;
    if (/\\\s*$/.test(line)) {
      pending = { key: m[1], start };
      continue;
    }
    if (section === "Service") take(unit, memory, file, text, m[1], start, lineStart + line.trimEnd().length);
  }
  if (pending && section === "Service") take(unit, memory, file, text, pending.key, pending.start, text.trimEnd().length);
  const limit = memory.MemoryMax ?? memory.MemoryLimit;
  if (limit) unit.memoryMiB = limit;
  return unit;
}

type Memory = { MemoryMax?: Fact<number>; MemoryLimit?: Fact<number> };

function take(unit: ServiceUnit, memory: Memory, file: string, text: string, key: string, start: number, end: number): void {
  const value: UnitValue = { value: text.slice(start, Math.max(start, end)), start, end: Math.max(start, end) };
  switch (key) {
    case "ExecStart": {
      if (value.value.trim() === "") {
        delete unit.execStart;
        return;
      }
      const prefix = /^[-@:+!]+/.exec(value.value)?.[0].length ?? 0;
      // `@` passes the second word as argv[0]: the program is the first, the arguments start after the second.
      if (value.value.slice(0, prefix).includes("@")) return;
      unit.execStart = { value: value.value.slice(prefix), start: start + prefix, end: value.end };
      return;
    }
    case "Environment":
      for (const assignment of assignments(value)) unit.environment.push([assignment.name, { value: assignment.value, origin: "stated", at: { file, start: assignment.start, end: assignment.end } }]);
      return;
    case "EnvironmentFile": {
      const optional = value.value.startsWith("-");
      unit.environmentFiles.push({ path: value.value.slice(optional ? 1 : 0).trim(), optional, at: value });
      return;
    }
    case "CPUQuota": {
      const m = /^(\d+(?:\.\d+)?)%$/.exec(value.value.trim());
      if (m && Number(m[1]) > 0) unit.cpus = { value: Number(m[1]) / 100, origin: "stated", at: { file, start, end: value.end } };
      else if (value.value.trim() !== "") unit.problems.push({ message: `CPUQuota=${value.value.trim()} is not a percentage (systemd expects e.g. 150%)`, at: { file, start, end: value.end }, severity: "warning" });
      return;
    }
    case "MemoryMax":
    case "MemoryLimit": {
      const mib = memoryMiB(value.value.trim());
      memory[key] = mib === undefined ? undefined : { value: mib, origin: "stated", at: { file, start, end: value.end } };
      return;
    }
    case "WorkingDirectory":
      unit.workingDirectory = value;
      return;
    default:
  }
}

/** Bytes with an optional K, M, G or T suffix (base 1024), in MiB; undefined for `infinity`, a percentage or anything else. */
function memoryMiB(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT])?$/i.exec(value);
  if (!m) return undefined;
  const factor = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }[(m[2] ?? "").toUpperCase() as "K" | "M" | "G" | "T"] ?? 1 / (1024 * 1024);
  const mib = Number(m[1]) * factor;
  return mib > 0 ? mib : undefined;
}

/** `A=1 "B=two words" 'C=3'`: systemd splits Environment= into assignments at blanks outside quotes. */
function assignments(value: UnitValue): Array<{ name: string; value: string; start: number; end: number }> {
  const found: Array<{ name: string; value: string; start: number; end: number }> = [];
  const text = value.value;
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s|\\/.test(text[i])) i++;
    if (i >= text.length) break;
    const quote = text[i] === '"' || text[i] === "'" ? text[i] : "";
    const wordStart = quote ? i + 1 : i;
    let j = wordStart;
    while (j < text.length && (quote ? text[j] !== quote : !/\s/.test(text[j]))) j++;
    const word = text.slice(wordStart, j);
    const eq = word.indexOf("=");
    if (eq > 0 && /^[A-Za-z_]\w*$/.test(word.slice(0, eq))) {
      found.push({ name: word.slice(0, eq), value: word.slice(eq + 1), start: value.start + wordStart + eq + 1, end: value.start + j });
    }
    i = quote ? j + 1 : j;
  }
  return found;
}
