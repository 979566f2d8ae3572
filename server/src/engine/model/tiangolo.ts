// tiangolo's uvicorn-gunicorn images: tiangolo/uvicorn-gunicorn and the images built FROM it, tiangolo/uvicorn-gunicorn-fastapi
// and tiangolo/uvicorn-gunicorn-starlette. Their CMD, /start.sh, sources /app/prestart.sh when there is one, then runs
// `gunicorn -k uvicorn.workers.UvicornWorker -c "$GUNICORN_CONF" "$APP_MODULE"` (SOURCES.tiangoloStartScript); GUNICORN_CONF is
// /app/gunicorn_conf.py, else /app/app/gunicorn_conf.py, else the image's /gunicorn_conf.py, which takes every setting from an
// environment variable (SOURCES.tiangoloGunicornConf). The image is not in the workspace: what it runs is described here.

import type { SettingExpr } from "../parse/setting-expr.ts";
import type { Span } from "../types.ts";

/** Docker Hub's tiangolo/uvicorn-gunicorn images, by any tag or digest. */
const IMAGE = /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?tiangolo\/(uvicorn-gunicorn(?:-fastapi|-starlette)?)(?::[\w][\w.-]*)?(?:@sha256:[0-9a-f]{64})?$/i;

/** The image's repository (`tiangolo/uvicorn-gunicorn-fastapi`) when `image` is one of the uvicorn-gunicorn images. */
export function uvicornGunicornImage(image: string): string | undefined {
  const match = IMAGE.exec(image.trim());
  return match ? `tiangolo/${match[1].toLowerCase()}` : undefined;
}

/** The image's gunicorn_conf.py defaults (SOURCES.tiangoloGunicornConf). */
export const IMAGE_CONF = {
  /** WORKERS_PER_CORE's default: workers = max(int(WORKERS_PER_CORE x cpu_count()), 2), then at most MAX_WORKERS. */
  workersPerCore: 1,
  minWorkers: 2,
  host: "0.0.0.0",
  port: 80,
  timeout: "120",
  gracefulTimeout: "120",
  keepalive: "5",
} as const;

/** The image's own start command, and the paths its start script looks at. */
export const START_SCRIPT = "/start.sh";
export const GUNICORN_CONF_PATHS = ["/app/gunicorn_conf.py", "/app/app/gunicorn_conf.py", "/gunicorn_conf.py"] as const;
export const PRESTART_PATH = "/app/prestart.sh";
/** The image's WORKDIR, where a relative COPY destination lands unless the Dockerfile moves it. */
export const IMAGE_WORKDIR = "/app";

/** Variables the image's start script and gunicorn_conf.py read to size and place the server. */
const IMAGE_VARIABLES = "WEB_CONCURRENCY|WORKERS_PER_CORE|MAX_WORKERS|GUNICORN_CONF|GUNICORN_CMD_ARGS|BIND|HOST|PORT|TIMEOUT|KEEP_ALIVE|GRACEFUL_TIMEOUT|APP_MODULE|MODULE_NAME|VARIABLE_NAME";
const CHANGES_SERVER = new RegExp(
  // Assigns or exports one of them; replaces the shell (exec); sources another file or exports names computed at run time;
  // exports every assignment after it (set -a).
  `^\\s*(?:(?:export|readonly|declare(?:\\s+-\\w+)*)\\s+)?(?:${IMAGE_VARIABLES})=|^\\s*exec\\b|^\\s*(?:\\.|source)\\s|^\\s*export\\s+["']?\\$|^\\s*set\\s+-\\w*a`,
  "m",
);

/**
 * Whether a prestart.sh, which the start script sources before it starts gunicorn, may change what gunicorn runs:
 * then the image's command is not modelled (what runs is not known from the files).
 */
export function prestartChangesServer(text: string): boolean {
  return CHANGES_SERVER.test(text.replace(/^\s*#.*$/gm, ""));
}

/**
 * The image's gunicorn_conf.py as settings, each read from its environment variable with the image's default, located at
 * `at` (the image's name in FROM: the file itself is in the image). `bind` is BIND, else HOST:PORT, which one setting cannot
 * describe: it is left unknown here and read by server/listen.ts from the same variables.
 */
export function imageConfSettings(at: Span): Map<string, SettingExpr> {
  const env = (envName: string, value?: string): SettingExpr => ({
    kind: "env",
    envName,
    ...(value === undefined ? { fallback: { kind: "unknown", span: at, nameSpan: at } } : { envDefault: { value, span: at } }),
    span: at,
    nameSpan: at,
  });
  return new Map([
    ["timeout", env("TIMEOUT", IMAGE_CONF.timeout)],
    ["graceful_timeout", env("GRACEFUL_TIMEOUT", IMAGE_CONF.gracefulTimeout)],
    ["keepalive", env("KEEP_ALIVE", IMAGE_CONF.keepalive)],
    ["bind", env("BIND")],
  ]);
}

/**
 * What a compose service's `volumes:` put at `imagePath` in the container: the deepest mount at that path or a folder above
 * it wins (Docker mounts nested targets over their parents). A bind mount gives its `source` and the `rest` of the path
 * below its target ("" for the target itself); `volume` is a named or anonymous volume, whose files are not in the
 * workspace; undefined when nothing is mounted there and the image's own files show through.
 */
export function mountedAt<Source>(binds: ReadonlyArray<{ source: Source; target: string }>, volumeTargets: readonly string[], imagePath: string): { source: Source; rest: string } | "volume" | undefined {
  let deepest = -1;
  let found: { source: Source; rest: string } | "volume" | undefined;
  const consider = (target: string, bind: { source: Source } | undefined) => {
    const mount = target.replace(/\/+$/, "") || "/";
    const under = imagePath === mount || imagePath.startsWith(mount === "/" ? "/" : `${mount}/`);
    if (!under || mount.length <= deepest) return;
    deepest = mount.length;
    found = bind === undefined ? "volume" : { source: bind.source, rest: imagePath.slice(mount === "/" ? 1 : mount.length + 1) };
  };
  for (const bind of binds) consider(bind.target, bind);
  for (const target of volumeTargets) consider(target, undefined);
  return found;
}
