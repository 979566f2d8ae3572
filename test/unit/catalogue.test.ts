// The metadata is the catalogue: every rule has a docs page that matches its metadata, doc
// examples that behave as they claim, a fixture that fires and a fixture that stays quiet.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { ALL_RULES, ENGINE_RULES } from "../../server/src/engine/rules/index.ts";
import { renderRuleDoc, ruleDocPath } from "../../scripts/rule-docs.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const root = join(__dirname, "..", "..");

// The engine's own rules (config/*, suppress/*) are reported by audit() rather than by a check over
// the model, and use no numbers, so they need no source; everything else applies to them too.
const CATALOGUE = [...ALL_RULES.map((r) => ({ meta: r.meta, needsSource: true })), ...ENGINE_RULES.map((meta) => ({ meta, needsSource: false }))];

describe("rule catalogue", () => {
  it("rule ids are unique and grouped", () => {
    const ids = CATALOGUE.map((r) => r.meta.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[a-z]+\/[a-z0-9-]+$/);
  });
  for (const rule of CATALOGUE) {
    const id = rule.meta.id;
    describe(id, () => {
      it("has an up-to-date docs page (npm run docs)", () => {
        const path = join(root, ruleDocPath(id));
        assert.ok(existsSync(path), `${ruleDocPath(id)} is missing: run npm run docs`);
        assert.equal(readFileSync(path, "utf8"), renderRuleDoc(rule.meta), `${ruleDocPath(id)} is stale: run npm run docs`);
      });
      if (rule.needsSource) it("cites at least one source", () => assert.ok(rule.meta.sources.length > 0));
      it("its bad doc example fires and its good one does not", () => {
        const ruleIds = (files: Record<string, string>) => audit(memoryHost(files)).findings.map((f) => f.rule);
        assert.ok(ruleIds(rule.meta.docs.bad).includes(id), "bad example does not fire");
        assert.ok(!ruleIds(rule.meta.docs.good).includes(id), "good example fires");
      });
      it("has a fixture that fires and one that stays quiet", () => {
        const dir = join(root, "test", "fixtures", ...id.split("/"));
        assert.ok(existsSync(dir), `test/fixtures/${id}/ is missing`);
        const outcomes = readdirSync(dir).map((name) => audit(memoryHost(readFixture(join(dir, name)))).findings.some((f) => f.rule === id));
        assert.ok(outcomes.includes(true), "no fixture fires");
        assert.ok(outcomes.includes(false), "no fixture stays quiet");
      });
    });
  }
});

describe("engine purity", () => {
  it("the engine imports no editor, protocol, file system or process module", () => {
    const forbidden = /from\s+["'](vscode|vscode-languageserver[^"']*|vscode-languageclient[^"']*|node:fs|fs|node:child_process|child_process|node:net|node:http|node:https)["']/;
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const offenders = walk(join(root, "server", "src", "engine")).filter((f) => forbidden.test(readFileSync(f, "utf8")));
    assert.deepEqual(offenders, []);
  });
});
