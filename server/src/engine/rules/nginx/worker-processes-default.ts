import { SOURCES } from "../../knowledge/sources.ts";
import type { Fix } from "../../types.ts";
import { defineRule } from "../define.ts";
import { cpuLimitRelated } from "../workers/recommended.ts";
import { backendSummary, insertInMain, proxyingMains } from "./common.ts";

const COMPOSE = "services:\n  api:\n    image: example/api\n    deploy:\n      replicas: 3\n  nginx:\n    image: nginx:1.27\n";
const HTTP = "http {\n    upstream api_backend {\n        server api:8000;\n    }\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://api_backend;\n        }\n    }\n}\n";

export default defineRule({
  meta: {
    id: "nginx/worker-processes-default",
    summary: "nginx runs a single worker process (worker_processes unset or 1)",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.nginxWorkerProcesses, SOURCES.nginxWorkerConnections, SOURCES.nginxAutoCountsOnlineCpus, SOURCES.nginxImageAutotuneWorkers],
    docs: {
      why:
        "worker_processes defaults to 1: one process, on one CPU, handles every connection, and worker_connections is a per-worker " +
        "limit, so one worker also caps how many clients nginx can hold. nginx's docs advise the number of CPU cores as \"a good start\", " +
        "and `auto` detects it, from the CPUs the host has online (`sysconf(_SC_NPROCESSORS_ONLN)` in nginx's source): a CPU quota " +
        "(compose `cpus:`, a Kubernetes limit) is not counted, so in a capped container `auto` starts one worker per host CPU. When the " +
        "compose service that mounts the nginx.conf (or builds the image whose Dockerfile copies it there) has a CPU limit, the quick-fix sets that number (rounded up, as the official image's " +
        "`NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE` does); without a known limit it sets `auto`. " +
        "Headroom stays quiet when the compose service that mounts the nginx.conf (`volumes: - ./nginx.conf:/etc/nginx/nginx.conf`, " +
        "or its folder; or that builds the image whose Dockerfile copies it to /etc/nginx/nginx.conf) is limited to 1 CPU or less (`cpus: \"0.5\"`): there one worker is the right number. `auto` under such a " +
        "limit is nginx/worker-processes-auto-cpu-limit.",
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
      // `auto` counts the host's online CPUs, not a CPU quota: under a known limit, one worker per CPU of the limit (rounded up, as the official image's autotune does).
      const workers = cpus ? String(Math.ceil(cpus.value)) : "auto";
      const why = cpus ? ` (the ${cpus.value}-CPU limit of the service that ${proxy.service?.placedBy === "copy" ? "builds it into its image" : "mounts it"})` : "";
      const source = text(wp.at.file);
      const fixes: Fix[] = [];
      if (source !== undefined) {
        if (wp.origin === "stated" && source.slice(wp.at.start, wp.at.end) === "1") fixes.push({ title: `Use worker_processes ${workers}${why}`, safe: true, edits: [{ ...wp.at, newText: workers }] });
        else if (wp.origin === "default") fixes.push({ title: `Set worker_processes ${workers}${why}`, safe: true, edits: [insertInMain(source, wp.at, `worker_processes ${workers};`)] });
      }
      const fronts = backendSummary(proxy);
      report({
        at: wp.at,
        message:
          `${wp.origin === "default" ? "worker_processes is not set, so nginx runs 1 worker process" : "worker_processes 1"}: one CPU handles every connection` +
          `${fronts ? ` to ${fronts}` : ""}, and worker_connections (${proxy.workerConnections.value}) is per worker. ` +
          (cpus
            ? `The container is limited to ${cpus.value} CPUs: \`worker_processes ${workers}\` uses them (\`auto\` would count the host's CPUs, not the limit).`
            : "`worker_processes auto` starts one per CPU."),
        ...(cpus?.at ? { related: cpuLimitRelated(cpus, (value) => `CPU limit of the nginx container: ${value}`) } : {}),
        fixes,
      });
    }
  },
});
