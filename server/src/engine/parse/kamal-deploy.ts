// Kamal's config/deploy.yml (https://kamal-deploy.org/docs/configuration/overview/): the roles under `servers`
// (a list of hosts is the `web` role; a map gives each role its hosts, or `hosts`, `cmd`, `options` and `env`),
// the root `env` (a map of clear values, or `clear:` and `secret:`), and the Dockerfile `builder` names. Each
// host runs one container of its role, so the hosts are the role's instances. ERB (`<%= … %>`) is not
// evaluated: a value holding it is not read. Read with the `yaml` library's node tree, so values keep their spans.
import { type Document, isMap, isScalar, isSeq, type Node } from "yaml";
import type { Fact, ParseProblem, SourceRef } from "../types.ts";
import { mapGet, parseMemoryMiB, scalar, type YamlScalar } from "./compose.ts";
import { readYamlDocument } from "./render-yaml.ts";

export interface KamalRole {
  name: string;
  nameAt: SourceRef;
  /** How many hosts run the role, at the list of hosts. */
  hosts: Fact<number>;
  /** `cmd`: the command the role's containers run instead of the image's CMD. */
  cmd?: { value: string; at: SourceRef };
  /** `options: { cpus, memory }`, passed to `docker run`. */
  cpus?: Fact<number>;
  memoryMiB?: Fact<number>;
  /** The root env with the role's over it: clear values as written; secret names only (their values are in .kamal/secrets). */
  env: Map<string, Fact<string>>;
  secrets: Map<string, SourceRef>;
}

export interface KamalConfig {
  file: string;
  /** A file with `service` and `servers` (Kamal requires both). */
  recognised: boolean;
  roles: KamalRole[];
  /** `builder.dockerfile` and `builder.context`, as written. */
  dockerfile?: string;
  context?: string;
  problems: ParseProblem[];
}

export function parseKamalDeploy(written: string, file: string): KamalConfig {
  const config: KamalConfig = { file, recognised: false, roles: [], problems: [] };
  const { doc, problems } = readYamlDocument(written, file);
  if (!doc || problems.length > 0) {
    // A deploy.yml that is not YAML: said only when it looks like Kamal's (config/deploy.yml is a common name) and
    // holds no ERB, which Kamal evaluates before reading the YAML (`<% if … %>` lines are not YAML).
    if (/^\s*service\s*:/m.test(written) && /^\s*servers\s*:/m.test(written) && !written.includes("<%")) config.problems.push(...problems);
    return config;
  }
  const servers = mapGet(doc, doc.contents, "servers");
  config.recognised = scalar(mapGet(doc, doc.contents, "service")) !== undefined && servers !== undefined;
  if (!config.recognised) return config;
  const builder = mapGet(doc, doc.contents, "builder");
  const dockerfile = literal(scalar(mapGet(doc, builder, "dockerfile")));
  const context = literal(scalar(mapGet(doc, builder, "context")));
  if (dockerfile) config.dockerfile = dockerfile.value;
  if (context) config.context = context.value;
  const rootEnv = readEnv(doc, file, mapGet(doc, doc.contents, "env"));
  if (isSeq(servers)) {
    config.roles.push(role(doc, file, "web", rangeOf(file, mapKey(doc, "servers")), servers, undefined, rootEnv));
  } else if (isMap(servers)) {
    for (const pair of servers.items) {
      if (!isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      const node = pair.value as Node | null;
      const hosts = isSeq(node) ? node : mapGet(doc, node, "hosts");
      if (!isSeq(hosts)) continue;
      config.roles.push(role(doc, file, name, rangeOf(file, pair.key as Node), hosts, isMap(node) ? node : undefined, rootEnv));
    }
  }
  return config;
}

function role(doc: Document.Parsed, file: string, name: string, nameAt: SourceRef, hosts: Node, node: Node | undefined, rootEnv: ReturnType<typeof readEnv>): KamalRole {
  const count = isSeq(hosts) ? hosts.items.length : 0;
  const result: KamalRole = { name, nameAt, hosts: { value: count, origin: "stated", at: rangeOf(file, hosts) }, env: new Map(rootEnv.clear), secrets: new Map(rootEnv.secret) };
  if (!node) return result;
  const cmd = literal(scalar(mapGet(doc, node, "cmd")));
  if (cmd) result.cmd = { value: cmd.value, at: inner(file, cmd) };
  const options = mapGet(doc, node, "options");
  const cpus = literal(scalar(mapGet(doc, options, "cpus")));
  if (cpus && Number(cpus.value) > 0) result.cpus = { value: Number(cpus.value), origin: "stated", at: inner(file, cpus) };
  const memory = literal(scalar(mapGet(doc, options, "memory")));
  const mib = memory && parseMemoryMiB(memory.value);
  if (memory && mib) result.memoryMiB = { value: mib, origin: "stated", at: inner(file, memory) };
  const own = readEnv(doc, file, mapGet(doc, node, "env"));
  for (const [key, fact] of own.clear) result.env.set(key, fact);
  for (const [key, at] of own.secret) result.secrets.set(key, at);
  return result;
}

/** `env:` as a map of clear values, or `clear:` (a map) and `secret:` (a list of names). */
function readEnv(doc: Document.Parsed, file: string, node: Node | undefined): { clear: Map<string, Fact<string>>; secret: Map<string, SourceRef> } {
  const clear = new Map<string, Fact<string>>();
  const secret = new Map<string, SourceRef>();
  if (!isMap(node)) return { clear, secret };
  const structured = mapGet(doc, node, "clear") !== undefined || mapGet(doc, node, "secret") !== undefined;
  const values = structured ? mapGet(doc, node, "clear") : node;
  for (const pair of isMap(values) ? values.items : []) {
    const value = literal(scalar(pair.value));
    if (isScalar(pair.key) && value) clear.set(String(pair.key.value), { value: value.value, origin: "stated", at: inner(file, value) });
  }
  const secrets = structured ? mapGet(doc, node, "secret") : undefined;
  for (const item of isSeq(secrets) ? secrets.items : []) {
    const name = literal(scalar(item));
    // `DB_PASSWORD:MAIN_DB_PASSWORD` sets DB_PASSWORD from the secret MAIN_DB_PASSWORD.
    if (name) secret.set(name.value.split(":")[0], inner(file, name));
  }
  return { clear, secret };
}

/** A scalar written as is: ERB (`<%= … %>`) is Kamal's to evaluate, not ours. */
function literal(found: YamlScalar | undefined): YamlScalar | undefined {
  return found && !found.value.includes("<%") ? found : undefined;
}

function mapKey(doc: Document.Parsed, key: string): Node | undefined {
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair && isScalar(pair.key) ? pair.key : undefined;
}

function rangeOf(file: string, node: Node | undefined): SourceRef {
  const [start, end] = node?.range ?? [0, 0];
  return { file, start, end: Math.max(start, end) };
}

function inner(file: string, found: YamlScalar): SourceRef {
  return found.quoted ? { file, start: found.start + 1, end: found.end - 1 } : { file, start: found.start, end: found.end };
}
