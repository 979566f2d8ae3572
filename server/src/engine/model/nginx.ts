// nginx as a reverse proxy: every `nginx.conf` in the workspace is a root; its includes are
// followed (parse/nginx.ts) and the tree is read into NginxProxy facts: worker sizing, upstream
// groups, and the locations that proxy, with the proxy_* settings each one ends up with after
// nginx's inheritance (http → server → location → nested location).
//
// Inheritance follows nginx's merge rules: proxy_http_version and proxy_read_timeout are
// inherited unless the level sets its own; proxy_set_header directives are inherited "if and
// only if there are no proxy_set_header directives defined on the current level".
import { posix } from "node:path";
import type { WorkspaceHost } from "../api.ts";
import { NO_MEMO, type ParseMemo } from "../parse-cache.ts";
import { loadNginxConfig, type NginxArg, type NginxDirective, type NginxFile, parseNginx, reparseNginx } from "../parse/nginx.ts";
import type { Fact, ParseProblem, SourceRef } from "../types.ts";
import type { ComposeFile } from "../parse/compose.ts";
import { contextSource, copiedPath, type CopyLine, type CopyTarget, copyTarget } from "./image-copies.ts";
import { mountedAt } from "./tiangolo.ts";
import type { CpuLimit, Deployment, ServerProcess } from "./types.ts";
import { optionValue, optionValues, type ServerOption } from "../parse/servers.ts";

/** A header directive (`proxy_set_header`, `add_header`): its name and value as nginx reads them. */
export interface ProxyHeader {
  name: string;
  value: string;
  /** the whole statement (`proxy_set_header Host $host;`) */
  at: SourceRef;
}

export interface ProxyLocation {
  /**
   * `location /api` (the directive name and its arguments, without the block). A proxy_pass in an `if (...)`
   * or `limit_except` block of the location is an entry of its own with the location's `at` and settings.
   */
  at: SourceRef;
  /** the location block's "{" (start) through "}" (end), for edits that insert directives */
  block: SourceRef;
  /** `proxy_pass`, or `uwsgi_pass` (module "uwsgi": the uwsgi protocol, whose timeouts are the uwsgi_* directives) */
  proxyPass?: { target: string; at: SourceRef; upstream?: string; module: "proxy" | "uwsgi" };
  httpVersion?: Fact<string>;
  connectionHeader?: Fact<string>;
  /** When the Connection header is a `map` variable (`$connection_upgrade`): that map. */
  connectionMap?: NginxMap;
  /** seconds: proxy_read_timeout, or uwsgi_read_timeout where the location passes with uwsgi_pass */
  readTimeout?: Fact<number>;
  /** The proxy_set_header list in effect here, and whether it comes from an enclosing level. */
  setHeaders: { inherited: boolean; list: ProxyHeader[] };
  /**
   * Directives written at this location's own level, includes expanded (`include snippets/proxy.conf;`
   * inside the block puts its directives here): a second one of a kind that takes one value is an error.
   */
  ownDirectives: Set<string>;
}

/** `map $source $variable { ... }` */
export interface NginxMap {
  source: string;
  variable: string;
  /** `map $source $variable` */
  at: SourceRef;
  /** The value for an empty source (an ordinary request, for `$http_upgrade`): its `''` entry, else `default`, else empty; `at` is that entry's value. */
  whenEmpty: Fact<string>;
}

export interface ProxyUpstreamServer {
  address: string;
  at: SourceRef;
  maxFails?: Fact<number>;
  /** seconds */
  failTimeout?: Fact<number>;
}

export interface ProxyUpstream {
  name: string;
  at: SourceRef;
  servers: ProxyUpstreamServer[];
  keepalive?: Fact<number>;
  /** seconds an idle cached connection stays open (`keepalive_timeout` in the upstream block) */
  keepaliveTimeout?: Fact<number>;
}

/** A compose service an upstream server (or a direct proxy_pass) names by host. */
export interface ProxyBackend {
  /** the upstream group, when the address is a server of one */
  upstream?: string;
  address: string;
  at: SourceRef;
  /** the deployment's id (`compose:<file>#<service>`) and service name */
  deployment: string;
  service: string;
  instances: Fact<number>;
}

/** An `if (...)` block of a server or a location, with the directives in it. */
export interface NginxIf {
  /** A server's `if` takes only the rewrite module's directives, a location's a few more. */
  context: "server" | "location";
  /** `if (...)`, without its block. */
  at: SourceRef;
  /** Each directive in the block, at its name. */
  directives: Array<{ name: string; at: SourceRef }>;
}

export interface NginxProxy {
  root: string;
  files: Set<string>;
  /**
   * The root is a main configuration (it has an `events` or `http` block). A root without them
   * is a fragment included into some other main file (e.g. an image's stock nginx.conf): its
   * worker settings are not known and the worker facts are only nginx's defaults.
   */
  main: boolean;
  /** Where a main-context directive would be added: the start of the root's first directive (zero-width). */
  mainAt: SourceRef;
  /** `events {` of the main configuration, when there is one. */
  events?: { at: SourceRef; block: SourceRef };
  /** NaN when written but not a number (a template variable, for instance). */
  workerProcesses: Fact<number | "auto">;
  workerConnections: Fact<number>;
  rlimitNofile?: Fact<number>;
  upstreams: ProxyUpstream[];
  locations: ProxyLocation[];
  /** The `if` blocks of its servers and locations (nginx allows only some directives in them). */
  ifBlocks: NginxIf[];
  backends: ProxyBackend[];
  /**
   * The compose service whose container runs this nginx: it bind-mounts the file (or its folder), or builds the image
   * whose Dockerfile copies it there. By deployment id, with that service's CPU limit (`via` names the mount or the
   * COPY line that links them) and its `ulimits: nofile` soft limit. `placedAt` is the mount's source or the COPY line.
   */
  service?: { deployment: string; placedBy: "mount" | "copy"; placedAt: SourceRef; cpus?: CpuLimit; nofileSoftLimit?: Fact<number> };
}

/** nginx's time syntax ("30", "30s", "1m", "500ms", "1h 30m") in seconds; undefined if not a literal time. */
export function nginxSeconds(value: string): number | undefined {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, M: 2592000, y: 31536000 };
  const parts = value.trim().split(/\s+/);
  let total = 0;
  for (const part of parts) {
    const m = /^(\d+)(ms|s|m|h|d|w|M|y)?$/.exec(part);
    if (!m) return undefined;
    total += Number(m[1]) * units[m[2] ?? "s"];
  }
  return total;
}

function ref(d: NginxDirective, start = d.start, end = d.end): SourceRef {
  return { file: d.file, start, end };
}

function headEnd(d: NginxDirective): number {
  return d.args.length > 0 ? d.args[d.args.length - 1].end : d.nameSpan.end;
}

function intArg(d: NginxDirective): Fact<number> {
  const arg = d.args[0];
  const value = arg && /^\d+$/.test(arg.value) ? Number(arg.value) : Number.NaN;
  return { value, origin: "stated", at: arg ? ref(d, arg.start, arg.end) : ref(d, d.nameSpan.start, d.nameSpan.end) };
}

function lastNamed(directives: NginxDirective[], name: string): NginxDirective | undefined {
  let found: NginxDirective | undefined;
  for (const d of directives) if (d.name === name) found = d;
  return found;
}

interface Inherited {
  httpVersion?: Fact<string>;
  readTimeout?: Fact<number>;
  uwsgiReadTimeout?: Fact<number>;
  headers: ProxyHeader[];
}

/**
 * The headers an array directive (`proxy_set_header`, `add_header`) gives one level: its own, or,
 * "if and only if there are no" such directives on the level, the enclosing level's.
 */
export function headersAtLevel(directives: NginxDirective[], directive: string, inherited: ProxyHeader[]): { list: ProxyHeader[]; own: boolean } {
  // Nothing allocated for a level without them: this runs for every server and location on every audit.
  let list: ProxyHeader[] | undefined;
  for (const d of directives) {
    if (d.name === directive && d.args.length >= 2) (list ??= []).push({ name: d.args[0].value, value: d.args[1].value, at: ref(d) });
  }
  return list ? { list, own: true } : { list: inherited, own: false };
}

/** The proxy_* settings of one level, over what it inherits. */
function mergeLevel(directives: NginxDirective[], parent: Inherited): Inherited & { ownHeaders: boolean } {
  const version = lastNamed(directives, "proxy_http_version");
  const headers = headersAtLevel(directives, "proxy_set_header", parent.headers);
  return {
    httpVersion: version?.args[0] ? { value: version.args[0].value, origin: "stated", at: ref(version, version.args[0].start, version.args[0].end) } : parent.httpVersion,
    readTimeout: secondsAtLevel(directives, "proxy_read_timeout") ?? parent.readTimeout,
    uwsgiReadTimeout: secondsAtLevel(directives, "uwsgi_read_timeout") ?? parent.uwsgiReadTimeout,
    headers: headers.list,
    ownHeaders: headers.own,
  };
}

/**
 * A time directive's value at this level, in seconds, where it is written. One written with a value that is not a
 * time (a template's `${PROXY_READ_TIMEOUT}`, filled in when the container starts) is set all the same, to a value
 * not known here: NaN, which no comparison holds for, rather than the enclosing level's or nginx's default.
 */
function secondsAtLevel(directives: NginxDirective[], name: string): Fact<number> | undefined {
  const timeout = lastNamed(directives, name);
  const arg = timeout?.args[0];
  if (!timeout || !arg) return undefined;
  return { value: nginxSeconds(arg.value) ?? Number.NaN, origin: "stated", at: ref(timeout, arg.start, arg.end) };
}

function upstreamOf(target: string, names: Set<string>): string | undefined {
  const m = /^(?:https?|grpcs?|s?uwsgi|fastcgi):\/\/([^/:$]+)(?::\d+)?(?:\/|$)/i.exec(target);
  if (m && names.has(m[1])) return m[1];
  return undefined;
}

function collectLocations(directives: NginxDirective[], inherited: Inherited, upstreamNames: Set<string>, out: ProxyLocation[]): void {
  for (const d of directives) {
    if (d.name !== "location" || !d.block || !d.blockSpan) continue;
    const level = mergeLevel(d.block, inherited);
    const pass = lastNamed(d.block, "proxy_pass") ?? lastNamed(d.block, "uwsgi_pass");
    const connection = level.headers.findLast((h) => h.name.toLowerCase() === "connection");
    const ownDirectives = new Set<string>();
    for (const own of d.block) ownDirectives.add(own.name);
    const location: ProxyLocation = {
      at: ref(d, d.start, headEnd(d)),
      block: ref(d, d.blockSpan.start, d.blockSpan.end),
      setHeaders: { inherited: !level.ownHeaders, list: level.headers },
      ownDirectives,
    };
    // uwsgi_pass takes `[uwsgi://|suwsgi://]address`: a bare name is an upstream group as much as proxy_pass's http://name.
    const passOf = (p: NginxDirective, target: NginxArg) => {
      const module = p.name === "uwsgi_pass" ? "uwsgi" : "proxy";
      const address = module === "uwsgi" && !/^[a-z]+:\/\//i.test(target.value) ? `uwsgi://${target.value}` : target.value;
      return { target: target.value, at: ref(p, target.start, target.end), upstream: upstreamOf(address, upstreamNames), module } as const;
    };
    if (pass?.args[0]) location.proxyPass = passOf(pass, pass.args[0]);
    if (level.httpVersion) location.httpVersion = level.httpVersion;
    if (connection) location.connectionHeader = { value: connection.value, origin: "stated", at: connection.at };
    const readTimeout = location.proxyPass?.module === "uwsgi" ? level.uwsgiReadTimeout : level.readTimeout;
    if (readTimeout) location.readTimeout = readTimeout;
    out.push(location);
    // proxy_pass is allowed in "if in location" and in limit_except, the other proxy_* settings are not: such a
    // block proxies with its location's settings, and a directive a fix adds goes in the location's block.
    for (const inner of d.block) {
      if ((inner.name !== "if" && inner.name !== "limit_except") || !inner.block) continue;
      const innerPass = lastNamed(inner.block, "proxy_pass") ?? lastNamed(inner.block, "uwsgi_pass");
      if (innerPass?.args[0]) out.push({ ...location, proxyPass: passOf(innerPass, innerPass.args[0]) });
    }
    collectLocations(d.block, level, upstreamNames, out);
  }
}

/** The `if` blocks of a server, found once per server block (an edit elsewhere keeps the same object, as for its locations). */
const ifsByServer = new WeakMap<NginxDirective, NginxIf[]>();

function serverIfs(server: NginxDirective): NginxIf[] {
  let ifs = ifsByServer.get(server);
  if (!ifs) {
    ifs = [];
    collectIfs(server.block ?? [], "server", ifs);
    ifsByServer.set(server, ifs);
  }
  return ifs;
}

function collectIfs(directives: NginxDirective[], context: NginxIf["context"], out: NginxIf[]): void {
  for (const d of directives) {
    if (!d.block) continue;
    if (d.name === "if") out.push({ context, at: ref(d, d.start, headEnd(d)), directives: d.block.map((inner) => ({ name: inner.name, at: ref(inner, inner.nameSpan.start, inner.nameSpan.end) })) });
    else if (d.name === "location") collectIfs(d.block, "location", out);
  }
}

/**
 * The locations of each server block, with what they were read under. An edit re-parses only the
 * block it is in (parse/nginx.ts reparseNginx), so the other server blocks are the same objects
 * from one audit to the next, and their locations are read again only when what they inherit changed.
 */
const locationsByServer = new WeakMap<NginxDirective, { inherited: Inherited; upstreamNames: Set<string>; locations: ProxyLocation[] }>();

function serverLocations(server: NginxDirective, inherited: Inherited, upstreamNames: Set<string>): ProxyLocation[] {
  const known = locationsByServer.get(server);
  if (known && sameInherited(known.inherited, inherited) && sameNames(known.upstreamNames, upstreamNames)) return known.locations;
  const block = server.block ?? [];
  const locations: ProxyLocation[] = [];
  collectLocations(block, mergeLevel(block, inherited), upstreamNames, locations);
  locationsByServer.set(server, { inherited, upstreamNames, locations });
  return locations;
}

function sameRef(a: SourceRef | undefined, b: SourceRef | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.file === b.file && a.start === b.start && a.end === b.end);
}

/** For the facts mergeLevel makes: a stated value and where. */
function sameFact<T>(a: Fact<T> | undefined, b: Fact<T> | undefined): boolean {
  if (a === b) return true;
  return a !== undefined && b !== undefined && Object.is(a.value, b.value) && a.origin === b.origin && a.by === b.by && !a.via && !b.via && sameRef(a.at, b.at);
}

function sameInherited(a: Inherited, b: Inherited): boolean {
  if (!sameFact(a.httpVersion, b.httpVersion) || !sameFact(a.readTimeout, b.readTimeout) || !sameFact(a.uwsgiReadTimeout, b.uwsgiReadTimeout) || a.headers.length !== b.headers.length) return false;
  return a.headers.every((h, i) => h.name === b.headers[i].name && h.value === b.headers[i].value && sameRef(h.at, b.headers[i].at));
}

function sameNames(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const name of a) if (!b.has(name)) return false;
  return true;
}

/** `map` blocks by the variable they set. */
function readMaps(directives: NginxDirective[]): Map<string, NginxMap> {
  const maps = new Map<string, NginxMap>();
  for (const d of directives) {
    if (d.name !== "map" || !d.block || d.args.length !== 2) continue;
    const at = ref(d, d.start, headEnd(d));
    const entries = d.block.filter((e) => e.args.length === 1);
    const entry = entries.find((e) => e.name === "") ?? entries.find((e) => e.name === "default");
    const whenEmpty: Fact<string> = entry ? { value: entry.args[0].value, origin: "stated", at: ref(entry, entry.args[0].start, entry.args[0].end) } : { value: "", origin: "default", by: "nginx", at };
    maps.set(d.args[1].value, { source: d.args[0].value, variable: d.args[1].value, at, whenEmpty });
  }
  return maps;
}

function readUpstream(d: NginxDirective): ProxyUpstream {
  const block = d.block ?? [];
  const servers: ProxyUpstreamServer[] = [];
  for (const s of block) {
    if (s.name !== "server" || !s.args[0]) continue;
    const server: ProxyUpstreamServer = { address: s.args[0].value, at: ref(s, s.args[0].start, s.args[0].end) };
    for (const arg of s.args.slice(1)) {
      const m = /^(max_fails|fail_timeout)=(.*)$/.exec(arg.value);
      if (!m) continue;
      const value = m[1] === "max_fails" ? (/^\d+$/.test(m[2]) ? Number(m[2]) : undefined) : nginxSeconds(m[2]);
      if (value === undefined) continue;
      const fact: Fact<number> = { value, origin: "stated", at: ref(s, arg.start, arg.end) };
      if (m[1] === "max_fails") server.maxFails = fact;
      else server.failTimeout = fact;
    }
    servers.push(server);
  }
  const keepalive = lastNamed(block, "keepalive");
  const idle = lastNamed(block, "keepalive_timeout");
  // Written as a template variable: set, to a value not known here (NaN), not nginx's default.
  const idleSeconds = idle?.args[0] ? (nginxSeconds(idle.args[0].value) ?? Number.NaN) : undefined;
  return {
    name: d.args[0]?.value ?? "",
    at: ref(d, d.start, headEnd(d)),
    servers,
    keepalive: keepalive ? intArg(keepalive) : undefined,
    keepaliveTimeout: idle?.args[0] && idleSeconds !== undefined ? { value: idleSeconds, origin: "stated", at: ref(idle, idle.args[0].start, idle.args[0].end) } : undefined,
  };
}

/** The host of `api-1:8000`, `http://api:8000/x`; undefined for unix sockets, IPs and variables. */
function hostOf(address: string): string | undefined {
  const bare = address.replace(/^[a-z]+:\/\//i, "");
  if (bare.startsWith("unix:") || bare.includes("$")) return undefined;
  const host = bare.split(/[/:]/)[0];
  if (!host || /^\d+(\.\d+){3}$/.test(host) || host.startsWith("[")) return undefined;
  return host;
}

/** `${NAME}` and `$NAME` replaced by the container's values (the nginx image runs envsubst on its templates); undefined when one is not set. */
function envsubst(text: string, env: Map<string, Fact<string>>): string | undefined {
  let missing = false;
  const out = text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const value = env.get((braced ?? bare) as string)?.value;
    if (value === undefined) missing = true;
    return value ?? "";
  });
  return missing ? undefined : out;
}

/** Compose deployments by service name, built once per audit (every nginx.conf looks its hosts up in it). */
function composeServicesByName(deployments: Deployment[]): Map<string, Deployment[]> {
  const services = new Map<string, Deployment[]>();
  for (const deployment of deployments) {
    const m = /^compose:(.*)#(.+)$/.exec(deployment.id);
    if (!m) continue;
    const named = services.get(m[2]);
    if (named) named.push(deployment);
    else services.set(m[2], [deployment]);
  }
  return services;
}

/**
 * Links the proxy's upstream servers and proxy_pass targets to the compose services they name. With
 * `env` (the environment of the nginx container that renders this envsubst template), only the
 * addresses written with variables are linked, after substituting them as envsubst does.
 */
function linkBackends(proxy: NginxProxy, services: Map<string, Deployment[]>, env?: Map<string, Fact<string>>): void {
  if (services.size === 0) return;
  const rootDir = posix.dirname(proxy.root);
  // The compose file closest to the nginx.conf: in its folder or a folder above it.
  const closeness = (deployment: Deployment): number => {
    const composeDir = posix.dirname(deployment.id.slice("compose:".length, deployment.id.lastIndexOf("#")));
    if (composeDir === "." || rootDir === composeDir || rootDir.startsWith(`${composeDir}/`)) return composeDir === "." ? 0 : composeDir.split("/").length;
    return -1;
  };
  const add = (written: string, at: SourceRef, upstream?: string) => {
    if (env && !written.includes("$")) return;
    const address = env ? envsubst(written, env) : written;
    const host = address === undefined ? undefined : hostOf(address);
    const candidates = host ? services.get(host) : undefined;
    if (!address || !host || !candidates) return;
    const best = candidates.map((d) => ({ d, c: closeness(d) })).sort((a, b) => b.c - a.c)[0];
    const deployment = best.c >= 0 || candidates.length === 1 ? best.d : undefined;
    if (!deployment) return;
    proxy.backends.push({ upstream, address, at, deployment: deployment.id, service: host, instances: deployment.instances });
  };
  for (const upstream of proxy.upstreams) for (const server of upstream.servers) add(server.address, server.at, upstream.name);
  for (const location of proxy.locations) if (location.proxyPass && !location.proxyPass.upstream) add(location.proxyPass.target, location.proxyPass.at);
}

/** Where nginx reads its main file in the official image, Debian's and Alpine's packages, and OpenResty's image. */
const NGINX_MAIN_FILES: ReadonlySet<string> = new Set(["/etc/nginx/nginx.conf", "/usr/local/openresty/nginx/conf/nginx.conf", "/usr/local/nginx/conf/nginx.conf"]);
/**
 * Folders whose files the stock nginx.conf includes (the official image: conf.d/*.conf; Alpine's package: http.d/*.conf;
 * Debian's: sites-enabled/*), and the official image's templates/, which its entrypoint renders into conf.d/.
 */
const NGINX_INCLUDED_FOLDERS: ReadonlyMap<string, RegExp> = new Map([
  ["/etc/nginx/conf.d", /\.conf$/],
  ["/etc/nginx/http.d", /\.conf$/],
  ["/etc/nginx/sites-enabled", /^[^.]/],
  ["/etc/nginx/templates", /\.conf\.template$/],
]);

/**
 * What nginx reads a file as when a Dockerfile's COPY or a compose bind mount puts it at `destination` in the container
 * (`sourceName`: the file's own name, which a destination folder keeps): its main file, a file its stock nginx.conf
 * includes, or neither (a snippet only some include names, mime.types, a path nginx does not read).
 */
export function nginxPlacement(destination: string, sourceName: string): "main" | "included" | undefined {
  return placementAt(containerPath(destination, sourceName));
}

/** Where a file copied or mounted to `destination` lands: a folder the image already has takes it by its own name, with or without a trailing slash. */
function containerPath(destination: string, sourceName: string): string {
  const trimmed = destination.replace(/\/+$/, "");
  return destination.endsWith("/") || nginxFolder(trimmed) ? `${trimmed}/${sourceName}` : trimmed;
}

/** A folder the nginx image has: /etc/nginx and the folders its stock nginx.conf includes. */
function nginxFolder(path: string): boolean {
  return NGINX_INCLUDED_FOLDERS.has(path) || path === "/etc/nginx";
}

function placementAt(path: string): "main" | "included" | undefined {
  if (NGINX_MAIN_FILES.has(path)) return "main";
  const slash = path.lastIndexOf("/");
  const names = NGINX_INCLUDED_FOLDERS.get(path.slice(0, slash));
  return names?.test(path.slice(slash + 1)) ? "included" : undefined;
}

/**
 * Reads the workspace's nginx configs (`nginxPaths`); parse and include problems go to `problems`.
 * Every nginx.conf is a root; then every other config outside the folders of those nginx.conf
 * files, and not included by them, is a root of its own (conf.d/default.conf, a sites-enabled
 * file, an envsubst template: the image's stock nginx.conf includes them).
 */
export function buildProxies(host: WorkspaceHost, nginxPaths: string[], problems: ParseProblem[], deployments: Deployment[], parses: ParseMemo = NO_MEMO, placedMains: ReadonlySet<string> = new Set()): NginxProxy[] {
  const proxies: NginxProxy[] = [];
  const nginxHost = { list: () => host.list(), read: (path: string) => host.read(path), parse: (text: string, path: string) => parses.get<NginxFile>(`nginx:${path}`, text, (previous) => (previous ? reparseNginx({ text: previous.input, parsed: previous.value }, text, path) : parseNginx(text, path))) };
  const services = composeServicesByName(deployments);
  const included = new Set<string>();
  // `placedMains`: files of other names that a Dockerfile or compose file puts where nginx reads its main file.
  const isMain = (p: string) => p.endsWith("nginx.conf") || placedMains.has(p);
  const mains = nginxPaths.filter(isMain);
  // A fragment in the folder of an nginx.conf (or below it) is that file's to include, whether it does or not.
  const mainDirs = new Set(mains.map((m) => posix.dirname(m)));
  // Each folder above `p` is looked up, not each nginx.conf's folder compared (a monorepo has thousands).
  const underMain = (p: string): boolean => {
    if (mainDirs.has(".")) return true;
    for (let slash = p.indexOf("/"); slash >= 0; slash = p.indexOf("/", slash + 1)) if (mainDirs.has(p.slice(0, slash))) return true;
    return false;
  };
  const roots = [...mains, ...nginxPaths.filter((p) => !isMain(p) && !underMain(p))];
  for (const root of roots) {
    if (included.has(root)) continue;
    const config = loadNginxConfig(root, nginxHost);
    for (const file of config.files.keys()) included.add(file);
    problems.push(...config.problems);
    const rootFile = config.files.get(config.root);
    if (!rootFile) continue;
    const top = config.directives;
    const firstOwn = rootFile.directives[0];
    const mainAt: SourceRef = { file: config.root, start: firstOwn?.start ?? 0, end: firstOwn?.start ?? 0 };
    const eventsDirective = top.find((d) => d.name === "events" && d.blockSpan);
    const http = top.filter((d) => d.name === "http" && d.block);
    const main = Boolean(eventsDirective) || http.length > 0;
    const events = eventsDirective?.blockSpan
      ? { at: ref(eventsDirective, eventsDirective.start, eventsDirective.blockSpan.start + 1), block: ref(eventsDirective, eventsDirective.blockSpan.start, eventsDirective.blockSpan.end) }
      : undefined;

    const processes = lastNamed(top, "worker_processes");
    const processesArg = processes?.args[0];
    const workerProcesses: Fact<number | "auto"> = processes
      ? {
          value: processesArg?.value === "auto" ? "auto" : processesArg && /^\d+$/.test(processesArg.value) ? Number(processesArg.value) : Number.NaN,
          origin: "stated",
          at: processesArg ? ref(processes, processesArg.start, processesArg.end) : ref(processes),
        }
      : { value: 1, origin: "default", by: "nginx", at: mainAt };
    const connections = eventsDirective?.block ? lastNamed(eventsDirective.block, "worker_connections") : undefined;
    const workerConnections: Fact<number> = connections ? intArg(connections) : { value: 512, origin: "default", by: "nginx", at: events?.at ?? mainAt };
    const rlimit = lastNamed(top, "worker_rlimit_nofile");

    // Blocks that hold upstreams, servers and locations: the http blocks of a main file, or the
    // top level of a fragment (which nginx would include inside http).
    const httpLevels = main ? http : [];
    const fragmentTop = main ? [] : top;
    const allHttp = [...httpLevels.flatMap((h) => h.block ?? []), ...fragmentTop];
    const upstreams = allHttp.filter((d) => d.name === "upstream" && d.block).map(readUpstream);
    const maps = readMaps(allHttp);
    const names = new Set(upstreams.map((u) => u.name));
    const locations: ProxyLocation[] = [];
    const ifBlocks: NginxIf[] = [];
    // Kept locations are shared with earlier audits: the map a Connection header names goes on a copy.
    const withMap = (location: ProxyLocation): ProxyLocation => {
      const map = location.connectionHeader && maps.get(location.connectionHeader.value.trim());
      return map ? { ...location, connectionMap: map } : location;
    };
    const scan = (level: NginxDirective[], inherited: Inherited) => {
      const merged = mergeLevel(level, inherited);
      for (const server of level) {
        if (server.name !== "server" || !server.block) continue;
        for (const location of serverLocations(server, merged, names)) locations.push(withMap(location));
        ifBlocks.push(...serverIfs(server));
      }
    };
    for (const h of httpLevels) scan(h.block ?? [], { headers: [] });
    if (!main) {
      scan(top, { headers: [] });
      // Locations at a fragment's top: it is included inside a server (RHEL's default.d/*.conf, a locations snippet).
      const fragmentLocations: ProxyLocation[] = [];
      collectLocations(top, mergeLevel(top, { headers: [] }), names, fragmentLocations);
      for (const location of fragmentLocations) locations.push(withMap(location));
      // A fragment's own `if` may be included into a server or a location: read as a location's, which allows more.
      collectIfs(top.filter((d) => d.name !== "server"), "location", ifBlocks);
    }

    const proxy: NginxProxy = {
      root: config.root,
      files: new Set(config.files.keys()),
      main,
      mainAt,
      events,
      workerProcesses,
      workerConnections,
      rlimitNofile: rlimit ? intArg(rlimit) : undefined,
      upstreams,
      locations,
      ifBlocks,
      backends: [],
    };
    linkBackends(proxy, services);
    proxies.push(proxy);
  }
  return proxies;
}

/** Where the official image's entrypoint looks for the templates it renders with envsubst. */
const TEMPLATE_PATH = /^\/etc\/nginx\/templates\/[^/]+\.template$/;

/**
 * Links each nginx.conf to the compose service whose `volumes:` bind-mount it: a source that
 * resolves (from the compose file's folder) to the file itself, or to its folder. A file mount
 * wins over a folder mount; among folder mounts, a service whose image names nginx.
 */
export function linkMountingServices(proxies: NginxProxy[], composeFiles: Map<string, ComposeFile>, deployments: Deployment[]): void {
  const mounts: Array<{ target: string; service: string; file: string; at: SourceRef; nginxImage: boolean; inContainer?: string }> = [];
  for (const [file, compose] of composeFiles) {
    for (const service of compose.services.values()) {
      for (const source of service.bindSources) {
        const target = posix.normalize(posix.join(posix.dirname(file), source.path)).replace(/\/$/, "");
        mounts.push({ target, service: service.name, file, at: source.at, nginxImage: /nginx/i.test(service.image?.value ?? ""), ...(source.target ? { inContainer: source.target } : {}) });
      }
    }
  }
  let services: Map<string, Deployment[]> | undefined;
  for (const proxy of proxies) {
    const rank = (m: (typeof mounts)[number]) => (m.target === proxy.root ? 2 : m.target === posix.dirname(proxy.root) && m.nginxImage ? 1 : 0);
    const best = mounts.filter((m) => rank(m) > 0).sort((a, b) => rank(b) - rank(a))[0];
    const deployment = best && deployments.find((d) => d.id.startsWith("compose:") && d.id.endsWith(`#${best.service}`) && d.files.has(best.file));
    if (!deployment) continue;
    const cpus = deployment.cpus && { ...deployment.cpus, via: [...(deployment.cpus.via ?? []), { at: best.at, note: `service ${best.service} mounts ${proxy.root}` }] };
    proxy.service = { deployment: deployment.id, placedBy: "mount", placedAt: best.at, ...(cpus ? { cpus } : {}), ...(deployment.nofileSoftLimit ? { nofileSoftLimit: deployment.nofileSoftLimit } : {}) };
    // The nginx image renders /etc/nginx/templates/*.template with envsubst over the container's environment:
    // `server ${API_HOST}:${API_PORT};` names the service that environment sets. A file of another name mounted there
    // (`./proxy.tmpl:/etc/nginx/templates/default.conf.template`) is rendered too.
    if (proxy.root.endsWith(".template") || (best.target === proxy.root && best.inContainer !== undefined && TEMPLATE_PATH.test(best.inContainer))) {
      linkBackends(proxy, (services ??= composeServicesByName(deployments)), deployment.env);
    }
  }
}

/** A COPY/ADD line of the stage a service builds, with the stage's WORKDIR ("/" when it sets none). */
export interface ImageCopy extends CopyLine {
  workdir: string;
  /** The instruction, in the Dockerfile. */
  at: SourceRef;
}

/**
 * Links each nginx config no compose service mounts to the compose service that builds the image whose Dockerfile
 * copies it where nginx reads it (`COPY nginx.conf /etc/nginx/nginx.conf`, `COPY site.conf /etc/nginx/conf.d/`, or a
 * folder that holds it: `COPY . /etc/nginx/`), in the stage the service builds, from its build context. A service that
 * mounts something over that path runs the mounted file, not the copied one, and is not linked.
 * `copiesOf` gives a deployment's copies, read only when some config is not linked yet. Returns the configs no container
 * reads: copied only into images whose services bind-mount another file over them (`COPY nginx.conf
 * /etc/nginx/nginx.conf` with `./nginx/prod.conf:/etc/nginx/nginx.conf` in compose), and run nowhere else.
 */
export function linkBuildingServices(proxies: NginxProxy[], deployments: Deployment[], copiesOf: (deployment: Deployment) => ImageCopy[]): Set<NginxProxy> {
  const hidden = new Set<NginxProxy>();
  // Each unlinked config under its own path and every folder above it, so that a COPY source finds the configs it
  // holds without a pass over every proxy (1,000 deployments x 1,000 configs in a monorepo).
  const under = new Map<string, NginxProxy[]>();
  const register = (path: string, proxy: NginxProxy) => {
    const list = under.get(path);
    if (list) list.push(proxy);
    else under.set(path, [proxy]);
  };
  for (const proxy of proxies) {
    if (proxy.service) continue;
    register(".", proxy);
    for (let path = proxy.root; path !== "" && path !== "."; path = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "") register(path, proxy);
  }
  if (under.size === 0) return hidden;
  for (const deployment of deployments) {
    const build = deployment.imageBuild;
    if (!build) continue;
    for (const copy of copiesOf(deployment)) {
      let target: CopyTarget | undefined;
      for (const written of copy.sources) {
        const source = contextSource(written);
        if (source === undefined) continue;
        const from = posix.join(build.context, source).replace(/\/+$/, "");
        for (const proxy of under.get(from) ?? []) {
          if (proxy.service) continue;
          const inImage = copiedPath(from === "." ? "" : from, proxy.root, (target ??= copyTarget(copy, copy.workdir, nginxFolder)));
          if (inImage === undefined || !placementAt(inImage)) continue;
          if (mountedAt([], build.mountTargets, inImage) !== undefined) {
            if (hiddenByBind(build, inImage)) hidden.add(proxy);
            continue;
          }
          const cpus = deployment.cpus && { ...deployment.cpus, via: [...(deployment.cpus.via ?? []), { at: copy.at, note: `${build.dockerfile} copies ${proxy.root} to ${inImage}` }] };
          proxy.service = { deployment: deployment.id, placedBy: "copy", placedAt: copy.at, ...(cpus ? { cpus } : {}), ...(deployment.nofileSoftLimit ? { nofileSoftLimit: deployment.nofileSoftLimit } : {}) };
        }
      }
    }
  }
  // Another container that runs the copy (or mounts the file itself) reads it.
  for (const proxy of hidden) if (proxy.service) hidden.delete(proxy);
  return hidden;
}

/** Whether the deepest mount over `inImage` is a bind mount, which hides the image's file (a named volume starts as a copy of it). */
function hiddenByBind(build: NonNullable<Deployment["imageBuild"]>, inImage: string): boolean {
  const volumes = build.mountTargets.filter((target) => !build.bindTargets.includes(target));
  return typeof mountedAt(build.bindTargets.map((target) => ({ source: target, target })), volumes, inImage) === "object";
}

/**
 * Links the upstream servers and proxy_pass targets of the nginx configs no container runs to the systemd unit whose
 * server binds exactly that address, as a compose service is linked by its name: `server unix:/run/gunicorn.sock;` to
 * `gunicorn --bind unix:/run/gunicorn.sock`, `127.0.0.1:8000` to `--bind 127.0.0.1:8000` (or 0.0.0.0:8000, which
 * accepts it). Only addresses the unit states (the command line, GUNICORN_CMD_ARGS, gunicorn.conf.py's or puma.rb's
 * literal `bind`, uvicorn's `--uds` or `--port`); an address two units bind links neither.
 */
export function linkUnitBackends(proxies: NginxProxy[], deployments: Deployment[]): void {
  let units: Map<string, Deployment | undefined> | undefined;
  for (const proxy of proxies) {
    // In a container, 127.0.0.1 is the container itself and a socket path is inside it.
    if (proxy.service) continue;
    units ??= unitsByAddress(deployments);
    if (units.size === 0) return;
    const add = (written: string, at: SourceRef, upstream?: string) => {
      const key = nginxAddressKey(written, upstream !== undefined);
      if (!key) return;
      const loopback = /^127\.0\.0\.1:(\d+)$/.exec(key);
      const found = units?.has(key) ? units.get(key) : loopback ? units?.get(`0.0.0.0:${loopback[1]}`) : undefined;
      if (!found) return;
      proxy.backends.push({ upstream, address: written, at, deployment: found.id, service: found.id.slice(found.id.lastIndexOf("/") + 1), instances: found.instances });
    };
    for (const upstream of proxy.upstreams) for (const server of upstream.servers) add(server.address, server.at, upstream.name);
    for (const location of proxy.locations) if (location.proxyPass && !location.proxyPass.upstream) add(location.proxyPass.target, location.proxyPass.at);
  }
}

/** The addresses systemd units' servers bind, canonical (nginxAddressKey's form); undefined for one two units bind. */
function unitsByAddress(deployments: Deployment[]): Map<string, Deployment | undefined> {
  const units = new Map<string, Deployment | undefined>();
  for (const deployment of deployments) {
    if (!deployment.id.startsWith("systemd:")) continue;
    for (const process of deployment.processes) {
      for (const bound of statedBinds(deployment, process)) {
        const key = bindKey(bound);
        if (!key) continue;
        units.set(key, units.has(key) && units.get(key) !== deployment ? undefined : deployment);
      }
    }
  }
  return units;
}

/** What a server's own settings say it binds, as written: nothing for a default or a value not known from the files. */
function statedBinds(deployment: Deployment, process: ServerProcess): string[] {
  const inv = process.invocation;
  const values = (options: ServerOption[]) => {
    const written: string[] = [];
    for (const option of options) if (option.value) written.push(option.value.value);
    return written;
  };
  switch (inv.server) {
    case "gunicorn":
    case "hypercorn":
    case "puma": {
      const written = values(optionValues(inv, "bind"));
      if (written.length > 0) return written;
      const fromEnv = process.envArgs ? values(optionValues(process.envArgs, "bind")) : [];
      if (fromEnv.length > 0) return fromEnv;
      const setting = inv.server === "hypercorn" ? undefined : process.config?.settings.get("bind");
      if (!setting || setting.conditional) return [];
      const binds: string[] = [];
      for (const item of setting.items ?? [setting]) if (item.kind === "string" && typeof item.value === "string") binds.push(item.value);
      return binds;
    }
    case "uvicorn": {
      const socket = optionValue(inv, "uds")?.value?.value;
      if (socket) return [`unix:${socket}`];
      const port = optionValue(inv, "port")?.value?.value ?? deployment.env.get("UVICORN_PORT")?.value;
      // uvicorn binds 127.0.0.1 unless told otherwise; a port it is given says where.
      const host = optionValue(inv, "host")?.value?.value ?? deployment.env.get("UVICORN_HOST")?.value ?? "127.0.0.1";
      return port ? [`${host}:${port}`] : [];
    }
    default:
      return [];
  }
}

/**
 * A bind as gunicorn, hypercorn and Puma write it, canonical: `unix:/abs/path` (`unix:PATH`, `unix://PATH`), or
 * `host:port` (`tcp://` dropped). Undefined for a relative socket path (relative to a working directory), a variable,
 * file descriptors, TLS binds and a bind without a port.
 */
function bindKey(bind: string): string | undefined {
  if (bind.includes("$")) return undefined;
  const unix = /^unix:(?:\/\/)?([^?]*)/.exec(bind);
  if (unix) return unix[1].startsWith("/") ? `unix:${posix.normalize(unix[1])}` : undefined;
  const tcp = /^(?:tcp:\/\/)?([^/?]+)$/.exec(bind);
  const parts = tcp && /^(\[[^\]]+\]|[^:[\]]+):(\d+)$/.exec(tcp[1]);
  return parts ? `${parts[1].toLowerCase()}:${Number(parts[2])}` : undefined;
}

/**
 * An nginx address (an upstream server's, or a proxy_pass URL's host part) in bindKey's form: `unix:/run/app.sock`
 * (`http://unix:/run/app.sock:/uri`), or `host:port`, port 80 when none is written (an upstream server's default;
 * proxy_pass's for http). Undefined for variables and relative socket paths.
 */
function nginxAddressKey(written: string, upstreamServer: boolean): string | undefined {
  if (written.includes("$")) return undefined;
  const scheme = /^([a-z]+):\/\//i.exec(written);
  const rest = scheme ? written.slice(scheme[0].length) : written;
  if (rest.startsWith("unix:")) {
    const path = rest.slice("unix:".length).split(":")[0];
    return path.startsWith("/") ? `unix:${posix.normalize(path)}` : undefined;
  }
  if (!upstreamServer && scheme?.[1].toLowerCase() !== "http") return undefined;
  const hostPort = rest.split("/")[0];
  const parts = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(hostPort);
  return parts ? `${parts[1].toLowerCase()}:${parts[2] === undefined ? 80 : Number(parts[2])}` : undefined;
}
