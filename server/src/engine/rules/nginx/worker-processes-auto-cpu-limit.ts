import { SOURCES } from "../../knowledge/sources.ts";
import type { SourceRef } from "../../types.ts";
import { defineRule } from "../define.ts";
import { cpuLimitRelated } from "../workers/recommended.ts";

const AUTOTUNE = "NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE";
const compose = (cpus: string) =>
  `services:\n  api:\n    image: example/api\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n    deploy:\n      resources:\n        limits:\n          cpus: "${cpus}"\n`;
const conf = (processes: string) =>
  `worker_processes ${processes};\n\nevents {\n    worker_connections 4096;\n}\n\nhttp {\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://api:8000;\n        }\n    }\n}\n`;

export default defineRule({
  meta: {
    id: "nginx/worker-processes-auto-cpu-limit",
    summary: "worker_processes auto in a container with a CPU limit: nginx counts the host's CPUs, not the limit",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.nginxWorkerProcesses, SOURCES.nginxAutoCountsOnlineCpus, SOURCES.nginxCgroupAwareAutoPending, SOURCES.nginxWorkerPreallocatesConnections, SOURCES.nginxAutoOomOnLargeNode, SOURCES.dockerCpusQuota, SOURCES.nginxImageAutotuneWorkers, SOURCES.dockerCpusetCpus],
    docs: {
      why:
        "`worker_processes auto` starts one worker per CPU the machine has online: nginx sets it from " +
        "`sysconf(_SC_NPROCESSORS_ONLN)`, which a container's CPU limit (compose `cpus:` or `deploy.resources.limits.cpus`, " +
        "a CFS quota: so much CPU time per 100 ms) does not change, and nor does a `cpuset:` (the CPUs it may run on; `sysconf` counts the online ones). An nginx limited to 1 CPU on a 64-CPU host starts 64 workers " +
        "that share one CPU's worth of time; each allocates its own worker_connections table at start and holds its own memory, " +
        "so a large worker_connections times the host's CPU count can exhaust a memory limit before any traffic (nginx-gateway-fabric#5374: " +
        "OOM-killed at start on a 128-CPU node). Set worker_processes to the limit, rounded up (what the official image's " +
        "entrypoint does when `" + AUTOTUNE + "` is set).\n\n" +
        "Newer nginx versions do not change this: as of December 2026 nginx/nginx#855 (make `auto` cgroup-aware) is open, and the " +
        "open pull request #910 would count the CPUs the process may run on (`sched_getaffinity`), which follows a cpuset " +
        "(`cpuset:`) but still not a CPU quota. Headroom reads the limit of the compose service that bind-mounts the nginx.conf " +
        "(or its folder), or that builds the image whose Dockerfile copies it there (`COPY nginx.conf /etc/nginx/nginx.conf`, in " +
        "the stage the service builds, with no volume over that path); the host's CPU count is not known, so the message gives an example. It stays quiet when that " +
        "service sets `" + AUTOTUNE + "` and the file is not mounted read-only (with `:ro` the entrypoint cannot rewrite it and " +
        "only logs an error; a file the Dockerfile copies is not a mount, so it is taken as writable). nginx/worker-processes-default covers the opposite case, one worker where the limit allows more.",
      bad: { "docker-compose.yml": compose("1"), "nginx/nginx.conf": conf("auto") },
      good: { "docker-compose.yml": compose("1"), "nginx/nginx.conf": conf("1") },
    },
  },
  check({ model, report, text }) {
    for (const proxy of model.proxies ?? []) {
      const wp = proxy.workerProcesses;
      const cpus = proxy.service?.cpus;
      if (!proxy.main || wp.value !== "auto" || !wp.at || !cpus || !(cpus.value > 0)) continue;
      const service = model.deployments.find((d) => d.id === proxy.service?.deployment);
      const autotune = service?.env.get(AUTOTUNE);
      // A file the Dockerfile copies into the image is the entrypoint's to rewrite; only a mount can be read-only.
      const readOnly = proxy.service?.placedBy === "mount" ? mountedReadOnly(proxy.service.placedAt, text) : false;
      if (autotune && autotune.value !== "" && !readOnly) continue;
      const workers = Math.max(1, Math.ceil(cpus.value));
      const memory = service?.memoryMiB?.origin === "stated" ? service.memoryMiB : undefined;
      const written = text(wp.at.file)?.slice(wp.at.start, wp.at.end);
      const limit = `${Number(cpus.value.toFixed(2))} CPU${cpus.value === 1 ? "" : "s"}`;
      report({
        at: wp.at,
        message:
          `worker_processes auto starts one worker per CPU the host has online, not per CPU of the container's limit of ${limit}: ` +
          `on a 64-CPU host that is 64 workers sharing the time of ${limit}, each allocating its own table of ${proxy.workerConnections.value} connections (worker_connections) and holding its own memory` +
          `${memory ? `, within the container's ${memory.value} MiB` : ""}. ` +
          (autotune ? `${AUTOTUNE} is set, but the file is mounted read-only, so the image's entrypoint cannot rewrite it. ` : "") +
          `Set worker_processes ${workers} (the limit, rounded up).`,
        related: [
          ...cpuLimitRelated(cpus, (value) => `CPU limit of the nginx container: ${Number(value.toFixed(2))}`),
          ...(memory?.at ? [{ at: memory.at, message: `memory limit of the nginx container: ${memory.value} MiB` }] : []),
          ...(autotune?.at ? [{ at: autotune.at, message: `${AUTOTUNE} set here` }] : []),
        ],
        fixes: written === "auto" ? [{ title: `Use worker_processes ${workers}`, safe: true, edits: [{ ...wp.at, newText: String(workers) }] }] : [],
      });
    }
  },
});

/** A short-syntax compose volume `./nginx.conf:/etc/nginx/nginx.conf:ro`: the mode follows the source on its line. */
function mountedReadOnly(mountAt: SourceRef, text: (file: string) => string | undefined): boolean {
  const source = text(mountAt.file);
  if (source === undefined) return false;
  const lineEnd = source.indexOf("\n", mountAt.end);
  const rest = source.slice(mountAt.end, lineEnd < 0 ? undefined : lineEnd);
  return /^:[^:\s"']+:(?:[\w,]*,)?ro\b/.test(rest);
}
