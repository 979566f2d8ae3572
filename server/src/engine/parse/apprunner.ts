// AWS App Runner service definitions: the CreateService/UpdateService JSON input (service.json)
// read with jsonc-parser, which keeps offsets, and apprunner.yaml (the source-code runtime config).
import { findNodeAtLocation, type Node, parseTree, type ParseError, printParseErrorCode } from "jsonc-parser";
import { isMap, isSeq, parseDocument } from "yaml";
import type { Fact, ParseProblem, SourceRef } from "../types.ts";
import { mapGet, scalar } from "./compose.ts";
import { yamlSource } from "./text-lines.ts";
import { YAML_TOO_DEEP, yamlErrorText, yamlTooDeepAt } from "./yaml-depth.ts";

export interface AppRunnerCommand {
  text: string;
  /** File span of each character of `text` (JSON strings may hold escapes). */
  starts: number[];
  ends: number[];
  at: SourceRef;
}

export interface AppRunnerService {
  file: string;
  kind: "service.json" | "apprunner.yaml";
  /** True when the file is recognisably an App Runner definition. */
  recognised: boolean;
  cpu?: Fact<number>;
  memoryMiB?: Fact<number>;
  /**
   * A Cpu or Memory value App Runner refuses and that reads as no size: "2" with no unit (App Runner's unitless
   * values are CPU units from 256 and MB from 512, so "2" is not 2 vCPU), "banana". As written, at its value.
   */
  unaccepted?: { cpu?: Fact<string>; memory?: Fact<string> };
  env: Map<string, Fact<string>>;
  startCommand?: AppRunnerCommand;
  port?: Fact<number>;
  /** apprunner.yaml's `run.network.env`: another variable App Runner sets to the port, besides PORT. */
  portEnv?: string;
  /** service.json's AutoScalingConfigurationArn, its value the configuration's name (…/autoscalingconfiguration/NAME/REV/ID). */
  autoScaling?: Fact<string>;
  /**
   * service.json's CodeRepository.CodeConfiguration: `REPOSITORY` means App Runner reads the build and
   * run settings from apprunner.yaml in SourceDirectory of the repository, not from this file.
   */
  codeConfiguration?: { source: string; sourceDirectory?: string };
  /**
   * The input of `aws apprunner create-auto-scaling-configuration --cli-input-json` (AutoScalingConfigurationName, MaxSize):
   * the configuration a service's AutoScalingConfigurationArn names, by that name. MaxSize only when a whole number from 1.
   */
  autoScalingConfiguration?: { name: string; maxSize?: Fact<number> };
  /** A service.json with a SourceConfiguration: App Runner's defaults (Port 8080) apply to what it omits. */
  definesSource?: boolean;
  problems: ParseProblem[];
}

export function parseServiceJson(text: string, file: string): AppRunnerService {
  const result: AppRunnerService = { file, kind: "service.json", recognised: false, env: new Map(), problems: [] };
  const errors: ParseError[] = [];
  let root: ReturnType<typeof parseTree>;
  try {
    root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  } catch (err) {
    // jsonc-parser recurses per nesting level: a deeply nested file overflows the stack.
    result.problems.push({ message: `cannot read JSON: ${err instanceof Error ? err.message : String(err)}`, at: { file, start: 0, end: 0 }, severity: "error" });
    return result;
  }
  for (const e of errors.slice(0, 20)) {
    result.problems.push({ message: `JSON: ${printParseErrorCode(e.error)}`, at: { file, start: e.offset, end: e.offset + e.length }, severity: "error" });
  }
  if (!root || errors.length > 0) return result;
  const configurationName = findNodeAtLocation(root, ["AutoScalingConfigurationName"]);
  if (configurationName?.type === "string") {
    const maxSize = findNodeAtLocation(root, ["MaxSize"]);
    const size = maxSize?.type === "number" && Number.isInteger(maxSize.value) && maxSize.value >= 1 ? { maxSize: { value: Number(maxSize.value), origin: "stated" as const, at: valueRef(file, maxSize) } } : {};
    result.autoScalingConfiguration = { name: String(configurationName.value), ...size };
  }
  const instance = findNodeAtLocation(root, ["InstanceConfiguration"]);
  const source = findNodeAtLocation(root, ["SourceConfiguration"]);
  result.recognised = instance !== undefined || source !== undefined || findNodeAtLocation(root, ["ServiceName"]) !== undefined;
  result.definesSource = source !== undefined;

  const cpu = findNodeAtLocation(root, ["InstanceConfiguration", "Cpu"]);
  if (cpu && (cpu.type === "string" || cpu.type === "number")) {
    const value = parseCpu(String(cpu.value));
    if (value !== undefined) result.cpu = { value, origin: "stated", at: valueRef(file, cpu) };
    else result.unaccepted = { ...result.unaccepted, cpu: { value: String(cpu.value), origin: "stated", at: valueRef(file, cpu) } };
  }
  const memory = findNodeAtLocation(root, ["InstanceConfiguration", "Memory"]);
  if (memory && (memory.type === "string" || memory.type === "number")) {
    const value = parseAppRunnerMemoryMiB(String(memory.value));
    if (value !== undefined) result.memoryMiB = { value, origin: "stated", at: valueRef(file, memory) };
    else result.unaccepted = { ...result.unaccepted, memory: { value: String(memory.value), origin: "stated", at: valueRef(file, memory) } };
  }
  const autoScaling = findNodeAtLocation(root, ["AutoScalingConfigurationArn"]);
  if (autoScaling?.type === "string") {
    const arn = String(autoScaling.value);
    const name = /autoscalingconfiguration\/([^/]+)/.exec(arn)?.[1] ?? arn;
    result.autoScaling = { value: name, origin: "stated", at: valueRef(file, autoScaling) };
  }
  const configurationSource = findNodeAtLocation(root, ["SourceConfiguration", "CodeRepository", "CodeConfiguration", "ConfigurationSource"]);
  if (configurationSource?.type === "string") {
    const directory = findNodeAtLocation(root, ["SourceConfiguration", "CodeRepository", "SourceDirectory"]);
    result.codeConfiguration = { source: String(configurationSource.value), ...(directory?.type === "string" ? { sourceDirectory: String(directory.value) } : {}) };
  }
  // Image and code repositories keep the same settings under different parents.
  for (const base of [
    ["SourceConfiguration", "ImageRepository", "ImageConfiguration"],
    ["SourceConfiguration", "CodeRepository", "CodeConfiguration", "CodeConfigurationValues"],
  ]) {
    const vars = findNodeAtLocation(root, [...base, "RuntimeEnvironmentVariables"]);
    for (const property of vars?.type === "object" ? (vars.children ?? []) : []) {
      const [key, value] = property.children ?? [];
      if (key && value && (value.type === "string" || value.type === "number" || value.type === "boolean")) {
        result.env.set(String(key.value), { value: String(value.value), origin: "stated", at: valueRef(file, value) });
      }
    }
    const start = findNodeAtLocation(root, [...base, "StartCommand"]);
    if (start?.type === "string") result.startCommand = jsonStringCommand(text, file, start);
    const port = findNodeAtLocation(root, [...base, "Port"]);
    if (port && Number.isFinite(Number(port.value))) result.port = { value: Number(port.value), origin: "stated", at: valueRef(file, port) };
  }
  return result;
}

export function parseAppRunnerYaml(text: string, file: string): AppRunnerService {
  const result: AppRunnerService = { file, kind: "apprunner.yaml", recognised: false, env: new Map(), problems: [] };
  const source = yamlSource(text);
  const deep = yamlTooDeepAt(source);
  if (deep !== undefined) {
    result.problems.push({ message: `YAML: ${YAML_TOO_DEEP}`, at: { file, start: deep, end: Math.min(deep + 1, text.length) }, severity: "error" });
    return result;
  }
  const doc = parseDocument(source, { uniqueKeys: false });
  for (const e of doc.errors) result.problems.push({ message: `YAML: ${yamlErrorText(e.message)}`, at: { file, start: Math.min(e.pos[0], text.length), end: Math.min(e.pos[1], text.length) }, severity: "error" });
  if (doc.errors.length > 0) return result;
  const run = mapGet(doc, doc.contents, "run");
  result.recognised = scalar(mapGet(doc, doc.contents, "runtime")) !== undefined || isMap(run);
  const command = scalar(mapGet(doc, run, "command"));
  if (command) {
    const first = command.start + (command.quoted ? 1 : 0);
    const starts = Array.from(command.value, (_, i) => first + i);
    result.startCommand = { text: command.value, starts, ends: starts.map((s) => s + 1), at: { file, start: command.start, end: command.end } };
  }
  const network = mapGet(doc, run, "network");
  const port = scalar(mapGet(doc, network, "port"));
  if (port && Number.isFinite(Number(port.value))) result.port = { value: Number(port.value), origin: "stated", at: { file, start: port.start, end: port.end } };
  const portEnv = scalar(mapGet(doc, network, "env"));
  if (portEnv && /^[A-Za-z_]\w*$/.test(portEnv.value)) result.portEnv = portEnv.value;
  const env = mapGet(doc, run, "env");
  for (const item of isSeq(env) ? env.items : []) {
    const name = scalar(mapGet(doc, item, "name"));
    const value = scalar(mapGet(doc, item, "value"));
    if (name && value) result.env.set(name.value, { value: value.value, origin: "stated", at: { file, start: value.start, end: value.end } });
  }
  return result;
}

/** The smallest unitless Cpu (CPU units) and Memory (MB) App Runner takes (SOURCES.appRunnerCpuPattern, appRunnerMemoryPattern). */
const MIN_CPU_UNITS = 256;
const MIN_MEMORY_MB = 512;

/** "1 vCPU", "0.25 vCPU", "1024" (CPU units) → vCPUs; undefined for what is no size ("2" with no unit is not 2 CPU units' worth anyone means). */
export function parseCpu(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2]) return n;
  return n >= MIN_CPU_UNITS ? n / 1024 : undefined;
}

/** "2 GB", "0.5 GB", "2048" (MiB) → MiB; undefined for what is no size ("2" with no unit). */
export function parseAppRunnerMemoryMiB(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2]) return n * 1024;
  return n >= MIN_MEMORY_MB ? n : undefined;
}

export function valueRef(file: string, node: Node): SourceRef {
  // Point inside the quotes of a string, so a fix replaces only the value.
  return node.type === "string" ? { file, start: node.offset + 1, end: node.offset + node.length - 1 } : { file, start: node.offset, end: node.offset + node.length };
}

/** Map each character of a JSON string's value to its span in the file, escapes included. */
function jsonStringCommand(text: string, file: string, node: Node): AppRunnerCommand {
  const starts: number[] = [];
  const ends: number[] = [];
  let value = "";
  const end = node.offset + node.length - 1;
  for (let i = node.offset + 1; i < end; ) {
    if (text[i] === "\\") {
      const escapeLength = text[i + 1] === "u" ? 6 : 2;
      value += node.value !== undefined ? decodeEscape(text.slice(i, i + escapeLength)) : "";
      starts.push(i);
      ends.push(i + escapeLength);
      i += escapeLength;
    } else {
      value += text[i];
      starts.push(i);
      ends.push(i + 1);
      i++;
    }
  }
  return { text: value, starts, ends, at: { file, start: node.offset, end: node.offset + node.length } };
}

function decodeEscape(sequence: string): string {
  try {
    return JSON.parse(`"${sequence}"`) as string;
  } catch {
    return sequence;
  }
}
