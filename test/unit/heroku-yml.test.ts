// heroku.yml (parse/heroku-yml.ts, model/heroku-yml.ts): Heroku's container stack as deployments.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildModel, fileKind } from "../../server/src/engine/model/build.ts";
import type { ParseProblem } from "../../server/src/engine/types.ts";
import { memoryHost } from "../helpers/memory-host.ts";

function model(files: Record<string, string>) {
  const host = memoryHost(files);
  const problems: ParseProblem[] = [];
  return { ...buildModel(host, host.list(), problems), problems };
}

const summary = (m: ReturnType<typeof model>) =>
  m.deployments.map((d) => `${d.id}: ${d.processes.map((p) => `${p.invocation.server} ${p.workers.value} (${p.commandAt.file})`).join(", ")}`);

const WEB_IMAGE = 'FROM python:3.12-slim\nCMD ["gunicorn", "app:app", "--workers", "8"]\n';

describe("heroku.yml", () => {
  it("is its own kind of file, at any folder", () => {
    assert.equal(fileKind("heroku.yml"), "heroku.yml");
    assert.equal(fileKind("services/api/heroku.yml"), "heroku.yml");
  });

  it("run's commands replace the image's CMD; a process type without an image of its own runs on web's", () => {
    const text = "build:\n  docker:\n    web: Dockerfile\nrun:\n  web: gunicorn app:app --workers 3\n  worker: celery -A app worker --concurrency 2\n";
    const m = model({ "heroku.yml": text, Dockerfile: WEB_IMAGE });
    assert.deepEqual(m.problems, []);
    assert.deepEqual(summary(m), ["heroku:heroku.yml#web: gunicorn 3 (heroku.yml)", "heroku:heroku.yml#worker: celery 2 (heroku.yml)"]);
    for (const d of m.deployments) assert.ok(d.files.has("Dockerfile"), d.id);
    assert.match(m.deployments[0].instancesUnknown ?? "", /heroku\.yml does not say how many dynos run web/);
  });

  it("without run, each image's process type runs its Dockerfile's CMD, from the Dockerfile's folder", () => {
    const m = model({
      "heroku.yml": "build:\n  docker:\n    web: Dockerfile\n    worker: worker/Dockerfile\n",
      Dockerfile: WEB_IMAGE,
      "worker/Dockerfile": 'FROM python:3.12-slim\nCMD ["celery", "-A", "tasks", "worker", "--concurrency", "3"]\n',
    });
    assert.deepEqual(summary(m), ["heroku:heroku.yml#web: gunicorn 8 (Dockerfile)", "heroku:heroku.yml#worker: celery 3 (worker/Dockerfile)"]);
  });

  it("a run entry's `image` and single-item `command` list; a list of several strings is not read, and models nothing", () => {
    const text =
      "build:\n  docker:\n    web: Dockerfile\n    worker: worker/Dockerfile\nrun:\n  syncer:\n    command:\n      - celery -A app worker --concurrency 5\n    image: worker\n" +
      "  odd:\n    command:\n      - gunicorn\n      - app:app\n";
    const m = model({ "heroku.yml": text, Dockerfile: WEB_IMAGE, "worker/Dockerfile": "FROM python:3.12-slim\nCMD python worker.py\n" });
    assert.deepEqual(summary(m), ["heroku:heroku.yml#syncer: celery 5 (heroku.yml)", "heroku:heroku.yml#odd: "]);
    assert.ok(m.deployments[0].files.has("worker/Dockerfile"));
    assert.deepEqual(m.problems.map((p) => [p.severity, text.slice(p.at.start, p.at.end).trim()]), [["info", "- gunicorn\n      - app:app"]]);
  });

  it("build.config is the build's arguments (ARG then ENV), `target` the stage built; setup.config over app.json's env; formation's dynos", () => {
    const text =
      "setup:\n  config:\n    WEB_CONCURRENCY: 4\nbuild:\n  docker:\n    web:\n      dockerfile: Dockerfile\n      target: prod\n  config:\n    APP_ENV: production\n";
    const dockerfile = 'FROM python:3.12-slim AS prod\nARG APP_ENV\nENV APP_ENV=$APP_ENV\nCMD ["gunicorn", "app:app"]\nFROM prod AS dev\nCMD ["gunicorn", "app:app", "--reload"]\n';
    const app = '{ "formation": { "web": { "quantity": 3 } }, "env": { "WEB_CONCURRENCY": "2", "SECRET": "x" } }';
    const [web] = model({ "heroku.yml": text, Dockerfile: dockerfile, "app.json": app }).deployments;
    assert.deepEqual([web.env.get("APP_ENV")?.value, web.env.get("WEB_CONCURRENCY")?.value, web.env.get("SECRET")?.value], ["production", "4", "x"]);
    assert.deepEqual([web.instances.value, web.instancesUnknown, web.processes[0].workers.value, web.processes[0].reload], [3, undefined, 4, undefined]);
  });

  it("replaces the Procfile beside it (not Procfile.dev), and the Dockerfile's CMD no longer stands alone", () => {
    const m = model({
      "heroku.yml": "build:\n  docker:\n    web: Dockerfile\nrun:\n  web: gunicorn app:app --workers 2\n",
      Dockerfile: WEB_IMAGE,
      Procfile: "web: gunicorn app:app --workers 12\n",
      "Procfile.dev": "web: gunicorn app:app --reload\n",
    });
    assert.deepEqual(m.deployments.map((d) => d.id), ["heroku:heroku.yml#web", "procfile:Procfile.dev#web"]);
  });

  it("no buildpack runs on the container stack: app.json's dyno size sets no WEB_CONCURRENCY", () => {
    const app = '{ "buildpacks": [{ "url": "heroku/python" }], "formation": { "web": { "quantity": 1, "size": "performance-m" } } }';
    const [web] = model({ "heroku.yml": "build:\n  docker:\n    web: Dockerfile\n", Dockerfile: 'FROM python:3.12-slim\nCMD gunicorn app:app --workers ${WEB_CONCURRENCY:-2}\n', "app.json": app }).deployments;
    assert.deepEqual([web.env.has("WEB_CONCURRENCY"), web.processes[0].workers.value, web.portSetBy], [false, 2, "Heroku"]);
  });

  it("setup.addons' heroku-postgresql plan is the database of its process types; app.json's when setup has none", () => {
    const text = "setup:\n  addons:\n    - plan: heroku-postgresql:essential-2\n      as: DATABASE\nbuild:\n  docker:\n    web: Dockerfile\n";
    const m = model({ "heroku.yml": text, Dockerfile: WEB_IMAGE });
    assert.deepEqual(m.databases.map((d) => [d.name, d.maxConnections.value, d.reserved.value, d.clients]), [["heroku-postgresql:essential-2 (heroku.yml)", 40, 0, ["heroku:heroku.yml#web"]]]);
    const fromApp = model({ "heroku.yml": "build:\n  docker:\n    web: Dockerfile\n", Dockerfile: WEB_IMAGE, "app.json": '{ "addons": ["heroku-postgresql:essential-0"] }' });
    assert.deepEqual(fromApp.databases.map((d) => [d.name, d.maxConnections.value]), [["heroku-postgresql:essential-0 (app.json)", 20]]);
  });

  it("without build.docker (not a container-stack manifest) nothing is read, and the Procfile stays", () => {
    const m = model({ "heroku.yml": "build:\n  languages:\n    - python\nrun:\n  web: gunicorn app:app\n", Procfile: "web: gunicorn app:app --workers 2\n" });
    assert.deepEqual(m.deployments.map((d) => d.id), ["procfile:Procfile#web"]);
  });

  it("broken YAML is a parse problem and gives no deployment; odd values are skipped", () => {
    const broken = model({ "heroku.yml": "build:\n  docker:\n    web: [Dockerfile\n", Dockerfile: WEB_IMAGE });
    assert.equal(broken.problems[0]?.severity, "error");
    assert.deepEqual(broken.deployments.map((d) => d.id), ["dockerfile:Dockerfile"]);
    const odd = model({ "heroku.yml": "build:\n  docker:\n    web: Dockerfile\n    worker: { target: x }\nrun:\n  web:\n  worker: [1, 2]\n  7: 8\n", Dockerfile: WEB_IMAGE });
    assert.deepEqual(odd.deployments.map((d) => d.id), ["heroku:heroku.yml#7"]);
  });
});
