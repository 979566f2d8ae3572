// The engine's public surface: what the CLI and the language server call. Nothing here does I/O:
// the caller passes a WorkspaceHost that reads files (from disk, or from open editor buffers).
import type { DeploymentModel } from "./model/types.ts";
import type { Suppressed } from "./suppress.ts";
import type { Finding } from "./types.ts";

export type { Suppressed } from "./suppress.ts";
export type { Finding, Fix, RelatedInfo, Severity, SourceRef, TextEdit } from "./types.ts";

/** Read access to one workspace. Paths are workspace-relative with forward slashes. */
export interface WorkspaceHost {
  /** Every file path the audit may consider (already filtered of node_modules, .git, ignored paths). */
  list(): string[];
  /** The text of a file, or undefined if it is gone, unreadable, binary or too large. */
  read(path: string): string | undefined;
}

export interface RuleInfo {
  id: string;
  summary: string;
  severity: "error" | "warning" | "info" | "hint";
  docsUrl: string;
}

export interface AuditResult {
  /** Rule findings and file problems (rule `parse/error`), sorted by file, then position. */
  findings: Finding[];
  /** Every file the audit read, so a caller can clear diagnostics of files that no longer have any. */
  filesRead: string[];
  /**
   * Every file the findings depend on: the files read and those the model took values from, including
   * files that only a command or an include names (`gunicorn -c conf/prod.py`), and the paths the model
   * looked for and did not find (a `-c` file not written yet). A client re-audits when any of them
   * changes or appears, not only when a file with a deployment file's name does.
   */
  dependencies: string[];
  /** Groups of files that feed one deployment: a change in any re-checks all of them. */
  deployments: Array<{ id: string; name: string; files: string[] }>;
  /** The model the rules ran on: the audit report (report/summary.ts) draws its numbers from it. */
  model: DeploymentModel;
  /** Problems in the editor settings (no file to point at): `key` is the setting, e.g. `rules.foo`. */
  configProblems: Array<{ key: string; message: string }>;
  /** Findings silenced by a `# headroom-ignore` comment or headroom.yml's `suppressions`, with what silenced them (SARIF reports them). */
  suppressed: Suppressed[];
}
