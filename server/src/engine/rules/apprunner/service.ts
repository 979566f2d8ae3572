// The App Runner file a deployment comes from, parsed again for what the model does not carry
// (the port, the Cpu and Memory as written).
import { findNodeAtLocation, parseTree } from "jsonc-parser";
import type { Deployment } from "../../model/types.ts";
import { type AppRunnerService, parseAppRunnerYaml, parseServiceJson } from "../../parse/apprunner.ts";

export interface AppRunnerFile {
  service: AppRunnerService;
  /** A service.json with a SourceConfiguration: App Runner's defaults (Port 8080) apply to what it omits. */
  definesSource: boolean;
  /** The repository's apprunner.yaml a service.json with `ConfigurationSource: REPOSITORY` runs with (the model links it). */
  runConfig?: AppRunnerService;
}

export function appRunnerFile(deployment: Deployment, text: (file: string) => string | undefined): AppRunnerFile | undefined {
  if (!deployment.id.startsWith("apprunner:")) return undefined;
  const file = deployment.id.slice("apprunner:".length);
  const source = text(file);
  if (source === undefined) return undefined;
  if (/\.ya?ml$/i.test(file)) return { service: parseAppRunnerYaml(source, file), definesSource: false };
  const service = parseServiceJson(source, file);
  // parseServiceJson already read this text without errors when it recognised it.
  const root = service.recognised ? parseTree(source, [], { allowTrailingComma: true }) : undefined;
  const definesSource = root !== undefined && findNodeAtLocation(root, ["SourceConfiguration"]) !== undefined;
  const yaml = service.codeConfiguration?.source === "REPOSITORY" ? [...deployment.files].find((f) => /(^|\/)apprunner\.ya?ml$/i.test(f)) : undefined;
  const yamlText = yaml === undefined ? undefined : text(yaml);
  return { service, definesSource, ...(yaml && yamlText !== undefined ? { runConfig: parseAppRunnerYaml(yamlText, yaml) } : {}) };
}
