import { threshold } from "../../config.ts";
import { SOURCES } from "../../knowledge/sources.ts";
import type { Fix, RelatedInfo } from "../../types.ts";
import { defineRule } from "../define.ts";
import { backendRelated, capacityShortfall, insertInBlock, proxyingMains, rlimitFor } from "./common.ts";

const COMPOSE = "services:\n  api:\n    image: example/api\n    command: gunicorn app:app -k gevent --workers 4 --bind 0.0.0.0:8000\n    deploy:\n      replicas: 2\n  nginx:\n    image: nginx:1.27\n";
const conf = (processes: string, connections: number) =>
  `${processes}worker_rlimit_nofile ${connections * 2};\n\nevents {\n    worker_connections ${connections};\n}\n\nhttp {\n    upstream api_backend {\n        server api:8000;\n    }\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://api_backend;\n        }\n    }\n}\n`;

/** worker_connections is raised in steps of 1024. */
const STEP = 1024;

export default defineRule({
  meta: {
    id: "nginx/capacity-below-clients",
    summary: "nginx can hold fewer proxied clients than the backends behind it serve at once",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.nginxWorkerConnections, SOURCES.nginxWorkerProcesses, SOURCES.gunicornWorkerConnections, SOURCES.gunicornThreads, SOURCES.pumaThreadsDefault, SOURCES.uvicornLimitConcurrency],
    docs: {
      why:
        "nginx holds at most worker_processes x worker_connections connections, and worker_connections counts \"connections with " +
        "proxied servers\" too: a proxied request holds a client connection and an upstream connection, so nginx serves at most " +
        "worker_processes x worker_connections / 2 clients at once. Headroom compares that with what the deployments behind it " +
        "can serve at once: for each backend deployment, instances x worker processes x what one process serves at a time " +
        "(1 for gunicorn's sync worker, its threads for gthread, worker_connections (1000 unless set) for gevent and eventlet, " +
        "puma's threads, uvicorn's --limit-concurrency). That is a floor, not an estimate of traffic: requests waiting in the " +
        "backends' listen queue hold nginx connections too. When nginx's figure is lower, nginx, not the app, caps concurrency: " +
        "it logs \"worker_connections are not enough\" and refuses clients while the backends have room. Backends without a " +
        "readable bound (uvicorn workers without --limit-concurrency) and `worker_processes auto` (one per CPU of a machine " +
        "Headroom does not see) are not compared. The stock worker_connections values with no such comparison possible are " +
        "nginx/worker-connections-low's; when this rule can compare, it owns the finding and worker-connections-low stays quiet. " +
        "When headroom.yml sets `concurrent_users` for a backend deployment (`facts.concurrent_users` or " +
        "`facts.deployments.<name>.concurrent_users`), that expected load replaces the backend's concurrency in the comparison " +
        "(so a backend without a readable bound is compared too), and the message says so and relates the headroom.yml line. " +
        "The global `facts.concurrent_users` is the users of the whole system: behind one nginx it counts once, however many " +
        "backends it reaches; per-deployment values add up. " +
        "The fix raises worker_connections to cover twice the backends' concurrency (rounded up to a multiple of 1024), and " +
        "worker_rlimit_nofile to twice that when the current limit (stated, or the one a worker inherits) covers today's " +
        "worker_connections but not the raised one: nginx/rlimit-nofile-low is silent before the fix and would fire after it.",
      bad: { "docker-compose.yml": COMPOSE, "nginx/nginx.conf": conf("worker_processes 2;\n", 2048) },
      good: { "docker-compose.yml": COMPOSE, "nginx/nginx.conf": conf("worker_processes 2;\n", 8192) },
    },
  },
  check({ model, config, report, text }) {
    for (const proxy of proxyingMains(model)) {
      const processes = proxy.workerProcesses;
      const connections = proxy.workerConnections;
      const shortfall = capacityShortfall(model, proxy);
      if (!shortfall || processes.value === "auto" || !connections.at) continue;
      const { capacity, demand } = shortfall;
      const needed = Math.ceil((2 * demand.clients) / processes.value / STEP) * STEP;
      const fixes: Fix[] = [];
      const source = text(connections.at.file);
      // What nginx/rlimit-nofile-low takes a worker to inherit without worker_rlimit_nofile.
      const inherited = proxy.service?.nofileSoftLimit?.value ?? threshold(config, "nginx/rlimit-nofile-low", "assumed_soft_limit").value;
      const rlimit = rlimitFor(proxy, needed, inherited, text) ?? [];
      const title = `Raise worker_connections to ${needed}${rlimit.length > 0 ? ` and worker_rlimit_nofile to ${2 * needed}` : ""}`;
      if (source !== undefined) {
        if (connections.origin === "stated" && source.slice(connections.at.start, connections.at.end) === String(connections.value)) {
          fixes.push({ title, safe: true, edits: [{ ...connections.at, newText: String(needed) }, ...rlimit] });
        } else if (connections.origin === "default" && proxy.events) {
          fixes.push({ title, safe: true, edits: [insertInBlock(source, proxy.events.block, [`worker_connections ${needed};`]), ...rlimit] });
        }
      }
      const related: RelatedInfo[] = [];
      if (processes.origin === "stated" && processes.at) related.push({ at: processes.at, message: `worker_processes ${processes.value}` });
      related.push(...backendRelated(proxy));
      for (const { service, users } of demand.configuredUsers) {
        if (users.at) related.push({ at: users.at, message: `${service}: ${users.value} concurrent users configured here` });
      }
      const setting =
        `${processes.value} worker process${processes.value === 1 ? "" : "es"}${processes.origin === "default" ? " (worker_processes is not set)" : ""} x ` +
        `worker_connections ${connections.value}${connections.origin === "default" ? " (not set: nginx's default)" : ""}`;
      report({
        at: connections.at,
        message:
          demand.configuredUsers.length > 0
            ? `${setting} / 2 connections per proxied request = ${capacity} clients at once, but ${demand.clients} clients are expected ` +
              `at once (${demand.terms.join(" + ")}): nginx caps concurrency below the expected load, ` +
              `logs "worker_connections are not enough" and refuses the clients beyond ${capacity}.`
            : `${setting} / 2 connections per proxied request = ${capacity} clients at once, but the backends behind this nginx serve ` +
              `${demand.clients} requests at once (${demand.terms.join(" + ")}): nginx caps concurrency below what the app can take, ` +
              `logs "worker_connections are not enough" and refuses clients while workers sit idle.`,
        related,
        fixes,
      });
    }
  },
});
