import { SOURCES } from "../../knowledge/sources.ts";
import { dirOf, join } from "../../model/build.ts";
import { parseComposeFile, type YamlScalar } from "../../parse/compose.ts";
import { parseDockerfile } from "../../parse/dockerfile.ts";
import type { Fix, RelatedInfo, SourceRef } from "../../types.ts";
import { defineRule } from "../define.ts";
import { isDevDeployment, isDevPath } from "../production.ts";

/** A build target named for development: dev, development, develop, local (also app-dev, dev_stage, …). */
const DEV_TARGET = /(^|[-_.])(dev|devel|develop|development|local|debug)([-_.]|$)/i;

export default defineRule({
  meta: {
    id: "compose/dev-dockerfile-in-production",
    summary: "A production compose file builds the development Dockerfile or stage",
    severity: "warning",
    fix: "unsafe",
    sources: [SOURCES.composeBuildDockerfile, SOURCES.composeBuildTarget, SOURCES.composeDefaultFiles],
    docs: {
      why:
        "`Dockerfile.dev` (or `dev.Dockerfile`, a `docker/dev/` folder, a `target: development` stage) builds the image meant for " +
        "a laptop: development dependencies, a reloader or debug server in its CMD, source expected from a bind mount. Built from the " +
        "compose file that production runs (`docker-compose.yml`/`compose.yaml`, not an override or a file named dev/local), the " +
        "deployment runs an image nobody tested as production; it is also how a stale `--reload --workers 1` command reaches a server. " +
        "Headroom stays quiet for override files and files, folders or services named dev or local (the same test as " +
        "`server/reload-in-production`). When the service runs the dev image's CMD (no compose `command:`), the message quotes it " +
        "next to the production Dockerfile's, and relates both lines: seed 002's 'stale' `--workers 1 --reload app:app` in one look. " +
        "The quick-fix (unsafe: it changes what is built) points `dockerfile:` at the `Dockerfile` " +
        "next to it when that file exists.",
      bad: {
        "docker-compose.yml": "services:\n  api:\n    build:\n      context: .\n      dockerfile: Dockerfile.dev\n",
        "Dockerfile.dev": 'FROM python:3.12-slim\nCMD ["gunicorn", "app:app", "--bind", "0.0.0.0:8000"]\n',
        Dockerfile: 'FROM python:3.12-slim\nCMD ["gunicorn", "app:app", "--bind", "0.0.0.0:8000"]\n',
      },
      good: {
        "docker-compose.yml": "services:\n  api:\n    build:\n      context: .\n      dockerfile: Dockerfile\n",
        "docker-compose.override.yml": "services:\n  api:\n    build:\n      context: .\n      dockerfile: Dockerfile.dev\n",
        "Dockerfile.dev": 'FROM python:3.12-slim\nCMD ["gunicorn", "app:app", "--bind", "0.0.0.0:8000"]\n',
        Dockerfile: 'FROM python:3.12-slim\nCMD ["gunicorn", "app:app", "--bind", "0.0.0.0:8000"]\n',
      },
    },
  },
  check({ model, report, text }) {
    // A compose file feeds one deployment per service: parse each once per audit (the model usually has).
    const parsed = new Map<string, ReturnType<typeof parseComposeFile> | undefined>(model.composeFiles);
    const composeFile = (file: string) => {
      if (!parsed.has(file)) {
        const source = text(file);
        parsed.set(file, source === undefined ? undefined : parseComposeFile(source, file));
      }
      return parsed.get(file);
    };
    for (const deployment of model.deployments) {
      if (!deployment.id.startsWith("compose:") || isDevDeployment(deployment, undefined, model)) continue;
      const serviceName = deployment.id.slice(deployment.id.lastIndexOf("#") + 1);
      // The last compose file that sets the build wins; an override file is a development layer by convention.
      const composeFiles = [...deployment.files].filter((f) => /(^|\/)(docker-)?compose[^/]*\.ya?ml$/i.test(f));
      for (const file of composeFiles) {
        if (/\.override\.ya?ml$/i.test(file)) continue;
        const service = composeFile(file)?.services.get(serviceName);
        if (!service) continue;
        const devDockerfile = service.dockerfile && isDevPath(service.dockerfile.value) ? service.dockerfile : undefined;
        const devTarget = service.buildTarget && DEV_TARGET.test(service.buildTarget.value) ? service.buildTarget : undefined;
        const found = devDockerfile ?? devTarget;
        if (!found) continue;
        const what = devDockerfile ? `the development Dockerfile ${devDockerfile.value}` : `the development stage \`target: ${devTarget?.value}\``;
        const files = model.deployments.flatMap((d) => [...d.files]);
        const contextDir = join(dirOf(file), service.buildContext?.value ?? ".");
        // What the dev image runs, when its CMD is what the service runs (no compose command: replaces it).
        const devPath = devDockerfile ? join(contextDir, devDockerfile.value) : undefined;
        const devCmd = devPath && deployment.processes.some((p) => p.commandAt.file === devPath) ? dockerCmd(devPath, text) : undefined;
        const prodPath = devDockerfile ? productionDockerfile(contextDir, devDockerfile, files, text) : undefined;
        const prodCmd = devCmd && prodPath ? dockerCmd(prodPath, text) : undefined;
        const runs = devCmd
          ? ` Here it runs \`${devCmd.command}\`${prodCmd && prodCmd.command !== devCmd.command ? `, not the production ${prodPath}'s \`${prodCmd.command}\`` : ""}.`
          : "";
        const related: RelatedInfo[] = [];
        if (devCmd) related.push({ at: devCmd.at, message: `what the service runs: ${devDockerfile?.value}'s ${devCmd.keyword}` });
        if (prodCmd && prodCmd.command !== devCmd?.command) related.push({ at: prodCmd.at, message: `what the production Dockerfile would run` });
        report({
          at: { file, start: found.start, end: found.end },
          deployment,
          message:
            `Service ${serviceName} in ${file}, the compose file production runs, builds ${what}: the image meant for development ` +
            `(dev dependencies, a reloader or debug server, code from a bind mount), not one tested for production.${runs} Build the production ` +
            "Dockerfile or stage here and keep the development one in an override or a dev compose file.",
          related,
          fixes: devDockerfile ? productionDockerfileFix(file, service.buildContext, devDockerfile, files, text) : [],
        });
      }
    }
  },
});

/** The `Dockerfile` beside the dev one, as written relative to the build context. */
function productionReplacement(dockerfile: YamlScalar): string | undefined {
  const relativeDir = dirOf(dockerfile.value);
  return relativeDir && !isDevPath(relativeDir) ? `${relativeDir}/Dockerfile` : relativeDir ? undefined : "Dockerfile";
}

/** The workspace path of the production Dockerfile beside the dev one, when the workspace has it. */
function productionDockerfile(contextDir: string, dockerfile: YamlScalar, files: string[], text: (file: string) => string | undefined): string | undefined {
  const replacement = productionReplacement(dockerfile);
  if (!replacement) return undefined;
  const target = join(contextDir, replacement);
  return files.includes(target) || text(target) !== undefined ? target : undefined;
}

/** A Dockerfile's ENTRYPOINT + CMD as one command line, for the message, and where it is written. */
function dockerCmd(path: string, text: (file: string) => string | undefined): { command: string; keyword: string; at: SourceRef } | undefined {
  const source = text(path);
  if (source === undefined) return undefined;
  const parsed = parseDockerfile(source, path);
  const parts = [parsed.entrypoint, parsed.cmd].filter((c) => c !== undefined);
  const last = parts[parts.length - 1];
  if (!last) return undefined;
  const command = parts.flatMap((c) => c.items.map((i) => i.value)).join(" ").replace(/\s+/g, " ").trim();
  return { command, keyword: last.keyword, at: { file: path, start: last.start, end: last.end } };
}

/** Point `dockerfile:` at the `Dockerfile` beside the dev one, when the workspace has it. */
function productionDockerfileFix(file: string, context: YamlScalar | undefined, dockerfile: YamlScalar, files: string[], text: (file: string) => string | undefined): Fix[] {
  const replacement = productionReplacement(dockerfile);
  if (!replacement) return [];
  if (!productionDockerfile(join(dirOf(file), context?.value ?? "."), dockerfile, files, text)) return [];
  const start = dockerfile.start + (dockerfile.quoted ? 1 : 0);
  const end = dockerfile.end - (dockerfile.quoted ? 1 : 0);
  if (text(file)?.slice(start, end) !== dockerfile.value) return [];
  return [{ title: `Build ${replacement}`, safe: false, edits: [{ file, start, end, newText: replacement }] }];
}
