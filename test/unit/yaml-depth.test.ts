// parse/yaml-depth.ts: text nested deeper than the yaml library can read is caught before it is parsed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { yamlErrorText, yamlTooDeepAt } from "../../server/src/engine/parse/yaml-depth.ts";

describe("yamlTooDeepAt", () => {
  it("finds where flow collections, block markers or indentation nest past 200 levels", () => {
    const flow = `x: ${"[".repeat(300)}${"]".repeat(300)}\n`;
    assert.equal(yamlTooDeepAt(flow), 3 + 200);
    assert.equal(yamlTooDeepAt(`${"- ".repeat(250)}x\n`), 2 * 250, "after the markers of its line");
    assert.equal(yamlTooDeepAt(`a:\n${" ".repeat(300)}b: 1\n`), 3 + 300);
    assert.equal(yamlTooDeepAt(`x: ${"{a: ".repeat(120)}\n${"[".repeat(120)}\n`), 3 + 4 * 120 + 1 + 80, "open flow collections carry over to the next line");
  });

  it("leaves real configuration alone: brackets in quotes and comments do not count, closed ones are gone", () => {
    assert.equal(yamlTooDeepAt(`services:\n  web:\n    command: ["sh", "-c", "echo '${"[".repeat(500)}'"]\n    # ${"{".repeat(500)}\n`), undefined);
    assert.equal(yamlTooDeepAt(`x: ${"[1], ".repeat(1000)}\n`), undefined);
    assert.equal(yamlTooDeepAt(Array.from({ length: 40 }, (_, i) => `${"  ".repeat(i)}k${i}:`).join("\n")), undefined);
  });
});

describe("yamlErrorText", () => {
  it("says the yaml library's stack overflow as what it means, other messages by their first line", () => {
    assert.equal(yamlErrorText("Maximum call stack size exceeded at line 1, column 787:\n\nx: [[["), "nested too deep to read");
    assert.equal(yamlErrorText("Implicit keys need to be on a single line at line 2, column 1:\n\n  web:"), "Implicit keys need to be on a single line at line 2, column 1:");
  });
});
