import { SOURCES } from "../../knowledge/sources.ts";
import { optionValue } from "../../parse/servers.ts";
import { defineRule } from "../define.ts";
import { reloadOption, reloadRef, reloadWording } from "../server/reload-in-production.ts";

export default defineRule({
  meta: {
    id: "uvicorn/reload-with-workers",
    summary: "uvicorn with both --reload and --workers: the workers are ignored",
    severity: "warning",
    fix: "none",
    sources: [SOURCES.uvicornReloadWorkersExclusive, SOURCES.uvicornReloadIsDev],
    docs: {
      why:
        "uvicorn's `--reload` and `--workers` are mutually exclusive: with `--reload`, uvicorn starts the reloader and one " +
        "server process, whatever `--workers` says. A command that asks for several workers and also reloads serves with one " +
        "process on one CPU. Keep `--workers` for production and `--reload` for development, in separate commands.",
      bad: {
        "start.sh": "#!/bin/sh\nexec uvicorn main:app --host 0.0.0.0 --workers 4 --reload\n",
      },
      good: {
        "start.sh": "#!/bin/sh\nexec uvicorn main:app --host 0.0.0.0 --workers 4\n",
      },
    },
  },
  check({ model, report }) {
    for (const deployment of model.deployments) {
      for (const process of deployment.processes) {
        if (process.invocation.server !== "uvicorn") continue;
        const reload = reloadOption(process);
        const workers = optionValue(process.invocation, "workers");
        const reloadAt = reloadRef(process);
        if (!reload || !reloadAt || !workers?.value) continue;
        const count = workers.value.value;
        if (count === "1") continue;
        const file = workers.flag.fact.at?.file ?? reloadAt.file;
        const { reloadName, workersName, equals } = reloadWording(process);
        report({
          at: { file, start: workers.flag.start, end: Math.max(workers.flag.end, workers.value.end) },
          deployment,
          message:
            `uvicorn ignores ${workersName}${equals}${count} because ${reloadName} is set: the two are mutually exclusive, so one process serves ` +
            `every request. Drop ${reloadName} to run the workers (or drop ${workersName} in a development command).`,
          related: [{ at: reloadAt, message: `${reloadName} set here: uvicorn runs one process under the reloader` }],
        });
      }
    }
  },
});
