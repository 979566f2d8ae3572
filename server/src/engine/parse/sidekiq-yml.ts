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

export interface SidekiqYml {
  /** `concurrency` at the top level, as written. */
  concurrency?: SettingExpr;
  /** `concurrency` of each environment section that sets it (`production:`, `:staging:`). */
  environments: Map<string, SettingExpr>;
  problems: ParseProblem[];
}

export function parseSidekiqYml(text: string, file: string): SidekiqYml {
  const result: SidekiqYml = { environments: new Map(), problems: [] };
  const erb = parseErbYaml(text, file, result.problems);
  if (!erb || !isMap(erb.doc.contents)) return result;
  const { doc, tags } = erb;
  const concurrency = (section: unknown) => erbValue(doc, section, ":concurrency", text, file, tags) ?? erbValue(doc, section, "concurrency", text, file, tags);
  const top = concurrency(doc.contents);
  if (top) result.concurrency = top;
  for (const pair of erb.doc.contents.items) {
    const key = scalar(pair.key);
    if (!key) continue;
    const section = mapGet(doc, doc.contents, key.value);
    const value = isMap(section) ? concurrency(section) : undefined;
    if (value) result.environments.set(key.value.replace(/^:/, ""), value);
  }
  return result;
}

/** The concurrency Sidekiq runs with in `environment`: its section's, else the top level's. */
export function sidekiqConcurrency(yml: SidekiqYml, environment: string): SettingExpr | undefined {
  return yml.environments.get(environment) ?? yml.concurrency;
}
