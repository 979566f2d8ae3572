import { SOURCES } from "../../knowledge/sources.ts";
import { connectionBudgets, type PoolShare, shareSum } from "../../model/budget.ts";
import { databaseAddress } from "../../model/databases.ts";
import { type PgBouncer, type PgBouncerPoolShare, pgbouncerServerShares, pgbouncerServerTotal } from "../../model/pgbouncer.ts";
import type { Database, DeploymentModel } from "../../model/types.ts";
import type { Fix, RelatedInfo, SourceRef } from "../../types.ts";
import { defineRule } from "../define.ts";
import { poolerName, relatedLines, setSetting, settingText, shortName } from "./common.ts";

export default defineRule({
  meta: {
    id: "pgbouncer/server-connections-exceed-max",
    summary: "PgBouncer's pools can open more server connections than PostgreSQL accepts",
    severity: "error",
    fix: "unsafe",
    sources: [SOURCES.pgbouncerPoolSize, SOURCES.pgbouncerEdoburuImage, SOURCES.pgbouncerBitnamiImage, SOURCES.postgresMaxConnections, SOURCES.postgresSuperuserReserved],
    docs: {
      why:
        "PgBouncer keeps its own pools of server connections to PostgreSQL: up to default_pool_size (20 unless set) per database/user " +
        "pair, plus reserve_pool_size (0 unless set) under load, a [databases] entry's own pool_size and reserve_pool_size over those, " +
        "capped per database by max_db_connections (0: unlimited). A database entry without `user=` has one pool per user that logs in " +
        "through it; the `*` entry one per database name clients ask for; the users and names are read from the clients' database URLs. " +
        "When PgBouncer's pools, times its replicas, plus the pools of the apps that connect to PostgreSQL directly, add up to more than " +
        "PostgreSQL's max_connections minus the slots reserved for superusers, PgBouncer's connections past the limit fail with " +
        "\"too many clients already\" and its clients wait. The settings are read from the pgbouncer.ini the service mounts, else from " +
        "edoburu/pgbouncer's DEFAULT_POOL_SIZE, RESERVE_POOL_SIZE, MAX_DB_CONNECTIONS or bitnami/pgbouncer's PGBOUNCER_-prefixed names; " +
        "PostgreSQL's limit as db/connections-exceed-max reads it. It is checked only when the workspace says which PostgreSQL " +
        "PgBouncer's entries point at. An app that goes through PgBouncer is not counted against max_connections itself: its " +
        "connections end at PgBouncer (see pgbouncer/clients-exceed-max-client-conn); when the apps that connect directly are over the " +
        "limit on their own, db/connections-exceed-max reports them and this rule waits. The fix lowers default_pool_size when it alone " +
        "sizes the pools; it is unsafe, as clients then wait longer for a server connection under load.",
      bad: {
        "docker-compose.yml":
          "services:\n  web:\n    image: shop:1.0\n    command: gunicorn shop.wsgi --workers 4 --bind 0.0.0.0:8000\n    environment:\n" +
          "      DATABASE_URL: postgres://shop:secret@pgbouncer:5432/shop\n      DB_POOL_SIZE: \"5\"\n" +
          "  pgbouncer:\n    image: edoburu/pgbouncer:1.22.1\n    environment:\n      DB_HOST: db\n      POOL_MODE: transaction\n      DEFAULT_POOL_SIZE: \"50\"\n    deploy:\n      replicas: 2\n" +
          "  db:\n    image: postgres:16\n    command: postgres -c max_connections=80\n",
      },
      good: {
        "docker-compose.yml":
          "services:\n  web:\n    image: shop:1.0\n    command: gunicorn shop.wsgi --workers 4 --bind 0.0.0.0:8000\n    environment:\n" +
          "      DATABASE_URL: postgres://shop:secret@pgbouncer:5432/shop\n      DB_POOL_SIZE: \"5\"\n" +
          "  pgbouncer:\n    image: edoburu/pgbouncer:1.22.1\n    environment:\n      DB_HOST: db\n      POOL_MODE: transaction\n      DEFAULT_POOL_SIZE: \"35\"\n    deploy:\n      replicas: 2\n" +
          "  db:\n    image: postgres:16\n    command: postgres -c max_connections=80\n",
      },
    },
  },
  check({ model, report, text }) {
    const budgets = connectionBudgets(model);
    const poolers = model.poolers ?? [];
    for (const pooler of poolers) {
      const budget = budgets.find((b) => b.database.name === pooler.server);
      // Unknown limit; or the direct clients alone are over it, which db/connections-exceed-max reports.
      if (!budget || budget.database.maxConnections.origin === "assumed" || budget.total > budget.allowed) continue;
      const clients = model.deployments.filter((d) => pooler.clients.includes(d.id));
      const shares = pgbouncerServerShares(pooler, clients, pooler.server);
      if (!shares || shares.length === 0) continue;
      const instances = pooler.instances.value;
      const perInstance = shares.reduce((sum, s) => sum + s.total, 0);
      const own = instances * perInstance;
      // The other PgBouncers in front of the same database, and the apps that connect to it directly.
      const otherPoolers = poolers.filter((p) => p !== pooler && p.server === pooler.server).map((p) => ({ p, total: pgbouncerServerTotal(p, model.deployments) }));
      const others = budget.total + otherPoolers.reduce((sum, o) => sum + o.total, 0);
      const { allowed, database } = budget;
      if (own + others <= allowed) continue;
      const at = primaryAt(pooler, shares);
      if (!at) continue;
      const formula = `${instances > 1 ? `${instances} instances x ` : ""}${shares.length > 1 ? `(${shares.map((s) => `${shareText(s)} = ${s.total}`).join("; ")})` : shareText(shares[0])}`;
      const direct = budget.shares.map((s) => `${shortName(s.deployment)} directly: ${shareSum(s)}`);
      const viaOthers = otherPoolers.filter((o) => o.total > 0).map((o) => `${poolerName(o.p)}: ${o.total}`);
      const rest = [...direct, ...viaOthers];
      report({
        at,
        ...(clients[0] ? { deployment: clients[0] } : {}),
        message:
          `${poolerName(pooler)} may open ${own} server connections to ${shortName(database)}: ${formula}` +
          `${rest.length > 0 ? `; with ${rest.join("; ")}, ${own + others} in all` : ""}. PostgreSQL allows ${allowed}: ${limitText(database)}.`,
        related: related(pooler, shares, database, budget.shares, at),
        fixes: lowerFix(model, pooler, shares, instances, allowed, allowed - others, text),
      });
    }
  },
});

/**
 * "(default_pool_size 40 + reserve_pool_size 10) for database orders, user orders",
 * "default_pool_size 20 x 2 users for database shop (users shop, report)", "… capped at max_db_connections 30".
 */
function shareText(s: PgBouncerPoolShare): string {
  const size = s.reserve.value > 0 ? `(${settingText(s.poolSize)} + ${settingText(s.reserve)})` : settingText(s.poolSize);
  const times = [s.names > 1 ? `${s.names} databases` : "", s.users > 1 ? `${s.users} users` : ""].filter(Boolean).join(" x ");
  const names = s.nameList.length > 0 ? `database${s.nameList.length > 1 ? "s" : ""} ${s.nameList.join(", ")}` : "any database";
  const users = s.userList.length > 0 ? `user${s.userList.length > 1 ? "s" : ""} ${s.userList.join(", ")}` : "";
  const pool = `${size}${times ? ` x ${times}` : ""} for ${names}${users ? `, ${users}` : ""}`;
  return s.cap ? `${pool}, capped at ${settingText(s.cap)}${s.names > 1 ? " each" : ""}` : pool;
}

function limitText(database: Database): string {
  const max = database.maxConnections;
  const limit = max.origin === "configured" ? `max_connections ${max.value} (configured)` : max.origin === "default" ? `max_connections ${max.value} (PostgreSQL's default)` : `max_connections ${max.value}`;
  return `${limit} minus ${database.reserved.value} reserved for superusers`;
}

/** The setting that sizes the biggest pool, where it is written; else where it would be written. */
function primaryAt(pooler: PgBouncer, shares: PgBouncerPoolShare[]): SourceRef | undefined {
  const biggest = shares.reduce((a, b) => (b.total > a.total ? b : a));
  if (biggest.poolSize.origin === "stated" && biggest.poolSize.at) return biggest.poolSize.at;
  return pooler.anchor;
}

function related(pooler: PgBouncer, shares: PgBouncerPoolShare[], database: Database, direct: PoolShare[], primary: SourceRef): RelatedInfo[] {
  const { out, place } = relatedLines(primary);
  for (const s of shares) {
    const stated = (fact: { origin: string; at?: SourceRef }) => fact.origin === "stated";
    if (stated(s.poolSize)) place(s.poolSize.at, `${settingText(s.poolSize)}: server connections per database/user pair`);
    if (stated(s.reserve)) place(s.reserve.at, `${settingText(s.reserve)}: more per pool under load`);
    if (s.cap && stated(s.cap)) place(s.cap.at, `${settingText(s.cap)}: the most one database opens`);
    if (s.database.at) place(s.database.at, `[databases] ${s.database.name}${s.database.user ? ` (user=${s.database.user}: one pool)` : ""}`);
  }
  if (pooler.instances.origin === "stated") place(pooler.instances.at, `${pooler.instances.value} PgBouncer instances, each with its own pools`);
  for (const s of direct) {
    const at = s.pool.size.origin === "stated" ? s.pool.size.at : databaseAddress(s.deployment)?.at;
    place(at, `${shortName(s.deployment)} connects to PostgreSQL directly, not through PgBouncer: ${s.total} connections`);
  }
  if (database.maxConnections.origin !== "default") place(database.maxConnections.at, `max_connections ${database.maxConnections.value}`);
  if (database.reserved.origin === "stated") place(database.reserved.at, `${database.reserved.value} connections reserved for superusers`);
  return out;
}

/**
 * Lower default_pool_size so PgBouncer's pools fit what the direct clients leave, when it alone sizes every
 * pool (no entry's own pool_size, no cap) and is written as a plain number.
 */
function lowerFix(model: DeploymentModel, pooler: PgBouncer, shares: PgBouncerPoolShare[], instances: number, allowed: number, room: number, text: (file: string) => string | undefined): Fix[] {
  const size = pooler.defaultPoolSize;
  if (!size) return [];
  if (shares.some((s) => s.poolSize !== size || s.cap)) return [];
  const pools = instances * shares.reduce((sum, s) => sum + s.names * s.users, 0);
  const reserve = shares[0].reserve.value;
  const fitting = Math.floor(room / pools) - reserve;
  const edit = fitting >= 1 && fitting < size.value ? setSetting(model, pooler, size, "default_pool_size", fitting, text) : undefined;
  if (!edit) return [];
  const total = pools * (fitting + reserve);
  const others = allowed - room;
  return [
    {
      title:
        `${edit.edit.start === edit.edit.end ? "Set" : "Lower"} ${edit.name} to ${fitting} (${pools} pool${pools === 1 ? "" : "s"} x ${reserve > 0 ? `(${fitting} + ${reserve})` : fitting} = ${total}` +
        `${others > 0 ? `, ${total + others} in all` : ""}, within ${allowed})`,
      safe: false,
      edits: [edit.edit],
    },
  ];
}
