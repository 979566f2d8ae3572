import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mountedAt, prestartChangesServer, uvicornGunicornImage } from "../../server/src/engine/model/tiangolo.ts";

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
