// Nothing from the workspace runs and nothing goes on the network: the built CLI and server are run with
// every process and network API replaced by a recorder that throws (test/helpers/deny-io.mjs), and the CLI
// also under Node's permission model without child processes. Configs whose execution would leave marker
// files (gunicorn.conf.py, puma.rb, scripts) must be read as text: their values show up in findings, the
// markers never appear.
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureBuilt } from "../helpers/build.ts";
import { LspServer } from "../helpers/lsp-server.ts";
import { REPO } from "./workspaces.ts";

const DENY_IO = join(REPO, "test", "helpers", "deny-io.mjs");
const CLI = join(REPO, "dist", "cli.js");
const CORPUS = join(REPO, "..", "shared", "corpus", "real");

let base: string;
let ws: string;
let marker: string;
let ioLog: string;

/** A workspace whose configs would create `${marker}-*` files (and call the network) if anything executed them. */
function writeHostileWorkspace(dir: string, mark: string): Record<string, string> {
  const files: Record<string, string> = {
    "gunicorn.conf.py": [
      "import os, subprocess, urllib.request",
      `open("${mark}-py", "w").write("executed")`,
      `subprocess.run(["touch", "${mark}-py-sub"])`,
      'urllib.request.urlopen("http://127.0.0.1:9/")',
      "workers = 17",
      "",
    ].join("\n"),
    "config/puma.rb": [`\`touch ${mark}-rb\``, `File.write("${mark}-rb2", "executed")`, 'system("curl http://127.0.0.1:9/")', "workers 17", ""].join("\n"),
    "start.sh": `#!/bin/sh\ntouch ${mark}-sh\nexec gunicorn -c gunicorn.conf.py app:app\n`,
    ".env": `WORKERS=$(touch ${mark}-env)\n`,
    Dockerfile: `FROM python:3.12\nRUN touch ${mark}-docker\nCMD ["./start.sh"]\n`,
    "docker-compose.yml": [
      "services:",
      "  web:",
      "    build: .",
      "    deploy:",
      "      resources:",
      "        limits:",
      '          cpus: "1"',
      "  rails:",
      "    image: ruby:3.3",
      "    command: bundle exec puma -C config/puma.rb",
      "    deploy:",
      "      resources:",
      "        limits:",
      '          cpus: "1"',
      "  job:",
      "    image: alpine",
      `    command: sh -c "touch ${mark}-compose"`,
      "",
    ].join("\n"),
    "nginx.conf": `events {}\nhttp {\n  server { listen 80; location / { proxy_pass http://127.0.0.1:9; } }\n}\n`,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return files;
}

const markersLeft = () => readdirSync(base).filter((name) => name.startsWith("marker"));
const ioAttempts = () => (existsSync(ioLog) ? readFileSync(ioLog, "utf8") : "");

function runCli(args: string[], nodeFlags: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...nodeFlags, CLI, "audit", ...args, "--fail-on", "never"], {
    encoding: "utf8",
    env: { ...process.env, HEADROOM_IO_LOG: ioLog },
    timeout: 120_000,
  });
}

before(() => {
  ensureBuilt();
  base = mkdtempSync(join(tmpdir(), "headroom-noexec-"));
  ws = join(base, "ws");
  marker = join(base, "marker");
  ioLog = join(base, "io.log");
  writeHostileWorkspace(ws, marker);
});
after(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe("no process, no network", () => {
  it("the recorder catches what it should (so an empty log means something)", () => {
    const probe = spawnSync(
      process.execPath,
      ["--import", DENY_IO, "-e", "for (const f of [() => require('child_process').execSync('true'), () => require('net').connect(9, '127.0.0.1'), () => fetch('http://127.0.0.1:9')]) { try { f() } catch {} }"],
      { encoding: "utf8", env: { ...process.env, HEADROOM_IO_LOG: ioLog } },
    );
    assert.equal(probe.status, 0, probe.stderr);
    const caught = ioAttempts();
    for (const name of ["child_process.execSync", "net.connect", "fetch"]) assert.ok(caught.includes(name), `${name} not recorded: ${caught}`);
    rmSync(ioLog);
  });

  it("the CLI reads gunicorn.conf.py and puma.rb as text and starts nothing", () => {
    const r = runCli([ws], ["--import", DENY_IO]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(ioAttempts(), "");
    assert.match(r.stdout, /gunicorn\.conf\.py:5:\d+ +warning +workers\/exceed-cpu +17 gunicorn workers for 1 vCPU/);
    assert.match(r.stdout, /config\/puma\.rb:4:\d+ +warning +workers\/exceed-cpu +17 puma workers for 1 vCPU/);
    assert.deepEqual(markersLeft(), []);
  });

  for (const [name, dir] of [
    ["the fixtures", join(REPO, "test", "fixtures")],
    ["the examples", join(REPO, "examples")],
    ["the real-config corpus", CORPUS],
  ] as const) {
    it(`the CLI over ${name} starts nothing and opens no socket`, (t) => {
      if (!existsSync(dir)) {
        t.skip(`${dir} is absent`);
        return;
      }
      const r = runCli([dir], ["--import", DENY_IO]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(ioAttempts(), "");
    });
  }

  it("the CLI runs the same under Node's permission model with child processes and workers denied", () => {
    const free = runCli([ws], []);
    const confined = runCli([ws], ["--experimental-permission", "--allow-fs-read=*"]);
    assert.equal(confined.status, 0, confined.stderr);
    assert.equal(confined.stdout, free.stdout);
    assert.deepEqual(markersLeft(), []);
  });

  it("the language server, through a whole session, starts nothing and opens no socket", async () => {
    const server = new LspServer(ws, { execArgv: ["--import", DENY_IO], env: { ...process.env, HEADROOM_IO_LOG: ioLog } });
    try {
      await server.initialize();
      const files = ["gunicorn.conf.py", "config/puma.rb", "start.sh", ".env", "Dockerfile", "docker-compose.yml", "nginx.conf"];
      for (const f of files) await server.open(f, readFileSync(join(ws, f), "utf8"));
      const published = await server.waitFor(server.uri("gunicorn.conf.py"), (p) => p.diagnostics.some((d) => d.code === "workers/exceed-cpu"), "exceed-cpu on gunicorn.conf.py");
      for (const d of published.diagnostics) {
        await server.conn.sendRequest("textDocument/codeAction", { textDocument: { uri: published.uri }, range: d.range, context: { diagnostics: [d] } });
      }
      await server.conn.sendRequest("textDocument/codeAction", { textDocument: { uri: published.uri }, range: published.diagnostics[0].range, context: { diagnostics: [], only: ["source.fixAll"] } });
      await server.replace("config/puma.rb", "workers 2\n", 2);
      const counts = await server.audit();
      assert.ok(counts.findings > 0);
      assert.equal(await server.stop(), 0, server.stderr);
    } finally {
      if (server.alive) await server.stop();
    }
    assert.equal(ioAttempts(), "");
    assert.deepEqual(markersLeft(), []);
  });
});

describe("untrusted workspaces", () => {
  it("package.json declares support, which holds only while the client runs nothing and the workspace cannot widen reads", () => {
    const manifest = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
      capabilities: { untrustedWorkspaces: { supported: boolean | string } };
      contributes: { configuration: { properties: Record<string, { scope?: string }> } };
    };
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, true);
    const client = readFileSync(join(REPO, "client", "src", "extension.ts"), "utf8");
    // The server is the extension's own bundle, started with VS Code's Node; nothing is looked up in the workspace.
    assert.match(client, /context\.asAbsolutePath\("dist\/server\.js"\)/);
    for (const word of ["child_process", "createTerminal", "ShellExecution", "ProcessExecution", "tasks.", "require(", "import("]) {
      assert.ok(!client.includes(word), `client/src/extension.ts uses ${word}`);
    }
    // Settings that change what is read must not be settable by the workspace's own .vscode/settings.json.
    const props = manifest.contributes.configuration.properties;
    assert.equal(props["headroom.allowedPaths"]?.scope, "machine");
    // Only message tracing and headroom.yml's own keys may come from the workspace; any new setting has to be
    // judged and listed here. headroom.yml's keys are judged safe: the workspace holds headroom.yml anyway, and they
    // only choose among the workspace's files (include/ignore filter the list, never add to it) and findings;
    // pools only says which environment variables the files already read size a pool; thresholds only move where a rule fires.
    const fromWorkspace = ["headroom.trace.server", "headroom.rules", "headroom.facts", "headroom.pools", "headroom.thresholds", "headroom.include", "headroom.ignore", "headroom.suppressions"];
    for (const [name, prop] of Object.entries(props)) {
      if (fromWorkspace.includes(name)) continue;
      assert.ok(["machine", "application"].includes(prop.scope ?? "window"), `${name} has scope ${prop.scope ?? "window"}: a workspace could set it`);
    }
  });
});
