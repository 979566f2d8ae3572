// The one entry point every front end calls: files → model → rules → findings.
import type { AuditResult, RuleInfo, WorkspaceHost } from "./api.ts";
import { withSizeLimits } from "./limits.ts";
import { buildModel, fileKind } from "./model/build.ts";
import type { ParseCache } from "./parse-cache.ts";
import { docsUrl, type Report } from "./rules/define.ts";
import { ALL_RULES } from "./rules/index.ts";
import type { Finding, ParseProblem, Severity } from "./types.ts";

export interface AuditConfig {
  /** Per-rule severity override, or "off". */
  rules?: Record<string, Severity | "off">;
}

export const RULES: RuleInfo[] = ALL_RULES.map((r) => ({ id: r.meta.id, summary: r.meta.summary, severity: r.meta.severity, docsUrl: docsUrl(r.meta.id) }));

export const PARSE_ERROR_RULE = "parse/error";

export function isDeploymentFile(path: string): boolean {
  return fileKind(path) !== undefined;
}

/** `parses`: a cache the caller keeps between audits (see AuditSession); without one, every file is parsed. */
export function audit(workspace: WorkspaceHost, config: AuditConfig = {}, parses?: ParseCache): AuditResult {
  const problems: ParseProblem[] = [];
  const host = withSizeLimits(workspace, problems);
  const paths = host.list().filter(isDeploymentFile).sort();
  parses?.startAudit();
  const model = buildModel(host, paths, problems, parses);

  const findings: Finding[] = [];
  const seen = new Set<string>();
  const add = (finding: Finding) => {
    const key = `${finding.rule}|${finding.at.file}|${finding.at.start}|${finding.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(finding);
  };
  for (const problem of problems) add({ rule: PARSE_ERROR_RULE, severity: problem.severity, message: problem.message, at: problem.at, related: [], fixes: [] });
  for (const rule of ALL_RULES) {
    const setting = config.rules?.[rule.meta.id];
    if (setting === "off") continue;
    const severity = setting ?? rule.meta.severity;
    rule.check({
      model,
      text: (file) => host.read(file),
      report: (r: Report) => add({ rule: rule.meta.id, severity, message: r.message, at: r.at, related: r.related ?? [], fixes: r.fixes ?? [], ...(r.deployment ? { deployment: r.deployment.id } : {}) }),
    });
  }
  findings.sort((a, b) => (a.at.file < b.at.file ? -1 : a.at.file > b.at.file ? 1 : a.at.start - b.at.start || a.rule.localeCompare(b.rule)));
  const filesRead = paths.filter((p) => host.read(p) !== undefined);
  return {
    findings,
    filesRead,
    deployments: model.deployments.map((d) => ({ id: d.id, name: d.name, files: [...d.files].sort() })),
    model,
  };
}
