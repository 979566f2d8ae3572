// Connection pools and databases in the model (model/pools.ts, model/databases.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { audit } from "../../server/src/engine/audit.ts";
import { POOL_ENV_ROLES } from "../../server/src/engine/config.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { postgresImage } from "../../server/src/engine/model/databases.ts";
import { poolSizeText } from "../../server/src/engine/model/budget.ts";
import { POOL_ENV } from "../../server/src/engine/model/pools.ts";
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

  it("labels Sidekiq's concurrency with where it was read: the flag as written, or config/sidekiq.yml", () => {
    const sidekiq = (command: string, extra: Record<string, string> = {}) => {
      const pool = model({ "compose.yml": `services:\n  jobs:\n    image: app\n    command: ${command}\n    environment:\n      DATABASE_URL: postgres://db/app\n`, ...extra }).deployments[0].pool;
      return pool && poolSizeText(pool);
    };
    assert.equal(sidekiq("bundle exec sidekiq -c 12"), "concurrency 12 (-c)");
    assert.equal(sidekiq("bundle exec sidekiq -c12"), "concurrency 12 (-c)");
    assert.equal(sidekiq("bundle exec sidekiq --concurrency=12"), "concurrency 12 (--concurrency)");
    assert.equal(sidekiq("bundle exec sidekiq", { "config/sidekiq.yml": ":concurrency: 7\n" }), "concurrency 7 (config/sidekiq.yml)");
    assert.equal(sidekiq("bundle exec sidekiq"), "concurrency 5 (Sidekiq's default)");
  });

  it("relates one stated instance in the singular", async () => {
    const files = { "compose.yml": "services:\n  web:\n    image: app\n    command: gunicorn app:app -w 4\n    environment:\n      DATABASE_URL: postgres://db/app\n      DB_POOL_SIZE: 40\n    deploy:\n      replicas: 1\n" };
    const result = await audit(memoryHost(files), {});
    const finding = result.findings.find((f) => f.rule === "db/connections-exceed-max");
    assert.deepEqual(finding?.related.map((r) => r.message).filter((m) => m.endsWith("each with its own processes and pools")), ["1 instance, each with its own processes and pools"]);
  });

  it("names the server that runs: `rails server` runs Puma, and Puma without workers is one process", () => {
    const labels = (command: string, env: string) =>
      model({ "compose.yml": `services:\n  web:\n    image: app\n    command: ${command}\n    environment:\n      DATABASE_URL: postgres://db/app\n${env}`, "config/puma.rb": "threads 5, 5\n" })
        .deployments[0].pool?.processLabel;
    assert.equal(labels("bin/rails server", "      WEB_CONCURRENCY: 2\n"), "puma workers");
    assert.equal(labels("bin/rails server", ""), "puma process");
    assert.equal(labels("bundle exec puma -w 3", ""), "puma workers");
  });
});

describe("Active Record pools: DATABASE_URL ?pool=, database.yml, RAILS_MAX_THREADS", () => {
  const compose = (env: string[], command = "bundle exec puma") => ["services:", "  web:", "    image: app", `    command: ${command}`, "    environment:", ...env.map((e) => `      ${e}`), ""].join("\n");
  const yml = 'default: &default\n  adapter: postgresql\n  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>\nproduction:\n  <<: *default\nstaging:\n  <<: *default\n  pool: 2\n';
  const text = (files: Record<string, string>, at: { file: string; start: number; end: number } | undefined) => (at ? files[at.file].slice(at.start, at.end) : undefined);

  it("database.yml's ERB pool reads the deployment's RAILS_MAX_THREADS; the file joins the deployment", () => {
    const files = { "docker-compose.yml": compose(["RAILS_MAX_THREADS: 8"]), "config/database.yml": yml };
    const d = model(files).deployments[0];
    assert.deepEqual([d.pool?.kind, d.pool?.size.value, d.pool?.sizeName], ["activerecord", 8, "RAILS_MAX_THREADS"]);
    assert.equal(text(files, d.pool?.size.at), "8");
    assert.ok(d.files.has("config/database.yml"));
    assert.ok(d.links.some((l) => l.to === "config/database.yml"), JSON.stringify(d.links));
  });

  it("unset, the ERB default written in database.yml is the pool", () => {
    const files = { "docker-compose.yml": compose(["DATABASE_URL: postgres://db/app"]), "config/database.yml": yml };
    const pool = model(files).deployments[0].pool;
    assert.equal(pool?.size.value, 5);
    assert.equal(pool?.size.origin, "stated");
    assert.equal(pool?.size.at?.file, "config/database.yml");
    assert.equal(text(files, pool?.size.at), "5");
  });

  it("RAILS_ENV picks the section", () => {
    const files = { "docker-compose.yml": compose(["RAILS_ENV: staging"]), "config/database.yml": yml };
    assert.equal(model(files).deployments[0].pool?.size.value, 2);
  });

  it("a pool in DATABASE_URL's query wins over database.yml; its number is pointed at", () => {
    const files = { "docker-compose.yml": compose(['DATABASE_URL: "postgres://u:p@db/app?sslmode=require&pool=12"']), "config/database.yml": yml };
    const pool = model(files).deployments[0].pool;
    assert.equal(pool?.size.value, 12);
    assert.equal(text(files, pool?.size.at), "12");
  });

  it("pool=12x or poolsize=3 in the URL are not pools; without database.yml RAILS_MAX_THREADS still counts", () => {
    for (const url of ["postgres://db/app?pool=12x", "postgres://db/app?poolsize=3"]) {
      const pool = model({ "docker-compose.yml": compose([`DATABASE_URL: "${url}"`, "RAILS_MAX_THREADS: 6"]) }).deployments[0].pool;
      assert.equal(pool?.size.value, 6, url);
    }
  });

  it("puma threads: -t max, then config/puma.rb, then Puma's default of 5", () => {
    const threads = (files: Record<string, string>) => model(files).deployments[0].processes[0].threads;
    assert.equal(threads({ "docker-compose.yml": compose([], "bundle exec puma -t 2:9") })?.value, 9);
    const rb = { "docker-compose.yml": compose(["RAILS_MAX_THREADS: 4"]), "config/puma.rb": 'n = ENV.fetch("RAILS_MAX_THREADS") { 3 }\nthreads n, n\n' };
    assert.equal(threads(rb)?.value, 4);
    const none = threads({ "docker-compose.yml": compose([]) });
    assert.deepEqual([none?.value, none?.origin, none?.by], [5, "default", "Puma"]);
  });
});

describe("Django persistent connections (CONN_MAX_AGE)", () => {
  const compose = (command: string, env: string[] = []) => ["services:", "  web:", "    image: app", `    command: ${command}`, "    environment:", "      DATABASE_URL: postgres://db/app", ...env.map((e) => `      ${e}`), ""].join("\n");

  it("`<project>.wsgi` names <project>/settings.py; CONN_MAX_AGE = None keeps one connection per thread (1 for sync workers)", () => {
    const m = model({ "docker-compose.yml": compose("gunicorn mysite.wsgi -w 3"), "mysite/settings.py": "# CONN_MAX_AGE = 0\nCONN_MAX_AGE = None\n" });
    const d = m.deployments[0];
    assert.deepEqual([d.pool?.kind, d.pool?.size.value, d.pool?.processes.value], ["django", 1, 3]);
    assert.ok(d.files.has("mysite/settings.py"));
  });

  it("DJANGO_SETTINGS_MODULE and `from .base import *`; the env value fills env.int(...); threads from --threads", () => {
    const files = {
      "docker-compose.yml": compose("gunicorn config.wsgi:application -w 2 --threads 4", ["DJANGO_SETTINGS_MODULE: config.settings.production", "CONN_MAX_AGE: 120"]),
      "config/settings/production.py": "from .base import *  # noqa\n",
      "config/settings/base.py": 'DATABASES = {"default": env.db()}\nDATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)\n',
    };
    const pool = model(files).deployments[0].pool;
    assert.deepEqual([pool?.kind, pool?.size.value, pool?.processes.value], ["django", 4, 2]);
  });

  it("CONN_MAX_AGE 0 (Django's default: closed after each request) or DATABASES alone: still one connection per thread while its request runs, not persistent", () => {
    const read = (command: string, settings: string) => {
      const pool = model({ "docker-compose.yml": compose(command), "mysite/settings.py": settings }).deployments[0].pool;
      return pool && [pool.kind, pool.size.value, pool.processes.value, pool.connMaxAge?.value, pool.djangoDatabases?.file, poolSizeText(pool)];
    };
    const databases = 'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "db"}}\n';
    assert.deepEqual(read("gunicorn mysite.wsgi -w 3", "CONN_MAX_AGE = 0\n"), ["django", 1, 3, 0, undefined, "1 connection (one per thread while its request runs, CONN_MAX_AGE 0)"]);
    assert.deepEqual(read("gunicorn mysite.wsgi -w 3 --threads 4", databases), ["django", 4, 3, undefined, "mysite/settings.py", "4 connections (one per thread while its request runs, CONN_MAX_AGE 0)"]);
    assert.deepEqual(read("gunicorn mysite.wsgi -w 3 --threads 4", "CONN_MAX_AGE = 60\n"), ["django", 4, 3, 60, undefined, "4 persistent connections (one per thread, CONN_MAX_AGE)"]);
    // A value it cannot read, or a settings module that uses no database: nothing counted.
    for (const settings of ["CONN_MAX_AGE = compute()\n", "DEBUG = False\n"]) assert.equal(read("gunicorn mysite.wsgi -w 3", settings), undefined, settings);
  });

  it("gevent and eventlet workers: worker_connections per process (gunicorn's 1000 by default), whatever CONN_MAX_AGE or --threads; DATABASES alone counts too", () => {
    const read = (command: string, settings: string, extra: Record<string, string> = {}) => {
      const pool = model({ "docker-compose.yml": compose(command), "mysite/settings.py": settings, ...extra }).deployments[0].pool;
      return [pool?.kind, pool?.size.value, pool?.size.origin, pool?.greenlets?.kind, pool?.greenlets?.persistent, pool?.processes.value];
    };
    const databases = 'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "db"}}\n';
    assert.deepEqual(read("gunicorn mysite.wsgi -w 3 -k gevent --threads 8", "CONN_MAX_AGE = 60\n"), ["django", 1000, "default", "gevent", true, 3]);
    assert.deepEqual(read("gunicorn mysite.wsgi -w 2 --worker-class eventlet --worker-connections 50", "CONN_MAX_AGE = 0\n"), ["django", 50, "stated", "eventlet", false, 2]);
    assert.deepEqual(read("gunicorn mysite.wsgi -w 2 -k gevent", databases), ["django", 1000, "default", "gevent", false, 2]);
    const conf = { "gunicorn.conf.py": 'import os\nworkers = 4\nworker_class = os.environ.get("WORKER_CLASS", "gevent")\nworker_connections = 64\n' };
    assert.deepEqual(read("gunicorn -c gunicorn.conf.py mysite.wsgi", databases, conf), ["django", 64, "stated", "gevent", false, 4]);
    // Other worker classes hold one connection per thread (worker_connections is not theirs); gevent without a settings module that uses a database counts nothing.
    assert.deepEqual(read("gunicorn mysite.wsgi -w 3 -k gthread --threads 4", "CONN_MAX_AGE = 60\n"), ["django", 4, "stated", undefined, undefined, 3]);
    assert.deepEqual(read("gunicorn mysite.wsgi -w 3 --worker-connections 50", databases), ["django", 1, "default", undefined, undefined, 3]);
    assert.deepEqual(read("gunicorn mysite.wsgi -w 3 -k gevent", "DEBUG = False\n"), [undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it("uWSGI's gevent loop engine: `--gevent N` or the ini's `gevent = N` async cores per process, one connection each for Django (its module from --module or the ini's module); a SQLAlchemy pool stays one per process", () => {
    const databases = 'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "db"}}\n';
    const read = (files: Record<string, string>) => {
      const pool = model(files).deployments[0].pool;
      return [pool?.kind, pool?.size.value, pool?.sizeName, pool?.greenlets?.setting, pool?.processes.value];
    };
    assert.deepEqual(read({ "docker-compose.yml": compose("uwsgi --module mysite.wsgi:application --processes 2 --gevent 50 --http :8000"), "mysite/settings.py": databases }), ["django", 50, "gevent", "gevent", 2]);
    const ini = "[uwsgi]\nmodule = mysite.wsgi\nprocesses = 3\ngevent = 64\n";
    assert.deepEqual(read({ "docker-compose.yml": compose("uwsgi --ini uwsgi.ini"), "uwsgi.ini": ini, "mysite/settings.py": databases }), ["django", 64, "gevent", "gevent", 3]);
    // Without gevent: one connection per thread; SQLAlchemy's pool is the process's, whatever its greenlets.
    assert.deepEqual(read({ "docker-compose.yml": compose("uwsgi --ini uwsgi.ini"), "uwsgi.ini": ini.replace("gevent = 64\n", "threads = 2\n"), "mysite/settings.py": databases }), ["django", 2, "threads", undefined, 3]);
    assert.deepEqual(read({ "docker-compose.yml": compose("uwsgi --module app:app --processes 2 --gevent 100", ['DB_POOL_SIZE: "5"']) }), ["sqlalchemy", 5, "DB_POOL_SIZE", undefined, 2]);
  });

  it("an ENTRYPOINT script kept in docker/ runs in the image's WORKDIR: its `proj.wsgi` is the build context's proj/settings.py", () => {
    const pool = model({
      "Dockerfile": 'FROM python:3.12-slim\nCOPY . .\nCOPY docker/entrypoint.sh /entrypoint.sh\nENTRYPOINT ["/entrypoint.sh"]\nCMD ["web"]\n',
      "docker/entrypoint.sh": '#!/bin/sh\ncase "$1" in\n  web) exec gunicorn proj.wsgi:application --workers 3 --threads 4 ;;\n  *) exec "$@" ;;\nesac\n',
      "docker-compose.yml": "services:\n  web:\n    build: .\n    environment:\n      DATABASE_URL: postgres://db/app\n",
      "proj/settings.py": "CONN_MAX_AGE = 60\n",
    }).deployments[0].pool;
    assert.deepEqual([pool?.kind, pool?.size.value, pool?.processes.value], ["django", 4, 3]);
  });

  it("Django 5.1's OPTIONS pool: max_size per process, shared by its threads; min_size without max_size; True is psycopg_pool's 4", () => {
    const settings = (pool: string) => `DATABASES = {\n    "default": {\n        "ENGINE": "django.db.backends.postgresql",\n        "OPTIONS": {\n            "pool": ${pool},\n        },\n    }\n}\n`;
    const pool = (text: string, env: string[] = []) => model({ "docker-compose.yml": compose("gunicorn mysite.wsgi -w 3 --threads 8", env), "mysite/settings.py": text }).deployments[0].pool;
    const read = (p: ReturnType<typeof pool>) => [p?.kind, p?.size.value, p?.size.origin, p?.sizeName, p?.processes.value, p?.djangoPool?.minSize];
    assert.deepEqual(read(pool(settings('{"min_size": 2, "max_size": 10, "timeout": 10}'))), ["django", 10, "stated", "pool max_size", 3, 2]);
    assert.deepEqual(read(pool(settings('{"min_size": 6}'))), ["django", 6, "stated", "pool min_size (max_size unset)", 3, undefined]);
    assert.deepEqual(read(pool(settings("True"))), ["django", 4, "default", "pool max_size", 3, undefined]);
    // max_size from the environment, with min_size unset (psycopg_pool's 4 is the floor for a fix).
    const fromEnv = pool(settings('{"max_size": int(os.environ.get("DB_POOL_MAX", 16))}'), ["DB_POOL_MAX: \"12\""]);
    assert.deepEqual([fromEnv?.size.value, fromEnv?.size.at?.file, fromEnv?.djangoPool?.minSize], [12, "docker-compose.yml", 4]);
    // No pool (False, {}, a commented-out line): DATABASES alone, one connection per thread while its request runs.
    for (const text of [settings("False"), settings("{}"), settings("True").replace('"pool"', '# "pool"')]) {
      assert.deepEqual(read(pool(text)), ["django", 8, "stated", "threads", 3, undefined], text);
      assert.equal(pool(text)?.djangoPool, undefined, text);
    }
    // A "pool" key outside OPTIONS and no DATABASES, or an unreadable max_size: nothing counted.
    for (const text of ['CACHES = {"default": {"pool": True}}\n', settings('{"max_size": compute()}')]) assert.equal(pool(text), undefined, text);
  });

  it("a CONN_MAX_AGE other than 0 beside the OPTIONS pool (None included) is kept for db/django-pool-with-conn-max-age; 0 is not; `DATABASES[...][\"OPTIONS\"] = {...}` is read too", () => {
    const files = (base: string) => ({
      "docker-compose.yml": compose("gunicorn config.wsgi -w 2 --threads 4", ["DJANGO_SETTINGS_MODULE: config.settings.production"]),
      "config/settings/production.py": 'from .base import *\nDATABASES["default"]["OPTIONS"] = {\n    "pool": {"max_size": 4},\n}\n',
      "config/settings/base.py": base,
    });
    const read = (base: string) => model(files(base)).deployments[0].pool;
    const persistent = read('DATABASES = {"default": dj_database_url.config(conn_max_age=600)}\n');
    assert.deepEqual([persistent?.size.value, persistent?.djangoPool?.connMaxAge?.value, persistent?.djangoPool?.connMaxAge?.at?.file], [4, 600, "config/settings/base.py"]);
    assert.equal(read('DATABASES = {"default": {"CONN_MAX_AGE": None}}\n')?.djangoPool?.connMaxAge?.value, null);
    const closed = read('DATABASES = {"default": {"CONN_MAX_AGE": 0}}\n');
    assert.deepEqual([closed?.size.value, closed?.djangoPool?.connMaxAge], [4, undefined]);
  });

  it("a celery worker of `-A <project>` reads <project>/settings.py: one connection per worker process, --concurrency of them", () => {
    const settings = "CONN_MAX_AGE = 600\n";
    for (const app of ["mysite", "mysite.celery", "mysite.celery:app"]) {
      const pool = model({ "Procfile": `worker: celery -A ${app} worker --concurrency 4\n`, "mysite/settings.py": settings }).deployments[0].pool;
      assert.deepEqual([pool?.kind, pool?.size.value, pool?.processes.value, pool?.connMaxAge?.value], ["django", 1, 4, 600], app);
    }
    assert.equal(model({ "Procfile": "worker: celery -A tasks worker -c 4\n", "mysite/settings.py": settings }).deployments[0].pool, undefined);
  });
});

describe("Heroku app.json beside a Procfile", () => {
  const appJson = (body: object) => JSON.stringify(body, null, 2);

  it("sets every process type's config vars (a string, or an object's value) and each type's dynos from formation", () => {
    const m = model({
      "Procfile": "web: gunicorn app:app --workers $WEB_CONCURRENCY\nworker: celery -A app worker -c 2\n",
      "app.json": appJson({
        env: { WEB_CONCURRENCY: { description: "processes", value: "3" }, DB_POOL_SIZE: "4", SECRET_KEY: { generator: "secret" } },
        formation: { web: { quantity: 2, size: "standard-1x" }, worker: { size: "basic" } },
      }),
    });
    const [web, worker] = m.deployments;
    assert.deepEqual([web.processes[0].workers.value, web.processes[0].workers.at?.file, web.instances.value, web.instances.origin], [3, "app.json", 2, "stated"]);
    assert.equal(web.env.has("SECRET_KEY"), false);
    assert.deepEqual([web.pool?.kind, web.pool?.size.value], ["sqlalchemy", 4]);
    // No quantity for the worker: Heroku's one dyno, as without app.json.
    assert.deepEqual([worker.instances.value, worker.instances.origin, worker.env.get("DB_POOL_SIZE")?.value], [1, "assumed", "4"]);
  });

  it("a broken or foreign app.json changes nothing", () => {
    for (const text of ["{ not json", "[1, 2]", appJson({ name: "x", formation: { web: { quantity: "2" } } })]) {
      const [web] = model({ "Procfile": "web: gunicorn app:app -w 2\n", "app.json": text }).deployments;
      assert.deepEqual([web.instances.value, web.instances.origin, web.env.size, web.files.has("app.json")], [1, "assumed", 0, false], text);
    }
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

describe("docs/pools.md", () => {
  it("lists every environment name the pool table reads", () => {
    const doc = readFileSync(path.resolve(__dirname, "..", "..", "docs", "pools.md"), "utf8");
    for (const entry of POOL_ENV) assert.ok(doc.includes(`\`${entry.name}\``), `${entry.name} is missing from docs/pools.md`);
  });
});

describe("pool names configured in headroom.yml (pools.env)", () => {
  const compose = (env: string) =>
    `services:\n  web:\n    image: app\n    command: gunicorn app:app -w 4\n    environment:\n      DATABASE_URL: postgres://db/app\n${env}  db:\n    image: postgres:16\n    command: postgres -c max_connections=60\n`;
  const run = (files: Record<string, string>, settings?: unknown) => audit(memoryHost(files), { settings });
  const pool = (files: Record<string, string>, settings?: unknown) => run(files, settings).model.deployments.find((d) => d.name.startsWith("web"))?.pool;
  const lineOf = (text: string, at: { start: number } | undefined) => (at ? text.slice(0, at.start).split("\n").length : undefined);

  it("reads a configured name as the role it maps to, and the finding relates to the mapping's line", () => {
    const yml = "pools:\n  env:\n    APP_POOL: pool_size\n    APP_BURST: max_overflow\n";
    const files = { "docker-compose.yml": compose("      APP_POOL: 10\n      APP_BURST: 5\n"), "headroom.yml": yml };
    const p = pool(files);
    assert.deepEqual([p?.kind, p?.size.value, p?.sizeName, p?.overflow?.value, p?.overflowName], ["sqlalchemy", 10, "APP_POOL", 5, "APP_BURST"]);
    assert.deepEqual(p?.size.via?.map((v) => [v.at.file, lineOf(yml, v.at), v.note]), [["headroom.yml", 3, "headroom.yml maps APP_POOL to pool_size"]]);
    const finding = run(files).findings.find((f) => f.rule === "db/connections-exceed-max");
    assert.ok(finding, "4 x (10 + 5) = 60 is above 57");
    assert.deepEqual(finding.related.filter((r) => r.at.file === "headroom.yml").map((r) => lineOf(yml, r.at)), [3, 4]);
  });

  it("without the mapping the same names size nothing", () => {
    const files = { "docker-compose.yml": compose("      APP_POOL: 10\n      APP_BURST: 5\n") };
    assert.equal(pool(files), undefined);
    assert.ok(!run(files).findings.some((f) => f.rule === "db/connections-exceed-max"));
  });

  it("a configured name wins over a built-in one of the same role; `ignore` stops reading a built-in name", () => {
    const env = "      POOL_SIZE: 50\n      APP_POOL: 3\n";
    assert.equal(pool({ "docker-compose.yml": compose(env) })?.size.value, 50);
    assert.equal(pool({ "docker-compose.yml": compose(env), "headroom.yml": "pools:\n  env:\n    APP_POOL: pool_size\n" })?.size.value, 3);
    assert.equal(pool({ "docker-compose.yml": compose(env), "headroom.yml": "pools:\n  env:\n    POOL_SIZE: ignore\n" }), undefined);
  });

  it("maps names to Active Record's pool and Sidekiq's concurrency", () => {
    const files = {
      "docker-compose.yml":
        "services:\n  web:\n    image: app\n    command: bundle exec puma\n    environment:\n      DATABASE_URL: postgres://db/app\n      WEB_CONNS: 7\n" +
        "  jobs:\n    image: app\n    command: bundle exec sidekiq\n    environment:\n      DATABASE_URL: postgres://db/app\n      JOB_THREADS: 9\n",
      "headroom.yml": "pools:\n  env:\n    WEB_CONNS: activerecord_pool\n    JOB_THREADS: sidekiq_concurrency\n",
    };
    const byName = new Map(run(files).model.deployments.map((d) => [d.name.split(" ")[0], d.pool]));
    assert.deepEqual([byName.get("web")?.kind, byName.get("web")?.size.value, byName.get("web")?.sizeName], ["activerecord", 7, "WEB_CONNS"]);
    assert.deepEqual([byName.get("jobs")?.kind, byName.get("jobs")?.size.value, byName.get("jobs")?.sizeName], ["sidekiq", 9, "JOB_THREADS"]);
  });

  it("reports a bad name, a bad role, an unknown key and a name no deployment sets, each at its line", () => {
    const yml = "pools:\n  env:\n    9LIVES: pool_size\n    APP_POOL: poolsize\n    APP_BURST: max_overflow\n  envs: {}\n";
    const problems = run({ "docker-compose.yml": compose("      APP_POOL: 10\n"), "headroom.yml": yml }).findings.filter((f) => f.rule === "config/invalid");
    assert.deepEqual(
      problems.map((f) => [lineOf(yml, f.at), f.message]),
      [
        [3, '"9LIVES" in pools.env is not an environment variable name (letters, digits and _, not starting with a digit)'],
        [4, 'pools.env.APP_POOL must be one of pool_size, max_overflow, activerecord_pool, sidekiq_concurrency, ignore, not "poolsize"'],
        [5, "no deployment's environment sets APP_BURST: pools.env maps a name the workspace does not use"],
        [6, 'unknown key "envs" in pools: expected env'],
      ],
    );
  });

  it("the editor settings accept the same key; headroom.yml wins name by name", () => {
    const files = { "docker-compose.yml": compose("      APP_POOL: 10\n      OTHER_POOL: 2\n") };
    assert.equal(pool(files, { pools: { env: { APP_POOL: "pool_size" } } })?.size.value, 10);
    assert.equal(pool({ ...files, "headroom.yml": "pools:\n  env:\n    APP_POOL: ignore\n    OTHER_POOL: pool_size\n" }, { pools: { env: { APP_POOL: "pool_size" } } })?.size.value, 2);
    assert.match(run(files, { pools: { env: { APP_POOL: "size" } } }).configProblems.map((p) => `${p.key}: ${p.message}`).join("\n"), /^pools\.env\.APP_POOL: .*must be one of/);
  });
});

describe("docs: pools.env roles", () => {
  it("docs/pools.md and docs/configuration.md name every role headroom.yml accepts", () => {
    for (const page of ["pools.md", "configuration.md"]) {
      const doc = readFileSync(path.resolve(__dirname, "..", "..", "docs", page), "utf8");
      for (const role of POOL_ENV_ROLES) assert.ok(doc.includes(`\`${role}\``), `${role} is missing from docs/${page}`);
    }
  });
});

describe("PostgreSQL images other than the official one", () => {
  const db = (image: string, env: string[], command?: string) =>
    model({
      "docker-compose.yml": [
        "services:",
        "  web:",
        "    image: app",
        "    command: gunicorn app:app -w 2",
        "    environment:",
        "      DB_POOL_SIZE: 5",
        "  db:",
        `    image: ${image}`,
        ...(command ? [`    command: ${command}`] : []),
        "    environment:",
        ...env.map((e) => `      - ${e}`),
        "",
      ].join("\n"),
      ".env": "PG_MAX=75\n",
    }).databases[0]?.maxConnections;

  it("recognises the images by name, with registry, tag and digest", () => {
    assert.deepEqual(
      ["postgres:16-alpine", "docker.io/library/postgres", "bitnami/postgresql:16", "public.ecr.aws/bitnami/postgresql:latest", "localhost:5000/bitnami/postgresql:16",
        "quay.io/sclorg/postgresql-15-c9s", "centos/postgresql-96-centos7", "registry.redhat.io/rhel9/postgresql-16@sha256:abc", "bitnami/postgresql-repmgr", "mysql:8", "postgresql"].map(postgresImage),
      ["official", "official", "bitnami", "bitnami", "bitnami", "sclorg", "sclorg", "sclorg", "bitnami", undefined, undefined],
    );
  });

  it("recognises images built on the official one, Timescale's and Bitnami's variants", () => {
    const images = {
      "postgis/postgis:16-3.4": "official",
      "ghcr.io/postgis/postgis:17-3.5-alpine": "official",
      "pgvector/pgvector:pg16": "official",
      "ankane/pgvector:latest": "official",
      "supabase/postgres:15.1.0.147": "official",
      "citusdata/citus:12.1": "official",
      "timescale/timescaledb-ha:pg16": "official",
      "public.ecr.aws/docker/library/postgres:16": "official",
      "timescale/timescaledb:latest-pg16": "timescaledb",
      "timescale/timescaledb:2.14.2-pg16-bitnami": "bitnami",
      "docker.io/bitnami/postgresql-repmgr:16": "bitnami",
      "postgis/postgis-not-really": undefined,
      "example/postgres": undefined,
      "redis:7": undefined,
    };
    assert.deepEqual(Object.keys(images).map(postgresImage), Object.values(images));
  });

  it("Timescale: timescaledb-tune writes TS_TUNE_MAX_CONNS when above 100, nothing with NO_TS_TUNE; -c still wins", () => {
    assert.deepEqual([db("timescale/timescaledb:latest-pg16", ["TS_TUNE_MAX_CONNS=250"])].map((f) => [f?.value, f?.origin]), [[250, "stated"]]);
    assert.equal(db("timescale/timescaledb:latest-pg16", ["TS_TUNE_MAX_CONNS=50"])?.value, 100);
    assert.equal(db("timescale/timescaledb:latest-pg16", ["TS_TUNE_MAX_CONNS=250", "NO_TS_TUNE=true"])?.value, 100);
    assert.equal(db("timescale/timescaledb:latest-pg16", ["TS_TUNE_MAX_CONNS=250"], "postgres -c max_connections=60")?.value, 60);
    assert.equal(db("timescale/timescaledb-ha:pg16", ["TS_TUNE_MAX_CONNS=250"])?.value, 100, "the HA image does not read TS_TUNE_* variables");
  });

  it("Bitnami's repmgr image reads POSTGRESQL_MAX_CONNECTIONS; PostGIS and pgvector take -c", () => {
    assert.equal(db("bitnami/postgresql-repmgr:16", ["POSTGRESQL_MAX_CONNECTIONS=400"])?.value, 400);
    assert.equal(db("postgis/postgis:16-3.4", [], "postgres -c max_connections=45")?.value, 45);
    assert.equal(db("pgvector/pgvector:pg16", [], '["postgres", "-c", "max_connections=300"]')?.value, 300);
  });

  it("a service that builds FROM a PostgreSQL image is a database; its CMD's -c counts, compose's command wins", () => {
    const built = (cmd: string, command?: string) =>
      model({
        "docker-compose.yml": ["services:", "  web:", "    image: app", "    command: gunicorn app:app -w 2", "    environment:", "      DB_POOL_SIZE: 5", "  db:", "    build: ./db", ...(command ? [`    command: ${command}`] : []), ""].join("\n"),
        "db/Dockerfile": `FROM postgis/postgis:16-3.4 AS base\nFROM base\nCOPY init.sql /docker-entrypoint-initdb.d/\n${cmd}`,
      }).databases;
    const [db1] = built('CMD ["postgres", "-c", "max_connections=40"]\n');
    assert.deepEqual([db1?.name, db1?.maxConnections.value, db1?.maxConnections.at?.file, [...(db1?.files ?? [])]], ["db (docker-compose.yml)", 40, "db/Dockerfile", ["docker-compose.yml", "db/Dockerfile"]]);
    assert.equal(built('CMD ["postgres", "-c", "max_connections=40"]\n', "postgres -c max_connections=80")[0]?.maxConnections.value, 80);
    assert.equal(built("")[0]?.maxConnections.value, 100);
  });

  it("Bitnami: POSTGRESQL_MAX_CONNECTIONS, else its alias POSTGRES_MAX_CONNECTIONS; a command's -c wins", () => {
    assert.deepEqual([db("bitnami/postgresql:16", ["POSTGRESQL_MAX_CONNECTIONS=40", "POSTGRES_MAX_CONNECTIONS=50"])].map((f) => [f?.value, f?.origin, f?.at?.file]), [[40, "stated", "docker-compose.yml"]]);
    assert.equal(db("bitnami/postgresql:16", ["POSTGRES_MAX_CONNECTIONS=50"])?.value, 50);
    assert.equal(db("bitnami/postgresql:16", ["POSTGRESQL_MAX_CONNECTIONS=${PG_MAX}"])?.value, 75, "interpolated from the project's .env");
    assert.equal(db("bitnami/postgresql:16", ["POSTGRESQL_MAX_CONNECTIONS=40"], "postgres -c max_connections=60")?.value, 60);
    assert.deepEqual([db("bitnami/postgresql:16", ["POSTGRESQL_MAX_CONNECTIONS=lots"])].map((f) => [f?.value, f?.origin]), [[100, "default"]]);
  });

  it("sclorg reads POSTGRESQL_MAX_CONNECTIONS; the official image reads neither name", () => {
    assert.equal(db("quay.io/sclorg/postgresql-16-c9s", ["POSTGRESQL_MAX_CONNECTIONS=300"])?.value, 300);
    assert.equal(db("quay.io/sclorg/postgresql-16-c9s", ["POSTGRES_MAX_CONNECTIONS=300"])?.value, 100);
    assert.equal(db("postgres:16", ["POSTGRESQL_MAX_CONNECTIONS=300"])?.value, 100);
  });
});
