// Fix-all: which fixes to apply together, shared by the editor's `source.fixAll.headroom` (LSP
// ranges) and `headroom audit --fix` (offsets). Positions are generic so that both use one rule set.
import type { Finding, Fix, TextEdit } from "./types.ts";

export interface Edit<P> {
  start: P;
  end: P;
  newText: string;
}

/** Orders positions: negative when a comes first. */
export type Compare<P> = (a: P, b: P) => number;

function overlaps<P>(a: Edit<P>, b: Edit<P>, compare: Compare<P>): boolean {
  const aEmpty = compare(a.start, a.end) >= 0;
  const bEmpty = compare(b.start, b.end) >= 0;
  // Two insertions at one point do not conflict: they are applied in order.
  if (aEmpty && bEmpty) return false;
  if (aEmpty) return compare(a.start, b.start) >= 0 && compare(a.start, b.end) < 0;
  if (bEmpty) return compare(b.start, a.start) >= 0 && compare(b.start, a.end) < 0;
  return compare(a.start, b.end) < 0 && compare(b.start, a.end) < 0;
}

function sameEdit<P>(a: Edit<P>, b: Edit<P>, compare: Compare<P>): boolean {
  return a.newText === b.newText && compare(a.start, b.start) === 0 && compare(a.end, b.end) === 0;
}

/**
 * The edits of one file's fixes, in order, keeping a fix only when none of its edits overlaps an
 * edit already kept (or another of its own); a fix whose edits were all kept already is made once.
 */
export function selectEdits<E extends Edit<P>, P>(fixes: E[][], compare: Compare<P>): E[] {
  const taken: E[] = [];
  for (const edits of fixes) {
    if (edits.length === 0) continue;
    if (edits.every((e) => taken.some((t) => sameEdit(e, t, compare)))) continue;
    if (edits.some((e) => taken.some((t) => overlaps(e, t, compare)))) continue;
    if (edits.some((e, i) => edits.some((o, j) => i < j && overlaps(e, o, compare)))) continue;
    taken.push(...edits);
  }
  return taken;
}

/** Applies non-overlapping offset edits (against the original text), insertions at one point in order. */
export function applyTextEdits(text: string, edits: Array<Edit<number>>): string {
  const ordered = edits.map((e, index) => ({ ...e, index })).sort((a, b) => b.start - a.start || b.end - a.end || b.index - a.index);
  let out = text;
  for (const e of ordered) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

/** The fix fix-all applies for a finding in `file`: its first safe fix there, or with `unsafe` its first fix there. */
export function fixToApply<F extends { safe: boolean }>(fixes: F[], inFile: (fix: F) => boolean, unsafe: boolean): F | undefined {
  return fixes.find((f) => f.safe && inFile(f)) ?? (unsafe ? fixes.find(inFile) : undefined);
}

export interface FileFix {
  file: string;
  before: string;
  after: string;
  /** The findings whose fix was applied: rule and fix title. */
  applied: Array<{ rule: string; title: string }>;
}

/** One round of fix-all over a workspace: the new text of every file a fix changes. */
export function planFixes(findings: Finding[], read: (file: string) => string | undefined, options: { unsafe: boolean }): FileFix[] {
  const byFile = new Map<string, Array<{ finding: Finding; fix: Fix }>>();
  // One fix per finding, editing one file (as in the editor, where fix-all works on one document).
  const inOneFile = (f: Fix) => f.edits.length > 0 && f.edits.every((e) => e.file === f.edits[0].file);
  for (const finding of findings) {
    const fix = fixToApply(finding.fixes, inOneFile, options.unsafe);
    if (fix) byFile.set(fix.edits[0].file, [...(byFile.get(fix.edits[0].file) ?? []), { finding, fix }]);
  }
  const plans: FileFix[] = [];
  for (const [file, candidates] of byFile) {
    const before = read(file);
    if (before === undefined) continue;
    const taken = new Set<TextEdit>(selectEdits(candidates.map((c) => c.fix.edits), (a: number, b: number) => a - b));
    const after = applyTextEdits(before, [...taken]);
    if (after === before) continue;
    const applied = candidates.filter((c) => c.fix.edits.every((e) => taken.has(e))).map((c) => ({ rule: c.finding.rule, title: c.fix.title }));
    plans.push({ file, before, after, applied });
  }
  return plans;
}
