// .env files as Docker Compose reads them (compose-go's dotenv parser and
// https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/#env-file-syntax):
// - blank lines and lines starting with `#` are skipped; a leading `export ` is dropped;
// - keys use letters, digits, `_`, `.`, `-`, `[`, `]`; blanks around `=` are allowed;
//   `KEY: value` is accepted too (reported as a warning: shells and `docker run --env-file` do not);
//   a key alone on its line is taken from the shell's environment and has no value here;
// - unquoted values run to the end of the line, cut at ` #` (a `#` after a space), trailing blanks trimmed;
// - 'single-quoted' values are literal except `\'`; "double-quoted" values decode `\n`, `\r`, `\t`,
//   `\\`, `\"`, `\$` (and `\a \b \f \v`); quoted values may span lines; after the closing quote only
//   blanks or a comment may follow;
// - unquoted and double-quoted values interpolate `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//   `${VAR:+alt}`, `${VAR+alt}`, `${VAR:?msg}`, `${VAR?msg}` (defaults may nest), with `$$` for a `$`,
//   from keys defined earlier in the file. A variable not defined earlier is blank here (Compose
//   would take it from the shell; the fact's `via` says so);
// - the last definition of a key wins.
// Compose refuses a file with an invalid key or an unterminated quote, so those are errors.

import type { Fact, ParseProblem, SourceRef } from "../types.ts";

export interface Dotenv {
  file: string;
  /** `at` is the span of the value without its quotes. */
  vars: Map<string, Fact<string>>;
  problems: ParseProblem[];
}

/** Problems past this many in one file are not reported: the first ones say what is wrong. */
const MAX_PROBLEMS = 100;
/** Interpolation nested deeper than this is kept as written, to bound recursion. */
const MAX_NESTING = 50;
const KEY = /^[\p{L}\p{N}_.\-[\]]+$/u;
const DOUBLE_QUOTE_ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", a: "\x07", b: "\b", f: "\f", v: "\v", "\\": "\\", '"': '"', $: "$" };

const isBlank = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\v" || c === "\f" || c === "\u0085" || c === "\u00a0";

export function parseDotenv(text: string, file: string): Dotenv {
  return new DotenvReader(text, file).read();
}

type Hop = { at: SourceRef; note: string };

class DotenvReader {
  private pos: number;
  private readonly vars = new Map<string, Fact<string>>();
  private readonly problems: ParseProblem[] = [];
  /** quotes known to have no closing match before the end of the text, so each file is scanned for them once */
  private readonly unclosedQuotes = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    this.pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  read(): Dotenv {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === "\n" || isBlank(c)) this.pos++;
      else if (c === "#") this.skipLine();
      else this.readStatement();
    }
    return { file: this.file, vars: this.vars, problems: this.problems };
  }

  private readStatement(): void {
    const text = this.text;
    if (text.startsWith("export", this.pos) && isBlank(text[this.pos + 6])) {
      this.pos += 6;
      while (isBlank(text[this.pos])) this.pos++;
    }
    const keyStart = this.pos;
    while (this.pos < text.length && text[this.pos] !== "=" && text[this.pos] !== ":" && text[this.pos] !== "\n") this.pos++;
    const key = text.slice(keyStart, this.pos).replace(/[\s\u0085\u00a0]+$/u, "");
    const separator = text[this.pos];
    if (!KEY.test(key)) {
      this.problem("error", "Not a `KEY=value` line: Docker Compose refuses this file", keyStart, keyStart + Math.max(key.length, 1));
      this.skipLine();
      return;
    }
    // a key alone takes its value from the shell's environment
    if (separator !== "=" && separator !== ":") return;
    if (separator === ":") {
      this.problem("warning", `\`${key}: value\` works in Docker Compose only; write \`${key}=value\``, keyStart, this.pos + 1);
    }
    this.pos++;
    while (isBlank(text[this.pos])) this.pos++;
    const quote = text[this.pos];
    const fact = quote === "'" || quote === '"' ? this.readQuoted(quote) : this.readUnquoted();
    if (fact) this.vars.set(key, fact);
  }

  private readUnquoted(): Fact<string> {
    const text = this.text;
    const start = this.pos;
    const newline = text.indexOf("\n", start);
    const lineEnd = newline < 0 ? text.length : newline;
    const comment = text.slice(start, lineEnd).indexOf(" #");
    let end = comment >= 0 ? start + comment : lineEnd;
    while (end > start && (isBlank(text[end - 1]) || /\s/.test(text[end - 1]))) end--;
    this.pos = lineEnd;
    const via: Hop[] = [];
    const value = this.interpolate(start, end, false, via, 0);
    return this.fact(value, start, end, via);
  }

  private readQuoted(quote: string): Fact<string> | undefined {
    const text = this.text;
    const open = this.pos;
    let close = this.unclosedQuotes.has(quote) ? text.length : open + 1;
    while (close < text.length && text[close] !== quote) close += text[close] === "\\" ? 2 : 1;
    if (close >= text.length) {
      this.unclosedQuotes.add(quote);
      this.problem("error", "Unterminated quoted value: Docker Compose refuses this file", open, open + 1);
      this.skipLine();
      return undefined;
    }
    const via: Hop[] = [];
    const value = quote === "'" ? text.slice(open + 1, close).replaceAll("\\'", "'") : this.interpolate(open + 1, close, true, via, 0);
    this.pos = close + 1;
    while (isBlank(text[this.pos])) this.pos++;
    if (this.pos < text.length && text[this.pos] !== "\n" && text[this.pos] !== "#") {
      const newline = text.indexOf("\n", this.pos);
      this.problem("error", "Only a comment may follow the closing quote", this.pos, newline < 0 ? text.length : newline);
    }
    this.skipLine();
    return this.fact(value, open + 1, close, via);
  }

  /** Decodes escapes (in double quotes) and expands variables in text[from, to). */
  private interpolate(from: number, to: number, decodeEscapes: boolean, via: Hop[], depth: number): string {
    const text = this.text;
    let out = "";
    let i = from;
    while (i < to) {
      const c = text[i];
      if (c === "\\" && decodeEscapes && i + 1 < to) {
        const next = text[i + 1];
        out += DOUBLE_QUOTE_ESCAPES[next] ?? `\\${next}`;
        i += 2;
      } else if (c === "$" && text[i + 1] === "$") {
        out += "$";
        i += 2;
      } else if (c === "$" && text[i + 1] === "{" && depth < MAX_NESTING) {
        const end = this.closingBrace(i + 2, to);
        if (end < 0) {
          this.problem("error", "Unterminated `${`: Docker Compose refuses this file", i, i + 2);
          return out + text.slice(i, to);
        }
        out += this.expandBraced(i, end, decodeEscapes, via, depth);
        i = end + 1;
      } else if (c === "$" && /[A-Za-z_]/.test(text[i + 1] ?? "") && i + 1 < to) {
        let end = i + 2;
        while (end < to && /[A-Za-z0-9_]/.test(text[end])) end++;
        out += this.lookup(text.slice(i + 1, end), i, end, via) ?? "";
        i = end;
      } else {
        out += c;
        i++;
      }
    }
    return out;
  }

  /** `${NAME}` or `${NAME<op>word}` spanning text[start, end]. */
  private expandBraced(start: number, end: number, decodeEscapes: boolean, via: Hop[], depth: number): string {
    const text = this.text;
    const body = text.slice(start + 2, end);
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?::?[-+?])?/.exec(body);
    if (!match || (match[0].length === match[1].length && body.length > match[1].length)) {
      this.problem("error", `Invalid interpolation \`${text.slice(start, end + 1)}\``, start, end + 1);
      return "";
    }
    const name = match[1];
    const op = match[0].slice(name.length);
    const value = this.lookup(name, start, end + 1, via);
    const argStart = start + 2 + match[0].length;
    const argument = () => this.interpolate(argStart, end, decodeEscapes, via, depth + 1);
    switch (op) {
      case ":-":
        return value ? value : argument();
      case "-":
        return value ?? argument();
      case ":+":
        return value ? argument() : "";
      case "+":
        return value !== undefined ? argument() : "";
      default:
        // `${X}`, and `${X:?msg}` which Compose turns into an error when X is missing
        return value ?? "";
    }
  }

  /** Index of the `}` closing a `${` whose name starts at `from`, or -1. */
  private closingBrace(from: number, to: number): number {
    const text = this.text;
    let depth = 1;
    for (let i = from; i < to; i++) {
      if (text[i] === "$" && text[i + 1] === "{") {
        depth++;
        i++;
      } else if (text[i] === "}" && --depth === 0) return i;
    }
    return -1;
  }

  private lookup(name: string, start: number, end: number, via: Hop[]): string | undefined {
    const fact = this.vars.get(name);
    if (fact?.at) via.push({ at: fact.at, note: `${name} set here` });
    else via.push({ at: { file: this.file, start, end }, note: `${name} is not set earlier in this file: blank unless the shell sets it` });
    return fact?.value;
  }

  private fact(value: string, start: number, end: number, via: Hop[]): Fact<string> {
    const fact: Fact<string> = { value, origin: "stated", at: { file: this.file, start, end } };
    if (via.length > 0) fact.via = via;
    return fact;
  }

  private skipLine(): void {
    const newline = this.text.indexOf("\n", this.pos);
    this.pos = newline < 0 ? this.text.length : newline + 1;
  }

  private problem(severity: "error" | "warning", message: string, start: number, end: number): void {
    if (this.problems.length >= MAX_PROBLEMS) return;
    this.problems.push({ message, severity, at: { file: this.file, start, end: Math.min(end, this.text.length) } });
  }
}
