import { SOURCES } from "../../knowledge/sources.ts";
import type { RelatedInfo } from "../../types.ts";
import { defineRule } from "../define.ts";
import { frontsOf, GUNICORN_TIMEOUT, gunicornSeconds, gunicornWorkerKind, replaceNumber, seconds } from "../proxy/chain.ts";
import { gunicornProcesses, gunicornSetting } from "./settings.ts";

/** Worker classes whose heartbeat runs on the loop that serves requests: a request that blocks it silences the worker. */
const EVENT_LOOP_KINDS = new Set(["gevent", "eventlet", "uvicorn", "tornado"]);

export default defineRule({
  meta: {
    id: "gunicorn/timeout-disabled",
    summary: "gunicorn's --timeout 0 turns off the watchdog: a hung worker is never killed or replaced",
    severity: "warning",
    fix: "unsafe",
    sources: [SOURCES.gunicornTimeout, SOURCES.gunicornTimeoutNonSync, SOURCES.gunicornTimeoutZeroArbiter, SOURCES.gunicornGthreadHeartbeat, SOURCES.nginxProxyTimeouts],
    docs: {
      why:
        "gunicorn's master kills and replaces a worker that has not checked in for `--timeout` seconds; `--timeout 0` (or " +
        "`timeout = 0` in gunicorn.conf.py) turns that watchdog off for every worker. A sync worker checks in between requests, " +
        "so one stuck on a request that never ends (a database or API call without its own timeout) is never killed: it is " +
        "one worker fewer until the next deploy, and a few such requests leave the service answering nothing. With an event-loop " +
        "worker (uvicorn, gevent, eventlet, tornado) the check-in runs on the loop that serves requests: a blocking call that " +
        "never returns freezes every connection of that worker, and nothing restarts it. Headroom reports a stated 0 for those " +
        "worker classes. It does not report gthread: its main loop checks in whatever its request threads do, so the timeout " +
        "never ended a hung request there anyway (Cloud Run's samples run gthread with `--timeout 0`). The fix (unsafe: it " +
        "brings back a limit someone removed, perhaps for long requests) sets gunicorn's default 30 s; for sync workers behind " +
        "a proxy that waits longer, the proxy's wait (nginx's `proxy_read_timeout`, 60 s unless set), past which the client is " +
        "gone anyway. The comparisons with the proxy (proxy/timeout-shorter-than-app, gunicorn/timeout-default-behind-long-proxy) " +
        "leave a disabled timeout to this rule.",
      bad: { "start.sh": "#!/bin/sh\nexec gunicorn app:app --workers 3 --timeout 0 --bind 0.0.0.0:8000\n" },
      good: { "start.sh": "#!/bin/sh\nexec gunicorn app:app --workers 3 --timeout 30 --bind 0.0.0.0:8000\n" },
    },
  },
  check({ model, report, text }) {
    for (const { deployment, process } of gunicornProcesses(model)) {
      const timeout = gunicornSeconds(deployment, process, "timeout", GUNICORN_TIMEOUT);
      if (!timeout || timeout.origin !== "stated" || timeout.value !== 0 || !timeout.at) continue;
      const kind = gunicornWorkerKind(deployment, process);
      if (kind !== "sync" && !EVENT_LOOP_KINDS.has(kind ?? "")) continue;
      const written = gunicornSetting(process, "timeout", deployment.env).from === "conf" ? "timeout = 0" : "--timeout 0";
      const related: RelatedInfo[] = [];
      let value = GUNICORN_TIMEOUT;
      let consequence: string;
      if (kind === "sync") {
        const longest = frontsOf(model, deployment).filter((f) => !Number.isNaN(f.readTimeout.value)).sort((a, b) => b.readTimeout.value - a.readTimeout.value)[0];
        if (longest && longest.readTimeout.value > value) {
          value = longest.readTimeout.value;
          const directive = longest.kind === "nginx" ? longest.timeoutDirective : "App Runner's request timeout";
          if (longest.readTimeout.at) related.push({ at: longest.readTimeout.at, message: `the proxy gives up after ${seconds(value)} (${directive}${longest.readTimeout.origin === "default" ? ", its default" : ""}): past that the worker works for nobody` });
        }
        consequence =
          `a sync worker stuck on a request that never ends (a database or API call that hangs) is never killed or replaced: ` +
          (process.workers.value > 1
            ? `each such request takes one of the ${process.workers.value} workers away for good, until none is left to serve.`
            : "one such request takes the only worker away for good, and the service stops answering.");
      } else {
        consequence =
          `a ${kind} worker whose event loop is blocked (a blocking call that never returns) is never restarted, ` +
          `and every connection it holds waits for good.`;
      }
      const fix = replaceNumber(timeout, value, `Set ${written.startsWith("--") ? "--timeout" : "timeout"} to ${value}`, text);
      report({
        at: timeout.at,
        deployment,
        message: `gunicorn ${written} turns off the watchdog that kills a worker silent for too long: ${consequence}`,
        related,
        fixes: fix ? [{ ...fix, safe: false }] : [],
      });
    }
  },
});
