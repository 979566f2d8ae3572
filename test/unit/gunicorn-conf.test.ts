import assert from "node:assert/strict";
import { test } from "node:test";
import { parseGunicornConf } from "../../server/src/engine/parse/gunicorn-conf.ts";
import { describeSetting } from "../../server/src/engine/parse/setting-expr.ts";

const FILE = "gunicorn.conf.py";
const read = (text: string) => parseGunicornConf(text, FILE);
const at = (text: string, span: { start: number; end: number }) => text.slice(span.start, span.end);

test("literals: numbers, strings, booleans, with spans", () => {
  const text = `workers = 5\nbind = "0.0.0.0:8000"\nworker_class = 'uvicorn.workers.UvicornWorker'\npreload_app = True\nmax_requests = 1_000\n`;
  const r = read(text);
  const w = r.settings.get("workers");
  assert.equal(w?.kind, "number");
  assert.equal(w?.value, 5);
  assert.equal(at(text, w?.span ?? { start: 0, end: 0 }), "5");
  assert.equal(at(text, w?.nameSpan ?? { start: 0, end: 0 }), "workers");
  assert.equal(r.settings.get("bind")?.value, "0.0.0.0:8000");
  assert.equal(r.settings.get("worker_class")?.value, "uvicorn.workers.UvicornWorker");
  assert.equal(r.settings.get("preload_app")?.value, true);
  assert.equal(r.settings.get("max_requests")?.value, 1000);
  assert.deepEqual(r.problems, []);
});

test("environment variables with defaults", () => {
  const text = [
    `import os`,
    `timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))`,
    `workers = int(os.getenv("WEB_CONCURRENCY", 2))`,
    `threads = int(os.environ["THREADS"])`,
    `keepalive = os.getenv("KEEP_ALIVE") or 5`,
    ``,
  ].join("\n");
  const r = read(text);
  const t = r.settings.get("timeout");
  assert.equal(t?.kind, "env");
  assert.equal(t?.envName, "GUNICORN_TIMEOUT");
  assert.equal(t?.envDefault?.value, "120");
  assert.equal(at(text, t?.envDefault?.span ?? { start: 0, end: 0 }), `"120"`);
  const w = r.settings.get("workers");
  assert.equal(w?.envName, "WEB_CONCURRENCY");
  assert.equal(w?.envDefault?.value, "2");
  assert.equal(at(text, w?.envDefault?.span ?? { start: 0, end: 0 }), "2");
  const th = r.settings.get("threads");
  assert.equal(th?.kind, "env");
  assert.equal(th?.envDefault, undefined);
  const k = r.settings.get("keepalive");
  assert.equal(k?.envName, "KEEP_ALIVE");
  assert.equal(k?.envDefault?.value, "5");
});

test("CPU-count formulas", () => {
  const cases: Array<[string, { multiplier: number; add: number }]> = [
    ["workers = multiprocessing.cpu_count() * 2 + 1", { multiplier: 2, add: 1 }],
    ["workers = 2 * multiprocessing.cpu_count() + 1", { multiplier: 2, add: 1 }],
    ["workers = (os.cpu_count() * 2) + 1", { multiplier: 2, add: 1 }],
    ["workers = os.cpu_count() or 1", { multiplier: 1, add: 0 }],
    ["workers = cpu_count()", { multiplier: 1, add: 0 }],
    ["workers = len(os.sched_getaffinity(0))", { multiplier: 1, add: 0 }],
    ["workers = multiprocessing.cpu_count() * 4 - 1", { multiplier: 4, add: -1 }],
  ];
  for (const [line, formula] of cases) {
    const w = read(`import os, multiprocessing\n${line}\n`).settings.get("workers");
    assert.equal(w?.kind, "cpu-count", line);
    assert.deepEqual(w?.cpuFormula, formula, line);
  }
  const floored = read("workers = max(multiprocessing.cpu_count(), 2)\n").settings.get("workers");
  assert.deepEqual(floored?.cpuFormula, { multiplier: 1, add: 0, min: 2 });
});

test("env with a CPU formula default (nickjj)", () => {
  const r = read(`workers = int(os.getenv("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))\n`);
  const w = r.settings.get("workers");
  assert.equal(w?.kind, "env");
  assert.equal(w?.envName, "WEB_CONCURRENCY");
  assert.equal(w?.envDefault, undefined);
  assert.equal(w?.fallback?.kind, "cpu-count");
  assert.deepEqual(w?.fallback?.cpuFormula, { multiplier: 2, add: 0 });
});

test("local variables are followed; locals are not settings", () => {
  const text = [
    "cores = multiprocessing.cpu_count()",
    "per_core = 2",
    "default_workers = per_core * cores + 1",
    "workers = default_workers",
    "",
  ].join("\n");
  const r = read(text);
  const w = r.settings.get("workers");
  assert.equal(w?.kind, "cpu-count");
  assert.deepEqual(w?.cpuFormula, { multiplier: 2, add: 1 });
  assert.equal(at(text, w?.span ?? { start: 0, end: 0 }), "default_workers");
  assert.ok(w?.via?.some((v) => v.note.includes("default_workers")));
  assert.ok(r.locals.has("cores"));
  assert.ok(!r.settings.has("cores"));
});

test("tiangolo's if/else idiom", () => {
  const text = [
    `workers_per_core_str = os.getenv("WORKERS_PER_CORE", "1")`,
    `web_concurrency_str = os.getenv("WEB_CONCURRENCY", None)`,
    `cores = multiprocessing.cpu_count()`,
    `workers_per_core = float(workers_per_core_str)`,
    `default_web_concurrency = workers_per_core * cores`,
    `if web_concurrency_str:`,
    `    web_concurrency = int(web_concurrency_str)`,
    `    assert web_concurrency > 0`,
    `else:`,
    `    web_concurrency = max(int(default_web_concurrency), 2)`,
    `workers = web_concurrency`,
    ``,
  ].join("\n");
  const w = read(text).settings.get("workers");
  assert.equal(w?.kind, "env");
  assert.equal(w?.envName, "WEB_CONCURRENCY");
  assert.equal(w?.fallback?.kind, "cpu-count");
  assert.deepEqual(w?.fallback?.cpuFormula, { multiplier: 1, add: 0, min: 2, multiplierEnv: "WORKERS_PER_CORE" });
  assert.equal(w?.fallback?.conditional, undefined);
});

test("conditional assignments are never guessed", () => {
  const r = read(`import os\nworkers = 4\nif os.getenv("DEBUG"):\n    workers = 1\nreload = False\nif DEBUG:\n    reload = True\nelif X:\n    reload = False\n`);
  assert.equal(r.settings.get("workers")?.kind, "unknown");
  assert.equal(r.settings.get("workers")?.conditional, true);
  assert.equal(r.settings.get("reload")?.kind, "unknown");
  const loop = read("for i in range(3):\n    workers = i\n");
  assert.equal(loop.settings.get("workers")?.kind, "unknown");
  const aug = read("workers = 2\nworkers += 1\n");
  assert.equal(aug.settings.get("workers")?.kind, "unknown");
  const tern = read("workers = 4 if PROD else 1\n");
  assert.equal(tern.settings.get("workers")?.kind, "unknown");
});

test("assignments inside functions are not module settings", () => {
  const r = read("workers = 3\ndef post_fork(server, worker):\n    workers = 99\n    timeout = 1\n");
  assert.equal(r.settings.get("workers")?.value, 3);
  assert.equal(r.settings.has("timeout"), false);
  assert.ok(r.settings.has("post_fork"));
});

test("line continuations, comments, '#' in strings, triple-quoted strings", () => {
  const text = [
    `"""Docstring with workers = 99`,
    `and bind = 'x'"""`,
    `bind = "0.0.0.0:8000#frag"  # comment with workers = 7`,
    `workers = \\`,
    `    3`,
    `timeout = (`,
    `    60  # inside brackets`,
    `)`,
    `access_log_format = '%(h)s "%(r)s"'`,
    `x = '''`,
    `workers = 100`,
    `'''`,
    ``,
  ].join("\n");
  const r = read(text);
  assert.equal(r.settings.get("bind")?.value, "0.0.0.0:8000#frag");
  assert.equal(r.settings.get("workers")?.value, 3);
  assert.equal(r.settings.get("timeout")?.value, 60);
  assert.equal(r.settings.get("access_log_format")?.value, '%(h)s "%(r)s"');
  assert.deepEqual(r.problems, []);
});

test("f-strings with fields are unknown; later assignments win; lists keep items", () => {
  const r = read(`bind = f"0.0.0.0:{os.getenv('PORT', '8000')}"\nworkers = 2\nworkers = 6\nraw_env = ["A=1", "B=2"]\n`);
  assert.equal(r.settings.get("bind")?.kind, "unknown");
  assert.equal(r.settings.get("workers")?.value, 6);
  assert.deepEqual(
    r.settings.get("raw_env")?.items?.map((i) => i.value),
    ["A=1", "B=2"],
  );
});

test("annotated and chained assignments; CRLF line endings", () => {
  const r = read("workers: int = 4\r\nthreads = timeout = 8\r\n");
  assert.equal(r.settings.get("workers")?.value, 4);
  assert.equal(r.settings.get("threads")?.value, 8);
});

test("never throws on broken input", () => {
  for (const text of ["workers = (", "workers = 'unterminated\n", "if:\n", ")))", "workers = lambda: 3\n", "\\", "x = {1: 2}\n"]) {
    const r = read(text);
    assert.ok(r.settings instanceof Map, text);
  }
  assert.equal(read("workers = 'open\n").problems.length, 1);
});

test("describeSetting renders formulas", () => {
  const w = read(`workers = int(os.getenv("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))\n`).settings.get("workers");
  assert.ok(w);
  assert.equal(describeSetting(w), "$WEB_CONCURRENCY (default cpu_count * 2 + 1)");
});
