import { SOURCES } from "../../knowledge/sources.ts";
import type { ProxyUpstream } from "../../model/nginx.ts";
import type { Fact, RelatedInfo } from "../../types.ts";
import { defineRule } from "../define.ts";
import { keepaliveGaps } from "../nginx/upstream-keepalive-off.ts";
import { appKeepAlive, frontsOf, NGINX_UPSTREAM_KEEPALIVE_TIMEOUT, seconds, setSeconds } from "./chain.ts";
import { serverName } from "../../parse/servers.ts";

/** Seconds the app server's keep-alive is set above the proxy's idle timeout, so that the proxy always closes first. */
const MARGIN = 5;

const COMPOSE = (command: string) => `services:\n  api:\n    build: .\n    command: ${command}\n  nginx:\n    image: nginx:1.27\n`;
const CONF =
  'events {\n    worker_connections 4096;\n}\n\nhttp {\n    upstream api_backend {\n        server api:8000;\n        keepalive 32;\n    }\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://api_backend;\n            proxy_http_version 1.1;\n            proxy_set_header Connection "";\n        }\n    }\n}\n';

function idleTimeout(upstream: ProxyUpstream): Fact<number> {
  return upstream.keepaliveTimeout ?? { value: NGINX_UPSTREAM_KEEPALIVE_TIMEOUT, origin: "default", by: "nginx", at: upstream.keepalive?.at ?? upstream.at };
}

export default defineRule({
  meta: {
    id: "proxy/keepalive-shorter-than-upstream",
    summary: "The app server closes idle keep-alive connections before the proxy in front stops reusing them",
    severity: "warning",
    fix: "safe",
    sources: [
      SOURCES.nginxUpstreamKeepalive,
      SOURCES.nginxUpstreamKeepaliveTimeout,
      SOURCES.albIdleTimeout,
      SOURCES.gunicornKeepalive,
      SOURCES.gunicornSyncNoKeepalive,
      SOURCES.tiangoloGunicornConf,
      SOURCES.uvicornWorkerKeepalive,
      SOURCES.pumaPersistentTimeoutBefore7,
      SOURCES.puma7Defaults,
      SOURCES.uvicornTimeoutKeepAlive,
      SOURCES.hypercornKeepAlive,
    ],
    docs: {
      why:
        "With `keepalive N` in an upstream block, nginx keeps idle connections to the app open for reuse, for up to the " +
        "upstream's `keepalive_timeout` (60 s unless set). The app server has its own idle limit: gunicorn's `--keep-alive` " +
        "(2 s unless set; `UvicornWorker` takes the same setting), uvicorn's `--timeout-keep-alive` (5 s), hypercorn's " +
        "`--keep-alive` (5 s), puma's `persistent_timeout`. When the app's limit is the shorter one, the app closes idle " +
        "connections that nginx still holds as reusable; a request nginx sends on such a connection at the moment it closes " +
        "fails, and the client gets a sporadic 502 that no log on the app side explains. AWS gives the same advice for its " +
        "load balancers: configure the application's idle timeout to be larger than the load balancer's. Headroom compares " +
        "them for each deployment an nginx upstream with `keepalive` reaches. gunicorn's sync worker is skipped (it closes " +
        "every connection after the response, so there is nothing to race); puma is compared only when `persistent_timeout` " +
        "is stated, since its default changed from 20 s to 65 s in Puma 7. A load balancer's idle timeout (App Runner, ALB) " +
        "is not compared: nothing in the repository states it, and App Runner documents none. The fix sets the app's " +
        "keep-alive to the proxy's idle timeout plus 5 s (Headroom's margin), so that the proxy always closes first. When the locations still proxy with " +
        "HTTP/1.0 (nginx/upstream-keepalive-off), the message says the race starts with nginx 1.29.7 or once keepalive is switched on: " +
        "fixing one without the other trades a slow upstream for 502s.",
      bad: { "docker-compose.yml": COMPOSE("uvicorn app:app --host 0.0.0.0 --port 8000"), "nginx/nginx.conf": CONF },
      good: { "docker-compose.yml": COMPOSE("uvicorn app:app --host 0.0.0.0 --port 8000 --timeout-keep-alive 65"), "nginx/nginx.conf": CONF },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      for (const process of deployment.processes) {
        const nginxFronts = frontsOf(model, deployment).flatMap((front) => (front.kind === "nginx" && front.upstream?.keepalive && front.upstream.keepalive.value > 0 ? [front] : []));
        const fronts = nginxFronts.map((front) => front.upstream as ProxyUpstream);
        if (fronts.length === 0) continue;
        // Locations that proxy with HTTP/1.0 or "Connection: close" reuse nothing before nginx 1.29.7 (nginx/upstream-keepalive-off).
        const reusedBy = (upstream: ProxyUpstream) =>
          nginxFronts.some((front) => front.upstream === upstream && Object.values(keepaliveGaps(front.location)).every((gap) => !gap));
        const keepAlive = appKeepAlive(deployment, process);
        if (!keepAlive || keepAlive === "closes" || !keepAlive.value.at) continue;
        const seen = new Set<ProxyUpstream>();
        for (const upstream of fronts) {
          if (seen.has(upstream)) continue;
          seen.add(upstream);
          const idle = idleTimeout(upstream);
          const app = keepAlive.value;
          if (Number.isNaN(idle.value) || app.value > idle.value || !app.at) continue;
          const target = idle.value + MARGIN;
          const fix = setSeconds(process, app, keepAlive.flag, target, `Set ${keepAlive.name} to ${target}`, text);
          const related: RelatedInfo[] = [];
          if (upstream.keepalive?.at) related.push({ at: upstream.keepalive.at, message: `upstream ${upstream.name}: keepalive ${upstream.keepalive.value} idle connections per nginx worker` });
          if (idle.origin === "stated" && idle.at) related.push({ at: idle.at, message: `keepalive_timeout ${seconds(idle.value)}` });
          const appText =
            app.origin === "default"
              ? `${keepAlive.name} is not set, so ${serverName(process.invocation)} closes a keep-alive connection idle for ${seconds(app.value)} (its default)`
              : `${keepAlive.name} ${seconds(app.value)}: ${serverName(process.invocation)} closes a keep-alive connection idle for that long`;
          const idleText = idle.origin === "default" ? `its default keepalive_timeout of ${seconds(idle.value)}` : `keepalive_timeout ${seconds(idle.value)}`;
          report({
            at: app.at,
            deployment,
            message:
              `${appText}, while nginx (upstream ${upstream.name}) keeps idle connections for reuse up to ${idleText}: a request nginx sends ` +
              `on a connection just as the app closes it fails with a 502. The app's keep-alive should outlast the proxy's.` +
              (reusedBy(upstream)
                ? ""
                : ` The locations proxying to upstream ${upstream.name} lack proxy_http_version 1.1 and a cleared Connection header, so nginx ` +
                  "before 1.29.7 reuses no connection yet (nginx/upstream-keepalive-off): the 502s start with nginx 1.29.7, or once that is fixed."),
            related,
            fixes: fix ? [fix] : [],
          });
        }
      }
    }
  },
});
