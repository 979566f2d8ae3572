// 1-based line/column ranges for reporters that speak in lines (SARIF, GitHub annotations).
// Columns count UTF-16 code units, as the engine's offsets do.
import { LineIndex, type SourceRef } from "../types.ts";

export interface LineRange {
  startLine: number;
  startColumn: number;
  endLine: number;
  /** The column just after the last character (SARIF's convention). */
  endColumn: number;
}

/** A converter from spans to 1-based ranges that indexes each file's text once. */
export function lineRanges(read: (file: string) => string | undefined): (ref: SourceRef) => LineRange {
  const indexes = new Map<string, LineIndex>();
  return (ref) => {
    let index = indexes.get(ref.file);
    if (!index) {
      index = new LineIndex(read(ref.file) ?? "");
      indexes.set(ref.file, index);
    }
    const start = index.position(ref.start);
    const end = index.position(ref.end);
    return { startLine: start.line + 1, startColumn: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 };
  };
}
