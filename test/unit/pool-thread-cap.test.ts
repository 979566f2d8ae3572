// A Puma process opens at most one connection per thread from its Active Record pool (model/pools.ts threadCap):
// a pool bigger than the threads (Rails 8's defaults: 3 threads, pool 5) counts the threads.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectionBudgets } from "../../server/src/engine/model/budget.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { memoryHost } from "../helpers/memory-host.ts";

const databaseYml = "production:\n  adapter: postgresql\n  url: <%= ENV[\"DATABASE_URL\"] %>\n  pool: <%= ENV.fetch(\"DB_POOL\") { 5 } %>\n";

function share(procfile: string, puma: string) {
  const host = memoryHost({ Procfile: procfile, "config/puma.rb": puma, "config/database.yml": databaseYml });
  const model = buildModel(host, host.list(), []);
  return { pool: model.deployments[0].pool, perProcess: connectionBudgets(model)[0]?.shares[0]?.perProcess };
}

describe("Puma threads below the Active Record pool", () => {
  it("counts the stated threads when they are fewer than the pool", () => {
    const { pool, perProcess } = share("web: bundle exec puma -C config/puma.rb\n", "workers 2\nthreads 3, 3\n");
    assert.deepEqual([pool?.size.value, pool?.threadCap?.value, perProcess], [5, 3, 3]);
  });

  it("counts the pool when the threads fill it, or when Puma's threads are only its default", () => {
    assert.equal(share("web: bundle exec puma -C config/puma.rb\n", "threads 8, 8\n").pool?.threadCap, undefined);
    const unread = share("web: bundle exec puma -C config/puma.rb\n", "threads compute_threads, compute_threads\n");
    assert.deepEqual([unread.pool?.threadCap, unread.perProcess], [undefined, 5]);
  });

  it("adds GoodJob's async threads, which check out from the same pool", () => {
    const { pool, perProcess } = share("web: GOOD_JOB_EXECUTION_MODE=async GOOD_JOB_MAX_THREADS=2 DB_POOL=12 bundle exec puma -C config/puma.rb\n", "threads 3, 3\n");
    // 3 Puma threads + 2 GoodJob threads + LISTEN/NOTIFY 1, below the pool of 12.
    assert.deepEqual([pool?.threadCap?.value, pool?.threadCap?.goodJob, perProcess], [6, 3, 6]);
  });
});
