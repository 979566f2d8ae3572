// What Heroku sets up for an app described by app.json beside its Procfile: the WEB_CONCURRENCY its
// language buildpack exports at dyno boot when no config var sets it, and the connection limit of the
// Heroku Postgres plan its `addons` (or heroku.yml's `setup.addons`) provision.
import type { Fact } from "../types.ts";
import type { HerokuAppJson } from "../parse/app-json.ts";

/**
 * WEB_CONCURRENCY by dyno size. The Python buildpack (vendor/WEB_CONCURRENCY.sh, SOURCES.herokuPythonWebConcurrency)
 * takes the lower of 2 x CPUs + 1 and MB of RAM / 256 and lists the results; the Ruby buildpack writes its
 * table (SOURCES.herokuRubyWebConcurrency) only when the SENSIBLE_DEFAULTS config var is set, and otherwise
 * an empty WEB_CONCURRENCY.sh that leaves the variable unset. Sizes missing here (performance-l-ram, -xl, -2xl)
 * are not guessed.
 */
const PYTHON_WEB_CONCURRENCY: Record<string, number> = {
  eco: 2, basic: 2, "standard-1x": 2, free: 2, hobby: 2,
  "standard-2x": 4, "private-s": 4, "shield-s": 4,
  "performance-m": 5, "private-m": 5, "shield-m": 5,
  "performance-l": 17, "private-l": 17, "shield-l": 17,
};
const RUBY_WEB_CONCURRENCY: Record<string, number> = {
  eco: 2, basic: 2, "standard-1x": 2, free: 2, hobby: 2,
  "standard-2x": 4, "performance-m": 8, "performance-l": 16,
};
/** A process type without a size runs on the account's default dyno: eco, basic or standard-1x, 512 MB each. */
const DEFAULT_SIZE = "standard-1x";

/**
 * Connections Heroku Postgres allows the app's role per plan (SOURCES.herokuPostgresLimits, a secondary
 * reading of Heroku's plans page: the message says so and facts.max_connections overrides it). The plans
 * retired in 2022 (hobby-dev, hobby-basic) allowed 20, as `heroku pg:info` showed them.
 */
const POSTGRES_CONNECTIONS: Record<string, number> = {
  "essential-0": 20, "essential-1": 20, "essential-2": 40,
  "standard-0": 120, "standard-2": 400, "premium-0": 120, "premium-2": 400,
  "hobby-dev": 20, "hobby-basic": 20,
};

export type HerokuLanguage = "python" | "ruby";

/**
 * The language buildpack that runs the app: the last of app.json's `buildpacks` (the primary language),
 * else the one the Procfile's commands are written for (gunicorn, uvicorn, fastapi, celery: Python; puma, unicorn,
 * sidekiq, rails, bundle exec: Ruby), when they are all of one language.
 */
export function herokuLanguage(app: HerokuAppJson, procfileText: string): HerokuLanguage | undefined {
  const last = app.buildpacks.at(-1);
  if (last !== undefined) return /(^heroku\/|heroku-buildpack-)python\b/.test(last) ? "python" : /(^heroku\/|heroku-buildpack-)ruby\b/.test(last) ? "ruby" : undefined;
  const python = /\b(gunicorn|uvicorn|hypercorn|granian|daphne|celery|python3?|waitress-serve|uwsgi|fastapi)\b/.test(procfileText);
  const ruby = /\b(puma|unicorn|sidekiq|rails|rake|bundle|good_job|solid_queue)\b/.test(procfileText);
  return python === ruby ? undefined : python ? "python" : "ruby";
}

/** The WEB_CONCURRENCY the buildpack exports for this process type's dynos, when no config var sets it. */
export function herokuWebConcurrency(app: HerokuAppJson, processType: string, language: HerokuLanguage | undefined): Fact<string> | undefined {
  if (app.env.has("WEB_CONCURRENCY") || language === undefined || !describesHerokuApp(app)) return undefined;
  if (language === "ruby" && !app.env.get("SENSIBLE_DEFAULTS")?.value) return undefined;
  const size = app.size.get(processType);
  const name = (size?.value ?? DEFAULT_SIZE).toLowerCase();
  const value = (language === "python" ? PYTHON_WEB_CONCURRENCY : RUBY_WEB_CONCURRENCY)[name];
  if (value === undefined) return undefined;
  const dyno = size ? `a ${name} dyno` : `a ${DEFAULT_SIZE} (or eco, basic) dyno: app.json gives no size`;
  return { value: String(value), origin: "default", by: `Heroku's ${language === "python" ? "Python" : "Ruby"} buildpack on ${dyno}`, ...(size?.at ? { at: size.at } : {}) };
}

/** Whether app.json says anything Heroku reads (an app.json of another tool, such as Expo's, does not). */
function describesHerokuApp(app: HerokuAppJson): boolean {
  return app.env.size + app.quantity.size + app.size.size + app.addons.length + app.buildpacks.length > 0;
}

/** The Heroku Postgres plan among an app's add-ons (app.json's, heroku.yml's setup.addons), with its connection limit when the plan is known. */
export function herokuPostgres(addons: ReadonlyArray<Fact<string>>): { plan: Fact<string>; connections: number } | undefined {
  for (const addon of addons) {
    const [service, plan] = addon.value.split(":");
    if (service !== "heroku-postgresql" || plan === undefined) continue;
    const connections = POSTGRES_CONNECTIONS[plan.toLowerCase()];
    if (connections !== undefined) return { plan: addon, connections };
  }
  return undefined;
}
