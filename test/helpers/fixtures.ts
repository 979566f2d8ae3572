// Fixture workspaces. A rule's cases live in test/fixtures/<group>/<rule>/<case>/; whole stacks
// modelled on the seed incident reports live in test/fixtures/seeds/<seed>/, and realistic
// deployment stacks (Heroku, Rails, Django, FastAPI, ...) in test/fixtures/stacks/<stack>/, where any
// rule may fire (their expected.txt is what an SRE reading the stack would write; none: well sized).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export const FIXTURES = join(__dirname, "..", "fixtures");

/** Groups whose folders are whole stacks rather than one rule's cases. */
const WHOLE_STACKS = new Set(["seeds", "stacks"]);

export interface FixtureCase {
  /** The rule id the case belongs to, or "seeds"/"stacks" for a whole-stack case. */
  rule: string;
  name: string;
  dir: string;
  expected?: string;
}

export function fixtureCases(): FixtureCase[] {
  const cases: FixtureCase[] = [];
  const add = (rule: string, name: string, dir: string) => {
    if (!statSync(dir).isDirectory()) return;
    const expectedPath = join(dir, "expected.txt");
    cases.push({ rule, name, dir, expected: existsSync(expectedPath) ? readFileSync(expectedPath, "utf8") : undefined });
  };
  for (const group of readdirSync(FIXTURES)) {
    if (WHOLE_STACKS.has(group)) {
      for (const name of readdirSync(join(FIXTURES, group))) add(group, name, join(FIXTURES, group, name));
      continue;
    }
    for (const rule of readdirSync(join(FIXTURES, group))) {
      for (const name of readdirSync(join(FIXTURES, group, rule))) add(`${group}/${rule}`, name, join(FIXTURES, group, rule, name));
    }
  }
  return cases;
}
