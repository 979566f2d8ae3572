import { SOURCES } from "../../knowledge/sources.ts";
import type { Fix } from "../../types.ts";
import { defineRule } from "../define.ts";
import { insertInMain, PROPOSED_WORKER_CONNECTIONS, proxyingMains } from "./common.ts";

/** The soft RLIMIT_NOFILE a process commonly inherits (systemd's default; a secondary source, so an assumption). */
const ASSUMED_SOFT_LIMIT = 1024;

/** Why 2 x worker_connections: the connections are counted once, the files they open need descriptors too. */
const FD_REASON =
  "worker_connections already counts client and upstream connections, each a file descriptor, and the log, temp and static files " +
  "requests open take more";

const HTTP = "http {\n    upstream api_backend {\n        server api:8000;\n    }\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://api_backend;\n        }\n    }\n}\n";

export default defineRule({
  meta: {
    id: "nginx/rlimit-nofile-low",
    summary: "nginx's open-file limit is below what worker_connections needs",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.nginxWorkerConnections, SOURCES.nginxWorkerRlimitNofile, SOURCES.linuxConnectionIsFd, SOURCES.linuxNofileDefault],
    docs: {
      why:
        "worker_connections already counts every connection of a worker, client and upstream alike, and each is a file descriptor; " +
        "a worker also holds its log files and listening sockets, and opens a file for each static file it serves and each response it " +
        "buffers to disk. So Headroom asks for 2 x worker_connections open files: one per connection and as many again for files. " +
        "nginx's docs say the connections \"cannot exceed the current limit on the maximum number " +
        "of open files, which can be changed by worker_rlimit_nofile\". Without it, workers keep the limit they inherit, commonly a soft " +
        "limit of 1024 (systemd's default; Headroom assumes it, container runtimes may differ), and fail with \"Too many open files\" " +
        "before worker_connections is reached. The fix sets worker_rlimit_nofile to 2 x worker_connections, at least 8192 (room for " +
        "worker_connections 4096).",
      bad: { "nginx/nginx.conf": `events {\n    worker_connections 4096;\n}\n\n${HTTP}` },
      good: { "nginx/nginx.conf": `worker_rlimit_nofile 8192;\n\nevents {\n    worker_connections 4096;\n}\n\n${HTTP}` },
    },
  },
  check({ model, report, text }) {
    for (const proxy of proxyingMains(model)) {
      const wc = proxy.workerConnections;
      if (!Number.isFinite(wc.value)) continue;
      const need = 2 * wc.value;
      const proposed = Math.max(need, 2 * PROPOSED_WORKER_CONNECTIONS);
      const rlimit = proxy.rlimitNofile;
      const wcText = `${wc.origin === "default" ? "the default " : ""}worker_connections ${wc.value}`;
      const related = wc.at && wc.origin === "stated" ? [{ at: wc.at, message: `worker_connections ${wc.value}` }] : [];
      if (rlimit) {
        if (!Number.isFinite(rlimit.value) || rlimit.value >= need || !rlimit.at) continue;
        const written = text(rlimit.at.file)?.slice(rlimit.at.start, rlimit.at.end) === String(rlimit.value);
        report({
          at: rlimit.at,
          message:
            `worker_rlimit_nofile ${rlimit.value} is below 2 x ${wcText} = ${need}: ${FD_REASON}, so workers fail with ` +
            `"Too many open files" before they reach ${wc.value} connections. Raise it to ${need} or more.`,
          related,
          fixes: written ? [{ title: `Raise worker_rlimit_nofile to ${proposed}`, safe: true, edits: [{ ...rlimit.at, newText: String(proposed) }] }] : [],
        });
        continue;
      }
      if (need <= ASSUMED_SOFT_LIMIT) continue;
      const source = text(proxy.mainAt.file);
      const fixes: Fix[] = source === undefined ? [] : [{ title: `Set worker_rlimit_nofile ${proposed}`, safe: true, edits: [insertInMain(source, proxy.mainAt, `worker_rlimit_nofile ${proposed};`)] }];
      report({
        at: wc.at ?? proxy.mainAt,
        message:
          `worker_rlimit_nofile is not set: workers keep the open-file limit they inherit, commonly ${ASSUMED_SOFT_LIMIT} (assumed), below ` +
          `2 x ${wcText} = ${need}: ${FD_REASON}, so workers fail with "Too many open files" before they reach ${wc.value} connections. ` +
          `Set worker_rlimit_nofile to ${need} or more.`,
        related: [],
        fixes,
      });
    }
  },
});
