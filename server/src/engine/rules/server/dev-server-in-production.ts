import { SOURCES } from "../../knowledge/sources.ts";
import type { Deployment, DeploymentModel, DevServer } from "../../model/types.ts";
import type { CommandWord } from "../../parse/servers.ts";
import type { RelatedInfo } from "../../types.ts";
import { defineRule } from "../define.ts";
import { isDevDeployment, isDevPath, runsOnlyInDevelopment } from "../production.ts";

export default defineRule({
  meta: {
    id: "server/dev-server-in-production",
    summary: "Django's runserver, `flask run` or `fastapi dev` serves a deployment that is not clearly for development",
    severity: "warning",
    fix: "none",
    sources: [SOURCES.djangoRunserver, SOURCES.flaskDevelopmentServer, SOURCES.gunicornDjango, SOURCES.fastapiCli],
    docs: {
      why:
        "`python manage.py runserver` (or `django-admin runserver`) and `flask run` (or `python -m flask run`) start the framework's " +
        "development server. Both projects say it is not for production: Django's \"has not gone through security audits or performance " +
        "tests\", Flask's \"is not designed to be particularly efficient, stable, or secure\". One process serves every request, with the " +
        "autoreloader watching the source unless it is turned off, and nothing manages or restarts workers. FastAPI's `fastapi dev` " +
        "(or `python -m fastapi dev`) is its CLI's development mode: uvicorn with the reloader on, listening on 127.0.0.1, no " +
        "workers option; the CLI's help sends production to `fastapi run`. Headroom reports it where it is " +
        "the command of a deployment: a Dockerfile CMD, a compose `command:`, a Procfile line, a start script, an App Runner StartCommand. " +
        "It stays quiet when the compose file, folder, service, script or Procfile is named dev, local, test or e2e (or lies in `.devcontainer/`) (as `server/reload-in-production` " +
        "does), for a compose service that bind-mounts its build context over the image's code (`volumes: [\".:/code\"]` with `WORKDIR /code`: the container runs the working copy, edited live; not in a compose file named for production, nor in a service with a CPU or memory limit or replicas), for a base compose file beside a production variant of the same service, layered on it or written out in full " +
        "(`docker-compose.yml` beside `docker-compose.prod.yml`: the variant's deployment is the one checked; unless a script runs the base alone with `-f`), when the command sits in a start-script branch taken only with a debug/development switch on, and for management commands " +
        "that are not servers (`migrate`, `collectstatic`). `python app.py` is not reported: whether the script calls `app.run()` or starts " +
        "a production server is in the Python, which Headroom does not read; for the same reason `manage.py runserver` is taken as Django's " +
        "(a Flask-Script `manage.py` has a `runserver` too: Werkzeug's development server, so the finding holds, though the message names Django). There is no quick-fix: swapping the server is not a minimal " +
        "edit; the message names the gunicorn command to run instead (with `<project>.wsgi` when DJANGO_SETTINGS_MODULE or `--settings` " +
        "names the project, the `--app`/FLASK_APP module for Flask).",
      bad: {
        "docker-compose.yml": "services:\n  web:\n    build: .\n    command: python manage.py runserver 0.0.0.0:8000\n    environment:\n      DJANGO_SETTINGS_MODULE: mysite.settings\n",
        Dockerfile: "FROM python:3.12-slim\nCMD [\"gunicorn\", \"mysite.wsgi\", \"--bind\", \"0.0.0.0:8000\"]\n",
      },
      good: {
        "docker-compose.yml": "services:\n  web:\n    build: .\n    command: gunicorn mysite.wsgi --bind 0.0.0.0:8000 --workers 3\n",
        "docker-compose.dev.yml": "services:\n  web:\n    build: .\n    command: python manage.py runserver 0.0.0.0:8000\n",
        Dockerfile: "FROM python:3.12-slim\nCMD [\"gunicorn\", \"mysite.wsgi\", \"--bind\", \"0.0.0.0:8000\"]\n",
      },
    },
  },
  check({ model, report }) {
    for (const deployment of model.deployments) {
      if (!deployment.devServers?.length || procfileProcessIsDev(deployment)) continue;
      for (const devServer of deployment.devServers) {
        if (isDevDeployment(deployment, devServer.commandAt.file, model) || runsOnlyInDevelopment(devServer.guards)) continue;
        if (devServer.startedBy && isDevPath(devServer.startedBy.file)) continue;
        report({
          at: devServer.commandAt,
          deployment,
          message: `${what(devServer)} ${deployment.name} does not look like a development setup. Run it under a production server instead, for example \`${instead(devServer, deployment)}\`, and size its --workers for the CPUs.`,
          related: productionLines(model, deployment, devServer),
        });
      }
    }
  },
});

/** A Procfile process named for development (`dev: flask run`): Heroku routes requests to `web` only. */
function procfileProcessIsDev(deployment: Deployment): boolean {
  return deployment.id.startsWith("procfile:") && isDevPath(deployment.id.slice(deployment.id.lastIndexOf("#") + 1));
}

function what(devServer: DevServer): string {
  return devServer.invocation.kind === "django-runserver"
    ? "`runserver` starts Django's development server, which Django says not to use in production (\"It has not gone through security audits or " +
        "performance tests\"): one process for every request, the autoreloader watching the source unless --noreload, nothing to manage workers."
    : devServer.invocation.kind === "fastapi-dev"
      ? "`fastapi dev` runs FastAPI in development mode (it prints \"Running in development mode, for production use: fastapi run\"): one uvicorn process with the " +
        "reloader watching the source and restarting it on every change, listening on 127.0.0.1 unless --host says otherwise."
      : "`flask run` starts Flask's development server, which Flask says not to use when deploying to production (\"It is not designed to be " +
        "particularly efficient, stable, or secure\"): one process for every request, and the reloader and debugger when debug mode is on.";
}

/** The gunicorn command serving the same app at the same address. */
function instead(devServer: DevServer, deployment: Deployment): string {
  const { invocation } = devServer;
  if (invocation.kind === "django-runserver") {
    const addrport = invocation.args.find((w) => !w.value.startsWith("-"))?.value;
    const bind = !addrport ? "127.0.0.1:8000" : /^\d+$/.test(addrport) ? `127.0.0.1:${addrport}` : addrport;
    const settings = optionWord(invocation.args, "--settings")?.value ?? deployment.env.get("DJANGO_SETTINGS_MODULE")?.value;
    const project = settings && /^([\w.]+?)\.settings(\.|$)/.exec(settings)?.[1];
    return `gunicorn ${project ? `${project}.wsgi` : "<project>.wsgi"} --bind ${bind}`;
  }
  if (invocation.kind === "fastapi-dev") {
    const path = invocation.args.find((w, i) => !w.value.startsWith("-") && !FASTAPI_VALUE_OPTIONS.has(invocation.args[i - 1]?.value ?? ""))?.value;
    const port = optionWord(invocation.args, "--port")?.value;
    return `fastapi run${path ? ` ${path}` : ""}${port ? ` --port ${port}` : ""}`;
  }
  const host = optionWord(invocation.args, "--host", "-h")?.value ?? "127.0.0.1";
  const port = optionWord(invocation.args, "--port", "-p")?.value ?? "5000";
  const app = invocation.app?.value ?? deployment.env.get("FLASK_APP")?.value;
  const module = app?.replace(/\.py(?=$|:)/, "").replace(/\//g, ".");
  const target = !module ? "<module>:app" : module.includes(":") ? module : `${module}:app`;
  return `gunicorn --bind ${host}:${port} '${target}'`;
}

/** `fastapi dev`'s options that take a value (the word after them is not the app's path). */
const FASTAPI_VALUE_OPTIONS = new Set(["--host", "--port", "--root-path", "--app", "--entrypoint", "-e", "--forwarded-allow-ips"]);

/** The value of `--name value` or `--name=value` (click and Django's argparse both accept either). */
function optionWord(words: CommandWord[], ...names: string[]): CommandWord | undefined {
  for (let i = words.length - 1; i >= 0; i--) {
    const word = words[i].value;
    if (names.includes(word)) return words[i + 1];
    const name = names.find((n) => n.startsWith("--") && word.startsWith(`${n}=`));
    if (name) return { ...words[i], value: word.slice(name.length + 1) };
  }
  return undefined;
}

/** What makes this the production command: the line that starts it, and the compose service that is not named for development. */
function productionLines(model: DeploymentModel, deployment: Deployment, devServer: DevServer): RelatedInfo[] {
  const related: RelatedInfo[] = [];
  if (devServer.startedBy) related.push({ at: devServer.startedBy, message: "started from here" });
  if (deployment.id.startsWith("compose:")) {
    const name = deployment.id.slice(deployment.id.lastIndexOf("#") + 1);
    for (const file of deployment.files) {
      const service = model.composeFiles?.get(file)?.services.get(name);
      if (!service || file === devServer.commandAt.file || file === devServer.startedBy?.file) continue;
      related.push({ at: { file, ...service.nameSpan }, message: `service ${name} of ${file}, a compose file not named for development` });
    }
  }
  return related;
}
