// Core vocabulary of the engine. Nothing here knows about LSP or VS Code: positions are
// offsets into a file's text (UTF-16 code units, as JavaScript strings index them) and are
// turned into line/character only at the edges (reporters, language server).

/** A span of a file's text: [start, end) offsets. */
export interface Span {
  start: number;
  end: number;
}

/** Where a fact or a finding lives: a workspace-relative path (forward slashes) and a span. */
export interface SourceRef extends Span {
  file: string;
}

/** How a value came to be known. */
export type Origin =
  /** written in a file (the ref points at it) */
  | "stated"
  /** the tool's own documented default applies because nothing sets it (`by` names the tool) */
  | "default"
  /** Headroom's assumption, e.g. PostgreSQL's default max_connections for a managed database */
  | "assumed"
  /** given in headroom.yml or editor settings */
  | "configured";

/**
 * A value with its provenance. `at` is where it is written (or, for defaults, the place that
 * would have to change to set it, such as the command line that omits the flag).
 * `via` lists the places it travelled through (an env var read by a script, for instance).
 */
export interface Fact<T> {
  value: T;
  origin: Origin;
  at?: SourceRef;
  /** For defaults and assumptions: whose default, e.g. "gunicorn", "PostgreSQL". */
  by?: string;
  via?: Array<{ at: SourceRef; note: string }>;
}

export type Severity = "error" | "warning" | "info" | "hint";

export interface TextEdit {
  file: string;
  start: number;
  end: number;
  newText: string;
}

export interface Fix {
  title: string;
  /** Safe fixes keep the deployment's meaning apart from the sizing they correct; fix-all applies only these. */
  safe: boolean;
  edits: TextEdit[];
}

export interface RelatedInfo {
  at: SourceRef;
  message: string;
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  at: SourceRef;
  related: RelatedInfo[];
  fixes: Fix[];
  /** Id of the deployment the finding is about, when the rule names one (the report groups by it). */
  deployment?: string;
}

/** A problem reading a file: reported as a diagnostic of its own (rule id `parse/error`). */
export interface ParseProblem {
  message: string;
  at: SourceRef;
  severity: Severity;
}

/** Lines of text with offsets, to convert offsets to 0-based line/character and back. */
export class LineIndex {
  private readonly lineStarts: number[];

  constructor(readonly text: string) {
    const starts = [0];
    if (!text.includes("\r")) {
      // Most files: indexOf finds the breaks about five times faster than reading each character.
      for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
    } else {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 10 /* \n */) starts.push(i + 1);
        else if (c === 13 /* \r */) {
          if (text.charCodeAt(i + 1) === 10) i++;
          starts.push(i + 1);
        }
      }
    }
    this.lineStarts = starts;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  position(offset: number): { line: number; character: number } {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: clamped - this.lineStarts[lo] };
  }

  offset(line: number, character: number): number {
    if (line < 0) return 0;
    if (line >= this.lineStarts.length) return this.text.length;
    const start = this.lineStarts[line];
    const end = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] : this.text.length;
    return Math.min(start + Math.max(0, character), end);
  }

  /** The text of a 0-based line without its line break. */
  lineText(line: number): string {
    const start = this.lineStarts[line] ?? this.text.length;
    const next = this.lineStarts[line + 1] ?? this.text.length;
    return this.text.slice(start, next).replace(/\r?\n$|\r$/, "");
  }
}
