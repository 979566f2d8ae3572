// Sidekiq's config/sidekiq.yml, read as text. Sidekiq runs it through ERB, loads the YAML, turns
// every key into a symbol (so `:concurrency:` and `concurrency:` are the same key) and merges the
// section named after its environment over the top level (lib/sidekiq/cli.rb, parse_config).
// Headroom never evaluates the ERB: `<%= ENV.fetch("SIDEKIQ_CONCURRENCY", 10) %>` is read as that
// variable with default 10, as in database.yml.
import { isMap } from "yaml";
import type { ParseProblem } from "../types.ts";
import { mapGet, scalar } from "./compose.ts";
import { erbValue, parseErbYaml } from "./database-yml.ts";
import type { SettingExpr } from "./setting-expr.ts";

/** The prefix of a capsule's threads among a sidekiq process's settings (`capsule:single`). */
export const SIDEKIQ_CAPSULE = "capsule:";

/** A Sidekiq 7 capsule of `:capsules:`: its own threads, besides the default capsule's `concurrency`. */
export interface SidekiqCapsule {
  name: string;
  concurrency?: SettingExpr;
}

export interface SidekiqYml {
  /** `concurrency` at the top level, as written. */
  concurrency?: SettingExpr;
  /** `concurrency` of each environment section that sets it (`production:`, `:staging:`). */
  environments: Map<string, SettingExpr>;
  /** `:capsules:` at the top level, and of each environment section that has its own (it replaces the top level's). */
  capsules?: SidekiqCapsule[];
  environmentCapsules: Map<string, SidekiqCapsule[]>;
  problems: ParseProblem[];
}

export function parseSidekiqYml(text: string, file: string): SidekiqYml {
  const result: SidekiqYml = { environments: new Map(), environmentCapsules: new Map(), problems: [] };
  const erb = parseErbYaml(text, file, result.problems);
  if (!erb || !isMap(erb.doc.contents)) return result;
  const { doc, tags } = erb;
  const concurrency = (section: unknown) => erbValue(doc, section, ":concurrency", text, file, tags) ?? erbValue(doc, section, "concurrency", text, file, tags);
  const capsules = (section: unknown): SidekiqCapsule[] | undefined => {
    const map = mapGet(doc, section, ":capsules") ?? mapGet(doc, section, "capsules");
    if (!isMap(map)) return undefined;
    return map.items.flatMap((pair) => {
      const key = scalar(pair.key);
      if (!key) return [];
      const value = concurrency(mapGet(doc, map, key.value));
      return [{ name: key.value.replace(/^:/, ""), ...(value ? { concurrency: value } : {}) }];
    });
  };
  const top = concurrency(doc.contents);
  if (top) result.concurrency = top;
  const topCapsules = capsules(doc.contents);
  if (topCapsules) result.capsules = topCapsules;
  for (const pair of erb.doc.contents.items) {
    const key = scalar(pair.key);
    if (!key) continue;
    const section = mapGet(doc, doc.contents, key.value);
    const value = isMap(section) ? concurrency(section) : undefined;
    if (value) result.environments.set(key.value.replace(/^:/, ""), value);
    const own = isMap(section) && key.value.replace(/^:/, "") !== "capsules" ? capsules(section) : undefined;
    if (own) result.environmentCapsules.set(key.value.replace(/^:/, ""), own);
  }
  return result;
}

/** The capsules Sidekiq starts in `environment` besides its default one: its section's `:capsules:`, else the top level's (Sidekiq merges the section over the top level key by key). */
export function sidekiqCapsules(yml: SidekiqYml, environment: string): SidekiqCapsule[] {
  return yml.environmentCapsules.get(environment) ?? yml.capsules ?? [];
}

/** The concurrency Sidekiq runs with in `environment`: its section's, else the top level's. */
export function sidekiqConcurrency(yml: SidekiqYml, environment: string): SettingExpr | undefined {
  return yml.environments.get(environment) ?? yml.concurrency;
}
