// Kamal's config/deploy.yml (https://kamal-deploy.org/docs/configuration/overview/): the roles under `servers`
// (a list of hosts is the `web` role; a map gives each role its hosts, or `hosts`, `cmd`, `options` and `env`),
// the root `env` (a map of clear values, or `clear:` and `secret:`), and the Dockerfile `builder` names. Each
// host runs one container of its role, so the hosts are the role's instances. ERB (`<%= … %>`) is not
// evaluated: a value holding it is not read. Read with the `yaml` library's node tree, so values keep their spans.
import { type Document, isMap, isScalar, isSeq, type Node, type YAMLMap } from "yaml";
import type { Fact, ParseProblem, SourceRef } from "../types.ts";
import { mapGet, parseMemoryMiB, scalar, type YamlScalar } from "./compose.ts";
import { readYamlDocument } from "./render-yaml.ts";

export interface KamalRole {
  name: string;
  nameAt: SourceRef;
  /** How many hosts run the role, at the list of hosts. */
  hosts: Fact<number>;
  /** The env tags of these hosts (`- 10.0.0.2: canary`): a role's hosts with other tags are a role of their own here. */
  tags?: string[];
  /** `cmd`: the command the role's containers run instead of the image's CMD. */
  cmd?: { value: string; at: SourceRef };
  /** `options: { cpus, memory }`, passed to `docker run`. */
  cpus?: Fact<number>;
  memoryMiB?: Fact<number>;
  /** The root env with the role's over it: clear values as written; secret names only (their values are in .kamal/secrets). */
  env: Map<string, Fact<string>>;
  secrets: Map<string, SourceRef>;
}

/** An accessory (`accessories.db`): a container Kamal runs beside the app, on its own host. */
export interface KamalAccessory {
  name: string;
  image: string;
  /** `cmd`, when written: for a PostgreSQL image, its `-c max_connections=N`. */
  cmd?: { value: string; at: SourceRef };
  /** Its clear env. */
  env: Map<string, Fact<string>>;
}

export interface KamalConfig {
  file: string;
  /** The destination file merged over it (`config/deploy.production.yml` for `kamal deploy -d production`). */
  destination?: string;
  /** A file with `service` and `servers` (Kamal requires both). */
  recognised: boolean;
  roles: KamalRole[];
  accessories: KamalAccessory[];
  /** `builder.dockerfile` and `builder.context`, as written. */
  dockerfile?: string;
  context?: string;
  problems: ParseProblem[];
}

/** One YAML document of the configuration, with its file. */
interface Part {
  doc: Document.Parsed;
  file: string;
  node: Node | undefined;
}

/**
 * A value of the configuration as Kamal merges its files: the same key path in the base file, then in the destination
 * file. Kamal deep-merges the destination over the base: maps key by key, anything else replaced whole.
 */
type Layered = Part[];

function get(value: Layered, key: string): Layered {
  return value.map((part) => ({ ...part, node: mapGet(part.doc, part.node, key) }));
}

/** The part whose node is the value: the last file that sets it. */
function last(value: Layered): Part | undefined {
  for (let i = value.length - 1; i >= 0; i--) if (value[i].node !== undefined) return value[i];
  return undefined;
}

/** The parts that merge into a map: from the last file that replaced the value with something else on. */
function mapParts(value: Layered): Layered {
  const top = last(value);
  if (!top || !isMap(top.node)) return [];
  let from = value.length - 1;
  while (from > 0 && (value[from - 1].node === undefined || isMap(value[from - 1].node))) from--;
  return value.slice(from).filter((part) => isMap(part.node));
}

/** The keys of a merged map, in the order the files write them. */
function keys(value: Layered): Array<{ key: string; at: SourceRef }> {
  const seen = new Map<string, SourceRef>();
  for (const part of mapParts(value)) {
    for (const pair of (part.node as YAMLMap).items) if (isScalar(pair.key) && !seen.has(String(pair.key.value))) seen.set(String(pair.key.value), rangeOf(part.file, pair.key as Node));
  }
  return [...seen].map(([key, at]) => ({ key, at }));
}

/** A scalar written as is, with its file. */
function leaf(value: Layered): { found: YamlScalar; file: string } | undefined {
  const top = last(value);
  const found = top && literal(scalar(top.node));
  return top && found ? { found, file: top.file } : undefined;
}

/** `destination`: the destination file (`config/deploy.production.yml`) merged over this one, as `kamal deploy -d production` reads them. */
export function parseKamalDeploy(written: string, file: string, destination?: { text: string; file: string }): KamalConfig {
  const config: KamalConfig = { file, recognised: false, roles: [], accessories: [], problems: [] };
  if (destination) config.destination = destination.file;
  const parts: Part[] = [];
  for (const source of [{ text: written, file }, ...(destination ? [destination] : [])]) {
    const { doc, problems } = readYamlDocument(source.text, source.file);
    if (!doc || problems.length > 0) {
      // A deploy.yml that is not YAML: said only when it looks like Kamal's (config/deploy.yml is a common name) and
      // holds no ERB, which Kamal evaluates before reading the YAML (`<% if … %>` lines are not YAML).
      const kamalLike = source !== destination ? /^\s*service\s*:/m.test(source.text) && /^\s*servers\s*:/m.test(source.text) : true;
      if (kamalLike && !source.text.includes("<%")) config.problems.push(...problems);
      return config;
    }
    parts.push({ doc, file: source.file, node: doc.contents ?? undefined });
  }
  const root: Layered = parts;
  const servers = get(root, "servers");
  config.recognised = leaf(get(root, "service")) !== undefined && last(servers) !== undefined;
  if (!config.recognised) return config;
  const builder = get(root, "builder");
  const dockerfile = leaf(get(builder, "dockerfile"));
  const context = leaf(get(builder, "context"));
  if (dockerfile) config.dockerfile = dockerfile.found.value;
  if (context) config.context = context.found.value;
  const rootEnv = readEnv(get(root, "env"));
  // Host-specific env (`env.tags`, Kamal 1's `env_tags`): each tag's env, for the hosts that carry the tag.
  const tagEnvs = new Map<string, ReturnType<typeof readEnv>>();
  for (const tags of [get(root, "env_tags"), get(get(root, "env"), "tags")]) for (const { key } of keys(tags)) tagEnvs.set(key, readEnv(get(tags, key)));
  const list = last(servers);
  if (list && isSeq(list.node)) {
    config.roles.push(...byTags(role("web", rangeOf(list.file, mapKey(list.doc, "servers")), [{ ...list }], undefined, rootEnv), [{ ...list }], tagEnvs));
  } else {
    for (const { key, at } of keys(servers)) {
      const node = get(servers, key);
      const top = last(node);
      // A role is its list of hosts, or a map with `hosts`.
      const hosts = top && isSeq(top.node) ? [top] : get(node, "hosts");
      if (!isSeq(last(hosts)?.node)) continue;
      config.roles.push(...byTags(role(key, at, hosts, top && isMap(top.node) ? node : undefined, rootEnv), hosts, tagEnvs));
    }
  }
  const accessories = get(root, "accessories");
  for (const { key } of keys(accessories)) {
    const accessory = get(accessories, key);
    const image = leaf(get(accessory, "image"));
    if (!image) continue;
    const cmd = leaf(get(accessory, "cmd"));
    config.accessories.push({ name: key, image: image.found.value, ...(cmd ? { cmd: { value: cmd.found.value, at: inner(cmd.file, cmd.found) } } : {}), env: readEnv(get(accessory, "env")).clear });
  }
  return config;
}

function role(name: string, nameAt: SourceRef, hosts: Layered, node: Layered | undefined, rootEnv: ReturnType<typeof readEnv>): KamalRole {
  const list = last(hosts);
  const count = list && isSeq(list.node) ? list.node.items.length : 0;
  const result: KamalRole = { name, nameAt, hosts: { value: count, origin: "stated", at: rangeOf(list?.file ?? nameAt.file, list?.node) }, env: new Map(rootEnv.clear), secrets: new Map(rootEnv.secret) };
  if (!node) return result;
  const cmd = leaf(get(node, "cmd"));
  if (cmd) result.cmd = { value: cmd.found.value, at: inner(cmd.file, cmd.found) };
  const options = get(node, "options");
  const cpus = leaf(get(options, "cpus"));
  if (cpus && Number(cpus.found.value) > 0) result.cpus = { value: Number(cpus.found.value), origin: "stated", at: inner(cpus.file, cpus.found) };
  const memory = leaf(get(options, "memory"));
  const mib = memory && parseMemoryMiB(memory.found.value);
  if (memory && mib) result.memoryMiB = { value: mib, origin: "stated", at: inner(memory.file, memory.found) };
  const own = readEnv(get(node, "env"));
  for (const [key, fact] of own.clear) result.env.set(key, fact);
  for (const [key, at] of own.secret) result.secrets.set(key, at);
  return result;
}

/**
 * The role split by its hosts' env tags (`- 10.0.0.2: canary`, `- 10.0.0.3: [canary, gc]`): the untagged hosts keep
 * the role, each set of tags is a role of its own with those tags' env over the role's (in the order the host names them).
 */
function byTags(base: KamalRole, hosts: Layered, tagEnvs: ReadonlyMap<string, ReturnType<typeof readEnv>>): KamalRole[] {
  const list = last(hosts);
  if (!list || !isSeq(list.node)) return [base];
  const groups = new Map<string, { tags: string[]; hosts: number }>();
  for (const item of list.node.items) {
    const value = isMap(item) ? item.items[0]?.value : undefined;
    const names = isSeq(value) ? value.items.map((t) => literal(scalar(t))?.value) : [literal(scalar(value))?.value];
    const tags = names.filter((t): t is string => t !== undefined);
    const key = tags.join(",");
    groups.set(key, { tags, hosts: (groups.get(key)?.hosts ?? 0) + 1 });
  }
  if (groups.size === 1 && groups.has("")) return [base];
  return [...groups.values()].map(({ tags, hosts }) => {
    const group: KamalRole = { ...base, hosts: { ...base.hosts, value: hosts }, env: new Map(base.env), secrets: new Map(base.secrets) };
    if (tags.length === 0) return group;
    group.tags = tags;
    for (const tag of tags) {
      for (const [name, fact] of tagEnvs.get(tag)?.clear ?? []) group.env.set(name, fact);
      for (const [name, at] of tagEnvs.get(tag)?.secret ?? []) group.secrets.set(name, at);
    }
    return group;
  });
}

/** `env:` as a map of clear values, or `clear:` (a map) and `secret:` (a list of names). */
function readEnv(node: Layered): { clear: Map<string, Fact<string>>; secret: Map<string, SourceRef> } {
  const clear = new Map<string, Fact<string>>();
  const secret = new Map<string, SourceRef>();
  if (!last(node) || !isMap(last(node)?.node)) return { clear, secret };
  // With `tags` (or secrets), clear values are under `clear:`.
  const structured = ["clear", "secret", "tags"].some((key) => last(get(node, key)) !== undefined);
  const values = structured ? get(node, "clear") : node;
  for (const { key } of keys(values)) {
    const value = leaf(get(values, key));
    if (value) clear.set(key, { value: value.found.value, origin: "stated", at: inner(value.file, value.found) });
  }
  const secrets = structured ? last(get(node, "secret")) : undefined;
  for (const item of secrets && isSeq(secrets.node) ? secrets.node.items : []) {
    const name = literal(scalar(item));
    // `DB_PASSWORD:MAIN_DB_PASSWORD` sets DB_PASSWORD from the secret MAIN_DB_PASSWORD.
    if (name && secrets) secret.set(name.value.split(":")[0], inner(secrets.file, name));
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
