import { threshold } from "../../config.ts";
import { SOURCES } from "../../knowledge/sources.ts";
import { proxyClientCapacity } from "../../model/budget.ts";
import type { Fix, RelatedInfo } from "../../types.ts";
import { defineRule } from "../define.ts";
import { backendRelated, backendSummary, capacityShortfall, insertInBlock, PROPOSED_WORKER_CONNECTIONS, proxyingMains, rlimitFor, STOCK_WORKER_CONNECTIONS } from "./common.ts";

const COMPOSE = "services:\n  api:\n    image: example/api\n    deploy:\n      replicas: 3\n  nginx:\n    image: nginx:1.27\n";

export default defineRule({
  meta: {
    id: "nginx/worker-connections-low",
    summary: "nginx proxies with the stock worker_connections (512, 768 or 1024)",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.nginxWorkerConnections, SOURCES.nginxWorkerProcesses, SOURCES.nginxPackagedConfNginxOrg, SOURCES.nginxPackagedConfDebian],
    docs: {
      why:
        "worker_connections caps the connections one nginx worker keeps open, and nginx counts \"connections with proxied servers\" too: " +
        "a proxied request holds a client connection and an upstream connection, so nginx holds at most " +
        "worker_processes x worker_connections / 2 clients at once. The stock values (512 built in, 768 in Debian's nginx.conf, 1024 in " +
        "nginx.org's) are a few hundred proxied clients; past that nginx logs \"worker_connections are not enough\" and drops connections " +
        "while the backends sit idle. The fix raises it to 4096 (Headroom's choice, not an nginx figure); raise worker_rlimit_nofile with it " +
        "(nginx/rlimit-nofile-low). When Headroom can count what the backends serve at once and it exceeds nginx's capacity, " +
        "nginx/capacity-below-clients reports that instead, with the arithmetic; this rule covers the stock values otherwise.",
      bad: {
        "docker-compose.yml": COMPOSE,
        "nginx/nginx.conf":
          "events {\n    worker_connections 1024;\n}\n\nhttp {\n    upstream api_backend {\n        server api:8000;\n    }\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://api_backend;\n        }\n    }\n}\n",
      },
      good: {
        "docker-compose.yml": COMPOSE,
        "nginx/nginx.conf":
          "worker_processes auto;\nworker_rlimit_nofile 8192;\n\nevents {\n    worker_connections 4096;\n}\n\nhttp {\n    upstream api_backend {\n        server api:8000;\n    }\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://api_backend;\n        }\n    }\n}\n",
      },
    },
  },
  check({ model, config, report, text }) {
    // What nginx/rlimit-nofile-low takes a worker to inherit without worker_rlimit_nofile.
    const assumed = threshold(config, "nginx/rlimit-nofile-low", "assumed_soft_limit").value;
    for (const proxy of proxyingMains(model)) {
      const wc = proxy.workerConnections;
      // Where the backends' concurrency is known to exceed nginx's, nginx/capacity-below-clients reports it with that arithmetic.
      if (!STOCK_WORKER_CONNECTIONS.has(wc.value) || !wc.at || capacityShortfall(model, proxy)) continue;
      const wp = proxy.workerProcesses;
      const { perWorker, total } = proxyClientCapacity(proxy);
      const setOrDefault = wc.origin === "default" ? `worker_connections is not set, so nginx uses ${wc.value}` : `worker_connections ${wc.value}`;
      let capacity: string;
      if (wp.value === "auto") capacity = `${wc.value} / 2 = ${perWorker} clients per worker, one worker per CPU (worker_processes auto)`;
      else if (total !== undefined) capacity = `${wp.value} x ${wc.value} / 2 = ${total} clients at once`;
      else capacity = `${wc.value} / 2 = ${perWorker} clients per worker process`;
      const wpNote = wp.origin === "default" ? " (worker_processes is not set: 1 worker)" : "";
      const fronts = backendSummary(proxy);
      const related: RelatedInfo[] = [];
      if (wp.origin === "stated" && wp.at) related.push({ at: wp.at, message: `worker_processes ${wp.value}` });
      related.push(...backendRelated(proxy));
      const fixes: Fix[] = [];
      const source = text(wc.at.file);
      if (source !== undefined) {
        const rlimit = rlimitFor(proxy, PROPOSED_WORKER_CONNECTIONS, proxy.service?.nofileSoftLimit?.value ?? assumed, text);
        const withRlimit = rlimit ? ` and worker_rlimit_nofile to ${2 * PROPOSED_WORKER_CONNECTIONS}` : "";
        if (wc.origin === "stated" && source.slice(wc.at.start, wc.at.end) === String(wc.value)) {
          fixes.push({ title: `Raise worker_connections to ${PROPOSED_WORKER_CONNECTIONS}${withRlimit}`, safe: true, edits: [{ ...wc.at, newText: String(PROPOSED_WORKER_CONNECTIONS) }, ...(rlimit ?? [])] });
        } else if (wc.origin === "default" && proxy.events) {
          fixes.push({ title: `Set worker_connections ${PROPOSED_WORKER_CONNECTIONS}${withRlimit}`, safe: true, edits: [insertInBlock(source, proxy.events.block, [`worker_connections ${PROPOSED_WORKER_CONNECTIONS};`]), ...(rlimit ?? [])] });
        }
      }
      report({
        at: wc.at,
        message:
          `${setOrDefault}${wpNote}: each proxied request holds a client and an upstream connection, so nginx holds ${capacity}` +
          `${fronts ? ` in front of ${fronts}` : ""}; beyond that it logs "worker_connections are not enough" and drops connections.`,
        related,
        fixes,
      });
    }
  },
});
