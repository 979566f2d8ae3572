// PgBouncer between the app and PostgreSQL: how many client connections it accepts and how many
// server connections it may open (pgbouncer.org/config.html), read from
//   - a pgbouncer.ini the compose service bind-mounts (or that sits beside the Dockerfile it builds):
//     the images' start scripts then write no configuration of their own;
//   - else the environment of edoburu/pgbouncer (MAX_CLIENT_CONN, DEFAULT_POOL_SIZE, …, written into
//     pgbouncer.ini by its entrypoint.sh) or bitnami/pgbouncer (PGBOUNCER_MAX_CLIENT_CONN, …, libpgbouncer.sh);
//   - a pgbouncer.ini that no service mounts: a PgBouncer of its own (on a VM, in Kubernetes).
// Its clients are the deployments whose database URL or host names it: the compose service, or for a
// PgBouncer of its own a host that says pgbouncer or its listen_port. Its server is the PostgreSQL
// service its [databases] entries (or the image's DB_HOST / POSTGRESQL_HOST) name.
import { posix } from "node:path";
import type { WorkspaceHost } from "../api.ts";
import type { ParseMemo } from "../parse-cache.ts";
import type { ComposeFile, ComposeService } from "../parse/compose.ts";
import { parsePgBouncerIni, type PgBouncerIni, type PgBouncerValue } from "../parse/pgbouncer-ini.ts";
import type { Fact, SourceRef } from "../types.ts";
import { type DatabaseAddress, databaseAddress, parseDatabaseUrl } from "./databases.ts";
import type { Database, Deployment } from "./types.ts";

/** A PgBouncer setting with the name it is written under (`max_client_conn`, `MAX_CLIENT_CONN`, `PGBOUNCER_MAX_CLIENT_CONN`). */
export interface PgBouncerSetting extends Fact<number> {
  name: string;
}

export interface PgBouncerDatabase {
  /** The name clients connect to; `*` stands for any other name (one pool per name a client asks for). */
  name: string;
  at?: SourceRef;
  host?: string;
  /** `user=`: every connection logs in as this user, so the database has one pool; else one pool per client user. */
  user?: string;
  poolSize?: PgBouncerSetting;
  reservePool?: PgBouncerSetting;
  maxDbConnections?: PgBouncerSetting;
}

export interface PgBouncer {
  /** "pgbouncer (docker-compose.yml)" for a compose service, the ini's path for one of its own. */
  name: string;
  /** Its compose deployment, when it is a service. */
  deployment?: string;
  /** The pgbouncer.ini it reads, when the workspace has it. */
  configFile?: string;
  files: Set<string>;
  /** Where a setting nothing writes would go: the ini's [pgbouncer] header, else the service's image line. */
  anchor?: SourceRef;
  instances: Fact<number>;
  /** Undefined when written as something other than a whole number (a variable nothing sets). */
  maxClientConn?: PgBouncerSetting;
  defaultPoolSize?: PgBouncerSetting;
  reservePoolSize?: PgBouncerSetting;
  /** 0: unlimited. */
  maxDbConnections?: PgBouncerSetting;
  poolMode: Fact<string>;
  /** For settings from the image's environment: the variable each setting is read from (IMAGE_ENV). */
  settingEnv?: Record<"max_client_conn" | "default_pool_size" | "reserve_pool_size" | "max_db_connections" | "pool_mode", string>;
  databases: PgBouncerDatabase[];
  /** Deployments whose database connections end at this PgBouncer. */
  clients: string[];
  /** The database (model `databases`, by name) its server connections go to, when the workspace has it. */
  server?: string;
}

/** PgBouncer's defaults (pgbouncer.org/config.html; SOURCES.pgbouncerConfig). */
export const PGBOUNCER_DEFAULTS = { max_client_conn: 100, default_pool_size: 20, reserve_pool_size: 0, max_db_connections: 0, listen_port: 6432 } as const;

type ImageKind = "edoburu" | "bitnami";

/** The environment variable each image's start script writes into pgbouncer.ini, by setting. */
const IMAGE_ENV: Record<ImageKind, Record<"max_client_conn" | "default_pool_size" | "reserve_pool_size" | "max_db_connections" | "pool_mode", string>> = {
  edoburu: { max_client_conn: "MAX_CLIENT_CONN", default_pool_size: "DEFAULT_POOL_SIZE", reserve_pool_size: "RESERVE_POOL_SIZE", max_db_connections: "MAX_DB_CONNECTIONS", pool_mode: "POOL_MODE" },
  bitnami: {
    max_client_conn: "PGBOUNCER_MAX_CLIENT_CONN",
    default_pool_size: "PGBOUNCER_DEFAULT_POOL_SIZE",
    reserve_pool_size: "PGBOUNCER_RESERVE_POOL_SIZE",
    max_db_connections: "PGBOUNCER_MAX_DB_CONNECTIONS",
    pool_mode: "PGBOUNCER_POOL_MODE",
  },
};

/** The image's name without registry or tag, when it runs PgBouncer. */
function pgbouncerImage(image: string | undefined): { kind?: ImageKind } | undefined {
  // Asked of every deployment on every keystroke: most images are not PgBouncer's, and this test costs no new strings.
  if (!image || !/pgbouncer/i.test(image)) return undefined;
  const path = image.replace(/@.*$/, "").replace(/:[^/]*$/, "").toLowerCase();
  if (!/(^|\/)pgbouncer$/.test(path)) return undefined;
  if (/(^|\/)edoburu\/pgbouncer$/.test(path)) return { kind: "edoburu" };
  if (/(^|\/)bitnami\/pgbouncer$/.test(path)) return { kind: "bitnami" };
  return {};
}

export function isPgBouncerIni(path: string): boolean {
  return /^pgbouncer[\w.-]*\.ini$/.test(path.slice(path.lastIndexOf("/") + 1).toLowerCase());
}

export function findPgBouncers(host: WorkspaceHost, parses: ParseMemo, paths: string[], deployments: Deployment[], databases: Database[], composeFiles: Map<string, ComposeFile>): PgBouncer[] {
  const inis = paths.filter(isPgBouncerIni);
  const claimed = new Set<string>();
  const poolers: PgBouncer[] = [];
  // Parsed once per text: this runs on every audit, so on every keystroke in the editor.
  const read = (path: string): PgBouncerIni | undefined => {
    const text = host.read(path);
    return text === undefined ? undefined : parses.get(`pgbouncer:${path}`, text, () => parsePgBouncerIni(text));
  };
  for (const deployment of deployments) {
    // A Dockerfile that builds FROM a PgBouncer image names it as the deployment's image too.
    const image = pgbouncerImage(deployment.image);
    if (!image) continue;
    const hash = deployment.id.lastIndexOf("#");
    if (!deployment.id.startsWith("compose:") || hash < 0) continue;
    const base = deployment.id.slice("compose:".length, hash);
    const service = deployment.id.slice(hash + 1);
    // Only for a PgBouncer: over every compose file, for each of a monorepo's thousands of deployments, it was 6% of the audit.
    const layers = [...composeFiles].filter(([file, compose]) => deployment.files.has(file) && compose.services.has(service)).map(([file, compose]) => ({ file, service: compose.services.get(service)! }));
    const ini = mountedIni(inis, layers) ?? builtIni(inis, deployment);
    const imageLine = [...layers].reverse().find((l) => l.service.image)?.service.image;
    const anchor = imageLine && { file: [...layers].reverse().find((l) => l.service.image)!.file, start: imageLine.start, end: imageLine.end };
    const pooler: PgBouncer = {
      name: `${service} (${base})`,
      deployment: deployment.id,
      files: new Set(deployment.files),
      ...(anchor ? { anchor } : {}),
      instances: deployment.instances,
      poolMode: { value: "session", origin: "default", by: "PgBouncer" },
      databases: [],
      clients: [],
    };
    if (ini) {
      const parsed = read(ini);
      if (!parsed) continue;
      claimed.add(ini);
      applyIni(pooler, ini, parsed);
    } else if (image.kind) {
      applyImageEnv(pooler, image.kind, deployment);
    } else continue;
    const project = deployments.filter((d) => d.id.startsWith(`compose:${base}#`) && d !== deployment);
    pooler.clients = project.filter((d) => databaseAddress(d)?.host === service).map((d) => d.id);
    pooler.server = serverOf(pooler, databases, base);
    poolers.push(pooler);
  }
  for (const ini of inis.filter((p) => !claimed.has(p))) {
    const parsed = read(ini);
    if (!parsed || (parsed.databases.length === 0 && parsed.settings.size === 0)) continue;
    const pooler: PgBouncer = {
      name: ini,
      files: new Set([ini]),
      instances: { value: 1, origin: "default", by: "PgBouncer" },
      poolMode: { value: "session", origin: "default", by: "PgBouncer" },
      databases: [],
      clients: [],
    };
    applyIni(pooler, ini, parsed);
    const listen = parsed.settings.get("listen_port");
    const port = listen && /^\d+$/.test(listen.value) ? Number(listen.value) : PGBOUNCER_DEFAULTS.listen_port;
    const taken = new Set(poolers.flatMap((p) => p.clients));
    pooler.clients = deployments.filter((d) => !taken.has(d.id) && goesTo(databaseAddress(d), port)).map((d) => d.id);
    pooler.server = serverOf(pooler, databases, undefined);
    poolers.push(pooler);
  }
  // Their connections end at PgBouncer: PostgreSQL sees PgBouncer's server connections instead.
  const behindPooler = new Set(poolers.flatMap((p) => p.clients));
  for (const database of databases) database.clients = database.clients.filter((id) => !behindPooler.has(id));
  return poolers;
}

/** A PgBouncer of its own: a client reaches it by a host that says pgbouncer, or by its port. */
function goesTo(address: DatabaseAddress | undefined, port: number): boolean {
  return address !== undefined && (/pgbouncer/i.test(address.host) || address.port === port);
}

/** The pgbouncer.ini a service bind-mounts: the file itself, or its folder. */
function mountedIni(inis: string[], layers: Array<{ file: string; service: ComposeService }>): string | undefined {
  for (const { file, service } of layers) {
    for (const source of service.bindSources) {
      const target = posix.normalize(posix.join(posix.dirname(file), source.path)).replace(/\/$/, "");
      const found = inis.find((ini) => ini === target || posix.dirname(ini) === target);
      if (found) return found;
    }
  }
  return undefined;
}

/** A pgbouncer.ini beside the Dockerfile the service builds (`COPY pgbouncer.ini /etc/pgbouncer/`). */
function builtIni(inis: string[], deployment: Deployment): string | undefined {
  const dockerfile = [...deployment.files].find((f) => /(^|\/)dockerfile[^/]*$/i.test(f));
  if (!dockerfile) return undefined;
  return inis.find((ini) => posix.dirname(ini) === posix.dirname(dockerfile));
}

function applyIni(pooler: PgBouncer, path: string, ini: PgBouncerIni): void {
  pooler.configFile = path;
  pooler.files.add(path);
  if (ini.header) pooler.anchor = { file: path, ...ini.header };
  const setting = (name: keyof typeof PGBOUNCER_DEFAULTS): PgBouncerSetting | undefined => {
    const written = ini.settings.get(name);
    return written ? wholeNumber(name, written, path) : { name, value: PGBOUNCER_DEFAULTS[name], origin: "default", by: "PgBouncer" };
  };
  pooler.maxClientConn = setting("max_client_conn");
  pooler.defaultPoolSize = setting("default_pool_size");
  pooler.reservePoolSize = setting("reserve_pool_size");
  pooler.maxDbConnections = setting("max_db_connections");
  const mode = ini.settings.get("pool_mode");
  if (mode) pooler.poolMode = { value: mode.value, origin: "stated", at: { file: path, ...mode.span } };
  pooler.databases = ini.databases.map((entry) => {
    const param = (name: string) => entry.params.get(name);
    const number = (name: string) => {
      const value = param(name);
      return value && wholeNumber(name, value, path);
    };
    const reserve = number("reserve_pool_size") ?? number("reserve_pool");
    const poolSize = number("pool_size");
    const maxDb = number("max_db_connections");
    return {
      name: entry.name,
      at: { file: path, ...entry.nameSpan },
      ...(param("host") ? { host: param("host")!.value } : {}),
      ...(param("user") ? { user: param("user")!.value } : {}),
      ...(poolSize ? { poolSize } : {}),
      ...(reserve ? { reservePool: reserve } : {}),
      ...(maxDb ? { maxDbConnections: maxDb } : {}),
    };
  });
}

/** A value written as a whole number; undefined otherwise (the setting is then unknown). */
function wholeNumber(name: string, written: PgBouncerValue, file: string): PgBouncerSetting | undefined {
  if (!/^\d+$/.test(written.value)) return undefined;
  return { name, value: Number(written.value), origin: "stated", at: { file, ...written.span } };
}

/**
 * The settings the image's start script writes from the environment: each only when its variable is set and
 * not empty (PgBouncer's default otherwise), and one [databases] entry: edoburu's `${DB_NAME:-*} = host=${DB_HOST}`
 * (DATABASE_URL's host and database when given), Bitnami's `${PGBOUNCER_DATABASE:-postgres} = host=${POSTGRESQL_HOST:-postgresql}`,
 * with `user=` only when PGBOUNCER_SET_DATABASE_USER is yes.
 */
function applyImageEnv(pooler: PgBouncer, kind: ImageKind, deployment: Deployment): void {
  const env = deployment.env;
  const names = IMAGE_ENV[kind];
  pooler.settingEnv = names;
  const setting = (key: keyof typeof PGBOUNCER_DEFAULTS & keyof typeof names): PgBouncerSetting | undefined => {
    const fact = env.get(names[key]);
    if (!fact || fact.value.trim() === "") return { name: key, value: PGBOUNCER_DEFAULTS[key], origin: "default", by: "PgBouncer" };
    if (!/^\s*\d+\s*$/.test(fact.value)) return undefined;
    return { ...fact, name: names[key], value: Number(fact.value) };
  };
  pooler.maxClientConn = setting("max_client_conn");
  pooler.defaultPoolSize = setting("default_pool_size");
  pooler.reservePoolSize = setting("reserve_pool_size");
  pooler.maxDbConnections = setting("max_db_connections");
  const mode = env.get(names.pool_mode);
  if (mode?.value.trim()) pooler.poolMode = { ...mode, value: mode.value.trim() };
  if (kind === "edoburu") {
    const url = parseDatabaseUrl(env.get("DATABASE_URL")?.value ?? "");
    const host = url?.host ?? env.get("DB_HOST")?.value.trim();
    const name = url?.dbname ?? (env.get("DB_NAME")?.value.trim() || "*");
    pooler.databases = [{ name, ...(host ? { host } : {}) }];
  } else {
    const user = /^(yes|true|1)$/i.test(env.get("PGBOUNCER_SET_DATABASE_USER")?.value.trim() ?? "") ? env.get("POSTGRESQL_USERNAME")?.value.trim() || "postgres" : undefined;
    pooler.databases = [{ name: env.get("PGBOUNCER_DATABASE")?.value.trim() || "postgres", host: env.get("POSTGRESQL_HOST")?.value.trim() || "postgresql", ...(user ? { user } : {}) }];
  }
}

/** The database its entries' host names: the compose project's PostgreSQL service of that name, or, for one of its own, any with that service name. */
function serverOf(pooler: PgBouncer, databases: Database[], base: string | undefined): string | undefined {
  const hosts = new Set(pooler.databases.map((d) => d.host).filter((h): h is string => h !== undefined));
  for (const database of databases) {
    const service = /^(.*) \((.*)\)$/.exec(database.name);
    if (service && hosts.has(service[1]) && (base === undefined || service[2] === base)) return database.name;
  }
  return undefined;
}

/** One [databases] entry's share of PgBouncer's server connections. */
export interface PgBouncerPoolShare {
  database: PgBouncerDatabase;
  /** Databases of this entry clients use: 1, or for `*` the names clients ask for that no entry has. */
  names: number;
  /** For `*`: those names, as the clients' URLs write them. */
  nameList: string[];
  /** Pools per database: 1 with `user=`, else one per client user. */
  users: number;
  /** The users that log in, when known: `user=`, else the clients' URLs' users. */
  userList: string[];
  poolSize: PgBouncerSetting;
  reserve: PgBouncerSetting;
  /** The cap that applies (max_db_connections), when one does. */
  cap?: PgBouncerSetting;
  /** Server connections for one PgBouncer instance. */
  total: number;
}

/**
 * PgBouncer's possible server connections per instance (pgbouncer.org: "default_pool_size: the maximum number
 * of server connections to allow per user/database pair", "max_db_connections: … per database (regardless of
 * user)"), entry by entry. Client users and database names come from the clients' database URLs (at least one).
 * Undefined when a setting it needs is not a number.
 */
export function pgbouncerServerShares(pooler: PgBouncer, clients: Deployment[], server: string | undefined): PgBouncerPoolShare[] | undefined {
  const { defaultPoolSize, reservePoolSize, maxDbConnections } = pooler;
  if (!defaultPoolSize || !reservePoolSize || !maxDbConnections) return undefined;
  const addresses = clients.map(databaseAddress).filter((a): a is DatabaseAddress => a !== undefined);
  const userList = [...new Set(addresses.map((a) => a.user).filter((u): u is string => u !== undefined))].sort();
  const users = userList.length || 1;
  const named = new Set(pooler.databases.filter((d) => d.name !== "*").map((d) => d.name));
  const asked = new Set(addresses.map((a) => a.dbname).filter((n): n is string => n !== undefined && n !== "" && !named.has(n)));
  const shares: PgBouncerPoolShare[] = [];
  for (const database of pooler.databases) {
    // Entries for another host (a second server) do not open connections to this one.
    if (server !== undefined && database.host !== undefined && !server.startsWith(`${database.host} (`) && pooler.databases.some((d) => d.host !== database.host)) continue;
    const names = database.name === "*" ? asked.size || (named.size === 0 ? 1 : 0) : 1;
    if (names === 0) continue;
    const poolSize = database.poolSize ?? defaultPoolSize;
    const reserve = database.reservePool ?? reservePoolSize;
    const perDatabase = (database.user ? 1 : users) * (poolSize.value + reserve.value);
    const cap = database.maxDbConnections ?? (maxDbConnections.value > 0 ? maxDbConnections : undefined);
    const capped = cap && cap.value > 0 && cap.value < perDatabase ? cap : undefined;
    shares.push({
      database,
      names,
      nameList: database.name === "*" ? [...asked].sort() : [database.name],
      users: database.user ? 1 : users,
      userList: database.user ? [database.user] : userList,
      poolSize,
      reserve,
      ...(capped ? { cap: capped } : {}),
      total: names * (capped ? capped.value : perDatabase),
    });
  }
  return shares;
}

/** A PgBouncer's possible server connections, all instances (0 when a setting it needs is not a number). */
export function pgbouncerServerTotal(pooler: PgBouncer, deployments: Deployment[]): number {
  const shares = pgbouncerServerShares(pooler, deployments.filter((d) => pooler.clients.includes(d.id)), pooler.server) ?? [];
  return pooler.instances.value * shares.reduce((sum, s) => sum + s.total, 0);
}
