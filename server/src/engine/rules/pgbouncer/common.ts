// Helpers shared by the PgBouncer rules: how to name a PgBouncer and its settings, and the edit that
// sets a setting where it is configured (its value where written; else a new line in pgbouncer.ini's
// [pgbouncer] section, or a new variable in the compose service's own `environment:`).
import type { PgBouncer, PgBouncerSetting } from "../../model/pgbouncer.ts";
import type { DeploymentModel } from "../../model/types.ts";
import { lineBounds, lineBreakOf } from "../../parse/text-lines.ts";
import type { RelatedInfo, SourceRef, TextEdit } from "../../types.ts";

/** "PgBouncer service pgbouncer", "PgBouncer of deploy/pgbouncer.ini". */
export function poolerName(pooler: PgBouncer): string {
  return pooler.deployment ? `PgBouncer service ${shortName(pooler)}` : `PgBouncer of ${pooler.name}`;
}

export function shortName(named: { name: string }): string {
  return named.name.replace(/ \([^)]*\)$/, "");
}

/** "max_client_conn 100 (PgBouncer's default)", "MAX_CLIENT_CONN 200". */
export function settingText(setting: PgBouncerSetting): string {
  return `${setting.name} ${setting.value}${setting.origin === "default" ? ` (${setting.by}'s default)` : ""}`;
}

/** Related lines in the order placed, each place once and never the finding's own. */
export function relatedLines(primary: SourceRef): { out: RelatedInfo[]; place: (at: SourceRef | undefined, message: string) => void } {
  const out: RelatedInfo[] = [];
  const seen = new Set([`${primary.file}:${primary.start}`]);
  const place = (at: SourceRef | undefined, message: string) => {
    if (!at || seen.has(`${at.file}:${at.start}`)) return;
    seen.add(`${at.file}:${at.start}`);
    out.push({ at, message });
  };
  return { out, place };
}

/**
 * The edit that makes `setting` (`max_client_conn`) `value` for this PgBouncer, and the name it is then written
 * under; undefined where no plain edit does it (a value written as a variable, settings from an env_file).
 */
export function setSetting(
  model: DeploymentModel,
  pooler: PgBouncer,
  setting: PgBouncerSetting,
  key: "max_client_conn" | "default_pool_size",
  value: number,
  text: (file: string) => string | undefined,
): { name: string; edit: TextEdit } | undefined {
  if (setting.origin === "stated") {
    if (!setting.at || text(setting.at.file)?.slice(setting.at.start, setting.at.end) !== String(setting.value)) return undefined;
    return { name: setting.name, edit: { ...setting.at, newText: String(value) } };
  }
  if (pooler.configFile) return iniLine(pooler, key, value, text);
  const variable = pooler.settingEnv?.[key];
  return variable ? environmentLine(model, pooler, variable, value, text) : undefined;
}

/** `key = value` on a line of its own right below the [pgbouncer] header. */
function iniLine(pooler: PgBouncer, key: string, value: number, text: (file: string) => string | undefined): { name: string; edit: TextEdit } | undefined {
  const file = pooler.configFile as string;
  const source = text(file);
  if (source === undefined || !pooler.anchor || pooler.anchor.file !== file) return undefined;
  const { next } = lineBounds(source, pooler.anchor.start);
  const breakText = lineBreakOf(source);
  // A header on the last line without a line break: start one.
  const newText = next === source.length && !/[\r\n]$/.test(source) ? `${breakText}${key} = ${value}` : `${key} = ${value}${breakText}`;
  return { name: key, edit: { file, start: next, end: next, newText } };
}

/**
 * `NAME: "value"` (or `- NAME=value`) after the last variable the service's own `environment:` writes, with its
 * indentation; none when the service writes none there (they come from an env_file or an anchor elsewhere).
 */
function environmentLine(model: DeploymentModel, pooler: PgBouncer, variable: string, value: number, text: (file: string) => string | undefined): { name: string; edit: TextEdit } | undefined {
  const service = pooler.deployment?.slice(pooler.deployment.lastIndexOf("#") + 1);
  if (!service) return undefined;
  let last: { file: string; start: number } | undefined;
  for (const [file, compose] of model.composeFiles ?? []) {
    const own = compose.services.get(service);
    if (!own || !pooler.files.has(file)) continue;
    for (const fact of own.environment.values()) {
      if (fact.at && fact.at.file === file && fact.at.start > own.nameSpan.start && (!last || (last.file === file && fact.at.start > last.start))) last = { file, start: fact.at.start };
    }
  }
  if (!last) return undefined;
  const source = text(last.file);
  if (source === undefined) return undefined;
  const { start, next } = lineBounds(source, last.start);
  const line = source.slice(start, next).replace(/\r?\n$/, "");
  const map = /^(\s*)[A-Za-z_][\w.-]*\s*:\s/.exec(line);
  const list = /^(\s*)-\s*["']?[A-Za-z_][\w.-]*=/.exec(line);
  const entry = map ? `${map[1]}${variable}: "${value}"` : list ? `${list[1]}- ${variable}=${value}` : undefined;
  if (entry === undefined) return undefined;
  const breakText = lineBreakOf(source);
  const newText = next === source.length && !/[\r\n]$/.test(source) ? `${breakText}${entry}` : `${entry}${breakText}`;
  return { name: variable, edit: { file: last.file, start: next, end: next, newText } };
}
