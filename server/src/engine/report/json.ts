// The JSON contract (version 1): tools read it, so fields are only ever added, never changed.
import type { AuditResult } from "../api.ts";
import type { Finding } from "../types.ts";
import { positions } from "./positions.ts";

export function renderJson(result: AuditResult, read: (file: string) => string | undefined): string {
  const range = positions(read);
  const toJson = (f: Finding) => ({
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    file: f.at.file,
    range: range(f.at),
    related: f.related.map((r) => ({ file: r.at.file, range: range(r.at), message: r.message })),
    fixes: f.fixes.map((fix) => ({ title: fix.title, safe: fix.safe, edits: fix.edits.map((e) => ({ file: e.file, range: range(e), newText: e.newText })) })),
  });
  const findings = result.findings.map(toJson);
  // Kept apart from `findings` so a consumer that counts findings still counts only what is reported.
  // `kind` uses SARIF's words: "inSource" for a comment, "external" for a headroom.yml entry.
  const suppressed = result.suppressed.map((s) => ({
    ...toJson(s.finding),
    suppression: { kind: s.kind, ...(s.at ? { file: s.at.file, range: range(s.at) } : {}), ...(s.reason ? { reason: s.reason } : {}) },
  }));
  return `${JSON.stringify({ version: 1, findings, suppressed, summary: summarize(result) }, null, 2)}\n`;
}

export function summarize(result: AuditResult): { files: number; deployments: number; error: number; warning: number; info: number; hint: number } {
  const count = (s: string) => result.findings.filter((f) => f.severity === s).length;
  return { files: result.filesRead.length, deployments: result.deployments.length, error: count("error"), warning: count("warning"), info: count("info"), hint: count("hint") };
}
