// --fix never overwrites a file edited after the audit, and never writes outside the audited folder.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { writeFix } from "../../server/src/node/write-fix.ts";

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "headroom-write-fix-"));
  mkdirSync(join(dir, "ws"));
  writeFileSync(join(dir, "ws", "start.sh"), "exec gunicorn -w 5 app:app\n");
  return dir;
}

const plan = { file: "start.sh", before: "exec gunicorn -w 5 app:app\n", after: "exec gunicorn -w 3 app:app\n", applied: [{ rule: "workers/exceed-cpu", title: "Use 3 workers" }] };

describe("writeFix", () => {
  test("writes the fixed text when the file is still what was audited, and says so", () => {
    const dir = workspace();
    const log: string[] = [];
    assert.equal(writeFix(join(dir, "ws"), plan, (m) => log.push(m)), true);
    assert.equal(readFileSync(join(dir, "ws", "start.sh"), "utf8"), plan.after);
    assert.deepEqual(log, ["fixed start.sh: workers/exceed-cpu: Use 3 workers"]);
  });

  test("leaves a file that changed since the audit alone", () => {
    const dir = workspace();
    writeFileSync(join(dir, "ws", "start.sh"), "exec gunicorn -w 7 app:app\n");
    const log: string[] = [];
    assert.equal(writeFix(join(dir, "ws"), plan, (m) => log.push(m)), false);
    assert.equal(readFileSync(join(dir, "ws", "start.sh"), "utf8"), "exec gunicorn -w 7 app:app\n");
    assert.match(log[0], /not fixed start\.sh: it changed since it was audited/);
  });

  test("does not write through a symlink that leads outside the folder", () => {
    const dir = workspace();
    writeFileSync(join(dir, "outside.sh"), plan.before);
    symlinkSync(join(dir, "outside.sh"), join(dir, "ws", "linked.sh"));
    const log: string[] = [];
    assert.equal(writeFix(join(dir, "ws"), { ...plan, file: "linked.sh" }, (m) => log.push(m)), false);
    assert.equal(readFileSync(join(dir, "outside.sh"), "utf8"), plan.before);
    assert.match(log[0], /leads outside/);
  });
});
