import { SOURCES } from "../../knowledge/sources.ts";
import { fileKind } from "../../model/build.ts";
import type { Deployment, ServerProcess } from "../../model/types.ts";
import { isBuildArgDefault, parseDockerfile } from "../../parse/dockerfile.ts";
import { parseDotenv } from "../../parse/dotenv.ts";
import { type CommandWord, optionValue, type ServerInvocation, serverName } from "../../parse/servers.ts";
import type { Fact, SourceRef } from "../../types.ts";
import { defineRule, type Report } from "../define.ts";

/** gunicorn settings compared between the command line, GUNICORN_CMD_ARGS and the config file. */
const GUNICORN_SIZING = ["workers", "threads", "worker_class", "worker_connections", "timeout", "keepalive", "max_requests", "max_requests_jitter", "graceful_timeout"];

/** Options that size a server (workers, threads, timeouts, connections): the ones whose shell defaults are compared. */
const SIZING_OPTIONS = new Set([...GUNICORN_SIZING, "concurrency", "processes", "timeout_keep_alive", "keep_alive_timeout", "limit_concurrency", "backlog", "harakiri"]);

type Text = (file: string) => string | undefined;

/** One place that sets a value; `label` names it in a message. */
interface Place {
  value: string;
  at: SourceRef;
  label: string;
}

const within = (inner: SourceRef, outer: SourceRef) => inner.file === outer.file && inner.start >= outer.start && inner.end <= outer.end;
const describePlace = (at: SourceRef) => at.file;

/** `${NAME:-default}` (or `${NAME-default}`) written at `at`, with the default's own span; undefined for other text. */
function shellDefault(at: SourceRef, text: Text): { name: string; value: string; at: SourceRef; raw: string } | undefined {
  const raw = text(at.file)?.slice(at.start, at.end);
  // A positional parameter's default (`${1:-2}` in a function) is for a call without that argument, not a setting.
  const m = raw === undefined ? null : /^\$\{([A-Za-z_]\w*):?-([^}$`"'\\\s]+)\}$/.exec(raw);
  if (!raw || !m) return undefined;
  const start = at.start + raw.indexOf("-", 2 + m[1].length) + 1;
  return { name: m[1], value: m[2], at: { file: at.file, start, end: start + m[2].length }, raw };
}

/** A value of an option as written: where it is set (for an expanded variable, where the variable is set). */
function optionPlace(invocation: ServerInvocation | undefined, name: string, label: string): Place | undefined {
  const option = invocation && optionValue(invocation, name);
  const at = option?.value?.fact.at ?? (option?.value ? { file: option.flag.fact.at?.file ?? "", start: option.value.start, end: option.value.end } : undefined);
  return option?.value && at?.file ? { value: option.value.value, at, label } : undefined;
}

/** Environment variables a process reads for its settings: those its option values expand, WEB_CONCURRENCY, GUNICORN_CMD_ARGS, the config file's. */
function consumedVariables(process: ServerProcess): Set<string> {
  const names = new Set<string>(["WEB_CONCURRENCY"]);
  if (process.invocation.server === "gunicorn") names.add("GUNICORN_CMD_ARGS");
  for (const option of process.invocation.options) {
    for (const hop of option.value?.fact.via ?? []) for (const m of hop.note.matchAll(/\$\{?(\w+)/g)) names.add(m[1]);
  }
  for (const setting of process.config?.settings.values() ?? []) if (setting.kind === "env" && setting.envName) names.add(setting.envName);
  return names;
}

/** Why the deployment's value wins over a Dockerfile ENV or an env file. */
function precedence(winner: SourceRef, loserFile: string): string {
  const kind = fileKind(winner.file);
  const by = kind === "compose" ? "compose's environment:" : kind === "service.json" || kind === "apprunner.yaml" ? "App Runner's environment variables" : kind === "dotenv" ? "an env_file" : "the container's environment";
  if (fileKind(loserFile) === "dockerfile") return `${by} override${by.endsWith("s") ? "" : "s"} the image's ENV`;
  // Both env files: either both are env_file entries (read in order) or the loser only feeds interpolation.
  if (kind === "dotenv" && fileKind(loserFile) === "dotenv") {
    return `an env_file sets the container's value, and of several env_file entries the last one that sets it wins; a .env file that is not an env_file of the service only feeds \${VAR} interpolation in the compose file`;
  }
  return `${by} set${by.endsWith("s") ? "" : "s"} the container's value; a .env file reaches a container only through env_file (which environment: overrides) or \${VAR} interpolation in the compose file`;
}

const COMPOSE = (workers: string) =>
  `services:\n  api:\n    build: .\n    environment:\n      GUNICORN_WORKERS: "${workers}"\n    deploy:\n      resources:\n        limits:\n          cpus: "2"\n`;

export default defineRule({
  meta: {
    id: "config/conflicting-values",
    summary: "The same setting is given different values in two places that feed one deployment",
    severity: "warning",
    fix: "none",
    sources: [SOURCES.posixDefaultValue, SOURCES.composeInterpolationDefault, SOURCES.composeEnvPrecedence, SOURCES.composeDotEnvInterpolation, SOURCES.gunicornConfigPrecedence, SOURCES.gunicornWorkersDefault, SOURCES.uvicornWorkersDefault],
    docs: {
      why:
        "A setting written twice with different values reads as one thing and runs as another. Headroom reports the value that " +
        "loses, points at the one that wins, and says why, by each tool's documented precedence: a start script's " +
        "`${GUNICORN_WORKERS:-5}` only applies when the variable is unset or empty (POSIX `${parameter:-word}`), so the 3 that " +
        "App Runner or compose passes wins (a default in the compose file's own interpolation, `command: gunicorn -w ${WORKERS:-2}` or " +
        "`WEB_CONCURRENCY: ${WEB_CONCURRENCY:-2}` with WORKERS or WEB_CONCURRENCY set in the project's .env, is not reported: that is " +
        "compose's documented way to give the shared file a fallback for a .env that lacks the variable, and the .env is meant to win; " +
        "`$${WORKERS:-2}`, left to the container's shell, is reported like a start script's); gunicorn takes the command line over GUNICORN_CMD_ARGS over its config file, and " +
        "WEB_CONCURRENCY only when none sets workers; uvicorn's --workers wins over WEB_CONCURRENCY; compose's `environment:` " +
        "wins over `env_file`, and both over the image's `ENV` (Docker's documented order). Only the variables the server's " +
        "settings read are compared (those its command line expands, WEB_CONCURRENCY, GUNICORN_CMD_ARGS, and those its config " +
        "file reads), and shell defaults only for sizing options (workers, threads, timeouts, connections). A config file's own " +
        "fallback (`ENV.fetch(\"RAILS_MAX_THREADS\") { 3 }` in Rails' generated puma.rb, `os.environ.get(..., \"4\")`) is not " +
        "reported: that is the framework's documented way to give a default for local runs. Nor is a platform's own value (the " +
        "WEB_CONCURRENCY Heroku's buildpack exports by dyno size), which a stated one is meant to override or a `:-` default to take. There is no automatic fix: which of the two values is meant is for you to decide; align them or delete " +
        "the one that never applies.",
      bad: {
        "start.sh": "#!/bin/sh\nWORKERS=${GUNICORN_WORKERS:-5}\nexec gunicorn main:app --workers ${WORKERS} --bind 0.0.0.0:8000\n",
        "Dockerfile": 'FROM python:3.12-slim\nCOPY . /app\nCMD ["/app/start.sh"]\n',
        "docker-compose.yml": COMPOSE("3"),
      },
      good: {
        "start.sh": "#!/bin/sh\nWORKERS=${GUNICORN_WORKERS:-3}\nexec gunicorn main:app --workers ${WORKERS} --bind 0.0.0.0:8000\n",
        "Dockerfile": 'FROM python:3.12-slim\nCOPY . /app\nCMD ["/app/start.sh"]\n',
        "docker-compose.yml": COMPOSE("3"),
      },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      for (const process of deployment.processes) {
        for (const finding of shellDefaults(deployment, process, text)) report(finding);
        for (const finding of layeredSettings(deployment, process)) report(finding);
        for (const finding of envFiles(deployment, process, model.envFiles, text)) report(finding);
      }
    }
  },
});

/** `--workers ${WORKERS}` with `WORKERS=${GUNICORN_WORKERS:-5}` while the environment sets GUNICORN_WORKERS=3. */
function shellDefaults(deployment: Deployment, process: ServerProcess, text: Text): Report[] {
  const out: Report[] = [];
  for (const option of process.invocation.options) {
    if (!SIZING_OPTIONS.has(option.name)) continue;
    const word = option.value;
    const fact = word?.fact;
    // A platform's own value (Heroku's buildpack WEB_CONCURRENCY) is what `${WEB_CONCURRENCY:-2}` is written to take.
    if (!word || !fact?.at || fact.origin === "default") continue;
    for (const hop of fact.via ?? []) {
      // Compose's own `${X:-2}` is the fallback for a .env that does not set X: the .env is meant to win (not `$${X:-2}`, the container shell's).
      if (isComposeInterpolation(hop.at, text)) continue;
      const fallback = shellDefault(hop.at, text);
      // The default was used when the value's origin lies inside the expansion.
      if (!fallback || within(fact.at, hop.at) || fallback.value === word.value) continue;
      out.push({
        at: fallback.at,
        deployment,
        message:
          `${describePlace(hop.at)} falls back to ${fallback.name}=${fallback.value} (${fallback.raw}), but ${fallback.name} is set to ${word.value} ` +
          `in ${describePlace(fact.at)}, and that wins: the default after :- applies only where ${fallback.name} is unset or empty, so ` +
          `${serverName(process.invocation)} runs with ${attached(option.flag, word) ? option.flag.value : `${option.flag.value} ${word.value}`}.`,
        related: [{ at: fact.at, message: `${fallback.name}=${word.value}: the value ${serverName(process.invocation)} gets` }],
      });
    }
  }
  return out;
}

/**
 * A `${X:-d}` compose fills in from the shell and the project's .env before anything runs: written in a compose file,
 * not escaped as `$${X:-d}` (a literal `$` left for the container's shell).
 */
function isComposeInterpolation(at: SourceRef, text: Text): boolean {
  return fileKind(at.file) === "compose" && text(at.file)?.[at.start - 1] !== "$";
}

/** A value written in its flag's word (`--workers=${W}`, `-w${W}`). */
function attached(flag: CommandWord, value: CommandWord): boolean {
  return value.start >= flag.start && value.end <= flag.end;
}

/** gunicorn: command line > GUNICORN_CMD_ARGS > config file (> WEB_CONCURRENCY for workers); uvicorn: --workers > WEB_CONCURRENCY. */
function layeredSettings(deployment: Deployment, process: ServerProcess): Report[] {
  const server = process.invocation.server;
  if (server !== "gunicorn" && server !== "uvicorn") return [];
  const out: Report[] = [];
  const names = server === "gunicorn" ? GUNICORN_SIZING : ["workers"];
  for (const name of names) {
    const places: Place[] = [];
    const command = optionPlace(process.invocation, name, "the command line");
    if (command) places.push(command);
    if (server === "gunicorn") {
      const env = optionPlace(process.envArgs, name, "GUNICORN_CMD_ARGS");
      if (env) places.push(env);
      const setting = process.config?.settings.get(name);
      if (process.config && setting && (setting.kind === "number" || setting.kind === "string") && setting.value !== undefined && !setting.conditional) {
        places.push({ value: String(setting.value), at: { file: process.config.path, ...setting.span }, label: process.config.path });
      }
    }
    const concurrency: Fact<string> | undefined = name === "workers" ? deployment.env.get("WEB_CONCURRENCY") : undefined;
    // A platform's default (Heroku's buildpack sizes WEB_CONCURRENCY by dyno) gives way to a stated value by design: no conflict.
    if (concurrency?.at && concurrency.origin !== "default") places.push({ value: concurrency.value, at: concurrency.at, label: "WEB_CONCURRENCY" });
    const winner = places[0];
    if (!winner) continue;
    // WEB_CONCURRENCY stands only for workers: the closing sentence names it only for them.
    const order =
      server === "uvicorn" ? "--workers over WEB_CONCURRENCY"
      : name === "workers" ? "the command line over GUNICORN_CMD_ARGS over the config file, and WEB_CONCURRENCY only when none of them sets workers"
      : "the command line over GUNICORN_CMD_ARGS over the config file";
    for (const loser of places.slice(1)) {
      if (loser.value === winner.value || loser.at.file === winner.at.file && loser.at.start === winner.at.start) continue;
      out.push({
        at: loser.at,
        deployment,
        message:
          `${loser.label} sets ${name} ${loser.value}, but ${winner.label} (${describePlace(winner.at)}) sets ${winner.value}, and ${server} applies that: ` +
          `it reads ${order}.`,
        related: [{ at: winner.at, message: `${name} ${winner.value}: the value ${server} runs with` }],
      });
    }
  }
  return out;
}

/** A Dockerfile ENV or env file that sets a variable the server reads, overridden by the deployment's environment. */
function envFiles(deployment: Deployment, process: ServerProcess, read: Map<string, Map<string, Fact<string>>> | undefined, text: Text): Report[] {
  const out: Report[] = [];
  let consumed: Set<string> | undefined;
  for (const file of deployment.files) {
    const kind = fileKind(file);
    if (kind !== "dockerfile" && kind !== "dotenv") continue;
    consumed ??= consumedVariables(process);
    // The model's own reading where it has one (no second parse on every keystroke).
    let vars = read?.get(file);
    if (!vars) {
      const source = text(file);
      if (source === undefined) continue;
      vars = kind === "dockerfile" ? parseDockerfile(source, file).env : parseDotenv(source, file).vars;
    }
    for (const name of consumed) {
      const mine = vars.get(name);
      const effective = deployment.env.get(name);
      if (!mine?.at || !effective?.at || effective.at.file === file || mine.value === effective.value) continue;
      // A build argument's default is meant to be replaced (compose build.args): not a conflict.
      if (kind === "dockerfile" && isBuildArgDefault(mine)) continue;
      out.push({
        at: mine.at,
        deployment,
        message:
          `${file} sets ${name}=${mine.value}, but ${deployment.name} gets ${name}=${effective.value} from ${describePlace(effective.at)}: ` +
          `${precedence(effective.at, file)}, so ${serverName(process.invocation)} reads ${effective.value}.`,
        related: [{ at: effective.at, message: `${name}=${effective.value}: the value ${serverName(process.invocation)} gets` }],
      });
    }
  }
  return out;
}
