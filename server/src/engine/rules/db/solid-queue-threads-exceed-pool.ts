import { SOURCES } from "../../knowledge/sources.ts";
import { SOLID_QUEUE_WORKER_EXTRA } from "../../model/solid-queue.ts";
import type { RelatedInfo } from "../../types.ts";
import { defineRule } from "../define.ts";

export default defineRule({
  meta: {
    id: "db/solid-queue-threads-exceed-pool",
    summary: "Solid Queue's worker threads + 2 exceed its database pool: Solid Queue refuses to start",
    severity: "error",
    fix: "none",
    sources: [SOURCES.solidQueueWorkerConnections, SOURCES.solidQueuePumaPlugin, SOURCES.railsDatabaseYmlPool, SOURCES.railsPoolDefault],
    docs: {
      why:
        "Each Solid Queue worker thread uses a connection, and each worker process two more, for its polling and its heartbeat. " +
        "Before it forks anything, Solid Queue's supervisor checks that the pool of the database it uses holds the most threads any " +
        "`workers:` group of config/queue.yml asks for, plus 2; when it does not, it exits with \"Solid Queue is configured to use N " +
        "threads but the database connection pool is M. Increase it in `config/database.yml`\": no job runs (and with Puma's " +
        "`plugin :solid_queue`, Puma stops too). The pool is database.yml's `queue` database (Rails 8 connects Solid Queue to it), " +
        "else the primary's, read for the environment of the service that runs `bin/jobs` (or Puma with the plugin): ERB such as " +
        "`<%= ENV.fetch(\"RAILS_MAX_THREADS\") { 5 } %>` is read as text, with that service's variables. Raising a queue's threads " +
        "to 5 with Rails' default pool of 5 is enough to stop the job runner. No fix: the pool line is usually shared with the other " +
        "databases and services; raise the pool for the job service (a variable it reads), or lower the threads.",
      bad: {
        Procfile: "web: bundle exec puma -C config/puma.rb\njobs: bin/jobs\n",
        "config/queue.yml": "production:\n  workers:\n    - queues: \"*\"\n      threads: 5\n",
        "config/database.yml": "production:\n  adapter: postgresql\n  url: <%= ENV[\"DATABASE_URL\"] %>\n  pool: <%= ENV.fetch(\"RAILS_MAX_THREADS\") { 5 } %>\n",
      },
      good: {
        Procfile: "web: bundle exec puma -C config/puma.rb\njobs: RAILS_MAX_THREADS=7 bin/jobs\n",
        "config/queue.yml": "production:\n  workers:\n    - queues: \"*\"\n      threads: 5\n",
        "config/database.yml": "production:\n  adapter: postgresql\n  url: <%= ENV[\"DATABASE_URL\"] %>\n  pool: <%= ENV.fetch(\"RAILS_MAX_THREADS\") { 5 } %>\n",
      },
    },
  },
  check({ model, report }) {
    for (const deployment of model.deployments) {
      for (const pool of [deployment.pool, ...(deployment.sidePools ?? [])]) {
        const tree = pool?.solidQueue;
        const queuePool = pool?.queuePool;
        if (!tree || !queuePool || tree.workers.length === 0) continue;
        const widest = tree.workers.reduce((a, b) => (b.threads.value > a.threads.value ? b : a));
        const needed = widest.threads.value + SOLID_QUEUE_WORKER_EXTRA;
        if (needed <= queuePool.fact.value) continue;
        const threadsAt = widest.threads.origin !== "default" ? widest.threads.at : undefined;
        const poolAt = queuePool.fact.origin !== "default" ? queuePool.fact.at : undefined;
        const started = tree.inPuma ?? tree.command;
        const at = threadsAt ?? poolAt ?? started;
        if (!at) continue;
        const related: RelatedInfo[] = [];
        if (poolAt && poolAt !== at) related.push({ at: poolAt, message: `the ${queuePool.database} database's pool: ${queuePool.fact.value} connections` });
        if (started && started !== at) related.push({ at: started, message: tree.inPuma ? "Puma's plugin starts Solid Queue's supervisor here" : "Solid Queue's supervisor starts here" });
        const poolText = queuePool.fact.origin === "default" ? `${queuePool.fact.value} (Rails' default; ${queuePool.file} sets none)` : `${queuePool.fact.value}`;
        report({
          at,
          deployment,
          message:
            `Solid Queue's workers run up to ${widest.threads.value} threads (${threadsAt ? threadsAt.file : "Solid Queue's default"}) and need ${widest.threads.value} + ${SOLID_QUEUE_WORKER_EXTRA} = ${needed} connections ` +
            `(polling and heartbeat), but the ${queuePool.database} database's pool holds ${poolText} in ${deployment.name}: Solid Queue refuses to start ` +
            `("Solid Queue is configured to use ${needed} threads but the database connection pool is ${queuePool.fact.value}"), so no job runs. Raise that pool to ${needed} for this service, or lower the threads.`,
          related,
        });
      }
    }
  },
});
