// Facts from headroom.yml / editor settings enter the model here, with origin "configured" and
// `at` on the headroom.yml line, so findings built on them relate to that line. A configured
// value replaces what the workspace states or what Headroom assumes: the person who wrote it knows
// the production system (a managed database, an autoscaling group) better than the repository does.
import type { ConfigProblem, HeadroomConfig } from "../config.ts";
import type { DeploymentModel } from "./types.ts";

/** Applies configured facts to the model; names that match no database or deployment are problems. */
export function applyConfiguredFacts(model: DeploymentModel, config: HeadroomConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { facts } = config;
  for (const database of model.databases) {
    const named = [...facts.databases].find(([key]) => namesOf(database.name).includes(key))?.[1];
    const max = named?.maxConnections ?? facts.maxConnections;
    if (max) {
      database.maxConnections = max;
      delete database.limitUnknown;
    }
  }
  for (const deployment of model.deployments) {
    const named = [...facts.deployments].find(([key]) => key === deployment.id || namesOf(deployment.name).includes(key))?.[1];
    const maxInstances = named?.maxInstances ?? facts.maxInstances;
    if (maxInstances) deployment.instances = maxInstances;
    const memory = named?.workerMemoryMiB ?? facts.workerMemoryMiB;
    if (memory) deployment.workerMemoryMiB = memory;
    const users = named?.concurrentUsers ?? facts.concurrentUsers;
    if (users) deployment.concurrentUsers = users;
  }
  for (const [key, entry] of facts.databases) {
    if (model.databases.some((d) => namesOf(d.name).includes(key))) continue;
    const known = model.databases.map((d) => `"${shortName(d.name)}"`);
    problems.push({ key: `facts.databases.${key}`, at: entry.at, message: `no database named "${key}" in the workspace${known.length ? `: databases are ${known.join(", ")}` : ""}` });
  }
  for (const [key, entry] of facts.deployments) {
    if (model.deployments.some((d) => key === d.id || namesOf(d.name).includes(key))) continue;
    const known = model.deployments.map((d) => `"${shortName(d.name)}"`);
    problems.push({ key: `facts.deployments.${key}`, at: entry.at, message: `no deployment named "${key}" in the workspace${known.length ? `: deployments are ${known.join(", ")}` : ""}` });
  }
  for (const [name, entry] of config.pools.env) {
    if (model.deployments.some((d) => d.env.has(name))) continue;
    problems.push({ key: `pools.env.${name}`, at: entry.at, message: `no deployment's environment sets ${name}: pools.env maps a name the workspace does not use` });
  }
  return problems;
}

/** "web (docker-compose.yml)" answers to itself and to "web"; "service.json" to itself. */
function namesOf(name: string): string[] {
  const short = shortName(name);
  return short === name ? [name] : [name, short];
}

function shortName(name: string): string {
  return name.replace(/ \([^)]*\)$/, "");
}
