// From files to deployments. Each deployment is linked explicitly, and says why:
//   compose service → build context → Dockerfile → entrypoint script
//   App Runner service.json / apprunner.yaml → StartCommand, or a Dockerfile / start script in its folder
//   (a service.json with ConfigurationSource REPOSITORY → the repository's apprunner.yaml run settings)
//   Procfile line, or a start script nothing else links → a deployment of its own (CPUs unknown)
//   Render render.yaml service / Fly.io fly.toml process group / heroku.yml process type → its command, or its Dockerfile (model/platform.ts)
// Compose files merge as `docker compose` does by default: `compose.yaml`/`docker-compose.yml`
// with its `.override` file; command and entrypoint are replaced, environment is merged. An add-on
// variant (docker-compose.prod.yml beside docker-compose.yml) merges over its base as `-f base -f
// variant` would (composeProjects), and COMPOSE_FILE in a .env lists the files of a project, in any
// folders; paths in a project's files are relative to its first file's folder, as compose resolves them.
// `extends` puts the extended service under the service's own keys, and the extended file's relative
// paths (build context, env_file) stay relative to its own folder.
import type { WorkspaceHost } from "../api.ts";
import { NO_MEMO, type ParseMemo } from "../parse-cache.ts";
import { parseAppRunnerYaml, parseServiceJson, type AppRunnerService } from "../parse/apprunner.ts";
import { type ComposeCommand, type ComposeFile, type ComposeService, countCpuList, parseComposeFile, parseMemoryMiB } from "../parse/compose.ts";
import { interpolateCompose } from "../parse/compose-interpolation.ts";
import { type DockerCommand, type Dockerfile, type DockerfileStage, parseDockerfile, targetStage } from "../parse/dockerfile.ts";
import { parseDotenv } from "../parse/dotenv.ts";
import { GUNICORN_WORKER_CONNECTIONS, parseGunicornConf, workerKind } from "../parse/gunicorn-conf.ts";
import { parseHypercornToml } from "../parse/hypercorn-toml.ts";
import { parseProcfile } from "../parse/procfile.ts";
import { looksLikeServiceUnit, parseServiceUnit } from "../parse/systemd.ts";
import { type HerokuAppJson, parseAppJson } from "../parse/app-json.ts";
import { parseSidekiqInitializer } from "../parse/sidekiq-initializer.ts";
import { parsePumaRb, parseUnicornRb, PUMA_PLUGIN } from "../parse/puma-rb.ts";
import { parseDatabaseYml } from "../parse/database-yml.ts";
import { type DjangoSettings, parseDjangoSettings } from "../parse/django-settings.ts";
import { parseUwsgiIni } from "../parse/uwsgi-ini.ts";
import { readPythonModule } from "../parse/python-calls.ts";
import { mayConfigureFlaskSqlalchemy, readFlaskConfig } from "../parse/flask-config.ts";
import { flaskSqlalchemyPin, isDevRequirements, LOCK_FILES, MANIFEST_FILES, mentionsFlaskSqlalchemy, type PinnedVersion, requirementIncludes } from "../parse/python-requirements.ts";
import { pythonMainCandidates, UVICORN_RUN, uvicornRunInvocation } from "./python-main.ts";
import { ENGINE_FUNCTIONS, findSqlAlchemyEngine, type SqlAlchemyEngine } from "./sqlalchemy.ts";
import { uwsgiEnvOption, uwsgiNumber } from "./uwsgi.ts";
import { parseSidekiqYml, SIDEKIQ_CAPSULE, sidekiqCapsules, sidekiqConcurrency } from "../parse/sidekiq-yml.ts";
import { recogniseDevServer } from "../parse/dev-servers.ts";
import { isExeclineScript, readExeclineRunScript } from "../parse/execline.ts";
import { appProgram, basename, type CommandWord, flagName, isFastapiRun, isOneOffDatabaseTask, isSidekiqSwarm, optionValue, parsePumaThreads, recogniseCeleryBeat, recogniseServer, type ServerInvocation, wrappedProgramIndex } from "../parse/servers.ts";
import { moveSpans } from "../parse/move-spans.ts";
import { shellCpuFormula } from "../parse/shell-cpu-count.ts";
import { envConditionHolds, resolveBranches, type SettingExpr, settingNumber } from "../parse/setting-expr.ts";
import { type CharSpans, commandGuards, type EnvLookup, isComputedByShell, parseCommandLine, parseShellScript, type ShellGuard, type ShellScript, type Shift, withFunctionArguments } from "../parse/shell.ts";
import type { Fact, ParseProblem, SourceRef } from "../types.ts";
import type { Database, Deployment, DeploymentModel, ServerProcess } from "./types.ts";
import { findDatabases, isDatabaseClient, type PostgresService, postgresImage } from "./databases.ts";
import { type DjangoConnections, jobDatabases, POOL_ENV, type Pool, type PoolEnvName, PSYCOPG_POOL_MIN_SIZE, queueDatabasePool, type RailsDatabaseConfig, readPool, solidQueuePool } from "./pools.ts";
import { buildProxies, type ImageCopy, linkBuildingServices, linkMountingServices, linkUnitBackends, nginxPlacement } from "./nginx.ts";
import { findPgBouncers, isPgBouncerIni } from "./pgbouncer.ts";
import type { TextChanges } from "./placement.ts";
import { type KeptDeployment, reusedDeployment, reusedReading } from "./reuse.ts";
import { herokuLanguage, herokuPostgres, herokuWebConcurrency } from "./heroku.ts";
import { combinedCpuLimit } from "./cpus.ts";
import type { PlatformService } from "./platform.ts";
import { renderModel } from "./render.ts";
import { herokuYmlModel } from "./heroku-yml.ts";
import { flyServices } from "./fly.ts";
import { isKamalBase, kamalDestinations, kamalServices } from "./kamal.ts";
import { railsAppRoot, solidQueueCliAsync, solidQueueCliOptions, type SolidQueueTree, solidQueueTree } from "./solid-queue.ts";
import { goodJobAsync, type GoodJobRailsConfig, goodJobRailsConfig, goodJobThreads } from "./good-job.ts";
import { actionCable } from "./action-cable.ts";
import { GUNICORN_CONF_PATHS, IMAGE_CONF, IMAGE_WORKDIR, imageConfSettings, mountedAt, PRESTART_PATH, prestartChangesServer, START_SCRIPT, uvicornGunicornImage } from "./tiangolo.ts";
import { ancestors, ciComposeLists, makefileComposeLists, profileNames, scriptComposeLists, type StartedServices } from "./compose-commands.ts";
import { readSupervisorConf, SUPERVISOR_CANDIDATES, supervisorConfigFiles, supervisordConfigArg, supervisordOptionsStart, supervisorRuns } from "./supervisor.ts";
import { inheritsS6Init, PROXY_PROGRAM, S6_INIT, S6_RUN_FILES, s6BundleEntries, s6KeepsEnv, s6SeesContainerEnv, s6Service, s6TypeFile } from "./s6-overlay.ts";
import { contextCandidates, contextFolders, contextSource, imagePathsOf, inWorkdir } from "./image-copies.ts";

/** The parse memo's key for the list of App Runner JSON files (buildModel). */
const APPRUNNER_FILES = "apprunner-files";

export type FileKind = "compose" | "dockerfile" | "service.json" | "apprunner.yaml" | "shell" | "procfile" | "dotenv" | "nginx" | "gunicorn-conf" | "puma" | "unicorn" | "postgres" | "rails-database" | "uwsgi" | "sidekiq" | "sidekiq-initializer" | "solid-queue" | "rails-config" | "hypercorn" | "makefile" | "supervisor" | "ci" | "app.json" | "heroku.yml" | "render.yaml" | "fly.toml" | "kamal" | "pgbouncer" | "systemd";

/** Paths already classified: fileKind runs on every path of every audit, several times (listing, model, suppressions, rules). */
const kinds = new Map<string, FileKind | undefined>();
const MAX_REMEMBERED_KINDS = 100_000;

export function fileKind(path: string): FileKind | undefined {
  const known = kinds.get(path);
  if (known !== undefined || kinds.has(path)) return known;
  if (kinds.size >= MAX_REMEMBERED_KINDS) kinds.clear();
  const kind = classify(path);
  kinds.set(path, kind);
  return kind;
}

function classify(path: string): FileKind | undefined {
  const lowerPath = path.toLowerCase();
  const name = lowerPath.slice(lowerPath.lastIndexOf("/") + 1);
  // Read only for the compose files their shell steps name with `-f` (model/compose-commands.ts).
  if (/(^|\/)\.github\/workflows\/[^/]+\.ya?ml$/.test(path) || name === ".gitlab-ci.yml" || name === ".gitlab-ci.yaml") return "ci";
  // docker-stack.yml: a Swarm stack (`docker stack deploy -c`), the same format; Swarm honours deploy.replicas and limits.
  if (/^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/.test(name) || /^docker-stack([.-][\w.-]+)?\.ya?ml$/.test(name)) return "compose";
  if (name === "dockerfile" || name.startsWith("dockerfile.") || name.endsWith(".dockerfile")) return "dockerfile";
  // App Runner's autoscaling configurations (the input of create-auto-scaling-configuration) kept beside the service: read for the MaxSize a service's ARN names.
  if (name === "service.json" || /^apprunner.*\.json$/.test(name) || /auto[-_]?scaling[\w.-]*\.json$/.test(name)) return "service.json";
  if (/^apprunner\.ya?ml$/.test(name)) return "apprunner.yaml";
  if (name === "procfile" || name.startsWith("procfile.")) return "procfile";
  // Heroku's manifest: read beside a Procfile for the config vars and dynos it sets up.
  if (name === "app.json") return "app.json";
  // Heroku's container-stack manifest (heroku.yml in the app's root).
  if (name === "heroku.yml") return "heroku.yml";
  // Render's Blueprint (its default name; the dashboard may name another path).
  if (name === "render.yaml" || name === "render.yml") return "render.yaml";
  // Fly.io's app configuration, and the per-environment copies deployed with `fly deploy -c fly.staging.toml`.
  if (name === "fly.toml" || /^fly\.[\w-]+\.toml$/.test(name)) return "fly.toml";
  // Kamal's configuration and its destination files (config/deploy.production.yml, merged over it by `kamal deploy -d production`);
  // a deploy.yml elsewhere is some other tool's.
  if (/(^|\/)config\/deploy(\.[\w-]+)?\.ya?ml$/.test(lowerPath)) return "kamal";
  if (name === ".env" || name.startsWith(".env.") || name.endsWith(".env")) return "dotenv";
  // Extensionless names are scripts by convention (bin/docker-server, docker-entrypoint); the model reads one alone only with a shell shebang.
  // `.bash` too: pretix keeps its start script as deployment/docker/pretix.bash.
  if (name.endsWith(".sh") || name.endsWith(".bash") || STARTING_SCRIPT.test(name)) return "shell";
  if (isSupervisorName(name, lowerPath)) return "supervisor";
  // systemd service units (gunicorn.service, puma.service, a template's app@.service): read when they start something.
  if (name.endsWith(".service")) return "systemd";
  if (isNginxName(name, lowerPath)) return "nginx";
  if (/^gunicorn[\w.-]*\.py$/.test(name)) return "gunicorn-conf";
  if (name === "puma.rb") return "puma";
  if (/^unicorn[\w.-]*\.rb$/.test(name)) return "unicorn";
  if (name === "postgresql.conf") return "postgres";
  if (isPgBouncerIni(name)) return "pgbouncer";
  if (name === "database.yml") return "rails-database";
  if (/uwsgi[\w.-]*\.ini$/.test(name)) return "uwsgi";
  // The names Sidekiq looks for in the app's config/ folder when no -C names a file.
  if (name === "sidekiq.yml" || name === "sidekiq.yml.erb") return "sidekiq";
  // Read only for the capsules a Rails app declares there (`config.capsule("x") { |cap| cap.concurrency = 1 }`).
  if (/(^|\/)config\/initializers\/sidekiq\.rb$/.test(path)) return "sidekiq-initializer";
  // Solid Queue's processes and recurring tasks, where `bin/jobs` and Puma's plugin look for them.
  if (/(^|\/)config\/(queue|recurring)\.ya?ml$/.test(path)) return "solid-queue";
  // Where a Rails app says Action Cable runs in its processes and sizes its worker pool (model/action-cable.ts), and sets config.good_job (model/good-job.ts).
  if (/(^|\/)config\/(cable\.ya?ml|routes\.rb|application\.rb|environments\/[^/]+\.rb|initializers\/[^/]+\.rb)$/.test(path)) return "rails-config";
  if (/^hypercorn[\w.-]*\.toml$/.test(name)) return "hypercorn";
  // Read only for the compose files its recipes name with `-f` (model/compose-commands.ts).
  if (name === "makefile" || name === "gnumakefile" || name.endsWith(".mk")) return "makefile";
  // Deploy scripts kept without an extension (bin/deploy, scripts/release): read for the commands they deploy with, when their shebang is a shell's.
  if (isDeployScriptName(name, lowerPath)) return "shell";
  return undefined;
}

/** Extensionless script names that start a server (bin/docker-server, docker-entrypoint): the model reads one alone. */
const STARTING_SCRIPT = /^(start|entrypoint|run|boot|serve|docker-[\w-]+)$/;

/**
 * An extensionless file in a scripts folder (bin/, script/, scripts/, deploy/, ops/, ci/, tools/) or named for deploying
 * (deploy, release, redeploy, ship, rollout, provision): a deploy script by convention, often executable with a
 * shebang; the model reads it only for the commands it deploys with, and only with a shell shebang (deployScripts).
 */
function isDeployScriptName(name: string, lowerPath: string): boolean {
  if (name.includes(".") || name === "") return false;
  return /(^|\/)(bin|script|scripts|deploy|deployment|ops|ci|\.ci|tools)\/[^/]+$/.test(lowerPath) || /^(deploy|release|redeploy|ship|rollout|provision)([-_][\w-]+)?$/.test(name);
}

/**
 * The scripts deploy commands are read from: `.sh` files and the conventional start-script names as they are; an
 * extensionless deploy script only when its first line is a shell's shebang (a Ruby binstub in bin/ is not one).
 */
function deployScripts(ctx: Context, scripts: string[]): string[] {
  return scripts.filter((path) => isShellScript(path, (p) => ctx.host.read(p)));
}

/** False for a file named like an extensionless deploy script whose first line is not a shell's shebang (a Ruby binstub in bin/): the audit does not read it. */
export function isShellScript(path: string, read: (path: string) => string | undefined): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  return name.includes(".") || STARTING_SCRIPT.test(name) || fileKind(path) !== "shell" || hasShellShebang(read(path));
}

/**
 * supervisord configs: supervisord.conf (supervisor.conf, supervisord-web.conf, …), and `.conf`/`.ini`
 * files in a supervisor/ or supervisord/ folder (`docker/supervisor/conf.d/web.conf`); `.ini` files in
 * conf.d/, where supervisord includes them. A `.conf` in a conf.d/ folder elsewhere is nginx's by
 * name; one that holds supervisord sections is read as supervisord's (model/supervisor.ts).
 */
function isSupervisorName(name: string, lowerPath: string): boolean {
  if (/^supervisord?([.-][\w.-]*)?\.(conf|ini)$/.test(name)) return true;
  return /(^|\/)supervisord?\/(.+\/)?[^/]+\.(conf|ini)$/.test(lowerPath) || /(^|\/)conf\.d\/[^/]+\.ini$/.test(lowerPath);
}

/**
 * nginx configs: nginx.conf and names with nginx in them (test-nginx.conf, nginx.sample.conf,
 * nginx-template.conf, nginx.tpl), `.conf` files in nginx/, conf.d/ and sites-* folders, the
 * official image's envsubst templates (`*.conf.template`, which it renders into conf.d), and any
 * file in sites-enabled/ or sites-available/ (Debian's layout names them without an extension).
 */
function isNginxName(name: string, lowerPath: string): boolean {
  if (/^([\w.-]*[.-])?nginx([.-][\w.-]*)?\.(conf|tpl)$/.test(name) || name.endsWith(".conf.template")) return true;
  if (/(^|\/)sites-(available|enabled)\/[^/]+$/.test(lowerPath) && !name.startsWith(".")) return true;
  return name.endsWith(".conf") && /(^|\/)(nginx|conf\.d|sites-(available|enabled))\//.test(lowerPath);
}

/**
 * What building deployments reads and changes. The collections are typed by the operations used,
 * so that model/reuse.ts can record them while one deployment is built and replay them later.
 */
export interface Context {
  host: WorkspaceHost;
  paths: string[];
  /** The same paths, for constant-time lookups: linking asks "is this file here?" once per candidate. */
  pathSet: Pick<Set<string>, "has">;
  /** The folders that hold the paths (at any depth), for constant-time "is this folder here?" (model/reuse.ts records the answers). */
  folders: Pick<Set<string>, "has">;
  /** The same paths by file name, built on first use: findNearby looks names up anywhere below a folder. */
  names: { byName?: Map<string, string[]> };
  problems: Pick<ParseProblem[], "push">;
  /** Files that some deployment already consumed, so they do not also stand alone. */
  claimed: { add(path: string): void };
  /** Parsed files, so a file shared by several deployments is read once per audit. */
  cache: { has(key: string): boolean; get(key: string): unknown; set(key: string, value: unknown): void };
  /** Parses kept between audits by the caller (the language server), reused while a file's text is unchanged. */
  parses: ParseMemo;
  /** Compose services that run PostgreSQL (model/databases.ts postgresImage), for the databases. */
  postgres: Pick<PostgresService[], "push">;
  /**
   * The image whose command is being followed, when a Dockerfile builds it: its COPY/ADD lines say which build-context
   * file a script the command names by its path in the container is (`COPY scripts/start-prod.sh /start.sh`).
   */
  image?: { stage: DockerfileStage; contextDir: string };
  /** Told each findNearby answer (model/reuse.ts records them). */
  onNearby?: (dir: string, name: string, found: string | undefined) => void;
  /**
   * Told each parse kept between audits that it used and that moves with its file (commandLine), or nothing for one
   * kept by its place (model/reuse.ts moves the first kind with the deployment, and builds a deployment that used the second).
   */
  onKeptParse?: (parse: { at: SourceRef } | undefined) => void;
  /** Each deployment of this audit copied from one kept from an earlier audit, to that one (model/reuse.ts). */
  copiedFrom: Map<Deployment, KeptDeployment>;
  /** The edits since the texts kept deployments were placed in, worked out once per audit (model/placement.ts). */
  textChanges: TextChanges;
}

/** `poolEnv`: the environment names that size pools (model/pools.ts poolEnvTable, with headroom.yml's `pools.env`). */
export function buildModel(host: WorkspaceHost, paths: string[], problems: ParseProblem[], parses: ParseMemo = NO_MEMO, poolEnv: readonly PoolEnvName[] = POOL_ENV): DeploymentModel {
  const claimed = new Set<string>();
  const cache = new Map<string, unknown>();
  const postgres: PostgresService[] = [];
  const ctx: Context = { host, paths, pathSet: new Set(paths), folders: folderSet(paths), names: {}, problems, claimed, cache, parses, postgres, copiedFrom: new Map(), textChanges: new Map() };
  const deployments: Deployment[] = [];
  const ofKind = pathsByKind(paths);
  // The files an AutoScalingConfigurationArn is looked up in, the same array while they are the same paths: a kept App
  // Runner deployment is built again when one is added or removed (model/reuse.ts compares it).
  const serviceFiles = ofKind("service.json");
  const autoScalingFiles = samePaths(parses, APPRUNNER_FILES, serviceFiles);
  // service.json first: one that takes its run settings from the repository claims that apprunner.yaml.
  for (const kind of ["service.json", "apprunner.yaml"] as const) {
    for (const path of ofKind(kind).filter((p) => !claimed.has(p))) {
      // Kept between audits like a compose service: an edit elsewhere in a monorepo does not build it again.
      const anchors = [{ file: path, nameSpan: { start: 0, end: 0 } }];
      const deployment = reusedDeployment(ctx, `apprunner:${path}`, [kind, autoScalingFiles], anchors, (c) => appRunnerDeployment(c, path, kind, autoScalingFiles), findNearby);
      if (deployment) deployments.push(deployment);
    }
  }
  const platformDatabases: Database[] = [];
  for (const path of ofKind("render.yaml")) {
    const render = renderModel(ctx, path);
    deployments.push(...render.services.map((service) => platformDeployment(ctx, service)));
    platformDatabases.push(...render.databases);
  }
  for (const path of ofKind("fly.toml")) deployments.push(...flyServices(ctx, path).map((service) => platformDeployment(ctx, service)));
  // heroku.yml's run section replaces the Procfile beside it on Heroku's container stack.
  const herokuYmlDirs = new Set<string>();
  for (const path of ofKind("heroku.yml")) {
    const heroku = herokuYmlModel(ctx, path, herokuAppJson(ctx, dirOf(path)));
    if (heroku.services.length > 0) herokuYmlDirs.add(dirOf(path));
    const services = heroku.services.map((service) => platformDeployment(ctx, service));
    deployments.push(...services);
    if (heroku.postgres) platformDatabases.push(herokuDatabase(heroku.postgres, services.filter(isDatabaseClient)));
  }
  const scripts = deployScripts(ctx, ofKind("shell"));
  const runnerTexts = [...scripts, ...ofKind("makefile"), ...ofKind("ci")];
  for (const path of ofKind("kamal").filter(isKamalBase)) {
    // Each destination a deploy script, Makefile or CI job runs (`kamal deploy -d production`), else the file alone.
    const destinations = kamalDestinations(ctx, path, runnerTexts, ofKind("kamal"));
    for (const destination of destinations.length > 0 ? destinations : [undefined]) deployments.push(...kamalServices(ctx, path, destination).map((service) => platformDeployment(ctx, service)));
  }
  // The files supervisord configs may be, the same array while they are the same paths (model/reuse.ts compares it).
  const supervisorFiles = [...ofKind("supervisor"), ...ofKind("nginx").filter((p) => /(^|\/)conf\.d\/[^/]+\.conf$/.test(p))];
  const supervisorCandidates = samePaths(parses, SUPERVISOR_CANDIDATES, supervisorFiles);
  ctx.cache.set(SUPERVISOR_CANDIDATES, supervisorCandidates);
  // The files s6-overlay's run scripts may be when a folder of them is copied (model/s6-overlay.ts), the same array while they are the same paths.
  const runFiles = ofKind("shell").filter((p) => p === "run" || p.endsWith("/run"));
  ctx.cache.set(S6_RUN_FILES, samePaths(parses, S6_RUN_FILES, runFiles));
  const runners = { scripts, makefiles: ofKind("makefile"), ci: ofKind("ci") };
  for (const project of composeProjects(ctx, ofKind("compose"), ofKind("dotenv"), runners)) deployments.push(...composeDeployments(ctx, project));
  const procfiles = ofKind("procfile").filter((path) => !(herokuYmlDirs.has(dirOf(path)) && basename(path) === "Procfile"));
  for (const path of procfiles) deployments.push(...procfileDeployments(ctx, path));
  for (const path of supervisorCandidates.filter((p) => !claimed.has(p))) {
    const deployment = supervisorDeployment(ctx, path);
    if (deployment) deployments.push(deployment);
  }
  for (const path of ofKind("systemd")) {
    const deployment = systemdDeployment(ctx, path);
    if (deployment) deployments.push(deployment);
  }
  deployments.push(...standaloneImages(ctx, ofKind("dockerfile").filter((p) => !claimed.has(p)), deployments));
  for (const path of scripts.filter((p) => !claimed.has(p))) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    // A deploy script kept without an extension is read for its deploy commands, not as a server's start script.
    if (!/\.\w+$/.test(name) && !(STARTING_SCRIPT.test(name.toLowerCase()) && hasShellShebang(host.read(path)))) continue;
    const deployment = newDeployment(`script:${path}`, path, [path]);
    addScriptProcesses(ctx, deployment, path, () => undefined, { words: [], dir: dirOf(path) }, 0);
    if (deployment.processes.length > 0 || deployment.devServers) deployments.push(deployment);
  }
  // Rails initializers, the same array while they are the same paths (a kept pool reading is read again when one is added).
  const initializerFiles = [...ofKind("rails-config"), ...ofKind("sidekiq-initializer")].filter((p) => INITIALIZER.test(p)).sort();
  const initializers = samePaths(parses, RAILS_INITIALIZERS, initializerFiles);
  for (const deployment of deployments) {
    // An nginx or redis service given the app's env_file reads DB_POOL_SIZE too, but opens no database connection.
    if (!isDatabaseClient(deployment) || isReleasePhase(deployment)) continue;
    // A pool variable says how big a pool would be, not that anything opens one: a service that only inherits it
    // (dify's shared anchor gives it to a Go plugin daemon) counts when what it runs is known to be the app's code.
    if (!runsAppCode(deployment)) {
      // A one-off task (a migration service) holds its connections only while it runs: no pool, and nothing to note.
      if (deployment.oneOffTask) continue;
      const inherited = poolEnv.find((entry) => deployment.env.has(entry.name));
      if (inherited) deployment.poolNotCounted = inherited.name;
      continue;
    }
    const { pool, sidePools } = reusedReading(ctx, `pools:${deployment.id}`, deployment, [poolEnv, initializers], (c) => readPools(c, deployment, poolEnv, initializers), findNearby);
    if (pool) deployment.pool = pool;
    if (sidePools.length > 0) deployment.sidePools = sidePools;
  }
  const databases = findDatabases(host, paths, postgres, deployments, [...platformDatabases, ...herokuDatabases(ctx, procfiles, deployments)]);
  const composeFiles = new Map<string, ComposeFile>();
  for (const [key, value] of cache) if (key.startsWith(COMPOSE_READ)) composeFiles.set(key.slice(COMPOSE_READ.length), value as ComposeFile);
  const poolers = findPgBouncers(host, parses, paths, deployments, databases, composeFiles);
  // A conf.d/*.conf that holds supervisord's programs is not nginx's.
  const maybeSupervisor = new Set(supervisorCandidates);
  const nginxFiles = ofKind("nginx").filter((p) => !(maybeSupervisor.has(p) && readSupervisorConf(ctx, p)?.recognised));
  const placed = placedNginxConfigs(ctx, ofKind("dockerfile"), composeFiles);
  const placedMains = new Set<string>();
  for (const [path, placement] of placed) {
    if (placement === "main") placedMains.add(path);
    if (!ctx.pathSet.has(path)) nginxFiles.push(path);
  }
  const built = buildProxies(host, nginxFiles, problems, deployments, parses, placedMains);
  linkMountingServices(built, composeFiles, deployments);
  // A config whose only container mounts another file over it is not what any nginx reads: it is not audited as one.
  const shadowed = linkBuildingServices(built, deployments, (deployment) => imageCopies(ctx, deployment));
  const proxies = shadowed.size === 0 ? built : built.filter((proxy) => !shadowed.has(proxy));
  linkUnitBackends(proxies, deployments);
  const envFiles = new Map<string, Map<string, Fact<string>>>();
  for (const [key, value] of cache) if (key.startsWith(ENV_FILE_READ)) envFiles.set(key.slice(ENV_FILE_READ.length), value as Map<string, Fact<string>>);
  return { deployments, databases, poolers, proxies, composeFiles, envFiles };
}

/**
 * nginx configs kept under other names (label-studio's deploy/default.conf), found where a Dockerfile's COPY/ADD or a
 * compose bind mount puts them in nginx's container: at /etc/nginx/nginx.conf (read as the main file) or in a folder the
 * stock nginx.conf includes (nginxPlacement). A COPY source is looked up in the Dockerfile's folder, then the folders
 * above it (the build context may be one of them); a mount's source in the compose file's folder. Files of another kind
 * (a supervisord or shell file) and paths outside the workspace or written with variables or wildcards are left out.
 */
function placedNginxConfigs(ctx: Context, dockerfiles: string[], composeFiles: ReadonlyMap<string, ComposeFile>): Map<string, "main" | "included"> {
  const placed = new Map<string, "main" | "included">();
  const place = (path: string, placement: "main" | "included") => {
    const kind = fileKind(path);
    if ((kind === undefined || kind === "nginx") && placed.get(path) !== "main") placed.set(path, placement);
  };
  const plain = (source: string) => !/^[/~]/.test(source) && !/[*?[$]/.test(source);
  // Read, not looked up in the paths: a config kept under another name is not a deployment file by name.
  const exists = (path: string) => ctx.host.read(path) !== undefined;
  for (const dockerfile of dockerfiles) {
    const text = ctx.host.read(dockerfile);
    if (text === undefined) continue;
    for (const copy of parsedDockerfile(ctx.parses, dockerfile, text).contextCopies) {
      const placement = plain(copy.source) ? nginxPlacement(copy.destination, copy.source.slice(copy.source.lastIndexOf("/") + 1)) : undefined;
      if (!placement) continue;
      const found = ancestors(dirOf(dockerfile)).find((dir) => !climbsOut(dir, copy.source) && exists(join(dir, copy.source)));
      if (found !== undefined) place(join(found, copy.source), placement);
    }
  }
  for (const [file, compose] of composeFiles) {
    for (const service of compose.services.values()) {
      for (const bind of service.bindSources) {
        const placement = bind.target && plain(bind.path) ? nginxPlacement(bind.target, bind.path.slice(bind.path.lastIndexOf("/") + 1)) : undefined;
        if (!placement || climbsOut(dirOf(file), bind.path)) continue;
        const path = join(dirOf(file), bind.path);
        if (exists(path)) place(path, placement);
      }
    }
  }
  return placed;
}

/** The COPY/ADD lines from the build context of the stage a compose service builds. */
function imageCopies(ctx: Context, deployment: Deployment): ImageCopy[] {
  const build = deployment.imageBuild;
  const text = build && ctx.host.read(build.dockerfile);
  if (!build || text === undefined) return [];
  const copies: ImageCopy[] = [];
  const stage = targetStage(parsedDockerfile(ctx.parses, build.dockerfile, text), build.target);
  for (const copy of stage.copies) {
    if (copy.fromContext) copies.push({ sources: copy.sources, destination: copy.destination, workdir: copy.workdir ?? BASE_WORKDIR, at: { file: build.dockerfile, start: copy.start, end: copy.end } });
  }
  return copies;
}

/** A compose file as parsed, once per text for whoever holds the memo. */
function parsedCompose(parses: ParseMemo, file: string, text: string): ComposeFile {
  return parses.get(`compose:${file}`, text, () => parseComposeFile(text, file, parses));
}

/** A Dockerfile as parsed, once per text for whoever holds the memo. */
function parsedDockerfile(parses: ParseMemo, path: string, text: string): Dockerfile {
  return parses.get(`dockerfile:${path}`, text, () => parseDockerfile(text, path));
}

/** An App Runner service.json or apprunner.yaml as parsed, once per text for whoever holds the memo. */
function parsedAppRunner(parses: ParseMemo, kind: "service.json" | "apprunner.yaml", path: string, text: string): AppRunnerService {
  return parses.get(`${kind}:${path}`, text, () => (kind === "service.json" ? parseServiceJson(text, path) : parseAppRunnerYaml(text, path)));
}

/**
 * For a one-shot audit (the CLI, whose memo keeps nothing between audits): parses the compose files,
 * Dockerfiles and App Runner JSON files in one pass, in path order, before the model is built, which then
 * finds each parse in the memo. The same calls on the same texts, so the model is the same; parsed in
 * between the model's own work they cost about a tenth more of the audit's time on the bench monorepo
 * (docs/performance.md, item 37). A parse the model turns out not to need is the floor's work anyway.
 */
export function parseAhead(host: WorkspaceHost, paths: readonly string[], parses: ParseMemo): void {
  for (const path of paths) {
    const kind = fileKind(path);
    if (kind !== "compose" && kind !== "dockerfile" && kind !== "service.json") continue;
    const text = host.read(path);
    if (text === undefined) continue;
    if (kind === "compose") parsedCompose(parses, path, text);
    else if (kind === "dockerfile") parsedDockerfile(parses, path, text);
    else parsedAppRunner(parses, kind, path, text);
  }
}

/** A deployment's connection pools, from its settings and the app's code (Active Record, Django, SQLAlchemy). */
function readPools(ctx: Context, deployment: Deployment, poolEnv: readonly PoolEnvName[], initializers: readonly string[]): { pool?: Pool; sidePools: Pool[] } {
  const rails = railsDatabase(ctx, deployment, initializers);
  const django = djangoConnections(ctx, deployment);
  const engine = sqlalchemyEngine(ctx, deployment);
  const pool = readPool(deployment, rails, django, poolEnv, engine);
  // Puma's `plugin :solid_queue` runs a supervisor beside the server in each instance (forked, or in its own process).
  const sidePools = deployment.processes.flatMap((p) => (p.solidQueue?.inPuma ? [solidQueuePool(p.solidQueue, queueDatabasePool(deployment, rails), jobDatabases(deployment, rails), pumaHeldConnections(p, pool))] : []));
  // Servers that run side by side in one instance (supervisord's programs, a script's `&` servers) each open their own
  // pools. Not those in a branch of a start script (one of them runs), nor a second of the first one's kind.
  const [first, ...others] = deployment.processes;
  if (pool && first && !first.guards?.length) {
    for (const process of others) {
      if (process.guards?.length || process.invocation.server === first.invocation.server) continue;
      const side = readPool(deployment, rails, django, poolEnv, engine, process);
      if (side) sidePools.push(side);
    }
  }
  return { ...(pool ? { pool } : {}), sidePools };
}

/** The paths of each kind, in order: each path's kind is worked out once, not once per kind. */
function pathsByKind(paths: string[]): (kind: FileKind) => string[] {
  const byKind = new Map<FileKind, string[]>();
  for (const path of paths) {
    const kind = fileKind(path);
    if (kind === undefined) continue;
    const same = byKind.get(kind);
    if (same) same.push(path);
    else byKind.set(kind, [path]);
  }
  return (kind) => byKind.get(kind) ?? [];
}

function newDeployment(id: string, name: string, files: string[]): Deployment {
  return { id, name, files: new Set(files), links: [], instances: { value: 1, origin: "assumed", by: "Headroom" }, env: new Map(), processes: [] };
}

// ---------------------------------------------------------------------------------------------
// App Runner

/**
 * A service.json whose code repository has `ConfigurationSource: REPOSITORY` runs with the command,
 * environment and port of the repository's apprunner.yaml (in its SourceDirectory): that file, read
 * as part of this deployment, on this service's instance size.
 */
function repositoryRunConfig(ctx: Context, deployment: Deployment, service: AppRunnerService): AppRunnerService | undefined {
  if (service.kind !== "service.json" || service.codeConfiguration?.source !== "REPOSITORY") return undefined;
  // SourceDirectory is "absolute from root" of the repository and defaults to it (App Runner's CodeRepository API):
  // a service.json kept in infra/ reads the root's apprunner.yaml. Its own folder stays a fallback for a workspace
  // opened below the repository root.
  const source = (service.codeConfiguration.sourceDirectory ?? "").replace(/^\/+|\/+$/g, "");
  const path = [join("", source), join(dirOf(service.file), source)]
    .map((dir) => existing(ctx, join(dir, "apprunner.yaml")) ?? existing(ctx, join(dir, "apprunner.yml")))
    .find((found) => found !== undefined);
  const text = path === undefined ? undefined : ctx.host.read(path);
  if (path === undefined || text === undefined) return undefined;
  const run = parsedAppRunner(ctx.parses, "apprunner.yaml", path, text);
  if (!run.recognised) return undefined;
  ctx.problems.push(...run.problems);
  ctx.claimed.add(path);
  deployment.files.add(path);
  deployment.links.push({ from: service.file, to: path, why: "ConfigurationSource REPOSITORY: App Runner runs the command and environment of the repository's apprunner.yaml" });
  return run;
}

/**
 * The autoscaling configuration of this name among the workspace's App Runner JSON files, when exactly one MaxSize is
 * written for it (several files of the name with different sizes say nothing about which revision the service runs).
 */
function autoScalingConfiguration(ctx: Context, name: string, serviceFiles: readonly string[]): { name: string; file: string; maxSize: Fact<number> } | undefined {
  let found: { name: string; file: string; maxSize: Fact<number> } | undefined;
  for (const path of serviceFiles) {
    const text = ctx.host.read(path);
    const configuration = text === undefined ? undefined : parsedAppRunner(ctx.parses, "service.json", path, text).autoScalingConfiguration;
    if (configuration?.name !== name || !configuration.maxSize) continue;
    if (found && found.maxSize.value !== configuration.maxSize.value) return undefined;
    found ??= { name, file: path, maxSize: configuration.maxSize };
  }
  return found;
}

/** `serviceFiles`: the workspace's App Runner JSON files, where the autoscaling configuration an ARN names is looked up. */
function appRunnerDeployment(ctx: Context, path: string, kind: "service.json" | "apprunner.yaml", serviceFiles: readonly string[]): Deployment | undefined {
  const text = ctx.host.read(path);
  if (text === undefined) return undefined;
  const service = parsedAppRunner(ctx.parses, kind, path, text);
  ctx.problems.push(...service.problems);
  if (!service.recognised) return undefined;
  const deployment = newDeployment(`apprunner:${path}`, path, [path]);
  // App Runner's default instance size is 1 vCPU / 2 GB when the input does not set one; a value it refuses sizes nothing.
  if (service.cpu || !service.unaccepted?.cpu) deployment.cpus = service.cpu ?? { value: 1, origin: "default", by: "AWS App Runner", at: { file: path, start: 0, end: 0 } };
  if (service.memoryMiB || !service.unaccepted?.memory) deployment.memoryMiB = service.memoryMiB ?? { value: 2048, origin: "default", by: "AWS App Runner" };
  // Without an AutoScalingConfigurationArn, App Runner applies its default configuration (MaxSize 25).
  // The configuration the ARN names, kept in the workspace with its MaxSize: the instances are that maximum.
  const configuration = service.autoScaling ? autoScalingConfiguration(ctx, service.autoScaling.value, serviceFiles) : undefined;
  if (configuration) {
    deployment.instances = configuration.maxSize;
    deployment.instancesAreMax = true;
    deployment.files.add(configuration.file);
    deployment.links.push({ from: path, to: configuration.file, why: `AutoScalingConfigurationArn names ${configuration.name}, whose MaxSize is set here` });
  } else deployment.autoscaling = service.autoScaling ?? { value: "DefaultConfiguration", origin: "default", by: "AWS App Runner" };
  const runConfig = repositoryRunConfig(ctx, deployment, service);
  deployment.appRunner = { service, ...(runConfig ? { runConfig } : {}) };
  const run = runConfig ?? service;
  deployment.env = new Map(run.env);
  // A source-code service (apprunner.yaml) gets its port in PORT, and in the variable `network.env` names too (SOURCES.appRunnerConfigFile).
  if (run.kind === "apprunner.yaml") {
    const port: Fact<string> = run.port ? { value: String(run.port.value), origin: "stated", ...(run.port.at ? { at: run.port.at } : {}) } : { value: "8080", origin: "default", by: "AWS App Runner" };
    for (const name of ["PORT", ...(run.portEnv ? [run.portEnv] : [])]) if (!deployment.env.has(name)) deployment.env.set(name, port);
  }
  const env = lookupIn(deployment.env);
  if (run.startCommand) {
    const command = run.startCommand;
    const script = parseCommandLine(command.text, command.at.file, command.starts[0] ?? command.at.start, env, { starts: command.starts, ends: command.ends });
    addCommandProcesses(ctx, deployment, script, dirOf(path), env, { words: [], dir: dirOf(path) }, 0);
  } else {
    const dir = dirOf(path);
    // Teams keep service.json in deploy/ or infra/apprunner/ and the image's Dockerfile at the repository root:
    // the Dockerfile of its own folder, else the closest one in a folder above it.
    const dockerfile = existing(ctx, join(dir, "Dockerfile")) ?? dockerfileAbove(ctx, dir);
    if (dockerfile) {
      const where = dirOf(dockerfile) === dir ? "in the same folder" : `in ${dirOf(dockerfile) || "the workspace root"}, above ${path}`;
      deployment.links.push({ from: path, to: dockerfile, why: `the Dockerfile ${where} builds the image App Runner runs` });
      addDockerfileProcesses(ctx, deployment, dockerfile, undefined, undefined, dirOf(dockerfile), env);
    } else {
      for (const name of ["start.sh", "entrypoint.sh", "docker-entrypoint.sh", "run.sh", "Procfile"]) {
        const script = existing(ctx, join(dir, name));
        if (!script) continue;
        deployment.links.push({ from: path, to: script, why: `${name} in the same folder starts the service` });
        if (fileKind(script) === "procfile") addProcfileWeb(ctx, deployment, script, env);
        else addScriptProcesses(ctx, deployment, script, env, { words: [], dir: dirOf(script) }, 0);
        break;
      }
    }
  }
  return deployment;
}

/**
 * `paths`, as the same array as in the last audit while they are the same paths: a kept deployment or reading that took
 * such a list as an input (model/reuse.ts compares inputs by identity) is built again only when a path is added or removed.
 */
function samePaths(parses: ParseMemo, key: string, paths: string[]): string[] {
  return parses.get(key, paths.join("\n"), () => paths);
}

/** The Dockerfile of the closest folder above `dir` (its parent, then up to the workspace root). */
function dockerfileAbove(ctx: Context, dir: string): string | undefined {
  for (let up = dir; up !== ""; ) {
    up = dirOf(up);
    const found = existing(ctx, join(up, "Dockerfile"));
    if (found) return found;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Platform descriptors (render.yaml, fly.toml, heroku.yml, Kamal's deploy.yml)

/** A service as its platform's descriptor states it: sized there, running its command, or its Dockerfile's with the command in place of CMD. */
function platformDeployment(ctx: Context, service: PlatformService): Deployment {
  const deployment = newDeployment(service.id, service.name, service.files);
  if (service.instances) deployment.instances = service.instances;
  if (service.instancesUnknown) deployment.instancesUnknown = service.instancesUnknown;
  if (service.instancesAreMax) deployment.instancesAreMax = true;
  if (service.proxyConcurrency) deployment.proxyConcurrency = service.proxyConcurrency;
  if (service.cpus) deployment.cpus = service.cpus;
  if (service.memoryMiB) deployment.memoryMiB = service.memoryMiB;
  if (service.portSetBy) deployment.portSetBy = service.portSetBy;
  deployment.env = new Map(service.env);
  deployment.links.push(...service.links);
  const env = lookupIn(deployment.env);
  const command = service.command && commandLine(ctx, service.command.text, service.command.at, env, textSpans(ctx, service.command.at, service.command.text), service.id);
  if (service.dockerfile) addDockerfileProcesses(ctx, deployment, service.dockerfile, command && startingWords(command, true), undefined, service.dockerContext ?? dirOf(service.dockerfile), env, service.buildArgs, service.target);
  else if (command) addCommandProcesses(ctx, deployment, command, service.dir, env, { words: [], dir: service.dir }, 0);
  return deployment;
}

// ---------------------------------------------------------------------------------------------
// Compose

function isOverride(path: string): boolean {
  return /\.override\.ya?ml$/i.test(path);
}

/**
 * Compose files merged in order, as one `docker compose` project: `key` names it (deployment ids
 * are `compose:<key>#<service>`; its folder is the project's), `files[0]` is the base.
 */
interface ComposeProject {
  key: string;
  files: string[];
  /** Why the later files merge over the first, for the links. */
  why: string;
  /** The script or Makefile command that names the files with `-f`, when one does: the project is named after it. */
  runBy?: { at: SourceRef; source: string; target?: string };
  /** The command's `--env-file` files, in order: they replace the project directory's .env for interpolation. */
  envFiles?: string[];
  /** The profiles the commands that run the project activate (`--profile`, COMPOSE_PROFILES), when one says. */
  profiles?: string[];
  /** `--project-directory`: where relative paths and .env resolve, instead of the first file's folder. */
  dir?: string;
  /**
   * The services the `up` commands that run the project name (with those `run` keeps running), when none of them
   * starts every service: the others are not started. Each name is kept at the word that names it.
   */
  started?: { named: Map<string, SourceRef>; dependenciesOf: Set<string> };
  /** `--scale SERVICE=NUM`: the containers of a service, over its `scale:`/`deploy.replicas`. */
  scale?: Map<string, Fact<number>>;
  /** The files the project's `include:` entries bring in (those files' own includes too), each with the file that includes it. */
  included?: Map<string, string>;
}

/** What the commands that run one project start, gathered over all of them (model/compose-commands.ts StartedServices). */
interface Starts {
  /** An `up` runs the project: without one (only one-off `run`s), which services run cannot be told. */
  up: boolean;
  /** An `up` that names no service (or one known only at run time) starts every service. */
  all: boolean;
  named: Map<string, SourceRef>;
  /** `run SERVICE COMMAND`: SERVICE's container is a one-off; what it depends on keeps running. */
  dependenciesOf: Set<string>;
  scale: Map<string, Fact<number>>;
}

function addStarts(into: Starts, started: StartedServices): void {
  if (started.subcommand === "up") {
    into.up = true;
    if (started.services.length === 0 || started.unknown) into.all = true;
  }
  for (const service of started.services) {
    if (started.oneOff) into.dependenciesOf.add(service.name);
    else if (!into.named.has(service.name)) into.named.set(service.name, service.at);
  }
  // Two commands scaling the same service: the larger count, what the project may run at once.
  for (const [service, count] of started.scale ?? []) if ((into.scale.get(service)?.value ?? -1) < count.value) into.scale.set(service, count);
}

/**
 * The projects of the workspace's compose files (`files`, all of kind compose):
 * - the files COMPOSE_FILE in a .env lists, and each `-f` list a shell script or a Makefile recipe
 *   runs `docker compose` with (one project per distinct list, named after the first place that
 *   runs it: dev.sh's and deploy.sh's lists are two deployments); a file any of them names is not
 *   also a project of its own, so its services are not reported twice;
 * - `docker-compose.yml` (or `compose.yaml`, …) with its `.override` file, which docker compose merges by default;
 * - a variant named `<stem>.<name>.yml` beside a `<stem>.yml` base (docker-compose.prod.yml,
 *   compose.production.yaml, docker-compose.nginx.yml) is an add-on, merged over the base as
 *   `docker compose -f base -f variant` does (without the override, which `-f` turns off), when
 *   it cannot run alone: one of its services has no image, build or extends, so it only adds to
 *   the base's service of that name. A variant whose services are all complete is a project of
 *   its own (it is run as `docker compose -f variant`).
 */
function composeProjects(ctx: Context, files: string[], dotenvs: string[], runners: { scripts: string[]; makefiles: string[]; ci: string[] }): ComposeProject[] {
  const projects = composeFileProjects(ctx, dotenvs);
  projects.push(...commandProjects(ctx, runners, projects));
  // A file COMPOSE_FILE or a command lists is run as part of that project, not on its own; so is a file another one includes.
  const listed = new Set(projects.flatMap((p) => p.files));
  for (const file of includedByOthers(ctx, files)) listed.add(file);
  for (const file of files.filter((p) => !isOverride(p) && !listed.has(p))) {
    const base = variantBase(ctx, file);
    if (base && isAddOn(ctx, file)) {
      projects.push({ key: file, files: [base, file], why: `an add-on file, merged over ${base} as \`docker compose -f ${base} -f ${file}\` does` });
      continue;
    }
    const stem = file.replace(/\.ya?ml$/i, "");
    const override = existing(ctx, `${stem}.override.yml`) ?? existing(ctx, `${stem}.override.yaml`);
    projects.push({ key: file, files: override ? [file, override] : [file], why: "docker compose merges the override file over the base file by default" });
  }
  return projects;
}

/**
 * A project for each distinct `-f` list the workspace's scripts and Makefiles run `docker compose` with
 * (a list equal to an earlier project's adds nothing). Paths are relative to the folder the command
 * runs in: a Makefile's own; for a script its folder or, when the files are not there, the closest
 * folder above it that has them all. A list with a file the workspace lacks is left out.
 */
function commandProjects(ctx: Context, runners: { scripts: string[]; makefiles: string[]; ci: string[] }, earlier: ComposeProject[]): ComposeProject[] {
  const projects: ComposeProject[] = [];
  const seen = new Map<string, ComposeProject | undefined>(earlier.map((p) => [p.files.join("\n"), undefined]));
  const keys = new Set(earlier.map((p) => p.key));
  const starts = new Map<string, Starts>();
  const lists = [
    ...runners.makefiles.flatMap((path) => makefileComposeLists(path, ctx.host.read(path) ?? "", ctx.parses)),
    ...runners.scripts.flatMap((path) => scriptComposeLists(path, ctx.host.read(path) ?? "", ctx.parses)),
    ...runners.ci.flatMap((path) => ciComposeLists(path, ctx.host.read(path) ?? "", ctx.parses)),
  ];
  for (const list of lists) {
    // A file `-f` names may have any name (cookiecutter-django's production.yml): read when it is YAML.
    const isComposeFile = (f: string | undefined) => f !== undefined && (fileKind(f) === "compose" ? ctx.pathSet.has(f) : /\.ya?ml$/i.test(f) && ctx.host.read(f) !== undefined);
    // No `-f`: the default files of the project directory (`--project-directory`, else the folder it runs in).
    const projectDir = (dir: string) => (list.projectDirectory === undefined ? undefined : join(dir, list.projectDirectory));
    const named = (dir: string) => (list.files.length > 0 ? list.files.map((f) => (f.startsWith("/") ? undefined : join(dir, f))) : defaultComposeFiles(ctx, projectDir(dir) ?? dir));
    const runDir = list.runDirs.find((dir) => { const resolved = named(dir); return resolved.length > 0 && resolved.every(isComposeFile); });
    const files = runDir === undefined ? undefined : named(runDir);
    const envFiles = runDir === undefined ? undefined : list.envFiles?.map((f) => (f.startsWith("/") ? undefined : join(runDir, f)));
    // An env file the workspace lacks (kept on the server) leaves the project to the files' own .env.
    const envKnown = envFiles?.every((f) => f !== undefined && ctx.host.read(f) !== undefined) ? (envFiles as string[]) : undefined;
    const dir = runDir === undefined ? undefined : projectDir(runDir);
    if (!files) continue;
    const identity = [...files, ...(envKnown ?? []).map((f) => `env:${f}`), ...(dir !== undefined ? [`dir:${dir}`] : [])].join("\n");
    if (list.starts) {
      if (!starts.has(identity)) starts.set(identity, { up: false, all: false, named: new Map(), dependenciesOf: new Set(), scale: new Map() });
      addStarts(starts.get(identity) as Starts, list.starts);
    }
    // A plain `docker compose up -d` or a one-off `run` names no project of its own: it runs the default one.
    const selects = list.starts && list.starts.subcommand !== "run" && (list.starts.services.length > 0 || list.starts.scale);
    if (list.files.length === 0 && !envKnown && !list.profiles && dir === undefined && !selects) continue;
    if (seen.has(identity)) {
      // The same project run again (`pull`, then `--profile worker up -d`): its services run under every profile an `up` activates.
      const same = seen.get(identity);
      if (same && list.profiles) same.profiles = [...new Set([...(same.profiles ?? []), ...list.profiles])];
      continue;
    }
    const paths = files as string[];
    // Named by its files, in the first file's folder (the project directory), unique among the projects.
    let key = join(dirOf(paths[0]), paths.map((f) => f.slice(f.lastIndexOf("/") + 1)).join("+"));
    for (let n = 2; keys.has(key); n++) key = `${key.replace(/@\d+$/, "")}@${n}`;
    keys.add(key);
    const options = [...(dir !== undefined ? [`--project-directory ${dir || "."}`] : []), ...(envKnown ?? []).map((f) => `--env-file ${f}`), ...(list.profiles ?? []).map((p) => `--profile ${p}`)];
    const command = `docker compose ${[...options, ...(list.files.length > 0 ? paths.map((f) => `-f ${f}`) : [])].join(" ")}`;
    const why = list.files.length > 0 ? `\`${command}\` (${list.source}) merges the files in this order` : `\`${command}\` (${list.source}) runs the default files${envKnown ? " with this env file" : ""}`;
    const project: ComposeProject = { key, files: paths, why, runBy: { at: list.at, source: list.source, ...(list.target ? { target: list.target } : {}) }, ...(envKnown ? { envFiles: envKnown } : {}), ...(list.profiles ? { profiles: [...list.profiles] } : {}), ...(dir !== undefined ? { dir } : {}) };
    seen.set(identity, project);
    projects.push(project);
  }
  for (const [identity, project] of seen) {
    const gathered = project && starts.get(identity);
    if (!project || !gathered) continue;
    if (gathered.up && !gathered.all) project.started = { named: gathered.named, dependenciesOf: gathered.dependenciesOf };
    if (gathered.scale.size > 0) project.scale = gathered.scale;
  }
  return projects;
}

/** The files `docker compose` reads in `dir` without `-f`: the first default name there, and its override file. */
function defaultComposeFiles(ctx: Context, dir: string): string[] {
  for (const name of ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]) {
    const file = existing(ctx, join(dir, name));
    if (!file) continue;
    const stem = file.replace(/\.ya?ml$/i, "");
    const override = existing(ctx, `${stem}.override.yaml`) ?? existing(ctx, `${stem}.override.yml`);
    return override ? [file, override] : [file];
  }
  return [];
}

/**
 * COMPOSE_FILE in a folder's .env names the files `docker compose` merges when run there, as `-f` each
 * would (`:`-separated, or COMPOSE_PATH_SEPARATOR), relative to that folder; they may sit in other
 * folders (`docker-compose.yml:deploy/prod/compose.yml`). The project directory is the first file's folder.
 */
function composeFileProjects(ctx: Context, dotenvs: string[]): ComposeProject[] {
  const projects: ComposeProject[] = [];
  for (const envPath of dotenvs.filter((p) => p === ".env" || p.endsWith("/.env"))) {
    const env = readDotenv(ctx, envPath);
    const value = env.get("COMPOSE_FILE")?.value.trim();
    if (!value) continue;
    const separator = env.get("COMPOSE_PATH_SEPARATOR")?.value || ":";
    const files = value.split(separator).map((f) => join(dirOf(envPath), f.trim())).filter((f) => fileKind(f) === "compose" && ctx.pathSet.has(f));
    if (files.length > 0) projects.push({ key: files[0], files: [...new Set(files)], why: `COMPOSE_FILE in ${envPath} merges the files in this order, as \`docker compose -f\` does` });
  }
  return projects;
}

/** The base a variant file adds to: `docker-compose.prod.yml` → `docker-compose.yml` (or .yaml) in the same folder. */
function variantBase(ctx: Context, file: string): string | undefined {
  const m = /^(.*\/)?((?:docker-)?compose)\.[\w-]+(?:\.[\w-]+)*\.ya?ml$/i.exec(file);
  if (!m) return undefined;
  const stem = `${m[1] ?? ""}${m[2]}`;
  return existing(ctx, `${stem}.yml`) ?? existing(ctx, `${stem}.yaml`);
}

function isAddOn(ctx: Context, file: string): boolean {
  const compose = readComposeFile(ctx, file);
  return [...(compose?.services.values() ?? [])].some((s) => !s.image && !s.buildContext && !s.extends);
}

/** Per-audit cache key of a compose file as read (the model hands these to the rules). */
const COMPOSE_READ = "compose-read:";
/** The variables each Dockerfile (ENV) and env file sets, as read: rules compare them without parsing again. */
const ENV_FILE_READ = "env-file-read:";

/** A compose file, parsed once per audit; its problems are reported once even when several projects merge it. */
function readComposeFile(ctx: Context, file: string): ReturnType<typeof parseComposeFile> | undefined {
  const text = ctx.host.read(file);
  if (text === undefined) return undefined;
  const compose = cached(ctx, `${COMPOSE_READ}${file}`, () => parsedCompose(ctx.parses, file, text));
  if (!ctx.cache.has(`compose-problems:${file}`)) {
    ctx.cache.set(`compose-problems:${file}`, true);
    ctx.problems.push(...compose.problems);
  }
  return compose;
}

/**
 * A service's layers, first to last: the services it `extends` (same file, or `file:` relative to
 * it), then itself. A cycle or a chain deeper than MAX_EXTENDS stops the chain where it loops.
 */
function withExtends(ctx: Context, service: ComposeService, seen: Set<string> = new Set()): ComposeService[] {
  if (!service.extends) return [service];
  const key = `${service.file}#${service.name}`;
  if (seen.has(key) || seen.size >= MAX_EXTENDS) return [service];
  seen.add(key);
  const file = service.extends.file ? join(dirOf(service.file), service.extends.file) : service.file;
  const parent = readComposeFile(ctx, file)?.services.get(service.extends.service);
  if (!parent || seen.has(`${parent.file}#${parent.name}`)) return [service];
  return [...withExtends(ctx, parent, seen), service];
}
const MAX_EXTENDS = 16;

/** An include path compose fetches (`oci://…`, a git URL) or fills in from a variable: not a workspace file Headroom can name. */
const REMOTE_OR_VARIABLE = /^[/~]|\$|:\/\/|^git@/;
/** Included files followed per project, nested includes counted: a bound on what a hostile workspace can make us read. */
const MAX_INCLUDED = 32;

/**
 * The files that files no other file includes include, directly or through other included files: they run as part of
 * the including project. Files that only include each other in a cycle stay projects of their own.
 */
function includedByOthers(ctx: Context, files: string[]): Set<string> {
  const targetsOf = (file: string) => (readComposeFile(ctx, file)?.includes ?? []).filter((path) => !REMOTE_OR_VARIABLE.test(path.value) && !climbsOut(dirOf(file), path.value)).map((path) => join(dirOf(file), path.value));
  const includedAnywhere = new Set<string>();
  const including: string[] = [];
  for (const file of files) {
    const targets = targetsOf(file);
    if (targets.length > 0) including.push(file);
    for (const target of targets) includedAnywhere.add(target);
  }
  const reached = new Set<string>();
  const queue = including.filter((file) => !includedAnywhere.has(file));
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    for (const target of targetsOf(file)) {
      if (reached.has(target) || ctx.host.read(target) === undefined) continue;
      reached.add(target);
      queue.push(target);
    }
  }
  return reached;
}

/**
 * The files the project's files include, and those files' own includes, each with the file that includes it. A path is
 * relative to the project directory for the project's own files, to the included file's folder for an included one.
 */
function includedFiles(ctx: Context, files: string[], dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const queue = files.map((file) => ({ file, base: dir }));
  for (let next = queue.shift(); next && found.size < MAX_INCLUDED; next = queue.shift()) {
    for (const path of readComposeFile(ctx, next.file)?.includes ?? []) {
      // A path above the workspace root is not a workspace file, whatever file of that name the root holds.
      if (REMOTE_OR_VARIABLE.test(path.value) || climbsOut(next.base, path.value)) continue;
      const target = join(next.base, path.value);
      if (files.includes(target) || found.has(target) || ctx.host.read(target) === undefined) continue;
      found.set(target, next.file);
      queue.push({ file: target, base: dirOf(target) });
    }
  }
  return found;
}

function composeDeployments(ctx: Context, project: ComposeProject): Deployment[] {
  const { files } = project;
  const dir = project.dir ?? dirOf(files[0]);
  const merged = new Map<string, ComposeService[]>();
  for (const file of files) {
    const compose = readComposeFile(ctx, file);
    for (const [name, service] of compose?.services ?? []) merged.set(name, [...(merged.get(name) ?? []), ...withExtends(ctx, service)]);
  }
  // `include:` (Compose 2.20+): the included files' services join the project, their relative paths resolved in their own
  // folder; a name the project already has keeps its own definition (compose refuses the conflict).
  const included = includedFiles(ctx, files, dir);
  if (included.size > 0) {
    project.included = included;
    for (const file of included.keys()) {
      for (const [name, service] of readComposeFile(ctx, file)?.services ?? []) if (!merged.has(name)) merged.set(name, withExtends(ctx, service));
    }
  }
  // `--env-file` replaces the project directory's .env (later files override earlier ones).
  const projectEnv = project.envFiles ? new Map(project.envFiles.flatMap((f) => [...readDotenv(ctx, f, true)])) : readDotenv(ctx, join(dir, ".env"));
  const deployments: Deployment[] = [];
  // Which profiles run, when the command or the project's .env says (COMPOSE_PROFILES); unknown, every service is counted.
  const fromEnv = projectEnv.get("COMPOSE_PROFILES")?.value;
  const active = project.profiles ?? (fromEnv !== undefined && !fromEnv.includes("$") ? profileNames(fromEnv) : undefined);
  const keyPrefix = `compose-deployment:${project.key}\n${files.join("\n")}\n${project.why}:${project.runBy?.at.start ?? ""}-${project.runBy?.at.end ?? ""}#`;
  const started = project.started && startedServices(merged, project.started);
  const builtHere = builtImages(merged, projectEnv);
  for (const [name, layers] of merged) {
    if (started) {
      // The commands name the services they start: compose starts those (a named service's profiles too) and what they depend on.
      if (!started.has(name)) continue;
    } else if (active && !active.includes("*")) {
      // A service with `profiles:` starts only when one of them is active (`--profile "*"` activates all).
      const profiles = layers.flatMap((layer) => layer.profiles ?? []);
      if (profiles.length > 0 && !profiles.some((p) => active.includes(p))) continue;
    }
    const startedAt = project.started?.named.get(name);
    const scale = project.scale?.get(name);
    // A service with no build of its own that runs, by `image:`, the image another service builds and tags runs that build.
    const image = layers.some((l) => l.buildContext) ? undefined : imageName(layers, projectEnv);
    const builder = image === undefined ? undefined : builtHere.get(image);
    const build = (c: Context) => composeServiceDeployment(c, project, name, layers, projectEnv, startedAt, scale, builder);
    const anchors = builder ? [...layers, ...builder.layers] : layers;
    deployments.push(reusedDeployment(ctx, keyPrefix + name, [...anchors, projectEnv, startedAt, scale], anchors, build, findNearby));
  }
  return deployments;
}

/** A service that builds an image and tags it with its `image:` (compose builds it under that name). */
interface ImageBuilder {
  name: string;
  layers: ComposeService[];
}

/**
 * The images the project's services build, by the name their `image:` tags them with. A name two services build
 * differently (another context, Dockerfile or target) is left out: which build a service runs by that name is not known.
 */
function builtImages(merged: ReadonlyMap<string, ComposeService[]>, projectEnv: ReadonlyMap<string, Fact<string>>): Map<string, ImageBuilder> {
  const built = new Map<string, ImageBuilder>();
  const ambiguous = new Set<string>();
  for (const [name, layers] of merged) {
    if (!layers.some((l) => l.buildContext)) continue;
    const image = imageName(layers, projectEnv);
    if (image === undefined || ambiguous.has(image)) continue;
    const other = built.get(image);
    if (!other) built.set(image, { name, layers });
    else if (buildOf(other.layers) !== buildOf(layers)) {
      built.delete(image);
      ambiguous.add(image);
    }
  }
  return built;
}

/** A service's `image:` with the project's variables filled in, `:latest` when it names no tag; undefined when a variable is left. */
function imageName(layers: ComposeService[], projectEnv: ReadonlyMap<string, Fact<string>>): string | undefined {
  let written: ComposeService["image"];
  for (const layer of layers) if (layer.image) written = layer.image;
  if (!written) return undefined;
  const name = interpolate({ value: written.value, origin: "stated" }, projectEnv).value.trim();
  if (name === "" || name.includes("$")) return undefined;
  // The tag follows the last path segment (a registry's port comes before a slash); a digest names one image as it is.
  return name.includes("@") || name.slice(name.lastIndexOf("/") + 1).includes(":") ? name : `${name}:latest`;
}

/** What a service builds: its context, Dockerfile and target as written (the last layer's that sets each). */
function buildOf(layers: ComposeService[]): string {
  const last = (key: "buildContext" | "dockerfile" | "buildTarget") => layers.map((l) => l[key]?.value).filter((v) => v !== undefined).pop() ?? "";
  return `${last("buildContext")}\n${last("dockerfile")}\n${last("buildTarget")}`;
}

/**
 * The services the project's commands start: those they name and, following `depends_on` (and links, `network_mode`/
 * `volumes_from` of a service), what those depend on; undefined when none of the names is a service of the project
 * (the commands run other files than these, so which services run is not told).
 */
function startedServices(merged: ReadonlyMap<string, ComposeService[]>, started: NonNullable<ComposeProject["started"]>): Set<string> | undefined {
  const roots = [...started.named.keys(), ...started.dependenciesOf].filter((name) => merged.has(name));
  if (roots.length === 0) return undefined;
  const running = new Set(started.named.keys());
  const queue = [...roots];
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    for (const layer of merged.get(name) ?? []) {
      for (const dependency of layer.dependsOn ?? []) {
        if (running.has(dependency) || !merged.has(dependency)) continue;
        running.add(dependency);
        queue.push(dependency);
      }
    }
  }
  return running;
}

/** One service of a compose project (its layers: extended services, base, override) as a deployment. */
function composeServiceDeployment(
  ctx: Context,
  project: ComposeProject,
  name: string,
  layers: ComposeService[],
  projectEnv: ReadonlyMap<string, Fact<string>>,
  startedAt?: SourceRef,
  scale?: Fact<number>,
  builder?: ImageBuilder,
): Deployment {
  const { files } = project;
  const base = files[0];
  const overlay = files.length > 1 ? files[files.length - 1] : undefined;
  const dir = project.dir ?? dirOf(base);
  const runBy = project.runBy ? `, as ${project.runBy.source} runs it` : "";
  const deployment = newDeployment(`compose:${project.key}#${name}`, `${name} (${files.filter((f) => !isOverride(f)).join(" + ")}${runBy})`, files);
  if (overlay && layers.some((l) => l.file === overlay) && layers.some((l) => l.file === base)) deployment.links.push({ from: overlay, to: base, why: project.why });
  if (project.runBy) {
    deployment.runBy = { ...project.runBy, files };
    deployment.files.add(project.runBy.at.file);
    deployment.links.push({ from: project.runBy.at.file, to: base, why: `${project.runBy.source} runs this project with \`docker compose -f\`` });
  }
  if (startedAt && startedAt.file !== project.runBy?.at.file) deployment.files.add(startedAt.file);
  if (startedAt) deployment.links.push({ from: startedAt.file, to: base, why: `${startedAt.file} starts ${name} by name: compose runs only the services the project's commands name and what they depend on` });
  for (const layer of layers) {
    if (layer.file === base || layer.file === overlay) continue;
    deployment.files.add(layer.file);
    const includer = project.included?.get(layer.file);
    deployment.links.push(includer ? { from: includer, to: layer.file, why: `${includer} includes ${layer.file} (\`include:\`): its services run in this project` } : { from: base, to: layer.file, why: `service ${name} extends a service of ${layer.file}` });
  }
  const sized = layers.map((layer) => withInterpolatedSizing(layer, projectEnv));
  const last = <K extends keyof ComposeService>(key: K): ComposeService[K] | undefined => {
    for (let i = sized.length - 1; i >= 0; i--) if (sized[i][key] !== undefined) return sized[i][key];
    return undefined;
  };
  for (const layer of layers) {
    // Paths in every file of the project are relative to the project directory (the first file's folder);
    // those of an `extends: { file }` layer to that file's own folder.
    const layerDir = files.includes(layer.file) ? dir : dirOf(layer.file);
    for (const envFile of layer.envFiles) {
      const path = join(layerDir, envFile.path);
      // Named explicitly, so any file name goes (cookiecutter-django's .envs/.production/.django); compose
      // requires the file unless `required: false`, so reading it is no guess.
      const named = ctx.pathSet.has(path) || (!envFile.optional && ctx.host.read(path) !== undefined);
      for (const [key, fact] of readDotenv(ctx, path, named)) deployment.env.set(key, fact);
      if (named) deployment.files.add(path);
      else if (!envFile.optional && ctx.host.read(path) === undefined) (deployment.envFilesMissing ??= []).push(envFile.at);
    }
    for (const [key, fact] of layer.environment) deployment.env.set(key, interpolate(fact, projectEnv));
  }
  for (const envFile of project.envFiles ?? (projectEnv.size > 0 ? [join(dir, ".env")] : [])) deployment.files.add(envFile);
  const profiles = layers.flatMap((layer) => layer.profiles ?? []);
  if (profiles.length > 0) deployment.composeProfiles = [...new Set(profiles)];
  const networkMode = last("networkMode");
  if (networkMode) deployment.composeNetworkMode = networkMode;
  // `--scale web=3` on the deploy command overrides `scale:` and `deploy.replicas`.
  deployment.instances = scale ?? last("replicas") ?? { value: 1, origin: "default", by: "Docker Compose" };
  // `replicas: ${WEB_REPLICAS}` with the variable set nowhere here: the deploy environment gives the count.
  const replicasVariable = scale || deployment.instances.origin !== "default" ? undefined : sized.findLast((layer) => layer.variables?.replicas)?.variables?.replicas;
  if (replicasVariable) deployment.instancesUnknown = `its replica count is ${replicasVariable.value}, set nowhere in the workspace`;
  // Swarm's global mode runs one container per node, and ignores replicas.
  if (!scale && last("globalMode")) {
    deployment.instances = { value: 1, origin: "assumed", by: "Headroom" };
    deployment.instancesUnknown = "deploy.mode global runs one container on every node of the swarm, and the workspace does not say how many nodes there are";
  }
  const cpus = combinedCpuLimit(last("cpus"), last("cpuset"));
  if (cpus) deployment.cpus = cpus;
  const memory = last("memoryMiB");
  if (memory) deployment.memoryMiB = memory;
  const nofile = last("nofileSoft");
  if (nofile) deployment.nofileSoftLimit = nofile;
  const reservedCpus = last("reservedCpus");
  const reservedMemory = last("reservedMemoryMiB");
  if (reservedCpus || reservedMemory) deployment.reservations = { ...(reservedCpus ? { cpus: reservedCpus } : {}), ...(reservedMemory ? { memoryMiB: reservedMemory } : {}) };
  const env = lookupIn(deployment.env);
  // The build is the service's own, or that of the service whose image it runs.
  const buildLayers = builder?.layers ?? layers;
  const lastBuilt = <K extends "buildContext" | "dockerfile" | "buildTarget" | "buildArgs">(key: K): ComposeService[K] | undefined => {
    for (let i = buildLayers.length - 1; i >= 0; i--) if (buildLayers[i][key] !== undefined) return buildLayers[i][key];
    return undefined;
  };
  const context = lastBuilt("buildContext");
  const dockerfileName = lastBuilt("dockerfile");
  // A build context from an `extends: { file }` layer is relative to that file's folder; the project's own files share the base's.
  const contextLayer = [...buildLayers].reverse().find((l) => l.buildContext !== undefined);
  const contextBase = contextLayer && !files.includes(contextLayer.file) ? dirOf(contextLayer.file) : dir;
  const contextDir = context ? join(contextBase, context.value) : dir;
  const dockerfile = context ? existing(ctx, join(contextDir, dockerfileName?.value ?? "Dockerfile")) : undefined;
  const command = last("command");
  const entrypoint = last("entrypoint");
  // `build.target`: the image is that stage of the Dockerfile, with its CMD and ENV, not the last stage's.
  const target = lastBuilt("buildTarget")?.value;
  const projectLookup = lookupIn(projectEnv);
  const image = last("image");
  if (image && !dockerfile) deployment.image = image.value;
  const postgres = image && postgresImage(image.value);
  if (postgres) {
    const words = [...(entrypoint ? composeWords(ctx, entrypoint, projectLookup, env) : []), ...(command ? composeWords(ctx, command, projectLookup, env) : [])];
    ctx.postgres.push({ name, base: project.key, files, words, image: postgres, env: deployment.env });
  }
  if (dockerfile) {
    const why = builder ? `service ${name} runs the image ${image?.value} that service ${builder.name} builds from ${dockerfile}` : `service ${name} builds from ${dockerfile}`;
    deployment.links.push({ from: base, to: dockerfile, why });
    // The container's own volumes mount over the image's files, whichever service builds the image.
    const mountTargets: string[] = [];
    const bindTargets: string[] = [];
    for (const layer of layers) {
      for (const bind of layer.bindSources) if (bind.target) bindTargets.push(bind.target);
      for (const volume of layer.volumeTargets ?? []) mountTargets.push(volume);
    }
    mountTargets.push(...bindTargets);
    deployment.imageBuild = { dockerfile, context: contextDir, ...(target !== undefined ? { target } : {}), mountTargets, bindTargets };
    const sourceMount = mountTargets.length > 0 ? contextMountedOverCode(ctx, layers, (layer) => (files.includes(layer.file) ? dir : dirOf(layer.file)), dockerfile, contextDir, target) : undefined;
    if (sourceMount) deployment.sourceMount = sourceMount;
    const buildArgs = lastBuilt("buildArgs");
    const interpolatedArgs = buildArgs && new Map([...buildArgs].map(([key, fact]) => [key, interpolate(fact, projectEnv)]));
    addDockerfileProcesses(ctx, deployment, dockerfile, command && composeWords(ctx, command, projectLookup, env), entrypoint && composeWords(ctx, entrypoint, projectLookup, env), contextDir, env, interpolatedArgs, target);
  } else if (image && !context && !entrypoint && runsMountedImage(ctx, deployment, layers, (layer) => (files.includes(layer.file) ? dir : dirOf(layer.file)), command && composeWords(ctx, command, projectLookup, env), projectLookup, env)) {
    // The image's own start command, modelled from the service's environment and volumes.
  } else if (command || entrypoint) {
    const entryWords = entrypoint ? composeWords(ctx, entrypoint, projectLookup, env) : [];
    const cmdWords = command ? composeWords(ctx, command, projectLookup, env) : [];
    // As with a Dockerfile: an entrypoint script that is not in the workspace is taken to run the command.
    addWordsProcesses(ctx, deployment, [...entryWords, ...cmdWords], commandRef(layers, command ?? entrypoint), contextDir, env, 0, entryWords.length > 0 ? cmdWords : []);
  }
  // A PostgreSQL image built here (`FROM postgis/postgis:16-3.4` plus init scripts) is a PostgreSQL server too.
  const built = !postgres && dockerfile && deployment.image !== undefined ? postgresImage(deployment.image) : undefined;
  if (built && dockerfile) {
    const words = command || entrypoint ? [...(entrypoint ? composeWords(ctx, entrypoint, projectLookup, env) : []), ...(command ? composeWords(ctx, command, projectLookup, env) : [])] : dockerfileWords(ctx, dockerfile, env);
    ctx.postgres.push({ name, base: project.key, files: [...files, dockerfile], words, image: built, env: deployment.env });
  }
  // An add-on variant replaces the command on purpose (`-f` names it); only the implicit override is recorded.
  const overridden = overlay !== undefined && isOverride(overlay) && (command?.file === overlay || entrypoint?.file === overlay);
  if (overlay && isOverride(overlay) && command?.file === overlay) recordReplacedCommand(ctx, deployment, layers, overlay, command, dockerfile, contextDir, env, projectLookup, target);
  else if (dockerfile && (command || entrypoint) && !overridden) recordReplacedImageCommand(ctx, deployment, layers, dockerfile, command, entrypoint, contextDir, env, target);
  return deployment;
}

/**
 * The bind mount (`.:/code`) whose source is the build context and whose target is where the image keeps the code built
 * from it: the stage's WORKDIR, or the destination of a `COPY .` of the context. The container then runs the host's files.
 */
function contextMountedOverCode(ctx: Context, layers: ComposeService[], layerDir: (layer: ComposeService) => string, dockerfile: string, contextDir: string, target: string | undefined): SourceRef | undefined {
  const text = ctx.host.read(dockerfile);
  if (text === undefined) return undefined;
  const stage = targetStage(parsedDockerfile(ctx.parses, dockerfile, text), target);
  const folder = (path: string) => `/${path.split("/").filter((part) => part !== "" && part !== ".").join("/")}`;
  const codeFolders = new Set<string>();
  if (stage.workdir !== undefined && stage.workdir.startsWith("/")) codeFolders.add(folder(stage.workdir));
  for (const copy of stage.copies) {
    if (!copy.fromContext || !copy.sources.some((source) => source === "." || source === "./")) continue;
    const destination = copy.destination.startsWith("/") ? copy.destination : `${stage.workdir ?? "/"}/${copy.destination}`;
    codeFolders.add(folder(destination));
  }
  for (const layer of layers) {
    // docker-compose.override.yml is merged wherever `docker compose up` runs, production too (seed 002): its mount says nothing.
    if (isOverride(layer.file)) continue;
    for (const bind of layer.bindSources) {
      if (bind.target === undefined || /^[/~$]/.test(bind.path) || !codeFolders.has(folder(bind.target))) continue;
      if (join(layerDir(layer), bind.path) === contextDir) return bind.at;
    }
  }
  return undefined;
}

/**
 * A service that runs a modelled image by `image:` alone (tiangolo/uvicorn-gunicorn and its -fastapi and -starlette images),
 * with the image's own command: no `command:`, or the image's /start.sh named again when no volume puts a script there.
 * Its files come from its volumes (mountedImageFiles). True when the image's command is what the service runs.
 */
function runsMountedImage(ctx: Context, deployment: Deployment, layers: ComposeService[], layerDir: (layer: ComposeService) => string, command: CommandWord[] | undefined, projectEnv: EnvLookup, env: EnvLookup): boolean {
  let imageLayer: ComposeService | undefined;
  for (const layer of layers) if (layer.image) imageLayer = layer;
  if (!imageLayer?.image) return false;
  const written = imageLayer.image;
  const at: SourceRef = { file: imageLayer.file, start: written.start + (written.quoted ? 1 : 0), end: written.end - (written.quoted ? 1 : 0) };
  const name = interpolate({ value: written.value, origin: "stated", at }, projectEnv).value;
  const repository = uvicornGunicornImage(name);
  if (!repository) return false;
  const files = mountedImageFiles(ctx, layers, layerDir);
  if (command && !(command.length === 1 && command[0].value === START_SCRIPT && files.at(START_SCRIPT) === undefined)) return false;
  const text = ctx.host.read(at.file);
  if (text !== undefined) addUvicornGunicornImageProcess(ctx, deployment, { name, repository, at }, text, files, env);
  return true;
}

/** What the base file (or the Dockerfile's CMD) would run, had the override's `command:` not replaced it. */
function recordReplacedCommand(ctx: Context, deployment: Deployment, layers: ComposeService[], override: string, by: ComposeCommand, dockerfile: string | undefined, contextDir: string, env: EnvLookup, projectLookup: EnvLookup, target: string | undefined): void {
  const baseLayers = layers.filter((l) => l.file !== override);
  if (baseLayers.length === 0) return;
  const command = baseLayers.map((l) => l.command).filter((c) => c !== undefined).pop();
  const entrypoint = baseLayers.map((l) => l.entrypoint).filter((c) => c !== undefined).pop();
  const scratch = newDeployment(deployment.id, deployment.name, [...deployment.files]);
  scratch.env = new Map(deployment.env);
  if (dockerfile) addDockerfileProcesses(ctx, scratch, dockerfile, command && composeWords(ctx, command, projectLookup, env), entrypoint && composeWords(ctx, entrypoint, projectLookup, env), contextDir, env, undefined, target);
  else if (command || entrypoint) {
    const words = [...(entrypoint ? composeWords(ctx, entrypoint, projectLookup, env) : []), ...(command ? composeWords(ctx, command, projectLookup, env) : [])];
    addWordsProcesses(ctx, scratch, words, commandRef(baseLayers, command ?? entrypoint), contextDir, env, 0);
  }
  if (scratch.processes.length === 0) return;
  const at = command ? commandRef(baseLayers, command) : scratch.processes[0].commandAt;
  deployment.replacedCommands = [...(deployment.replacedCommands ?? []), { at, by: commandRef(layers, by), processes: scratch.processes }];
}

/**
 * The Dockerfile's CMD (or ENTRYPOINT) that the service's own `command:` (or `entrypoint:`)
 * replaces, and what it would run: the image started anywhere but this compose file runs it.
 * `entrypoint:` replaces ENTRYPOINT and drops the image's CMD; `command:` replaces CMD only.
 */
function recordReplacedImageCommand(ctx: Context, deployment: Deployment, layers: ComposeService[], dockerfile: string, command: ComposeCommand | undefined, entrypoint: ComposeCommand | undefined, contextDir: string, env: EnvLookup, target: string | undefined): void {
  const text = ctx.host.read(dockerfile);
  if (text === undefined) return;
  const parsed = targetStage(parsedDockerfile(ctx.parses, dockerfile, text), target);
  const replaced = entrypoint ? (parsed.entrypoint ?? parsed.cmd) : parsed.cmd;
  if (!replaced) return;
  const scratch = newDeployment(deployment.id, deployment.name, [...deployment.files]);
  scratch.env = new Map(deployment.env);
  // A script only the replaced CMD runs is not run by this service: it still stands alone as before.
  addDockerfileProcesses({ ...ctx, claimed: { add: () => undefined } }, scratch, dockerfile, undefined, undefined, contextDir, env, undefined, target);
  if (scratch.processes.length === 0) return;
  deployment.replacedImageCommand = { at: { file: dockerfile, start: replaced.start, end: replaced.end }, instruction: replaced.keyword, by: commandRef(layers, command ?? entrypoint), processes: scratch.processes };
}

function commandRef(layers: ComposeService[], command: ComposeCommand | undefined): SourceRef {
  return { file: command?.file ?? layers[0].file, start: command?.span.start ?? 0, end: command?.span.end ?? 0 };
}

/** Compose interpolates `${VAR:-default}` in its own values from the project's .env, before the container starts. */
/**
 * A service whose replicas, cpus, cpuset or memory are written as a variable (`cpus: "${WEB_CPUS:-0}"`), with
 * the values compose fills in from the project's .env (or the default written there); 0 is no limit.
 */
function withInterpolatedSizing(layer: ComposeService, projectEnv: ReadonlyMap<string, Fact<string>>): ComposeService {
  const variables = layer.variables;
  if (!variables) return layer;
  const number = (fact: Fact<string> | undefined, parse: (text: string) => number | undefined): Fact<number> | undefined => {
    const filled = fact && interpolate(fact, projectEnv);
    const value = filled && filled.value !== fact?.value ? parse(filled.value) : undefined;
    return filled && value !== undefined && value > 0 ? { ...filled, value } : undefined;
  };
  const replicas = number(variables.replicas, (t) => (/^\d+$/.test(t.trim()) ? Number(t) : undefined));
  const cpus = number(variables.cpus, (t) => (t.trim() !== "" && Number.isFinite(Number(t)) ? Number(t) : undefined));
  const cpusetList = variables.cpuset && interpolate(variables.cpuset, projectEnv).value;
  const cpusetCount = number(variables.cpuset, countCpuList);
  const cpuset = cpusetCount && cpusetList !== undefined ? { ...cpusetCount, list: cpusetList } : undefined;
  const memoryMiB = number(variables.memory, parseMemoryMiB);
  return { ...layer, ...(replicas ? { replicas } : {}), ...(cpus ? { cpus } : {}), ...(cpuset ? { cpuset } : {}), ...(memoryMiB ? { memoryMiB } : {}) };
}

function interpolate(fact: Fact<string>, projectEnv: ReadonlyMap<string, Fact<string>> | EnvLookup): Fact<string> {
  if (!fact.value.includes("$")) return fact;
  const filled = interpolateCompose(fact.value, fact.at, typeof projectEnv === "function" ? projectEnv : lookupIn(projectEnv));
  if (!filled.changed) return fact;
  // One variable (or its default) is that fact; text around it keeps the value's own place.
  return filled.pieces.includes(filled.fact) ? filled.fact : { ...fact, value: filled.value };
}

/** Words of a compose `command:`/`entrypoint:` value. The string form is split like a shell would (compose uses shlex). */
function composeWords(ctx: Context, command: ComposeCommand, projectEnv: EnvLookup, serviceEnv: EnvLookup): CommandWord[] {
  const file = command.file;
  if (command.form === "string") {
    const item = command.items[0];
    const at = { file, start: item.start + (item.quoted ? 1 : 0), end: item.end - (item.quoted ? 1 : 0) };
    const lookup = composeLookup(escapedNames(item.value), projectEnv, serviceEnv);
    const unescaped = composeUnescape(item.value);
    // Where the value is as long as its text, they are the same characters: no need to read the file
    // (a read would tie every service's deployment to the whole compose file's text, model/reuse.ts).
    const spans = at.end - at.start === unescaped.length && unescaped === item.value ? undefined : textSpans(ctx, at, unescaped);
    // An escaped `$$X` is the container's: its single quotes stay.
    const value = unescaped === item.value ? interpolatedInSingleQuotes(unescaped) : unescaped;
    const words = wordParentheses(shlexLines(value), at, spans);
    return startingWords(commandLine(ctx, words.text, at, lookup, words.spans, command.id), false);
  }
  return command.items.map((item) => {
    const start = item.start + (item.quoted ? 1 : 0);
    const end = item.end - (item.quoted ? 1 : 0);
    const quote = item.quoted ? "\"" : "";
    // Compose fills in each `${X}` of an item (`"${WEB_WORKERS:-4}"`, `"max_connections=${PG_MAX}"`, `"-w${WORKERS}"`)
    // from the project's .env, as in the string form; `$${X}` is the container's, not compose's.
    const variables = new Map<string, Fact<string>>();
    const filled = interpolateCompose(item.value, { file, start, end }, (name) => {
      const fact = projectEnv(name);
      if (fact) variables.set(name, fact);
      return fact;
    });
    if (!filled.changed) return literalWord(file, item.value, start, end, quote);
    // An item written as is places each piece where it is written; a `sh -c` script reads the text as compose does.
    const written = end - start === item.value.length ? { raw: item.value } : {};
    const script = { text: composeUnescape(item.value), variables, escaped: escapedNames(item.value) };
    return { value: filled.value, start, end, quote, file, fact: filled.fact, pieces: filled.pieces, ...written, script };
  });
}

/** `$$X` is compose's escape for a `$X` the container's shell expands, from the service's environment; `${X}` compose fills in itself, from the project's .env. */
function composeLookup(escaped: ReadonlySet<string>, projectEnv: EnvLookup, serviceEnv: EnvLookup): EnvLookup {
  return escaped.size === 0 ? projectEnv : (name) => (escaped.has(name) ? serviceEnv(name) : projectEnv(name));
}

/** The names a compose value escapes from compose's interpolation (`$$X`, `$${X}`). */
function escapedNames(written: string): Set<string> {
  return new Set([...written.matchAll(/\$\$\{?(\w+)/g)].map((m) => m[1]));
}

/**
 * Compose interpolates `${X}` before it splits the command with shlex, so inside single quotes too
 * (`postgres -c 'max_connections=${PG_MAX:-200}'` passes 200); the shell reader would keep a single-quoted
 * `${X}` as text. A single-quoted part that holds a variable becomes double-quoted, one character for one so
 * spans stay, where that quotes the same characters: nothing in it that double quotes treat apart
 * (`"`, `\`, a backquote, `$(`).
 */
function interpolatedInSingleQuotes(value: string): string {
  if (!value.includes("'") || !value.includes("$")) return value;
  let out = "";
  let double = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === "\\") {
      out += c + (value[i + 1] ?? "");
      i++;
    } else if (c === '"') {
      double = !double;
      out += c;
    } else if (c === "'" && !double) {
      const close = value.indexOf("'", i + 1);
      if (close < 0) return out + value.slice(i);
      const inside = value.slice(i + 1, close);
      const asDouble = /\$\{?[A-Za-z_]/.test(inside) && !/["\\`]|\$\(/.test(inside);
      out += asDouble ? `"${inside}"` : value.slice(i, close + 1);
      i = close;
    } else out += c;
  }
  return out;
}

/**
 * Compose splits a string command with shlex, where a line break outside quotes separates words like a
 * blank (`command: |` over several lines is one command), not commands as in a shell: made a blank here,
 * one character for one, so spans stay.
 */
function shlexLines(value: string): string {
  if (!value.includes("\n")) return value;
  let quote: string | undefined;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"') out += value[i++] ?? "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "\\") out += value[i++] ?? "";
    else if (c === "\n") {
      out += " ";
      continue;
    }
    out += value[i] ?? "";
  }
  return out;
}

/**
 * Compose splits a string command with shlex, not a shell: `(` and `)` inside a word are its characters
 * (`gunicorn app:create_app() --bind 0.0.0.0:8000` is three words and a bind). The shell reader would end the
 * word there and lose the rest, so they are escaped, each backslash placed on its parenthesis. A parenthesis
 * starting a word, or after `$` or `=`, is left to the reader (`$(...)`, a subshell).
 */
function wordParentheses(text: string, at: SourceRef, spans: CharSpans | undefined): { text: string; spans: CharSpans | undefined } {
  if (!text.includes("(")) return { text, spans };
  const starts: number[] = [];
  const ends: number[] = [];
  let out = "";
  /** Appends `c`, placed where the text's character `i` is. */
  const put = (c: string, i: number) => {
    out += c;
    starts.push(spans ? spans.starts[i] : at.start + i);
    ends.push(spans ? spans.ends[i] : at.start + i + 1);
  };
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    let escape = false;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") {
      const before = text[i - 1];
      escape = depth > 0 || (before !== undefined && !/[\s$=<>|&;(]/.test(before));
      if (escape) depth++;
    } else if (c === ")" && depth > 0) {
      escape = true;
      depth--;
    }
    if (escape) put("\\", i);
    put(c, i);
    // An escaped character (outside single quotes) is copied as is: `\(` is already literal.
    if (c === "\\" && quote !== "'" && i + 1 < text.length) {
      i++;
      put(text[i], i);
    }
  }
  return out.length === text.length ? { text, spans } : { text: out, spans: { starts, ends } };
}

/** Compose's `$$` is a literal `$` in the value the container gets. */
function composeUnescape(value: string): string {
  return value.includes("$$") ? value.replace(/\$\$/g, "$") : value;
}

/** parseCommandLine, kept between audits while its text and every variable it looked up are unchanged. */
function commandLine(ctx: Context, text: string, at: SourceRef, env: EnvLookup, spans: CharSpans | undefined, id: string): ShellScript {
  const parse = () => {
    const looked = new Map<string, Fact<string> | undefined>();
    const script = parseCommandLine(
      text,
      at.file,
      at.start,
      (name) => {
        const fact = env(name);
        looked.set(name, fact);
        return fact;
      },
      spans,
    );
    return { script, looked, at: { file: at.file, start: at.start, end: at.end } };
  };
  const unchanged = (entry: { looked: Map<string, Fact<string> | undefined> }) => [...entry.looked].every(([name, fact]) => env(name) === fact);
  // A command written with escapes maps its characters one by one: kept only where it is.
  if (spans) {
    ctx.onKeptParse?.(undefined);
    return ctx.parses.get(`command:${at.file}:${at.start}:${at.end}`, text, parse, unchanged).script;
  }
  // Kept by the command's name, not its place: an edit above it moves the parse rather than making another
  // (the model keeps every word it reads, and a new copy of every later command is what an edit cost).
  const kept = ctx.parses.get(`command:${at.file}:${id}`, text, parse, unchanged);
  if (kept.at.start !== at.start) {
    moveSpans(kept.script, at.start - kept.at.start, kept.at);
    // In place: a kept deployment moved with its file moves this same span with the words (model/reuse.ts).
    kept.at.start = at.start;
    kept.at.end = at.end;
  }
  ctx.onKeptParse?.(kept);
  return kept.script;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile, scripts, Procfile

/** `buildArgs`: the ARG values the build passes (compose `build.args`), which ENV set from an ARG takes over its default. */
function addDockerfileProcesses(ctx: Context, deployment: Deployment, path: string, command: CommandWord[] | undefined, entrypoint: CommandWord[] | undefined, contextDir: string, env: EnvLookup, buildArgs?: Map<string, Fact<string>>, target?: string): void {
  const text = ctx.host.read(path);
  if (text === undefined) return;
  const parsed = parsedDockerfile(ctx.parses, path, text);
  const dockerfile = targetStage(parsed, target);
  if (dockerfile.baseImage) deployment.image = dockerfile.baseImage;
  ctx.cache.set(`${ENV_FILE_READ}${path}`, parsed.env);
  ctx.problems.push(...parsed.problems);
  deployment.files.add(path);
  ctx.claimed.add(path);
  for (const [key, fact] of dockerfile.env) {
    const arg = dockerfile.envFromArgs.get(key);
    if (!deployment.env.has(key)) deployment.env.set(key, (arg !== undefined && buildArgs?.get(arg)) || fact);
  }
  const installed = installedFiles(parsed, contextDir);
  if (installed.length > 0) deployment.installedFrom = installed;
  const fullEnv = lookupIn(deployment.env, env);
  const entryWords = entrypoint ?? (dockerfile.entrypoint ? dockerWords(dockerfile.entrypoint, path, fullEnv) : inheritedEntrypoint(dockerfile, path));
  // A compose `entrypoint:` drops the image's CMD: compose passes only its own `command:` to it.
  const cmdWords = command ?? (!entrypoint && dockerfile.cmd ? dockerWords(dockerfile.cmd, path, fullEnv) : []);
  const words = [...entryWords, ...cmdWords];
  // An ENTRYPOINT (the Dockerfile's or compose's) resets the base image's CMD, so only a command-less image runs its own.
  const image = entryWords.length === 0 && dockerfile.baseImage !== undefined ? uvicornGunicornImage(dockerfile.baseImage) : undefined;
  if (image && dockerfile.baseImageAt && runsImageStart(ctx, words, dockerfile, contextDir)) {
    const files = builtImageFiles(ctx, dockerfile, contextDir);
    addUvicornGunicornImageProcess(ctx, deployment, { name: dockerfile.baseImage as string, repository: image, at: { file: path, ...dockerfile.baseImageAt } }, text, files, fullEnv);
    return;
  }
  if (words.length === 0) return;
  const source = command ?? entrypoint;
  const at: SourceRef = source?.[0]?.fact.at ?? { file: path, start: dockerfile.cmd?.start ?? dockerfile.entrypoint?.start ?? 0, end: dockerfile.cmd?.end ?? dockerfile.entrypoint?.end ?? 0 };
  const imageCtx: Context = { ...ctx, image: { stage: dockerfile, contextDir } };
  if (words[0].value === S6_INIT) addS6Services(imageCtx, deployment, path, text, fullEnv);
  addWordsProcesses(imageCtx, deployment, words, at, contextDir, fullEnv, 0, entryWords.length > 0 ? cmdWords : []);
}

/** The ENTRYPOINT a base image the workspace does not hold sets: s6-overlay's /init of linuxserver's base images, located at FROM. */
function inheritedEntrypoint(dockerfile: DockerfileStage, path: string): CommandWord[] {
  const at = dockerfile.baseImageAt;
  return at && dockerfile.baseImage !== undefined && inheritsS6Init(dockerfile.baseImage) ? [literalWord(path, S6_INIT, at.start, at.end, "")] : [];
}

/**
 * s6-overlay's /init starts, side by side in the container, the services whose run scripts the image's COPY lines put in
 * /etc/services.d and the s6-rc longruns its user bundles list (model/s6-overlay.ts): each run script is read as a script
 * something runs with no arguments, in the image's working folder, or, in execline, as the program its chain of loaders
 * ends in (parse/execline.ts). One that does not see the container's environment is not read; one
 * that runs a reverse proxy makes the container's loopback reachable (proxyBeside).
 */
function addS6Services(ctx: Context, deployment: Deployment, dockerfile: string, dockerfileText: string, env: EnvLookup): void {
  const image = ctx.image;
  if (!image) return;
  const prefix = image.contextDir ? `${image.contextDir}/` : "";
  // Files copied one by one (`COPY docker/web.run /etc/services.d/web/run`), and those named run in folders copied whole.
  const sources = new Set<string>();
  for (const copy of image.stage.copies) {
    for (const written of copy.sources) {
      const source = contextSource(written);
      if (source !== undefined) sources.add(source);
    }
  }
  for (const path of ctx.cache.get(S6_RUN_FILES) as string[]) if (path.startsWith(prefix)) sources.add(path.slice(prefix.length));
  const keepEnv = s6KeepsEnv(env("S6_KEEP_ENV")?.value);
  for (const source of sources) {
    if (!source) continue;
    for (const imagePath of imagePathsOf(image.stage.copies, BASE_WORKDIR, source)) {
      const service = s6Service(imagePath);
      const path = service && fileInImage(ctx, image, imagePath);
      if (!service || path !== join(image.contextDir, source) || (service.rc && !s6Longrun(ctx, image, service.name, dockerfileText))) continue;
      const text = ctx.host.read(path);
      if (text === undefined) continue;
      if (PROXY_PROGRAM.test(text)) deployment.proxyBeside ??= path;
      // A run script that does not see the container's environment would read its variables unset, which the rules
      // comparing values with that environment do not know: it is not read.
      if (isExeclineScript(text)) {
        const program = readExeclineRunScript(text, path, env, s6SeesContainerEnv(text, keepEnv));
        if (!program?.containerEnv) continue;
        deployment.links.push({ from: dockerfile, to: path, why: `s6-overlay's ${S6_INIT} starts ${imagePath}` });
        deployment.files.add(path);
        ctx.claimed.add(path);
        const before = deployment.processes.length;
        addWordsProcesses(ctx, deployment, program.words, { file: path, start: program.words[0].start, end: program.words[program.words.length - 1].end }, image.contextDir, program.exported ? lookupIn(program.exported, env) : env, 1);
        noteExported(deployment.processes.slice(before), program.exported);
        continue;
      }
      if (!hasShellShebang(text) || !s6SeesContainerEnv(text, keepEnv)) continue;
      deployment.links.push({ from: dockerfile, to: path, why: `s6-overlay's ${S6_INIT} starts ${imagePath}` });
      addScriptProcesses(ctx, deployment, path, env, { words: [], dir: image.contextDir }, 1);
    }
  }
}

/** An s6-rc service s6-overlay starts: its `type` is longrun, and a bundle it starts lists it (a file copied, or created by a RUN line). */
function s6Longrun(ctx: Context, image: NonNullable<Context["image"]>, name: string, dockerfileText: string): boolean {
  const type = fileInImage(ctx, image, s6TypeFile(name));
  if (type === undefined || ctx.host.read(type)?.trim() !== "longrun") return false;
  return s6BundleEntries(name).some((entry) => fileInImage(ctx, image, entry) !== undefined || dockerfileText.includes(entry));
}

/**
 * The build context's files a Dockerfile's RUN lines install from, each as the paths it may be: the path as the image sees it
 * (relative to its stage's WORKDIR, else /) mapped back through the stage's COPY/ADD lines, then taken relative to the build
 * context. Not read here: only a Flask-SQLAlchemy app's version needs them (flaskSqlalchemyPinned).
 */
function installedFiles(dockerfile: Dockerfile, contextDir: string): NonNullable<Deployment["installedFrom"]> {
  const found: NonNullable<Deployment["installedFrom"]> = [];
  for (const install of dockerfile.installs) {
    const workdir = install.workdir ?? "/";
    const imagePath = inWorkdir(install.path, workdir);
    const written = install.path.startsWith("/") ? [] : [install.path.replace(/^\.\//, "")];
    found.push({ candidates: [...contextCandidates(install.copies, BASE_WORKDIR, imagePath), ...written].map((candidate) => join(contextDir, candidate)), kind: install.kind });
  }
  return found;
}

/** No command (the image's CMD runs), or the image's own /start.sh named again when the workspace puts no script of its own there. */
function runsImageStart(ctx: Context, words: CommandWord[], dockerfile: DockerfileStage, contextDir: string): boolean {
  if (words.length === 0) return true;
  return words.length === 1 && words[0].value === START_SCRIPT && imageFileInContext(ctx, dockerfile, contextDir, START_SCRIPT) === undefined;
}

/** The workspace file the Dockerfile's COPY lines put at `imagePath`, if any. */
function imageFileInContext(ctx: Context, dockerfile: DockerfileStage, contextDir: string, imagePath: string): string | undefined {
  for (const candidate of contextCandidates(dockerfile.copies, IMAGE_WORKDIR, imagePath)) {
    const found = existing(ctx, join(contextDir, candidate));
    if (found) return found;
  }
  return undefined;
}

/** Where an image's files come from: the workspace file at a path in the container, and the workspace folder that is its /app. */
interface ImageFiles {
  /** The workspace file at `imagePath`; undefined when none is (the image's own files show through); NOT_IN_WORKSPACE when what is there may be a file the workspace does not hold. */
  at(imagePath: string): string | typeof NOT_IN_WORKSPACE | undefined;
  /** Undefined when the image's /app is its own (its sample app), not a folder of the workspace. */
  appDir: string | undefined;
}
const NOT_IN_WORKSPACE = Symbol("not in the workspace");

/** A Dockerfile's image: its COPY and ADD lines put files of the build context in it. */
function builtImageFiles(ctx: Context, dockerfile: DockerfileStage, contextDir: string): ImageFiles {
  // The app's folder in the image (/app), as a folder of the build context: where its modules are found.
  const appDir = contextFolders(dockerfile.copies, IMAGE_WORKDIR, IMAGE_WORKDIR).map((folder) => join(contextDir, folder)).find((dir) => dir === contextDir || ctx.folders.has(dir)) ?? contextDir;
  return { at: (imagePath) => imageFileInContext(ctx, dockerfile, contextDir, imagePath), appDir };
}

/**
 * A compose service that runs an image as it is: its `volumes:` put files in it. A bind mount of a workspace folder shows
 * that folder's files (one the workspace lists is there, as for a Dockerfile's COPY); a named volume, a host path outside
 * the workspace, or a single file mounted that the audit does not read, holds what the workspace does not show.
 * `layerDir` is the folder a layer's relative paths resolve from.
 */
function mountedImageFiles(ctx: Context, layers: ComposeService[], layerDir: (layer: ComposeService) => string): ImageFiles {
  // Sources as workspace paths; undefined for a host path outside the workspace (absolute, from the home folder, or above it).
  const binds: Array<{ source: string | undefined; target: string }> = [];
  const volumes: string[] = [];
  for (const layer of layers) {
    for (const bind of layer.bindSources) if (bind.target) binds.push({ source: /^[/~]/.test(bind.path) || climbsOut(layerDir(layer), bind.path) ? undefined : join(layerDir(layer), bind.path), target: bind.target });
    if (layer.volumeTargets) volumes.push(...layer.volumeTargets);
  }
  const at = (imagePath: string): string | typeof NOT_IN_WORKSPACE | undefined => {
    const mounted = mountedAt(binds, volumes, imagePath);
    if (mounted === undefined) return undefined;
    if (mounted === "volume" || mounted.source === undefined) return NOT_IN_WORKSPACE;
    return existing(ctx, mounted.rest ? join(mounted.source, mounted.rest) : mounted.source) ?? (mounted.rest ? undefined : NOT_IN_WORKSPACE);
  };
  const app = mountedAt(binds, volumes, IMAGE_WORKDIR);
  return { at, appDir: app !== undefined && app !== "volume" && app.rest === "" ? app.source : undefined };
}

/** Whether `relative`'s `..` parts climb above the workspace from `dir`. */
function climbsOut(dir: string, relative: string): boolean {
  let depth = dir === "" ? 0 : dir.split("/").length;
  for (const part of relative.split("/")) {
    if (part === "..") depth--;
    else if (part !== "" && part !== ".") depth++;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * tiangolo/uvicorn-gunicorn(-fastapi, -starlette)'s own command (model/tiangolo.ts): gunicorn with uvicorn workers, its settings
 * from the app's gunicorn_conf.py when the Dockerfile copies one (or a compose volume mounts one) where the start script looks
 * (or GUNICORN_CONF names), else from the image's, which sizes the workers from cpu_count() unless WEB_CONCURRENCY is set.
 * Nothing is modelled when a prestart.sh the image sources may change the server's variables, when GUNICORN_CONF names a file
 * the workspace does not hold, or when a file the start script reads may be one the workspace does not hold (a named volume).
 */
function addUvicornGunicornImageProcess(ctx: Context, deployment: Deployment, image: { name: string; repository: string; at: SourceRef }, text: string, files: ImageFiles, env: EnvLookup): void {
  const prestartPath = env("PRE_START_PATH")?.value || PRESTART_PATH;
  const prestart = files.at(prestartPath);
  if (prestart === NOT_IN_WORKSPACE) return;
  if (prestart) {
    deployment.files.add(prestart);
    deployment.links.push({ from: image.at.file, to: prestart, why: `${image.repository}'s start script sources ${prestartPath} before it starts gunicorn` });
    const prestartText = ctx.host.read(prestart);
    if (prestartText === undefined || prestartChangesServer(prestartText)) return;
  }
  const named = env("GUNICORN_CONF")?.value;
  const confPaths = named ? [named] : GUNICORN_CONF_PATHS;
  let confImagePath: string | undefined;
  let confPath: string | undefined;
  for (const imagePath of confPaths) {
    const found = files.at(imagePath);
    if (found === NOT_IN_WORKSPACE) return;
    if (found) {
      confPath = found;
      confImagePath = imagePath;
      break;
    }
  }
  if (named && !confPath) return;
  const { appDir } = files;
  // The image's start.sh takes app.main when /app/app/main.py exists. A .py file is not listed: read it where it would be.
  const appModule =
    env("APP_MODULE")?.value ?? `${env("MODULE_NAME")?.value ?? (appDir !== undefined && ctx.host.read(join(appDir, "app/main.py")) !== undefined ? "app.main" : "main")}:${env("VARIABLE_NAME")?.value ?? "app"}`;
  const word = (value: string): CommandWord => ({ value, start: image.at.start, end: image.at.end, fact: { value, origin: "default", by: image.repository, at: image.at } });
  const words = ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "-c", confImagePath ?? "/gunicorn_conf.py", appModule].map(word);
  const invocation = recogniseServer(words);
  if (!invocation) return;
  const builtIn = confPath === undefined;
  const config: SettingsFile | undefined = builtIn ? { path: image.at.file, text, settings: imageConfSettings(image.at) } : settingsFile(ctx, deployment, invocation, confPath, parseGunicornConf);
  const process = serverProcess(ctx, deployment, invocation, words, image.at, appDir ?? dirOf(image.at.file), env, config);
  // The image's own sample app runs: no module of the workspace is the app (appFolder).
  if (appDir === undefined) process.workdir = undefined;
  process.image = { name: image.name, at: image.at, builtInConfig: builtIn };
  if (builtIn) imageWorkers(process, image, env);
  deployment.processes.push(process);
}

/**
 * The image's gunicorn_conf.py: WEB_CONCURRENCY when set (serverProcess read it), else max(int(WORKERS_PER_CORE x
 * cpu_count()), 2), then at most MAX_WORKERS. gunicorn's own order puts GUNICORN_CMD_ARGS's -w above it.
 */
function imageWorkers(process: ServerProcess, image: { repository: string; at: SourceRef }, env: EnvLookup): void {
  if (process.workers.origin !== "default" || process.workersFromCpuCount) return;
  const concurrency = env("WEB_CONCURRENCY");
  if (concurrency && concurrency.value.trim() !== "") {
    process.workersUnresolved = concurrency.at ?? image.at;
    return;
  }
  const perCore = env("WORKERS_PER_CORE");
  const max = env("MAX_WORKERS");
  const multiplier = perCore ? Number(perCore.value) : IMAGE_CONF.workersPerCore;
  // The file caps only with a MAX_WORKERS that is set and not 0 (`if use_max_workers:`).
  const cap = max?.value && Number(max.value) !== 0 ? Number(max.value) : undefined;
  const badPerCore = !Number.isFinite(multiplier) || multiplier <= 0;
  if (badPerCore || (cap !== undefined && !Number.isInteger(cap))) {
    process.workersUnresolved = (badPerCore ? perCore?.at : max?.at) ?? image.at;
    return;
  }
  const perCoreText = perCore ? `${multiplier} (WORKERS_PER_CORE)` : "WORKERS_PER_CORE (default 1)";
  const formula = `${image.repository}'s gunicorn_conf.py (workers = max(cpu_count() x ${perCoreText}, ${IMAGE_CONF.minWorkers})${cap !== undefined ? `, at most MAX_WORKERS ${cap}` : ""})`;
  process.workersFromCpuCount = { at: image.at, formula, cpuFormula: { multiplier, add: 0, min: IMAGE_CONF.minWorkers, ...(cap !== undefined ? { max: cap } : {}) }, option: "WEB_CONCURRENCY=" };
  // Whatever the host, the image starts at least this many; exactly MAX_WORKERS where it is at or below that.
  const exact = cap !== undefined && cap <= IMAGE_CONF.minWorkers;
  const floor = exact ? cap : IMAGE_CONF.minWorkers;
  process.workers = { value: Math.max(1, floor), origin: "default", by: `${image.repository}'s gunicorn_conf.py${exact ? "" : ", at least"}`, at: image.at };
}

/**
 * A Dockerfile that nothing in the workspace runs (no compose service, platform file or Procfile in its folder or a
 * folder above it) is an image deployed as it is built (Cloud Run, ECS, Kubernetes): its ENTRYPOINT and CMD are a
 * deployment of their own, in a container. Where another deployment covers its folder, the image may be what that
 * one runs (a compose `image:` the CI builds, a Procfile beside it), and counting it again would double its pools.
 */
function standaloneImages(ctx: Context, unclaimed: string[], deployments: Deployment[]): Deployment[] {
  if (unclaimed.length === 0) return [];
  const covered = new Set<string>();
  for (const deployment of deployments) for (const file of deployment.files) covered.add(dirOf(file));
  const images: Deployment[] = [];
  for (const path of unclaimed) {
    if (ancestors(dirOf(path)).some((dir) => covered.has(dir))) continue;
    const deployment = newDeployment(`dockerfile:${path}`, path, [path]);
    addDockerfileProcesses(ctx, deployment, path, undefined, undefined, dirOf(path), () => undefined);
    if (deployment.processes.length > 0 || deployment.devServers) images.push(deployment);
  }
  return images;
}

/** The words a Dockerfile's ENTRYPOINT and CMD run, for an image whose command is not a server's (PostgreSQL's `-c` options). */
function dockerfileWords(ctx: Context, path: string, env: EnvLookup): CommandWord[] {
  const text = ctx.host.read(path);
  if (text === undefined) return [];
  const dockerfile = parsedDockerfile(ctx.parses, path, text);
  return [...(dockerfile.entrypoint ? dockerWords(dockerfile.entrypoint, path, env) : []), ...(dockerfile.cmd ? dockerWords(dockerfile.cmd, path, env) : [])];
}

function dockerWords(command: DockerCommand, file: string, env: EnvLookup): CommandWord[] {
  if (command.form === "exec") return command.items.map((item) => literalWord(file, item.value, item.start, item.end, "\""));
  const item = command.items[0];
  // Docker runs the shell form with `/bin/sh -c`, so every command of it counts (`migrate && gunicorn ...`).
  return item ? startingWords(parseCommandLine(item.value, file, item.start, env), true) : [];
}

/**
 * The words that start the process: the first command, or the server among the commands that
 * run in its place: those of an `sh -c "..."` string it runs, or (`wholeScript`) of the whole line.
 */
function startingWords(script: ShellScript, wholeScript: boolean): CommandWord[] {
  const first = script.commands[0];
  if (!first) return [];
  const within = (c: ShellScript["commands"][number]): boolean => c === first || (c.parent !== undefined && within(c.parent));
  const candidates = wholeScript ? script.commands : script.commands.filter(within);
  return (candidates.find((c) => recogniseServer(c.words)) ?? candidates.find((c) => recogniseDevServer(c.words)) ?? candidates.find((c) => recogniseCeleryBeat(c.words)) ?? (candidates.length > 1 ? candidates[candidates.length - 1] : first)).words;
}

/**
 * A command's words: a server directly, or a script (or `sh -c` string) that starts one.
 * `passedArgs` are the words a script receives as "$@" (the CMD after an ENTRYPOINT script);
 * `invocation` is the server the words start, when the caller has recognised it already.
 */
function addWordsProcesses(
  ctx: Context,
  deployment: Deployment,
  words: CommandWord[],
  at: SourceRef,
  dir: string,
  env: EnvLookup,
  depth: number,
  passedArgs: CommandWord[] = [],
  invocation: ServerInvocation | undefined = recogniseServer(words),
): void {
  if (words.length === 0 || depth > 4) return;
  if (invocation) {
    deployment.processes.push(serverProcess(ctx, deployment, invocation, words, at, dir, env));
    return;
  }
  const devServer = recogniseDevServer(words);
  if (devServer) {
    deployment.devServers = [...(deployment.devServers ?? []), { invocation: devServer, commandAt: at }];
    return;
  }
  const beat = recogniseCeleryBeat(words);
  if (beat) {
    deployment.celeryBeat = beat.fact.at?.file === at.file ? { file: at.file, start: beat.start, end: beat.end } : at;
    return;
  }
  const wrapped = wrappedProgramIndex(words);
  if (wrapped > 0 && wrapped < words.length) {
    addWordsProcesses(ctx, deployment, words.slice(wrapped), at, dir, env, depth + 1, passedArgs);
    return;
  }
  const program = words[0].value;
  const commandString = shellCommandString(words);
  if (commandString !== undefined) {
    if ("quote" in words[commandString]) addShellStringProcesses(ctx, deployment, words[commandString] as ListItemWord, dir, env, words.slice(commandString + 2), depth + 1);
    return;
  }
  if (SCRIPT_RUNNERS.has(program) && words[1]) {
    addWordsProcesses(ctx, deployment, words.slice(1), at, dir, env, depth + 1, passedArgs);
    return;
  }
  const supervisord = supervisordOptionsStart(words);
  if (supervisord > 0) {
    addSupervisordProcesses(ctx, deployment, words, supervisord, at, dir, env, depth);
    return;
  }
  const pythonMain = pythonMainCandidates(words);
  if (pythonMain) {
    const before = deployment.processes.length;
    addPythonMainProcess(ctx, deployment, pythonMain, words, at, dir, env);
    if (deployment.processes.length === before) {
      if (isOneOffDatabaseTask(words)) deployment.oneOffTask ??= at;
      else deployment.appCommand ??= { program: words[0].value, at };
    }
    return;
  }
  const script = findScript(ctx, program, dir);
  if (script) {
    deployment.links.push({ from: at.file, to: script, why: `${program} runs ${script}` });
    const devBefore = deployment.devServers?.length ?? 0;
    // `passedArgs` are already the tail of `words` (the CMD after the ENTRYPOINT): the script gets them once.
    addScriptProcesses(ctx, deployment, script, env, { words: words.slice(1), dir }, depth + 1);
    // The outermost command that leads to the script is set last.
    for (const devServer of deployment.devServers?.slice(devBefore) ?? []) devServer.startedBy = at;
    return;
  }
  if (passedArgs.length > 0) addWordsProcesses(ctx, deployment, passedArgs, passedArgs[0].fact.at ?? at, dir, env, depth + 1);
  else {
    const app = appProgram(words) ?? appScript(ctx, program, dir);
    if (app) deployment.appCommand ??= { program: app, at };
    else if (isOneOffDatabaseTask(words)) deployment.oneOffTask ??= at;
  }
}

/**
 * A Ruby or Python program of the workspace run by its path (`bin/delayed_job run`, `script/worker`): the app's own code,
 * by its shebang; its name. Not bin/rails, whose commands appProgram tells apart.
 */
function appScript(ctx: Context, program: string, dir: string): string | undefined {
  const name = program.slice(program.lastIndexOf("/") + 1);
  if (!program.includes("/") || name === "rails" || name === "") return undefined;
  const path = namedFile(ctx, dir, program);
  const text = path === undefined ? undefined : ctx.host.read(path);
  return text !== undefined && /^#!\s*(?:\S*\/)?(?:env\s+(?:-S\s+)?)?(?:ruby|python[\d.]*)(?:\s|$)/.test(text) ? name : undefined;
}

/** `python main.py`, `python -m app`: the uvicorn.run() call of the file it runs (model/python-main.ts), read as text. */
function addPythonMainProcess(ctx: Context, deployment: Deployment, candidates: string[], words: CommandWord[], at: SourceRef, dir: string, env: EnvLookup): void {
  for (const candidate of candidates) {
    const path = namedFile(ctx, dir, candidate);
    const text = path === undefined ? undefined : ctx.host.read(path);
    if (path === undefined || text === undefined) continue;
    deployment.files.add(path);
    deployment.links.push({ from: at.file, to: path, why: `${words[0].value} runs ${path}` });
    const calls = ctx.parses.get(`python-module:uvicorn:${path}`, text, () => readPythonModule(text, path, UVICORN_RUN)).calls;
    const run = uvicornRunInvocation(calls, text, path, env);
    if (!run) return;
    const process = serverProcess(ctx, deployment, run.invocation, words, run.at, dir, env);
    if (run.workersUnresolved) {
      process.workers = defaultWorkers(run.invocation);
      process.workersUnresolved = run.workersUnresolved;
    }
    deployment.processes.push(process);
    return;
  }
}

const SHELL_PROGRAMS = new Set(["sh", "bash", "dash", "ash", "zsh", "ksh"]);

/**
 * The index of the command string a shell runs with `-c`, options as shells take them: `bash -c`,
 * `bash -lc`, `sh -ec`, `bash -o pipefail -c` (the string is the first word after the options).
 */
function shellCommandString(words: CommandWord[]): number | undefined {
  const program = words[0]?.value ?? "";
  if (!SHELL_PROGRAMS.has(program.slice(program.lastIndexOf("/") + 1))) return undefined;
  let withC = false;
  for (let i = 1; i < words.length; i++) {
    const word = words[i].value;
    if (word === "-o" || word === "+o") i++;
    else if (/^[-+][A-Za-z]+$/.test(word)) withC ||= word.startsWith("-") && word.includes("c");
    else return withC ? i : undefined;
  }
  return undefined;
}

/** `["sh", "-c", "script"]` as list items (exec form, compose list): the string is a script of its own. */
function addShellStringProcesses(ctx: Context, deployment: Deployment, item: ListItemWord, dir: string, env: EnvLookup, args: CommandWord[], depth: number): void {
  const file = item.file ?? item.fact.at?.file ?? "";
  const text = item.script?.text ?? item.value;
  // Escapes or a folded block make the item's text differ from its value: then spans are coarse.
  const spans = textSpans(ctx, { file, start: item.start, end: item.end }, text);
  const compose = item.script;
  const lookup = compose ? composeLookup(compose.escaped, (name) => compose.variables.get(name), env) : env;
  addCommandProcesses(ctx, deployment, parseCommandLine(text, file, item.start, lookup, spans), dir, env, { words: args, dir }, depth);
}

/** `args`: the words the script gets as "$@", read in the folder of the file that wrote them (the CMD's, not the script's). */
function addScriptProcesses(ctx: Context, deployment: Deployment, path: string, env: EnvLookup, args: PassedArgs, depth: number): void {
  const text = ctx.host.read(path);
  if (text === undefined) return;
  const script = cached(ctx, `shell:${path}:${deployment.id}`, () => parseShellScript(text, path, env)) as ShellScript;
  ctx.problems.push(...script.problems);
  deployment.files.add(path);
  ctx.claimed.add(path);
  // A script runs in its caller's working directory (the image's WORKDIR, a Procfile's folder), not in the folder
  // it is kept in: `docker/entrypoint.sh` running `gunicorn -c gunicorn.conf.py proj.wsgi` reads the project's files.
  addCommandProcesses(ctx, deployment, script, args.dir, env, args, depth);
}

interface PassedArgs {
  words: CommandWord[];
  dir: string;
}

function addCommandProcesses(ctx: Context, deployment: Deployment, script: ShellScript, dir: string, env: EnvLookup, args: PassedArgs, depth: number): void {
  const run: ScriptRun = { script, dir, env, depth, handedOver: new Set(), called: new Set(), calls: 0, dynamic: false };
  // A script something runs gets its arguments (the image's CMD after an ENTRYPOINT script); one nothing runs (depth 0) gets unknown ones.
  addRunCommands(ctx, deployment, run, script, undefined, args, depth > 0, NO_GUARDS);
  if (!run.dynamic || !script.functions) return;
  // A command named only at run time (`"$@"` not exec'd, `$cmd`, `eval`) may call any function: those the script does not
  // call by name are read with unknown arguments.
  for (const name of script.functions) if (!run.called.has(name)) addRunCommands(ctx, deployment, run, script, name, { words: [], dir: args.dir }, false, NO_GUARDS);
}

/** One script's reading: its function calls and what the arguments it was given have already started. */
interface ScriptRun {
  script: ShellScript;
  dir: string;
  env: EnvLookup;
  depth: number;
  /**
   * The first words of the commands handed over (`exec "$@"`): the command a wrapper is given runs once, however many branches
   * or functions of the script run it (a PgBouncer wrapper's `exec "$@"` when disabled, `"$@" &` beside pgbouncer when enabled).
   */
  handedOver: Set<CommandWord>;
  /** The functions the script calls by name. */
  called: Set<string>;
  calls: number;
  /** Some command that runs is named only at run time and may call any function. */
  dynamic: boolean;
}

const NO_GUARDS: ShellGuard[] = [];
/** Function calls followed per script, nested ones included: entrypoints make a few; recursion and huge input stop here. */
const MAX_FUNCTION_CALLS = 64;

/**
 * The commands of the script's top level (`inFunction` undefined) or of one function's body, run with `args` as their "$@"
 * (`argsKnown`: else "$@" stays as written). `read`: the script as read for this call (withFunctionArguments), whose
 * commands in the body have the call's `$1`. `callGuards`: the branches the calls that led here sit in.
 */
function addRunCommands(ctx: Context, deployment: Deployment, run: ScriptRun, read: ShellScript, inFunction: string | undefined, args: PassedArgs, argsKnown: boolean, callGuards: ShellGuard[]): void {
  const { script, dir, env, depth } = run;
  for (const command of read.commands) {
    if (command.inFunction !== inFunction) continue;
    const at = { file: script.file, start: command.start, end: command.end };
    if (!branchTaken(commandGuards(command), args.words, env, script.variables)) continue;
    // What "$@" stands for here: the arguments less those `shift` took.
    const passed = argsKnown ? shiftedArgs(args.words, command.shifted) : undefined;
    const first = command.words[0];
    const calls = !command.exec && command.wrappers.length === 0 ? script.functions : undefined;
    // `start_web --workers 4`: the function's body runs here, with these arguments as its "$@".
    if (first && calls?.has(first.value)) {
      const callWords = passed ? withPassedArgs(command.words, passed) : command.words;
      callFunction(ctx, deployment, run, first.value, { words: callWords.slice(1), dir }, [...callGuards, ...commandGuards(command)]);
      continue;
    }
    // What the script exports reaches the program it runs; the service's environment fills in the rest.
    const programEnv = command.exported ? lookupIn(command.exported, env) : env;
    // `exec "$@"` hands over to the arguments the script was given (Docker's CMD after an ENTRYPOINT script), or calls the function they name.
    if (first?.value === "$@" || first?.value === "$*") {
      const given = passed?.[0];
      if (!passed || !given) {
        if (!argsKnown && calls) run.dynamic = true;
        continue;
      }
      if (calls?.has(given.value)) callFunction(ctx, deployment, run, given.value, { words: passed.slice(1), dir: args.dir }, [...callGuards, ...commandGuards(command)]);
      if (calls?.has(given.value) || run.handedOver.has(given)) continue;
      const before = deployment.processes.length;
      addWordsProcesses(ctx, deployment, passed, given.fact.at ?? at, args.dir, programEnv, depth + 1);
      noteExported(deployment.processes.slice(before), command.exported);
      if (deployment.processes.length > before) run.handedOver.add(given);
      continue;
    }
    if (calls && first && (first.opaque || first.value.includes("$") || first.value === "eval")) run.dynamic = true;
    // `exec gunicorn app:app "$@"` in a script something runs: its arguments (the image's CMD after an ENTRYPOINT
    // script) are options of the server.
    const words = passed ? withPassedArgs(command.words, passed) : command.words;
    const invocation = recogniseServer(words);
    const passedCommand = passed !== undefined && words !== command.words && invocation !== undefined && passed.includes(invocation.program);
    if (passedCommand && run.handedOver.has(passed[0])) continue;
    if (!invocation && !startsProgram(ctx, words, dir)) continue;
    const before = deployment.processes.length;
    const devBefore = deployment.devServers?.length ?? 0;
    addWordsProcesses(ctx, deployment, words, at, dir, programEnv, depth, [], invocation);
    noteExported(deployment.processes.slice(before), command.exported);
    if (passedCommand) run.handedOver.add(passed[0]);
    const guards = callGuards.length > 0 ? [...callGuards, ...commandGuards(command)] : commandGuards(command);
    if (guards.length > 0) {
      for (const process of deployment.processes.slice(before)) process.guards = [...guards, ...(process.guards ?? [])];
      for (const devServer of deployment.devServers?.slice(devBefore) ?? []) devServer.guards = [...guards, ...(devServer.guards ?? [])];
    }
  }
}

function callFunction(ctx: Context, deployment: Deployment, run: ScriptRun, name: string, args: PassedArgs, guards: ShellGuard[]): void {
  run.called.add(name);
  if (run.calls++ >= MAX_FUNCTION_CALLS) return;
  addRunCommands(ctx, deployment, run, withFunctionArguments(run.script, name, args.words), name, args, true, guards);
}

/** Programs that run the script named after them (`sh start.sh`, `/usr/bin/env bash start.sh`). */
const SCRIPT_RUNNERS = new Set(["sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/env"]);

/**
 * Whether a command of a script or start command leads to something the model reads: a development server, celery
 * beat, supervisord, a script (also run by a shell: `sh start.sh`), the file `python main.py` runs or another program
 * of the app's own code (`arq …`, whose pool counts). Other commands (echo, sleep, alembic) are not followed.
 */
function startsProgram(ctx: Context, words: CommandWord[], dir: string): boolean {
  if (recogniseDevServer(words) || recogniseCeleryBeat(words) || supervisordOptionsStart(words) >= 0) return true;
  const program = words[0]?.value ?? "";
  if (SCRIPT_RUNNERS.has(program)) return words.length > 1 && startsProgram(ctx, words.slice(1), dir);
  return findScript(ctx, program, dir) !== undefined || appProgram(words) !== undefined || appScript(ctx, program, dir) !== undefined;
}

/** The arguments from the one `shift` has reached on; all of them, as written, where the shift is not known. */
function shiftedArgs(args: CommandWord[], shifted: Shift | undefined): CommandWord[] {
  return typeof shifted === "number" ? args.slice(shifted) : args;
}

/** The words with `"$@"` (or `$*`) after the program replaced by the arguments the script was given. */
function withPassedArgs(words: CommandWord[], args: CommandWord[]): CommandWord[] {
  const at = words.findIndex((w, i) => i > 0 && (w.value === "$@" || w.value === "$*"));
  return at < 0 ? words : [...words.slice(0, at), ...args, ...words.slice(at + 1)];
}

/** The script's exports go with the processes its command started (a nested script's own exports come first). */
function noteExported(processes: ServerProcess[], exported: Map<string, Fact<string>> | undefined): void {
  if (!exported || exported.size === 0) return;
  for (const process of processes) process.exported = process.exported ? new Map([...exported, ...process.exported]) : exported;
}

/**
 * False when the command sits in a branch that does not run for a value known as written: the script's first argument
 * (an entrypoint dispatching on the CMD: a `case "$1" in` pattern it does not match, pretix's `if [ "$1" == "taskworker" ]`)
 * or a variable of the service's environment that the script does not assign (dify's `if [[ "${MODE}" == "worker" ]]`,
 * `case "$MODE" in`, with `MODE: api` in compose). A branch runs when its test holds (`then`, a matching pattern) or
 * fails (`else`), and no earlier test of its `if`/`elif` chain or `case` held. Other tests and unknown values keep it.
 */
function branchTaken(guards: ShellGuard[], args: CommandWord[], env: EnvLookup, assigned: ReadonlyMap<string, unknown>): boolean {
  if (guards.length === 0) return true;
  return guards.every((guard) => {
    const valueOf = (name: string): string | undefined => {
      const value = POSITIONAL.test(name) ? shiftedArgs(args, guard.shifted)[Number(name) - 1]?.value : assigned.has(name) ? undefined : env(name)?.value;
      return value === undefined || value.includes("$") ? undefined : value;
    };
    if (guard.earlier?.some((condition) => testHolds(condition, guard, valueOf) === true)) return false;
    const holds = testHolds(guard.condition, guard, valueOf);
    return holds === undefined || holds === (guard.branch !== "else");
  });
}

const POSITIONAL = /^[1-9]$/;


/** `$MODE`, `"${MODE}"`, `${MODE:-api}` as a test's operand or a case subject: the variable, and the default its `:-`/`-` gives. */
const EXPANSION = String.raw`("?)\$(?:\{(\w+)(?:(:?-)([^}"'$\s]*))?\}|(\w+))\1`;
const CASE_SUBJECT = new RegExp(`^${EXPANSION}$`);
/** `[ "$MODE" = "worker" ]`, `[[ $1 == web ]]`, `test "${MODE}" != 'web'`: a variable compared with a plain word. */
const COMPARISON = new RegExp(String.raw`^(?:\[\[?|test)\s+${EXPANSION}\s+(==?|!=)\s+(["']?)([^"'\s*?[\]$]*)\7\s*\]?\]?$`);

/** Whether the test (or, in a `case`, the pattern) holds for the values `valueOf` knows; undefined when it cannot tell. */
function testHolds(condition: string, guard: ShellGuard, valueOf: (name: string) => string | undefined): boolean | undefined {
  if (guard.branch === "case") {
    const subject = CASE_SUBJECT.exec((guard.subject ?? "").trim());
    const value = subject ? expandedValue(subject, valueOf) : undefined;
    return value === undefined ? undefined : casePatternMatches(condition, value);
  }
  const trimmed = condition.trim();
  const match = COMPARISON.exec(trimmed);
  if (!match || (trimmed.startsWith("test") && trimmed.endsWith("]"))) return undefined;
  const value = expandedValue(match, valueOf);
  return value === undefined ? undefined : (match[8] === value) === (match[6] !== "!=");
}

/** The value an EXPANSION match stands for: the variable's, or the default `:-` gives an empty one (an unset one is not known to stay unset). */
function expandedValue(match: RegExpExecArray, valueOf: (name: string) => string | undefined): string | undefined {
  const value = valueOf(match[2] ?? match[5]);
  return value === "" && match[3] === ":-" ? match[4] : value;
}

/** Whether `value` matches a case pattern as written (`web)`, `"web"|server)`, `run-*)`). */
function casePatternMatches(pattern: string, value: string): boolean {
  const alternatives = pattern.replace(/^\(/, "").replace(/\)$/, "").split("|");
  return alternatives.some((alternative) => {
    const glob = alternative.trim().replace(/^(["'])(.*)\1$/, "$2");
    const source = glob.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".").replace(/\[!/g, "[^");
    try {
      return new RegExp(`^${source}$`).test(value);
    } catch {
      return true;
    }
  });
}

/**
 * supervisord run by a command: the programs of the file `-c` names (else of the supervisord.conf nearest
 * the folder it runs in, else of the supervisord files below that folder, as Debian's default config
 * includes conf.d/*.conf) and of the files it includes, each program's command run in `dir` (the build
 * context) unless its `directory=` is found in the workspace.
 */
function addSupervisordProcesses(ctx: Context, deployment: Deployment, words: CommandWord[], optionsStart: number, at: SourceRef, dir: string, env: EnvLookup, depth: number): void {
  const named = supervisordConfigArg(words, optionsStart);
  // A script's supervisord runs in the image's working folder, not the script's (redash's bin/docker-entrypoint
  // runs `supervisord -c worker.conf` from /app): else the named file anywhere (or at the root, whatever its
  // name), if it is supervisord's.
  const anywhere = (name: string) => {
    const found = findNearby(ctx, "", name) ?? namedFile(ctx, "", name);
    return found && readSupervisorConf(ctx, found)?.recognised ? found : undefined;
  };
  const main = named ? (namedFile(ctx, dir, named) ?? anywhere(named)) : (findNearby(ctx, dir, "supervisord.conf") ?? anywhere("supervisord.conf"));
  const prefix = dir ? `${dir}/` : "";
  const candidates = ctx.cache.get(SUPERVISOR_CANDIDATES) as string[];
  const files = main ? supervisorConfigFiles(ctx, main) : candidates.filter((p) => p.startsWith(prefix) && readSupervisorConf(ctx, p)?.recognised);
  for (const file of files) deployment.links.push({ from: at.file, to: file, why: `supervisord reads the programs it starts from ${file}` });
  addSupervisorPrograms(ctx, deployment, files, dir, env, depth);
}

/** The processes of the programs `files` start; numprocs copies of a program are its process's `copies`. */
function addSupervisorPrograms(ctx: Context, deployment: Deployment, files: string[], dir: string, env: EnvLookup, depth: number): void {
  for (const file of files) {
    deployment.files.add(file);
    ctx.claimed.add(file);
  }
  for (const run of supervisorRuns(ctx, files, dir, env)) {
    if (run.script.commands.some((command) => PROXY_PROGRAM.test(command.words[0]?.value ?? ""))) deployment.proxyBeside ??= run.at.file;
    const before = deployment.processes.length;
    addWordsProcesses(ctx, deployment, startingWords(run.script, false), run.at, run.dir, run.env, depth + 1);
    noteExported(deployment.processes.slice(before), run.environment);
    if (run.copies) for (const process of deployment.processes.slice(before)) process.copies = run.copies;
  }
}

/** A supervisord config nothing runs (a server's /etc/supervisor, outside a container): a deployment of its own. */
function supervisorDeployment(ctx: Context, path: string): Deployment | undefined {
  if (!readSupervisorConf(ctx, path)?.recognised) return undefined;
  const deployment = newDeployment(`supervisor:${path}`, path, [path]);
  addSupervisorPrograms(ctx, deployment, supervisorConfigFiles(ctx, path), dirOf(path), () => undefined, 0);
  return deployment.processes.length > 0 || deployment.devServers ? deployment : undefined;
}

/**
 * A systemd service unit (parse/systemd.ts) on a VM: its ExecStart= read as a command line from the repository's root
 * (its WorkingDirectory= is the checkout on the server), in the environment of its Environment= lines and the
 * EnvironmentFile= files the workspace holds (by their name, nearest the unit, else at the root), which win over
 * Environment=, as systemd applies them. CPUQuota= and MemoryMax= bound the service's cgroup: its CPUs and memory.
 */
function systemdDeployment(ctx: Context, path: string): Deployment | undefined {
  const text = ctx.host.read(path);
  if (text === undefined || !looksLikeServiceUnit(text)) return undefined;
  const unit = cached(ctx, `systemd:${path}`, () => ctx.parses.get(`systemd:${path}`, text, () => parseServiceUnit(text, path)));
  ctx.problems.push(...unit.problems);
  if (!unit.execStart) return undefined;
  const name = path.slice(path.lastIndexOf("/") + 1);
  const deployment = newDeployment(`systemd:${path}`, `${name} (${path})`, [path]);
  for (const [key, fact] of unit.environment) deployment.env.set(key, fact);
  for (const file of unit.environmentFiles) {
    const base = file.path.slice(file.path.lastIndexOf("/") + 1);
    const found = base ? (findNearby(ctx, dirOf(path), base) ?? existing(ctx, base)) : undefined;
    if (!found) continue;
    deployment.files.add(found);
    deployment.links.push({ from: path, to: found, why: `${name} reads its environment from ${file.path} (EnvironmentFile=)` });
    for (const [key, fact] of readDotenv(ctx, found, true)) deployment.env.set(key, fact);
  }
  if (unit.cpus) deployment.cpus = unit.cpus;
  if (unit.memoryMiB) deployment.memoryMiB = unit.memoryMiB;
  const env = lookupIn(deployment.env);
  const script = parseCommandLine(unit.execStart.value, path, unit.execStart.start, env);
  addCommandProcesses(ctx, deployment, script, "", env, { words: [], dir: "" }, 0);
  return deployment.processes.length > 0 || deployment.devServers ? deployment : undefined;
}

function procfileDeployments(ctx: Context, path: string): Deployment[] {
  const text = ctx.host.read(path);
  if (text === undefined) return [];
  const manifest = herokuAppJson(ctx, dirOf(path));
  const procfile = parseProcfile(text, path, manifest && lookupIn(manifest.app.env));
  ctx.problems.push(...procfile.problems);
  return procfile.processes.map((process) => {
    const deployment = newDeployment(`procfile:${path}#${process.name}`, `${process.name} (${path})`, [path]);
    if (manifest) {
      // Heroku sets the manifest's config vars for every process type of the app; formation sets this one's dynos.
      for (const [name, fact] of manifest.app.env) deployment.env.set(name, fact);
      const concurrency = herokuWebConcurrency(manifest.app, process.name, herokuLanguage(manifest.app, text));
      if (concurrency) deployment.env.set("WEB_CONCURRENCY", concurrency);
      const dynos = manifest.app.quantity.get(process.name);
      if (dynos) deployment.instances = dynos;
      if (manifest.app.env.size > 0 || dynos || manifest.app.size.has(process.name)) {
        deployment.files.add(manifest.path);
        deployment.links.push({ from: path, to: manifest.path, why: "Heroku sets up this app with the config vars and dynos of app.json" });
      }
    }
    // The buildpack exports WEB_CONCURRENCY before the dyno's command runs: `${WEB_CONCURRENCY:-2}` expands to it.
    const expanded = deployment.env.get("WEB_CONCURRENCY")?.origin === "default" && text.includes("WEB_CONCURRENCY")
      ? parseProcfile(text, path, lookupIn(deployment.env)).processes.find((p) => p.name === process.name)?.script
      : undefined;
    addCommandProcesses(ctx, deployment, expanded ?? process.script, dirOf(path), lookupIn(deployment.env), { words: [], dir: dirOf(path) }, 0);
    return deployment;
  });
}

function herokuAppJson(ctx: Context, dir: string): { path: string; app: HerokuAppJson } | undefined {
  const path = existing(ctx, join(dir, "app.json"));
  const text = path === undefined ? undefined : ctx.host.read(path);
  if (path === undefined || text === undefined) return undefined;
  const app = cached(ctx, `app.json:${path}`, () => parseAppJson(text, path));
  return app && { path, app };
}

/** Whether the deployment is known to run the app's code: a server, a development server, celery beat or another program of the app. */
function runsAppCode(deployment: Deployment): boolean {
  return deployment.processes.length > 0 || deployment.devServers !== undefined || deployment.celeryBeat !== undefined || deployment.appCommand !== undefined;
}

/**
 * Heroku's release phase (the Procfile's `release` type) runs once per deploy, a one-off command such as a
 * migration, not a dyno that serves: its environment's pool variables size no standing pool, whatever it runs.
 */
function isReleasePhase(deployment: Deployment): boolean {
  return /^procfile:.*#release$/.test(deployment.id);
}

/** The Heroku Postgres databases the app.json beside each Procfile provisions, used by that Procfile's process types. */
function herokuDatabases(ctx: Context, procfiles: string[], deployments: Deployment[]): Database[] {
  const databases: Database[] = [];
  for (const procfile of procfiles) {
    const manifest = herokuAppJson(ctx, dirOf(procfile));
    const postgres = manifest && herokuPostgres(manifest.app.addons);
    if (!manifest || !postgres) continue;
    const clients = deployments.filter((d) => d.id.startsWith(`procfile:${procfile}#`) && isDatabaseClient(d));
    databases.push(herokuDatabase({ ...postgres, file: manifest.path }, clients));
  }
  return databases;
}

/** The Heroku Postgres database a plan provisions (app.json's or heroku.yml's add-ons), with `clients` using it. */
function herokuDatabase(postgres: { plan: Fact<string>; connections: number; file: string }, clients: Deployment[]): Database {
  const { plan, file } = postgres;
  for (const client of clients) client.files.add(file);
  return {
    name: `${plan.value} (${file})`,
    maxConnections: { value: postgres.connections, origin: "stated", by: "Heroku Postgres", ...(plan.at ? { at: plan.at } : {}) },
    limitNote: `the published limit of the Heroku Postgres plan ${plan.value}; set facts.max_connections in headroom.yml if yours differs`,
    // The plan's limit is what the app's role may open: no superuser slot comes out of it.
    reserved: { value: 0, origin: "default", by: "Heroku Postgres" },
    files: new Set([file]),
    clients: clients.map((d) => d.id),
  };
}

function addProcfileWeb(ctx: Context, deployment: Deployment, path: string, env: EnvLookup): void {
  const text = ctx.host.read(path);
  if (text === undefined) return;
  const web = parseProcfile(text, path, env).processes.find((p) => p.name === "web");
  deployment.files.add(path);
  if (web) addCommandProcesses(ctx, deployment, web.script, dirOf(path), env, { words: [], dir: dirOf(path) }, 0);
}

function findScript(ctx: Context, program: string, dir: string): string | undefined {
  if (!program || program.startsWith("-")) return undefined;
  const name = program.slice(program.lastIndexOf("/") + 1);
  if (!name) return undefined;
  // What the image's COPY lines put at that path, whatever its name in the workspace; a file of another kind there is no script.
  const copied = ctx.image && copiedToImage(ctx, ctx.image, program);
  if (copied) return fileKind(copied) === "shell" || isShellText(ctx.host.read(copied)) ? copied : undefined;
  if (fileKind(name) === "shell") return findNearby(ctx, dir, program);
  // A path to an extensionless file (./bin/web, /app/bin/server) is a script when it is one for the shell.
  if (!program.includes("/") || name.includes(".")) return undefined;
  const path = namedFile(ctx, dir, program);
  return path !== undefined && isShellText(ctx.host.read(path)) ? path : undefined;
}

/** A file the shell runs: a shell's shebang, or none (`sh` runs a file without one). */
function isShellText(text: string | undefined): boolean {
  return text !== undefined && (hasShellShebang(text) || !text.startsWith("#!"));
}

/** The folders of Docker's default PATH, where a command named without a slash is looked for. */
const IMAGE_PATH_FOLDERS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * The build-context file the image's COPY/ADD lines put where `program` is: its path in the container (relative to the
 * WORKDIR), or for a bare name the first PATH folder one is copied to. Undefined when no COPY line puts a workspace file there.
 */
function copiedToImage(ctx: Context, image: NonNullable<Context["image"]>, program: string): string | undefined {
  const imagePaths = program.includes("/") ? [inWorkdir(program, image.stage.workdir ?? BASE_WORKDIR)] : IMAGE_PATH_FOLDERS.map((folder) => `${folder}/${program}`);
  for (const imagePath of imagePaths) {
    const found = fileInImage(ctx, image, imagePath);
    if (found) return found;
  }
  return undefined;
}

/**
 * The build-context file the image's COPY/ADD lines put where a command reads `name` (`-c /etc/gunicorn/conf.py`): an
 * absolute path, or one relative to the WORKDIR when the command runs there (`dir` is the build context).
 */
function imageFile(ctx: Context, dir: string, name: string): string | undefined {
  const image = ctx.image;
  if (!image || (!name.startsWith("/") && dir !== image.contextDir)) return undefined;
  return fileInImage(ctx, image, inWorkdir(name, image.stage.workdir ?? "/"));
}

/**
 * The build-context file the image's COPY/ADD lines put at `imagePath`, the last line that writes a workspace file there. A
 * file named as no deployment file is (`docker/web.run`) is not among the audit's paths: it is looked for by reading it.
 */
function fileInImage(ctx: Context, image: NonNullable<Context["image"]>, imagePath: string): string | undefined {
  for (const candidate of contextCandidates(image.stage.copies, BASE_WORKDIR, imagePath)) {
    const path = join(image.contextDir, candidate);
    if (existing(ctx, path) || (fileKind(path) === undefined && ctx.host.read(path) !== undefined)) return path;
  }
  return undefined;
}

/**
 * `#!/bin/sh`, `#!/usr/bin/env bash`, `#!/bin/dash -e`, …: a script the shell runs; also through s6-overlay's with-contenv
 * (`#!/usr/bin/with-contenv bash`, `#!/command/with-contenv sh`, Home Assistant's `bashio`), which runs the shell it names.
 */
function hasShellShebang(text: string | undefined): boolean {
  return text !== undefined && /^#!\s*(?:(\/usr)?\/bin\/(env\s+)?|\S*\/with-contenv\s+(?:(?:\/usr)?\/bin\/)?)(ba|da|z|k|a)?sh(?:io)?\b/.test(text.replace(/^\uFEFF/, ""));
}

/**
 * A file a command names, relative to the folder it runs in. Scripts and config files are often
 * copied to another path in the image (/start.sh, /app/docker/entrypoint.sh), so when that exact
 * path is not in the workspace, take the file of the same name closest to the folder.
 */
export function findNearby(ctx: Context, dir: string, name: string): string | undefined {
  const exact = existing(ctx, join(dir, name.replace(/^\.\//, "")));
  if (exact) return exact;
  const base = name.slice(name.lastIndexOf("/") + 1);
  const prefix = dir ? `${dir}/` : "";
  if (!ctx.names.byName) {
    const byName = new Map<string, string[]>();
    for (const p of ctx.paths) {
      const fileName = p.slice(p.lastIndexOf("/") + 1);
      const named = byName.get(fileName);
      if (named) named.push(p);
      else byName.set(fileName, [p]);
    }
    ctx.names.byName = byName;
  }
  const candidates = (ctx.names.byName.get(base) ?? []).filter((p) => p.startsWith(prefix));
  const found = candidates.sort((a, b) => a.length - b.length)[0];
  ctx.onNearby?.(dir, name, found);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Server settings

/** `givenConfig`: gunicorn's settings file when the caller knows it (an image's own gunicorn_conf.py), instead of looking for one. */
function serverProcess(ctx: Context, deployment: Deployment, invocation: ServerInvocation, words: CommandWord[], at: SourceRef, dir: string, env: EnvLookup, givenConfig?: SettingsFile): ServerProcess {
  const process: ServerProcess = { invocation, words: words as ServerProcess["words"], commandAt: at, workdir: dir, workers: defaultWorkers(invocation) };
  const programAt = invocation.program.fact.at ?? at;
  process.workers.at = { file: at.file, start: invocation.program.start, end: invocation.program.end };
  if (programAt.file !== at.file) process.workers.at = at;
  const reload = optionValue(invocation, "reload");
  if (reload) process.reload = { file: at.file, start: reload.flag.start, end: reload.flag.end };

  const envArgs = invocation.server === "gunicorn" ? gunicornEnvArgs(ctx, env, at) : undefined;
  if (envArgs) process.envArgs = envArgs;
  const conf =
    invocation.server === "gunicorn" ? (givenConfig ?? gunicornConfig(ctx, deployment, invocation, envArgs, dir))
    : invocation.server === "puma" ? pumaConfig(ctx, deployment, invocation, dir)
    : invocation.server === "unicorn" ? unicornConfig(ctx, deployment, invocation, dir)
    : invocation.server === "uwsgi" ? uwsgiConfig(ctx, deployment, invocation, dir, env)
    : invocation.server === "sidekiq" ? sidekiqConfig(ctx, deployment, invocation, dir, env)
    : invocation.server === "hypercorn" ? hypercornConfig(ctx, deployment, invocation, dir)
    : invocation.server === "rails" ? railsPumaConfig(ctx, deployment, invocation, dir)
    : undefined;
  // A Ruby config file's settings written in if/elsif/else branches: the branch this environment runs (`if Rails.env.production?`).
  if (conf && (invocation.server === "puma" || invocation.server === "rails" || invocation.server === "unicorn")) conf.settings = resolveBranches(conf.settings, (name) => env(name)?.value);
  if (conf) process.config = { path: conf.path, settings: conf.settings };
  if (invocation.server === "sidekiq") {
    const capsules = sidekiqInitializerCapsules(ctx, deployment, invocation, dir);
    if (capsules.length > 0) process.initializerCapsules = capsules;
    if (isSidekiqSwarm(invocation)) process.sidekiqSwarm = sidekiqSwarmProcesses(env);
  }
  if (invocation.server === "puma" || (invocation.server === "rails" && conf)) process.threads = pumaThreads(invocation, conf, env);
  if (invocation.server === "good_job") {
    process.goodJob = goodJobThreads(invocation, env, goodJobConfig(ctx, deployment, railsAppNear(ctx, dir), env));
    return process;
  }
  const asyncJobs = invocation.server === "puma" || invocation.server === "rails" ? goodJobAsync(env, goodJobConfig(ctx, deployment, conf ? railsAppRoot(conf.path) : railsAppNear(ctx, dir), env)) : undefined;
  if (asyncJobs) process.goodJob = asyncJobs;
  if (invocation.server === "solid_queue") {
    const async = solidQueueCliAsync(invocation, env);
    process.solidQueue = solidQueueTree(ctx, deployment, dir, env, { ...solidQueueCliOptions(invocation), command: at, ...(async ? { async } : {}) }, at.file);
    return process;
  }
  const plugin = conf && (invocation.server === "puma" || invocation.server === "rails") ? solidQueuePlugin(conf, env) : undefined;
  const notLoaded = plugin === undefined && conf?.settings.get(`${PUMA_PLUGIN}solid_queue`);
  if (conf && notLoaded && notLoaded.when) process.solidQueueNotLoaded = { at: { file: conf.path, ...notLoaded.span }, when: notLoaded.when };
  // Action Cable mounted in the Rails app: each Puma process runs its worker pool too.
  // A standalone cable server (`puma cable/config.ru`, Rails' guide) runs the worker pool in its own processes.
  const cableRackup = invocation.server === "puma" ? invocation.positionals.find((w) => /(^|\/)cable\/config\.ru$/.test(w.value)) : undefined;
  const cableAt = cableRackup && { file: at.file, start: cableRackup.start, end: cableRackup.end };
  const cable =
    cableRackup && cableAt ? actionCable(ctx, deployment, join(dir, cableRackup.value.replace(/(^|\/)cable\/config\.ru$/, "") || "."), env, cableRackup.fact.at ?? cableAt)
    : conf && (invocation.server === "puma" || invocation.server === "rails") && conf.path.endsWith("config/puma.rb") ? actionCable(ctx, deployment, railsAppRoot(conf.path), env)
    : undefined;
  if (cable) process.actionCable = cable;
  if (conf && plugin) {
    const async = solidQueuePumaAsync(conf, env);
    const options = { inPuma: plugin.at, ...(plugin.when ? { inPumaWhen: plugin.when } : {}), ...(async ? { async } : {}) };
    process.solidQueue = solidQueueTree(ctx, deployment, railsAppRoot(conf.path), env, options, conf.path);
  }
  if (invocation.server === "gunicorn") {
    const threads = gunicornNumber(invocation, envArgs, conf, env, "threads");
    if (threads) process.threads = threads;
    const greenlets = gunicornGreenlets(invocation, envArgs, conf, env);
    if (greenlets) process.greenlets = greenlets;
  }
  if (invocation.server === "uwsgi") {
    const threads = uwsgiNumber(invocation, conf, env, "threads");
    if (threads) process.threads = threads;
    // uWSGI's gevent loop engine: `--gevent N` async cores per process, each request in a greenlet (SOURCES.uwsgiGevent).
    const cores = uwsgiNumber(invocation, conf, env, "gevent");
    if (cores && cores.value > 0) process.greenlets = { kind: "gevent", workerClass: { ...cores, value: "gevent" }, connections: cores, setting: "gevent" };
  }

  // celery's thread and green pools run --concurrency threads or greenlets (solo: one task) in the worker's one process.
  const pool = invocation.server === "celery" ? optionValue(invocation, "pool")?.value : undefined;
  if (pool && ONE_PROCESS_CELERY_POOLS.has(pool.value)) {
    const concurrency = optionValue(invocation, "concurrency")?.value;
    const n = Number(concurrency?.fact.value ?? Number.NaN);
    if (pool.value !== "solo" && concurrency && Number.isFinite(n)) process.threads = { ...concurrency.fact, value: n };
    process.workers = { value: 1, origin: "default", by: `celery's ${pool.value} pool, which runs in the worker's one process`, ...(pool.fact.at ? { at: pool.fact.at } : {}) };
    return process;
  }
  // celery's --autoscale=MAX,MIN grows the pool to MAX processes under load, whatever --concurrency says.
  const autoscaleMax = invocation.server === "celery" ? celeryAutoscaleMax(ctx, invocation) : undefined;
  if (autoscaleMax) {
    process.workers = autoscaleMax;
    return process;
  }
  // gunicorn's order, most authoritative first: command line, GUNICORN_CMD_ARGS, config file, WEB_CONCURRENCY.
  const workersOption = invocation.server === "celery" || invocation.server === "sidekiq" ? "concurrency" : invocation.server === "uwsgi" ? "processes" : "workers";
  for (const options of envArgs ? [invocation, envArgs] : [invocation]) {
    const flag = optionValue(options, workersOption);
    const n = Number(flag?.value?.fact.value ?? Number.NaN);
    if (flag?.value && Number.isFinite(n)) {
      process.workers = { ...flag.value.fact, value: n };
      return process;
    }
    if (invocation.server === "celery" && !flag && celeryCountsCpus(invocation, env)) {
      process.workersFromCpuCount = { at: process.workers.at ?? at, formula: "celery worker without --concurrency", cpuFormula: { multiplier: 1, add: 0 }, option: "--concurrency" };
    }
    // Set where it runs: the command line still decides, so no lower-priority place does.
    if (flag?.value && flag.value.value.includes("$") && flag.value.fact.at) {
      // `--workers $(( $(nproc) * 2 + 1 ))`: the shell counts the CPUs it sees; an exec-form word reaches the server unexpanded.
      const expanded = [flag.value, flag.flag].some((word) => "opaque" in word && word.opaque);
      const cpuFormula = expanded ? shellCpuFormula(flag.value.value) : undefined;
      if (cpuFormula) process.workersFromCpuCount = { at: flag.value.fact.at, formula: `${flagName(flag)} ${flag.value.value}`, cpuFormula, option: flagName(flag) };
      else process.workersUnresolved = flag.value.fact.at;
      return process;
    }
  }
  const written = conf?.settings.get(CONFIG_WORKERS[invocation.server] ?? "workers");
  // A count set in a branch taken on one variable (`if ENV["RAILS_ENV"] == "production"`) counts where the deployment meets it.
  const setting = written && (written.when === undefined || settingApplies(written, env)) ? written : undefined;
  if (conf && setting) {
    const resolved = settingNumber(setting, conf.path, env);
    if (resolved) {
      process.workers = resolved;
      return process;
    }
    // `WEB_CONCURRENCY` unset and the fallback computed from cpu_count() (tiangolo's gunicorn_conf.py) counts as cpu_count().
    const fromCpu = setting.kind === "env" && setting.envName && !env(setting.envName) && setting.fallback?.kind === "cpu-count" ? setting.fallback : setting;
    if (fromCpu.kind === "cpu-count") {
      // `int(os.getenv("GUNICORN_WORKERS", cpu_count() * 2 + 1))`: the variable is where the count is set instead.
      const variable = fromCpu !== setting && setting.envName ? { option: `${setting.envName}=` } : {};
      const cpuFormula = fromCpu.cpuFormula ? { cpuFormula: fromCpu.cpuFormula } : {};
      process.workersFromCpuCount = { at: { file: conf.path, ...fromCpu.span }, formula: cpuCountFormula(conf.text, fromCpu, setting), ...cpuFormula, ...variable };
      // The file sets the count, so WEB_CONCURRENCY (gunicorn's default for it) does not apply.
      if (!setting.conditional) return process;
    }
  }
  // uvicorn, granian and uWSGI read every option from a prefixed variable too (below the command line, above WEB_CONCURRENCY).
  // uvicorn.run() reads WEB_CONCURRENCY (its Config does) but not UVICORN_WORKERS, which only its command line reads;
  // `fastapi run` calls uvicorn.run().
  const ownVariable = invocation.server === "uwsgi" ? uwsgiEnvOption(env, "processes")?.name : invocation.call || isFastapiRun(invocation) ? undefined : SERVER_WORKERS_ENV[invocation.server];
  const readsConcurrency = ["gunicorn", "uvicorn", "puma"].includes(invocation.server) || (invocation.server === "rails" && conf !== undefined);
  const own = ownVariable ? env(ownVariable) : undefined;
  const concurrency = own || (readsConcurrency ? env("WEB_CONCURRENCY") : undefined);
  if (concurrency && Number.isFinite(Number(concurrency.value))) process.workers = { ...concurrency, value: Number(concurrency.value) };
  else if (concurrency?.at && isComputedByShell(concurrency)) {
    // `export WEB_CONCURRENCY=$(( $(nproc) * 2 + 1 ))` in the start script: the shell counts the CPUs it sees.
    const cpuFormula = shellCpuFormula(concurrency.value);
    const name = own ? (ownVariable as string) : "WEB_CONCURRENCY";
    if (cpuFormula) process.workersFromCpuCount = { at: concurrency.at, formula: `${name}=${concurrency.value}`, cpuFormula, option: `${name}=` };
  }
  return process;
}

/**
 * The text that counts the CPUs, as a message names it: the expression, or for a local variable (`workers worker_count`)
 * the line assigning it (`worker_count = Integer(ENV.fetch("WEB_CONCURRENCY") { Concurrent.physical_processor_count })`),
 * which says what counts them.
 */
function cpuCountFormula(text: string, expr: SettingExpr, setting: SettingExpr): string {
  const written = text.slice(expr.span.start, expr.span.end);
  const local = [...(expr.via ?? []), ...(setting.via ?? [])].find((step) => step.note.startsWith("local variable ") && text.slice(step.span.start, step.span.end) === written);
  if (!local) return written;
  const lineEnd = text.indexOf("\n", local.span.start);
  return text.slice(local.span.start, lineEnd < 0 ? text.length : lineEnd).trim();
}

/** The config file setting that counts worker processes, where it is not `workers`. */
const CONFIG_WORKERS: Partial<Record<ServerInvocation["server"], string>> = { uwsgi: "processes", sidekiq: "concurrency", unicorn: "worker_processes" };

/** The environment variable a server reads its worker count from (uvicorn: "use environment variables with the prefix UVICORN_"). */
const SERVER_WORKERS_ENV: Partial<Record<string, string>> = { uvicorn: "UVICORN_WORKERS", granian: "GRANIAN_WORKERS" };

/**
 * Celery's prefork pool starts one process per CPU of the host when nothing sets the concurrency.
 * CELERY_WORKER_CONCURRENCY / CELERYD_CONCURRENCY in the environment are usually read by the app's
 * settings into worker_concurrency, so they count as setting it; so do --autoscale and the pools that
 * do not fork (solo, threads, gevent, eventlet).
 */
function celeryCountsCpus(invocation: ServerInvocation, env: EnvLookup): boolean {
  const pool = optionValue(invocation, "pool")?.value?.value;
  if (pool !== undefined && pool !== "prefork" && pool !== "processes") return false;
  return !optionValue(invocation, "autoscale") && !env("CELERY_WORKER_CONCURRENCY") && !env("CELERYD_CONCURRENCY");
}

function defaultWorkers(invocation: ServerInvocation): Fact<number> {
  return { value: 1, origin: "default", by: invocation.server };
}

/**
 * The MAX of `celery worker --autoscale=MAX,MIN` (celery splits it at the comma, the maximum first), at its digits
 * when the value is written as it is read (so that an edit of the count keeps `,MIN`).
 */
/** celery worker pools that fork no child processes (SOURCES.celeryConcurrencyPools). */
const ONE_PROCESS_CELERY_POOLS = new Set(["threads", "gevent", "eventlet", "solo"]);

function celeryAutoscaleMax(ctx: Context, invocation: ServerInvocation): Fact<number> | undefined {
  const value = optionValue(invocation, "autoscale")?.value;
  const m = value && /^(\s*)(\d+)\s*(,\s*\d*\s*)?$/.exec(value.fact.value);
  if (!value || !m) return undefined;
  const at = value.fact.at;
  const written = at && ctx.host.read(at.file)?.slice(at.start, at.end) === value.fact.value;
  const digits = at && written ? { ...at, start: at.start + m[1].length, end: at.start + m[1].length + m[2].length } : at;
  return { ...value.fact, value: Number(m[2]), ...(digits ? { at: digits } : {}) };
}

/**
 * gunicorn's config file: `-c` on the command line, else `-c` in GUNICORN_CMD_ARGS, else
 * ./gunicorn.conf.py. `-c` takes PATH, `file:PATH` or `python:MODULE` (a dotted module, found
 * here as its .py file: never imported).
 */
function gunicornConfig(ctx: Context, deployment: Deployment, invocation: ServerInvocation, envArgs: ServerInvocation | undefined, dir: string): SettingsFile | undefined {
  const named = (optionValue(invocation, "config") ?? (envArgs && optionValue(envArgs, "config")))?.value?.value;
  const path = named === undefined ? (imageFile(ctx, dir, "gunicorn.conf.py") ?? findNearby(ctx, dir, "gunicorn.conf.py")) : namedFile(ctx, dir, gunicornConfigPath(named));
  return settingsFile(ctx, deployment, invocation, path, parseGunicornConf);
}

/** `rails server` runs Puma (unless `--using` names another server), which loads config/puma.rb; Rails' `-c` is config.ru. */
function railsPumaConfig(ctx: Context, deployment: Deployment, invocation: ServerInvocation, dir: string): SettingsFile | undefined {
  const using = optionValue(invocation, "using")?.value?.value;
  if (using !== undefined && using !== "puma") return undefined;
  const path = findNearby(ctx, dir, "config/puma.rb");
  return path && fileKind(path) === "puma" ? settingsFile(ctx, deployment, invocation, path, parsePumaRb) : undefined;
}

/** hypercorn's `--config`: a TOML file, or a Python file (`file:PATH`) or module (`python:MODULE`) read like gunicorn's. */
function hypercornConfig(ctx: Context, deployment: Deployment, invocation: ServerInvocation, dir: string): SettingsFile | undefined {
  const named = optionValue(invocation, "config")?.value?.value;
  if (named === undefined) return undefined;
  const python = /^(file|python):/.test(named);
  return settingsFile(ctx, deployment, invocation, namedFile(ctx, dir, gunicornConfigPath(named)), python ? parseGunicornConf : parseHypercornToml);
}

/** A file a command names explicitly: any name goes, so look in the workspace beyond deployment-file names. */
export function namedFile(ctx: Context, dir: string, name: string): string | undefined {
  const found = imageFile(ctx, dir, name) ?? findNearby(ctx, dir, name);
  if (found) return found;
  const exact = join(dir, name.replace(/^\.\//, ""));
  return exact && ctx.host.read(exact) !== undefined ? exact : undefined;
}

export function gunicornConfigPath(value: string): string {
  if (value.startsWith("python:")) return `${value.slice("python:".length).replace(/\./g, "/")}.py`;
  return value.replace(/^file:/, "");
}

/**
 * GUNICORN_CMD_ARGS from the deployment's environment, split as gunicorn splits it (shlex: quotes,
 * no variable expansion) and read with gunicorn's option table. Spans point into the value where
 * it is written as is.
 */
function gunicornEnvArgs(ctx: Context, env: EnvLookup, fallbackAt: SourceRef): ServerInvocation | undefined {
  const fact = env("GUNICORN_CMD_ARGS");
  if (!fact || fact.value.trim() === "") return undefined;
  const at = fact.at ?? fallbackAt;
  const noExpansion: EnvLookup = () => undefined;
  const script = parseCommandLine(fact.value, at.file, at.start, noExpansion, textSpans(ctx, at, fact.value));
  const program: CommandWord = { value: "gunicorn", start: at.start, end: at.start, fact: { value: "gunicorn", origin: "stated", at: { ...at, end: at.start } } };
  return recogniseServer([program, ...script.commands.flatMap((c) => c.words)]);
}

/**
 * Character spans for a value parsed out of a file: undefined (offsets map one to one) when the
 * file holds the value as is; each character's own place when only blanks and line breaks differ
 * (a YAML block scalar `command: >` folds lines and drops their indentation) or compose's `$$`
 * stands for `$`; else every character points at the whole of `at`, coarse but correct (escapes).
 */
function textSpans(ctx: Context, at: SourceRef, value: string): CharSpans | undefined {
  const written = ctx.host.read(at.file)?.slice(at.start, at.end);
  if (written === value) return undefined;
  return (written !== undefined && alignedSpans(written, value, at.start)) || { starts: Array.from({ length: value.length }, () => at.start), ends: Array.from({ length: value.length }, () => at.end) };
}

/** Places each non-blank character of `value` on the same character of `written`, in order, skipping blanks of `written` between them. */
export function alignedSpans(written: string, value: string, offset: number): CharSpans | undefined {
  const blank = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";
  const starts = new Array<number>(value.length);
  // A block scalar's text starts on the line after its `>`/`|` header (a lone CR ends a line too).
  const header = /^[>|][^\r\n]*(\r\n|\r|\n)/.exec(written);
  if (/^[>|]/.test(written) && !header) return undefined;
  let j = header ? header[0].length : 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (blank(c)) {
      starts[i] = offset + Math.min(j, written.length);
      if (blank(written[j])) j++;
      continue;
    }
    while (j < written.length && written[j] !== c && blank(written[j])) j++;
    // compose's `$$` stands for one `$` of the value: place it on the second.
    if (c === "$" && written[j] === "$" && written[j + 1] === "$") j++;
    if (written[j] !== c) return undefined;
    starts[i] = offset + j++;
  }
  return { starts, ends: starts.map((start) => start + 1) };
}

/** Puma's config file: `-C file` (any name), else config/puma.rb, which puma loads by default. */
function pumaConfig(ctx: Context, deployment: Deployment, invocation: ServerInvocation, dir: string): SettingsFile | undefined {
  if (optionValue(invocation, "no_config")) return undefined;
  const named = optionValue(invocation, "config")?.value?.value;
  const path = named ? namedFile(ctx, dir, named) : findNearby(ctx, dir, "config/puma.rb");
  return path ? settingsFile(ctx, deployment, invocation, path, parsePumaRb) : undefined;
}

/** Unicorn's config file: `-c file` only (unicorn reads none by default). */
function unicornConfig(ctx: Context, deployment: Deployment, invocation: ServerInvocation, dir: string): SettingsFile | undefined {
  const named = optionValue(invocation, "config_file")?.value?.value;
  const path = named ? namedFile(ctx, dir, named) : undefined;
  return path && fileKind(path) === "unicorn" ? settingsFile(ctx, deployment, invocation, path, parseUnicornRb) : undefined;
}

/** A numeric gunicorn setting in its order (command line, GUNICORN_CMD_ARGS, config file); undefined when none sets it. */
function gunicornNumber(invocation: ServerInvocation, envArgs: ServerInvocation | undefined, conf: SettingsFile | undefined, env: EnvLookup, name: string): Fact<number> | undefined {
  for (const options of envArgs ? [invocation, envArgs] : [invocation]) {
    const flag = optionValue(options, name)?.value;
    if (flag && Number.isFinite(Number(flag.fact.value))) return { ...flag.fact, value: Number(flag.fact.value) };
  }
  const setting = conf?.settings.get(name);
  return conf && setting && !setting.conditional ? settingNumber(setting, conf.path, env) : undefined;
}

/**
 * gunicorn's gevent and eventlet workers: each serves up to worker_connections clients at once (default 1000,
 * SOURCES.gunicornWorkerConnections), each in a greenlet of its own. Undefined for another worker class, or one
 * Headroom cannot read (computed in the config file).
 */
function gunicornGreenlets(invocation: ServerInvocation, envArgs: ServerInvocation | undefined, conf: SettingsFile | undefined, env: EnvLookup): ServerProcess["greenlets"] {
  const workerClass = gunicornWorkerClass(invocation, envArgs, conf, env);
  const kind = workerClass && workerKind(workerClass.value);
  if (!workerClass || (kind !== "gevent" && kind !== "eventlet")) return undefined;
  const connections = gunicornNumber(invocation, envArgs, conf, env, "worker_connections") ?? { value: GUNICORN_WORKER_CONNECTIONS, origin: "default" as const, by: "gunicorn" };
  return { kind, workerClass, connections, setting: "worker_connections" };
}

/** gunicorn's worker_class as written, in gunicorn's order; undefined when unset (sync) or not readable. */
function gunicornWorkerClass(invocation: ServerInvocation, envArgs: ServerInvocation | undefined, conf: SettingsFile | undefined, env: EnvLookup): Fact<string> | undefined {
  for (const options of envArgs ? [invocation, envArgs] : [invocation]) {
    const option = optionValue(options, "worker_class");
    if (option) return option.value?.fact;
  }
  const setting = conf?.settings.get("worker_class");
  if (!conf || !setting || setting.conditional) return undefined;
  if (setting.kind === "string" && typeof setting.value === "string") return { value: setting.value, origin: "stated", at: { file: conf.path, ...setting.span } };
  if (setting.kind !== "env" || !setting.envName) return undefined;
  return env(setting.envName) ?? (setting.envDefault && { value: setting.envDefault.value, origin: "stated", at: { file: conf.path, ...setting.envDefault.span } });
}

/** uWSGI's ini file: `--ini file` (`file:section` picks a section), a positional `*.ini`, which uWSGI loads by its extension, or UWSGI_INI. */
function uwsgiConfig(ctx: Context, deployment: Deployment, invocation: ServerInvocation, dir: string, env: EnvLookup): SettingsFile | undefined {
  const named = optionValue(invocation, "ini")?.value?.value ?? invocation.positionals.find((w) => /\.ini(:[\w-]+)?$/.test(w.value))?.value ?? uwsgiEnvOption(env, "ini")?.fact.value;
  if (!named) return undefined;
  const [name, section] = named.split(/:(?=[\w-]+$)/);
  return settingsFile(ctx, deployment, invocation, namedFile(ctx, dir, name), (text) => parseUwsgiIni(text, section), section);
}

/**
 * Sidekiq's config file: `-C path`, else config/sidekiq.yml (or .yml.erb) of the app (`-r DIR`, else
 * the folder it runs in). The section of its environment (`-e`, else APP_ENV, RAILS_ENV, RACK_ENV,
 * else development, as Sidekiq decides) wins over the top level. The command line's `-c` wins over both.
 */
function sidekiqConfig(ctx: Context, deployment: Deployment, invocation: ServerInvocation, dir: string, env: EnvLookup): SettingsFile | undefined {
  const named = optionValue(invocation, "config_file")?.value?.value;
  const app = optionValue(invocation, "require")?.value?.value;
  const appDir = app && !app.endsWith(".rb") ? join(dir, app) : dir;
  const path = named ? namedFile(ctx, dir, named) : (findNearby(ctx, appDir, "config/sidekiq.yml") ?? findNearby(ctx, appDir, "config/sidekiq.yml.erb"));
  const environment = optionValue(invocation, "environment")?.value?.value ?? ["APP_ENV", "RAILS_ENV", "RACK_ENV"].map((name) => env(name)?.value).find((v) => v) ?? "development";
  return settingsFile(ctx, deployment, invocation, path, (text, file) => {
    const yml = parseSidekiqYml(text, file);
    ctx.problems.push(...yml.problems);
    const concurrency = sidekiqConcurrency(yml, environment);
    // Each capsule's threads as a setting of their own (`capsule:<name>`), for the pool (model/pools.ts).
    const capsules = sidekiqCapsules(yml, environment).flatMap((c): Array<[string, SettingExpr]> => (c.concurrency ? [[`${SIDEKIQ_CAPSULE}${c.name}`, c.concurrency]] : []));
    return { settings: new Map([...(concurrency ? [["concurrency", concurrency] as [string, SettingExpr]] : []), ...capsules]) };
  }, environment);
}

/**
 * The capsules the app's config/initializers/sidekiq.rb declares with a literal concurrency (read as text, never run).
 * Sidekiq boots the app after reading config/sidekiq.yml, so a capsule of the same name set up there is this one.
 */
function sidekiqInitializerCapsules(ctx: Context, deployment: Deployment, invocation: ServerInvocation, dir: string): Array<{ name: string; threads: Fact<number> }> {
  const app = optionValue(invocation, "require")?.value?.value;
  const path = findNearby(ctx, app && !app.endsWith(".rb") ? join(dir, app) : dir, "config/initializers/sidekiq.rb");
  const text = path === undefined ? undefined : ctx.host.read(path);
  if (path === undefined || text === undefined) return [];
  const capsules = cached(ctx, `sidekiq-initializer:${path}`, () => parseSidekiqInitializer(text, path)).flatMap((c) => (c.threads ? [{ name: c.name, threads: c.threads }] : []));
  if (capsules.length > 0) {
    deployment.files.add(path);
    deployment.links.push({ from: invocation.program.fact.at?.file ?? path, to: path, why: "Sidekiq runs the capsules this initializer declares" });
  }
  return capsules;
}

/**
 * The connections a single-mode Puma process (no forked workers) holds from its own pool: an async Solid Queue supervisor
 * runs in that same process, so its threads share what the request threads leave of the pool. In cluster mode it runs in
 * Puma's master, which serves no request.
 */
function pumaHeldConnections(process: ServerProcess, pool: Pool | undefined): number {
  const single = process.workers.value === 0 || (process.workers.origin === "default" && process.workers.value <= 1);
  if (!process.solidQueue?.async || !single || pool?.kind !== "activerecord") return 0;
  return Math.min(pool.size.value, pool.threadCap?.value ?? pool.size.value);
}

/**
 * The `plugin :solid_queue` line of config/puma.rb when the plugin loads: always, or under a condition on one environment
 * variable (Rails 8's template: `if ENV["SOLID_QUEUE_IN_PUMA"]`, as a modifier or a block) that the deployment's
 * environment meets; `when` names that variable. Under a condition Headroom cannot read, it is not counted.
 */
function solidQueuePlugin(conf: SettingsFile, env: EnvLookup): { at: SourceRef; when?: SolidQueueTree["inPumaWhen"] } | undefined {
  const plugin = conf.settings.get(`${PUMA_PLUGIN}solid_queue`);
  if (!plugin || !settingApplies(plugin, env)) return undefined;
  const at = { file: conf.path, ...plugin.span };
  if (!plugin.when) return { at };
  const set = env(plugin.when.envName);
  return { at, when: { envName: plugin.when.envName, ...(set ? { set } : {}) } };
}

/** Whether a setting of a Ruby config file is in force: unconditional, or its condition (on variables, Rails.env) holds. */
function settingApplies(setting: SettingExpr, env: EnvLookup): boolean {
  if (!setting.conditional) return true;
  return setting.when !== undefined && envConditionHolds(setting.when, (name) => env(name)?.value);
}

/** `solid_queue_mode :async` in config/puma.rb (the Solid Queue plugin's DSL), in force for this environment, or read from a variable. */
function solidQueuePumaAsync(conf: SettingsFile, env: EnvLookup): SolidQueueTree["async"] {
  const mode = conf.settings.get("solid_queue_mode");
  if (!mode || !settingApplies(mode, env)) return undefined;
  const variable = mode.kind === "env" && mode.envName ? env(mode.envName) : undefined;
  const value = mode.kind === "string" ? mode.value : mode.kind === "env" ? (variable?.value ?? mode.envDefault?.value) : undefined;
  if (typeof value !== "string" || value.trim().replace(/^:/, "") !== "async") return undefined;
  const via = variable ? `solid_queue_mode from ${mode.envName}=async` : "solid_queue_mode :async";
  return { via, at: variable?.at ?? { file: conf.path, ...mode.nameSpan } };
}

/** Puma's maximum threads per process: `-t min:max`, else `threads` in its config file, else Puma's default. */
function pumaThreads(invocation: ServerInvocation, conf: SettingsFile | undefined, env: EnvLookup): Fact<number> {
  const flag = optionValue(invocation, "threads")?.value;
  const fromFlag = flag && parsePumaThreads(flag.fact.value);
  if (flag && fromFlag) return { ...flag.fact, value: fromFlag.max };
  const setting = conf?.settings.get("max_threads");
  const fromConf = conf && setting && settingNumber(setting, conf.path, env);
  if (fromConf) return fromConf;
  // Puma's README: "The current default is 0:16 and on MRI is 0:5."
  return { value: 5, origin: "default", by: "Puma" };
}

/** The folder of the Rails app a command in `dir` runs: the one holding the nearest config/application.rb, else `dir`. */
function railsAppNear(ctx: Context, dir: string): string {
  const application = findNearby(ctx, dir, "config/application.rb");
  return application === undefined ? dir : railsAppRoot(application);
}

/** The children `sidekiqswarm` forks: SIDEKIQ_COUNT when a positive integer, else one per host core (SOURCES.sidekiqSwarm), unknown here. */
function sidekiqSwarmProcesses(env: EnvLookup): NonNullable<ServerProcess["sidekiqSwarm"]> {
  const count = env("SIDEKIQ_COUNT");
  const n = count && /^\s*\d+\s*$/.test(count.value) ? Number(count.value) : 0;
  if (count && n >= 1) return { processes: { ...count, value: n }, perHostCpu: false };
  return { processes: { value: 1, origin: "default", by: "sidekiqswarm" }, perHostCpu: true };
}

/** `config.good_job` of the app at `root`; the files that set it belong to the deployment (an edit there re-audits it). */
function goodJobConfig(ctx: Context, deployment: Deployment, root: string, env: EnvLookup): GoodJobRailsConfig {
  const config = goodJobRailsConfig(ctx, root, env);
  for (const fact of [config.maxThreads, config.queues, config.enableCron, config.executionMode]) if (fact?.at) deployment.files.add(fact.at.file);
  return config;
}

/**
 * The Rails database.yml a deployment's Ruby processes read: config/database.yml beside their
 * config/puma.rb, or the nearest one to their command. Its section is RAILS_ENV's (or RACK_ENV's);
 * production when neither is set, as a deployment is.
 */
function railsDatabase(ctx: Context, deployment: Deployment, initializers: readonly string[]): RailsDatabaseConfig | undefined {
  const process = deployment.processes.find((p) => RUBY_SERVERS.has(p.invocation.server));
  if (!process) return undefined;
  const beside = process.config && existing(ctx, join(dirOf(process.config.path), "database.yml"));
  const path = beside ?? findNearby(ctx, process.workdir ?? dirOf(process.commandAt.file), "config/database.yml");
  const text = path && ctx.host.read(path);
  if (!path || text === undefined) return undefined;
  const yml = cached(ctx, `database-yml:${path}`, () => {
    const parsed = parseDatabaseYml(text, path);
    ctx.problems.push(...parsed.problems);
    return parsed;
  });
  const environment = deployment.env.get("RAILS_ENV")?.value ?? deployment.env.get("RACK_ENV")?.value ?? "production";
  const section = yml.environments.get(environment);
  if (!section) return undefined;
  deployment.files.add(path);
  deployment.links.push({ from: process.commandAt.file, to: path, why: `Active Record reads the ${environment} section of ${path}` });
  // Sidekiq.server? is true in the sidekiq process only: its branch of the pool is that process's.
  const pool = process.invocation.server === "sidekiq" && section.sidekiqPool ? section.sidekiqPool : section.pool;
  const atBoot = poolSetAtBoot(ctx, railsAppRoot(path), initializers);
  if (atBoot) {
    deployment.files.add(atBoot.file);
    deployment.links.push({ from: path, to: atBoot.file, why: `${atBoot.file} sets the pool when the app boots` });
    // Unknown, not Rails' default: no number is taken for it.
    const span = pool?.span ?? { start: 0, end: 0 };
    return { path, environment, ...section, pool: { kind: "unknown", span, nameSpan: pool?.nameSpan ?? span }, poolSetAtBoot: atBoot };
  }
  return { path, environment, ...section, ...(pool ? { pool } : {}) };
}

const RAILS_INITIALIZERS = "rails-initializers";
const INITIALIZER = /(^|\/)config\/initializers\/[^/]+\.rb$/;

/** `config["pool"] = …`, `[:pool] = …`, `pool: …`, `"pool" => …`, `?pool=` in a URL: a pool the initializer sets. */
const POOL_ASSIGNED = /\[\s*(?:["']pool["']|:pool)\s*\]\s*=(?!=)|\bpool:\s*[^\s,})]|["']pool["']\s*=>|[?&]pool=/;

/**
 * The first line of the app's config/initializers/*.rb that sets the pool, in a file that connects again
 * (`establish_connection`): GitLab's database_config.rb (the pool from Puma's or Sidekiq's threads), the older Heroku and
 * Sidekiq advice (`config["pool"] = ENV["DB_POOL"]; ActiveRecord::Base.establish_connection(config)`). Undefined when none.
 */
function poolSetAtBoot(ctx: Context, root: string, initializers: readonly string[]): SourceRef | undefined {
  const folder = root === "" ? "config/initializers/" : `${root}/config/initializers/`;
  for (const path of initializers) {
    if (!path.startsWith(folder) || path.indexOf("/", folder.length) >= 0) continue;
    const text = ctx.host.read(path);
    const assigned = text !== undefined && text.includes("establish_connection") ? POOL_ASSIGNED.exec(text) : null;
    if (assigned) return { file: path, start: assigned.index, end: assigned.index + assigned[0].length };
  }
  return undefined;
}

/**
 * Django's CONN_MAX_AGE for a deployment's Python web server: the settings module named by
 * DJANGO_SETTINGS_MODULE, else `<project>.settings` for a `<project>.wsgi`/`.asgi` app (startproject's
 * layout), read as text; a `from .base import *` it starts from is read when it does not set it.
 */
function djangoConnections(ctx: Context, deployment: Deployment): DjangoConnections | undefined {
  const process = deployment.processes.find((p) => PYTHON_WEB_SERVERS.has(p.invocation.server) || p.invocation.server === "celery");
  if (!process) return undefined;
  const app = process.invocation.server === "celery" ? celeryDjangoProject(process.invocation) : appSpecs(process).map((spec) => /^([\w.]+)\.[wa]sgi(:\w+)?$/.exec(spec)?.[1]).find((m) => m !== undefined);
  const module = deployment.env.get("DJANGO_SETTINGS_MODULE")?.value ?? (app ? `${app}.settings` : undefined);
  if (!module || !/^[\w.]+$/.test(module)) return undefined;
  const dir = appFolder(process);
  if (dir === undefined) return undefined;
  // A module is a path: `mysite.settings` is some folder's mysite/settings.py, never another project's settings.py.
  const modulePath = (name: string) => {
    const found = namedFile(ctx, dir, name);
    return found === name || found?.endsWith(`/${name}`) ? found : undefined;
  };
  const path = modulePath(`${module.replace(/\./g, "/")}.py`) ?? modulePath(`${module.replace(/\./g, "/")}/__init__.py`);
  const env = lookupIn(deployment.env);
  const asgi = process.invocation.server === "celery" ? undefined : asgiApp(process);
  const found: DjangoConnections = { path: "", ...(asgi ? { asgi } : {}) };
  for (let file = path, hops = 0; file && hops < 3; hops++) {
    const text = ctx.host.read(file);
    if (text === undefined) break;
    const settings = cached(ctx, `django-settings:${file}`, () => parseDjangoSettings(text, file as string));
    const expr = settings.connMaxAge;
    if (expr && !found.connMaxAge) {
      const seconds = expr.none ? { value: null, origin: "stated" as const, at: { file, ...expr.span } } : settingNumber(expr, file, env);
      if (!seconds) return undefined;
      found.connMaxAge = seconds;
      found.path ||= file;
      deployment.files.add(file);
      deployment.links.push({ from: process.commandAt.file, to: file, why: `Django's settings module ${module} sets CONN_MAX_AGE` });
    }
    if (settings.pool && !found.pool) {
      const pool = djangoPoolSize(settings.pool, file, env);
      if (!pool) return undefined;
      found.pool = pool;
      found.path ||= file;
      deployment.files.add(file);
      deployment.links.push({ from: process.commandAt.file, to: file, why: `Django's settings module ${module} sets a connection pool (OPTIONS pool)` });
    }
    if (settings.databases && !found.databases) found.databases = { file, ...settings.databases };
    const base = settings.starImports.find((m) => m.startsWith(".") && !m.startsWith(".."));
    file = base ? existing(ctx, join(dirOf(file), `${base.slice(1).replace(/\./g, "/")}.py`)) ?? namedFile(ctx, dirOf(file), `${base.slice(1).replace(/\./g, "/")}.py`) : undefined;
  }
  if (found.connMaxAge || found.pool) return found;
  // DATABASES alone: CONN_MAX_AGE's default 0, a connection per thread (or greenlet) while its request runs.
  if (!found.databases) return undefined;
  deployment.files.add(found.databases.file);
  deployment.links.push({ from: process.commandAt.file, to: found.databases.file, why: `Django's settings module ${module} sets DATABASES` });
  return { ...found, path: found.databases.file };
}

/**
 * The most connections a Django 5.1 pool opens per process: its max_size; without one, min_size (psycopg_pool:
 * "If None, set it equal to min_size"); `"pool": True` takes ConnectionPool's defaults, min_size 4. Undefined
 * when a size is written in a way Headroom cannot read.
 */
function djangoPoolSize(pool: NonNullable<DjangoSettings["pool"]>, file: string, env: EnvLookup): DjangoConnections["pool"] {
  const written = pool.maxSize ?? pool.minSize;
  if (written) {
    const size = settingNumber(written, file, env);
    if (!size) return undefined;
    if (!pool.maxSize) return { maxSize: size, sizeName: "pool min_size (max_size unset)", at: { file, ...pool.enabled } };
    // psycopg_pool refuses a max_size below min_size (4 when unset): a fix must not go under it.
    const minSize = pool.minSize ? settingNumber(pool.minSize, file, env)?.value : PSYCOPG_POOL_MIN_SIZE;
    return { maxSize: size, sizeName: "pool max_size", at: { file, ...pool.enabled }, ...(minSize !== undefined ? { minSize } : {}) };
  }
  return { maxSize: { value: PSYCOPG_POOL_MIN_SIZE, origin: "default", by: "psycopg_pool" }, sizeName: "pool max_size", at: { file, ...pool.enabled } };
}

/** The folder a process's app modules are read from: undefined for an image's own app (model/tiangolo.ts), which the workspace does not hold. */
function appFolder(process: ServerProcess): string | undefined {
  return process.workdir ?? (process.image ? undefined : dirOf(process.commandAt.file));
}

/**
 * The SQLAlchemy engine the app of a deployment's Python server creates (model/sqlalchemy.ts), read from the
 * modules its app imports: `app.main` of `uvicorn app.main:app`, the file `python main.py` runs, `celery -A proj`.
 */
function sqlalchemyEngine(ctx: Context, deployment: Deployment): SqlAlchemyEngine | undefined {
  const process = deployment.processes.find((p) => PYTHON_WEB_SERVERS.has(p.invocation.server) || p.invocation.server === "celery");
  if (!process) return undefined;
  const dir = appFolder(process);
  if (dir === undefined) return undefined;
  // Python files are not deployment files (not listed): each path an import may be is read once per audit.
  const module = (path: string) =>
    cached(ctx, `python-module:${path}`, () => {
      const text = ctx.host.read(path);
      return text === undefined ? undefined : ctx.parses.get(`python-module:sqlalchemy:${path}`, text, () => readPythonModule(text, path, ENGINE_FUNCTIONS));
    });
  const app = process.invocation.server === "celery" ? optionValue(process.invocation, "app")?.value?.value : appSpecs(process).map((spec) => /^([\w.]+)(:[\w.()]*)?$/.exec(spec)?.[1]).find((m) => m !== undefined);
  const entries = [
    ...(process.invocation.call ? [process.invocation.call.file] : []),
    ...(app ? [`${app.replace(/\./g, "/")}.py`, `${app.replace(/\./g, "/")}/__init__.py`].map((path) => join(dir, path)) : []),
  ];
  if (entries.length === 0) return undefined;
  let env: ReadonlyMap<string, Fact<string>> | undefined;
  const processEnv = () => (env ??= new Map([...deployment.env, ...(process.exported ?? [])]));
  const flaskConfig = (path: string) => {
    const text = ctx.host.read(path);
    return text === undefined || !mayConfigureFlaskSqlalchemy(text) ? undefined : ctx.parses.get(`flask-config:${path}`, text, () => readFlaskConfig(text, path));
  };
  const installs = deployment.installedFrom ?? [];
  const flaskSqlalchemyVersion = () =>
    cached(ctx, `flask-sqlalchemy-version:${dir}:${installs.map((f) => f.candidates.join("|")).join(",")}`, () => flaskSqlalchemyPinned(ctx, dir, installedPaths(ctx, installs)));
  const engine = findSqlAlchemyEngine({ module, env: processEnv, flaskConfig, flaskSqlalchemyVersion }, dir, entries);
  if (!engine) return undefined;
  for (const file of engine.files) deployment.files.add(file);
  deployment.links.push({ from: process.commandAt.file, to: engine.at.file, why: `${engine.what} (its connection pool)` });
  return engine;
}

/**
 * The Flask-SQLAlchemy version the project pins (parse/python-requirements.ts): first in the files its image's Dockerfile installs
 * from (`pip install -r requirements/prod.txt`, `poetry install`: those named for development only when nothing else is), then in
 * the app's folder or the nearest folder above it that names the package: a lock file, else its requirements files, else Pipfile
 * or pyproject.toml. Undefined when none settles the major version, or requirements files disagree.
 */
/** Each installed file at the first of its paths the workspace holds; one that none is left out. */
function installedPaths(ctx: Context, installs: NonNullable<Deployment["installedFrom"]>): Array<{ path: string; kind: "requirements" | "lock" }> {
  const found: Array<{ path: string; kind: "requirements" | "lock" }> = [];
  for (const install of installs) {
    // Dependency files are not deployment files (not listed): read where they may be.
    const path = install.candidates.find((p) => ctx.host.read(p) !== undefined);
    if (path && !found.some((f) => f.path === path)) found.push({ path, kind: install.kind });
  }
  return found;
}

function flaskSqlalchemyPinned(ctx: Context, dir: string, installed: Array<{ path: string; kind: "requirements" | "lock" }>): (PinnedVersion & { file: string }) | undefined {
  const production = installed.filter((f) => !isDevRequirements(f.path));
  const named = production.length > 0 ? production : installed;
  for (const file of named) {
    if (file.kind !== "lock") continue;
    const found = pinIn(ctx, file.path, file.path.slice(file.path.lastIndexOf("/") + 1));
    if (found !== NOT_NAMED) return found;
  }
  const fromInstalled = requirementsPin(ctx, named.filter((f) => f.kind === "requirements").map((f) => f.path));
  if (fromInstalled !== NOT_NAMED) return fromInstalled;
  for (let folder: string | undefined = dir; folder !== undefined; folder = folder === "" ? undefined : dirOf(folder)) {
    for (const name of LOCK_FILES) {
      const found = pinIn(ctx, join(folder, name), name);
      if (found !== NOT_NAMED) return found;
    }
    const fromRequirements = requirementsPinned(ctx, folder);
    if (fromRequirements !== NOT_NAMED) return fromRequirements;
    for (const name of MANIFEST_FILES) {
      const found = pinIn(ctx, join(folder, name), name);
      if (found !== NOT_NAMED) return found;
    }
  }
  return undefined;
}

const NOT_NAMED = Symbol("not named");

/** Where projects keep what production installs, `requirements.txt` first: read in every folder that has them. */
const REQUIREMENTS_FILES = [
  "requirements.txt",
  "requirements-prod.txt",
  "requirements-production.txt",
  "requirements_prod.txt",
  "requirements/production.txt",
  "requirements/prod.txt",
  "requirements/base.txt",
  "requirements/common.txt",
  "requirements/main.txt",
];

/** Not deployment files (not listed): read as the app's Python modules are. */
function pinIn(ctx: Context, path: string, name: string): (PinnedVersion & { file: string }) | undefined | typeof NOT_NAMED {
  const text = ctx.host.read(path);
  if (text === undefined || !mentionsFlaskSqlalchemy(text)) return NOT_NAMED;
  const pinned = flaskSqlalchemyPin(text, name);
  return pinned && { ...pinned, file: path };
}

/**
 * The pin in a folder's requirements files (REQUIREMENTS_FILES, and any `requirements*.txt` or `requirements/*.txt` listed; those
 * named for development or tests left out) and the files they include with `-r` / `-c`. When several name the package, they must agree:
 * a stated pin over an assumed one; two stated pins of different majors settle nothing.
 */
function requirementsPinned(ctx: Context, folder: string): (PinnedVersion & { file: string }) | undefined | typeof NOT_NAMED {
  const prefix = folder === "" ? "" : `${folder}/`;
  // Requirements files are not deployment files, which is all a workspace's list may hold: the usual names are read where
  // they are, and whatever the list has besides.
  const listed = ctx.host.list().filter((path) => {
    const rest = path.startsWith(prefix) ? path.slice(prefix.length) : "";
    return /^requirements[^/]*\.txt$/.test(rest) || /^requirements\/[^/]+\.txt$/.test(rest);
  });
  return requirementsPin(ctx, [...new Set([...REQUIREMENTS_FILES.map((name) => `${prefix}${name}`), ...listed])].filter((path) => !isDevRequirements(path)));
}

/** The pin in requirements files and the files they include with `-r` / `-c`; several that name the package must agree. */
function requirementsPin(ctx: Context, roots: string[]): (PinnedVersion & { file: string }) | undefined | typeof NOT_NAMED {
  const seen = new Set<string>();
  const pins: Array<(PinnedVersion & { file: string }) | undefined> = [];
  const visit = (path: string, depth: number) => {
    if (seen.has(path) || depth > 4) return;
    seen.add(path);
    const text = ctx.host.read(path);
    if (text === undefined) return;
    if (mentionsFlaskSqlalchemy(text)) {
      const pinned = flaskSqlalchemyPin(text, "requirements.txt");
      pins.push(pinned && { ...pinned, file: path });
    }
    for (const include of requirementIncludes(text)) visit(join(dirOf(path), include), depth + 1);
  };
  for (const root of roots) visit(root, 0);
  if (pins.length === 0) return NOT_NAMED;
  // A requirement Headroom cannot read: it may say anything.
  if (pins.some((pin) => pin === undefined)) return undefined;
  const stated = pins.filter((pin) => pin !== undefined && !pin.assumed);
  if (stated.some((pin) => pin?.major !== stated[0]?.major)) return undefined;
  return stated[0] ?? pins[0];
}

/** Servers that speak only ASGI: whatever app they load is served over it. */
const ASGI_SERVERS: ReadonlySet<string> = new Set(["uvicorn", "daphne"]);

/** Where a Python server says it serves its app over ASGI: an `<project>.asgi` app (gunicorn's uvicorn worker, hypercorn, granian), or uvicorn and daphne. */
function asgiApp(process: ServerProcess): SourceRef | undefined {
  const spec = process.invocation.positionals.find((w) => /\.asgi(:\w+)?$/.test(w.value)) ?? (ASGI_SERVERS.has(process.invocation.server) ? process.invocation.positionals[0] : undefined);
  if (spec) return spec.fact.at ?? process.commandAt;
  return ASGI_SERVERS.has(process.invocation.server) ? process.commandAt : undefined;
}

/** The app a Python server loads as written: its positional words (`mysite.wsgi:application`), or uWSGI's `module` (`--module`, `-w`, the ini's `module =`). */
function appSpecs(process: ServerProcess): string[] {
  const words = process.invocation.positionals.map((w) => w.value);
  if (process.invocation.server !== "uwsgi") return words;
  const flag = optionValue(process.invocation, "module")?.value?.value;
  const setting = process.config?.settings.get("module");
  return [...words, ...(flag ? [flag] : []), ...(setting?.kind === "string" && typeof setting.value === "string" ? [setting.value] : [])];
}

/**
 * The Django project of `celery -A proj` (`proj.celery`, `proj.celery:app`): Celery's "First steps with Django"
 * has proj/celery.py default DJANGO_SETTINGS_MODULE to `proj.settings`, so its workers read that module.
 */
function celeryDjangoProject(invocation: ServerInvocation): string | undefined {
  const app = optionValue(invocation, "app")?.value?.fact.value;
  return app === undefined ? undefined : /^(\w+)(\.celery)?(:\w+)?$/.exec(app)?.[1];
}

const PYTHON_WEB_SERVERS: ReadonlySet<string> = new Set(["gunicorn", "uvicorn", "daphne", "hypercorn", "uwsgi", "granian"]);

const RUBY_SERVERS: ReadonlySet<string> = new Set(["puma", "rails", "sidekiq", "unicorn", "solid_queue", "good_job"]);

interface SettingsFile {
  path: string;
  text: string;
  settings: Map<string, SettingExpr>;
}

/** Read a server's settings file (as text, never run) and link it to the deployment. */
/** `variant` tells apart two readings of one file (the section a deployment reads). */
function settingsFile(ctx: Context, deployment: Deployment, invocation: ServerInvocation, path: string | undefined, parse: (text: string, file: string) => { settings: Map<string, SettingExpr> }, variant = ""): SettingsFile | undefined {
  if (!path) return undefined;
  const text = ctx.host.read(path);
  if (text === undefined) return undefined;
  const conf = cached(ctx, `${invocation.server}-settings:${path}:${variant}`, () => parse(text, path));
  deployment.files.add(path);
  deployment.links.push({ from: invocation.program.fact.at?.file ?? path, to: path, why: `${invocation.server} reads its settings from this config file` });
  return { path, text, settings: conf.settings };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** No variables: one object, so that deployments reading an absent .env see the same input each audit (model/reuse.ts). */
const NO_VARIABLES: ReadonlyMap<string, Fact<string>> = new Map();

/** `named`: read although the name is not a dotenv name, because a file (env_file:) names it. */
function readDotenv(ctx: Context, path: string, named = false): ReadonlyMap<string, Fact<string>> {
  if (!named && !ctx.pathSet.has(path)) return NO_VARIABLES;
  const text = ctx.host.read(path);
  if (text === undefined) return NO_VARIABLES;
  const dotenv = cached(ctx, `dotenv:${path}`, () => ctx.parses.get(`dotenv:${path}`, text, () => parseDotenv(text, path)));
  ctx.cache.set(`${ENV_FILE_READ}${path}`, dotenv.vars);
  if (!ctx.cache.has(`dotenv-problems:${path}`)) {
    ctx.cache.set(`dotenv-problems:${path}`, true);
    ctx.problems.push(...dotenv.problems);
  }
  return dotenv.vars;
}

function lookupIn(env: ReadonlyMap<string, Fact<string>>, fallback?: EnvLookup): EnvLookup {
  return (name) => env.get(name) ?? fallback?.(name);
}

/** A word written as one item of a list (Dockerfile exec form, compose list form): edits must add items, not text. */
export interface ListItemWord extends CommandWord {
  quote: string;
  /**
   * A compose item that compose interpolates, for a `sh -c` script to read as the string form is read: its text with `$$`
   * made `$`, the values compose gives its variables (from the project's .env) and the names it leaves to the container (`$$X`).
   */
  script?: { text: string; variables: ReadonlyMap<string, Fact<string>>; escaped: ReadonlySet<string> };
}

function literalWord(file: string, value: string, start: number, end: number, quote: string): ListItemWord {
  return { value, start, end, quote, fact: { value, origin: "stated", at: { file, start, end } } };
}

/** The path if the workspace has that file. */
/** Every folder that holds one of `paths`, built on its first question (most audits ask none). */
function folderSet(paths: string[]): Pick<Set<string>, "has"> {
  let folders: Set<string> | undefined;
  return {
    has: (folder) => {
      if (!folders) {
        folders = new Set();
        for (const path of paths) for (let i = path.indexOf("/"); i > 0; i = path.indexOf("/", i + 1)) folders.add(path.slice(0, i));
      }
      return folders.has(folder);
    },
  };
}

export function existing(ctx: Context, path: string): string | undefined {
  return ctx.pathSet.has(path) ? path : undefined;
}

/** The WORKDIR of a base image the workspace does not hold, for the lines before a Dockerfile sets one: Docker's default, the root. */
const BASE_WORKDIR = "/";

function cached<T>(ctx: Context, key: string, make: () => T): T {
  if (!ctx.cache.has(key)) ctx.cache.set(key, make());
  return ctx.cache.get(key) as T;
}

export function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** Join workspace-relative paths, resolving `.` and `..`; never escapes the workspace. */
/** A path with a leading, trailing or doubled slash, or a `.` or `..` part. */
const NOT_PLAIN_PATH = /^\/|\/$|\/\/|(^|\/)\.\.?(\/|$)/;

export function join(dir: string, relative: string): string {
  // Most paths are already plain (no `.`, `..`, empty or leading parts): joined as they are, without splitting,
  // since the model joins paths for every deployment on every audit.
  if (relative !== "" && !NOT_PLAIN_PATH.test(relative) && (dir === "" || !NOT_PLAIN_PATH.test(dir))) return dir === "" ? relative : `${dir}/${relative}`;
  const parts = relative.startsWith("/") ? [] : dir.split("/").filter(Boolean);
  for (const part of relative.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}
