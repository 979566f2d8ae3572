import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseAppJson } from "../../server/src/engine/parse/app-json.ts";
import { herokuLanguage, herokuPostgres, herokuWebConcurrency } from "../../server/src/engine/model/heroku.ts";

const app = (json: object) => {
  const parsed = parseAppJson(JSON.stringify(json, null, 2), "app.json");
  assert.ok(parsed);
  return parsed;
};

describe("Heroku app.json: buildpack WEB_CONCURRENCY and Postgres plans", () => {
  test("the Python buildpack's WEB_CONCURRENCY follows the process type's dyno size, 2 when none is given", () => {
    const sized = app({ formation: { web: { size: "Performance-M" }, big: { size: "performance-l" }, mid: { size: "standard-2x" }, odd: { size: "performance-2xl" } } });
    assert.equal(herokuWebConcurrency(sized, "web", "python")?.value, "5");
    assert.equal(herokuWebConcurrency(sized, "big", "python")?.value, "17");
    assert.equal(herokuWebConcurrency(sized, "mid", "python")?.value, "4");
    assert.equal(herokuWebConcurrency(sized, "worker", "python")?.value, "2");
    assert.equal(herokuWebConcurrency(sized, "odd", "python"), undefined, "a size the buildpack's table does not list is not guessed");
    const at = herokuWebConcurrency(sized, "web", "python")?.at;
    assert.ok(at);
    assert.equal(at.file, "app.json");
  });

  test("a config var wins; the Ruby buildpack sets WEB_CONCURRENCY only with SENSIBLE_DEFAULTS", () => {
    assert.equal(herokuWebConcurrency(app({ env: { WEB_CONCURRENCY: "3" } }), "web", "python"), undefined);
    const ruby = app({ formation: { web: { size: "performance-l" } } });
    assert.equal(herokuWebConcurrency(ruby, "web", "ruby"), undefined);
    const sensible = app({ env: { SENSIBLE_DEFAULTS: { value: "enabled" } }, formation: { web: { size: "performance-l" } } });
    assert.equal(herokuWebConcurrency(sensible, "web", "ruby")?.value, "16");
    assert.equal(herokuWebConcurrency(sensible, "web", undefined), undefined);
    assert.equal(herokuWebConcurrency(app({ name: "x", expo: { slug: "x" } }), "web", "python"), undefined, "an app.json Heroku reads nothing from sets up no dyno");
  });

  test("the language is the last buildpack's, else the Procfile's commands' when they agree", () => {
    assert.equal(herokuLanguage(app({ buildpacks: [{ url: "heroku/nodejs" }, { url: "heroku/python" }] }), "web: bundle exec puma"), "python");
    assert.equal(herokuLanguage(app({ buildpacks: [{ url: "https://github.com/heroku/heroku-buildpack-ruby" }] }), ""), "ruby");
    assert.equal(herokuLanguage(app({ buildpacks: [{ url: "heroku/nodejs" }] }), "web: gunicorn app:app"), undefined);
    assert.equal(herokuLanguage(app({}), "web: gunicorn app:app\nworker: celery -A app worker"), "python");
    assert.equal(herokuLanguage(app({}), "web: bundle exec puma -C config/puma.rb"), "ruby");
    assert.equal(herokuLanguage(app({}), "web: bundle exec puma\nml: gunicorn model:app"), undefined);
  });

  test("heroku-postgresql add-ons, as a string or an object's plan, give the plan's connection limit", () => {
    assert.deepEqual(herokuPostgres(app({ addons: ["heroku-redis:mini", "heroku-postgresql:essential-2"] }).addons)?.connections, 40);
    assert.deepEqual(herokuPostgres(app({ addons: [{ plan: "heroku-postgresql:standard-0", as: "DATABASE" }] }).addons)?.connections, 120);
    assert.equal(herokuPostgres(app({ addons: ["heroku-postgresql"] }).addons), undefined, "no plan written: no limit assumed");
    assert.equal(herokuPostgres(app({ addons: ["heroku-postgresql:standard-9"] }).addons), undefined);
    const plan = herokuPostgres(app({ addons: ["heroku-postgresql:essential-0"] }).addons)?.plan;
    assert.equal(plan?.value, "heroku-postgresql:essential-0");
  });
});
