// Runs the settings-file parsers over every real config in the shared corpus
// (../shared/corpus/real relative to the repo root): none may throw, and a few files whose
// contents we know are checked in detail. Skips with a message when the corpus is absent.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { parseGunicornConf } from "../../server/src/engine/parse/gunicorn-conf.ts";
import { parsePostgresConf } from "../../server/src/engine/parse/postgres-conf.ts";
import { parsePumaRb } from "../../server/src/engine/parse/puma-rb.ts";
import type { SettingExpr } from "../../server/src/engine/parse/setting-expr.ts";

const repoRoot = path.resolve(__dirname, "..", "..");
const ROOT = `${path.resolve(repoRoot, "../shared/corpus/real")}/`;
const skip = existsSync(ROOT) ? false : `corpus not found at ${ROOT}`;

interface Parsed {
  settings: Map<string, SettingExpr>;
  problems: unknown[];
}

function readAll(kind: string, parse: (text: string, file: string) => Parsed): Map<string, Parsed> {
  const out = new Map<string, Parsed>();
  const dir = `${ROOT}${kind}/`;
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const text = readFileSync(dir + name, "utf8");
    out.set(name, parse(text, `${kind}/${name}`));
  }
  return out;
}

const RECOGNISED = new Set(["number", "env", "cpu-count"]);

describe("real configs from the corpus", { skip }, () => {
  test("gunicorn config files", (t) => {
    const all = readAll("gunicorn", parseGunicornConf);
    assert.ok(all.size >= 10, `found ${all.size} files`);
    for (const [name, r] of all) {
      t.diagnostic(`${name}: ${r.settings.size} settings, ${r.problems.length} problems`);
      assert.deepEqual(r.problems, [], name);
      const w = r.settings.get("workers");
      assert.ok(w, `${name}: workers`);
      assert.ok(RECOGNISED.has(w.kind), `${name}: workers is ${w.kind}`);
    }
    const tiangolo = all.get("tiangolo__uvicorn-gunicorn-docker__docker-images__gunicorn_conf.py");
    const tw = tiangolo?.settings.get("workers");
    assert.equal(tw?.kind, "env");
    assert.equal(tw?.envName, "WEB_CONCURRENCY");
    assert.equal(tw?.fallback?.kind, "cpu-count");
    assert.deepEqual(tw?.fallback?.cpuFormula, { multiplier: 1, add: 0, min: 2, multiplierEnv: "WORKERS_PER_CORE" });
    assert.equal(tw?.fallback?.conditional, true, "MAX_WORKERS may cap it");
    assert.equal(tiangolo?.settings.get("keepalive")?.envDefault?.value, "5");
    assert.equal(tiangolo?.settings.get("timeout")?.envDefault?.value, "120");
    for (const nick of ["nickjj__docker-django-example__src__config__gunicorn.py", "nickjj__docker-flask-example__config__gunicorn.py"]) {
      const r = all.get(nick);
      const w = r?.settings.get("workers");
      assert.equal(w?.kind, "env", nick);
      assert.equal(w?.envName, "WEB_CONCURRENCY");
      assert.deepEqual(w?.fallback?.cpuFormula, { multiplier: 2, add: 0 });
      assert.equal(r?.settings.get("threads")?.envDefault?.value, "1");
    }
    assert.equal(all.get("paperless-ngx__paperless-ngx__docker__gunicorn.conf.py")?.settings.get("workers")?.value, 3);
    assert.deepEqual(
      all.get("deacons1__ma-agent__gunicorn_config.py")?.settings.get("workers")?.cpuFormula,
      { multiplier: 2, add: 1 },
    );
    assert.equal(all.get("hypothesis__h__conf__gunicorn.conf.py")?.settings.get("workers")?.envName, "WEB_NUM_WORKERS");
  });

  test("puma config files", (t) => {
    const all = readAll("puma", parsePumaRb);
    assert.ok(all.size >= 6, `found ${all.size} files`);
    for (const [name, r] of all) {
      t.diagnostic(`${name}: ${r.settings.size} settings, ${r.problems.length} problems`);
      assert.deepEqual(r.problems, [], name);
      assert.ok(r.settings.has("max_threads"), `${name}: threads`);
    }
    const mastodon = all.get("mastodon__mastodon__config__puma.rb");
    assert.equal(mastodon?.settings.get("workers")?.envName, "WEB_CONCURRENCY");
    assert.equal(mastodon?.settings.get("workers")?.envDefault?.value, "2");
    assert.equal(mastodon?.settings.get("max_threads")?.envName, "MAX_THREADS");
    assert.equal(mastodon?.settings.get("preload_app")?.value, true);
    assert.equal(mastodon?.settings.get("bind")?.conditional, true);
    // chatwoot comments `workers` out; nickjj assigns a local named `workers` (not the DSL)
    assert.equal(all.get("chatwoot__chatwoot__config__puma.rb")?.settings.has("workers"), false);
    assert.equal(all.get("nickjj__docker-rails-example__config__puma.rb")?.settings.has("workers"), false);
    assert.equal(all.get("dvdpostweb__moovies__config__puma.rb")?.settings.get("workers")?.envDefault?.value, "4");
    assert.equal(all.get("nonpartisan09__class_scheduler__config__puma.rb")?.settings.get("workers")?.envDefault?.value, "3");
    assert.equal(all.get("skyderby__skyderby__config__puma.rb")?.settings.get("workers")?.envDefault?.value, "1");
  });

  test("postgresql.conf files", (t) => {
    const all = readAll("postgres", (text, file) => parsePostgresConf(text, file));
    assert.ok(all.size >= 1);
    for (const [name, r] of all) {
      t.diagnostic(`${name}: ${r.settings.size} settings, ${r.problems.length} problems`);
      assert.deepEqual(r.problems, [], name);
    }
    const r = all.get("zanfranceschi__rinha-de-backend-2024-q1__participantes__bbonagura9__postgresql.conf");
    assert.equal(r?.settings.get("max_connections")?.value, 200);
    assert.equal(r?.settings.get("shared_buffers")?.value, "75MB");
    assert.equal(r?.settings.get("fsync")?.value, false);
    assert.equal(r?.settings.size, 17);
  });
});
