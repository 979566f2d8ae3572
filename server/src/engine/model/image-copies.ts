// A Dockerfile's COPY/ADD lines between the build context and the image, both ways: the image paths a build-context file
// is copied to (s6-overlay run scripts, nginx configs), and the build-context paths that may hold an image path (a tiangolo
// image's gunicorn_conf.py and app, a command's config file, the files RUN lines install from). A relative destination
// is relative to the WORKDIR in effect at its line (`baseWorkdir`, the base image's, before the Dockerfile sets one). Lines that copy from another stage or image (`COPY --from=<stage>`) bring no build-context
// file, and neither do absolute sources, wildcards, variables and URLs: they are not followed.
import { posix } from "node:path";

/**
 * A COPY/ADD line as the model reads it; `fromContext` false for `COPY --from=<stage>`, whose sources are not the build
 * context's; `workdir` the WORKDIR in effect at the line (absent before any: the base image's, which callers give).
 */
export interface CopyLine {
  sources: string[];
  destination: string;
  fromContext?: boolean;
  workdir?: string;
}

/** Where a COPY/ADD line writes: its destination as an absolute image path ("/" for the root), and whether a file copied there goes into it. */
export interface CopyTarget {
  path: string;
  folder: boolean;
}

/**
 * A COPY/ADD source as a build-context path ("" for the context itself: `.`, `./`), or undefined when it names no file of the
 * context that the files show: absolute, from the home folder, with wildcards or a variable, a URL, or above the context.
 */
export function contextSource(source: string): string | undefined {
  if (/^[/~]/.test(source) || /[*?[$]/.test(source) || /^[a-z]+:\/\//i.test(source)) return undefined;
  const path = posix.normalize(source).replace(/\/+$/, "");
  if (path === ".." || path.startsWith("../")) return undefined;
  return path === "." ? "" : path;
}

/** An image path written relative to the WORKDIR (or absolute), without a trailing slash: "/" for the root. */
export function inWorkdir(path: string, workdir: string): string {
  const base = workdir.replace(/\/+$/, "");
  const joined = path.startsWith("/") ? path : path === "." || path === "./" ? base : `${base}/${path.replace(/^\.\//, "")}`;
  return joined.replace(/\/+$/, "") || "/";
}

/**
 * Where a line writes. A file goes into the destination when it is a folder: written with a trailing slash, the WORKDIR
 * (`.`), the destination of several sources (Docker requires a folder then), or a folder the image already has
 * (`existingFolder`: nginx's /etc/nginx/conf.d).
 */
export function copyTarget(copy: CopyLine, baseWorkdir: string, existingFolder?: (path: string) => boolean): CopyTarget {
  const path = inWorkdir(copy.destination, copy.workdir ?? baseWorkdir);
  const written = copy.destination;
  const folder = written.endsWith("/") || written === "." || copy.sources.length > 1 || (existingFolder?.(path) ?? false);
  return { path, folder };
}

/**
 * Where copying `source` (a contextSource) to `target` puts `path` (a build-context path, or both paths taken from the same
 * folder): the file itself, or a file of the folder copied, whose contents go into the destination. Undefined when the line
 * does not copy `path`.
 */
export function copiedPath(source: string, path: string, target: CopyTarget): string | undefined {
  const under = target.path === "/" ? "" : target.path;
  if (source === "") return `${under}/${path}`;
  if (path === source) return target.folder ? `${under}/${source.slice(source.lastIndexOf("/") + 1)}` : target.path;
  return path.startsWith(`${source}/`) ? `${under}/${path.slice(source.length + 1)}` : undefined;
}

/** The image paths the COPY/ADD lines put the build-context file `contextPath` at, in the order of the lines. */
export function imagePathsOf(copies: ReadonlyArray<CopyLine>, baseWorkdir: string, contextPath: string): string[] {
  const found: string[] = [];
  for (const copy of copies) {
    if (copy.fromContext === false) continue;
    let target: CopyTarget | undefined;
    for (const written of copy.sources) {
      const source = contextSource(written);
      const inImage = source === undefined ? undefined : copiedPath(source, contextPath, (target ??= copyTarget(copy, baseWorkdir)));
      if (inImage !== undefined) found.push(inImage);
    }
  }
  return found;
}

/**
 * The build-context paths that may hold `imagePath` after the COPY/ADD lines, the last line that writes there first:
 * `COPY ./app /app` puts `app/gunicorn_conf.py` at /app/gunicorn_conf.py, `COPY gunicorn_conf.py /app/` and
 * `COPY gunicorn_conf.py /app/gunicorn_conf.py` put `gunicorn_conf.py` there. Whether a destination without a trailing
 * slash is a folder is not known here: a file copied to it is a candidate both ways. "." for the whole context.
 */
export function contextCandidates(copies: ReadonlyArray<CopyLine>, baseWorkdir: string, imagePath: string): string[] {
  const candidates: string[] = [];
  for (let i = copies.length - 1; i >= 0; i--) {
    const copy = copies[i];
    if (copy.fromContext === false) continue;
    const destination = inWorkdir(copy.destination, copy.workdir ?? baseWorkdir);
    for (const written of copy.sources) {
      const src = contextSource(written);
      if (src === undefined) continue;
      if (imagePath === destination) candidates.push(src || ".");
      else if (imagePath.startsWith(destination === "/" ? "/" : `${destination}/`)) {
        const rest = imagePath.slice(destination === "/" ? 1 : destination.length + 1);
        // A folder copied there brings its contents; a file copied into the folder keeps its name.
        candidates.push(src ? `${src}/${rest}` : rest);
        if (!rest.includes("/") && src.slice(src.lastIndexOf("/") + 1) === rest) candidates.push(src);
      }
    }
  }
  return candidates;
}

/** The build-context folders ("" for the context itself) copied to `imageFolder`, the last first. */
export function contextFolders(copies: ReadonlyArray<CopyLine>, baseWorkdir: string, imageFolder: string): string[] {
  const folders: string[] = [];
  for (let i = copies.length - 1; i >= 0; i--) {
    const copy = copies[i];
    if (copy.fromContext === false || inWorkdir(copy.destination, copy.workdir ?? baseWorkdir) !== imageFolder) continue;
    for (const written of copy.sources) {
      const src = contextSource(written);
      if (src !== undefined) folders.push(src);
    }
  }
  return folders;
}
