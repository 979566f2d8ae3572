// Checks Headroom's reading of supervisord configs against supervisord's own: Debian's supervisor
// package (`apt-get install -y supervisor`) loading each config with its ServerOptions in /usr/bin/python3,
// in a child process. The programs, their copies (numprocs), commands and environment must agree.
// The engine never runs supervisord; only this test loads its config reader.
//
// Skips (with a message) when supervisor is not importable, unless HEADROOM_REQUIRE_E2E=1, in which case it fails.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { expandCommand, parseSupervisorConf } from "../../server/src/engine/parse/supervisor.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const FIXTURES = join(__dirname, "..", "fixtures", "stacks");

const PYTHON = process.env.HEADROOM_ORACLE_PYTHON ?? "/usr/bin/python3";
const REQUIRE = process.env.HEADROOM_REQUIRE_E2E === "1";
/** supervisord's environment for `%(ENV_X)s`. */
const ENV: Record<string, string> = { WEB_WORKERS: "4", CELERY_CONCURRENCY: "2", WORKERS_COUNT: "3" };

const CASES: string[] = [
  [
    "; comment",
    "[supervisord]",
    "nodaemon=true",
    "[program:web]",
    "command=gunicorn shop.wsgi:application",
    "    --bind 0.0.0.0:800%(process_num)d",
    "",
    "    --workers %(ENV_WEB_WORKERS)s   ; per copy",
    "\t--timeout 60 # sixty",
    "process_name=%(program_name)s_%(process_num)02d",
    "numprocs=3",
    'environment=DB_POOL_SIZE="10",NOTE="a, b; c",PLAIN=x,SINGLE=\'q r\'',
    "[program:worker]",
    "Command: celery -A shop worker --concurrency %(ENV_CELERY_CONCURRENCY)s",
    "autostart=false",
    "",
  ].join("\n"),
  ["[supervisord]", "[program:migrate-then-serve]", "command=bash -c 'python manage.py migrate ; exec gunicorn app:app -w 3'", "autorestart=false", ""].join("\n"),
  ["[supervisord]", "[program:rq]", "command=python manage.py rq worker", "process_name=%(program_name)s-%(process_num)s", "numprocs=%(ENV_WORKERS_COUNT)s", ""].join("\n"),
  ["[supervisord]", "[program:pct]", "command=uvicorn main:app --workers 2 --log-config 100%%.ini", "numprocs=1", "[program:two]", "command=gunicorn a:b", "process_name=two-%(process_num)s", "numprocs=2", ""].join("\r\n"),
];

const SCRIPT = `
import json, os, sys, tempfile
from supervisor.options import ServerOptions
out = []
for text in json.loads(sys.stdin.read()):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "supervisord.conf")
        with open(path, "w", newline="") as f:
            f.write(text)
        o = ServerOptions()
        o.configfile = path
        try:
            o.process_config(do_usage=False)
        except ValueError as e:
            out.append({"error": str(e)})
            continue
        programs = []
        for g in o.process_group_configs:
            first = g.process_configs[0]
            programs.append({"name": g.name, "copies": len(g.process_configs), "command": first.command, "environment": first.environment or {}})
        out.append({"programs": programs})
print(json.dumps(out))
`;

interface Program {
  name: string;
  copies: number;
  command: string;
  environment: Record<string, string>;
}

function runOracle(): Array<{ programs?: Program[]; error?: string }> | string {
  const probe = spawnSync(PYTHON, ["-c", "import supervisor.options"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return `${PYTHON} cannot import supervisor (apt-get install -y supervisor): ${probe.error?.message ?? probe.stderr.trim()}`;
  const run = spawnSync(PYTHON, ["-c", SCRIPT], { input: JSON.stringify(CASES), encoding: "utf8", env: { ...process.env, ...ENV } });
  if (run.status !== 0) return `supervisor oracle script failed: ${run.stderr}`;
  return JSON.parse(run.stdout);
}

const oracle = runOracle();
const skip = typeof oracle === "string" && !REQUIRE ? oracle : false;

/** Headroom's reading of a config, in the oracle's terms: the first copy's command, its blanks as shlex splits them. */
function headroom(text: string): Program[] {
  const config = parseSupervisorConf(text, "supervisord.conf");
  return config.programs.map((p) => {
    const copies = p.numprocs?.value ?? (p.numprocsEnv ? Number(ENV[p.numprocsEnv.name]) : 1);
    const command = p.command ? expandCommand(p.command, { program_name: p.name, group_name: p.name, process_num: 0, numprocs: copies, here: "/" }).text : "";
    return {
      name: p.name,
      copies,
      command: command.replace(/\$\{(\w+)\}/g, (_, name: string) => ENV[name] ?? ""),
      environment: Object.fromEntries([...p.environment].map(([k, f]) => [k, f.value])),
    };
  });
}

const words = (command: string) => command.split(/\s+/).filter(Boolean).join(" ");

test("supervisord's own config reader agrees on programs, copies, commands and environment", { skip }, () => {
  if (typeof oracle === "string") assert.fail(oracle);
  CASES.forEach((text, i) => {
    const theirs = oracle[i];
    assert.equal(theirs.error, undefined, `case ${i}: supervisord refused it: ${theirs.error}`);
    const ours = headroom(text);
    assert.deepEqual(
      ours.map((p) => ({ ...p, command: words(p.command) })),
      (theirs.programs ?? []).map((p) => ({ ...p, command: words(p.command) })).sort((a, b) => text.indexOf(`:${a.name}]`) - text.indexOf(`:${b.name}]`)),
      `case ${i}`,
    );
  });
});

test("workers/exceed-cpu's fix in a continued command= line is read by supervisord as the lowered count, and the re-audit is quiet", { skip }, () => {
  if (typeof oracle === "string") assert.fail(oracle);
  const files = readFixture(join(FIXTURES, "supervisord-gunicorn-numprocs"));
  const finding = audit(memoryHost(files)).findings.find((f) => f.rule === "workers/exceed-cpu");
  assert.ok(finding, "the fixture fires");
  const [fix] = finding.fixes;
  assert.equal(fix.safe, true);
  const file = "deploy/supervisord.conf";
  const fixed = applyEdits(files[file], fix.edits.filter((e) => e.file === file));
  const run = spawnSync(PYTHON, ["-c", SCRIPT], { input: JSON.stringify([fixed]), encoding: "utf8", env: { ...process.env, ...ENV } });
  const [result] = JSON.parse(run.stdout) as Array<{ programs: Program[] }>;
  const web = result.programs.find((p) => p.name === "web");
  assert.equal(web?.copies, 2);
  // 2 copies x 1 worker + the 2 celery processes of the same container = 4, within (2 x 2) + 1.
  assert.match(words(web?.command ?? ""), / --workers 1 /);
  const again = audit(memoryHost({ ...files, [file]: fixed })).findings.map((f) => f.rule);
  assert.ok(!again.includes("workers/exceed-cpu"), again.join(", "));
  assert.equal(applyEdits(fixed, fix.edits.filter((e) => e.file === file)), fixed, "applying it again changes nothing");
});

function applyEdits(text: string, edits: Array<{ start: number; end: number; newText: string }>): string {
  return [...edits].sort((a, b) => b.start - a.start).reduce((t, e) => t.slice(0, e.start) + e.newText + t.slice(e.end), text);
}
