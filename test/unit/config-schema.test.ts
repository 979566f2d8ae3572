// schemas/headroom.schema.json (what editors validate headroom.yml with) and the engine's own
// validator (server/src/engine/config.ts) must agree: same verdict on every config below.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import Ajv from "ajv";
import { parse } from "yaml";
import { KNOWN_RULE_IDS } from "../../server/src/engine/audit.ts";
import { readConfigFile, THRESHOLDS } from "../../server/src/engine/config.ts";
import { CONFIG_SCHEMA_PATH, configSchema, renderConfigSchema } from "../../scripts/config-schema.ts";

const root = join(__dirname, "..", "..");
const schemaText = readFileSync(join(root, CONFIG_SCHEMA_PATH), "utf8");

const GOOD = [
  "",
  "# only a comment\n",
  "rules:\n  workers/exceed-cpu: off\n  db/connections-exceed-max: warning\n  parse/error: info\n  config/invalid: error\n",
  "facts:\n  max_connections: 400\n  max_instances: 10\n  worker_memory_mib: 512\n  concurrent_users: 3000\n",
  "facts:\n  databases:\n    db:\n      max_connections: 200\n    orders: {}\n  deployments:\n    web:\n      max_instances: 2\n    'compose:docker-compose.yml#worker': { worker_memory_mib: 256, concurrent_users: 10 }\n",
  "include: ['deploy/**', '*.sh']\nignore: ['legacy/**']\n",
  "pools:\n  env:\n    APP_POOL: pool_size\n    APP_BURST: max_overflow\n    WEB_CONNS: activerecord_pool\n    _JOBS: sidekiq_concurrency\n    POOL_SIZE: ignore\n",
  "pools: {}\n",
  "suppressions:\n  - rule: workers/exceed-cpu\n    file: service.json\n    reason: sized for a load test\n  - { rule: db/connections-exceed-max, file: 'apps/*/service.json' }\n",
  "rules: {}\nfacts: {}\ninclude: []\nignore: []\nsuppressions: []\n",
  "thresholds:\n  server/metrics-interval-low:\n    min_interval_seconds: 30\n  workers/threads-exceed-cpu: { factor: 1.5 }\n",
  "thresholds: {}\n",
];

const BAD = [
  "thresholds:\n  server/metrics-interval-low:\n    min_interval_seconds: 0\n",
  "thresholds:\n  server/metrics-interval-low: { min_interval_seconds: '30' }\n",
  "thresholds:\n  server/metrics-interval-low: { interval: 30 }\n",
  "thresholds:\n  workers/exceed-cpu: { factor: 2 }\n",
  "thresholds:\n  workers/threads-exceed-cpu: 2\n",
  "- a list\n",
  "just text\n",
  "rule:\n  workers/exceed-cpu: off\n",
  "rules:\n  workers/exceed-cpus: off\n",
  "rules:\n  workers/exceed-cpu: hint\n",
  "rules:\n  workers/exceed-cpu: true\n",
  "rules: [workers/exceed-cpu]\n",
  "facts:\n  max_connections: '400'\n",
  "facts:\n  max_connections: 0\n",
  "facts:\n  max_instances: 2.5\n",
  "facts:\n  max_instances: -1\n",
  "facts:\n  memory: 512\n",
  "facts:\n  databases:\n    db:\n      max_conns: 10\n",
  "facts:\n  databases:\n    db: 200\n",
  "facts:\n  deployments:\n    web:\n      max_connections: 10\n",
  "facts:\n  deployments: [web]\n",
  "pools:\n  env:\n    APP_POOL: size\n",
  "pools:\n  env:\n    APP-POOL: pool_size\n",
  "pools:\n  env:\n    1POOL: pool_size\n",
  "pools:\n  env:\n    APP_POOL: 10\n",
  "pools:\n  names:\n    APP_POOL: pool_size\n",
  "pools:\n  env: [APP_POOL]\n",
  "pools: pool_size\n",
  "include: 'deploy/**'\n",
  "ignore: ['']\n",
  "ignore: [3]\n",
  "suppressions:\n  - rule: workers/exceed-cpu\n",
  "suppressions:\n  - file: service.json\n",
  "suppressions:\n  - rule: nosuch/rule\n    file: service.json\n",
  "suppressions:\n  - rule: workers/exceed-cpu\n    file: service.json\n    reason: ''\n",
  "suppressions:\n  - rule: workers/exceed-cpu\n    file: service.json\n    line: 3\n",
  "suppressions:\n  rule: workers/exceed-cpu\n",
];

describe("headroom.yml schema", () => {
  it("is up to date with the rule catalogue (npm run docs)", () => {
    assert.equal(schemaText, renderConfigSchema([...KNOWN_RULE_IDS].sort()), `${CONFIG_SCHEMA_PATH} is stale: run npm run docs`);
  });

  it("is contributed to editors and shipped in the .vsix", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    assert.deepEqual(pkg.contributes.yamlValidation, [{ fileMatch: "headroom.yml", url: `./${CONFIG_SCHEMA_PATH}` }]);
    const ignore = readFileSync(join(root, ".vscodeignore"), "utf8").split("\n");
    assert.ok(ignore.includes(`!${CONFIG_SCHEMA_PATH}`), ".vscodeignore must keep the schema in the package");
  });

  it("docs/configuration.md lists every threshold with its default and minimum", () => {
    const doc = readFileSync(join(root, "docs", "configuration.md"), "utf8");
    for (const t of THRESHOLDS) assert.ok(doc.includes(`| \`${t.rule}\` | \`${t.key}\` | ${t.default} | ${t.minimum} |`), `${t.rule}.${t.key} missing or stale in docs/configuration.md`);
  });

  it("describes the same keys as the headroom.* settings in package.json", () => {
    const settings = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).contributes.configuration.properties;
    for (const [key, schema] of Object.entries(configSchema().properties)) assert.deepEqual(settings[`headroom.${key}`], { ...schema, scope: "resource" }, `headroom.${key}`);
  });

  it("agrees with the engine's validator on good and bad configs", () => {
    const validate = new Ajv({ allErrors: true }).compile(JSON.parse(schemaText));
    const fixtures = readdirSync(join(root, "test/fixtures/config/invalid")).map((name) => readFileSync(join(root, "test/fixtures/config/invalid", name, "headroom.yml"), "utf8"));
    const disagreements: string[] = [];
    for (const [text, expectValid] of [...GOOD.map((t) => [t, true] as const), ...BAD.map((t) => [t, false] as const), ...fixtures.map((t) => [t, undefined] as const)]) {
      const engine = readConfigFile(text, KNOWN_RULE_IDS).problems;
      let data: unknown;
      try {
        data = parse(text, { uniqueKeys: true });
      } catch {
        // Not YAML: the schema never sees it; the engine must report it.
        if (engine.length === 0) disagreements.push(`engine accepts unparseable ${JSON.stringify(text)}`);
        continue;
      }
      const schemaValid = validate(data ?? null);
      if (schemaValid !== (engine.length === 0)) disagreements.push(`${JSON.stringify(text)}: schema ${schemaValid ? "accepts" : `rejects (${JSON.stringify(validate.errors?.[0])})`}, engine ${engine.length === 0 ? "accepts" : `rejects (${engine[0].message})`}`);
      if (expectValid !== undefined && schemaValid !== expectValid) disagreements.push(`${JSON.stringify(text)} should be ${expectValid ? "valid" : "invalid"}`);
    }
    assert.deepEqual(disagreements, []);
  });
});
