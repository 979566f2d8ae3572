import { SOURCES } from "../../knowledge/sources.ts";
import { poolShare, type PoolShare, poolSizeText, processesText, shareSum } from "../../model/budget.ts";
import { databaseAddress } from "../../model/databases.ts";
import type { PgBouncer } from "../../model/pgbouncer.ts";
import type { Deployment } from "../../model/types.ts";
import type { Fix, RelatedInfo, SourceRef } from "../../types.ts";
import { defineRule } from "../define.ts";
import { poolerName, relatedLines, setSetting, settingText, shortName } from "./common.ts";

export default defineRule({
  meta: {
    id: "pgbouncer/clients-exceed-max-client-conn",
    summary: "The app's pools can open more client connections than PgBouncer's max_client_conn accepts",
    severity: "error",
    fix: "unsafe",
    sources: [SOURCES.pgbouncerMaxClientConn, SOURCES.pgbouncerEdoburuImage, SOURCES.pgbouncerBitnamiImage],
    docs: {
      why:
        "Behind PgBouncer, every connection an app's pool opens is a client connection to PgBouncer, and PgBouncer accepts at " +
        "most max_client_conn of them (100 unless set): the next one is turned away with \"no more connections allowed (max_client_conn)\". " +
        "The app's side is counted as db/connections-exceed-max counts it for PostgreSQL: instances x processes x (pool size + overflow), " +
        "summed over the deployments whose database URL or host names the PgBouncer service, against max_client_conn times PgBouncer's replicas. " +
        "max_client_conn is read from a pgbouncer.ini the service mounts (or that sits beside the Dockerfile it builds, or one of its own), " +
        "else from the image's environment: MAX_CLIENT_CONN for edoburu/pgbouncer, PGBOUNCER_MAX_CLIENT_CONN for bitnami/pgbouncer " +
        "(both images write their variables only when no pgbouncer.ini is mounted). " +
        "Client connections are cheap for PgBouncer (they are not PostgreSQL backends), so the fix raises max_client_conn to the sum; it is " +
        "unsafe because each client also takes a file descriptor: PgBouncer's docs give max_client_conn + (max pool_size x databases x users) as the " +
        "most it may use, so check the container's open-file limit.",
      bad: {
        "docker-compose.yml":
          "services:\n  web:\n    image: shop:1.0\n    command: gunicorn shop.wsgi --workers 4 --bind 0.0.0.0:8000\n    environment:\n" +
          "      DATABASE_URL: postgres://shop:secret@pgbouncer:5432/shop\n      DB_POOL_SIZE: \"20\"\n      DB_MAX_OVERFLOW: \"10\"\n    deploy:\n      replicas: 2\n" +
          "  pgbouncer:\n    image: edoburu/pgbouncer:1.22.1\n    environment:\n      DB_HOST: db\n      POOL_MODE: transaction\n      MAX_CLIENT_CONN: \"200\"\n" +
          "  db:\n    image: postgres:16\n",
      },
      good: {
        "docker-compose.yml":
          "services:\n  web:\n    image: shop:1.0\n    command: gunicorn shop.wsgi --workers 4 --bind 0.0.0.0:8000\n    environment:\n" +
          "      DATABASE_URL: postgres://shop:secret@pgbouncer:5432/shop\n      DB_POOL_SIZE: \"20\"\n      DB_MAX_OVERFLOW: \"10\"\n    deploy:\n      replicas: 2\n" +
          "  pgbouncer:\n    image: edoburu/pgbouncer:1.22.1\n    environment:\n      DB_HOST: db\n      POOL_MODE: transaction\n      MAX_CLIENT_CONN: \"240\"\n" +
          "  db:\n    image: postgres:16\n",
      },
    },
  },
  check({ model, report, text }) {
    for (const pooler of model.poolers ?? []) {
      const max = pooler.maxClientConn;
      if (!max) continue;
      const shares = clientShares(pooler, model.deployments);
      const total = shares.reduce((sum, s) => sum + s.total, 0);
      const instances = pooler.instances.value;
      const capacity = instances * max.value;
      if (shares.length === 0 || total <= capacity) continue;
      const at = max.origin === "stated" && max.at ? max.at : pooler.anchor;
      if (!at) continue;
      const terms = shares.map((s) => `${shares.length > 1 ? `${shortName(s.deployment)}: ` : ""}${shareSum(s)}`);
      const sum = shares.length > 1 ? `${terms.join("; ")}: ${total}` : terms[0];
      const needed = Math.ceil(total / instances);
      report({
        at,
        deployment: shares[0].deployment,
        message:
          `${sum} possible client connections to ${poolerName(pooler)}; it accepts ${instances > 1 ? `${instances} instances x ` : ""}${settingText(max)}` +
          `${instances > 1 ? ` = ${capacity}` : ""} and turns the rest away ("no more connections allowed (max_client_conn)").`,
        related: related(pooler, shares, at),
        fixes: raiseFix(setSetting(model, pooler, max, "max_client_conn", needed, text), needed, instances, total),
      });
    }
  },
});

/** The pools of the deployments that connect through this PgBouncer, as db/connections-exceed-max counts them. */
function clientShares(pooler: PgBouncer, deployments: Deployment[]): PoolShare[] {
  const ids = new Set(pooler.clients);
  return deployments.filter((d) => ids.has(d.id) && d.pool).map((d) => poolShare(d, d.pool!));
}

function related(pooler: PgBouncer, shares: PoolShare[], primary: SourceRef): RelatedInfo[] {
  const { out, place } = relatedLines(primary);
  for (const s of shares) {
    const name = shares.length > 1 ? `${shortName(s.deployment)}: ` : "";
    const { pool, deployment } = s;
    if (pool.size.origin === "stated") place(pool.size.at, `${name}${poolSizeText(pool)}: connections per process`);
    if (pool.overflow?.origin === "stated") place(pool.overflow.at, `${name}${pool.overflowName ?? "max_overflow"} ${pool.overflow.value}: extra connections per process under load`);
    if (pool.processes.origin === "stated") place(pool.processes.at, `${name}${processesText(pool)} per instance, each opens its own pool`);
    const address = databaseAddress(deployment);
    if (address?.at) place(address.at, `${name}connects to ${address.host}${address.port ? `:${address.port}` : ""}: its connections end at PgBouncer`);
    if (deployment.instances.origin === "stated" || deployment.instances.origin === "configured") {
      place(deployment.instances.at, `${name}${deployment.instances.value} instance${deployment.instances.value === 1 ? "" : "s"}, each with its own processes and pools`);
    }
  }
  if (pooler.instances.origin === "stated") place(pooler.instances.at, `${poolerName(pooler)}: ${pooler.instances.value} instances, each with its own max_client_conn`);
  return out;
}

/** Raise max_client_conn to what the pools may open (per instance, when PgBouncer has several). */
function raiseFix(edit: ReturnType<typeof setSetting>, needed: number, instances: number, total: number): Fix[] {
  if (!edit) return [];
  const per = instances > 1 ? ` (${instances} instances x ${needed} for ${total} clients)` : ` (${total} clients)`;
  return [{ title: `${edit.edit.start === edit.edit.end ? "Set" : "Raise"} ${edit.name} to ${needed}${per}`, safe: false, edits: [edit.edit] }];
}
