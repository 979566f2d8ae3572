// Rails' config/database.yml read as text: ERB tags are described, never evaluated.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDatabaseYml } from "../../server/src/engine/parse/database-yml.ts";
import { settingNumber } from "../../server/src/engine/parse/setting-expr.ts";

const slice = (text: string, span: { start: number; end: number } | undefined) => (span ? text.slice(span.start, span.end) : undefined);

describe("database.yml", () => {
  it("reads the generated file: ERB pool through an anchor and a merge key", () => {
    const text = [
      "default: &default",
      "  adapter: postgresql",
      '  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>',
      "",
      "production:",
      "  <<: *default",
      "  database: app_production",
      "  password: <%= ENV['APP_DATABASE_PASSWORD'] %>",
      "",
    ].join("\n");
    const yml = parseDatabaseYml(text, "config/database.yml");
    assert.deepEqual(yml.problems, []);
    const pool = yml.environments.get("production")?.pool;
    assert.equal(pool?.kind, "env");
    assert.equal(pool?.envName, "RAILS_MAX_THREADS");
    assert.equal(pool?.envDefault?.value, "5");
    assert.equal(slice(text, pool?.envDefault?.span), "5");
  });

  it("blanks control tags and comments, keeps literal pools, reads url:", () => {
    const text = [
      "<%# a comment: with a colon %>",
      "production:",
      "<% if ENV['FAST'] %>",
      "  pool: 12",
      "<% end %>",
      '  url: "<%= ENV.fetch(\'DATABASE_URL\') %>"',
      "",
    ].join("\n");
    const yml = parseDatabaseYml(text, "d.yml");
    assert.deepEqual(yml.problems, []);
    const env = yml.environments.get("production");
    assert.equal(env?.pool?.kind, "number");
    assert.equal(env?.pool?.value, 12);
    assert.equal(slice(text, env?.pool?.span), "12");
    assert.equal(env?.url?.kind, "env");
    assert.equal(env?.url?.envName, "DATABASE_URL");
  });

  it("three-tier configuration: the primary database's pool", () => {
    const text = "production:\n  primary:\n    adapter: postgresql\n    pool: 7\n  cache:\n    pool: 2\n";
    assert.equal(parseDatabaseYml(text, "d.yml").environments.get("production")?.pool?.value, 7);
  });

  it("an expression it cannot describe is unknown, never guessed; -%> and CRLF are fine", () => {
    const text = "production:\r\n  pool: <%= Settings.db_pool -%>\r\n  timeout: 5000\r\n";
    const yml = parseDatabaseYml(text, "d.yml");
    assert.deepEqual(yml.problems, []);
    assert.equal(yml.environments.get("production")?.pool?.kind, "unknown");
  });

  it("broken YAML is a problem with a position, not a crash; an unterminated tag too", () => {
    for (const text of ["production:\n  pool: [5\n", "production:\n  pool: <%= ENV.fetch('X') { 5 }\n"]) {
      const yml = parseDatabaseYml(text, "d.yml");
      for (const p of yml.problems) assert.ok(p.at.start >= 0 && p.at.end <= text.length);
    }
  });

  it("reads each section as its environment renders the ERB: `<% if Rails.env.production? %>`, `elsif`, `else`", () => {
    const branches = (section: string) =>
      `${section}:\n  <<: *default\n  <% if Rails.env.production? %>\n  pool: <%= ENV.fetch("DB_POOL") { 20 } %>\n  <% elsif Rails.env == "staging" %>\n  pool: 8\n  <% else %>\n  pool: 3\n  <% end %>\n`;
    const text = `default: &default\n  adapter: postgresql\n  pool: 5\n${branches("production")}${branches("staging")}${branches("test")}development:\n  <<: *default\n  <% unless Rails.env.development? %>\n  pool: 50\n  <% end %>\n`;
    const yml = parseDatabaseYml(text, "config/database.yml");
    assert.deepEqual(yml.problems, []);
    const pool = (env: string) => yml.environments.get(env)?.pool;
    assert.deepEqual([pool("production")?.envName, pool("production")?.envDefault?.value], ["DB_POOL", "20"]);
    assert.equal(text.slice(pool("production")?.envDefault?.span.start, pool("production")?.envDefault?.span.end), "20", "offsets stay the file's");
    assert.deepEqual([pool("staging")?.value, pool("test")?.value, pool("development")?.value], [8, 3, 5]);
    // A test on a variable depends on the deployment, not on the section: both branches stay, as written (the first pool: counts).
    const variable = parseDatabaseYml("production:\n  adapter: postgresql\n  <% if ENV[\"BIG\"] %>\n  pool: 50\n  <% else %>\n  pool: 5\n  <% end %>\n  <% if Rails.env.production? %>\n  host: db\n  <% end %>\n", "config/database.yml");
    assert.equal(variable.environments.get("production")?.pool?.value, 50);
  });
  it("reads `||` chains and ternaries in a pool's ERB: the deployment's environment picks the value", () => {
    const text = [
      "default: &default",
      "  adapter: postgresql",
      "  pool: <%= ENV[\"DB_POOL\"] || ENV['MAX_THREADS'] || 5 %>",
      "",
      "production:",
      "  <<: *default",
      "  pool: <%= ENV[\"DB_POOL\"] || (Rails.env.production? ? 20 : 5) %>",
      "staging:",
      "  <<: *default",
      "",
    ].join("\n");
    const yml = parseDatabaseYml(text, "config/database.yml");
    const lookup = (set: Record<string, string>) => (name: string) => (set[name] === undefined ? undefined : { value: set[name], origin: "stated" as const });
    const staging = yml.environments.get("staging")?.pool;
    assert.ok(staging);
    assert.deepEqual([settingNumber(staging, "d", lookup({})), settingNumber(staging, "d", lookup({ MAX_THREADS: "8" })), settingNumber(staging, "d", lookup({ DB_POOL: "3", MAX_THREADS: "8" }))].map((f) => f?.value), [5, 8, 3]);
    const production = yml.environments.get("production")?.pool;
    assert.ok(production);
    const twenty = settingNumber(production, "d", lookup({}));
    assert.equal(twenty?.value, 20);
    assert.equal(slice(text, twenty?.at), "20");
    assert.equal(settingNumber(production, "d", lookup({ RAILS_ENV: "development" }))?.value, 5);
  });
  it("reads [ENV.fetch(...).to_i, n].max and integer tests in a pool's ERB from the environment", () => {
    const text = 'production:\n  adapter: postgresql\n  pool: <%= [ENV.fetch("RAILS_MAX_THREADS", 5).to_i, 10].max %>\nstaging:\n  adapter: postgresql\n  pool: <%= ENV["DB_POOL"].to_i > 0 ? ENV["DB_POOL"].to_i : 12 %>\n';
    const yml = parseDatabaseYml(text, "config/database.yml");
    const lookup = (set: Record<string, string>) => (name: string) => (set[name] === undefined ? undefined : { value: set[name], origin: "stated" as const });
    const production = yml.environments.get("production")?.pool;
    const staging = yml.environments.get("staging")?.pool;
    assert.ok(production && staging);
    assert.deepEqual(([{}, { RAILS_MAX_THREADS: "20" }, { RAILS_MAX_THREADS: "3" }] as Array<Record<string, string>>).map((set) => settingNumber(production, "d", lookup(set))?.value), [10, 20, 10]);
    assert.equal(slice(text, settingNumber(production, "d", lookup({}))?.at), "10");
    assert.deepEqual(([{}, { DB_POOL: "30" }] as Array<Record<string, string>>).map((set) => settingNumber(staging, "d", lookup(set))?.value), [12, 30]);
  });
  it("reads a Sidekiq.server? group inside a `||` chain (Mastodon's pool) as each process's expression, offsets kept", () => {
    for (const group of [
      "(if Sidekiq.server? then Sidekiq.default_configuration[:concurrency] else ENV['MAX_THREADS'] end)",
      "(Sidekiq.server? ? Sidekiq[:concurrency] : ENV['MAX_THREADS'])",
    ]) {
      const text = ["production:", "  adapter: postgresql", `  pool: <%= ENV["DB_POOL"] || ${group} || 5 %>`, ""].join("\n");
      const section = parseDatabaseYml(text, "config/database.yml").environments.get("production");
      assert.equal(section?.pool?.kind, "env");
      assert.equal(section?.pool?.envName, "DB_POOL");
      assert.equal(section?.pool?.fallback?.envName, "MAX_THREADS");
      assert.equal(section?.pool?.fallback?.envDefault?.value, "5");
      assert.equal(slice(text, section?.pool?.fallback?.envDefault?.span), "5");
      // Sidekiq's branch reads its concurrency, not a value of the file: not known here (never MAX_THREADS).
      assert.equal(section?.sidekiqPool?.kind, "unknown");
    }
    // A branch with a block of its own is not read.
    const nested = ["production:", "  pool: <%= ENV['DB_POOL'] || (if Sidekiq.server? then (if x then 1 else 2 end) else 5 end) %>", ""].join("\n");
    assert.equal(parseDatabaseYml(nested, "config/database.yml").environments.get("production")?.sidekiqPool, undefined);
  });
});
