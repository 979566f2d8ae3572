// Moving a kept deployment in place when an edit moves it, rather than building it again. An edit that
// changes a line's length moves every compose service after it; their parses are moved in place
// (parse/move-spans.ts), and a deployment built from them holds spans of its own (words, facts, problems)
// that only a build would place again. A placement lists those spans, and where each one was when the
// deployment was last placed, so that an edit can move the ones after it. Spans the parse has already
// moved are recognised by where they are (their old place plus the edit's change in length) and left.
// test/unit/session.test.ts checks that a moved deployment is the one a fresh audit builds.
import type { Span } from "../types.ts";

export interface Placement {
  /** The files whose edits can move the deployment (its compose files), and each one's text when last placed. */
  files: string[];
  texts: Array<string | undefined>;
  /** Every span in those files reachable from the deployment, its file (an index into `files`) and its start when last placed. */
  spans: Span[];
  fileOf: number[];
  starts: number[];
  /**
   * For each file, the lowest start and highest end of its spans (two numbers per file; none: Infinity, -Infinity):
   * an edit after all of them, or one that moves nothing, is placed without a look at each span.
   */
  bounds: number[];
  /**
   * Set when the spans could not all be listed (too many objects, or a parse kept by its place): any edit of the files
   * builds the deployment again.
   */
  fixed: boolean;
}

/** Where to start looking for spans, and the file of spans that do not name one (a service's name span). */
export interface PlacementRoot {
  value: unknown;
  file?: string;
}

/** What one audit found changed in a file since the text placements were made from (every placement of an audit shares it). */
interface TextChange {
  before: string;
  after: string;
  /** The edit's window: [start, oldEnd) of `before` became [start, oldEnd + delta) of the current text; undefined when they are the same. */
  edit: Edit | undefined;
}

interface Edit {
  start: number;
  oldEnd: number;
  delta: number;
}

export type TextChanges = Map<string, TextChange>;

/** Objects a deployment reaches are a few hundred; past this, it is built again rather than walked. */
const MAX_OBJECTS = 20_000;

/**
 * The spans in `files` reachable from `roots`. A span's file is the one it names, or its fact names (a command
 * word, parse/servers.ts CommandWord), or else the nearest object it is reached through names (a service's
 * name span is given its service's file by its root). Class instances other than Map, Set and Array are not
 * entered: what a deployment holds is plain data.
 */
export function placementOf(roots: readonly PlacementRoot[], files: string[], texts: Array<string | undefined>, fixed: boolean): Placement {
  const placement: Placement = { files, texts, spans: [], fileOf: [], starts: [], bounds: [], fixed };
  for (let i = 0; i < files.length; i++) placement.bounds.push(Infinity, -Infinity);
  if (fixed) return placement;
  const seen = new Set<object>();
  const nodes: unknown[] = [];
  const nodeFiles: Array<string | undefined> = [];
  for (const root of roots) {
    nodes.push(root.value);
    nodeFiles.push(root.file);
  }
  while (nodes.length > 0) {
    const node = nodes.pop();
    const inherited = nodeFiles.pop();
    if (node === null || typeof node !== "object" || seen.has(node)) continue;
    if (seen.size === MAX_OBJECTS) return placementOf([], files, texts, true);
    seen.add(node);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        nodes.push(node[i]);
        nodeFiles.push(inherited);
      }
      continue;
    }
    if (node instanceof Map || node instanceof Set) {
      node.forEach((item: unknown) => {
        nodes.push(item);
        nodeFiles.push(inherited);
      });
      continue;
    }
    const prototype: unknown = Object.getPrototypeOf(node);
    if (prototype !== Object.prototype && prototype !== null) continue;
    const fields = node as Record<string, unknown>;
    const file = fileOf(fields) ?? inherited;
    if (typeof fields.start === "number" && typeof fields.end === "number" && file !== undefined) {
      const index = files.indexOf(file);
      if (index >= 0) {
        placement.spans.push(node as Span);
        placement.fileOf.push(index);
        placement.starts.push(fields.start);
        placement.bounds[2 * index] = Math.min(placement.bounds[2 * index], fields.start);
        placement.bounds[2 * index + 1] = Math.max(placement.bounds[2 * index + 1], fields.end);
      }
    }
    for (const key in fields) {
      nodes.push(fields[key]);
      nodeFiles.push(file);
    }
  }
  return placement;
}

/** The file an object names: its own `file`, or for a word that names none, its fact's (parse/servers.ts CommandWord). */
function fileOf(fields: Record<string, unknown>): string | undefined {
  if (typeof fields.file === "string") return fields.file;
  const fact = fields.fact as { at?: { file?: unknown } } | undefined;
  return typeof fact?.at?.file === "string" ? fact.at.file : undefined;
}

/**
 * Whether `place` can move the placement to the files' current texts: each file is unchanged, or changed by
 * an edit that no listed span touches, with every span before the edit where it was and every span after it
 * where it was or already moved (by its parse). A span the edit touched means the deployment is built again.
 */
export function canPlace(changes: TextChanges, read: (file: string) => string | undefined, placement: Placement): boolean {
  const { files, texts, spans, fileOf, starts, bounds } = placement;
  for (let i = 0; i < files.length; i++) {
    const before = texts[i];
    const after = read(files[i]);
    if (before === undefined || after === undefined) return false;
    const edit = editOf(changes, files[i], before, after);
    if (!edit) continue;
    if (placement.fixed) return false;
    // Every span before the edit stays; after it, with a change of length, each must be where it was or already moved.
    if (bounds[2 * i + 1] < edit.start || (bounds[2 * i] > edit.oldEnd && edit.delta === 0)) continue;
    for (let j = 0; j < spans.length; j++) {
      if (fileOf[j] !== i) continue;
      const span = spans[j];
      const start = starts[j];
      if (start + (span.end - span.start) < edit.start) {
        if (span.start !== start) return false;
      } else if (start > edit.oldEnd) {
        if (span.start !== start && span.start !== start + edit.delta) return false;
      } else {
        return false;
      }
    }
  }
  return true;
}

/** Moves the spans after each file's edit that their parse did not move (canPlace said it can); the placement then stands for the current texts. */
export function place(changes: TextChanges, read: (file: string) => string | undefined, placement: Placement): void {
  const { files, texts, spans, fileOf, starts, bounds } = placement;
  for (let i = 0; i < files.length; i++) {
    const before = texts[i] as string;
    const after = read(files[i]) as string;
    // The same string as every other placement of this audit holds, also when the text did not change: the next
    // audit's comparisons (editOf) then find it identical without comparing characters.
    texts[i] = after;
    const edit = editOf(changes, files[i], before, after);
    if (!edit || edit.delta === 0 || bounds[2 * i + 1] < edit.start) continue;
    for (let j = 0; j < spans.length; j++) {
      if (fileOf[j] !== i || starts[j] <= edit.oldEnd) continue;
      const span = spans[j];
      if (span.start === starts[j]) {
        span.start += edit.delta;
        span.end += edit.delta;
      }
      starts[j] += edit.delta;
    }
    // No span touches the edit: the highest end is after it whenever any span is, and the lowest start moves when all are.
    bounds[2 * i + 1] += edit.delta;
    if (bounds[2 * i] > edit.oldEnd) bounds[2 * i] += edit.delta;
  }
}

/**
 * The edit that turned `before` into `after`, worked out once per audit and file. Placements hold the string
 * their last audit read, so the texts compared here are the same strings and compare at once; two different
 * strings of the same length would be compared character by character, for every placement.
 */
function editOf(changes: TextChanges, file: string, before: string, after: string): Edit | undefined {
  const known = changes.get(file);
  if (known && known.before === before && known.after === after) return known.edit;
  const edit = before === after ? undefined : editBetween(before, after);
  changes.set(file, { before, after, edit });
  return edit;
}

/**
 * The smallest window that differs between two texts: their common prefix and suffix, each found by halving
 * (comparing slices runs in the engine's native string code: ~0.1 ms on a 120 KB file, where a loop over
 * characters takes 1 to 4 ms).
 */
export function editBetween(before: string, after: string): Edit {
  const shorter = Math.min(before.length, after.length);
  let low = 0;
  let high = shorter;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (before.slice(0, mid) === after.slice(0, mid)) low = mid;
    else high = mid - 1;
  }
  const start = low;
  low = 0;
  high = shorter - start;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (before.slice(before.length - mid) === after.slice(after.length - mid)) low = mid;
    else high = mid - 1;
  }
  return { start, oldEnd: before.length - low, delta: after.length - before.length };
}
