import { SOURCES } from "../../knowledge/sources.ts";
import type { Deployment, ServerProcess } from "../../model/types.ts";
import type { SourceRef } from "../../types.ts";
import { effectiveWorkerClass, gunicornSetting } from "../gunicorn/settings.ts";
import { defineRule } from "../define.ts";
import { isDevDeployment, isDevPath } from "../production.ts";
import { listenAddress } from "../server/listen.ts";
import { reloadOption } from "../server/reload-in-production.ts";
import { threadsPerWorker } from "../workers/threads.ts";
import { serverName } from "../../parse/servers.ts";
import { jobRunnerText } from "../../model/job-runners.ts";

type Text = (file: string) => string | undefined;

/** A compose project, a replaced Dockerfile instruction and a server program. */
function sharerKey(deployment: Deployment, at: SourceRef, server: string): string {
  const project = deployment.id.slice(0, deployment.id.lastIndexOf("#"));
  return `${project}\0${at.file}:${at.start}\0${server}`;
}

/** How many services of each compose project replace one Dockerfile instruction with a command that runs the same server. */
function imageSharers(deployments: readonly Deployment[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const deployment of deployments) {
    const replaced = deployment.replacedImageCommand;
    if (!replaced) continue;
    for (const server of new Set(deployment.processes.map((p) => p.invocation.server))) {
      if (!replaced.processes.some((p) => p.invocation.server === server)) continue;
      const key = sharerKey(deployment, replaced.at, server);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** One sizing setting of a server process as text, undefined when Headroom cannot tell it. */
interface Aspect {
  name: string;
  value(deployment: Deployment, process: ServerProcess, text: Text): string | undefined;
}

const ASPECTS: Aspect[] = [
  {
    name: "workers",
    value: (_, p) => (p.workersFromCpuCount ? undefined : (jobRunnerText(p) ?? `${p.workers.value} ${serverName(p.invocation)} worker${p.workers.value === 1 ? "" : "s"}`)),
  },
  {
    name: "threads",
    value: (_, p) => {
      if (p.invocation.server === "gunicorn" && gunicornSetting(p, "threads").from === "unknown") return undefined;
      // gunicorn runs one thread per worker unless threads says otherwise; servers without a thread pool have nothing to compare.
      const threads = threadsPerWorker(p)?.value ?? (p.invocation.server === "gunicorn" ? 1 : undefined);
      return threads === undefined ? "" : `${threads} thread${threads === 1 ? "" : "s"} per worker`;
    },
  },
  {
    name: "worker class",
    value: (_, p) => {
      if (p.invocation.server !== "gunicorn") return "";
      const workerClass = effectiveWorkerClass(p)?.value;
      return workerClass && `worker class ${workerClass}`;
    },
  },
  {
    name: "bind",
    value: (d, p, text) => {
      const listen = listenAddress(d, p, text);
      return listen && `listening on ${listen.host.value}${listen.port ? `:${listen.port.value}` : ""}`;
    },
  },
];

export default defineRule({
  meta: {
    id: "compose/command-replaces-dockerfile-cmd",
    summary: "A compose command: replaces the Dockerfile's CMD with different server sizing",
    severity: "warning",
    fix: "none",
    sources: [SOURCES.composeCommandReplacesImageCmd, SOURCES.composeEntrypointDropsImageCmd],
    docs: {
      why:
        "A compose service's `command:` replaces the CMD of the image it builds (and `entrypoint:` replaces the ENTRYPOINT and drops " +
        "the CMD). When both start the same server with different workers, threads, gunicorn worker class or listen address, the " +
        "deployment has two answers to \"how is this server sized\": compose runs its own, while the image started anywhere else " +
        "(`docker run`, a cluster, App Runner, a PaaS) runs the Dockerfile's. One of them is stale, and whoever tunes the other one " +
        "changes nothing where it matters. Headroom compares only the same server program (a `celery worker` or a migration command " +
        "that replaces a web CMD is another process, not drift) and stays quiet when the compose command reloads (a development " +
        "setup, `server/reload-in-production` has its say there), for compose files, services or Dockerfiles named dev or local, and " +
        "when an override file replaces the command again (`compose/override-replaces-command`). Settings computed at start " +
        "(`cpu_count()`) are not compared. When two or more services of one project run the same server from the same image with " +
        "commands of their own (an app and an admin interface on other ports and sizes), the Dockerfile's CMD is only a default and " +
        "each command is deliberate: Headroom stays quiet. Align the two, or drop the Dockerfile's sizing flags and size the server in one place " +
        "(an environment variable such as `WEB_CONCURRENCY` both read).",
      bad: {
        "docker-compose.yml": "services:\n  web:\n    build: .\n    command: gunicorn app:app --bind 0.0.0.0:8000 --workers 2\n",
        Dockerfile: 'FROM python:3.12-slim\nCMD ["gunicorn", "app:app", "--bind", "0.0.0.0:8000", "--workers", "5"]\n',
      },
      good: {
        "docker-compose.yml": "services:\n  web:\n    build: .\n  worker:\n    build: .\n    command: celery -A app worker --concurrency 2\n",
        Dockerfile: 'FROM python:3.12-slim\nCMD ["gunicorn", "app:app", "--bind", "0.0.0.0:8000", "--workers", "5"]\n',
      },
    },
  },
  check({ model, report, text }) {
    const sharers = imageSharers(model.deployments);
    for (const deployment of model.deployments) {
      const replaced = deployment.replacedImageCommand;
      if (!replaced || isDevDeployment(deployment, replaced.by.file, model) || isDevPath(replaced.at.file)) continue;
      for (const after of deployment.processes) {
        const before = replaced.processes.find((p) => p.invocation.server === after.invocation.server);
        if (!before || reloadOption(after) || reloadOption(before)) continue;
        // Several services of one project running this server from the same image with commands of their own (an app and an
        // admin on other ports and sizes): the Dockerfile's CMD is only a default there, and each command is deliberate.
        if ((sharers.get(sharerKey(deployment, replaced.at, after.invocation.server)) ?? 0) > 1) break;
        const differ = ASPECTS.map((aspect) => ({ name: aspect.name, after: aspect.value(deployment, after, text), before: aspect.value(deployment, before, text) })).filter(
          (a) => a.after !== undefined && a.before !== undefined && a.after !== a.before,
        );
        if (differ.length === 0) continue;
        const composeFile = replaced.by.file;
        const dockerfile = replaced.at.file;
        const instruction = replaced.instruction;
        const list = (values: Array<string | undefined>) => values.join(", ");
        const names = differ.map((a) => a.name);
        const related = [{ at: replaced.at, message: `replaced ${instruction}: ${list(differ.map((a) => a.before))}` }];
        // The replaced instruction may start a script that holds the values (ENTRYPOINT ["/start.sh"]).
        if (before.commandAt.file !== replaced.at.file) related.push({ at: before.commandAt, message: `what the replaced ${instruction} runs` });
        report({
          at: replaced.by,
          deployment,
          message:
            `${composeFile} replaces the ${instruction} of ${dockerfile} for ${deployment.name} with different sizing (this command: ${list(differ.map((a) => a.after))}; ` +
            `${dockerfile}: ${list(differ.map((a) => a.before))}). Compose runs this command; the image started anywhere else (docker run, a cluster, a PaaS) ` +
            `runs the Dockerfile's, so the server's ${names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names[0]} depend on how it is started. Size it in one place.`,
          related,
        });
        break;
      }
    }
  },
});
