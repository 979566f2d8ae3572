import { SOURCES } from "../../knowledge/sources.ts";
import type { ServerProcess } from "../../model/types.ts";
import { defineRule } from "../define.ts";
import { reloadOption } from "../server/reload-in-production.ts";
import { serverName } from "../../parse/servers.ts";
import { jobRunnerText } from "../../model/job-runners.ts";

function describe(process: ServerProcess, reload: boolean): string {
  const jobs = jobRunnerText(process);
  if (jobs) return jobs;
  const n = process.workers.value;
  // uvicorn runs one process under --reload, whatever its --workers (or WEB_CONCURRENCY) says.
  if (reload && process.invocation.server === "uvicorn" && n > 1) return `one uvicorn process with --reload (uvicorn ignores its ${n} workers under --reload)`;
  const how = process.workers.origin === "default" ? `, ${serverName(process.invocation)}'s default` : "";
  return `${n} ${serverName(process.invocation)} worker${n === 1 ? "" : "s"}${how}${reload ? " with --reload" : ""}`;
}

export default defineRule({
  meta: {
    id: "compose/override-replaces-command",
    summary: "docker-compose.override.yml replaces the service's command with different sizing",
    severity: "warning",
    fix: "none",
    sources: [SOURCES.composeDefaultFiles, SOURCES.composeMergeCommandReplaced, SOURCES.uvicornReloadWorkersExclusive],
    docs: {
      why:
        "`docker compose up` reads `docker-compose.override.yml` (or `compose.override.yaml`) next to the base file by default, " +
        "and a `command:` in it replaces the base command (or the image's CMD) entirely; nothing is merged. A development " +
        "override with `--workers 1 --reload` therefore silently wins over the base file's `--workers 3` wherever the override " +
        "file is present, and the service runs with a different number of workers than the base file says. Headroom reports it " +
        "when the two commands size the server differently; which one is intended is your call (rename the override, e.g. " +
        "`docker-compose.dev.yml` used with `-f`, or align the two).",
      bad: {
        "docker-compose.yml": "services:\n  api:\n    image: api:latest\n    command: uvicorn app:app --host 0.0.0.0 --workers 3\n",
        "docker-compose.override.yml": "services:\n  api:\n    command: uvicorn --host 0.0.0.0 --workers 1 --reload app:app\n",
      },
      good: {
        "docker-compose.yml": "services:\n  api:\n    image: api:latest\n    command: uvicorn app:app --host 0.0.0.0 --workers 3\n",
        "docker-compose.override.yml": "services:\n  api:\n    environment:\n      LOG_LEVEL: debug\n",
      },
    },
  },
  check({ model, report }) {
    for (const deployment of model.deployments) {
      for (const replaced of deployment.replacedCommands ?? []) {
        const before = replaced.processes[0];
        const after = deployment.processes.find((p) => p.invocation.server === before.invocation.server) ?? deployment.processes[0];
        if (!before || !after) continue;
        const reloadBefore = reloadOption(before) !== undefined;
        const reloadAfter = reloadOption(after) !== undefined;
        const workersDiffer = before.workers.value !== after.workers.value && !before.workersFromCpuCount && !after.workersFromCpuCount;
        if (!workersDiffer && !(reloadAfter && !reloadBefore)) continue;
        const overrideFile = replaced.by.file;
        const baseFile = replaced.at.file;
        report({
          at: replaced.by,
          deployment,
          message:
            `${overrideFile} replaces the command of ${deployment.name} set in ${baseFile}: docker compose reads the override by ` +
            `default and its command: replaces the earlier one instead of merging, so the service runs ${describe(after, reloadAfter)}, ` +
            `not the ${describe(before, reloadBefore)} of ${baseFile}.`,
          related: [{ at: replaced.at, message: `replaced command: ${describe(before, reloadBefore)}` }],
        });
      }
    }
  },
});
