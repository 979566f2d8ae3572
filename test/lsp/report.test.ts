// The built language server (dist/server.js) over stdio, for the editor half of the audit:
// hovers that explain how a number feeds the budget, the report command (progress, HTML,
// diagnostics for files that are not open), applying a fix from the report (and refusing a
// stale one), and cancelling an audit of a large workspace.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { CancellationTokenSource, type Hover } from "vscode-languageserver/node";
import { audit, isDeploymentFile } from "../../server/src/engine/audit.ts";
import { LineIndex } from "../../server/src/engine/types.ts";
import { diskHost } from "../../server/src/node/disk-host.ts";
import { LspServer } from "../helpers/lsp-server.ts";

const repo = join(__dirname, "..", "..");
const WAIT_MS = 20_000;

async function startServer(dir: string): Promise<LspServer> {
  const server = new LspServer(dir);
  await server.initialize({ capabilities: { window: { workDoneProgress: true }, textDocument: { hover: { contentFormat: ["markdown"] } } } });
  return server;
}

/** The position of the `nth` occurrence of `needle` (plus `delta` characters) in a file's text. */
function positionOf(text: string, needle: string, delta = 0, nth = 1): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i < nth; i++) at = text.indexOf(needle, at + 1);
  assert.ok(at >= 0, `${needle} in the text`);
  return new LineIndex(text).position(at + delta);
}

async function eventually<T>(what: string, get: () => T | undefined): Promise<T> {
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("language server: hover, report, fixes from the report", () => {
  let dir: string;
  let server: LspServer;
  const uri = (file: string) => pathToFileURL(join(dir, file)).href;
  const read = (file: string) => readFileSync(join(dir, file), "utf8");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "headroom-report-lsp-"));
    cpSync(join(repo, "examples", "compose-nginx-postgres"), dir, { recursive: true });
    server = await startServer(dir);
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const hover = async (file: string, needle: string, delta = 0, nth = 1): Promise<string | undefined> => {
    const text = read(file);
    await server.conn.sendNotification("textDocument/didOpen", { textDocument: { uri: uri(file), languageId: "plaintext", version: 1, text } });
    // The audit after the open; the first one (on initialized) already covers files on disk.
    await eventually(`diagnostics for ${file}`, () => server.latest.get(uri(file)));
    const result = (await server.conn.sendRequest("textDocument/hover", { textDocument: { uri: uri(file) }, position: positionOf(text, needle, delta, nth) })) as Hover | null;
    if (!result) return undefined;
    const contents = result.contents as { kind: string; value: string };
    assert.equal(contents.kind, "markdown");
    return contents.value;
  };

  it("publishes diagnostics for files that are not open (the Problems panel)", async () => {
    await eventually("diagnostics for docker-compose.yml and nginx.conf", () =>
      server.latest.get(uri("docker-compose.yml"))?.diagnostics.length && server.latest.get(uri("nginx/nginx.conf"))?.diagnostics.length ? true : undefined,
    );
    assert.ok(server.latest.get(uri("Dockerfile"))?.diagnostics.some((d) => d.code === "workers/exceed-cpu"));
  });

  it("hover on a worker count shows how it feeds the connection budget", async () => {
    const text = await hover("Dockerfile", '"--workers", "4"', 14);
    assert.ok(text, "a hover");
    assert.match(text, /\*\*4 gunicorn workers\*\* per instance on 1 vCPU: gunicorn advises at most \(2 x 1\) \+ 1 = 3/);
    assert.ok(text.includes("3 instances x 4 gunicorn workers x (DB_POOL_SIZE 10 + DB_MAX_OVERFLOW 10) = 240"), text);
    assert.ok(text.includes("**260 of 197**"), text);
  });

  it("hover on a pool size, on threads and on nginx's worker_connections", async () => {
    const pool = await hover("docker-compose.yml", 'DB_POOL_SIZE: "10"', 15);
    assert.ok(pool?.startsWith("**DB_POOL_SIZE 10**"), pool);
    assert.ok(pool?.includes("= 240"), pool);
    const threads = await hover("Dockerfile", '"--threads", "2"', 14);
    assert.ok(threads?.includes("4 x 2 = 8 requests at once per instance, 24 across 3 instances"), threads);
    const nginx = await hover("nginx/nginx.conf", "worker_connections 1024", 20);
    assert.equal(nginx, "worker_processes 1 x worker_connections 1024 / 2 = **512 clients** at once: each proxied request holds a client and an upstream connection.");
    assert.equal(await hover("nginx/nginx.conf", "listen 80", 7), undefined, "no hover on a number the model does not use");
  });

  it("the report command reports progress and returns the report's HTML", async () => {
    server.progress.length = 0;
    const token = "report-1";
    const result = (await server.conn.sendRequest("workspace/executeCommand", { command: "headroom.report", arguments: [], workDoneToken: token })) as { html: string; root: string; counts: unknown };
    assert.equal(result.root, pathToFileURL(dir).href);
    // The counts the engine gives for the same folder.
    const findings = audit(diskHost(dir, { filter: isDeploymentFile })).findings;
    assert.deepEqual(result.counts, {
      findings: findings.length,
      errors: findings.filter((f) => f.severity === "error").length,
      warnings: findings.filter((f) => f.severity === "warning").length,
      files: new Set(findings.map((f) => f.at.file)).size,
    });
    assert.equal(result.counts.errors, 1);
    assert.ok(result.html.includes('data-role="verdict">260 of 197 connections<'), "the budget verdict");
    assert.ok(result.html.includes('data-action="fix"'), "fix buttons (interactive)");
    const kinds = server.progress.filter((p) => p.token === token).map((p) => p.value.kind);
    assert.equal(kinds[0], "begin");
    assert.equal(kinds.at(-1), "end");
    assert.ok(kinds.includes("report"));
  });

  it("applies a fix from the report through workspace/applyEdit, and refuses a stale one", async () => {
    const result = (await server.conn.sendRequest("workspace/executeCommand", { command: "headroom.report", arguments: [] })) as { html: string };
    const findingOf = (rule: string) => Number(new RegExp(`data-finding="(\\d+)" data-rule="${rule.replace("/", "\\/")}"`).exec(result.html)?.[1]);
    const cpu = findingOf("workers/exceed-cpu");
    const workers = findingOf("nginx/worker-processes-default");
    // A file the fix edits changes in the editor after the report (a new version): refused, nothing sent to the editor.
    const nginx = read("nginx/nginx.conf");
    await server.conn.sendNotification("textDocument/didChange", {
      textDocument: { uri: uri("nginx/nginx.conf"), version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "# edited\n" }],
    });
    const stale = (await server.conn.sendRequest("workspace/executeCommand", { command: "headroom.applyFix", arguments: [{ finding: workers, fix: 0 }] })) as { applied: boolean; reason?: string };
    assert.deepEqual(stale, { applied: false, reason: "nginx/nginx.conf changed since the audit; run it again" });
    assert.equal(server.edits.length, 0);
    assert.equal(read("nginx/nginx.conf"), nginx);
    // An untouched file: applied, with the edit the rule computed.
    const applied = (await server.conn.sendRequest("workspace/executeCommand", { command: "headroom.applyFix", arguments: [{ finding: cpu, fix: 0 }] })) as { applied: boolean };
    assert.deepEqual(applied, { applied: true });
    assert.equal(server.edits.length, 1);
    assert.match(read("Dockerfile"), /"--workers", "3"/);
    const again = (await server.conn.sendRequest("workspace/executeCommand", { command: "headroom.applyFix", arguments: [{ finding: cpu, fix: 0 }] })) as { applied: boolean };
    assert.equal(again.applied, false, "a report's fixes apply once: after a change, the report is re-run");
  });
});

describe("language server: cancelling the report's audit", () => {
  let dir: string;
  let server: LspServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "headroom-cancel-"));
    // Enough files that reading them takes many batches.
    for (let i = 0; i < 1500; i++) {
      mkdirSync(join(dir, `svc${i}`));
      writeFileSync(join(dir, `svc${i}`, "start.sh"), `#!/bin/sh\nexec gunicorn app:app --workers ${(i % 9) + 1}\n`);
    }
    server = await startServer(dir);
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a cancelled report request ends with RequestCancelled, and the server keeps answering", async () => {
    const source = new CancellationTokenSource();
    const request = server.conn.sendRequest("workspace/executeCommand", { command: "headroom.report", arguments: [], workDoneToken: "cancel-me" }, source.token);
    await eventually("the audit's progress to begin", () => (server.progress.some((p) => p.token === "cancel-me") ? true : undefined));
    source.cancel();
    await assert.rejects(request, (err: { code?: number }) => err.code === -32800);
    const ends = server.progress.filter((p) => p.token === "cancel-me" && p.value.kind === "end");
    await eventually("the progress to end", () => (server.progress.some((p) => p.token === "cancel-me" && p.value.kind === "end") ? true : undefined));
    assert.ok(ends.length <= 1);
    const report = (await server.conn.sendRequest("workspace/executeCommand", { command: "headroom.report", arguments: [] })) as { html: string };
    assert.ok(report.html.includes("1500 deployments"), "the next audit runs to the end");
  });
});
