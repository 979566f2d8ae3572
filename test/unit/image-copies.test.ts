// COPY/ADD lines between the build context and the image (model/image-copies.ts), both ways.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { contextCandidates, contextFolders, contextSource, imagePathsOf } from "../../server/src/engine/model/image-copies.ts";

describe("COPY/ADD lines between the build context and the image", () => {
  test("an image path maps back to build-context files, the last line first", () => {
    const copies = [
      { sources: ["./requirements.txt"], destination: "/app/requirements.txt" },
      { sources: ["./app"], destination: "/app" },
      { sources: ["deploy/gunicorn_conf.py"], destination: "/app/" },
    ];
    assert.deepEqual(contextCandidates(copies, "/app/", "/app/gunicorn_conf.py"), ["deploy/gunicorn_conf.py/gunicorn_conf.py", "deploy/gunicorn_conf.py", "app/gunicorn_conf.py"]);
    assert.deepEqual(contextCandidates([{ sources: ["gunicorn_conf.py"], destination: "/app/gunicorn_conf.py" }], "/app", "/app/gunicorn_conf.py"), ["gunicorn_conf.py"]);
    // `COPY . .` in the WORKDIR; a relative destination follows the WORKDIR.
    assert.deepEqual(contextCandidates([{ sources: ["."], destination: "." }], "/app", "/app/prestart.sh"), ["prestart.sh"]);
    assert.deepEqual(contextCandidates([{ sources: ["."], destination: "." }], "/srv", "/app/prestart.sh"), []);
    assert.deepEqual(contextCandidates([{ sources: ["*.py"], destination: "/app/" }, { sources: ["/etc/x"], destination: "/app/" }], "/app", "/app/gunicorn_conf.py"), []);
    assert.deepEqual(contextFolders([{ sources: ["./backend/"], destination: "/app" }, { sources: ["main.py"], destination: "/srv/" }], "/app", "/app"), ["backend"]);
  });

  test("a build-context file maps to the image paths the lines put it at", () => {
    const copies = [
      { sources: ["docker/web.run"], destination: "/etc/services.d/web/run" },
      { sources: ["root/"], destination: "/" },
      { sources: ["docker/web.run", "docker/worker.run"], destination: "/opt/runs/" },
      { sources: ["."], destination: "src" },
    ];
    assert.deepEqual(imagePathsOf(copies, "/app", "docker/web.run"), ["/etc/services.d/web/run", "/opt/runs/web.run", "/app/src/docker/web.run"]);
    assert.deepEqual(imagePathsOf(copies, "/", "root/etc/services.d/api/run"), ["/etc/services.d/api/run", "/src/root/etc/services.d/api/run"]);
  });

  test("a relative destination is relative to the WORKDIR of its own line; before any, to the base image's", () => {
    // WORKDIR /app, COPY deploy/gunicorn.conf.py ./gunicorn.conf.py, WORKDIR /app/src, COPY src/ .
    const copies = [
      { sources: ["deploy/gunicorn.conf.py"], destination: "./gunicorn.conf.py", workdir: "/app" },
      { sources: ["src/"], destination: ".", workdir: "/app/src" },
    ];
    assert.deepEqual(contextCandidates(copies, "/", "/app/gunicorn.conf.py"), ["deploy/gunicorn.conf.py"]);
    assert.deepEqual(contextCandidates(copies, "/", "/app/src/gunicorn.conf.py"), ["src/gunicorn.conf.py"]);
    assert.deepEqual(imagePathsOf(copies, "/", "deploy/gunicorn.conf.py"), ["/app/gunicorn.conf.py"]);
    assert.deepEqual(contextFolders(copies, "/", "/app/src"), ["src"]);
    // a line before any WORKDIR: the base image's (the argument)
    assert.deepEqual(imagePathsOf([{ sources: ["run"], destination: "run" }], "/", "run"), ["/run"]);
  });

  test("COPY --from=<stage> brings another stage's files, not the build context's", () => {
    const fromStage = [{ sources: ["app/"], destination: "/app/", fromContext: false }];
    assert.deepEqual(contextCandidates(fromStage, "/app", "/app/main.py"), []);
    assert.deepEqual(contextFolders([{ sources: ["backend"], destination: "/app", fromContext: false }], "/app", "/app"), []);
    assert.deepEqual(imagePathsOf([{ sources: ["run"], destination: "/etc/services.d/web/run", fromContext: false }], "/", "run"), []);
  });

  test("sources as build-context paths: a dot-file keeps its dot; absolute, variable, wildcard, URL and parent paths are not followed", () => {
    assert.deepEqual(["." , "./", "./app/", "app//conf/./x", ".env", "./.docker/run"].map(contextSource), ["", "", "app", "app/conf/x", ".env", ".docker/run"]);
    assert.deepEqual(["/etc/x", "~/x", "$APP/x", "${APP}", "*.py", "conf/[ab].py", "https://example.org/x", "../nginx.conf", ".."].map(contextSource), Array(9).fill(undefined));
  });

  // Each read the same as before the three copies of this mapping became one (nginx, s6-overlay, tiangolo), except:
  test("more correct than the three mappings it replaces", () => {
    // A dot-folder source (`.docker/`) lost its dot in s6-overlay's and tiangolo's mappings: `docker/web/run` was looked for.
    assert.deepEqual(imagePathsOf([{ sources: [".docker/web/run"], destination: "/etc/services.d/web/run" }], "/", ".docker/web/run"), ["/etc/services.d/web/run"]);
    assert.deepEqual(contextCandidates([{ sources: [".deploy/gunicorn_conf.py"], destination: "/app/" }], "/app", "/app/gunicorn_conf.py"), [".deploy/gunicorn_conf.py/gunicorn_conf.py", ".deploy/gunicorn_conf.py"]);
    // `COPY run .` puts the file into the WORKDIR, which is a folder: s6-overlay's mapping put it at the WORKDIR's own path.
    assert.deepEqual(imagePathsOf([{ sources: ["run"], destination: "." }], "/etc/services.d/web", "run"), ["/etc/services.d/web/run"]);
  });
});
