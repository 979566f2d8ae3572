// Render Blueprints (parse/render-yaml.ts) in the model's terms: each web, worker or private service is a
// deployment sized by its plan (SOURCES.renderInstanceTypes), with numInstances, or the autoscaling maximum,
// as its instances (SOURCES.renderBlueprintDefaults); each database a PostgreSQL server whose connection
// limit follows from its plan's memory (SOURCES.renderPostgresConnectionLimits), with the services whose
// variables come `fromDatabase` it as its clients.
import { parseRenderYaml, type RenderBlueprint, type RenderService } from "../parse/render-yaml.ts";
import type { Fact, ParseProblem } from "../types.ts";
import { type Context, dirOf, join } from "./build.ts";
import type { PlatformService } from "./platform.ts";
import type { Database } from "./types.ts";

/**
 * Instance types by plan name, as render.yaml writes them (`pro plus`; `pro_plus` and `pro-plus` are read
 * the same). `cpus` is left out where Render's pages disagree (pro max, pro ultra) or state none (free).
 */
const PLANS: Record<string, { cpus?: number; memoryMiB?: number }> = {
  free: {},
  starter: { cpus: 0.5, memoryMiB: 512 },
  standard: { cpus: 1, memoryMiB: 2048 },
  pro: { cpus: 2, memoryMiB: 4096 },
  "pro plus": { cpus: 4, memoryMiB: 8192 },
  "pro max": { memoryMiB: 16384 },
  "pro ultra": { memoryMiB: 32768 },
};

/** A service without `plan` runs on Render's default instance type. */
const DEFAULT_PLAN = "starter";

export interface RenderModel {
  services: PlatformService[];
  databases: Database[];
}

export function renderModel(ctx: Context, path: string): RenderModel {
  const text = ctx.host.read(path);
  if (text === undefined) return { services: [], databases: [] };
  const blueprint: RenderBlueprint = ctx.parses.get(`render.yaml:${path}`, text, () => parseRenderYaml(text, path));
  ctx.problems.push(...blueprint.problems);
  const services = blueprint.services.map((service) => platformService(ctx, path, service));
  return { services, databases: blueprint.databases.map((database) => renderDatabase(path, database, blueprint.services, ctx.problems)) };
}

function platformService(ctx: Context, path: string, service: RenderService): PlatformService {
  const id = `render:${path}#${service.name}`;
  const dir = join(dirOf(path), service.rootDir?.value ?? "");
  const result: PlatformService = { id, name: `${service.name} (${path})`, files: [path], dir, links: [], env: new Map(service.env) };
  // Render sets PORT in a web service's environment (SOURCES.renderPort): gunicorn's default bind is then 0.0.0.0:$PORT.
  if (service.type === "web") result.portSetBy = "Render";
  for (const [key, { database, at }] of service.fromDatabase) {
    // The value is the database's, known only to Render; the name says which database the service uses.
    result.env.set(key, { value: `(${database}'s connection string)`, origin: "stated", at });
  }
  sizeFromPlan(result, service, ctx.problems);
  const max = service.scaling?.max;
  // With both, Render's autoscaling decides the count: up to maxInstances.
  if (max) {
    result.instances = max;
    result.instancesAreMax = true;
  }
  else if (service.numInstances) result.instances = service.numInstances;
  else result.instances = { value: 1, origin: "default", by: "Render", at: service.nameAt };
  if (service.command) result.command = { text: service.command.value, at: service.command.at };
  if (service.runtime === "docker") {
    // dockerfilePath is from the repository's root (render.yaml's folder); also looked for below rootDir.
    const written = service.dockerfilePath?.value ?? "Dockerfile";
    const dockerfile = [join(dirOf(path), written), join(dir, written)].find((p) => ctx.pathSet.has(p));
    if (dockerfile) {
      result.dockerfile = dockerfile;
      // The build context: dockerContext, else the Dockerfile's folder.
      result.dockerContext = service.dockerContext ? join(dirOf(path), service.dockerContext.value) : dirOf(dockerfile);
      result.links.push({ from: path, to: dockerfile, why: `Render builds ${service.name}'s image from ${dockerfile}${service.command ? "; its dockerCommand replaces the CMD" : ""}` });
    }
  }
  return result;
}

function sizeFromPlan(result: PlatformService, service: RenderService, problems: Pick<ParseProblem[], "push">): void {
  const written = service.plan;
  const name = (written?.value ?? DEFAULT_PLAN).toLowerCase().replace(/[_-]+/g, " ").trim();
  const plan = PLANS[name];
  if (!plan) {
    if (written) problems.push({ message: `unknown Render plan ${JSON.stringify(written.value)}: Headroom knows ${Object.keys(PLANS).join(", ")}, and cannot size ${service.name}'s instances`, at: written.at, severity: "warning" });
    return;
  }
  const at = written?.at ?? service.nameAt;
  const origin = written ? "stated" : "default";
  if (plan.cpus !== undefined) result.cpus = { value: plan.cpus, origin, by: "Render", at };
  if (plan.memoryMiB !== undefined) result.memoryMiB = { value: plan.memoryMiB, origin, by: "Render", at };
}

/** Connection limits by the database's memory, for the plans whose name states it (`basic-256mb`, `pro-8gb`, `accelerated-16gb`). */
function limitFromPlan(plan: string): number | undefined {
  const m = /^(basic|pro|accelerated)-(\d+)(mb|gb)$/i.exec(plan.trim());
  if (!m) return undefined;
  const gb = Number(m[2]) / (m[3].toLowerCase() === "mb" ? 1024 : 1);
  return gb < 8 ? 100 : gb < 16 ? 200 : gb < 32 ? 400 : 500;
}

function renderDatabase(path: string, database: RenderBlueprint["databases"][number], services: RenderService[], problems: Pick<ParseProblem[], "push">): Database {
  const clients = services.filter((s) => [...s.fromDatabase.values()].some((ref) => ref.database === database.name)).map((s) => `render:${path}#${s.name}`);
  const plan = database.plan;
  const limit = plan && limitFromPlan(plan.value);
  let maxConnections: Fact<number>;
  let limitNote: string;
  if (limit !== undefined && plan) {
    maxConnections = { value: limit, origin: "stated", by: "Render", at: plan.at };
    limitNote = `Render's limit for a ${plan.value} database`;
  } else {
    maxConnections = { value: 100, origin: "assumed", by: "PostgreSQL", ...(plan ? { at: plan.at } : {}) };
    limitNote = plan
      ? `assumed: PostgreSQL's default; Render states no limit for the plan ${plan.value}`
      : "assumed: PostgreSQL's default; no plan is written";
    if (plan && !/^(free|starter|standard|pro|pro plus)$/i.test(plan.value.trim())) {
      problems.push({ message: `unknown Render database plan ${JSON.stringify(plan.value)}: its connection limit is not known (the current plans name their memory: basic-256mb, pro-8gb, …)`, at: plan.at, severity: "warning" });
    }
  }
  return {
    name: `${database.name} (${path})`,
    maxConnections,
    reserved: { value: 3, origin: "default", by: "PostgreSQL" },
    files: new Set([path]),
    clients,
    limitNote,
  };
}
