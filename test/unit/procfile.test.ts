import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { parseProcfile } from "../../server/src/engine/parse/procfile.ts";
import type { Fact } from "../../server/src/engine/types.ts";

function repoRoot(): string {
  let dir = process.cwd();
  while (!existsSync(path.join(dir, "server", "src", "engine")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const corpus = path.resolve(repoRoot(), "..", "shared", "corpus", "real", "procfile");

describe("Procfile", () => {
  test("each line is a process whose command is read at its offset", () => {
    const text = [
      "# processes",
      "",
      `web: gunicorn app.wsgi --workers \${WEB_CONCURRENCY:-3} --bind 0.0.0.0:$PORT`,
      "worker:   celery -A app worker --concurrency 4   ",
      "release: ./manage.py migrate && echo done",
    ].join("\n");
    const procfile = parseProcfile(text, "Procfile");
    assert.deepEqual(procfile.problems, []);
    assert.deepEqual(
      procfile.processes.map((p) => [p.name, text.slice(p.nameSpan.start, p.nameSpan.end)]),
      [
        ["web", "web"],
        ["worker", "worker"],
        ["release", "release"],
      ],
    );
    const [web, worker, release] = procfile.processes;
    const gunicorn = web.script.commands[0];
    assert.equal(text.slice(gunicorn.start, gunicorn.end), `gunicorn app.wsgi --workers \${WEB_CONCURRENCY:-3} --bind 0.0.0.0:$PORT`);
    const workers = gunicorn.words[3];
    assert.equal(workers.value, "3");
    assert.equal(text.slice(workers.fact.at?.start, workers.fact.at?.end), "3");
    assert.equal(gunicorn.words[5].value, "0.0.0.0:$PORT");
    assert.deepEqual(
      worker.script.commands[0].words.map((w) => w.value),
      ["celery", "-A", "app", "worker", "--concurrency", "4"],
    );
    assert.deepEqual(
      release.script.commands.map((c) => c.words[0].value),
      ["./manage.py", "echo"],
    );
  });

  test("the environment resolves variables", () => {
    const port: Fact<string> = { value: "5000", origin: "default", by: "Heroku" };
    const procfile = parseProcfile("web: bundle exec puma -p $PORT", "Procfile", (name) => (name === "PORT" ? port : undefined));
    const words = procfile.processes[0].script.commands[0].words;
    assert.deepEqual(
      words.map((w) => w.value),
      ["bundle", "exec", "puma", "-p", "5000"],
    );
    assert.equal(words[4].fact.origin, "default");
  });

  test("CRLF, BOM and malformed lines", () => {
    const text = "\uFEFFweb: gunicorn app\r\n  indented: x\r\nnot a process\r\nweb: again\r\nempty:\r\nbad name: y\r\n";
    const procfile = parseProcfile(text, "Procfile");
    assert.deepEqual(
      procfile.processes.map((p) => p.name),
      ["web", "web"],
    );
    assert.deepEqual(
      procfile.processes[0].script.commands[0].words.map((w) => w.value),
      ["gunicorn", "app"],
    );
    assert.deepEqual(
      procfile.problems.map((p) => text.slice(p.at.start, p.at.end)),
      ["  indented: x", "not a process", "web", "empty", "bad name: y"],
    );
    assert.ok(procfile.problems.every((p) => p.severity === "warning"));
  });

  test("a huge Procfile stops with a problem", () => {
    const procfile = parseProcfile("web: gunicorn app\n".repeat(5_000), "Procfile");
    assert.equal(procfile.processes.length, 1000);
    assert.match(procfile.problems.at(-1)?.message ?? "", /Stopped reading/);
  });

  test("problems of a command line are the Procfile's", () => {
    const text = "web: gunicorn --name 'oops";
    const problem = parseProcfile(text, "Procfile").problems[0];
    assert.match(problem.message, /Unterminated/);
    assert.equal(text.slice(problem.at.start, problem.at.end), "'");
  });

  test("the real corpus parses, every process with a command", (t) => {
    if (!existsSync(corpus)) return t.skip(`no corpus at ${corpus}`);
    for (const name of readdirSync(corpus)) {
      const procfile = parseProcfile(readFileSync(path.join(corpus, name), "utf8"), name);
      assert.ok(procfile.processes.length > 0, name);
      assert.deepEqual(procfile.problems, [], name);
      for (const process of procfile.processes) assert.ok(process.script.commands.length > 0, `${name} ${process.name}`);
    }
  });
});
