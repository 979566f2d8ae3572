import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { recogniseDevServer } from "../../server/src/engine/parse/dev-servers.ts";
import { recogniseServer } from "../../server/src/engine/parse/servers.ts";
import { words } from "../helpers/words.ts";

const kind = (cmd: string) => recogniseDevServer(words(cmd))?.kind;

describe("recogniseDevServer", () => {
  test("Django's runserver however it is started", () => {
    for (const cmd of [
      "python manage.py runserver 0.0.0.0:8000",
      "python3.12 -u /app/manage.py runserver",
      "./manage.py runserver 8000 --noreload",
      "django-admin runserver --settings=mysite.settings",
      "python -m django runserver",
      "exec poetry run python manage.py runserver 0.0.0.0:8000",
    ]) assert.equal(kind(cmd), "django-runserver", cmd);
  });

  test("flask run, with group options before run", () => {
    for (const cmd of ["flask run --host 0.0.0.0", "python -m flask run", "flask --app hello --debug run", "uv run flask -A app:create_app() run -p 8000"]) {
      assert.equal(kind(cmd), "flask-run", cmd);
    }
    assert.equal(recogniseDevServer(words("flask --app hello run"))?.app?.value, "hello");
    assert.equal(recogniseDevServer(words("flask --app=src/app.py run"))?.app?.value, "src/app.py");
  });

  test("fastapi dev is the FastAPI CLI's development server; fastapi run is uvicorn", () => {
    for (const cmd of ["fastapi dev", "fastapi dev app/main.py --host 0.0.0.0", "python -m fastapi dev main.py", "uv run fastapi dev --port 8000 src/main.py"]) {
      assert.equal(kind(cmd), "fastapi-dev", cmd);
      assert.equal(recogniseServer(words(cmd)), undefined, cmd);
    }
    assert.equal(kind("fastapi run app/main.py"), undefined);
    assert.equal(recogniseServer(words("fastapi run app/main.py"))?.server, "uvicorn");
  });

  test("management commands, other flask commands and python scripts are not servers", () => {
    for (const cmd of [
      "python manage.py migrate --noinput",
      "python manage.py collectstatic --noinput",
      "python manage.py --settings=x runserver",
      "flask db upgrade",
      "flask --app hello routes",
      "python app.py",
      "python -m http.server",
      "python -c runserver",
    ]) assert.equal(kind(cmd), undefined, cmd);
  });

  test("production servers are not development servers, and the other way round", () => {
    assert.equal(kind("gunicorn mysite.wsgi"), undefined);
    assert.equal(kind("bundle exec rails server -e development"), undefined);
    assert.equal(recogniseServer(words("python manage.py runserver")), undefined);
  });

  test("the sub-command's words are kept for the message", () => {
    const found = recogniseDevServer(words("python manage.py runserver 0.0.0.0:8000 --noreload"));
    assert.deepEqual(found?.args.map((w) => w.value), ["0.0.0.0:8000", "--noreload"]);
    assert.equal(found?.subcommand.value, "runserver");
  });
});
