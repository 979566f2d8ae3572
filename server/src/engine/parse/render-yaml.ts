// Render Blueprints (render.yaml, https://render.com/docs/blueprint-spec): the services Render runs, each
// with its instance type (`plan`), instance count (`numInstances`, or `scaling` when it autoscales), command
// (`startCommand` on a native runtime, `dockerCommand` or the Dockerfile's on Docker) and environment
// (`envVars`: `value`, `fromDatabase`, `fromGroup`), and the PostgreSQL databases it creates. Services and
// databases may be listed at the top level or under `projects[].environments[]`. Read with the `yaml`
// library's node tree, so every value keeps its span.
import { type Document, isMap, isSeq, type Node, parseDocument } from "yaml";
import type { Fact, ParseProblem, SourceRef, Span } from "../types.ts";
import { mapGet, scalar, type YamlScalar } from "./compose.ts";
import { yamlSource } from "./text-lines.ts";
import { YAML_TOO_DEEP, yamlErrorText, yamlTooDeepAt } from "./yaml-depth.ts";

/** A value as written in render.yaml: the text and where it is (inside its quotes). */
export interface RenderValue {
  value: string;
  at: SourceRef;
}

export interface RenderService {
  name: string;
  nameAt: SourceRef;
  /** web, worker, pserv (cron, keyvalue and static sites are not read). */
  type: string;
  runtime?: string;
  plan?: RenderValue;
  numInstances?: Fact<number>;
  /** Autoscaling bounds; Render keeps the instance count between them. */
  scaling?: { min?: Fact<number>; max?: Fact<number> };
  /** `startCommand`, or on the Docker runtime `dockerCommand` (which replaces the Dockerfile's command). */
  command?: RenderValue & { key: "startCommand" | "dockerCommand" };
  dockerfilePath?: RenderValue;
  dockerContext?: RenderValue;
  rootDir?: RenderValue;
  /** Variables with a value written here, in the order Render applies them (groups where `fromGroup` is listed). */
  env: Map<string, Fact<string>>;
  /** Variables set from a database's property (`fromDatabase`): the database's name, by variable. */
  fromDatabase: Map<string, { database: string; at: SourceRef }>;
}

export interface RenderDatabase {
  name: string;
  nameAt: SourceRef;
  plan?: RenderValue;
}

export interface RenderBlueprint {
  file: string;
  services: RenderService[];
  databases: RenderDatabase[];
  problems: ParseProblem[];
}

/** The service types that run a long-lived process of the app. */
const SERVICE_TYPES = new Set(["web", "worker", "pserv"]);

export function parseRenderYaml(written: string, file: string): RenderBlueprint {
  const result: RenderBlueprint = { file, services: [], databases: [], problems: [] };
  const { doc, problems } = readYamlDocument(written, file);
  result.problems.push(...problems);
  if (!doc || problems.length > 0) return result;
  // Where services may be listed: the top level, and each environment of each project.
  const scopes: Array<{ node: unknown; groups: Map<string, Map<string, Fact<string>>> }> = [];
  const topGroups = envGroups(doc, file, mapGet(doc, doc.contents, "envVarGroups"), new Map());
  scopes.push({ node: doc.contents, groups: topGroups });
  for (const project of items(mapGet(doc, doc.contents, "projects"))) {
    const projectGroups = envGroups(doc, file, mapGet(doc, project, "envVarGroups"), topGroups);
    for (const environment of items(mapGet(doc, project, "environments"))) {
      scopes.push({ node: environment, groups: envGroups(doc, file, mapGet(doc, environment, "envVarGroups"), projectGroups) });
    }
  }
  for (const { node, groups } of scopes) {
    for (const entry of items(mapGet(doc, node, "services"))) {
      const service = readService(doc, file, entry, groups, result.problems);
      if (service) result.services.push(service);
    }
    for (const entry of items(mapGet(doc, node, "databases"))) {
      const name = scalar(mapGet(doc, entry, "name"));
      if (!name) continue;
      const plan = scalar(mapGet(doc, entry, "plan"));
      result.databases.push({ name: name.value, nameAt: inner(file, name), ...(plan ? { plan: value(file, plan) } : {}) });
    }
  }
  return result;
}

/**
 * A platform descriptor's YAML document, or its problems: the yaml library's errors (20 at most) at their place,
 * or its stack overflow on thousands of nested `- - -`, which it cannot read at all.
 */
export function readYamlDocument(written: string, file: string): { doc?: Document.Parsed; problems: ParseProblem[] } {
  const text = yamlSource(written);
  const deep = yamlTooDeepAt(text);
  if (deep !== undefined) return { problems: [{ message: `YAML: ${YAML_TOO_DEEP}`, at: { file, start: deep, end: Math.min(deep + 1, text.length) }, severity: "error" }] };
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { merge: true, uniqueKeys: false, prettyErrors: false });
  } catch (err) {
    return { problems: [{ message: `cannot read YAML: ${yamlErrorText(String(err))}`, at: { file, start: 0, end: 0 }, severity: "error" }] };
  }
  const problems = doc.errors
    .slice(0, 20)
    .map((e): ParseProblem => ({ message: `YAML: ${yamlErrorText(e.message)}`, at: { file, start: Math.min(e.pos[0], text.length), end: Math.min(e.pos[1], text.length) }, severity: "error" }));
  return { doc, problems };
}

function readService(doc: Document.Parsed, file: string, entry: Node, groups: Map<string, Map<string, Fact<string>>>, problems: ParseProblem[]): RenderService | undefined {
  const type = scalar(mapGet(doc, entry, "type"))?.value;
  const name = scalar(mapGet(doc, entry, "name"));
  if (!type || !SERVICE_TYPES.has(type) || !name) return undefined;
  const runtime = scalar(mapGet(doc, entry, "runtime")) ?? scalar(mapGet(doc, entry, "env"));
  const service: RenderService = { name: name.value, nameAt: inner(file, name), type, env: new Map(), fromDatabase: new Map() };
  if (runtime) service.runtime = runtime.value;
  const optional = (key: string) => {
    const found = scalar(mapGet(doc, entry, key));
    return found && value(file, found);
  };
  const plan = optional("plan");
  if (plan) service.plan = plan;
  const numInstances = count(file, scalar(mapGet(doc, entry, "numInstances")), "numInstances", problems);
  if (numInstances) service.numInstances = numInstances;
  const scaling = mapGet(doc, entry, "scaling");
  if (isMap(scaling)) {
    const min = count(file, scalar(mapGet(doc, scaling, "minInstances")), "minInstances", problems);
    const max = count(file, scalar(mapGet(doc, scaling, "maxInstances")), "maxInstances", problems);
    service.scaling = { ...(min ? { min } : {}), ...(max ? { max } : {}) };
  }
  const docker = runtime?.value === "docker" || runtime?.value === "image";
  for (const key of docker ? (["dockerCommand", "startCommand"] as const) : (["startCommand"] as const)) {
    const command = optional(key);
    if (command && command.value.trim() !== "") {
      service.command = { ...command, key };
      break;
    }
  }
  for (const [key, target] of [["dockerfilePath", "dockerfilePath"], ["dockerContext", "dockerContext"], ["rootDir", "rootDir"]] as const) {
    const found = optional(key);
    if (found) service[target] = found;
  }
  for (const variable of items(mapGet(doc, entry, "envVars"))) {
    const group = scalar(mapGet(doc, variable, "fromGroup"));
    if (group) {
      for (const [key, fact] of groups.get(group.value) ?? []) service.env.set(key, fact);
      continue;
    }
    const key = scalar(mapGet(doc, variable, "key"));
    if (!key) continue;
    const database = scalar(mapGet(doc, mapGet(doc, variable, "fromDatabase"), "name"));
    if (database) {
      service.fromDatabase.set(key.value, { database: database.value, at: inner(file, database) });
      continue;
    }
    // `generateValue`, `sync: false` and `fromService` leave the value to Render: nothing to read here.
    const written = scalar(mapGet(doc, variable, "value"));
    if (written) service.env.set(key.value, { value: written.value, origin: "stated", at: inner(file, written) });
  }
  return service;
}

/** The variables of each `envVarGroups` entry with a value written, over those of the enclosing scope. */
function envGroups(doc: Document.Parsed, file: string, node: unknown, outer: Map<string, Map<string, Fact<string>>>): Map<string, Map<string, Fact<string>>> {
  const groups = new Map(outer);
  for (const group of items(node)) {
    const name = scalar(mapGet(doc, group, "name"));
    if (!name) continue;
    const vars = new Map<string, Fact<string>>();
    for (const variable of items(mapGet(doc, group, "envVars"))) {
      const key = scalar(mapGet(doc, variable, "key"));
      const written = scalar(mapGet(doc, variable, "value"));
      if (key && written) vars.set(key.value, { value: written.value, origin: "stated", at: inner(file, written) });
    }
    groups.set(name.value, vars);
  }
  return groups;
}

/** A list's entries (aliases are followed where each is read, by mapGet). */
function items(node: unknown): Node[] {
  return isSeq(node) ? node.items.filter((item): item is Node => item !== null && typeof item === "object") : [];
}

/** A whole instance count, or a warning at the value when it is something else. */
function count(file: string, found: YamlScalar | undefined, key: string, problems: ParseProblem[]): Fact<number> | undefined {
  if (!found) return undefined;
  const n = Number(found.value);
  if (/^\s*\d+\s*$/.test(found.value) && n >= 1) return { value: n, origin: "stated", at: inner(file, found) };
  problems.push({ message: `${key} ${JSON.stringify(found.value)} is not a whole number of instances: Headroom cannot count it`, at: inner(file, found), severity: "warning" });
  return undefined;
}

function value(file: string, found: YamlScalar): RenderValue {
  return { value: found.value, at: inner(file, found) };
}

function inner(file: string, found: YamlScalar): SourceRef {
  const span: Span = found.quoted ? { start: found.start + 1, end: found.end - 1 } : { start: found.start, end: found.end };
  return { file, ...span };
}
