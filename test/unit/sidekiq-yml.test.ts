// Sidekiq's config/sidekiq.yml (parse/sidekiq-yml.ts) and where the model takes Sidekiq's
// concurrency from: -c, then the file's section for Sidekiq's environment, then its top level.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildModel, fileKind } from "../../server/src/engine/model/build.ts";
import { parseSidekiqYml, sidekiqCapsules, sidekiqConcurrency } from "../../server/src/engine/parse/sidekiq-yml.ts";
import { memoryHost } from "../helpers/memory-host.ts";

const text = (source: string, expr: { span: { start: number; end: number } } | undefined) => (expr ? source.slice(expr.span.start, expr.span.end) : undefined);

describe("config/sidekiq.yml", () => {
  it("reads :concurrency: and concurrency: at the top level and per environment section, with positions", () => {
    const yml = ":concurrency: 12\n:queues:\n  - default\nproduction:\n  concurrency: 30\n:staging:\n  :concurrency: 4\ndevelopment:\n  :verbose: true\n";
    const parsed = parseSidekiqYml(yml, "config/sidekiq.yml");
    assert.deepEqual([parsed.concurrency?.value, text(yml, parsed.concurrency)], [12, "12"]);
    assert.deepEqual([...parsed.environments].map(([env, e]) => [env, e.value]), [["production", 30], ["staging", 4]]);
    assert.equal(sidekiqConcurrency(parsed, "development")?.value, 12, "a section without concurrency keeps the top level's");
    assert.equal(sidekiqConcurrency(parsed, "production")?.value, 30);
  });

  it("reads Sidekiq 7 :capsules: with their concurrency; an environment's own :capsules: replaces the top level's", () => {
    const yml =
      ":concurrency: 10\n:capsules:\n  :exports:\n    :concurrency: 5\n  serial:\n    concurrency: 1\n  :unsized:\n    :queues: [misc]\n" +
      "production:\n  :capsules:\n    :bulk:\n      :concurrency: <%= ENV.fetch(\"BULK_THREADS\", 8) %>\nstaging:\n  :concurrency: 4\n";
    const parsed = parseSidekiqYml(yml, "config/sidekiq.yml");
    assert.deepEqual(parsed.problems, []);
    const summary = (env: string) => sidekiqCapsules(parsed, env).map((c) => [c.name, c.concurrency?.kind === "env" ? `$${c.concurrency.envName}:${c.concurrency.envDefault?.value}` : c.concurrency?.value, c.concurrency && text(yml, c.concurrency)]);
    assert.deepEqual(summary("development"), [["exports", 5, "5"], ["serial", 1, "1"], ["unsized", undefined, undefined]]);
    assert.deepEqual(summary("staging"), summary("development"), "a section without :capsules: keeps the top level's");
    assert.deepEqual(summary("production").map(([name, value]) => [name, value]), [["bulk", "$BULK_THREADS:8"]]);
    assert.equal(sidekiqConcurrency(parsed, "production")?.value, 10);
  });

  it("reads ERB as text: ENV.fetch with a default argument or block, never evaluated", () => {
    const yml = ':concurrency: <%= ENV.fetch("SIDEKIQ_CONCURRENCY", 10) %>\nproduction:\n  :concurrency: <%= ENV.fetch("JOB_THREADS") { 7 } %>\n<% if false %>\n:timeout: 8\n<% end %>\n';
    const parsed = parseSidekiqYml(yml, "config/sidekiq.yml");
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual([parsed.concurrency?.kind, parsed.concurrency?.envName, parsed.concurrency?.envDefault?.value], ["env", "SIDEKIQ_CONCURRENCY", "10"]);
    const production = parsed.environments.get("production");
    assert.deepEqual([production?.kind, production?.envName, production?.envDefault?.value], ["env", "JOB_THREADS", "7"]);
  });

  it("follows anchors and merge keys, reads CRLF files, and reports broken YAML at its position", () => {
    const yml = "defaults: &defaults\r\n  concurrency: 6\r\nproduction:\r\n  <<: *defaults\r\n";
    assert.equal(parseSidekiqYml(yml, "s.yml").environments.get("production")?.value, 6);
    const broken = parseSidekiqYml(":concurrency: [5\n", "s.yml");
    assert.equal(broken.concurrency, undefined);
    assert.equal(broken.problems.length > 0 && broken.problems[0].at.file === "s.yml", true);
  });

  it("is a deployment file under Sidekiq's own names only", () => {
    assert.equal(fileKind("config/sidekiq.yml"), "sidekiq");
    assert.equal(fileKind("config/sidekiq.yml.erb"), "sidekiq");
    assert.equal(fileKind("config/sidekiq_queues.yml"), undefined);
  });
});

describe("Sidekiq's concurrency in the model", () => {
  const compose = (command: string, env: string[] = []) =>
    ["services:", "  jobs:", "    image: app", `    command: ${command}`, "    environment:", "      DATABASE_URL: postgres://db/app", ...env.map((e) => `      ${e}`), ""].join("\n");
  const yml = ":concurrency: <%= ENV.fetch('SIDEKIQ_CONCURRENCY', 10) %>\nproduction:\n  :concurrency: 25\nstaging:\n  :concurrency: 3\n";
  const jobs = (files: Record<string, string>) => {
    const host = memoryHost(files);
    const deployment = buildModel(host, host.list(), []).deployments[0];
    return { workers: deployment.processes[0]?.workers, pool: deployment.pool, deployment };
  };

  it("takes the section of RAILS_ENV, and the file joins the deployment with a link", () => {
    const files = { "docker-compose.yml": compose("bundle exec sidekiq", ["RAILS_ENV: production"]), "config/sidekiq.yml": yml };
    const { workers, pool, deployment } = jobs(files);
    assert.deepEqual([workers?.value, workers?.origin, workers?.at?.file, pool?.size.value, pool?.sizeName, pool?.sizeFrom], [25, "stated", "config/sidekiq.yml", 25, "concurrency", "config/sidekiq.yml"]);
    assert.ok(deployment.files.has("config/sidekiq.yml"));
    assert.ok(deployment.links.some((l) => l.to === "config/sidekiq.yml"), JSON.stringify(deployment.links));
  });

  it("environment: -e, then APP_ENV over RAILS_ENV, else development (the top level here)", () => {
    assert.equal(jobs({ "docker-compose.yml": compose("bundle exec sidekiq -e staging", ["RAILS_ENV: production"]), "config/sidekiq.yml": yml }).workers?.value, 3);
    assert.equal(jobs({ "docker-compose.yml": compose("bundle exec sidekiq", ["APP_ENV: staging", "RAILS_ENV: production"]), "config/sidekiq.yml": yml }).workers?.value, 3);
    const development = jobs({ "docker-compose.yml": compose("bundle exec sidekiq", ["SIDEKIQ_CONCURRENCY: 8"]), "config/sidekiq.yml": yml });
    assert.deepEqual([development.workers?.value, development.workers?.at?.file], [8, "docker-compose.yml"], "the ERB reads the deployment's variable");
    assert.equal(jobs({ "docker-compose.yml": compose("bundle exec sidekiq"), "config/sidekiq.yml": yml }).workers?.value, 10, "the ERB's default");
  });

  it("-c wins over the file; -C names another file; without a file SIDEKIQ_CONCURRENCY still counts", () => {
    const flag = jobs({ "docker-compose.yml": compose("bundle exec sidekiq -c 4", ["RAILS_ENV: production"]), "config/sidekiq.yml": yml });
    assert.deepEqual([flag.workers?.value, flag.pool?.sizeName, flag.pool?.sizeFrom], [4, "concurrency", "-c"]);
    assert.equal(jobs({ "docker-compose.yml": compose("bundle exec sidekiq -C config/jobs.yml"), "config/jobs.yml": "concurrency: 14\n", "config/sidekiq.yml": yml }).workers?.value, 14);
    const none = jobs({ "docker-compose.yml": compose("bundle exec sidekiq", ["SIDEKIQ_CONCURRENCY: 9"]) });
    assert.deepEqual([none.pool?.size.value, none.pool?.sizeName], [9, "SIDEKIQ_CONCURRENCY"]);
  });
});

describe("sidekiqswarm (Sidekiq Enterprise)", () => {
  const jobs = (env: string[]) => {
    const compose = ["services:", "  jobs:", "    image: app", "    command: bundle exec bin/sidekiqswarm -C config/sidekiq.yml", "    environment:", "      DATABASE_URL: postgres://db/app", ...env.map((e) => `      ${e}`), ""].join("\n");
    const host = memoryHost({ "docker-compose.yml": compose, "config/sidekiq.yml": ":concurrency: 10\n" });
    const deployment = buildModel(host, host.list(), []).deployments[0];
    return { process: deployment.processes[0], pool: deployment.pool };
  };
  it("is sidekiq with its options; SIDEKIQ_COUNT children each open a pool of the concurrency", () => {
    const { process, pool } = jobs(["SIDEKIQ_COUNT: \"6\""]);
    assert.deepEqual([process?.invocation.server, process?.workers.value, process?.sidekiqSwarm?.processes.value, pool?.processes.value, pool?.size.value], ["sidekiq", 10, 6, 6, 10]);
  });
  it("without SIDEKIQ_COUNT (one child per host core, not known here) counts one child, said as a floor", () => {
    const { process, pool } = jobs([]);
    assert.deepEqual([process?.sidekiqSwarm?.perHostCpu, pool?.processes.value], [true, 1]);
    assert.match(pool?.processLabel ?? "", /at least/);
    assert.equal(jobs(["SIDEKIQ_COUNT: \"0\""]).process?.sidekiqSwarm?.perHostCpu, true);
  });
});
