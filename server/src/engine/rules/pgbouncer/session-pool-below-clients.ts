import { SOURCES } from "../../knowledge/sources.ts";
import { poolShare, type PoolShare, poolSizeText, processesText, shareSum } from "../../model/budget.ts";
import { databaseAddress } from "../../model/databases.ts";
import { type PgBouncer, pgbouncerServerShares } from "../../model/pgbouncer.ts";
import type { RelatedInfo, SourceRef } from "../../types.ts";
import { defineRule } from "../define.ts";
import { poolerName, relatedLines, settingText, shortName } from "./common.ts";

const COMPOSE = (mode: string) =>
  "services:\n  web:\n    image: shop:1.0\n    command: gunicorn shop.wsgi --workers 4 --bind 0.0.0.0:8000\n    environment:\n" +
  "      DATABASE_URL: postgres://shop:secret@pgbouncer:5432/shop\n      DB_POOL_SIZE: \"5\"\n    deploy:\n      replicas: 3\n" +
  `  pgbouncer:\n    image: edoburu/pgbouncer:1.22.1\n    environment:\n      DB_HOST: db\n${mode}      DEFAULT_POOL_SIZE: "20"\n` +
  "  db:\n    image: postgres:16\n";

export default defineRule({
  meta: {
    id: "pgbouncer/session-pool-below-clients",
    summary: "PgBouncer in session mode has fewer server connections than the app's pools keep open",
    severity: "warning",
    fix: "none",
    sources: [SOURCES.pgbouncerPoolMode, SOURCES.pgbouncerPoolSize, SOURCES.pgbouncerEdoburuImage, SOURCES.pgbouncerBitnamiImage],
    docs: {
      why:
        "In session mode, PgBouncer's default (`pool_mode` unset, or the images' POOL_MODE / PGBOUNCER_POOL_MODE unset), a server " +
        "connection is given to a client when it connects and returned only when it disconnects. App pools (SQLAlchemy, Active Record, " +
        "Django with CONN_MAX_AGE) keep their connections open, so each one holds a server connection for as long as the app runs. " +
        "PgBouncer opens at most default_pool_size (plus reserve_pool_size) server connections per database and user: the clients " +
        "beyond that wait in its queue until a connection is released, which in session mode means until another client disconnects, " +
        "and are dropped when query_wait_timeout runs out. The app's side is counted as pgbouncer/clients-exceed-max-client-conn counts " +
        "it: instances x processes x (pool size + overflow), over the deployments whose database URL or host names the PgBouncer. It is " +
        "checked when the PgBouncer serves one database and one user (the common case: one app, one DATABASE_URL). Transaction mode " +
        "(`pool_mode = transaction`) returns the server connection after each transaction, which is what puts many clients on few " +
        "connections, if the app keeps no session state (SET, advisory locks, LISTEN, and prepared statements unless PgBouncer's " +
        "max_prepared_statements is set); or give the pool a server connection for every client. Which of the two fits is the app's " +
        "decision, so no fix is offered.",
      bad: { "docker-compose.yml": COMPOSE("") },
      good: { "docker-compose.yml": COMPOSE("      POOL_MODE: transaction\n") },
    },
  },
  check({ model, report }) {
    for (const pooler of model.poolers ?? []) {
      if (pooler.poolMode.value.trim().toLowerCase() !== "session") continue;
      const clients = model.deployments.filter((d) => pooler.clients.includes(d.id));
      const shares = clients.filter((d) => d.pool).map((d) => poolShare(d, d.pool!));
      if (shares.length === 0) continue;
      const servers = pgbouncerServerShares(pooler, clients, pooler.server);
      // One database and one user: one pool, whose size every client connection competes for.
      if (!servers || servers.length !== 1 || servers[0].names !== 1 || servers[0].users !== 1) continue;
      const server = servers[0];
      const instances = pooler.instances.value;
      const capacity = instances * server.total;
      const total = shares.reduce((sum, s) => sum + s.total, 0);
      if (total <= capacity) continue;
      const at = pooler.poolMode.origin === "stated" && pooler.poolMode.at ? pooler.poolMode.at : pooler.anchor;
      if (!at) continue;
      const terms = shares.map((s) => `${shares.length > 1 ? `${shortName(s.deployment)}: ` : ""}${shareSum(s)}`);
      const sum = shares.length > 1 ? `${terms.join("; ")}: ${total}` : terms[0];
      const size = server.cap ? `${settingText(server.cap)} (its cap)` : `${settingText(server.poolSize)}${server.reserve.value > 0 ? ` + ${settingText(server.reserve)}` : ""}`;
      const pool = `${instances > 1 ? `${instances} instances x ` : ""}${size}${instances > 1 || server.reserve.value > 0 ? ` = ${capacity}` : ""}`;
      const mode = pooler.poolMode.origin === "stated" ? "runs pool_mode session" : "runs in session mode, PgBouncer's default (nothing sets pool_mode)";
      report({
        at,
        deployment: shares[0].deployment,
        message:
          `${poolerName(pooler)} ${mode}: a server connection stays with its client until the client disconnects, and the app's ` +
          `pools keep theirs open. ${sum} client connections share ${pool} server connections to database ${server.nameList[0] ?? server.database.name}: ` +
          `the other ${total - capacity} wait for one to be released and are dropped after query_wait_timeout. Use pool_mode transaction if the ` +
          `app keeps no session state, or size the pool for every client (${total}).`,
        related: related(pooler, shares, server.poolSize.at, at),
      });
    }
  },
});

function related(pooler: PgBouncer, shares: PoolShare[], poolSizeAt: SourceRef | undefined, primary: SourceRef): RelatedInfo[] {
  const { out, place } = relatedLines(primary);
  place(poolSizeAt, "server connections per database and user");
  for (const { pool, deployment } of shares) {
    const name = shares.length > 1 ? `${shortName(deployment)}: ` : "";
    if (pool.size.origin === "stated") place(pool.size.at, `${name}${poolSizeText(pool)}: connections each process keeps open`);
    if (pool.processes.origin === "stated") place(pool.processes.at, `${name}${processesText(pool)} per instance, each with its own pool`);
    if (deployment.instances.origin === "stated" || deployment.instances.origin === "configured") {
      place(deployment.instances.at, `${name}${deployment.instances.value} instance${deployment.instances.value === 1 ? "" : "s"}, each with its own processes and pools`);
    }
    const address = databaseAddress(deployment);
    if (address?.at) place(address.at, `${name}connects to ${address.host}${address.port ? `:${address.port}` : ""}: its connections go through PgBouncer`);
  }
  if (pooler.instances.origin === "stated") place(pooler.instances.at, `${poolerName(pooler)}: ${pooler.instances.value} instances, each with its own pools`);
  return out;
}
