// uvicorn.run() in the file `python main.py` / `python -m app` runs: the call reader (parse/python-calls.ts)
// and the uvicorn process the model makes of it (model/python-main.ts), read as text, never run.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildModel, fileKind } from "../../server/src/engine/model/build.ts";
import { pythonMainCandidates } from "../../server/src/engine/model/python-main.ts";
import type { Deployment } from "../../server/src/engine/model/types.ts";
import { readPythonModule } from "../../server/src/engine/parse/python-calls.ts";
import { optionValue } from "../../server/src/engine/parse/servers.ts";
import { describeSetting } from "../../server/src/engine/parse/setting-expr.ts";
import type { SourceRef } from "../../server/src/engine/types.ts";
import { memoryHost } from "../helpers/memory-host.ts";
import { words } from "../helpers/words.ts";

const RUN = new Set(["uvicorn.run"]);

describe("readPythonModule", () => {
  test("keyword arguments: literals, variables followed to the environment, keyword and value spans", () => {
    const text = [
      "import os",
      "import uvicorn",
      'PORT = int(os.environ.get("PORT", 8000))',
      'if __name__ == "__main__":',
      '    workers = int(os.getenv("WEB_CONCURRENCY", "4"))',
      '    uvicorn.run("app.main:app", host="0.0.0.0", port=PORT, workers=workers, reload=False)',
      "",
    ].join("\n");
    const { calls, problems } = readPythonModule(text, "main.py", RUN);
    assert.deepEqual(problems, []);
    assert.equal(calls.length, 1);
    const call = calls[0];
    assert.equal(call.callee, "uvicorn.run");
    assert.equal(call.conditional, false);
    assert.equal(text.slice(call.calleeSpan.start, call.calleeSpan.end), "uvicorn.run");
    assert.ok(text.slice(call.span.start, call.span.end).endsWith("reload=False)"));
    assert.equal(describeSetting(call.args[0].value), '"app.main:app"');
    const described = Object.fromEntries([...call.kwargs].map(([name, arg]) => [name, describeSetting(arg.value)]));
    assert.deepEqual(described, { host: '"0.0.0.0"', port: '$PORT (default "8000")', workers: '$WEB_CONCURRENCY (default "4")', reload: "false" });
    const workers = call.kwargs.get("workers")?.value;
    assert.equal(text.slice(workers?.nameSpan.start, workers?.nameSpan.end), "workers");
    assert.equal(text.slice(workers?.envDefault?.span.start, workers?.envDefault?.span.end), '"4"');
  });

  test("imports name the callee: aliases and from-imports; other functions are not calls to it", () => {
    const text = ["import uvicorn as uv", "from uvicorn import run as serve", 'uv.run("a:app")', 'serve("b:app")', 'run("c:app")', 'other.run("d:app")', ""].join("\n");
    const apps = readPythonModule(text, "main.py", RUN).calls.map((c) => c.args[0].value.value);
    assert.deepEqual(apps, ["a:app", "b:app"]);
  });

  test("a call in a branch or loop is conditional; one under the main guard, in a def, try or with is not", () => {
    const text = [
      "import uvicorn",
      "def main():",
      "    try:",
      '        uvicorn.run("a:app")',
      "    finally:",
      "        pass",
      "if DEBUG:",
      '    uvicorn.run("b:app", reload=True)',
      "for i in range(2):",
      '    uvicorn.run("c:app")',
      'if "__main__" == __name__:',
      '    uvicorn.run("d:app")',
      "",
    ].join("\n");
    const byApp = Object.fromEntries(readPythonModule(text, "main.py", RUN).calls.map((c) => [c.args[0].value.value, c.conditional]));
    assert.deepEqual(byApp, { "a:app": false, "b:app": true, "c:app": true, "d:app": false });
  });

  test("a variable a branch may reassign before the call is unknown; **kwargs is a spread", () => {
    const text = ["import uvicorn", "def main():", "    n = 4", "    if SLOW:", "        n = 1", '    uvicorn.run("a:app", workers=n, **extra)', ""].join("\n");
    const call = readPythonModule(text, "main.py", RUN).calls[0];
    assert.equal(call.kwargs.get("workers")?.value.kind, "unknown");
    assert.equal(call.spread, true);
  });

  test("broken or hostile text never throws", () => {
    for (const text of ["uvicorn.run(", "import uvicorn\nuvicorn.run('a:app', workers=)", "((((((((((".repeat(2000), 'uvicorn.run("""unterminated']) {
      const result = readPythonModule(text, "main.py", RUN);
      assert.ok(Array.isArray(result.calls));
    }
  });
});

describe("pythonMainCandidates", () => {
  test("the file or module python runs", () => {
    assert.deepEqual(pythonMainCandidates(words("python main.py")), ["main.py"]);
    assert.deepEqual(pythonMainCandidates(words("python3.12 -u -W ignore src/serve.py --flag")), ["src/serve.py"]);
    assert.deepEqual(pythonMainCandidates(words("python -m app.server")), ["app/server.py", "app/server/__main__.py"]);
    assert.equal(pythonMainCandidates(words("python -c 'import app'")), undefined);
    assert.equal(pythonMainCandidates(words("python manage")), undefined);
    assert.equal(pythonMainCandidates(words("node main.py")), undefined);
  });
});

/** A compose service built from the folder's Dockerfile, unless the test gives its own compose file. */
function build(given: Record<string, string>): { deployment: Deployment; text: (at: SourceRef | undefined) => string | undefined } {
  const files: Record<string, string> = { "docker-compose.yml": "services:\n  api:\n    build: .\n", ...given };
  const host = memoryHost(files);
  const model = buildModel(host, host.list().filter((p) => fileKind(p) !== undefined), []);
  assert.equal(model.deployments.length, 1);
  return { deployment: model.deployments[0], text: (at) => (at ? files[at.file]?.slice(at.start, at.end) : undefined) };
}

const DOCKERFILE = 'FROM python:3.12-slim\nWORKDIR /srv\nCOPY . .\nCMD ["python", "main.py"]\n';

describe("uvicorn.run() as the deployment's server", () => {
  test("workers from WEB_CONCURRENCY's default in main.py, at the literal; the compose environment wins when set", () => {
    const main = 'import os, uvicorn\nif __name__ == "__main__":\n    uvicorn.run("app:app", host="0.0.0.0", workers=int(os.getenv("WEB_CONCURRENCY", 8)))\n';
    const unset = build({ Dockerfile: DOCKERFILE, "main.py": main });
    const process = unset.deployment.processes[0];
    assert.equal(process?.invocation.server, "uvicorn");
    assert.equal(process.workers.value, 8);
    assert.deepEqual({ file: process.workers.at?.file, text: unset.text(process.workers.at) }, { file: "main.py", text: "8" });
    assert.equal(unset.text(process.commandAt)?.startsWith("uvicorn.run("), true);
    assert.ok(unset.deployment.files.has("main.py"));

    const compose = 'services:\n  api:\n    build: .\n    environment:\n      WEB_CONCURRENCY: "3"\n';
    const set = build({ Dockerfile: DOCKERFILE, "main.py": main, "docker-compose.yml": compose });
    const fromEnv = set.deployment.processes[0];
    assert.equal(fromEnv.workers.value, 3);
    assert.equal(fromEnv.workers.at?.file, "docker-compose.yml");
  });

  test("no workers argument: WEB_CONCURRENCY (uvicorn's Config reads it), never UVICORN_WORKERS (only its command line does)", () => {
    const main = 'import uvicorn\nuvicorn.run("app:app", host="0.0.0.0")\n';
    const compose = (name: string) => `services:\n  api:\n    build: .\n    environment:\n      ${name}: "5"\n`;
    assert.equal(build({ Dockerfile: DOCKERFILE, "main.py": main, "docker-compose.yml": compose("WEB_CONCURRENCY") }).deployment.processes[0].workers.value, 5);
    const own = build({ Dockerfile: DOCKERFILE, "main.py": main, "docker-compose.yml": compose("UVICORN_WORKERS") }).deployment.processes[0];
    assert.deepEqual([own.workers.value, own.workers.origin], [1, "default"]);
  });

  test("reload=True is the reload option; a computed workers count is unresolved, not uvicorn's default", () => {
    const reload = build({ Dockerfile: DOCKERFILE, "main.py": 'import uvicorn\nuvicorn.run("app:app", reload=True, workers=4)\n' });
    const process = reload.deployment.processes[0];
    assert.ok(optionValue(process.invocation, "reload"));
    assert.equal(reload.text(process.reload), "reload");
    const computed = build({ Dockerfile: DOCKERFILE, "main.py": 'import uvicorn\nfrom app.config import settings\nuvicorn.run("app:app", workers=settings.WORKERS)\n' }).deployment.processes[0];
    assert.ok(computed.workersUnresolved);
  });

  test("python -m finds the module's file; what cannot be told starts no process", () => {
    const module = build({ Dockerfile: 'FROM python:3.12\nCMD ["python", "-m", "app"]\n', "app/__main__.py": 'import uvicorn\nuvicorn.run("app.main:app", workers=2)\n' });
    assert.equal(module.deployment.processes[0]?.workers.value, 2);
    for (const main of [
      'import uvicorn\nfrom app.main import app\nuvicorn.run(app, workers=4)\n', // an app object with workers: uvicorn exits
      'import uvicorn\nif DEV:\n    uvicorn.run("app:app", reload=True)\nelse:\n    uvicorn.run("app:app", workers=4)\n', // which call runs is not known
      'import uvicorn\nuvicorn.run("app:app", **options)\n',
      "print('no server')\n",
    ]) {
      assert.equal(build({ Dockerfile: DOCKERFILE, "main.py": main }).deployment.processes.length, 0, main);
    }
  });
});

describe("SQLAlchemy engine in the app's code (model/sqlalchemy.ts)", () => {
  const compose = (env: string) =>
    `services:\n  api:\n    build: .\n    command: uvicorn app.main:app --host 0.0.0.0 --workers 3\n    environment:\n      DATABASE_URL: postgresql://u@db/app\n${env}`;
  const main = "from fastapi import FastAPI\nfrom app.db import engine\napp = FastAPI()\n";

  test("literal keyword arguments win over the naming convention; the finding's place is the literal", () => {
    const { deployment, text } = build({
      "docker-compose.yml": compose('      DB_POOL_SIZE: "2"\n'),
      Dockerfile: "FROM python:3.12\n",
      "app/main.py": main,
      "app/db.py": 'from sqlalchemy import create_engine\nengine = create_engine(URL, pool_size=20, max_overflow=10)\n',
    });
    const pool = deployment.pool;
    assert.deepEqual([pool?.kind, pool?.size.value, pool?.sizeName, pool?.overflow?.value, pool?.overflowName], ["sqlalchemy", 20, "pool_size", 10, "max_overflow"]);
    assert.deepEqual({ file: pool?.size.at?.file, text: text(pool?.size.at) }, { file: "app/db.py", text: "20" });
    assert.ok(deployment.files.has("app/db.py"));
  });

  test("no pool arguments: SQLAlchemy's defaults, 5 and 10 (found through `from app import db`: app/ has no __init__.py)", () => {
    const { deployment } = build({
      "docker-compose.yml": compose(""),
      Dockerfile: "FROM python:3.12\n",
      "app/main.py": "from fastapi import FastAPI\nfrom app import db\napp = FastAPI()\n",
      "app/db.py": "from sqlalchemy.ext.asyncio import create_async_engine as make\nengine = make(settings.url)\n",
    });
    assert.deepEqual([deployment.pool?.size.value, deployment.pool?.size.origin, deployment.pool?.overflow?.value, deployment.pool?.overflow?.origin], [5, "default", 10, "default"]);
  });

  test("a pydantic settings field through the imported instance: its default, or the variable of its name in any case, with env_prefix and alias", () => {
    const config = [
      "from pydantic import Field",
      "from pydantic_settings import BaseSettings, SettingsConfigDict",
      "class Settings(BaseSettings):",
      '    model_config = SettingsConfigDict(env_prefix="BILLING_")',
      "    db_pool_size: int = Field(20, ge=1)",
      '    db_max_overflow: int = Field(default=10, alias="DB_BURST")',
      "settings = Settings()",
      "",
    ].join("\n");
    const files = (env: string) => ({
      "docker-compose.yml": compose(env),
      Dockerfile: "FROM python:3.12\n",
      "app/main.py": "from .api import router\n",
      "app/api.py": "from . import db\n",
      "app/db.py": "import sqlalchemy as sa\nfrom app.core.config import settings\nengine = sa.create_engine(settings.url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)\n",
      "app/core/config.py": config,
    });
    const defaults = build(files(""));
    assert.deepEqual([defaults.deployment.pool?.size.value, defaults.text(defaults.deployment.pool?.size.at), defaults.deployment.pool?.size.at?.file], [20, "20", "app/core/config.py"]);
    assert.equal(defaults.deployment.pool?.overflow?.value, 10);
    const fromEnv = build(files('      billing_DB_POOL_SIZE: "7"\n      db_burst: "3"\n      DB_POOL_SIZE: "50"\n'));
    assert.deepEqual([fromEnv.deployment.pool?.size.value, fromEnv.deployment.pool?.sizeName, fromEnv.deployment.pool?.size.at?.file], [7, "billing_DB_POOL_SIZE", "docker-compose.yml"]);
    assert.deepEqual([fromEnv.deployment.pool?.overflow?.value, fromEnv.deployment.pool?.overflowName], [3, "db_burst"]);
  });

  test("what cannot be sized is left to the environment's names: poolclass, SQLite, two engines, an unbounded pool", () => {
    for (const db of [
      "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\nengine = create_engine(URL, poolclass=NullPool)\n",
      'from sqlalchemy import create_engine\nengine = create_engine("sqlite:///app.db", pool_size=50)\n',
      "from sqlalchemy import create_engine\nengine = create_engine(A, pool_size=50)\nreplica = create_engine(B, pool_size=50)\n",
      "from sqlalchemy import create_engine\nengine = create_engine(A, pool_size=0)\n",
    ]) {
      const { deployment } = build({ "docker-compose.yml": compose('      DB_POOL_SIZE: "4"\n'), Dockerfile: "FROM python:3.12\n", "app/main.py": main, "app/db.py": db });
      assert.deepEqual([deployment.pool?.size.value, deployment.pool?.sizeName], [4, "DB_POOL_SIZE"], db);
    }
  });

  test("the file python main.py runs is where the app's imports start", () => {
    const { deployment } = build({
      Dockerfile: DOCKERFILE,
      "docker-compose.yml": "services:\n  api:\n    build: .\n    environment:\n      DATABASE_URL: postgresql://u@db/app\n",
      "main.py": 'import uvicorn\nfrom app.db import engine\nuvicorn.run("app.main:app", workers=2)\n',
      "app/db.py": "from sqlmodel import create_engine\nengine = create_engine(URL, pool_size=12)\n",
    });
    assert.deepEqual([deployment.pool?.size.value, deployment.pool?.processes.value], [12, 2]);
  });
});

describe("Flask-SQLAlchemy's engine options (model/sqlalchemy.ts, parse/flask-config.ts)", () => {
  const compose = "services:\n  web:\n    build: .\n    command: gunicorn \"shop:create_app()\" --workers 3\n    environment:\n      DATABASE_URL: postgresql://u@db/shop\n";
  const factory = (body: string, imports = "") =>
    `from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n${imports}\ndb = SQLAlchemy()\n\n\ndef create_app():\n    app = Flask(__name__)\n${body}    db.init_app(app)\n    return app\n`;
  const read = (files: Record<string, string>) => {
    const pool = build({ "docker-compose.yml": compose, Dockerfile: "FROM python:3.12\n", ...files }).deployment.pool;
    return pool && [pool.size.value, pool.size.origin, pool.overflow?.value, pool.overflow?.origin];
  };

  test("app.config[...] in the factory; without options SQLAlchemy's defaults; a poolclass is no pool Headroom sizes", () => {
    assert.deepEqual(read({ "shop/__init__.py": factory('    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 12, "max_overflow": 3}\n') }), [12, "stated", 3, "stated"]);
    assert.deepEqual(read({ "shop/__init__.py": factory('    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]\n') }), [5, "default", 10, "default"]);
    assert.equal(read({ "shop/__init__.py": factory('    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": NullPool}\n') }), undefined);
  });

  test("config classes: the one from_object names, or the base it inherits the options from; several and none named: not counted", () => {
    const config =
      'import os\n\nclass Config:\n    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": int(os.getenv("DB_POOL_SIZE", 7))}\n\n' +
      'class TestingConfig(Config):\n    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 1, "max_overflow": 0}\n\nclass ProductionConfig(Config):\n    DEBUG = False\n';
    assert.deepEqual(read({ "shop/__init__.py": factory('    app.config.from_object("config.ProductionConfig")\n'), "config.py": config }), [7, "stated", 10, "default"]);
    assert.deepEqual(read({ "shop/__init__.py": factory('    app.config.from_object("config.TestingConfig")\n'), "config.py": config }), [1, "stated", 0, "stated"]);
    assert.deepEqual(read({ "shop/__init__.py": factory("    app.config.from_object(ProductionConfig)\n", "from config import ProductionConfig\n"), "config.py": config }), [7, "stated", 10, "default"]);
    assert.equal(read({ "shop/__init__.py": factory("    app.config.from_object(CONFIGS[os.environ['APP_ENV']])\n", "from config import CONFIGS\n"), "config.py": config }), undefined);
  });

  test("config set after init_app in the same function: 3.x has read its config already, 2.x reads it at first use; unpinned and different, not counted", () => {
    const after = (line: string) => factory("").replace("    db.init_app(app)\n", `    db.init_app(app)\n${line}`);
    const late = { "shop/__init__.py": after('    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 30}\n') };
    assert.deepEqual(read({ ...late, "requirements.txt": "Flask-SQLAlchemy==3.1.1\n" }), [5, "default", 10, "default"]);
    assert.deepEqual(read({ ...late, "requirements.txt": "Flask-SQLAlchemy==2.5.1\n" }), [30, "stated", 10, "default"]);
    assert.equal(read(late), undefined);
    // Set before init_app, or after it in another function: read as before.
    assert.deepEqual(read({ "shop/__init__.py": factory('    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 30}\n') }), [30, "stated", 10, "default"]);
    const helper = `${factory("")}\n\ndef tune(app):\n    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 30}\n`;
    assert.deepEqual(read({ "shop/__init__.py": helper }), [30, "stated", 10, "default"]);
    // SQLAlchemy(app) runs init_app itself; a late from_object counts as late config.
    const module = 'from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\ndb = SQLAlchemy(app)\napp.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 30}\n';
    assert.deepEqual(read({ "shop/__init__.py": module, "requirements.txt": "Flask-SQLAlchemy==3.1.1\n" }), [5, "default", 10, "default"]);
    const config = 'class ProductionConfig:\n    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 12}\n';
    const lateObject = { "shop/__init__.py": after('    app.config.from_object("config.ProductionConfig")\n'), "config.py": config };
    assert.deepEqual(read({ ...lateObject, "requirements.txt": "Flask-SQLAlchemy==3.1.1\n" }), [5, "default", 10, "default"]);
    assert.deepEqual(read({ ...lateObject, "requirements.txt": "Flask-SQLAlchemy==2.5.1\n" }), [12, "stated", 10, "default"]);
  });

  test("the config class an environment variable names, directly, through a variable or a dict of classes; its default assumed when unset; unknown and different, not counted", () => {
    const config =
      'class Config:\n    SQLALCHEMY_TRACK_MODIFICATIONS = False\n\nclass DevelopmentConfig(Config):\n    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 2, "max_overflow": 0}\n\n' +
      'class ProductionConfig(Config):\n    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 20, "max_overflow": 10}\n\nconfig = {\n    "development": DevelopmentConfig,\n    "production": ProductionConfig,\n    "default": DevelopmentConfig,\n}\n';
    const withEnv = (env: string, files: Record<string, string>) => {
      const pool = build({ "docker-compose.yml": compose.replace("    environment:\n", `    environment:\n      ${env}\n`), Dockerfile: "FROM python:3.12\n", "config.py": config, ...files }).deployment.pool;
      return pool && [pool.size.value, pool.overflow?.value];
    };
    const direct = { "shop/__init__.py": factory('    app.config.from_object(os.environ["APP_SETTINGS"])\n', "import os\n") };
    assert.deepEqual(withEnv("APP_SETTINGS: config.ProductionConfig", direct), [20, 10]);
    assert.deepEqual(withEnv("APP_SETTINGS: config.DevelopmentConfig", direct), [2, 0]);
    assert.equal(withEnv("OTHER: x", direct), undefined);
    const variable = { "shop/__init__.py": factory('    settings = os.getenv("APP_SETTINGS", "config.ProductionConfig")\n    app.config.from_object(settings)\n', "import os\n") };
    assert.deepEqual(withEnv("OTHER: x", variable), [20, 10]);
    assert.deepEqual(withEnv("APP_SETTINGS: config.DevelopmentConfig", variable), [2, 0]);
    const mapped = { "shop/__init__.py": factory('    app.config.from_object(config[os.getenv("FLASK_CONFIG", "default")])\n', "import os\nfrom config import config\n") };
    assert.deepEqual(withEnv("FLASK_CONFIG: production", mapped), [20, 10]);
    assert.deepEqual(withEnv("OTHER: x", mapped), [2, 0]);
    // A factory's parameter: any class may be loaded; counted only when they all size the pool alike.
    const parameter = { "shop/__init__.py": factory("    app.config.from_object(config[config_name])\n", "from config import config\n").replace("def create_app():", "def create_app(config_name):") };
    assert.equal(withEnv("OTHER: x", parameter), undefined);
    const alike = 'class Config:\n    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 9}\n\nclass DevelopmentConfig(Config):\n    DEBUG = True\n\nclass ProductionConfig(Config):\n    DEBUG = False\n';
    assert.deepEqual(withEnv("OTHER: x", { ...parameter, "config.py": alike }), [9, 10]);
  });

  const constructed = (options: string, body = "") =>
    `from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy(engine_options=${options})\n\n\ndef create_app():\n    app = Flask(__name__)\n${body}    db.init_app(app)\n    return app\n`;

  test("SQLAlchemy(engine_options=...): a dict literal or dict(...); app.config's SQLALCHEMY_ENGINE_OPTIONS set before init_app merges over it key by key", () => {
    assert.deepEqual(read({ "shop/__init__.py": constructed('{"pool_size": 8, "max_overflow": 2, "pool_pre_ping": True}') }), [8, "stated", 2, "stated"]);
    assert.deepEqual(read({ "shop/__init__.py": constructed("dict(pool_size=int(os.getenv('POOL', 6)))") }), [6, "stated", 10, "default"]);
    // Different keys from each: merged whatever the version.
    assert.deepEqual(read({ "shop/__init__.py": constructed('{"pool_size": 8}', '    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"max_overflow": 0}\n') }), [8, "stated", 0, "stated"]);
    assert.deepEqual(read({ "shop/__init__.py": constructed('{"pool_size": 8}', '    app.config.update(\n        SQLALCHEMY_ENGINE_OPTIONS={"max_overflow": 1},\n    )\n') }), [8, "stated", 1, "stated"]);
    assert.deepEqual(read({ "shop/__init__.py": constructed('{"pool_size": 8}', '    app.config.update({"SQLALCHEMY_ENGINE_OPTIONS": {"max_overflow": 4}})\n') }), [8, "stated", 4, "stated"]);
    // A name Headroom does not follow, or a poolclass on either side: not sized.
    assert.equal(read({ "shop/__init__.py": constructed("ENGINE_OPTIONS") }), undefined);
    assert.equal(read({ "shop/__init__.py": constructed('{"poolclass": NullPool}') }), undefined);
  });

  test("the same key in both: 3.x takes app.config's, 2.x the constructor's; the pinned version decides, and without one it is not counted", () => {
    const both = { "shop/__init__.py": constructed('{"pool_size": 8}', '    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 3}\n') };
    assert.deepEqual(read({ ...both, "requirements.txt": "Flask-SQLAlchemy==3.1.1\n" }), [3, "stated", 10, "default"]);
    assert.deepEqual(read({ ...both, "requirements.txt": "Flask-SQLAlchemy==2.5.1\n" }), [8, "stated", 10, "default"]);
    // A bare name lets pip install the newest release: 3.x, assumed (and said).
    assert.deepEqual(read({ ...both, "requirements.txt": "Flask-SQLAlchemy\n" }), [3, "stated", 10, "default"]);
    assert.equal(read(both), undefined);
  });

  test("SQLALCHEMY_BINDS: each bind on the default URI's server is an engine with its own pool; 3.x gives a URL bind the constructor's options, 2.x the default's; unpinned and different, not counted", () => {
    const env = ["DATABASE_URL: postgresql://u@db/shop", "REPORTS_URL: postgresql://u@db:5432/reports"];
    const composeWith = `services:\n  web:\n    build: .\n    command: gunicorn "shop:create_app()" --workers 3\n    environment:\n${env.map((e) => `      ${e}\n`).join("")}`;
    const binds = (body: string, extra: Record<string, string> = {}) => {
      const pool = build({ "docker-compose.yml": composeWith, Dockerfile: "FROM python:3.12\n", "shop/__init__.py": factory(body), ...extra }).deployment.pool;
      return pool && [pool.size.value, pool.overflow?.value, ...(pool.databases ?? []).map((d) => `${d.name} ${d.size.value}+${d.overflow?.value}`)];
    };
    const uri = '    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]\n';
    // Another port is another server; a dict bind carries its own options; SQLite has no server.
    const config = '    app.config["SQLALCHEMY_BINDS"] = {\n        "reports": os.environ["REPORTS_URL"],  # same server\n        "audit": {"url": "postgresql://u@db/audit", "pool_size": 1},\n        "other": "postgresql://u@db:6543/other",\n        "cache": "sqlite:///cache.db",\n    }\n';
    assert.deepEqual(binds(uri + config), [5, 10, "reports 5+10", "audit 1+10"]);
    // The default's options differ between versions for a URL bind: the pin decides, else the binds are left out.
    const options = '    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 2, "max_overflow": 0}\n';
    assert.deepEqual(binds(uri + config + options, { "requirements.txt": "Flask-SQLAlchemy==3.1.1\n" }), [2, 0, "reports 5+10", "audit 1+10"]);
    assert.deepEqual(binds(uri + config.replace(/ +"audit".*\n/, "") + options, { "requirements.txt": "Flask-SQLAlchemy==2.5.1\n" }), [2, 0, "reports 2+0"]);
    assert.deepEqual(binds(uri + config + options), [2, 0]);
    // Without a URI Headroom can read, no bind is known to share its server.
    assert.deepEqual(binds(config), [5, 10]);
  });

  test("the pin from lock files, requirements files (requirements/*.txt, -r includes, dev files left out), Pipfile and pyproject.toml (PEP 621, Poetry), main dependencies only", () => {
    const config = "class Config:\n    SQLALCHEMY_POOL_SIZE = 20\n    SQLALCHEMY_MAX_OVERFLOW = 30\n";
    const files = { "shop/__init__.py": factory('    app.config.from_object("config.Config")\n'), "config.py": config };
    const two = [20, "stated", 30, "stated"];
    const three = [5, "default", 10, "default"];
    assert.deepEqual(read({ ...files, "uv.lock": 'version = 1\n\n[[package]]\nname = "flask"\nversion = "3.1.0"\n\n[[package]]\nname = "flask-sqlalchemy"\nversion = "2.5.1"\nsource = { registry = "https://pypi.org/simple" }\n' }), two);
    assert.deepEqual(read({ ...files, "pdm.lock": '[[package]]\nname = "flask-sqlalchemy"\nversion = "3.1.1"\n' }), three);
    assert.deepEqual(read({ ...files, "Pipfile.lock": '{"default": {"flask-sqlalchemy": {"hashes": [], "version": "==2.5.1"}}, "develop": {}}' }), two);
    assert.deepEqual(read({ ...files, "requirements/base.txt": "Flask-SQLAlchemy==2.5.1  # pinned for the 2.x keys\n", "requirements/production.txt": "-r base.txt\ngunicorn\n" }), two);
    assert.deepEqual(read({ ...files, "requirements.txt": "-r requirements/common.txt\n", "requirements/common.txt": "flask-sqlalchemy~=2.5\n" }), two);
    // A test file pinning another major does not count; two production files that disagree settle nothing.
    assert.deepEqual(read({ ...files, "requirements-prod.txt": "flask-sqlalchemy<3\n", "requirements-dev.txt": "flask-sqlalchemy==3.1.1\n" }), two);
    assert.equal(read({ ...files, "requirements/web.txt": "flask-sqlalchemy==2.5.1\n", "requirements/worker.txt": "flask-sqlalchemy==3.1.1\n" }), undefined);
    assert.deepEqual(read({ ...files, Pipfile: '[packages]\nflask-sqlalchemy = {version = "==2.5.1", extras = ["asyncio"]}\n\n[dev-packages]\nflask-sqlalchemy = "*"\n' }), two);
    assert.deepEqual(read({ ...files, "pyproject.toml": '[project]\nname = "shop"\ndependencies = [\n  "flask>=3",\n  "Flask-SQLAlchemy[asyncio] >=2.4, <3.0 ; python_version >= \'3.8\'",\n]\n' }), two);
    assert.deepEqual(read({ ...files, "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nflask-sqlalchemy = "^2.5.1"\n' }), two);
    // Poetry's dev group and PEP 621's optional dependencies are not what production installs.
    assert.equal(read({ ...files, "pyproject.toml": '[tool.poetry.group.dev.dependencies]\nflask-sqlalchemy = "^2.5.1"\n\n[project.optional-dependencies]\nold = ["flask-sqlalchemy<3"]\n' }), undefined);
    // Not TOML: nothing read, nothing thrown.
    assert.equal(read({ ...files, "pyproject.toml": "[project\ndependencies = [flask-sqlalchemy<3\n" }), undefined);
  });

  test("2.x's SQLALCHEMY_POOL_SIZE / SQLALCHEMY_MAX_OVERFLOW: read below 3.0, ignored from 3.0 (SQLAlchemy's defaults), not counted without a pin", () => {
    const config = "import os\n\nclass Config:\n    SQLALCHEMY_POOL_SIZE = int(os.environ.get('SQLALCHEMY_POOL_SIZE', 20))\n    SQLALCHEMY_MAX_OVERFLOW = 30\n";
    const files = { "shop/__init__.py": factory('    app.config.from_object("config.Config")\n'), "config.py": config };
    assert.deepEqual(read({ ...files, "requirements.txt": "flask==1.1.4\nflask-sqlalchemy==2.5.1\n" }), [20, "stated", 30, "stated"]);
    assert.deepEqual(read({ ...files, "poetry.lock": '[[package]]\nname = "flask-sqlalchemy"\nversion = "2.4.4"\n' }), [20, "stated", 30, "stated"]);
    assert.deepEqual(read({ ...files, "pyproject.toml": '[project]\ndependencies = ["flask-sqlalchemy>=3.0"]\n' }), [5, "default", 10, "default"]);
    assert.deepEqual(read({ ...files, "requirements.txt": "flask-sqlalchemy>=2.4\n" }), [5, "default", 10, "default"]);
    assert.deepEqual(read({ ...files, "requirements.txt": "flask-sqlalchemy>=2.4,<3\n" }), [20, "stated", 30, "stated"]);
    assert.equal(read(files), undefined);
    // SQLALCHEMY_ENGINE_OPTIONS setting both keys decides in either version: no pin needed.
    const withOptions = config + '    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 4, "max_overflow": 1}\n';
    assert.deepEqual(read({ ...files, "config.py": withOptions }), [4, "stated", 1, "stated"]);
  });
});
