// Reads a workspace from disk for the engine (CLI and language server). The engine itself does no I/O.
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { WorkspaceHost } from "../engine/api.ts";
import { workspaceLocator } from "./containment.ts";

/** Folders never walked: installed dependencies, caches and version control hold no deployment files of the project. */
const SKIPPED_DIRS = new Set(["node_modules", ".git", ".venv", "venv", "__pycache__", "vendor", ".tox", ".mypy_cache"]);
/**
 * Build output folders (copies of the sources, often large): skipped where a .gitignore of the workspace ignores them, or
 * where no .gitignore is seen on the way. A repository that commits one keeps sources there: Mastodon's nginx.conf and
 * systemd units are in dist/, Go projects keep their Dockerfile in build/package/.
 */
const BUILD_OUTPUT_DIRS = new Set(["dist", "build", "target"]);
/** A .gitignore line that names a build output folder; `anchored`: it applies in the .gitignore's own folder only. */
interface IgnoreRule {
  name: string;
  dir: string;
  anchored: boolean;
  negated: boolean;
}
const MAX_GITIGNORE_BYTES = 256 * 1024;
/** Deployment files are small; anything larger is skipped rather than read into memory. */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_FILES = 20_000;

export interface DiskHostOptions {
  /** Keep only paths this returns true for (the engine's file kinds). */
  filter?: (path: string) => boolean;
  log?: (message: string) => void;
  /** Folders outside the root that symlinks in the workspace may lead to (by default none). */
  allowedDirs?: readonly string[];
}

/** The deployment files under a root, as the CLI and the language server see them. */
export interface Listing {
  /** Workspace-relative paths with forward slashes, sorted. */
  paths: string[];
  /** Those that are symlinks (to regular files): where they lead is checked when they are read. */
  links: Set<string>;
  /** Folders listed to the end ("" for the root), and every name in them (files of any kind, folders, links). */
  complete: Map<string, string[]>;
  /**
   * Every regular file the walk saw, listed or not (an app module the model reads through a command, main.py): reached
   * through real folders (the walk follows no link), so it resolves inside the root without a realpath.
   */
  plainFiles: Set<string>;
}

export function listWorkspace(root: string, options: DiskHostOptions = {}): Listing {
  const found: string[] = [];
  const links = new Set<string>();
  const complete = new Map<string, string[]>();
  const plainFiles = new Set<string>();
  /** `rel`: the folder relative to the root, with forward slashes ("" for the root). */
  /** `ignores`: the build-output rules of the .gitignore files seen from the root to here; undefined when none was. */
  const walk = (dir: string, rel: string, ignores: IgnoreRule[] | undefined) => {
    if (found.length >= MAX_FILES) return;
    const names: string[] = [];
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      // A folder that cannot be listed hides whatever deployment files it holds: say so.
      options.log?.(`skipped ${rel || "."}/: ${(err as Error).message}`);
      return;
    }
    const gitignore = entries.find((entry) => entry.name === ".gitignore" && entry.isFile());
    const rules = gitignore ? [...(ignores ?? []), ...buildOutputIgnores(join(dir, gitignore.name), rel)] : ignores;
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      names.push(entry.name);
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || (BUILD_OUTPUT_DIRS.has(entry.name) && (rules === undefined || ignored(rules, entry.name, rel)))) continue;
        walk(join(dir, entry.name), path, rules);
        continue;
      }
      if (entry.isFile()) plainFiles.add(path);
      if (!(entry.isFile() || entry.isSymbolicLink()) || (options.filter && !options.filter(path))) continue;
      if (entry.isSymbolicLink()) {
        // A link to a file is listed (docker-compose.yml -> deploy/compose.prod.yml); links to folders are not followed, they can loop.
        try {
          if (!statSync(join(dir, entry.name)).isFile()) continue;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          options.log?.(`skipped ${path}: ${code === "ENOENT" ? "a link to nothing (its target does not exist)" : (err as Error).message}`);
          continue;
        }
        links.add(path);
      }
      found.push(path);
      if (found.length >= MAX_FILES) {
        options.log?.(`stopped listing at ${MAX_FILES} files`);
        return;
      }
    }
    complete.set(rel, names);
  };
  walk(root, "", undefined);
  return { paths: found.sort(), links, complete, plainFiles };
}

/**
 * The lines of a .gitignore in folder `dir` that name a build output folder: `dist` or `dist/` (also after `**` and a
 * slash) anywhere below it, `/dist` and `dist/*` (a slash before or inside the name) in that folder only, `!dist` taking
 * one back. Other patterns (globs, deeper paths) are not read: such a folder stays walked.
 */
function buildOutputIgnores(file: string, dir: string): IgnoreRule[] {
  let text: string;
  try {
    const { size, read } = readRegularFile(file);
    if ("skip" in read || size > MAX_GITIGNORE_BYTES) return [];
    text = read.text;
  } catch {
    return [];
  }
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const negated = line.startsWith("!");
    const match = /^(\/|\*\*\/)?([\w.-]+)(\/|\/\*|\/\*\*)?$/.exec(negated ? line.slice(1) : line);
    if (!match || !BUILD_OUTPUT_DIRS.has(match[2])) continue;
    rules.push({ name: match[2], dir, anchored: match[1] === "/" || (match[1] === undefined && match[3] !== undefined && match[3] !== "/"), negated });
  }
  return rules;
}

/** Whether the folder `name` in folder `rel` is ignored: the last rule that matches it decides, as in git. */
function ignored(rules: IgnoreRule[], name: string, rel: string): boolean {
  let result = false;
  for (const rule of rules) {
    if (rule.name !== name) continue;
    const applies = rule.anchored ? rel === rule.dir : rule.dir === "" || rel === rule.dir || rel.startsWith(`${rule.dir}/`);
    if (applies) result = !rule.negated;
  }
  return result;
}

/**
 * False when the listing read one of the path's folders to the end and the next name on the path was not there
 * (compared without case, so that a case-insensitive file system is still asked): a read would find nothing. The
 * model looks for many files that are not there (the modules an app's imports could be, config files a command
 * may name), and each miss on disk cost a realpath and an open that throw.
 */
/** A read that failed because nothing is at the path: ENOENT, or ENOTDIR when a part of it is a file (`requirements.txt/x`). */
export function isNotThere(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

export function mayExist(listing: Listing, path: string): boolean {
  let folder = "";
  for (const name of path.split("/")) {
    const names = listing.complete.get(folder);
    // A folder the listing did not read to the end: skipped (node_modules), reached through a link, or past MAX_FILES;
    // and a path that is not plain (`.`, `..`, empty parts), left to the reader's own checks.
    if (!names || name === "" || name === "." || name === "..") return true;
    if (!lowerCased(names).has(name.toLowerCase())) return false;
    folder = folder ? `${folder}/${name}` : name;
  }
  return true;
}

/** A folder's names lower-cased, made the first time a read asks about that folder (most are never asked). */
const lowerNames = new WeakMap<string[], Set<string>>();
function lowerCased(names: string[]): Set<string> {
  let set = lowerNames.get(names);
  if (!set) lowerNames.set(names, (set = new Set(names.map((name) => name.toLowerCase()))));
  return set;
}

/** Decode a file's bytes, or say why it is not text we read. */
export function decodeFile(bytes: Buffer): { text: string } | { skip: string } {
  if (bytes.length > MAX_FILE_BYTES) return { skip: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MB` };
  return textOrSkip(bytes.toString("utf8"));
}

/**
 * A file's text as read (UTF-8, U+FFFD for invalid sequences), or why it is not text we read. A NUL can only
 * come from a 0 byte, and the first 8,192 characters hold at least the first 8,192 bytes.
 */
function textOrSkip(text: string): { text: string } | { skip: string } {
  if (text.slice(0, 8192).includes("\0")) return { skip: "binary (NUL bytes)" };
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
}

export interface FileRead {
  mtimeMs: number;
  size: number;
  /** The decoded text, or why the file is not read. */
  read: { text: string } | { skip: string };
}

/**
 * Reads a file the engine asked for (CLI and language server). Opened non-blocking and checked through the
 * open descriptor, so a FIFO or device named like a config (or a link to one) is skipped instead of blocking
 * the read forever, and a file swapped between a stat and the open is judged by what was opened.
 * Throws what open throws (ENOENT, EACCES, ELOOP).
 */
export function readRegularFile(abs: string): FileRead {
  const fd = openSync(abs, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    const stat = { mtimeMs: st.mtimeMs, size: st.size };
    if (st.isDirectory()) return { ...stat, read: { skip: "a directory, not a file" } };
    if (!st.isFile()) return { ...stat, read: { skip: "not a regular file (a pipe, socket or device)" } };
    if (st.size > MAX_FILE_BYTES) return { ...stat, read: { skip: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MB` } };
    // Decoded by Node in one native call: a Buffer then a TextDecoder cost twice as much on a large monorepo.
    return { ...stat, read: textOrSkip(readFileSync(fd, "utf8")) };
  } finally {
    closeSync(fd);
  }
}

export function diskHost(root: string, options: DiskHostOptions = {}): WorkspaceHost {
  const texts = new Map<string, string | undefined>();
  let listing: Listing | undefined;
  const locate = workspaceLocator(root, options.allowedDirs);
  return {
    list: () => {
      listing ??= listWorkspace(root, options);
      return listing.paths;
    },
    read: (path) => {
      if (!texts.has(path)) {
        let text: string | undefined;
        // A file the walk saw is there (as far as the listing knows, which is what mayExist answers from).
        const plain = listing?.plainFiles.has(path) === true;
        if (listing && !plain && !mayExist(listing, path)) {
          texts.set(path, undefined);
          return undefined;
        }
        try {
          const located = locate(path, plain);
          if ("refused" in located) {
            options.log?.(`skipped ${path}: ${located.refused}`);
            texts.set(path, undefined);
            return undefined;
          }
          const { read } = readRegularFile(located.abs);
          if ("skip" in read) options.log?.(`skipped ${path}: ${read.skip}`);
          else text = read.text;
        } catch (err) {
          // The model looks for files a command may name (a Django settings module, a config file): one that is not there was
          // not skipped, unless the listing saw it.
          if (!isNotThere(err)) options.log?.(`skipped ${path}: ${(err as Error).message}`);
          else if (listing?.paths.includes(path)) options.log?.(`skipped ${path}: deleted after the workspace was listed`);
        }
        texts.set(path, text);
      }
      return texts.get(path);
    },
  };
}
