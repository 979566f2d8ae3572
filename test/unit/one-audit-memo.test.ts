// The memo a one-shot audit (the CLI) uses: within the audit, a text is parsed once per key, parsed ahead or not.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { describe, test } from "node:test";
import { buildModel, parseAhead } from "../../server/src/engine/model/build.ts";
import { oneAuditMemo } from "../../server/src/engine/parse-cache.ts";
import { REPO } from "../reliability/workspaces.ts";

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

  test("the model finds each parse parseAhead made: a compose file, a Dockerfile and a service.json are parsed once", () => {
    // Two example stacks side by side, as one workspace: compose + Dockerfile + nginx, and App Runner + start.sh.
    const files = new Map<string, string>();
    for (const stack of ["compose-nginx-postgres", "gunicorn-five-workers-1vcpu"]) {
      const root = join(REPO, "examples", stack);
      for (const name of readdirSync(root, { recursive: true }) as string[]) {
        const path = join(root, name);
        if (statSync(path).isFile()) files.set(`${stack}/${name.split(sep).join("/")}`, readFileSync(path, "utf8"));
      }
    }
    const host = { list: () => [...files.keys()].sort(), read: (path: string) => files.get(path) };
    const memo = oneAuditMemo();
    const made = new Map<string, number>();
    const counting = { ...memo, get: <T>(key: string, input: string, make: () => T, valid?: (value: T) => boolean): T => memo.get(key, input, () => (made.set(key, (made.get(key) ?? 0) + 1), make()), valid) };
    const paths = host.list();
    parseAhead(host, paths, counting);
    const ahead = [...made.keys()].sort();
    assert.deepEqual(ahead, ["compose:compose-nginx-postgres/docker-compose.yml", "dockerfile:compose-nginx-postgres/Dockerfile", "service.json:gunicorn-five-workers-1vcpu/service.json"]);
    made.clear();
    const model = buildModel(host, paths, [], counting);
    assert.ok(model.deployments.some((d) => d.id.startsWith("compose:")) && model.deployments.some((d) => d.id.startsWith("apprunner:")));
    // Under any key: the model parses none of these files again.
    const again = [...made.keys()].filter((key) => ahead.some((a) => key.endsWith(a.slice(a.indexOf(":")))));
    assert.deepEqual(again, []);
    assert.ok(made.size > 0, "the model parses the rest (start.sh, nginx.conf) through the same memo");
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
