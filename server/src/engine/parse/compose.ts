// Docker Compose files read with the `yaml` library's node tree, so every value keeps its span.
// Merge keys (`<<: *anchor`) are followed one alias at a time while reading, never expanded as a
// whole, so an alias bomb costs no more than the keys actually looked up.
import { type Alias, type Document, isAlias, isMap, isScalar, isSeq, type Node, parseDocument, visit, type YAMLMap } from "yaml";
import { NO_MEMO, type ParseMemo } from "../parse-cache.ts";
import type { Fact, ParseProblem, SourceRef, Span } from "../types.ts";
import { yamlSource } from "./text-lines.ts";
import { moveSpans } from "./move-spans.ts";
import { YAML_TOO_DEEP, yamlErrorText, yamlTooDeepAt } from "./yaml-depth.ts";

/** A scalar with its span (the value as written, quotes included). */
export interface YamlScalar {
  value: string;
  start: number;
  end: number;
  quoted: boolean;
}

export interface ComposeCommand {
  file: string;
  /** `web.command`: the same wherever the service moves in the file, so a parse of it outlives an edit above it. */
  id: string;
  /** The string form (`command: gunicorn -w 4 app:app`) or each item of the list form. */
  form: "string" | "list";
  items: YamlScalar[];
  /** The whole `command:` value. */
  span: Span;
  /** The `command` key, for messages. */
  keySpan: Span;
}

export interface ComposeService {
  name: string;
  file: string;
  nameSpan: Span;
  command?: ComposeCommand;
  entrypoint?: ComposeCommand;
  environment: Map<string, Fact<string>>;
  /** `env_file:` entries; `optional` for `required: false`. */
  envFiles: Array<{ path: string; at: SourceRef; optional?: boolean }>;
  /** Host paths bind-mounted into the container (`volumes:` short `./src:/dst` or long `source:`), as written, and where in the container. */
  bindSources: Array<{ path: string; at: SourceRef; target?: string }>;
  /** Container paths where a named or anonymous volume is mounted: what is there is not in the workspace. */
  volumeTargets?: string[];
  image?: YamlScalar;
  buildContext?: YamlScalar;
  dockerfile?: YamlScalar;
  /** `build.target`: the stage of a multi-stage Dockerfile to build. */
  buildTarget?: YamlScalar;
  /** `build.args` (map or `KEY=value` list): the Dockerfile's ARG values for this build. */
  buildArgs?: Map<string, Fact<string>>;
  replicas?: Fact<number>;
  /** `deploy.mode: global`: one container on every node of the swarm (replicas does not apply). */
  globalMode?: SourceRef;
  /** `deploy.resources.limits` (or `cpus:`/`mem_limit:`): the capacity of one instance. */
  cpus?: Fact<number>;
  /** `cpuset:` (`"0-1"`, `"0,2"`, `"0-3,6"`): the CPUs the container may run on, counted; `list` is the value as written. */
  cpuset?: Fact<number> & { list: string };
  memoryMiB?: Fact<number>;
  /** `deploy.resources.reservations`: what the scheduler sets aside, not a cap. */
  reservedCpus?: Fact<number>;
  reservedMemoryMiB?: Fact<number>;
  /** `ulimits: nofile:` (a number, or its `soft:`): the open-file limit the container's processes start with. */
  nofileSoft?: Fact<number>;
  /** Sizing written as a variable (`cpus: "${WEB_CPUS:-1}"`), as written: compose fills it in from the project's .env. */
  variables?: { replicas?: Fact<string>; cpus?: Fact<string>; cpuset?: Fact<string>; memory?: Fact<string> };
  /** `extends: name` or `extends: { service, file }`: the service this one starts from. */
  extends?: { service: string; file?: string; at: SourceRef };
  /** `profiles:`: the service starts only when one of them is active (`--profile`, COMPOSE_PROFILES). */
  profiles?: string[];
  /** `network_mode:` as written (`host`, `service:vpn`, `container:x`): whose network namespace, loopback included, it shares. */
  networkMode?: string;
  /** The services compose starts before this one: `depends_on`, `links`, `network_mode`/`volumes_from` naming a service. */
  dependsOn?: string[];
}

export interface ComposeFile {
  file: string;
  services: Map<string, ComposeService>;
  /** The top-level `include:` entries (Compose 2.20+): the files whose services join the project, each path as written. */
  includes?: YamlScalar[];
  problems: ParseProblem[];
}

/** Limits that keep a hostile file cheap: the library counts alias expansions itself too. */
const MAX_ALIAS_HOPS = 20;
/** Maps one lookup may visit through merge keys: `<<: [*a, *b, ...]` fans out, so depth alone does not bound it. */
const MAX_MERGE_VISITS = 256;

/**
 * Reads a compose file. With a memo kept between audits (the language server's parse cache), each service of a
 * plain block-style file is parsed on its own and reused while its text is unchanged, so an edit
 * to one service of a large file re-parses that service only (see `serviceChunks`).
 */
export function parseComposeFile(written: string, file: string, memo: ParseMemo = NO_MEMO): ComposeFile {
  const text = yamlSource(written);
  // A file with `include:` is read whole: the entries live outside the services block the per-service path reads.
  if (memo.keepsBetweenAudits && !INCLUDE_KEY.test(text)) {
    const layout = composeLayout(text, file, memo);
    const chunked = layout && parseByService(text, file, layout, memo);
    if (chunked) return chunked;
  }
  return parseWhole(text, file);
}

function parseWhole(text: string, file: string): ComposeFile {
  const result: ComposeFile = { file, services: new Map(), problems: [] };
  const deep = yamlTooDeepAt(text);
  if (deep !== undefined) {
    result.problems.push({ message: `YAML: ${YAML_TOO_DEEP}`, at: { file, start: deep, end: Math.min(deep + 1, text.length) }, severity: "error" });
    return result;
  }
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { merge: true, uniqueKeys: false, prettyErrors: false });
  } catch (err) {
    result.problems.push({ message: `cannot read YAML: ${yamlErrorText(String(err))}`, at: { file, start: 0, end: 0 }, severity: "error" });
    return result;
  }
  for (const e of doc.errors) {
    result.problems.push({ message: `YAML: ${yamlErrorText(e.message)}`, at: { file, start: Math.min(e.pos[0], text.length), end: Math.min(e.pos[1], text.length) }, severity: "error" });
  }
  if (doc.errors.length > 0) return result;
  const includes = includePaths(doc, mapGet(doc, doc.contents, "include"));
  if (includes.length > 0) result.includes = includes;
  const services = mapGet(doc, doc.contents, "services");
  if (!isMap(services)) return result;
  for (const pair of services.items) {
    const key = pair.key;
    const node = deref(doc, pair.value as Node | null);
    if (!isScalar(key) || !isMap(node)) continue;
    const name = String(key.value);
    const [ks, ke] = key.range ?? [0, 0];
    result.services.set(name, readService(doc, file, name, { start: ks, end: ke }, node));
  }
  return result;
}

/** A top-level `include:` key at the start of a line. */
const INCLUDE_KEY = /^["']?include["']?[ ]*:/m;

/**
 * The paths of `include:`: each entry a path, or a map whose `path:` is one path or a list of them (merged like `-f`).
 * `project_directory:` and `env_file:` are not read: the included files' paths resolve against their own folder, compose's default.
 */
function includePaths(doc: Document.Parsed, node: Node | undefined): YamlScalar[] {
  const paths: YamlScalar[] = [];
  for (const item of isSeq(node) ? node.items : []) {
    const entry = deref(doc, item as Node | null);
    const path = isMap(entry) ? mapGet(doc, entry, "path") : entry;
    for (const one of isSeq(path) ? path.items : [path]) {
      const written = scalar(deref(doc, one as Node | null));
      if (written) paths.push(written);
    }
  }
  return paths;
}

// ---------------------------------------------------------------------------------------------
// Per-service parsing (the language server's incremental path)

/**
 * Text that YAML could read across service boundaries: anchors, aliases and tags (`&`, `*`, `!` where a
 * node may start), merge keys, tabs, directives and document markers. Looked for separately: one
 * regex with all of them tried every alternative at every character of the file, on every edit.
 */
const NODE_PROPERTY = /[&*!]\S/g;
const NODE_START_BEFORE = /[\s[{,:-]/;
/** A directive or document marker at the start of a line (after any line terminator, as `^` matches in multiline mode). */
const DOCUMENT_MARKER = /^(---|\.\.\.|%)|[\n\r\u2028\u2029](---|\.\.\.|%)/;
/** The `services:` key alone on its line; a comment needs a blank before `#` (`services:#` is a plain scalar in YAML). */
const SERVICES_KEY = /^services:([ ]*|[ ]+#.*)$/m;
/** Another `services:` key at the start of a line (`^` in multiline mode: after any line terminator). */
const ANOTHER_SERVICES_KEY = /[\n\r\u2028\u2029]["']?services["']?[ ]*:/;

function hasCrossServiceSyntax(text: string): boolean {
  if (text.includes("<<") || text.includes("\t") || DOCUMENT_MARKER.test(text)) return true;
  NODE_PROPERTY.lastIndex = 0;
  for (let m = NODE_PROPERTY.exec(text); m; m = NODE_PROPERTY.exec(text)) {
    if (m.index === 0 || NODE_START_BEFORE.test(text[m.index - 1])) return true;
  }
  return false;
}

export interface ServiceLayout {
  /** The `services:` block, from the line after `services:` to the next top-level key (or the end). */
  block: Span;
  /** One span per service, from its name's line to the next service's line. */
  services: Span[];
}

/**
 * Where each service of a plain block-style compose file starts and ends, or undefined when the
 * file uses anything that could tie one service's text to another's (then it is parsed whole).
 * A service starts at each line of the services block indented exactly as the first one.
 */
export function serviceChunks(text: string): ServiceLayout | undefined {
  if (hasCrossServiceSyntax(text)) return undefined;
  const key = SERVICES_KEY.exec(text);
  // What follows the key starts with a line break (SERVICES_KEY ends at one), so every line start in it follows one.
  if (!key || ANOTHER_SERVICES_KEY.test(text.slice(key.index + key[0].length))) return undefined;
  const blockStart = text.indexOf("\n", key.index) + 1;
  if (blockStart === 0) return undefined;
  const services: Span[] = [];
  let indent = -1;
  let lineStart = blockStart;
  let blockEnd = text.length;
  while (lineStart < text.length) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline < 0 ? text.length : newline + 1;
    const { depth, first } = lineShape(text, lineStart, lineEnd);
    if (first !== "" && first !== "#") {
      if (depth === 0) {
        // Only a top-level key ends the block; a `- item` there would continue `services:` as a list in the whole file.
        if (!/^[^\s\-?:#][^:]*:(\s|$)/.test(text.slice(lineStart, lineEnd))) return undefined;
        blockEnd = lineStart;
        break;
      }
      if (indent < 0) indent = depth;
      if (depth < indent || (depth === indent && first === "-")) return undefined;
      if (depth === indent) {
        if (services.length > 0) services[services.length - 1].end = lineStart;
        services.push({ start: lineStart, end: lineStart });
      }
    }
    lineStart = lineEnd;
  }
  if (services.length === 0) return undefined;
  services[services.length - 1].end = blockEnd;
  return { block: { start: blockStart, end: blockEnd }, services };
}

/**
 * A line's indentation (leading whitespace, as `trimStart` counts it) and its first other character
 * ("" for a blank line). Most lines are spaces then a printable ASCII character: read in place; others are sliced.
 */
function lineShape(text: string, lineStart: number, lineEnd: number): { depth: number; first: string } {
  let at = lineStart;
  while (at < lineEnd && text.charCodeAt(at) === 32) at++;
  const code = at < lineEnd ? text.charCodeAt(at) : 0;
  if (code > 32 && code < 127) return { depth: at - lineStart, first: text[at] };
  const line = text.slice(lineStart, lineEnd);
  const content = line.trimStart();
  return { depth: line.length - content.length, first: content.trim() === "" ? "" : content[0] };
}

/** `serviceChunks(text)`, worked out once per text: the compose reader and the suppress actions both need it. */
export function composeLayout(text: string, file: string, memo: ParseMemo): ServiceLayout | undefined {
  return memo.get(`compose-layout:${file}`, text, () => serviceChunks(yamlSource(text)));
}

/** Parses each service on its own; undefined when any part has a YAML error (the whole parse reports it at its place). */
function parseByService(text: string, file: string, layout: ServiceLayout, memo: ParseMemo): ComposeFile | undefined {
  // The rest of the file is parsed too, only so that its errors are not missed.
  const rest = text.slice(0, layout.block.start) + text.slice(layout.block.end);
  if (!memo.get(`compose-rest:${file}`, rest, () => yamlTooDeepAt(rest) === undefined && parseDocument(rest, { merge: true, uniqueKeys: false, prettyErrors: false }).errors.length === 0)) return undefined;
  const result: ComposeFile = { file, services: new Map(), problems: [] };
  for (const span of layout.services) {
    const chunk = text.slice(span.start, span.end);
    // Parsed once per text, and moved in place when an edit above it moves it (model/build.ts rebuilds
    // the deployments of a service that moved: what they made from its spans is not moved with it).
    // Keyed by the service's first line (its name), not its whole text: a key of every service's text,
    // made on every keystroke, was most of what reading a kept file allocated.
    const nameLine = chunk.slice(0, chunk.indexOf("\n") + 1 || chunk.length);
    const placed = memo.get(`compose-service:${file}:${nameLine}`, chunk, () => {
      const parsed = parseOneService(chunk, file);
      if (parsed) moveSpans(parsed, span.start);
      return { service: parsed, at: span.start };
    });
    const service = placed.service;
    if (!service) return undefined;
    if (placed.at !== span.start) {
      moveSpans(service, span.start - placed.at);
      placed.at = span.start;
    }
    result.services.set(service.name, service);
  }
  return result;
}

/** One service's text (its spans relative to the chunk), or undefined if it is not a clean one-key map. */
function parseOneService(chunk: string, file: string): ComposeService | undefined {
  if (yamlTooDeepAt(chunk) !== undefined) return undefined;
  const doc = parseDocument(chunk, { merge: true, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0 || !isMap(doc.contents) || doc.contents.items.length !== 1) return undefined;
  const pair = doc.contents.items[0];
  const node = pair.value;
  if (!isScalar(pair.key) || !isMap(node)) return undefined;
  const [ks, ke] = pair.key.range ?? [0, 0];
  // An empty key (`  :` under services, a service named null): the whole file's parse places it at the line's
  // start, this chunk's at the colon; the whole file is read instead, so both readings agree.
  if (ks === ke) return undefined;
  return readService(doc, file, String(pair.key.value), { start: ks, end: ke }, node);
}

function readService(doc: Document.Parsed, file: string, name: string, nameSpan: Span, node: YAMLMap): ComposeService {
  const service: ComposeService = { name, file, nameSpan, environment: new Map(), envFiles: [], bindSources: [] };
  service.command = readCommand(doc, file, name, node, "command");
  service.entrypoint = readCommand(doc, file, name, node, "entrypoint");
  const image = scalar(mapGet(doc, node, "image"));
  if (image) service.image = image;

  const build = mapGet(doc, node, "build");
  const buildString = scalar(build);
  if (buildString) service.buildContext = buildString;
  else if (isMap(build)) {
    const context = scalar(mapGet(doc, build, "context"));
    if (context) service.buildContext = context;
    const dockerfile = scalar(mapGet(doc, build, "dockerfile"));
    if (dockerfile) service.dockerfile = dockerfile;
    const target = scalar(mapGet(doc, build, "target"));
    if (target) service.buildTarget = target;
    const args = envEntries(doc, file, mapGet(doc, build, "args"));
    if (args.size > 0) service.buildArgs = args;
  }

  service.environment = envEntries(doc, file, mapGet(doc, node, "environment"));

  const envFile = mapGet(doc, node, "env_file");
  for (const item of isSeq(envFile) ? envFile.items : [envFile]) {
    const entryNode = deref(doc, item as Node | null);
    const path = scalar(entryNode) ?? (isMap(entryNode) ? scalar(mapGet(doc, entryNode, "path")) : undefined);
    const optional = isMap(entryNode) && scalar(mapGet(doc, entryNode, "required"))?.value === "false";
    if (path) service.envFiles.push({ path: path.value, at: { file, start: path.start, end: path.end }, ...(optional ? { optional } : {}) });
  }

  const volumes = mapGet(doc, node, "volumes");
  for (const item of isSeq(volumes) ? volumes.items : []) {
    const entryNode = deref(doc, item as Node | null);
    const short = scalar(entryNode);
    // Short syntax `source:target[:mode]`, or `target` alone (an anonymous volume); long syntax `source:` and `target:`.
    const parts = short?.value.split(":");
    const source = short ? (parts && parts.length > 1 ? { ...short, value: parts[0] } : undefined) : isMap(entryNode) ? scalar(mapGet(doc, entryNode, "source")) : undefined;
    const target = short ? parts?.[parts.length > 1 ? 1 : 0] : isMap(entryNode) ? scalar(mapGet(doc, entryNode, "target"))?.value : undefined;
    // Only host paths: a named volume (`data:/var/lib/...`) holds no file of the workspace.
    if (!source || !/^(\.|\/|~)/.test(source.value)) {
      if (target?.startsWith("/")) (service.volumeTargets ??= []).push(target);
      continue;
    }
    const start = source.start + (source.quoted ? 1 : 0);
    service.bindSources.push({ path: source.value, at: { file, start, end: start + source.value.length }, ...(target?.startsWith("/") ? { target } : {}) });
  }

  const deploy = mapGet(doc, node, "deploy");
  const replicasText = scalar(isMap(deploy) ? mapGet(doc, deploy, "replicas") : undefined) ?? scalar(mapGet(doc, node, "scale"));
  const replicas = numberFact(file, replicasText);
  if (replicas) service.replicas = replicas;
  const mode = scalar(isMap(deploy) ? mapGet(doc, deploy, "mode") : undefined);
  if (mode?.value === "global") service.globalMode = { file, start: mode.start, end: mode.end };
  const resources = isMap(deploy) ? mapGet(doc, deploy, "resources") : undefined;
  const resourceLimits = mapGet(doc, resources, "limits");
  const cpusText = scalar(mapGet(doc, resourceLimits, "cpus")) ?? scalar(mapGet(doc, node, "cpus"));
  const cpus = limitFact(numberFact(file, cpusText));
  if (cpus) service.cpus = cpus;
  const cpusetText = scalar(mapGet(doc, node, "cpuset"));
  const cpuset = cpusetText && cpusetFact(file, cpusetText);
  if (cpuset) service.cpuset = cpuset;
  const memoryText = scalar(mapGet(doc, resourceLimits, "memory")) ?? scalar(mapGet(doc, node, "mem_limit"));
  const memory = limitFact(memoryFact(file, memoryText));
  if (memory) service.memoryMiB = memory;
  const variables = Object.entries({ replicas: replicasText, cpus: cpusText, cpuset: cpusetText, memory: memoryText }).filter(([, text]) => text?.value.includes("$"));
  if (variables.length > 0) service.variables = Object.fromEntries(variables.map(([key, text]) => [key, stated(file, text as YamlScalar)]));
  const reservations = mapGet(doc, resources, "reservations");
  const reservedCpus = numberFact(file, scalar(mapGet(doc, reservations, "cpus")));
  if (reservedCpus) service.reservedCpus = reservedCpus;
  const reservedMemory = memoryFact(file, scalar(mapGet(doc, reservations, "memory")) ?? scalar(mapGet(doc, node, "mem_reservation")));
  if (reservedMemory) service.reservedMemoryMiB = reservedMemory;
  const nofile = mapGet(doc, mapGet(doc, node, "ulimits"), "nofile");
  const nofileSoft = numberFact(file, scalar(isMap(nofile) ? mapGet(doc, nofile, "soft") : nofile));
  if (nofileSoft) service.nofileSoft = nofileSoft;

  const profiles = mapGet(doc, node, "profiles");
  if (isSeq(profiles)) service.profiles = profiles.items.map((item) => scalar(deref(doc, item as Node | null))?.value).filter((p): p is string => p !== undefined);

  const networkMode = scalar(mapGet(doc, node, "network_mode"))?.value;
  if (networkMode) service.networkMode = networkMode;
  const dependsOn = dependencies(doc, node);
  if (dependsOn.length > 0) service.dependsOn = dependsOn;

  const extendsNode = mapGet(doc, node, "extends");
  const extendsName = scalar(extendsNode) ?? scalar(mapGet(doc, extendsNode, "service"));
  if (extendsName) {
    const extendsFile = isMap(extendsNode) ? scalar(mapGet(doc, extendsNode, "file")) : undefined;
    service.extends = { service: extendsName.value, at: { file, start: extendsName.start, end: extendsName.end }, ...(extendsFile ? { file: extendsFile.value } : {}) };
  }
  return service;
}

/**
 * The services a service needs running, as compose-go's loader gathers them: `depends_on` (a list, or a map's keys),
 * `links` (`db` or `db:alias`), `network_mode: service:vpn` and `volumes_from` entries (`app`, `service:app:ro`, not `container:…`).
 */
function dependencies(doc: Document.Parsed, node: YAMLMap): string[] {
  const names = new Set<string>();
  const items = (key: string) => {
    const value = mapGet(doc, node, key);
    if (isMap(value)) return value.items.map((pair) => scalar(pair.key)?.value);
    return isSeq(value) ? value.items.map((item) => scalar(deref(doc, item as Node | null))?.value) : [];
  };
  for (const name of items("depends_on")) if (name) names.add(name);
  for (const link of items("links")) if (link) names.add(link.split(":")[0]);
  for (const from of items("volumes_from")) if (from && !from.startsWith("container:")) names.add(from.replace(/^service:/, "").split(":")[0]);
  const network = scalar(mapGet(doc, node, "network_mode"))?.value;
  if (network?.startsWith("service:")) names.add(network.slice("service:".length));
  names.delete("");
  return [...names];
}

/** A CPU or memory limit of 0 is no limit (Docker's `--cpus 0`, `--memory 0`). */
function limitFact(fact: Fact<number> | undefined): Fact<number> | undefined {
  return fact && fact.value > 0 ? fact : undefined;
}

/** A `cpuset:` value with the number of CPUs it names. */
function cpusetFact(file: string, value: YamlScalar): (Fact<number> & { list: string }) | undefined {
  const count = countCpuList(value.value);
  if (count === undefined) return undefined;
  const inner = value.quoted ? { start: value.start + 1, end: value.end - 1 } : { start: value.start, end: value.end };
  return { value: count, list: value.value, origin: "stated", at: { file, ...inner } };
}

/**
 * How many CPUs a cpuset list names (`0-3,6` is 5): Docker's `--cpuset-cpus` format, comma-separated CPU numbers
 * and `low-high` ranges. Overlaps count once; undefined for anything else (a variable, a typo).
 */
export function countCpuList(text: string): number | undefined {
  const ranges: Array<[number, number]> = [];
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (!m) return undefined;
    const low = Number(m[1]);
    const high = m[2] === undefined ? low : Number(m[2]);
    if (high < low) return undefined;
    ranges.push([low, high]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let count = 0;
  let covered = -1;
  for (const [low, high] of ranges) {
    if (high <= covered) continue;
    count += high - Math.max(low, covered + 1) + 1;
    covered = high;
  }
  return count;
}

/** `environment:` or `build.args:` as a map (merge keys followed) or a `KEY=value` list. */
function envEntries(doc: Document.Parsed, file: string, node: Node | undefined): Map<string, Fact<string>> {
  const entries = new Map<string, Fact<string>>();
  if (isMap(node)) {
    for (const [key, valueNode] of mapEntries(doc, node)) {
      const value = scalar(valueNode);
      if (value) entries.set(key, stated(file, value));
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      const entry = scalar(item as Node);
      if (!entry) continue;
      const eq = entry.value.indexOf("=");
      if (eq <= 0) continue;
      // In the list form the value starts right after `=`; quotes around the whole item shift it by one.
      const valueStart = entry.start + (entry.quoted ? 1 : 0) + eq + 1;
      entries.set(entry.value.slice(0, eq), { value: entry.value.slice(eq + 1), origin: "stated", at: { file, start: valueStart, end: valueStart + entry.value.length - eq - 1 } });
    }
  }
  return entries;
}

function memoryFact(file: string, memory: YamlScalar | undefined): Fact<number> | undefined {
  const mib = memory ? parseMemoryMiB(memory.value) : undefined;
  return memory && mib !== undefined ? { value: mib, origin: "stated", at: { file, start: memory.start, end: memory.end } } : undefined;
}

function readCommand(doc: Document.Parsed, file: string, service: string, node: YAMLMap, key: string): ComposeCommand | undefined {
  const value = mapGet(doc, node, key);
  if (!value) return undefined;
  // The key may come from a merged anchor; point at the service's own key when it has one.
  const own = node.items.find((p) => isScalar(p.key) && p.key.value === key);
  const [valueStart, valueEnd] = value.range ?? [0, 0];
  const keyRange = own && isScalar(own.key) ? (own.key.range ?? [valueStart, valueEnd]) : [valueStart, valueEnd];
  const keySpan = { start: keyRange[0], end: keyRange[1] };
  const text = scalar(value);
  const id = `${service}.${key}`;
  if (text) return { file, id, form: "string", items: [text], span: { start: text.start, end: text.end }, keySpan };
  if (isSeq(value)) {
    const items = value.items.map((i) => scalar(deref(doc, i as Node | null))).filter((i): i is YamlScalar => i !== undefined);
    return { file, id, form: "list", items, span: { start: valueStart, end: valueEnd }, keySpan };
  }
  return undefined;
}

/** Look a key up in a map, following `<<` merge keys (explicit keys win over merged ones). */
export function mapGet(doc: Document.Parsed, node: unknown, key: string, budget = { visits: 0 }, hops = 0): Node | undefined {
  const map = deref(doc, node as Node | null);
  if (!isMap(map) || hops > MAX_ALIAS_HOPS || ++budget.visits > MAX_MERGE_VISITS) return undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === key) return deref(doc, pair.value as Node | null) ?? undefined;
  }
  for (const pair of map.items) {
    const k = isScalar(pair.key) ? pair.key.value : pair.key;
    if (k !== "<<" && !(typeof k === "symbol" && k.description === "<<")) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const source of sources) {
      const found = mapGet(doc, source, key, budget, hops + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * A map's entries with `<<` merge keys followed (`environment: { <<: *common-env, WORKERS: "3" }`):
 * its own keys first, then each merged map's keys that are not set yet, as YAML merges them.
 */
function mapEntries(doc: Document.Parsed, node: unknown, budget = { visits: 0 }, hops = 0, entries = new Map<string, Node | undefined>()): Map<string, Node | undefined> {
  const map = deref(doc, node as Node | null);
  if (!isMap(map) || hops > MAX_ALIAS_HOPS || ++budget.visits > MAX_MERGE_VISITS) return entries;
  const merged: unknown[] = [];
  for (const pair of map.items) {
    const k = isScalar(pair.key) ? pair.key.value : pair.key;
    if (k === "<<" || (typeof k === "symbol" && k.description === "<<")) merged.push(...(isSeq(pair.value) ? pair.value.items : [pair.value]));
    else if (k !== null && typeof k !== "object" && !entries.has(String(k))) entries.set(String(k), deref(doc, pair.value as Node | null));
  }
  for (const source of merged) mapEntries(doc, source, budget, hops + 1, entries);
  return entries;
}

/** A node with its aliases followed (a bounded number of hops). */
export function deref(doc: Document.Parsed, node: Node | null | undefined): Node | undefined {
  let current = node ?? undefined;
  for (let hops = 0; current && isAlias(current) && hops < MAX_ALIAS_HOPS; hops++) current = anchorFor(doc, current);
  return current && !isAlias(current) ? current : undefined;
}

/** Anchored nodes of a document by anchor name, in document order. */
const anchorIndexes = new WeakMap<Document.Parsed, Map<string, Node[]>>();

/**
 * What an alias refers to: the last node before it with that anchor (YAML's rule). The same answer as
 * `alias.resolve(doc)`, which walks the document on every call: with many aliases, as in a large compose
 * file built from `<<: *defaults`, that made reading quadratic (24 KB of sentry's compose file took seconds).
 */
function anchorFor(doc: Document.Parsed, alias: Alias): Node | undefined {
  let index = anchorIndexes.get(doc);
  if (!index) {
    const built = new Map<string, Node[]>();
    visit(doc, {
      Node: (_key, n) => {
        if (!n.anchor) return;
        const list = built.get(n.anchor);
        if (list) list.push(n);
        else built.set(n.anchor, [n]);
      },
    });
    anchorIndexes.set(doc, built);
    index = built;
  }
  const at = alias.range?.[0] ?? Number.POSITIVE_INFINITY;
  let found: Node | undefined;
  for (const n of index.get(alias.source) ?? []) {
    if ((n.range?.[0] ?? 0) >= at) break;
    found = n;
  }
  return found;
}

export function scalar(node: unknown): YamlScalar | undefined {
  if (!isScalar(node) || node.value === null || typeof node.value === "object") return undefined;
  const [start, end] = node.range ?? [0, 0];
  const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
  return { value: String(node.value), start, end, quoted };
}

function stated(file: string, value: YamlScalar): Fact<string> {
  const inner = value.quoted ? { start: value.start + 1, end: value.end - 1 } : { start: value.start, end: value.end };
  return { value: value.value, origin: "stated", at: { file, ...inner } };
}

function numberFact(file: string, value: YamlScalar | undefined): Fact<number> | undefined {
  if (!value) return undefined;
  const n = Number(value.value);
  if (!Number.isFinite(n) || value.value.trim() === "") return undefined;
  return { value: n, origin: "stated", at: { file, ...(value.quoted ? { start: value.start + 1, end: value.end - 1 } : value) } };
}

/** Compose memory strings ("512m", "1G", "1.5gb", bytes as a number) in MiB. */
export function parseMemoryMiB(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  const factor = unit === "" ? 1 / (1024 * 1024) : unit === "k" ? 1 / 1024 : unit === "m" ? 1 : unit === "g" ? 1024 : 1024 * 1024;
  return n * factor;
}
