import { SOURCES } from "../../knowledge/sources.ts";
import type { Fix, RelatedInfo } from "../../types.ts";
import { defineRule, type Report } from "../define.ts";
import { insertInBlock } from "../nginx/common.ts";
import { frontsOf, replaceNumber, seconds, workerTimeout } from "./chain.ts";

const COMPOSE = "services:\n  api:\n    build: .\n    command: gunicorn app:app --workers 3 --timeout 120 --bind 0.0.0.0:8000\n  nginx:\n    image: nginx:1.27\n";
const conf = (timeout: string) =>
  `events {\n    worker_connections 4096;\n}\n\nhttp {\n    upstream api_backend {\n        server api:8000;\n    }\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://api_backend;\n${timeout}        }\n    }\n}\n`;

export default defineRule({
  meta: {
    id: "proxy/timeout-shorter-than-app",
    summary: "The proxy gives up on a request before the app server's worker timeout",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.nginxProxyTimeouts, SOURCES.nginxUwsgiReadTimeout, SOURCES.gunicornTimeout, SOURCES.gunicornTimeoutNonSync, SOURCES.unicornTimeout, SOURCES.uwsgiHarakiri, SOURCES.appRunnerRequestTimeout],
    docs: {
      why:
        "nginx waits `proxy_read_timeout` (60 s unless set) for the app to answer, then returns 504 Gateway Timeout and closes " +
        "the upstream connection; App Runner ends every request at 120 s. gunicorn lets a worker work on one request for up to " +
        "`--timeout` seconds (30 unless set) before killing it. When the proxy's limit is the shorter one, a request that runs " +
        "between the two gets a 504 while the worker keeps working on it: with sync workers that worker is busy for nobody " +
        "until it finishes or is killed, and retries from impatient clients pile more such requests on top. The two limits " +
        "should agree: the proxy should wait at least as long as the worker may work. For gunicorn's other workers (uvicorn, " +
        "gevent, gthread) `--timeout` does not bound a request (it only kills a worker that stops answering gunicorn's " +
        "heartbeat), so Headroom compares only a stated `--timeout` there, as the request length the deployment expects. " +
        "Unicorn works like gunicorn's sync worker: each worker serves one request at a time, and its master SIGKILLs a worker " +
        "whose request runs longer than `timeout` (60 s unless its config file, `unicorn -c`, sets it). uWSGI's `harakiri` " +
        "(`--harakiri` or its ini file) does the same; it is off unless set, so only a stated one is compared, with the " +
        "`uwsgi_read_timeout` (also 60 s unless set) of the locations that `uwsgi_pass` to it. Puma has no per-request " +
        "timeout (`worker_timeout` only bounds a worker that stops checking in), so it is not compared. " +
        "The nginx side is compared per location that proxies to the deployment, with nginx's inheritance " +
        "(http → server → location); since the worker timeout is one per process, a deployment is reported only when every " +
        "location that reaches it gives up earlier (a `/reports` location at 120 s covers a 120 s timeout even if `/` keeps " +
        "60 s). A location that serves a health or readiness probe (`/health`, `/healthz`, `/ping`, `/ready`, `/live`, `/status`, as the last " +
        "part of its path) is left out: its short timeout is the probe's own deadline. The fix sets `proxy_read_timeout` (`uwsgi_read_timeout`) in each such location to the worker timeout; on App " +
        "Runner, whose 120 s cannot be raised, it lowers the worker timeout (`--timeout`, Unicorn's `timeout`) to 120. The opposite mismatch (gunicorn's default 30 s " +
        "behind a proxy that waits longer) is gunicorn/timeout-default-behind-long-proxy.",
      bad: { "docker-compose.yml": COMPOSE, "nginx/nginx.conf": conf("            proxy_read_timeout 30s;\n") },
      good: { "docker-compose.yml": COMPOSE, "nginx/nginx.conf": conf("            proxy_read_timeout 120s;\n") },
    },
  },
  check({ model, report, text }) {
    // One finding per nginx location and worker timeout, naming every deployment behind it (replicas share a command).
    const grouped = new Map<string, { report: Report; names: string[]; related: RelatedInfo[] }>();
    for (const deployment of model.deployments) {
      for (const process of deployment.processes) {
        const app = workerTimeout(deployment, process);
        if (!app) continue;
        const { value: timeout, what } = app;
        const timeoutRelated: RelatedInfo[] = timeout.at ? [{ at: timeout.at, message: app.note }] : [];
        // A health-check location's short timeout is the probe's own deadline: it fails fast on purpose.
        // A wait written as a template variable is not known here: nothing to compare.
        const fronts = frontsOf(model, deployment).filter((f) => !Number.isNaN(f.readTimeout.value) && (f.kind !== "nginx" || !isProbeLocation(text(f.location.at.file)?.slice(f.location.at.start, f.location.at.end))));
        // The worker timeout is one per process, not per route: where some nginx location already waits as long, the
        // timeout serves that route, and the shorter ones are that route's choice.
        const longestNginx = Math.max(...fronts.map((f) => (f.kind === "nginx" ? f.readTimeout.value : 0)));
        for (const front of fronts) {
          const wait = front.readTimeout;
          if (wait.value >= timeout.value || !wait.at || (front.kind === "nginx" && longestNginx >= timeout.value)) continue;
          if (front.kind === "apprunner") {
            if (!timeout.at || timeout.origin !== "stated") continue;
            const fix = replaceNumber(timeout, wait.value, `Lower ${app.setting} to App Runner's ${wait.value}`, text);
            report({
              at: timeout.at,
              deployment,
              message:
                `App Runner ends every request after ${seconds(wait.value)} and this cannot be raised, but ${what}: ` +
                `past ${seconds(wait.value)} the client has its error while the worker keeps working.`,
              related: [{ at: wait.at, message: `App Runner service: requests time out at ${seconds(wait.value)}` }],
              fixes: fix ? [fix] : [],
            });
            continue;
          }
          const location = front.location;
          const stated = wait.origin === "stated";
          const inLocation = stated && wait.at.file === location.block.file && wait.at.start > location.block.start && wait.at.end < location.block.end;
          const fixes: Fix[] = [];
          const source = text(location.block.file);
          const directive = front.timeoutDirective;
          const title = `Set ${directive} ${timeout.value}s in this location`;
          // Set at this level by an include in the block: a second one here would be a duplicate, and
          // changing the included file changes every block that includes it.
          const included = stated && !inLocation && location.ownDirectives.has(directive);
          if (inLocation || included) {
            const written = text(wait.at.file)?.slice(wait.at.start, wait.at.end);
            const edit = { ...wait.at, newText: `${timeout.value}s` };
            if (written !== undefined && /^\d+s?$/.test(written)) fixes.push(included ? { title: `Set ${directive} ${timeout.value}s in ${wait.at.file}`, safe: false, edits: [edit] } : { title, safe: true, edits: [edit] });
          } else if (source !== undefined) {
            fixes.push({ title, safe: true, edits: [insertInBlock(source, location.block, [`${directive} ${timeout.value}s;`])] });
          }
          const where = stated ? `${directive} ${seconds(wait.value)}${inLocation ? "" : included ? ` (from ${wait.at.file}, included here)` : " (inherited)"}` : `${directive} is not set, so nginx waits its default ${seconds(wait.value)}`;
          const at = inLocation ? wait.at : location.at;
          const key = `${at.file}:${at.start}:${timeout.value}:${app.boundsRequests}`;
          const group = grouped.get(key) ?? { names: [], related: stated && !inLocation ? [{ at: wait.at, message: `${directive} ${seconds(wait.value)}, ${included ? "included in" : "inherited by"} this location` }] : [], report: { at, deployment, message: "", fixes } };
          grouped.set(key, group);
          // A location that proxies twice (its own proxy_pass and one in an `if`) is one place to fix.
          if (!group.names.includes(deployment.name)) group.names.push(deployment.name);
          for (const r of timeoutRelated) if (!group.related.some((x) => x.at.file === r.at.file && x.at.start === r.at.start)) group.related.unshift(r);
          group.report.message =
            `${where} for ${group.names.join(", ")}, but ${what}: a request slower than ${seconds(wait.value)} gets a 504 from nginx ` +
            `while the worker keeps working on it for a client that is gone.`;
        }
      }
    }
    for (const group of grouped.values()) report({ ...group.report, related: group.related });
  },
});

/** Last path segments that name a health or readiness probe (`/health`, `/api/healthz`, `/ping`, `/ready`). */
const PROBE_PATH = /(^|\/)(health|healthz|healthcheck|health-check|health_check|ping|ready|readyz|readiness|live|livez|liveness|status)\/?\$?$/i;

/** `location /health`, `location = /healthz`, `location ~ ^/api/ping$`: a location that serves a probe, not users. */
function isProbeLocation(directive: string | undefined): boolean {
  const path = directive?.trim().split(/\s+/).at(-1)?.replace(/^\^/, "");
  return path !== undefined && PROBE_PATH.test(path);
}
