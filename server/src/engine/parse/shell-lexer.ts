// Tokenizer for POSIX sh / bash, used by shell.ts. It reads words with their quoting and
// expansions kept apart (so values can be resolved later) and skips what never becomes an
// argument: comments, redirections and here-document bodies. It never throws: anything
// unterminated runs to the end of the text and is reported as a problem.

import type { ParseProblem, Span } from "../types.ts";

/**
 * Text being lexed and where each of its characters sits in the file. Text cut out of a
 * quoted string (the script of `sh -c "..."`, a JSON StartCommand) is not a contiguous slice
 * of the file, so each character may carry its own span.
 */
export class SourceText {
  constructor(
    readonly text: string,
    readonly file: string,
    private readonly base: number,
    private readonly charStarts?: ArrayLike<number>,
    private readonly charEnds?: ArrayLike<number>,
  ) {}

  /** File offset where the character at `index` starts (the end of the text for index = length). */
  start(index: number): number {
    if (!this.charStarts || !this.charEnds) return this.base + index;
    if (this.text.length === 0) return this.base;
    if (index >= this.text.length) return this.charEnds[this.text.length - 1];
    return this.charStarts[index];
  }

  /** File offset just after the character at `index - 1`. */
  end(index: number): number {
    if (!this.charStarts || !this.charEnds) return this.base + index;
    if (index <= 0 || this.text.length === 0) return this.start(0);
    return this.charEnds[Math.min(index, this.text.length) - 1];
  }

  /** File span of the text between two indexes. */
  span(from: number, to: number): Span {
    const start = this.start(from);
    return { start, end: to > from ? Math.max(start, this.end(to)) : start };
  }
}

/** A piece of a word. `start`/`end` are indexes into the SourceText (not file offsets). */
export type WordPart =
  /** text taken as is; an escape (`\"`) is a part of its own, so `end - start` may exceed the text length */
  | { kind: "literal"; text: string; start: number; end: number; quoted: boolean }
  /** `$NAME`, `${NAME}`, `${NAME<op><arg>}` with op one of :- - := = :+ + :? ? or "#" for `${#NAME}` */
  | {
      kind: "param";
      name: string;
      op: string;
      arg: WordPart[];
      argStart: number;
      argEnd: number;
      start: number;
      end: number;
      quoted: boolean;
    }
  /** `$(...)`, backticks, `$((...))`, `<(...)`, arrays and expansions this reader does not evaluate */
  | { kind: "opaque"; start: number; end: number; quoted: boolean };

export type Token =
  | { kind: "word"; parts: WordPart[]; start: number; end: number }
  /** ; & && || | |& ( ) ;; ;& ;;& and "\n" */
  | { kind: "op"; op: string; start: number; end: number }
  /** a redirection with its target (`2>&1`, `>log`, `<<EOF`) */
  | { kind: "redirect"; start: number; end: number }
  /** an arithmetic command `(( ... ))` */
  | { kind: "arith"; start: number; end: number }
  | { kind: "eof"; start: number; end: number };

export interface LexMode {
  /** at a command's start: `((` opens an arithmetic command */
  arith?: boolean;
  /** inside `[[ ... ]]`: operators are plain words */
  doubleBracket?: boolean;
}

/** Nesting of `${...}` and quotes beyond this is read as opaque text, to bound recursion. */
const MAX_NESTING = 50;
/** Parentheses and quotes nested deeper than this inside `$(...)` count as unterminated. */
const MAX_SCAN_DEPTH = 10_000;
/** A word with more parts than this keeps the rest as one opaque part, to bound memory. */
const MAX_WORD_PARTS = 10_000;
/** Problems past this many in one file are not reported: the first ones say what is wrong. */
export const MAX_PROBLEMS = 100;

const isBlank = (c: string) => c === " " || c === "\t" || c === "\r";
const isMeta = (c: string) =>
  c === " " || c === "\t" || c === "\r" || c === "\n" || c === ";" || c === "&" || c === "|" || c === "(" || c === ")" || c === "<" || c === ">";
const isNameStart = (c: string) => (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c === "_";
const isNameChar = (c: string) => isNameStart(c) || (c >= "0" && c <= "9");
const isDigit = (c: string) => c >= "0" && c <= "9";
const SPECIAL_PARAMS = "@*#?$!-";

export class Lexer {
  private pos = 0;
  private readonly text: string;
  private pendingHereDocs: Array<{ delimiter: string; stripTabs: boolean; start: number; end: number }> = [];

  constructor(
    private readonly src: SourceText,
    private readonly problems: ParseProblem[],
  ) {
    this.text = src.text;
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  next(mode: LexMode = {}): Token {
    const text = this.text;
    for (;;) {
      this.skipBlanks();
      if (this.pos >= text.length) {
        this.reportUnfinishedHereDocs();
        return { kind: "eof", start: text.length, end: text.length };
      }
      const start = this.pos;
      const c = text[start];
      if (c === "#") {
        const newline = text.indexOf("\n", start);
        this.pos = newline < 0 ? text.length : newline;
        continue;
      }
      if (c === "\n") {
        this.pos++;
        if (this.pendingHereDocs.length > 0) this.skipHereDocBodies();
        return { kind: "op", op: "\n", start, end: start + 1 };
      }
      if (mode.doubleBracket && "&|<>()!".includes(c)) {
        let end = start + 1;
        while (end < text.length && "&|<>=!".includes(text[end])) end++;
        this.pos = end;
        return { kind: "word", parts: [{ kind: "literal", text: text.slice(start, end), start, end, quoted: false }], start, end };
      }
      if (mode.arith && c === "(" && text[start + 1] === "(") {
        this.pos = this.scanBalanced(start + 2, 2, start);
        return { kind: "arith", start, end: this.pos };
      }
      if (c === ";") {
        const op = text.startsWith(";;&", start) ? ";;&" : text.startsWith(";;", start) ? ";;" : text.startsWith(";&", start) ? ";&" : ";";
        return this.op(op);
      }
      if (c === "&") {
        if (text[start + 1] === ">") return this.redirect(text[start + 2] === ">" ? 3 : 2);
        return this.op(text[start + 1] === "&" ? "&&" : "&");
      }
      if (c === "|") return this.op(text[start + 1] === "|" ? "||" : text[start + 1] === "&" ? "|&" : "|");
      if (c === "(" || c === ")") return this.op(c);
      if ((c === "<" || c === ">") && text[start + 1] !== "(") return this.redirectAt(start);
      if (isDigit(c)) {
        let end = start;
        while (end < text.length && isDigit(text[end])) end++;
        if ((text[end] === "<" || text[end] === ">") && text[end + 1] !== "(") return this.redirectAt(end, start);
      }
      return this.readWord();
    }
  }

  private op(op: string): Token {
    const start = this.pos;
    this.pos += op.length;
    return { kind: "op", op, start, end: this.pos };
  }

  private skipBlanks(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (isBlank(c)) this.pos++;
      else if (c === "\\" && text[this.pos + 1] === "\n") this.pos += 2;
      else if (c === "\\" && text[this.pos + 1] === "\r" && text[this.pos + 2] === "\n") this.pos += 3;
      else return;
    }
  }

  /** A redirection whose operator starts at `opStart` (after an optional fd number starting at `start`). */
  private redirectAt(opStart: number, start = opStart): Token {
    const text = this.text;
    let length = 1;
    const two = text.slice(opStart, opStart + 2);
    if (text.startsWith("<<<", opStart) || text.startsWith("<<-", opStart)) length = 3;
    else if (two === "<<" || two === ">>" || two === "<&" || two === ">&" || two === "<>" || two === ">|") length = 2;
    this.pos = opStart;
    return this.redirect(length, start);
  }

  private redirect(operatorLength: number, start = this.pos): Token {
    const text = this.text;
    const operator = text.slice(this.pos, this.pos + operatorLength);
    this.pos += operatorLength;
    this.skipBlanks();
    const c = text[this.pos] ?? "";
    const isProcessSubstitution = (c === "<" || c === ">") && text[this.pos + 1] === "(";
    if (c === "" || (isMeta(c) && !isProcessSubstitution)) {
      this.problem(`Redirection \`${operator}\` has no target`, start, this.pos);
      return { kind: "redirect", start, end: this.pos };
    }
    const target = this.readWord();
    if (target.kind === "word" && (operator === "<<" || operator === "<<-")) {
      const delimiter = target.parts.map((part) => (part.kind === "literal" ? part.text : text.slice(part.start, part.end))).join("");
      this.pendingHereDocs.push({ delimiter, stripTabs: operator === "<<-", start, end: this.pos });
    }
    return { kind: "redirect", start, end: this.pos };
  }

  /** Here-document bodies start on the line after their `<<` operator; they are not commands. */
  private skipHereDocBodies(): void {
    const text = this.text;
    for (const hereDoc of this.pendingHereDocs) {
      let found = false;
      while (this.pos < text.length) {
        const newline = text.indexOf("\n", this.pos);
        const lineEnd = newline < 0 ? text.length : newline;
        let line = text.slice(this.pos, lineEnd);
        if (line.endsWith("\r")) line = line.slice(0, -1);
        if (hereDoc.stripTabs) line = line.replace(/^\t+/, "");
        this.pos = newline < 0 ? text.length : newline + 1;
        if (line === hereDoc.delimiter) {
          found = true;
          break;
        }
      }
      if (!found) this.problem(`Here-document is not closed by a \`${hereDoc.delimiter}\` line`, hereDoc.start, hereDoc.end);
    }
    this.pendingHereDocs = [];
  }

  private reportUnfinishedHereDocs(): void {
    for (const hereDoc of this.pendingHereDocs) {
      this.problem(`Here-document is not closed by a \`${hereDoc.delimiter}\` line`, hereDoc.start, hereDoc.end);
    }
    this.pendingHereDocs = [];
  }

  private problem(message: string, from: number, to: number): void {
    if (this.problems.length >= MAX_PROBLEMS) return;
    const span = this.src.span(from, Math.max(to, from));
    this.problems.push({ message, severity: "warning", at: { file: this.src.file, ...span } });
  }

  /** An unquoted word: runs until a blank or an operator character outside quotes. */
  private readWord(): Token {
    const text = this.text;
    const start = this.pos;
    const parts: WordPart[] = [];
    let runStart = this.pos;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (isMeta(c)) {
        if ((c === "<" || c === ">") && text[this.pos + 1] === "(") {
          // process substitution <(...) is an argument (a path to a pipe)
          this.pushRun(parts, runStart, false);
          const partStart = this.pos;
          this.pos = this.scanBalanced(this.pos + 2, 1, partStart);
          push(parts, { kind: "opaque", start: partStart, end: this.pos, quoted: false });
          runStart = this.pos;
          continue;
        }
        if (c === "(" && this.pos > start && /^[A-Za-z_][A-Za-z0-9_]*\+?=$/.test(text.slice(start, this.pos))) {
          // array assignment NAME=(...)
          this.pushRun(parts, runStart, false);
          const partStart = this.pos;
          this.pos = this.scanBalanced(this.pos + 1, 1, partStart);
          push(parts, { kind: "opaque", start: partStart, end: this.pos, quoted: false });
          runStart = this.pos;
          continue;
        }
        break;
      }
      if (c === "\\") {
        this.pushRun(parts, runStart, false);
        this.readBackslash(parts, false);
        runStart = this.pos;
      } else if (c === "'" || c === '"' || c === "$" || c === "`") {
        this.pushRun(parts, runStart, false);
        this.readQuotedOrExpansion(parts, false, 0);
        runStart = this.pos;
      } else {
        this.pos++;
      }
    }
    this.pushRun(parts, runStart, false);
    return { kind: "word", parts, start, end: this.pos };
  }

  /** Adds the text read since `runStart` as a literal part. */
  private pushRun(parts: WordPart[], runStart: number, quoted: boolean): void {
    if (this.pos > runStart) push(parts, { kind: "literal", text: this.text.slice(runStart, this.pos), start: runStart, end: this.pos, quoted });
  }

  /** Backslash outside double quotes: escapes the next character; before a newline it joins lines. */
  private readBackslash(parts: WordPart[], quoted: boolean): void {
    const text = this.text;
    const start = this.pos;
    const next = text[start + 1];
    if (next === "\n") this.pos += 2;
    else if (next === "\r" && text[start + 2] === "\n") this.pos += 3;
    else if (next === undefined) {
      this.pos++;
      push(parts, { kind: "literal", text: "\\", start, end: this.pos, quoted });
    } else {
      this.pos += 2;
      push(parts, { kind: "literal", text: next, start, end: this.pos, quoted: true });
    }
  }

  /** At `'`, `"`, `$` or a backtick. */
  private readQuotedOrExpansion(parts: WordPart[], inDoubleQuotes: boolean, depth: number): void {
    const text = this.text;
    const start = this.pos;
    const c = text[start];
    if (c === "'") {
      const close = text.indexOf("'", start + 1);
      const end = close < 0 ? text.length : close;
      if (close < 0) this.problem("Unterminated single quote", start, start + 1);
      push(parts, { kind: "literal", text: text.slice(start + 1, end), start: start + 1, end, quoted: true });
      this.pos = close < 0 ? text.length : close + 1;
    } else if (c === '"') {
      this.readDoubleQuoted(parts, depth);
    } else if (c === "`") {
      this.pos = this.scanBackticks(start);
      push(parts, { kind: "opaque", start, end: this.pos, quoted: inDoubleQuotes });
    } else {
      this.readDollar(parts, inDoubleQuotes, depth);
    }
  }

  private readDoubleQuoted(parts: WordPart[], depth: number): void {
    const text = this.text;
    const open = this.pos;
    this.pos++;
    const firstPart = parts.length;
    let runStart = this.pos;
    if (depth > MAX_NESTING) {
      this.pos = this.scanDoubleQuoted(open);
      push(parts, { kind: "opaque", start: open, end: this.pos, quoted: true });
      return;
    }
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === '"') {
        this.pushRun(parts, runStart, true);
        if (parts.length === firstPart) push(parts, { kind: "literal", text: "", start: this.pos, end: this.pos, quoted: true });
        this.pos++;
        return;
      }
      if (c === "\\") {
        const next = text[this.pos + 1];
        if (next === "$" || next === "`" || next === '"' || next === "\\" || next === "\n" || (next === "\r" && text[this.pos + 2] === "\n")) {
          this.pushRun(parts, runStart, true);
          this.readBackslash(parts, true);
          runStart = this.pos;
        } else {
          this.pos++;
        }
      } else if (c === "$" || c === "`") {
        this.pushRun(parts, runStart, true);
        this.readQuotedOrExpansion(parts, true, depth + 1);
        runStart = this.pos;
      } else {
        this.pos++;
      }
    }
    this.pushRun(parts, runStart, true);
    this.problem("Unterminated double quote", open, open + 1);
  }

  private readDollar(parts: WordPart[], inDoubleQuotes: boolean, depth: number): void {
    const text = this.text;
    const start = this.pos;
    const next = text[start + 1] ?? "";
    if (next === "(") {
      const isArithmetic = text[start + 2] === "(";
      this.pos = this.scanBalanced(start + (isArithmetic ? 3 : 2), isArithmetic ? 2 : 1, start);
      push(parts, { kind: "opaque", start, end: this.pos, quoted: inDoubleQuotes });
    } else if (next === "{") {
      this.readBraceParam(parts, inDoubleQuotes, depth);
    } else if (next === "'" && !inDoubleQuotes) {
      this.readAnsiC(parts);
    } else if (next === '"' && !inDoubleQuotes) {
      this.pos++;
      this.readDoubleQuoted(parts, depth + 1);
    } else if (isNameStart(next)) {
      let end = start + 2;
      while (end < text.length && isNameChar(text[end])) end++;
      this.pos = end;
      push(parts, param(text.slice(start + 1, end), start, end, inDoubleQuotes));
    } else if (isDigit(next) || (next !== "" && SPECIAL_PARAMS.includes(next))) {
      this.pos = start + 2;
      push(parts, param(next, start, this.pos, inDoubleQuotes));
    } else {
      this.pos = start + 1;
      push(parts, { kind: "literal", text: "$", start, end: this.pos, quoted: inDoubleQuotes });
    }
  }

  /** `${...}`: the forms that choose between a value and a default are kept; others are opaque. */
  private readBraceParam(parts: WordPart[], inDoubleQuotes: boolean, depth: number): void {
    const text = this.text;
    const start = this.pos;
    let i = start + 2;
    let op = "";
    if (text[i] === "#" && (isNameStart(text[i + 1] ?? "") || isDigit(text[i + 1] ?? ""))) {
      op = "#";
      i++;
    }
    const nameStart = i;
    if (isNameStart(text[i] ?? "")) {
      while (i < text.length && isNameChar(text[i])) i++;
    } else if (isDigit(text[i] ?? "")) {
      while (i < text.length && isDigit(text[i])) i++;
    } else if (SPECIAL_PARAMS.includes(text[i] ?? "x")) {
      i++;
    }
    const name = text.slice(nameStart, i);
    if (name === "" || depth > MAX_NESTING) {
      this.pushOpaqueBraces(parts, start, inDoubleQuotes);
      return;
    }
    if (text[i] === "}") {
      this.pos = i + 1;
      push(parts, param(name, start, this.pos, inDoubleQuotes, op));
      return;
    }
    if (op === "#") {
      this.pushOpaqueBraces(parts, start, inDoubleQuotes);
      return;
    }
    const operator = /^:?[-=+?]/.exec(text.slice(i, i + 2))?.[0];
    if (!operator) {
      this.pushOpaqueBraces(parts, start, inDoubleQuotes);
      return;
    }
    const argStart = i + operator.length;
    this.pos = argStart;
    const arg = this.readBraceArgument(inDoubleQuotes, depth + 1);
    const argEnd = this.pos;
    if (text[this.pos] === "}") this.pos++;
    else this.problem("Unterminated `${`", start, start + 2);
    push(parts, { kind: "param", name, op: operator, arg, argStart, argEnd, start, end: this.pos, quoted: inDoubleQuotes });
  }

  /** A `${...}` form read as written. */
  private pushOpaqueBraces(parts: WordPart[], start: number, inDoubleQuotes: boolean): void {
    this.pos = this.scanBraces(start);
    push(parts, { kind: "opaque", start, end: this.pos, quoted: inDoubleQuotes });
  }

  /** The word after `:-` and friends, up to the matching `}`: blanks are part of it. */
  private readBraceArgument(inDoubleQuotes: boolean, depth: number): WordPart[] {
    const text = this.text;
    const parts: WordPart[] = [];
    let runStart = this.pos;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === "}") break;
      if (c === "\\") {
        const next = text[this.pos + 1];
        if (!inDoubleQuotes || next === "$" || next === "`" || next === '"' || next === "\\" || next === "}" || next === "\n") {
          this.pushRun(parts, runStart, inDoubleQuotes);
          this.readBackslash(parts, inDoubleQuotes);
          runStart = this.pos;
        } else {
          this.pos++;
        }
      } else if ((c === "'" && !inDoubleQuotes) || c === '"' || c === "$" || c === "`") {
        this.pushRun(parts, runStart, inDoubleQuotes);
        this.readQuotedOrExpansion(parts, inDoubleQuotes, depth);
        runStart = this.pos;
      } else {
        this.pos++;
      }
    }
    this.pushRun(parts, runStart, inDoubleQuotes);
    return parts;
  }

  /** `$'...'` with its backslash escapes decoded; each escape is a part of its own. */
  private readAnsiC(parts: WordPart[]): void {
    const text = this.text;
    const open = this.pos;
    this.pos += 2;
    let runStart = this.pos;
    const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", e: "\x1b", E: "\x1b", f: "\f", v: "\v" };
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === "'") {
        this.pushRun(parts, runStart, true);
        this.pos++;
        return;
      }
      if (c === "\\" && this.pos + 1 < text.length) {
        this.pushRun(parts, runStart, true);
        const next = text[this.pos + 1];
        push(parts, { kind: "literal", text: escapes[next] ?? next, start: this.pos, end: this.pos + 2, quoted: true });
        this.pos += 2;
        runStart = this.pos;
      } else {
        this.pos++;
      }
    }
    this.pushRun(parts, runStart, true);
    this.problem("Unterminated `$'` string", open, open + 2);
  }

  /**
   * Index just past the `)` closing `depth` open parentheses, for `$(...)`, `$((...))`, `<(...)`
   * and `((...))`. Iterative (no recursion) and aware of quotes, escapes and comments.
   */
  private scanBalanced(from: number, depth: number, openedAt: number): number {
    const stack: ScanFrame[] = [];
    for (let d = 0; d < depth; d++) stack.push("code");
    const end = this.scan(from, stack);
    if (end < 0) {
      this.problem("Unterminated `(`", openedAt, openedAt + 1);
      return this.text.length;
    }
    return end;
  }

  private scanBraces(start: number): number {
    const end = this.scan(start + 2, ["brace"]);
    if (end < 0) {
      this.problem("Unterminated `${`", start, start + 2);
      return this.text.length;
    }
    return end;
  }

  private scanDoubleQuoted(open: number): number {
    const end = this.scan(open + 1, ["dquote"]);
    if (end < 0) {
      this.problem("Unterminated double quote", open, open + 1);
      return this.text.length;
    }
    return end;
  }

  /**
   * Index just past the construct closing the bottom of `stack`, or -1 at the end of the text.
   * A `case ... esac` inside code is a frame of its own: its patterns end with a `)` that must
   * not close the enclosing `$(`.
   */
  private scan(from: number, stack: ScanFrame[]): number {
    const text = this.text;
    let i = from;
    while (i < text.length) {
      const mode = stack[stack.length - 1];
      const c = text[i];
      const inCode = mode === "code" || mode === "case";
      if (inCode && isWordAt(text, i, "case") && atCommandStart(text, i, from)) {
        stack.push("case");
        i += 4;
        continue;
      }
      if (mode === "case" && isWordAt(text, i, "esac")) {
        stack.pop();
        i += 4;
        if (stack.length === 0) return i;
        continue;
      }
      if (c === "\\") {
        i += 2;
        continue;
      }
      if (c === "`") {
        i = this.scanBackticks(i, false);
        continue;
      }
      if (stack.length > MAX_SCAN_DEPTH) return -1;
      if (c === "$" && (text[i + 1] === "(" || text[i + 1] === "{")) {
        stack.push(text[i + 1] === "(" ? "code" : "brace");
        i += 2;
        continue;
      }
      if (mode === "dquote") {
        if (c === '"') stack.pop();
        i++;
      } else if (c === "'") {
        const close = text.indexOf("'", i + 1);
        if (close < 0) return -1;
        i = close + 1;
      } else if (c === '"') {
        stack.push("dquote");
        i++;
      } else if (c === "#" && inCode && (i === from || /[\s;&|(]/.test(text[i - 1]))) {
        const newline = text.indexOf("\n", i);
        i = newline < 0 ? text.length : newline;
      } else if (c === "(") {
        if (inCode) stack.push("code");
        i++;
      } else if (c === ")" && mode === "case") {
        // the end of a case pattern
        i++;
      } else if ((c === ")" && mode === "code") || (c === "}" && mode === "brace")) {
        stack.pop();
        i++;
      } else {
        i++;
      }
      if (stack.length === 0) return i;
    }
    return -1;
  }

  /** Index just past the backtick closing the one at `open`. */
  private scanBackticks(open: number, report = true): number {
    const text = this.text;
    let i = open + 1;
    while (i < text.length) {
      if (text[i] === "\\") i += 2;
      else if (text[i] === "`") return i + 1;
      else i++;
    }
    if (report) this.problem("Unterminated backtick", open, open + 1);
    return text.length;
  }
}

type ScanFrame = "code" | "case" | "dquote" | "brace";

/** `word` stands alone at `i`: not part of a longer word on either side. */
function isWordAt(text: string, i: number, word: string): boolean {
  if (!text.startsWith(word, i)) return false;
  const before = text[i - 1];
  const after = text[i + word.length];
  return (before === undefined || /[\s;&|()]/.test(before)) && (after === undefined || /[\s;&|()]/.test(after));
}

/** Reserved words count only where a command starts: after an operator, a newline, or a word like `then`. */
function atCommandStart(text: string, i: number, from: number): boolean {
  let j = i - 1;
  while (j >= from && (text[j] === " " || text[j] === "\t")) j--;
  if (j < from) return true;
  if (/[;&|(\n{]/.test(text[j])) return true;
  const word = /(?:^|[\s;&|(])(then|do|else|elif|!)$/.exec(text.slice(Math.max(from, j - 5), j + 1));
  return word !== null;
}

/** Appends a part; past MAX_WORD_PARTS the last part grows into an opaque tail instead. */
function push(parts: WordPart[], part: WordPart): void {
  if (parts.length < MAX_WORD_PARTS) {
    parts.push(part);
    return;
  }
  const last = parts[parts.length - 1];
  parts[parts.length - 1] = { kind: "opaque", start: last.start, end: part.end, quoted: last.quoted };
}

function param(name: string, start: number, end: number, quoted: boolean, op = ""): WordPart {
  return { kind: "param", name, op, arg: [], argStart: end, argEnd: end, start, end, quoted };
}
