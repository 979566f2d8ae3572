import { SOURCES } from "../../knowledge/sources.ts";
import type { ServerProcess } from "../../model/types.ts";
import { optionValue, type ServerOption } from "../../parse/servers.ts";
import type { SourceRef } from "../../types.ts";
import { defineRule } from "../define.ts";
import { isDevDeployment, runsOnlyInDevelopment } from "../production.ts";
import { removeOptionEdit } from "./edits.ts";

const RELOADING_SERVERS = new Set(["gunicorn", "uvicorn", "hypercorn"]);

/** The reload flag of a process (hypercorn names the setting `use_reloader`). */
export function reloadOption(process: ServerProcess): ServerOption | undefined {
  if (!RELOADING_SERVERS.has(process.invocation.server)) return undefined;
  return optionValue(process.invocation, process.invocation.server === "hypercorn" ? "use_reloader" : "reload");
}

export function reloadRef(process: ServerProcess): SourceRef | undefined {
  const option = reloadOption(process);
  if (!option) return undefined;
  return process.reload ?? { file: option.flag.fact.at?.file ?? process.commandAt.file, start: option.flag.start, end: option.flag.end };
}

/** How messages name reload and workers: as flags, or as uvicorn.run()'s keyword arguments in a Python file (model/python-main.ts). */
export function reloadWording(process: ServerProcess): { reloadName: string; workersName: string; equals: string } {
  return process.invocation.call ? { reloadName: "reload=True", workersName: "workers", equals: "=" } : { reloadName: "--reload", workersName: "--workers", equals: " " };
}

export default defineRule({
  meta: {
    id: "server/reload-in-production",
    summary: "--reload on a server that is not clearly a development setup",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.gunicornReload, SOURCES.uvicornReloadIsDev, SOURCES.uvicornReloadWorkersExclusive],
    docs: {
      why:
        "`--reload` makes gunicorn, uvicorn and hypercorn watch the source tree and restart on every change. It is meant for " +
        "development: the watcher costs CPU in every container (polling, or inotify over the whole tree), a deploy that touches " +
        "files restarts the workers mid-request, and uvicorn runs a single process under the reloader: it ignores `--workers`. " +
        "Headroom stays quiet when the compose file, folder or service says dev, local, test or e2e (`docker-compose.dev.yml`, `docker-compose.test.yml`, `.devcontainer/`, service `dev`), or the service only runs under development profiles (`profiles: [dev]`, `[debug]`: `docker compose up` leaves it out) or bind-mounts its build context over the image's code (`.:/code` over `WORKDIR /code`: the working copy, edited live; not in a file named for production or a service with a CPU or memory limit or replicas), " +
        "for a base compose file beside a production variant of the same service (`docker-compose.yml` beside `docker-compose.prod.yml`, " +
        "layered or written out in full: production runs the variant, which is checked), " +
        "when the script that runs it is named for development or reloading (`start-dev.sh`, `start-reload.sh`), and when the command " +
        "sits in a start-script branch taken only with a debug/development switch on (`if [ \"$DEBUG\" = true ]; then`, " +
        "`case \"$ENV\" in dev)`); what the switch is set to at run time is not evaluated.",
      bad: {
        "docker-compose.yml": "services:\n  api:\n    image: api:latest\n    command: uvicorn app.main:app --host 0.0.0.0 --workers 3 --reload\n",
      },
      good: {
        "docker-compose.yml": "services:\n  api:\n    image: api:latest\n    command: uvicorn app.main:app --host 0.0.0.0 --workers 3\n",
        "docker-compose.dev.yml": "services:\n  api:\n    image: api:latest\n    command: uvicorn app.main:app --host 0.0.0.0 --reload\n",
      },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      for (const process of deployment.processes) {
        const option = reloadOption(process);
        const at = reloadRef(process);
        if (!option || !at || isDevDeployment(deployment, process.commandAt.file, model) || runsOnlyInDevelopment(process.guards)) continue;
        const server = process.invocation.server;
        const workers = optionValue(process.invocation, "workers");
        const { reloadName, workersName, equals } = reloadWording(process);
        const note =
          server === "uvicorn"
            ? workers?.value && workers.value.value !== "1"
              ? ` uvicorn also ignores ${workersName}${equals}${workers.value.value} with ${reloadName}: one process serves everything.`
              : ` uvicorn runs a single process under the reloader and ignores ${workersName}.`
            : server === "gunicorn"
              ? " gunicorn's reloader is also incompatible with --preload."
              : "";
        const edit = option.value ? undefined : removeOptionEdit(option, text);
        report({
          at,
          deployment,
          message:
            `${server} runs with ${reloadName} in ${deployment.name}: a file watcher scans the source tree (polling, unless inotify or ` +
            `watchfiles is installed) and costs CPU in every container, and any file change restarts the workers mid-request. ${reloadName} is for development.${note}`,
          fixes: edit ? [{ title: "Remove --reload", safe: true, edits: [edit] }] : [],
        });
      }
    }
  },
});
