// Size limits the engine applies whatever the host: deployment files are small, and parse time grows with
// size (a 2 MB compose file takes seconds in the YAML parser), so a huge file is skipped with a note
// rather than stalling every audit. The hosts have their own, higher cap on what they read into memory.
import type { WorkspaceHost } from "./api.ts";
import { type FileKind, fileKind } from "./model/build.ts";
import type { ParseProblem } from "./types.ts";

const MB = 1024 * 1024;

/**
 * Largest text read, in characters, per file kind; kinds whose parsers are slower get less. The largest
 * real compose file in the corpus is 24 KB; a 0.9 MB one takes 1.2 s alone and 6.7 s on a loaded machine
 * (docs/reliability.md), so YAML stops at 512 KB.
 */
export const MAX_CHARS: Record<FileKind, number> & { other: number } = {
  compose: MB / 2,
  "apprunner.yaml": MB / 2,
  shell: 1 * MB,
  dockerfile: 2 * MB,
  "service.json": 2 * MB,
  procfile: 2 * MB,
  dotenv: 2 * MB,
  nginx: 2 * MB,
  "gunicorn-conf": 2 * MB,
  puma: 2 * MB,
  unicorn: 2 * MB,
  postgres: 2 * MB,
  pgbouncer: 2 * MB,
  "rails-database": MB / 2,
  uwsgi: 2 * MB,
  sidekiq: MB / 2,
  "sidekiq-initializer": 2 * MB,
  "solid-queue": MB / 2,
  "rails-config": MB / 2,
  hypercorn: 2 * MB,
  makefile: 1 * MB,
  supervisor: 2 * MB,
  ci: MB / 2,
  "app.json": 2 * MB,
  "heroku.yml": MB / 2,
  "render.yaml": MB / 2,
  "fly.toml": 2 * MB,
  kamal: MB / 2,
  systemd: 2 * MB,
  other: 2 * MB,
};

/** The smallest limit: a text within it is within every kind's, so its kind need not be worked out (the host is read thousands of times per audit). */
const SMALLEST_LIMIT = Math.min(...Object.values(MAX_CHARS));

const kindName = (kind: FileKind | undefined): string => (kind === undefined ? "files of this kind" : `${kind} files`);
const size = (chars: number): string => (chars < MB ? `${Math.round(chars / 1024)} KB` : `${(chars / MB).toFixed(1).replace(/\.0$/, "")} MB`);

/** The host seen through the limits: an oversized file reads as absent, with one warning at its start. */
export function withSizeLimits(host: WorkspaceHost, problems: ParseProblem[]): WorkspaceHost {
  const skipped = new Set<string>();
  return {
    list: () => host.list(),
    read: (path) => {
      const text = host.read(path);
      if (text === undefined || text.length <= SMALLEST_LIMIT) return text;
      const kind = fileKind(path);
      const limit = kind === undefined ? MAX_CHARS.other : MAX_CHARS[kind];
      if (text.length <= limit) return text;
      if (!skipped.has(path)) {
        skipped.add(path);
        problems.push({
          message: `not checked: ${path} is ${size(text.length)}, more than the ${size(limit)} Headroom reads for ${kindName(kind)}`,
          severity: "warning",
          at: { file: path, start: 0, end: 0 },
        });
      }
      return undefined;
    },
  };
}
