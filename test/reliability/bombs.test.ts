// Resource bombs: inputs built to blow up time or memory. Each must finish within a bound with a
// parse/error finding, a plain result, or a logged skip; heap growth is measured and bounded.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import type { AuditResult } from "../../server/src/engine/api.ts";
import { audit, isDeploymentFile } from "../../server/src/engine/audit.ts";
import { diskHost, readRegularFile } from "../../server/src/node/disk-host.ts";
import { ensureBuilt } from "../helpers/build.ts";
import { memoryHost } from "../helpers/memory-host.ts";
import { REPO, rangeProblems } from "./workspaces.ts";

const LIMIT_MS = 5000;
const MB = 1024 * 1024;

interface Measured<T> {
  value: T;
  ms: number;
  heapMB: number;
}
function measure<T>(fn: () => T): Measured<T> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const value = fn();
  const ms = performance.now() - t0;
  const heapMB = (process.memoryUsage().heapUsed - heap0) / MB;
  return { value, ms, heapMB };
}

function report(t: TestContext, what: string, m: Measured<unknown>, note: string) {
  t.diagnostic(`${what}: ${m.ms.toFixed(0)} ms, heap +${m.heapMB.toFixed(1)} MB, ${note}`);
}

/** Runs audit() on a memory workspace, checks time, heap, ranges, and returns the result. */
function auditBounded(t: TestContext, what: string, files: Record<string, string>, heapLimitMB: number, limitMs = LIMIT_MS): AuditResult {
  const host = memoryHost(files);
  const m = measure(() => audit(host));
  const parseErrors = m.value.findings.filter((f) => f.rule === "parse/error");
  report(t, what, m, `${m.value.findings.length} findings (${parseErrors.length} parse/error${parseErrors[0] ? `: ${parseErrors[0].message.slice(0, 80)}` : ""})`);
  assert.ok(m.ms < limitMs, `${what} took ${m.ms.toFixed(0)} ms`);
  assert.ok(m.heapMB < heapLimitMB, `${what} grew the heap by ${m.heapMB.toFixed(0)} MB`);
  assert.deepEqual(rangeProblems(m.value, host.read), []);
  return m.value;
}

const parseErrorsIn = (r: AuditResult, file: string) => r.findings.filter((f) => f.rule === "parse/error" && f.at.file === file);

// ---- YAML alias bombs --------------------------------------------------------------------------

/** "Billion laughs": 9 levels of anchors, each a list of 9 aliases of the level below (9^9 leaves). */
function laughs(): string {
  const lines = ['x-l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i <= 9; i++) lines.push(`x-l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(", ")}]`);
  return `${lines.join("\n")}\nservices:\n  api:\n    image: python:3.12\n    command: *l9\n    entrypoint: *l9\n    environment: *l9\n`;
}

/** The same bomb built from maps and merge keys, reached through a service's environment and command. */
function mergeBomb(): string {
  const lines = ['x-m0: &m0 {A: "1", B: "2", C: "3", D: "4", E: "5", F: "6", G: "7", H: "8", I: "9"}'];
  for (let i = 1; i <= 9; i++) lines.push(`x-m${i}: &m${i} {<<: [${Array(9).fill(`*m${i - 1}`).join(", ")}], K${i}: "v"}`);
  lines.push('x-c0: &c0 ["gunicorn", "-w", "4", "app:app"]');
  for (let i = 1; i <= 9; i++) lines.push(`x-c${i}: &c${i} [${Array(9).fill(`*c${i - 1}`).join(", ")}]`);
  lines.push("x-svc: &svc");
  lines.push("  environment: *m9");
  lines.push("  command: *c9");
  lines.push("services:");
  for (const name of ["api", "worker"]) {
    lines.push(`  ${name}:`);
    lines.push("    <<: [*svc, *m9]");
    lines.push("    image: python:3.12");
    lines.push("    environment:");
    lines.push("      <<: *m9");
    lines.push("      WORKERS: '3'");
  }
  return `${lines.join("\n")}\n`;
}

describe("bombs: YAML", () => {
  it("billion laughs (9 levels x 9 aliases) as docker-compose.yml", (t) => {
    auditBounded(t, "alias bomb", { "docker-compose.yml": laughs() }, 200);
  });

  it(
    "billion laughs under a service's environment/command through merge keys",
    () => {
      // Run in a child process with a hard timeout so a hang cannot stall the suite.
      const script = `const { audit } = require(${JSON.stringify(join(__dirname, "..", "..", "server", "src", "engine", "audit.ts"))});
        audit({ list: () => ["docker-compose.yml"], read: () => ${JSON.stringify(mergeBomb())} });`;
      const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { timeout: LIMIT_MS, encoding: "utf8" });
      assert.equal(r.error, undefined, `audit did not finish in ${LIMIT_MS} ms`);
      assert.equal(r.status, 0, r.stderr);
    },
  );

  it("4,000 services each merging the same anchor (alias lookups must not walk the document each time)", (t) => {
    const services = Array.from({ length: 4000 }, (_, i) => `  s${i}:\n    <<: *defaults\n    command: gunicorn -w ${(i % 8) + 1} app:app\n`).join("");
    const text = `x-defaults: &defaults\n  image: python:3.12\n  environment:\n    A: "1"\n  deploy:\n    resources:\n      limits:\n        cpus: "1"\nservices:\n${services}`;
    assert.ok(text.length < 512 * 1024, `${text.length} chars stays under the compose limit`);
    auditBounded(t, "4,000 merged aliases", { "docker-compose.yml": text }, 500, 15_000);
  });

  it("billion laughs as apprunner.yaml", (t) => {
    const text = laughs().replace("services:\n  api:\n    image: python:3.12\n    command: *l9\n    entrypoint: *l9\n    environment: *l9\n", "version: 1.0\nruntime: python3\nrun:\n  command: *l9\n  env: *l9\n");
    auditBounded(t, "apprunner alias bomb", { "apprunner.yaml": text }, 200);
  });

  it("100,000 levels of flow nesting in docker-compose.yml and apprunner.yaml", (t) => {
    const deep = `services: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`;
    const r = auditBounded(t, "YAML nesting 100k", { "docker-compose.yml": deep, "apprunner.yaml": deep.replace("services", "run") }, 500);
    const composeErrors = parseErrorsIn(r, "docker-compose.yml");
    assert.ok(composeErrors.length > 0 && composeErrors.every((f) => !/call stack/i.test(f.message)), composeErrors.map((f) => f.message).join("; "));
    const open = `services: ${"{a: ".repeat(100_000)}\n`;
    const r2 = auditBounded(t, "YAML unclosed {a: x100k", { "docker-compose.yml": open }, 500);
    assert.ok(parseErrorsIn(r2, "docker-compose.yml").length > 0, "an unclosed flow map is a parse error");
  });

  // Each YAML reader, with the files that make the audit read it: every one says "nested too deep to read" (not the yaml
  // library's "Maximum call stack size exceeded"), and the audit runs again and again in one process (after a few stack
  // overflows inside the yaml library, Node itself aborted: "RegExpCompiler Allocation failed").
  const nested = (key: string) => `${key}: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`;
  const readers: Array<[string, string, Record<string, string>]> = [
    ["docker-compose.yml", "parse/error", { "docker-compose.yml": nested("services") }],
    ["apprunner.yaml", "parse/error", { "apprunner.yaml": nested("run") }],
    ["render.yaml", "parse/error", { "render.yaml": nested("services") }],
    ["config/database.yml", "parse/error", { "config/database.yml": nested("production"), Procfile: "web: bundle exec puma -C config/puma.rb\n", "config/puma.rb": "workers 2\n" }],
    ["config/sidekiq.yml", "parse/error", { "config/sidekiq.yml": nested(":concurrency"), Procfile: "worker: bundle exec sidekiq\n" }],
    ["headroom.yml", "config/invalid", { "headroom.yml": nested("facts"), Procfile: "web: gunicorn app:app -w 2\n" }],
    [".github/workflows/deploy.yml", "", { ".github/workflows/deploy.yml": nested("jobs"), "docker-compose.yml": "services:\n  web:\n    image: python:3.12\n" }],
  ];
  for (const [file, rule, files] of readers) {
    it(`100,000 levels of flow nesting in ${file}, read ${rule ? `as "nested too deep to read"` : "as nothing"}, three times over`, (t) => {
      for (let round = 0; round < 3; round++) {
        const r = auditBounded(t, `YAML nesting 100k in ${file}`, files, 500);
        const messages = r.findings.filter((f) => f.at.file === file).map((f) => `${f.rule}: ${f.message}`);
        assert.deepEqual(messages, rule ? [`${rule}: ${rule === "config/invalid" ? "not valid YAML" : "YAML"}: nested too deep to read`] : [], messages.join("; "));
      }
    });
  }

  it("100,000 levels of block nesting (a list of lists) in docker-compose.yml", (t) => {
    auditBounded(t, "YAML block nesting 100k", { "docker-compose.yml": `services:\n  api:\n    command: ${"- ".repeat(100_000)}x\n` }, 500);
  });
});

describe("bombs: JSON", () => {
  it("100,000 levels of nesting in service.json", (t) => {
    auditBounded(t, "JSON arrays 100k", { "service.json": `${"[".repeat(100_000)}${"]".repeat(100_000)}` }, 500);
    auditBounded(t, "JSON objects 100k", { "service.json": `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}` }, 500);
    auditBounded(t, "JSON unclosed 100k", { "service.json": `{"InstanceConfiguration": ${"[".repeat(100_000)}` }, 500);
  });
});

describe("bombs: nginx", () => {
  it("an include loop (nginx.conf -> a -> b -> nginx.conf, and a self-include)", (t) => {
    const r = auditBounded(
      t,
      "nginx include loop",
      {
        "nginx.conf": "events {}\nhttp { include a.conf; include nginx.conf; }\n",
        "a.conf": "include b.conf;\n",
        "b.conf": "include nginx.conf;\ninclude a.conf;\n",
      },
      100,
    );
    assert.ok(
      r.findings.some((f) => f.rule === "parse/error" && f.message.includes("include loop")),
      `an include-loop error; got ${JSON.stringify(r.findings.map((f) => f.message))}`,
    );
  });

  it("an include glob matching 5,000 files, included 3 times", (t) => {
    const files: Record<string, string> = { "nginx.conf": "events {}\nhttp {\n  include conf.d/*.conf;\n  include conf.d/*.conf;\n  include conf.d/*.conf;\n}\n" };
    for (let i = 0; i < 5000; i++) files[`conf.d/site${String(i).padStart(4, "0")}.conf`] = `server { listen ${8000 + (i % 1000)}; }\n`;
    auditBounded(t, "nginx glob 5000 files", files, 500);
  });

  for (const count of [120, 5000]) {
    it(`a glob whose ${count} files each include the same glob again: one loop report per file, one budget report`, (t) => {
      const files: Record<string, string> = { "nginx.conf": "events {}\nhttp {\n  include conf.d/*.conf;\n}\n" };
      for (let i = 0; i < count; i++) files[`conf.d/site${String(i).padStart(4, "0")}.conf`] = `server { listen ${8000 + (i % 1000)}; include conf.d/*.conf; }\n`;
      const r = auditBounded(t, `nginx self-including glob x${count}`, files, 500);
      assert.ok(r.findings.length < 500, `${r.findings.length} findings`);
      const loops = r.findings.filter((f) => f.message.startsWith("include loop"));
      assert.ok(loops.length > 0, "the loop is reported");
      assert.equal(new Set(loops.map((f) => f.at.file)).size, loops.length, "at most one loop report per file");
      const budget = r.findings.filter((f) => f.message.startsWith("includes stopped after"));
      assert.equal(budget.length, 1, JSON.stringify(budget.map((f) => f.message)));
      assert.match(budget[0].message, /included over and over/);
    });
  }
});

// ---- very large and non-text files -----------------------------------------------------------

/** A syntactically valid compose file of about `bytes` characters: many services. */
function bigCompose(bytes: number): string {
  const unit = "  svc{i}:\n    image: python:3.12\n    command: gunicorn -w 4 app:app\n    environment:\n      WORKERS: '3'\n";
  const parts = ["services:\n"];
  let size = parts[0].length;
  for (let i = 0; size < bytes; i++) {
    const s = unit.replace("{i}", String(i));
    parts.push(s);
    size += s.length;
  }
  return parts.join("");
}

let tmp: string | undefined;
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
function tempWorkspace(): string {
  tmp ??= mkdtempSync(join(tmpdir(), "headroom-bombs-"));
  const dir = mkdtempSync(join(tmp, "ws-"));
  return dir;
}

describe("bombs: size and encoding", () => {
  it("a docker-compose.yml just under the engine's 512 KB limit is read in bounded time", (t) => {
    // YAML parsing is linear but slow (about 1.3 s per MB alone); the bound allows for a loaded machine.
    auditBounded(t, "500 KB compose in memory", { "docker-compose.yml": bigCompose(500 * 1024) }, 300, 15_000);
  });

  for (const size of [5, 50]) {
    it(`a ${size} MB docker-compose.yml handed to the engine directly is skipped with a warning on the file`, (t) => {
      const text = bigCompose(size * MB);
      const r = auditBounded(t, `${size} MB compose in memory`, { "docker-compose.yml": text, "start.sh": "exec uvicorn main:app\n" }, 100);
      const skipped = r.findings.filter((f) => f.at.file === "docker-compose.yml");
      assert.equal(skipped.length, 1, JSON.stringify(skipped));
      assert.equal(skipped[0].severity, "warning");
      assert.match(skipped[0].message, new RegExp(`^not checked: docker-compose.yml is ${size}(\\.\\d)? MB, more than the 512 KB Headroom reads for compose files$`));
      assert.ok(!r.filesRead.includes("docker-compose.yml"));
      assert.ok(r.filesRead.includes("start.sh"), "the rest of the workspace is still checked");
    });
  }

  it("the CLI shows the same warning for a 3 MB compose file on disk", (t) => {
    ensureBuilt();
    const dir = tempWorkspace();
    writeFileSync(join(dir, "docker-compose.yml"), bigCompose(3 * MB));
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(REPO, "dist", "cli.js"), "audit", dir, "--fail-on", "never"], { encoding: "utf8", timeout: 30_000 });
    t.diagnostic(`CLI on a 3 MB compose: ${(performance.now() - t0).toFixed(0)} ms, stdout: ${r.stdout.trim().split("\n")[0]}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /docker-compose\.yml.*not checked: docker-compose\.yml is 3 MB, more than the 512 KB Headroom reads for compose files/s);
  });

  it("a 50 MB docker-compose.yml through the disk host is skipped with a note", (t) => {
    const dir = tempWorkspace();
    writeFileSync(join(dir, "docker-compose.yml"), bigCompose(50 * MB));
    writeFileSync(join(dir, "start.sh"), "exec uvicorn main:app\n");
    const logs: string[] = [];
    const m = measure(() => audit(diskHost(dir, { filter: isDeploymentFile, log: (s) => logs.push(s) })));
    report(t, "50 MB compose via disk host", m, `log: ${JSON.stringify(logs)}`);
    assert.ok(m.ms < LIMIT_MS);
    assert.ok(m.heapMB < 100, `heap +${m.heapMB} MB`);
    assert.ok(logs.some((l) => l.includes("docker-compose.yml") && l.includes("larger than")), JSON.stringify(logs));
    assert.ok(!m.value.filesRead.includes("docker-compose.yml"));
    assert.deepEqual(readRegularFile(join(dir, "docker-compose.yml")).read, { skip: "larger than 5 MB" }, "the language server reads through the same function");
  });

  it("a binary docker-compose.yml (random bytes with NULs) is skipped by the disk host", (t) => {
    const dir = tempWorkspace();
    const bytes = randomBytes(64 * 1024);
    bytes[10] = 0;
    bytes[5000] = 0;
    writeFileSync(join(dir, "docker-compose.yml"), bytes);
    const logs: string[] = [];
    const m = measure(() => audit(diskHost(dir, { filter: isDeploymentFile, log: (s) => logs.push(s) })));
    report(t, "binary compose via disk host", m, `log: ${JSON.stringify(logs)}`);
    assert.ok(m.ms < LIMIT_MS);
    assert.ok(logs.some((l) => l.includes("docker-compose.yml") && l.includes("binary")), JSON.stringify(logs));
    assert.deepEqual(m.value.findings, []);
    assert.deepEqual(readRegularFile(join(dir, "docker-compose.yml")).read, { skip: "binary (NUL bytes)" });
    // The same bytes decoded and handed to the engine anyway must not break it.
    auditBounded(t, "binary compose as text in memory", { "docker-compose.yml": bytes.toString("latin1") }, 100);
  });

  it("invalid UTF-8 in docker-compose.yml, service.json, nginx.conf and start.sh", (t) => {
    const dir = tempWorkspace();
    const bad = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc, 0xed, 0xa0, 0x80]);
    const withBad = (s: string) => Buffer.concat([Buffer.from(s.slice(0, 20)), bad, Buffer.from(s.slice(20)), bad]);
    writeFileSync(join(dir, "docker-compose.yml"), withBad("services:\n  api:\n    command: gunicorn -w 9 app:app\n    cpus: 1\n"));
    writeFileSync(join(dir, "service.json"), withBad('{"InstanceConfiguration": {"Cpu": "1 vCPU"}}'));
    writeFileSync(join(dir, "nginx.conf"), withBad("events {}\nhttp { server { listen 80; } }\n"));
    writeFileSync(join(dir, "start.sh"), withBad("#!/bin/sh\nexec gunicorn -w 9 app:app\n"));
    const logs: string[] = [];
    const host = diskHost(dir, { filter: isDeploymentFile, log: (s) => logs.push(s) });
    const m = measure(() => audit(host));
    report(t, "invalid UTF-8 via disk host", m, `${m.value.findings.length} findings: ${m.value.findings.map((f) => `${f.at.file} ${f.rule}`).join(", ")}; log: ${JSON.stringify(logs)}`);
    assert.ok(m.ms < LIMIT_MS);
    assert.deepEqual(rangeProblems(m.value, host.read), []);
  });
});
