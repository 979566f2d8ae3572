import { SOURCES } from "../../knowledge/sources.ts";
import type { Fix } from "../../types.ts";
import { defineRule } from "../define.ts";
import { listenAddress } from "../server/listen.ts";

/** App Runner's port when a service.json does not set one (ImageConfiguration / CodeConfigurationValues Port). */
const DEFAULT_PORT = 8080;

export default defineRule({
  meta: {
    id: "apprunner/port-mismatch",
    summary: "App Runner sends traffic to one port while the server listens on another",
    severity: "error",
    fix: "safe",
    sources: [SOURCES.appRunnerPortDefault, SOURCES.appRunnerConfigFile, SOURCES.uvicornHostDefault, SOURCES.gunicornBind, SOURCES.tiangoloGunicornConf],
    docs: {
      why:
        "App Runner routes requests, and its TCP health check, to the `Port` of the service (`ImageConfiguration.Port` or " +
        "`CodeConfigurationValues.Port` in service.json, 8080 when absent; `run.network.port` in apprunner.yaml). If the server " +
        "listens on another port (the Dockerfile CMD's `--port 9000`, a start script's `${PORT:-10000}` default, or the server's " +
        "own default of 8000), the health check fails and the deployment never becomes healthy. Headroom compares the Port with " +
        "the port the start command really binds, following variables to the value App Runner passes (a source-code service " +
        "configured by apprunner.yaml gets its port in `PORT`, and in the variable `run.network.env` names, so `--bind 0.0.0.0:${PORT:-8000}` " +
        "listens on App Runner's port there; a service.json is read with the variables its RuntimeEnvironmentVariables set). The safe fix changes the " +
        "server's port to App Runner's when that number is written as is in one place.",
      bad: {
        "service.json":
          '{\n  "ServiceName": "api",\n  "SourceConfiguration": {\n    "ImageRepository": {\n      "ImageIdentifier": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1",\n      "ImageRepositoryType": "ECR",\n      "ImageConfiguration": { "Port": "8080" }\n    }\n  }\n}\n',
        Dockerfile: 'FROM python:3.11-slim\nEXPOSE 8080\nCMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "9000"]\n',
      },
      good: {
        "service.json":
          '{\n  "ServiceName": "api",\n  "SourceConfiguration": {\n    "ImageRepository": {\n      "ImageIdentifier": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1",\n      "ImageRepositoryType": "ECR",\n      "ImageConfiguration": { "Port": "8080" }\n    }\n  }\n}\n',
        Dockerfile: 'FROM python:3.11-slim\nEXPOSE 8080\nCMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8080"]\n',
      },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      const found = deployment.appRunner;
      if (!found) continue;
      const service = found.runConfig ?? found.service;
      // Without a Port, compare with App Runner's default only when the file defines the source (an update input without
      // one keeps the service's current port); apprunner.yaml's default is not documented where Headroom could confirm it.
      if (!service.port && (!found.service.definesSource || found.runConfig)) continue;
      const appPort = service.port?.value ?? DEFAULT_PORT;
      const portWhere = service.port ? `${service.file} sets Port ${appPort}` : `${service.file} sets no Port, so App Runner uses its default ${DEFAULT_PORT}`;
      for (const process of deployment.processes) {
        const listen = listenAddress(deployment, process, text);
        const port = listen?.port;
        if (!listen || !port || port.value === appPort) continue;
        const server = process.invocation.server;
        const fixes: Fix[] = port.at ? [{ title: `Listen on port ${appPort}`, safe: true, edits: [{ ...port.at, newText: String(appPort) }] }] : [];
        report({
          at: port.at ?? service.port?.at ?? { file: process.commandAt.file, start: listen.program.start, end: listen.program.end },
          deployment,
          message:
            `${server} listens on port ${port.value} (${port.from}) but ${portWhere}: App Runner sends requests and its health check to ` +
            `port ${appPort}, finds nothing listening, and the deployment fails its health check. Make the two ports the same.`,
          related: service.port?.at && port.at ? [{ at: service.port.at, message: `App Runner Port ${appPort}` }] : [],
          fixes,
        });
      }
    }
  },
});
