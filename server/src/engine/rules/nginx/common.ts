// Helpers shared by the nginx rules: which proxies to look at, how to describe their backends,
// and edits that add directives the way a person would (own line, block's indentation).
import type { DeploymentModel } from "../../model/types.ts";
import type { NginxProxy } from "../../model/nginx.ts";
import type { RelatedInfo, SourceRef, TextEdit } from "../../types.ts";

/** worker_connections Headroom proposes: room for 2048 proxied clients per worker. */
export const PROPOSED_WORKER_CONNECTIONS = 4096;

/** Main configurations that proxy requests (a location with proxy_pass). */
export function proxyingMains(model: DeploymentModel): NginxProxy[] {
  return (model.proxies ?? []).filter((p) => p.main && p.locations.some((l) => l.proxyPass));
}

/** "3 instances of api-1, api-2, api-3" style summary of what the proxy fronts, or undefined. */
export function backendSummary(proxy: NginxProxy): string | undefined {
  const seen = new Map<string, number>();
  for (const b of proxy.backends) if (!seen.has(b.deployment)) seen.set(b.deployment, b.instances.value);
  if (seen.size === 0) return undefined;
  const services = [...new Set(proxy.backends.map((b) => b.service))];
  const instances = [...seen.values()].reduce((a, b) => a + b, 0);
  return `${instances} backend instance${instances === 1 ? "" : "s"} (${services.join(", ")})`;
}

export function backendRelated(proxy: NginxProxy): RelatedInfo[] {
  const upstreams = new Set(proxy.backends.map((b) => b.upstream).filter(Boolean));
  return proxy.upstreams.filter((u) => upstreams.has(u.name)).map((u) => ({ at: u.at, message: `upstream ${u.name}: ${u.servers.length} server(s)` }));
}

function lineStart(text: string, offset: number): number {
  let i = offset;
  while (i > 0 && text[i - 1] !== "\n" && text[i - 1] !== "\r") i--;
  return i;
}

function indentAt(text: string, offset: number): string {
  const start = lineStart(text, offset);
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? "";
}

function newline(text: string): string {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

/**
 * Lines added at the start of a block, after its "{", each on its own line with the
 * indentation of the block's first directive (or the block's own plus four spaces).
 */
export function insertInBlock(text: string, block: SourceRef, lines: string[]): TextEdit {
  const open = block.start + 1;
  const inner = text.slice(open, block.end);
  const firstChild = /\S/.exec(inner.replace(/#[^\n]*/g, (m) => " ".repeat(m.length)));
  const childOffset = firstChild && firstChild[0] !== "}" ? open + firstChild.index : undefined;
  const childOnOwnLine = childOffset !== undefined && lineStart(text, childOffset) > open;
  const indent = childOnOwnLine ? indentAt(text, childOffset) : `${indentAt(text, block.start)}    `;
  const nl = newline(text);
  return { file: block.file, start: open, end: open, newText: lines.map((l) => `${nl}${indent}${l}`).join("") };
}

/** A directive added to the main context, before the root file's first directive. */
export function insertInMain(text: string, at: SourceRef, line: string): TextEdit {
  const nl = newline(text);
  const before = text.slice(lineStart(text, at.start), at.start);
  const indent = /^[ \t]*$/.test(before) ? before : "";
  const prefix = /^[ \t]*$/.test(before) ? "" : nl;
  return { file: at.file, start: at.start, end: at.start, newText: `${prefix}${line}${nl}${indent}` };
}

export function formatProcesses(value: number | "auto"): string {
  return value === "auto" ? "auto" : String(value);
}
