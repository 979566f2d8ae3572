// Writes docs/rules/<group>-<name>.md from each rule's metadata, and docs/rules/README.md (the
// catalogue), and schemas/headroom.schema.json (its rule ids). Tests fail when one is stale: run `npm run docs`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KNOWN_RULE_IDS } from "../server/src/engine/audit.ts";
import { ALL_RULES, ENGINE_RULES } from "../server/src/engine/rules/index.ts";
import { CONFIG_SCHEMA_PATH, renderConfigSchema } from "./config-schema.ts";
import { renderCatalogue, renderRuleDoc, ruleDocPath } from "./rule-docs.ts";

const root = join(__dirname, "..");
mkdirSync(join(root, "docs", "rules"), { recursive: true });
const metas = [...ALL_RULES.map((r) => r.meta), ...ENGINE_RULES];
for (const meta of metas) writeFileSync(join(root, ruleDocPath(meta.id)), renderRuleDoc(meta));
writeFileSync(join(root, "docs", "rules", "README.md"), renderCatalogue(metas));
writeFileSync(join(root, CONFIG_SCHEMA_PATH), renderConfigSchema([...KNOWN_RULE_IDS].sort()));
console.log(`wrote ${metas.length} rule pages and ${CONFIG_SCHEMA_PATH}`);
