// Engine findings -> LSP diagnostics and code actions. Offsets become line/character using the
// exact text the engine analysed, so ranges match what the user saw when the audit ran.
import { createHash } from "node:crypto";
import {
  type CodeAction,
  CodeActionKind,
  type Diagnostic,
  type DiagnosticRelatedInformation,
  DiagnosticSeverity,
  type Range,
  type TextDocumentEdit,
  type TextEdit,
} from "vscode-languageserver";
import type { Finding, Severity } from "../engine/api.ts";
import { applyTextEdits, fixToApply, selectEdits } from "../engine/fix.ts";
import { lineIndexOf, NO_MEMO, type ParseMemo } from "../engine/parse-cache.ts";
import { type Insertion, suppressionEdits } from "../engine/suppress.ts";
import { PARSE_ERROR_DOCS_URL } from "../engine/rules/define.ts";
import { LineIndex } from "../engine/types.ts";

export const SOURCE = "headroom";
export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.headroom`;

/** A fix carried in `Diagnostic.data`, its edits already in LSP ranges, grouped by uri. */
export interface LspFix {
  title: string;
  safe: boolean;
  edits: Record<string, TextEdit[]>;
}

/** `Diagnostic.data`: the fixes, and the version (null: not open) each involved uri had when analysed. */
export interface DiagnosticData {
  fixes: LspFix[];
  version: Record<string, number | null>;
  /**
   * For each uri that was not open when analysed, a digest of the text analysed: once the file is opened
   * with that same text, its fixes still apply (to the opened version).
   */
  digest?: Record<string, string>;
  /** "Suppress <rule> on this line" and "… in this file": kept apart from `fixes`, so fix-all never applies them. */
  suppress?: LspFix[];
}

/** What conversion needs to know about each workspace-relative file. */
export interface ConvertContext {
  uriOf(file: string): string;
  /** The text the engine analysed (undefined: unknown, ranges collapse to the start). */
  textOf(file: string): string | undefined;
  /** The open document version the text came from, or null. */
  versionOf(file: string): number | null;
  docsUrl(rule: string): string | undefined;
  /** The server's parse cache: line indexes and the YAML layout behind each suppress action are reused between audits. */
  memo?: ParseMemo;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toSeverity(s: Severity): DiagnosticSeverity {
  return SEVERITY[s] ?? DiagnosticSeverity.Warning;
}

/** Identifies a file's text without carrying it in every diagnostic. */
export function textDigest(text: string): string {
  return createHash("sha256").update(text).digest("base64");
}

/** Converts offsets to ranges, building each file's line index once (once per text with the server's parse cache as `memo`). */
export class RangeMapper {
  private readonly indexes = new Map<string, LineIndex | null>();
  constructor(
    private readonly textOf: (file: string) => string | undefined,
    private readonly memo: ParseMemo = NO_MEMO,
  ) {}

  range(file: string, start: number, end: number): Range {
    let idx = this.indexes.get(file);
    if (idx === undefined) {
      const text = this.textOf(file);
      idx = text === undefined ? null : lineIndexOf(this.memo, file, text);
      this.indexes.set(file, idx);
    }
    if (!idx) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const s = idx.position(start);
    const e = idx.position(Math.max(start, end));
    return { start: s, end: e };
  }
}

/** Groups findings into diagnostics per workspace-relative file. */
export function toDiagnostics(findings: Finding[], ctx: ConvertContext): Map<string, Diagnostic[]> {
  const mapper = new RangeMapper((f) => ctx.textOf(f), ctx.memo);
  const out = new Map<string, Diagnostic[]>();
  // One suppression writer per file: a compose file with many findings is laid out (YAML parse) at most once.
  const suppressors = new Map<string, ReturnType<typeof suppressionEdits> | undefined>();
  const suppressorOf = (file: string) => {
    if (!suppressors.has(file)) {
      const text = ctx.textOf(file);
      suppressors.set(file, text === undefined ? undefined : suppressionEdits(file, text, ctx.memo));
    }
    return suppressors.get(file);
  };
  const digests = new Map<string, string | undefined>();
  const digestOf = (file: string): string | undefined => {
    if (!digests.has(file)) {
      const text = ctx.versionOf(file) === null ? ctx.textOf(file) : undefined;
      digests.set(file, text === undefined ? undefined : textDigest(text));
    }
    return digests.get(file);
  };
  for (const f of findings) {
    const version: Record<string, number | null> = {};
    const digest: Record<string, string> = {};
    const stamp = (file: string): string => {
      const uri = ctx.uriOf(file);
      version[uri] = ctx.versionOf(file);
      const d = digestOf(file);
      if (d !== undefined) digest[uri] = d;
      return uri;
    };
    stamp(f.at.file);
    const fixes: LspFix[] = (f.fixes ?? []).map((fix) => {
      const edits: Record<string, TextEdit[]> = {};
      for (const e of fix.edits) {
        const uri = stamp(e.file);
        const edit: TextEdit = { range: mapper.range(e.file, e.start, e.end), newText: e.newText };
        const list = edits[uri];
        if (list) list.push(edit);
        else edits[uri] = [edit];
      }
      return { title: fix.title, safe: fix.safe, edits };
    });
    const related: DiagnosticRelatedInformation[] = (f.related ?? []).map((r) => ({
      location: { uri: ctx.uriOf(r.at.file), range: mapper.range(r.at.file, r.at.start, r.at.end) },
      message: r.message,
    }));
    const d: Diagnostic = {
      range: mapper.range(f.at.file, f.at.start, f.at.end),
      severity: toSeverity(f.severity),
      code: f.rule,
      source: SOURCE,
      message: f.message,
    };
    // parse/error has no rule page; its link is the one SARIF gives it.
    const href = f.rule === "parse/error" ? PARSE_ERROR_DOCS_URL : ctx.docsUrl(f.rule);
    if (href) d.codeDescription = { href };
    if (related.length > 0) d.relatedInformation = related;
    const data: DiagnosticData = { fixes, version };
    if (Object.keys(digest).length > 0) data.digest = digest;
    const suppressor = f.rule.startsWith("suppress/") ? undefined : suppressorOf(f.at.file);
    if (suppressor) {
      const action = (title: string, insert: Insertion): LspFix => ({
        title,
        safe: false,
        edits: { [ctx.uriOf(f.at.file)]: [{ range: mapper.range(f.at.file, insert.start, insert.end), newText: insert.newText }] },
      });
      const onLine = suppressor.line(f.rule, f.at);
      data.suppress = [...(onLine ? [action(`Suppress ${f.rule} on this line`, onLine)] : []), action(`Suppress ${f.rule} in this file`, suppressor.file(f.rule))];
    }
    d.data = data;
    const list = out.get(f.at.file);
    if (list) list.push(d);
    else out.set(f.at.file, [d]);
  }
  return out;
}

/** The Headroom data carried by a diagnostic, or undefined if it is not ours. */
export function ourData(d: Diagnostic): DiagnosticData | undefined {
  const data = d.data as Partial<DiagnosticData> | undefined;
  if (d.source !== SOURCE || typeof data !== "object" || data === null) return undefined;
  if (!Array.isArray(data.fixes) || typeof data.version !== "object" || data.version === null) return undefined;
  return data as DiagnosticData;
}

/** The version of each open document (null: not open) and, optionally, its text. */
export type CurrentVersion = (uri: string) => number | null;
export type OpenText = (uri: string) => string | undefined;

/**
 * The versions to stamp on a fix's edits when the analysis still holds, or undefined when it is stale.
 * A document whose version moved, or that was open at analysis time and is closed now, is stale. A file
 * analysed from disk and opened since holds when the opened text is the text analysed: its edits are then
 * for the opened version.
 */
export function editVersions(data: DiagnosticData, currentVersion: CurrentVersion, openText?: OpenText): Record<string, number | null> | undefined {
  const versions: Record<string, number | null> = {};
  for (const [uri, stamped] of Object.entries(data.version)) {
    const now = currentVersion(uri);
    if (now !== stamped) {
      const digest = stamped === null ? data.digest?.[uri] : undefined;
      const text = digest === undefined ? undefined : openText?.(uri);
      if (text === undefined || textDigest(text) !== digest) return undefined;
    }
    versions[uri] = now;
  }
  return versions;
}

function documentChanges(fix: LspFix, versions: Record<string, number | null>): TextDocumentEdit[] {
  return Object.entries(fix.edits).map(([uri, edits]) => ({
    textDocument: { uri, version: versions[uri] ?? null },
    edits,
  }));
}

/** Quick fixes for one diagnostic, or none if it is not ours or its analysis is stale. */
export function quickFixes(d: Diagnostic, currentVersion: CurrentVersion, openText?: OpenText): CodeAction[] {
  const data = ourData(d);
  const versions = data && editVersions(data, currentVersion, openText);
  if (!data || !versions) return [];
  const firstSafe = data.fixes.findIndex((f) => f.safe);
  const actions = data.fixes.map((fix, i) => {
    const action: CodeAction = {
      title: fix.title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [d],
      edit: { documentChanges: documentChanges(fix, versions) },
    };
    if (i === firstSafe) action.isPreferred = true;
    return action;
  });
  for (const suppress of Array.isArray(data.suppress) ? data.suppress : []) actions.push({ title: suppress.title, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: { documentChanges: documentChanges(suppress, versions) } });
  return actions;
}

/** LSP positions in document order. */
function comparePositions(a: { line: number; character: number }, b: { line: number; character: number }): number {
  return a.line - b.line || a.character - b.character;
}

/**
 * One `source.fixAll.headroom` action for `uri`: the first safe fix of each fresh diagnostic
 * whose edits stay inside this document, skipping fixes that overlap one already taken.
 */
export function fixAll(
  uri: string,
  diagnostics: Diagnostic[],
  currentVersion: CurrentVersion,
  openText?: OpenText,
): CodeAction | undefined {
  const candidates: TextEdit[][] = [];
  let version: number | null = null;
  for (const d of diagnostics) {
    const data = ourData(d);
    const versions = data && editVersions(data, currentVersion, openText);
    if (!data || !versions) continue;
    const fix = fixToApply(data.fixes, (f) => Object.keys(f.edits).every((u) => u === uri), false);
    const edits = fix?.edits[uri];
    if (!edits || edits.length === 0) continue;
    candidates.push(edits);
    version = versions[uri] ?? null;
  }
  const taken = selectEdits(
    candidates.map((edits) => edits.map((e) => ({ ...e, start: e.range.start, end: e.range.end }))),
    comparePositions,
  ).map(({ range, newText }) => ({ range, newText }));
  if (taken.length === 0) return undefined;
  return {
    title: "Fix all safe Headroom problems",
    kind: FIX_ALL_KIND,
    edit: { documentChanges: [{ textDocument: { uri, version }, edits: taken }] },
  };
}

/** Applies LSP edits (non-overlapping, ranges against the original text) to a string. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const idx = new LineIndex(text);
  return applyTextEdits(
    text,
    edits.map((e) => ({ start: idx.offset(e.range.start.line, e.range.start.character), end: idx.offset(e.range.end.line, e.range.end.character), newText: e.newText })),
  );
}
