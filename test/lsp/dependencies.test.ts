// What the language server re-audits on: an edit of headroom.yml that changes how pools are read
// (pools.env) re-reads the deployment model, and the diagnostics of the files it feeds follow; an
// edit of a file only a command names (gunicorn -c conf/prod.py), in the editor or on disk, too, and
// the creation of one that did not exist yet.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

// conf/prod.py is no deployment file by its name: only the command names it.
const API_COMPOSE = `services:
  api:
    image: app
    command: gunicorn -c conf/prod.py app:app
    deploy:
      resources:
        limits:
          cpus: "1"
`;
const EXCEED = "workers/exceed-cpu";

// worker/conf/later.py does not exist when the server starts: the command names a file still to be written.
const LATER_COMPOSE = API_COMPOSE.replace("api:", "worker:").replace("conf/prod.py", "conf/later.py");

describe("language server: what an edit re-audits", () => {
  let dir: string;
  let server: LspServer;
  const published = (file: string, test: (p: { diagnostics: Array<{ code?: unknown }> }) => boolean, what: string) => server.waitFor(server.uri(file), test, what, 15_000);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "headroom-lsp-deps-"));
    writeFileSync(join(dir, "docker-compose.yml"), COMPOSE);
    writeFileSync(join(dir, "headroom.yml"), "rules:\n  workers/exceed-cpu: warning\n");
    mkdirSync(join(dir, "api", "conf"), { recursive: true });
    writeFileSync(join(dir, "api", "docker-compose.yml"), API_COMPOSE);
    writeFileSync(join(dir, "api", "conf", "prod.py"), "workers = 2\n");
    mkdirSync(join(dir, "worker"), { recursive: true });
    writeFileSync(join(dir, "worker", "docker-compose.yml"), LATER_COMPOSE);
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

  it("an edit of a file only a command names (gunicorn -c conf/prod.py) re-audits, open or on disk", async () => {
    const conf = "api/conf/prod.py";
    const uri = server.uri(conf);
    await published("api/docker-compose.yml", (p) => !has(EXCEED)(p), "2 workers on 1 CPU: nothing to report");
    await server.conn.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text: "workers = 2\n" } });
    await server.conn.sendNotification("textDocument/didChange", { textDocument: { uri, version: 2 }, contentChanges: [{ text: "workers = 9\n" }] });
    const p = await published(conf, has(EXCEED), `${EXCEED} on ${conf} after editing it alone`);
    assert.match(p.diagnostics.find((d) => d.code === EXCEED)?.message ?? "", /^9 gunicorn workers for 1 vCPU/);
    await server.conn.sendNotification("textDocument/didClose", { textDocument: { uri } });
    await published(conf, (q) => !has(EXCEED)(q), "closed unsaved: the text on disk (2 workers) again");
    writeFileSync(join(dir, conf), "workers = 7\n");
    await server.conn.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri, type: 2 }] });
    await published(conf, has(EXCEED), `${EXCEED} after ${conf} changed on disk`);
  });

  it("a file a command names, created after the first audit, re-audits when the watcher reports it", async () => {
    const conf = "worker/conf/later.py";
    await published("worker/docker-compose.yml", (p) => !has(EXCEED)(p), "gunicorn's default worker count before the file exists");
    mkdirSync(join(dir, "worker", "conf"), { recursive: true });
    writeFileSync(join(dir, conf), "workers = 8\n");
    await server.conn.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: server.uri(conf), type: 1 }] });
    const p = await published(conf, has(EXCEED), `${EXCEED} on ${conf} once it is created`);
    assert.match(p.diagnostics.find((d) => d.code === EXCEED)?.message ?? "", /^8 gunicorn workers for 1 vCPU/);
  });
});
