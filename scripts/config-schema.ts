// The JSON schema of headroom.yml, written to schemas/headroom.schema.json by `npm run docs` so
// editors (VS Code's YAML support via contributes.yamlValidation) validate and complete it.
// It says what server/src/engine/config.ts accepts; test/unit/config-schema.test.ts checks that they agree.
import { POOL_ENV_ROLES, RULE_SETTINGS, THRESHOLDS } from "../server/src/engine/config.ts";

export const CONFIG_SCHEMA_PATH = "schemas/headroom.schema.json";

const count = (description: string) => ({ type: "integer", minimum: 1, description });
const glob = { type: "string", minLength: 1, pattern: "\\S" };

const deploymentFacts = {
  max_instances: count("Autoscaling's maximum instance count: the most instances that can run at once (multiplies every per-instance connection pool)."),
  worker_memory_mib: count("Resident memory of one worker process, in MiB, as measured in production."),
  concurrent_users: count("Users expected at the same time."),
};

/**
 * `ruleIds` lists the rule ids for completion (schemas/headroom.schema.json); without it, a rule
 * id is any `group/name` (package.json's settings, which would otherwise change with every new rule).
 */
export function configSchema(ruleIds?: string[]): { properties: Record<string, object>; [key: string]: unknown } {
  const ruleId = ruleIds ? { enum: ruleIds } : { type: "string", pattern: "^[a-z]+/[a-z0-9-]+$" };
  const severity = { enum: [...RULE_SETTINGS], description: "off disables the rule; info, warning or error replaces its default severity." };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://github.com/headroom-dev/headroom/blob/main/schemas/headroom.schema.json",
    title: "Headroom configuration (headroom.yml)",
    description: "Rule severities, the deployment facts that live outside the repository, pool names, paths and suppressions. See docs/configuration.md.",
    type: ["object", "null"],
    additionalProperties: false,
    properties: {
      rules: {
        type: "object",
        description: "Per-rule severity: off, info, warning or error.",
        propertyNames: ruleId,
        additionalProperties: severity,
      },
      facts: {
        type: "object",
        description: "Facts that live outside the repository. A configured value replaces what the workspace states or Headroom assumes.",
        additionalProperties: false,
        properties: {
          max_connections: count("max_connections of every database the deployments use (a managed database: RDS, Cloud SQL, ...)."),
          ...deploymentFacts,
          databases: {
            type: "object",
            description: "Per database, by compose service name, postgresql.conf path or database name.",
            additionalProperties: { type: "object", additionalProperties: false, properties: { max_connections: count("This database's max_connections.") } },
          },
          deployments: {
            type: "object",
            description: "Per deployment, by id (compose:docker-compose.yml#web), name or service name (web).",
            additionalProperties: { type: "object", additionalProperties: false, properties: deploymentFacts },
          },
        },
      },
      pools: {
        type: "object",
        description: "How connection pools are read. See docs/pools.md.",
        additionalProperties: false,
        properties: {
          env: {
            type: "object",
            description: "Environment variables that size a connection pool, by name, over Headroom's built-in names: pool_size and max_overflow (SQLAlchemy), activerecord_pool, sidekiq_concurrency, or ignore (a built-in name this workspace uses for something else).",
            propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
            additionalProperties: { enum: [...POOL_ENV_ROLES] },
          },
        },
      },
      thresholds: {
        type: "object",
        description: "Rule thresholds a team may tune, per rule id. Each rule's docs page lists its thresholds and their defaults.",
        additionalProperties: false,
        properties: Object.fromEntries(
          [...new Set(THRESHOLDS.map((t) => t.rule))].map((rule) => [
            rule,
            {
              type: "object",
              additionalProperties: false,
              properties: Object.fromEntries(
                THRESHOLDS.filter((t) => t.rule === rule).map((t) => [t.key, { type: t.integer ? "integer" : "number", minimum: t.minimum, default: t.default, description: t.description }]),
              ),
            },
          ]),
        ),
      },
      include: { type: "array", items: glob, description: "Only audit files matching these path globs (relative to the workspace root)." },
      ignore: { type: "array", items: glob, description: "Never audit files matching these path globs." },
      suppressions: {
        type: "array",
        description: "Suppressions for files that cannot carry a comment (JSON): a rule, a file glob and the reason.",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["rule", "file"],
          properties: { rule: ruleId, file: glob, reason: { type: "string", minLength: 1, pattern: "\\S" } },
        },
      },
    },
  };
}

export function renderConfigSchema(ruleIds: string[]): string {
  return `${JSON.stringify(configSchema(ruleIds), null, 2)}\n`;
}
