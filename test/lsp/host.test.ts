// The language server's view of the disk (server/src/lsp/host.ts): when reads are served from its cache.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isDeploymentFile } from "../../server/src/engine/audit.ts";
import { ServerHost } from "../../server/src/lsp/host.ts";

describe("ServerHost disk reads", () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const workspace = () => {
    const dir = mkdtempSync(join(tmpdir(), "headroom-host-"));
    dirs.push(dir);
    writeFileSync(join(dir, "start.sh"), "exec gunicorn -w 2 app:app\n");
    return dir;
  };
  /** Rewrites the file with another size and mtime, as an editor or git would. */
  const rewrite = (dir: string, text: string) => {
    writeFileSync(join(dir, "start.sh"), text);
    utimesSync(join(dir, "start.sh"), new Date(), new Date(Date.now() + 5000));
  };

  it("without file events, sees a change on disk at the next read (mtime and size)", () => {
    const dir = workspace();
    const host = new ServerHost(dir, isDeploymentFile, () => new Map());
    host.list();
    assert.equal(host.read("start.sh"), "exec gunicorn -w 2 app:app\n");
    rewrite(dir, "exec gunicorn -w 12 app:app\n");
    assert.equal(host.read("start.sh"), "exec gunicorn -w 12 app:app\n");
  });

  it("with file events, keeps a listed file's text until an event about it (invalidateFile)", () => {
    const dir = workspace();
    const host = new ServerHost(dir, isDeploymentFile, () => new Map(), { listingFollowsChanges: true });
    host.list();
    assert.equal(host.read("start.sh"), "exec gunicorn -w 2 app:app\n");
    rewrite(dir, "exec gunicorn -w 12 app:app\n");
    assert.equal(host.read("start.sh"), "exec gunicorn -w 2 app:app\n", "no event yet: the cached text");
    host.invalidateFile("start.sh");
    assert.equal(host.read("start.sh"), "exec gunicorn -w 12 app:app\n");
  });

  it("with file events, still checks a link on every read: where it leads may change without an event", () => {
    const dir = workspace();
    writeFileSync(join(dir, "real.sh"), "exec gunicorn -w 3 app:app\n");
    symlinkSync(join(dir, "real.sh"), join(dir, "entrypoint.sh"));
    const host = new ServerHost(dir, isDeploymentFile, () => new Map(), { listingFollowsChanges: true });
    assert.ok(host.list().includes("entrypoint.sh"));
    assert.equal(host.read("entrypoint.sh"), "exec gunicorn -w 3 app:app\n");
    writeFileSync(join(dir, "real.sh"), "exec gunicorn -w 30 app:app\n");
    utimesSync(join(dir, "real.sh"), new Date(), new Date(Date.now() + 5000));
    assert.equal(host.read("entrypoint.sh"), "exec gunicorn -w 30 app:app\n");
  });
});
