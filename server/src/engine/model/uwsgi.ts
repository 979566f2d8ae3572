// uWSGI options as the server sees them. uWSGI reads every option from its environment first
// (UWSGI_<NAME>: the option's long name in capitals, dashes as underscores: UWSGI_PROCESSES,
// UWSGI_WORKERS, UWSGI_HTTP_SOCKET), then from its command line, where the ini files it names are
// read in place; a later value of an option overrides an earlier one (SOURCES.uwsgiEnvironment).
// So the command line wins over the ini file, which wins over the environment.
import { optionValue, serverTable, type ServerInvocation } from "../parse/servers.ts";
import type { SettingExpr } from "../parse/setting-expr.ts";
import { settingNumber } from "../parse/setting-expr.ts";
import type { Fact } from "../types.ts";

type Env = (name: string) => Fact<string> | undefined;

/** The environment variables that set an option: one per long flag (`processes`: UWSGI_PROCESSES and UWSGI_WORKERS). */
export function uwsgiEnvNames(option: string): string[] {
  const spec = serverTable("uwsgi").options.find((o) => o.name === option);
  const names = spec ? spec.flags.filter((f) => f.startsWith("--")).map((f) => f.slice(2)) : [option];
  return names.map((name) => `UWSGI_${name.toUpperCase().replace(/-/g, "_")}`);
}

/** The variable that sets an option in this environment, with its value. */
export function uwsgiEnvOption(env: Env, option: string): { name: string; fact: Fact<string> } | undefined {
  for (const name of uwsgiEnvNames(option)) {
    const fact = env(name);
    if (fact && fact.value.trim() !== "") return { name, fact };
  }
  return undefined;
}

/**
 * A numeric option: the command line's, else the ini file's, else the environment's. Undefined when none sets it,
 * or the one that does is not a number Headroom reads (an ini value inside `if-env`, a placeholder).
 */
export function uwsgiNumber(invocation: ServerInvocation, config: { path: string; settings: Map<string, SettingExpr> } | undefined, env: Env, option: string): Fact<number> | undefined {
  const flag = optionValue(invocation, option);
  if (flag) {
    const value = Number(flag.value?.fact.value);
    return flag.value && Number.isFinite(value) ? { ...flag.value.fact, value } : undefined;
  }
  const setting = config?.settings.get(option);
  if (config && setting) return setting.conditional ? undefined : settingNumber(setting, config.path, env);
  const fromEnv = uwsgiEnvOption(env, option);
  const value = Number(fromEnv?.fact.value);
  return fromEnv && Number.isFinite(value) ? { ...fromEnv.fact, value } : undefined;
}
