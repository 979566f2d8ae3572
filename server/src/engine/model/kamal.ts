// Kamal's config/deploy.yml (parse/kamal-deploy.ts) in the model's terms: each role is a deployment,
// `kamal:config/deploy.yml#web`, with one instance per host, its `cmd` in place of the image's CMD (the
// ENTRYPOINT stays), the root env with the role's over it, and the CPUs and memory its `options` give
// `docker run` (`cpus`, `memory`); without them the container may use the whole host, whose size is not
// in the workspace. The image is built from `builder.dockerfile` in `builder.context` (the repository root,
// the folder above config/, by default).
import { parseKamalDeploy, type KamalConfig } from "../parse/kamal-deploy.ts";
import { type Context, dirOf, fileKind, join } from "./build.ts";
import type { PlatformService } from "./platform.ts";
import { DATABASE_ENV } from "./pools.ts";
import { postgresImage } from "./databases.ts";
import { parseCommandLine, parseShellScript } from "../parse/shell.ts";
import { parseMakefile } from "../parse/makefile.ts";
import { basename } from "../parse/servers.ts";
import type { ParseMemo } from "../parse-cache.ts";
import { ciCommands } from "./compose-commands.ts";

/**
 * The roles of config/deploy.yml, or with `destination` (config/deploy.production.yml) merged over it, as
 * `kamal deploy -d production` runs them; a PostgreSQL accessory is the roles' database (ctx.postgres).
 */
export function kamalServices(ctx: Context, path: string, deployed?: KamalDestination): PlatformService[] {
  const destination = deployed?.file;
  const text = ctx.host.read(path);
  const destinationText = destination === undefined ? undefined : ctx.host.read(destination);
  if (text === undefined || (destination !== undefined && destinationText === undefined)) return [];
  const over = destination !== undefined && destinationText !== undefined ? { text: destinationText, file: destination } : undefined;
  const config: KamalConfig = ctx.parses.get(`kamal:${path}:${destination ?? ""}`, `${text}\0${destinationText ?? ""}`, () => parseKamalDeploy(text, path, over));
  ctx.problems.push(...config.problems);
  if (!config.recognised) return [];
  const files = destination ? [path, destination] : [path];
  // Ids and names say which destination: `kamal:config/deploy.yml@production#web`.
  const name = destination ? /config\/deploy\.([\w-]+)\.ya?ml$/i.exec(destination)?.[1] : undefined;
  const idBase = name ? `kamal:${path}@${name}` : `kamal:${path}`;
  const described = destination ? `${destination} over ${path}` : path;
  // A destination counted because a command names one only at run time says so in its name.
  const unknown = deployed?.unknown && `; ${deployed.unknown.runner}'s -d ${deployed.unknown.written} may deploy it`;
  const root = dirOf(dirOf(path));
  const context = join(root, config.context ?? ".");
  const candidate = join(context, config.dockerfile ?? "Dockerfile");
  const dockerfile = ctx.pathSet.has(candidate) ? candidate : undefined;
  const services = config.roles.map((role) => {
    // Hosts tagged for their own env are a deployment of their own: `web[canary]`.
    const tagged = role.tags ? `[${role.tags.join(",")}]` : "";
    const service: PlatformService = { id: `${idBase}#${role.name}${tagged}`, name: `${role.name}${tagged} (${described}${unknown ?? ""})`, files: [...files], dir: root, links: [], env: new Map(role.env), instances: role.hosts };
    if (destination) service.links.push({ from: destination, to: path, why: `kamal deploy -d ${name} merges ${destination} over ${path}` });
    if (deployed?.unknown) service.links.push({ from: deployed.unknown.runner, to: path, why: `${deployed.unknown.runner} runs kamal with -d ${deployed.unknown.written}, known only at run time: every destination beside ${path} is counted` });
    // A secret's value is in .kamal/secrets, outside what is read; a database URL's name still says the role connects to one.
    for (const [name, at] of role.secrets) if (DATABASE_ENV.test(name) && !service.env.has(name)) service.env.set(name, { value: `(secret ${name})`, origin: "stated", at });
    if (role.cpus) service.cpus = role.cpus;
    if (role.memoryMiB) service.memoryMiB = role.memoryMiB;
    if (role.cmd) service.command = { text: role.cmd.value, at: role.cmd.at };
    if (dockerfile) {
      service.dockerfile = dockerfile;
      service.dockerContext = context;
      service.links.push({ from: path, to: dockerfile, why: `Kamal builds the image from ${dockerfile}${role.cmd ? `; the ${role.name} role's cmd replaces its CMD` : ""}` });
    }
    return service;
  });
  // A PostgreSQL accessory (`accessories.db`, image postgres:16) is the database of the roles: its `cmd` may set
  // max_connections (`postgres -c max_connections=200`), else PostgreSQL's default applies.
  for (const accessory of config.accessories) {
    const image = postgresImage(accessory.image);
    if (!image) continue;
    const words = accessory.cmd ? (parseCommandLine(accessory.cmd.value, accessory.cmd.at.file, accessory.cmd.at.start).commands[0]?.words ?? []) : [];
    ctx.postgres.push({ name: accessory.name, base: described, files, words, image, env: accessory.env, clients: services.map((s) => s.id) });
  }
  return services;
}

/** config/deploy.yml itself, not one of its destination files. */
export function isKamalBase(path: string): boolean {
  return /(^|\/)config\/deploy\.ya?ml$/i.test(path);
}

/** A destination file a deploy command deploys; `unknown` when the command names it only at run time, so every destination is counted. */
export interface KamalDestination {
  file: string;
  unknown?: { runner: string; written: string };
}

/** The subcommands that deploy a destination's configuration. */
const KAMAL_DEPLOYS = new Set(["deploy", "setup", "redeploy", "rollback"]);

/**
 * The destination files of config/deploy.yml that the workspace's deploy scripts, Makefiles and CI jobs (`runners`)
 * deploy with `kamal deploy -d NAME`, in the order first named: config/deploy.NAME.yml beside it. The commands are
 * read as text, never run; a name in a variable is followed to what the script, the Makefile or the CI job's
 * `env:`/`variables:` sets it to (`DEST=production`, `DEST=${1:-production}`). One known only at run time
 * (`-d "$1"`, `${{ inputs.environment }}`) may be any destination: each config/deploy.*.yml beside it
 * (`destinationFiles`) is counted.
 */
export function kamalDestinations(ctx: Context, path: string, runners: string[], destinationFiles: string[]): KamalDestination[] {
  const found: KamalDestination[] = [];
  let unknown: KamalDestination["unknown"];
  for (const runner of runners) {
    const text = ctx.host.read(runner);
    if (text === undefined || !text.includes("kamal")) continue;
    const named = ctx.parses.get(`kamal-destinations:${runner}`, text, () => deployedDestinations(runner, text, ctx.parses));
    for (const { name, written } of named) {
      if (name === undefined) {
        unknown ??= { runner, written };
        continue;
      }
      const file = [".yml", ".yaml"].map((ext) => join(dirOf(path), `deploy.${name}${ext}`)).find((f) => ctx.pathSet.has(f));
      if (file && !found.some((d) => d.file === file)) found.push({ file });
    }
  }
  if (unknown) for (const file of destinationFiles) if (!isKamalBase(file) && dirOf(file) === dirOf(path) && !found.some((d) => d.file === file)) found.push({ file, unknown });
  return found;
}

/** The `-d` of each `kamal deploy` (also `bin/kamal`, `bundle exec kamal`; `setup`, `redeploy`, `rollback`) a runner runs; `name` undefined when known only at run time. */
function deployedDestinations(runner: string, text: string, parses: ParseMemo): Array<{ name?: string; written: string }> {
  const kind = fileKind(runner);
  const commands =
    kind === "ci"
      ? ciCommands(runner, text, parses).map((c) => c.command)
      : kind === "makefile"
        ? parseMakefile(text).recipes.filter((r) => r.command.includes("kamal")).flatMap((r) => parseCommandLine(r.command, runner, r.start).commands)
        : parseShellScript(text, runner).commands;
  const destinations: Array<{ name?: string; written: string }> = [];
  for (const { words } of commands) {
    const at = words.findIndex((w, i) => i < 4 && basename(w.value) === "kamal");
    if (at < 0 || !KAMAL_DEPLOYS.has(words[at + 1]?.value ?? "")) continue;
    for (let i = at + 2; i < words.length; i++) {
      const option = words[i].value;
      let word = words[i];
      let value: string;
      if (option === "-d" || option === "--destination") {
        if (!words[i + 1]) break;
        word = words[++i];
        value = word.value;
      } else if (option.startsWith("--destination=")) value = option.slice("--destination=".length);
      else if (/^-d./.test(option)) value = option.slice(2).replace(/^=/, "");
      else continue;
      const known = !word.opaque && word.unresolved.length === 0 && /^[\w-]+$/.test(value);
      destinations.push({ ...(known ? { name: value } : {}), written: word.raw });
    }
  }
  return destinations;
}
