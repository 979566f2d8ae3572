import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePumaRb } from "../../server/src/engine/parse/puma-rb.ts";
import { envConditionHolds, resolveBranches, settingNumber } from "../../server/src/engine/parse/setting-expr.ts";

const read = (text: string) => parsePumaRb(text, "config/puma.rb");
const at = (text: string, span?: { start: number; end: number }) => (span ? text.slice(span.start, span.end) : undefined);

test("literal DSL calls", () => {
  const text = "workers 2\nthreads 1, 5\nworker_timeout 60\nport 3000\npreload_app!\nbind 'tcp://0.0.0.0:9292'\n";
  const r = read(text);
  assert.equal(r.settings.get("workers")?.value, 2);
  assert.equal(at(text, r.settings.get("workers")?.span), "2");
  assert.equal(at(text, r.settings.get("workers")?.nameSpan), "workers");
  assert.equal(r.settings.get("min_threads")?.value, 1);
  assert.equal(r.settings.get("max_threads")?.value, 5);
  assert.equal(r.settings.get("worker_timeout")?.value, 60);
  assert.equal(r.settings.get("port")?.value, 3000);
  assert.equal(r.settings.get("preload_app")?.value, true);
  assert.equal(r.settings.get("bind")?.value, "tcp://0.0.0.0:9292");
  assert.deepEqual(r.problems, []);
});

test("ENV.fetch with block and argument defaults, ENV[] || default, Integer()", () => {
  const text = [
    `workers ENV.fetch("WEB_CONCURRENCY") { 2 }`,
    `port ENV.fetch("PORT", 3000)`,
    `worker_timeout Integer(ENV['WORKER_TIMEOUT'] || 60)`,
    `persistent_timeout ENV.fetch('PERSISTENT_TIMEOUT') { 20 }.to_i`,
    ``,
  ].join("\n");
  const r = read(text);
  const w = r.settings.get("workers");
  assert.equal(w?.kind, "env");
  assert.equal(w?.envName, "WEB_CONCURRENCY");
  assert.equal(w?.envDefault?.value, "2");
  assert.equal(at(text, w?.envDefault?.span), "2");
  assert.equal(r.settings.get("port")?.envDefault?.value, "3000");
  const t = r.settings.get("worker_timeout");
  assert.equal(t?.envName, "WORKER_TIMEOUT");
  assert.equal(t?.envDefault?.value, "60");
  assert.equal(r.settings.get("persistent_timeout")?.envDefault?.value, "20");
});

test("threads from local variables (Rails generator)", () => {
  const text = [
    `max_threads_count = ENV.fetch("RAILS_MAX_THREADS") { 5 }`,
    `min_threads_count = ENV.fetch("RAILS_MIN_THREADS") { max_threads_count }`,
    `threads min_threads_count, max_threads_count`,
    ``,
  ].join("\n");
  const r = read(text);
  const max = r.settings.get("max_threads");
  assert.equal(max?.envName, "RAILS_MAX_THREADS");
  assert.equal(max?.envDefault?.value, "5");
  assert.equal(at(text, max?.span), "max_threads_count");
  assert.ok(max?.via?.some((v) => v.note.includes("max_threads_count")));
  const min = r.settings.get("min_threads");
  assert.equal(min?.envName, "RAILS_MIN_THREADS");
  assert.equal(min?.fallback?.envName, "RAILS_MAX_THREADS");
});

test("a single threads argument sets min and max", () => {
  const r = read("threads 8\n");
  assert.equal(r.settings.get("min_threads")?.value, 8);
  assert.equal(r.settings.get("max_threads")?.value, 8);
});

test("local `workers = …` is not the DSL call", () => {
  const r = read(`workers = ENV.fetch("WEB_CONCURRENCY") { Etc.nprocessors * 2 }\n`);
  assert.equal(r.settings.has("workers"), false);
  const local = r.locals.get("workers");
  assert.equal(local?.kind, "env");
  assert.deepEqual(local?.fallback?.cpuFormula, { multiplier: 2, add: 0 });
});

test("CPU formulas", () => {
  assert.deepEqual(read("workers Etc.nprocessors\n").settings.get("workers")?.cpuFormula, { multiplier: 1, add: 0 });
  assert.deepEqual(read("workers Concurrent.processor_count * 2 + 1\n").settings.get("workers")?.cpuFormula, { multiplier: 2, add: 1 });
  // The host's physical cores: no cgroup quota either.
  assert.deepEqual(read("workers Concurrent.physical_processor_count\n").settings.get("workers")?.cpuFormula, { multiplier: 1, add: 0 });
  // Reads the cgroup CPU quota (concurrent-ruby 1.3): not the host's count.
  assert.equal(read("workers Concurrent.available_processor_count\n").settings.get("workers")?.kind, "unknown");
});

test("conditionals, blocks, comments", () => {
  const text = [
    `# workers 9`,
    `=begin`,
    `workers 8`,
    `=end`,
    `if ENV["CLUSTER"]`,
    `  workers 4`,
    `end`,
    `on_worker_boot do`,
    `  threads 1, 1`,
    `end`,
    `worker_timeout 3600 if ENV.fetch("RAILS_ENV", "development") == "development"`,
    `port 3000 # the port`,
    `bind "unix://#{ENV['SOCKET']}"`,
    `workers(3) unless ENV["SINGLE"]`,
    ``,
  ].join("\n");
  const r = read(text);
  const w = r.settings.get("workers");
  assert.equal(w?.value, 3);
  assert.equal(w?.conditional, true);
  assert.equal(r.settings.has("min_threads"), false);
  assert.equal(r.settings.get("worker_timeout")?.conditional, true);
  assert.equal(r.settings.get("port")?.value, 3000);
  assert.equal(r.settings.get("bind")?.kind, "unknown");
});

test("parenthesised calls and continuation lines", () => {
  const r = read("threads(2,\n  4)\nworkers(ENV.fetch(\"W\") { 3 })\n");
  assert.equal(r.settings.get("max_threads")?.value, 4);
  assert.equal(r.settings.get("workers")?.envDefault?.value, "3");
});

test("a default that is another variable with its own default: ENV.fetch in a fetch block, || chains", () => {
  for (const text of [
    `workers ENV.fetch("DB_POOL") { ENV.fetch("RAILS_MAX_THREADS") { 5 } }`,
    `workers ENV.fetch("DB_POOL") { ENV["RAILS_MAX_THREADS"] || 5 }`,
    `workers ENV['DB_POOL'] || ENV['RAILS_MAX_THREADS'] || 5`,
  ]) {
    const w = read(text).settings.get("workers");
    assert.ok(w, text);
    assert.equal(w.envName, "DB_POOL", text);
    assert.equal(w.fallback?.envName, "RAILS_MAX_THREADS", text);
    const unset = settingNumber(w, "config/puma.rb", () => undefined);
    assert.equal(unset?.value, 5, text);
    assert.equal(at(text, unset?.at), "5", text);
    const inner = settingNumber(w, "config/puma.rb", (name) => (name === "RAILS_MAX_THREADS" ? { value: "8", origin: "stated" } : undefined));
    assert.equal(inner?.value, 8, text);
    const outer = settingNumber(w, "config/puma.rb", (name) => ({ value: name === "DB_POOL" ? "12" : "8", origin: "stated" }));
    assert.equal(outer?.value, 12, text);
  }
});

test("never throws on broken input", () => {
  for (const text of ["workers ENV.fetch(", "threads 1,", "workers 'x", "end\nend\n", "do\n", "workers ENV.fetch('X') {", "=begin\n"]) {
    assert.ok(read(text).settings instanceof Map, text);
  }
});

test("Rails.env conditions and if/elsif/else branches: the branch the environment runs", () => {
  const text =
    'threads 5, 5\nif Rails.env.production?\n  workers ENV.fetch("WEB_CONCURRENCY", 6)\nelsif Rails.env == "staging"\n  workers 2\nelse\n  workers 0\nend\n' +
    'plugin :solid_queue unless Rails.env.development?\npreload_app! if "production" != Rails.env\n';
  const { settings } = parsePumaRb(text, "config/puma.rb");
  const vars = (set: Record<string, string>) => (name: string) => set[name];
  const workersIn = (set: Record<string, string>) => {
    const setting = resolveBranches(settings, vars(set)).get("workers");
    return setting && settingNumber(setting, "config/puma.rb", (name) => { const value = set[name]; return value === undefined ? undefined : { value, origin: "stated" }; })?.value;
  };
  // RAILS_ENV, else RACK_ENV, else production (a deployment).
  assert.deepEqual([workersIn({}), workersIn({ RAILS_ENV: "production", WEB_CONCURRENCY: "3" }), workersIn({ RAILS_ENV: "staging" }), workersIn({ RACK_ENV: "development" })], [6, 3, 2, 0]);
  // Written once: resolveBranches leaves it; its condition says when it runs.
  const plugin = settings.get("plugin:solid_queue")?.when;
  assert.ok(plugin && envConditionHolds(plugin, vars({})) && !envConditionHolds(plugin, vars({ RAILS_ENV: "development" })));
  const preload = settings.get("preload_app")?.when;
  assert.ok(preload && !envConditionHolds(preload, vars({})) && envConditionHolds(preload, vars({ RAILS_ENV: "test" })));
  // A setting written in a branch no environment runs is not set; one under a test Headroom cannot read stays as written.
  const dev = parsePumaRb("if Rails.env.development?\n  workers 0\nelse\n  workers 4 if ENV[\"BIG\"]\nend\n", "p.rb").settings;
  assert.equal(resolveBranches(dev, vars({})).get("workers"), undefined);
  assert.equal(resolveBranches(dev, vars({ BIG: "1" })).get("workers")?.value, 4);
  const unread = parsePumaRb("if Rails.env.production? || Rails.env.staging?\n  workers 4\nelse\n  workers 1\nend\n", "p.rb").settings;
  assert.equal(resolveBranches(unread, vars({})).get("workers")?.value, 1);
});

test("ternaries on a test Headroom reads: the environment picks the value; `||` and ternaries combined", () => {
  const text =
    'threads_count = ENV.fetch("RAILS_MAX_THREADS") { Rails.env.production? ? 16 : 5 }\nthreads threads_count, threads_count\n' +
    "workers Integer(ENV['WEB_CONCURRENCY'] || (Rails.env.production? ? 6 : 0))\n" +
    'port ENV["PORT"] ? ENV["PORT"] : 3000\npersistent_timeout ENV["SLOW"] == "yes" ? 75 : 20\n';
  const { settings } = parsePumaRb(text, "config/puma.rb");
  const numberIn = (key: string, set: Record<string, string>) =>
    settingNumber(settings.get(key) as NonNullable<ReturnType<typeof settings.get>>, "config/puma.rb", (name) => (set[name] === undefined ? undefined : { value: set[name], origin: "stated" }));
  assert.deepEqual([numberIn("workers", {}), numberIn("workers", { RAILS_ENV: "development" }), numberIn("workers", { WEB_CONCURRENCY: "2" })].map((f) => f?.value), [6, 0, 2]);
  // The literal of the branch taken is where the value is written (a finding and its fix point there).
  const six = numberIn("workers", {})?.at;
  assert.equal(six && text.slice(six.start, six.end), "6");
  assert.deepEqual([numberIn("max_threads", {}), numberIn("max_threads", { RACK_ENV: "test" }), numberIn("max_threads", { RAILS_MAX_THREADS: "8" })].map((f) => f?.value), [16, 5, 8]);
  assert.deepEqual([numberIn("persistent_timeout", {}), numberIn("persistent_timeout", { SLOW: "yes" })].map((f) => f?.value), [20, 75]);
  assert.deepEqual([numberIn("port", { PORT: "8080" }), numberIn("port", {})].map((f) => f?.value), [8080, 3000]);
  // A test Headroom does not read (a comparison of two variables, two tests): no branch is guessed.
  for (const unread of ["workers ENV['WEB_CONCURRENCY'].to_i > ENV['MIN'].to_i ? 4 : 2\n", "workers ENV['WEB_CONCURRENCY'] > 2 ? 4 : 2\n", "workers Rails.env.production? || Rails.env.staging? ? 4 : 0\n", "workers Rails.env.production? ? 4\n"]) {
    const setting = parsePumaRb(unread, "p.rb").settings.get("workers");
    assert.equal(setting?.kind, "unknown", unread);
    assert.equal(setting && settingNumber(setting, "p.rb", () => undefined), undefined, unread);
  }
});

test("integer tests and [a, b].max/.min on a variable's to_i (Discourse's puma.rb): evaluated from the environment, else unknown", () => {
  const numberOf = (text: string, set: Record<string, string | undefined> = {}) => {
    const { settings } = parsePumaRb(text, "p.rb");
    const workers = resolveBranches(settings, (name) => set[name]).get("workers");
    return workers && settingNumber(workers, "p.rb", (name) => { const value = set[name]; return value === undefined ? undefined : { value, origin: "stated" }; })?.value;
  };
  // nil.to_i and "junk".to_i are 0, " 6".to_i is 6, as Ruby's String#to_i.
  const discourse = 'if ENV["RAILS_ENV"] == "production"\n  num_workers = ENV["NUM_WEBS"].to_i > 0 ? ENV["NUM_WEBS"].to_i : 4\n  workers "#{num_workers}"\n  threads 8, 32\nend\n';
  assert.deepEqual([{}, { NUM_WEBS: "6" }, { NUM_WEBS: "0" }, { NUM_WEBS: "junk" }].map((set) => numberOf(discourse, { RAILS_ENV: "production", ...set })), [4, 6, 4, 4]);
  assert.deepEqual([{}, { WEB_CONCURRENCY: "0" }, { WEB_CONCURRENCY: "8" }].map((set) => numberOf('workers [ENV.fetch("WEB_CONCURRENCY", 2).to_i, 1].max\n', set)), [2, 1, 8]);
  assert.deepEqual([{}, { WEB_CONCURRENCY: "2" }].map((set) => numberOf("workers [ENV.fetch('WEB_CONCURRENCY') { 8 }.to_i, 4].min\n", set)), [4, 2]);
  assert.equal(numberOf("n = ENV['WORKERS'].to_i\nworkers n >= 2 ? n : 2\n", { WORKERS: "3" }), 3);
  assert.equal(numberOf("workers [3, 2, 7].max\n"), 7);
  // to_i gives 0, never nil: `|| 4` is never taken, and the unset variable's value is not guessed.
  assert.equal(numberOf("workers ENV['WEB_CONCURRENCY'].to_i || 4\n"), undefined);
  // Without to_i (a String compared with an Integer raises), with a CPU count or two variables: unknown.
  for (const unread of ['workers [ENV.fetch("WEB_CONCURRENCY", 2), 1].max\n', "workers [Etc.nprocessors, 8].min\n", "workers [ENV['A'].to_i, ENV['B'].to_i].max\n", 'workers "#{ENV["W"]}0"\n']) {
    assert.equal(numberOf(unread, { WEB_CONCURRENCY: "4", A: "1", B: "2", W: "1" }), undefined, unread);
  }
});
