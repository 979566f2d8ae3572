import { SOURCES } from "../../knowledge/sources.ts";
import { defineRule } from "../define.ts";
import { addOption, frontsOf, GUNICORN_TIMEOUT, gunicornSeconds, gunicornWorkerKind, seconds } from "../proxy/chain.ts";

const COMPOSE = (command: string) => `services:\n  api:\n    build: .\n    command: ${command}\n  nginx:\n    image: nginx:1.27\n`;
const CONF =
  "events {\n    worker_connections 4096;\n}\n\nhttp {\n    upstream api_backend {\n        server api:8000;\n    }\n    server {\n        listen 80;\n        location /reports {\n            proxy_pass http://api_backend;\n            proxy_read_timeout 120s;\n        }\n    }\n}\n";

export default defineRule({
  meta: {
    id: "gunicorn/timeout-default-behind-long-proxy",
    summary: "gunicorn's sync workers keep the default 30 s timeout behind a proxy set to wait longer",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.gunicornTimeout, SOURCES.gunicornTimeoutNonSync, SOURCES.nginxProxyTimeouts],
    docs: {
      why:
        "gunicorn kills a sync worker that has been silent for `--timeout` seconds, 30 unless set: for the sync worker that is " +
        "the longest a request may run. When the nginx location in front of it was given a longer `proxy_read_timeout` (someone " +
        "expects slow requests, say 120 s), every request between 30 s and that limit still dies at 30 s: gunicorn logs " +
        "`WORKER TIMEOUT`, kills the worker mid-request and nginx answers 502. Headroom reports it when the timeout is left at " +
        "gunicorn's default, the worker class is sync (for the other worker classes, gthread included, `--timeout` does not bound a request), and " +
        "a proxy that sends requests to the deployment states a longer read timeout. The fix makes gunicorn's timeout match " +
        "the proxy's (`--timeout 120`). nginx's own default of 60 s is not reported: nothing then says requests are expected " +
        "to run past 30 s. The opposite mismatch is proxy/timeout-shorter-than-app.",
      bad: { "docker-compose.yml": COMPOSE("gunicorn app:app --workers 3 --bind 0.0.0.0:8000"), "nginx/nginx.conf": CONF },
      good: { "docker-compose.yml": COMPOSE("gunicorn app:app --workers 3 --timeout 120 --bind 0.0.0.0:8000"), "nginx/nginx.conf": CONF },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      for (const process of deployment.processes) {
        if (process.invocation.server !== "gunicorn" || gunicornWorkerKind(deployment, process) !== "sync") continue;
        const timeout = gunicornSeconds(deployment, process, "timeout", GUNICORN_TIMEOUT);
        // gunicorn's own default only: an image's config file (tiangolo's gunicorn_conf.py) sets another.
        if (!timeout || timeout.origin !== "default" || timeout.by !== "gunicorn" || !timeout.at) continue;
        // The longest stated wait among the proxies in front: that is what someone expects requests to take.
        const longest = frontsOf(model, deployment)
          .filter((front) => front.readTimeout.origin === "stated" && front.readTimeout.value > timeout.value && front.readTimeout.at)
          .sort((a, b) => b.readTimeout.value - a.readTimeout.value)[0];
        if (!longest?.readTimeout.at) continue;
        const wait = longest.readTimeout.value;
        // Only nginx states a wait (App Runner's is fixed): proxy_read_timeout, or uwsgi_read_timeout for uwsgi_pass.
        const directive = longest.kind === "nginx" ? longest.timeoutDirective : "proxy_read_timeout";
        const fix = addOption(process, "--timeout", wait, `Set gunicorn --timeout ${wait}`, text);
        report({
          at: timeout.at,
          deployment,
          message:
            `gunicorn runs sync workers with its default --timeout of ${seconds(GUNICORN_TIMEOUT)}, while nginx in front waits ${seconds(wait)} ` +
            `(${directive}) for them: a request that takes longer than ${seconds(GUNICORN_TIMEOUT)} has its worker killed ` +
            `("WORKER TIMEOUT") and the client gets a 502, well before the proxy would have given up.`,
          related: [{ at: longest.readTimeout.at, message: `${directive} ${seconds(wait)}` }],
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
});
