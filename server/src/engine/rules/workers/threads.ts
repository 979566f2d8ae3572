// Threads per worker process, as the server will run them: gunicorn's gthread worker and Puma.
// Other servers (async workers, uvicorn, sidekiq's own concurrency) are not thread pools here.
import type { Deployment, ServerProcess } from "../../model/types.ts";
import { optionValue, parsePumaThreads } from "../../parse/servers.ts";
import type { SourceRef } from "../../types.ts";
import { effectiveWorkerClass, gunicornSetting, workerKind } from "../gunicorn/settings.ts";

export interface Threads {
  value: number;
  /** Where the number is written, if it is. */
  at?: SourceRef;
  /** How it was set, for messages: "--threads 8", "RAILS_MAX_THREADS=5", "Puma's default". */
  from: string;
}

/** Puma on MRI: "The current default is 0:16 and on MRI is 0:5." */
const PUMA_DEFAULT_MAX_THREADS = 5;

export function threadsPerWorker(deployment: Deployment, process: ServerProcess): Threads | undefined {
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
  if (server === "puma") {
    const flag = optionValue(process.invocation, "threads");
    if (flag?.value) {
      const parsed = parsePumaThreads(flag.value.value);
      return parsed ? { value: parsed.max, at: flag.value.fact.at, from: `-t ${flag.value.value}` } : undefined;
    }
    const setting = process.config?.settings.get("max_threads");
    const file = process.config?.path;
    if (setting && file) {
      if (setting.conditional) return undefined;
      if (setting.kind === "number" && typeof setting.value === "number") return { value: setting.value, at: { file, ...setting.span }, from: `threads in ${file}` };
      if (setting.kind === "env" && setting.envName) {
        const env = deployment.env.get(setting.envName);
        const n = Number(env?.value ?? setting.envDefault?.value);
        if (!Number.isInteger(n) || n < 1) return undefined;
        if (env) return { value: n, at: env.at, from: `${setting.envName}=${n}` };
        return { value: n, at: setting.envDefault ? { file, ...setting.envDefault.span } : undefined, from: `${setting.envName} unset, the default ${n} in ${file}` };
      }
      return undefined;
    }
    return { value: PUMA_DEFAULT_MAX_THREADS, from: "Puma's default (0:5 on MRI)" };
  }
  return undefined;
}
