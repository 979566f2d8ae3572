// Preloaded (`node --import`) into the built CLI and server by test/reliability/no-exec.test.ts: every way to
// start a process or open a network connection is replaced by one that appends a line to $HEADROOM_IO_LOG
// and throws, so a test can assert that analysis never tries either.
import childProcess from "node:child_process";
import dgram from "node:dgram";
import dns from "node:dns";
import { appendFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";
import tls from "node:tls";
import workerThreads from "node:worker_threads";

const log = process.env.HEADROOM_IO_LOG;
if (!log) throw new Error("deny-io.mjs needs HEADROOM_IO_LOG");

function deny(name) {
  return function denied() {
    appendFileSync(log, `${name}: ${new Error().stack.split("\n").slice(2, 6).join(" | ")}\n`);
    throw new Error(`${name} is not allowed during analysis`);
  };
}

const targets = [
  [childProcess, "child_process", ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]],
  [net, "net", ["connect", "createConnection", "createServer"]],
  [tls, "tls", ["connect", "createServer"]],
  [http, "http", ["request", "get", "createServer"]],
  [https, "https", ["request", "get", "createServer"]],
  [http2, "http2", ["connect", "createServer", "createSecureServer"]],
  [dgram, "dgram", ["createSocket"]],
  [dns, "dns", ["lookup", "resolve", "resolve4", "resolve6", "resolveAny"]],
  [dns.promises, "dns.promises", ["lookup", "resolve", "resolve4", "resolve6", "resolveAny"]],
];
for (const [module, name, functions] of targets) for (const f of functions) module[f] = deny(`${name}.${f}`);
net.Socket.prototype.connect = deny("net.Socket.prototype.connect");
workerThreads.Worker = deny("worker_threads.Worker");
globalThis.fetch = deny("fetch");
globalThis.WebSocket = deny("WebSocket");
syncBuiltinESMExports();
