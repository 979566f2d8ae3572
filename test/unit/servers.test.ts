import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type ServerInvocation,
  appProgram,
  isOneOffDatabaseTask,
  optionSpan,
  optionValue,
  optionValues,
  parsePumaThreads,
  recogniseCeleryBeat,
  recogniseServer,
  serverTable,
} from "../../server/src/engine/parse/servers.ts";
import { words } from "../helpers/words.ts";

function inv(cmd: string): ServerInvocation {
  const r = recogniseServer(words(cmd));
  assert.ok(r, `recognised: ${cmd}`);
  return r;
}
const val = (i: ServerInvocation, name: string) => optionValue(i, name)?.value?.value;
const texts = (ws: Array<{ value: string }>) => ws.map((w) => w.value);

describe("recogniseServer: programs and runners", () => {
  test("plain gunicorn", () => {
    const i = inv("gunicorn -w 4 -k gevent app:app");
    assert.equal(i.server, "gunicorn");
    assert.equal(i.program.value, "gunicorn");
    assert.deepEqual(i.runner, []);
    assert.equal(val(i, "workers"), "4");
    assert.equal(val(i, "worker_class"), "gevent");
    assert.deepEqual(texts(i.positionals), ["app:app"]);
    assert.equal(i.end?.value, "app:app");
  });

  test("path to the program", () => {
    assert.equal(inv("/usr/local/bin/gunicorn app").server, "gunicorn");
    assert.equal(inv(".venv/bin/uvicorn app:app").server, "uvicorn");
  });

  test("exec python -m uvicorn", () => {
    const i = inv("exec python3.12 -u -m uvicorn main:app --workers 2");
    assert.equal(i.server, "uvicorn");
    assert.equal(i.program.value, "uvicorn");
    assert.deepEqual(texts(i.runner), ["exec", "python3.12", "-u", "-m"]);
    assert.equal(val(i, "workers"), "2");
  });

  test("python -m with an attached module and -X option", () => {
    const i = inv("python -X dev -mgunicorn -w 3 app");
    assert.equal(i.server, "gunicorn");
    assert.equal(i.program.value, "gunicorn");
    assert.equal(val(i, "workers"), "3");
  });

  test("python running a script is not a server", () => {
    assert.equal(recogniseServer(words("python manage.py runserver 0.0.0.0:8000")), undefined);
    assert.equal(recogniseServer(words("python -m http.server")), undefined);
    assert.equal(recogniseServer(words("python -c 'import gunicorn'")), undefined);
  });

  test("poetry run, uv run with options, pipenv run, pdm run", () => {
    assert.deepEqual(texts(inv("poetry run gunicorn app").runner), ["poetry", "run"]);
    const uv = inv("uv run --with uvloop --no-dev uvicorn app:app --port 80");
    assert.deepEqual(texts(uv.runner), ["uv", "run", "--with", "uvloop", "--no-dev"]);
    assert.equal(val(uv, "port"), "80");
    assert.equal(inv("pipenv run celery -A proj worker").server, "celery");
    assert.equal(inv("pdm run hypercorn app:app").server, "hypercorn");
  });

  test("APM wrappers", () => {
    assert.deepEqual(texts(inv("newrelic-admin run-program gunicorn app").runner), ["newrelic-admin", "run-program"]);
    assert.equal(inv("newrelic-admin run-python -m gunicorn app").server, "gunicorn");
    assert.deepEqual(texts(inv("ddtrace-run gunicorn app").runner), ["ddtrace-run"]);
    const otel = inv(
      "opentelemetry-instrument --traces_exporter console --metrics_exporter=none uvicorn app:app --workers 3",
    );
    assert.equal(otel.server, "uvicorn");
    assert.equal(val(otel, "workers"), "3");
    assert.equal(otel.runner.length, 4);
  });

  test("fastapi run: uvicorn through the FastAPI CLI, with its own options", () => {
    const run = inv("fastapi run --workers 4 --no-reload --proxy-headers app/main.py --port 80");
    assert.equal(run.server, "uvicorn");
    assert.equal(run.subcommand?.value, "run");
    assert.equal(val(run, "workers"), "4");
    assert.equal(val(run, "port"), "80");
    // --no-reload is not --reload.
    assert.equal(optionValue(run, "reload"), undefined);
    assert.deepEqual(texts(run.positionals), ["app/main.py"]);
    assert.equal(val(inv("python -m fastapi run -e app.main:app --workers=3"), "workers"), "3");
    for (const cmd of ["fastapi", "fastapi --version", "fastapi deploy", "fastapi dev main.py"]) assert.equal(recogniseServer(words(cmd)), undefined, cmd);
  });

  test("wait-for-it and dockerize before the server", () => {
    const waited = inv("./wait-for-it.sh db:5432 --timeout=30 -- gunicorn app:app -w 6");
    assert.equal(val(waited, "workers"), "6");
    assert.deepEqual(texts(waited.runner), ["./wait-for-it.sh", "db:5432", "--timeout=30", "--"]);
    assert.equal(inv("wait-for db:5432 -t 60 -- uvicorn app:app").server, "uvicorn");
    // Without `--` wait-for-it runs no command after the wait.
    assert.equal(recogniseServer(words("wait-for-it.sh db:5432 gunicorn app:app")), undefined);
    const dockerized = inv("dockerize -wait tcp://db:5432 -wait http://cache:80 -timeout 30s -skip-tls-verify gunicorn app:app -w 6");
    assert.equal(val(dockerized, "workers"), "6");
    assert.equal(dockerized.runner.length, 8);
  });

  test("watchmedo auto-restart with and without --", () => {
    const a = inv("watchmedo auto-restart --directory=./ --pattern=*.py --recursive -- celery -A app worker -c 2");
    assert.equal(a.server, "celery");
    assert.equal(val(a, "concurrency"), "2");
    const b = inv("watchmedo auto-restart -d . -p '*.py' -R celery -A app worker");
    assert.equal(b.server, "celery");
  });

  test("env assignments, env, nice, tini, gosu", () => {
    assert.equal(inv("WEB_CONCURRENCY=4 gunicorn app").server, "gunicorn");
    assert.deepEqual(texts(inv("env -u FOO WEB_CONCURRENCY=4 gunicorn app").runner), [
      "env",
      "-u",
      "FOO",
      "WEB_CONCURRENCY=4",
    ]);
    assert.equal(inv("nice -n 10 gunicorn app").server, "gunicorn");
    assert.equal(inv("tini -s -- gunicorn app").server, "gunicorn");
    assert.equal(inv("exec gosu app gunicorn app").server, "gunicorn");
    assert.equal(inv("dumb-init -- bundle exec puma").server, "puma");
  });

  test("other commands are not servers", () => {
    for (const cmd of ["nginx -g 'daemon off;'", "echo gunicorn", "sh -c 'gunicorn app'", "", "bundle install", "poetry install"]) {
      assert.equal(recogniseServer(words(cmd)), undefined, cmd);
    }
  });
});

describe("option forms", () => {
  test("--flag=value: the value word covers only the part after '='", () => {
    const cmd = "gunicorn --workers=4 app";
    const i = inv(cmd);
    const opt = optionValue(i, "workers");
    assert.ok(opt?.value);
    assert.equal(opt.value.value, "4");
    assert.equal(cmd.slice(opt.value.start, opt.value.end), "4");
    assert.equal(opt.value.fact.value, "4");
    assert.deepEqual(opt.value.fact.at, { file: "start.sh", start: 19, end: 20 });
    assert.equal(cmd.slice(opt.flag.start, opt.flag.end), "--workers=4");
    assert.deepEqual(optionSpan(opt), { start: 9, end: 20 });
  });

  test("short attached values and clusters", () => {
    const cmd = "gunicorn -w4 -Dt30 -kgthread app";
    const i = inv(cmd);
    const w = optionValue(i, "workers");
    assert.equal(w?.value?.value, "4");
    assert.equal(cmd.slice(w?.value?.start, w?.value?.end), "4");
    assert.ok(optionValue(i, "daemon"));
    assert.equal(val(i, "timeout"), "30");
    assert.equal(val(i, "worker_class"), "gthread");
  });

  test("argparse's -w=4", () => {
    assert.equal(val(inv("gunicorn -w=4 app"), "workers"), "4");
  });

  test("quoted --flag=value word", () => {
    const cmd = `gunicorn "--bind=0.0.0.0:8000" app`;
    const opt = optionValue(inv(cmd), "bind");
    assert.equal(opt?.value?.value, "0.0.0.0:8000");
    assert.equal(cmd.slice(opt?.value?.start, opt?.value?.end), "0.0.0.0:8000");
  });

  test("--flag='quoted value' keeps the quotes inside the value span", () => {
    const cmd = `gunicorn --bind='0.0.0.0:8000' app`;
    const opt = optionValue(inv(cmd), "bind");
    assert.equal(opt?.value?.value, "0.0.0.0:8000");
    assert.equal(cmd.slice(opt?.value?.start, opt?.value?.end), "'0.0.0.0:8000'");
  });

  test("later repeats win; every bind is kept", () => {
    const i = inv("gunicorn -w 2 --workers 5 -b :80 -b unix:/tmp/s app");
    assert.equal(val(i, "workers"), "5");
    assert.deepEqual(
      optionValues(i, "bind").map((o) => o.value?.value),
      [":80", "unix:/tmp/s"],
    );
  });

  test("superset's conflicting worker class: the last one wins", () => {
    const i = inv("gunicorn --bind 0.0.0.0:8088 --workers 10 -k gevent --worker-class gthread --threads 20 app");
    assert.equal(val(i, "worker_class"), "gthread");
    assert.equal(optionValues(i, "worker_class").length, 2);
  });

  test("prefixes: unambiguous accepted (argparse), ambiguous kept as unknown", () => {
    assert.equal(val(inv("gunicorn --thread 4 app"), "threads"), "4");
    const amb = inv("gunicorn --wo 4 app");
    assert.deepEqual(texts(amb.unknown), ["--wo"]);
    // click (uvicorn) has no prefix matching
    assert.deepEqual(texts(inv("uvicorn --work 4 app:app").unknown), ["--work"]);
  });

  test("--keepalive is not a gunicorn flag (only --keep-alive)", () => {
    const i = inv("gunicorn --keepalive 5 app");
    assert.deepEqual(texts(i.unknown), ["--keepalive"]);
    assert.equal(optionValue(i, "keepalive"), undefined);
    assert.equal(val(inv("gunicorn --keep-alive 5 app"), "keepalive"), "5");
  });

  test("invalid: missing value, value on a boolean flag, argparse refusing an option-like value", () => {
    assert.deepEqual(texts(inv("gunicorn app -w").invalid), ["-w"]);
    const r = inv("gunicorn --reload=yes app");
    assert.deepEqual(texts(r.invalid), ["--reload=yes"]);
    assert.ok(optionValue(r, "reload"));
    const n = inv("gunicorn --name -w 2 app");
    assert.deepEqual(texts(n.invalid), ["--name"]);
    assert.equal(val(n, "workers"), "2");
    // argparse takes '-' and negative numbers as values
    assert.equal(val(inv("gunicorn --access-logfile - app"), "accesslog"), "-");
    assert.equal(val(inv("gunicorn -t -1 app"), "timeout"), "-1");
  });

  test("-- ends the options", () => {
    const i = inv("gunicorn -w 2 -- -w app");
    assert.equal(val(i, "workers"), "2");
    assert.deepEqual(texts(i.positionals), ["-w", "app"]);
  });
});

describe("servers", () => {
  test("uvicorn", () => {
    const i = inv(
      "uvicorn main:app --host 0.0.0.0 --port=8000 --workers 4 --proxy-headers --timeout-keep-alive 65 --limit-concurrency 100 --backlog 2048 --loop uvloop --http httptools --factory --log-level warning --timeout-graceful-shutdown 30 --uds /tmp/u.sock",
    );
    assert.equal(val(i, "workers"), "4");
    assert.equal(val(i, "port"), "8000");
    assert.equal(val(i, "timeout_keep_alive"), "65");
    assert.equal(val(i, "limit_concurrency"), "100");
    assert.equal(val(i, "timeout_graceful_shutdown"), "30");
    assert.equal(val(i, "uds"), "/tmp/u.sock");
    assert.ok(optionValue(i, "proxy_headers"));
    assert.ok(optionValue(i, "factory"));
    assert.deepEqual(i.unknown, []);
    assert.deepEqual(texts(i.positionals), ["main:app"]);
  });

  test("uvicorn --reload and --no-access-log", () => {
    const i = inv("uvicorn app:app --reload --reload-dir src --no-access-log");
    assert.ok(optionValue(i, "reload"));
    assert.equal(optionValue(i, "access_log")?.flag.value, "--no-access-log");
  });

  test("hypercorn", () => {
    const i = inv("hypercorn -w 2 -b 0.0.0.0:8000 -k uvloop --keep-alive 5 --reload app:app");
    assert.equal(val(i, "workers"), "2");
    assert.equal(val(i, "bind"), "0.0.0.0:8000");
    assert.equal(val(i, "worker_class"), "uvloop");
    assert.equal(val(i, "keep_alive_timeout"), "5");
    assert.ok(optionValue(i, "use_reloader"));
  });

  test("daphne", () => {
    const i = inv("daphne -b 0.0.0.0 -p 8001 --http-timeout 60 --proxy-headers proj.asgi:application");
    assert.equal(val(i, "host"), "0.0.0.0");
    assert.equal(val(i, "port"), "8001");
    assert.equal(val(i, "http_timeout"), "60");
    assert.deepEqual(texts(i.positionals), ["proj.asgi:application"]);
  });

  test("granian", () => {
    const i = inv("granian --interface asgi --workers 4 --runtime-threads 2 --host 0.0.0.0 --port 8000 main:app");
    assert.equal(val(i, "workers"), "4");
    assert.equal(val(i, "runtime_threads"), "2");
    assert.equal(val(i, "interface"), "asgi");
    assert.deepEqual(i.unknown, []);
  });

  test("puma", () => {
    const i = inv("bundle exec puma -C config/puma.rb -t 5:5 -w 2 -b tcp://0.0.0.0:3000 -e production --preload");
    assert.equal(i.server, "puma");
    assert.deepEqual(texts(i.runner), ["bundle", "exec"]);
    assert.equal(val(i, "config"), "config/puma.rb");
    assert.equal(val(i, "workers"), "2");
    assert.deepEqual(parsePumaThreads(val(i, "threads") ?? ""), { min: 5, max: 5 });
    assert.equal(val(i, "environment"), "production");
    assert.ok(optionValue(i, "preload_app"));
  });

  test("puma --fork-worker takes its count only when attached", () => {
    const i = inv("puma --fork-worker config.ru");
    assert.equal(optionValue(i, "fork_worker")?.value, undefined);
    assert.deepEqual(texts(i.positionals), ["config.ru"]);
    assert.equal(val(inv("puma --fork-worker=1000"), "fork_worker"), "1000");
  });

  test("parsePumaThreads", () => {
    assert.deepEqual(parsePumaThreads("0:16"), { min: 0, max: 16 });
    assert.deepEqual(parsePumaThreads("8"), { min: 8, max: 8 });
    assert.equal(parsePumaThreads("$T"), undefined);
  });

  test("unicorn", () => {
    const i = inv("bundle exec unicorn -c config/unicorn.rb -E production -D");
    assert.equal(val(i, "config_file"), "config/unicorn.rb");
    assert.equal(val(i, "environment"), "production");
    assert.ok(optionValue(i, "daemonize"));
  });

  test("rails server / rails s", () => {
    const i = inv("bundle exec rails s -p 5000 -b 0.0.0.0 -e production");
    assert.equal(i.server, "rails");
    assert.equal(i.subcommand?.value, "s");
    assert.equal(val(i, "port"), "5000");
    assert.equal(val(i, "binding"), "0.0.0.0");
    assert.equal(inv("bin/rails server").subcommand?.value, "server");
    assert.equal(recogniseServer(words("bin/rails console")), undefined);
    assert.equal(recogniseServer(words("rails db:migrate")), undefined);
  });

  test("sidekiq", () => {
    const i = inv("bundle exec sidekiq -c 10 -C config/sidekiq.yml -q default -q mailers,2 -e production");
    assert.equal(val(i, "concurrency"), "10");
    assert.equal(val(i, "config_file"), "config/sidekiq.yml");
    assert.deepEqual(
      optionValues(i, "queues").map((o) => o.value?.value),
      ["default", "mailers,2"],
    );
  });

  test("celery worker (and only worker)", () => {
    const i = inv("celery -A proj worker -c 4 --pool=prefork --autoscale=10,3 -B --loglevel=INFO -Q high,low");
    assert.equal(i.server, "celery");
    assert.equal(i.subcommand?.value, "worker");
    assert.equal(val(i, "app"), "proj");
    assert.equal(val(i, "concurrency"), "4");
    assert.equal(val(i, "pool"), "prefork");
    assert.equal(val(i, "autoscale"), "10,3");
    assert.ok(optionValue(i, "beat"));
    assert.deepEqual(i.unknown, []);
    assert.equal(val(inv("celery --app=proj.celery:app worker -P gevent -c100"), "concurrency"), "100");
    assert.equal(val(inv("python -m celery -A proj worker --concurrency 2"), "concurrency"), "2");
    assert.equal(val(inv("celery worker -A proj -c 2"), "app"), "proj");
    assert.equal(recogniseServer(words("celery -A proj beat -l info")), undefined);
    assert.equal(recogniseServer(words("celery --app=proj flower")), undefined);
    assert.equal(recogniseServer(words("celery -A proj")), undefined);
  });

  test("celery beat: the scheduler, not a worker", () => {
    for (const cmd of ["celery -A proj beat -l info", "python -m celery --app=proj.celery:app beat -S django", "tini -- celery -b redis://r beat"]) {
      assert.equal(recogniseCeleryBeat(words(cmd))?.value, "beat", cmd);
    }
    for (const cmd of ["celery -A proj worker -B -c 2", "celery -A proj flower", "gunicorn beat:app", "celery -A proj -- beat"]) {
      assert.equal(recogniseCeleryBeat(words(cmd)), undefined, cmd);
    }
  });

  test("uwsgi", () => {
    const i = inv("uwsgi --ini uwsgi.ini --processes 4 --threads 2 --http :8000 --master --enable-threads");
    assert.equal(val(i, "ini"), "uwsgi.ini");
    assert.equal(val(i, "processes"), "4");
    assert.equal(val(i, "threads"), "2");
    assert.equal(val(i, "http"), ":8000");
    assert.ok(optionValue(i, "master"));
    assert.equal(val(inv("uwsgi --workers=8 --socket :3031 -w app:application"), "processes"), "8");
    assert.equal(val(inv("uwsgi -p 3 app.ini"), "processes"), "3");
  });

  test("unknown flags are kept", () => {
    const i = inv("gunicorn --bogus -w 2 app");
    assert.deepEqual(texts(i.unknown), ["--bogus"]);
    assert.equal(val(i, "workers"), "2");
  });
});

describe("tables", () => {
  test("every table documents its source and has no duplicate flags", () => {
    for (const server of ["gunicorn", "uvicorn", "hypercorn", "daphne", "granian", "puma", "unicorn", "rails", "sidekiq", "celery", "uwsgi"] as const) {
      const t = serverTable(server);
      assert.ok(t.docs.length > 0, server);
      const seen = new Set<string>();
      for (const spec of t.options) {
        for (const flag of spec.flags) {
          assert.ok(!seen.has(flag), `${server}: duplicate ${flag}`);
          assert.match(flag, /^--?[A-Za-z]/, `${server}: ${flag}`);
          seen.add(flag);
        }
      }
    }
  });
});

describe("one-off database tasks and the app's programs", () => {
  test("rake and rails db:* tasks and manage.py migrate are one-off tasks, not programs of the app; rake jobs:work is one", () => {
    for (const cmd of ["bundle exec rake db:migrate", "rake db:prepare db:seed RAILS_ENV=production --trace", "bin/rails db:migrate", "./bin/rails db:prepare", "python manage.py migrate --noinput", "python3 -u manage.py migrate"]) {
      assert.equal(isOneOffDatabaseTask(words(cmd)), true, cmd);
      assert.equal(appProgram(words(cmd)), undefined, cmd);
    }
    for (const [cmd, program] of [["bundle exec rake jobs:work", "rake"], ["rake db:migrate jobs:work", "rake"], ["rake", "rake"], ["python manage.py rqworker", "python"], ["bin/rails runner Worker.run", "rails runner"], ["python worker.py", "python"]]) {
      assert.equal(isOneOffDatabaseTask(words(cmd)), false, cmd);
      assert.equal(appProgram(words(cmd)), program, cmd);
    }
  });
});
