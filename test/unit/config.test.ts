// headroom.yml and the editor settings: the keys, where problems point, precedence, and how
// configured facts enter the model and the findings.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { audit, KNOWN_RULE_IDS, loadConfig } from "../../server/src/engine/audit.ts";
import { mergeConfigs, readConfigFile, readConfigSettings } from "../../server/src/engine/config.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { applyConfiguredFacts } from "../../server/src/engine/model/configured.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const root = join(__dirname, "..", "..");
const wellSized = readFixture(join(root, "examples", "well-sized"));
const composeStack = {
  "docker-compose.yml":
    "services:\n  web:\n    image: app\n    command: gunicorn main:app --workers 4\n    environment:\n      DB_POOL_SIZE: '10'\n  worker:\n    image: app\n    command: gunicorn jobs:app --workers 2\n    environment:\n      DB_POOL_SIZE: '10'\n  db:\n    image: postgres:16\n",
};

const rules = (files: Record<string, string>, settings?: unknown) => audit(memoryHost(files), { settings }).findings.map((f) => f.rule);

describe("headroom.yml", () => {
  it("points each problem at the key or value that is wrong", () => {
    const text = "rules:\n  workers/exceed-cpu: loud\nfacts:\n  max_instances: 2.5\n";
    const { problems } = readConfigFile(text, KNOWN_RULE_IDS);
    assert.deepEqual(problems.map((p) => [p.key, p.at && text.slice(p.at.start, p.at.end)]), [["rules.workers/exceed-cpu", "loud"], ["facts.max_instances", "2.5"]]);
  });

  it("keeps the valid part of a config that has problems", () => {
    const { config, problems } = readConfigFile("rules:\n  nosuch/rule: off\n  workers/exceed-cpu: off\n", KNOWN_RULE_IDS);
    assert.equal(problems.length, 1);
    assert.equal(config.rules.get("workers/exceed-cpu")?.value, "off");
  });

  it("turns rules off and changes their severity", () => {
    const files = readFixture(join(root, "examples", "gunicorn-five-workers-1vcpu"));
    assert.deepEqual(rules(files), ["workers/exceed-cpu", "db/connections-exceed-max"]);
    assert.deepEqual(rules({ ...files, "headroom.yml": "rules:\n  workers/exceed-cpu: off\n" }), ["db/connections-exceed-max"]);
    const findings = audit(memoryHost({ ...files, "headroom.yml": "rules:\n  db/connections-exceed-max: warning\n" })).findings;
    assert.equal(findings.find((f) => f.rule === "db/connections-exceed-max")?.severity, "warning");
  });

  it("include and ignore choose the files the audit reads", () => {
    const files = { ...readFixture(join(root, "examples", "gunicorn-five-workers-1vcpu")), "legacy/start.sh": "#!/bin/sh\nexec uvicorn main:app\n" };
    const read = (config: string) => audit(memoryHost({ ...files, "headroom.yml": config })).filesRead;
    assert.deepEqual(read("ignore: ['legacy/**']"), ["headroom.yml", "service.json", "start.sh"]);
    assert.deepEqual(read("include: ['legacy/**']"), ["headroom.yml", "legacy/start.sh"]);
    assert.deepEqual(read("include: ['**/*.sh']\nignore: ['legacy/**']"), ["headroom.yml", "start.sh"]);
  });

  it("never throws, whatever the text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json().map((j) => j.replace(/[{}]/g, "\n"))), (text) => {
        readConfigFile(text, KNOWN_RULE_IDS);
        audit(memoryHost({ ...wellSized, "headroom.yml": text }));
      }),
      { seed: 5, numRuns: 300 },
    );
    fc.assert(fc.property(fc.anything(), (value) => void readConfigSettings({ rules: value, facts: value, pools: value, include: value, suppressions: value }, KNOWN_RULE_IDS)), { seed: 5, numRuns: 300 });
  });

  it("reports YAML nested deeper than the parser's stack as a problem instead of throwing", () => {
    // A fuzz case: nested sequences followed by a comment and a mapping overflow the yaml parser's stack.
    const { problems } = readConfigFile(`${"- ".repeat(5000)}# facts\nfacts:\n  max_connections: 100\n`, KNOWN_RULE_IDS);
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /^not valid YAML: /);
  });
});

describe("thresholds", () => {
  const metrics = (interval: string) => ({
    "docker-compose.yml": `services:\n  api:\n    image: api\n    command: uvicorn app:app --host 0.0.0.0\n    environment:\n      PERF_ENABLE_SYSTEM_METRICS: "true"\n      PERF_METRICS_INTERVAL: "${interval}"\n`,
  });

  it("a configured threshold moves where a rule fires, from headroom.yml or the editor's settings", () => {
    assert.deepEqual(rules(metrics("45")), ["server/metrics-interval-low"]);
    assert.deepEqual(rules({ ...metrics("45"), "headroom.yml": "thresholds:\n  server/metrics-interval-low:\n    min_interval_seconds: 30\n" }), []);
    assert.deepEqual(rules(metrics("90"), { thresholds: { "server/metrics-interval-low": { min_interval_seconds: 120 } } }), ["server/metrics-interval-low"]);
    // headroom.yml wins over the settings, key by key.
    assert.deepEqual(rules({ ...metrics("90"), "headroom.yml": "thresholds:\n  server/metrics-interval-low: { min_interval_seconds: 60 }\n" }, { thresholds: { "server/metrics-interval-low": { min_interval_seconds: 120 } } }), []);
  });

  it("points at a threshold that is unknown or out of range", () => {
    const text = "thresholds:\n  server/metrics-interval-low:\n    min_interval_seconds: 0.5\n    max: 3\n  workers/exceed-cpu: { factor: 2 }\n";
    const { config, problems } = readConfigFile(text, KNOWN_RULE_IDS);
    assert.deepEqual(
      problems.map((p) => [p.key, p.at && text.slice(p.at.start, p.at.end)]),
      [["thresholds.server/metrics-interval-low.min_interval_seconds", "0.5"], ["thresholds.server/metrics-interval-low.max", "max"], ["thresholds.workers/exceed-cpu", "workers/exceed-cpu"]],
    );
    assert.equal(config.thresholds.size, 0);
  });
});

describe("editor settings", () => {
  it("accept the same keys, and report problems by setting name", () => {
    const { config, problems } = readConfigSettings({ rules: { "workers/exceed-cpu": "off", "nosuch/rule": "off" }, facts: { max_instances: 3 }, trace: { server: "off" } }, KNOWN_RULE_IDS);
    assert.equal(config.rules.get("workers/exceed-cpu")?.value, "off");
    assert.equal(config.facts.maxInstances?.value, 3);
    assert.equal(config.facts.maxInstances?.origin, "configured");
    assert.deepEqual(problems.map((p) => [p.key, p.at]), [["rules.nosuch/rule", undefined]]);
  });

  it("headroom.yml wins key by key; lists are joined", () => {
    const settings = readConfigSettings(
      { rules: { "workers/exceed-cpu": "off", "workers/single-process": "info" }, facts: { max_connections: 50, max_instances: 2, deployments: { web: { max_instances: 5, worker_memory_mib: 200 } } }, ignore: ["a/**"] },
      KNOWN_RULE_IDS,
    ).config;
    const file = readConfigFile("rules:\n  workers/exceed-cpu: warning\nfacts:\n  max_connections: 300\n  deployments:\n    web:\n      max_instances: 8\nignore: ['b/**']\n", KNOWN_RULE_IDS).config;
    const merged = mergeConfigs(settings, file);
    assert.equal(merged.rules.get("workers/exceed-cpu")?.value, "warning");
    assert.equal(merged.rules.get("workers/single-process")?.value, "info");
    assert.equal(merged.facts.maxConnections?.value, 300);
    assert.equal(merged.facts.maxInstances?.value, 2);
    assert.equal(merged.facts.deployments.get("web")?.maxInstances?.value, 8);
    assert.equal(merged.facts.deployments.get("web")?.workerMemoryMiB?.value, 200);
    assert.deepEqual(merged.ignore.map((g) => g.value), ["a/**", "b/**"]);
  });

  it("reach the audit: a setting turns a rule off, and its problems come back without a file", () => {
    const files = readFixture(join(root, "examples", "gunicorn-five-workers-1vcpu"));
    assert.deepEqual(rules(files, { rules: { "workers/exceed-cpu": "off" } }), ["db/connections-exceed-max"]);
    const result = audit(memoryHost(files), { settings: { facts: { max_connections: "many" } } });
    assert.deepEqual(result.configProblems.map((p) => p.key), ["facts.max_connections"]);
    assert.ok(!result.findings.some((f) => f.rule === "config/invalid"));
  });
});

describe("configured facts in the model", () => {
  const model = (files: Record<string, string>) => {
    const host = memoryHost(files);
    const m = buildModel(host, Object.keys(files).filter((f) => f !== "headroom.yml"), []);
    const problems = applyConfiguredFacts(m, loadConfig(host).config);
    return { model: m, problems, text: files["headroom.yml"] ?? "" };
  };

  it("replace the assumed max_connections and the instance count, pointing at headroom.yml", () => {
    const { model: m, text } = model({ ...wellSized, "headroom.yml": "facts:\n  max_connections: 250\n  max_instances: 6\n  worker_memory_mib: 300\n  concurrent_users: 900\n" });
    const [database] = m.databases;
    assert.equal(database.maxConnections.value, 250);
    assert.equal(database.maxConnections.origin, "configured");
    assert.equal(text.slice(database.maxConnections.at?.start, database.maxConnections.at?.end), "250");
    const [deployment] = m.deployments;
    assert.deepEqual([deployment.instances.value, deployment.instances.origin, deployment.instances.at?.file], [6, "configured", "headroom.yml"]);
    assert.equal(deployment.workerMemoryMiB?.value, 300);
    assert.equal(deployment.concurrentUsers?.value, 900);
  });

  it("per-name entries win over the global value, and unknown names are problems", () => {
    const config = "facts:\n  max_instances: 2\n  max_connections: 100\n  databases:\n    db:\n      max_connections: 500\n    orders:\n      max_connections: 10\n  deployments:\n    web:\n      max_instances: 4\n    compose:docker-compose.yml#worker:\n      max_instances: 3\n";
    const { model: m, problems } = model({ ...composeStack, "headroom.yml": config });
    const instances = Object.fromEntries(m.deployments.map((d) => [d.id, d.instances.value]));
    assert.equal(instances["compose:docker-compose.yml#web"], 4);
    assert.equal(instances["compose:docker-compose.yml#worker"], 3);
    assert.equal(instances["compose:docker-compose.yml#db"], 2);
    assert.equal(m.databases[0].maxConnections.value, 500);
    assert.deepEqual(problems.map((p) => p.key), ["facts.databases.orders"]);
    assert.match(problems[0].message, /databases are "db"/);
  });

  it("the autoscaling max multiplies the connection budget, and the finding says so and relates to headroom.yml", () => {
    assert.ok(!rules(wellSized).includes("db/connections-exceed-max"));
    const findings = audit(memoryHost({ ...wellSized, "headroom.yml": "facts:\n  max_instances: 4\n" })).findings;
    const finding = findings.find((f) => f.rule === "db/connections-exceed-max");
    assert.ok(finding);
    assert.match(finding.message, /^autoscaling max 4 instances x 3 gunicorn workers x \(DB_POOL_SIZE 5 \+ DB_MAX_OVERFLOW 5\) = 120 /);
    assert.ok(finding.related.some((r) => r.at.file === "headroom.yml" && /autoscaling max 4 instances/.test(r.message)));
    // A configured limit that fits silences it.
    assert.ok(!rules({ ...wellSized, "headroom.yml": "facts:\n  max_instances: 4\n  max_connections: 200\n" }).includes("db/connections-exceed-max"));
  });

  it("the shipped fixture configs are read without problems", () => {
    const text = readFileSync(join(root, "test/fixtures/config/invalid/every-key-valid/headroom.yml"), "utf8");
    assert.deepEqual(readConfigFile(text, KNOWN_RULE_IDS).problems, []);
  });
});
