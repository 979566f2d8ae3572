// The compose file lists that scripts and Makefiles run `docker compose -f` with: the Makefile reader
// (variables, continuations, targets), the `-f` arguments of a command, and the projects they form.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NO_MEMO } from "../../server/src/engine/parse-cache.ts";
import { parseMakefile } from "../../server/src/engine/parse/makefile.ts";
import { parseCommandLine } from "../../server/src/engine/parse/shell.ts";
import { ciComposeLists, composeFileArgs, makefileComposeLists, scriptComposeLists } from "../../server/src/engine/model/compose-commands.ts";
import { buildModel, fileKind } from "../../server/src/engine/model/build.ts";
import { isDevDeployment } from "../../server/src/engine/rules/production.ts";
import type { ParseProblem } from "../../server/src/engine/types.ts";
import { memoryHost } from "../helpers/memory-host.ts";

const build = (files: Record<string, string>) => {
  const host = memoryHost(files);
  const problems: ParseProblem[] = [];
  return buildModel(host, host.list().filter((p) => fileKind(p) !== undefined), problems);
};
const fileArgs = (line: string) => composeFileArgs(parseCommandLine(line, "x.sh", 0).commands[0].words);

describe("docker compose -f arguments", () => {
  test("every -f/--file before the subcommand, in order, in each spelling", () => {
    assert.deepEqual(fileArgs("docker compose -f a.yml --file b.yml --file=c.yml -fd.yml -p shop up -d"), ["a.yml", "b.yml", "c.yml", "d.yml"]);
    assert.deepEqual(fileArgs("docker-compose -f base.yml -f prod.yml up"), ["base.yml", "prod.yml"]);
    assert.deepEqual(fileArgs("sudo docker --context prod compose --env-file .env.prod -f a.yml up"), ["a.yml"]);
    assert.deepEqual(fileArgs("/usr/local/bin/docker-compose -f a.yml pull"), ["a.yml"]);
  });

  test("docker stack deploy's -c files, in order", () => {
    assert.deepEqual(fileArgs("docker stack deploy -c docker-stack.yml --compose-file=docker-stack.prod.yml --with-registry-auth --resolve-image always shop"), ["docker-stack.yml", "docker-stack.prod.yml"]);
    assert.equal(fileArgs("docker stack rm shop"), undefined);
  });

  test("a cd to a folder written as is moves where the files are looked for first", () => {
    const script = "cd deploy/prod\ndocker compose -f docker-compose.yml -f override.yml up -d\ncd \"$(dirname \"$0\")\"\ndocker compose -f a.yml up\n";
    assert.deepEqual(scriptComposeLists("bin/deploy.sh", script, NO_MEMO).map((l) => l.runDirs), [["bin/deploy/prod", "bin", ""], ["bin", ""]]);
  });

  test("a -f after the subcommand is the subcommand's (logs -f), not a file", () => {
    assert.equal(fileArgs("docker compose logs -f web"), undefined);
    assert.deepEqual(fileArgs("docker compose -f a.yml logs -f web"), ["a.yml"]);
  });

  test("no list when no file is named, a name is not known as written, or the command is another", () => {
    assert.equal(fileArgs("docker compose up -d"), undefined);
    assert.equal(fileArgs("docker compose -f docker-compose.$ENV.yml up"), undefined);
    assert.equal(fileArgs("docker compose -f - up"), undefined);
    assert.equal(fileArgs("docker run -f a.yml"), undefined);
    assert.equal(fileArgs("kubectl apply -f a.yml"), undefined);
  });

  test("a variable set in the script is followed, and split when unquoted", () => {
    const script = 'FILES="-f docker-compose.yml -f docker-compose.prod.yml"\ndocker compose $FILES up -d\n';
    assert.deepEqual(scriptComposeLists("ops/deploy.sh", script, NO_MEMO).map((l) => [l.files, l.runDirs]), [[["docker-compose.yml", "docker-compose.prod.yml"], ["ops", ""]]]);
  });
});

describe("docker compose run over ssh", () => {
  test("the remote command of ssh HOST '...' is read for its -f list, ssh's options skipped", () => {
    const script = 'ssh -i ~/.ssh/deploy -p 2222 deploy@prod.example.com "cd /srv/shop && docker compose -f docker-compose.yml -f docker-compose.prod.yml up -d"\n';
    assert.deepEqual(scriptComposeLists("deploy.sh", script, NO_MEMO).map((l) => l.files), [["docker-compose.yml", "docker-compose.prod.yml"]]);
    const make = "deploy:\n\tssh $(HOST) 'docker-compose -f base.yml -f prod.yml pull && docker-compose -f base.yml -f prod.yml up -d'\n";
    assert.deepEqual(makefileComposeLists("Makefile", make, NO_MEMO).map((l) => l.files), [["base.yml", "prod.yml"], ["base.yml", "prod.yml"]]);
  });

  test("an ssh command that runs no compose names nothing", () => {
    assert.deepEqual(scriptComposeLists("deploy.sh", "ssh prod 'sudo systemctl restart app'\nssh prod\n", NO_MEMO), []);
  });
});

describe("Makefile reader", () => {
  test("recipes by target, with variables expanded, continuations joined and make's prefixes dropped", () => {
    const text = ["DC = docker compose", "FILES := -f a.yml \\", "\t-f b.yml", "FILES += -f c.yml", "", "up: build ## start", "\t@$(DC) ${FILES} up -d", "\t-echo $$HOME", "clean:; rm -rf out", ""].join("\n");
    const { recipes } = parseMakefile(text);
    assert.deepEqual(recipes.map((r) => [r.target, r.command]), [
      ["up", "docker compose -f a.yml -f b.yml -f c.yml up -d"],
      ["up", "echo $HOME"],
      ["clean", "rm -rf out"],
    ]);
    assert.equal(text.slice(recipes[0].start, recipes[0].end), "\t@$(DC) ${FILES} up -d");
  });

  test("?= sets only what nothing set; a self-reference stops; functions stay as written", () => {
    const { recipes } = parseMakefile(["A = one", "A ?= two", "B ?= three", "L = $(L) x", "t:", "\techo $(A) $(B) $(L) $(shell date) $@", ""].join("\n"));
    assert.equal(recipes[0].command.startsWith("echo one three "), true);
    assert.ok(recipes[0].command.endsWith(" $(shell date) $@"), recipes[0].command);
  });

  test("recipe lines inside a conditional belong to the rule above it", () => {
    const { recipes } = parseMakefile(["deploy:", "ifeq ($(ENV),prod)", "\tdocker compose -f prod.yml up", "else", "\tdocker compose up", "endif", ""].join("\n"));
    assert.deepEqual(recipes.map((r) => [r.target, r.command]), [["deploy", "docker compose -f prod.yml up"], ["deploy", "docker compose up"]]);
  });

  test("a Makefile's lists run in its folder, named after the target", () => {
    const lists = makefileComposeLists("ops/Makefile", "PROD = -f docker-compose.yml -f prod.yml\ndeploy:\n\tdocker compose $(PROD) up -d\n", NO_MEMO);
    assert.deepEqual(lists.map((l) => [l.files, l.runDirs, l.source, l.target]), [[["docker-compose.yml", "prod.yml"], ["ops"], "ops/Makefile target deploy", "deploy"]]);
  });
});

describe("compose projects from scripts and Makefiles", () => {
  const base = "services:\n  web:\n    build: .\n    command: gunicorn app:app --workers 4\n";
  const prod = "services:\n  web:\n    image: registry.example.com/web\n    deploy:\n      replicas: 3\n";
  const dev = "services:\n  web:\n    command: gunicorn app:app --reload\n";

  test("a script's -f list is one project in its order, and its files are not projects of their own", () => {
    const model = build({
      "docker-compose.yml": base,
      "docker-compose.override.yml": dev,
      "docker-compose.production.yml": prod,
      "scripts/deploy.sh": "#!/bin/sh\ncd \"$(dirname \"$0\")/..\"\ndocker compose -f docker-compose.yml -f docker-compose.production.yml up -d\n",
    });
    assert.deepEqual(model.deployments.map((d) => [d.id, d.name]), [["compose:docker-compose.yml+docker-compose.production.yml#web", "web (docker-compose.yml + docker-compose.production.yml, as scripts/deploy.sh runs it)"]]);
    const web = model.deployments[0];
    assert.deepEqual([web.instances.value, web.processes[0].workers.value, web.processes[0].reload], [3, 4, undefined]);
    assert.ok(web.files.has("scripts/deploy.sh"));
    assert.equal(web.runBy?.at.file, "scripts/deploy.sh");
  });

  test("dev and prod scripts naming different sets are two deployments, each named after its script", () => {
    const model = build({
      "docker-compose.yml": base,
      "docker-compose.prod.yml": prod,
      "compose.dev.yml": dev,
      "deploy.sh": "docker compose -f docker-compose.yml -f docker-compose.prod.yml pull\ndocker compose -f docker-compose.yml -f docker-compose.prod.yml up -d\n",
      "dev.sh": "exec docker compose -f docker-compose.yml -f compose.dev.yml up --build\n",
    });
    const byName = new Map(model.deployments.map((d) => [d.name, d]));
    assert.deepEqual([...byName.keys()].sort(), ["web (docker-compose.yml + compose.dev.yml, as dev.sh runs it)", "web (docker-compose.yml + docker-compose.prod.yml, as deploy.sh runs it)"]);
    const devWeb = byName.get("web (docker-compose.yml + compose.dev.yml, as dev.sh runs it)");
    const prodWeb = byName.get("web (docker-compose.yml + docker-compose.prod.yml, as deploy.sh runs it)");
    assert.ok(devWeb && prodWeb);
    assert.ok(devWeb.processes[0].reload);
    assert.deepEqual([isDevDeployment(devWeb, undefined, model), isDevDeployment(prodWeb, undefined, model)], [true, false]);
  });

  test("a base compose file beside a production one (layered or standalone) is the development setup, unless something runs it as it is", () => {
    const devBase = "services:\n  web:\n    build: .\n    command: python manage.py runserver 0.0.0.0:8000\n";
    const prodFull = "services:\n  web:\n    build: .\n    command: gunicorn mysite.wsgi --bind 0.0.0.0:8000\n";
    const dev = (files: Record<string, string>) => {
      const model = build(files);
      return model.deployments.filter((d) => d.id.startsWith("compose:")).map((d) => `${d.id} ${isDevDeployment(d, undefined, model)}`).sort();
    };
    assert.deepEqual(dev({ "docker-compose.yml": devBase, "docker-compose.prod.yml": prodFull }), ["compose:docker-compose.prod.yml#web false", "compose:docker-compose.yml#web true"]);
    // Another folder's production file, or another service's, says nothing about this one.
    assert.deepEqual(dev({ "docker-compose.yml": devBase, "deploy/docker-compose.prod.yml": prodFull }), ["compose:deploy/docker-compose.prod.yml#web false", "compose:docker-compose.yml#web false"]);
    assert.deepEqual(dev({ "docker-compose.yml": devBase, "docker-compose.prod.yml": prodFull.replace("web:", "api:") }), ["compose:docker-compose.prod.yml#api false", "compose:docker-compose.yml#web false"]);
    // A deploy script that names the base alone (`-f docker-compose.yml`) runs it as it is: production.
    assert.deepEqual(dev({ "docker-compose.yml": devBase, "docker-compose.prod.yml": prodFull, "deploy.sh": "#!/bin/sh\ndocker compose -f docker-compose.yml up -d\n" })[1], "compose:docker-compose.yml#web false");
  });

  test("a Makefile target named dev makes a development deployment; the same list twice is one project", () => {
    const model = build({
      "docker-compose.yml": base,
      "local.yml": dev,
      Makefile: "dev:\n\tdocker compose -f docker-compose.yml -f local.yml up\nlogs:\n\tdocker compose -f docker-compose.yml -f local.yml logs -f\n",
    });
    assert.deepEqual(model.deployments.map((d) => d.name), ["web (docker-compose.yml + local.yml, as Makefile target dev runs it)"]);
    assert.equal(isDevDeployment(model.deployments[0], undefined, model), true);
  });

  test("--env-file replaces the project's .env for interpolation; without -f it runs the default files", () => {
    const compose = "services:\n  api:\n    image: api\n    command: gunicorn app:app -w ${WEB_WORKERS:-2}\n    environment:\n      DATABASE_URL: ${DATABASE_URL}\n      DB_POOL_SIZE: ${DB_POOL_SIZE:-5}\n    cpus: \"${API_CPUS:-1}\"\n";
    const files = {
      "docker-compose.yml": compose,
      ".env": "WEB_WORKERS=2\nDATABASE_URL=postgresql://localhost/app\n",
      ".env.production": "WEB_WORKERS=8\nDB_POOL_SIZE=20\nAPI_CPUS=2\nDATABASE_URL=postgresql://db.internal/app\n",
      "deploy.sh": "#!/bin/sh\ndocker compose --env-file .env.production pull\ndocker compose --env-file .env.production up -d\n",
    };
    const model = build(files);
    assert.deepEqual(model.deployments.map((d) => [d.id, d.name]), [["compose:docker-compose.yml#api", "api (docker-compose.yml, as deploy.sh runs it)"]]);
    const api = model.deployments[0];
    assert.deepEqual([api.processes[0].workers.value, api.processes[0].workers.at?.file, api.cpus?.value, api.pool?.size.value], [8, ".env.production", 2, 20]);
    assert.ok(api.files.has(".env.production") && !api.files.has(".env"));
    // With -f too, in either order; an env file the workspace lacks (kept on the server) leaves the default project.
    const lists = scriptComposeLists("x.sh", "docker compose -f docker-compose.yml --env-file .env.production up -d\ndocker compose --env-file=.env.staging -f a.yml up\n", NO_MEMO);
    assert.deepEqual(lists.map((l) => [l.files, l.envFiles]), [[["docker-compose.yml"], [".env.production"]], [["a.yml"], [".env.staging"]]]);
    const missing = build({ ...files, "deploy.sh": "docker compose --env-file /srv/app/prod.env up -d\n" });
    assert.deepEqual([missing.deployments[0].name, missing.deployments[0].processes[0].workers.value], ["api (docker-compose.yml)", 2]);
  });

  test("a list naming a file the workspace lacks, or equal to COMPOSE_FILE's, adds no project", () => {
    const missing = build({ "docker-compose.yml": base, "deploy.sh": "docker compose -f docker-compose.yml -f generated.yml up\n" });
    assert.deepEqual(missing.deployments.map((d) => d.id), ["compose:docker-compose.yml#web"]);
    const same = build({ "docker-compose.yml": base, "docker-compose.prod.yml": prod, ".env": "COMPOSE_FILE=docker-compose.yml:docker-compose.prod.yml\n", "deploy.sh": "docker compose -f docker-compose.yml -f docker-compose.prod.yml up\n" });
    assert.deepEqual(same.deployments.map((d) => d.id), ["compose:docker-compose.yml#web"]);
  });
});

describe("compose profiles and --project-directory", () => {
  const services = (...specs: Array<[string, string[]]>) =>
    `services:\n${specs.map(([name, profiles]) => `  ${name}:\n    image: app\n    command: gunicorn app:app -w 2\n${profiles.length > 0 ? `    profiles: [${profiles.join(", ")}]\n` : ""}`).join("")}`;
  const compose = services(["web", ["web"]], ["worker", ["worker"]], ["admin", ["admin"]], ["db", []]);
  const names = (files: Record<string, string>) => build(files).deployments.map((d) => d.id.slice(d.id.indexOf("#") + 1)).sort();

  test("the profiles an `up` activates: --profile (repeated, =, comma lists) else COMPOSE_PROFILES it runs with; not for other subcommands", () => {
    // Every `up` is listed (for the services it starts): those that activate profiles.
    const lists = (script: string) => scriptComposeLists("deploy.sh", script, NO_MEMO).flatMap((l) => (l.profiles ? [l.profiles] : []));
    assert.deepEqual(lists("docker compose --profile web --profile=worker,beat up -d\n"), [["web", "worker", "beat"]]);
    assert.deepEqual(lists("COMPOSE_PROFILES=web,worker docker compose up -d\n"), [["web", "worker"]]);
    assert.deepEqual(lists("export COMPOSE_PROFILES=web\ndocker compose up -d\n"), [["web"]]);
    assert.deepEqual(lists("docker compose --profile web pull\ndocker compose up -d\n"), []);
    assert.deepEqual(lists("docker compose --profile \"$PROFILE\" up -d\n"), []);
    // A GitHub Actions step's (or job's, or workflow's) env: is its commands' environment.
    const workflow = "env:\n  COMPOSE_PROFILES: all\njobs:\n  deploy:\n    env:\n      COMPOSE_PROFILES: web\n    steps:\n      - run: docker compose up -d\n      - run: docker compose up -d\n        env:\n          COMPOSE_PROFILES: web,worker\n";
    assert.deepEqual(ciComposeLists(".github/workflows/deploy.yml", workflow, NO_MEMO).map((l) => l.profiles), [["web"], ["web", "worker"]]);
  });

  test("a service with profiles runs only when a deploy command activates one; unprofiled services always run", () => {
    assert.deepEqual(names({ "docker-compose.yml": compose, "deploy.sh": "docker compose --profile web --profile worker up -d\n" }), ["db", "web", "worker"]);
    // Two `up` commands of the same project: both sets run; a `run` of another profile starts no service.
    const twice = "docker compose --profile web up -d\ndocker compose --profile worker up -d\ndocker compose --profile admin run --rm admin migrate\n";
    assert.deepEqual(names({ "docker-compose.yml": compose, "deploy.sh": twice }), ["db", "web", "worker"]);
    assert.deepEqual(names({ "docker-compose.yml": compose, "deploy.sh": "docker compose --profile '*' up -d\n" }), ["admin", "db", "web", "worker"]);
  });

  test("COMPOSE_PROFILES in the project's .env activates profiles; with nothing saying which, every service is counted", () => {
    assert.deepEqual(names({ "docker-compose.yml": compose, ".env": "COMPOSE_PROFILES=web\n" }), ["db", "web"]);
    assert.deepEqual(names({ "docker-compose.yml": compose, ".env": "COMPOSE_PROFILES=web\n", "deploy.sh": "docker compose --profile admin up -d\n" }), ["admin", "db"], "--profile wins over COMPOSE_PROFILES");
    assert.deepEqual(names({ "docker-compose.yml": compose }), ["admin", "db", "web", "worker"]);
  });

  test("--project-directory: .env, env_file and the build context resolve there, not in the compose file's folder", () => {
    const file = "services:\n  web:\n    build: .\n    command: gunicorn app:app -w ${WEB_CONCURRENCY:-2}\n    env_file: config/web.env\n";
    const files = {
      "docker/compose.yml": file,
      ".env": "WEB_CONCURRENCY=8\n",
      "docker/.env": "WEB_CONCURRENCY=3\n",
      "config/web.env": "DB_POOL_SIZE=20\n",
      Dockerfile: "FROM python:3.12\nCMD [\"gunicorn\", \"app:app\"]\n",
      Makefile: "deploy:\n\tdocker compose -f docker/compose.yml --project-directory . up -d\n",
    };
    const model = build(files);
    assert.deepEqual(model.deployments.map((d) => d.name), ["web (docker/compose.yml, as Makefile target deploy runs it)"]);
    const web = model.deployments[0];
    assert.deepEqual([web.processes[0].workers.value, web.processes[0].workers.at?.file, web.pool?.size.value], [8, ".env", 20]);
    assert.ok(web.links.some((l) => l.to === "Dockerfile"), "the build context is the project directory");
    // Without -f, compose looks for the default files in the project directory.
    const moved = build({ "deploy/prod/compose.yaml": "services:\n  web:\n    image: app\n    command: gunicorn app:app -w ${W:-2}\n", "deploy/prod/.env": "W=6\n", "deploy.sh": "docker compose --project-directory deploy/prod up -d\n" });
    assert.deepEqual(moved.deployments.map((d) => [d.name, d.processes[0].workers.value]), [["web (deploy/prod/compose.yaml, as deploy.sh runs it)", 6]]);
  });
});

describe("the services a deploy command starts", () => {
  const compose = [
    "services:",
    "  web:",
    "    image: app",
    "    command: gunicorn app:app -w 4",
    "    depends_on: { db: { condition: service_healthy }, cache: { condition: service_started } }",
    "  worker:",
    "    image: app",
    "    command: celery -A app worker -c 4",
    "    links: [\"db:database\"]",
    "  admin:",
    "    image: app",
    "    command: gunicorn admin:app -w 9",
    "    profiles: [tools]",
    "    network_mode: service:vpn",
    "  vpn:",
    "    image: wireguard",
    "  cache:",
    "    image: redis",
    "  db:",
    "    image: postgres:16",
    "",
  ].join("\n");
  const running = (files: Record<string, string>) =>
    build({ "docker-compose.yml": compose, ...files }).deployments.map((d) => `${d.id.slice(d.id.indexOf("#") + 1)}${d.instances.value > 1 ? ` x${d.instances.value}` : ""}`).sort();
  const starts = (script: string) => scriptComposeLists("deploy.sh", script, NO_MEMO).map((l) => l.starts);

  test("up's, run's and scale's service words, options and their values skipped, each name at its word", () => {
    const script = "docker compose -f docker-compose.yml up -d --pull always --scale web=3 -t 30 --no-deps web worker\n";
    const [up] = starts(script);
    assert.deepEqual(up?.services.map((s) => [s.name, script.slice(s.at.start, s.at.end)]), [["web", "web"], ["worker", "worker"]]);
    assert.deepEqual([...(up?.scale ?? [])].map(([name, count]) => [name, count.value, script.slice(count.at?.start, count.at?.end)]), [["web", 3, "3"]]);
    const [run] = starts("docker-compose run --rm -e DEBUG=0 --name migrate web python manage.py migrate\n");
    assert.deepEqual([run?.subcommand, run?.services.map((s) => s.name), run?.oneOff], ["run", ["web"], true]);
    assert.equal(starts("docker compose run -d web\n")[0]?.oneOff, undefined, "no command: the service's own");
    assert.deepEqual(starts("docker-compose scale web=2 worker=4\n").map((s) => [s?.services.map((x) => x.name), [...(s?.scale ?? [])].map(([n, c]) => `${n}=${c.value}`)]), [[["web", "worker"], ["web=2", "worker=4"]]]);
    assert.equal(starts("docker compose up -d $SERVICES\n")[0]?.unknown, true);
    assert.deepEqual(starts("docker compose logs -f web\ndocker compose exec web sh\n"), []);
    // A count in a variable the script sets is followed to its assignment.
    const variable = "REPLICAS=4\ndocker compose up -d --scale=web=$REPLICAS\n";
    const count = starts(variable)[0]?.scale?.get("web");
    assert.deepEqual([count?.value, variable.slice(count?.at?.start, count?.at?.end)], [4, "4"]);
  });

  test("only the services an up names run, with what they depend on (depends_on, links, network_mode), a named one whatever its profiles", () => {
    assert.deepEqual(running({ "deploy.sh": "docker compose up -d web\n" }), ["cache", "db", "web"]);
    assert.deepEqual(running({ "deploy.sh": "docker compose up -d --no-deps worker\n" }), ["db", "worker"], "--no-deps: what it needs runs already");
    assert.deepEqual(running({ "deploy.sh": "docker compose up -d admin\n" }), ["admin", "vpn"]);
    // Every up of the project counts: one naming none starts all (profiles decide again: nothing says which run, so admin counts).
    assert.deepEqual(running({ "deploy.sh": "docker compose up -d web\n", Makefile: "up:\n\tdocker compose up -d\n" }), ["admin", "cache", "db", "vpn", "web", "worker"]);
    assert.deepEqual(running({ "deploy.sh": "docker compose up -d web\n", Makefile: "up:\n\tdocker compose --profile web up -d\n" }), ["cache", "db", "vpn", "web", "worker"]);
    assert.deepEqual(running({ "deploy.sh": "docker compose up -d db\ndocker compose up -d worker\n" }), ["db", "worker"]);
    // A name no service has (another project's) restricts nothing.
    assert.deepEqual(running({ "deploy.sh": "docker compose up -d frontend\n" }), ["admin", "cache", "db", "vpn", "web", "worker"]);
  });

  test("a one-off run keeps what its service depends on running, not the service; runs alone restrict nothing", () => {
    assert.deepEqual(running({ "deploy.sh": "docker compose up -d worker\ndocker compose run --rm web python manage.py migrate\n" }), ["cache", "db", "worker"]);
    assert.deepEqual(running({ "deploy.sh": "docker compose up -d worker\ndocker compose run -d web\n" }), ["cache", "db", "web", "worker"]);
    assert.deepEqual(running({ Makefile: "migrate:\n\tdocker compose run --rm web python manage.py migrate\n" }), ["admin", "cache", "db", "vpn", "web", "worker"]);
  });

  test("--scale SERVICE=NUM is the service's instances, at the number, over deploy.replicas; docker-compose v1 and CI steps too", () => {
    const replicated = compose.replace("    command: gunicorn app:app -w 4\n", "    command: gunicorn app:app -w 4\n    deploy: { replicas: 2 }\n");
    const model = build({ "docker-compose.yml": replicated, "deploy.sh": "docker-compose up -d --scale web=5 web\n" });
    const web = model.deployments.find((d) => d.id.endsWith("#web"));
    assert.deepEqual([web?.instances.value, web?.instances.at?.file, web?.instances.at?.start], [5, "deploy.sh", "docker-compose up -d --scale web=".length]);
    assert.deepEqual(running({ "deploy.sh": "docker compose up -d --scale worker=3\n" }), ["admin", "cache", "db", "vpn", "web", "worker x3"], "no name: every service, one scaled");
    const workflow = "jobs:\n  deploy:\n    steps:\n      - name: Deploy\n        run: |\n          docker compose pull\n          docker compose up -d --scale web=4 web\n";
    const ci = build({ "docker-compose.yml": compose, ".github/workflows/deploy.yml": workflow }).deployments;
    const scaled = ci.find((d) => d.id.endsWith("#web"))?.instances;
    assert.deepEqual([ci.length, scaled?.value, workflow.slice(scaled?.at?.start, scaled?.at?.end), workflow.slice(0, scaled?.at?.start).split("\n").length], [3, 4, "4", 7]);
  });
});

describe("compose projects from CI files", () => {
  test("a GitHub Actions run: step, in its working-directory, named after its job", () => {
    const workflow = [
      "name: deploy",
      "on: { push: { branches: [main] } }",
      "jobs:",
      "  deploy-prod:",
      "    runs-on: ubuntu-latest",
      "    defaults:",
      "      run:",
      "        working-directory: ops",
      "    steps:",
      "      - uses: actions/checkout@v4",
      "      - name: Deploy",
      "        run: |",
      "          docker compose -f docker-compose.yml -f docker-compose.prod.yml pull",
      "          docker compose -f docker-compose.yml -f docker-compose.prod.yml up -d",
      "",
    ].join("\n");
    const lists = ciComposeLists(".github/workflows/deploy.yml", workflow, NO_MEMO);
    assert.deepEqual(lists.map((l) => [l.files, l.runDirs, l.source, l.target]), [
      [["docker-compose.yml", "docker-compose.prod.yml"], ["ops", ""], ".github/workflows/deploy.yml job deploy-prod", "deploy-prod"],
      [["docker-compose.yml", "docker-compose.prod.yml"], ["ops", ""], ".github/workflows/deploy.yml job deploy-prod", "deploy-prod"],
    ]);
    assert.equal(workflow.slice(lists[0].at.start, lists[0].at.end).trim().split("\n")[0], "|");
  });

  test("a .gitlab-ci.yml job's script lines; hidden jobs and keywords are not jobs", () => {
    const gitlab = ["stages: [deploy]", ".base:", "  script:", "    - docker compose -f a.yml up", "deploy:", "  stage: deploy", "  script:", "    - docker compose -f docker-compose.yml -f production.yml up -d", ""].join("\n");
    assert.deepEqual(ciComposeLists(".gitlab-ci.yml", gitlab, NO_MEMO).map((l) => [l.files, l.source]), [[["docker-compose.yml", "production.yml"], ".gitlab-ci.yml job deploy"]]);
  });

  test("the job's environment reaches its commands: GitLab variables (global, job, value: form) and GitHub env:", () => {
    const gitlab = [
      "variables:",
      "  DEPLOY_ENV: staging",
      "deploy-production:",
      "  variables:",
      "    DEPLOY_ENV:",
      "      value: production",
      "      description: the compose overlay",
      "    WEB_REPLICAS: \"3\"",
      "  script:",
      "    - docker compose -f docker-compose.yml -f docker-compose.$DEPLOY_ENV.yml up -d --scale web=$WEB_REPLICAS web",
      "",
    ].join("\n");
    const [list] = ciComposeLists(".gitlab-ci.yml", gitlab, NO_MEMO);
    assert.deepEqual(list.files, ["docker-compose.yml", "docker-compose.production.yml"]);
    const replicas = list.starts?.scale?.get("web");
    assert.deepEqual([replicas?.value, gitlab.slice(replicas?.at?.start, replicas?.at?.end)], [3, "3"]);
    // COMPOSE_FILE in the job's environment is the -f list of a command without one.
    const listed = "jobs:\n  deploy:\n    env:\n      COMPOSE_FILE: docker-compose.yml:docker-compose.prod.yml\n    steps:\n      - run: docker compose up -d web\n      - run: docker compose -f other.yml up -d\n";
    assert.deepEqual(ciComposeLists(".github/workflows/deploy.yml", listed, NO_MEMO).map((l) => l.files), [["docker-compose.yml", "docker-compose.prod.yml"], ["other.yml"]]);
    assert.deepEqual(scriptComposeLists("deploy.sh", "export COMPOSE_FILE=\"$FILES\"\ndocker compose up -d\n", NO_MEMO), [], "known only at run time");
    assert.deepEqual(scriptComposeLists("deploy.sh", "COMPOSE_PATH_SEPARATOR=, COMPOSE_FILE=a.yml,b.yml docker compose up -d\n", NO_MEMO).map((l) => l.files), [["a.yml", "b.yml"]]);
    const workflow = "jobs:\n  deploy:\n    env:\n      OVERLAY: prod\n      TAG: ${{ github.sha }}\n    steps:\n      - run: docker compose -f docker-compose.yml -f docker-compose.$OVERLAY.yml -f docker-compose.$TAG.yml up -d\n      - run: docker compose -f docker-compose.yml -f docker-compose.$OVERLAY.yml up -d\n";
    assert.deepEqual(ciComposeLists(".github/workflows/deploy.yml", workflow, NO_MEMO).map((l) => l.files), [["docker-compose.yml", "docker-compose.prod.yml"]], "an expression is known only at run time");
  });

  test("the workflow's project in the model, and a broken CI file is no crash", () => {
    const host = memoryHost({
      "docker-compose.yml": "services:\n  web:\n    build: .\n    command: gunicorn app:app -w 4\n",
      "docker-compose.prod.yml": "services:\n  web:\n    image: registry/web\n    cpus: 1\n",
      ".github/workflows/deploy.yml": "jobs:\n  deploy:\n    steps:\n      - run: docker compose -f docker-compose.yml -f docker-compose.prod.yml up -d\n",
      ".github/workflows/broken.yml": "jobs: [\n",
    });
    const model = buildModel(host, host.list().filter((p) => fileKind(p) !== undefined), []);
    assert.deepEqual(model.deployments.map((d) => [d.name, d.cpus?.value]), [["web (docker-compose.yml + docker-compose.prod.yml, as .github/workflows/deploy.yml job deploy runs it)", 1]]);
  });
});
