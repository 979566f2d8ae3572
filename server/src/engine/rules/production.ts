// Whether a deployment is meant for development. Rules about development settings (--reload,
// debug flags, a dev Dockerfile) stay quiet there, and all share this one test.
import type { Deployment } from "../model/types.ts";

const DEV_WORD = /(^|[-_.])(dev|devel|develop|development|local)([-_.]|$)/i;

/** True when a path segment (a folder, or a file name without its YAML extension) says dev or local. */
export function isDevPath(path: string): boolean {
  return path.split("/").some((segment) => DEV_WORD.test(segment.replace(/\.ya?ml$/i, "")));
}

/**
 * A deployment clearly meant for development: a compose service named dev/local, or a compose
 * file or folder (or the file holding the command, `commandFile`) named so.
 */
export function isDevDeployment(deployment: Deployment, commandFile?: string): boolean {
  const service = deployment.id.startsWith("compose:") ? deployment.id.slice(deployment.id.lastIndexOf("#") + 1) : undefined;
  if (service !== undefined && DEV_WORD.test(service)) return true;
  const paths = [...deployment.files].filter((f) => /(^|\/)(docker-)?compose[^/]*\.ya?ml$/i.test(f));
  if (commandFile) paths.push(commandFile);
  return paths.some(isDevPath);
}
