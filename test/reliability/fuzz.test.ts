// Fuzzing (fast-check, fixed seed): every parser and the whole audit() on random inputs and on mutated
// fixtures, examples and real configs (../shared/corpus/real). Mutations work on text and on the UTF-8 bytes
// (decoded as the hosts decode files). Properties: no exception escapes; every span lies inside the text;
// fixes apply and the fixed workspace audits again; time stays within a bound that grows with the size.
// The number of cases and the slowest inputs go to test-artifacts/fuzz-summary.json and fuzz-slowest.json.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { audit } from "../../server/src/engine/audit.ts";
import { type FileKind, fileKind } from "../../server/src/engine/model/build.ts";
import { parseAppRunnerYaml, parseServiceJson } from "../../server/src/engine/parse/apprunner.ts";
import { parseComposeFile } from "../../server/src/engine/parse/compose.ts";
import { parseDockerfile } from "../../server/src/engine/parse/dockerfile.ts";
import { parseDotenv } from "../../server/src/engine/parse/dotenv.ts";
import { parseGunicornConf } from "../../server/src/engine/parse/gunicorn-conf.ts";
import { parseHypercornToml } from "../../server/src/engine/parse/hypercorn-toml.ts";
import { parseNginx } from "../../server/src/engine/parse/nginx.ts";
import { parsePostgresConf } from "../../server/src/engine/parse/postgres-conf.ts";
import { parseProcfile } from "../../server/src/engine/parse/procfile.ts";
import { parsePumaRb } from "../../server/src/engine/parse/puma-rb.ts";
import { parseShellScript } from "../../server/src/engine/parse/shell.ts";
import { decodeFile } from "../../server/src/node/disk-host.ts";
import { memoryHost } from "../helpers/memory-host.ts";
import { allWorkspaces, applyFix, corpusWorkspaces, REPO, rangeProblems } from "./workspaces.ts";

const SEED = 20240611;
const PARSER_RUNS = 300;
const AUDIT_RUNS = 800;
const CORPUS_AUDIT_RUNS = 600;
/** Generous on purpose (a shared, loaded machine): a fixed part plus a part per KB of input. */
const limitMs = (chars: number) => 2000 + (20 * chars) / 1024;

const WORKSPACES = allWorkspaces();
const REAL = corpusWorkspaces();
const CORPUS = [...WORKSPACES, ...REAL].flatMap((w) => Object.entries(w.files).map(([path, text]) => ({ path, text })));

/** Small seeds per format (written for these tests) plus any fixture/example file of that kind. */
const SEEDS: Record<string, string[]> = {
  shell: ["#!/bin/sh\nset -e\nWORKERS=${GUNICORN_WORKERS:-5}\nexec gunicorn app:app --workers ${WORKERS} -k uvicorn.workers.UvicornWorker\n"],
  procfile: ["web: gunicorn app:app --workers 4 --bind 0.0.0.0:$PORT\nworker: celery -A app worker -c 2\n"],
  dotenv: ['WEB_CONCURRENCY=3\nexport PORT=8000\nQUOTED="a b" # c\nMULTI="line1\nline2"\n'],
  compose: [
    "services:\n  api:\n    build: .\n    command: gunicorn -w 8 app:app\n    environment:\n      - WORKERS=3\n    deploy:\n      resources:\n        limits:\n          cpus: '1'\n          memory: 512M\n",
    "x-base: &base\n  environment:\n    A: '1'\nservices:\n  web:\n    <<: *base\n    command: [\"uvicorn\", \"main:app\"]\n",
  ],
  dockerfile: ['FROM python:3.12\nWORKDIR /app\nENV WORKERS=2\nCMD ["gunicorn", "-w", "4", "app:app"]\nENTRYPOINT ./start.sh\n'],
  serviceJson: [],
  apprunnerYaml: [
    "version: 1.0\nruntime: python3\nbuild:\n  commands:\n    build:\n      - pip install -r requirements.txt\nrun:\n  command: gunicorn -w 5 app:app\n  network:\n    port: 8000\n  env:\n    - name: WORKERS\n      value: \"3\"\n",
  ],
  nginx: [
    "worker_processes auto;\nevents { worker_connections 1024; }\nhttp {\n  include mime.types;\n  upstream app { server 127.0.0.1:8000; keepalive 16; }\n  server { listen 80; location / { proxy_pass http://app; } }\n}\n",
  ],
  gunicornConf: ["import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\nthreads = int(os.environ.get('THREADS', '2'))\nbind = '0.0.0.0:8000'\n"],
  puma: ["workers Integer(ENV.fetch('WEB_CONCURRENCY') { 2 })\nmax_threads = ENV.fetch('RAILS_MAX_THREADS') { 5 }\nthreads max_threads, max_threads\npreload_app!\n"],
  postgres: ["max_connections = 100\nshared_buffers = 128MB\nwork_mem = '4MB'  # comment\ninclude_if_exists 'extra.conf'\n"],
  hypercorn: ['bind = ["0.0.0.0:8000"]\nworkers = 4  # per instance\nkeep_alive_timeout = 75\n[logging]\nversion = 1\n'],
};
/** Kinds without a parser of their own here (read by the model only) get no seeds. */
const SEED_KEYS: Partial<Record<FileKind, keyof typeof SEEDS>> = {
  shell: "shell",
  procfile: "procfile",
  dotenv: "dotenv",
  compose: "compose",
  dockerfile: "dockerfile",
  "service.json": "serviceJson",
  "apprunner.yaml": "apprunnerYaml",
  nginx: "nginx",
  "gunicorn-conf": "gunicornConf",
  puma: "puma",
  postgres: "postgres",
  hypercorn: "hypercorn",
};
for (const { path, text } of CORPUS) {
  const key = SEED_KEYS[fileKind(path) as FileKind];
  if (key) SEEDS[key].push(text);
}
if (SEEDS.serviceJson.length === 0) SEEDS.serviceJson.push('{"InstanceConfiguration": {"Cpu": "1 vCPU", "Memory": "2 GB"}}\n');

type Parser = (text: string, file: string) => unknown;
const PARSERS: Array<{ name: string; file: string; seeds: string[]; parse: Parser }> = [
  { name: "parseShellScript", file: "start.sh", seeds: SEEDS.shell, parse: (t, f) => parseShellScript(t, f) },
  { name: "parseProcfile", file: "Procfile", seeds: SEEDS.procfile, parse: (t, f) => parseProcfile(t, f) },
  { name: "parseDotenv", file: ".env", seeds: SEEDS.dotenv, parse: parseDotenv },
  { name: "parseComposeFile", file: "docker-compose.yml", seeds: SEEDS.compose, parse: parseComposeFile },
  { name: "parseDockerfile", file: "Dockerfile", seeds: SEEDS.dockerfile, parse: parseDockerfile },
  { name: "parseServiceJson", file: "service.json", seeds: SEEDS.serviceJson, parse: parseServiceJson },
  { name: "parseAppRunnerYaml", file: "apprunner.yaml", seeds: SEEDS.apprunnerYaml, parse: parseAppRunnerYaml },
  { name: "parseNginx", file: "nginx.conf", seeds: SEEDS.nginx, parse: parseNginx },
  { name: "parseGunicornConf", file: "gunicorn.conf.py", seeds: SEEDS.gunicornConf, parse: parseGunicornConf },
  { name: "parsePumaRb", file: "config/puma.rb", seeds: SEEDS.puma, parse: parsePumaRb },
  { name: "parsePostgresConf", file: "postgresql.conf", seeds: SEEDS.postgres, parse: parsePostgresConf },
  { name: "parseHypercornToml", file: "hypercorn.toml", seeds: SEEDS.hypercorn, parse: (t) => parseHypercornToml(t) },
];

// ---- mutations -------------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const hostileChunk = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: anyUnit, maxLength: 40 }),
  fc.constantFrom("\0", "\0\0\0", "\uFEFF", "\r", "\r\n", "\u2028", "\u2029", "\uFFFD", "${", "$((", "`", "'", '"', "\\", "<<EOF\n", "*a", "&a ", "<<: *a", "{{", "}}", "#", ";", "\t"),
  loneSurrogate,
  fc.constantFrom("[", "{", "(", "<").chain((c) => fc.integer({ min: 1, max: 10_000 }).map((n) => c.repeat(n))),
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => "a".repeat(n)),
  fc.integer({ min: 1, max: 2_000 }).map((n) => "- ".repeat(n)),
  // Deep nesting in each syntax: YAML flow and block, JSON, nginx blocks, shell substitutions and ifs.
  fc
    .tuple(fc.constantFrom("{a: ", '{"a":', "server {", "$(", "((", "if true; then\n", "- - ", "`"), fc.integer({ min: 100, max: 5_000 }))
    .map(([open, n]) => open.repeat(n)),
  fc.integer({ min: 50, max: 400 }).map((n) => Array.from({ length: n }, (_, i) => `${" ".repeat(i)}k${i}:\n`).join("")),
);

/** What the hosts do with a file's bytes (disk-host.ts): UTF-8 with U+FFFD for invalid sequences, BOM dropped. */
function asHostsDecode(bytes: Buffer): string {
  const decoded = decodeFile(bytes);
  // A file with NUL bytes is skipped on disk, but an open editor buffer can still hold them.
  return "text" in decoded ? decoded.text : new TextDecoder().decode(bytes);
}
const INVALID_UTF8 = [[0xff], [0xfe, 0xff], [0xc3, 0x28], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf0, 0x90], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00]];
type ByteMutation = (bytes: Buffer) => Buffer;
const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  // flip one bit of one byte
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 7 })).map(([p, bit]): ByteMutation => (b) => {
    if (b.length === 0) return b;
    const out = Buffer.from(b);
    const i = Math.min(b.length - 1, Math.floor(p * b.length));
    out[i] ^= 1 << bit;
    return out;
  }),
  // insert an invalid sequence
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...INVALID_UTF8)).map(([p, seq]): ByteMutation => (b) => {
    const i = Math.floor(p * (b.length + 1));
    return Buffer.concat([b.subarray(0, i), Buffer.from(seq), b.subarray(i)]);
  }),
  // cut at a byte, possibly inside a multi-byte character
  fc.double({ min: 0, max: 1, noNaN: true }).map((p): ByteMutation => (b) => b.subarray(0, Math.floor(p * (b.length + 1)))),
  // a run of random bytes
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([p, r]): ByteMutation => (b) => {
    const i = Math.floor(p * (b.length + 1));
    return Buffer.concat([b.subarray(0, i), Buffer.from(r), b.subarray(i)]);
  }),
);

type Mutation = (text: string) => string;
const at = (text: string, frac: number) => Math.floor(frac * (text.length + 1));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }).map((p): Mutation => (t) => t.slice(0, at(t, p))),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), anyUnit).map(([p, c]): Mutation => (t) => {
    const i = Math.min(at(t, p), Math.max(0, t.length - 1));
    return t.slice(0, i) + c + t.slice(i + 1);
  }),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), hostileChunk).map(([p, s]): Mutation => (t) => t.slice(0, at(t, p)) + s + t.slice(at(t, p))),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })).map(([a, b]): Mutation => (t) => {
    const [i, j] = [at(t, Math.min(a, b)), at(t, Math.max(a, b))];
    return t.slice(0, i) + t.slice(j);
  }),
  fc.constant<Mutation>((t) => t.replace(/\r?\n/g, "\r\n")),
  fc.constant<Mutation>((t) => t.replace(/\r?\n/g, "\r")),
  fc.constant<Mutation>((t) => `\uFEFF${t}`),
  fc.constant<Mutation>((t) => t.replace(/ /g, "\0")),
  // doubled, up to a size that keeps the suite fast (sizes beyond are the bombs' business)
  fc.constant<Mutation>((t) => (t.length < 100_000 ? t + t : t)),
  // one very long line
  fc.constant<Mutation>((t) => t.replace(/\r?\n/g, " ")),
  // byte-level damage, then decoded as the hosts decode files
  fc.array(byteMutation, { minLength: 1, maxLength: 3 }).map((ms): Mutation => (t) => asHostsDecode(ms.reduce<Buffer>((b, m) => m(b), Buffer.from(t, "utf8")))),
);

/** Either a mutated seed (1-4 mutations) or a wholly random string. */
function input(seeds: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([s, ms]) => ms.reduce((t, m) => m(t), s)) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 500 }) },
    { weight: 1, arbitrary: fc.string({ unit: anyUnit, maxLength: 500 }) },
  );
}

/** Every {start, end} number pair reachable from a parse result must be a span of `text`. */
function spanProblems(value: unknown, text: string, file: string): string[] {
  const bad: string[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown, path: string) => {
    if (v === null || typeof v !== "object" || seen.has(v) || bad.length > 5) return;
    seen.add(v);
    if (v instanceof Map) {
      for (const [k, x] of v) visit(x, `${path}[${String(k)}]`);
      return;
    }
    if (v instanceof Set) {
      for (const x of v) visit(x, `${path}{}`);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.start === "number" && typeof o.end === "number" && (typeof o.file !== "string" || o.file === file)) {
      const { start, end } = o as { start: number; end: number };
      if (!(start >= 0 && start <= end && end <= text.length)) bad.push(`${path}: [${start}, ${end}) outside 0..${text.length}`);
    }
    for (const [k, x] of Object.entries(o)) visit(x, `${path}.${k}`);
  };
  visit(value, "result");
  return bad;
}

// ---- summary ---------------------------------------------------------------------------------

interface Slowest {
  ms: number;
  size: number;
  what: string;
  /** ms per KB of input: the figure the time bound is about */
  msPerKB: number;
}
const summary: Record<string, { runs: number; slowest: Slowest }> = {};
/** The slowest input overall relative to its size, kept whole so it can be replayed. */
let slowestInput: { name: string; ms: number; files: Record<string, string> } | undefined;
function record(name: string, ms: number, files: Record<string, string>, what: string) {
  const size = Object.values(files).reduce((n, t) => n + t.length, 0);
  summary[name] ??= { runs: 0, slowest: { ms: -1, size: 0, what: "", msPerKB: 0 } };
  const s = summary[name];
  s.runs++;
  if (ms > s.slowest.ms) s.slowest = { ms: Math.round(ms * 10) / 10, size, what, msPerKB: Math.round((ms / Math.max(1, size / 1024)) * 10) / 10 };
  if (!slowestInput || ms > slowestInput.ms) slowestInput = { name: `${name}: ${what}`, ms: Math.round(ms * 10) / 10, files };
}
const describeInput = (t: string) => JSON.stringify(t.length > 60 ? `${t.slice(0, 60)}…` : t);

after(() => {
  const dir = join(REPO, "test-artifacts");
  mkdirSync(dir, { recursive: true });
  const cases = Object.values(summary).reduce((n, s) => n + s.runs, 0);
  const line = `fuzz: ${cases} cases (seed ${SEED}); slowest ${slowestInput?.ms} ms: ${slowestInput?.name}`;
  // On stdout, so CI logs show it whatever the reporter.
  console.log(line);
  writeFileSync(join(dir, "fuzz-summary.json"), `${JSON.stringify({ seed: SEED, cases, corpusFiles: REAL.length, summary }, null, 2)}\n`);
  writeFileSync(join(dir, "fuzz-slowest.json"), `${JSON.stringify(slowestInput, null, 2)}\n`);
});

describe("fuzz: parsers", () => {
  for (const p of PARSERS) {
    it(`${p.name}: never throws, spans inside the text, within ${limitMs(0)} ms + ${limitMs(1024) - limitMs(0)} ms/KB`, (t) => {
      fc.assert(
        fc.property(input(p.seeds), (text) => {
          const t0 = performance.now();
          const result = p.parse(text, p.file);
          const ms = performance.now() - t0;
          record(p.name, ms, { [p.file]: text }, describeInput(text));
          assert.ok(ms < limitMs(text.length), `${p.name} took ${ms.toFixed(0)} ms on ${text.length} chars`);
          assert.deepEqual(spanProblems(result, text, p.file), []);
        }),
        { seed: SEED, numRuns: PARSER_RUNS },
      );
      const s = summary[p.name];
      t.diagnostic(`${p.name}: ${s.runs} runs over ${p.seeds.length} seeds, slowest ${s.slowest.ms} ms on ${s.slowest.size} chars`);
    });
  }
});

/** One workspace holding a file of every kind, so the audit fuzz reaches every parser through the model. */
const MIXED = {
  name: "synthetic/every-kind",
  files: {
    "start.sh": SEEDS.shell[0],
    Procfile: SEEDS.procfile[0],
    ".env": SEEDS.dotenv[0],
    "docker-compose.yml": SEEDS.compose[1],
    "docker-compose.override.yml": SEEDS.compose[0],
    Dockerfile: SEEDS.dockerfile[0],
    "service.json": SEEDS.serviceJson[0],
    "apprunner.yaml": SEEDS.apprunnerYaml[0],
    "nginx.conf": `${SEEDS.nginx[0]}include conf.d/*.conf;\n`,
    "conf.d/a.conf": "upstream b { server 10.0.0.1:81; }\n",
    "gunicorn.conf.py": SEEDS.gunicornConf[0],
    "config/puma.rb": SEEDS.puma[0],
    "postgresql.conf": SEEDS.postgres[0],
  } as Record<string, string>,
};

type Workspace = { name: string; files: Record<string, string> };

/** Mutated versions of the given workspaces: 1-4 mutations, each on one of the workspace's files. */
function mutatedWorkspace(from: Workspace[]): fc.Arbitrary<Workspace> {
  return fc
    .constantFrom(...from)
    .chain((w) => fc.tuple(fc.constant(w), fc.array(fc.tuple(fc.constantFrom(...Object.keys(w.files)), mutation), { minLength: 1, maxLength: 4 })))
    .map(([w, muts]) => {
      const files = { ...w.files };
      for (const [path, m] of muts) files[path] = m(files[path]);
      return { name: w.name, files };
    });
}

/**
 * Audits each workspace: no exception, ranges inside files, within the time bound; then applies every fix
 * (sorted, non-overlapping, on files with text) and audits the first fixed workspace again.
 */
function fuzzAudit(label: string, workspaces: fc.Arbitrary<Workspace>, runs: number): { fixesApplied: number; reaudits: number } {
  let fixesApplied = 0;
  let reaudits = 0;
  fc.assert(
    fc.property(workspaces, ({ name, files }) => {
      const host = memoryHost(files);
      const t0 = performance.now();
      const result = audit(host);
      const ms = performance.now() - t0;
      record(label, ms, files, name);
      const size = Object.values(files).reduce((n, t) => n + t.length, 0);
      assert.ok(ms < limitMs(size), `audit of ${name} took ${ms.toFixed(0)} ms on ${size} chars`);
      assert.deepEqual(rangeProblems(result, host.read), []);
      let fixed: Record<string, string> | undefined;
      for (const f of result.findings) {
        for (const fix of f.fixes) {
          const changed = applyFix(fix.edits, host.read);
          fixesApplied++;
          fixed ??= { ...files, ...Object.fromEntries(changed) };
        }
      }
      if (fixed) {
        const again = memoryHost(fixed);
        assert.deepEqual(rangeProblems(audit(again), again.read), []);
        reaudits++;
      }
    }),
    { seed: SEED, numRuns: runs },
  );
  return { fixesApplied, reaudits };
}

describe("fuzz: audit()", () => {
  it("mutated fixture and example workspaces: never throws, ranges inside files, fixes apply, bounded time", (t) => {
    assert.ok(WORKSPACES.length > 0, "no fixture workspaces found");
    const { fixesApplied, reaudits } = fuzzAudit("audit", mutatedWorkspace([...WORKSPACES, MIXED, MIXED, MIXED]), AUDIT_RUNS);
    const s = summary.audit;
    t.diagnostic(`audit: ${s.runs} runs over ${WORKSPACES.length + 1} workspaces, ${fixesApplied} fixes applied, ${reaudits} fixed workspaces re-audited, slowest ${s.slowest.ms} ms on ${s.slowest.size} chars (${s.slowest.what})`);
  });

  it("mutated real configs from ../shared/corpus/real: the same properties", (t) => {
    if (REAL.length === 0) {
      t.skip("../shared/corpus/real is absent");
      return;
    }
    const { fixesApplied, reaudits } = fuzzAudit("audit-corpus", mutatedWorkspace(REAL), CORPUS_AUDIT_RUNS);
    const s = summary["audit-corpus"];
    t.diagnostic(`audit-corpus: ${s.runs} runs over ${REAL.length} corpus files, ${fixesApplied} fixes applied, ${reaudits} re-audited, slowest ${s.slowest.ms} ms on ${s.slowest.size} chars (${s.slowest.what})`);
  });
});
