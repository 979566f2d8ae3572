// Reads stay inside the workspace: the engine asks only for workspace-relative paths whatever the files say,
// and the hosts refuse symlinks that lead outside unless the user allows that folder.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { WorkspaceHost } from "../../server/src/engine/api.ts";
import { audit, isDeploymentFile } from "../../server/src/engine/audit.ts";
import { ServerHost } from "../../server/src/lsp/host.ts";
import { diskHost } from "../../server/src/node/disk-host.ts";
import { ensureBuilt } from "../helpers/build.ts";
import { REPO } from "./workspaces.ts";

/** Wraps a host and records every path asked for and every text handed out. */
function spy(host: WorkspaceHost): { host: WorkspaceHost; asked: Set<string>; texts: string[] } {
  const asked = new Set<string>();
  const texts: string[] = [];
  return {
    asked,
    texts,
    host: {
      list: () => host.list(),
      read: (path) => {
        asked.add(path);
        const text = host.read(path);
        if (text !== undefined) texts.push(text);
        return text;
      },
    },
  };
}

describe("containment: the engine asks only for workspace paths", () => {
  it("includes, env files, build contexts and config flags that climb out are resolved inside the workspace or dropped", () => {
    const files: Record<string, string> = {
      "nginx.conf": [
        "events {}",
        "http {",
        "  include ../../etc/passwd;",
        "  include /etc/nginx/../../etc/shadow;",
        "  include /home/user/.ssh/id_rsa;",
        "  include ../*.conf;",
        "  include sites/../../../x.conf;",
        "}",
        "",
      ].join("\n"),
      "docker-compose.yml": [
        "services:",
        "  api:",
        "    build:",
        "      context: ../../..",
        "      dockerfile: ../../Dockerfile",
        "    env_file: [../../secret.env, /etc/environment]",
        "    command: gunicorn -c ../../../etc/gunicorn.conf.py app:app",
        "  web:",
        "    image: ruby",
        "    command: bundle exec puma -C /etc/puma.rb",
        "",
      ].join("\n"),
      "Dockerfile": 'FROM python:3.12\nCMD ["/../../start.sh"]\n',
      "start.sh": "exec gunicorn --config=python:..foo app:app\n",
    };
    const s = spy({ list: () => Object.keys(files).sort(), read: (p) => files[p] });
    audit(s.host);
    assert.ok(s.asked.size > 0);
    for (const path of s.asked) {
      assert.ok(!path.startsWith("/") && !path.split("/").includes("..") && path !== "", `the engine asked for "${path}"`);
    }
  });
});

describe("containment: symlinks out of the workspace", () => {
  let base: string;
  let ws: string;
  let outside: string;

  before(() => {
    base = mkdtempSync(join(tmpdir(), "headroom-containment-"));
    ws = join(base, "ws");
    outside = join(base, "outside");
    mkdirSync(join(ws, "conf.d"), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, "secret.conf"), "# SECRET-NGINX\nworker_processes 1;\n");
    writeFileSync(join(outside, "gunicorn.conf.py"), "workers = 64  # SECRET-GUNICORN\n");
    symlinkSync(outside, join(ws, "shared"), "dir");
    symlinkSync(join(outside, "secret.conf"), join(ws, "conf.d", "linked.conf"));
    writeFileSync(join(ws, "nginx.conf"), "events {}\nhttp {\n  include shared/secret.conf;\n  include conf.d/*.conf;\n}\n");
    writeFileSync(
      join(ws, "docker-compose.yml"),
      'services:\n  api:\n    image: python:3.12\n    command: gunicorn -c shared/gunicorn.conf.py app:app\n    deploy:\n      resources:\n        limits:\n          cpus: "1"\n',
    );
  });
  after(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const secretsIn = (texts: string[]) => texts.filter((t) => t.includes("SECRET")).length;

  it("the CLI's disk host refuses them with a note, and reads them when their folder is allowed", () => {
    const logs: string[] = [];
    const denied = spy(diskHost(ws, { filter: isDeploymentFile, log: (m) => logs.push(m) }));
    audit(denied.host);
    assert.equal(secretsIn(denied.texts), 0, "no text from outside the workspace");
    assert.ok(logs.some((l) => l.startsWith("skipped shared/secret.conf: links outside the workspace")), JSON.stringify(logs));
    assert.ok(logs.some((l) => l.startsWith("skipped shared/gunicorn.conf.py: links outside the workspace")), JSON.stringify(logs));

    const allowed = spy(diskHost(ws, { filter: isDeploymentFile, allowedDirs: [outside] }));
    audit(allowed.host);
    assert.ok(secretsIn(allowed.texts) >= 2, "with the folder allowed, the linked files are read");
  });

  it("a file the listing did not keep is read without a realpath only when the walk saw it as a plain file", () => {
    // The CLI's host skips the realpath for files its walk saw as regular files in real folders (an app module the
    // model reads through a command): a link named like one still goes through the check.
    const app = join(base, "ws-app");
    mkdirSync(join(app, "app"), { recursive: true });
    writeFileSync(join(outside, "main.py"), "engine = None  # SECRET-APP\n");
    symlinkSync(join(outside, "main.py"), join(app, "app", "main.py"));
    writeFileSync(join(app, "app", "db.py"), "engine = None\n");
    writeFileSync(join(app, "start.sh"), "#!/bin/sh\nexec uvicorn app.main:app\n");
    const logs: string[] = [];
    const host = diskHost(app, { filter: isDeploymentFile, log: (m) => logs.push(m) });
    assert.deepEqual(host.list(), ["start.sh"]);
    assert.equal(host.read("app/main.py"), undefined);
    assert.ok(logs.some((l) => l.startsWith("skipped app/main.py: links outside the workspace")), JSON.stringify(logs));
    assert.equal(host.read("app/db.py"), "engine = None\n");
  });

  it("the language server's host refuses them too (file links included), unless allowed", () => {
    const logs: string[] = [];
    const denied = spy(new ServerHost(ws, isDeploymentFile, () => new Map(), { log: (m) => logs.push(m) }));
    audit(denied.host);
    assert.ok(denied.asked.has("conf.d/linked.conf"), "the walk lists the file link, so the refusal is what keeps it out");
    assert.equal(secretsIn(denied.texts), 0);
    assert.ok(logs.some((l) => l.startsWith("skipped conf.d/linked.conf: links outside the workspace")), JSON.stringify(logs));

    const allowed = spy(new ServerHost(ws, isDeploymentFile, () => new Map(), { allowedDirs: [outside] }));
    audit(allowed.host);
    assert.ok(secretsIn(allowed.texts) >= 3);
  });

  it("the CLI takes --allow-path", () => {
    ensureBuilt();
    const cli = join(REPO, "dist", "cli.js");
    const denied = spawnSync(process.execPath, [cli, "audit", ws, "--fail-on", "never"], { encoding: "utf8" });
    assert.equal(denied.status, 0, denied.stderr);
    assert.match(denied.stderr, /skipped shared\/gunicorn\.conf\.py: links outside the workspace/);
    assert.doesNotMatch(denied.stdout, /SECRET/);
    const allowed = spawnSync(process.execPath, [cli, "audit", ws, "--fail-on", "never", "--allow-path", outside], { encoding: "utf8" });
    assert.equal(allowed.status, 0, allowed.stderr);
    assert.doesNotMatch(allowed.stderr, /links outside/);
    assert.match(allowed.stdout, /64 gunicorn workers for 1 vCPU/);
  });
});
