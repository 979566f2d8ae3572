import { SOURCES } from "../../knowledge/sources.ts";
import { GOOD_JOB_SOURCES, goodJobConnections, goodJobExtraTerms, goodJobThreadsText } from "../../model/good-job.ts";
import type { Pool } from "../../model/pools.ts";
import { plural } from "../../report/plural.ts";
import type { RelatedInfo, SourceRef } from "../../types.ts";
import { defineRule } from "../define.ts";
import { runsPuma } from "../workers/threads.ts";

export default defineRule({
  meta: {
    id: "db/puma-threads-exceed-pool",
    summary: "Puma runs more threads per process than Active Record's pool has connections",
    severity: "warning",
    fix: "unsafe",
    sources: [SOURCES.pumaThreadsDefault, SOURCES.railsPumaTemplateThreads, SOURCES.railsDatabaseYmlPool, SOURCES.railsPoolDefault, ...GOOD_JOB_SOURCES],
    docs: {
      why:
        "Each Puma thread that serves a request checks a connection out of its process's Active Record pool. When a " +
        "process runs more threads than the pool holds, the extra threads wait for a connection under load, and after " +
        "the checkout timeout (5 s by default) the request fails with ActiveRecord::ConnectionTimeoutError. Rails' own " +
        "puma.rb template says the pool must provide at least as many connections as threads. Threads are read from " +
        "`puma -t min:max` or `threads` in config/puma.rb (Puma's default is 5 on MRI), also when `bin/rails server` (the CMD of Rails' generated Dockerfile) starts Puma with config/puma.rb; the pool from a `?pool=` in " +
        "DATABASE_URL, database.yml's `pool:` (ERB such as `<%= ENV.fetch(\"RAILS_MAX_THREADS\") { 5 } %>` is read as " +
        "text, never run), or RAILS_MAX_THREADS/DB_POOL, else Rails' default of 5; a `pool:` written in a way Headroom cannot evaluate leaves the pool unknown and the rule quiet. With `config.good_job.execution_mode = :async` " +
        "(config/environments/<env>.rb or config/application.rb, where its line runs for the deployment's environment) or GOOD_JOB_EXECUTION_MODE=async (or async_server, async_all), " +
        "GoodJob runs its job threads inside each Puma process, from the same pool: they count too (`config.good_job.max_threads`, else GOOD_JOB_MAX_THREADS, else RAILS_MAX_THREADS, " +
        "else 5, or the threads GOOD_JOB_QUEUES gives each scheduler), plus 1 for LISTEN/NOTIFY and 2 for cron when GOOD_JOB_ENABLE_CRON is on, as GoodJob's README counts them.\n\n" +
        "The fix raises the pool to the thread count. It is unsafe: every process then opens more database connections, " +
        "so check db/connections-exceed-max afterwards (or lower the threads instead).",
      bad: {
        Procfile: "web: bundle exec puma -C config/puma.rb\n",
        "config/puma.rb": "threads 10, 10\nport ENV.fetch(\"PORT\") { 3000 }\n",
        "config/database.yml": "production:\n  adapter: postgresql\n  url: <%= ENV[\"DATABASE_URL\"] %>\n  pool: 5\n",
      },
      good: {
        Procfile: "web: bundle exec puma -C config/puma.rb\n",
        "config/puma.rb": "threads 10, 10\nport ENV.fetch(\"PORT\") { 3000 }\n",
        "config/database.yml": "production:\n  adapter: postgresql\n  url: <%= ENV[\"DATABASE_URL\"] %>\n  pool: 10\n",
      },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      const pool = deployment.pool;
      if (!pool || pool.kind !== "activerecord") continue;
      for (const process of deployment.processes) {
        const threads = process.threads;
        // GOOD_JOB_EXECUTION_MODE=async runs GoodJob's threads in the same process, from the same pool.
        const goodJob = process.goodJob?.asyncMode ? process.goodJob : undefined;
        const needed = (threads?.value ?? 0) + (goodJob ? goodJobConnections(goodJob) : 0);
        // `bin/rails server` (Rails 8's Dockerfile CMD) runs Puma with config/puma.rb too.
        if (!runsPuma(process) || !threads || needed <= pool.size.value) continue;
        const poolAt = pool.size.origin === "stated" ? pool.size.at : undefined;
        const threadsAt = threads.origin === "stated" ? threads.at : undefined;
        const at = poolAt ?? threadsAt ?? process.commandAt;
        const related: RelatedInfo[] = [];
        if (threadsAt && threadsAt !== at) related.push({ at: threadsAt, message: `${threads.value} Puma threads per process` });
        if (poolAt && poolAt !== at) related.push({ at: poolAt, message: `Active Record pool: ${pool.size.value} connections per process` });
        const modeAt = goodJob?.asyncMode?.at;
        if (goodJob && modeAt) related.push({ at: modeAt, message: `${goodJob.asyncModeFrom ?? "GOOD_JOB_EXECUTION_MODE"} ${goodJob.asyncMode?.value}: GoodJob runs its jobs inside each Puma process` });
        const jobThreadsAt = goodJob?.threads.origin === "stated" ? goodJob.threads.at : undefined;
        if (goodJob && jobThreadsAt && !samePlace(jobThreadsAt, at)) related.push({ at: jobThreadsAt, message: `${goodJobThreadsText(goodJob)} in each Puma process` });
        const jobs = goodJob ? ` and GoodJob, run async in the same process, ${goodJobThreadsText(goodJob)}${goodJobExtraTerms(goodJob)}: ${needed} connections from one pool,` : "";
        const written = poolAt && text(poolAt.file)?.slice(poolAt.start, poolAt.end);
        report({
          at,
          deployment,
          message:
            `Puma runs up to ${threads.value} threads per process (${threadsAt ? `set in ${threadsAt.file}` : `${threads.by ?? "Puma"}'s default`})${jobs} but Active Record's pool holds ${poolText(pool)}: ` +
            `${plural(needed - pool.size.value, "thread")} can wait for a connection under load and fail with ActiveRecord::ConnectionTimeoutError after the checkout timeout.`,
          related,
          // A pool read from the value that sizes the threads too (RAILS_MAX_THREADS) would raise them with it.
          fixes: poolAt && written === String(pool.size.value) && !samePlace(poolAt, threadsAt) && !samePlace(poolAt, jobThreadsAt) ? [{ title: `Raise the pool to ${needed} (one connection per thread; more database connections per process)`, safe: false, edits: [{ ...poolAt, newText: String(needed) }] }] : [],
        });
      }
    }
  },
});

function samePlace(a: SourceRef | undefined, b: SourceRef | undefined): boolean {
  return a !== undefined && b !== undefined && a.file === b.file && a.start === b.start && a.end === b.end;
}

function poolText(pool: Pool): string {
  if (pool.size.origin === "default") return `${pool.size.value} connections (${pool.size.by}'s default)`;
  const where = pool.size.at ? ` in ${pool.size.at.file}` : "";
  return `${pool.size.value} connections (${pool.sizeName ?? "pool"}${where})`;
}
