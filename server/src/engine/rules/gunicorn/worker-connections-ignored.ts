import { SOURCES } from "../../knowledge/sources.ts";
import { defineRule } from "../define.ts";
import { removeOptionEdit } from "../server/edits.ts";
import { effectiveWorkerClass, gunicornProcesses, gunicornSetting, removeConfSettingEdit, statedSetting, workerClassRelated, workerKind } from "./settings.ts";

export default defineRule({
  meta: {
    id: "gunicorn/worker-connections-ignored",
    summary: "--worker-connections with a gunicorn worker class that does not read it",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.gunicornWorkerConnections, SOURCES.gunicornThreads, SOURCES.uvicornLimitConcurrencyGunicorn],
    docs: {
      why:
        "gunicorn's `worker_connections` caps simultaneous clients per worker only for the eventlet and gevent workers (and, " +
        "in gunicorn's code, the gthread worker, where it also bounds kept-alive connections). The sync worker handles one " +
        "request at a time and `uvicorn.workers.UvicornWorker` / `uvicorn_worker.UvicornWorker` never read it, so raising it " +
        "(`--worker-connections 2000`) changes nothing: capacity comes from the number of workers. For a uvicorn worker, " +
        "uvicorn's own `--limit-concurrency` is not available under gunicorn either. The setting is read where gunicorn reads it: the " +
        "command line, GUNICORN_CMD_ARGS and the config file (`worker_connections = 2000`, whose line the fix deletes when it " +
        "is a statement of its own).",
      bad: {
        "start.sh": "#!/bin/sh\nexec gunicorn app.main:app -w 4 -k uvicorn.workers.UvicornWorker --worker-connections 2000 --bind 0.0.0.0:8000\n",
      },
      good: {
        "start.sh": "#!/bin/sh\nexec gunicorn app.main:app -w 4 -k gevent --worker-connections 2000 --bind 0.0.0.0:8000\n",
      },
    },
  },
  check({ model, report, text }) {
    for (const { deployment, process } of gunicornProcesses(model)) {
      const setting = gunicornSetting(process, "worker_connections", deployment.env);
      const stated = statedSetting(process, "worker_connections", setting);
      if (!stated || setting.from === "default" || setting.from === "unknown") continue;
      const workerClass = effectiveWorkerClass(process);
      if (!workerClass) continue;
      let kind = workerKind(workerClass.value);
      const threads = gunicornSetting(process, "threads");
      if (threads.from === "unknown") continue;
      // gunicorn runs the gthread worker when the sync worker is asked for more than one thread.
      if (kind === "sync" && threads.from !== "default" && Number(threads.value) > 1) kind = "gthread";
      if (kind !== "sync" && kind !== "uvicorn") continue;
      const edit =
        setting.from === "conf" ? (process.config && removeConfSettingEdit(process.config.path, "worker_connections", stated.at, text))
        : removeOptionEdit(setting.option, text);
      const title = setting.from === "conf" ? `Remove worker_connections = ${setting.value}` : `Remove --worker-connections ${setting.value}`;
      report({
        at: stated.at,
        deployment,
        message:
          `${stated.written} does nothing with the ${workerClass.value} worker` +
          (workerClass.source.from === "default" ? " (gunicorn's default worker class)" : "") +
          ": only the gevent, eventlet (and gthread) workers read worker_connections. " +
          (kind === "sync" ? "A sync worker serves one request at a time; " : "uvicorn's worker never reads it; ") +
          "concurrency comes from the number of workers.",
        related: workerClassRelated(workerClass, stated.at.file),
        fixes: edit ? [{ title, safe: true, edits: [edit] }] : [],
      });
    }
  },
});
