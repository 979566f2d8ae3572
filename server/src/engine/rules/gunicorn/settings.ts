// A gunicorn setting as the running server sees it: command line, then GUNICORN_CMD_ARGS, then
// the config file (gunicorn's own order, most authoritative first), then the default. The model
// reads all three places (model/build.ts), so these rules and the worker count agree.
import type { Deployment, DeploymentModel, ServerProcess } from "../../model/types.ts";
import { optionValue, type ServerOption } from "../../parse/servers.ts";
import type { Fact, RelatedInfo, SourceRef, TextEdit } from "../../types.ts";

export { type WorkerKind, workerKind } from "../../parse/gunicorn-conf.ts";

/** Each gunicorn process of the model, with its deployment: listed once per model, as four rules walk them on every keystroke. */
export function gunicornProcesses(model: DeploymentModel): ReadonlyArray<{ deployment: Deployment; process: ServerProcess }> {
  let listed = gunicornProcessesByModel.get(model);
  if (!listed) {
    listed = [];
    for (const deployment of model.deployments) {
      for (const process of deployment.processes) if (process.invocation.server === "gunicorn") listed.push({ deployment, process });
    }
    gunicornProcessesByModel.set(model, listed);
  }
  return listed;
}
const gunicornProcessesByModel = new WeakMap<DeploymentModel, Array<{ deployment: Deployment; process: ServerProcess }>>();

/** A command-line option, from its flag to the end of its value, in the file that holds it. */
export function optionRef(option: ServerOption, process: ServerProcess): SourceRef {
  return { file: option.flag.fact.at?.file ?? process.commandAt.file, start: option.flag.start, end: Math.max(option.flag.end, option.value?.end ?? option.flag.end) };
}

/** `at` is where the value is written (for a value expanded from a variable, where the variable is set). */
export type SettingSource =
  | { from: "command"; value: string; option: ServerOption; at?: SourceRef }
  | { from: "env"; value: string; option: ServerOption; at?: SourceRef }
  | { from: "conf"; value: string; at?: SourceRef }
  /** Set somewhere Headroom cannot read with certainty (a computed config value). */
  | { from: "unknown" }
  | { from: "default" };

/**
 * `env` (the deployment's environment) resolves a config-file setting read from a variable,
 * `os.environ.get("NAME", "default")`: NAME's value, else the literal default.
 */
export function gunicornSetting(process: ServerProcess, name: string, env?: Map<string, Fact<string>>): SettingSource {
  const option = optionValue(process.invocation, name);
  if (option) return option.value ? { from: "command", value: option.value.value, option, at: option.value.fact.at } : { from: "unknown" };
  const envOption = process.envArgs && optionValue(process.envArgs, name);
  if (envOption) return envOption.value ? { from: "env", value: envOption.value.value, option: envOption, at: envOption.value.fact.at } : { from: "unknown" };
  const config = process.config;
  const setting = config?.settings.get(name);
  if (!config || !setting) return { from: "default" };
  if (setting.conditional) return { from: "unknown" };
  if ((setting.kind === "string" || setting.kind === "number") && setting.value !== undefined) return { from: "conf", value: String(setting.value), at: { file: config.path, ...setting.span } };
  if (env && setting.kind === "env" && setting.envName) {
    const fromEnv = env.get(setting.envName);
    if (fromEnv) return { from: "conf", value: fromEnv.value, at: fromEnv.at };
    if (setting.envDefault) return { from: "conf", value: setting.envDefault.value, at: { file: config.path, ...setting.envDefault.span } };
  }
  return { from: "unknown" };
}

/**
 * Where a stated setting is written and how a message names it: `--threads 8` on the command line,
 * `--threads 8 in GUNICORN_CMD_ARGS`, `threads = 8 in gunicorn.conf.py`. Undefined for a default or
 * an unknown setting, or a config-file value Headroom cannot place.
 */
export function statedSetting(process: ServerProcess, name: string, source: SettingSource): { at: SourceRef; written: string } | undefined {
  const flag = `--${name.replace(/_/g, "-")}`;
  if (source.from === "command") return { at: optionRef(source.option, process), written: `${flag} ${source.value}` };
  if (source.from === "env") return { at: optionRef(source.option, process), written: `${flag} ${source.value} in GUNICORN_CMD_ARGS` };
  if (source.from === "conf" && source.at) return { at: source.at, written: `${name} = ${source.value} in ${process.config?.path ?? "the config file"}` };
  return undefined;
}

/**
 * Deletes a config file's `name = value` line (with its line break) when the setting is one
 * top-level statement on a line of its own: not indented (inside an `if`), not continued, not
 * followed by another statement. `at` is where the value is written.
 */
export function removeConfSettingEdit(configPath: string, name: string, at: SourceRef, text: (file: string) => string | undefined): TextEdit | undefined {
  const source = at.file === configPath ? text(configPath) : undefined;
  if (source === undefined) return undefined;
  const start = source.lastIndexOf("\n", at.start - 1) + 1;
  const newline = source.indexOf("\n", at.end);
  const end = newline === -1 ? source.length : newline + 1;
  const line = source.slice(start, end);
  if (!new RegExp(`^${name}[ \\t]*=[ \\t]*[^\\s;\\\\([{][^;\\\\([{]*?(#.*)?\\r?\\n?$`).test(line)) return undefined;
  return { file: configPath, start, end, newText: "" };
}

/** "worker class set here", where the command line, GUNICORN_CMD_ARGS or the config file sets it (`file`: the option's file, for a word without its own). */
export function workerClassRelated(workerClass: { value: string; source: SettingSource }, file: string): RelatedInfo[] {
  const source = workerClass.source;
  const word = source.from === "command" || source.from === "env" ? source.option.value : undefined;
  const at = word ? (word.fact.at ?? { file, start: word.start, end: word.end }) : source.from === "conf" ? source.at : undefined;
  return at ? [{ at, message: `worker class set here: ${workerClass.value}` }] : [];
}

/** The worker class in effect, or undefined when it cannot be known (computed in a config file). */
export function effectiveWorkerClass(process: ServerProcess): { value: string; source: SettingSource } | undefined {
  const source = gunicornSetting(process, "worker_class");
  if (source.from === "unknown") return undefined;
  return { value: source.from === "default" ? "sync" : source.value, source };
}
