import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePostgresArgs, parsePostgresConf, pgQuantity } from "../../server/src/engine/parse/postgres-conf.ts";
import { parseCommandLine } from "../../server/src/engine/parse/shell.ts";
import { words } from "../helpers/words.ts";

const at = (text: string, span?: { start: number; end: number }) => (span ? text.slice(span.start, span.end) : undefined);

test("postgresql.conf: numbers, units, quotes, comments, optional '='", () => {
  const text = [
    "# comment",
    "max_connections = 100\t\t# (change requires restart)",
    "superuser_reserved_connections = 3",
    "reserved_connections=2",
    "shared_buffers = 128MB",
    "listen_addresses = '*'",
    "search_path = '\"$user\", public'",
    "log_line_prefix = 'it''s # not a comment'",
    "fsync off",
    "Work_Mem = 4MB",
    "max_connections = 200",
    "",
  ].join("\n");
  const r = parsePostgresConf(text, "postgresql.conf");
  const mc = r.settings.get("max_connections");
  assert.equal(mc?.kind, "number");
  assert.equal(mc?.value, 200, "the last setting wins");
  assert.equal(at(text, mc?.span), "200");
  assert.equal(at(text, mc?.nameSpan), "max_connections");
  assert.equal(r.settings.get("superuser_reserved_connections")?.value, 3);
  assert.equal(r.settings.get("reserved_connections")?.value, 2);
  assert.equal(r.settings.get("shared_buffers")?.value, "128MB");
  assert.equal(r.settings.get("listen_addresses")?.value, "*");
  assert.equal(at(text, r.settings.get("listen_addresses")?.span), "'*'");
  assert.equal(r.settings.get("search_path")?.value, '"$user", public');
  assert.equal(r.settings.get("log_line_prefix")?.value, "it's # not a comment");
  assert.equal(r.settings.get("fsync")?.value, false);
  assert.equal(r.settings.get("work_mem")?.value, "4MB");
  assert.deepEqual(r.problems, []);
});

test("include lines are recorded, not followed", () => {
  const r = parsePostgresConf("include 'extra.conf'\ninclude_if_exists = 'maybe.conf'\ninclude_dir 'conf.d'\n", "pg.conf");
  assert.deepEqual(
    r.includes.map((i) => [i.directive, i.path]),
    [
      ["include", "extra.conf"],
      ["include_if_exists", "maybe.conf"],
      ["include_dir", "conf.d"],
    ],
  );
  assert.equal(r.settings.size, 0);
});

test("broken lines are problems, not exceptions", () => {
  const r = parsePostgresConf("max_connections = 'open\n= 5\nport\nwork_mem = 4MB extra\n", "pg.conf");
  assert.equal(r.problems.length, 4);
  assert.equal(r.settings.has("max_connections"), false);
});

test("CRLF", () => {
  const r = parsePostgresConf("max_connections = 50\r\nport = 5433\r\n", "pg.conf");
  assert.equal(r.settings.get("max_connections")?.value, 50);
  assert.equal(r.settings.get("port")?.value, 5433);
});

test("pgQuantity", () => {
  assert.equal(pgQuantity("128MB", "memory"), 128 * 1024 * 1024);
  assert.equal(pgQuantity("19200kB", "memory"), 19200 * 1024);
  assert.equal(pgQuantity("16384", "memory", 8192), 16384 * 8192);
  assert.equal(pgQuantity("1min", "time"), 60_000);
  assert.equal(pgQuantity("128mb", "memory"), undefined, "units are case-sensitive");
});

test("postgres command line: -c, --name=value, -N, -B", () => {
  const cmd = "postgres -c max_connections=200 -c shared_buffers=256MB -N 300 -B 1000 --work-mem=8MB -cport=5433 -F";
  const r = parsePostgresArgs(words(cmd, "compose.yml"));
  assert.equal(r.program?.value, "postgres");
  assert.equal(r.settings.get("max_connections")?.value, 300, "-N after -c wins");
  assert.equal(r.settings.get("shared_buffers")?.value, 1000);
  assert.equal(r.settings.get("work_mem")?.value, "8MB");
  assert.equal(r.settings.get("port")?.value, 5433);
  assert.equal(r.settings.get("fsync")?.value, false);
  const only = parsePostgresArgs(words("postgres -c max_connections=200"));
  const mc = only.settings.get("max_connections");
  assert.equal(mc?.value, 200);
  const text = "postgres -c max_connections=200";
  assert.equal(at(text, mc?.span), "200");
  assert.equal(at(text, mc?.nameSpan), "max_connections");
});

test("postgres options without the program (official image entrypoint) and with wrappers", () => {
  assert.equal(parsePostgresArgs(words("-c max_connections=500")).settings.get("max_connections")?.value, 500);
  assert.equal(
    parsePostgresArgs(words("docker-entrypoint.sh postgres -N 42")).settings.get("max_connections")?.value,
    42,
  );
  assert.equal(parsePostgresArgs(words("redis-server --maxclients 10")).settings.size, 0);
  const expansion = ["$", "{POSTGRES_MAX_CONNECTIONS:-100}"].join("");
  const quoted = `postgres -c 'max_connections=${expansion}'`;
  const q = parsePostgresArgs(words(quoted));
  assert.equal(q.settings.get("max_connections")?.value, expansion);
});

test("postgres args: a value taken from a variable keeps where the variable is set (the .env line)", () => {
  const at = { file: ".env", start: 7, end: 10 };
  const env = (name: string) => (name === "PG_MAX" ? { value: "300", origin: "stated" as const, at } : undefined);
  const read = (cmd: string, lookup = env) => parsePostgresArgs(parseCommandLine(cmd, "compose.yml", 0, lookup).commands[0]?.words ?? []);
  for (const cmd of ["postgres -c max_connections=${PG_MAX} -c shared_buffers=1GB", "postgres -N $PG_MAX", "postgres -cmax_connections=${PG_MAX}"]) {
    const r = read(cmd);
    assert.equal(r.settings.get("max_connections")?.value, 300, cmd);
    assert.deepEqual(r.origins.get("max_connections")?.at, at, cmd);
  }
  const written = read("postgres -c max_connections=${PG_MAX:-40}", () => undefined);
  assert.equal(written.settings.get("max_connections")?.value, 40);
  assert.equal(written.origins.size, 0, "a default written in the command is the command's own value");
  const later = read("postgres -c max_connections=${PG_MAX} -c max_connections=50");
  assert.equal(later.origins.has("max_connections"), false, "the last value wins, and it is written here");
});
