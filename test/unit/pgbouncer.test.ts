// PgBouncer: pgbouncer.ini read as text, the images' environment, which deployments go through it, its
// server connections, and the fixes of the pgbouncer/* rules re-read by the parsers they edit.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { audit } from "../../server/src/engine/audit.ts";
import { buildModel, fileKind } from "../../server/src/engine/model/build.ts";
import { pgbouncerServerShares } from "../../server/src/engine/model/pgbouncer.ts";
import { parseComposeFile } from "../../server/src/engine/parse/compose.ts";
import { parsePgBouncerIni } from "../../server/src/engine/parse/pgbouncer-ini.ts";
import type { TextEdit } from "../../server/src/engine/types.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const FIXTURES = join(__dirname, "..", "fixtures");
const slice = (text: string, span: { start: number; end: number } | undefined) => (span ? text.slice(span.start, span.end) : undefined);
const model = (files: Record<string, string>) => buildModel(memoryHost(files), Object.keys(files).sort(), []);

function applyEdits(text: string, edits: TextEdit[]): string {
  return [...edits].sort((a, b) => b.start - a.start).reduce((t, e) => t.slice(0, e.start) + e.newText + t.slice(e.end), text);
}

describe("pgbouncer.ini", () => {
  it("reads [pgbouncer] settings and [databases] connection strings with their places", () => {
    const text = [
      ";; comment",
      "[databases]",
      "# another",
      'shop = host=db port=5432 dbname=shop pool_size=30 reserve_pool=5 connect_query=\'SELECT 1; SELECT 2\'',
      '"odd name" = host=db user=app max_db_connections=40',
      "* = host=db",
      "",
      "[pgbouncer]",
      "max_client_conn = 500 ; not a comment here",
      "default_pool_size=25",
      "pool_mode = transaction",
      "",
    ].join("\r\n");
    const ini = parsePgBouncerIni(text);
    assert.equal(slice(text, ini.settings.get("default_pool_size")?.span), "25");
    assert.equal(ini.settings.get("max_client_conn")?.value, "500 ; not a comment here", "`;` is not special after the start of a line");
    assert.equal(ini.settings.get("pool_mode")?.value, "transaction");
    assert.equal(slice(text, ini.header), "pgbouncer");
    assert.deepEqual(ini.databases.map((d) => d.name), ["shop", "odd name", "*"]);
    const shop = ini.databases[0].params;
    assert.equal(slice(text, shop.get("pool_size")?.span), "30");
    assert.equal(shop.get("reserve_pool")?.value, "5");
    assert.equal(shop.get("connect_query")?.value, "SELECT 1; SELECT 2");
    assert.equal(ini.databases[1].params.get("user")?.value, "app");
    assert.equal(slice(text, ini.databases[1].params.get("max_db_connections")?.span), "40");
  });

  it("a second [pgbouncer] header starts over (PgBouncer keeps the last section's settings only)", () => {
    const ini = parsePgBouncerIni("[pgbouncer]\nmax_client_conn = 300\n[databases]\na = host=x\n[pgbouncer]\nlisten_port = 6433\n");
    assert.equal(ini.settings.get("max_client_conn"), undefined);
    assert.equal(ini.settings.get("listen_port")?.value, "6433");
  });

  it("is a deployment file by name", () => {
    assert.equal(fileKind("deploy/pgbouncer.ini"), "pgbouncer");
    assert.equal(fileKind("pgbouncer-prod.ini"), "pgbouncer");
    assert.equal(fileKind("uwsgi.ini"), "uwsgi");
  });
});

describe("PgBouncer in the model", () => {
  const compose = (pgbouncer: string, extra = "") =>
    "services:\n  web:\n    image: shop:1\n    command: gunicorn shop.wsgi --workers 2 --bind 0.0.0.0:8000\n    environment:\n" +
    "      DATABASE_URL: postgres://shop:pw@pgbouncer:6432/shop\n      DB_POOL_SIZE: \"10\"\n" +
    `  pgbouncer:\n${pgbouncer}` +
    "  db:\n    image: postgres:16\n    command: postgres -c max_connections=50\n" +
    extra;

  it("edoburu/pgbouncer: settings from its variables, at their lines; POOL_SIZE there is not an app pool", () => {
    const text = compose("    image: edoburu/pgbouncer:1.22.1\n    environment:\n      DB_HOST: db\n      MAX_CLIENT_CONN: \"300\"\n      RESERVE_POOL_SIZE: \"5\"\n      POOL_SIZE: \"50\"\n      POOL_MODE: transaction\n");
    const m = model({ "docker-compose.yml": text });
    const [pooler] = m.poolers ?? [];
    assert.equal(pooler.maxClientConn?.value, 300);
    assert.equal(pooler.maxClientConn?.name, "MAX_CLIENT_CONN");
    assert.equal(slice(text, pooler.maxClientConn?.at), "300");
    assert.deepEqual([pooler.defaultPoolSize?.value, pooler.defaultPoolSize?.origin], [20, "default"]);
    assert.equal(pooler.reservePoolSize?.value, 5);
    assert.equal(pooler.poolMode.value, "transaction");
    assert.deepEqual(pooler.databases.map((d) => [d.name, d.host]), [["*", "db"]]);
    assert.deepEqual(pooler.clients, ["compose:docker-compose.yml#web"]);
    assert.equal(pooler.server, "db (docker-compose.yml)");
    assert.equal(m.deployments.find((d) => d.name.startsWith("pgbouncer"))?.pool, undefined);
    assert.deepEqual(m.databases[0].clients, [], "web's connections end at PgBouncer");
  });

  it("bitnami/pgbouncer: PGBOUNCER_-prefixed variables, its database entry and user= only when asked", () => {
    const text = compose(
      "    image: bitnami/pgbouncer:1.23.1\n    environment:\n      POSTGRESQL_HOST: db\n      POSTGRESQL_USERNAME: shop\n      PGBOUNCER_DATABASE: shop\n" +
        "      PGBOUNCER_SET_DATABASE_USER: \"yes\"\n      PGBOUNCER_DEFAULT_POOL_SIZE: \"45\"\n      PGBOUNCER_MAX_DB_CONNECTIONS: \"40\"\n",
    );
    const [pooler] = model({ "docker-compose.yml": text }).poolers ?? [];
    assert.equal(pooler.defaultPoolSize?.name, "PGBOUNCER_DEFAULT_POOL_SIZE");
    assert.equal(pooler.defaultPoolSize?.value, 45);
    assert.deepEqual(pooler.databases, [{ name: "shop", host: "db", user: "shop" }]);
    const shares = pgbouncerServerShares(pooler, [], pooler.server);
    assert.deepEqual(shares?.map((s) => [s.users, s.cap?.value, s.total]), [[1, 40, 40]], "45 capped at max_db_connections 40");
  });

  it("a mounted pgbouncer.ini is read instead of the image's variables (the entrypoint writes none then)", () => {
    const files = {
      "docker-compose.yml": compose("    image: edoburu/pgbouncer:1.22.1\n    volumes:\n      - ./pgbouncer.ini:/etc/pgbouncer/pgbouncer.ini:ro\n    environment:\n      DB_HOST: db\n      MAX_CLIENT_CONN: \"10\"\n"),
      "pgbouncer.ini": "[databases]\nshop = host=db user=shop pool_size=15\n[pgbouncer]\nmax_client_conn = 400\n",
    };
    const [pooler] = model(files).poolers ?? [];
    assert.equal(pooler.configFile, "pgbouncer.ini");
    assert.deepEqual([pooler.maxClientConn?.name, pooler.maxClientConn?.value], ["max_client_conn", 400]);
    assert.equal(pooler.databases[0].poolSize?.value, 15);
  });

  it("an app that bypasses PgBouncer stays PostgreSQL's client; one through it is PgBouncer's", () => {
    const text = compose("    image: edoburu/pgbouncer:1.22.1\n    environment:\n      DB_HOST: db\n", "  worker:\n    image: shop:1\n    command: celery -A shop worker -c 2\n    environment:\n      DATABASE_URL: postgres://shop:pw@db:5432/shop\n      DB_POOL_SIZE: \"4\"\n");
    const m = model({ "docker-compose.yml": text });
    assert.deepEqual(m.poolers?.[0].clients, ["compose:docker-compose.yml#web"]);
    assert.deepEqual(m.databases[0].clients, ["compose:docker-compose.yml#worker"]);
  });

  it("a pgbouncer.ini of its own: its clients reach it by its listen_port or a host that says pgbouncer", () => {
    const files = {
      Procfile: "web: gunicorn shop.wsgi --workers 2\n",
      "app.json": '{"env": {"DATABASE_URL": {"value": "postgres://u:p@10.0.0.5:6543/shop"}, "DB_POOL_SIZE": {"value": "5"}}}',
      "ops/pgbouncer.ini": "[databases]\n* = host=10.0.0.9\n[pgbouncer]\nlisten_port = 6543\n",
    };
    const m = model(files);
    assert.deepEqual(m.poolers?.map((p) => [p.name, p.clients]), [["ops/pgbouncer.ini", ["procfile:Procfile#web"]]]);
    assert.ok(m.databases.every((d) => d.clients.length === 0), "not compared with an assumed PostgreSQL");
  });

  it("server connections: one pool per client user without user=, one per database name for `*`", () => {
    const files = {
      "docker-compose.yml":
        "services:\n  a:\n    image: x:1\n    command: gunicorn a.wsgi\n    environment:\n      DATABASE_URL: postgres://alice:pw@pgbouncer/one\n      DB_POOL_SIZE: \"2\"\n" +
        "  b:\n    image: x:1\n    command: gunicorn b.wsgi\n    environment:\n      DATABASE_URL: postgres://bob:pw@pgbouncer/two\n      DB_POOL_SIZE: \"2\"\n" +
        "  pgbouncer:\n    image: edoburu/pgbouncer:1.22.1\n    volumes: [\"./pgbouncer.ini:/etc/pgbouncer/pgbouncer.ini\"]\n  db:\n    image: postgres:16\n",
      "pgbouncer.ini": "[databases]\none = host=db pool_size=10\n* = host=db\n[pgbouncer]\ndefault_pool_size = 7\nreserve_pool_size = 1\n",
    };
    const m = model(files);
    const pooler = m.poolers![0];
    const shares = pgbouncerServerShares(pooler, m.deployments.filter((d) => pooler.clients.includes(d.id)), pooler.server)!;
    // one: (10 + 1) x 2 users; *: database two only, (7 + 1) x 2 users.
    assert.deepEqual(shares.map((s) => [s.database.name, s.names, s.users, s.total]), [["one", 1, 2, 22], ["*", 1, 2, 16]]);
  });
});

describe("pgbouncer/* fixes, re-read", () => {
  it("max_client_conn raised in pgbouncer.ini: the file reads the same but for that value, and the rule is quiet", () => {
    const files = readFixture(join(FIXTURES, "stacks", "fastapi-pgbouncer-ini-transaction"));
    const finding = audit(memoryHost(files)).findings.find((f) => f.rule === "pgbouncer/clients-exceed-max-client-conn");
    assert.ok(finding);
    const file = "pgbouncer/pgbouncer.ini";
    const fixed = applyEdits(files[file], finding.fixes[0].edits);
    const before = parsePgBouncerIni(files[file]);
    const after = parsePgBouncerIni(fixed);
    assert.equal(after.settings.get("max_client_conn")?.value, "180");
    assert.deepEqual(
      [...after.settings].filter(([k]) => k !== "max_client_conn").map(([k, v]) => [k, v.value]),
      [...before.settings].filter(([k]) => k !== "max_client_conn").map(([k, v]) => [k, v.value]),
    );
    assert.deepEqual(after.databases.map((d) => [d.name, [...d.params].map(([k, v]) => [k, v.value])]), before.databases.map((d) => [d.name, [...d.params].map(([k, v]) => [k, v.value])]));
    const again = audit(memoryHost({ ...files, [file]: fixed })).findings.map((f) => f.rule);
    assert.ok(!again.includes("pgbouncer/clients-exceed-max-client-conn"), again.join(", "));
  });

  it("max_client_conn added below [pgbouncer] when it is not written: read as the new value", () => {
    const files = readFixture(join(FIXTURES, "pgbouncer", "clients-exceed-max-client-conn", "ini-of-its-own-without-max-client-conn"));
    const finding = audit(memoryHost(files)).findings.find((f) => f.rule === "pgbouncer/clients-exceed-max-client-conn");
    assert.ok(finding);
    const file = "deploy/pgbouncer.ini";
    const fixed = applyEdits(files[file], finding.fixes[0].edits);
    const after = parsePgBouncerIni(fixed);
    assert.equal(after.settings.get("max_client_conn")?.value, "150");
    assert.equal(after.settings.get("default_pool_size")?.value, "25");
    assert.deepEqual(audit(memoryHost({ ...files, [file]: fixed })).findings, []);
  });

  it("db/connections-exceed-max's fix for a direct client leaves room for PgBouncer's server connections: nothing is left to report", () => {
    const files = readFixture(join(FIXTURES, "db", "connections-exceed-max", "direct-worker-counted-pgbouncer-clients-not"));
    const finding = audit(memoryHost(files)).findings.find((f) => f.rule === "db/connections-exceed-max");
    assert.ok(finding);
    const fixed = applyEdits(files["docker-compose.yml"], finding.fixes[0].edits);
    assert.deepEqual(audit(memoryHost({ ...files, "docker-compose.yml": fixed })).findings.map((f) => f.rule), []);
  });

  for (const [fixture, rule, variable, value] of [
    ["rails-puma-sidekiq-bitnami-pgbouncer", "pgbouncer/clients-exceed-max-client-conn", "PGBOUNCER_MAX_CLIENT_CONN", "110"],
    ["../pgbouncer/clients-exceed-max-client-conn/bitnami-default-list-environment", "pgbouncer/clients-exceed-max-client-conn", "PGBOUNCER_MAX_CLIENT_CONN", "200"],
    ["../pgbouncer/server-connections-exceed-max/edoburu-default-pool-size-three-replicas", "pgbouncer/server-connections-exceed-max", "DEFAULT_POOL_SIZE", "15"],
  ] as const) {
    it(`${rule} in ${fixture.replace(/^.*\//, "")}: the variable added to the service's environment is valid YAML, read by compose as ${variable}=${value}`, () => {
      const files = readFixture(join(FIXTURES, "stacks", fixture));
      const finding = audit(memoryHost(files)).findings.find((f) => f.rule === rule);
      assert.ok(finding);
      const fixed = applyEdits(files["docker-compose.yml"], finding.fixes[0].edits);
      assert.deepEqual(parseAllDocuments(fixed).flatMap((d) => d.errors), []);
      const pgbouncer = parseComposeFile(fixed, "docker-compose.yml").services.get("pgbouncer");
      assert.equal(pgbouncer?.environment.get(variable)?.value, value);
      const again = audit(memoryHost({ ...files, "docker-compose.yml": fixed })).findings.map((f) => f.rule);
      assert.ok(!again.includes(rule), again.join(", "));
    });
  }
});
