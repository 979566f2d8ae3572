// A rule is metadata (the catalogue: docs pages are generated from it) plus a check over the
// deployment model. `check` does no I/O; it reads file text only through `text()` to build fixes.
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

export const DOCS_BASE = "https://github.com/headroom-dev/headroom/blob/main/docs/rules/";

export function docsUrl(id: string): string {
  return `${DOCS_BASE}${id.replace("/", "-")}.md`;
}
