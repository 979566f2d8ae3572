// Solid Queue: config/queue.yml and config/recurring.yml read as text (parse/queue-yml.ts), `bin/jobs` and Puma's
// `plugin :solid_queue` recognised, and the connections the supervisor's processes hold (model/solid-queue.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectionBudgets, shareFormula } from "../../server/src/engine/model/budget.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { solidQueueConnections, solidQueueTerms } from "../../server/src/engine/model/solid-queue.ts";
import { parsePumaRb } from "../../server/src/engine/parse/puma-rb.ts";
import { parseQueueYml, queueProcesses, recurringTaskCount } from "../../server/src/engine/parse/queue-yml.ts";
import { recogniseServer } from "../../server/src/engine/parse/servers.ts";
import { describeSetting, envConditionHolds, type SettingExpr } from "../../server/src/engine/parse/setting-expr.ts";
import { memoryHost } from "../helpers/memory-host.ts";
import { words } from "../helpers/words.ts";

/** Rails 8's generated config/queue.yml. */
const RAILS8_QUEUE_YML = `default: &default
  dispatchers:
    - polling_interval: 1
      batch_size: 500
  workers:
    - queues: "*"
      threads: 3
      processes: <%= ENV.fetch("JOB_CONCURRENCY", 1) %>
      polling_interval: 0.1

development:
  <<: *default

production:
  <<: *default
`;


function model(files: Record<string, string>) {
  const host = memoryHost(files);
  return buildModel(host, host.list(), []);
}

describe("config/queue.yml", () => {
  it("reads workers' threads and processes (ERB as text) through merge keys, per environment", () => {
    const yml = parseQueueYml(RAILS8_QUEUE_YML, "config/queue.yml");
    assert.deepEqual(yml.problems, []);
    const production = queueProcesses(yml, "production");
    assert.equal(production.workers?.length, 1);
    assert.equal(production.dispatchers?.length, 1);
    const [worker] = production.workers ?? [];
    assert.equal(worker.threads && describeSetting(worker.threads), "3");
    assert.equal(worker.processes && describeSetting(worker.processes), '$JOB_CONCURRENCY (default "1")');
    assert.equal(RAILS8_QUEUE_YML.slice(worker.at.start, worker.at.end), 'queues: "*"');
  });

  it("falls back to the top level when the environment has no section, and keeps absent keys absent", () => {
    const yml = parseQueueYml("workers:\n  - threads: 7\n", "config/queue.yml");
    const staging = queueProcesses(yml, "staging");
    assert.equal(staging.workers?.[0].threads?.value, 7);
    assert.equal(staging.dispatchers, undefined);
    const onlyDispatchers = queueProcesses(parseQueueYml("production:\n  dispatchers:\n    - batch_size: 100\n", "q.yml"), "production");
    assert.deepEqual([onlyDispatchers.workers, onlyDispatchers.dispatchers?.length], [undefined, 1]);
  });

  it("reports YAML it cannot read, without throwing", () => {
    assert.equal(parseQueueYml("production:\n  workers: [\n", "config/queue.yml").problems.length > 0, true);
    assert.deepEqual(queueProcesses(parseQueueYml("", "config/queue.yml"), "production"), {});
  });

  it("counts recurring tasks of the environment (entries with a schedule)", () => {
    const text = "# examples:\n#   periodic_cleanup:\n#     schedule: every hour\nproduction:\n  clear_solid_queue_finished_jobs:\n    command: \"SolidQueue::Job.clear_finished_in_batches\"\n    schedule: every hour at minute 12\n  not_a_task:\n    class: X\n";
    assert.equal(recurringTaskCount(text, "config/recurring.yml", "production").count, 1);
    assert.equal(recurringTaskCount(text, "config/recurring.yml", "development").count, 0);
    assert.equal(recurringTaskCount("", "config/recurring.yml", "production").count, 0);
  });
});

describe("recognising Solid Queue's supervisor", () => {
  it("bin/jobs, rake and rails solid_queue:start are Solid Queue; a bare `jobs` is the shell's", () => {
    assert.equal(recogniseServer(words("bin/jobs"))?.server, "solid_queue");
    assert.equal(recogniseServer(words("./bin/jobs start --skip-recurring"))?.server, "solid_queue");
    assert.equal(recogniseServer(words("bundle exec rake solid_queue:start"))?.server, "solid_queue");
    assert.equal(recogniseServer(words("bin/rails solid_queue:start"))?.server, "solid_queue");
    assert.equal(recogniseServer(words("jobs")), undefined);
    assert.equal(recogniseServer(words("bin/rails db:prepare")), undefined);
    assert.equal(recogniseServer(words("bin/rails server"))?.server, "rails");
  });

  it("reads Puma's plugin line and its `if ENV[...]` condition", () => {
    const settings = parsePumaRb('plugin :tmp_restart\nplugin :solid_queue if ENV["SOLID_QUEUE_IN_PUMA"]\nplugin "other" unless ENV["NO_OTHER"]\nplugin :maybe if Rails.env.production?\n', "config/puma.rb").settings;
    const plugin = settings.get("plugin:solid_queue");
    assert.deepEqual([plugin?.kind, plugin?.conditional, plugin?.when?.envName, plugin?.when?.test, plugin?.when?.negated], ["bool", true, "SOLID_QUEUE_IN_PUMA", "set", false]);
    assert.deepEqual([settings.get("plugin:other")?.when?.envName, settings.get("plugin:other")?.when?.negated], ["NO_OTHER", true]);
    assert.deepEqual([settings.get("plugin:tmp_restart")?.kind, settings.get("plugin:tmp_restart")?.conditional], ["bool", undefined]);
    // `if Rails.env.production?`: a test of the environment the app runs in.
    const maybe = settings.get("plugin:maybe");
    assert.deepEqual([maybe?.kind, maybe?.conditional, maybe?.when?.test, maybe?.when?.value, maybe?.when?.negated], ["bool", true, "rails-env", "production", false]);
  });

  it("reads the plugin and solid_queue_mode inside an `if ENV[...] ... end` block, its `else` branch, and comparisons", () => {
    const block = parsePumaRb('threads 3, 3\nif ENV["SOLID_QUEUE_IN_PUMA"]\n  plugin :solid_queue\n  solid_queue_mode :async\nend\nworkers 2\n', "config/puma.rb").settings;
    assert.deepEqual([block.get("plugin:solid_queue")?.conditional, block.get("plugin:solid_queue")?.when?.envName], [true, "SOLID_QUEUE_IN_PUMA"]);
    assert.deepEqual([block.get("solid_queue_mode")?.value, block.get("solid_queue_mode")?.when?.test], ["async", "set"]);
    assert.deepEqual([block.get("workers")?.conditional, block.get("workers")?.when], [undefined, undefined]);
    const compared = parsePumaRb('if ENV.fetch("SOLID_QUEUE_IN_PUMA", "true") == "true"\n  plugin :solid_queue\nelse\n  plugin :other\nend\n', "config/puma.rb").settings;
    const when = compared.get("plugin:solid_queue")?.when;
    assert.ok(when);
    assert.deepEqual([when.test, when.value, when.default, when.negated], ["equals", "true", "true", false]);
    // The variable's value as the environment gives it (undefined: unset).
    const valued = (value: string | undefined) => () => value;
    assert.equal(envConditionHolds(when, valued(undefined)), true);
    assert.equal(envConditionHolds(when, valued("false")), false);
    const otherwise = compared.get("plugin:other")?.when;
    assert.ok(otherwise && otherwise.negated && envConditionHolds(otherwise, valued("false")));
    const present = parsePumaRb('plugin :solid_queue if ENV["SQ"].present?\nsolid_queue_mode ENV.fetch("SOLID_QUEUE_SUPERVISOR_MODE", "fork")\n', "p.rb").settings;
    const test = present.get("plugin:solid_queue")?.when;
    assert.ok(test && envConditionHolds(test, valued("1")) && !envConditionHolds(test, valued(" ")) && !envConditionHolds(test, valued(undefined)));
    assert.equal(present.get("solid_queue_mode") && describeSetting(present.get("solid_queue_mode") as SettingExpr), '$SOLID_QUEUE_SUPERVISOR_MODE (default "fork")');
    // An elsif branch runs when the earlier test fails and its own holds.
    const elsif = parsePumaRb('if ENV["A"]\n  workers 1\nelsif ENV["B"]\n  plugin :solid_queue\nend\n', "p.rb").settings;
    const branch = elsif.get("plugin:solid_queue")?.when;
    assert.ok(branch);
    const vars = (set: Record<string, string>) => (name: string) => set[name];
    assert.deepEqual([envConditionHolds(branch, vars({ B: "1" })), envConditionHolds(branch, vars({ A: "1", B: "1" })), envConditionHolds(branch, vars({}))], [true, false, false]);
    // A condition on anything but one variable or Rails.env is not read.
    const other = parsePumaRb('if File.exist?("x")\n  plugin :solid_queue\nend\n', "p.rb").settings;
    assert.deepEqual([other.get("plugin:solid_queue")?.conditional, other.get("plugin:solid_queue")?.when], [true, undefined]);
  });
});

describe("Solid Queue's connections", () => {
  const app = (extra: Record<string, string>) => ({
    "config/database.yml": "production:\n  adapter: postgresql\n  url: <%= ENV[\"DATABASE_URL\"] %>\n  pool: 5\n",
    "config/queue.yml": RAILS8_QUEUE_YML,
    ".env": "DATABASE_URL=postgres://db/app\n",
    ...extra,
  });

  it("a Procfile's bin/jobs: threads + 2 per worker process, 2 per dispatcher, scheduler and supervisor", () => {
    const m = model(app({ Procfile: "web: bundle exec puma -C config/puma.rb\nworker: JOB_CONCURRENCY=3 bin/jobs\n", "config/recurring.yml": "production:\n  cleanup:\n    class: CleanupJob\n    schedule: every hour\n" }));
    const jobs = m.deployments.find((d) => d.name.startsWith("worker"));
    const pool = jobs?.pool;
    assert.equal(pool?.kind, "solid_queue");
    // 3 worker processes (JOB_CONCURRENCY) x (3 threads + 2) + dispatcher 2 + scheduler 2 + supervisor 2
    assert.equal(pool?.size.value, 3 * (3 + 2) + 2 + 2 + 2);
    assert.equal(pool?.size.at?.file, "Procfile");
    assert.ok(jobs?.files.has("config/queue.yml") && jobs.files.has("config/recurring.yml"));
  });

  it("without config/queue.yml: one worker with 3 threads and one dispatcher; --only-work and SOLID_QUEUE_SKIP_RECURRING drop processes", () => {
    const defaults = model({ ".env": "DATABASE_URL=postgres://db/app\n", Procfile: "worker: bin/jobs\n" });
    assert.equal(defaults.deployments[0].pool?.size.value, 3 + 2 + 2 + 2);
    const recurring = "production:\n  cleanup:\n    class: CleanupJob\n    schedule: every hour\n";
    const onlyWork = model(app({ Procfile: "worker: JOB_CONCURRENCY=3 bin/jobs --only-work\n", "config/recurring.yml": recurring }));
    assert.equal(onlyWork.deployments[0].pool?.size.value, 3 * 5 + 2);
    const skip = model(app({ Procfile: "worker: SOLID_QUEUE_SKIP_RECURRING=true bin/jobs\n", "config/recurring.yml": recurring }));
    assert.equal(skip.deployments[0].pool?.solidQueue?.scheduler, undefined);
  });

  it("Puma's plugin forks a supervisor per instance, counted beside Puma's own pool when its condition holds", () => {
    const puma = 'workers 2\nthreads 5, 5\nplugin :solid_queue if ENV["SOLID_QUEUE_IN_PUMA"]\n';
    const compose = (env: string) =>
      `services:\n  web:\n    build: .\n    command: bundle exec puma -C config/puma.rb\n    deploy:\n      replicas: 2\n    environment:\n      DATABASE_URL: postgres://app@db/app\n      JOB_CONCURRENCY: "3"\n${env}  db:\n    image: postgres:17\n`;
    const on = model(app({ "config/puma.rb": puma, "docker-compose.yml": compose("      SOLID_QUEUE_IN_PUMA: \"1\"\n"), Dockerfile: "FROM ruby:3.4\n" }));
    const web = on.deployments.find((d) => d.name.startsWith("web"));
    assert.equal(web?.sidePools?.length, 1);
    const side = web?.sidePools?.[0];
    assert.equal(side?.solidQueue?.inPuma?.file, "config/puma.rb");
    const budget = connectionBudgets(on)[0];
    // Puma: 2 instances x 2 workers x pool 5 = 20; Solid Queue: 2 x (3 x (3 + 2) + 2 + 2) = 38.
    assert.deepEqual(budget.shares.map((s) => s.total), [20, 38]);
    assert.equal(shareFormula(budget.shares[1]), "2 instances x Solid Queue supervisor forked by Puma (3 worker processes x (3 threads + 2) + 1 dispatcher x 2 + supervisor 2)");
    const off = model(app({ "config/puma.rb": puma, "docker-compose.yml": compose(""), Dockerfile: "FROM ruby:3.4\n" }));
    assert.equal(off.deployments.find((d) => d.name.startsWith("web"))?.sidePools, undefined);
  });

  it("adds each group of workers, with Solid Queue's defaults for what a group leaves out", () => {
    const yml = "production:\n  workers:\n    - queues: [real_time]\n      threads: 5\n      processes: 2\n    - queues: background\n  dispatchers:\n    - batch_size: 500\n    - batch_size: 100\n";
    const m = model({ ".env": "DATABASE_URL=postgres://db/app\n", Procfile: "worker: bundle exec rake solid_queue:start\n", "config/queue.yml": yml });
    const tree = m.deployments[0].pool?.solidQueue;
    assert.ok(tree);
    assert.deepEqual(tree.workers.map((w) => [w.threads.value, w.processes.value, w.threads.origin]), [[5, 2, "stated"], [3, 1, "default"]]);
    assert.equal(solidQueueConnections(tree), 2 * (5 + 2) + (3 + 2) + 2 * 2 + 2);
  });

  describe("the jobs' own queries", () => {
    /** Rails 8's generated production section: cache, queue and cable databases beside the primary, `<<: *primary_production`. */
    const multi = (queue: string) =>
      "default: &default\n  adapter: postgresql\n  pool: <%= ENV.fetch(\"RAILS_MAX_THREADS\") { 5 } %>\n  host: <%= ENV[\"DB_HOST\"] %>\n" +
      "production:\n  primary: &primary_production\n    <<: *default\n    database: app_production\n" +
      "  cache:\n    <<: *primary_production\n    database: app_production_cache\n" +
      queue +
      "  cable:\n    <<: *primary_production\n    database: app_production_cable\n";
    const jobs = (databaseYml: string, procfile = "worker: JOB_CONCURRENCY=2 bin/jobs\n") => {
      const m = model({ "config/database.yml": databaseYml, "config/queue.yml": RAILS8_QUEUE_YML, ".env": "DB_HOST=db\n", Procfile: procfile });
      return connectionBudgets(m)[0].shares.find((s) => s.pool.solidQueue);
    };

    it("a queue database of its own: each job thread also holds a connection to the primary, cache and cable of the same server", () => {
      const share = jobs(multi("  queue:\n    <<: *primary_production\n    database: app_production_queue\n"));
      assert.ok(share);
      // 2 worker processes x (3 threads + 2 on the queue + primary 3 + cache 3 + cable 3) + dispatcher 2 + supervisor 2
      assert.equal(share.total, 2 * (3 + 2 + 3 + 3 + 3) + 2 + 2);
      assert.equal(shareFormula(share), "Solid Queue supervisor (2 worker processes x (3 threads + 2 + primary 3 + cache 3 + cable 3) + 1 dispatcher x 2 + supervisor 2)");
    });

    it("the queue in the primary: a job's queries reuse its thread's connection, only the other databases add", () => {
      const share = jobs(multi(""));
      assert.equal(share?.total, 2 * (3 + 2 + 3 + 3) + 2 + 2);
      const single = jobs("production:\n  adapter: postgresql\n  pool: 5\n  host: db\n");
      assert.equal(single?.total, 2 * (3 + 2) + 2 + 2);
    });

    it("each database up to its own pool; a queue database on another server leaves only the jobs' queries on this one", () => {
      const small = jobs(multi("  queue:\n    <<: *primary_production\n    database: app_production_queue\n"), "worker: JOB_CONCURRENCY=2 RAILS_MAX_THREADS=2 bin/jobs\n");
      // Pools of 2: the job threads (3) take at most 2 from each.
      assert.equal(small?.pool.solidQueue?.jobDatabases?.map((d) => d.size.value).join(), "2,2,2");
      const elsewhere = jobs(multi("  queue:\n    <<: *primary_production\n    host: <%= ENV[\"QUEUE_DB_HOST\"] %>\n    database: app_production_queue\n"));
      assert.ok(elsewhere?.pool.solidQueue?.queueElsewhere);
      assert.equal(elsewhere.total, 2 * (3 + 3 + 3));
      assert.equal(shareFormula(elsewhere), "Solid Queue supervisor (2 worker processes x (primary 3 + cache 3 + cable 3))");
    });
  });

  describe("async mode", () => {
    const puma = (body: string) => `threads_count = ENV.fetch("RAILS_MAX_THREADS", 3)\nthreads threads_count, threads_count\nport ENV.fetch("PORT", 3000)\n${body}`;
    const web = (pumaRb: string, env: Record<string, string>) => {
      const lines = Object.entries(env).map(([k, v]) => `      ${k}: "${v}"\n`).join("");
      const compose = `services:\n  web:\n    build: .\n    command: bundle exec puma -C config/puma.rb\n    environment:\n      DATABASE_URL: postgres://app@db/app\n${lines}  db:\n    image: postgres:17\n`;
      const m = model(app({ "config/puma.rb": pumaRb, "docker-compose.yml": compose, "config/recurring.yml": "production:\n  cleanup:\n    class: CleanupJob\n    schedule: every hour\n" }));
      return m.deployments.find((d) => d.name.startsWith("web"))?.sidePools?.[0];
    };
    const block = puma('if ENV["SOLID_QUEUE_IN_PUMA"]\n  plugin :solid_queue\n  solid_queue_mode :async\nend\n');

    it("the plugin inside an `if ENV[...]` block counts only when the deployment sets the variable, and says so", () => {
      assert.equal(web(block, { JOB_CONCURRENCY: "3" }), undefined);
      const unset = model(app({ "config/puma.rb": block, Procfile: "web: bundle exec puma -C config/puma.rb\n" })).deployments[0].processes[0];
      assert.deepEqual([unset.solidQueue, unset.solidQueueNotLoaded?.when.envName, unset.solidQueueNotLoaded?.at.file], [undefined, "SOLID_QUEUE_IN_PUMA", "config/puma.rb"]);
      const side = web(block, { SOLID_QUEUE_IN_PUMA: "true", JOB_CONCURRENCY: "3" });
      assert.equal(side?.solidQueue?.inPumaWhen?.envName, "SOLID_QUEUE_IN_PUMA");
      assert.equal(side?.solidQueue?.inPumaWhen?.set?.at?.file, "docker-compose.yml");
    });

    it("solid_queue_mode :async: one process, worker processes ignored, held to the queue database's pool", () => {
      // Cluster mode: the supervisor's threads run in Puma's master, whose pool is its own.
      const side = web(block, { SOLID_QUEUE_IN_PUMA: "1", JOB_CONCURRENCY: "3", WEB_CONCURRENCY: "2" });
      assert.equal(side?.solidQueue?.async?.via, "solid_queue_mode :async");
      assert.deepEqual(side?.solidQueue?.workers.map((w) => w.processes.value), [1]);
      // 1 worker x (3 + 2) + dispatcher 2 + scheduler 2 + supervisor 2 = 11, from one pool of 5 (database.yml's pool: 5).
      assert.equal(side?.size.value, 5);
      assert.equal(solidQueueTerms(side?.solidQueue as NonNullable<typeof side>["solidQueue"] & object), "async mode: 1 worker x (3 threads + 2) + 1 dispatcher x 2 + scheduler 2 + supervisor 2 = 11, held to the queue database's pool 5");
      // Single mode: they share the serving process's pool (the queue is in the primary), what its 3 request threads leave of 5.
      const single = web(block, { SOLID_QUEUE_IN_PUMA: "1" });
      assert.equal(single?.size.value, 5 - 3);
      assert.match(solidQueueTerms(single?.solidQueue as NonNullable<typeof single>["solidQueue"] & object), /held to what Puma's request threads \(3\) leave of the primary's pool in the same process: 2$/);
      // Forked, the same file counts 3 worker processes x (3 + 2) + 6.
      const forked = web(puma('plugin :solid_queue if ENV["SOLID_QUEUE_IN_PUMA"]\n'), { SOLID_QUEUE_IN_PUMA: "1", JOB_CONCURRENCY: "3" });
      assert.equal(forked?.size.value, 3 * 5 + 6);
      // The mode read from a variable, with its default.
      const fromEnv = puma('plugin :solid_queue\nsolid_queue_mode ENV.fetch("SOLID_QUEUE_MODE", "fork")\n');
      assert.equal(web(fromEnv, {})?.solidQueue?.async, undefined);
      assert.equal(web(fromEnv, { SOLID_QUEUE_MODE: "async" })?.solidQueue?.async?.via, "solid_queue_mode from SOLID_QUEUE_MODE=async");
    });

    it("bin/jobs --mode async and SOLID_QUEUE_SUPERVISOR_MODE=async run the workers as threads of the supervisor", () => {
      const option = model(app({ Procfile: "worker: JOB_CONCURRENCY=3 bin/jobs --mode async\n" })).deployments[0].pool;
      assert.equal(option?.solidQueue?.async?.via, "--mode async");
      assert.equal(option?.size.value, 5);
      const variable = model(app({ Procfile: "worker: JOB_CONCURRENCY=3 SOLID_QUEUE_SUPERVISOR_MODE=async bin/jobs\n", "config/database.yml": "production:\n  adapter: postgresql\n  pool: 10\n" })).deployments[0].pool;
      assert.equal(variable?.solidQueue?.async?.via, "SOLID_QUEUE_SUPERVISOR_MODE=async");
      assert.equal(variable?.size.value, 3 + 2 + 2 + 2);
      const fork = model(app({ Procfile: "worker: JOB_CONCURRENCY=3 bin/jobs --mode fork\n" })).deployments[0].pool;
      assert.equal(fork?.solidQueue?.async, undefined);
    });
  });
});
