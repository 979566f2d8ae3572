// The language server reads headroom.yml from the workspace and the headroom.* settings from the
// client (workspace/configuration), re-reads them on didChangeConfiguration, and reports problems
// in headroom.yml as diagnostics on it, problems in the settings as a message.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LspServer } from "../helpers/lsp-server.ts";

const repo = join(__dirname, "..", "..");
const has = (rule: string) => (p: { diagnostics: Array<{ code?: unknown }> }) => p.diagnostics.some((d) => d.code === rule);

describe("language server configuration", () => {
  let dir: string;
  let server: LspServer;
  const published = (file: string, test: (p: { diagnostics: Array<{ code?: unknown }> }) => boolean, what: string) => server.waitFor(server.uri(file), test, what, 15_000);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "headroom-lsp-config-"));
    cpSync(join(repo, "examples", "gunicorn-five-workers-1vcpu"), dir, { recursive: true });
    writeFileSync(join(dir, "headroom.yml"), "rules:\n  workers/exceed-cpus: off\n");
    server = new LspServer(dir);
    server.settings = { rules: { "db/connections-exceed-max": "off" } };
    await server.initialize({ capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } }, textDocument: { publishDiagnostics: { relatedInformation: true } } } });
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("publishes headroom.yml's problems on headroom.yml, at the bad key", async () => {
    const p = await published("headroom.yml", has("config/invalid"), "config/invalid on headroom.yml");
    const d = p.diagnostics.find((x) => x.code === "config/invalid");
    assert.deepEqual(d?.range, { start: { line: 1, character: 2 }, end: { line: 1, character: 21 } });
    assert.match(d?.message ?? "", /did you mean "workers\/exceed-cpu"/);
  });

  it("applies the editor settings, and re-reads them when they change", async () => {
    await published("service.json", (p) => has("workers/exceed-cpu")(p) && !has("db/connections-exceed-max")(p), "settings turn db/connections-exceed-max off");
    server.settings = { rules: { "workers/exceed-cpu": "off" } };
    await server.conn.sendNotification("workspace/didChangeConfiguration", { settings: null });
    await published("service.json", (p) => !has("workers/exceed-cpu")(p) && has("db/connections-exceed-max")(p), "new settings apply");
  });

  it("shows problems in the settings as a message naming the setting", async () => {
    server.settings = { facts: { max_connections: "plenty" } };
    await server.conn.sendNotification("workspace/didChangeConfiguration", { settings: null });
    const deadline = Date.now() + 15_000;
    while (!server.messages.some((m) => m.includes("headroom.facts.max_connections")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(server.messages.some((m) => /headroom\.facts\.max_connections: .*whole number/.test(m)), JSON.stringify(server.messages));
  });
});
