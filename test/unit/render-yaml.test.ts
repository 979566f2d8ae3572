// Render Blueprints (parse/render-yaml.ts, model/render.ts): services sized by plan, instances, commands,
// environment and databases, and what bad input gives.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import type { ParseProblem } from "../../server/src/engine/types.ts";
import { memoryHost } from "../helpers/memory-host.ts";

function model(files: Record<string, string>) {
  const host = memoryHost(files);
  const problems: ParseProblem[] = [];
  return { ...buildModel(host, host.list(), problems), problems };
}

const at = (text: string, needle: string) => ({ start: text.indexOf(needle), end: text.indexOf(needle) + needle.length });

describe("render.yaml", () => {
  it("sizes each service by its plan, counts numInstances, and reads the start command like a Procfile line", () => {
    const text =
      "services:\n" +
      "  - type: web\n    name: api\n    runtime: python\n    plan: pro plus\n    numInstances: 2\n" +
      "    startCommand: alembic upgrade head && gunicorn app:app -w 9 -k uvicorn.workers.UvicornWorker\n" +
      "    envVars:\n      - key: DB_POOL_SIZE\n        value: \"4\"\n      - key: SECRET\n        generateValue: true\n" +
      "  - type: worker\n    name: jobs\n    runtime: python\n    startCommand: celery -A app worker -c 3\n" +
      "  - type: cron\n    name: nightly\n    schedule: \"0 3 * * *\"\n    startCommand: python cleanup.py\n";
    const m = model({ "render.yaml": text });
    assert.deepEqual(m.problems, []);
    const [api, jobs] = m.deployments;
    assert.equal(m.deployments.length, 2, "a cron job is not a long-running service");
    assert.deepEqual([api.id, api.cpus?.value, api.cpus?.origin, api.memoryMiB?.value, api.instances.value, api.instances.origin], ["render:render.yaml#api", 4, "stated", 8192, 2, "stated"]);
    assert.deepEqual({ start: api.cpus?.at?.start, end: api.cpus?.at?.end }, at(text, "pro plus"));
    assert.deepEqual([api.processes[0].invocation.server, api.processes[0].workers.value], ["gunicorn", 9]);
    assert.deepEqual({ start: api.processes[0].commandAt.start }, { start: text.indexOf("gunicorn app:app") });
    assert.deepEqual([api.env.get("DB_POOL_SIZE")?.value, api.env.has("SECRET")], ["4", false]);
    // No plan: Render's default instance type, starter; no numInstances: one instance.
    assert.deepEqual([jobs.cpus?.value, jobs.cpus?.origin, jobs.memoryMiB?.value, jobs.instances.value, jobs.instances.origin], [0.5, "default", 512, 1, "default"]);
    assert.equal(jobs.processes[0].invocation.server, "celery");
  });

  it("counts the autoscaling maximum, which wins over numInstances", () => {
    const text = "services:\n  - type: web\n    name: api\n    runtime: python\n    startCommand: gunicorn app:app\n    numInstances: 2\n    scaling:\n      minInstances: 1\n      maxInstances: 6\n";
    const [api] = model({ "render.yaml": text }).deployments;
    assert.deepEqual([api.instances.value, api.instancesAreMax, api.instances.at?.start], [6, true, text.indexOf("6\n")]);
  });

  it("applies fromGroup variables where the group is listed, and the service's own later entries over them", () => {
    const text =
      "envVarGroups:\n  - name: shared\n    envVars:\n      - key: WEB_CONCURRENCY\n        value: \"2\"\n      - key: LOG_LEVEL\n        value: info\n" +
      "services:\n  - type: web\n    name: api\n    runtime: python\n    startCommand: gunicorn app:app\n" +
      "    envVars:\n      - fromGroup: shared\n      - key: WEB_CONCURRENCY\n        value: \"5\"\n";
    const [api] = model({ "render.yaml": text }).deployments;
    assert.deepEqual([api.env.get("WEB_CONCURRENCY")?.value, api.env.get("LOG_LEVEL")?.value, api.processes[0].workers.value], ["5", "info", 5]);
  });

  it("runs a Docker service's Dockerfile, with dockerCommand in place of its CMD", () => {
    const files = {
      "render.yaml": "services:\n  - type: web\n    name: api\n    runtime: docker\n    plan: standard\n    dockerfilePath: ./docker/Dockerfile.prod\n    dockerCommand: gunicorn app:app --workers 4\n",
      "docker/Dockerfile.prod": "FROM python:3.12-slim\nENV DB_POOL_SIZE=7\nCMD [\"gunicorn\", \"app:app\", \"-w\", \"2\"]\n",
    };
    const [api] = model(files).deployments;
    assert.deepEqual([api.processes[0].workers.value, api.processes[0].commandAt.file, api.env.get("DB_POOL_SIZE")?.value, api.files.has("docker/Dockerfile.prod")], [4, "render.yaml", "7", true]);
    const [fromCmd] = model({ ...files, "render.yaml": files["render.yaml"].replace(/ {4}dockerCommand.*\n/, "") }).deployments;
    assert.deepEqual([fromCmd.processes[0].workers.value, fromCmd.processes[0].workers.at?.file], [2, "docker/Dockerfile.prod"]);
  });

  it("services under projects and environments are read too", () => {
    const text = "projects:\n  - name: shop\n    environments:\n      - name: production\n        services:\n          - type: pserv\n            name: api\n            runtime: python\n            plan: pro\n            startCommand: uvicorn app:app\n";
    const [api] = model({ "render.yaml": text }).deployments;
    assert.deepEqual([api.name, api.cpus?.value], ["api (render.yaml)", 2]);
  });

  it("a database's connection limit follows its plan's memory; its clients are the services that read it fromDatabase", () => {
    const db = (plan: string) =>
      "databases:\n  - name: main\n" + (plan ? `    plan: ${plan}\n` : "") +
      "services:\n  - type: web\n    name: api\n    runtime: python\n    startCommand: gunicorn app:app -w 2\n" +
      "    envVars:\n      - key: DATABASE_URL\n        fromDatabase:\n          name: main\n          property: connectionString\n";
    const limits = ["basic-256mb", "pro-8gb", "pro-16gb", "accelerated-32gb", "standard", ""].map((plan) => {
      const { databases } = model({ "render.yaml": db(plan) });
      assert.equal(databases.length, 1, plan);
      return [databases[0].maxConnections.value, databases[0].maxConnections.origin, databases[0].clients.join()];
    });
    assert.deepEqual(limits, [
      [100, "stated", "render:render.yaml#api"],
      [200, "stated", "render:render.yaml#api"],
      [400, "stated", "render:render.yaml#api"],
      [500, "stated", "render:render.yaml#api"],
      [100, "assumed", "render:render.yaml#api"],
      [100, "assumed", "render:render.yaml#api"],
    ]);
  });

  it("bad input: broken YAML is a parse error at its place; an unknown plan or instance count a warning there; nothing crashes", () => {
    const broken = "services:\n  - type: web\n    name: api\n    startCommand: [gunicorn\n";
    const result = audit(memoryHost({ "render.yaml": broken }));
    const parse = result.findings.filter((f) => f.rule === "parse/error");
    assert.equal(parse.length > 0 && parse.every((f) => f.at.file === "render.yaml" && f.severity === "error"), true);

    const text = "services:\n  - type: web\n    name: api\n    runtime: python\n    plan: mega\n    numInstances: two\n    startCommand: gunicorn app:app -w 4\n";
    const m = model({ "render.yaml": text });
    assert.deepEqual(
      m.problems.map((p) => [p.severity, p.at.start, p.message.slice(0, 30)]),
      [
        ["warning", text.indexOf("two"), "numInstances \"two\" is not a wh"],
        ["warning", text.indexOf("mega"), "unknown Render plan \"mega\": He"],
      ],
    );
    assert.deepEqual([m.deployments[0].cpus, m.deployments[0].instances.value, m.deployments[0].processes[0].workers.value], [undefined, 1, 4]);
    for (const odd of ["", "services: 3\n", "services:\n  - 3\n  - type: web\n", "- - - -\n", "databases:\n  - plan: pro-4gb\n", "services:\n  - type: web\n    name: [a]\n"]) {
      assert.doesNotThrow(() => audit(memoryHost({ "render.yaml": odd })), odd);
    }
  });
});
