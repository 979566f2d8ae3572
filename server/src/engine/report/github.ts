// GitHub Actions workflow commands: one `::error|warning|notice file=…::message` line per finding,
// which the runner turns into annotations on the pull request's diff.
import type { AuditResult } from "../api.ts";
import type { Severity } from "../types.ts";
import { lineRanges } from "./positions.ts";

const COMMAND: Record<Severity, "error" | "warning" | "notice"> = { error: "error", warning: "warning", info: "notice", hint: "notice" };

/** Escapes a command's message the way the runner unescapes it (actions/toolkit's escapeData). */
export function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a property value: also `:` and `,`, which would end the value (actions/toolkit's escapeProperty). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export interface GithubOptions {
  /** Prepended to every path so it is relative to the repository root, forward slashes, no trailing slash. */
  pathPrefix?: string;
}

export function renderGithub(result: AuditResult, read: (file: string) => string | undefined, options: GithubOptions = {}): string {
  const range = lineRanges(read);
  const path = (file: string) => (options.pathPrefix ? `${options.pathPrefix}/${file}` : file);
  const lines = result.findings.map((f) => {
    const r = range(f.at);
    // GitHub's endColumn is the last column of the annotation (inclusive), one before SARIF's.
    const properties = [
      `file=${escapeProperty(path(f.at.file))}`,
      `line=${r.startLine}`,
      `col=${r.startColumn}`,
      `endLine=${r.endLine}`,
      `endColumn=${Math.max(r.startLine === r.endLine ? r.startColumn : 1, r.endColumn - 1)}`,
      `title=${escapeProperty(f.rule)}`,
    ];
    // Related lines in other files go into the message: an annotation has one location.
    const related = f.related.map((rel) => {
      const at = range(rel.at);
      return `\nrelated: ${path(rel.at.file)}:${at.startLine}:${at.startColumn}  ${rel.message}`;
    });
    return `::${COMMAND[f.severity]} ${properties.join(",")}::${escapeData(f.message + related.join(""))}`;
  });
  return lines.length ? `${lines.join("\n")}\n` : "";
}
