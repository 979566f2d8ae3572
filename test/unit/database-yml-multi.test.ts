// Rails multi-database config/database.yml (primary + cache/queue/cable, as Rails 8 generates them): each other
// database on the primary's server is a pool of its own in every process, counted against the same max_connections.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectionBudgets } from "../../server/src/engine/model/budget.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { parseDatabaseYml } from "../../server/src/engine/parse/database-yml.ts";
import { memoryHost } from "../helpers/memory-host.ts";

const yml = `default: &default
  adapter: postgresql
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>

production:
  primary: &primary_production
    <<: *default
    url: <%= ENV["DATABASE_URL"] %>
  primary_replica:
    <<: *primary_production
    replica: true
  cache:
    <<: *primary_production
    database: app_cache
    pool: 10
  queue:
    <<: *primary_production
    database: app_queue
  cable:
    <<: *primary_production
    url: <%= ENV["CABLE_DATABASE_URL"] %>
`;

describe("database.yml's other databases", () => {
  it("lists a three-tier section's other databases, same server when url/host/port read as the primary's, replicas left out", () => {
    const production = parseDatabaseYml(yml, "config/database.yml").environments.get("production");
    assert.deepEqual(production?.databases?.map((d) => [d.name, d.sameServer, d.pool?.kind]), [["cache", true, "number"], ["queue", true, "env"], ["cable", false, "env"]]);
    assert.equal(production?.pool?.envName, "RAILS_MAX_THREADS");
    assert.equal(parseDatabaseYml("production:\n  adapter: postgresql\n  pool: 5\n", "d.yml").environments.get("production")?.databases, undefined);
  });

  it("adds each same-server database's pool per process, capped at the Puma threads", () => {
    const files = (puma: string) => ({ Procfile: "web: bundle exec puma -C config/puma.rb\n", "config/puma.rb": puma, "config/database.yml": yml, ".env": "" });
    const run = (puma: string) => {
      const host = memoryHost(files(puma));
      const model = buildModel(host, host.list(), []);
      return { pool: model.deployments[0].pool, perProcess: connectionBudgets(model)[0]?.shares[0]?.perProcess };
    };
    // Puma's default threads are not stated: each pool counts whole (primary 5 + cache 10 + queue 5), cable is elsewhere.
    const unstated = run("port 3000\n");
    assert.deepEqual([unstated.pool?.databases?.map((d) => [d.name, d.size.value]), unstated.pool?.threadCap], [[["cache", 10], ["queue", 5]], undefined]);
    // 3 threads: at most 3 connections in each pool.
    assert.equal(run("threads 3, 3\n").pool?.threadCap?.value, 3);
    // 5 threads fill the primary and queue pools but not cache's 10.
    const five = run("threads 5, 5\n");
    assert.equal(five.pool?.threadCap?.value, 5);
  });

  it("counts the databases in the budget", () => {
    const host = memoryHost({ Procfile: "web: bundle exec puma -C config/puma.rb\n", "config/puma.rb": "threads 3, 3\nworkers 2\n", "config/database.yml": yml });
    const share = connectionBudgets(buildModel(host, host.list(), []))[0]?.shares[0];
    assert.deepEqual([share?.perProcess, share?.total], [3 + 3 + 3, 2 * 9]);
  });
});
