// An audit that remembers: the caller owns an AuditSession, tells it which files changed, and each
// audit re-parses only the files (and compose services) whose text changed. Results are those of
// a fresh `audit()` of the same files; test/unit/session.test.ts checks it after random edits.
import type { AuditResult, WorkspaceHost } from "./api.ts";
import { type AuditOptions, audit } from "./audit.ts";
import { ParseCache } from "./parse-cache.ts";

export class AuditSession {
  private readonly files = new Map<string, string>();
  readonly parses = new ParseCache();

  /** Sets a file's text (a new file, an edit, a file that changed on disk). */
  update(path: string, text: string): void {
    this.files.set(path, text);
  }

  /** Forgets a file (deleted, or no longer readable). */
  remove(path: string): void {
    this.files.delete(path);
  }

  audit(options: AuditOptions = {}): AuditResult {
    const host: WorkspaceHost = { list: () => [...this.files.keys()], read: (path) => this.files.get(path) };
    return audit(host, options, this.parses);
  }
}
