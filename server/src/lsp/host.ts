// The engine's view of the workspace inside the language server: open editor buffers win over
// disk; the file list and disk reads are cached and invalidated by file-watcher events.
import { statSync } from "node:fs";
import type { WorkspaceHost } from "../engine/api.ts";
import { type Located, workspaceLocator } from "../node/containment.ts";
import { type FileRead, isNotThere, type Listing, listWorkspace, mayExist, readRegularFile } from "../node/disk-host.ts";

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

/** Where reads may go beyond the root, and where refusals are told. */
export interface HostAccess {
  allowedDirs?: readonly string[];
  log?: (message: string) => void;
  /**
   * The client reports created and deleted files (watched files), and each report makes the host list again: a
   * path the listing saw to be absent is then not looked for on disk. Without it, every read goes to the disk.
   */
  listingFollowsChanges?: boolean;
}

export class ServerHost implements WorkspaceHost {
  private listing: Listing | undefined;
  private readonly reads = new Map<string, CachedRead>();
  private readonly locate: (rel: string, linkFree?: boolean) => Located;
  /** The last reason logged per path, so each skip is told once, not on every audit. */
  private readonly skipsLogged = new Map<string, string>();
  private readonly listingNotes = new Set<string>();

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
    // Listed as the CLI lists; what the listing skips (a dangling link) is told once, not after every watcher event.
    this.listing ??= listWorkspace(this.root, { filter: this.isDeploymentFile, log: (m) => this.logOnce(m) });
    const listed = this.listing.paths;
    const open = [...this.openDocs().keys()].filter((p) => this.isDeploymentFile(p));
    if (open.every((p) => listed.includes(p))) return [...listed];
    return [...new Set([...listed, ...open])].sort();
  }

  read(path: string): string | undefined {
    const doc = this.openDocs().get(path);
    return doc ? doc.text : this.readDisk(path);
  }

  /**
   * The file's text on disk, re-read only when its mtime or size changed (or, when the client reports changes, when it
   * reported one); undefined (and logged once) when it is not read.
   */
  private readDisk(path: string): string | undefined {
    // Every audit reads again what each kept deployment read, misses included (an app's imports try several module
    // paths): a miss on disk is a realpath and a stat that throw, per path, per keystroke.
    const listing = this.access.listingFollowsChanges ? this.listing : undefined;
    if (listing && !mayExist(listing, path)) {
      this.reads.delete(path);
      return undefined;
    }
    // A file the listing reached through real folders, with a client that reports every change (invalidateFile), is
    // neither a link nor changed since it was read: in a 10,000-file workspace the realpath and stat of each file
    // the model reads were ~150 ms of every keystroke's audit (docs/performance.md, item 52).
    const plain = listing?.plainFiles.has(path) === true;
    const hit = this.reads.get(path);
    if (plain && hit) return hit.text;
    const located = this.locate(path, plain);
    if ("refused" in located) {
      this.logSkip(path, located.refused);
      return undefined;
    }
    let got: FileRead;
    try {
      const st = statSync(located.abs);
      if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.text;
      got = readRegularFile(located.abs);
    } catch (err) {
      this.reads.delete(path);
      // A file the model looked for and did not find was not skipped; one it cannot open (permissions, a link loop) was.
      if (!isNotThere(err)) this.logSkip(path, (err as Error).message);
      return undefined;
    }
    const text = "text" in got.read ? got.read.text : undefined;
    if ("skip" in got.read) this.logSkip(path, got.read.skip);
    this.reads.set(path, { mtimeMs: got.mtimeMs, size: got.size, text });
    return text;
  }

  private logSkip(path: string, why: string): void {
    if (this.skipsLogged.get(path) === why) return;
    this.skipsLogged.set(path, why);
    this.access.log?.(`skipped ${path}: ${why}`);
  }

  private logOnce(message: string): void {
    if (this.listingNotes.has(message)) return;
    this.listingNotes.add(message);
    this.access.log?.(message);
  }

  invalidateList(): void {
    this.listing = undefined;
  }

  invalidateFile(path: string): void {
    this.reads.delete(path);
  }

  invalidateAll(): void {
    this.listing = undefined;
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
