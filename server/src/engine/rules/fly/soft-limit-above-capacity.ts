import { SOURCES } from "../../knowledge/sources.ts";
import type { Fact, Fix, RelatedInfo, SourceRef } from "../../types.ts";
import { defineRule } from "../define.ts";
import { processConcurrency } from "../nginx/common.ts";
import { replaceNumber } from "../proxy/chain.ts";

const FLY_TOML = (web: string, soft: number, hard: number) =>
  `app = "shop-api"\nprimary_region = "cdg"\n\n[processes]\n  web = "${web}"\n\n[http_service]\n  internal_port = 8000\n  processes = ["web"]\n\n` +
  `  [http_service.concurrency]\n    type = "requests"\n    soft_limit = ${soft}\n    hard_limit = ${hard}\n\n[[vm]]\n  size = "performance-2x"\n`;

export default defineRule({
  meta: {
    id: "fly/soft-limit-above-capacity",
    summary: "Fly Proxy sends a Machine more requests at once than its processes serve",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.flyConcurrency, SOURCES.gunicornWorkerConnections, SOURCES.gunicornThreads, SOURCES.pumaThreadsDefault, SOURCES.uvicornLimitConcurrency],
    docs: {
      why:
        "Fly Proxy balances requests between an app's Machines by the concurrency limits of fly.toml's `[http_service.concurrency]` " +
        "(or a `[[services]]` section's): below `soft_limit` a Machine gets traffic when it is the closest one, at or above it the " +
        "proxy prefers another Machine under its limit, and the same limits decide when stopped Machines are started. A soft_limit " +
        "above what one Machine's processes can serve at once (its worker processes x what one serves at a time: 1 for gunicorn's " +
        "sync worker, its threads for gthread, worker_connections for gevent, puma's threads, uvicorn's --limit-concurrency) means " +
        "the proxy keeps sending requests to a Machine whose workers are all busy: they wait in the server's listen queue, while " +
        "another Machine may be idle and no stopped Machine is started. Headroom compares the stated soft_limit of each service " +
        "that routes to a process group (`[http_service]` and every `[[services]]` section) with that group's capacity per Machine; servers without a bound it can read (uvicorn " +
        "workers without --limit-concurrency) are not checked. The fix lowers soft_limit to the capacity; hard_limit, when " +
        "stated, stays the point where the proxy stops sending new requests at all.",
      bad: { "fly.toml": FLY_TOML("gunicorn shop.wsgi --workers 5 --bind 0.0.0.0:8000", 200, 250) },
      good: { "fly.toml": FLY_TOML("gunicorn shop.wsgi --workers 5 --bind 0.0.0.0:8000", 5, 10) },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      const limited = (deployment.proxyConcurrency ?? []).filter((c) => c.softLimit?.at);
      if (limited.length === 0) continue;
      const web = deployment.processes.filter((p) => !["celery", "sidekiq", "solid_queue", "good_job"].includes(p.invocation.server));
      if (web.length === 0) continue;
      let capacity = 0;
      const terms: string[] = [];
      const workersRelated: RelatedInfo[] = [];
      for (const process of web) {
        const each = processConcurrency(deployment, process);
        if (!each || process.workersFromCpuCount || process.workersUnresolved) {
          capacity = Number.NaN;
          break;
        }
        const workers = Math.max(1, process.workers.value) * (process.copies?.value ?? 1);
        capacity += workers * each.value;
        terms.push(`${workers} ${each.what}`);
        if (process.workers.at && process.workers.origin !== "default") workersRelated.push({ at: process.workers.at, message: `${workers} worker process${workers === 1 ? "" : "es"} per Machine` });
        else workersRelated.push({ at: process.commandAt, message: `${process.invocation.server} starts here` });
      }
      if (!Number.isFinite(capacity)) continue;
      // Each service that routes to the group (`[http_service]`, every `[[services]]`) has its own limits.
      for (const concurrency of limited) {
        const soft = concurrency.softLimit as Fact<number>;
        if (soft.value <= capacity) continue;
        const related = [...workersRelated];
        const unit = concurrency.type.value === "connections" ? "connections" : "requests";
        const hard = concurrency.hardLimit;
        if (hard?.at) related.push({ at: hard.at, message: `hard_limit ${hard.value}: no new ${unit} at or above it` });
        if (concurrency.type.at) related.push({ at: concurrency.type.at, message: `type ${concurrency.type.value}` });
        const fix: Fix | undefined = replaceNumber(soft, capacity, `Lower soft_limit to ${capacity}`, text);
        const which = limited.length > 1 ? ` (${concurrency.section})` : "";
        report({
          at: soft.at as SourceRef,
          deployment,
          message:
            `soft_limit ${soft.value} ${unit}${which}: Fly Proxy keeps routing to a Machine of ${deployment.name} until it has ${soft.value} ${unit} at once, ` +
            `but one Machine serves ${capacity} at a time (${terms.join(" + ")}): the other ${soft.value - capacity} wait in the server's queue ` +
            `while another Machine may be idle, and no stopped Machine is started for them. Lower soft_limit to ${capacity}.`,
          related,
          ...(fix ? { fixes: [fix] } : {}),
        });
      }
    }
  },
});
