// The databases a workspace's deployments connect to, with their connection limit:
//   a compose service whose image runs PostgreSQL, or is built FROM one (its `command:` options, a
//   postgresql.conf next to the compose file, or for Bitnami's, sclorg's and Timescale's images the
//   environment variable they write into postgresql.conf), a postgresql.conf on its own, or, when some deployment has a pool
//   or a database URL but nothing states a server, one assumed PostgreSQL with its defaults
//   (max_connections 100, superuser_reserved_connections 3).
import type { WorkspaceHost } from "../api.ts";
import { parsePostgresArgs, parsePostgresConf } from "../parse/postgres-conf.ts";
import type { CommandWord } from "../parse/servers.ts";
import type { SettingExpr } from "../parse/setting-expr.ts";
import type { Fact, SourceRef } from "../types.ts";
import { DATABASE_ENV } from "./pools.ts";
import type { Database, Deployment } from "./types.ts";

/** A compose service that runs PostgreSQL, as build.ts found it. */
export interface PostgresService {
  /** Compose service name. */
  name: string;
  /** The base compose file (deployments of the same project have ids `compose:<base>#…`). */
  base: string;
  files: string[];
  /** The command's words (entrypoint then command), already split. */
  words: CommandWord[];
  image: PostgresImage;
  /** The service's environment (Bitnami's and sclorg's images read their settings from it). */
  env: Map<string, Fact<string>>;
  /** The deployments that may connect to it, when they are not a compose project's: a Kamal accessory's roles. */
  clients?: string[];
}

/** Whose PostgreSQL image a compose service runs: whose start scripts read its settings. */
export type PostgresImage = "official" | "bitnami" | "sclorg" | "timescaledb";

/**
 * Images built on the official one, or that start PostgreSQL the same way (`postgres -c name=value`
 * on the command line, no variable for max_connections, PostgreSQL's defaults otherwise):
 * PostGIS's, pgvector's (and its former name ankane/pgvector), Citus's, Supabase's, Timescale's HA image.
 */
const OFFICIAL_LIKE = /^(postgis\/postgis|mdillon\/postgis|pgvector\/pgvector|ankane\/pgvector|citusdata\/citus|supabase\/postgres|timescale\/timescaledb-ha)$/;

/**
 * The official image (`postgres`, `docker.io/library/postgres`) and those in OFFICIAL_LIKE,
 * Bitnami's (`bitnami/postgresql`, `bitnami/postgresql-repmgr`, and Timescale's `-bitnami` tags), Timescale's
 * (`timescale/timescaledb`, whose first start runs timescaledb-tune), and the Software Collections images of
 * sclorg, CentOS and Red Hat (`quay.io/sclorg/postgresql-15-c9s`, `centos/postgresql-96-centos7`,
 * `registry.redhat.io/rhel9/postgresql-16`); undefined for any other. A registry in front is ignored.
 */
export function postgresImage(image: string): PostgresImage | undefined {
  const withTag = image.replace(/@.*$/, "");
  const tag = /:([^/:]*)$/.exec(withTag)?.[1] ?? "";
  // Drop a registry host (it has a dot, a port or is localhost) before matching owner/name.
  const path = withTag.replace(/:[^/]*$/, "").replace(/^[^/]*[.:][^/]*\/|^localhost\//, "");
  if (/^((docker\/)?library\/)?postgres$/.test(path) || OFFICIAL_LIKE.test(path)) return "official";
  if (/(^|\/)bitnami\/postgresql(-repmgr)?$/.test(path)) return "bitnami";
  if (/^timescale\/timescaledb$/.test(path)) return /bitnami/.test(tag) ? "bitnami" : "timescaledb";
  if (/(^|\/)(sclorg|centos|rhscl|rhel\d+|fedora)\/postgresql-\d+(-[\w]+)?$/.test(path)) return "sclorg";
  return undefined;
}

/**
 * The environment variables an image writes into postgresql.conf as max_connections, first set wins:
 * Bitnami's postgresql-env.sh reads POSTGRESQL_MAX_CONNECTIONS, else POSTGRES_MAX_CONNECTIONS; sclorg's
 * run scripts read POSTGRESQL_MAX_CONNECTIONS; Timescale's image passes TS_TUNE_MAX_CONNS to
 * timescaledb-tune, which writes the larger of it and 100. The official image reads none (only `-c max_connections=`).
 */
const MAX_CONNECTIONS_ENV: Record<PostgresImage, readonly string[]> = {
  official: [],
  bitnami: ["POSTGRESQL_MAX_CONNECTIONS", "POSTGRES_MAX_CONNECTIONS"],
  sclorg: ["POSTGRESQL_MAX_CONNECTIONS"],
  timescaledb: ["TS_TUNE_MAX_CONNS"],
};

/**
 * Images of services that open no connection to the application's database: reverse proxies, caches,
 * brokers, other database servers, object stores, mail catchers, monitoring, and PgBouncer (its server connections are
 * counted from its own settings, model/pgbouncer.ts, not from pool variables it may share). Matched on the image's
 * last path segment without its tag (`nginxinc/nginx-unprivileged:1.25`, `bitnami/redis`).
 */
const NOT_DATABASE_CLIENTS =
  /^(nginx(-unprivileged)?|openresty|traefik|caddy|haproxy|envoy|httpd|apache|varnish|redis(-stack(-server)?)?|valkey|keydb|memcached|rabbitmq|nats|(cp-)?kafka|(cp-)?zookeeper|mysql|mariadb|mongo(db)?|elasticsearch|opensearch|clickhouse-server|minio|mailhog|mailpit|maildev|localstack|prometheus|grafana|pgbouncer)$/;

/**
 * Whether a deployment's processes may open connections to a database: one that runs an app or job
 * server, or any command of the app's own image, may; one whose image is a PostgreSQL server or one of
 * NOT_DATABASE_CLIENTS does not, even when it shares the app's env_file (DATABASE_URL, DB_POOL_SIZE).
 */
export function isDatabaseClient(deployment: Deployment): boolean {
  if (deployment.processes.length > 0 || deployment.devServers) return true;
  if (deployment.image === undefined) return true;
  const name = deployment.image.replace(/@.*$/, "").replace(/:[^/]*$/, "");
  return postgresImage(name) === undefined && !NOT_DATABASE_CLIENTS.test(name.slice(name.lastIndexOf("/") + 1).toLowerCase());
}

const MAX_CONNECTIONS_DEFAULT = 100;
const SUPERUSER_RESERVED_DEFAULT = 3;

/** `platform`: the databases platform descriptors create (render.yaml), their clients already known. */
export function findDatabases(host: WorkspaceHost, paths: string[], services: PostgresService[], deployments: Deployment[], platform: Database[] = []): Database[] {
  const databases: Database[] = [...platform];
  const platformClients = new Set(platform.flatMap((d) => d.clients));
  const confs = paths.filter((p) => p.slice(p.lastIndexOf("/") + 1).toLowerCase() === "postgresql.conf");
  const usedConfs = new Set<string>();
  const byProject = composeDeploymentsByBase(deployments);
  // Each PostgreSQL service asks every deployment of its project where it connects: worked out once per deployment.
  const addresses = new Map<Deployment, DatabaseAddress | undefined>();
  const addressOf = (deployment: Deployment): DatabaseAddress | undefined => {
    if (!addresses.has(deployment)) addresses.set(deployment, databaseAddress(deployment));
    return addresses.get(deployment);
  };
  const namesByProject = new Map<string, Set<string>>();
  for (const service of services) {
    const settings = new Map<string, Fact<number>>();
    const unreadable = new Map<string, SourceRef>();
    const dir = service.base.includes("/") ? service.base.slice(0, service.base.lastIndexOf("/") + 1) : "";
    const conf = confs.find((p) => p.startsWith(dir));
    const files = [...service.files];
    if (conf) {
      usedConfs.add(conf);
      files.push(conf);
      readConf(host, conf, settings, unreadable);
    }
    const fromEnv = imageMaxConnections(service);
    if (fromEnv && "unreadable" in fromEnv) {
      if (fromEnv.unreadable) unreadable.set("max_connections", fromEnv.unreadable);
    } else if (fromEnv) {
      settings.set("max_connections", fromEnv);
      unreadable.delete("max_connections");
      if (fromEnv.at && !files.includes(fromEnv.at.file)) files.push(fromEnv.at.file);
    }
    // `-c max_connections=` on the command line wins over postgresql.conf, where the images write the variable.
    const args = parsePostgresArgs(service.words);
    const file = service.words[0]?.fact.at?.file ?? service.base;
    for (const [name, expr] of args.settings) {
      // A value from a variable (`max_connections=${PG_MAX}`) is changed where the variable is set: the .env line.
      const origin = args.origins.get(name);
      setNumber(settings, name, expr, file, origin?.at, unreadable);
      if (origin?.at && settings.has(name) && !files.includes(origin.at.file)) files.push(origin.at.file);
    }
    const project = byProject.get(service.base) ?? [];
    const serviceNames = namesByProject.get(service.base) ?? new Set(project.map((d) => d.id.slice(`compose:${service.base}#`.length)));
    namesByProject.set(service.base, serviceNames);
    const named = service.clients && new Set(service.clients);
    const clients = named
      ? deployments.filter((d) => named.has(d.id) && isDatabaseClient(d)).map((d) => d.id)
      : project.filter((d) => d.id !== `compose:${service.base}#${service.name}` && isDatabaseClient(d) && mayConnectTo(addressOf(d)?.host, service.name, serviceNames)).map((d) => d.id);
    databases.push(database(`${service.name} (${service.base})`, settings, files, clients, { origin: "default", by: "PostgreSQL" }, unreadable.get("max_connections")));
  }
  const clientsOfAll = deployments
    .filter((d) => !platformClients.has(d.id) && isDatabaseClient(d) && (d.pool || [...d.env.keys()].some((k) => DATABASE_ENV.test(k))) && !POOLER_HOST.test(addressOf(d)?.host ?? ""))
    .map((d) => d.id);
  for (const conf of confs.filter((c) => !usedConfs.has(c))) {
    const settings = new Map<string, Fact<number>>();
    const unreadable = new Map<string, SourceRef>();
    readConf(host, conf, settings, unreadable);
    databases.push(database(conf, settings, [conf], clientsOfAll, { origin: "default", by: "PostgreSQL" }, unreadable.get("max_connections")));
  }
  if (databases.length === platform.length && clientsOfAll.length > 0) {
    databases.push(database("PostgreSQL (assumed)", new Map(), [], clientsOfAll, { origin: "assumed", by: "PostgreSQL" }));
  }
  return databases;
}

/** The max_connections an image's variable sets; `unreadable` where the variable is set to what Headroom cannot read (`${PG_MAX}`). */
function imageMaxConnections(service: PostgresService): Fact<number> | { unreadable: SourceRef | undefined } | undefined {
  for (const name of MAX_CONNECTIONS_ENV[service.image]) {
    const fact = service.env.get(name);
    if (!fact || fact.value.trim() === "") continue;
    if (!/^\s*\d+\s*$/.test(fact.value)) return { unreadable: fact.at };
    const value = Number(fact.value);
    // timescaledb-tune writes max(TS_TUNE_MAX_CONNS, 100), and nothing when NO_TS_TUNE is set.
    if (service.image === "timescaledb" && (value < MAX_CONNECTIONS_DEFAULT || service.env.get("NO_TS_TUNE")?.value)) return undefined;
    return { ...fact, value };
  }
  return undefined;
}

/**
 * Whether a deployment of the project may connect to its PostgreSQL service `name`, given the `host` its database
 * URL or host variable names (if any): not when that is another service of the project (a PgBouncer in front,
 * another database), nor a PgBouncer (model/pgbouncer.ts counts those connections).
 */
function mayConnectTo(host: string | undefined, name: string, serviceNames: Set<string>): boolean {
  return host === undefined || ((!serviceNames.has(host) || host === name) && !POOLER_HOST.test(host));
}

/** A database host that names a PgBouncer (`pgbouncer`, `pgbouncer.internal`, `db-pgbouncer`): its clients' connections end there. */
export const POOLER_HOST = /pgbouncer/i;

/** Where a deployment's database URL or host variable points, with the URL's port, user and database when written. */
export interface DatabaseAddress {
  host: string;
  /** The variable's line. */
  at?: SourceRef;
  port?: number;
  user?: string;
  dbname?: string;
}

/**
 * The first database URL (`postgres://user:pw@host:5432/db`, `jdbc:postgresql://host/db`) or host variable (DB_HOST)
 * of the deployment's environment that names a host.
 */
export function databaseAddress(deployment: Deployment): DatabaseAddress | undefined {
  for (const key of deployment.env.keys()) {
    if (!DATABASE_ENV.test(key)) continue;
    const fact = deployment.env.get(key) as Fact<string>;
    if (/HOST$/.test(key)) {
      const host = fact.value.trim();
      if (host) return { host, at: fact.at };
      continue;
    }
    const url = urlAddress(fact);
    if (url) return url;
  }
  return undefined;
}

/**
 * The address a URL variable's fact names, worked out once per fact: every audit (every keystroke) asks it of
 * every deployment, and a kept fact is the same object from one audit to the next (moved in place when an edit
 * moves it, with the `at` the address shares). Callers only read it.
 */
const urlAddresses = new WeakMap<Fact<string>, DatabaseAddress | null>();
function urlAddress(fact: Fact<string>): DatabaseAddress | undefined {
  let address = urlAddresses.get(fact);
  if (address === undefined) {
    const url = parseDatabaseUrl(fact.value);
    address = url ? { ...url, at: fact.at } : null;
    urlAddresses.set(fact, address);
  }
  return address ?? undefined;
}

/** `postgres://user:pw@host:5432/db`, `jdbc:postgresql://host/db`: host, and port, user and database when written. */
export function parseDatabaseUrl(text: string): DatabaseAddress | undefined {
  const url = /^(?:jdbc:)?[\w+.-]+:\/\/(?:([^@/:]*)(?::[^@/]*)?@)?([^:/?#]+)(?::(\d+))?(?:\/([^?#]*))?/.exec(text.trim());
  if (!url) return undefined;
  return {
    host: url[2],
    ...(url[3] ? { port: Number(url[3]) } : {}),
    ...(url[1] ? { user: safeDecode(url[1]) } : {}),
    ...(url[4] ? { dbname: url[4] } : {}),
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Compose deployments by the base file of their project (ids `compose:<base>#<service>`), in model order. */
function composeDeploymentsByBase(deployments: Deployment[]): Map<string, Deployment[]> {
  const byBase = new Map<string, Deployment[]>();
  const prefix = "compose:";
  for (const deployment of deployments) {
    if (!deployment.id.startsWith(prefix)) continue;
    // Every "#" could end the base (a path may contain "#" too), as a prefix test would allow.
    for (let hash = deployment.id.indexOf("#", prefix.length); hash >= 0; hash = deployment.id.indexOf("#", hash + 1)) {
      const base = deployment.id.slice(prefix.length, hash);
      const project = byBase.get(base);
      if (project) project.push(deployment);
      else byBase.set(base, [deployment]);
    }
  }
  return byBase;
}

function database(name: string, settings: Map<string, Fact<number>>, files: string[], clients: string[], fallback: { origin: "default" | "assumed"; by: string }, limitUnknown?: SourceRef): Database {
  const maxConnections = settings.get("max_connections") ?? { value: MAX_CONNECTIONS_DEFAULT, ...fallback };
  const superuser = settings.get("superuser_reserved_connections") ?? { value: SUPERUSER_RESERVED_DEFAULT, ...fallback };
  const roles = settings.get("reserved_connections");
  // PostgreSQL 16's reserved_connections (default 0) adds to the superuser slots.
  const reserved: Fact<number> = roles ? { ...superuser, value: superuser.value + roles.value } : superuser;
  return { name, maxConnections, reserved, files: new Set(files), clients, ...(limitUnknown ? { limitUnknown } : {}) };
}

function readConf(host: WorkspaceHost, path: string, settings: Map<string, Fact<number>>, unreadable: Map<string, SourceRef>): void {
  const text = host.read(path);
  if (text === undefined) return;
  for (const [name, expr] of parsePostgresConf(text, path).settings) setNumber(settings, name, expr, path, undefined, unreadable);
}

/**
 * `origin`: where the value is set when the command takes it from a variable. A value that is not an integer (a variable
 * nothing sets) goes to `unreadable`, where a later source's readable value takes it out again.
 */
function setNumber(settings: Map<string, Fact<number>>, name: string, expr: SettingExpr, file: string, origin: SourceRef | undefined, unreadable: Map<string, SourceRef>): void {
  if (!["max_connections", "superuser_reserved_connections", "reserved_connections"].includes(name)) return;
  const at: SourceRef = origin ?? { file, start: expr.span.start, end: expr.span.end };
  // PostgreSQL takes a quoted integer too (`max_connections = '200'`).
  const value = expr.kind === "number" ? expr.value : expr.kind === "string" && typeof expr.value === "string" && /^\s*\d+\s*$/.test(expr.value) ? Number(expr.value) : undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    unreadable.set(name, at);
    settings.delete(name);
    return;
  }
  settings.set(name, { value, origin: "stated", at });
  unreadable.delete(name);
}
