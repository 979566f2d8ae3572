// Kamal's config/deploy.yml (parse/kamal-deploy.ts, model/kamal.ts): roles, hosts as instances, cmd, options, env.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { buildModel, fileKind } from "../../server/src/engine/model/build.ts";
import type { ParseProblem } from "../../server/src/engine/types.ts";
import { memoryHost } from "../helpers/memory-host.ts";

function model(files: Record<string, string>) {
  const host = memoryHost(files);
  const problems: ParseProblem[] = [];
  return { ...buildModel(host, host.list(), problems), problems };
}

const DOCKERFILE = 'FROM ruby:3.3-slim\nENTRYPOINT ["/rails/bin/docker-entrypoint"]\nCMD ["./bin/rails", "server"]\n';
const ENTRYPOINT = '#!/bin/bash -e\nexec "${@}"\n';

describe("Kamal config/deploy.yml", () => {
  it("a plain list of servers is the web role, one instance per host, with the root env; the image's command runs", () => {
    const text = "service: shop\nimage: acme/shop\nservers:\n  - 10.0.0.1\n  - 10.0.0.2\n  - 10.0.0.3\nenv:\n  WEB_CONCURRENCY: 3\n  DB_POOL_SIZE: 4\n";
    const m = model({ "config/deploy.yml": text, Dockerfile: "FROM python:3.12\nCMD gunicorn app:app --workers $WEB_CONCURRENCY\n" });
    assert.deepEqual(m.problems, []);
    const [web] = m.deployments;
    assert.deepEqual([web.id, web.instances.value, web.instances.origin, web.cpus, web.env.get("DB_POOL_SIZE")?.value], ["kamal:config/deploy.yml#web", 3, "stated", undefined, "4"]);
    assert.equal(text.slice(web.instances.at?.start, web.instances.at?.end).trim(), "- 10.0.0.1\n  - 10.0.0.2\n  - 10.0.0.3");
    assert.deepEqual([web.processes[0].invocation.server, web.processes[0].workers.value], ["gunicorn", 3]);
  });

  it("roles with hosts, cmd in place of CMD, options' cpus and memory, clear env over the root's and database secrets by name", () => {
    const text =
      "service: shop\nimage: acme/shop\nservers:\n  web:\n    hosts:\n      - 10.0.0.1\n    options:\n      cpus: 2\n      memory: 2g\n" +
      "  job:\n    hosts: [10.0.0.2, 10.0.0.3]\n    cmd: bundle exec sidekiq -c 4\n    env:\n      clear:\n        RAILS_MAX_THREADS: 4\n" +
      "env:\n  clear:\n    RAILS_MAX_THREADS: 2\n  secret:\n    - RAILS_MASTER_KEY\n    - DATABASE_URL\n";
    const [web, job] = model({ "config/deploy.yml": text, Dockerfile: DOCKERFILE, "bin/docker-entrypoint": ENTRYPOINT }).deployments;
    assert.deepEqual([web.cpus?.value, web.memoryMiB?.value, web.instances.value, web.env.get("RAILS_MAX_THREADS")?.value], [2, 2048, 1, "2"]);
    assert.deepEqual([job.instances.value, job.env.get("RAILS_MAX_THREADS")?.value, job.processes[0].invocation.server, job.processes[0].commandAt.file], [2, "4", "sidekiq", "config/deploy.yml"]);
    assert.deepEqual([web.env.has("DATABASE_URL"), web.env.has("RAILS_MASTER_KEY")], [true, false]);
  });

  it("builds from builder.dockerfile in builder.context, relative to the repository root above config/", () => {
    const text = "service: shop\nimage: acme/shop\nbuilder:\n  context: app\n  dockerfile: Dockerfile.production\nservers:\n  web:\n    - 10.0.0.1\n";
    const [web] = model({ "config/deploy.yml": text, "app/Dockerfile.production": 'FROM python:3.12\nCMD ["gunicorn", "app:app", "-w", "4"]\n' }).deployments;
    assert.deepEqual([web.processes[0].workers.value, web.files.has("app/Dockerfile.production")], [4, true]);
  });

  it("bad input: broken YAML is a parse error when the file is Kamal's; ERB, other tools' deploy.yml and odd shapes say nothing and never crash", () => {
    const broken = "service: shop\nservers:\n  web: [10.0.0.1\n";
    assert.deepEqual(audit(memoryHost({ "config/deploy.yml": broken })).findings.map((f) => [f.rule, f.at.file]), [["parse/error", "config/deploy.yml"]]);
    for (const quiet of [
      "service: shop\nservers:\n  web:\n<% if ENV['X'] %>\n    - 10.0.0.1\n<% end %>\n  broken: [\n",
      "deploy:\n  branch: main\n  target: [prod\n",
      "environments:\n  - production\n",
    ]) {
      assert.deepEqual(audit(memoryHost({ "config/deploy.yml": quiet })).findings, [], quiet);
    }
    const erb = "service: shop\nimage: acme/shop\nservers:\n  web:\n    - <%= ENV['APP_HOST'] %>\n    - 10.0.0.2\nenv:\n  clear:\n    WEB_CONCURRENCY: <%= ENV.fetch('WEB_CONCURRENCY', 2) %>\n";
    const [web] = model({ "config/deploy.yml": erb }).deployments;
    assert.deepEqual([web.instances.value, web.env.has("WEB_CONCURRENCY")], [2, false]);
    for (const odd of ["service: a\nservers: 3\n", "service: a\nservers:\n  web: 3\n  job:\n    hosts: x\n", "service: a\nservers:\n  web:\n    hosts: []\n    options: 3\n    env: [1]\n", "- - -\n"]) {
      assert.doesNotThrow(() => audit(memoryHost({ "config/deploy.yml": odd })), odd);
    }
  });
});

describe("Kamal destinations and accessories", () => {
  const base =
    "service: shop\nimage: acme/shop\nservers:\n  - 10.0.0.1\nenv:\n  clear:\n    WEB_CONCURRENCY: 2\n    DB_POOL_SIZE: 5\n  secret:\n    - DATABASE_URL\n    - RAILS_MASTER_KEY\n" +
    "accessories:\n  db:\n    image: postgres:16\n    host: 10.0.0.9\n    cmd: postgres -c max_connections=50\n";
  const production =
    "servers:\n  web:\n    hosts: [10.0.1.1, 10.0.1.2, 10.0.1.3]\n  job:\n    hosts: [10.0.1.4]\n    cmd: bundle exec sidekiq -c 8\n" +
    "env:\n  clear:\n    WEB_CONCURRENCY: 4\n  secret:\n    - DATABASE_URL\naccessories:\n  db:\n    cmd: postgres -c max_connections=300\n";
  const python = "FROM python:3.12\nCMD gunicorn app:app --workers $WEB_CONCURRENCY\n";

  it("`kamal deploy -d production` in a script, Makefile or workflow deep-merges config/deploy.production.yml over config/deploy.yml", () => {
    for (const [runner, text] of [
      ["bin/deploy.sh", "#!/bin/sh\nset -e\nbin/kamal deploy -d production\n"],
      ["Makefile", "deploy:\n\tkamal deploy --destination=production\n"],
      [".github/workflows/deploy.yml", "jobs:\n  deploy:\n    steps:\n      - run: kamal deploy --skip-push --destination production\n"],
    ]) {
      const m = model({ "config/deploy.yml": base, "config/deploy.production.yml": production, Dockerfile: python, [runner]: text });
      assert.deepEqual(m.deployments.map((d) => d.id), ["kamal:config/deploy.yml@production#web", "kamal:config/deploy.yml@production#job"], runner);
      const [web, job] = m.deployments;
      // Maps merge key by key (WEB_CONCURRENCY from production, DB_POOL_SIZE from the base); lists are replaced (secrets, hosts).
      assert.deepEqual([web.instances.value, web.instances.at?.file, web.env.get("WEB_CONCURRENCY")?.value, web.env.get("WEB_CONCURRENCY")?.at?.file, web.env.get("DB_POOL_SIZE")?.value], [3, "config/deploy.production.yml", "4", "config/deploy.production.yml", "5"]);
      assert.deepEqual([web.processes[0].workers.value, job.processes[0].invocation.server, job.env.has("DATABASE_URL")], [4, "sidekiq", true]);
      assert.ok(web.files.has("config/deploy.production.yml") && web.files.has("config/deploy.yml"));
      const db = m.databases.find((d) => d.name === "db (config/deploy.production.yml over config/deploy.yml)");
      assert.deepEqual([db?.maxConnections.value, db?.maxConnections.at?.file, db?.clients], [300, "config/deploy.production.yml", ["kamal:config/deploy.yml@production#web", "kamal:config/deploy.yml@production#job"]], runner);
    }
  });

  it("without a command naming a destination (or a file the workspace lacks) the base file alone is read", () => {
    for (const runner of ["kamal deploy\n", "kamal deploy -d staging\n", "kamal app logs -d production\n"]) {
      const m = model({ "config/deploy.yml": base, "config/deploy.production.yml": production, Dockerfile: python, "deploy.sh": runner });
      assert.deepEqual(m.deployments.map((d) => [d.id, d.instances.value]), [["kamal:config/deploy.yml#web", 1]], runner);
    }
  });

  it("a destination in a variable is followed to what the script, Makefile or CI job sets it to", () => {
    const staging = "servers:\n  web:\n    hosts: [10.0.2.1]\n";
    const files = { "config/deploy.yml": base, "config/deploy.production.yml": production, "config/deploy.staging.yml": staging, Dockerfile: python };
    for (const [runner, text] of [
      ["bin/deploy", '#!/usr/bin/env bash\nset -euo pipefail\nDESTINATION="${1:-production}"\nbin/kamal deploy -d "$DESTINATION"\n'],
      ["scripts/release", "#!/bin/sh\nDEST=production\nexec bundle exec kamal deploy --destination=$DEST\n"],
      ["Makefile", "DEST ?= production\ndeploy:\n\tbin/kamal deploy -d $(DEST)\n"],
      [".github/workflows/deploy.yml", "env:\n  DESTINATION: staging\njobs:\n  deploy:\n    env:\n      DESTINATION: production\n    steps:\n      - run: bin/kamal deploy -d ${DESTINATION}\n"],
      [".gitlab-ci.yml", "variables:\n  KAMAL_DESTINATION:\n    value: production\n    description: where to deploy\ndeploy:\n  script:\n    - bin/kamal deploy -d $KAMAL_DESTINATION\n"],
    ]) {
      const m = model({ ...files, [runner]: text });
      assert.deepEqual(m.deployments.map((d) => d.id), ["kamal:config/deploy.yml@production#web", "kamal:config/deploy.yml@production#job"], runner);
    }
  });

  it("a destination known only at run time may be any: every config/deploy.*.yml is counted, and the names say why", () => {
    const staging = "servers:\n  web:\n    hosts: [10.0.2.1]\n";
    const files = { "config/deploy.yml": base, "config/deploy.production.yml": production, "config/deploy.staging.yml": staging, Dockerfile: python };
    for (const [runner, text] of [
      ["bin/deploy", '#!/usr/bin/env bash\nbin/kamal deploy -d "$1"\n'],
      ["deploy.sh", "kamal deploy -d ${DESTINATION}\n"],
      [".github/workflows/deploy.yml", "on:\n  workflow_dispatch:\n    inputs:\n      environment: { type: choice, options: [staging, production] }\njobs:\n  deploy:\n    steps:\n      - run: bin/kamal deploy -d ${{ inputs.environment }}\n"],
      ["Makefile", "deploy:\n\tkamal deploy -d $(ENV)\n"],
    ]) {
      const m = model({ ...files, [runner]: text });
      assert.deepEqual(m.deployments.map((d) => d.id), ["kamal:config/deploy.yml@production#web", "kamal:config/deploy.yml@production#job", "kamal:config/deploy.yml@staging#web"], runner);
      assert.match(m.deployments[2].name, new RegExp(`^web \\(config/deploy\\.staging\\.yml over config/deploy\\.yml; ${runner.replace(/\./g, "\\.")}'s -d .+ may deploy it\\)$`), runner);
      assert.ok(m.deployments[2].links.some((l) => l.from === runner && /known only at run time/.test(l.why)), runner);
    }
    // A name that is known wins; the unknown one adds the other destinations.
    const both = model({ ...files, "bin/deploy": "#!/bin/sh\nkamal deploy -d production\nkamal deploy -d \"$TARGET\"\n" });
    assert.deepEqual(both.deployments.map((d) => [d.id, /may deploy it/.test(d.name)]), [["kamal:config/deploy.yml@production#web", false], ["kamal:config/deploy.yml@production#job", false], ["kamal:config/deploy.yml@staging#web", true]]);
  });

  it("deploy scripts without an extension are read when their shebang is a shell's; a Ruby binstub is not", () => {
    const files = { "config/deploy.yml": base, "config/deploy.production.yml": production, Dockerfile: python };
    assert.equal(fileKind("bin/deploy"), "shell");
    assert.equal(fileKind("scripts/release"), "shell");
    assert.equal(fileKind("ops/Makefile"), "makefile");
    assert.equal(fileKind("docs/deploy.md"), undefined);
    assert.equal(fileKind("src/handlers"), undefined);
    const ids = (runner: Record<string, string>) => model({ ...files, ...runner }).deployments.map((d) => d.id);
    assert.deepEqual(ids({ "bin/ship": "#!/usr/bin/env bash\nset -e\nbin/kamal deploy -d production\n" }), ["kamal:config/deploy.yml@production#web", "kamal:config/deploy.yml@production#job"]);
    assert.deepEqual(ids({ "bin/ship": "#!/usr/bin/env ruby\nsystem('kamal deploy -d production')\n" }), ["kamal:config/deploy.yml#web"]);
    assert.deepEqual(ids({ "deploy/release": "kamal deploy -d production\n" }), ["kamal:config/deploy.yml#web"], "no shebang: not read");
  });

  it("hosts tagged for their own env (env.tags, Kamal 1's env_tags) are a deployment of their own, the tag's env over the role's", () => {
    const text =
      "service: shop\nimage: acme/shop\nservers:\n  web:\n    hosts:\n      - 10.0.0.1\n      - 10.0.0.2\n      - 10.0.0.3: big\n      - 10.0.0.4: [big, canary]\n" +
      "env:\n  clear:\n    WEB_CONCURRENCY: 2\n  tags:\n    big:\n      WEB_CONCURRENCY: 8\n    canary:\n      clear:\n        FEATURE: on\n";
    const m = model({ "config/deploy.yml": text, Dockerfile: python });
    assert.deepEqual(
      m.deployments.map((d) => [d.id, d.instances.value, d.env.get("WEB_CONCURRENCY")?.value, d.env.get("FEATURE")?.value, d.processes[0]?.workers.value]),
      [["kamal:config/deploy.yml#web", 2, "2", undefined, 2], ["kamal:config/deploy.yml#web[big]", 1, "8", undefined, 8], ["kamal:config/deploy.yml#web[big,canary]", 1, "8", "on", 8]],
    );
    const big = m.deployments[1].env.get("WEB_CONCURRENCY");
    assert.equal(text.slice(big?.at?.start, big?.at?.end), "8");
    const v1 = model({ "config/deploy.yml": "service: shop\nimage: acme/shop\nservers:\n  - 10.0.0.1: big\nenv_tags:\n  big:\n    WEB_CONCURRENCY: 6\n", Dockerfile: python });
    assert.deepEqual(v1.deployments.map((d) => [d.id, d.env.get("WEB_CONCURRENCY")?.value]), [["kamal:config/deploy.yml#web[big]", "6"]]);
  });

  it("a PostgreSQL accessory is the roles' database: max_connections from its cmd, else PostgreSQL's default", () => {
    const m = model({ "config/deploy.yml": base, Dockerfile: python });
    const db = m.databases.find((d) => d.name === "db (config/deploy.yml)");
    assert.deepEqual([db?.maxConnections.value, db?.clients, m.databases.length], [50, ["kamal:config/deploy.yml#web"], 1]);
    const plain = model({ "config/deploy.yml": base.replace("    cmd: postgres -c max_connections=50\n", ""), Dockerfile: python });
    const fallback = plain.databases.find((d) => d.name === "db (config/deploy.yml)");
    assert.deepEqual([fallback?.maxConnections.value, fallback?.maxConnections.origin], [100, "default"]);
    const redis = model({ "config/deploy.yml": base.replace("image: postgres:16", "image: redis:7"), Dockerfile: python });
    assert.deepEqual(redis.databases.map((d) => d.name), ["PostgreSQL (assumed)"]);
  });
});
