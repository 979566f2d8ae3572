// Moving a kept parse rather than making it again: an edit that changes a line's length moves every
// service and command line after it, and a new copy of each per keystroke was most of what the garbage
// collector had to keep (docs/performance.md, items 24 and 25).
import type { SourceRef } from "../types.ts";

/**
 * Adds `delta` to every span (an object with numeric `start` and `end`) reachable from `value`, in place.
 * With `within`, only the spans of that file lying in it are moved: a shell parse also holds facts from
 * elsewhere (an .env file, the service's environment). An object reached twice (a fact two words share)
 * is moved once.
 */
export function moveSpans(value: object, delta: number, within?: SourceRef): void {
  const seen = new Set<object>();
  const visit = (node: object): void => {
    if (seen.has(node)) return;
    seen.add(node);
    // Indexed loops and forEach: this runs on every object of every moved parse, on every keystroke, and an iterator per
    // array and map was most of what it allocated.
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i];
        if (item !== null && typeof item === "object") visit(item);
      }
      return;
    }
    if (node instanceof Map) {
      node.forEach((item: unknown) => {
        if (item !== null && typeof item === "object") visit(item);
      });
      return;
    }
    const fields = node as Record<string, unknown>;
    const { start, end } = fields;
    if (typeof start === "number" && typeof end === "number" && (!within || isWithin(fields, start, end, within))) {
      fields.start = start + delta;
      fields.end = end + delta;
    }
    for (const key in fields) {
      const field = fields[key];
      if (field !== null && typeof field === "object") visit(field);
    }
  };
  visit(value);
}

function isWithin(fields: Record<string, unknown>, start: number, end: number, within: SourceRef): boolean {
  return (fields.file === undefined || fields.file === within.file) && start >= within.start && end <= within.end;
}
