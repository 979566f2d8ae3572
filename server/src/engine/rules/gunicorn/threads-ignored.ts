import { SOURCES } from "../../knowledge/sources.ts";
import { defineRule } from "../define.ts";
import { effectiveWorkerClass, gunicornProcesses, gunicornSetting, statedSetting, workerClassRelated, workerKind } from "./settings.ts";

export default defineRule({
  meta: {
    id: "gunicorn/threads-ignored",
    summary: "--threads with an async gunicorn worker class that ignores it",
    severity: "warning",
    fix: "none",
    sources: [SOURCES.gunicornThreads, SOURCES.gunicornWorkerConnections],
    docs: {
      why:
        "gunicorn's `threads` setting only affects the gthread worker (the sync worker turns into gthread when threads > 1). " +
        "The async workers (uvicorn's `UvicornWorker`, gevent, eventlet) run one event loop per process and ignore it, so " +
        "`--threads 8` with `-k uvicorn.workers.UvicornWorker` adds no concurrency: size such a deployment with workers (and, " +
        "for gevent/eventlet, worker_connections). Read from the command line, GUNICORN_CMD_ARGS and the config file (`threads = 8`).",
      bad: {
        "start.sh": "#!/bin/sh\nexec gunicorn app.main:app -w 4 -k uvicorn.workers.UvicornWorker --threads 8 --bind 0.0.0.0:8000\n",
      },
      good: {
        "start.sh": "#!/bin/sh\nexec gunicorn app.main:app -w 4 -k gthread --threads 8 --bind 0.0.0.0:8000\n",
      },
    },
  },
  check({ model, report }) {
    for (const { deployment, process } of gunicornProcesses(model)) {
      const setting = gunicornSetting(process, "threads", deployment.env);
      const stated = statedSetting(process, "threads", setting);
      const threads = setting.from === "default" || setting.from === "unknown" ? NaN : Number(setting.value);
      if (!stated || !Number.isFinite(threads) || threads <= 1) continue;
      const workerClass = effectiveWorkerClass(process);
      if (!workerClass) continue;
      const kind = workerKind(workerClass.value);
      if (kind !== "uvicorn" && kind !== "gevent" && kind !== "eventlet") continue;
      const at = stated.at;
      report({
        at,
        deployment,
        message:
          `${stated.written} is ignored by the ${workerClass.value} worker: threads only affect gunicorn's gthread worker. ` +
          `${process.workers.value === 1 ? "Its one worker" : `Each of the ${process.workers.value} workers`} still runs one event loop; ` +
          (kind === "uvicorn" ? "add workers for CPU, not threads." : "its concurrency is worker_connections, not threads."),
        related: workerClassRelated(workerClass, at.file),
      });
    }
  },
});
