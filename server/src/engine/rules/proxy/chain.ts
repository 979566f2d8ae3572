// The request chain in front of an app server, for the timeout and keep-alive rules: which
// proxies send requests to a deployment (the nginx locations whose proxy_pass reaches it, or App
// Runner itself) and how long each waits, and the app server's own worker timeout and
// keep-alive, each with where it is written (or, for a default, where it would be written).
import type { NginxProxy, ProxyLocation, ProxyUpstream } from "../../model/nginx.ts";
import type { Deployment, DeploymentModel, ServerProcess } from "../../model/types.ts";
import { isFastapiRun, optionValue } from "../../parse/servers.ts";
import { settingNumber } from "../../parse/setting-expr.ts";
import { uwsgiNumber } from "../../model/uwsgi.ts";
import type { Fact, Fix, SourceRef } from "../../types.ts";
import { effectiveWorkerClass, gunicornSetting, type WorkerKind, workerKind } from "../gunicorn/settings.ts";
import { insertAfterEdit } from "../server/edits.ts";
import { addRunKeyword, runKeyword, settingName } from "../server/run-call.ts";

type Text = (file: string) => string | undefined;

/** nginx's proxy_read_timeout (and uwsgi_read_timeout) when nothing sets it (SOURCES.nginxProxyTimeouts, SOURCES.nginxUwsgiReadTimeout). */
export const NGINX_READ_TIMEOUT = 60;
/** How long nginx keeps an idle cached upstream connection (SOURCES.nginxUpstreamKeepaliveTimeout). */
export const NGINX_UPSTREAM_KEEPALIVE_TIMEOUT = 60;
/** App Runner ends every HTTP request after 120 s (SOURCES.appRunnerRequestTimeout). */
export const APP_RUNNER_REQUEST_TIMEOUT = 120;
/** gunicorn's --timeout and --keep-alive defaults (SOURCES.gunicornTimeout, SOURCES.gunicornKeepalive). */
export const GUNICORN_TIMEOUT = 30;
export const GUNICORN_KEEPALIVE = 2;
/** Unicorn's `timeout` default (SOURCES.unicornTimeout). */
export const UNICORN_TIMEOUT = 60;
/** uvicorn's --timeout-keep-alive and hypercorn's --keep-alive defaults (SOURCES.uvicornTimeoutKeepAlive, SOURCES.hypercornKeepAlive). */
export const UVICORN_KEEPALIVE = 5;
export const HYPERCORN_KEEPALIVE = 5;

export interface NginxFront {
  kind: "nginx";
  proxy: NginxProxy;
  location: ProxyLocation;
  upstream?: ProxyUpstream;
  /** proxy_read_timeout (uwsgi_read_timeout for uwsgi_pass) in effect for the location (seconds). */
  readTimeout: Fact<number>;
  /** The directive that sets readTimeout for this location's pass. */
  timeoutDirective: "proxy_read_timeout" | "uwsgi_read_timeout";
}

export interface AppRunnerFront {
  kind: "apprunner";
  /** App Runner's fixed request timeout; `at` is the service file. */
  readTimeout: Fact<number>;
}

export type Front = NginxFront | AppRunnerFront;

const sameRef = (a: SourceRef, b: SourceRef) => a.file === b.file && a.start === b.start && a.end === b.end;

/** Each proxy's backends by the deployment they reach, in proxy order: built once per model, as every deployment asks. */
const backendsByDeployment = new WeakMap<DeploymentModel, Map<string, Array<{ proxy: NginxProxy; backends: NginxProxy["backends"] }>>>();

function proxiesReaching(model: DeploymentModel, deployment: Deployment): Array<{ proxy: NginxProxy; backends: NginxProxy["backends"] }> {
  let index = backendsByDeployment.get(model);
  if (!index) {
    index = new Map();
    for (const proxy of model.proxies ?? []) {
      const own = new Map<string, NginxProxy["backends"]>();
      for (const backend of proxy.backends) {
        const backends = own.get(backend.deployment);
        if (backends) backends.push(backend);
        else own.set(backend.deployment, [backend]);
      }
      for (const [id, backends] of own) {
        const reaching = index.get(id);
        if (reaching) reaching.push({ proxy, backends });
        else index.set(id, [{ proxy, backends }]);
      }
    }
    backendsByDeployment.set(model, index);
  }
  return index.get(deployment.id) ?? [];
}

/** The proxies that send requests to a deployment. */
export function frontsOf(model: DeploymentModel, deployment: Deployment): Front[] {
  const fronts: Front[] = [];
  for (const { proxy, backends } of proxiesReaching(model, deployment)) {
    for (const location of proxy.locations) {
      const pass = location.proxyPass;
      if (!pass || !backends.some((b) => (b.upstream ? b.upstream === pass.upstream : sameRef(b.at, pass.at)))) continue;
      fronts.push({
        kind: "nginx",
        proxy,
        location,
        upstream: pass.upstream ? proxy.upstreams.find((u) => u.name === pass.upstream) : undefined,
        readTimeout: location.readTimeout ?? { value: NGINX_READ_TIMEOUT, origin: "default", by: "nginx", at: location.at },
        timeoutDirective: pass.module === "uwsgi" ? "uwsgi_read_timeout" : "proxy_read_timeout",
      });
    }
  }
  if (deployment.id.startsWith("apprunner:")) {
    const file = deployment.id.slice("apprunner:".length);
    fronts.push({ kind: "apprunner", readTimeout: { value: APP_RUNNER_REQUEST_TIMEOUT, origin: "default", by: "AWS App Runner", at: { file, start: 0, end: 0 } } });
  }
  return fronts;
}

/** "nginx location / (nginx/nginx.conf)" or "App Runner". */
export function describeFront(front: Front): string {
  if (front.kind === "apprunner") return "App Runner";
  const text = front.location.at;
  return `nginx (${text.file})`;
}

/** Where a setting missing from the command line would be added: the program word, as the model does for workers. */
export function programRef(process: ServerProcess): SourceRef {
  const program = process.invocation.program;
  const at = program.fact.at;
  if (!at || at.file !== process.commandAt.file) return process.commandAt;
  return { file: at.file, start: program.start, end: program.end };
}

/** A gunicorn setting in seconds: command line, GUNICORN_CMD_ARGS, config file, else gunicorn's default. Undefined if unknowable. */
export function gunicornSeconds(deployment: Deployment, process: ServerProcess, name: string, fallback: number): Fact<number> | undefined {
  const setting = gunicornSetting(process, name, deployment.env);
  if (setting.from === "unknown") return undefined;
  if (setting.from === "default") return { value: fallback, origin: "default", by: "gunicorn", at: programRef(process) };
  const value = Number(setting.value);
  if (!Number.isFinite(value)) return undefined;
  // The image's own gunicorn_conf.py default (no variable set): the image's choice, not the deployment's.
  const image = process.image;
  if (image?.builtInConfig && setting.at && setting.at.file === image.at.file && setting.at.start === image.at.start && setting.at.end === image.at.end) {
    return { value, origin: "default", by: `${image.name}'s gunicorn_conf.py`, at: image.at };
  }
  return { value, origin: "stated", at: setting.at };
}

/** The gunicorn worker type that runs: sync with threads > 1 is gthread (SOURCES.gunicornThreads). */
export function gunicornWorkerKind(deployment: Deployment, process: ServerProcess): WorkerKind | undefined {
  const workerClass = effectiveWorkerClass(process);
  if (!workerClass) return undefined;
  const kind = workerKind(workerClass.value);
  if (kind !== "sync") return kind;
  const threads = gunicornSetting(process, "threads", deployment.env);
  if (threads.from === "unknown") return undefined;
  return threads.from !== "default" && Number(threads.value) > 1 ? "gthread" : "sync";
}

/** How long the app server lets a request run, for the proxy timeout rule. */
export interface WorkerTimeout {
  value: Fact<number>;
  /** What the timeout does to a slow request, for the message. */
  what: string;
  /** The related line's text where the timeout is set (or would be). */
  note: string;
  /** The setting's name in a fix title: "--timeout", "timeout". */
  setting: string;
  /** True when the timeout ends a slow request (a sync worker); false when it only says how long requests may run. */
  boundsRequests: boolean;
}

/**
 * The app server's worker timeout: gunicorn's `--timeout` (it bounds a request only for sync workers; for the others
 * only a stated value counts, as the request length the deployment expects) and Unicorn's `timeout` (its master
 * SIGKILLs a worker whose request runs longer). Undefined when the server has none, 0 disables it, or it is unknown.
 */
export function workerTimeout(deployment: Deployment, process: ServerProcess): WorkerTimeout | undefined {
  if (process.invocation.server === "uwsgi") {
    const harakiri = uwsgiHarakiri(deployment, process);
    return (
      harakiri && {
        value: harakiri,
        what: `uWSGI lets a worker work on one request for up to ${seconds(harakiri.value)} before its master kills it (harakiri ${harakiri.value})`,
        note: `uwsgi harakiri ${harakiri.value}`,
        setting: "harakiri",
        boundsRequests: true,
      }
    );
  }
  if (process.invocation.server === "unicorn") {
    const timeout = unicornTimeout(deployment, process);
    if (!timeout) return undefined;
    const stated = timeout.origin === "stated";
    return {
      value: timeout,
      what: `unicorn lets a worker work on one request for up to ${seconds(timeout.value)} before its master kills it (timeout ${timeout.value}${stated ? "" : ", its default"})`,
      note: stated ? `unicorn timeout ${timeout.value}` : `unicorn started here without a timeout in its config: ${UNICORN_TIMEOUT} s`,
      setting: "timeout",
      boundsRequests: true,
    };
  }
  if (process.invocation.server !== "gunicorn") return undefined;
  const kind = gunicornWorkerKind(deployment, process);
  const timeout = gunicornSeconds(deployment, process, "timeout", GUNICORN_TIMEOUT);
  // 0 disables the timeout; for async workers only a stated value says how long requests may run.
  if (!kind || !timeout || timeout.value <= 0 || (kind !== "sync" && timeout.origin !== "stated")) return undefined;
  return {
    value: timeout,
    what:
      kind === "sync"
        ? `gunicorn lets a sync worker work on one request for up to ${seconds(timeout.value)} (--timeout ${timeout.value}${timeout.origin === "default" ? ", its default" : ""})`
        : `gunicorn's --timeout ${timeout.value} says requests may run ${seconds(timeout.value)} (for ${kind} workers it only kills a worker that stops answering, not a slow request)`,
    note: timeout.origin === "stated" ? `gunicorn --timeout ${timeout.value}` : "gunicorn started here without --timeout: 30 s",
    setting: "--timeout",
    boundsRequests: kind === "sync",
  };
}

/** Unicorn's `timeout` from its config file (`-c`), else its default; undefined when the file sets it in a way not read. */
function unicornTimeout(deployment: Deployment, process: ServerProcess): Fact<number> | undefined {
  const named = optionValue(process.invocation, "config_file");
  // `-c` names a file the workspace does not hold (or not as a Unicorn config): its timeout is unknown.
  if (named && !process.config) return undefined;
  const setting = process.config?.settings.get("timeout");
  if (!setting) return { value: UNICORN_TIMEOUT, origin: "default", by: "unicorn", at: programRef(process) };
  if (setting.conditional || !process.config) return undefined;
  const value = settingNumber(setting, process.config.path, (name) => deployment.env.get(name));
  return value && value.value > 0 ? value : undefined;
}

/**
 * uWSGI's `harakiri`: `--harakiri`, else the ini file's, else UWSGI_HARAKIRI. Only a stated one: uWSGI's default is 0,
 * no limit at all (SOURCES.uwsgiHarakiri). Undefined when unset, 0, or written in a way not read.
 */
function uwsgiHarakiri(deployment: Deployment, process: ServerProcess): Fact<number> | undefined {
  const value = uwsgiNumber(process.invocation, process.config, (name) => process.exported?.get(name) ?? deployment.env.get(name), "harakiri");
  return value?.at && value.value > 0 ? { ...value, origin: "stated" } : undefined;
}

export interface AppKeepAlive {
  /** Seconds the server keeps an idle keep-alive connection open. */
  value: Fact<number>;
  /** The command-line flag that sets it (for a fix that adds it), when the server has one. */
  flag?: string;
  /** How to name the setting in a message. */
  name: string;
}

/**
 * How long the app server keeps an idle connection open, or "closes" when it closes every
 * connection after the response (gunicorn's sync worker), or undefined when unknown.
 */
export function appKeepAlive(deployment: Deployment, process: ServerProcess): AppKeepAlive | "closes" | undefined {
  const invocation = process.invocation;
  switch (invocation.server) {
    case "gunicorn": {
      const kind = gunicornWorkerKind(deployment, process);
      if (kind === undefined) return undefined;
      if (kind === "sync") return "closes";
      const value = gunicornSeconds(deployment, process, "keepalive", GUNICORN_KEEPALIVE);
      // The image's gunicorn_conf.py reads KEEP_ALIVE: the variable is what sets it there.
      if (value && process.image?.builtInConfig) return { value, name: value.origin === "default" ? `KEEP_ALIVE (read by ${process.image.name}'s gunicorn_conf.py)` : "KEEP_ALIVE" };
      return value && { value, flag: "--keep-alive", name: "gunicorn keepalive" };
    }
    case "uvicorn":
    case "hypercorn": {
      const name = invocation.server === "uvicorn" ? "timeout_keep_alive" : "keep_alive_timeout";
      const flag = invocation.server === "uvicorn" ? "--timeout-keep-alive" : "--keep-alive";
      const option = optionValue(invocation, name);
      if (option) {
        const value = Number(option.value?.value);
        if (!option.value || !Number.isFinite(value)) return undefined;
        return { value: { value, origin: "stated", at: option.value.fact.at }, flag, name: settingName(invocation, flag) };
      }
      // hypercorn's config file (TOML or Python) can set it too: read when the model found the file.
      if (invocation.server === "hypercorn" && optionValue(invocation, "config")) {
        const setting = process.config?.settings.get(name);
        if (!process.config || setting?.conditional) return undefined;
        if (setting) {
          if (setting.kind !== "number" || typeof setting.value !== "number") return undefined;
          return { value: { value: setting.value, origin: "stated", at: { file: process.config.path, ...setting.span } }, flag, name: `hypercorn ${name}` };
        }
      }
      const fallback = invocation.server === "uvicorn" ? UVICORN_KEEPALIVE : HYPERCORN_KEEPALIVE;
      const value: Fact<number> = { value: fallback, origin: "default", by: invocation.server, at: programRef(process) };
      // `fastapi run` passes uvicorn.run() no keep-alive setting and has no option for one: no flag to add.
      if (isFastapiRun(invocation)) return { value, name: "uvicorn's --timeout-keep-alive (`fastapi run` has no option for it: run uvicorn itself to set it)" };
      return { value, flag, name: settingName(invocation, flag) };
    }
    case "puma": {
      // Puma's default changed (65 s since Puma 7): only a stated persistent_timeout is compared.
      const setting = process.config?.settings.get("persistent_timeout");
      if (!process.config || setting?.kind !== "number" || typeof setting.value !== "number" || setting.conditional) return undefined;
      return { value: { value: setting.value, origin: "stated", at: { file: process.config.path, ...setting.span } }, name: "puma persistent_timeout" };
    }
    default:
      return undefined;
  }
}

/** Replace a stated number where it is written as is; undefined when the text there is not that number. */
export function replaceNumber(fact: Fact<number>, value: number, title: string, text: Text): Fix | undefined {
  if (fact.origin !== "stated" || !fact.at) return undefined;
  const written = text(fact.at.file)?.slice(fact.at.start, fact.at.end);
  if (written === undefined || Number(written.replace(/^["']|["']$/g, "")) !== fact.value || !/^["']?\d+["']?$/.test(written)) return undefined;
  const quote = /^["']/.test(written) ? written[0] : "";
  return { title, safe: true, edits: [{ ...fact.at, newText: `${quote}${value}${quote}` }] };
}

/** Add `flag value` right after the server's program word (a default made explicit); in a uvicorn.run() call, the flag's keyword argument. */
export function addOption(process: ServerProcess, flag: string, value: number, title: string, text: Text): Fix | undefined {
  const invocation = process.invocation;
  const edit = invocation.call ? addRunKeyword(invocation, runKeyword(flag), String(value), text) : insertAfterEdit(invocation.program, [flag, String(value)], text);
  return edit && { title, safe: true, edits: [edit] };
}

/** Set a number the server reads: replace it where it is stated, else add the flag. */
export function setSeconds(process: ServerProcess, fact: Fact<number>, flag: string | undefined, value: number, title: string, text: Text): Fix | undefined {
  if (fact.origin === "stated") return replaceNumber(fact, value, title, text);
  return flag ? addOption(process, flag, value, title, text) : undefined;
}

export function seconds(n: number): string {
  return `${Number(n.toFixed(3))} s`;
}
