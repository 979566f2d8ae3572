// What the language server re-audits on: an edit of headroom.yml that changes how pools are read
// (pools.env) re-reads the deployment model, and the diagnostics of the files it feeds follow.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LspServer } from "../helpers/lsp-server.ts";

const has = (rule: string) => (p: { diagnostics: Array<{ code?: unknown }> }) => p.diagnostics.some((d) => d.code === rule);
const CONNECTIONS = "db/connections-exceed-max";

const COMPOSE = `services:
  web:
    image: app
    command: gunicorn app:app --workers 4
    environment:
      DATABASE_URL: postgresql://app@db/app
      SHOP_DB_POOL: "20"
  db:
    image: postgres:16
    command: postgres -c max_connections=50
`;

describe("language server: what an edit re-audits", () => {
  let dir: string;
  let server: LspServer;
  const published = (file: string, test: (p: { diagnostics: Array<{ code?: unknown }> }) => boolean, what: string) => server.waitFor(server.uri(file), test, what, 15_000);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "headroom-lsp-deps-"));
    writeFileSync(join(dir, "docker-compose.yml"), COMPOSE);
    writeFileSync(join(dir, "headroom.yml"), "rules:\n  workers/exceed-cpu: warning\n");
    server = new LspServer(dir);
    await server.initialize({ capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: { relatedInformation: true } } } });
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("an edit of headroom.yml's pools.env re-reads the pools", async () => {
    await published("docker-compose.yml", (p) => !has(CONNECTIONS)(p), "no pool read from SHOP_DB_POOL before it is mapped");
    const uri = server.uri("headroom.yml");
    const mapped = "pools:\n  env:\n    SHOP_DB_POOL: pool_size\n";
    await server.conn.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "yaml", version: 1, text: "rules:\n  workers/exceed-cpu: warning\n" } });
    await server.conn.sendNotification("textDocument/didChange", { textDocument: { uri, version: 2 }, contentChanges: [{ text: mapped }] });
    const p = await published("docker-compose.yml", has(CONNECTIONS), `${CONNECTIONS} once SHOP_DB_POOL is mapped to pool_size`);
    assert.match(p.diagnostics.find((d) => d.code === CONNECTIONS)?.message ?? "", /4 gunicorn workers x SHOP_DB_POOL 20 = 80/);
    await server.conn.sendNotification("textDocument/didChange", { textDocument: { uri, version: 3 }, contentChanges: [{ text: "pools:\n  env:\n    SHOP_DB_POOL: ignore\n" }] });
    await published("docker-compose.yml", (q) => !has(CONNECTIONS)(q), `${CONNECTIONS} gone once SHOP_DB_POOL is ignored`);
  });
});
