// A rule is metadata (the catalogue: docs pages are generated from it) plus a check over the
// deployment model. `check` does no I/O; it reads file text only through `text()` to build fixes.
import type { HeadroomConfig } from "../config.ts";
import type { Source } from "../knowledge/sources.ts";
import type { Deployment, DeploymentModel } from "../model/types.ts";
import type { Fix, RelatedInfo, Severity, SourceRef } from "../types.ts";

export interface RuleMeta {
  id: string;
  summary: string;
  severity: Severity;
  /** What the fixes do to meaning: "safe" ones are applied by fix-all, "unsafe" ones only on request. */
  fix: "safe" | "unsafe" | "none";
  sources: Source[];
  docs: {
    /** What it checks and why it matters, in a few sentences. */
    why: string;
    /** A bad example: files (path → text) that must produce this rule's finding. */
    bad: Record<string, string>;
    /** The same stack corrected: must produce no finding of this rule. */
    good: Record<string, string>;
  };
}

export interface Report {
  at: SourceRef;
  message: string;
  related?: RelatedInfo[];
  fixes?: Fix[];
  deployment?: Deployment;
}

export interface RuleContext {
  model: DeploymentModel;
  /**
   * headroom.yml merged over the editor's settings. Configured facts are already in the model
   * (database.maxConnections, deployment.instances, deployment.workerMemoryMiB and
   * deployment.concurrentUsers, with origin "configured"): read them there; this is for anything else.
   */
  config: HeadroomConfig;
  /** The text of a workspace file (for computing edits); undefined if unreadable. */
  text(file: string): string | undefined;
  report(finding: Report): void;
}

export interface Rule {
  meta: RuleMeta;
  check(context: RuleContext): void;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}

/**
 * A rule the audit reports itself (configuration and suppression problems): metadata for the
 * catalogue and docs, no `check` over the model. Its `sources` may be empty: it uses no numbers.
 */
export function defineEngineRule(meta: RuleMeta): RuleMeta {
  return meta;
}

export const DOCS_BASE = "https://github.com/headroom-dev/headroom/blob/main/docs/rules/";

/** `parse/error` is reported by the audit itself and has no rule page: its help is the reliability notes (limits, skips, messages). */
export const PARSE_ERROR_DOCS_URL = new URL("../reliability.md", DOCS_BASE).href;

export function docsUrl(id: string): string {
  return `${DOCS_BASE}${id.replace("/", "-")}.md`;
}
