// The server's warm-up (server/src/lsp/warm-up.ts) over stdio: it publishes nothing, leaves the findings as they
// were, gives way to the user's first edit and never runs again after it, and HEADROOM_WARM_UP=0 turns it off.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { PublishDiagnosticsParams } from "vscode-languageserver/node";
import { WARM_UP_BUDGET_MS } from "../../server/src/lsp/warm-up.ts";
import { frame, LspServer } from "../helpers/lsp-server.ts";

/** A compose file of `services` gunicorn services; the first runs 9 workers on 1 CPU (workers/exceed-cpu). */
function composeFile(services: number): string {
  const out = ["services:"];
  for (let i = 0; i < services; i++) {
    out.push(
      `  web${i}:`,
      "    image: registry.example.com/web:1",
      `    command: gunicorn -w ${i === 0 ? 9 : 2} --timeout 120 --bind 0.0.0.0:8000 app.main:app`,
      "    deploy:",
      "      resources:",
      "        limits:",
      "          cpus: '1'",
    );
  }
  return `${out.join("\n")}\n`;
}

const summary = (p: PublishDiagnosticsParams): string =>
  p.diagnostics
    .map((d) => `${d.code} ${d.range.start.line}:${d.range.start.character} ${d.message}`)
    .sort()
    .join("\n");

const warmUpLogs = (server: LspServer): string[] => server.logs.filter((m) => m.includes("warm-up:"));

async function until(server: LspServer, what: string, test: () => boolean, ms = 30_000): Promise<void> {
  const start = Date.now();
  while (!test()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}; the server's log:\n${server.logs.join("\n")}\n${server.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the server's warm-up", () => {
  const dirs: string[] = [];
  const servers: LspServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const start = (text: string, env?: NodeJS.ProcessEnv): LspServer => {
    const dir = mkdtempSync(join(tmpdir(), "headroom-warm-up-"));
    dirs.push(dir);
    writeFileSync(join(dir, "docker-compose.yml"), text);
    const server = new LspServer(dir, env ? { env: { ...process.env, ...env } } : {});
    servers.push(server);
    return server;
  };

  it("runs after the first audit on the deployment file last opened, publishes nothing, and leaves the findings as they were", async () => {
    const text = composeFile(60);
    const server = start(text);
    await server.initialize();
    const uri = server.uri("docker-compose.yml");
    let publishes = 0;
    server.onPublish(() => publishes++);
    // Both opens in one write, so that both are in before the first audit: NOTES.md is opened last, but is
    // not a deployment file, and the warm-up edits docker-compose.yml (its log names it).
    const didOpen = (rel: string, body: string) =>
      frame(JSON.stringify({ jsonrpc: "2.0", method: "textDocument/didOpen", params: { textDocument: { uri: server.uri(rel), languageId: "plaintext", version: 1, text: body } } }));
    server.writeRaw(didOpen("docker-compose.yml", text) + didOpen("NOTES.md", "# notes\n\nThe web service runs nine workers.\n"));
    const first = await server.waitFor(uri, (p) => p.diagnostics.some((d) => d.code === "workers/exceed-cpu"), "the first audit's findings");
    await until(server, "the warm-up's end", () => warmUpLogs(server).length > 0);
    assert.equal(publishes, 1, "the warm-up's audits are not published");
    // On a loaded machine its audits may take longer than FAST_AUDIT_MS, which ends it early.
    assert.match(warmUpLogs(server)[0] ?? "", /^headroom: warm-up: \d+ audits in \d+ ms, (done|stopped: its audits take \d+ ms or more) \(docker-compose\.yml\)$/);

    // An edit and its undo after the warm-up: the findings of a server that never warmed up.
    const edited = text.replace("-w 9", "-w 1");
    await server.replace("docker-compose.yml", edited, 2);
    const gone = await server.waitFor(uri, (p) => p.version === 2, "the edit's publish");
    assert.ok(!gone.diagnostics.some((d) => d.code === "workers/exceed-cpu"), summary(gone));
    await server.replace("docker-compose.yml", text, 3);
    const back = await server.waitFor(uri, (p) => p.version === 3, "the undo's publish");
    assert.equal(summary(back), summary(first));
  });

  it("gives way to the user's first edit, and does not run again after it", async () => {
    // 30 services: audits fast enough on any machine for the warm-up to go on until the edit comes in.
    const text = composeFile(30);
    const server = start(text);
    await server.initialize();
    const uri = server.uri("docker-compose.yml");
    await server.open("docker-compose.yml", text);
    await server.waitFor(uri, () => true, "the first audit's publish");
    // Sent as soon as the first publish is in: 60 audits take far longer than the edit takes to come.
    await server.replace("docker-compose.yml", text.replace("-w 9", "-w 1"), 2);
    await server.waitFor(uri, (p) => p.version === 2 && !p.diagnostics.some((d) => d.code === "workers/exceed-cpu"), "the edit's publish");
    await until(server, "the warm-up's log", () => warmUpLogs(server).length > 0);
    assert.match(warmUpLogs(server)[0] ?? "", /stopped: (an audit is due|docker-compose\.yml changed or closed)/);
    await server.replace("docker-compose.yml", text, 3);
    await server.waitFor(uri, (p) => p.version === 3, "the second edit's publish");
    await server.audit();
    assert.equal(warmUpLogs(server).length, 1, warmUpLogs(server).join("\n"));
  });

  it("does not run with HEADROOM_WARM_UP=0", async () => {
    const text = composeFile(20);
    const server = start(text, { HEADROOM_WARM_UP: "0" });
    await server.initialize();
    await server.open("docker-compose.yml", text);
    await server.waitFor(server.uri("docker-compose.yml"), () => true, "the first audit's publish");
    // A warm-up ends within its budget plus one audit; it logs when it ends.
    await new Promise((r) => setTimeout(r, WARM_UP_BUDGET_MS + 1000));
    await server.audit();
    assert.deepEqual(warmUpLogs(server), []);
  });
});
