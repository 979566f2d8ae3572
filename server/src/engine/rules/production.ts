// Whether a deployment is meant for development. Rules about development settings (--reload,
// debug flags, a dev Dockerfile) stay quiet there, and all share this one test.
import type { Deployment, DeploymentModel } from "../model/types.ts";
import type { ShellGuard } from "../parse/shell.ts";

// `reload` too: a script named for reloading (tiangolo's start-reload.sh next to its start.sh) is the development one;
// `test`/`e2e` (docker-compose.test.yml, the setup a CI job runs tests in) and `devcontainer` (VS Code's dev containers) are not production either.
const DEV_WORD = /(^|[-_.])(dev|devel|develop|development|local|reload|test|tests|testing|e2e|devcontainer)([-_.]|$)/i;
/** A debug/development switch in a shell condition: `$DEBUG`, `$CTFD_DEBUG`, `"$ENV" = development`, a `dev|local)` pattern. */
const DEV_SWITCH = /(^|[^a-z0-9])(debug|dev|devel|develop|development|local|reload)([^a-z0-9]|$)/i;
/** `[ -z "$DEBUG" ]`, `! ...`, `!=`: the condition holds when the switch is off. */
const NEGATED = /(^|\s)(!|-z)(\s|$)|!=/;

/** Any of DEV_WORD's words anywhere: most paths have none, and need no splitting. */
const ANY_DEV_WORD = /dev|local|reload|test|e2e/i;

/** True when a path segment (a folder, or a file name without its YAML extension) says dev, local, test or e2e. */
export function isDevPath(path: string): boolean {
  return ANY_DEV_WORD.test(path) && path.split("/").some((segment) => DEV_WORD.test(segment.replace(/\.ya?ml$/i, "")));
}

const COMPOSE_FILE = /(^|\/)(docker-)?compose[^/]*\.ya?ml$/i;
/** A compose profile for development or debugging: Docker's docs give `debug` and `dev` as examples. */
const DEV_PROFILE = /(^|[-_.])(dev|devel|develop|development|local|reload|debug)([-_.]|$)/i;

/**
 * A deployment clearly meant for development: a compose service named dev/local or only in development
 * profiles (`profiles: [dev]`, `[debug]`), one that bind-mounts its build context over the image's code, a compose
 * file or folder (or the file holding the command, `commandFile`) named so, or a compose project
 * that a dev script or Makefile target runs with `-f` (model/compose-commands.ts); also a base compose
 * file beside a production variant of the same service (`docker-compose.yml` next to `docker-compose.prod.yml`).
 */
export function isDevDeployment(deployment: Deployment, commandFile: string | undefined, model: DeploymentModel): boolean {
  if (commandFile && isDevPath(commandFile)) return true;
  let known = devDeployments.get(model);
  if (!known) devDeployments.set(model, (known = new Map()));
  let dev = known.get(deployment);
  if (dev === undefined) known.set(deployment, (dev = isDevSetup(deployment, model)));
  return dev;
}

/**
 * isDevDeployment's answer apart from the command's file, per deployment of a model: half a dozen rules ask it of
 * every deployment. A Map per model rather than one WeakMap of deployments: each audit's deployments are new
 * objects, and adding 150 of them to a WeakMap on every keystroke cost more than the answers it saved.
 */
const devDeployments = new WeakMap<DeploymentModel, Map<Deployment, boolean>>();

function isDevSetup(deployment: Deployment, model: DeploymentModel): boolean {
  const service = deployment.id.startsWith("compose:") ? deployment.id.slice(deployment.id.lastIndexOf("#") + 1) : undefined;
  if (service !== undefined && DEV_WORD.test(service)) return true;
  // `profiles: [dev]`: `docker compose up` leaves it out; it runs only when a development profile is activated.
  const profiles = deployment.composeProfiles;
  if (profiles && profiles.length > 0 && profiles.every((profile) => DEV_PROFILE.test(profile))) return true;
  for (const file of deployment.files) if (COMPOSE_FILE.test(file) && isDevPath(file)) return true;
  // `volumes: [".:/code"]` over the image's code: the container runs the working copy, edited live; not in a file named for
  // production, nor in a service sized to run (a CPU or memory limit, replicas), which a development setup does not state.
  const sized = deployment.cpus !== undefined || deployment.memoryMiB !== undefined || deployment.instances.origin !== "default";
  if (deployment.sourceMount && !sized && !isProductionFile(deployment.sourceMount.file)) return true;
  // Run by dev.sh, `make dev`, or with a file named for development (`-f local.yml`).
  const runBy = deployment.runBy;
  if (runBy && (isDevPath(runBy.at.file) || (runBy.target !== undefined && DEV_WORD.test(runBy.target)) || runBy.files.some(isDevPath))) return true;
  return hasProductionVariant(model, deployment);
}

const PRODUCTION_WORD = /(^|[-_.])(prod|production)([-_.]|$)/i;
const isProductionFile = (path: string): boolean => PRODUCTION_WORD.test(path.slice(path.lastIndexOf("/") + 1).replace(/\.ya?ml$/i, ""));
const folderOf = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf("/")));

/**
 * Per model: each compose deployment's compose files, and the production-named compose files (`docker-compose.prod.yml`)
 * by service and folder, with the deployment that reads each. Indexed so that a check of every deployment stays
 * linear: a monorepo's thousand projects often name their service alike (`api`, `web`).
 */
interface ComposeIndex {
  files: Map<Deployment, string[]>;
  productionFiles: Map<string, { deployment: Deployment; file: string }[]>;
}
const composeIndexes = new WeakMap<DeploymentModel, ComposeIndex>();
const serviceFolderKey = (service: string, folder: string): string => `${service}\0${folder}`;

function composeIndexOf(model: DeploymentModel): ComposeIndex {
  let index = composeIndexes.get(model);
  if (index) return index;
  index = { files: new Map(), productionFiles: new Map() };
  for (const deployment of model.deployments) {
    if (!deployment.id.startsWith("compose:")) continue;
    const service = deployment.id.slice(deployment.id.lastIndexOf("#") + 1);
    const files = [...deployment.files].filter((f) => COMPOSE_FILE.test(f));
    index.files.set(deployment, files);
    for (const file of files.filter(isProductionFile)) {
      const key = serviceFolderKey(service, folderOf(file));
      const named = index.productionFiles.get(key);
      if (named) named.push({ deployment, file });
      else index.productionFiles.set(key, [{ deployment, file }]);
    }
  }
  composeIndexes.set(model, index);
  return index;
}

/**
 * A compose service whose files are not named for production while a compose file beside them is, for the
 * same service: `docker-compose.yml` next to `docker-compose.prod.yml`, whether the variant layers on the base
 * (`-f docker-compose.yml -f docker-compose.prod.yml`) or is written out in full and run alone. Production runs
 * the variant, so the base alone is the development setup; not when a script, Makefile or CI job runs the base
 * as it is (`runBy`).
 */
function hasProductionVariant(model: DeploymentModel, deployment: Deployment): boolean {
  if (!deployment.id.startsWith("compose:") || deployment.runBy) return false;
  const index = composeIndexOf(model);
  const own = index.files.get(deployment) ?? [];
  if (own.length === 0 || own.some(isProductionFile)) return false;
  const service = deployment.id.slice(deployment.id.lastIndexOf("#") + 1);
  for (const folder of new Set(own.map(folderOf))) {
    const variants = index.productionFiles.get(serviceFolderKey(service, folder)) ?? [];
    if (variants.some(({ deployment: other, file }) => other !== deployment && !own.includes(file))) return true;
  }
  return false;
}

/**
 * A command that runs only when a debug/development switch is on: in the `then` branch of a test of
 * such a variable or value (the `else` branch of a negated one), or under a `case` pattern naming
 * it. What the switch is set to at run time is not evaluated.
 */
export function runsOnlyInDevelopment(guards: ShellGuard[] | undefined): boolean {
  return (guards ?? []).some((guard) => {
    if (!DEV_SWITCH.test(guard.condition)) return false;
    if (guard.branch === "case") return true;
    return (guard.branch === "then") !== NEGATED.test(guard.condition);
  });
}
