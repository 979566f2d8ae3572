// Checks Headroom's gunicorn option table and argv reading against gunicorn itself: Debian's
// gunicorn package (`apt-get install -y gunicorn`) run by /usr/bin/python3 in a child process.
// The engine never runs gunicorn; only this test does.
//
// Skips (with a message) when gunicorn is not importable, unless HEADROOM_REQUIRE_E2E=1, in
// which case it fails.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { GUNICORN, optionValue, optionValues, recogniseServer } from "../../server/src/engine/parse/servers.ts";
import { argvWords } from "../helpers/words.ts";

// HEADROOM_ORACLE_PYTHON points the test at another interpreter (used to check the skip path).
const PYTHON = process.env.HEADROOM_ORACLE_PYTHON ?? "/usr/bin/python3";
const REQUIRE = process.env.HEADROOM_REQUIRE_E2E === "1";

// Tricky command lines (argv after `gunicorn`). Each must be read the same way by both parsers.
const CASES: string[][] = [
  ["-w", "4", "app:app"],
  ["--workers=3", "--threads", "8", "app:app"],
  ["-w4", "-k", "gevent", "app"],
  ["-Dw4", "app"],
  ["-w=2", "app"],
  ["--thread", "4", "app"],
  ["--keep", "5", "app"],
  ["app:app", "-w", "3", "-w", "5"],
  ["-k", "gevent", "--worker-class", "gthread", "--threads", "20", "app"],
  ["--bind", "0.0.0.0:8000", "-b", "[::]:8000", "app"],
  ["--bind=:8080", "--timeout", "0", "app"],
  ["-t", "-1", "app"],
  ["--reload", "--preload", "app"],
  ["--", "-w", "app"],
  ["-c", "gunicorn.conf.py", "--timeout=120", "-b", "unix:/tmp/g.sock", "app.main:app"],
  ["--worker-connections", "1000", "-k", "uvicorn.workers.UvicornWorker", "-w", "4", "main:app"],
  ["-t30", "-kgthread", "--threads=16", "app"],
  ["--log-level", "debug", "-w", "2", "app"],
  ["-e", "FOO=1", "-w", "2", "--access-logfile", "-", "app"],
  ["--max-requests", "1000", "--max-requests-jitter", "50", "-R", "--graceful-timeout", "5", "app"],
  ["--limit-request-line", "0", "--keep-alive=75", "-w", "3", "app"],
  ["--config=python:conf", "--reload", "--reload-extra-file", "a.html", "-w", "9", "app"],
  ["--workers", "2", "--name", "-w", "app"],
  ["--wo", "4", "app"], // ambiguous prefix: gunicorn refuses it
  ["--keepalive", "5", "app"], // not a gunicorn flag
];

const SCRIPT = `
import json, sys
import gunicorn, gunicorn.config as c
p = c.Config().parser()
actions = []
for a in p._actions:
    if not a.option_strings:
        continue
    actions.append({"opts": a.option_strings, "dest": a.dest, "takesValue": a.nargs != 0})
cases = json.loads(sys.stdin.read())
results = []
for argv in cases:
    try:
        ns = p.parse_args(argv)
    except SystemExit:
        results.append({"ok": False})
        continue
    results.append({"ok": True, "workers": ns.workers, "threads": ns.threads,
        "worker_class": ns.worker_class, "timeout": ns.timeout, "bind": ns.bind,
        "reload": ns.reload, "keepalive": ns.keepalive, "daemon": ns.daemon, "args": ns.args})
print(json.dumps({"version": gunicorn.__version__, "allowAbbrev": p.allow_abbrev,
    "actions": actions, "results": results}))
`;

interface Oracle {
  version: string;
  allowAbbrev: boolean;
  actions: Array<{ opts: string[]; dest: string; takesValue: boolean }>;
  results: Array<Record<string, unknown> & { ok: boolean }>;
}

function runOracle(): Oracle | string {
  const probe = spawnSync(PYTHON, ["-c", "import gunicorn"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    return `${PYTHON} cannot import gunicorn (apt-get install -y gunicorn): ${probe.error?.message ?? probe.stderr.trim()}`;
  }
  const run = spawnSync(PYTHON, ["-c", SCRIPT], { input: JSON.stringify(CASES), encoding: "utf8" });
  if (run.status !== 0) return `gunicorn oracle script failed: ${run.stderr}`;
  return JSON.parse(run.stdout) as Oracle;
}

const oracle = runOracle();
const skip = typeof oracle === "string" && !REQUIRE ? oracle : false;

function versionNumber(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split(".").map((x) => Number.parseInt(x, 10) || 0);
  return a * 1_000_000 + b * 1_000 + c;
}

function get(): Oracle {
  if (typeof oracle === "string") assert.fail(`HEADROOM_REQUIRE_E2E=1 but ${oracle}`);
  return oracle;
}

test("gunicorn oracle is available (or skipped with a reason)", { skip }, () => {
  const o = get();
  assert.ok(o.actions.length > 50, "gunicorn's parser has its full option table");
});

test("every gunicorn option we list exists in gunicorn's parser with the same arity and name", { skip }, () => {
  const o = get();
  const installed = versionNumber(o.version);
  const byFlag = new Map<string, { dest: string; takesValue: boolean }>();
  for (const a of o.actions) for (const s of a.opts) byFlag.set(s, a);
  let checked = 0;
  for (const spec of GUNICORN.options) {
    if (spec.since && versionNumber(spec.since) > installed) continue;
    if (spec.until && versionNumber(spec.until) <= installed) continue;
    for (const flag of spec.flags) {
      const real = byFlag.get(flag);
      assert.ok(real, `${flag} (${spec.name}) is not an option of gunicorn ${o.version}`);
      assert.equal(spec.arity === "value", real.takesValue, `arity of ${flag}`);
      if (spec.name !== "help" && spec.name !== "version") assert.equal(spec.name, real.dest, `name of ${flag}`);
      checked++;
    }
  }
  assert.ok(checked > 80, `checked ${checked} flags`);
});

test("every option gunicorn's parser has is in our table (so argv is never mis-split)", { skip }, () => {
  const o = get();
  const ours = new Map<string, string>();
  for (const spec of GUNICORN.options) for (const flag of spec.flags) ours.set(flag, spec.arity);
  for (const a of o.actions) {
    for (const s of a.opts) {
      assert.ok(ours.has(s), `gunicorn ${o.version} option ${s} is missing from our table`);
      assert.equal(ours.get(s) === "value", a.takesValue, `arity of ${s}`);
    }
  }
  assert.equal(o.allowAbbrev, GUNICORN.style === "argparse", "gunicorn accepts option prefixes like argparse");
});

test("tricky command lines read the same as gunicorn reads them", { skip }, () => {
  const o = get();
  CASES.forEach((argv, i) => {
    const real = o.results[i];
    const inv = recogniseServer(argvWords(["gunicorn", ...argv]));
    assert.ok(inv, `recognised: ${argv.join(" ")}`);
    const label = `gunicorn ${argv.join(" ")}`;
    if (!real.ok) {
      assert.ok(
        inv.unknown.length + inv.invalid.length > 0,
        `${label}: gunicorn rejects it, we must flag an unknown or invalid option`,
      );
      return;
    }
    assert.deepEqual(inv.unknown, [], `${label}: no unknown options`);
    assert.deepEqual(inv.invalid, [], `${label}: no invalid options`);
    const num = (name: string) => {
      const opt = optionValue(inv, name);
      return opt?.value ? Number(opt.value.value) : null;
    };
    assert.equal(num("workers"), real.workers, `${label}: workers`);
    assert.equal(num("threads"), real.threads, `${label}: threads`);
    assert.equal(num("timeout"), real.timeout, `${label}: timeout`);
    assert.equal(num("keepalive"), real.keepalive, `${label}: keepalive`);
    assert.equal(optionValue(inv, "worker_class")?.value?.value ?? null, real.worker_class, `${label}: worker_class`);
    const binds = optionValues(inv, "bind").map((b) => b.value?.value);
    assert.deepEqual(binds.length ? binds : null, real.bind, `${label}: bind`);
    assert.equal(optionValue(inv, "reload") ? true : null, real.reload, `${label}: reload`);
    assert.equal(optionValue(inv, "daemon") ? true : null, real.daemon, `${label}: daemon`);
    assert.deepEqual(
      inv.positionals.map((p) => p.value),
      real.args,
      `${label}: positionals`,
    );
  });
});
