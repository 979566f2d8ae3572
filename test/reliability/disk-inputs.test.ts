// Files on disk that are not what their names say: a FIFO, a directory or a symlink loop named like a config,
// a file nobody may read, a binary or oversized file, links, a file deleted under the audit. The built CLI and the built language server must read
// around each without blocking or crashing, and say which file they skipped and why (CLI: stderr; server: log).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { audit, isDeploymentFile } from "../../server/src/engine/audit.ts";
import { diskHost } from "../../server/src/node/disk-host.ts";
import { ensureBuilt } from "../helpers/build.ts";
import { LspServer } from "../helpers/lsp-server.ts";
import { REPO } from "./workspaces.ts";

const CLI = join(REPO, "dist", "cli.js");
/** Root reads a chmod 000 file anyway: the unreadable-file checks then run the CLI and server as nobody. */
const NOBODY = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

let tmp: string | undefined;
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
function workspace(): string {
  tmp ??= mkdtempSync(join(tmpdir(), "headroom-disk-"));
  chmodSync(tmp, 0o755);
  const dir = mkdtempSync(join(tmp, "ws-"));
  chmodSync(dir, 0o755);
  return dir;
}

/** nginx.conf includes a FIFO, a symlink loop and a directory; start.sh names a gunicorn config that is a directory. */
function oddFilesWorkspace(): string | undefined {
  const dir = workspace();
  writeFileSync(join(dir, "nginx.conf"), "events {}\nhttp {\n  include fifo.conf;\n  include loop.conf;\n  include dir.conf;\n}\n");
  if (spawnSync("mkfifo", [join(dir, "fifo.conf")]).status !== 0) return undefined;
  symlinkSync("loop.conf", join(dir, "loop.conf"));
  mkdirSync(join(dir, "dir.conf"));
  writeFileSync(join(dir, "start.sh"), "#!/bin/sh\nexec gunicorn -c gunicorn.conf.py app:app\n");
  mkdirSync(join(dir, "gunicorn.conf.py"));
  const binary = Buffer.from("services:\n  web:\n    image: x\n");
  binary[3] = 0;
  writeFileSync(join(dir, "docker-compose.yml"), binary);
  writeFileSync(join(dir, "Procfile"), `web: gunicorn app:app\n${"#".repeat(6 * 1024 * 1024)}\n`);
  return dir;
}

const ODD_SKIPS: Array<[string, RegExp]> = [
  ["fifo.conf", /not a regular file/],
  ["loop.conf", /ELOOP/],
  ["dir.conf", /a directory, not a file/],
  ["gunicorn.conf.py", /a directory, not a file/],
  ["docker-compose.yml", /binary/],
  ["Procfile", /larger than 5 MB/],
];

function assertSkips(lines: string[], expected: Array<[string, RegExp]>, where: string) {
  for (const [file, why] of expected) {
    const said = lines.filter((l) => l.startsWith(`headroom: skipped ${file}: `));
    assert.equal(said.length, 1, `${where}: one note for ${file}, got ${JSON.stringify(said)}\n${lines.join("\n")}`);
    assert.match(said[0], why, where);
  }
}

function runCli(dir: string, user?: { uid: number; gid: number }) {
  const r = spawnSync(process.execPath, [CLI, "audit", dir, "--format", "json"], { encoding: "utf8", timeout: 60_000, ...user });
  assert.equal(r.signal, null, `the CLI did not finish: ${r.signal}\n${r.stderr}`);
  return { code: r.status, findings: JSON.parse(r.stdout).findings as Array<{ rule: string; file: string; message: string }>, stderr: r.stderr.split("\n").filter(Boolean) };
}

/** Starts the built server on `dir` (as `user`), runs two audits (a skip is logged once, not per audit) and returns its log. */
async function serverLog(dir: string, user?: { uid: number; gid: number }): Promise<string[]> {
  const server = new LspServer(dir, { user });
  try {
    await server.initialize();
    await server.audit();
    await server.audit();
    assert.ok(server.alive);
    return server.logs;
  } finally {
    await server.stop();
  }
}

describe("files that are not what their names say", () => {
  it("the CLI skips a FIFO, a symlink loop, directories, a binary and a 6 MB file with one note each, without blocking", (t) => {
    ensureBuilt();
    const dir = oddFilesWorkspace();
    if (!dir) return t.skip("mkfifo is not available");
    const r = runCli(dir);
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}`);
    assertSkips(r.stderr, ODD_SKIPS, "CLI stderr");
  });

  it("the language server answers and logs the same skips once, however many audits run", async () => {
    const dir = oddFilesWorkspace();
    if (!dir) return;
    assertSkips(await serverLog(dir), ODD_SKIPS, "server log");
  });

  it("a file nobody may read: the CLI and the server note it and check the rest", async (t) => {
    ensureBuilt();
    const dir = workspace();
    writeFileSync(join(dir, "Procfile"), "web: gunicorn -w 9 app:app\n");
    chmodSync(join(dir, "Procfile"), 0);
    writeFileSync(join(dir, "start.sh"), "#!/bin/sh\nexec gunicorn --reload app:app\n");
    if (NOBODY) t.diagnostic("running as root: the CLI and the server run as uid 65534 so that chmod 000 holds");
    const r = runCli(dir, NOBODY);
    assertSkips(r.stderr, [["Procfile", /EACCES/]], "CLI stderr");
    assert.ok(r.findings.some((f) => f.file === "start.sh"), "the readable start.sh is still checked");
    assertSkips(await serverLog(dir, NOBODY), [["Procfile", /EACCES/]], "server log");
  });

  it("a folder nobody may list: noted inside the workspace, exit 2 as the audited DIR", async (t) => {
    ensureBuilt();
    if (NOBODY) t.diagnostic("running as root: the CLI and the server run as uid 65534 so that chmod 000 holds");
    const dir = workspace();
    mkdirSync(join(dir, "deploy"));
    writeFileSync(join(dir, "deploy", "start.sh"), "#!/bin/sh\nexec gunicorn --reload app:app\n");
    writeFileSync(join(dir, "start.sh"), "#!/bin/sh\nexec gunicorn --reload app:app\n");
    chmodSync(join(dir, "deploy"), 0);
    const r = runCli(dir, NOBODY);
    assertSkips(r.stderr, [["deploy/", /EACCES/]], "CLI stderr");
    assert.deepEqual(r.findings.map((f) => f.file), ["start.sh"], "the rest is checked");
    assertSkips(await serverLog(dir, NOBODY), [["deploy/", /EACCES/]], "server log");
    const whole = spawnSync(process.execPath, [CLI, "audit", join(dir, "deploy")], { encoding: "utf8", timeout: 60_000, ...NOBODY });
    assert.equal(whole.status, 2, `an unreadable DIR must not pass as an empty audit: ${whole.stdout}`);
    assert.match(whole.stderr, /^headroom: cannot read .*deploy: EACCES/m);
  });
});

describe("symlinks and files that vanish", () => {
  /** The example's service.json and start.sh as links into deploy/, plus a dangling link, a link loop and a folder link to its parent. */
  function linkedWorkspace(): string {
    const dir = workspace();
    mkdirSync(join(dir, "deploy"));
    cpSync(join(REPO, "examples/gunicorn-five-workers-1vcpu/service.json"), join(dir, "deploy/service.prod.json"));
    cpSync(join(REPO, "examples/gunicorn-five-workers-1vcpu/start.sh"), join(dir, "deploy/start.prod.sh"));
    symlinkSync("deploy/service.prod.json", join(dir, "service.json"));
    symlinkSync("deploy/start.prod.sh", join(dir, "start.sh"));
    symlinkSync(".env.local", join(dir, ".env"));
    symlinkSync("a", join(dir, "b"));
    symlinkSync("b", join(dir, "a"));
    symlinkSync("a", join(dir, "docker-compose.override.yml"));
    mkdirSync(join(dir, "sub"));
    symlinkSync("..", join(dir, "sub", "up"));
    return dir;
  }
  const LINK_SKIPS: Array<[string, RegExp]> = [
    [".env", /a link to nothing/],
    ["docker-compose.override.yml", /ELOOP/],
  ];

  it("the CLI reads files linked inside the workspace as the server does, and notes dangling and looping links", () => {
    ensureBuilt();
    const r = runCli(linkedWorkspace());
    assert.ok(r.findings.some((f) => f.rule === "workers/exceed-cpu" && f.file === "service.json"), JSON.stringify(r.findings.map((f) => [f.rule, f.file])));
    assertSkips(r.stderr, LINK_SKIPS, "CLI stderr");
  });

  it("the language server lists the same files and notes the same links once", async () => {
    const server = new LspServer(linkedWorkspace());
    try {
      await server.initialize();
      const first = await server.audit();
      assert.ok(first.findings >= 2, JSON.stringify(first));
      await server.conn.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: server.uri("start.sh"), type: 2 }] });
      await server.audit();
      assertSkips(server.logs, LINK_SKIPS, "server log");
    } finally {
      await server.stop();
    }
  });

  it("the listing answers for the folders it read to the end: a name it did not see there is not looked for on disk", () => {
    const dir = workspace();
    mkdirSync(join(dir, "app"));
    mkdirSync(join(dir, "node_modules", "pkg"), { recursive: true });
    writeFileSync(join(dir, "start.sh"), "#!/bin/sh\nexec gunicorn app.main:app\n");
    writeFileSync(join(dir, "app", "main.py"), "app = None\n");
    const host = diskHost(dir, { filter: isDeploymentFile });
    assert.deepEqual(host.list(), ["start.sh"]);
    // Created after the listing: where the listing read the folder, the file is taken as absent (the app's
    // imports try many module paths that are not there, each a failed realpath and open); in a folder it
    // skipped, and in one it never saw, the disk is still asked.
    writeFileSync(join(dir, "app", "late.py"), "x = 1\n");
    writeFileSync(join(dir, "node_modules", "pkg", "late.py"), "x = 1\n");
    assert.equal(host.read("app/main.py"), "app = None\n", "a file the listing did not keep (not a deployment file) is read");
    assert.equal(host.read("app/late.py"), undefined);
    assert.equal(host.read("app/missing/__init__.py"), undefined);
    assert.equal(host.read("node_modules/pkg/late.py"), "x = 1\n");
    assert.equal(host.read("./app/late.py"), "x = 1\n", "a path that is not plain is left to the reader");
    // Another case is asked of the disk, so a case-insensitive file system (macOS, Windows) still finds the file.
    if (process.platform === "linux") assert.equal(host.read("APP/main.py"), undefined);
  });

  it("a path through a file (requirements.txt/requirements.txt, a COPY into a folder read back) is not there, without a note", () => {
    const dir = workspace();
    writeFileSync(join(dir, "requirements.txt"), "flask==3.0.0\n");
    const logs: string[] = [];
    const host = diskHost(dir, { filter: isDeploymentFile, log: (m) => logs.push(m) });
    assert.equal(host.read("requirements.txt/requirements.txt"), undefined);
    assert.deepEqual(logs, []);
  });

  it("a file deleted between the listing and its read is noted, not silently missing", () => {
    const dir = workspace();
    writeFileSync(join(dir, "Procfile"), "web: gunicorn -w 9 app:app\n");
    writeFileSync(join(dir, "start.sh"), "#!/bin/sh\nexec gunicorn --reload app:app\n");
    const logs: string[] = [];
    const host = diskHost(dir, { filter: isDeploymentFile, log: (m) => logs.push(m) });
    assert.deepEqual(host.list(), ["Procfile", "start.sh"]);
    unlinkSync(join(dir, "Procfile"));
    const result = audit(host);
    assert.deepEqual(logs, ["skipped Procfile: deleted after the workspace was listed"]);
    assert.deepEqual(result.findings.map((f) => f.at.file), ["start.sh"]);
  });
});
