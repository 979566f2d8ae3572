// Compose's interpolation of one value (parse/compose-interpolation.ts), checked against the forms
// Docker's interpolation reference lists: each piece keeps where its text comes from.
import assert from "node:assert/strict";
import { test } from "node:test";
import { interpolateCompose } from "../../server/src/engine/parse/compose-interpolation.ts";
import type { Fact } from "../../server/src/engine/types.ts";

const env = new Map<string, Fact<string>>([
  ["WORKERS", { value: "9", origin: "stated", at: { file: ".env", start: 8, end: 9 } }],
  ["EMPTY", { value: "", origin: "stated", at: { file: ".env", start: 16, end: 16 } }],
]);
const lookup = (name: string) => env.get(name);
/** `text` written at offset 100 of compose.yml, one character for one. */
const read = (text: string) => interpolateCompose(text, { file: "compose.yml", start: 100, end: 100 + text.length }, lookup);

test("each operator: default, required, alternative, set and empty told apart", () => {
  const cases: Array<[string, string]> = [
    ["${WORKERS}", "9"],
    ["$WORKERS", "9"],
    ["${MISSING:-4}", "4"],
    ["${EMPTY:-4}", "4"],
    ["${EMPTY-4}", ""],
    ["${MISSING-4}", "4"],
    ["${WORKERS:+on}", "on"],
    ["${EMPTY:+on}", ""],
    ["${EMPTY+on}", "on"],
    ["${MISSING+on}", ""],
    ["${WORKERS:?set it}", "9"],
    ["${MISSING:-${WORKERS}}", "9"],
    ["${MISSING:-${ALSO_MISSING:-3}}", "3"],
    ["max_connections=${MISSING:-100}", "max_connections=100"],
    ["-w${WORKERS}", "-w9"],
    ["--workers=${WORKERS}x$WORKERS", "--workers=9x9"],
  ];
  for (const [text, value] of cases) {
    const r = read(text);
    assert.equal(r.value, value, text);
    assert.equal(r.changed, true, text);
    assert.deepEqual(r.unresolved, [], text);
  }
});

test("$$ is a literal $, and what is not a reference stays as written", () => {
  assert.equal(read("$$WORKERS").value, "$WORKERS");
  assert.equal(read("$${WORKERS:-2}").value, "${WORKERS:-2}");
  for (const text of ["$1", "$", "${WORKERS", "${1X}", "${WORKERS/9/8}", "100%$"]) {
    const r = read(text);
    assert.equal(r.value, text, text);
    assert.equal(r.changed, false, text);
  }
});

test("a variable with no value and no default is kept as written and named unresolved", () => {
  for (const text of ["${MISSING}", "-w${MISSING}", "${MISSING:?needed}"]) {
    const r = read(text);
    assert.equal(r.value, text);
    assert.equal(r.changed, false);
    assert.deepEqual(r.unresolved, ["MISSING"]);
  }
});

test("pieces keep their origins: the .env value where it is set, a default where it is written", () => {
  const r = read("-w${WORKERS}");
  assert.deepEqual(r.pieces.map((p) => [p.value, p.at]), [["-w", { file: "compose.yml", start: 100, end: 102 }], ["9", { file: ".env", start: 8, end: 9 }]]);
  assert.deepEqual(r.pieces[1].via, [{ at: { file: "compose.yml", start: 102, end: 112 }, note: "${WORKERS} in compose" }]);
  assert.deepEqual(r.fact.at, { file: "compose.yml", start: 100, end: 112 }, "mixed text is the value's own");
  const fallback = read("max_connections=${MISSING:-100}");
  assert.deepEqual(fallback.pieces[1].at, { file: "compose.yml", start: 127, end: 130 });
  assert.equal(read("${WORKERS}").fact.at?.file, ".env", "one variable alone is its value's fact");
  assert.deepEqual(read("${MISSING:-4}").fact.at, { file: "compose.yml", start: 111, end: 112 }, "one default alone is the default");
  assert.deepEqual(read("${MISSING:-${WORKERS}}").fact.at, { file: ".env", start: 8, end: 9 });
});

test("text written with escapes (span longer than the value) points every piece at the whole span", () => {
  const at = { file: "compose.yml", start: 10, end: 30 };
  const r = interpolateCompose("-w${MISSING:-4}", at, lookup);
  assert.equal(r.value, "-w4");
  assert.deepEqual(r.pieces.map((p) => p.at), [at, at]);
});
