// heroku.yml, the manifest of Heroku's container stack (https://devcenter.heroku.com/articles/build-docker-images-heroku-yml,
// SOURCES.herokuYml): `build.docker` names the Dockerfile each process type's image is built from (a path relative to
// heroku.yml, or `dockerfile` with a `target` stage), `build.config` the build's arguments, `run` each process type's
// command (a string, or `command` with the `image` it runs on) and `setup` the add-ons and config vars an app created
// from the manifest gets. `release` runs once per deploy and is not read. Read with the `yaml` library's node tree, so
// every value keeps its span.
import { type Document, isMap, isScalar, isSeq, type Node } from "yaml";
import type { Fact, ParseProblem, SourceRef } from "../types.ts";
import { deref, mapGet, scalar, type YamlScalar } from "./compose.ts";
import { readYamlDocument } from "./render-yaml.ts";

/** A value as written in heroku.yml: the text and where it is (inside its quotes). */
export interface HerokuValue {
  value: string;
  at: SourceRef;
}

export interface HerokuImage {
  dockerfile: HerokuValue;
  /** The stage of a multi-stage Dockerfile the image is built to (`target`). */
  target?: HerokuValue;
}

export interface HerokuProcess {
  name: string;
  /** The command its dynos run in place of the image's CMD; absent when it runs the CMD. */
  command?: HerokuValue;
  /** A command Headroom does not read (a list of several strings): nothing is modelled for the process type. */
  unreadCommand?: SourceRef;
  /** The `build.docker` image it runs on, when `image` names one. */
  image?: HerokuValue;
}

export interface HerokuYml {
  /** The images `build.docker` builds, by process type. */
  images: Map<string, HerokuImage>;
  /** `build.config`: the build arguments of every image's build. */
  buildArgs: Map<string, Fact<string>>;
  /** The process types: `run`'s entries, or (without `run`) one per image, running its CMD. */
  processes: HerokuProcess[];
  /** `setup.config`: the config vars the app is created with. */
  config: Map<string, Fact<string>>;
  /** `setup.addons` plans as written (`heroku-postgresql:essential-0`). */
  addons: Array<Fact<string>>;
  problems: ParseProblem[];
}

export function parseHerokuYml(written: string, file: string): HerokuYml {
  const result: HerokuYml = { images: new Map(), buildArgs: new Map(), processes: [], config: new Map(), addons: [], problems: [] };
  const { doc, problems } = readYamlDocument(written, file);
  result.problems.push(...problems);
  if (!doc || problems.length > 0) return result;
  const build = mapGet(doc, doc.contents, "build");
  for (const [name, value] of entries(doc, mapGet(doc, build, "docker"))) {
    const path = scalar(value) ?? scalar(mapGet(doc, value, "dockerfile"));
    if (!path) continue;
    const target = isMap(value) ? scalar(mapGet(doc, value, "target")) : undefined;
    result.images.set(name, { dockerfile: located(file, path), ...(target ? { target: located(file, target) } : {}) });
  }
  readVars(doc, file, mapGet(doc, build, "config"), result.buildArgs);
  const setup = mapGet(doc, doc.contents, "setup");
  readVars(doc, file, mapGet(doc, setup, "config"), result.config);
  const addons = mapGet(doc, setup, "addons");
  for (const addon of isSeq(addons) ? addons.items : []) {
    const plan = scalar(addon) ?? scalar(mapGet(doc, addon, "plan"));
    if (plan) result.addons.push({ value: plan.value, origin: "stated", at: located(file, plan).at });
  }
  const run = mapGet(doc, doc.contents, "run");
  if (run === undefined || !isMap(run)) {
    for (const name of result.images.keys()) result.processes.push({ name });
    return result;
  }
  for (const [name, value] of entries(doc, run)) {
    const process: HerokuProcess = { name };
    const text = scalar(value);
    if (text) process.command = located(file, text);
    else if (isMap(value)) {
      const image = scalar(mapGet(doc, value, "image"));
      if (image) process.image = located(file, image);
      const command = mapGet(doc, value, "command");
      const items = isSeq(command) ? command.items : [];
      const only = items.length === 1 ? scalar(items[0]) : scalar(command);
      if (only) process.command = located(file, only);
      else if (command !== undefined) process.unreadCommand = rangeOf(file, command);
    } else continue;
    result.processes.push(process);
  }
  return result;
}

/** A map's entries with scalar keys (`<<` merges aside): the key and its value (aliases followed). */
function entries(doc: Document.Parsed, node: Node | undefined): Array<[string, Node | undefined]> {
  if (!isMap(node)) return [];
  const found: Array<[string, Node | undefined]> = [];
  for (const pair of node.items) {
    if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === "object" || pair.key.value === "<<") continue;
    found.push([String(pair.key.value), deref(doc, pair.value as Node | null)]);
  }
  return found;
}

/** The config vars of a `config:` map with a scalar value, located at the value. */
function readVars(doc: Document.Parsed, file: string, node: Node | undefined, into: Map<string, Fact<string>>): void {
  for (const [name, value] of entries(doc, node)) {
    const found = scalar(value);
    if (found) into.set(name, { value: found.value, origin: "stated", at: located(file, found).at });
  }
}

function located(file: string, found: YamlScalar): HerokuValue {
  const inner = found.quoted ? { start: found.start + 1, end: found.end - 1 } : { start: found.start, end: found.end };
  return { value: found.value, at: { file, ...inner } };
}

function rangeOf(file: string, node: Node): SourceRef {
  const [start, end] = node.range ?? [0, 0];
  return { file, start, end };
}
