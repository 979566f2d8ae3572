import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mountedAt, prestartChangesServer, uvicornGunicornImage } from "../../server/src/engine/model/tiangolo.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { workersFloor } from "../../server/src/engine/model/pools.ts";
import { sameOnAnyHost } from "../../server/src/engine/parse/setting-expr.ts";
import { memoryHost } from "../helpers/memory-host.ts";

describe("tiangolo/uvicorn-gunicorn images", () => {
  test("the images are recognised by any tag or digest, and no other image is", () => {
    assert.equal(uvicornGunicornImage("tiangolo/uvicorn-gunicorn-fastapi:python3.11"), "tiangolo/uvicorn-gunicorn-fastapi");
    assert.equal(uvicornGunicornImage("docker.io/tiangolo/uvicorn-gunicorn:python3.10-slim"), "tiangolo/uvicorn-gunicorn");
    assert.equal(uvicornGunicornImage("tiangolo/uvicorn-gunicorn-starlette"), "tiangolo/uvicorn-gunicorn-starlette");
    assert.equal(uvicornGunicornImage(`tiangolo/uvicorn-gunicorn-fastapi@sha256:${"a".repeat(64)}`), "tiangolo/uvicorn-gunicorn-fastapi");
    assert.equal(uvicornGunicornImage("tiangolo/meinheld-gunicorn-flask:python3.9"), undefined, "meinheld's image has a gunicorn_conf.py of its own");
    assert.equal(uvicornGunicornImage("tiangolo/uwsgi-nginx-flask:python3.11"), undefined);
    assert.equal(uvicornGunicornImage("myorg/tiangolo/uvicorn-gunicorn-fastapi"), undefined);
    assert.equal(uvicornGunicornImage("python:3.11"), undefined);
  });

  test("compose volumes map an image path to the deepest mount above it", () => {
    const binds = [
      { source: "app", target: "/app" },
      { source: "conf/gunicorn.py", target: "/app/gunicorn_conf.py" },
    ];
    assert.deepEqual(mountedAt(binds, [], "/app/prestart.sh"), { source: "app", rest: "prestart.sh" });
    assert.deepEqual(mountedAt(binds, [], "/app/app/gunicorn_conf.py"), { source: "app", rest: "app/gunicorn_conf.py" });
    assert.deepEqual(mountedAt(binds, [], "/app/gunicorn_conf.py"), { source: "conf/gunicorn.py", rest: "" });
    assert.equal(mountedAt(binds, [], "/application/x.py"), undefined, "a target is a folder, not a prefix of a name");
    assert.equal(mountedAt(binds, [], "/start.sh"), undefined);
    assert.equal(mountedAt(binds, ["/app/app"], "/app/app/gunicorn_conf.py"), "volume");
    assert.deepEqual(mountedAt([{ source: "", target: "/" }], [], "/start.sh"), { source: "", rest: "start.sh" });
  });

  test("a prestart.sh that may change the server's variables is told apart from one that runs migrations", () => {
    assert.equal(prestartChangesServer("#! /usr/bin/env bash\n# Let the DB start\nsleep 10;\nalembic upgrade head\n"), false);
    assert.equal(prestartChangesServer("#! /usr/bin/env bash\n# export WEB_CONCURRENCY=1\npython /app/backend_pre_start.py\n"), false, "a comment sets nothing");
    assert.equal(prestartChangesServer("export WEB_CONCURRENCY=1\n"), true);
    assert.equal(prestartChangesServer("MAX_WORKERS=4\n"), true);
    assert.equal(prestartChangesServer("exec uvicorn main:app\n"), true);
    assert.equal(prestartChangesServer(". /app/.env.sh\n"), true);
    assert.equal(prestartChangesServer("export $(grep -v '^#' .env | xargs)\n"), true);
    assert.equal(prestartChangesServer("set -a\n"), true);
  });
});

describe("a count the host's CPUs cannot change", () => {
  test("sameOnAnyHost: a cap at or below what the CPUs give holds on every bigger host", () => {
    const image = (max?: number) => ({ multiplier: 1, add: 0, min: 2, ...(max !== undefined ? { max } : {}) });
    assert.equal(sameOnAnyHost(image(2), 1), true, "max(cpu_count(), 2) with MAX_WORKERS 2 is 2 anywhere");
    assert.equal(sameOnAnyHost(image(1), 1), true);
    assert.equal(sameOnAnyHost(image(3), 1), false, "3 on a host with 3 CPUs or more, 2 below");
    assert.equal(sameOnAnyHost(image(3), 4), true, "from 4 CPUs up, 3");
    assert.equal(sameOnAnyHost(image(), 64), false, "uncapped, it grows with the host");
    assert.equal(sameOnAnyHost({ multiplier: 2, add: 1, max: 4 }, 2), true, "min(cpu_count() * 2 + 1, 4) from 2 CPUs up");
    assert.equal(sameOnAnyHost({ multiplier: 1, add: 0, max: 2, multiplierEnv: "WORKERS_PER_CORE" }, 2), false, "a multiplier a variable sets is not known");
  });

  test("tiangolo's image under MAX_WORKERS 2 runs exactly 2 workers: no floor, no host CPU count", () => {
    const files = {
      Dockerfile: "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.11\nENV MAX_WORKERS=2\nCOPY ./app /app\n",
      "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
      "docker-compose.yml": "services:\n  api:\n    build: .\n    cpus: 1\n",
    };
    const host = memoryHost(files);
    const [api] = buildModel(host, host.list(), []).deployments;
    const [process] = api.processes;
    assert.deepEqual([process.workers.value, workersFloor(process)], [2, undefined]);
  });
});
