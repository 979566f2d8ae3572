// Offsets to lines and columns for every reporter, each file's line index built once per report.
// Columns count UTF-16 code units, as the engine's offsets do.
import { LineIndex, type SourceRef } from "../types.ts";

/** A 0-based position (the JSON contract's and LSP's convention). */
export interface Position {
  line: number;
  character: number;
}

export interface LineRange {
  startLine: number;
  startColumn: number;
  endLine: number;
  /** The column just after the last character (SARIF's convention). */
  endColumn: number;
}

/** Each file's line index, built from `read` on first use. */
export function lineIndexes(read: (file: string) => string | undefined): (file: string) => LineIndex {
  const indexes = new Map<string, LineIndex>();
  return (file) => {
    let index = indexes.get(file);
    if (!index) {
      index = new LineIndex(read(file) ?? "");
      indexes.set(file, index);
    }
    return index;
  };
}

/** A converter from spans to 0-based start and end positions. */
export function positions(read: (file: string) => string | undefined): (ref: SourceRef) => { start: Position; end: Position } {
  const index = lineIndexes(read);
  return (ref) => ({ start: index(ref.file).position(ref.start), end: index(ref.file).position(ref.end) });
}

/** A converter from spans to 1-based ranges, for reporters that speak in lines (SARIF, GitHub annotations). */
export function lineRanges(read: (file: string) => string | undefined): (ref: SourceRef) => LineRange {
  const at = positions(read);
  return (ref) => {
    const { start, end } = at(ref);
    return { startLine: start.line + 1, startColumn: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 };
  };
}
