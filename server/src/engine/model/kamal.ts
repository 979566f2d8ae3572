// Kamal's config/deploy.yml (parse/kamal-deploy.ts) in the model's terms: each role is a deployment,
// `kamal:config/deploy.yml#web`, with one instance per host, its `cmd` in place of the image's CMD (the
// ENTRYPOINT stays), the root env with the role's over it, and the CPUs and memory its `options` give
// `docker run` (`cpus`, `memory`); without them the container may use the whole host, whose size is not
// in the workspace. The image is built from `builder.dockerfile` in `builder.context` (the repository root,
// the folder above config/, by default).
import { parseKamalDeploy, type KamalConfig } from "../parse/kamal-deploy.ts";
import { type Context, dirOf, join } from "./build.ts";
import type { PlatformService } from "./platform.ts";
import { DATABASE_ENV } from "./pools.ts";
import { postgresImage } from "./databases.ts";
import { parseCommandLine } from "../parse/shell.ts";

/**
 * The roles of config/deploy.yml, or with `destination` (config/deploy.production.yml) merged over it, as
 * `kamal deploy -d production` runs them; a PostgreSQL accessory is the roles' database (ctx.postgres).
 */
export function kamalServices(ctx: Context, path: string, destination?: string): PlatformService[] {
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
  const root = dirOf(dirOf(path));
  const context = join(root, config.context ?? ".");
  const candidate = join(context, config.dockerfile ?? "Dockerfile");
  const dockerfile = ctx.pathSet.has(candidate) ? candidate : undefined;
  const services = config.roles.map((role) => {
    // Hosts tagged for their own env are a deployment of their own: `web[canary]`.
    const tagged = role.tags ? `[${role.tags.join(",")}]` : "";
    const service: PlatformService = { id: `${idBase}#${role.name}${tagged}`, name: `${role.name}${tagged} (${described})`, files: [...files], dir: root, links: [], env: new Map(role.env), instances: role.hosts };
    if (destination) service.links.push({ from: destination, to: path, why: `kamal deploy -d ${name} merges ${destination} over ${path}` });
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

/** `kamal deploy -d production` (`--destination production`, `--destination=production`; also `setup`, `redeploy`), as written. */
const KAMAL_DESTINATION = /\bkamal\s+(?:deploy|setup|redeploy)\b[^\n;&|]*?\s(?:-d\s*|--destination[=\s]\s*)["']?([\w-]+)/g;

/**
 * The destination files of config/deploy.yml that the workspace's deploy scripts, Makefiles and CI jobs (`runners`)
 * deploy with `kamal deploy -d NAME`, in the order first named: config/deploy.NAME.yml beside it. The commands are
 * read as text, never run; a name known only at run time (`-d $DEST`, `${{ inputs.env }}`) is not guessed.
 */
export function kamalDestinations(ctx: Context, path: string, runners: string[]): string[] {
  const found: string[] = [];
  for (const runner of runners) {
    const text = ctx.host.read(runner);
    if (text === undefined || !text.includes("kamal")) continue;
    const names = ctx.parses.get(`kamal-destinations:${runner}`, text, () => [...text.matchAll(KAMAL_DESTINATION)].map((m) => m[1]));
    for (const name of names) {
      const file = [".yml", ".yaml"].map((ext) => join(dirOf(path), `deploy.${name}${ext}`)).find((f) => ctx.pathSet.has(f));
      if (file && !found.includes(file)) found.push(file);
    }
  }
  return found;
}
