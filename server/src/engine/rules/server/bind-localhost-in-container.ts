import { SOURCES } from "../../knowledge/sources.ts";
import { fileKind } from "../../model/build.ts";
import type { Deployment } from "../../model/types.ts";
import type { Fix, SourceRef } from "../../types.ts";
import { defineRule } from "../define.ts";
import { isContainer } from "../workers/cpu-count-in-container.ts";
import { insertAfterEdit } from "./edits.ts";
import { isLoopback, listenAddress } from "./listen.ts";

/** A reverse proxy started by the same script can reach a loopback bind: then it is deliberate. */
const SAME_CONTAINER_PROXY = /\b(nginx|caddy|haproxy|traefik|envoy|supervisord)\b/;

/** The start script (or, in a compose file or Dockerfile, the command itself) also starts a proxy. */
function startsProxy(command: SourceRef, text: (file: string) => string | undefined): boolean {
  const source = text(command.file) ?? "";
  return SAME_CONTAINER_PROXY.test(fileKind(command.file) === "shell" ? source : source.slice(command.start, command.end));
}

/**
 * Compose services whose network namespace another service joins (`network_mode: service:app` on a sidecar nginx), by
 * project and service (`compose:<project>#app`): that service reaches their loopback.
 */
function servicesJoinedByOthers(deployments: readonly Deployment[]): Set<string> {
  const joined = new Set<string>();
  for (const deployment of deployments) {
    const target = deployment.composeNetworkMode?.startsWith("service:") ? deployment.composeNetworkMode.slice("service:".length) : undefined;
    if (target) joined.add(`${deployment.id.slice(0, deployment.id.lastIndexOf("#") + 1)}${target}`);
  }
  return joined;
}

/**
 * A compose service whose loopback is not its own: `network_mode: host` listens on the host's (an nginx on the host
 * proxies to 127.0.0.1), `service:X`/`container:X` on X's, and a service another one joins shares its own with it.
 */
function sharesLoopback(deployment: Deployment, joined: ReadonlySet<string>): boolean {
  const mode = deployment.composeNetworkMode;
  if (mode === "host" || mode?.startsWith("service:") || mode?.startsWith("container:")) return true;
  return joined.has(deployment.id);
}

export default defineRule({
  meta: {
    id: "server/bind-localhost-in-container",
    summary: "A server in a container listening on 127.0.0.1, which nothing outside the container can reach",
    severity: "error",
    fix: "safe",
    sources: [SOURCES.uvicornHostDefault, SOURCES.gunicornBind, SOURCES.asgiServersLocalhostDefault, SOURCES.uvicornEnvSettings, SOURCES.granianDefaults, SOURCES.fastapiCliOptions, SOURCES.herokuPort, SOURCES.renderPort],
    docs: {
      why:
        "127.0.0.1 (and localhost, ::1) inside a container is the container's own loopback: the compose network, the published " +
        "port, App Runner's router and an nginx container all connect from outside it, so the service is unreachable (connection " +
        "refused, or App Runner's health check fails and the deployment rolls back). uvicorn, hypercorn, daphne and granian listen " +
        "on 127.0.0.1:8000 unless told otherwise, and gunicorn does too unless `PORT` is set (Heroku sets it in every dyno of a heroku.yml app, Render in every web service, so gunicorn's default bind is quiet there), so a missing `--host`/`--bind` in a " +
        "container is the same bug, also when the port comes from the platform (`uvicorn main:app --port $PORT`: the port is not known here, the host is) (`fastapi run` listens on 0.0.0.0 by default: only an explicit `--host 127.0.0.1` is). Listen on 0.0.0.0. Headroom stays quiet when the start script also starts a proxy " +
        "(nginx, caddy, haproxy, supervisord), or a program beside the server in the container runs one (a supervisord program, an s6-overlay service), that can reach the loopback address, for processes that are not in a container, and " +
        "for a compose service whose loopback is shared: `network_mode: host` (the host's loopback, where an nginx on the host " +
        "proxies to 127.0.0.1), `network_mode: service:X` or `container:X`, or a service that another one joins with `network_mode: service:<it>`.",
      bad: {
        Dockerfile: 'FROM python:3.12-slim\nCMD ["uvicorn", "app.main:app", "--port", "8000"]\n',
        "docker-compose.yml": "services:\n  api:\n    build: .\n    ports:\n      - \"8000:8000\"\n",
      },
      good: {
        Dockerfile: 'FROM python:3.12-slim\nCMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]\n',
        "docker-compose.yml": "services:\n  api:\n    build: .\n    ports:\n      - \"8000:8000\"\n",
      },
    },
  },
  check({ model, report, text }) {
    const joined = servicesJoinedByOthers(model.deployments);
    for (const deployment of model.deployments) {
      if (!isContainer(deployment) || sharesLoopback(deployment, joined)) continue;
      for (const process of deployment.processes) {
        const listen = listenAddress(deployment, process, text);
        if (!listen || !isLoopback(listen.host.value)) continue;
        if (deployment.proxyBeside !== undefined || startsProxy(process.commandAt, text)) continue;
        const server = process.invocation.server;
        const address = listen.port ? `${listen.host.value}:${listen.port.value}` : `${listen.host.value} (on the port its command takes from the environment)`;
        const fixes: Fix[] = [];
        if (listen.host.origin === "stated" && listen.host.at && listen.host.value !== "::1") {
          fixes.push({ title: "Listen on 0.0.0.0", safe: true, edits: [{ ...listen.host.at, newText: "0.0.0.0" }] });
        } else if (listen.host.origin === "default") {
          const port = listen.port;
          const args = server === "gunicorn" || server === "hypercorn" ? (port ? ["--bind", `0.0.0.0:${port.value}`] : undefined) : server === "daphne" ? ["--bind", "0.0.0.0"] : ["--host", "0.0.0.0"];
          const edit = args && insertAfterEdit(listen.program, args, text);
          if (args && edit) fixes.push({ title: `Add ${args.join(" ")}`, safe: true, edits: [edit] });
        }
        report({
          at: listen.host.at ?? { file: process.commandAt.file, start: listen.program.start, end: listen.program.end },
          deployment,
          message:
            `${server} listens on ${address} inside the container of ${deployment.name} (${listen.host.from}): that is the container's own loopback, ` +
            "so nothing outside it (the published port, other services, a proxy, the platform's router and health check) can connect. Listen on 0.0.0.0.",
          fixes,
        });
      }
    }
  },
});
