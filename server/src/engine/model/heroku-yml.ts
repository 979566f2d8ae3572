// heroku.yml (parse/heroku-yml.ts) in the model's terms: each process type is a deployment, `heroku:heroku.yml#web`,
// running its `run` command in place of its image's CMD (the ENTRYPOINT stays: SOURCES.herokuContainerRuntime), or the
// CMD where `run` gives none. Its image is the `build.docker` one its `image` names, else the one built for its own
// name, else `web`'s, built with `build.config` as build arguments in the Dockerfile's folder (Heroku's build context).
// The config vars are app.json's `env` beside it with `setup.config` over them; the dynos, app.json's `formation`
// (heroku.yml has none). No buildpack runs, so no WEB_CONCURRENCY default applies, and the dyno size (CPUs) is not
// known. A `heroku-postgresql:<plan>` add-on (setup.addons, else app.json's) is the database of every process type.
import type { HerokuAppJson } from "../parse/app-json.ts";
import { type HerokuYml, parseHerokuYml } from "../parse/heroku-yml.ts";
import type { Fact } from "../types.ts";
import { type Context, dirOf, join } from "./build.ts";
import { herokuPostgres } from "./heroku.ts";
import type { PlatformService } from "./platform.ts";

export interface HerokuYmlModel {
  services: PlatformService[];
  /** The Heroku Postgres plan its add-ons provision, with its published connection limit. */
  postgres?: { plan: Fact<string>; connections: number; file: string };
}

/** `manifest`: the app.json beside heroku.yml, when there is one. */
export function herokuYmlModel(ctx: Context, path: string, manifest: { path: string; app: HerokuAppJson } | undefined): HerokuYmlModel {
  const text = ctx.host.read(path);
  if (text === undefined) return { services: [] };
  const yml: HerokuYml = ctx.parses.get(`heroku.yml:${path}`, text, () => parseHerokuYml(text, path));
  ctx.problems.push(...yml.problems);
  // Without `build.docker` the file is not a container-stack manifest (the buildpack manifest's beta wrote `build.languages`).
  if (yml.images.size === 0) return { services: [] };
  const dir = dirOf(path);
  const services = yml.processes.map((process) => {
    // Every dyno gets PORT from Heroku at start (SOURCES.herokuPort): gunicorn's default bind is then 0.0.0.0:$PORT.
    const service: PlatformService = { id: `heroku:${path}#${process.name}`, name: `${process.name} (${path})`, files: [path], dir, links: [], env: new Map(), portSetBy: "Heroku" };
    const dynos = manifest?.app.quantity.get(process.name);
    if (manifest && (manifest.app.env.size > 0 || dynos)) {
      for (const [name, fact] of manifest.app.env) service.env.set(name, fact);
      service.files.push(manifest.path);
      service.links.push({ from: path, to: manifest.path, why: "Heroku sets up this app with the config vars and dynos of app.json" });
    }
    for (const [name, fact] of yml.config) service.env.set(name, fact);
    if (dynos) service.instances = dynos;
    else service.instancesUnknown = `${path} does not say how many dynos run ${process.name} (\`heroku ps:scale\` sets that)`;
    if (process.unreadCommand) {
      ctx.problems.push({ message: `${process.name}'s command is a list of several strings: Headroom reads a command written as one string, and models nothing for ${process.name}`, at: process.unreadCommand, severity: "info" });
      return service;
    }
    if (process.command) service.command = { text: process.command.value, at: process.command.at };
    const imageName = process.image?.value ?? (yml.images.has(process.name) ? process.name : "web");
    const image = yml.images.get(imageName);
    const dockerfile = image && join(dir, image.dockerfile.value);
    if (image && dockerfile !== undefined && ctx.pathSet.has(dockerfile)) {
      service.dockerfile = dockerfile;
      // "The Docker build context is always set to the directory containing the Dockerfile" (SOURCES.herokuYml).
      service.dockerContext = dirOf(dockerfile);
      if (yml.buildArgs.size > 0) service.buildArgs = yml.buildArgs;
      if (image.target) service.target = image.target.value;
      service.links.push({ from: path, to: dockerfile, why: `Heroku builds the ${imageName} image from ${dockerfile}${process.command ? `; the ${process.name} process type's run command replaces its CMD` : ""}` });
    }
    return service;
  });
  const postgres = herokuPostgres(yml.addons) ?? (manifest && herokuPostgres(manifest.app.addons));
  if (!postgres) return { services };
  return { services, postgres: { ...postgres, file: postgres.plan.at?.file ?? path } };
}
