// model/build.ts `join` takes a fast path for plain paths; it must give what resolving part by part gives.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { join } from "../../server/src/engine/model/build.ts";

/** The definition: `.` and empty parts dropped, `..` removes the last part (never above the root), a leading `/` starts over. */
function resolvePartByPart(dir: string, relative: string): string {
  const parts = relative.startsWith("/") ? [] : dir.split("/").filter(Boolean);
  for (const part of relative.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

const part = fc.constantFrom("", ".", "..", "...", "a", "b.py", ".env", "..x", "x..", "deploy");
const path = fc.array(part, { maxLength: 5 }).map((parts) => parts.join("/"));

describe("join", () => {
  it("gives what resolving part by part gives, for plain and odd paths alike", () => {
    fc.assert(fc.property(path, path, (dir, relative) => join(dir, relative) === resolvePartByPart(dir, relative)), { numRuns: 20_000 });
  });

  it("joins plain paths as they are", () => {
    assert.equal(join("services/api", "app/main.py"), "services/api/app/main.py");
    assert.equal(join("", "start.sh"), "start.sh");
    assert.equal(join("deploy", "../.env"), ".env");
    assert.equal(join("deploy/", "./x"), "deploy/x");
  });
});
