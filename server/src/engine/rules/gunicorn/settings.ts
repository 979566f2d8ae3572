// A gunicorn setting as the running server sees it: command line, then GUNICORN_CMD_ARGS, then
// the config file (gunicorn's own order, most authoritative first), then the default.
import type { Deployment, ServerProcess } from "../../model/types.ts";
import { fileKind } from "../../model/build.ts";
import { parseGunicornConf } from "../../parse/gunicorn-conf.ts";
import { type CommandWord, optionValue, recogniseServer, type ServerOption } from "../../parse/servers.ts";

export type SettingSource =
  | { from: "command"; value: string; option: ServerOption }
  | { from: "env" | "conf"; value: string }
  /** Set somewhere Headroom cannot read with certainty (a computed config value). */
  | { from: "unknown" }
  | { from: "default" };

export function gunicornSetting(deployment: Deployment, process: ServerProcess, name: string, text: (file: string) => string | undefined): SettingSource {
  const option = optionValue(process.invocation, name);
  if (option) return option.value ? { from: "command", value: option.value.value, option } : { from: "unknown" };
  const cmdArgs = deployment.env.get("GUNICORN_CMD_ARGS");
  if (cmdArgs) {
    const words: CommandWord[] = ["gunicorn", ...cmdArgs.value.split(/\s+/).filter(Boolean)].map((value) => ({ value, start: 0, end: 0, fact: { value, origin: "stated" } }));
    const fromEnv = recogniseServer(words);
    const envOption = fromEnv && optionValue(fromEnv, name);
    if (envOption) return envOption.value ? { from: "env", value: envOption.value.value } : { from: "unknown" };
  }
  for (const file of [...deployment.files].filter((f) => fileKind(f) === "gunicorn-conf").sort()) {
    const source = text(file);
    if (source === undefined) return { from: "unknown" };
    const setting = parseGunicornConf(source, file).settings.get(name);
    if (!setting) continue;
    if ((setting.kind === "string" || setting.kind === "number") && setting.value !== undefined && !setting.conditional) return { from: "conf", value: String(setting.value) };
    return { from: "unknown" };
  }
  return { from: "default" };
}

export type WorkerKind = "sync" | "gthread" | "gevent" | "eventlet" | "uvicorn" | "tornado" | "other";

/** What a `worker_class` value names (gunicorn accepts short names, egg URIs and dotted paths). */
export function workerKind(workerClass: string): WorkerKind {
  const v = workerClass.trim().replace(/^egg:gunicorn#/, "");
  if (v === "sync" || v.endsWith(".SyncWorker")) return "sync";
  if (v === "gthread" || v.endsWith(".ThreadWorker")) return "gthread";
  if (/^gevent(_wsgi|_pywsgi)?$/.test(v) || /ggevent\.|Gevent\w*Worker$/.test(v)) return "gevent";
  if (v === "eventlet" || /geventlet\.|EventletWorker$/.test(v)) return "eventlet";
  if (/^uvicorn(_worker)?\./.test(v) || /Uvicorn\w*Worker$/.test(v)) return "uvicorn";
  if (v === "tornado" || /TornadoWorker$/.test(v)) return "tornado";
  return "other";
}

/** The worker class in effect, or undefined when it cannot be known (computed in a config file). */
export function effectiveWorkerClass(deployment: Deployment, process: ServerProcess, text: (file: string) => string | undefined): { value: string; source: SettingSource } | undefined {
  const source = gunicornSetting(deployment, process, "worker_class", text);
  if (source.from === "unknown") return undefined;
  return { value: source.from === "default" ? "sync" : source.value, source };
}
