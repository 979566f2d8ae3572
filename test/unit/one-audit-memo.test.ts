// The memo a one-shot audit (the CLI) uses: within the audit, a text is parsed once per key.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { oneAuditMemo } from "../../server/src/engine/parse-cache.ts";

describe("oneAuditMemo", () => {
  test("the same key and text is parsed once; another text or a failed check parses again", () => {
    const memo = oneAuditMemo();
    let parses = 0;
    const parse = (text: string) => () => ({ text, n: ++parses });
    const first = memo.get("dockerfile:Dockerfile", "CMD a", parse("CMD a"));
    assert.equal(memo.get("dockerfile:Dockerfile", "CMD a", parse("CMD a")), first);
    assert.equal(parses, 1);
    assert.equal(memo.get("dockerfile:Dockerfile", "CMD b", parse("CMD b")).text, "CMD b");
    assert.equal(memo.get("dockerfile:Dockerfile", "CMD b", parse("CMD b"), () => false).n, 3);
    assert.equal(memo.get("dockerfile:other/Dockerfile", "CMD b", parse("CMD b")).n, 4);
  });

  test("deployments are built every time and the memo says it keeps nothing between audits", () => {
    const memo = oneAuditMemo();
    let builds = 0;
    memo.keep("compose:a#web", () => ++builds, () => true);
    memo.keep("compose:a#web", () => ++builds, () => true);
    assert.equal(builds, 2);
    assert.equal(memo.keepsBetweenAudits, false);
  });
});
