// Writes docs/rules/<group>-<name>.md from each rule's metadata, and docs/rules/README.md (the
// catalogue). test/unit/catalogue.test.ts fails when a page is stale: run `npm run docs`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ALL_RULES } from "../server/src/engine/rules/index.ts";
import { renderCatalogue, renderRuleDoc, ruleDocPath } from "./rule-docs.ts";

const root = join(__dirname, "..");
mkdirSync(join(root, "docs", "rules"), { recursive: true });
for (const rule of ALL_RULES) writeFileSync(join(root, ruleDocPath(rule.meta.id)), renderRuleDoc(rule.meta));
writeFileSync(join(root, "docs", "rules", "README.md"), renderCatalogue(ALL_RULES.map((r) => r.meta)));
console.log(`wrote ${ALL_RULES.length} rule pages`);
