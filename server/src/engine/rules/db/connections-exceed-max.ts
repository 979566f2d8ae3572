import { CONFIG_FILE } from "../../config.ts";
import { SOURCES } from "../../knowledge/sources.ts";
import { capsuleThreads, connectionBudgets, countsFloor, ownConnectionsText, poolSizeText, type PoolShare, processesText, shareSum, sidekiqPoolCap, sumIsFloor } from "../../model/budget.ts";
import { pgbouncerServerTotal } from "../../model/pgbouncer.ts";
import { djangoPersistent, holdsOwnConnections, type JobDatabase } from "../../model/pools.ts";
import { poolerName } from "../pgbouncer/common.ts";
import type { Database, Deployment } from "../../model/types.ts";
import type { Fact, Fix, RelatedInfo, SourceRef, TextEdit } from "../../types.ts";
import { defineRule } from "../define.ts";
import { type Threads, threadsPerWorker } from "../workers/threads.ts";
import { addOption } from "../proxy/chain.ts";
import { serverName } from "../../parse/servers.ts";
import { GOOD_JOB_SOURCES } from "../../model/good-job.ts";
import { ACTION_CABLE_SOURCES } from "../../model/action-cable.ts";
import { SOLID_QUEUE_OTHER_CONNECTIONS, SOLID_QUEUE_SOURCES, SOLID_QUEUE_WORKER_EXTRA, type SolidQueueTree } from "../../model/solid-queue.ts";

/** App Runner's default autoscaling configuration: MaxSize 25 (SOURCES.appRunnerAutoScalingDefaults). */
const APP_RUNNER_DEFAULT_MAX_SIZE = 25;

export default defineRule({
  meta: {
    id: "db/connections-exceed-max",
    summary: "Connection pools can open more connections than the database accepts",
    severity: "error",
    fix: "unsafe",
    sources: [
      SOURCES.postgresMaxConnections,
      SOURCES.postgresSuperuserReserved,
      SOURCES.postgresBitnamiMaxConnections,
      SOURCES.postgresSclorgMaxConnections,
      SOURCES.postgresOfficialDerivedImages,
      SOURCES.postgresTimescaleTune,
      SOURCES.sqlalchemyPoolSize,
      SOURCES.sqlalchemyMaxOverflow,
      SOURCES.pydanticSettingsEnvNames,
      SOURCES.sqlalchemyForkSafety,
      SOURCES.railsDatabaseYmlPool,
      SOURCES.railsPoolDefault,
      SOURCES.railsConnectionPerThread,
      SOURCES.sidekiqConcurrencyDefault,
      SOURCES.sidekiqConcurrencyHistory,
      SOURCES.sidekiqConfigFile,
      SOURCES.sidekiqCapsules,
      SOURCES.sidekiqSwarm,
      ...SOLID_QUEUE_SOURCES,
      ...GOOD_JOB_SOURCES,
      ...ACTION_CABLE_SOURCES,
      SOURCES.djangoConnMaxAge,
      SOURCES.djangoAsyncThreadPerRequest,
      SOURCES.gunicornWorkerConnections,
      SOURCES.gunicornDjangoGreenletConnections,
      SOURCES.uwsgiGevent,
      SOURCES.celeryBeatScheduler,
      SOURCES.celeryConcurrencyPools,
      SOURCES.sqlalchemyNoPrecreate,
      SOURCES.flaskSqlalchemyEngineOptions,
      SOURCES.flaskSqlalchemyConfigKeys,
      SOURCES.flaskSqlalchemy2Options,
      SOURCES.djangoConnectionPool,
      SOURCES.psycopgPoolSizes,
      SOURCES.herokuPostgresLimits,
      SOURCES.herokuPythonWebConcurrency,
      SOURCES.herokuRubyWebConcurrency,
      SOURCES.appRunnerAutoScalingDefaults,
      SOURCES.unicornDefaults,
    ],
    docs: {
      why:
        "A connection pool belongs to one process: each gunicorn or puma worker and each Sidekiq process opens its own, " +
        "so a deployment can hold (pool size + overflow) x processes x instances connections, and every service that " +
        "uses the same database adds its own. When the sum is above PostgreSQL's max_connections minus the slots reserved " +
        "for superusers, the connections past the limit fail with \"too many clients already\" at the busiest moment. " +
        "Pools are read from the SQLAlchemy engine the app's code creates (`create_engine(url, pool_size=20, max_overflow=10)`, create_async_engine, in the modules " +
        "the server's app imports, read as text: a literal, `os.getenv(...)`, or a pydantic settings field `settings.DB_POOL_SIZE` with its default, which the " +
        "environment variable of the field's name overrides in any case, as pydantic-settings reads it; without pool_size or max_overflow, SQLAlchemy's 5 and 10; Flask-SQLAlchemy's `db = SQLAlchemy()` is sized by " +
        "SQLALCHEMY_ENGINE_OPTIONS, in `app.config[...]`, `app.config.update(...)` or the config class `app.config.from_object(...)` names (a dotted string, the value of " +
        "an environment variable or, said as assumed, its default, a dict of classes at that key; a class Headroom cannot name counts only when every config class sizes the pool alike), over the constructor's " +
        "`SQLAlchemy(engine_options={...})` key by key, with the same defaults; Flask-SQLAlchemy 2.x's SQLALCHEMY_POOL_SIZE and SQLALCHEMY_MAX_OVERFLOW " +
        "(deprecated in 2.4, removed in 3.0) and 2.x's reverse order (the constructor's options win) apply when the project pins a version below 3.0 " +
        "in the files its image's Dockerfile installs from (`RUN pip install -r requirements/prod.txt`, `uv pip install -r`, `poetry install`: read first), " +
        "else in a lock file (poetry.lock, uv.lock, pdm.lock, Pipfile.lock), its requirements files (requirements.txt, requirements/*.txt and their -r includes, development ones left out), Pipfile or pyproject.toml " +
        "(`[project] dependencies` or Poetry's), an unpinned or open `>=2.4` taken as the newest release, 3.x, and said as assumed; config set after `db.init_app(app)` (or `SQLAlchemy(app)`) in the same function " +
        "is ignored by 3.x, which reads its config only in init_app, and read by 2.x, which creates the engine on first use; where the version decides and nothing pins it, the engine is not counted; each SQLALCHEMY_BINDS " +
        "entry on SQLALCHEMY_DATABASE_URI's server is an engine with a pool of its own in every process, from its own dict or the constructor's options in 3.x, the default's in 2.x), " +
        "from the environment (DB_POOL_SIZE/DB_MAX_OVERFLOW and their SQLAlchemy spellings, RAILS_MAX_THREADS or DB_POOL, " +
        "`sidekiq -c`, config/sidekiq.yml's `concurrency` or SIDEKIQ_CONCURRENCY, plus the threads of each Sidekiq 7 capsule its `:capsules:` declares (or config/initializers/sidekiq.rb's `config.capsule(\"name\") { |cap| cap.concurrency = N }`, an integer literal; read as text, never run); " +
        "no fix is offered then, as which queues get the threads is the team's choice), a `?pool=` in DATABASE_URL, config/database.yml's `pool:` and Django's connections " +
        "(one per thread: with CONN_MAX_AGE above 0 it is kept between requests; with 0, Django's default, or DATABASES without CONN_MAX_AGE, it is closed after each request but held while " +
        "the request runs, so a process's threads hold as many at the busiest; under gunicorn's gevent or eventlet worker, one per greenlet, up to its worker_connections, " +
        "default 1000, whatever CONN_MAX_AGE says: each request in flight holds one, and with CONN_MAX_AGE above 0 a greenlet keeps its connection " +
        "after the request while the next client gets a new greenlet; the fix lowers worker_connections where it is stated, else adds `--worker-connections` to the command; under uWSGI's " +
        "gevent loop engine, `--gevent N` or the ini's `gevent = N`, one per async core, N per process; under ASGI, an `<project>.asgi` app or uvicorn and daphne, " +
        "one per request in flight, however many run at once, which Django's docs do not bound: at least 1 per process, said as a floor, and a CONN_MAX_AGE above 0 " +
        "related as what Django's docs say to disable under ASGI) or Django 5.1's connection pool (`\"OPTIONS\": {\"pool\": ...}`: each process's psycopg pool opens up to " +
        "its max_size, else its min_size, 4 for `\"pool\": True`; a fix never lowers max_size below min_size, which psycopg_pool refuses) (docs/pools.md has the table); " +
        "A Unicorn worker serves one client at a time (Unicorn's docs), so it holds one connection of its Active Record pool at most, " +
        "as a Puma process holds one per thread (Rails checks a connection out per thread, opening one only when none is free). " +
        "Servers that run side by side in one instance (supervisord's programs, a start script's `&` servers) each count the pool their own environment sizes; " +
        "servers in the branches of a start script, of which one runs, do not add up. " +
        "Workers a settings file computes from the CPU count (`workers = multiprocessing.cpu_count() * 2 + 1`) count what the formula gives on one CPU, " +
        "said as a floor: cpu_count() reads the host's CPUs, which the files do not say (workers/cpu-count-in-container reports it in a container " +
        "with a CPU limit); no fix lowers a pool then, as a pool sized for the floor overflows on a bigger host. A share counted from a floor " +
        "(these workers, a celery worker without --concurrency or sidekiqswarm without SIDEKIQ_COUNT, each forking one process per host CPU, Django under ASGI) " +
        "says \"= at least N\", and so does the total it is part of; no fix is offered for a pool that such a share also reads, as its arithmetic holds on the smallest host only. " +
        "Sidekiq processes count in the same sum as the web processes, each with its job threads or its Active Record pool, whichever " +
        "is smaller (the pool caps the connections; its other jobs wait, which db/sidekiq-concurrency-exceeds-pool reports). " +
        "Solid Queue's supervisor (`bin/jobs`, `rake solid_queue:start`, or Puma's `plugin :solid_queue`, which forks one beside each Puma server " +
        "when its condition on one environment variable holds, as a modifier or an `if ... end` block, such as Rails 8's `if ENV[\"SOLID_QUEUE_IN_PUMA\"]`; the " +
        "finding names the variable) counts the processes it forks, from config/queue.yml's section for " +
        "RAILS_ENV (ERB such as `<%= ENV.fetch(\"JOB_CONCURRENCY\", 1) %>` read as text): each `workers:` group's `processes` x (`threads` + 2, one " +
        "connection per job thread plus its polling and heartbeat), and 2 for each dispatcher, for the scheduler when config/recurring.yml has tasks, and " +
        "for the supervisor; without the file, Solid Queue's defaults (one worker with 3 threads, one dispatcher). No fix is offered for its share: which " +
        "processes or threads to give up is the team's choice. In async mode (`solid_queue_mode :async` in config/puma.rb, `bin/jobs --mode async`, " +
        "SOLID_QUEUE_SUPERVISOR_MODE=async) the supervisor runs them as threads of one process: each worker group once (`processes` ignored), " +
        "held to that process's pool of the queue database, and in a single-mode Puma process to what its request threads leave of it when the queue is the primary. " +
        "The jobs' own queries go to the app's databases too: with database.yml's `queue` database " +
        "apart from the primary, each worker process's job threads add one connection each to the primary and to the other databases on its server " +
        "(cache, cable), each up to its pool; with the queue in the primary, only the other databases add (a job's queries reuse its thread's connection); a " +
        "`queue` database on another server leaves only these. A `good_job start` process adds the other databases the same way. " +
        "A Rails multi-database section (Rails 8's primary, cache, queue and cable) adds a pool per process for each other database written on the " +
        "primary's server (the same `url`/`host`/`port` text, as `<<: *primary_production` gives it; replicas left out), each up to its own `pool:`. " +
        "A Puma process whose stated threads are fewer than its Active Record pool counts its threads (plus GoodJob's async ones, and Action Cable's worker pool, " +
        "config.action_cable.worker_pool_size, 4 by default, when the app mounts it: config/cable.yml or `mount ActionCable.server` in config/routes.rb, " +
        "unless mount_path is nil): each thread checks " +
        "out one connection and the pool opens one only when none is free; the finding then points at the threads. " +
        "A `good_job start` process counts what GoodJob's README sizes its pool for: its job threads (`--max-threads`, GOOD_JOB_MAX_THREADS, RAILS_MAX_THREADS, " +
        "else 5; each `;`-separated scheduler of `--queues`/GOOD_JOB_QUEUES its own `queue:N` threads), 1 for LISTEN/NOTIFY (unless turned off) and 2 for cron " +
        "(`--enable-cron`, GOOD_JOB_ENABLE_CRON); no fix is offered for its share. " +
        "A pool variable (SQLALCHEMY_POOL_SIZE, DB_POOL_SIZE, ...) counts only in a service known to run the app's code: a server or job runner Headroom reads, " +
        "a development server, celery beat, or another program of the app (`python worker.py`, `arq`, `rq`, `dramatiq`, `rake`, `shoryuken`, `que`, `rails runner`, a Ruby or Python script of the workspace such as `bin/delayed_job`: one process, said as assumed). " +
        "A one-off database task (`rake db:migrate`, `bin/rails db:prepare`, `python manage.py migrate` in a migration service, or a Procfile's `release` line) " +
        "holds its connections only while it runs, at deploy time, and is not counted. " +
        "A service that only inherits the variable (a shared `x-` anchor or env_file) and runs its image's own command, which the workspace does not hold " +
        "(unless another service of the project builds that image and tags it with the same `image:`, whose Dockerfile's command it then runs), " +
        "or another program (a Go daemon, nginx) is not counted; the message names it, so its connections can be added if it opens such a pool. A `celery beat` process (the scheduler, which sends tasks and runs none) " +
        "counts one connection whatever its pool says: its one scheduler thread checks out one at a time, and pools open connections only " +
        "when checked out; `celery worker -B` (beat embedded in a worker) is counted as the worker it is. A celery worker forks --concurrency " +
        "processes only with its default prefork pool: with `--pool threads`, `gevent` or `eventlet` its concurrency runs in one process, " +
        "which holds one pool (and `solo` runs one task at a time). The limit from a postgres service's `-c max_connections=N` (a `${VAR}` there is related at the .env line that sets it, the place to change it), a postgresql.conf, " +
        "POSTGRESQL_MAX_CONNECTIONS in the environment of a Bitnami (bitnami/postgresql, postgresql-repmgr) or sclorg/Red Hat (postgresql-NN) image, " +
        "or TS_TUNE_MAX_CONNS for Timescale's; images built on the official one (postgis, pgvector, citus, supabase) and services built FROM any of these count too. " +
        "When nothing in the workspace states the limit, PostgreSQL's default of 100 is assumed and the message says so; " +
        "when the limit is written as a value Headroom cannot read (`-c max_connections=${PG_MAX}` with PG_MAX set nowhere in the workspace), " +
        "it is unknown and the rule says nothing about that database; " +
        "for a managed database, set the real limit in headroom.yml (`facts: { max_connections: N }`) and, when the service " +
        "autoscales, its maximum instance count (`facts: { max_instances: N }`): the budget is then autoscaling max x processes x pool. " +
        "An App Runner service always autoscales (its AutoScalingConfigurationArn, or App Runner's default configuration, MaxSize " +
        `${APP_RUNNER_DEFAULT_MAX_SIZE}); the MaxSize of the configuration the ARN names is read where the workspace keeps it (the ` +
        "JSON input of `aws apprunner create-auto-scaling-configuration`, `AutoScalingConfigurationName` and `MaxSize`, in a file named " +
        "for autoscaling such as `autoscaling.json`) and counted as the autoscaling max; until the workspace or headroom.yml states it, " +
        "the sum counts one instance and the message says how many connections each further instance adds. A gunicorn worker with a thread pool (`--threads N`) serves N requests at once, " +
        "so a SQLAlchemy or Django pool above N per worker only fills if a request holds several connections: the message says so, and the " +
        "fix sizes the pool to the threads (overflow 0) when that fits. An Active Record pool is never lowered below its Puma " +
        "process's threads (the threads would wait for a connection, see db/puma-threads-exceed-pool) unless one variable " +
        "(RAILS_MAX_THREADS) sizes both: when the budget leaves less than that, there is no fix here; lower the threads, " +
        "processes or instances, or raise the limit. Nor is it lowered below the concurrency of a Sidekiq process whose pool reads the same " +
        "value (RAILS_MAX_THREADS in Heroku config vars every process type shares): its jobs would then wait for connections " +
        "(db/sidekiq-concurrency-exceeds-pool). An app whose database URL names a PgBouncer is counted by the pgbouncer/ rules " +
        "instead; the server connections of a PgBouncer in front of the same database are added to the message and the fix's sum.",
      bad: {
        "start.sh": "#!/bin/sh\nexec gunicorn main:app --workers ${GUNICORN_WORKERS:-5} -k uvicorn.workers.UvicornWorker --bind 0.0.0.0:${PORT:-8080}\n",
        "service.json":
          '{\n  "ServiceName": "api",\n  "SourceConfiguration": { "ImageRepository": { "ImageConfiguration": { "RuntimeEnvironmentVariables": {\n' +
          '    "GUNICORN_WORKERS": "5", "DB_POOL_SIZE": "30", "DB_MAX_OVERFLOW": "70"\n  } } } },\n' +
          '  "InstanceConfiguration": { "Cpu": "2 vCPU", "Memory": "4 GB" }\n}\n',
      },
      good: {
        "start.sh": "#!/bin/sh\nexec gunicorn main:app --workers ${GUNICORN_WORKERS:-5} -k uvicorn.workers.UvicornWorker --bind 0.0.0.0:${PORT:-8080}\n",
        "service.json":
          '{\n  "ServiceName": "api",\n  "SourceConfiguration": { "ImageRepository": { "ImageConfiguration": { "RuntimeEnvironmentVariables": {\n' +
          '    "GUNICORN_WORKERS": "5", "DB_POOL_SIZE": "5", "DB_MAX_OVERFLOW": "10"\n  } } } },\n' +
          '  "InstanceConfiguration": { "Cpu": "2 vCPU", "Memory": "4 GB" }\n}\n',
      },
    },
  },
  check({ model, report, text }) {
    for (const { database, shares, total, allowed } of connectionBudgets(model)) {
      if (shares.length === 0 || total <= allowed) continue;
      const biggest = shares.reduce((a, b) => (b.total > a.total ? b : a));
      const at = primaryAt(biggest);
      const terms = shares.map((s) => `${shares.length > 1 ? `${shareName(s)}: ` : ""}${shareSum(s)}`);
      // A sum with a floor in it is a floor: the host's CPUs (or the requests in flight) may add more.
      const anyFloor = sumIsFloor(shares) ? "at least " : "";
      const sum = shares.length > 1 ? `${terms.join("; ")}; ${anyFloor}${total} possible database connections in all` : `${terms[0]} possible database connections`;
      const own = shares.some((s) => holdsOwnConnections(s.pool)) ? (shares.every((s) => holdsOwnConnections(s.pool)) ? "holds its own connections" : "has its own pool or connections") : "has its own pool";
      const perProcessNote = shares.length > 1 ? `each process ${own}, not shared` : `each ${singular(biggest.pool.processLabel)} ${ownConnectionsText(biggest.pool)}, not shared`;
      // PgBouncers in front of this database add their server connections (pgbouncer/server-connections-exceed-max).
      const poolers = (model.poolers ?? []).filter((p) => p.server === database.name).map((p) => ({ p, total: pgbouncerServerTotal(p, model.deployments) })).filter((p) => p.total > 0);
      const pooled = poolers.reduce((n, p) => n + p.total, 0);
      const poolerNote = poolers.map((p) => ` ${poolerName(p.p)} opens up to ${p.total} more.`).join("");
      const poolerLines = poolers.flatMap(({ p, total }) => {
        const at = p.defaultPoolSize?.origin === "stated" ? p.defaultPoolSize.at : p.anchor;
        return at ? [{ at, message: `${poolerName(p)}: up to ${total} server connections to this database` }] : [];
      });
      report({
        at,
        deployment: biggest.deployment,
        message: `${sum}; ${perProcessNote}.${poolerNote} PostgreSQL allows ${allowed}: ${limitNote(database)}.${autoscalingNote(shares)}${threadsNote(biggest)}${notCountedNote(model.deployments, database)}`,
        related: [...related(shares, database, at), ...poolerLines],
        fixes: fixes(biggest, shares, total + pooled, allowed, text),
      });
    }
  },
});

/** The database's clients whose environment sets a pool variable but whose command is not known to run the app's code. */
function notCountedNote(deployments: Deployment[], database: Database): string {
  const clients = new Set(database.clients);
  const skipped = deployments.filter((d) => d.poolNotCounted && clients.has(d.id));
  if (skipped.length === 0) return "";
  const names = skipped.map(shortName);
  const variables = [...new Set(skipped.map((d) => d.poolNotCounted))].join(" or ");
  const one = skipped.length === 1;
  const who = one ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  return ` Not counted: ${who}, whose environment sets ${variables} but which ${one ? "runs" : "run"} nothing the workspace shows to be the app's code (an image's own command, another program); add ${one ? "its" : "their"} connections if ${one ? "it opens" : "they open"} that pool.`;
}

/** Deployments that autoscale with no max in headroom.yml: the sum above counts one instance of each. */
function unboundedAutoscaling(shares: PoolShare[]): PoolShare[] {
  return shares.filter((s) => s.deployment.autoscaling && s.deployment.instances.origin !== "configured");
}

/** "one instance", "3 instances" (a platform's floor, Fly's min_machines_running). */
function instanceCount(n: number): string {
  return n === 1 ? "one instance" : `${n} instances`;
}

function autoscalingNote(shares: PoolShare[]): string {
  const unknown = shares
    .filter((s) => s.deployment.instancesUnknown && s.deployment.instances.origin !== "configured")
    .map((s) => ` That counts ${instanceCount(s.deployment.instances.value)}${shares.length > 1 ? ` of ${shortName(s.deployment)}` : ""}: ${s.deployment.instancesUnknown}, each opening up to ${s.total / s.deployment.instances.value} more; set facts.max_instances in headroom.yml to count them.`)
    .join("");
  return unknown + unboundedAutoscaling(shares)
    .map((s) => {
      const config = s.deployment.autoscaling as Fact<string>;
      const which =
        config.origin === "stated"
          ? `autoscaling configuration ${config.value}, whose MaxSize is not in the workspace; App Runner's default is ${APP_RUNNER_DEFAULT_MAX_SIZE}`
          : `no AutoScalingConfigurationArn, so App Runner's default configuration: up to ${APP_RUNNER_DEFAULT_MAX_SIZE} instances`;
      const whose = shares.length > 1 ? ` of ${shortName(s.deployment)}` : "";
      const perInstance = s.total / s.deployment.instances.value;
      return ` That counts one instance${whose}: App Runner adds instances under load (${which}), each opening up to ${perInstance} more; set facts.max_instances in headroom.yml to count them.`;
    })
    .join("");
}

function limitNote(database: Database): string {
  const max = database.maxConnections;
  const limit =
    database.limitNote && max.origin !== "configured"
      ? `max_connections ${max.value} (${database.limitNote})`
      : max.origin === "configured"
      ? `max_connections ${max.value} (configured in ${max.at?.file ?? "the editor settings"})`
      : max.origin === "assumed"
      ? `max_connections ${max.value} (assumed: PostgreSQL's default, nothing in the workspace states the limit)`
      : max.origin === "default"
        ? `max_connections ${max.value} (PostgreSQL's default)`
        : `max_connections ${max.value}`;
  // A platform plan's limit with no slot reserved out of it (Heroku Postgres: what the app's role may open).
  return database.reserved.value === 0 ? limit : `${limit} minus ${database.reserved.value} reserved for superusers`;
}

function primaryAt(s: PoolShare): SourceRef {
  const pool = s.pool;
  // A pool its threads cannot fill: the threads are what sets the connections.
  const threads = pool.threadCap?.threads;
  if (threads?.at && threads.origin !== "default") return threads.at;
  return pool.size.at ?? pool.overflow?.at ?? pool.engine ?? pool.processes.at ?? s.deployment.instances.at ?? { file: [...s.deployment.files].sort()[0] ?? "", start: 0, end: 0 };
}

function related(shares: PoolShare[], database: Database, primary: SourceRef): RelatedInfo[] {
  const out: RelatedInfo[] = [];
  const seen = new Set([`${primary.file}:${primary.start}`]);
  const place = (at: SourceRef, message: string) => {
    const key = `${at.file}:${at.start}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ at, message });
  };
  const add = (fact: Fact<number> | undefined, message: string) => {
    if (fact?.at && fact.origin !== "default" && fact.origin !== "assumed") place(fact.at, message);
  };
  for (const s of shares) {
    const name = shares.length > 1 ? `${shareName(s)}: ` : "";
    const { pool } = s;
    if (pool.solidQueue) {
      solidQueueLines(pool.solidQueue, name, add, place);
      const { instances } = s.deployment;
      add(instances, `${name}${instances.value} instance${instances.value === 1 ? "" : "s"}, each with its own Solid Queue supervisor and processes`);
      continue;
    }
    if (pool.oneThread && pool.processes.at) place(pool.processes.at, `${name}${pool.oneThread.what} runs here: one scheduler thread, one connection at a time`);
    // A floor (from the CPU count, or a count set nowhere here) is assumed, but its line is where the count is set.
    else if (pool.processesAtLeast && pool.processes.at) place(pool.processes.at, `${name}${processesText(pool)} per instance, each opens its own pool`);
    else add(pool.processes, `${name}${processesText(pool)} per instance, each opens its own ${holdsOwnConnections(pool) ? "connections" : "pool"}`);
    // A platform's default with a line of its own (the dyno size Heroku's buildpack sizes WEB_CONCURRENCY by).
    if (pool.processes.origin === "default" && pool.processes.at && pool.processes.by?.startsWith("Heroku")) {
      place(pool.processes.at, `${name}${processesText(pool)} per instance: WEB_CONCURRENCY ${pool.processes.value}, set by ${pool.processes.by}`);
    }
    const cap = sidekiqPoolCap(pool);
    const cable = pool.threadCap?.actionCable ? s.deployment.processes.find((p) => p.actionCable)?.actionCable : undefined;
    if (cable) {
      const size = cable.workers.origin === "default" ? `${cable.workers.value} threads (Rails' default worker_pool_size)` : `${cable.workers.value} threads (worker_pool_size)`;
      place(cable.workers.origin === "default" ? cable.at : (cable.workers.at ?? cable.at), `${name}Action Cable runs in each Puma process: its worker pool's ${size} each check out a connection for channel actions`);
    }
    if (pool.threadCap && cable) add(pool.threadCap.threads, `${name}${pool.threadCap.threads.value} ${pool.threadCap.what} per process, besides Action Cable's workers: each holds one connection at most`);
    else if (pool.threadCap) add(pool.threadCap.threads, `${name}${pool.threadCap.threads.value} ${pool.threadCap.what} per process: each holds one connection at most, fewer than its ${poolSizeText(pool)}`);
    else if (cap) add(cap, `${name}Active Record pool ${cap.value}: connections per sidekiq process, whatever its ${pool.size.value + capsuleThreads(pool)} job threads`);
    else add(pool.size, `${name}${poolSizeText(pool)}: connections per process`);
    // A default size has no line of its own: relate the command that starts the pooled process, where it would be set.
    const pooled = s.deployment.processes.find((p) => (pool.kind === "sidekiq") === (p.invocation.server === "sidekiq"));
    // Django's pool is CONN_MAX_AGE's: relate that line; one thread per process is the server's way, not an unset size.
    const maxAge = pool.connMaxAge;
    const greenlets = pool.greenlets;
    if (greenlets) {
      const serves = greenlets.setting === "gevent" ? `runs ${pool.size.value} async cores (uWSGI's gevent loop engine), each serving a request` : `serves up to worker_connections (${pool.size.value}) clients at once, each`;
      if (greenlets.workerClass.at) place(greenlets.workerClass.at, `${name}${greenlets.kind} worker: each ${singular(pool.processLabel)} ${serves} in a greenlet with its own database connection`);
      if (maxAge?.at) {
        place(
          maxAge.at,
          greenlets.persistent
            ? `${name}CONN_MAX_AGE ${maxAge.value ?? "None"}: each greenlet keeps its connection after its request, and the next client gets a new greenlet and a new connection`
            : `${name}CONN_MAX_AGE 0: each connection is closed at the end of its request, but every request in flight holds one`,
        );
      } else if (greenlets.databases) {
        place(greenlets.databases, `${name}DATABASES without CONN_MAX_AGE: Django closes each connection at the end of its request (CONN_MAX_AGE 0, its default), but every request in flight holds one`);
      }
    } else if (pool.asgi) {
      place(pool.asgi, `${name}Django served over ASGI: one connection per request in flight, however many run at once; counted as at least 1 per process`);
      if (maxAge?.at && djangoPersistent(pool)) place(maxAge.at, `${name}CONN_MAX_AGE ${maxAge.value ?? "None"}: persistent connections, which Django's docs say should be disabled under ASGI (the database backend's pool instead)`);
    } else if (maxAge?.at && djangoPersistent(pool)) place(maxAge.at, `${name}CONN_MAX_AGE ${maxAge.value ?? "None"}: each thread keeps its database connection between requests`);
    else if (maxAge?.at) place(maxAge.at, `${name}CONN_MAX_AGE 0: each connection is closed at the end of its request, but every thread holds one while its request runs`);
    else if (pool.djangoDatabases) {
      place(pool.djangoDatabases, `${name}DATABASES without CONN_MAX_AGE: Django closes each connection at the end of its request (CONN_MAX_AGE 0, its default), but every thread holds one while its request runs`);
    }
    else if (pool.djangoPool) {
      place(pool.djangoPool.at, `${name}OPTIONS pool: each ${singular(pool.processLabel)} opens its own psycopg pool (${poolSizeText(pool)}), shared by its threads`);
    }
    // The engine the app's code creates: where its pool is sized, or would be (SQLAlchemy's defaults when unset).
    else if (pool.engine) place(pool.engine, `${name}${pool.engineWhat ?? "the app creates its SQLAlchemy engine here"}: one pool in each ${singular(pool.processLabel)}`);
    else if (pooled && (pool.size.origin === "default" || pool.size.origin === "assumed")) {
      place(pooled.commandAt, `${name}${serverName(pooled.invocation)} starts here, with ${poolSizeText(pool)}: nothing in the workspace sets it`);
    }
    add(pool.overflow, `${name}${pool.overflowName ?? "max_overflow"} ${pool.overflow?.value}: extra connections per process under load`);
    for (const note of pool.engineNotes ?? []) place(note.at, `${name}${note.message}`);
    jobDatabaseLines(pool.jobDatabases, "good_job process", name, place);
    for (const d of pool.databases ?? []) {
      if (pool.kind === "sqlalchemy") place(d.at, `${name}bind ${d.name} on the same server: an engine and pool of its own (${d.size.value} + ${d.overflow?.value ?? 0}) in each process`);
      else place(d.at, `${name}database ${d.name} on the same server: a pool of its own (${d.size.value}) in each process`);
    }
    for (const capsule of pool.capsules ?? []) add(capsule.threads, `${name}capsule ${capsule.name}: ${capsule.threads.value} more thread${capsule.threads.value === 1 ? "" : "s"} per sidekiq process, each may hold a connection`);
    // A name the workspace's headroom.yml maps (pools.env): show where, so the reading can be checked.
    for (const hop of [...(pool.size.via ?? []), ...(pool.overflow?.via ?? [])].filter((v) => v.at.file === CONFIG_FILE)) {
      place(hop.at, `${name}${hop.note}`);
    }
    // Puma's Solid Queue plugin under a condition this deployment does not meet: say it is left out, and on what it depends.
    for (const p of s.deployment.processes) {
      const off = p.solidQueueNotLoaded;
      if (!off) continue;
      const { envName, test, negated } = off.when;
      place(off.at, `${name}not counted: ${test === "set" && !negated ? `Puma loads this plugin only when ${envName} is set, and this service does not set it` : `the condition on ${envName} that loads this plugin does not hold for this service`}`);
    }
    const { instances } = s.deployment;
    add(instances, `${name}${instances.origin === "configured" || s.deployment.instancesAreMax ? "autoscaling max " : ""}${instances.value} instance${instances.value === 1 ? "" : "s"}, each with its own processes and pools`);
    const autoscaling = s.deployment.autoscaling;
    if (autoscaling?.at && autoscaling.origin === "stated" && unboundedAutoscaling([s]).length > 0) {
      out.push({ at: autoscaling.at, message: `${name}autoscaling configuration ${autoscaling.value}: more instances under load, each with its own pools` });
    }
  }
  // A configured limit replaces the plan's: its note no longer says where the number comes from.
  const limitFrom = database.limitNote && database.maxConnections.origin !== "configured" ? `: ${database.limitNote}` : "";
  add(database.maxConnections, `max_connections ${database.maxConnections.value}${limitFrom}`);
  add(database.reserved, `${database.reserved.value} connections reserved for superusers`);
  return out;
}

/** Lower the biggest pool so the sum fits, when its numbers are written as plain literals. */
/**
 * A SQLAlchemy or Django pool in a gunicorn worker with a thread pool: the worker serves that many requests at
 * once, so it checks out at most that many connections (one per request) unless a request holds several.
 */
function workerThreads(s: PoolShare): Threads | undefined {
  if (s.pool.kind !== "sqlalchemy" && !s.pool.djangoPool) return undefined;
  const gunicorn = s.deployment.processes.find((p) => p.invocation.server === "gunicorn");
  const threads = gunicorn && threadsPerWorker(gunicorn);
  // A psycopg pool keeps min_size connections open whatever the threads use.
  if (threads && threads.value < (s.pool.djangoPool?.minSize ?? 0)) return undefined;
  return threads && threads.value < s.perProcess ? threads : undefined;
}

/**
 * Puma's threads per process for an Active Record pool: its pool must hold at least that many connections when
 * the workspace states them, unless one value sizes both (RAILS_MAX_THREADS in the environment), which the fix then lowers together.
 */
function pumaThreads(s: PoolShare): Fact<number> | undefined {
  if (s.pool.kind !== "activerecord") return undefined;
  return s.deployment.processes.find((p) => p.invocation.server === "puma" || p.invocation.server === "rails")?.threads;
}

function samePlace(a: SourceRef | undefined, b: SourceRef | undefined): boolean {
  return a !== undefined && b !== undefined && a.file === b.file && a.start === b.start && a.end === b.end;
}

function threadsNote(s: PoolShare): string {
  const threads = workerThreads(s);
  if (!threads) return "";
  return (
    ` Each ${singular(s.pool.processLabel)} serves ${threads.value} request${threads.value === 1 ? "" : "s"} at once (${threads.from}): ` +
    `its pool grows past ${threads.value} only if a request holds several connections, so ${s.perProcess} per process is more than it uses.`
  );
}

/**
 * A Sidekiq process whose Active Record pool reads the value the fix lowers (RAILS_MAX_THREADS in config vars every process
 * type shares) and holds its concurrency today: lowered below that, its jobs wait for connections and fail
 * (db/sidekiq-concurrency-exceeds-pool), and the fix's sum, which counts Sidekiq's threads, no longer holds.
 */
function starvesSidekiq(s: PoolShare, shares: PoolShare[], perProcess: number): boolean {
  // A concurrency read from the same value (Sidekiq's default, RAILS_MAX_THREADS) is lowered with it: the fix's sum counts that.
  return shares.some(
    (o) =>
      o !== s && o.pool.kind === "sidekiq" && !sidekiqPoolCap(o.pool) && !samePlace(o.pool.size.at, s.pool.size.at) &&
      samePlace(o.pool.activeRecord?.fact.at, s.pool.size.at) && perProcess < o.pool.size.value + capsuleThreads(o.pool),
  );
}

function fixes(s: PoolShare, shares: PoolShare[], total: number, allowed: number, text: (file: string) => string | undefined): Fix[] {
  // Threads split between capsules are the team's choice of which queues get them: no one number to lower.
  // A Sidekiq process held to a smaller Active Record pool: lowering its concurrency changes nothing.
  // Solid Queue's connections come from several groups of processes: which to shrink is the team's choice.
  // GoodJob's LISTEN/NOTIFY and cron connections do not shrink with its threads: its sum is not the fix's arithmetic.
  // A pool its threads cannot fill: lowering it changes nothing until it is below the threads.
  // Several databases' pools per process: no one number to lower.
  if (s.pool.capsules || sidekiqPoolCap(s.pool) || s.pool.solidQueue || s.pool.goodJob || s.pool.threadCap || s.pool.databases) return [];
  // Deployments whose pool numbers are written at the same places (an extends base, an anchor, one env_file): an edit
  // there lowers all of them, so they share the budget. Sharing one number but not the other is not arithmetic a fix can state.
  const sameOverflow = (o: PoolShare) => (o.pool.overflow?.at === undefined && s.pool.overflow?.at === undefined) || samePlace(o.pool.overflow?.at, s.pool.overflow?.at);
  // A Sidekiq process held to an Active Record pool read from the same place holds at most the lowered value too.
  const capped = (o: PoolShare) => !s.pool.overflow && samePlace(sidekiqPoolCap(o.pool)?.at, s.pool.size.at);
  const coupled = shares.filter((o) => o === s || (samePlace(o.pool.size.at, s.pool.size.at) && sameOverflow(o)) || capped(o));
  // A count that is a floor, in this share or one lowered with it (processes from the host's CPUs, a celery worker without
  // --concurrency, sidekiqswarm without SIDEKIQ_COUNT, Django's connections under ASGI): the lowered value is worked out
  // for the processes counted, and a pool sized to the floor overflows on a bigger host.
  if (coupled.some((o) => countsFloor(o.pool))) return [];
  if (shares.some((o) => !coupled.includes(o) && (samePlace(o.pool.size.at, s.pool.size.at) || samePlace(o.pool.overflow?.at, s.pool.overflow?.at)))) return [];
  const others = total - coupled.reduce((sum, o) => sum + o.total, 0);
  const holders = coupled.reduce((sum, o) => sum + o.deployment.instances.value * o.pool.processes.value, 0);
  const sharedBy = coupled.length > 1 ? ` for ${coupled.map((o) => shortName(o.deployment)).join(" and ")}, which read these values` : "";
  const perProcess = Math.floor((allowed - others) / holders);
  if (perProcess < 1 || starvesSidekiq(s, shares, perProcess)) return [];
  const editable = (fact: Fact<number> | undefined): fact is Fact<number> & { at: SourceRef } =>
    fact?.origin === "stated" && fact.at !== undefined && text(fact.at.file)?.slice(fact.at.start, fact.at.end) === String(fact.value);
  const { pool } = s;
  const sizeName = pool.sizeFrom ? `the concurrency (${pool.sizeFrom})` : (pool.sizeName ?? "the pool size");
  const overflowName = pool.overflowName ?? "max_overflow";
  const oneInstance = unboundedAutoscaling([s]).length > 0 ? " for one instance" : "";
  // Size the pool to the worker's threads when that fits: what the worker can use, not a share of the limit.
  const threads = workerThreads(s);
  // psycopg_pool rejects a max_size below its min_size: a Django pool is not lowered under it.
  const floor = pool.djangoPool?.minSize ?? 1;
  if (threads && threads.value <= perProcess && editable(pool.size) && (!pool.overflow || editable(pool.overflow))) {
    const edits: TextEdit[] = [{ ...pool.size.at, newText: String(threads.value) }];
    // An overflow already at 0 is left as it is (no edit that changes nothing, no "lower to 0" in the title).
    const overflowToZero = pool.overflow !== undefined && pool.overflow.value !== 0;
    if (overflowToZero && pool.overflow?.at) edits.push({ ...pool.overflow.at, newText: "0" });
    const share = holders * threads.value;
    const title =
      `Lower ${sizeName} to ${threads.value}${overflowToZero ? ` and ${overflowName} to 0` : ""}, one connection per thread ` +
      `(${holders} x ${threads.value} = ${share}${sharedBy}${oneInstance}${others > 0 ? `, ${share + others} in all` : ""}, within ${allowed})`;
    return [{ title, safe: false, edits }];
  }
  // gunicorn's default worker_connections is written nowhere: state a lower one on the command line, which wins over the config file.
  const greenletWorker = pool.greenlets && pool.size.origin === "default" ? s.deployment.processes.find((p) => p.greenlets) : undefined;
  if (greenletWorker) {
    const share = holders * perProcess;
    const title = `Add --worker-connections ${perProcess} (${holders} x ${perProcess} = ${share}${sharedBy}${oneInstance}${others > 0 ? `, ${share + others} in all` : ""}, within ${allowed})`;
    const fix = addOption(greenletWorker, "--worker-connections", perProcess, title, text);
    return fix ? [{ ...fix, safe: false }] : [];
  }
  const edits: TextEdit[] = [];
  let title: string;
  let size = pool.size.value;
  let overflow = pool.overflow?.value;
  if (pool.overflow && overflow !== undefined && size <= perProcess) {
    if (!editable(pool.overflow)) return [];
    overflow = perProcess - size;
    edits.push({ ...pool.overflow.at, newText: String(overflow) });
    title = `Lower ${overflowName} to ${overflow}`;
  } else {
    if (!editable(pool.size)) return [];
    // With an overflow, keep the pool's share of the total: 30 + 70 within 19 → 5 + 14.
    size = overflow !== undefined && overflow > 0 ? Math.max(1, Math.floor((perProcess * size) / (size + overflow))) : perProcess;
    const threads = pumaThreads(s);
    if (threads?.origin === "stated" && size < threads.value && !samePlace(threads.at, pool.size.at)) return [];
    if (size < floor) return [];
    edits.push({ ...pool.size.at, newText: String(size) });
    title = `Lower ${sizeName} to ${size}`;
    if (pool.overflow && overflow !== undefined && perProcess - size !== overflow) {
      if (!editable(pool.overflow)) return [];
      overflow = perProcess - size;
      edits.push({ ...pool.overflow.at, newText: String(overflow) });
      title += ` and ${overflowName} to ${overflow}`;
    }
  }
  const newShare = holders * (size + (overflow ?? 0));
  title += ` (${holders} x ${overflow !== undefined ? `(${size} + ${overflow})` : size} = ${newShare}${sharedBy}${oneInstance}${others > 0 ? `, ${newShare + others} in all` : ""}, within ${allowed})`;
  return [{ title, safe: false, edits }];
}

/** The lines that size a Solid Queue supervisor's share: each group of workers' threads and processes, its dispatchers, Puma's plugin line. */
function solidQueueLines(tree: SolidQueueTree, name: string, add: (fact: Fact<number> | undefined, message: string) => void, place: (at: SourceRef, message: string) => void): void {
  const processes = tree.config ? `the processes ${tree.config} describes` : "Solid Queue's default processes (no config/queue.yml: one worker with 3 threads, one dispatcher)";
  const when = tree.inPumaWhen;
  if (tree.inPuma && tree.async) place(tree.inPuma, `${name}Puma runs a Solid Queue supervisor here, in each instance, as threads of its own process (${tree.async.via}), with ${processes}`);
  else if (tree.inPuma) place(tree.inPuma, `${name}Puma forks a Solid Queue supervisor here, in each instance, with ${processes}`);
  if (when?.set?.at) place(when.set.at, `${name}${when.envName} set here: config/puma.rb loads plugin :solid_queue only when it is`);
  if (tree.async?.at) place(tree.async.at, `${name}${tree.async.via}: the supervisor runs its workers, dispatchers and scheduler as threads of one process, each worker group once (its processes ignored), from one pool per database`);
  else if (tree.command && !tree.config) place(tree.command, `${name}Solid Queue's supervisor starts here, with ${processes}`);
  for (const w of tree.workers) {
    const processes = `${w.processes.value} worker process${w.processes.value === 1 ? "" : "es"}`;
    const where = tree.async ? "a worker" : `each of ${processes}`;
    add(w.threads, `${name}${w.threads.value} job threads in ${where}: one connection each, plus ${SOLID_QUEUE_WORKER_EXTRA} for its polling and heartbeat`);
    if (!tree.async) add(w.processes, `${name}${processes} forked by the supervisor, each with ${w.threads.value} + ${SOLID_QUEUE_WORKER_EXTRA} connections`);
  }
  for (const d of tree.dispatchers) if (d.at) place(d.at, `${name}a dispatcher${tree.async ? "" : " process"}: ${SOLID_QUEUE_OTHER_CONNECTIONS} connections (polling and heartbeat)`);
  if (tree.queueElsewhere) place(tree.queueElsewhere, `${name}the queue database is on another server: Solid Queue's own connections go there and are not counted here, the jobs' queries of this server's databases are`);
  jobDatabaseLines(tree.jobDatabases, "worker process", name, place);
}

/** The databases a job runner's jobs query besides its queue: each job thread takes a connection from each pool. */
function jobDatabaseLines(databases: readonly JobDatabase[] | undefined, processName: string, name: string, place: (at: SourceRef, message: string) => void): void {
  for (const d of databases ?? []) {
    if (d.at) place(d.at, `${name}database ${d.name} on the same server: the jobs' own queries take a connection from its pool (${d.size.value}) for each job thread of a ${processName}`);
  }
}

/** A share's name in a sum of several: the deployment, and what Puma forks beside it. */
function shareName(s: PoolShare): string {
  const tree = s.pool.solidQueue;
  // A server beside the deployment's first one in its instance (a supervisord program): named by its server.
  if (!tree?.inPuma) return s.deployment.sidePools?.includes(s.pool) ? `${shortName(s.deployment)} (${s.pool.processLabel.split(" ")[0]})` : shortName(s.deployment);
  const condition = tree.inPumaWhen ? `, as ${tree.inPumaWhen.envName} is set` : "";
  return `${shortName(s.deployment)} (Solid Queue ${tree.async ? "in Puma's process" : "forked by Puma"}${condition})`;
}

function shortName(deployment: Deployment): string {
  return deployment.name.replace(/ \([^)]*\)$/, "");
}

/** "5 gunicorn workers" → "gunicorn worker process", "sidekiq process" → itself. */
function singular(label: string): string {
  const one = label.endsWith("processes") ? label.slice(0, -2) : label.endsWith("workers") ? label.slice(0, -1) : label;
  return one.endsWith("process") ? one : `${one} process`;
}
