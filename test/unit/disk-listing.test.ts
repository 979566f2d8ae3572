// Which folders the disk listing walks (CLI and language server): build output folders (dist, build, target) only where
// the repository does not ignore them, as Mastodon commits its nginx.conf and systemd units in dist/.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { isDeploymentFile } from "../../server/src/engine/audit.ts";
import { listWorkspace } from "../../server/src/node/disk-host.ts";

const listed = (root: string) => listWorkspace(root, { filter: isDeploymentFile }).paths;

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "headroom-listing-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const UNIT = "[Service]\nExecStart=bundle exec puma -C config/puma.rb\n";

describe("disk listing of build output folders", () => {
  it("walks a dist/ the repository commits (its .gitignore does not name it), as Mastodon's dist/*.service", () => {
    const root = workspace({ ".gitignore": "node_modules/\nbuild/\n", "dist/mastodon-web.service": UNIT, "dist/nginx.conf": "events {}\n", "build/Dockerfile": "FROM x\n" });
    assert.deepEqual(listed(root), ["dist/mastodon-web.service", "dist/nginx.conf"]);
  });

  it("skips build output folders when no .gitignore is seen, as before", () => {
    const root = workspace({ "dist/Dockerfile": "FROM x\n", "target/Dockerfile": "FROM x\n", "Dockerfile": "FROM x\n" });
    assert.deepEqual(listed(root), ["Dockerfile"]);
  });

  it("reads git's forms: anchored /dist and dist/* for that folder only, dist/ and **/dist below it, !dist taking it back", () => {
    const root = workspace({
      ".gitignore": "# build output\n/dist\n**/target\nbuild/*\n",
      "dist/Dockerfile": "",
      "app/dist/Dockerfile": "",
      "app/target/Dockerfile": "",
      "build/Dockerfile": "",
      "app/build/package/Dockerfile": "",
      "web/.gitignore": "dist\n!target\n",
      "web/dist/nginx.conf": "",
      "web/target/Dockerfile": "",
    });
    assert.deepEqual(listed(root), ["app/build/package/Dockerfile", "app/dist/Dockerfile", "web/target/Dockerfile"]);
  });
});
