import { SOURCES } from "../../knowledge/sources.ts";
import type { Pool } from "../../model/pools.ts";
import type { RelatedInfo } from "../../types.ts";
import { defineRule } from "../define.ts";

export default defineRule({
  meta: {
    id: "db/sidekiq-concurrency-exceeds-pool",
    summary: "Sidekiq runs more job threads per process than Active Record's pool has connections",
    severity: "warning",
    fix: "none",
    sources: [SOURCES.sidekiqActiveRecordPool, SOURCES.sidekiqConcurrencyDefault, SOURCES.sidekiqConfigFile, SOURCES.railsDatabaseYmlPool, SOURCES.railsPoolDefault],
    docs: {
      why:
        "A Sidekiq process runs `concurrency` job threads, and they share that process's Active Record pool. Rails' generated " +
        "database.yml sizes the pool from RAILS_MAX_THREADS (5 unless set), which a team sets for its Puma service and not for " +
        "Sidekiq, or Sidekiq's concurrency is raised in config/sidekiq.yml alone. With more threads than connections, busy jobs " +
        "wait for a connection and fail after the checkout timeout (5 s) with ActiveRecord::ConnectionTimeoutError; throughput " +
        "collapses while the database sits idle. Sidekiq's wiki asks for a pool close or equal to the number of threads. " +
        "Headroom reads the concurrency as Sidekiq does (`-c`, config/sidekiq.yml's environment section over its top level, " +
        "plus the threads of Sidekiq 7's other capsules (`:capsules:` in sidekiq.yml, or `config.capsule` with a literal `concurrency` in config/initializers/sidekiq.rb), which share the process's pool, " +
        "RAILS_MAX_THREADS, 5) and the pool as Rails does for that service's environment (`?pool=` in DATABASE_URL, database.yml's " +
        "`pool:` with its ERB read as text; one it cannot evaluate, such as `<%= [ENV.fetch(\"RAILS_MAX_THREADS\", 5).to_i, 10].max %>`, is not taken for Rails' default 5; when a variable the pool reads is set nowhere in the workspace and the service's compose `env_file` is not in it either (kept on the server), the message says the default is assumed and relates the env_file line). It reports only a Rails app (database.yml has the section, or DATABASE_URL a pool). " +
        "The finding points at the pool, or at the concurrency when the pool's value is one the app's other processes read too " +
        "(Heroku's app.json env, a shared env_file). No fix: the pool line is usually shared with the web processes; set RAILS_MAX_THREADS (or what `pool:` reads) in the " +
        "Sidekiq service's environment, or lower the concurrency. `db/connections-exceed-max` counts the Sidekiq process at its " +
        "concurrency, the connections it needs once the pool is raised.",
      bad: {
        Procfile: "web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq -c 20\n",
        "config/database.yml": "production:\n  adapter: postgresql\n  url: <%= ENV[\"DATABASE_URL\"] %>\n  pool: <%= ENV.fetch(\"RAILS_MAX_THREADS\") { 5 } %>\n",
      },
      good: {
        Procfile: "web: bundle exec puma -C config/puma.rb\nworker: RAILS_MAX_THREADS=20 bundle exec sidekiq\n",
        "config/database.yml": "production:\n  adapter: postgresql\n  url: <%= ENV[\"DATABASE_URL\"] %>\n  pool: <%= ENV.fetch(\"RAILS_MAX_THREADS\") { 5 } %>\n",
      },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      const pool = deployment.pool;
      const ar = pool?.kind === "sidekiq" ? pool.activeRecord : undefined;
      // Sidekiq 7's other capsules run their own threads in the same process, against the same pool.
      const capsuleThreads = (pool?.capsules ?? []).reduce((sum, c) => sum + c.threads.value, 0);
      if (!pool || !ar || pool.size.value + capsuleThreads <= ar.fact.value) continue;
      const process = deployment.processes.find((p) => p.invocation.server === "sidekiq");
      if (!process) continue;
      const threads = { ...pool.size, value: pool.size.value + capsuleThreads };
      const threadsAt = threads.origin !== "default" ? threads.at : undefined;
      const poolAt = ar.fact.origin !== "default" ? ar.fact.at : undefined;
      // A pool value other services read too (app.json's env, a shared env_file) is not the line to change for Sidekiq:
      // raising it there raises Puma's threads as well. Point at the concurrency then.
      const shared = poolAt && model.deployments.some((d) => d !== deployment && [...d.env.values()].some((f) => f.at?.file === poolAt.file && f.at.start === poolAt.start));
      const at = (shared ? (threadsAt ?? poolAt) : (poolAt ?? threadsAt)) ?? process.commandAt;
      // env_file entries kept on the server: they may set the variables the pool reads.
      const missing = ar.unsetVariables && deployment.envFilesMissing?.length ? [...new Set(deployment.envFilesMissing.map((at) => text(at.file)?.slice(at.start, at.end) ?? at.file))].join(", ") : undefined;
      const related: RelatedInfo[] = [];
      if (threadsAt && threadsAt !== at) related.push({ at: threadsAt, message: `Sidekiq concurrency ${pool.size.value}: job threads per process` });
      if (poolAt && poolAt !== at) related.push({ at: poolAt, message: `Active Record pool: ${ar.fact.value} connections per process${shared ? ", a value the app's other processes read too" : ""}` });
      for (const capsule of pool.capsules ?? []) {
        if (capsule.threads.at) related.push({ at: capsule.threads.at, message: `capsule ${capsule.name}: ${capsule.threads.value} more job threads in the same process` });
      }
      if (missing) for (const envFile of deployment.envFilesMissing ?? []) related.push({ at: envFile, message: `env_file not in the workspace: it may set ${(ar.unsetVariables ?? []).join(" or ")}` });
      if (at !== process.commandAt) related.push({ at: process.commandAt, message: `${deployment.name}: the Sidekiq process` });
      const base = pool.size.value;
      const concurrency =
        (pool.sizeFrom ? `concurrency ${base}, ${pool.sizeFrom}` : pool.sizeName ? `${pool.sizeName} ${base}` : `concurrency ${base}, Sidekiq's default`) +
        (capsuleThreads > 0 ? `, and ${capsuleThreads} in its other capsules` : "");
      const poolText =
        ar.fact.origin === "default"
          ? `${ar.fact.value} connections (Rails' default)`
          : ar.unsetVariables
            ? `${ar.fact.value} connections (${ar.fact.at?.file ?? "database.yml"}'s pool reads ${ar.unsetVariables.join(" and ")}, ${missing ? "which nothing in the workspace sets for this service" : "which this service does not set"}, so its default${missing ? `; assumed: its env_file ${missing} is not in the workspace and may set ${ar.unsetVariables.length === 1 ? "it" : "them"}` : ""})`
            : `${ar.fact.value} connections (${ar.name}${ar.fact.at ? ` in ${ar.fact.at.file}` : ""})`;
      report({
        at,
        deployment,
        message:
          `Sidekiq runs ${threads.value} job threads per process (${concurrency}) in ${deployment.name}, but Active Record's pool there holds ${poolText}: ` +
          `${threads.value - ar.fact.value} busy jobs can wait for a connection and fail with ActiveRecord::ConnectionTimeoutError after the checkout timeout. ` +
          `Set the pool to ${threads.value} for this service (${poolAdvice(ar, threads.value, deployment.id.startsWith("procfile:"))}), or lower the concurrency.`,
        related,
      });
    }
  },
});

/** Where this service's pool is set: the `?pool=` of its URL, the variable database.yml reads, else database.yml itself. */
function poolAdvice(ar: NonNullable<Pool["activeRecord"]>, threads: number, procfileLine: boolean): string {
  if (ar.name === "DATABASE_URL pool") return `?pool=${threads} in its DATABASE_URL`;
  const variable = ar.unsetVariables?.[0] ?? (ar.name !== "pool" ? ar.name : undefined);
  // A Procfile platform's config vars (Heroku's, app.json's) are every process type's: the Procfile line is where one type's value is set.
  if (variable && procfileLine) return `\`${variable}=${threads}\` before the command in its Procfile line, as the app's config vars are every process type's`;
  return variable ? `${variable}=${threads} in its environment, which database.yml's pool reads` : "database.yml's pool: no variable there to set per service";
}
