// Checks Headroom's reading of pgbouncer.ini against PgBouncer's own: Debian's pgbouncer package loads each
// file (the fixtures' inis and the ones the pgbouncer/* fixes write), listening on a Unix socket in a temporary
// folder only, and its admin console's SHOW CONFIG and SHOW DATABASES (through Debian's psql) must give the
// values parse/pgbouncer-ini.ts and model/pgbouncer.ts read. The engine never runs PgBouncer; only this test does.
//
// Skips (with a message) when pgbouncer or psql is missing, unless HEADROOM_REQUIRE_E2E=1, in which case it fails.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { PGBOUNCER_DEFAULTS } from "../../server/src/engine/model/pgbouncer.ts";
import { parsePgBouncerIni } from "../../server/src/engine/parse/pgbouncer-ini.ts";
import type { TextEdit } from "../../server/src/engine/types.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const FIXTURES = join(__dirname, "..", "fixtures");
const REQUIRE = process.env.HEADROOM_REQUIRE_E2E === "1";
const PGBOUNCER = process.env.HEADROOM_ORACLE_PGBOUNCER ?? "/usr/sbin/pgbouncer";

function missingTools(): string | undefined {
  for (const [tool, args, hint] of [[PGBOUNCER, ["--version"], "pgbouncer"], ["psql", ["--version"], "postgresql-client"]] as const) {
    const probe = spawnSync(tool, args, { encoding: "utf8" });
    if (probe.error || probe.status !== 0) return `${tool} is not available (apt-get install -y ${hint}): ${probe.error?.message ?? probe.stderr.trim()}`;
  }
  return undefined;
}

const missing = missingTools();
const skip = missing !== undefined && !REQUIRE ? missing : false;

function applyEdits(text: string, edits: TextEdit[]): string {
  return [...edits].sort((a, b) => b.start - a.start).reduce((t, e) => t.slice(0, e.start) + e.newText + t.slice(e.end), text);
}

/** The fix of a fixture's finding, applied to the one pgbouncer.ini it edits. */
function fixedIni(fixture: string, rule: string, file: string): string {
  const files = readFixture(join(FIXTURES, fixture));
  const finding = audit(memoryHost(files)).findings.find((f) => f.rule === rule);
  assert.ok(finding, `${fixture}: ${rule} fires`);
  return applyEdits(files[file], finding.fixes[0].edits.filter((e) => e.file === file));
}

const CASES: Array<{ name: string; text: () => string }> = [
  { name: "stack fastapi-pgbouncer-ini-transaction", text: () => readFixture(join(FIXTURES, "stacks", "fastapi-pgbouncer-ini-transaction"))["pgbouncer/pgbouncer.ini"] },
  { name: "its max_client_conn fix", text: () => fixedIni("stacks/fastapi-pgbouncer-ini-transaction", "pgbouncer/clients-exceed-max-client-conn", "pgbouncer/pgbouncer.ini") },
  { name: "its default_pool_size fix", text: () => fixedIni("stacks/fastapi-pgbouncer-ini-transaction", "pgbouncer/server-connections-exceed-max", "pgbouncer/pgbouncer.ini") },
  {
    name: "max_client_conn added below [pgbouncer]",
    text: () => fixedIni("pgbouncer/clients-exceed-max-client-conn/ini-of-its-own-without-max-client-conn", "pgbouncer/clients-exceed-max-client-conn", "deploy/pgbouncer.ini"),
  },
  { name: "two users' pools", text: () => readFixture(join(FIXTURES, "pgbouncer", "server-connections-exceed-max", "ini-two-users-two-pools"))["pgbouncer/pgbouncer.ini"] },
  { name: "per-database settings and a cap", text: () => readFixture(join(FIXTURES, "pgbouncer", "server-connections-exceed-max", "ok-max-db-connections-caps"))["pgbouncer/pgbouncer.ini"] },
  {
    name: "comments, reserve_pool alias, user=, CRLF, a second [pgbouncer] header",
    text: () =>
      [
        "; top",
        "[pgbouncer]",
        "max_client_conn = 999",
        "[databases]",
        "# per database",
        "app = host=db port=5432 dbname=app user=app_rw pool_size=12 reserve_pool=3 max_db_connections=14 connect_query='SELECT 1'",
        "other = host=db",
        "[pgbouncer]",
        "default_pool_size = 9",
        "reserve_pool_size = 2",
        "pool_mode = statement",
        "",
      ].join("\r\n"),
  },
];

/** The ini with what running it here needs (Unix socket in `dir`, trust auth, an admin user) set in its last [pgbouncer] section. */
function runnable(text: string, dir: string, port: number): string {
  const local: Record<string, string> = {
    listen_addr: "",
    listen_port: String(port),
    unix_socket_dir: dir,
    auth_type: "trust",
    auth_file: join(dir, "users.txt"),
    admin_users: "headroom",
    logfile: "",
    pidfile: "",
    ...(process.getuid?.() === 0 ? { user: "nobody" } : {}),
  };
  const lines = text.split(/\r?\n/).filter((line) => !Object.keys(local).includes(line.split("=")[0].trim()));
  const header = lines.map((l) => l.trim()).lastIndexOf("[pgbouncer]");
  const settings = Object.entries(local).map(([k, v]) => `${k} = ${v}`);
  if (header < 0) return [...lines, "[pgbouncer]", ...settings, ""].join("\n");
  lines.splice(header + 1, 0, ...settings);
  return lines.join("\n");
}

const running: ChildProcess[] = [];
after(() => {
  for (const child of running) if (child.exitCode === null) child.kill("SIGTERM");
});

async function pgbouncerShows(text: string, index: number): Promise<{ config: Map<string, string>; databases: Array<Record<string, string>> }> {
  const dir = mkdtempSync(join(tmpdir(), "headroom-pgbouncer-"));
  chmodSync(dir, 0o777);
  const port = 20000 + ((process.pid * 7 + index) % 20000);
  try {
    writeFileSync(join(dir, "users.txt"), '"headroom" "x"\n', { mode: 0o644 });
    const ini = join(dir, "pgbouncer.ini");
    writeFileSync(ini, runnable(text, dir, port), { mode: 0o644 });
    const child = spawn(PGBOUNCER, [ini], { stdio: ["ignore", "ignore", "pipe"] });
    running.push(child);
    let log = "";
    child.stderr?.on("data", (chunk) => (log += chunk));
    const socket = join(dir, `.s.PGSQL.${port}`);
    const deadline = Date.now() + 30_000;
    while (!existsSync(socket)) {
      if (child.exitCode !== null || Date.now() > deadline) assert.fail(`pgbouncer did not start: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const show = (what: string) => {
      const run = spawnSync("psql", ["-h", dir, "-p", String(port), "-U", "headroom", "-d", "pgbouncer", "-A", "-F", "|", "-c", `SHOW ${what}`], { encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      const [head, ...rows] = run.stdout.trim().split("\n").slice(0, -1);
      const columns = head.split("|");
      return rows.map((row) => Object.fromEntries(row.split("|").map((v, i) => [columns[i], v])));
    };
    const config = new Map(show("CONFIG").map((r) => [r.key, r.value]));
    const databases = show("DATABASES").filter((r) => r.name !== "pgbouncer");
    child.kill("SIGTERM");
    return { config, databases };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("PgBouncer's own config loader agrees on the settings and [databases] entries Headroom reads", { skip }, async () => {
  if (missing) assert.fail(missing);
  for (const [index, { name, text }] of CASES.entries()) {
    const source = text();
    const ours = parsePgBouncerIni(source);
    const theirs = await pgbouncerShows(source, index);
    const setting = (key: keyof typeof PGBOUNCER_DEFAULTS) => ours.settings.get(key)?.value ?? String(PGBOUNCER_DEFAULTS[key]);
    for (const key of ["max_client_conn", "default_pool_size", "reserve_pool_size", "max_db_connections"] as const) {
      assert.equal(theirs.config.get(key), setting(key), `${name}: ${key}`);
    }
    assert.equal(theirs.config.get("pool_mode"), ours.settings.get("pool_mode")?.value ?? "session", `${name}: pool_mode`);
    const named = ours.databases.filter((d) => d.name !== "*");
    assert.deepEqual(
      theirs.databases.map((d) => [d.name, d.force_user, d.pool_size, d.reserve_pool, d.max_connections]),
      named.map((d) => {
        const p = (key: string) => d.params.get(key)?.value;
        return [d.name, p("user") ?? "", p("pool_size") ?? setting("default_pool_size"), p("reserve_pool_size") ?? p("reserve_pool") ?? setting("reserve_pool_size"), p("max_db_connections") ?? "0"];
      }),
      `${name}: databases`,
    );
  }
});
