// Threads per worker process, as the server will run them: gunicorn's gthread worker and Puma (also as `bin/rails server`).
// Other servers (async workers, uvicorn, sidekiq's own concurrency) are not thread pools here.
import type { ServerProcess } from "../../model/types.ts";
import type { SourceRef } from "../../types.ts";
import { serverName } from "../../parse/servers.ts";
import { effectiveWorkerClass, gunicornSetting, workerKind } from "../gunicorn/settings.ts";

export interface Threads {
  value: number;
  /** Where the number is written, if it is. */
  at?: SourceRef;
  /** How it was set, for messages: "--threads 8", "max threads 5", "Puma's default …". */
  from: string;
}

export function threadsPerWorker(process: ServerProcess): Threads | undefined {
  const server = process.invocation.server;
  if (server === "gunicorn") {
    const workerClass = effectiveWorkerClass(process);
    const kind = workerClass && workerKind(workerClass.value);
    if (kind !== "sync" && kind !== "gthread") return undefined;
    const setting = gunicornSetting(process, "threads");
    if (setting.from === "unknown" || setting.from === "default") return undefined;
    const n = Number(setting.value);
    if (!Number.isInteger(n) || n < 1) return undefined;
    const at = setting.from === "command" ? setting.option.value?.fact.at : undefined;
    return { value: n, at, from: setting.from === "command" ? `--threads ${n}` : setting.from === "env" ? `--threads ${n} in GUNICORN_CMD_ARGS` : `threads = ${n} in ${process.config?.path ?? "the config file"}` };
  }
  if (runsPuma(process) && process.threads) {
    // The model reads Puma's threads (-t, then `threads` in its config file, then Puma's default).
    const threads = process.threads;
    if (threads.origin === "default") return { value: threads.value, from: `${threads.by ?? "Puma"}'s default max threads (0:5 on MRI)` };
    return { value: threads.value, at: threads.at, from: `max threads ${threads.value}` };
  }
  return undefined;
}

/** Puma, started as `puma` or as `bin/rails server` (Rails' default server; not `--using` another one). */
export function runsPuma(process: ServerProcess): boolean {
  const server = process.invocation.server;
  return server === "puma" || (server === "rails" && serverName(process.invocation) === "puma");
}
