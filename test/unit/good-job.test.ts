// GoodJob: `good_job start` recognised, its threads read as GoodJob reads them (model/good-job.ts), and the connections
// its process, or GOOD_JOB_EXECUTION_MODE=async inside Puma, needs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectionBudgets, shareFormula } from "../../server/src/engine/model/budget.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { goodJobConnections, goodJobThreads } from "../../server/src/engine/model/good-job.ts";
import { recogniseServer, type ServerInvocation } from "../../server/src/engine/parse/servers.ts";
import type { Fact } from "../../server/src/engine/types.ts";
import { memoryHost } from "../helpers/memory-host.ts";
import { words } from "../helpers/words.ts";

const envOf = (vars: Record<string, string>) => (name: string): Fact<string> | undefined => (name in vars ? { value: vars[name], origin: "stated" } : undefined);
const threadsOf = (line: string, vars: Record<string, string> = {}) => goodJobThreads(recogniseServer(words(line)) as ServerInvocation, envOf(vars));

describe("GoodJob", () => {
  it("recognises good_job start (its default command) and nothing else of good_job's", () => {
    assert.equal(recogniseServer(words("bundle exec good_job start"))?.server, "good_job");
    assert.equal(recogniseServer(words("good_job --max-threads=4"))?.server, "good_job");
    assert.equal(recogniseServer(words("good_job"))?.server, "good_job");
    assert.equal(recogniseServer(words("bundle exec good_job cleanup_preserved_jobs")), undefined);
  });

  it("reads threads as GoodJob does: --max-threads, GOOD_JOB_MAX_THREADS, RAILS_MAX_THREADS, 5; each scheduler of --queues its own", () => {
    assert.deepEqual([threadsOf("good_job start --max-threads 8", { GOOD_JOB_MAX_THREADS: "3" }).threads.value, threadsOf("good_job start --max-threads 8").threadsFrom], [8, "--max-threads"]);
    assert.equal(threadsOf("good_job start", { GOOD_JOB_MAX_THREADS: "3", RAILS_MAX_THREADS: "9" }).threads.value, 3);
    assert.equal(threadsOf("good_job start", { RAILS_MAX_THREADS: "9" }).threads.value, 9);
    assert.deepEqual([threadsOf("good_job start").threads.value, threadsOf("good_job start").threads.origin], [5, "default"]);
    // README: `--queues=mice:2;elephants:1` is 3 threads; a scheduler without a count has max_threads.
    assert.equal(threadsOf("good_job start --queues=mice:2;elephants:1").threads.value, 3);
    assert.equal(threadsOf("good_job start --queues=mice:2;* --max-threads=4").threads.value, 6);
    assert.equal(threadsOf("good_job start", { GOOD_JOB_QUEUES: "a;b", GOOD_JOB_MAX_THREADS: "4" }).threads.value, 8);
    assert.equal(threadsOf("good_job start --queues=mice,elephants").threads.value, 5);
  });

  it("adds 1 connection for LISTEN/NOTIFY unless turned off, and 2 for cron when on", () => {
    assert.equal(goodJobConnections(threadsOf("good_job start")), 5 + 1);
    assert.equal(goodJobConnections(threadsOf("good_job start --enable-cron")), 5 + 1 + 2);
    assert.equal(goodJobConnections(threadsOf("good_job start", { GOOD_JOB_ENABLE_CRON: "true" })), 5 + 1 + 2);
    assert.equal(goodJobConnections(threadsOf("good_job start --no-enable-listen-notify")), 5);
    assert.equal(goodJobConnections(threadsOf("good_job start", { GOOD_JOB_ENABLE_LISTEN_NOTIFY: "false" })), 5);
  });

  it("counts a Procfile's good_job process in the database's budget, and async threads inside Puma only with an async mode", () => {
    const host = memoryHost({
      Procfile: "web: bundle exec puma -C config/puma.rb\nworker: bundle exec good_job start --max-threads=10\n",
      "config/puma.rb": "workers 2\nthreads 5, 5\n",
      "config/database.yml": "production:\n  adapter: postgresql\n  url: <%= ENV[\"DATABASE_URL\"] %>\n  pool: 5\n",
    });
    const m = buildModel(host, host.list(), []);
    const budget = connectionBudgets(m)[0];
    const worker = budget.shares.find((s) => s.pool.kind === "good_job");
    assert.ok(worker);
    assert.equal(worker.total, 11);
    assert.equal(shareFormula(worker), "1 good_job process x (10 GoodJob threads (--max-threads) + LISTEN/NOTIFY 1)");
    assert.equal(m.deployments.find((d) => d.name.startsWith("web"))?.processes[0].goodJob, undefined);

    const asyncHost = memoryHost({ Procfile: "web: GOOD_JOB_EXECUTION_MODE=async_server bundle exec puma -C config/puma.rb\n", "config/puma.rb": "threads 5, 5\n" });
    const web = buildModel(asyncHost, asyncHost.list(), []).deployments[0].processes[0].goodJob;
    assert.deepEqual([web?.asyncMode?.value, web?.threads.value, web?.listenNotify], ["async_server", 5, true]);
  });

  it("a good_job process's jobs query the other databases of the primary's server too (cache, cable), each up to its threads", () => {
    const databaseYml =
      "production:\n  primary: &primary\n    adapter: postgresql\n    host: db\n    pool: 10\n  cache:\n    <<: *primary\n    database: app_cache\n    pool: 3\n" +
      "  cable:\n    <<: *primary\n    database: app_cable\n  analytics:\n    <<: *primary\n    host: warehouse\n";
    const host = memoryHost({ Procfile: "worker: bundle exec good_job start --max-threads=5\n", "config/database.yml": databaseYml });
    const worker = connectionBudgets(buildModel(host, host.list(), []))[0].shares.find((s) => s.pool.kind === "good_job");
    // 5 threads + LISTEN/NOTIFY 1 + cache min(3, 5) + cable min(10, 5); analytics is on another server.
    assert.equal(worker?.total, 5 + 1 + 3 + 5);
    assert.equal(worker && shareFormula(worker), "1 good_job process x (5 GoodJob threads (--max-threads) + LISTEN/NOTIFY 1 + cache 3 + cable 5)");
  });
  it("reads config.good_job in config/application.rb and config/environments/<env>.rb over the GOOD_JOB_* variables, where its line runs", () => {
    const application = 'module Shop\n  class Application < Rails::Application\n    config.good_job.max_threads = 2\n  end\nend\n';
    const webOf = (production: string, vars: Record<string, string> = {}) => {
      const env = Object.entries(vars).map(([k, v]) => `ENV ${k}=${v}\n`).join("");
      const host = memoryHost({ Dockerfile: `FROM ruby:3.4\n${env}CMD ["bundle", "exec", "puma", "-C", "config/puma.rb"]\n`, "config/puma.rb": "threads 3, 3\n", "config/application.rb": application, "config/environments/production.rb": production });
      return buildModel(host, host.list(), []).deployments[0].processes[0].goodJob;
    };
    const configure = (body: string) => `Rails.application.configure do\n${body}end\n`;
    // The environment's file wins over application.rb, and both over GOOD_JOB_MAX_THREADS (GoodJob's rails_config comes first).
    const both = webOf(configure("  config.good_job.execution_mode = :async\n  config.good_job.max_threads = 4\n"), { GOOD_JOB_MAX_THREADS: "9" });
    assert.deepEqual([both?.asyncMode?.value, both?.asyncModeFrom, both?.threads.value], ["async", "config.good_job.execution_mode", 4]);
    assert.equal(webOf(configure("  config.good_job.execution_mode = :async\n"))?.threads.value, 2);
    // Blocks and modifiers on tests Headroom reads: the branch production runs.
    assert.equal(webOf(configure("  if Rails.env.production?\n    config.good_job.execution_mode = :async\n  end\n"))?.asyncMode?.value, "async");
    assert.equal(webOf(configure("  if Rails.env.staging?\n    config.good_job.execution_mode = :async\n  else\n    config.good_job.execution_mode = :external\n  end\n")), undefined);
    assert.equal(webOf(configure("  unless ENV['JOBS_IN_WEB']\n    config.good_job.execution_mode = :external\n  else\n    config.good_job.execution_mode = :async\n  end\n"), { JOBS_IN_WEB: "1" })?.asyncMode?.value, "async");
    assert.equal(webOf(configure("  config.good_job.execution_mode = :async if ENV['JOBS_IN_WEB']\n")), undefined);
    assert.equal(webOf(configure('  config.good_job.execution_mode = ENV.fetch("GOOD_JOB_MODE", "async").to_sym\n')), undefined, "a value Headroom does not evaluate is not taken");
    // A test Headroom cannot read, or a method body: not taken.
    assert.equal(webOf(configure("  if File.exist?('jobs')\n    config.good_job.execution_mode = :async\n  end\n")), undefined);
    assert.equal(webOf(configure("  def self.jobs!\n    config.good_job.execution_mode = :async\n  end\n")), undefined);
  });

  it("reads config.good_job = { ... } as the same settings, replacing the keys set before it, and config/initializers/good_job.rb last", () => {
    const webOf = (files: Record<string, string>, vars: Record<string, string> = {}) => {
      const env = Object.entries(vars).map(([k, v]) => `ENV ${k}=${v}\n`).join("");
      const host = memoryHost({ Dockerfile: `FROM ruby:3.4\n${env}CMD ["bundle", "exec", "puma", "-C", "config/puma.rb"]\n`, "config/puma.rb": "threads 3, 3\n", "config/application.rb": "module Shop\n  class Application < Rails::Application\n    config.good_job.max_threads = 2\n  end\nend\n", ...files });
      return buildModel(host, host.list(), []).deployments[0].processes[0].goodJob;
    };
    const hash =
      'Rails.application.configure do\n  config.good_job = {\n    preserve_job_records: true, # keep them\n    execution_mode: :async_server,\n    max_threads: ENV.fetch("JOB_THREADS", 4).to_i,\n' +
      '    cron: { sweep: { cron: "0 * * * *", class: "SweepJob" } },\n    :queues => "mice:2;elephants:1",\n    enable_cron: true,\n  }\nend\n';
    const fromHash = webOf({ "config/initializers/good_job.rb": hash });
    assert.deepEqual([fromHash?.asyncMode?.value, fromHash?.threads.value, fromHash?.threadsFrom, fromHash?.cron], ["async_server", 3, "--queues", true]);
    assert.equal(webOf({ "config/environments/production.rb": 'config.good_job = { execution_mode: :async, max_threads: ENV.fetch("JOB_THREADS", 4).to_i }\n' }, { JOB_THREADS: "6" })?.threads.value, 6);
    // The hash replaces application.rb's max_threads: GoodJob's default (or its variables) applies.
    const replaced = webOf({ "config/environments/production.rb": "config.good_job = {\n  execution_mode: :async\n}\n" }, { GOOD_JOB_MAX_THREADS: "7" });
    assert.deepEqual([replaced?.threads.value, replaced?.threadsFrom], [7, "GOOD_JOB_MAX_THREADS"]);
    // The initializer wins over the environment's file; a hash under a test production fails, or with string keys, sets nothing.
    assert.equal(webOf({ "config/environments/production.rb": "config.good_job.execution_mode = :async\n", "config/initializers/good_job.rb": "Rails.application.config.good_job.execution_mode = :external\n" }), undefined);
    assert.equal(webOf({ "config/environments/production.rb": "config.good_job = { execution_mode: :async } if Rails.env.development?\n" }), undefined);
    assert.equal(webOf({ "config/environments/production.rb": 'config.good_job = { "execution_mode" => :async }\n' }), undefined);
    assert.equal(webOf({ "config/environments/production.rb": "config.good_job = {\n  execution_mode: :async,\n" }), undefined, "an unclosed hash is not read");
  });
});
