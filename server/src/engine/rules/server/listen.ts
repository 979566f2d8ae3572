// Where a server listens: its host and port as the command line (or the server's own env vars)
// state them, or the server's documented default. Read-only; rules decide what is wrong with it.
import type { Deployment, ServerProcess } from "../../model/types.ts";
import { type CommandWord, isFastapiRun, optionValue, optionValues, type ServerInvocation, type ServerOption } from "../../parse/servers.ts";
import { factForSlice, type ShellWord } from "../../parse/shell.ts";
import type { SourceRef } from "../../types.ts";
import { gunicornSetting } from "../gunicorn/settings.ts";
import { IMAGE_CONF } from "../../model/tiangolo.ts";

type Text = (file: string) => string | undefined;

export interface ListenPart<T> {
  value: T;
  origin: "stated" | "default";
  /** Where the value is written, when it is written exactly as `value` (so an edit may replace it). */
  at?: SourceRef;
  /** Where it came from, for messages: `--bind 0.0.0.0:9000`, `UVICORN_PORT=9000`, "uvicorn's default 127.0.0.1:8000". */
  from: string;
}

export interface Listen {
  host: ListenPart<string>;
  /** Undefined when the command names a port the workspace does not give (`--port $PORT` on a platform that sets PORT). */
  port?: ListenPart<number>;
  /** The word after which a missing option can be inserted (the program), for fixes. */
  program: CommandWord;
}

/** Documented defaults: uvicorn, hypercorn, daphne, granian and gunicorn (without $PORT) bind 127.0.0.1:8000. */
const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 8000;
/** `fastapi run` listens on every address unless --host says otherwise (`fastapi dev` on 127.0.0.1). */
const FASTAPI_RUN_HOST = "0.0.0.0";

/** Hosts that only the container itself can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The address a server process listens on, or undefined when Headroom cannot tell (a unix
 * socket, an inherited file descriptor, a bind set in a config file or computed at run time).
 */
export function listenAddress(deployment: Deployment, process: ServerProcess, text: Text): Listen | undefined {
  const inv = process.invocation;
  const program = inv.program;
  const env = (name: string) => deployment.env.get(name);
  switch (inv.server) {
    case "gunicorn": {
      // gunicorn's order: the command line, then GUNICORN_CMD_ARGS, then the config file.
      const binds = optionValues(inv, "bind");
      if (binds.length > 0) return fromBinds(binds.map((b) => b.value), program, text);
      const envBinds = process.envArgs ? optionValues(process.envArgs, "bind") : [];
      if (envBinds.length > 0) return fromBinds(envBinds.map((b) => b.value), program, text);
      if (process.image?.builtInConfig) return imageBind(process.image.name, deployment, program, text);
      const setting = gunicornSetting(process, "bind");
      if (setting.from !== "default") return undefined;
      // gunicorn: "If the PORT environment variable is defined, the default is ['0.0.0.0:$PORT']."
      const port = env("PORT");
      // A platform that sets PORT at start (Heroku) makes gunicorn bind 0.0.0.0 on a port the workspace does not hold.
      if (!port && deployment.portSetBy) return undefined;
      if (port) return Number.isFinite(Number(port.value)) ? { host: { value: "0.0.0.0", origin: "default", from: "gunicorn's default with PORT set" }, port: { value: Number(port.value), origin: "stated", at: exact(port.at, port.value, text), from: `PORT=${port.value}` }, program } : undefined;
      return defaults(program, "gunicorn");
    }
    case "hypercorn": {
      const binds = optionValues(inv, "bind");
      if (binds.length > 0) return fromBinds(binds.map((b) => b.value), program, text);
      return optionValue(inv, "config") ? undefined : defaults(program, "hypercorn");
    }
    case "uvicorn":
    case "granian":
    case "daphne": {
      const socketOptions = { uvicorn: ["uds", "fd"], granian: ["uds"], daphne: ["unix_socket", "file_descriptor", "socket_strings"] }[inv.server];
      if (socketOptions.some((name) => optionValue(inv, name))) return undefined;
      const hostOption = optionValue(inv, inv.server === "granian" ? "address" : "host");
      const portOption = optionValue(inv, "port");
      const fastapi = isFastapiRun(inv);
      const prefix = inv.server === "daphne" || inv.call || fastapi ? undefined : inv.server.toUpperCase();
      const fallback = fastapi ? defaults(program, "fastapi run", FASTAPI_RUN_HOST) : defaults(program, inv.server);
      const portPart = portOption ? (portOption.value ? stated({ ...portOption, value: portOption.value }, text, inv) : undefined) : fromEnv(prefix && env(`${prefix}_PORT`), `${prefix}_PORT`, text) ?? fallback.port;
      // With the port set, only the host is the default: "uvicorn's default 127.0.0.1:8000" beside port 10000 read as a contradiction.
      const defaultHost = portPart === fallback.port ? fallback.host : { ...fallback.host, from: `${fastapi ? "fastapi run" : inv.server}'s default host ${fallback.host.value}, as nothing sets the host` };
      const host = hostOption ? (hostOption.value ? stated({ ...hostOption, value: hostOption.value }, text, inv) : undefined) : fromEnv(prefix && env(`${prefix}_HOST`), `${prefix}_HOST`, text) ?? defaultHost;
      const port = portPart && toPort(portPart);
      if (host && port) return { host, port, program };
      // `--port $PORT` with PORT set only by the platform at start: the port is unknown, the host is still the one it binds.
      return host && portOption?.value && !port ? { host, program } : undefined;
    }
    default:
      return undefined;
  }
}

/** tiangolo/uvicorn-gunicorn's gunicorn_conf.py: BIND, else HOST:PORT, each 0.0.0.0 and 80 by default (SOURCES.tiangoloGunicornConf). */
function imageBind(image: string, deployment: Deployment, program: CommandWord, text: Text): Listen | undefined {
  const bind = deployment.env.get("BIND");
  if (bind?.value) {
    const parts = splitHostPort(bind.value);
    if (!parts || parts.port === undefined) return undefined;
    const at = exact(bind.at, bind.value, text);
    const from = `BIND=${bind.value}`;
    const slice = (offset: number, length: number): SourceRef | undefined => at && { file: at.file, start: at.start + offset, end: at.start + offset + length };
    return { host: { value: parts.host, origin: "stated", at: slice(parts.hostOffset, parts.host.length), from }, port: { value: parts.port, origin: "stated", at: slice(parts.portOffset, String(parts.port).length), from }, program };
  }
  const from = `${image}'s default ${IMAGE_CONF.host}:${IMAGE_CONF.port}, as its gunicorn_conf.py binds HOST:PORT`;
  const host = fromEnv(deployment.env.get("HOST"), "HOST", text) ?? { value: IMAGE_CONF.host, origin: "default", from };
  const port = toPort(fromEnv(deployment.env.get("PORT"), "PORT", text) ?? { value: IMAGE_CONF.port, origin: "default", from });
  return port && { host, port, program };
}

function defaults(program: CommandWord, server: string, host = DEFAULT_HOST): Listen {
  const from = `${server}'s default ${host}:${DEFAULT_PORT}, as nothing sets the address`;
  return { host: { value: host, origin: "default", from }, port: { value: DEFAULT_PORT, origin: "default", from }, program };
}

/** The first bind that is not a unix socket or file descriptor; `HOST`, `HOST:PORT`, `[V6]:PORT`. */
function fromBinds(values: Array<CommandWord | undefined>, program: CommandWord, text: Text): Listen | undefined {
  const tcp = values.filter((v): v is CommandWord => v !== undefined && !/^(unix:|fd:\/\/)/.test(v.value));
  if (tcp.length === 0) return undefined;
  // Several binds: one reachable address is enough, so prefer a non-loopback one.
  const word = tcp.find((w) => !isLoopback(splitHostPort(w.value)?.host ?? "")) ?? tcp[0];
  const parts = splitHostPort(word.value);
  if (!parts) return undefined;
  const flag = `--bind ${word.value}`;
  const slice = (from: number, length: number) => exact(sliceFact(word, from, from + length).at, word.value.slice(from, from + length), text);
  return {
    host: { value: parts.host, origin: "stated", at: parts.host ? slice(parts.hostOffset, parts.host.length) : undefined, from: flag },
    port: parts.port === undefined ? { value: DEFAULT_PORT, origin: "default", from: `${flag}, no port: the default ${DEFAULT_PORT}` } : { value: parts.port, origin: "stated", at: slice(parts.portOffset, String(parts.port).length), from: flag },
    program,
  };
}

/** The origin of part of a word's value: through variables for a shell word, by offset for a literal list item. */
function sliceFact(word: CommandWord, from: number, to: number): { at?: SourceRef } {
  if ("pieces" in word) return factForSlice(word as ShellWord, from, to);
  const at = word.fact.at;
  return { at: at && { file: at.file, start: word.start + from, end: word.start + to } };
}

export function splitHostPort(value: string): { host: string; hostOffset: number; port?: number; portOffset: number } | undefined {
  const v6 = /^\[([^\]]*)\](?::(\d+))?$/.exec(value);
  if (v6) return { host: v6[1], hostOffset: 1, port: v6[2] === undefined ? undefined : Number(v6[2]), portOffset: v6[1].length + 3 };
  const m = /^([^:]*)(?::(\d+))?$/.exec(value);
  if (!m) return undefined;
  return { host: m[1], hostOffset: 0, port: m[2] === undefined ? undefined : Number(m[2]), portOffset: m[1].length + 1 };
}

/** A host or port as its option states it: `--host 0.0.0.0`, or uvicorn.run()'s keyword argument `host="0.0.0.0"`. */
function stated(option: ServerOption & { value: CommandWord }, text: Text, invocation: ServerInvocation): ListenPart<string> {
  const word = option.value;
  const from = invocation.call
    ? `${option.name}=${/^\d+$/.test(word.value) ? word.value : JSON.stringify(word.value)} in ${invocation.program.value}()`
    : `${option.flag.value.split("=")[0]} ${word.value}`;
  return { value: word.value, origin: "stated", at: exact(sliceFact(word, 0, word.value.length).at, word.value, text), from };
}

function fromEnv(fact: { value: string; at?: SourceRef } | undefined | "", name: string, text: Text): ListenPart<string> | undefined {
  if (!fact) return undefined;
  return { value: fact.value, origin: "stated", at: exact(fact.at, fact.value, text), from: `${name}=${fact.value}` };
}

function toPort(part: ListenPart<string | number>): ListenPart<number> | undefined {
  const n = Number(part.value);
  return Number.isInteger(n) && n > 0 ? { ...part, value: n } : undefined;
}

/** The ref, if the file's text there is exactly `value`. */
function exact(at: SourceRef | undefined, value: string, text: Text): SourceRef | undefined {
  if (!at || at.end <= at.start) return undefined;
  return text(at.file)?.slice(at.start, at.end) === value ? at : undefined;
}
