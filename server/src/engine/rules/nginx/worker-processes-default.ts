import { SOURCES } from "../../knowledge/sources.ts";
import type { Fix } from "../../types.ts";
import { defineRule } from "../define.ts";
import { backendSummary, insertInMain, proxyingMains } from "./common.ts";

const COMPOSE = "services:\n  api:\n    image: example/api\n    deploy:\n      replicas: 3\n  nginx:\n    image: nginx:1.27\n";
const HTTP = "http {\n    upstream api_backend {\n        server api:8000;\n    }\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://api_backend;\n        }\n    }\n}\n";

export default defineRule({
  meta: {
    id: "nginx/worker-processes-default",
    summary: "nginx runs a single worker process (worker_processes unset or 1)",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.nginxWorkerProcesses, SOURCES.nginxWorkerConnections],
    docs: {
      why:
        "worker_processes defaults to 1: one process, on one CPU, handles every connection, and worker_connections is a per-worker " +
        "limit, so one worker also caps how many clients nginx can hold. nginx's docs advise the number of CPU cores as \"a good start\", " +
        "and `auto` detects it. In a container `auto` counts the CPUs nginx can see (its affinity), not a CPU quota: set a number when " +
        "the container is limited to fewer CPUs than the host has. " +
        "Headroom stays quiet when the compose service that mounts the nginx.conf (`volumes: - ./nginx.conf:/etc/nginx/nginx.conf`, " +
        "or its folder) is limited to 1 CPU or less (`cpus: \"0.5\"`): there one worker is the right number.",
      bad: { "docker-compose.yml": COMPOSE, "nginx/nginx.conf": `events {\n    worker_connections 4096;\n}\n\n${HTTP}` },
      good: { "docker-compose.yml": COMPOSE, "nginx/nginx.conf": `worker_processes auto;\n\nevents {\n    worker_connections 4096;\n}\n\n${HTTP}` },
    },
  },
  check({ model, report, text }) {
    for (const proxy of proxyingMains(model)) {
      const wp = proxy.workerProcesses;
      if (wp.value !== 1 || !wp.at) continue;
      // One worker is right on one CPU or less, and `auto` would count the host's CPUs instead of the quota.
      const cpus = proxy.service?.cpus;
      if (cpus && cpus.value <= 1) continue;
      const source = text(wp.at.file);
      const fixes: Fix[] = [];
      if (source !== undefined) {
        if (wp.origin === "stated" && source.slice(wp.at.start, wp.at.end) === "1") fixes.push({ title: "Use worker_processes auto", safe: true, edits: [{ ...wp.at, newText: "auto" }] });
        else if (wp.origin === "default") fixes.push({ title: "Set worker_processes auto", safe: true, edits: [insertInMain(source, wp.at, "worker_processes auto;")] });
      }
      const fronts = backendSummary(proxy);
      report({
        at: wp.at,
        message:
          `${wp.origin === "default" ? "worker_processes is not set, so nginx runs 1 worker process" : "worker_processes 1"}: one CPU handles every connection` +
          `${fronts ? ` to ${fronts}` : ""}, and worker_connections (${proxy.workerConnections.value}) is per worker. ` +
          "`worker_processes auto` starts one per CPU.",
        fixes,
      });
    }
  },
});
