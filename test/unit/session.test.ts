// Incremental analysis (engine/session.ts, engine/parse-cache.ts): after every step of random edit
// sequences on the fixture workspaces, an AuditSession that reuses its parses must report exactly
// what a fresh audit of the same files reports. The fresh audit parses compose files whole, the
// session service by service, so this also checks that the two readings agree.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { composeYml } from "../../bench/gen.ts";
import { audit } from "../../server/src/engine/audit.ts";
import { ParseCache } from "../../server/src/engine/parse-cache.ts";
import { parseComposeFile } from "../../server/src/engine/parse/compose.ts";
import { AuditSession } from "../../server/src/engine/session.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const repo = join(__dirname, "..", "..");

/** Deterministic pseudo-random numbers (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fragments that change meaning in the formats Headroom reads, or break their syntax. */
const SNIPPETS = [
  "1", "9", "0", " ", "\n", "  ", "#", ":", "-", "'", '"', "{", "}", ";", "\t", "&a ", "*a", "<<: *a\n", "---\n",
  "\n  extra:\n    image: postgres:16\n    command: postgres -c max_connections=20\n",
  "\n  web2:\n    command: gunicorn -w 9 app:app\n    deploy:\n      resources:\n        limits:\n          cpus: '1'\n",
  "services:\n", "x-common: &a\n  image: python\n", "${WORKERS:-7}", "$PORT", " --workers 8", " --reload", "exec uvicorn app:app\n",
  "worker_processes 4;\n", "include conf.d/*.conf;\n", "WEB_CONCURRENCY=6\n", "\"Cpu\": \"4 vCPU\",",
];

type Files = Record<string, string>;

/** One random change to the workspace: an edit inside a file, a number changed, a file removed, restored or copied. */
function step(files: Files, original: Files, rnd: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const paths = Object.keys(files);
  const roll = rnd();
  if (roll < 0.08 && paths.length > 1) {
    const path = pick(paths);
    delete files[path];
    return `remove ${path}`;
  }
  const missing = Object.keys(original).filter((p) => !(p in files));
  if (roll < 0.14 && missing.length > 0) {
    const path = pick(missing);
    files[path] = original[path] as string;
    return `restore ${path}`;
  }
  if (roll < 0.18) {
    const from = pick(paths);
    const to = `copy/${from}`;
    files[to] = files[from] as string;
    return `copy ${from} to ${to}`;
  }
  const path = pick(paths);
  const text = files[path] as string;
  const numbers = [...text.matchAll(/\d+/g)];
  if (roll < 0.55 && numbers.length > 0) {
    const m = pick(numbers);
    const value = String(Math.floor(rnd() * 12));
    files[path] = text.slice(0, m.index) + value + text.slice((m.index ?? 0) + m[0].length);
    return `${path}: number at ${m.index} -> ${value}`;
  }
  const at = Math.floor(rnd() * (text.length + 1));
  const removed = rnd() < 0.4 ? Math.floor(rnd() * 12) : 0;
  const inserted = rnd() < 0.8 ? pick(SNIPPETS) : "";
  files[path] = text.slice(0, at) + inserted + text.slice(at + removed);
  return `${path}: at ${at} remove ${removed} insert ${JSON.stringify(inserted)}`;
}

/** A comment line added above a random line, one of those removed, or a number given another length. */
function movingEdit(files: Files, path: string, rnd: () => number): string {
  const text = files[path] as string;
  const roll = rnd();
  const added = [...text.matchAll(/^# moved x*\n/gm)];
  if (roll < 0.3 && added.length > 0) {
    const m = added[Math.floor(rnd() * added.length)] as RegExpMatchArray;
    files[path] = text.slice(0, m.index) + text.slice((m.index ?? 0) + m[0].length);
    return `${path}: comment at ${m.index} removed`;
  }
  const numbers = [...text.matchAll(/\d+/g)];
  if (roll < 0.6 && numbers.length > 0) {
    const m = numbers[Math.floor(rnd() * numbers.length)] as RegExpMatchArray;
    const value = String(Math.floor(rnd() * 3000));
    files[path] = text.slice(0, m.index) + value + text.slice((m.index ?? 0) + m[0].length);
    return `${path}: number at ${m.index} -> ${value}`;
  }
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i >= 0 && i + 1 < text.length; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const at = lineStarts[Math.floor(rnd() * lineStarts.length)] as number;
  files[path] = `${text.slice(0, at)}# moved ${"x".repeat(Math.floor(rnd() * 9))}\n${text.slice(at)}`;
  return `${path}: comment added at ${at}`;
}

function fixtureWorkspaces(): Array<{ name: string; files: Files }> {
  const out: Array<{ name: string; files: Files }> = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile())) out.push({ name: dir.slice(repo.length + 1), files: readFixture(dir) });
    else for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  walk(join(repo, "test", "fixtures"));
  walk(join(repo, "examples"));
  return out;
}

function checkSequence(name: string, start: Files, seed: number, steps: number, session = new AuditSession()): void {
  const rnd = random(seed);
  const files: Files = { ...start };
  const log: string[] = [];
  const known = new Set<string>();
  for (let i = 0; i <= steps; i++) {
    if (i > 0) log.push(step(files, start, rnd));
    for (const path of known) if (!(path in files)) session.remove(path);
    for (const path of Object.keys(files)) {
      session.update(path, files[path] as string);
      known.add(path);
    }
    const fresh = audit(memoryHost(files));
    assert.deepStrictEqual(session.audit(), fresh, `${name}, seed ${seed}, after:\n  ${log.join("\n  ")}`);
  }
}

describe("AuditSession: incremental results equal a fresh audit", () => {
  const workspaces = fixtureWorkspaces();

  test("random edit sequences on every fixture workspace", () => {
    assert.ok(workspaces.length > 20, `found only ${workspaces.length} fixture workspaces`);
    for (const [index, ws] of workspaces.entries()) checkSequence(ws.name, ws.files, 1000 + index, 25);
  });

  test("edits that keep compose files valid and move what follows them, on every fixture with a compose file", () => {
    // Random snippets mostly break the YAML (the file is then read whole, every deployment built again); these
    // edits keep it valid, so kept deployments are moved in place (model/placement.ts) rather than rebuilt.
    let reused = 0;
    for (const [index, ws] of workspaces.entries()) {
      const composeFiles = Object.keys(ws.files).filter((p) => /compose[^/]*\.ya?ml$/.test(p));
      if (composeFiles.length === 0) continue;
      const rnd = random(7000 + index);
      const files: Files = { ...ws.files };
      const session = new AuditSession();
      const log: string[] = [];
      for (let i = 0; i <= 12; i++) {
        if (i > 0) log.push(movingEdit(files, composeFiles[Math.floor(rnd() * composeFiles.length)] as string, rnd));
        for (const [path, text] of Object.entries(files)) session.update(path, text);
        const hits = session.parses.kept.hits;
        assert.deepStrictEqual(session.audit(), audit(memoryHost(files)), `${ws.name}, after:\n  ${log.join("\n  ")}`);
        reused += session.parses.kept.hits - hits;
      }
    }
    assert.ok(reused > 1000, `kept deployments were reused ${reused} times: too few to test moving them`);
  });

  test("random edits on one workspace that holds several fixtures", () => {
    const merged: Files = {};
    for (const ws of workspaces.slice(0, 12)) for (const [path, text] of Object.entries(ws.files)) merged[`${ws.name}/${path}`] = text;
    for (const seed of [1, 2, 3]) checkSequence("12 fixtures together", merged, seed, 40);
  });

  test("random edits on a 600-line compose file (parsed service by service)", () => {
    const session = new AuditSession();
    checkSequence("generated compose", { "docker-compose.yml": composeYml(600).text, ".env": "WORKERS=4\n" }, 7, 80, session);
    // The comparisons above covered reuse: parses and built deployments were reused, more than once per step.
    // (A reused deployment looks none of its parses up, so parse hits alone no longer outnumber misses.)
    const { stats, kept } = session.parses;
    assert.ok(stats.hits > 80 && kept.hits > 80, `too little reuse to test it: parses ${JSON.stringify(stats)}, deployments ${JSON.stringify(kept)}`);
  });

  test("an edit to one service of a large compose file re-parses that service only", () => {
    const { text, editAt } = composeYml(3000);
    const session = new AuditSession();
    session.update("docker-compose.yml", text);
    const before = session.audit();
    const misses = session.parses.stats.misses;
    assert.ok(misses > 150, `the first audit parses every service (${misses} parses)`);
    session.update("docker-compose.yml", `${text.slice(0, editAt)}9${text.slice(editAt + 1)}`);
    const after = session.audit();
    // the file, its layout, the edited service (placed and relative), and its command line
    assert.ok(session.parses.stats.misses - misses <= 5, `re-parsed ${session.parses.stats.misses - misses} things for a one-character edit`);
    const key = (f: (typeof before.findings)[number]) => `${f.rule} ${f.at.start} ${f.message}`;
    const added = after.findings.filter((f) => !before.findings.some((b) => key(b) === key(f))).map((f) => f.rule);
    assert.deepEqual(added.sort(), ["workers/exceed-cpu", "workers/memory-exceed-limit"], "the edit (-w 9 on 1 CPU and 512M) adds these findings");
  });

  test("an audit in which the compose file did not change keeps its services' parses for the next edit", () => {
    const { text, editAt } = composeYml(3000);
    const session = new AuditSession();
    session.update("docker-compose.yml", text);
    session.audit();
    // Another file is edited twice: the compose file is read, unchanged, by both audits.
    session.update(".env", "LOG_LEVEL=debug\n");
    session.audit();
    session.update(".env", "LOG_LEVEL=info\n");
    session.audit();
    const misses = session.parses.stats.misses;
    session.update("docker-compose.yml", `${text.slice(0, editAt)}9${text.slice(editAt + 1)}`);
    session.audit();
    assert.ok(session.parses.stats.misses - misses <= 5, `re-parsed ${session.parses.stats.misses - misses} things for a one-character edit after audits that did not change the file`);
  });

  test("an edit re-evaluates only the deployments that depend on the file it changed", () => {
    const { text, editAt } = composeYml(3000);
    const session = new AuditSession();
    const files: Files = { "docker-compose.yml": text };
    const audited = () => {
      for (const [path, content] of Object.entries(files)) session.update(path, content);
      const before = session.parses.kept.misses;
      const result = session.audit();
      assert.deepStrictEqual(result, audit(memoryHost(files)));
      return session.parses.kept.misses - before;
    };
    const services = text.match(/^ {2}svc-/gm)?.length ?? 0;
    assert.ok(services > 100);
    // Each service makes two kept entries: its deployment, and the pools read for it (model/reuse.ts reusedReading).
    assert.equal(audited(), 2 * services, "the first audit builds every service's deployment and reads its pools");
    files["docker-compose.yml"] = `${text.slice(0, editAt)}9${text.slice(editAt + 1)}`;
    assert.equal(audited(), 2, "an edit inside one service rebuilds that service's deployment only");
    assert.equal(audited(), 0, "nothing changed, nothing rebuilt");
    // A longer value moves every later service: they are moved in place (model/placement.ts), not built again.
    const timeoutAt = text.indexOf("--timeout 120", editAt) + "--timeout ".length;
    for (const timeout of ["1200", "12", "120"]) {
      const current = files["docker-compose.yml"] as string;
      const end = current.indexOf(" ", timeoutAt);
      files["docker-compose.yml"] = `${current.slice(0, timeoutAt)}${timeout}${current.slice(end)}`;
      assert.equal(audited(), 2, `--timeout ${timeout} moves the services after it, and rebuilds only the edited one`);
    }
    files[".env"] = "LOG_LEVEL=debug\n";
    assert.equal(audited(), 2 * services, "the project's .env feeds every service");
  });

  test("nginx: server blocks that did not change keep their reading only while what they inherit is the same", () => {
    // The servers sit in an included file: an edit to nginx.conf leaves them the same parse objects.
    const server = (i: number) => `server {\n  listen ${8000 + i};\n  location / {\n    proxy_pass http://app;\n    proxy_set_header Connection $connection_upgrade;\n  }\n}\n`;
    const conf = (http: string, upstream = "app") =>
      `events {\n  worker_connections 1024;\n}\nhttp {\n${http}  map $http_upgrade $connection_upgrade {\n    default upgrade;\n    '' close;\n  }\n  upstream ${upstream} {\n    server app:8000;\n    keepalive 8;\n  }\n  include conf.d/*.conf;\n}\n`;
    const files: Files = {
      "docker-compose.yml": "services:\n  app:\n    command: gunicorn app:app -w 2 --timeout 120\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./conf.d:/etc/nginx/conf.d:ro\n",
      "nginx.conf": conf("  proxy_read_timeout 30s;\n"),
      "conf.d/app.conf": [0, 1, 2, 3].map(server).join(""),
    };
    const session = new AuditSession();
    const check = (what: string) => {
      for (const path of Object.keys(files)) session.update(path, files[path] as string);
      assert.deepStrictEqual(session.audit(), audit(memoryHost(files)), what);
    };
    check("first audit");
    files["conf.d/app.conf"] = (files["conf.d/app.conf"] as string).replace("listen 8002;", "listen 8002;\n  proxy_read_timeout 300s;");
    check("a server-level setting in the third server (everything after it moves)");
    files["nginx.conf"] = conf("  proxy_read_timeout 90s;\n");
    check("the http-level timeout every location inherits");
    files["nginx.conf"] = conf("  proxy_read_timeout 90s;\n  proxy_http_version 1.1;\n  proxy_set_header Connection \"\";\n");
    check("http-level version and headers");
    files["nginx.conf"] = conf("  proxy_read_timeout 90s;\n  proxy_http_version 1.1;\n  proxy_set_header Connection \"\";\n", "backend");
    check("the upstream renamed: proxy_pass http://app is no longer an upstream");
    files["nginx.conf"] = (files["nginx.conf"] as string).replace("default upgrade;", "default close;");
    check("the map the Connection header names");
    files["nginx.conf"] = (files["nginx.conf"] as string).replace(/ {2}map [^}]*\}\n/, "");
    check("the map removed");
  });

  test("a script, a config file appearing, or a Dockerfile re-evaluates the services that use it", () => {
    const service = (name: string) => `  ${name}:\n    build: ./${name}\n    deploy:\n      resources:\n        limits:\n          cpus: '1'\n`;
    const files: Files = {
      "docker-compose.yml": `services:\n${service("a")}${service("b")}`,
      "a/Dockerfile": 'FROM python:3.12\nCMD ["./start.sh"]\n',
      "a/start.sh": "#!/bin/sh\nexec gunicorn app:app -w 2\n",
      "b/Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "app:app"]\n',
    };
    const session = new AuditSession();
    const rebuilt = () => {
      for (const path of Object.keys(files)) session.update(path, files[path] as string);
      const before = session.parses.kept.misses;
      const result = session.audit();
      assert.deepStrictEqual(result, audit(memoryHost(files)));
      return { rebuilt: session.parses.kept.misses - before, rules: result.findings.map((f) => `${f.at.file} ${f.rule}`) };
    };
    // Two kept entries per service: its deployment and its pools (model/reuse.ts reusedReading).
    assert.equal(rebuilt().rebuilt, 4);
    files["a/start.sh"] = "#!/bin/sh\nexec gunicorn app:app -w 8\n";
    const edited = rebuilt();
    assert.equal(edited.rebuilt, 2, "a's script changed: a only");
    assert.ok(edited.rules.includes("a/start.sh workers/exceed-cpu"), "and a's finding follows the script");
    files["b/gunicorn.conf.py"] = "workers = 9\n";
    const withConf = rebuilt();
    assert.equal(withConf.rebuilt, 2, "b's gunicorn finds a config file it looked for: b only");
    assert.ok(withConf.rules.includes("b/gunicorn.conf.py workers/exceed-cpu"), "and b now reads it");
    files["b/Dockerfile"] = 'FROM python:3.12\nCMD ["gunicorn", "app:app", "-w", "1"]\n';
    assert.equal(rebuilt().rebuilt, 2, "b's Dockerfile changed: b only");
  });

  test("pools read from the app's code follow edits of its modules while the deployments are kept", () => {
    const stack = readFixture(join(repo, "test", "fixtures", "stacks", "fastapi-pydantic-settings-pool-defaults"));
    const files: Files = { ...stack };
    const session = new AuditSession();
    const poolFindings = () => {
      for (const path of Object.keys(stack)) if (!(path in files)) session.remove(path);
      for (const path of Object.keys(files)) session.update(path, files[path] as string);
      const result = session.audit();
      assert.deepStrictEqual(result, audit(memoryHost(files)));
      return result.findings.filter((f) => f.rule === "db/connections-exceed-max").map((f) => `${f.at.file} ${f.message.slice(0, f.message.indexOf("="))}`);
    };
    assert.match(poolFindings().join("\n"), /config\.py .*db_pool_size 20 \+ DB_MAX_OVERFLOW 15/);
    const hits = session.parses.kept.hits;
    files["docker-compose.yml"] = `${files["docker-compose.yml"]}\n`;
    poolFindings();
    assert.ok(session.parses.kept.hits > hits, "an edit elsewhere keeps the deployments and their pools");
    files["app/core/config.py"] = (stack["app/core/config.py"] as string).replace("Field(20,", "Field(2,");
    assert.match(poolFindings().join("\n"), /db_pool_size 2 \+/, "the pool's default in the settings module: read again");
    files["app/db.py"] = (stack["app/db.py"] as string).replace("pool_size=settings.db_pool_size", "pool_size=40");
    assert.match(poolFindings().join("\n"), /db\.py .*pool_size 40/, "the engine's own argument: read again");
    delete files["app/db.py"];
    assert.doesNotMatch(poolFindings().join("\n"), /pool_size 40/, "the engine's module deleted");
    files["app/db.py"] = stack["app/db.py"] as string;
    assert.match(poolFindings().join("\n"), /db_pool_size 2 \+/, "and restored");
  });

  test("commands that only moved (an edit above them) give what a fresh reading gives", () => {
    // Moved services and their command lines are kept and moved in place (parse/compose.ts,
    // model/build.ts commandLine), their deployments built again: values from .env (not moved) and from the
    // service's own environment (moved with it), a nested `sh -c`, escaped quotes (a character map, and
    // the same command line written without escapes), a problem (an unterminated quote), two services
    // with the same command line, and in another project, one command two services merge from an anchor.
    const services = [
      "  web:\n    command: gunicorn -w ${WORKERS:-2} --timeout 30 app:app\n    deploy:\n      resources:\n        limits:\n          cpus: '1'\n",
      "  api:\n    command: sh -c 'exec uvicorn --workers $$API_WORKERS app:app'\n    environment:\n      API_WORKERS: 6\n    cpus: 1\n",
      '  jobs:\n    command: "gunicorn --name \\"app\\" -w 9 app:app"\n    cpus: 1\n',
      // The same command line once unquoted by YAML, without escapes: its characters lie elsewhere.
      "  jobs2:\n    command: 'gunicorn --name \"app\" -w 9 app:app'\n    cpus: 1\n",
      "  broken:\n    command: gunicorn -w 5 'app:app\n    cpus: 1\n",
      "  twin1:\n    command: gunicorn -w 4 ${TWIN_ARGS:-app:app}\n    cpus: 1\n",
      "  twin2:\n    command: gunicorn -w 4 ${TWIN_ARGS:-app:app}\n    cpus: 1\n",
    ];
    const anchored = "x-app: &app\n  command: gunicorn -w 6 --timeout 30 app:app\n  cpus: 1\nservices:\n  a:\n    <<: *app\n  b:\n    <<: *app\n";
    const files: Files = { ".env": "WORKERS=7\n", "docker-compose.yml": `services:\n${services.join("")}`, "anchored/docker-compose.yml": anchored };
    const session = new AuditSession();
    const check = (what: string) => {
      for (const path of Object.keys(files)) session.update(path, files[path] as string);
      const fresh = audit(memoryHost(files));
      assert.deepStrictEqual(session.audit(), fresh, what);
      return fresh;
    };
    const first = check("first audit");
    assert.ok(first.findings.filter((f) => f.rule === "workers/exceed-cpu").length >= 3, "the services' workers are read");
    // jobs2 reads the same command line as jobs, from characters placed differently.
    const compose = files["docker-compose.yml"] as string;
    const jobs2 = first.findings.find((f) => f.rule === "workers/exceed-cpu" && f.at.start > compose.indexOf("jobs2:"));
    assert.equal(jobs2 && compose.slice(jobs2.at.start, jobs2.at.end + 9), "9 app:app'", "jobs2's workers at its own -w");
    for (const twin of ["twin1:", "twin2:"]) {
      const workers = compose.indexOf("-w 4", compose.indexOf(twin)) + 3;
      assert.ok(first.findings.some((f) => f.rule === "workers/exceed-cpu" && f.at.file === "docker-compose.yml" && f.at.start === workers), `${twin} its own -w 4`);
    }
    assert.ok(first.findings.some((f) => f.rule === "workers/exceed-cpu" && f.at.file === "anchored/docker-compose.yml"), "a and b's workers, at the anchor's -w");
    for (const timeout of ["300", "3", "3000", "30"]) {
      for (const path of ["docker-compose.yml", "anchored/docker-compose.yml"]) files[path] = (files[path] as string).replace(/--timeout \d+/, `--timeout ${timeout}`);
      check(`--timeout ${timeout}: every later service moves`);
    }
    files["anchored/docker-compose.yml"] = `# a comment above all\n${anchored}`;
    check("the anchor moves");
    files["docker-compose.yml"] = (files["docker-compose.yml"] as string).replace("services:\n", "services:\n  first:\n    image: redis:7\n");
    check("a service added above all of them");
  });

  test("a compose command is re-read when the .env variable it uses changes", () => {
    const compose = "services:\n  web:\n    command: gunicorn -w ${WORKERS:-2} app:app\n    deploy:\n      resources:\n        limits:\n          cpus: '1'\n";
    const session = new AuditSession();
    session.update("docker-compose.yml", compose);
    for (const workers of ["8", "2", "9", "3"]) {
      session.update(".env", `WORKERS=${workers}\n`);
      const fresh = audit(memoryHost({ "docker-compose.yml": compose, ".env": `WORKERS=${workers}\n` }));
      assert.deepStrictEqual(session.audit(), fresh, `WORKERS=${workers}`);
      assert.equal(fresh.findings.some((f) => f.rule === "workers/exceed-cpu"), Number(workers) > 3, `WORKERS=${workers} on 1 CPU`);
    }
  });

  test("an edit of headroom.yml's pool names (pools.env) re-reads the pools", () => {
    const compose =
      "services:\n  web:\n    image: app\n    command: gunicorn -w 4 app:app\n    environment:\n      DATABASE_URL: postgres://db/app\n      APP_POOL: 20\n" +
      "  db:\n    image: postgres:16\n    command: postgres -c max_connections=50\n";
    const session = new AuditSession();
    session.update("docker-compose.yml", compose);
    for (const [yml, fires] of [["", false], ["pools:\n  env:\n    APP_POOL: pool_size\n", true], ["pools:\n  env:\n    APP_POOL: ignore\n", false]] as const) {
      session.update("headroom.yml", yml);
      const fresh = audit(memoryHost({ "docker-compose.yml": compose, "headroom.yml": yml }));
      assert.deepStrictEqual(session.audit(), fresh, yml);
      assert.equal(fresh.findings.some((f) => f.rule === "db/connections-exceed-max"), fires, `4 x 20 against 47, with headroom.yml ${JSON.stringify(yml)}`);
    }
  });

  test("a file a command names that does not exist yet is a dependency; once created, the session reads it", () => {
    const compose = "services:\n  web:\n    image: app\n    command: gunicorn -c conf/later.py app:app\n    deploy:\n      resources:\n        limits:\n          cpus: '1'\n";
    const before = audit(memoryHost({ "docker-compose.yml": compose }));
    assert.ok(before.dependencies.includes("conf/later.py"), `conf/later.py in ${before.dependencies.join(", ")}`);
    assert.ok(!before.findings.some((f) => f.rule === "workers/exceed-cpu"));
    const session = new AuditSession();
    session.update("docker-compose.yml", compose);
    assert.deepStrictEqual(session.audit(), before);
    session.update("conf/later.py", "workers = 9\n");
    const after = session.audit();
    assert.deepStrictEqual(after, audit(memoryHost({ "docker-compose.yml": compose, "conf/later.py": "workers = 9\n" })));
    assert.ok(after.findings.some((f) => f.rule === "workers/exceed-cpu" && f.at.file === "conf/later.py"), "9 workers on 1 vCPU, read from the new file");
    assert.ok(after.dependencies.includes("conf/later.py"), "still a dependency, now as the file the count comes from");
  });

  test("dependencies name the files only a command names, so a client re-audits when one of them changes", () => {
    const files = {
      "docker-compose.yml":
        "services:\n  web:\n    image: app\n    command: gunicorn -c conf/prod.py app:app\n  legacy:\n    image: app\n    command: uwsgi --ini deploy/app-settings.ini\n" +
        "  rails:\n    image: app\n    command: bundle exec puma -C deploy/web-server.rb\n",
      "conf/prod.py": "workers = 3\n",
      "deploy/app-settings.ini": "[uwsgi]\nprocesses = 2\n",
      "deploy/web-server.rb": "workers 2\n",
    };
    const result = audit(memoryHost(files));
    for (const file of ["conf/prod.py", "deploy/app-settings.ini", "deploy/web-server.rb", "docker-compose.yml"]) assert.ok(result.dependencies.includes(file), `${file} in ${result.dependencies.join(", ")}`);
    assert.ok(!result.filesRead.includes("conf/prod.py"), "not a deployment file by its name: the file list does not have it");
    const session = new AuditSession();
    for (const [path, text] of Object.entries(files)) session.update(path, text);
    session.audit();
    session.update("conf/prod.py", "workers = 9\n");
    const after = session.audit();
    assert.deepStrictEqual(after, audit(memoryHost({ ...files, "conf/prod.py": "workers = 9\n" })));
    assert.equal(after.model.deployments.find((d) => d.name.startsWith("web"))?.processes[0]?.workers.value, 9);
  });

  test("a service under an empty key (`  :`, named null) is placed as a fresh audit places it", () => {
    // The whole file's YAML parse puts an empty key at its line's start, a parse of the service's own text at the colon.
    const session = new AuditSession();
    const text = "services:\n  api:\n    image: shop-api:latest\n  :  # a comment\n    command: gunicorn -w 11 app.main:app\n";
    session.update("docker-compose.yml", text.replace("latest", "1"));
    session.audit();
    session.update("docker-compose.yml", text);
    assert.deepStrictEqual(session.audit(), audit(memoryHost({ "docker-compose.yml": text })));
  });

  test("entries of removed files are dropped", () => {
    const session = new AuditSession();
    session.update("a/docker-compose.yml", "services:\n  web:\n    command: gunicorn -w 4 app:app\n");
    session.update("b/Dockerfile", 'FROM python\nCMD ["gunicorn", "app:app"]\n');
    session.audit();
    const full = session.parses.size;
    session.remove("a/docker-compose.yml");
    session.audit();
    session.audit();
    assert.ok(session.parses.size < full, `cache kept ${session.parses.size} of ${full} entries after a file was removed`);
  });
});

describe("compose: reading service by service equals reading the whole file", () => {
  const corpus = join(repo, "..", "shared", "corpus");
  test("every compose file of the corpus, and random edits of them", (t) => {
    if (!existsSync(corpus)) {
      t.skip(`corpus not found at ${corpus}`);
      return;
    }
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (/compose.*\.ya?ml$/i.test(e.name)) files.push(join(dir, e.name));
      }
    };
    walk(corpus);
    assert.ok(files.length > 10, `only ${files.length} compose files in the corpus`);
    let byService = 0;
    for (const [index, file] of files.entries()) {
      const rnd = random(index);
      let text = readFileSync(file, "utf8");
      for (let i = 0; i < 20; i++) {
        const cache = new ParseCache();
        assert.deepStrictEqual(parseComposeFile(text, "docker-compose.yml", cache), parseComposeFile(text, "docker-compose.yml"), `${file} after ${i} edits`);
        if (i === 0 && cache.size > 2) byService++;
        const edited: Files = { f: text };
        step(edited, { f: text }, rnd);
        text = edited.f ?? text;
      }
    }
    assert.ok(byService >= 5, `only ${byService} corpus files were read service by service`);
  });
});

describe("supervisord's directory= as an input of a reused deployment", () => {
  test("a folder that appears under the build context moves the program there, as a fresh audit does", () => {
    const files: Files = {
      "docker-compose.yml": "services:\n  app:\n    build: .\n    cpus: 1\n",
      "Dockerfile": 'FROM python:3.12-slim\nCMD ["supervisord", "-n", "-c", "/etc/supervisord.conf"]\n',
      "supervisord.conf": "[supervisord]\nnodaemon=true\n\n[program:web]\ncommand=gunicorn -c gunicorn.conf.py app:app\ndirectory=/srv/backend\n",
      "gunicorn.conf.py": "workers = 2\n",
    };
    const session = new AuditSession();
    for (const [path, text] of Object.entries(files)) session.update(path, text);
    assert.deepStrictEqual(session.audit(), audit(memoryHost(files)));
    files["backend/gunicorn.conf.py"] = "workers = 9\n";
    session.update("backend/gunicorn.conf.py", files["backend/gunicorn.conf.py"]);
    const fresh = audit(memoryHost(files));
    assert.ok(fresh.findings.some((f) => f.rule === "workers/exceed-cpu" && f.at.file === "backend/gunicorn.conf.py"), "the fresh audit reads backend/gunicorn.conf.py");
    assert.deepStrictEqual(session.audit(), fresh);
    delete files["backend/gunicorn.conf.py"];
    session.remove("backend/gunicorn.conf.py");
    assert.deepStrictEqual(session.audit(), audit(memoryHost(files)));
  });
});

describe("compose parsed service by service agrees with the whole parse", () => {
  test("a `- item` line at column 0 after the services (a `---` typed mid-line) is an error either way", () => {
    const text = "services:\n  web:\n    image: example/web\n  nginx:\n    image: nginx:1.27\n    volumes:\n      ---\n- ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n";
    const session = new AuditSession();
    session.update("docker-compose.yml", text);
    const fresh = audit(memoryHost({ "docker-compose.yml": text }));
    assert.ok(fresh.findings.some((f) => f.rule === "parse/error"));
    assert.deepStrictEqual(session.audit(), fresh);
  });

  test("`services:#` (a `#` typed right after the colon) is not the services key: an error either way", () => {
    const text = "services:#\n  web:\n    image: example/web\n    command: gunicorn app:app -w 9\n    cpus: 1\n";
    const session = new AuditSession();
    session.update("docker-compose.yml", "services:\n  web:\n    image: example/web\n    command: gunicorn app:app -w 9\n    cpus: 1\n");
    session.audit();
    session.update("docker-compose.yml", text);
    const fresh = audit(memoryHost({ "docker-compose.yml": text }));
    assert.ok(fresh.findings.some((f) => f.rule === "parse/error"));
    assert.deepStrictEqual(session.audit(), fresh);
  });
});
