// Every real config file of the shared corpus (../shared/corpus/real/<kind>/ from the repo root)
// goes through audit() on its own, in a memory workspace under the path it had upstream (from
// the corpus MANIFEST.tsv): no exception, no hang (under 2 s each), and every range a finding,
// related location or fix points at lies inside its file. The facts found per kind are written
// to test-artifacts/corpus-facts.md, and minimum counts checked by reading the files guard
// against regressions. Then the stacks the corpus README lists as "files that belong together"
// are rebuilt with their upstream relative paths and their links are checked.
// Skips with a message when the corpus is absent.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import type { AuditResult } from "../../server/src/engine/api.ts";
import { audit } from "../../server/src/engine/audit.ts";
import { buildModel, fileKind } from "../../server/src/engine/model/build.ts";
import type { Deployment, DeploymentModel, ServerProcess } from "../../server/src/engine/model/types.ts";
import type { ParseProblem, SourceRef } from "../../server/src/engine/types.ts";
import { memoryHost } from "../helpers/memory-host.ts";

const repoRoot = path.resolve(__dirname, "..", "..");
const REAL = path.resolve(repoRoot, "..", "shared", "corpus", "real");
const MANIFEST = path.resolve(REAL, "..", "MANIFEST.tsv");
const ARTIFACT = path.join(repoRoot, "test-artifacts", "corpus-facts.md");
/** The false-positive review: each rule's findings on the corpus, read and judged. */
const REVIEW = path.join(repoRoot, "docs", "false-positives.md");
const skip = existsSync(REAL) ? false : `corpus not found at ${REAL}`;
const TIME_BOUND_MS = 2000;

/** Corpus file (kind/name) → its path upstream. The MANIFEST says it; else the name is `<owner>__<repo>__<path with / as __>`. */
function upstreamPaths(): Map<string, string> {
  const map = new Map<string, string>();
  if (!existsSync(MANIFEST)) return map;
  for (const line of readFileSync(MANIFEST, "utf8").split("\n").slice(1)) {
    const [local, , upstream] = line.split("\t");
    if (local && upstream) map.set(local.replace(/^real\//, ""), upstream);
  }
  return map;
}
const UPSTREAM = upstreamPaths();

function upstreamPath(kind: string, name: string): string {
  return UPSTREAM.get(`${kind}/${name}`) ?? name.split("__").slice(2).join("/");
}

function read(kind: string, name: string): string {
  return readFileSync(path.join(REAL, kind, name), "utf8");
}

interface FileResult {
  kind: string;
  name: string;
  upstream: string;
  recognised: boolean;
  ms: number;
  result: AuditResult;
  model: DeploymentModel;
  problems: ParseProblem[];
}

/** Ranges must lie inside the text of a file of the workspace. */
function checkRange(files: Record<string, string>, at: SourceRef, what: string): void {
  const text = files[at.file];
  assert.ok(text !== undefined, `${what}: file ${at.file} is not in the workspace`);
  assert.ok(Number.isInteger(at.start) && Number.isInteger(at.end), `${what}: ${at.file} ${at.start}-${at.end} not integers`);
  assert.ok(at.start >= 0 && at.start <= at.end && at.end <= text.length, `${what}: ${at.file} ${at.start}-${at.end} outside 0-${text.length}`);
}

function checkResult(files: Record<string, string>, result: AuditResult, model: DeploymentModel, label: string): void {
  for (const f of result.findings) {
    checkRange(files, f.at, `${label} ${f.rule}`);
    for (const r of f.related) checkRange(files, r.at, `${label} ${f.rule} related`);
    for (const fix of f.fixes) for (const e of fix.edits) checkRange(files, e, `${label} ${f.rule} fix`);
  }
  for (const d of model.deployments) {
    for (const p of d.processes) {
      checkRange(files, p.commandAt, `${label} ${d.id} command`);
      if (p.workers.at) checkRange(files, p.workers.at, `${label} ${d.id} workers`);
      if (p.reload) checkRange(files, p.reload, `${label} ${d.id} reload`);
    }
    if (d.cpus?.at) checkRange(files, d.cpus.at, `${label} ${d.id} cpus`);
  }
}

function run(files: Record<string, string>, label: string): { ms: number; result: AuditResult; model: DeploymentModel; problems: ParseProblem[] } {
  const host = memoryHost(files);
  const t0 = performance.now();
  const result = audit(host);
  const ms = performance.now() - t0;
  assert.ok(ms < TIME_BOUND_MS, `${label}: audit took ${ms.toFixed(0)} ms`);
  const problems: ParseProblem[] = [];
  const model = buildModel(host, host.list().filter((p) => fileKind(p) !== undefined), problems);
  checkResult(files, result, model, label);
  return { ms, result, model, problems };
}

const servers = (model: DeploymentModel): ServerProcess[] => model.deployments.flatMap((d) => d.processes);

describe("real corpus, one file at a time", { skip }, () => {
  const all: FileResult[] = [];
  const kinds = skip ? [] : readdirSync(REAL).sort();

  for (const kind of kinds) {
    test(`${kind}: every file is read without a crash or hang, ranges inside the file`, (t) => {
      const names = readdirSync(path.join(REAL, kind)).sort();
      assert.ok(names.length > 0);
      for (const name of names) {
        const upstream = upstreamPath(kind, name);
        const files = { [upstream]: read(kind, name) };
        let out: ReturnType<typeof run>;
        try {
          out = run(files, `${kind}/${name}`);
        } catch (err) {
          throw new Error(`${kind}/${name} (as ${upstream}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        }
        all.push({ kind, name, upstream, recognised: fileKind(upstream) !== undefined, ...out });
        t.diagnostic(`${name} as ${upstream}: ${out.ms.toFixed(0)} ms, ${out.model.deployments.length} deployments, ${servers(out.model).length} processes, ${out.result.findings.length} findings`);
      }
    });
  }

  test("facts per kind: table written to test-artifacts/corpus-facts.md, minimum counts hold", () => {
    const byKind = new Map<string, FileResult[]>();
    for (const r of all) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
    const rules = [...new Set(all.flatMap((r) => r.result.findings.map((f) => f.rule)))].sort();
    const count = (rs: FileResult[], f: (r: FileResult) => number) => rs.reduce((n, r) => n + f(r), 0);
    const stats = new Map<string, Record<string, number>>();
    for (const [kind, rs] of byKind) {
      const row: Record<string, number> = {
        files: rs.length,
        recognised: rs.filter((r) => r.recognised).length,
        deployments: count(rs, (r) => r.model.deployments.length),
        "with CPU": count(rs, (r) => r.model.deployments.filter((d) => d.cpus?.origin === "stated").length),
        processes: count(rs, (r) => servers(r.model).length),
        "files with a process": rs.filter((r) => servers(r.model).length > 0).length,
        "parse problems": count(rs, (r) => r.result.findings.filter((f) => f.rule === "parse/error").length),
        "files with parse problems": rs.filter((r) => r.result.findings.some((f) => f.rule === "parse/error")).length,
        "max ms": Math.ceil(Math.max(...rs.map((r) => r.ms))),
      };
      for (const rule of rules) row[rule] = count(rs, (r) => r.result.findings.filter((f) => f.rule === rule).length);
      stats.set(kind, row);
    }
    const columns = Object.keys(stats.values().next().value ?? {});
    const lines = [
      "# Facts extracted from the real corpus",
      "",
      `Generated by test/corpus/real-corpus.test.ts from ${path.relative(repoRoot, REAL)}: each file audited alone under its upstream path.`,
      "",
      `| kind | ${columns.join(" | ")} |`,
      `| --- | ${columns.map(() => "---:").join(" | ")} |`,
      ...[...stats].map(([kind, row]) => `| ${kind} | ${columns.map((c) => row[c]).join(" | ")} |`),
      "",
      "## Per file",
      "",
      "| file | upstream path | deployments | processes (server × workers) |",
      "| --- | --- | ---: | --- |",
      ...all.map((r) => `| ${r.kind}/${r.name} | ${r.recognised ? r.upstream : `${r.upstream} (not a deployment file)`} | ${r.model.deployments.length} | ${servers(r.model).map((p) => `${p.invocation.server} × ${p.workers.value}${p.reload ? " (reload)" : ""}`).join(", ")} |`),
      "",
    ];
    mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    writeFileSync(ARTIFACT, lines.join("\n"));

    checkReview(reviewedCounts().alone, all.map((r) => r.result), "the corpus");

    // Minimums checked by reading the files (see the per-file table): a regression lowers them.
    const at = (kind: string) => stats.get(kind) ?? {};
    assert.equal(all.length, 115, "115 corpus files");
    assert.ok(at("compose")["files with a process"] >= 8, `compose files with a server process: ${at("compose")["files with a process"]}`);
    assert.ok(at("compose").deployments >= 159, `compose services: ${at("compose").deployments}`);
    assert.ok(at("compose")["with CPU"] >= 36, `compose services with a CPU limit: ${at("compose")["with CPU"]}`);
    assert.equal(at("compose")["files with parse problems"], 1, "only the Jinja template (cookiecutter) is not YAML");
    assert.ok(at("shell")["files with a process"] >= 18, `start scripts with a server: ${at("shell")["files with a process"]}`);
    assert.ok(at("shell").processes >= 21, `server processes in start scripts: ${at("shell").processes}`);
    assert.ok(at("procfile")["files with a process"] >= 4, `Procfiles with a server: ${at("procfile")["files with a process"]}`);
    assert.equal(at("apprunner").deployments, 7, "every App Runner file but the ServiceArn-only JSON is a service");
    assert.ok(at("apprunner")["with CPU"] >= 3, `App Runner files with a Cpu: ${at("apprunner")["with CPU"]}`);
    assert.ok(at("apprunner").processes >= 1);
    // All but PeerTube's support/nginx/peertube (extensionless, outside sites-*: not told apart from other files by its path).
    assert.equal(at("nginx").recognised, 26, "nginx files named so Headroom reads them");
    for (const kind of ["dockerfile", "env", "gunicorn", "puma", "postgres"]) assert.equal(at(kind)["parse problems"], 0, `${kind}: no parse problems`);
  });

  test("files whose contents we know", () => {
    const find = (kind: string, name: string) => {
      const r = all.find((x) => x.kind === kind && x.name === name);
      assert.ok(r, `${kind}/${name} was audited`);
      return r;
    };
    const procs = (kind: string, name: string) => servers(find(kind, name).model).map((p) => `${p.invocation.server}×${p.workers.value}`);
    // compose: `bash -c "gunicorn ..."` in two services.
    assert.deepEqual(procs("compose", "zanfranceschi__rinha-de-backend-2024-q1__participantes__antunesleo-python__docker-compose.yml"), ["gunicorn×1", "gunicorn×1"]);
    // compose: an entrypoint script outside the workspace and a `rails s` command.
    assert.deepEqual(procs("compose", "chatwoot__chatwoot__docker-compose.production.yaml"), ["rails×1", "sidekiq×1"]);
    // compose: `bash -c 'while ...; done; uwsgi ...'`.
    assert.deepEqual(procs("compose", "healthchecks__healthchecks__docker__docker-compose.yml"), ["uwsgi×1"]);
    assert.deepEqual(procs("compose", "docker__awesome-compose__nginx-wsgi-flask__compose.yaml"), ["gunicorn×3"]);
    assert.deepEqual(procs("compose", "mastodon__mastodon__docker-compose.yml"), ["puma×1", "sidekiq×1"]);
    const rinha = find("compose", "zanfranceschi__rinha-de-backend-2024-q1__participantes__allissonazevedo-python__docker-compose.yml");
    assert.deepEqual(
      rinha.model.deployments.map((d) => d.cpus?.value),
      [0.9, 0.2, 0.2, 0.2],
    );
    assert.equal(find("compose", "zulip__docker-zulip__docker-compose.yml").model.deployments.length, 0, "compose v1: no services key");
    // shell
    assert.deepEqual(procs("shell", "apache__superset__docker__run-server.sh"), ["gunicorn×10"]);
    assert.deepEqual(procs("shell", "getredash__redash__bin__docker-entrypoint"), ["gunicorn×4"]);
    // shell: an extensionless script with a bash shebang; `--workers=2 --threads=16` (gthread).
    assert.deepEqual(procs("shell", "PostHog__posthog__bin__docker-server"), ["gunicorn×2"]);
    assert.equal(servers(find("shell", "PostHog__posthog__bin__docker-server").model)[0].threads?.value, 16);
    assert.deepEqual(procs("shell", "tiangolo__uvicorn-gunicorn-docker__docker-images__start-reload.sh"), ["uvicorn×1"]);
    assert.ok(servers(find("shell", "tiangolo__uvicorn-gunicorn-docker__docker-images__start-reload.sh").model)[0].reload);
    // App Runner
    assert.deepEqual(procs("apprunner", "0b01001110__dify-apprunner__apprunner.yaml"), ["gunicorn×1"]);
    assert.equal(find("apprunner", "codewithsumanth__iris-api__apprunner.json").model.deployments[0].cpus?.value, 0.25);
    assert.equal(find("apprunner", "DevOps-na-Infra__curso-app-runner__apprunner.json").model.deployments.length, 0);
    // Procfile
    assert.deepEqual(procs("procfile", "codalab__codabench__Procfile"), ["gunicorn×2", "celery×1"]);
  });
});

/** The heading of docs/false-positives.md's second table: each repository's files audited together. */
const TOGETHER_HEADING = /^## Each repository's files together$/m;

/** docs/false-positives.md's counts per rule: the first table (files alone) and the one under TOGETHER_HEADING. */
function reviewedCounts(): { alone: Map<string, number>; together: Map<string, number> } {
  const [alone, together = ""] = readFileSync(REVIEW, "utf8").split(TOGETHER_HEADING);
  const counts = (text: string) => new Map([...text.matchAll(/^\| `([^`]+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])]));
  return { alone: counts(alone), together: counts(together) };
}

/**
 * docs/false-positives.md judged each rule's findings on this corpus: a count that changes fails here until the new
 * findings are read and the table updated, so the review stays true.
 */
function checkReview(reviewed: Map<string, number>, results: AuditResult[], what: string): void {
  const measured = new Map<string, number>();
  for (const r of results) for (const f of r.findings) measured.set(f.rule, (measured.get(f.rule) ?? 0) + 1);
  for (const rule of [...new Set([...reviewed.keys(), ...measured.keys()])].sort()) {
    const n = measured.get(rule) ?? 0;
    assert.equal(n, reviewed.get(rule) ?? 0, `${rule}: ${n} findings on ${what}, docs/false-positives.md reviewed ${reviewed.get(rule) ?? 0}: read them and update the table`);
  }
}

// ---------------------------------------------------------------------------------------------
// Files that belong together

/** A workspace of corpus files at their upstream paths (optionally moved under `at`). */
function stack(entries: Array<[kind: string, name: string, at?: string]>): Record<string, string> | undefined {
  const files: Record<string, string> = {};
  for (const [kind, name, at] of entries) {
    if (!existsSync(path.join(REAL, kind, name))) return undefined;
    files[at ?? upstreamPath(kind, name)] = read(kind, name);
  }
  return files;
}

function deployment(model: DeploymentModel, id: string): Deployment {
  const d = model.deployments.find((x) => x.id === id);
  assert.ok(d, `no deployment ${id}; have ${model.deployments.map((x) => x.id).join(", ")}`);
  return d;
}

const slice = (files: Record<string, string>, at: SourceRef | undefined) => (at ? files[at.file]?.slice(at.start, at.end) : undefined);
const linkPairs = (d: Deployment) => d.links.map((l) => `${l.from} → ${l.to}`);

describe("real corpus, files that belong together", { skip }, () => {
  test("tiangolo/uvicorn-gunicorn-docker: the image's CMD /start.sh reads gunicorn_conf.py; start-reload.sh runs uvicorn --reload", (t) => {
    const files = stack([
      ["shell", "tiangolo__uvicorn-gunicorn-docker__docker-images__start.sh"],
      ["shell", "tiangolo__uvicorn-gunicorn-docker__docker-images__start-reload.sh"],
      ["gunicorn", "tiangolo__uvicorn-gunicorn-docker__docker-images__gunicorn_conf.py"],
      ["dockerfile", "tiangolo__uvicorn-gunicorn-docker__docker-images__python3.11.dockerfile"],
    ]);
    if (!files) return t.skip("stack files missing");
    const { model, result } = run(files, "tiangolo");
    t.diagnostic(JSON.stringify(result.findings.map((f) => `${f.at.file} ${f.rule}`)));
    // No compose file or platform runs the image: its Dockerfile is the deployment, and its CMD ["/start.sh"] the script.
    const start = deployment(model, "dockerfile:docker-images/python3.11.dockerfile");
    assert.ok(start.files.has("docker-images/gunicorn_conf.py"), `files: ${[...start.files]}`);
    assert.ok(linkPairs(start).includes("docker-images/start.sh → docker-images/gunicorn_conf.py"), linkPairs(start).join("; "));
    const gunicorn = start.processes[0];
    assert.equal(gunicorn.invocation.server, "gunicorn");
    assert.equal(slice(files, gunicorn.invocation.program.fact.at), "gunicorn");
    // workers = web_concurrency, computed from WORKERS_PER_CORE * cpu_count() unless WEB_CONCURRENCY is set.
    assert.ok(gunicorn.workersFromCpuCount, "workers come from cpu_count()");
    assert.equal(gunicorn.workersFromCpuCount.at.file, "docker-images/gunicorn_conf.py");
    const reload = deployment(model, "script:docker-images/start-reload.sh").processes;
    assert.equal(reload.length, 1);
    assert.equal(reload[0].invocation.server, "uvicorn");
    assert.equal(slice(files, reload[0].reload), "--reload");
  });

  test("tiangolo/full-stack-fastapi-template: the override swaps in /start-reload.sh; .env joins the deployment", (t) => {
    const files = stack([
      ["compose", "tiangolo__full-stack-fastapi-template__docker-compose.yml"],
      ["compose", "tiangolo__full-stack-fastapi-template__docker-compose.override.yml"],
      ["env", "tiangolo__full-stack-fastapi-template__.env"],
      // The backend image (FROM tiangolo/uvicorn-gunicorn-fastapi) holds /start-reload.sh; put it in the build context.
      ["shell", "tiangolo__uvicorn-gunicorn-docker__docker-images__start-reload.sh", "backend/start-reload.sh"],
    ]);
    if (!files) return t.skip("stack files missing");
    const { model } = run(files, "full-stack-fastapi");
    const backend = deployment(model, "compose:docker-compose.yml#backend");
    for (const f of ["docker-compose.yml", "docker-compose.override.yml", ".env", "backend/start-reload.sh"]) assert.ok(backend.files.has(f), `${f} in ${[...backend.files]}`);
    assert.ok(linkPairs(backend).includes("docker-compose.override.yml → docker-compose.yml"), linkPairs(backend).join("; "));
    assert.ok(linkPairs(backend).includes("docker-compose.override.yml → backend/start-reload.sh"), linkPairs(backend).join("; "));
    assert.equal(backend.processes.length, 1);
    const p = backend.processes[0];
    assert.equal(p.invocation.server, "uvicorn");
    assert.equal(p.reload?.file, "backend/start-reload.sh");
    assert.equal(slice(files, p.reload), "--reload");

    // Without the override, the base file leaves the command to the image: nothing runs that Headroom can see.
    const { "docker-compose.override.yml": _override, ...baseOnly } = files;
    const base = deployment(run(baseOnly, "full-stack-fastapi base").model, "compose:docker-compose.yml#backend");
    assert.equal(base.processes.length, 0);
    assert.ok(base.files.has(".env"));
  });

  test("codewithsumanth/iris-api: apprunner.json + Dockerfile → one uvicorn process on 0.25 vCPU", (t) => {
    const files = stack([
      ["apprunner", "codewithsumanth__iris-api__apprunner.json"],
      ["dockerfile", "codewithsumanth__iris-api__Dockerfile"],
    ]);
    if (!files) return t.skip("stack files missing");
    const { model, result } = run(files, "iris-api");
    const d = deployment(model, "apprunner:apprunner.json");
    assert.equal(d.cpus?.value, 0.25);
    assert.equal(slice(files, d.cpus?.at), "0.25 vCPU");
    assert.equal(d.memoryMiB?.value, 512);
    assert.deepEqual(linkPairs(d), ["apprunner.json → Dockerfile"]);
    assert.deepEqual([...d.files].sort(), ["Dockerfile", "apprunner.json"]);
    assert.equal(d.processes.length, 1);
    const p = d.processes[0];
    assert.equal(p.invocation.server, "uvicorn");
    assert.equal(p.workers.value, 1);
    assert.equal(p.workers.origin, "default");
    assert.equal(slice(files, p.invocation.program.fact.at), "uvicorn");
    t.diagnostic(JSON.stringify(result.findings.map((f) => `${f.at.file} ${f.rule}: ${f.message}`)));
  });

  test("mojtabasayyadmahernia/nlp-text-complexity-analyzer: apprunner.json (1 vCPU) + Dockerfile → one uvicorn process", (t) => {
    const files = stack([
      ["apprunner", "mojtabasayyadmahernia__nlp-text-complexity-analyzer__apprunner.json"],
      ["dockerfile", "mojtabasayyadmahernia__nlp-text-complexity-analyzer__Dockerfile"],
    ]);
    if (!files) return t.skip("stack files missing");
    const { model, result } = run(files, "nlp-text-complexity");
    const d = deployment(model, "apprunner:apprunner.json");
    assert.equal(d.cpus?.value, 1);
    assert.equal(d.memoryMiB?.value, 2048);
    assert.deepEqual(linkPairs(d), ["apprunner.json → Dockerfile"]);
    assert.deepEqual(
      d.processes.map((p) => `${p.invocation.server}×${p.workers.value}`),
      ["uvicorn×1"],
    );
    t.diagnostic(JSON.stringify(result.findings.map((f) => `${f.at.file} ${f.rule}: ${f.message}`)));
  });

  test("docker/awesome-compose nginx-wsgi-flask: compose build context → flask/Dockerfile, compose command wins", (t) => {
    const files = stack([
      ["compose", "docker__awesome-compose__nginx-wsgi-flask__compose.yaml"],
      ["dockerfile", "docker__awesome-compose__nginx-wsgi-flask__flask__Dockerfile"],
      ["dockerfile", "docker__awesome-compose__nginx-wsgi-flask__nginx__Dockerfile"],
      ["nginx", "docker__awesome-compose__nginx-wsgi-flask__nginx__nginx.conf"],
      ["nginx", "docker__awesome-compose__nginx-wsgi-flask__nginx__default.conf"],
      ["shell", "docker__awesome-compose__nginx-wsgi-flask__nginx__start.sh"],
    ]);
    if (!files) return t.skip("stack files missing");
    const { model } = run(files, "nginx-wsgi-flask");
    const flask = model.deployments.find((d) => d.files.has("nginx-wsgi-flask/flask/Dockerfile"));
    assert.ok(flask, model.deployments.map((d) => d.id).join(", "));
    assert.ok(linkPairs(flask).includes("nginx-wsgi-flask/compose.yaml → nginx-wsgi-flask/flask/Dockerfile"), linkPairs(flask).join("; "));
    assert.equal(flask.processes.length, 1);
    const p = flask.processes[0];
    assert.equal(p.invocation.server, "gunicorn");
    assert.equal(p.workers.value, 3);
    assert.equal(p.workers.at?.file, "nginx-wsgi-flask/compose.yaml");
    assert.equal(slice(files, p.workers.at), "3");
    // The replaced CMD runs Flask's own `python app.py`, no server Headroom sizes: nothing to compare, no drift reported.
    assert.equal(flask.replacedImageCommand, undefined);
  });

  test("healthchecks: compose → docker/Dockerfile (context ..), command `bash -c '...; uwsgi ...'`", (t) => {
    const files = stack([
      ["compose", "healthchecks__healthchecks__docker__docker-compose.yml"],
      ["dockerfile", "healthchecks__healthchecks__docker__Dockerfile"],
      ["uwsgi", "healthchecks__healthchecks__docker__uwsgi.ini"],
    ]);
    if (!files) return t.skip("stack files missing");
    const { model, result } = run(files, "healthchecks");
    const web = deployment(model, "compose:docker/docker-compose.yml#web");
    // The compose command replaces the Dockerfile's CMD with the same uwsgi.ini behind a wait loop: same sizing, quiet.
    assert.equal(web.replacedImageCommand?.instruction, "CMD");
    assert.equal(slice(files, web.replacedImageCommand.at), 'CMD [ "uwsgi", "/opt/healthchecks/docker/uwsgi.ini"]');
    assert.deepEqual(web.replacedImageCommand.processes.map((p) => `${p.invocation.server} x ${p.workers.value}`), ["uwsgi x 4"]);
    assert.deepEqual(result.findings.filter((f) => f.rule === "compose/command-replaces-dockerfile-cmd"), []);
    assert.ok(linkPairs(web).includes("docker/docker-compose.yml → docker/Dockerfile"), linkPairs(web).join("; "));
    assert.deepEqual(
      web.processes.map((p) => p.invocation.server),
      ["uwsgi"],
    );
    assert.equal(slice(files, { file: "docker/docker-compose.yml", start: web.processes[0].invocation.program.start, end: web.processes[0].invocation.program.end }), "uwsgi");
    // `uwsgi /opt/healthchecks/docker/uwsgi.ini`: the ini's `processes = 4` and `threads = 1`.
    assert.ok(linkPairs(web).includes("docker/docker-compose.yml → docker/uwsgi.ini"), linkPairs(web).join("; "));
    assert.equal(web.processes[0].workers.value, 4);
    assert.equal(slice(files, web.processes[0].workers.at), "4");
    assert.equal(web.processes[0].threads?.value, 1);
  });

  test("mastodon: compose `puma -C config/puma.rb`, Procfile, puma.rb and nginx read together", (t) => {
    const files = stack([
      ["compose", "mastodon__mastodon__docker-compose.yml"],
      ["puma", "mastodon__mastodon__config__puma.rb"],
      ["procfile", "mastodon__mastodon__Procfile"],
      ["nginx", "mastodon__mastodon__dist__nginx.conf"],
    ]);
    if (!files) return t.skip("stack files missing");
    const { model } = run(files, "mastodon");
    const web = deployment(model, "compose:docker-compose.yml#web");
    assert.equal(web.processes[0]?.invocation.server, "puma");
    assert.equal(slice(files, web.processes[0].commandAt), "bundle exec puma -C config/puma.rb");
    // config/puma.rb: `workers ENV.fetch('WEB_CONCURRENCY') { 2 }`.
    assert.ok(web.files.has("config/puma.rb"), [...web.files].join(", "));
    assert.ok(linkPairs(web).includes("docker-compose.yml → config/puma.rb"), linkPairs(web).join("; "));
    assert.equal(web.processes[0].workers.value, 2);
    assert.equal(web.processes[0].workers.at?.file, "config/puma.rb");
    assert.equal(slice(files, web.processes[0].workers.at), "2");
    assert.equal(deployment(model, "procfile:Procfile#worker").processes[0]?.invocation.server, "sidekiq");
  });

  test("CTFd and redash: Dockerfile + entrypoint script", (t) => {
    for (const [repo, script] of [
      ["CTFd__CTFd", "CTFd__CTFd__docker-entrypoint.sh"],
      ["getredash__redash", "getredash__redash__bin__docker-entrypoint"],
    ]) {
      const files = stack([
        ["dockerfile", `${repo}__Dockerfile`],
        ["shell", script],
      ]);
      if (!files) return t.skip("stack files missing");
      const { model } = run(files, repo);
      // Nothing deploys the Dockerfile on its own, so the script stands alone and shows its server.
      assert.ok(servers(model).some((p) => p.invocation.server === "gunicorn"), `${repo}: ${model.deployments.map((d) => d.id)}`);
    }
  });

  test("the remaining stacks are read without a crash and with ranges inside their files", (t) => {
    const stacks: Record<string, Array<[string, string]>> = {
      "mattermost/docker": [
        ["compose", "mattermost__docker__docker-compose.yml"],
        ["compose", "mattermost__docker__docker-compose.nginx.yml"],
        ["nginx", "mattermost__docker__nginx__conf.d__default.conf"],
      ],
      "getsentry/self-hosted": [
        ["compose", "getsentry__self-hosted__docker-compose.yml"],
        ["env", "getsentry__self-hosted__.env"],
        ["nginx", "getsentry__self-hosted__nginx__nginx.conf"],
      ],
      "paperless-ngx": [
        ["gunicorn", "paperless-ngx__paperless-ngx__docker__gunicorn.conf.py"],
        ["compose", "paperless-ngx__paperless-ngx__docker__compose__docker-compose.postgres-tika.yml"],
        ["nginx", "paperless-ngx__paperless-ngx__docker__compose__test-nginx.conf"],
      ],
      "cookiecutter-django": [
        ["compose", "cookiecutter__cookiecutter-django__{{cookiecutter.project_slug}}__docker-compose.production.yml"],
        ["shell", "cookiecutter__cookiecutter-django__{{cookiecutter.project_slug}}__compose__production__django__start"],
      ],
      "dvdpostweb/moovies": [
        ["puma", "dvdpostweb__moovies__config__puma.rb"],
        ["procfile", "dvdpostweb__moovies__Procfile"],
      ],
    };
    for (const participant of ["allissonazevedo-python", "antunesleo-python", "andersonfernandes-ruby", "alissonsleal", "andre-gbi-aspnet", "Fabricio-net8", "1garo"]) {
      const nginx = readdirSync(path.join(REAL, "nginx")).find((n) => n.includes(`__${participant}__`));
      stacks[`rinha ${participant}`] = [["compose", `zanfranceschi__rinha-de-backend-2024-q1__participantes__${participant}__docker-compose.yml`], ...(nginx ? [["nginx", nginx] as [string, string]] : [])];
    }
    for (const [name, entries] of Object.entries(stacks)) {
      const files = stack(entries);
      if (!files) {
        t.diagnostic(`${name}: files missing, skipped`);
        continue;
      }
      const { model, result, ms } = run(files, name);
      t.diagnostic(`${name}: ${ms.toFixed(0)} ms, ${model.deployments.length} deployments, ${servers(model).length} processes, ${result.findings.length} findings`);
    }
    // The cookiecutter compose is a Jinja template (not YAML): its start script still stands alone.
    const cookiecutter = stack(stacks["cookiecutter-django"]);
    if (cookiecutter) {
      const { model, result } = run(cookiecutter, "cookiecutter");
      assert.ok(result.findings.some((f) => f.rule === "parse/error"));
      assert.deepEqual(
        servers(model).map((p) => p.invocation.server),
        ["gunicorn"],
      );
    }
    // mattermost: docker-compose.nginx.yml only adds ports to `mattermost` (no image there), so it is an add-on
    // merged over docker-compose.yml, as `docker compose -f docker-compose.yml -f docker-compose.nginx.yml` runs it.
    const mattermost = stack(stacks["mattermost/docker"]);
    if (mattermost) {
      const { model } = run(mattermost, "mattermost");
      const app = deployment(model, "compose:docker-compose.nginx.yml#mattermost");
      assert.deepEqual([...app.files].sort(), ["docker-compose.nginx.yml", "docker-compose.yml"]);
      assert.ok(linkPairs(app).includes("docker-compose.nginx.yml → docker-compose.yml"), linkPairs(app).join("; "));
      assert.ok(deployment(model, "compose:docker-compose.nginx.yml#nginx"));
      assert.ok(deployment(model, "compose:docker-compose.yml#mattermost"), "the base still runs alone");
      assert.ok(!model.deployments.some((d) => d.id === "compose:docker-compose.yml#nginx"), "nginx comes only with the add-on");
    }
    // Moovies: the Procfile runs `rails s` (not puma -C); the rinha antunesleo-python services run gunicorn under 0.4 CPU.
    const rinha = stack(stacks["rinha antunesleo-python"]);
    if (rinha) {
      const { model } = run(rinha, "rinha antunesleo-python");
      const apis = model.deployments.filter((d) => d.processes.some((p) => p.invocation.server === "gunicorn"));
      assert.deepEqual(
        apis.map((d) => d.cpus?.value),
        [0.4, 0.4],
      );
    }
  });

  test("rinha-de-backend-2024-q1: each nginx.conf is linked to the compose service that mounts it, whose CPU cap silences worker-processes-default and makes `auto` a finding", (t) => {
    // The last column: the nginx.conf says `worker_processes auto`, which counts the host's CPUs, not the service's cap.
    const participants: Array<[name: string, service: string, cpus: number, nginxFiresAlone: boolean, auto: boolean]> = [
      ["1garo", "nginx", 0.15, true, false],
      ["Fabricio-net8", "nginx", 0.45, true, false],
      ["KitsuneSemCalda", "nginx", 0.4, false, true],
      ["alissonsleal", "nginx", 0.1, true, false],
      ["allissonazevedo-python", "nginx", 0.2, true, false],
      ["andersonfernandes-ruby", "load_balancer", 0.1, false, true],
      ["andre-gbi-aspnet", "nginx", 0.2, true, false],
      ["antunesleo-python", "nginx", 0.1, true, false],
    ];
    for (const [name, service, cpus, firesAlone, auto] of participants) {
      const prefix = `zanfranceschi__rinha-de-backend-2024-q1__participantes__${name}__`;
      const nginxName = readdirSync(path.join(REAL, "nginx")).find((n) => n.startsWith(prefix));
      const files = nginxName && stack([["compose", `${prefix}docker-compose.yml`], ["nginx", nginxName]]);
      if (!files || !nginxName) return t.skip(`${name}: stack files missing`);
      const { model, result } = run(files, `rinha ${name}`);
      assert.equal(model.proxies.length, 1, name);
      const linked = model.proxies[0].service;
      assert.equal(linked?.deployment, `compose:participantes/${name}/docker-compose.yml#${service}`, name);
      assert.equal(linked?.cpus?.value, cpus, name);
      assert.equal(slice(files, linked?.cpus?.at), String(cpus), name);
      const nginxAlone = { [upstreamPath("nginx", nginxName)]: read("nginx", nginxName) };
      const alone = run(nginxAlone, `rinha ${name} nginx alone`).result.findings.filter((f) => f.rule === "nginx/worker-processes-default").length;
      assert.equal(alone, firesAlone ? 1 : 0, `${name}: the nginx.conf alone`);
      assert.deepEqual(result.findings.filter((f) => f.rule === "nginx/worker-processes-default").map((f) => f.message), [], name);
      const autoFindings = result.findings.filter((f) => f.rule === "nginx/worker-processes-auto-cpu-limit");
      assert.deepEqual(
        autoFindings.map((f) => f.fixes[0]?.edits[0]?.newText),
        auto ? ["1"] : [],
        `${name}: worker_processes auto under a ${cpus}-CPU cap`,
      );
    }
  });

  test("each repository's corpus files together, at their upstream paths: findings per rule as docs/false-positives.md reviewed them", () => {
    const byRepo = new Map<string, Record<string, string>>();
    for (const line of readFileSync(MANIFEST, "utf8").split("\n").slice(1)) {
      const [local, repo, upstream] = line.split("\t");
      if (!local?.startsWith("real/") || !repo || !upstream) continue;
      const files = byRepo.get(repo) ?? {};
      files[upstream] = readFileSync(path.join(REAL, local.slice("real/".length)), "utf8");
      byRepo.set(repo, files);
    }
    assert.ok(byRepo.size >= 60, `${byRepo.size} repositories`);
    const results = [...byRepo].map(([repo, files]) => run(files, repo).result);
    checkReview(reviewedCounts().together, results, "the repositories' files together");
  });
});
