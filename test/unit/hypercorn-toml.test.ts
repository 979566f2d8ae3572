// parse/hypercorn-toml.ts: hypercorn's settings from the top of its TOML config, each with its span.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseHypercornToml } from "../../server/src/engine/parse/hypercorn-toml.ts";

describe("hypercorn TOML config", () => {
  const text = ['bind = ["0.0.0.0:8000"]', "workers = 4  # one per vCPU", "keep_alive_timeout = 1_0", 'worker_class = "uvloop"', "accesslog = '-'", "use_reloader = false", "", "[logging]", "workers = 99", ""].join("\n");
  const { settings } = parseHypercornToml(text);

  test("numbers, strings and booleans before the first table, with the value's span", () => {
    const workers = settings.get("workers");
    assert.equal(workers?.kind, "number");
    assert.equal(workers?.value, 4);
    assert.equal(text.slice(workers?.span.start, workers?.span.end), "4");
    assert.equal(settings.get("keep_alive_timeout")?.value, 10);
    assert.equal(settings.get("worker_class")?.value, "uvloop");
    assert.equal(settings.get("accesslog")?.value, "-");
    assert.equal(settings.get("use_reloader")?.value, false);
  });

  test("arrays are unknown, and keys inside a [table] are not hypercorn's settings", () => {
    assert.equal(settings.get("bind")?.kind, "unknown");
    assert.notEqual(settings.get("workers")?.value, 99);
  });
});
