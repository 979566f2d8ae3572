// The engine's view of the workspace inside the language server: open editor buffers win over
// disk; the file list and disk reads are cached and invalidated by file-watcher events.
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { WorkspaceHost } from "../engine/api.ts";
import { type Located, workspaceLocator } from "../node/containment.ts";

export const SKIP_DIRS = new Set(["node_modules", ".git", "dist", ".venv", "venv", "__pycache__", "vendor"]);
export const MAX_FILES = 20_000;
export const MAX_BYTES = 5 * 1024 * 1024;
const SNIFF_BYTES = 8 * 1024;

/** An open editor buffer, keyed by its workspace-relative path. */
export interface OpenDoc {
  uri: string;
  text: string;
  version: number;
}

/** What one audit run actually read: the text each offset refers to, and the buffer version. */
export interface Snapshot {
  text: string;
  /** The open document's version, or null if the text came from disk. */
  version: number | null;
}

interface CachedRead {
  mtimeMs: number;
  size: number;
  text: string | undefined;
}

/** Reads a file from disk as the engine wants it: UTF-8 without BOM, undefined if binary/large/gone. */
export function readTextFile(abs: string): { mtimeMs: number; size: number; text: string | undefined } | undefined {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(abs);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  if (st.size > MAX_BYTES) return { mtimeMs: st.mtimeMs, size: st.size, text: undefined };
  let buf: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(abs, "r");
    buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    buf = buf.subarray(0, got);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (buf.subarray(0, SNIFF_BYTES).includes(0)) return { mtimeMs: st.mtimeMs, size: st.size, text: undefined };
  let text = buf.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { mtimeMs: st.mtimeMs, size: st.size, text };
}

/** Walks `root` once, skipping vendored/build directories, returning relative paths that pass `keep`. */
export function walk(root: string, keep: (rel: string) => boolean, maxFiles = MAX_FILES): string[] {
  const out: string[] = [];
  let seen = 0;
  const stack: string[] = [""];
  while (stack.length > 0 && seen < maxFiles) {
    const relDir = stack.pop() as string;
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(join(root, relDir), { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) stack.push(rel);
        continue;
      }
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        // Follow links to files only; linked directories could loop.
        try {
          isFile = statSync(join(root, rel)).isFile();
        } catch {
          isFile = false;
        }
      }
      if (!isFile) continue;
      if (++seen > maxFiles) break;
      if (keep(rel)) out.push(rel);
    }
  }
  return out.sort();
}

/** Where reads may go beyond the root, and where refusals are told. */
export interface HostAccess {
  allowedDirs?: readonly string[];
  log?: (message: string) => void;
}

export class ServerHost implements WorkspaceHost {
  private listCache: string[] | undefined;
  private readonly reads = new Map<string, CachedRead>();
  private readonly locate: (rel: string) => Located;
  private readonly refusalsLogged = new Set<string>();

  constructor(
    readonly root: string,
    private readonly isDeploymentFile: (rel: string) => boolean,
    /** Open buffers by workspace-relative path. */
    private readonly openDocs: () => Map<string, OpenDoc>,
    private readonly access: HostAccess = {},
  ) {
    this.locate = workspaceLocator(root, access.allowedDirs);
  }

  list(): string[] {
    if (!this.listCache) this.listCache = walk(this.root, this.isDeploymentFile);
    const open = [...this.openDocs().keys()].filter((p) => this.isDeploymentFile(p));
    if (open.every((p) => this.listCache?.includes(p))) return [...this.listCache];
    return [...new Set([...this.listCache, ...open])].sort();
  }

  read(path: string): string | undefined {
    const doc = this.openDocs().get(path);
    return doc ? doc.text : this.readDisk(path);
  }

  /** The file's text on disk, re-read only when its mtime or size changed; undefined if a link leads outside. */
  private readDisk(path: string): string | undefined {
    const located = this.locate(path);
    if ("refused" in located) {
      if (!this.refusalsLogged.has(path)) this.access.log?.(`skipped ${path}: ${located.refused}`);
      this.refusalsLogged.add(path);
      return undefined;
    }
    const abs = located.abs;
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(abs);
    } catch {
      this.reads.delete(path);
      return undefined;
    }
    const hit = this.reads.get(path);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.text;
    const got = readTextFile(abs);
    if (!got) {
      this.reads.delete(path);
      return undefined;
    }
    this.reads.set(path, got);
    return got.text;
  }

  invalidateList(): void {
    this.listCache = undefined;
  }

  invalidateFile(path: string): void {
    this.reads.delete(path);
  }

  invalidateAll(): void {
    this.listCache = undefined;
    this.reads.clear();
  }

  /** A host for one audit run that records exactly what the engine read. */
  recording(): { host: WorkspaceHost; snapshots: Map<string, Snapshot> } {
    const snapshots = new Map<string, Snapshot>();
    const open = this.openDocs();
    const host: WorkspaceHost = {
      list: () => this.list(),
      read: (path) => {
        const doc = open.get(path);
        // One look at the open buffers per audit, not one per file read.
        const text = doc ? doc.text : this.readDisk(path);
        if (text !== undefined) snapshots.set(path, { text, version: doc ? doc.version : null });
        return text;
      },
    };
    return { host, snapshots };
  }
}
