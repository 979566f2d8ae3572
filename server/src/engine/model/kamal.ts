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

export function kamalServices(ctx: Context, path: string): PlatformService[] {
  const text = ctx.host.read(path);
  if (text === undefined) return [];
  const config: KamalConfig = ctx.parses.get(`kamal:${path}`, text, () => parseKamalDeploy(text, path));
  ctx.problems.push(...config.problems);
  if (!config.recognised) return [];
  const root = dirOf(dirOf(path));
  const context = join(root, config.context ?? ".");
  const candidate = join(context, config.dockerfile ?? "Dockerfile");
  const dockerfile = ctx.pathSet.has(candidate) ? candidate : undefined;
  return config.roles.map((role) => {
    const service: PlatformService = { id: `kamal:${path}#${role.name}`, name: `${role.name} (${path})`, files: [path], dir: root, links: [], env: new Map(role.env), instances: role.hosts };
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
}
