import { SOURCES } from "../../knowledge/sources.ts";
import type { Fact, Fix } from "../../types.ts";
import { defineRule } from "../define.ts";
import { replaceNumber } from "../proxy/chain.ts";

export default defineRule({
  meta: {
    id: "db/django-pool-with-conn-max-age",
    summary: "Django's connection pool with CONN_MAX_AGE set: Django refuses to open a connection",
    severity: "error",
    fix: "unsafe",
    sources: [SOURCES.djangoPoolRefusesConnMaxAge, SOURCES.djangoConnectionPool, SOURCES.djangoConnMaxAge],
    docs: {
      why:
        "Django 5.1's connection pool (`\"OPTIONS\": {\"pool\": True}` or a dict of psycopg_pool options) manages how long " +
        "connections live; persistent connections (CONN_MAX_AGE, an older way to keep them) cannot be combined with it. When " +
        "the pool is first used, Django checks `CONN_MAX_AGE != 0` and raises ImproperlyConfigured: \"Pooling doesn't support " +
        "persistent connections.\" The process starts, then every request that touches the database fails with it. It happens " +
        "when a pool is added to settings that already set CONN_MAX_AGE (`dj_database_url.config(conn_max_age=600)`, a " +
        "`CONN_MAX_AGE` variable, None for unlimited counts too). The finding points at CONN_MAX_AGE as Headroom reads it from " +
        "the settings module (`DJANGO_SETTINGS_MODULE`, else `<project>.settings`, and the module it star-imports), or at the " +
        "line that sets the variable it reads. The fix (unsafe: dropping the pool instead is the other way out) sets it to 0.",
      bad: {
        "docker-compose.yml": "services:\n  web:\n    build: .\n    command: gunicorn shop.wsgi --workers 3 --threads 4\n    environment:\n      POSTGRES_HOST: db\n  db:\n    image: postgres:17\n",
        "shop/settings.py":
          'DATABASES = {\n    "default": {\n        "ENGINE": "django.db.backends.postgresql",\n        "HOST": "db",\n        "CONN_MAX_AGE": 600,\n        "OPTIONS": {"pool": {"min_size": 2, "max_size": 4}},\n    }\n}\n',
      },
      good: {
        "docker-compose.yml": "services:\n  web:\n    build: .\n    command: gunicorn shop.wsgi --workers 3 --threads 4\n    environment:\n      POSTGRES_HOST: db\n  db:\n    image: postgres:17\n",
        "shop/settings.py":
          'DATABASES = {\n    "default": {\n        "ENGINE": "django.db.backends.postgresql",\n        "HOST": "db",\n        "CONN_MAX_AGE": 0,\n        "OPTIONS": {"pool": {"min_size": 2, "max_size": 4}},\n    }\n}\n',
      },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      const pool = deployment.pool?.djangoPool;
      const maxAge = pool?.connMaxAge;
      if (!pool || !maxAge?.at) continue;
      const value = maxAge.value === null ? "None" : String(maxAge.value);
      const fix = setToZero(maxAge, text);
      report({
        at: maxAge.at,
        deployment,
        message:
          `CONN_MAX_AGE ${value} with Django's connection pool: Django refuses persistent connections with a pool and raises ` +
          `ImproperlyConfigured ("Pooling doesn't support persistent connections.") when ${deployment.name} first opens a connection, ` +
          "so every request that uses the database fails. Set CONN_MAX_AGE to 0 (the pool keeps the connections), or drop the pool.",
        related: [{ at: pool.at, message: "the connection pool (OPTIONS pool) is enabled here" }],
        fixes: fix ? [fix] : [],
      });
    }
  },
});

/** CONN_MAX_AGE set to 0 where it is written: a number (quotes kept), or Python's None. */
function setToZero(maxAge: Fact<number | null>, text: (file: string) => string | undefined): Fix | undefined {
  const title = "Set CONN_MAX_AGE to 0";
  const at = maxAge.at;
  if (maxAge.value !== null) {
    const fix = replaceNumber(maxAge as Fact<number>, 0, title, text);
    return fix && { ...fix, safe: false };
  }
  return at && maxAge.origin === "stated" && text(at.file)?.slice(at.start, at.end) === "None" ? { title, safe: false, edits: [{ ...at, newText: "0" }] } : undefined;
}
