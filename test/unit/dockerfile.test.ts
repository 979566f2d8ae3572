// parse/dockerfile.ts: ENV values that come from build arguments (ARG), per stage as Docker scopes them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isBuildArgDefault, parseDockerfile } from "../../server/src/engine/parse/dockerfile.ts";

const at = (text: string, fact: { at?: { start: number; end: number } } | undefined) => (fact?.at ? text.slice(fact.at.start, fact.at.end) : undefined);

describe("ENV from ARG", () => {
  test("ENV X=${ARG} takes the ARG's default, pointing at it, and remembers the ARG", () => {
    const text = ["FROM python:3.12", "ARG WEB_WORKERS=6", "ENV WORKERS=${WEB_WORKERS} \\", "    PORT=8000", 'CMD gunicorn -w $WORKERS app:app', ""].join("\n");
    const d = parseDockerfile(text, "Dockerfile");
    const workers = d.env.get("WORKERS");
    assert.equal(workers?.value, "6");
    assert.equal(at(text, workers), "6");
    assert.ok(workers && isBuildArgDefault(workers));
    assert.equal(d.envFromArgs.get("WORKERS"), "WEB_WORKERS");
    assert.equal(d.env.get("PORT")?.value, "8000");
    assert.ok(!isBuildArgDefault(d.env.get("PORT") ?? { value: "", origin: "stated" }));
  });

  test("a global ARG is seen by a stage only when it declares it again", () => {
    const text = ["ARG WORKERS=4", "FROM python:3.12 AS a", "ENV W=$WORKERS", "FROM python:3.12", "ARG WORKERS", "ENV W=$WORKERS", ""].join("\n");
    assert.equal(parseDockerfile(text, "Dockerfile").env.get("W")?.value, "4");
    const unseen = ["ARG WORKERS=4", "FROM python:3.12", "ENV W=$WORKERS", ""].join("\n");
    assert.equal(parseDockerfile(unseen, "Dockerfile").env.get("W")?.value, "$WORKERS");
  });

  test("an ARG without a value stays unknown unless ${X:-default} gives one", () => {
    const text = ["FROM python:3.12", "ARG WORKERS", "ENV A=$WORKERS B=${WORKERS:-3}", ""].join("\n");
    const d = parseDockerfile(text, "Dockerfile");
    assert.equal(d.env.get("A")?.value, "$WORKERS");
    assert.equal(d.env.get("B")?.value, "3");
  });
});
