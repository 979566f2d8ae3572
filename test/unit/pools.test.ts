// Connection pools and databases in the model (model/pools.ts, model/databases.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { memoryHost } from "../helpers/memory-host.ts";

function model(files: Record<string, string>) {
  const host = memoryHost(files);
  return buildModel(host, host.list(), []);
}

const serviceJson = (env: Record<string, string>) =>
  JSON.stringify({ ServiceName: "api", SourceConfiguration: { ImageRepository: { ImageConfiguration: { RuntimeEnvironmentVariables: env } } }, InstanceConfiguration: { Cpu: "1 vCPU" } });

describe("connection pools", () => {
  it("reads SQLAlchemy-style size and overflow, per gunicorn worker", () => {
    const m = model({ "service.json": serviceJson({ DB_POOL_SIZE: "30", DB_MAX_OVERFLOW: "70" }), "start.sh": "#!/bin/sh\nexec gunicorn app:app -w 5\n" });
    const pool = m.deployments[0].pool;
    assert.equal(pool?.kind, "sqlalchemy");
    assert.equal(pool?.size.value, 30);
    assert.equal(pool?.overflow?.value, 70);
    assert.equal(pool?.processes.value, 5);
    assert.equal(pool?.perProcess, true);
  });

  it("does not guess from names outside the table", () => {
    const m = model({ "service.json": serviceJson({ MY_DB_CONNECTIONS: "50" }), "start.sh": "#!/bin/sh\nexec gunicorn app:app -w 5\n" });
    assert.equal(m.deployments[0].pool, undefined);
    assert.deepEqual(m.databases, []);
  });

  it("reads RAILS_MAX_THREADS for puma and Sidekiq's -c, with Rails' and Sidekiq's defaults otherwise", () => {
    const m = model({
      "compose.yml":
        "services:\n  web:\n    image: app\n    command: bundle exec puma\n    environment:\n      DATABASE_URL: postgres://db/app\n      RAILS_MAX_THREADS: 3\n" +
        "  jobs:\n    image: app\n    command: bundle exec sidekiq -c 12\n  idle:\n    image: app\n    command: bundle exec sidekiq\n    environment:\n      DATABASE_URL: postgres://db/app\n",
    });
    const byName = new Map(m.deployments.map((d) => [d.name.split(" ")[0], d.pool]));
    assert.deepEqual([byName.get("web")?.kind, byName.get("web")?.size.value], ["activerecord", 3]);
    assert.deepEqual([byName.get("jobs")?.kind, byName.get("jobs")?.size.value, byName.get("jobs")?.processes.value], ["sidekiq", 12, 1]);
    assert.deepEqual([byName.get("idle")?.size.value, byName.get("idle")?.size.origin, byName.get("idle")?.size.by], [5, "default", "Sidekiq"]);
  });
});

describe("databases", () => {
  it("assumes PostgreSQL's defaults when a pool exists and nothing states the limit", () => {
    const m = model({ "service.json": serviceJson({ DB_POOL_SIZE: "5" }), "start.sh": "#!/bin/sh\nexec gunicorn app:app\n" });
    assert.equal(m.databases.length, 1);
    assert.deepEqual([m.databases[0].maxConnections.value, m.databases[0].maxConnections.origin, m.databases[0].maxConnections.by], [100, "assumed", "PostgreSQL"]);
    assert.equal(m.databases[0].reserved.value, 3);
  });

  it("reads max_connections from a compose postgres service, string and list forms", () => {
    for (const command of ["postgres -c max_connections=200", '["postgres", "-c", "max_connections=200"]', "-N 200"]) {
      const text = `services:\n  api:\n    image: api\n    environment:\n      DATABASE_URL: postgres://db/x\n  db:\n    image: postgres:16\n    command: ${command}\n`;
      const m = model({ "docker-compose.yml": text });
      assert.equal(m.databases.length, 1, command);
      const max = m.databases[0].maxConnections;
      assert.equal(max.value, 200, command);
      assert.equal(max.origin, "stated");
      assert.equal(text.slice(max.at?.start, max.at?.end), "200");
      assert.deepEqual(m.databases[0].clients, ["compose:docker-compose.yml#api"]);
    }
  });

  it("reads a postgresql.conf", () => {
    const m = model({ "service.json": serviceJson({ DB_POOL_SIZE: "5" }), "start.sh": "#!/bin/sh\nexec gunicorn app:app\n", "db/postgresql.conf": "max_connections = 50\nsuperuser_reserved_connections = 2\n" });
    assert.deepEqual([m.databases[0].maxConnections.value, m.databases[0].reserved.value], [50, 2]);
  });
});
