import { SOURCES } from "../../knowledge/sources.ts";
import type { Deployment, ServerProcess } from "../../model/types.ts";
import { optionValue, type ServerKind } from "../../parse/servers.ts";
import type { Fact, Fix, SourceRef } from "../../types.ts";
import { defineRule, type Report } from "../define.ts";
import { isDevDeployment } from "../production.ts";
import { removeOptionEdit } from "./edits.ts";

const PYTHON_SERVERS: ReadonlySet<ServerKind> = new Set(["gunicorn", "uvicorn", "hypercorn", "daphne", "granian", "uwsgi"]);
const RUBY_SERVERS: ReadonlySet<ServerKind> = new Set(["puma", "rails", "unicorn", "sidekiq"]);

/** Flask's own reading of FLASK_DEBUG: anything set and not 0/false/no turns debug on. */
function flaskTruthy(value: string): boolean {
  return value.trim() !== "" && !["0", "false", "no"].includes(value.trim().toLowerCase());
}

/** The spellings settings.py files commonly accept for a boolean DEBUG read from the environment. */
function commonTruthy(value: string): boolean {
  return ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

interface EnvCheck {
  names: string[];
  servers: ReadonlySet<ServerKind>;
  on: (value: string) => boolean;
  why: (name: string, value: string) => string;
  /** The value a fix writes, and whether that keeps the rest of the app working as is. */
  fix?: { value: string; safe: boolean };
}

const ENV_CHECKS: EnvCheck[] = [
  {
    names: ["FLASK_DEBUG"],
    servers: PYTHON_SERVERS,
    on: flaskTruthy,
    why: (name, value) =>
      `${name}=${value} turns on Flask's debug mode: under \`flask run\` that is the development server with the interactive debugger, ` +
      "which runs arbitrary Python code typed in the browser (Flask: do not enable it in production).",
    fix: { value: "0", safe: true },
  },
  {
    names: ["DJANGO_DEBUG", "DEBUG"],
    servers: PYTHON_SERVERS,
    on: commonTruthy,
    why: (name, value) =>
      `${name}=${value}: Django settings commonly read DEBUG from the environment, and with DEBUG on Django shows every visitor a ` +
      "traceback with the settings and remembers every SQL query it runs, which \"will rapidly consume memory on a production server\". " +
      "(Setting it off also needs ALLOWED_HOSTS.)",
    fix: { value: "False", safe: false },
  },
  {
    names: ["RAILS_ENV", "RACK_ENV"],
    servers: RUBY_SERVERS,
    on: (value) => value.trim().toLowerCase() === "development",
    why: (name) =>
      `${name}=development loads config/environments/development.rb: code reloaded on changes ("slows down response time"), no eager ` +
      "loading, and full error reports with source and backtrace shown to every visitor (consider_all_requests_local).",
    fix: { value: "production", safe: false },
  },
];

export default defineRule({
  meta: {
    id: "server/debug-in-production",
    summary: "A debug mode switched on in a deployment that is not clearly for development",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.flaskDebugger, SOURCES.djangoDebug, SOURCES.railsDevelopmentEnv, SOURCES.gunicornSpew, SOURCES.hypercornDebug],
    docs: {
      why:
        "Debug switches cost CPU and memory and leak internals: `FLASK_DEBUG=1` (the Werkzeug debugger runs any Python code typed " +
        "in the browser), `DEBUG=True`/`DJANGO_DEBUG=1` (Django shows tracebacks with settings to every visitor and remembers every SQL " +
        "query, which grows memory), `RAILS_ENV`/`RACK_ENV=development` (code reloading, no eager loading, full error pages), gunicorn " +
        "`--spew` (traces every line the server executes: \"the nuclear option\") and hypercorn `--debug` (\"extra logging and checks\"). Verbose log levels (`--log-level debug`) are not reported: they cost log volume, not correctness. " +
        "The environment switches are read from the deployment's own environment (compose, .env, App Runner variables, Dockerfile ENV) " +
        "and only for the servers they affect (Python servers for Flask/Django, Ruby servers for Rails/Rack). Like " +
        "`server/reload-in-production`, Headroom stays quiet when the compose file, folder or service says dev, local, test or e2e, or the service only runs under development profiles (`profiles: [dev]`), or bind-mounts its build context over the image's code (`.:/code` over `WORKDIR /code`) without a CPU or memory limit or replicas.",
      bad: {
        "docker-compose.yml": "services:\n  web:\n    image: web:latest\n    command: gunicorn app:app --workers 3 --bind 0.0.0.0:8000\n    environment:\n      FLASK_DEBUG: \"1\"\n",
      },
      good: {
        "docker-compose.yml": "services:\n  web:\n    image: web:latest\n    command: gunicorn app:app --workers 3 --bind 0.0.0.0:8000\n    environment:\n      FLASK_DEBUG: \"0\"\n",
        "docker-compose.dev.yml": "services:\n  web:\n    image: web:latest\n    command: flask run --host 0.0.0.0\n    environment:\n      FLASK_DEBUG: \"1\"\n",
      },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      const processes = deployment.processes.filter((p) => !isDevDeployment(deployment, p.commandAt.file, model));
      if (processes.length === 0) continue;
      for (const process of processes) checkFlags(deployment, process, report, text);
      const servers = new Set(processes.map((p) => p.invocation.server));
      for (const check of ENV_CHECKS) {
        if (![...servers].some((s) => check.servers.has(s))) continue;
        for (const name of check.names) {
          const fact = deployment.env.get(name);
          if (!fact?.at || !check.on(fact.value)) continue;
          report({
            at: fact.at,
            deployment,
            message: `${check.why(name, fact.value)} ${deployment.name} does not look like a development setup.`,
            fixes: check.fix ? envFix(fact, check.fix, text) : [],
          });
          break;
        }
      }
    }
  },
});

function checkFlags(deployment: Deployment, process: ServerProcess, report: (r: Report) => void, text: (file: string) => string | undefined): void {
  const server = process.invocation.server;
  const flag =
    server === "gunicorn"
      ? { option: optionValue(process.invocation, "spew"), why: "--spew installs a trace function that logs every line the server executes (gunicorn: \"the nuclear option\"): every request runs many times slower and floods the logs." }
      : server === "hypercorn"
        ? { option: optionValue(process.invocation, "debug"), why: "--debug runs hypercorn in debug mode (\"extra logging and checks\"), which costs time on every request and logs internals." }
        : undefined;
  const option = flag?.option;
  if (!flag || !option) return;
  const at: SourceRef = { file: option.flag.fact.at?.file ?? process.commandAt.file, start: option.flag.start, end: option.flag.end };
  const edit = removeOptionEdit(option, text);
  report({
    at,
    deployment,
    message: `${server} ${flag.why} ${deployment.name} does not look like a development setup.`,
    fixes: edit ? [{ title: `Remove ${option.flag.value}`, safe: true, edits: [edit] }] : [],
  });
}

function envFix(fact: Fact<string>, fix: { value: string; safe: boolean }, text: (file: string) => string | undefined): Fix[] {
  const at = fact.at;
  if (!at || text(at.file)?.slice(at.start, at.end) !== fact.value) return [];
  // Keep the spelling's style: DEBUG=true → false, DEBUG=1 → 0.
  const value = /^\d+$/.test(fact.value.trim()) && fix.value === "False" ? "0" : /^[a-z]+$/.test(fact.value) && fix.value === "False" ? "false" : fix.value;
  return [{ title: `Set it to ${value}`, safe: fix.safe, edits: [{ ...at, newText: value }] }];
}
