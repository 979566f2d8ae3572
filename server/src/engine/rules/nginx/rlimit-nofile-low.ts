import { threshold, thresholdDefault } from "../../config.ts";
import { SOURCES } from "../../knowledge/sources.ts";
import type { Fix } from "../../types.ts";
import { defineRule } from "../define.ts";
import { insertInMain, PROPOSED_WORKER_CONNECTIONS, proxyingMains, STOCK_WORKER_CONNECTIONS } from "./common.ts";

const RULE_ID = "nginx/rlimit-nofile-low";
/**
 * The soft RLIMIT_NOFILE nginx is assumed to inherit when nothing states it (engine/config.ts THRESHOLDS,
 * tunable): 1024 in containers of Docker Engine 29+ with containerd 2.1.5+ and under systemd, 1048576 in
 * containers of older Docker Engines.
 */
const ASSUMED_SOFT_LIMIT = "assumed_soft_limit";

/** Why 2 x worker_connections: the connections are counted once, the files they open need descriptors too. */
const FD_REASON =
  "worker_connections already counts client and upstream connections, each a file descriptor, and the log, temp and static files " +
  "requests open take more";

const HTTP = "http {\n    upstream api_backend {\n        server api:8000;\n    }\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://api_backend;\n        }\n    }\n}\n";

export default defineRule({
  meta: {
    id: RULE_ID,
    summary: "nginx's open-file limit is below what worker_connections needs",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.nginxWorkerConnections, SOURCES.nginxWorkerRlimitNofile, SOURCES.linuxConnectionIsFd, SOURCES.linuxNofileDefault, SOURCES.dockerContainerNofileDefault, SOURCES.composeUlimits, SOURCES.nginxPackagedConfNginxOrg, SOURCES.nginxPackagedConfDebian],
    docs: {
      why:
        "worker_connections already counts every connection of a worker, client and upstream alike, and each is a file descriptor; " +
        "a worker also holds its log files and listening sockets, and opens a file for each static file it serves and each response it " +
        "buffers to disk. So Headroom asks for 2 x worker_connections open files: one per connection and as many again for files. " +
        "nginx's docs say the connections \"cannot exceed the current limit on the maximum number " +
        "of open files, which can be changed by worker_rlimit_nofile\". Without it, workers keep the soft limit they inherit. In a " +
        "container that is the compose service's `ulimits: nofile` when it sets one (Headroom reads it from the service that mounts the " +
        "nginx.conf), else the runtime's default, which changed: Docker Engine 29 with containerd 2.1.5 (late 2025) starts containers " +
        "with a soft limit of 1024, as systemd gives services, while older Docker Engines gave them 1048576 (containerd ran with " +
        `LimitNOFILE=infinity). Headroom assumes ${thresholdDefault(RULE_ID, ASSUMED_SOFT_LIMIT)} and says so; on an older engine set ` +
        "`thresholds.nginx/rlimit-nofile-low.assumed_soft_limit` in headroom.yml, or better, state the limit (`ulimits:` or " +
        "worker_rlimit_nofile) so it no longer depends on the host. Below the limit workers fail with \"Too many open files\" before " +
        "worker_connections is reached. nginx's worker_rlimit_nofile \"Changes the limit on the maximum number of open files (RLIMIT_NOFILE) for " +
        "worker processes\", and the message and the fix give it one figure: 2 x worker_connections, or, where worker_connections is a stock " +
        "512, 768 or 1024, 8192 = 2 x 4096: nginx/worker-connections-low raises such a value to 4096 (nginx/capacity-below-clients to what " +
        "the backends need) and leaves the open-file limit to this rule's fix, so applied together the fixes hold.",
      bad: { "nginx/nginx.conf": `events {\n    worker_connections 4096;\n}\n\n${HTTP}` },
      good: { "nginx/nginx.conf": `worker_rlimit_nofile 8192;\n\nevents {\n    worker_connections 4096;\n}\n\n${HTTP}` },
    },
  },
  check({ model, config, report, text }) {
    const assumed = threshold(config, RULE_ID, ASSUMED_SOFT_LIMIT);
    for (const proxy of proxyingMains(model)) {
      const wc = proxy.workerConnections;
      if (!Number.isFinite(wc.value)) continue;
      const need = 2 * wc.value;
      const wcText = `${wc.origin === "default" ? "the default " : ""}worker_connections ${wc.value}`;
      // A stock worker_connections is what nginx/worker-connections-low raises to 4096 (nginx/capacity-below-clients to
      // what the backends need), leaving the open-file limit to this fix: the figure covers 4096, so the fixes applied together hold.
      const raised = STOCK_WORKER_CONNECTIONS.has(wc.value) && need < 2 * PROPOSED_WORKER_CONNECTIONS;
      const proposed = raised ? 2 * PROPOSED_WORKER_CONNECTIONS : need;
      const figure = raised
        ? `${proposed} (2 x ${wcText} = ${need} is the least; ${proposed} = 2 x ${PROPOSED_WORKER_CONNECTIONS} leaves room for worker_connections up to ${PROPOSED_WORKER_CONNECTIONS}, what Headroom proposes in place of a stock value)`
        : String(proposed);
      const rlimit = proxy.rlimitNofile;
      const related = wc.at && wc.origin === "stated" ? [{ at: wc.at, message: `worker_connections ${wc.value}` }] : [];
      if (rlimit) {
        if (!Number.isFinite(rlimit.value) || rlimit.value >= need || !rlimit.at) continue;
        const written = text(rlimit.at.file)?.slice(rlimit.at.start, rlimit.at.end) === String(rlimit.value);
        report({
          at: rlimit.at,
          message:
            `worker_rlimit_nofile ${rlimit.value} is below 2 x ${wcText} = ${need}: ${FD_REASON}, so workers fail with ` +
            `"Too many open files" before they reach ${wc.value} connections. Raise it to ${figure}.`,
          related,
          fixes: written ? [{ title: `Raise worker_rlimit_nofile to ${proposed}`, safe: true, edits: [{ ...rlimit.at, newText: String(proposed) }] }] : [],
        });
        continue;
      }
      // The container's own limit when its compose service states one; else the runtime's default, assumed.
      const ulimit = proxy.service?.nofileSoftLimit;
      const inherited = ulimit ?? assumed;
      if (need <= inherited.value) continue;
      const source = text(proxy.mainAt.file);
      const fixes: Fix[] = source === undefined ? [] : [{ title: `Set worker_rlimit_nofile ${proposed}`, safe: true, edits: [insertInMain(source, proxy.mainAt, `worker_rlimit_nofile ${proposed};`)] }];
      const limitText = ulimit
        ? `the container's \`ulimits: nofile\` soft limit, ${ulimit.value}`
        : assumed.origin === "configured"
          ? `${assumed.value} (the inherited limit headroom.yml sets)`
          : `assumed ${assumed.value} (the soft limit of containers on Docker Engine 29+ with containerd 2.1.5+, and of systemd services; older Docker Engines gave containers 1048576)`;
      report({
        at: wc.at ?? proxy.mainAt,
        message:
          `worker_rlimit_nofile is not set: workers keep the open-file limit they inherit, ${limitText}, below ` +
          `2 x ${wcText} = ${need}: ${FD_REASON}, so workers fail with "Too many open files" before they reach ${wc.value} connections. ` +
          `Set worker_rlimit_nofile to ${figure}${ulimit ? "" : ", or state the container's limit with compose `ulimits: nofile`"}.`,
        related: [
          ...(ulimit?.at ? [{ at: ulimit.at, message: `ulimits: nofile soft limit ${ulimit.value}` }] : []),
          ...(!ulimit && assumed.at ? [{ at: assumed.at, message: `inherited soft limit configured here: ${assumed.value}` }] : []),
        ],
        fixes,
      });
    }
  },
});
