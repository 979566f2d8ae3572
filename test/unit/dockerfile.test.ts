// parse/dockerfile.ts: ENV values that come from build arguments (ARG), per stage as Docker scopes them; the dependency
// files RUN lines install from.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isBuildArgDefault, parseDockerfile } from "../../server/src/engine/parse/dockerfile.ts";
import { dependencyInstalls } from "../../server/src/engine/parse/python-requirements.ts";

const at = (text: string, fact: { at?: { start: number; end: number } } | undefined) => (fact?.at ? text.slice(fact.at.start, fact.at.end) : undefined);

describe("ENV from ARG", () => {
  test("ENV X=${ARG} takes the ARG's default, pointing at it, and remembers the ARG", () => {
    const text = ["FROM python:3.12", "ARG WEB_WORKERS=6", "ENV WORKERS=${WEB_WORKERS} \\", "    PORT=8000", 'CMD gunicorn -w $WORKERS app:app', ""].join("\n");
    const d = parseDockerfile(text, "Dockerfile");
    const workers = d.env.get("WORKERS");
    assert.equal(workers?.value, "6");
    assert.equal(at(text, workers), "6");
    assert.ok(workers && isBuildArgDefault(workers));
    assert.equal(d.envFromArgs.get("WORKERS"), "WEB_WORKERS");
    assert.equal(d.env.get("PORT")?.value, "8000");
    assert.ok(!isBuildArgDefault(d.env.get("PORT") ?? { value: "", origin: "stated" }));
  });

  test("a global ARG is seen by a stage only when it declares it again", () => {
    const text = ["ARG WORKERS=4", "FROM python:3.12 AS a", "ENV W=$WORKERS", "FROM python:3.12", "ARG WORKERS", "ENV W=$WORKERS", ""].join("\n");
    assert.equal(parseDockerfile(text, "Dockerfile").env.get("W")?.value, "4");
    const unseen = ["ARG WORKERS=4", "FROM python:3.12", "ENV W=$WORKERS", ""].join("\n");
    assert.equal(parseDockerfile(unseen, "Dockerfile").env.get("W")?.value, "$WORKERS");
  });

  test("an ARG without a value stays unknown unless ${X:-default} gives one", () => {
    const text = ["FROM python:3.12", "ARG WORKERS", "ENV A=$WORKERS B=${WORKERS:-3}", ""].join("\n");
    const d = parseDockerfile(text, "Dockerfile");
    assert.equal(d.env.get("A")?.value, "$WORKERS");
    assert.equal(d.env.get("B")?.value, "3");
  });
});

describe("dependency files RUN lines install from", () => {
  const installs = (run: string) => dependencyInstalls(run).map((i) => `${i.kind} ${i.path}`);

  test("pip, python -m pip and uv pip read their -r and -c files, in every spelling", () => {
    assert.deepEqual(installs("pip install --no-cache-dir -r requirements/prod.txt"), ["requirements requirements/prod.txt"]);
    assert.deepEqual(installs("--mount=type=cache,target=/root/.cache pip3 install -rreq.txt -c constraints.txt && echo ok"), ["requirements req.txt", "requirements constraints.txt"]);
    assert.deepEqual(installs("python -m pip install --requirement=requirements/base.txt"), ["requirements requirements/base.txt"]);
    assert.deepEqual(installs("uv pip install --system -r requirements/production.txt"), ["requirements requirements/production.txt"]);
    assert.deepEqual(installs("uv pip sync requirements.txt"), ["requirements requirements.txt"]);
    assert.deepEqual(installs("pip-sync requirements/prod.txt"), ["requirements requirements/prod.txt"]);
  });

  test("project tools install their lock file", () => {
    assert.deepEqual(installs("poetry install --no-root --only main"), ["lock poetry.lock"]);
    assert.deepEqual(installs("uv sync --frozen --no-dev"), ["lock uv.lock"]);
    assert.deepEqual(installs("pipenv install --deploy --system"), ["lock Pipfile.lock"]);
    assert.deepEqual(installs("pdm sync --prod"), ["lock pdm.lock"]);
  });

  test("nothing for other commands, options that only look alike, or a path known at build time only", () => {
    assert.deepEqual(installs("apt-get update && apt-get install -y libpq-dev"), []);
    assert.deepEqual(installs("pip install --root-user-action=ignore ."), []);
    assert.deepEqual(installs("pip install -r $REQUIREMENTS"), []);
    assert.deepEqual(installs("poetry export -o requirements.txt"), []);
  });

  test("each COPY records the WORKDIR in effect at its line; a relative WORKDIR is relative to the one before", () => {
    const first = ["FROM python:3.12", "COPY a.txt .", "WORKDIR /app", "COPY b.txt .", "WORKDIR src", "COPY c.txt ."];
    const d = parseDockerfile([...first, ""].join("\n"), "Dockerfile");
    assert.deepEqual(d.copies.map((c) => [c.sources[0], c.workdir]), [["a.txt", undefined], ["b.txt", "/app"], ["c.txt", "/app/src"]]);
    assert.equal(d.workdir, "/app/src");
    // a new stage FROM an image starts before any WORKDIR again
    const next = parseDockerfile([...first, "FROM python:3.12", "COPY d.txt .", ""].join("\n"), "Dockerfile");
    assert.deepEqual(next.copies.map((c) => [c.sources[0], c.workdir]), [["d.txt", undefined]]);
  });

  test("each stage's WORKDIR and COPY lines so far go with its installs, continuation lines included", () => {
    const text = ["FROM python:3.12 AS build", "WORKDIR /srv", "COPY requirements/prod.txt /tmp/r.txt", "RUN pip install --upgrade pip \\", "    && pip install -r /tmp/r.txt", "FROM python:3.12", "COPY --from=build /usr/local /usr/local", "CMD [\"gunicorn\", \"app:app\"]", ""].join("\n");
    const d = parseDockerfile(text, "Dockerfile");
    assert.deepEqual(d.installs, [{ path: "/tmp/r.txt", kind: "requirements", workdir: "/srv", copies: [{ sources: ["requirements/prod.txt"], destination: "/tmp/r.txt", fromContext: true, workdir: "/srv", start: 39, end: 76 }] }]);
    assert.equal(text.slice(39, 76), "COPY requirements/prod.txt /tmp/r.txt");
    assert.deepEqual(d.copies.map((c) => [c.sources, c.fromContext]), [[["/usr/local"], false]], "a COPY --from takes another stage's files");
  });
});
