// The engine's per-kind size limits: a file over its kind's limit is skipped with one warning at its start.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_CHARS, withSizeLimits } from "../../server/src/engine/limits.ts";
import type { ParseProblem } from "../../server/src/engine/types.ts";

describe("withSizeLimits", () => {
  const cases: Array<[string, number]> = [
    ["docker-compose.yml", MAX_CHARS.compose],
    ["apprunner.yaml", MAX_CHARS["apprunner.yaml"]],
    ["start.sh", MAX_CHARS.shell],
    ["nginx.conf", MAX_CHARS.nginx],
    ["service.json", MAX_CHARS["service.json"]],
    ["sites/default", MAX_CHARS.other],
  ];
  for (const [path, limit] of cases) {
    it(`${path}: read at ${limit} characters, skipped once above`, () => {
      const problems: ParseProblem[] = [];
      const atLimit = withSizeLimits({ list: () => [path], read: () => "x".repeat(limit) }, problems);
      assert.equal(atLimit.read(path)?.length, limit);
      assert.equal(problems.length, 0);
      const over = withSizeLimits({ list: () => [path], read: () => "x".repeat(limit + 1) }, problems);
      assert.equal(over.read(path), undefined);
      assert.equal(over.read(path), undefined);
      assert.equal(problems.length, 1, "reported once however often it is read");
      assert.deepEqual(problems[0].at, { file: path, start: 0, end: 0 });
      assert.equal(problems[0].severity, "warning");
      assert.match(problems[0].message, new RegExp(`^not checked: ${path} is .* Headroom reads for`));
    });
  }

  it("absent files stay absent without a report", () => {
    const problems: ParseProblem[] = [];
    assert.equal(withSizeLimits({ list: () => [], read: () => undefined }, problems).read("docker-compose.yml"), undefined);
    assert.deepEqual(problems, []);
  });
});
