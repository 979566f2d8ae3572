// Multi-file linking in the deployment model: each test builds a small workspace in memory and
// checks which process the model finds, its worker count, where that number is written (the
// text under `at`), and how the deployment's files are linked.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildModel, fileKind } from "../../server/src/engine/model/build.ts";
import type { Deployment, DeploymentModel, ServerProcess } from "../../server/src/engine/model/types.ts";
import type { ParseProblem, SourceRef } from "../../server/src/engine/types.ts";
import { memoryHost } from "../helpers/memory-host.ts";

interface Built {
  model: DeploymentModel;
  problems: ParseProblem[];
  /** The text a ref points at. */
  text(at: SourceRef | undefined): string | undefined;
  deployment(id: string): Deployment;
}

function build(files: Record<string, string>): Built {
  const host = memoryHost(files);
  const problems: ParseProblem[] = [];
  const model = buildModel(host, host.list().filter((p) => fileKind(p) !== undefined), problems);
  return {
    model,
    problems,
    text: (at) => (at ? files[at.file]?.slice(at.start, at.end) : undefined),
    deployment: (id) => {
      const found = model.deployments.find((d) => d.id === id);
      assert.ok(found, `no deployment ${id}; have ${model.deployments.map((d) => d.id).join(", ")}`);
      return found;
    },
  };
}

function only(deployment: Deployment): ServerProcess {
  assert.equal(deployment.processes.length, 1, `processes of ${deployment.id}: ${deployment.processes.map((p) => p.invocation.server).join(", ")}`);
  return deployment.processes[0];
}

/** `from → to` of each link, to compare without the wording. */
function links(deployment: Deployment): string[] {
  return deployment.links.map((l) => `${l.from} → ${l.to}`);
}

describe("compose → Dockerfile → entrypoint script", () => {
  const files = {
    "docker-compose.yml": ["services:", "  web:", "    build: ./api", "    deploy:", "      resources:", "        limits:", '          cpus: "2"', ""].join("\n"),
    "api/Dockerfile": [
      "FROM python:3.12-slim",
      "COPY docker-entrypoint.sh /docker-entrypoint.sh",
      'ENTRYPOINT ["/docker-entrypoint.sh"]',
      'CMD ["gunicorn", "--workers", "3", "app:app"]',
      "",
    ].join("\n"),
    "api/docker-entrypoint.sh": ["#!/bin/sh", "set -e", "python manage.py migrate", 'exec "$@"', ""].join("\n"),
  };

  test("the CMD handed to `exec \"$@\"` is the server, with its words once", () => {
    const b = build(files);
    assert.deepEqual(b.problems, []);
    const web = b.deployment("compose:docker-compose.yml#web");
    assert.equal(web.cpus?.value, 2);
    const p = only(web);
    assert.equal(p.invocation.server, "gunicorn");
    assert.equal(p.workers.value, 3);
    assert.equal(p.workers.origin, "stated");
    assert.equal(p.workers.at?.file, "api/Dockerfile");
    assert.equal(b.text(p.workers.at), "3");
    assert.equal(b.text({ file: p.invocation.program.fact.at?.file ?? "", start: p.invocation.program.start, end: p.invocation.program.end }), "gunicorn");
    assert.deepEqual(
      p.words.map((w) => w.value),
      ["gunicorn", "--workers", "3", "app:app"],
    );
    assert.deepEqual([...web.files].sort(), ["api/Dockerfile", "api/docker-entrypoint.sh", "docker-compose.yml"]);
    assert.deepEqual(links(web), ["docker-compose.yml → api/Dockerfile", "api/Dockerfile → api/docker-entrypoint.sh"]);
  });

  test("the script is claimed by the compose deployment and does not stand alone", () => {
    const b = build(files);
    assert.deepEqual(
      b.model.deployments.map((d) => d.id),
      ["compose:docker-compose.yml#web"],
    );
  });

  test("an entrypoint script that is not in the workspace still hands over to the CMD", () => {
    const { "api/docker-entrypoint.sh": _script, ...rest } = files;
    const b = build(rest);
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 3);
    assert.equal(b.text(p.workers.at), "3");
  });
});

describe("Rails' bin/docker-entrypoint (`exec \"${@}\"`) hands over to the CMD", () => {
  const files = {
    "docker-compose.yml": ["services:", "  web:", "    build: .", "    environment:", '      RAILS_MAX_THREADS: "8"', ""].join("\n"),
    Dockerfile: ["FROM ruby:3.3-slim", "WORKDIR /rails", 'ENTRYPOINT ["/rails/bin/docker-entrypoint"]', 'CMD ["bundle", "exec", "puma", "-C", "config/puma.rb"]', ""].join("\n"),
    "bin/docker-entrypoint": ["#!/bin/bash -e", 'if [ "${1}" == "./bin/rails" ]; then', "  ./bin/rails db:prepare", "fi", 'exec "${@}"', ""].join("\n"),
    "config/puma.rb": ['threads_count = ENV.fetch("RAILS_MAX_THREADS") { 5 }', "threads threads_count, threads_count", "workers 2", ""].join("\n"),
  };

  test("puma runs, and -C config/puma.rb is found from the Dockerfile's folder, not the script's", () => {
    const b = build(files);
    const web = b.deployment("compose:docker-compose.yml#web");
    const p = only(web);
    assert.equal(p.invocation.server, "puma");
    assert.equal(p.config?.path, "config/puma.rb");
    assert.equal(p.workers.value, 2);
    assert.equal(p.threads?.value, 8);
    assert.ok(web.files.has("bin/docker-entrypoint"));
  });
});

describe("a start script behind an init wrapper", () => {
  test('ENTRYPOINT ["/sbin/tini", "--", "/usr/local/bin/start.sh"] runs docker/start.sh', () => {
    const b = build({
      "docker-compose.yml": ["services:", "  web:", "    build: .", "    cpus: 2", ""].join("\n"),
      Dockerfile: ["FROM python:3.12-alpine", "COPY docker/start.sh /usr/local/bin/start.sh", 'ENTRYPOINT ["/sbin/tini", "--", "/usr/local/bin/start.sh"]', ""].join("\n"),
      "docker/start.sh": ["#!/bin/sh", 'exec su-exec web newrelic-admin run-program gunicorn app:app --workers "${WEB_CONCURRENCY:-9}"', ""].join("\n"),
    });
    const web = b.deployment("compose:docker-compose.yml#web");
    assert.deepEqual(links(web), ["docker-compose.yml → Dockerfile", "Dockerfile → docker/start.sh"]);
    const p = only(web);
    assert.equal(p.workers.value, 9);
    assert.equal(b.text(p.workers.at), "9");
  });

  test('compose `entrypoint: ["dumb-init", "--", "./bin/web"]` runs bin/web', () => {
    const b = build({
      "docker-compose.yml": ["services:", "  web:", "    image: app", '    entrypoint: ["dumb-init", "--", "./bin/web"]', ""].join("\n"),
      "bin/web": ["#!/bin/bash", "exec gunicorn app:app -w 4", ""].join("\n"),
    });
    assert.equal(only(b.deployment("compose:docker-compose.yml#web")).workers.value, 4);
  });
});

describe("Rails 8: CMD [\"./bin/thrust\", \"./bin/rails\", \"server\"]", () => {
  test("Thruster runs rails server, which runs Puma with config/puma.rb", () => {
    const b = build({
      "docker-compose.yml": ["services:", "  web:", "    build: .", "    environment:", '      RAILS_MAX_THREADS: "5"', ""].join("\n"),
      Dockerfile: ["FROM ruby:3.4-slim", "WORKDIR /rails", 'ENTRYPOINT ["/rails/bin/docker-entrypoint"]', 'CMD ["./bin/thrust", "./bin/rails", "server"]', ""].join("\n"),
      "bin/docker-entrypoint": ["#!/bin/bash -e", 'exec "${@}"', ""].join("\n"),
      "config/puma.rb": ['threads_count = ENV.fetch("RAILS_MAX_THREADS", 3)', "threads threads_count, threads_count", ""].join("\n"),
    });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.invocation.server, "rails");
    assert.equal(p.config?.path, "config/puma.rb");
    assert.equal(p.threads?.value, 5);
  });

  test("Heroku's nginx buildpack: web: bin/start-nginx bundle exec puma -C config/puma.rb", () => {
    const b = build({ Procfile: "web: bin/start-nginx bundle exec puma -C config/puma.rb\n", "config/puma.rb": "workers 3\nthreads 5, 5\n" });
    const p = only(b.deployment("procfile:Procfile#web"));
    assert.equal(p.invocation.server, "puma");
    assert.equal(p.workers.value, 3);
  });

  test("rails server --using webrick does not read config/puma.rb", () => {
    const b = build({ Procfile: "web: bin/rails server -u webrick\n", "config/puma.rb": "threads 8, 8\n" });
    assert.equal(only(b.deployment("procfile:Procfile#web")).config, undefined);
  });
});

describe("compose command replaces the Dockerfile CMD", () => {
  test("the replaced CMD is recorded with its Dockerfile line and what it would run", () => {
    const compose = ["services:", "  api:", "    build: .", "    command: gunicorn -w 2 app:app", ""].join("\n");
    const b = build({ "docker-compose.yml": compose, Dockerfile: 'FROM python:3.12\nCMD ["gunicorn", "app:app", "--workers", "8"]\n' });
    const replaced = b.deployment("compose:docker-compose.yml#api").replacedImageCommand;
    assert.equal(replaced?.instruction, "CMD");
    assert.equal(b.text(replaced.at), 'CMD ["gunicorn", "app:app", "--workers", "8"]');
    assert.equal(b.text(replaced.by), "gunicorn -w 2 app:app");
    assert.deepEqual(replaced.processes.map((p) => [p.invocation.server, p.workers.value, b.text(p.workers.at)]), [["gunicorn", 8, "8"]]);
  });

  test("a compose entrypoint replaces the ENTRYPOINT and drops the image's CMD", () => {
    const compose = ["services:", "  api:", "    build: .", '    entrypoint: ["gunicorn", "-w", "2", "app:app"]', ""].join("\n");
    const dockerfile = 'FROM python:3.12\nENTRYPOINT ["gunicorn", "app:app"]\nCMD ["--workers", "8"]\n';
    const b = build({ "docker-compose.yml": compose, Dockerfile: dockerfile });
    const api = b.deployment("compose:docker-compose.yml#api");
    // Compose: "If entrypoint is non-null, Compose ignores any default command from the image".
    assert.equal(only(api).workers.value, 2);
    assert.deepEqual(only(api).words.map((w) => w.value), ["gunicorn", "-w", "2", "app:app"]);
    assert.equal(api.replacedImageCommand?.instruction, "ENTRYPOINT");
    assert.equal(b.text(api.replacedImageCommand.at), 'ENTRYPOINT ["gunicorn", "app:app"]');
    assert.equal(api.replacedImageCommand.processes[0]?.workers.value, 8);
  });

  test("nothing is recorded when an override file replaces the command, or the Dockerfile has no CMD to replace", () => {
    const base = ["services:", "  api:", "    build: .", "    command: gunicorn -w 2 app:app", ""].join("\n");
    const override = ["services:", "  api:", "    command: gunicorn -w 1 --reload app:app", ""].join("\n");
    const withCmd = 'FROM python:3.12\nCMD ["gunicorn", "app:app", "--workers", "8"]\n';
    assert.equal(build({ "docker-compose.yml": base, "docker-compose.override.yml": override, Dockerfile: withCmd }).deployment("compose:docker-compose.yml#api").replacedImageCommand, undefined);
    assert.equal(build({ "docker-compose.yml": base, Dockerfile: "FROM python:3.12\n" }).deployment("compose:docker-compose.yml#api").replacedImageCommand, undefined);
  });

  test("string command", () => {
    const compose = ["services:", "  api:", "    build: .", "    command: gunicorn -w 2 app:app", ""].join("\n");
    const b = build({ "docker-compose.yml": compose, Dockerfile: 'FROM python:3.12\nCMD ["uvicorn", "app:app", "--workers", "8"]\n' });
    const p = only(b.deployment("compose:docker-compose.yml#api"));
    assert.equal(p.invocation.server, "gunicorn");
    assert.equal(p.workers.value, 2);
    assert.equal(p.workers.at?.file, "docker-compose.yml");
    assert.equal(b.text(p.workers.at), "2");
    assert.equal(b.text(p.commandAt), "gunicorn");
  });

  test("list command", () => {
    const compose = ["services:", "  api:", "    build: .", '    command: ["gunicorn", "--workers", "3", "app:app"]', ""].join("\n");
    const b = build({ "docker-compose.yml": compose, Dockerfile: 'FROM python:3.12\nCMD ["uvicorn", "app:app"]\n' });
    const p = only(b.deployment("compose:docker-compose.yml#api"));
    assert.equal(p.workers.value, 3);
    assert.equal(b.text(p.workers.at), "3");
    // A list item's span excludes its quotes.
    assert.equal(b.text(p.commandAt), "gunicorn");
  });
});

describe("docker-compose.override.yml replaces the base command", () => {
  const base = ["services:", "  web:", "    image: app", "    command: uvicorn app:app --workers 3", ""].join("\n");
  const override = ["services:", "  web:", "    command: uvicorn app:app --workers 1 --reload", ""].join("\n");

  test("the override's command wins: one worker with --reload", () => {
    const b = build({ "docker-compose.yml": base, "docker-compose.override.yml": override });
    const web = b.deployment("compose:docker-compose.yml#web");
    const p = only(web);
    assert.equal(p.invocation.server, "uvicorn");
    assert.equal(p.workers.value, 1);
    assert.equal(p.workers.at?.file, "docker-compose.override.yml");
    assert.equal(b.text(p.workers.at), "1");
    assert.equal(p.reload?.file, "docker-compose.override.yml");
    assert.equal(b.text(p.reload), "--reload");
    assert.deepEqual([...web.files].sort(), ["docker-compose.override.yml", "docker-compose.yml"]);
    assert.deepEqual(links(web), ["docker-compose.override.yml → docker-compose.yml"]);
    assert.equal(b.model.deployments.length, 1, "the override is not a project of its own");
  });

  test("without the override the base command stands", () => {
    const b = build({ "docker-compose.yml": base });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 3);
    assert.equal(b.text(p.workers.at), "3");
    assert.equal(p.reload, undefined);
  });

  test("an override that only adds environment keeps the base command and merges the env", () => {
    const envOnly = ["services:", "  web:", "    environment:", "      LOG_LEVEL: debug", ""].join("\n");
    const b = build({ "docker-compose.yml": base, "docker-compose.override.yml": envOnly });
    const web = b.deployment("compose:docker-compose.yml#web");
    assert.equal(only(web).workers.value, 3);
    assert.equal(web.env.get("LOG_LEVEL")?.value, "debug");
  });

  test("an add-on variant (docker-compose.prod.yml, a service without image or build) merges over the base", () => {
    const prod = ["services:", "  web:", "    command: gunicorn app.wsgi --workers 4", "    deploy:", "      resources:", "        limits:", "          cpus: '1.5'", ""].join("\n");
    const b = build({ "docker-compose.yml": base, "docker-compose.prod.yml": prod });
    const p = only(b.deployment("compose:docker-compose.prod.yml#web"));
    assert.equal(p.invocation.server, "gunicorn");
    assert.equal(p.workers.value, 4);
    assert.equal(b.text(p.workers.at), "4");
    assert.equal(b.deployment("compose:docker-compose.prod.yml#web").cpus?.value, 1.5);
    assert.equal(only(b.deployment("compose:docker-compose.yml#web")).workers.value, 3);
  });
});

describe("App Runner", () => {
  test("StartCommand with JSON escapes: spans point at the characters in the file", () => {
    const json = [
      "{",
      '  "ServiceName": "api",',
      '  "SourceConfiguration": {',
      '    "ImageRepository": {',
      '      "ImageConfiguration": {',
      '        "StartCommand": "sh -c \\"gunicorn -w 4 app:app\\""',
      "      }",
      "    }",
      "  },",
      '  "InstanceConfiguration": { "Cpu": "2 vCPU", "Memory": "4 GB" }',
      "}",
      "",
    ].join("\n");
    assert.ok(json.includes('"sh -c \\"gunicorn -w 4 app:app\\""'));
    const b = build({ "service.json": json });
    const d = b.deployment("apprunner:service.json");
    assert.equal(d.cpus?.value, 2);
    assert.equal(b.text(d.cpus?.at), "2 vCPU");
    const p = only(d);
    assert.equal(p.invocation.server, "gunicorn");
    assert.equal(p.workers.value, 4);
    assert.equal(b.text(p.workers.at), "4");
    assert.equal(b.text({ file: "service.json", start: p.invocation.program.start, end: p.invocation.program.end }), "gunicorn");
  });

  test("a service.json kept in deploy/ runs the image of the Dockerfile above it; one in its own folder wins", () => {
    const json = '{"ServiceName": "api", "SourceConfiguration": {"ImageRepository": {"ImageConfiguration": {"Port": "8080"}}}, "InstanceConfiguration": {"Cpu": "1 vCPU"}}';
    const root = 'FROM python:3.12\nCMD ["uvicorn", "app.main:app", "--workers", "4"]\n';
    const b = build({ "deploy/apprunner/service.json": json, Dockerfile: root });
    const p = only(b.deployment("apprunner:deploy/apprunner/service.json"));
    assert.deepEqual([p.invocation.server, p.workers.value, p.workers.at?.file], ["uvicorn", 4, "Dockerfile"]);
    const own = build({ "deploy/service.json": json, "deploy/Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "app:app", "-w", "2"]\n', Dockerfile: root });
    assert.deepEqual([only(own.deployment("apprunner:deploy/service.json")).invocation.server, only(own.deployment("apprunner:deploy/service.json")).workers.value], ["gunicorn", 2]);
  });

  test("the autoscaling configuration the ARN names, kept in the workspace, gives the instances its MaxSize", () => {
    const service = (name: string) =>
      `{"ServiceName": "api", "SourceConfiguration": {"ImageRepository": {"ImageConfiguration": {"StartCommand": "gunicorn -w 2 app:app"}}}, "AutoScalingConfigurationArn": "arn:aws:apprunner:eu-west-1:1:autoscalingconfiguration/${name}/2/abc"}`;
    const config = (name: string, size: string) => `{"AutoScalingConfigurationName": "${name}", "MaxConcurrency": 50, "MaxSize": ${size}}`;
    assert.equal(fileKind("infra/orders-auto-scaling.json"), "service.json");
    assert.equal(fileKind("infra/autoscaling_config.json"), "service.json");
    const b = build({ "infra/service.json": service("orders"), "infra/autoscaling.json": config("orders", "6"), Dockerfile: "FROM python:3.12\n" });
    const d = b.deployment("apprunner:infra/service.json");
    assert.deepEqual([d.instances.value, d.instancesAreMax, d.autoscaling, b.text(d.instances.at)], [6, true, undefined, "6"]);
    assert.equal(b.model.deployments.length, 1);
    // Another configuration's file, two sizes for one name, or a MaxSize that is not a whole number: the count stays unknown.
    const others: Array<Record<string, string>> = [
      { "infra/autoscaling.json": config("payments", "6") },
      { "a/autoscaling.json": config("orders", "6"), "b/autoscaling.json": config("orders", "3") },
      { "infra/autoscaling.json": config("orders", "2.5") },
    ];
    for (const files of others) {
      const other = build({ "infra/service.json": service("orders"), ...files }).deployment("apprunner:infra/service.json");
      assert.deepEqual([other.instances.value, other.instancesAreMax, other.autoscaling?.value], [1, undefined, "orders"]);
    }
  });

  test("a \\u escape in the worker count is one character with a six-character span", () => {
    const json = '{"ServiceName": "api", "SourceConfiguration": {"ImageRepository": {"ImageConfiguration": {"StartCommand": "gunicorn -w \\u0035 app:app"}}}}';
    const b = build({ "service.json": json });
    const p = only(b.deployment("apprunner:service.json"));
    assert.equal(p.workers.value, 5);
    assert.equal(b.text(p.workers.at), "\\u0035");
  });

  test("service.json with no StartCommand runs the start.sh in its folder, with its env", () => {
    const json = [
      "{",
      '  "ServiceName": "api",',
      '  "SourceConfiguration": { "CodeRepository": { "CodeConfiguration": { "CodeConfigurationValues": {',
      '    "RuntimeEnvironmentVariables": { "GUNICORN_WORKERS": "5" } } } } },',
      '  "InstanceConfiguration": { "Cpu": "1 vCPU", "Memory": "2 GB" }',
      "}",
      "",
    ].join("\n");
    const script = ["#!/bin/bash", "WORKERS=${GUNICORN_WORKERS:-2}", "exec gunicorn --workers ${WORKERS} app:app", ""].join("\n");
    const b = build({ "deploy/service.json": json, "deploy/start.sh": script });
    const d = b.deployment("apprunner:deploy/service.json");
    assert.deepEqual(links(d), ["deploy/service.json → deploy/start.sh"]);
    assert.deepEqual([...d.files].sort(), ["deploy/service.json", "deploy/start.sh"]);
    const p = only(d);
    assert.equal(p.workers.value, 5);
    assert.equal(p.workers.at?.file, "deploy/service.json");
    assert.equal(b.text(p.workers.at), "5");
    assert.equal(b.model.deployments.length, 1, "start.sh is claimed by the App Runner service");
  });

  test("without the env value the script's default is the number", () => {
    const json = '{"ServiceName": "api", "InstanceConfiguration": {"Cpu": "1 vCPU"}}';
    const script = "#!/bin/sh\nexec gunicorn --workers ${GUNICORN_WORKERS:-2} app:app\n";
    const b = build({ "service.json": json, "start.sh": script });
    const p = only(b.deployment("apprunner:service.json"));
    assert.equal(p.workers.value, 2);
    assert.equal(p.workers.at?.file, "start.sh");
    assert.equal(b.text(p.workers.at), "2");
  });

  test("apprunner.yaml run.command, on App Runner's default 1 vCPU", () => {
    const yaml = ["version: 1.0", "runtime: python3", "run:", "  command: gunicorn --workers 3 app:app", "  network:", "    port: 8000", ""].join("\n");
    const b = build({ "apprunner.yaml": yaml });
    const d = b.deployment("apprunner:apprunner.yaml");
    assert.equal(d.cpus?.value, 1);
    assert.equal(d.cpus?.origin, "default");
    const p = only(d);
    assert.equal(p.workers.value, 3);
    assert.equal(b.text(p.workers.at), "3");
  });

  test("service.json of a code repository with ConfigurationSource REPOSITORY runs apprunner.yaml of its SourceDirectory on its own instance size", () => {
    const json = (source: string) =>
      `{"ServiceName": "orders", "SourceConfiguration": {"CodeRepository": {"RepositoryUrl": "https://github.com/example/orders",${source} "CodeConfiguration": {"ConfigurationSource": "REPOSITORY"}}}, "InstanceConfiguration": {"Cpu": "2 vCPU", "Memory": "4 GB"}}`;
    const yaml = ["version: 1.0", "runtime: python3", "run:", "  command: gunicorn --workers 4 orders.wsgi", "  env:", "    - name: WEB_CONCURRENCY", '      value: "4"', ""].join("\n");
    const b = build({ "service.json": json(""), "apprunner.yaml": yaml });
    assert.deepEqual(b.model.deployments.map((d) => d.id), ["apprunner:service.json"]);
    const d = b.deployment("apprunner:service.json");
    assert.equal(d.cpus?.value, 2);
    assert.equal(d.cpus?.origin, "stated");
    assert.deepEqual(links(d), ["service.json → apprunner.yaml"]);
    assert.equal(d.env.get("WEB_CONCURRENCY")?.value, "4");
    const p = only(d);
    assert.equal(p.workers.value, 4);
    assert.equal(p.workers.at?.file, "apprunner.yaml");
    assert.equal(b.text(p.workers.at), "4");
    // SourceDirectory "/api": the apprunner.yaml at the root belongs to another service.
    const nested = build({ "service.json": json(' "SourceDirectory": "/api",'), "api/apprunner.yaml": yaml, "apprunner.yaml": yaml.replace("--workers 4", "--workers 2") });
    assert.deepEqual(nested.model.deployments.map((x) => x.id).sort(), ["apprunner:apprunner.yaml", "apprunner:service.json"]);
    assert.equal(only(nested.deployment("apprunner:service.json")).workers.at?.file, "api/apprunner.yaml");
    // ConfigurationSource API: service.json's own CodeConfigurationValues apply, apprunner.yaml is a deployment of its own.
    const api = build({ "service.json": json("").replace("REPOSITORY", "API"), "apprunner.yaml": yaml });
    assert.equal(api.deployment("apprunner:service.json").processes.length, 0);
    assert.equal(api.deployment("apprunner:apprunner.yaml").cpus?.origin, "default");
  });

  test("apprunner.json + Dockerfile in the same folder: the image's CMD runs on the service's CPU", () => {
    const json = '{"ServiceName": "iris", "InstanceConfiguration": {"Cpu": "0.25 vCPU", "Memory": "0.5 GB"}}';
    const dockerfile = 'FROM python:3.11-slim\nCMD ["uvicorn", "app.main:app", "--port", "9000"]\n';
    const b = build({ "apprunner.json": json, Dockerfile: dockerfile });
    const d = b.deployment("apprunner:apprunner.json");
    assert.equal(d.cpus?.value, 0.25);
    assert.deepEqual(links(d), ["apprunner.json → Dockerfile"]);
    const p = only(d);
    assert.equal(p.invocation.server, "uvicorn");
    assert.equal(p.workers.value, 1);
    assert.equal(p.workers.origin, "default");
  });
});

describe("worker counts from the server's own variables", () => {
  const run = (command: string, env: string) =>
    only(build({ "docker-compose.yml": ["services:", "  api:", "    image: app", `    command: ${command}`, "    environment:", ...env.split(";").map((e) => `      ${e}`), ""].join("\n") }).deployment("compose:docker-compose.yml#api"));

  test("UVICORN_WORKERS (uvicorn reads every option from UVICORN_*) over WEB_CONCURRENCY, under --workers", () => {
    assert.equal(run("uvicorn app:app", 'UVICORN_WORKERS: "4";WEB_CONCURRENCY: "2"').workers.value, 4);
    assert.equal(run("uvicorn app:app --workers 3", 'UVICORN_WORKERS: "4"').workers.value, 3);
    assert.equal(run("granian --interface asgi app:app", 'GRANIAN_WORKERS: "6"').workers.value, 6);
  });
});

describe("a worker count the platform sets", () => {
  test("--workers $GUNICORN_WORKERS with nothing in the workspace setting it is unresolved, not gunicorn's default", () => {
    const b = build({
      "docker-compose.yml": ["services:", "  web:", "    build: .", "    cpus: 2", ""].join("\n"),
      Dockerfile: ["FROM python:3.12", "CMD gunicorn app:app --workers $GUNICORN_WORKERS --bind 0.0.0.0:8000", ""].join("\n"),
    });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(b.text(p.workersUnresolved), "$GUNICORN_WORKERS");
  });

  test("a variable the service sets is a count", () => {
    const b = build({ Procfile: "web: gunicorn app:app --workers ${WEB_CONCURRENCY:-3}\n" });
    const p = only(b.deployment("procfile:Procfile#web"));
    assert.equal(p.workers.value, 3);
    assert.equal(p.workersUnresolved, undefined);
  });
});

describe("App Runner service.json with ConfigurationSource REPOSITORY", () => {
  const serviceJson = (source: string) =>
    JSON.stringify(
      {
        ServiceName: "api",
        SourceConfiguration: { CodeRepository: { RepositoryUrl: "https://github.com/example/api", SourceDirectory: "backend", CodeConfiguration: { ConfigurationSource: source } } },
        InstanceConfiguration: { Cpu: "2 vCPU", Memory: "4 GB" },
      },
      null,
      2,
    );
  const yaml = ["version: 1.0", "runtime: python311", "run:", "  command: gunicorn app:app --workers 6", "  env:", "    - name: DB_POOL_SIZE", '      value: "5"', ""].join("\n");

  test("runs apprunner.yaml's command and env on service.json's instance size: one deployment", () => {
    const b = build({ "service.json": serviceJson("REPOSITORY"), "backend/apprunner.yaml": yaml });
    assert.deepEqual(
      b.model.deployments.map((d) => d.id),
      ["apprunner:service.json"],
    );
    const api = b.deployment("apprunner:service.json");
    assert.equal(api.cpus?.value, 2);
    assert.equal(only(api).workers.value, 6);
    assert.equal(api.env.get("DB_POOL_SIZE")?.value, "5");
    assert.deepEqual(links(api), ["service.json → backend/apprunner.yaml"]);
  });

  test("with ConfigurationSource API the apprunner.yaml is not what runs", () => {
    const b = build({ "service.json": serviceJson("API"), "backend/apprunner.yaml": yaml });
    assert.equal(b.deployment("apprunner:service.json").processes.length, 0);
    assert.equal(b.deployment("apprunner:backend/apprunner.yaml").cpus?.origin, "default");
  });
});

describe("celery worker concurrency", () => {
  const worker = (command: string, env = "") =>
    build({ "docker-compose.yml": ["services:", "  worker:", "    image: app", `    command: ${command}`, ...(env ? ["    environment:", `      ${env}`] : []), ""].join("\n") }).deployment(
      "compose:docker-compose.yml#worker",
    );

  test("without --concurrency the prefork pool counts the host's CPUs", () => {
    const p = only(worker("celery -A proj worker -l info"));
    assert.deepEqual(p.workersFromCpuCount?.cpuFormula, { multiplier: 1, add: 0 });
    assert.equal(p.workersFromCpuCount?.option, "--concurrency");
  });

  test("--concurrency, --autoscale, a pool that does not fork, or CELERY_WORKER_CONCURRENCY set the count", () => {
    assert.equal(only(worker("celery -A proj worker -c 4")).workers.value, 4);
    // --autoscale=MAX,MIN: the pool grows to MAX processes, whatever --concurrency says; the count is MAX's digits.
    const autoscaled = build({ "docker-compose.yml": "services:\n  worker:\n    image: app\n    command: celery -A proj worker --autoscale=16,4 --concurrency 2\n" });
    const scaled = only(autoscaled.deployment("compose:docker-compose.yml#worker"));
    assert.deepEqual([scaled.workers.value, autoscaled.text(scaled.workers.at), scaled.workersFromCpuCount], [16, "16", undefined]);
    for (const d of [worker("celery -A proj worker --autoscale 8,2"), worker("celery -A proj worker -P threads"), worker("celery -A proj worker", 'CELERY_WORKER_CONCURRENCY: "4"')]) {
      assert.equal(only(d).workersFromCpuCount, undefined);
    }
  });
});

describe("Procfile", () => {
  test("web and worker lines are deployments of their own", () => {
    const procfile = ["web: gunicorn app:app --workers ${WEB_CONCURRENCY:-3}", "worker: celery -A app worker --concurrency 4", "release: python manage.py migrate", ""].join("\n");
    const b = build({ Procfile: procfile });
    const web = only(b.deployment("procfile:Procfile#web"));
    assert.equal(web.invocation.server, "gunicorn");
    assert.equal(web.workers.value, 3);
    assert.equal(b.text(web.workers.at), "3");
    const worker = only(b.deployment("procfile:Procfile#worker"));
    assert.equal(worker.invocation.server, "celery");
    assert.equal(worker.workers.value, 4);
    assert.equal(b.text(worker.workers.at), "4");
    assert.equal(b.deployment("procfile:Procfile#release").processes.length, 0);
  });
});

describe("compose values from .env and env_file", () => {
  const compose = ["services:", "  web:", "    image: app", "    command: gunicorn --workers ${WORKERS:-2} app:app", ""].join("\n");

  test("${WORKERS:-2} takes the project .env value", () => {
    const b = build({ "docker-compose.yml": compose, ".env": "WORKERS=4\n" });
    const d = b.deployment("compose:docker-compose.yml#web");
    const p = only(d);
    assert.equal(p.workers.value, 4);
    assert.equal(p.workers.at?.file, ".env");
    assert.equal(b.text(p.workers.at), "4");
    assert.ok(d.files.has(".env"));
  });

  test("${WORKERS:-2} falls back to its default without a .env", () => {
    const b = build({ "docker-compose.yml": compose });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 2);
    assert.equal(b.text(p.workers.at), "2");
  });

  test("environment: WEB_CONCURRENCY: ${WEB_CONCURRENCY:-3} is read from .env by gunicorn", () => {
    const c = ["services:", "  web:", "    image: app", "    command: gunicorn app:app", "    environment:", "      WEB_CONCURRENCY: ${WEB_CONCURRENCY:-3}", ""].join("\n");
    const withEnv = build({ "docker-compose.yml": c, ".env": "WEB_CONCURRENCY=6\n" });
    const p = only(withEnv.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 6);
    assert.equal(withEnv.text(p.workers.at), "6");
    const without = build({ "docker-compose.yml": c });
    const q = only(without.deployment("compose:docker-compose.yml#web"));
    assert.equal(q.workers.value, 3);
    assert.equal(without.text(q.workers.at), "3");
  });

  test("env_file feeds the container's environment and joins the deployment", () => {
    const c = ["services:", "  web:", "    image: app", "    command: gunicorn app:app", "    env_file:", "      - config/web.env", ""].join("\n");
    const b = build({ "docker-compose.yml": c, "config/web.env": "# web\nWEB_CONCURRENCY=5\n" });
    const d = b.deployment("compose:docker-compose.yml#web");
    const p = only(d);
    assert.equal(p.workers.value, 5);
    assert.equal(p.workers.at?.file, "config/web.env");
    assert.equal(b.text(p.workers.at), "5");
    assert.ok(d.files.has("config/web.env"));
  });
});

describe("compose list-form commands: compose interpolates inside each item", () => {
  const service = (command: string, extra: string[] = []) => ["services:", "  web:", "    image: app", `    command: ${command}`, ...extra, ""].join("\n");

  test("-w${WORKERS} and --workers=${WORKERS:-2} take the .env value, pointing at its .env line", () => {
    for (const item of ['"-w${WORKERS}"', '"--workers=${WORKERS:-2}"', "-w$WORKERS"]) {
      const b = build({ "docker-compose.yml": service(`["gunicorn", ${item}, "app:app"]`), ".env": "WORKERS=9\n" });
      const p = only(b.deployment("compose:docker-compose.yml#web"));
      assert.equal(p.workers.value, 9, item);
      assert.equal(p.workers.at?.file, ".env", item);
      assert.equal(b.text(p.workers.at), "9", item);
    }
  });

  test("the string form's -w${WORKERS} is located at the .env line too", () => {
    const b = build({ "docker-compose.yml": service("gunicorn -w${WORKERS} app:app"), ".env": "WORKERS=9\n" });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 9);
    assert.equal(b.text(p.workers.at), "9");
    assert.equal(p.workers.at?.file, ".env");
  });

  test("without a .env the default is the count, located at the reference (no number to rewrite there)", () => {
    const b = build({ "docker-compose.yml": service('["gunicorn", "--workers=${WORKERS:-2}", "app:app"]') });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 2);
    assert.equal(b.text(p.workers.at), "${WORKERS:-2}");
  });

  test("$${WORKERS} is the container's: read from the service's environment, not the .env", () => {
    const files = { "docker-compose.yml": service('["sh", "-c", "exec gunicorn --workers=$${WORKERS} app:app"]', ["    environment:", '      WORKERS: "3"']), ".env": "WORKERS=9\n" };
    const p = only(build(files).deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 3);
    assert.equal(p.workers.at?.file, "docker-compose.yml");
  });

  test("a `sh -c` item's ${WORKERS} is compose's: the .env value", () => {
    const b = build({ "docker-compose.yml": service('["sh", "-c", "exec gunicorn -w ${WORKERS:-2} app:app"]'), ".env": "WORKERS=9\n" });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 9);
    assert.equal(p.workers.at?.file, ".env");
  });

  test("postgres -c max_connections=${PG_MAX:-100}: the .env value, located at its line; else the default", () => {
    const db = ["services:", "  db:", "    image: postgres:16", '    command: ["postgres", "-c", "max_connections=${PG_MAX:-100}"]', ""].join("\n");
    const b = build({ "docker-compose.yml": db, ".env": "# limits\nPG_MAX=40\n" });
    const limit = b.model.databases.find((d) => d.name.startsWith("db"))?.maxConnections;
    assert.equal(limit?.value, 40);
    assert.equal(limit?.at?.file, ".env");
    assert.equal(b.text(limit?.at), "40");
    const fallback = build({ "docker-compose.yml": db }).model.databases.find((d) => d.name.startsWith("db"))?.maxConnections;
    assert.equal(fallback?.value, 100);
    assert.equal(fallback?.origin, "stated");
  });
});

describe("compose sizing written as variables", () => {
  const compose = [
    "services:",
    "  web:",
    "    image: app",
    "    command: gunicorn app:app -w 3",
    "    environment:",
    '      POSTGRES_USER: "${POSTGRES_USER}"',
    "    deploy:",
    '      replicas: ${WEB_REPLICAS:-2}',
    "      resources:",
    "        limits:",
    '          cpus: "${DOCKER_WEB_CPUS:-0}"',
    '          memory: "${DOCKER_WEB_MEMORY:-0}"',
    "",
  ].join("\n");

  test("cpus, memory and replicas take the project .env's values, each pointing at its .env line", () => {
    const env = "export DOCKER_WEB_CPUS=1.5\nDOCKER_WEB_MEMORY=2g\nPOSTGRES_USER=app\n";
    const b = build({ "docker-compose.yml": compose, ".env": env });
    const web = b.deployment("compose:docker-compose.yml#web");
    assert.equal(web.cpus?.value, 1.5);
    assert.equal(b.text(web.cpus?.at), "1.5");
    assert.equal(web.memoryMiB?.value, 2048);
    assert.equal(web.instances.value, 2);
    assert.equal(b.text(web.instances.at), "2");
    assert.equal(web.env.get("POSTGRES_USER")?.value, "app");
  });

  test("a default of 0 is no limit, as is a literal 0", () => {
    const b = build({ "docker-compose.yml": compose });
    const web = b.deployment("compose:docker-compose.yml#web");
    assert.equal(web.cpus, undefined);
    assert.equal(web.memoryMiB, undefined);
    const literal = build({ "docker-compose.yml": compose.replace('"${DOCKER_WEB_CPUS:-0}"', '"0"') });
    assert.equal(literal.deployment("compose:docker-compose.yml#web").cpus, undefined);
  });
});

describe("compose cpuset: the CPUs a service may run on", () => {
  const service = (lines: string[]) => ["services:", "  web:", "    image: app", "    command: gunicorn app:app -w 3", ...lines, ""].join("\n");

  test("counts the CPUs a list and ranges name, pointing at the list", () => {
    for (const [list, count] of [["0-1", 2], ["0,2", 2], ["0-3,6", 5], ["3", 1], ["0-3,2-5", 6], ["1,1", 1]] as const) {
      const b = build({ "docker-compose.yml": service([`    cpuset: "${list}"`]) });
      const web = b.deployment("compose:docker-compose.yml#web");
      assert.equal(web.cpus?.value, count, list);
      assert.equal(web.cpus?.cpuset, list);
      assert.equal(b.text(web.cpus?.at), list);
    }
  });

  test("a plain number is one CPU; what is not a CPU list is no limit", () => {
    assert.equal(build({ "docker-compose.yml": service(["    cpuset: 0"]) }).deployment("compose:docker-compose.yml#web").cpus?.value, 1);
    for (const list of ["3-1", "a-b", "0-", "", "0;1"]) assert.equal(build({ "docker-compose.yml": service([`    cpuset: "${list}"`]) }).deployment("compose:docker-compose.yml#web").cpus, undefined, list);
  });

  test("with cpus: too, the smaller bound applies and the other is kept", () => {
    const tighterSet = build({ "docker-compose.yml": service(['    cpuset: "0-1"', "    cpus: 4"]) });
    const a = tighterSet.deployment("compose:docker-compose.yml#web").cpus;
    assert.equal(a?.value, 2);
    assert.equal(tighterSet.text(a?.at), "0-1");
    assert.equal(a?.looser?.value, 4);
    assert.equal(tighterSet.text(a?.looser?.at), "4");
    const tighterQuota = build({ "docker-compose.yml": service(['    cpuset: "0-3"', "    deploy:", "      resources:", "        limits:", "          cpus: '1.5'"]) });
    const b = tighterQuota.deployment("compose:docker-compose.yml#web").cpus;
    assert.equal(b?.value, 1.5);
    assert.equal(b?.cpuset, undefined);
    assert.equal(b?.looser?.cpuset, "0-3");
  });

  test("an override's cpuset bounds the base file's cpus", () => {
    const b = build({ "docker-compose.yml": service(["    cpus: 4"]), "docker-compose.override.yml": 'services:\n  web:\n    cpuset: "0"\n' });
    const cpus = b.deployment("compose:docker-compose.yml#web").cpus;
    assert.equal(cpus?.value, 1);
    assert.equal(cpus?.at?.file, "docker-compose.override.yml");
    assert.equal(cpus?.looser?.at?.file, "docker-compose.yml");
  });

  test("written as a variable, it takes the project .env's value", () => {
    const b = build({ "docker-compose.yml": service(['    cpuset: "${WEB_CPUSET:-0}"']), ".env": "WEB_CPUSET=0-2\n" });
    const cpus = b.deployment("compose:docker-compose.yml#web").cpus;
    assert.equal(cpus?.value, 3);
    assert.equal(cpus?.cpuset, "0-2");
    assert.equal(cpus?.at?.file, ".env");
  });
});

describe("which PostgreSQL service a deployment connects to", () => {
  const compose = [
    "services:",
    "  web:",
    "    image: shop",
    "    command: gunicorn shop.wsgi -w 5",
    "    environment:",
    "      DATABASE_URL: postgres://shop:shop@pgbouncer:6432/shop",
    '      DB_POOL_SIZE: "10"',
    "  pgbouncer:",
    "    image: edoburu/pgbouncer",
    "    environment:",
    "      DB_HOST: db",
    "  auth:",
    "    image: quay.io/keycloak/keycloak",
    "    environment:",
    "      DB_URL: jdbc:postgresql://auth-db:5432/keycloak",
    "  jobs:",
    "    image: shop",
    "    command: celery -A shop worker -c 2",
    "    environment:",
    "      DATABASE_URL: postgres://shop:shop@db.internal.example.com:5432/shop",
    "  db:",
    "    image: postgres:16",
    "  auth-db:",
    "    image: postgres:16",
    "",
  ].join("\n");

  test("a URL or host naming another service of the project (PgBouncer, another database) is not a client; PgBouncer is not one either", () => {
    const b = build({ "docker-compose.yml": compose });
    const clients = (name: string) => b.model.databases.find((d) => d.name === `${name} (docker-compose.yml)`)?.clients.map((c) => c.split("#")[1]);
    const db = clients("db") ?? [];
    const authDb = clients("auth-db") ?? [];
    // web talks to pgbouncer, auth to auth-db; jobs names a host outside the project, so it may be either. PgBouncer's
    // own connections to db are counted from its settings (model/pgbouncer.ts), not as a client's pool.
    assert.deepEqual([db.includes("web"), db.includes("pgbouncer"), db.includes("auth"), db.includes("jobs")], [false, false, false, true]);
    assert.deepEqual(b.model.poolers?.map((p) => [p.name, p.clients, p.server]), [["pgbouncer (docker-compose.yml)", ["compose:docker-compose.yml#web"], "db (docker-compose.yml)"]]);
    assert.deepEqual([authDb.includes("web"), authDb.includes("pgbouncer"), authDb.includes("auth"), authDb.includes("jobs")], [false, false, true, true]);
  });
});

describe("a database's clients: the services that open connections to it", () => {
  // One env_file for every service, as many projects write it: nginx, redis and postgres read DB_POOL_SIZE too.
  const files = {
    "docker-compose.yml": [
      "services:",
      "  web:",
      "    build: .",
      "    env_file: .env",
      "    command: gunicorn shop.wsgi -w 3",
      "  mailer:",
      "    build: .",
      "    env_file: .env",
      "    command: python -m shop.mailer",
      "  nginx:",
      "    build: ./proxy",
      "    env_file: .env",
      "  cache:",
      "    image: docker.io/bitnami/redis:7.2@sha256:0123",
      "    env_file: .env",
      "  replica:",
      "    image: postgres:16",
      "    env_file: .env",
      "  db:",
      "    image: postgres:16",
      "    env_file: .env",
      "",
    ].join("\n"),
    ".env": "DATABASE_URL=postgres://shop:pw@db:5432/shop\nDB_POOL_SIZE=10\n",
    Dockerfile: "FROM python:3.12-slim AS base\nFROM base\nCMD [\"python\", \"-m\", \"shop\"]\n",
    "proxy/Dockerfile": "ARG NGINX_VERSION=1.27\nFROM --platform=linux/amd64 nginx:${NGINX_VERSION}-alpine AS proxy\nFROM proxy\nCOPY site.conf /etc/nginx/conf.d/\n",
  };

  test("app servers and the app's own commands are clients; proxies, caches and database servers are not, and have no pool", () => {
    const b = build(files);
    const db = b.model.databases.find((d) => d.name === "db (docker-compose.yml)");
    assert.deepEqual(db?.clients.map((c) => c.split("#")[1]), ["web", "mailer"]);
    const pooled = b.model.deployments.filter((d) => d.pool).map((d) => d.id.split("#")[1]);
    assert.deepEqual(pooled, ["web", "mailer"]);
  });

  test("the image is the Dockerfile's base, through named stages and --platform, else compose's image:", () => {
    const b = build(files);
    assert.equal(b.deployment("compose:docker-compose.yml#nginx").image, "nginx:${NGINX_VERSION}-alpine");
    assert.equal(b.deployment("compose:docker-compose.yml#web").image, "python:3.12-slim");
    assert.equal(b.deployment("compose:docker-compose.yml#cache").image, "docker.io/bitnami/redis:7.2@sha256:0123");
  });

  test("without a compose PostgreSQL service, the assumed database counts the same clients", () => {
    const { "docker-compose.yml": compose, ...rest } = files;
    const b = build({ ...rest, "docker-compose.yml": compose.replace(/ {2}replica:[\s\S]*$/, "") });
    assert.deepEqual(b.model.databases.map((d) => [d.name, d.clients.map((c) => c.split("#")[1])]), [["PostgreSQL (assumed)", ["web", "mailer"]]]);
  });
});

describe("worker counts a shell computes from nproc", () => {
  const compose = "services:\n  web:\n    build: .\n    deploy:\n      resources:\n        limits:\n          cpus: '1'\n";

  test("a start script's $(( $(nproc) * 2 + 1 )) through a variable is a CPU-count formula, pointing at the arithmetic", () => {
    const b = build({
      "docker-compose.yml": compose,
      Dockerfile: 'FROM python:3.12\nCOPY start.sh /start.sh\nCMD ["/start.sh"]\n',
      "start.sh": '#!/bin/sh\nWORKERS=$(( $(nproc) * 2 + 1 ))\nexec gunicorn app:app --workers "$WORKERS"\n',
    });
    const process = only(b.deployment("compose:docker-compose.yml#web"));
    assert.deepEqual(process.workersFromCpuCount?.cpuFormula, { multiplier: 2, add: 1 });
    assert.equal(b.text(process.workersFromCpuCount?.at), "$(( $(nproc) * 2 + 1 ))");
    assert.equal(process.workersUnresolved, undefined);
  });

  test("a shell-form CMD expands $(nproc); an exec-form CMD passes it to the server unexpanded (not a CPU count)", () => {
    const shellForm = only(build({ "docker-compose.yml": compose, Dockerfile: "FROM python:3.12\nCMD uvicorn app:app --workers $(nproc)\n" }).deployment("compose:docker-compose.yml#web"));
    assert.deepEqual([shellForm.workersFromCpuCount?.formula, shellForm.workersFromCpuCount?.option], ["--workers $(nproc)", "--workers"]);
    const execForm = only(build({ "docker-compose.yml": compose, Dockerfile: 'FROM python:3.12\nCMD ["uvicorn", "app:app", "--workers", "$(nproc)"]\n' }).deployment("compose:docker-compose.yml#web"));
    assert.deepEqual([execForm.workersFromCpuCount, execForm.workersUnresolved !== undefined], [undefined, true]);
    const joined = only(build({ "docker-compose.yml": compose, Dockerfile: "FROM python:3.12\nCMD gunicorn app:app --workers=$(( $(nproc) * 2 + 1 ))\n" }).deployment("compose:docker-compose.yml#web"));
    assert.deepEqual(joined.workersFromCpuCount?.cpuFormula, { multiplier: 2, add: 1 });
    const joinedExec = only(build({ "docker-compose.yml": compose, Dockerfile: 'FROM python:3.12\nCMD ["gunicorn", "app:app", "--workers=$(nproc)"]\n' }).deployment("compose:docker-compose.yml#web"));
    assert.equal(joinedExec.workersFromCpuCount, undefined);
  });
});

describe("compose build.target: the stage the service builds runs, not the Dockerfile's last", () => {
  const dockerfile = [
    "FROM python:3.12-slim AS Base",
    "ENV WEB_CONCURRENCY=2",
    "FROM base AS development",
    'CMD ["uvicorn", "app:app", "--reload"]',
    "FROM base AS production",
    "ENV WEB_CONCURRENCY=6",
    'CMD ["gunicorn", "app:app"]',
    "",
  ].join("\n");
  const service = (build: string) => `services:\n  web:\n    build:\n      context: .\n${build}`;
  const run = (build: string) => {
    const d = buildFiles(build);
    const p = only(d);
    return [p.invocation.server, p.workers.value, p.reload !== undefined, d.env.get("WEB_CONCURRENCY")?.value];
  };
  const buildFiles = (target: string) => build({ "docker-compose.yml": service(target), Dockerfile: dockerfile }).deployment("compose:docker-compose.yml#web");

  test("target: development runs that stage's CMD, with the ENV of the stages it is built from", () => {
    assert.deepEqual(run("      target: development\n"), ["uvicorn", 2, true, "2"]);
  });

  test("no target, or one the Dockerfile does not name, is the last stage; names match case-insensitively", () => {
    assert.deepEqual(run(""), ["gunicorn", 6, false, "6"]);
    assert.deepEqual(run("      target: staging\n"), ["gunicorn", 6, false, "6"]);
    assert.deepEqual(run("      target: Development\n"), ["uvicorn", 2, true, "2"]);
  });
});

describe("an entrypoint that dispatches on its first argument (`case \"$1\" in web) …`)", () => {
  const files = (command: string) => ({
    "docker-compose.yml": `services:\n  app:\n    build: .\n    command: ${command}\n`,
    Dockerfile: 'FROM python:3.12\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT ["/entrypoint.sh"]\nCMD ["web"]\n',
    "entrypoint.sh": '#!/bin/sh\ncase "$1" in\n  web|api) exec gunicorn app:app -w 4 ;;\n  "worker") exec celery -A app worker -c 2 ;;\n  *) exec "$@" ;;\nesac\n',
  });

  test("runs only the branch the CMD's first word selects", () => {
    const servers = (command: string) => build(files(command)).deployment("compose:docker-compose.yml#app").processes.map((p) => `${p.invocation.server} ${p.workers.value}`);
    assert.deepEqual(servers('["web"]'), ["gunicorn 4"]);
    assert.deepEqual(servers('["api"]'), ["gunicorn 4"]);
    assert.deepEqual(servers("worker"), ["celery 2"]);
    assert.deepEqual(servers('["uvicorn", "app:app", "--workers", "3"]'), ["uvicorn 3"]);
  });

  test('`exec gunicorn app:app "$@"`: the CMD after the ENTRYPOINT script is the server\'s options; a script nothing runs keeps "$@" unknown', () => {
    const script = '#!/bin/sh\nset -e\nexec gunicorn app:app --bind 0.0.0.0:8000 "$@"\n';
    const b = build({
      "docker-compose.yml": "services:\n  web:\n    build: .\n",
      Dockerfile: 'FROM python:3.12\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT ["/entrypoint.sh"]\nCMD ["--workers", "8"]\n',
      "entrypoint.sh": script,
    });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.deepEqual([p.workers.value, p.workers.at?.file, b.text(p.workers.at)], [8, "Dockerfile", "8"]);
    const alone = only(build({ "start.sh": script }).deployment("script:start.sh"));
    assert.deepEqual([alone.workers.value, alone.workers.origin], [1, "default"]);
  });

  test("an argument the model cannot know keeps every branch", () => {
    const b = build(files('["$ROLE"]'));
    assert.deepEqual(b.deployment("compose:docker-compose.yml#app").processes.map((p) => p.invocation.server), ["gunicorn", "celery"]);
  });

  test("a script kept in docker/ runs in the image's WORKDIR: gunicorn reads the build context's gunicorn.conf.py", () => {
    const b = build({
      "docker-compose.yml": "services:\n  app:\n    build: .\n",
      Dockerfile: 'FROM python:3.12\nCOPY . .\nENTRYPOINT ["docker/entrypoint.sh"]\nCMD ["web"]\n',
      "docker/entrypoint.sh": '#!/bin/sh\ncase "$1" in\n  web) exec gunicorn app:app ;;\n  *) exec "$@" ;;\nesac\n',
      "gunicorn.conf.py": "workers = 6\n",
    });
    const p = only(b.deployment("compose:docker-compose.yml#app"));
    assert.deepEqual([p.workers.value, p.workers.at?.file, p.config?.path], [6, "gunicorn.conf.py", "gunicorn.conf.py"]);
  });
});

describe("COMPOSE_FILE in .env: files from other folders, paths relative to the project directory", () => {
  const files = {
    "ops/.env": "COMPOSE_PATH_SEPARATOR=;\nCOMPOSE_FILE=../compose.yaml;prod/compose.prod.yaml\n",
    "compose.yaml": "services:\n  web:\n    build: .\n    command: gunicorn app:app -w 2\n    env_file: app.env\n",
    "app.env": "DB_POOL_SIZE=5\n",
    "ops/prod/compose.prod.yaml": "services:\n  web:\n    env_file: ops/prod/web.env\n    deploy:\n      replicas: 4\n",
    "ops/prod/web.env": "DB_POOL_SIZE=12\n",
    "ops/prod/ops/prod/web.env": "DB_POOL_SIZE=99\n",
  };

  test("one project of the listed files in order, its env_file paths read from the first file's folder", () => {
    const b = build(files);
    assert.deepEqual(b.model.deployments.map((d) => d.id), ["compose:compose.yaml#web"]);
    const web = b.deployment("compose:compose.yaml#web");
    assert.deepEqual([web.instances.value, web.env.get("DB_POOL_SIZE")?.value, web.env.get("DB_POOL_SIZE")?.at?.file], [4, "12", "ops/prod/web.env"]);
    assert.ok(web.files.has("ops/prod/compose.prod.yaml"));
  });

  test("without COMPOSE_FILE each file stands alone, as before", () => {
    const { "ops/.env": _env, ...rest } = files;
    const b = build(rest);
    assert.deepEqual(b.model.deployments.map((d) => d.id).sort(), ["compose:compose.yaml#web", "compose:ops/prod/compose.prod.yaml#web"]);
  });
});

describe("compose build.args replace the Dockerfile ARG defaults an ENV takes", () => {
  const dockerfile = ["FROM python:3.12", "ARG WEB_WORKERS=6", "ENV WORKERS=${WEB_WORKERS}", "CMD exec gunicorn --workers $WORKERS app:app", ""].join("\n");
  const compose = (args: string) => ["services:", "  web:", "    build:", "      context: .", ...args.split("\n").filter(Boolean), ""].join("\n");

  test("without build args the ARG default is the count, pointing at the ARG", () => {
    const b = build({ Dockerfile: dockerfile, "docker-compose.yml": compose("") });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 6);
    assert.equal(b.text(p.workers.at), "6");
  });

  test("build.args (list or map, interpolated from .env) win", () => {
    const list = build({ Dockerfile: dockerfile, "docker-compose.yml": compose("      args:\n        - WEB_WORKERS=2") });
    assert.equal(only(list.deployment("compose:docker-compose.yml#web")).workers.value, 2);
    const map = build({ Dockerfile: dockerfile, "docker-compose.yml": compose("      args:\n        WEB_WORKERS: ${WEB_WORKERS}"), ".env": "WEB_WORKERS=3\n" });
    const p = only(map.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 3);
    assert.equal(p.workers.at?.file, ".env");
  });
});

describe("hypercorn --config", () => {
  const compose = ["services:", "  web:", "    build: .", "    cpus: 2", ""].join("\n");
  const dockerfile = (config: string) => ["FROM python:3.12-slim", `CMD ["hypercorn", "--config", "${config}", "app:app"]`, ""].join("\n");

  test("a TOML file's workers count", () => {
    const b = build({ "docker-compose.yml": compose, Dockerfile: dockerfile("hypercorn.toml"), "hypercorn.toml": "workers = 4\n" });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 4);
    assert.equal(p.workers.at?.file, "hypercorn.toml");
  });

  test("python:module is a Python file read like gunicorn's", () => {
    const b = build({ "docker-compose.yml": compose, Dockerfile: dockerfile("python:deploy.hypercorn_conf"), "deploy/hypercorn_conf.py": "workers = 3\n" });
    assert.equal(only(b.deployment("compose:docker-compose.yml#web")).workers.value, 3);
  });
});

describe("Swarm stack files", () => {
  test("docker-stack.yml is a compose file: replicas and limits count", () => {
    assert.equal(fileKind("deploy/docker-stack.prod.yml"), "compose");
    const b = build({ "docker-stack.yml": ["services:", "  web:", "    image: app", "    command: gunicorn app:app -w 4", "    deploy:", "      replicas: 3", "      resources:", "        limits:", '          cpus: "1"', ""].join("\n") });
    const web = b.deployment("compose:docker-stack.yml#web");
    assert.equal(web.instances.value, 3);
    assert.equal(web.cpus?.value, 1);
  });
});

describe("YAML anchors and merge keys", () => {
  const compose = [
    "x-app: &app",
    "  image: app",
    "  command: gunicorn --workers 4 app:app",
    "  deploy:",
    "    resources:",
    "      limits:",
    '        cpus: "1"',
    "services:",
    "  web:",
    "    <<: *app",
    "  web2:",
    "    <<: *app",
    "    command: gunicorn --workers 2 app:app",
    "",
  ].join("\n");

  test("a merged command and limit are read where the anchor writes them; an explicit key wins", () => {
    const b = build({ "docker-compose.yml": compose });
    const web = b.deployment("compose:docker-compose.yml#web");
    assert.equal(web.cpus?.value, 1);
    const p = only(web);
    assert.equal(p.workers.value, 4);
    assert.equal(b.text(p.workers.at), "4");
    assert.ok((p.workers.at?.start ?? 0) < compose.indexOf("services:"), "the anchor's text");
    const web2 = b.deployment("compose:docker-compose.yml#web2");
    assert.equal(web2.cpus?.value, 1);
    const q = only(web2);
    assert.equal(q.workers.value, 2);
    assert.equal(b.text(q.workers.at), "2");
    assert.ok((q.workers.at?.start ?? 0) > compose.indexOf("web2:"));
  });
});

describe("environment built from anchors with `<<`", () => {
  test("merged keys count, explicit keys win, and each value points where it is written", () => {
    const compose = [
      "x-env: &env",
      "  DATABASE_URL: postgresql://app@db/app",
      '  DB_POOL_SIZE: "5"',
      '  DB_MAX_OVERFLOW: "5"',
      "services:",
      "  api:",
      "    image: app",
      "    command: gunicorn app:app --workers 3",
      "    environment:",
      "      <<: *env",
      '      DB_POOL_SIZE: "2"',
      "",
    ].join("\n");
    const b = build({ "docker-compose.yml": compose });
    const api = b.deployment("compose:docker-compose.yml#api");
    assert.equal(api.env.get("DATABASE_URL")?.value, "postgresql://app@db/app");
    assert.equal(api.env.get("DB_POOL_SIZE")?.value, "2");
    assert.ok((api.env.get("DB_POOL_SIZE")?.at?.start ?? 0) > compose.indexOf("services:"));
    assert.equal(b.text(api.env.get("DB_MAX_OVERFLOW")?.at), "5");
    assert.equal(api.pool?.overflow?.value, 5);
  });
});

describe("compose `command: >` folded over several lines", () => {
  test("each word points at its own characters, not at the offset the folded value would have", () => {
    const compose = ["services:", "  web:", "    image: app", "    command: >", '      sh -c "python manage.py migrate &&', '             gunicorn app:app --workers 3"', ""].join("\n");
    const b = build({ "docker-compose.yml": compose });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 3);
    assert.equal(p.workers.at?.start, compose.indexOf("3\""));
    assert.equal(compose.slice(p.invocation.program.start, p.invocation.program.end), "gunicorn");
  });
});

describe("shell options before -c in a list command", () => {
  test('["bash", "-lc", ...], ["/bin/sh", "-ec", ...] and ["bash", "-o", "pipefail", "-c", ...] run the string', () => {
    for (const shell of ['"bash", "-lc"', '"/bin/sh", "-ec"', '"bash", "-o", "pipefail", "-c"']) {
      const b = build({ "docker-compose.yml": ["services:", "  web:", "    image: app", `    command: [${shell}, "python manage.py migrate && gunicorn app.wsgi -w 9"]`, ""].join("\n") });
      const p = only(b.deployment("compose:docker-compose.yml#web"));
      assert.equal(p.workers.value, 9, shell);
      assert.equal(b.text(p.workers.at), "9");
    }
  });
});

describe("env_file names any file", () => {
  test("cookiecutter-django's .envs/.production/.django is read and joins the deployment", () => {
    const b = build({
      "docker-compose.production.yml": ["services:", "  django:", "    image: app", "    command: gunicorn config.wsgi", "    env_file:", "      - ./.envs/.production/.django", "      - ./.envs/.production/.missing", ""].join("\n"),
      ".envs/.production/.django": "WEB_CONCURRENCY=3\n",
    });
    const django = b.deployment("compose:docker-compose.production.yml#django");
    assert.equal(only(django).workers.value, 3);
    assert.ok(django.files.has(".envs/.production/.django"));
    assert.ok(!django.files.has(".envs/.production/.missing"));
  });
});

describe("compose `command: |` over several lines", () => {
  test("line breaks outside quotes separate words (compose splits with shlex), not commands", () => {
    const compose = ["services:", "  web:", "    image: app", "    command: |", "      gunicorn app:app", "        --workers 3", "        --bind 0.0.0.0:8000", ""].join("\n");
    const b = build({ "docker-compose.yml": compose });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 3);
    assert.equal(p.workers.at?.start, compose.indexOf("3"));
  });
});

describe("compose's $$ escape in commands", () => {
  test("$${X} is expanded by the container's shell from the service env, ${X} by compose from .env", () => {
    const compose = [
      "services:",
      "  web:",
      "    image: app",
      "    environment:",
      '      WORKERS: "9"',
      '      THREADS: "8"',
      '    command: sh -c "gunicorn app.wsgi -w $${WORKERS:-4} --threads ${THREADS:-2}"',
      "  api:",
      "    image: app",
      "    environment:",
      '      UV_WORKERS: "7"',
      '    command: ["sh", "-c", "exec uvicorn app:app --workers $$UV_WORKERS"]',
      "",
    ].join("\n");
    const b = build({ "docker-compose.yml": compose, ".env": "THREADS=3\n" });
    const web = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(web.workers.value, 9);
    assert.equal(b.text(web.workers.at), "9");
    assert.equal(web.threads?.value, 3);
    const api = only(b.deployment("compose:docker-compose.yml#api"));
    assert.equal(api.workers.value, 7);
  });
});

describe("sh -c strings", () => {
  test("compose `command: bash -c \"...\"` runs the server inside the string", () => {
    const compose = ["services:", "  api:", "    image: app", '    command: bash -c "gunicorn main:app -w 2 -b unix:/tmp/api.sock"', ""].join("\n");
    const b = build({ "docker-compose.yml": compose });
    const p = only(b.deployment("compose:docker-compose.yml#api"));
    assert.equal(p.invocation.server, "gunicorn");
    assert.equal(p.workers.value, 2);
    assert.equal(b.text(p.workers.at), "2");
  });

  test("compose string command: the server after `wait; ...` in a bash -c script", () => {
    const compose = ["services:", "  web:", "    image: app", "    command: bash -c 'while !</dev/tcp/db/5432; do sleep 1; done; uwsgi --processes 3 uwsgi.ini'", ""].join("\n");
    const b = build({ "docker-compose.yml": compose });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.invocation.server, "uwsgi");
    assert.equal(p.workers.value, 3);
    assert.equal(b.text(p.workers.at), "3");
  });

  test("compose list command [sh, -c, '... && gunicorn ...']", () => {
    const compose = ["services:", "  api:", "    image: app", '    command: ["sh", "-c", "python manage.py migrate && gunicorn -w 3 app:app"]', ""].join("\n");
    const b = build({ "docker-compose.yml": compose });
    const p = only(b.deployment("compose:docker-compose.yml#api"));
    assert.equal(p.workers.value, 3);
    assert.equal(b.text(p.workers.at), "3");
  });

  test("Dockerfile CMD [\"sh\", \"-c\", \"gunicorn ...\"] under compose", () => {
    const compose = ["services:", "  api:", "    build: .", ""].join("\n");
    const dockerfile = 'FROM python:3.12\nCMD ["sh", "-c", "exec gunicorn --workers 5 app:app"]\n';
    const b = build({ "docker-compose.yml": compose, Dockerfile: dockerfile });
    const p = only(b.deployment("compose:docker-compose.yml#api"));
    assert.equal(p.workers.value, 5);
    assert.equal(p.workers.at?.file, "Dockerfile");
    assert.equal(b.text(p.workers.at), "5");
  });

  test("Dockerfile shell-form CMD runs with sh -c: the server after `migrate &&`", () => {
    const compose = ["services:", "  api:", "    build: .", ""].join("\n");
    const dockerfile = "FROM python:3.12\nCMD python manage.py migrate && gunicorn --workers 2 app.wsgi\n";
    const b = build({ "docker-compose.yml": compose, Dockerfile: dockerfile });
    const p = only(b.deployment("compose:docker-compose.yml#api"));
    assert.equal(p.invocation.server, "gunicorn");
    assert.equal(p.workers.value, 2);
    assert.equal(b.text(p.workers.at), "2");
  });

  test("compose entrypoint [bash, -c] with the script as the command", () => {
    const compose = ["services:", "  api:", "    image: app", "    entrypoint:", "      - bash", "      - -c", "    command:", "      - gunicorn --workers 2 app:app", ""].join("\n");
    const b = build({ "docker-compose.yml": compose });
    const p = only(b.deployment("compose:docker-compose.yml#api"));
    assert.equal(p.workers.value, 2);
    assert.equal(b.text(p.workers.at), "2");
  });
});

describe("compose entrypoint script that is not in the workspace", () => {
  test("the command it is given is still the server (chatwoot: entrypoint rails.sh, command rails s)", () => {
    const compose = ["services:", "  rails:", "    image: chatwoot/chatwoot:latest", "    entrypoint: docker/entrypoints/rails.sh", "    command: ['bundle', 'exec', 'rails', 's', '-p', '3000', '-b', '0.0.0.0']", ""].join("\n");
    const b = build({ "docker-compose.yml": compose });
    const p = only(b.deployment("compose:docker-compose.yml#rails"));
    assert.equal(p.invocation.server, "rails");
  });

  test("an entrypoint script in the workspace gets the command as \"$@\"", () => {
    const compose = ["services:", "  web:", "    image: app", "    entrypoint: ./docker/entrypoint.sh", '    command: ["gunicorn", "-w", "2", "app:app"]', ""].join("\n");
    const b = build({ "docker-compose.yml": compose, "docker/entrypoint.sh": '#!/bin/sh\nset -e\nexec "$@"\n' });
    const d = b.deployment("compose:docker-compose.yml#web");
    const p = only(d);
    assert.equal(p.workers.value, 2);
    assert.equal(b.text(p.workers.at), "2");
    assert.deepEqual(
      p.words.map((w) => w.value),
      ["gunicorn", "-w", "2", "app:app"],
    );
    assert.ok(d.files.has("docker/entrypoint.sh"));
  });
});

describe("server config files", () => {
  test("puma -C config/puma.rb: workers from the file (ENV.fetch default), linked", () => {
    const compose = ["services:", "  web:", "    image: app", "    command: bundle exec puma -C config/puma.rb", ""].join("\n");
    const puma = ["threads 5, 5", "workers ENV.fetch('WEB_CONCURRENCY') { 2 }", "preload_app!", ""].join("\n");
    const b = build({ "docker-compose.yml": compose, "config/puma.rb": puma });
    const d = b.deployment("compose:docker-compose.yml#web");
    const p = only(d);
    assert.equal(p.invocation.server, "puma");
    assert.equal(p.workers.value, 2);
    assert.equal(p.workers.at?.file, "config/puma.rb");
    assert.equal(b.text(p.workers.at), "2");
    assert.ok(d.files.has("config/puma.rb"));
    assert.deepEqual(links(d), ["docker-compose.yml → config/puma.rb"]);
  });

  test("unicorn -c config/unicorn.rb: worker_processes from the file (Integer(ENV[...] || 3)), WEB_CONCURRENCY wins; no -c, unicorn's default 1", () => {
    const unicorn = ['worker_processes Integer(ENV["WEB_CONCURRENCY"] || 3)', "timeout 15", "preload_app true", "before_fork do |server, worker|", "  worker_processes 9", "end", ""].join("\n");
    const b = build({ Procfile: "web: bundle exec unicorn -p $PORT -c ./config/unicorn.rb\nlegacy: bundle exec unicorn -p 3001\n", "config/unicorn.rb": unicorn });
    const d = b.deployment("procfile:Procfile#web");
    const p = only(d);
    assert.equal(p.invocation.server, "unicorn");
    assert.equal(p.workers.value, 3);
    assert.equal(p.workers.origin, "stated");
    assert.equal(b.text(p.workers.at), "3");
    assert.deepEqual(links(d), ["Procfile → config/unicorn.rb"]);
    assert.equal(only(b.deployment("procfile:Procfile#legacy")).workers.value, 1);
    const compose = ["services:", "  web:", "    image: app", "    command: bundle exec unicorn -c config/unicorn.rb", "    environment:", "      WEB_CONCURRENCY: 6", ""].join("\n");
    const fromEnv = only(build({ "docker-compose.yml": compose, "config/unicorn.rb": unicorn }).deployment("compose:docker-compose.yml#web"));
    assert.equal(fromEnv.workers.value, 6);
    assert.equal(fromEnv.workers.at?.file, "docker-compose.yml");
  });

  test("puma without -C reads config/puma.rb by default; WEB_CONCURRENCY from the service wins", () => {
    const compose = ["services:", "  web:", "    image: app", "    command: bundle exec puma", "    environment:", "      WEB_CONCURRENCY: 3", ""].join("\n");
    const puma = "workers ENV.fetch('WEB_CONCURRENCY') { 2 }\n";
    const b = build({ "docker-compose.yml": compose, "config/puma.rb": puma });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 3);
    assert.equal(p.workers.at?.file, "docker-compose.yml");
    assert.equal(b.text(p.workers.at), "3");
  });

  test("gunicorn conf: WEB_CONCURRENCY unset falls back to a cpu_count() formula (tiangolo's gunicorn_conf.py)", () => {
    const conf = [
      "import multiprocessing",
      "import os",
      'web_concurrency_str = os.getenv("WEB_CONCURRENCY", None)',
      "cores = multiprocessing.cpu_count()",
      "if web_concurrency_str:",
      "    web_concurrency = int(web_concurrency_str)",
      "else:",
      "    web_concurrency = max(int(cores), 2)",
      "workers = web_concurrency",
      "",
    ].join("\n");
    const script = '#!/bin/sh\nexec gunicorn -k uvicorn.workers.UvicornWorker -c /gunicorn_conf.py app.main:app\n';
    const b = build({ "start.sh": script, "gunicorn_conf.py": conf });
    const d = b.deployment("script:start.sh");
    const p = only(d);
    assert.ok(p.workersFromCpuCount, "workers come from cpu_count()");
    assert.equal(p.workersFromCpuCount.at.file, "gunicorn_conf.py");
    assert.deepEqual(links(d), ["start.sh → gunicorn_conf.py"]);
  });

  test("gunicorn conf: int(os.getenv(\"GUNICORN_WORKERS\", cpu_count() * 2 + 1)) unset keeps its formula, and the variable is where to set the count", () => {
    const conf = 'import multiprocessing, os\nworkers = int(os.getenv("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))\n';
    const p = only(build({ "start.sh": "#!/bin/sh\nexec gunicorn -c gunicorn.conf.py app:app\n", "gunicorn.conf.py": conf }).deployment("script:start.sh"));
    assert.deepEqual([p.workersFromCpuCount?.cpuFormula, p.workersFromCpuCount?.option], [{ multiplier: 2, add: 1 }, "GUNICORN_WORKERS="]);
  });
});

describe("gunicorn settings in gunicorn's order: command line, GUNICORN_CMD_ARGS, config file, WEB_CONCURRENCY", () => {
  const compose = (command: string, env: string[]) => ["services:", "  web:", "    image: app", `    command: ${command}`, "    environment:", ...env.map((e) => `      ${e}`), ""].join("\n");
  const conf = "workers = 3\nworker_class = 'gthread'\n";

  test("the command line beats GUNICORN_CMD_ARGS", () => {
    const b = build({ "docker-compose.yml": compose("gunicorn -w 2 app:app", ['GUNICORN_CMD_ARGS: "--workers=6"']) });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 2);
    assert.equal(b.text(p.workers.at), "2");
  });

  test("GUNICORN_CMD_ARGS beats the config file and WEB_CONCURRENCY; the number points into the value", () => {
    const b = build({ "docker-compose.yml": compose("gunicorn app:app", ['GUNICORN_CMD_ARGS: "--bind 0.0.0.0:80 --workers=6"', "WEB_CONCURRENCY: 4"]), "gunicorn.conf.py": conf });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 6);
    assert.equal(p.workers.at?.file, "docker-compose.yml");
    assert.equal(b.text(p.workers.at), "6");
    assert.equal(p.config?.path, "gunicorn.conf.py");
  });

  test("the config file beats WEB_CONCURRENCY (gunicorn's default for workers)", () => {
    const b = build({ "docker-compose.yml": compose("gunicorn app:app", ["WEB_CONCURRENCY: 4"]), "gunicorn.conf.py": conf });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 3);
    assert.equal(p.workers.at?.file, "gunicorn.conf.py");
  });

  test("a cpu_count() formula in the config file is not overridden by WEB_CONCURRENCY", () => {
    const b = build({ "docker-compose.yml": compose("gunicorn app:app", ["WEB_CONCURRENCY: 4"]), "gunicorn.conf.py": "import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n" });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.ok(p.workersFromCpuCount);
    assert.equal(p.workers.value, 1);
    assert.equal(p.workers.origin, "default");
  });

  test("WEB_CONCURRENCY alone sets the workers", () => {
    const b = build({ "docker-compose.yml": compose("gunicorn app:app", ["WEB_CONCURRENCY: 4"]) });
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 4);
    assert.equal(b.text(p.workers.at), "4");
  });

  test("-c in GUNICORN_CMD_ARGS names the config file; -c on the command line wins over it", () => {
    const files = { "gunicorn/prod.py": "workers = 5\n", "gunicorn/other.py": "workers = 7\n" };
    const fromEnv = build({ ...files, "docker-compose.yml": compose("gunicorn app:app", ['GUNICORN_CMD_ARGS: "-c gunicorn/prod.py"']) });
    const p = only(fromEnv.deployment("compose:docker-compose.yml#web"));
    assert.equal(p.workers.value, 5);
    assert.ok(fromEnv.deployment("compose:docker-compose.yml#web").files.has("gunicorn/prod.py"));
    const both = build({ ...files, "docker-compose.yml": compose("gunicorn -c gunicorn/other.py app:app", ['GUNICORN_CMD_ARGS: "-c gunicorn/prod.py"']) });
    assert.equal(only(both.deployment("compose:docker-compose.yml#web")).workers.value, 7);
  });

  test("--config python:config.gunicorn is the module's file, read as text; file:PATH is the path", () => {
    const b = build({ "docker-compose.yml": compose('gunicorn --config "python:config.gunicorn" config.wsgi', ["X: y"]), "config/gunicorn.py": "workers = 4\n" });
    const d = b.deployment("compose:docker-compose.yml#web");
    assert.equal(only(d).workers.value, 4);
    assert.deepEqual(links(d), ["docker-compose.yml → config/gunicorn.py"]);
    const f = build({ "docker-compose.yml": compose("gunicorn -c file:conf/g.py app", ["X: y"]), "conf/g.py": "workers = 9\n" });
    assert.equal(only(f.deployment("compose:docker-compose.yml#web")).workers.value, 9);
  });

  test("gunicorn rules read the same places: worker_class from GUNICORN_CMD_ARGS, then the config file", async () => {
    const { gunicornSetting } = await import("../../server/src/engine/rules/gunicorn/settings.ts");
    const files = { "docker-compose.yml": compose("gunicorn --threads 4 app", ['GUNICORN_CMD_ARGS: "-k gevent"']), "gunicorn.conf.py": conf };
    const b = build(files);
    const p = only(b.deployment("compose:docker-compose.yml#web"));
    // Each value says where it is written, so a rule can point at it.
    const written = (s: ReturnType<typeof gunicornSetting>) => ("at" in s && s.at ? `${s.at.file}:${files[s.at.file as keyof typeof files].slice(s.at.start, s.at.end)}` : undefined);
    const workerClass = gunicornSetting(p, "worker_class");
    assert.equal(workerClass.from === "env" && workerClass.option.name, "worker_class");
    assert.deepEqual({ from: workerClass.from, value: "value" in workerClass ? workerClass.value : undefined, at: written(workerClass) }, { from: "env", value: "gevent", at: "docker-compose.yml:gevent" });
    const workers = gunicornSetting(p, "workers");
    assert.deepEqual({ ...workers, at: written(workers) }, { from: "conf", value: "3", at: "gunicorn.conf.py:3" });
    assert.equal(gunicornSetting(p, "threads").from, "command");
    assert.deepEqual(gunicornSetting(p, "timeout"), { from: "default" });
  });
});

describe("compose variants: `docker compose -f base -f variant`", () => {
  const base = ["services:", "  web:", "    build: .", "    command: gunicorn app:app -w 2", "    environment:", "      A: base", "    deploy:", "      resources:", "        limits:", "          cpus: '1'", "  db:", "    image: postgres:16", ""].join("\n");
  const override = ["services:", "  web:", "    command: gunicorn app:app -w 1 --reload", ""].join("\n");
  const prod = ["services:", "  web:", "    command: gunicorn app:app -w 8", "    environment:", "      B: prod", ""].join("\n");

  test("the add-on project merges base + variant, not the override; the base project keeps its override", () => {
    const b = build({ "docker-compose.yml": base, "docker-compose.override.yml": override, "docker-compose.prod.yml": prod, Dockerfile: "FROM python\n" });
    const web = b.deployment("compose:docker-compose.prod.yml#web");
    const p = only(web);
    assert.equal(p.workers.value, 8);
    assert.equal(p.workers.at?.file, "docker-compose.prod.yml");
    assert.equal(p.reload, undefined, "the override is not part of a -f project");
    assert.equal(web.cpus?.value, 1, "the limit comes from the base");
    assert.deepEqual([web.env.get("A")?.value, web.env.get("B")?.value], ["base", "prod"]);
    assert.deepEqual([...web.files].sort(), ["Dockerfile", "docker-compose.prod.yml", "docker-compose.yml"]);
    assert.ok(links(web).includes("docker-compose.prod.yml → docker-compose.yml"), links(web).join("; "));
    assert.ok(b.deployment("compose:docker-compose.prod.yml#db"), "the base's other services are in the project too");
    const dev = only(b.deployment("compose:docker-compose.yml#web"));
    assert.equal(dev.workers.value, 1);
    assert.ok(dev.reload);
  });

  test("compose.production.yaml adds to compose.yaml; a complete variant stands alone", () => {
    const b = build({ "compose.yaml": base, "compose.production.yaml": prod });
    assert.equal(only(b.deployment("compose:compose.production.yaml#web")).workers.value, 8);
    const complete = ["services:", "  web:", "    image: app:prod", "    command: gunicorn app:app -w 4", ""].join("\n");
    const c = build({ "docker-compose.yml": base, "docker-compose.prod.yml": complete, Dockerfile: "FROM python\n" });
    const web = c.deployment("compose:docker-compose.prod.yml#web");
    assert.equal(only(web).workers.value, 4);
    assert.equal(web.cpus, undefined, "nothing is merged from the base");
    assert.equal(c.model.deployments.filter((d) => d.id.startsWith("compose:docker-compose.prod.yml#")).length, 1);
  });

  test("a variant without a base beside it is a project of its own (cookiecutter-django's docker-compose.production.yml)", () => {
    const b = build({ "docker-compose.production.yml": prod });
    assert.equal(only(b.deployment("compose:docker-compose.production.yml#web")).workers.value, 8);
  });
});

describe("compose extends", () => {
  test("same file, string and map forms: the parent's command, limits and env; own keys win", () => {
    const compose = [
      "services:",
      "  common:",
      "    image: app",
      "    command: gunicorn app:app -w 3",
      "    environment:",
      "      A: parent",
      "      B: parent",
      "    deploy:",
      "      resources:",
      "        limits:",
      "          cpus: '2'",
      "  web:",
      "    extends: common",
      "    environment:",
      "      B: child",
      "  worker:",
      "    extends:",
      "      service: common",
      "    command: gunicorn app:app -w 5",
      "",
    ].join("\n");
    const b = build({ "docker-compose.yml": compose });
    const web = b.deployment("compose:docker-compose.yml#web");
    assert.equal(only(web).workers.value, 3);
    assert.equal(b.text(only(web).workers.at), "3");
    assert.equal(web.cpus?.value, 2);
    assert.deepEqual([web.env.get("A")?.value, web.env.get("B")?.value], ["parent", "child"]);
    assert.equal(only(b.deployment("compose:docker-compose.yml#worker")).workers.value, 5);
  });

  test("file: form, relative to the extending file; the other file joins the deployment", () => {
    const compose = ["services:", "  web:", "    extends:", "      file: common/services.yml", "      service: app", ""].join("\n");
    const common = ["services:", "  app:", "    image: app", "    command: gunicorn app:app -w 6", ""].join("\n");
    const b = build({ "deploy/docker-compose.yml": compose, "deploy/common/services.yml": common });
    const web = b.deployment("compose:deploy/docker-compose.yml#web");
    assert.equal(only(web).workers.value, 6);
    assert.equal(only(web).workers.at?.file, "deploy/common/services.yml");
    assert.ok(web.files.has("deploy/common/services.yml"));
    assert.ok(links(web).includes("deploy/docker-compose.yml → deploy/common/services.yml"), links(web).join("; "));
  });

  test("a build context in the extended file is relative to that file's folder; the base's own context to the base's", () => {
    const dockerfile = (w: number) => `FROM python\nCMD ["gunicorn", "app:app", "-w", "${w}"]\n`;
    const files = {
      "docker-compose.yml": "services:\n  web:\n    extends: { file: services/common.yml, service: app }\n  own:\n    build: ./api\n",
      "services/common.yml": "services:\n  app:\n    build:\n      context: ./api\n",
      "services/api/Dockerfile": dockerfile(7),
      "api/Dockerfile": dockerfile(2),
    };
    const b = build(files);
    const web = b.deployment("compose:docker-compose.yml#web");
    assert.equal(only(web).workers.value, 7);
    assert.ok(links(web).includes("docker-compose.yml → services/api/Dockerfile"), links(web).join("; "));
    assert.equal(only(b.deployment("compose:docker-compose.yml#own")).workers.value, 2);
  });

  test("cycles and self-reference stop, with the service's own keys", () => {
    const compose = [
      "services:",
      "  a:",
      "    extends: b",
      "    command: gunicorn app:app -w 2",
      "  b:",
      "    extends: a",
      "    image: app",
      "  self:",
      "    extends: self",
      "    command: gunicorn app:app -w 4",
      "",
    ].join("\n");
    const b = build({ "docker-compose.yml": compose });
    assert.equal(only(b.deployment("compose:docker-compose.yml#a")).workers.value, 2);
    assert.equal(only(b.deployment("compose:docker-compose.yml#b")).workers.value, 2);
    assert.equal(only(b.deployment("compose:docker-compose.yml#self")).workers.value, 4);
  });

  test("a file: that is not in the workspace leaves the service as written", () => {
    const compose = ["services:", "  web:", "    extends: { file: missing.yml, service: app }", "    command: gunicorn app:app -w 2", ""].join("\n");
    assert.equal(only(build({ "docker-compose.yml": compose }).deployment("compose:docker-compose.yml#web")).workers.value, 2);
  });
});

describe("positional parameters in a function body take the call's arguments", () => {
  const app = (script: string, cmd = '["web"]') =>
    build({
      "docker-compose.yml": `services:\n  app:\n    build: .\n    command: ${cmd}\n`,
      Dockerfile: 'FROM python:3.12\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT ["/entrypoint.sh"]\n',
      "entrypoint.sh": `#!/bin/sh\n${script}\n`,
    });
  const servers = (b: Built) => b.deployment("compose:docker-compose.yml#app").processes.map((p) => `${p.invocation.server} ${p.workers.value}`);

  test('`run_server() { exec gunicorn -w "$1" app:app; }; run_server 4`: 4 workers, written at the call', () => {
    const b = app('run_server() { exec gunicorn -w "$1" app:app; }\nrun_server 4');
    const p = only(b.deployment("compose:docker-compose.yml#app"));
    assert.equal(p.workers.value, 4);
    assert.deepEqual([b.text(p.workers.at), p.workers.at?.start], ["4", "#!/bin/sh\nrun_server() { exec gunicorn -w \"$1\" app:app; }\nrun_server ".length]);
  });

  test('`local workers=$1; shift; exec uvicorn "$@" --workers "$workers"`: the first argument is the count, the rest uvicorn\'s', () => {
    const b = app('start() {\n  local workers=$1\n  shift\n  exec uvicorn "$@" --workers "$workers"\n}\nstart 3 app.main:app --host 0.0.0.0');
    const p = only(b.deployment("compose:docker-compose.yml#app"));
    assert.deepEqual([p.invocation.server, p.workers.value, b.text(p.workers.at)], ["uvicorn", 3, "3"]);
    assert.deepEqual(p.invocation.positionals.map((w) => w.value), ["app.main:app"]);
  });

  test("`${1:-2}` takes the call's argument, and its default for a call without one", () => {
    const script = (call: string) => `serve() { exec gunicorn app:app --workers "\${1:-2}"; }\n${call}`;
    assert.deepEqual(servers(app(script("serve 6"))), ["gunicorn 6"]);
    assert.deepEqual(servers(app(script("serve"))), ["gunicorn 2"]);
  });

  test("the top level's `case \"$1\"` and `shift` still read the container's command; each branch's call has its own arguments", () => {
    const script = ['serve() { local workers=$1; shift; exec gunicorn app:app --workers "$workers" "$@"; }', 'case "$1" in', "  web) shift; serve 4 ;;", "  api) shift; serve 2 \"$@\" ;;", '  *) exec "$@" ;;', "esac"].join("\n");
    assert.deepEqual(servers(app(script, '["web"]')), ["gunicorn 4"]);
    const api = only(app(script, '["api", "--threads", "8"]').deployment("compose:docker-compose.yml#app"));
    assert.deepEqual([api.workers.value, api.threads?.value], [2, 8]);
    assert.deepEqual(servers(app(script, '["uvicorn", "app:app", "--workers", "5"]')), ["uvicorn 5"]);
  });

  test("what the body may or may not assign stays unknown: an assignment in a branch, a loop over the arguments", () => {
    const branch = app('serve() {\n  if [ -n "$2" ]; then W=$2; fi\n  exec gunicorn app:app -w "$W"\n}\nserve x 9');
    assert.notEqual(only(branch.deployment("compose:docker-compose.yml#app")).workers.value, 9);
    const loop = app(['serve() {', '  while [ $# -gt 0 ]; do', '    case "$1" in', '      -w) W=$2; shift 2 ;;', "      *) shift ;;", "    esac", "  done", '  exec gunicorn app:app -w "$W"', "}", "serve --port 80 -w 5"].join("\n"));
    assert.notEqual(only(loop.deployment("compose:docker-compose.yml#app")).workers.value, 80);
  });
});

describe("compose deploy.resources.reservations", () => {
  test("limits stay the capacity; reservations are recorded with their place", () => {
    const compose = [
      "services:",
      "  web:",
      "    image: app",
      "    command: gunicorn app:app -w 3",
      "    deploy:",
      "      resources:",
      "        limits: { cpus: '2', memory: 1G }",
      "        reservations:",
      "          cpus: '0.5'",
      "          memory: 512M",
      "  job:",
      "    image: app",
      "    mem_reservation: 256m",
      "",
    ].join("\n");
    const b = build({ "docker-compose.yml": compose });
    const web = b.deployment("compose:docker-compose.yml#web");
    assert.deepEqual([web.cpus?.value, web.memoryMiB?.value], [2, 1024]);
    assert.deepEqual([web.reservations?.cpus?.value, web.reservations?.memoryMiB?.value], [0.5, 512]);
    assert.equal(b.text(web.reservations?.cpus?.at), "0.5");
    assert.equal(b.text(web.reservations?.memoryMiB?.at), "512M");
    const job = b.deployment("compose:docker-compose.yml#job");
    assert.equal(job.cpus, undefined);
    assert.equal(job.reservations?.memoryMiB?.value, 256);
  });
});

describe("file names: nginx configs and extensionless scripts", () => {
  test("nginx configs by name and folder; other .conf and extensionless files are not", () => {
    const nginx = ["nginx.conf", "docker/compose/test-nginx.conf", "config/nginx.sample.conf", "resources/nginx-template.conf", "nginx.tpl", "templates/default.conf.template", "etc/nginx/sites-enabled/mysite", "conf.d/app.conf", "deploy/nginx/app.conf"];
    for (const p of nginx) assert.equal(fileKind(p), "nginx", p);
    for (const p of ["supervisord.conf", "sites-enabled/.keep", "config/templates/app.conf", "nginx/peertube"]) assert.notEqual(fileKind(p), "nginx", p);
  });

  test("an envsubst template and a sites-enabled file no nginx.conf includes are proxies of their own", () => {
    const server = "server {\n  listen 80;\n  location / { proxy_pass http://web:8000; }\n}\n";
    const b = build({ "nginx/templates/default.conf.template": server.replace("80", "${NGINX_PORT}"), "sites-enabled/app": server });
    assert.deepEqual(b.model.proxies.map((p) => p.root).sort(), ["nginx/templates/default.conf.template", "sites-enabled/app"]);
    const included = build({ "nginx/nginx.conf": "events {}\nhttp { include conf.d/*.conf; }\n", "nginx/conf.d/app.conf": server });
    assert.deepEqual(included.model.proxies.map((p) => p.root), ["nginx/nginx.conf"], "an included file is not a second root");
  });

  test("extensionless scripts: referenced by path with a shell shebang (or none), or alone with a shell shebang", () => {
    const dockerfile = 'FROM python:3.12\nCMD ["./bin/web"]\n';
    const shell = build({ Dockerfile: dockerfile, "bin/web": "#!/usr/bin/env bash\nexec gunicorn app:app -w 3\n", "docker-compose.yml": "services:\n  app:\n    build: .\n" });
    const app = shell.deployment("compose:docker-compose.yml#app");
    assert.equal(only(app).workers.value, 3);
    assert.ok(links(app).includes("Dockerfile → bin/web"), links(app).join("; "));
    const python = build({ Dockerfile: dockerfile, "bin/web": "#!/usr/bin/env python3\nimport os\n", "docker-compose.yml": "services:\n  app:\n    build: .\n" });
    assert.equal(python.deployment("compose:docker-compose.yml#app").processes.length, 0);
    const alone = build({ "bin/docker-server": "#!/bin/bash\nset -e\nexec gunicorn app:app --workers=2\n", "bin/docker-worker": "#!/usr/bin/env python\nprint('gunicorn -w 9')\n" });
    assert.deepEqual(alone.model.deployments.map((d) => d.id), ["script:bin/docker-server"]);
    assert.equal(only(alone.deployment("script:bin/docker-server")).workers.value, 2);
  });
});

describe("nginx.conf and the compose service that mounts it", () => {
  const conf = "events {}\nhttp { server { location / { proxy_pass http://api:8000; } } }\n";
  test("a short-syntax file mount gives the proxy that service's CPU limit, with the mount as provenance", () => {
    const compose = 'services:\n  api:\n    image: example/api\n  lb:\n    image: nginx:1.27\n    volumes:\n      - "./nginx.conf:/etc/nginx/nginx.conf:ro"\n    deploy:\n      resources:\n        limits:\n          cpus: "0.15"\n';
    const b = build({ "stack/docker-compose.yml": compose, "stack/nginx.conf": conf });
    const proxy = only1(b.model.proxies);
    assert.equal(proxy.service?.deployment, "compose:stack/docker-compose.yml#lb");
    assert.equal(b.text(proxy.service?.placedAt), "./nginx.conf");
    assert.equal(proxy.service?.cpus?.value, 0.15);
    assert.equal(b.text(proxy.service?.cpus?.at), "0.15");
    assert.equal(b.text(proxy.service?.cpus?.via?.at(-1)?.at), "./nginx.conf");
  });

  test("a long-syntax folder mount links too; a named volume, another folder or an app service mounting `.` do not", () => {
    const longSyntax = "services:\n  proxy:\n    image: nginx\n    volumes:\n      - type: bind\n        source: ./nginx\n        target: /etc/nginx\n    cpus: 2\n";
    const b = build({ "docker-compose.yml": longSyntax, "nginx/nginx.conf": conf });
    assert.equal(only1(b.model.proxies).service?.cpus?.value, 2);
    const others = "services:\n  app:\n    image: example/app\n    volumes:\n      - .:/app\n    cpus: 0.5\n  proxy:\n    image: nginx\n    volumes:\n      - data:/etc/nginx\n      - ./other:/etc/nginx/conf.d\n    cpus: 0.5\nvolumes:\n  data: {}\n";
    assert.equal(only1(build({ "docker-compose.yml": others, "nginx.conf": conf }).model.proxies).service, undefined);
  });

  test("an envsubst template's upstream names the service its nginx container's environment sets", () => {
    const template = "upstream backend {\n    server ${API_HOST}:${API_PORT};\n}\nserver {\n    location / { proxy_pass http://backend; proxy_pass_header Server; }\n}\n";
    const compose = (env: string) => `services:\n  api:\n    image: example/api\n  web:\n    image: example/web\n  proxy:\n    image: nginx\n    environment:\n${env}    volumes:\n      - ./templates:/etc/nginx/templates\n`;
    const backends = (env: string) => only1(build({ "compose.yaml": compose(env), "templates/default.conf.template": template }).model.proxies).backends.map((b) => `${b.service} ${b.address}`);
    assert.deepEqual(backends("      API_HOST: web\n      API_PORT: '8000'\n"), ["web web:8000"]);
    // A variable the container does not set is left as written by envsubst: no service is named.
    assert.deepEqual(backends("      API_HOST: web\n"), []);
    // A file of another name mounted as a template is rendered as one; mounted into conf.d it is read as written.
    const renamed = (target: string) => only1(build({ "compose.yaml": compose("      API_HOST: web\n      API_PORT: '8000'\n").replace("./templates:/etc/nginx/templates", `./proxy.tmpl:${target}`), "proxy.tmpl": template }).model.proxies).backends.map((b) => `${b.service} ${b.address}`);
    assert.deepEqual(renamed("/etc/nginx/templates/default.conf.template"), ["web web:8000"]);
    assert.deepEqual(renamed("/etc/nginx/conf.d/default.conf"), []);
  });
});

describe("nginx.conf and the compose service that builds the image copying it", () => {
  const conf = "events {}\nhttp { server { location / { proxy_pass http://api:8000; } } }\n";
  const compose = (nginx: string) => `services:\n  api:\n    image: example/api\n  proxy:\n    build: ./nginx\n${nginx}    cpus: 0.5\n`;
  const linked = (files: Record<string, string>) => only1(build(files).model.proxies).service;

  test("a COPY of the file, or of a folder holding it, to where nginx reads it links the service, with the COPY line as provenance", () => {
    const copied = build({ "docker-compose.yml": compose(""), "nginx/Dockerfile": "FROM nginx:1.27\nCOPY --chown=nginx:nginx nginx.conf /etc/nginx/nginx.conf\n", "nginx/nginx.conf": conf });
    const service = only1(copied.model.proxies).service;
    assert.equal(service?.deployment, "compose:docker-compose.yml#proxy");
    assert.equal(service?.placedBy, "copy");
    assert.equal(copied.text(service?.placedAt), "COPY --chown=nginx:nginx nginx.conf /etc/nginx/nginx.conf");
    assert.equal(service?.cpus?.value, 0.5);
    assert.equal(service?.cpus?.via?.at(-1)?.note, "nginx/Dockerfile copies nginx/nginx.conf to /etc/nginx/nginx.conf");
    for (const copy of ["COPY . /etc/nginx/", "COPY ./ /etc/nginx", "ADD nginx.conf /etc/nginx/"]) {
      assert.equal(linked({ "docker-compose.yml": compose(""), "nginx/Dockerfile": `FROM nginx\n${copy}\n`, "nginx/nginx.conf": conf })?.deployment, "compose:docker-compose.yml#proxy", copy);
    }
    // Under another name, into the folder the stock nginx.conf includes.
    const site = linked({ "docker-compose.yml": compose(""), "nginx/Dockerfile": "FROM nginx\nCOPY site.conf /etc/nginx/conf.d/default.conf\n", "nginx/site.conf": "server { location / { proxy_pass http://api:8000; } }\n" });
    assert.equal(site?.deployment, "compose:docker-compose.yml#proxy");
  });

  test("not linked: a mount over the copied path, a COPY --from, another stage than the one built, a path nginx does not read", () => {
    const dockerfile = "FROM nginx\nCOPY nginx.conf /etc/nginx/nginx.conf\n";
    assert.equal(linked({ "docker-compose.yml": compose("    volumes:\n      - conf:/etc/nginx\n"), "nginx/Dockerfile": dockerfile, "nginx/nginx.conf": conf }), undefined);
    assert.equal(linked({ "docker-compose.yml": compose(""), "nginx/Dockerfile": "FROM alpine AS conf\nCOPY nginx.conf /nginx.conf\nFROM nginx\nCOPY --from=conf /nginx.conf /etc/nginx/nginx.conf\n", "nginx/nginx.conf": conf }), undefined);
    const staged = "FROM nginx AS prod\nCOPY nginx.conf /etc/nginx/nginx.conf\nFROM nginx AS dev\n";
    const targeted = (stage: string) => `services:\n  api:\n    image: example/api\n  proxy:\n    build:\n      context: ./nginx\n      target: ${stage}\n    cpus: 0.5\n`;
    assert.equal(linked({ "docker-compose.yml": targeted("dev"), "nginx/Dockerfile": staged, "nginx/nginx.conf": conf }), undefined);
    assert.equal(linked({ "docker-compose.yml": targeted("prod"), "nginx/Dockerfile": staged, "nginx/nginx.conf": conf })?.deployment, "compose:docker-compose.yml#proxy");
    assert.equal(linked({ "docker-compose.yml": compose(""), "nginx/Dockerfile": "FROM nginx\nCOPY nginx.conf /etc/nginx/snippets/nginx.conf\n", "nginx/nginx.conf": conf }), undefined);
  });

  test("a destination relative to the WORKDIR is followed; a source above the build context is not (BuildKit reads `..` inside the context)", () => {
    const workdir = (copy: string) => linked({ "docker-compose.yml": compose(""), "nginx/Dockerfile": `FROM nginx\nWORKDIR /etc/nginx\n${copy}\n`, "nginx/nginx.conf": conf });
    for (const copy of ["COPY nginx.conf .", "COPY nginx.conf nginx.conf", "COPY nginx.conf ./"]) assert.equal(workdir(copy)?.deployment, "compose:docker-compose.yml#proxy", copy);
    const above = { "docker-compose.yml": compose(""), "nginx/Dockerfile": "FROM nginx\nCOPY ../nginx.conf /etc/nginx/nginx.conf\n", "nginx.conf": conf };
    assert.equal(linked(above), undefined);
  });
});

describe("nginx in front of a systemd unit, by the address the unit binds", () => {
  const unit = (execStart: string) => `[Unit]\nDescription=app\n\n[Service]\nWorkingDirectory=/srv/app\nExecStart=${execStart}\nRestart=always\n`;
  const upstream = (address: string) => `upstream app {\n    server ${address} fail_timeout=0;\n}\nserver {\n    listen 80;\n    location / { proxy_pass http://app; }\n}\n`;
  const direct = (target: string) => `server {\n    listen 80;\n    location / { proxy_pass ${target}; }\n}\n`;
  const linked = (files: Record<string, string>) => build(files).model.proxies.flatMap((p) => p.backends.map((b) => `${b.address} -> ${b.deployment}`));

  test("an upstream server or proxy_pass naming the socket or address the unit's server binds links to the unit", () => {
    const gunicorn = unit("/srv/app/venv/bin/gunicorn --workers 3 --bind unix:/run/gunicorn.sock app.wsgi:application");
    assert.deepEqual(linked({ "deploy/gunicorn.service": gunicorn, "deploy/nginx/app.conf": upstream("unix:/run/gunicorn.sock") }), ["unix:/run/gunicorn.sock -> systemd:deploy/gunicorn.service"]);
    assert.deepEqual(linked({ "deploy/gunicorn.service": gunicorn, "deploy/nginx/app.conf": direct("http://unix:/run/gunicorn.sock:/") }), ["http://unix:/run/gunicorn.sock:/ -> systemd:deploy/gunicorn.service"]);
    const conf = { "deploy/app.service": unit("gunicorn -c gunicorn.conf.py app.wsgi"), "gunicorn.conf.py": 'bind = "127.0.0.1:8000"\nworkers = 3\n' };
    assert.deepEqual(linked({ ...conf, "nginx/nginx.conf": `events {}\nhttp {\n${direct("http://127.0.0.1:8000")}}\n` }), ["http://127.0.0.1:8000 -> systemd:deploy/app.service"]);
    // 0.0.0.0 accepts connections to 127.0.0.1.
    assert.deepEqual(linked({ "app.service": unit("gunicorn -b 0.0.0.0:8000 app:app"), "nginx/app.conf": upstream("127.0.0.1:8000") }), ["127.0.0.1:8000 -> systemd:app.service"]);
    assert.deepEqual(linked({ "puma.service": unit("/usr/bin/bundle exec puma -b unix:///var/run/puma.sock -e production"), "nginx/app.conf": upstream("unix:/var/run/puma.sock") }), ["unix:/var/run/puma.sock -> systemd:puma.service"]);
    const pumaRb = { "puma.service": unit("/usr/bin/bundle exec puma -C /srv/app/config/puma.rb"), "config/puma.rb": 'workers 2\nthreads 5, 5\nbind "unix:///srv/app/tmp/sockets/puma.sock"\n' };
    assert.deepEqual(linked({ ...pumaRb, "nginx/app.conf": upstream("unix:/srv/app/tmp/sockets/puma.sock") }), ["unix:/srv/app/tmp/sockets/puma.sock -> systemd:puma.service"]);
    assert.deepEqual(linked({ "api.service": unit("uvicorn main:app --uds /run/uvicorn.sock --workers 2"), "nginx/app.conf": upstream("unix:/run/uvicorn.sock") }), ["unix:/run/uvicorn.sock -> systemd:api.service"]);
    assert.deepEqual(linked({ "api.service": unit("uvicorn main:app --port 8001 --workers 2"), "nginx/app.conf": direct("http://127.0.0.1:8001/") }), ["http://127.0.0.1:8001/ -> systemd:api.service"]);
  });

  test("nothing links without an exact match: another socket or port, a relative socket, a default bind, two units, nginx in a container", () => {
    const gunicorn = unit("gunicorn --bind unix:/run/gunicorn.sock app:app");
    assert.deepEqual(linked({ "app.service": gunicorn, "nginx/app.conf": upstream("unix:/run/gunicorn/app.sock") }), []);
    assert.deepEqual(linked({ "app.service": unit("gunicorn --bind 127.0.0.1:8001 app:app"), "nginx/app.conf": upstream("127.0.0.1:8000") }), []);
    assert.deepEqual(linked({ "app.service": unit("gunicorn -b 0.0.0.0:8000 app:app"), "nginx/app.conf": upstream("localhost:8000") }), []);
    assert.deepEqual(linked({ "app.service": unit("gunicorn --bind unix:app.sock app:app"), "nginx/app.conf": upstream("unix:/srv/app/app.sock") }), []);
    assert.deepEqual(linked({ "app.service": unit("gunicorn app:app"), "nginx/app.conf": upstream("127.0.0.1:8000") }), [], "gunicorn's default bind is not stated");
    assert.deepEqual(linked({ "a.service": gunicorn, "b.service": gunicorn, "nginx/app.conf": upstream("unix:/run/gunicorn.sock") }), []);
    const compose = "services:\n  proxy:\n    image: nginx\n    volumes:\n      - ./nginx/app.conf:/etc/nginx/conf.d/default.conf\n      - /run:/run\n";
    assert.deepEqual(linked({ "app.service": gunicorn, "nginx/app.conf": upstream("unix:/run/gunicorn.sock"), "docker-compose.yml": compose }), []);
  });
});

function only1<T>(items: T[]): T {
  assert.equal(items.length, 1, `expected one, got ${items.length}`);
  return items[0];
}
