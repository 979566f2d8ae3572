// Whether a deployment is meant for development. Rules about development settings (--reload,
// debug flags, a dev Dockerfile) stay quiet there, and all share this one test.
import type { Deployment } from "../model/types.ts";
import type { ShellGuard } from "../parse/shell.ts";

// `reload` too: a script named for reloading (tiangolo's start-reload.sh next to its start.sh) is the development one.
const DEV_WORD = /(^|[-_.])(dev|devel|develop|development|local|reload)([-_.]|$)/i;
/** A debug/development switch in a shell condition: `$DEBUG`, `$CTFD_DEBUG`, `"$ENV" = development`, a `dev|local)` pattern. */
const DEV_SWITCH = /(^|[^a-z0-9])(debug|dev|devel|develop|development|local|reload)([^a-z0-9]|$)/i;
/** `[ -z "$DEBUG" ]`, `! ...`, `!=`: the condition holds when the switch is off. */
const NEGATED = /(^|\s)(!|-z)(\s|$)|!=/;

/** Any of DEV_WORD's words anywhere: most paths have none, and need no splitting. */
const ANY_DEV_WORD = /dev|local|reload/i;

/** True when a path segment (a folder, or a file name without its YAML extension) says dev or local. */
export function isDevPath(path: string): boolean {
  return ANY_DEV_WORD.test(path) && path.split("/").some((segment) => DEV_WORD.test(segment.replace(/\.ya?ml$/i, "")));
}

const COMPOSE_FILE = /(^|\/)(docker-)?compose[^/]*\.ya?ml$/i;
/** A compose profile for development or debugging: Docker's docs give `debug` and `dev` as examples. */
const DEV_PROFILE = /(^|[-_.])(dev|devel|develop|development|local|reload|debug)([-_.]|$)/i;

/**
 * A deployment clearly meant for development: a compose service named dev/local or only in development
 * profiles (`profiles: [dev]`, `[debug]`), a compose
 * file or folder (or the file holding the command, `commandFile`) named so, or a compose project
 * that a dev script or Makefile target runs with `-f` (model/compose-commands.ts).
 */
export function isDevDeployment(deployment: Deployment, commandFile?: string): boolean {
  const service = deployment.id.startsWith("compose:") ? deployment.id.slice(deployment.id.lastIndexOf("#") + 1) : undefined;
  if (service !== undefined && DEV_WORD.test(service)) return true;
  // `profiles: [dev]`: `docker compose up` leaves it out; it runs only when a development profile is activated.
  const profiles = deployment.composeProfiles;
  if (profiles && profiles.length > 0 && profiles.every((profile) => DEV_PROFILE.test(profile))) return true;
  for (const file of deployment.files) if (COMPOSE_FILE.test(file) && isDevPath(file)) return true;
  // Run by dev.sh, `make dev`, or with a file named for development (`-f local.yml`).
  const runBy = deployment.runBy;
  if (runBy && (isDevPath(runBy.at.file) || (runBy.target !== undefined && DEV_WORD.test(runBy.target)) || runBy.files.some(isDevPath))) return true;
  return commandFile ? isDevPath(commandFile) : false;
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
