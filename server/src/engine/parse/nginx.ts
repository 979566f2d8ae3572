// nginx configuration parser. The tokenizer follows nginx's own rules (ngx_conf_read_token):
// a word ends at whitespace, ";" or "{"; "}" ends nothing inside a word; a quote opens a string
// only at the start of a word and must be followed by a separator; "#" starts a comment only
// at the start of a word; "$" lets an immediately following "{" stay in the word ("${var}").
// Values are unescaped the way nginx copies them: \" \' \\ \t \r \n are resolved, any other
// backslash stays. *_by_lua_block bodies are skipped the way lua-nginx-module does (Lua
// strings, long brackets and comments do not count braces) and kept as a raw span.
//
// Everything is offsets into the original text; nothing here throws, and every loop advances.

import { posix } from "node:path";
import picomatch from "picomatch";
import type { ParseProblem, Severity, Span } from "../types.ts";

export interface NginxArg {
  /** as nginx sees it: quotes removed, escapes resolved */
  value: string;
  /** raw token span, quotes included */
  start: number;
  end: number;
  quoted: boolean;
}

export interface NginxDirective {
  name: string;
  nameSpan: Span;
  args: NginxArg[];
  /** the whole statement, through ";" or the closing "}" */
  start: number;
  end: number;
  block?: NginxDirective[];
  /** "{" .. "}" inclusive */
  blockSpan?: Span;
  /** workspace-relative path of the file it is written in */
  file: string;
  /** for *_by_lua_block: the body between the braces, not tokenised */
  rawBody?: Span;
}

export interface NginxComment {
  /** the comment without its leading "#" */
  text: string;
  /** from "#" to the end of the line (line break excluded) */
  start: number;
  end: number;
}

export interface NginxFile {
  file: string;
  directives: NginxDirective[];
  problems: ParseProblem[];
  comments: NginxComment[];
}

export interface NginxInclude {
  directive: NginxDirective;
  /** workspace-relative paths of the files it brought in, in nginx's order */
  resolved: string[];
}

export interface NginxConfig {
  /** the main file */
  root: string;
  /** every file read (root + includes) */
  files: Map<string, NginxFile>;
  /** the tree with include directives replaced by the included files' directives (each keeps its own `file`) */
  directives: NginxDirective[];
  includes: NginxInclude[];
  /** parse errors of all files, plus include problems (missing file, loop, too many files) */
  problems: ParseProblem[];
}

export interface NginxLoadHost {
  /** workspace-relative path -> text, undefined if absent/unreadable */
  read(path: string): string | undefined;
  /** all workspace-relative paths (forward slashes) */
  list(): string[];
  /** parseNginx, or a cache of its results (the language server keeps them between audits) */
  parse?(text: string, path: string): NginxFile;
}

export interface NginxLoadLimits {
  /** distinct files read, root included */
  maxFiles?: number;
  /** include nesting */
  maxDepth?: number;
  /** file inclusions in total; bounds the expanded tree when the same files are included many times */
  maxInclusions?: number;
  /** include targets considered in total (included, loops and skips alike); bounds the work of globs that re-include themselves */
  maxVisits?: number;
}

const DEFAULT_MAX_FILES = 256;
const DEFAULT_MAX_DEPTH = 16;
const DEFAULT_MAX_INCLUSIONS = 2048;
const DEFAULT_MAX_VISITS = 50_000;
/** Deeper blocks are parsed for balance but dropped, so consumers can recurse over the tree safely. */
const MAX_BLOCK_DEPTH = 100;
const TOO_DEEP = `blocks nested more than ${MAX_BLOCK_DEPTH} deep`;

// ---------------------------------------------------------------------------------------------
// Tokenizer

// What Lexer.next() found: a word (in `lexer.word`), a punctuation mark (at `lexer.at`), a cut or the end.
const WORD = 0;
const SEMICOLON_TOKEN = 1;
const OPEN_BRACE = 2;
const CLOSE_BRACE = 3;
/** ends the statement without a ";", after a reported error */
const CUT = 4;
const END = 5;
type Token = typeof WORD | typeof SEMICOLON_TOKEN | typeof OPEN_BRACE | typeof CLOSE_BRACE | typeof CUT | typeof END;

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const BACKSLASH = 92;
const DOLLAR = 36;
const SEMICOLON = 59;
const LBRACE = 123;
const RBRACE = 125;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;
const RPAREN = 41;
const BOM = 0xfeff;

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR;
}

function describeChar(text: string, at: number): string {
  return String.fromCodePoint(text.codePointAt(at) ?? 0);
}

// The lexer hands its results over in fields rather than a token object per call: a large file has
// tens of thousands of tokens, and on every edit they were garbage for the collector.
class Lexer {
  pos: number;
  /** the word just read (WORD) */
  word: NginxArg = { value: "", start: 0, end: 0, quoted: false };
  /** where the punctuation mark just read is */
  at = 0;
  /** where the last word or comment ended: one that ends at the end of the text might go on in a longer text */
  lastEnd = -1;
  readonly comments: NginxComment[] = [];
  /** A quote or a Lua block ran to the end of the text: what was read before depends on all that follows. */
  readToEnd = false;
  private cutNext = false;

  constructor(
    private readonly text: string,
    private readonly report: (message: string, start: number, end: number) => void,
    from: number,
  ) {
    this.pos = from;
  }

  next(): Token {
    if (this.cutNext) {
      this.cutNext = false;
      return CUT;
    }
    const text = this.text;
    const len = text.length;
    for (;;) {
      while (this.pos < len && isSpace(text.charCodeAt(this.pos))) this.pos++;
      if (this.pos >= len) return END;
      const start = this.pos;
      const c = text.charCodeAt(start);
      if (c === HASH) {
        // nginx ends comments at LF only; ending at CR too keeps CR-only files readable.
        const end = this.lineEnd(start);
        this.comments.push({ text: text.slice(start + 1, end), start, end });
        this.pos = end;
        this.lastEnd = end;
        continue;
      }
      if (c === SEMICOLON || c === LBRACE || c === RBRACE) {
        this.pos++;
        this.at = start;
        return c === SEMICOLON ? SEMICOLON_TOKEN : c === LBRACE ? OPEN_BRACE : CLOSE_BRACE;
      }
      if (c === DQUOTE || c === SQUOTE) return this.quoted(start, c);
      return this.bare(start);
    }
  }

  private lineEnd(from: number): number {
    const text = this.text;
    let i = from;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === LF || c === CR) break;
      i++;
    }
    return i;
  }

  private bare(start: number): Token {
    const text = this.text;
    const len = text.length;
    let i = start;
    let afterDollar = false;
    let escaped = false;
    while (i < len) {
      const c = text.charCodeAt(i);
      // nginx keeps the variable flag across "{", so "${" (and "${{") stay in the word.
      if (c === LBRACE && afterDollar) {
        i++;
        continue;
      }
      afterDollar = false;
      if (c === BACKSLASH) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c === DOLLAR) {
        afterDollar = true;
        i++;
        continue;
      }
      if (isSpace(c) || c === SEMICOLON || c === LBRACE) break;
      i++;
    }
    const end = Math.min(i, len);
    this.pos = end;
    this.lastEnd = end;
    const value = escaped ? tokenValue(text, start, end) : text.slice(start, end);
    this.word = { value, start, end, quoted: false };
    return WORD;
  }

  private quoted(start: number, quote: number): Token {
    const text = this.text;
    const len = text.length;
    let i = start + 1;
    let escaped = false;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c === quote) break;
      i++;
    }
    if (i >= len) {
      // Recover at the end of the quote's line, as if the statement ended there. This rescans
      // at most twice: a later opening quote of the same kind would have closed this one.
      const end = this.lineEnd(start);
      this.report("unterminated quoted string (unexpected end of file)", start, end);
      this.readToEnd = true;
      this.pos = end;
      this.cutNext = true;
      const value = escaped ? tokenValue(text, start + 1, end) : text.slice(start + 1, end);
      this.word = { value, start, end, quoted: true };
      return WORD;
    }
    const end = i + 1;
    this.pos = end;
    this.lastEnd = end;
    if (end < len) {
      const c = text.charCodeAt(end);
      // nginx wants a separator after a closing quote; ")" may follow (if conditions) and
      // "}" is left to the parser, which reports the missing ";".
      if (!isSpace(c) && c !== SEMICOLON && c !== LBRACE && c !== RPAREN && c !== RBRACE) {
        const width = c >= 0xd800 && c <= 0xdbff ? 2 : 1;
        this.report(`unexpected "${describeChar(text, end)}" after a quoted string`, end, end + width);
      }
    }
    const value = escaped ? tokenValue(text, start + 1, i) : text.slice(start + 1, i);
    this.word = { value, start, end, quoted: true };
    return WORD;
  }

  /** Skips a Lua block body starting after its "{"; returns the offset of the closing "}". */
  luaBody(from: number): number | undefined {
    const text = this.text;
    const len = text.length;
    let depth = 1;
    let i = from;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
        const level = longBracketLevel(text, i + 2);
        i = level < 0 ? this.lineEnd(i) : skipLongBracket(text, i + 2, level);
        continue;
      }
      if (c === 91 /* [ */) {
        const level = longBracketLevel(text, i);
        if (level >= 0) {
          i = skipLongBracket(text, i, level);
          continue;
        }
      }
      if (c === DQUOTE || c === SQUOTE) {
        i = skipLuaString(text, i, c);
        continue;
      }
      if (c === LBRACE) depth++;
      else if (c === RBRACE && --depth === 0) {
        this.pos = i + 1;
        return i;
      }
      i++;
    }
    this.pos = len;
    this.readToEnd = true;
    return undefined;
  }
}

/** nginx's copy rules: \" \' \\ drop the backslash, \t \r \n become control characters, others stay. */
function tokenValue(text: string, from: number, to: number): string {
  let out = "";
  let chunk = from;
  let i = from;
  while (i < to) {
    if (text.charCodeAt(i) !== BACKSLASH || i + 1 >= to) {
      i++;
      continue;
    }
    const next = text[i + 1];
    let replacement: string | undefined;
    if (next === '"' || next === "'" || next === "\\") replacement = next;
    else if (next === "t") replacement = "\t";
    else if (next === "r") replacement = "\r";
    else if (next === "n") replacement = "\n";
    if (replacement === undefined) {
      i++;
      continue;
    }
    out += text.slice(chunk, i) + replacement;
    i += 2;
    chunk = i;
  }
  return out + text.slice(chunk, to);
}

/** For "[", "[=", "[==" ... followed by "[": the number of "="; otherwise -1. */
function longBracketLevel(text: string, at: number): number {
  if (text.charCodeAt(at) !== 91) return -1;
  let i = at + 1;
  while (text.charCodeAt(i) === 61 /* = */) i++;
  return text.charCodeAt(i) === 91 ? i - at - 1 : -1;
}

function skipLongBracket(text: string, at: number, level: number): number {
  const close = `]${"=".repeat(level)}]`;
  const end = text.indexOf(close, at + level + 2);
  return end < 0 ? text.length : end + close.length;
}

/** A Lua short string; one cut by a raw line break ends there (Lua rejects it, braces keep counting). */
function skipLuaString(text: string, at: number, quote: number): number {
  let i = at + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === quote) return i + 1;
    else if (c === LF || c === CR) return i;
    else i++;
  }
  return text.length;
}

/** An envsubst placeholder: `${NAME}`, the form templates write for text the renderer puts in. */
const PLACEHOLDER = /^\$\{[A-Za-z_]\w*\}$/;

/**
 * A statement that is only a placeholder (dify's `${HTTPS_CONFIG}` on its own line in a server block):
 * the template's renderer replaces it with whole statements or nothing, so nginx never sees it, and it
 * is neither a directive nor one missing its ";". Followed by another word, it is one only when that
 * word is on a later line (`${NAME} value;` stays a directive).
 */
function isPlaceholderStatement(text: string, word: NginxArg, nextWord?: NginxArg): boolean {
  if (word.quoted || !PLACEHOLDER.test(word.value)) return false;
  if (!nextWord) return true;
  for (let i = word.end; i < nextWord.start; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || c === CR) return true;
  }
  return false;
}

function isLuaBlockDirective(name: string): boolean {
  return name.endsWith("_by_lua_block");
}

// ---------------------------------------------------------------------------------------------
// Parser

interface Frame {
  /** where the block's directives go; a throwaway list for blocks that are parsed but dropped */
  directives: NginxDirective[];
  /** the directive whose block this is; undefined for a block with no directive name */
  owner?: NginxDirective;
  brace: number;
}

/** Parses whose reading looked ahead to the end of the file: reparseNginx starts over from these. */
const READ_TO_END = new WeakSet<NginxFile>();

export function parseNginx(text: string, file: string): NginxFile {
  // nginx would read a BOM as part of the first word; editors add one silently.
  const { directives, problems, comments, readToEnd } = parseStatements(text, file, text.charCodeAt(0) === BOM ? 1 : 0, 0);
  const parsed = { file, directives, problems, comments };
  if (readToEnd) READ_TO_END.add(parsed);
  return parsed;
}

/**
 * The statements of `text` from `from` to its end, as if they sat in a block `depth` blocks deep.
 * `lastEnd`: where the last word or comment ended.
 */
function parseStatements(text: string, file: string, from: number, depth: number): Omit<NginxFile, "file"> & { lastEnd: number; readToEnd: boolean } {
  const problems: ParseProblem[] = [];
  const report = (message: string, start: number, end: number) => {
    problems.push({ message, severity: "error", at: { file, start, end } });
  };
  const lexer = new Lexer(text, report, from);
  const top: Frame = { directives: [], brace: -1 };
  const stack: Frame[] = [top];
  /** the words of the statement being read: its name, then its arguments (one array, reused) */
  const words: NginxArg[] = [];
  let reportedTooDeep = false;

  const statement = (end: number): NginxDirective => {
    const name = words[0];
    const directive: NginxDirective = {
      name: name.value,
      nameSpan: { start: name.start, end: name.end },
      // An exact-size copy: an array grown by push keeps spare room, and the tree is kept between audits.
      args: words.slice(1),
      start: name.start,
      end,
      file,
    };
    words.length = 0;
    stack[stack.length - 1].directives.push(directive);
    return directive;
  };
  const wordsEnd = () => words[words.length - 1].end;

  for (;;) {
    const token = lexer.next();
    if (token === END) break;
    if (token === WORD) {
      const word = lexer.word;
      if (words.length === 1 && isPlaceholderStatement(text, words[0], word)) words.length = 0;
      words.push(word);
      continue;
    }
    if (token === CUT) {
      if (words.length > 0) statement(wordsEnd());
      continue;
    }
    const at = lexer.at;
    if (token === SEMICOLON_TOKEN) {
      if (words.length === 0) report('unexpected ";" (statement has no directive name)', at, at + 1);
      else statement(at + 1);
      continue;
    }
    if (token === OPEN_BRACE) {
      if (words.length === 0) {
        report('unexpected "{" (block has no directive name)', at, at + 1);
        stack.push({ directives: [], brace: at });
        continue;
      }
      const directive = statement(at + 1);
      directive.blockSpan = { start: at, end: at + 1 };
      if (isLuaBlockDirective(directive.name)) {
        const close = lexer.luaBody(at + 1);
        const end = close === undefined ? text.length : close + 1;
        directive.rawBody = { start: at + 1, end: close ?? text.length };
        directive.blockSpan.end = end;
        directive.end = end;
        if (close === undefined) {
          report(
            `unexpected end of file, expecting "}" to end the Lua code of "${directive.name}"`,
            at,
            at + 1,
          );
        }
        continue;
      }
      directive.block = [];
      if (stack.length + depth > MAX_BLOCK_DEPTH) {
        if (!reportedTooDeep) report(TOO_DEEP, at, at + 1);
        reportedTooDeep = true;
        stack.push({ directives: [], owner: directive, brace: at });
      } else {
        stack.push({ directives: directive.block, owner: directive, brace: at });
      }
      continue;
    }
    // "}"
    if (words.length === 1 && isPlaceholderStatement(text, words[0])) words.length = 0;
    if (words.length > 0) {
      const { start, value } = words[0];
      const end = wordsEnd();
      statement(end);
      report(`directive "${value}" is not terminated by ";"`, start, end);
    }
    if (stack.length === 1) {
      report('unexpected "}" (no block is open here)', at, at + 1);
      continue;
    }
    const frame = stack.pop() as Frame;
    if (frame.owner?.blockSpan) {
      frame.owner.blockSpan.end = at + 1;
      frame.owner.end = at + 1;
    }
  }

  if (words.length === 1 && isPlaceholderStatement(text, words[0])) words.length = 0;
  if (words.length > 0) {
    const { start, value } = words[0];
    const end = wordsEnd();
    statement(end);
    report(`unexpected end of file, expecting ";" or "}": directive "${value}" is not terminated`, start, end);
  }
  for (let i = stack.length - 1; i > 0; i--) {
    const frame = stack[i];
    const what = frame.owner ? `the "${frame.owner.name}" block` : "the block";
    report(`unexpected end of file, expecting "}": ${what} opened here is not closed`, frame.brace, frame.brace + 1);
    if (frame.owner?.blockSpan) {
      frame.owner.blockSpan.end = text.length;
      frame.owner.end = text.length;
    }
  }

  problems.sort((a, b) => a.at.start - b.at.start);
  return { directives: top.directives, problems, comments: lexer.comments, lastEnd: lexer.lastEnd, readToEnd: lexer.readToEnd };
}

// ---------------------------------------------------------------------------------------------
// Re-parsing an edited file

/**
 * Parses `text`, a new version of `previous.text`, re-reading only the innermost block the edit is
 * in: the rest keeps the previous parse's objects (moved by the length change when they come after
 * the edit). The result is the same as `parseNginx(text, file)` (test/unit/nginx-reparse.test.ts
 * checks it on random edits); whenever that cannot be sure, it is `parseNginx(text, file)`.
 * On a large file, an edit then costs a block's parse instead of the file's, and leaves little
 * garbage: the language server re-parses the file being typed in on every change.
 */
export function reparseNginx(previous: { text: string; parsed: NginxFile }, text: string, file: string): NginxFile {
  const old = previous.text;
  const before = previous.parsed;
  // Reported once per file, so where the first one is depends on the whole text.
  if (before.file !== file || READ_TO_END.has(before) || before.problems.some((p) => p.message === TOO_DEEP)) return parseNginx(text, file);
  const shortest = Math.min(old.length, text.length);
  const prefix = commonPrefix(old, text, shortest);
  const suffix = commonSuffix(old, text, shortest - prefix);
  if (prefix === old.length && prefix === text.length) return before;
  // The edit replaced old[prefix, editEnd): find the innermost block whose braces hold it.
  const editEnd = old.length - suffix;
  const path: NginxDirective[] = [];
  let level = before.directives;
  for (;;) {
    const holder = level.find((d) => d.block && d.blockSpan && !d.rawBody && d.blockSpan.start < prefix && editEnd < d.blockSpan.end);
    if (!holder?.block) break;
    path.push(holder);
    level = holder.block;
  }
  const block = path[path.length - 1];
  if (!block?.blockSpan) return parseNginx(text, file);
  const open = block.blockSpan.start;
  const oldClose = block.blockSpan.end - 1;
  // Problems outside the block stay what they were (the parser's state at its braces is the same). One at
  // its "{" says it was never closed: its end is then the end of the file, not a "}".
  if (before.problems.some((p) => p.at.end > open && p.at.start <= oldClose)) return parseNginx(text, file);
  const delta = text.length - old.length;
  const close = oldClose + delta;
  // Parsed up to the block's "}": a word or comment that reaches it would go on past it in the whole text.
  const inner = parseStatements(text.slice(0, close), file, open + 1, path.length);
  if (inner.problems.length > 0 || inner.lastEnd === close || text.charCodeAt(close) !== RBRACE) return parseNginx(text, file);

  const moved = (d: NginxDirective) => (delta === 0 ? d : shiftDirective(d, delta));
  const rebuild = (directives: NginxDirective[], depth: number): NginxDirective[] =>
    directives.map((d) => {
      if (d === path[depth] && d.blockSpan) {
        return { ...d, end: d.end + delta, blockSpan: { start: d.blockSpan.start, end: d.blockSpan.end + delta }, block: depth === path.length - 1 ? inner.directives : rebuild(d.block ?? [], depth + 1) };
      }
      return d.start > path[depth].start ? moved(d) : d;
    });
  const comments = [
    ...before.comments.filter((c) => c.end <= open),
    ...inner.comments,
    ...before.comments.filter((c) => c.start > oldClose).map((c) => (delta === 0 ? c : { text: c.text, start: c.start + delta, end: c.end + delta })),
  ];
  const problems = before.problems.map((p) => (delta === 0 || p.at.start <= open ? p : { ...p, at: { file: p.at.file, start: p.at.start + delta, end: p.at.end + delta } }));
  return { file, directives: rebuild(before.directives, 0), problems, comments };
}

// Whole chunks are compared as strings first (a native comparison), then characters in the chunk that differs.
const CHUNK = 256;

function commonPrefix(a: string, b: string, max: number): number {
  let n = 0;
  while (n + CHUNK <= max && a.substring(n, n + CHUNK) === b.substring(n, n + CHUNK)) n += CHUNK;
  while (n < max && a.charCodeAt(n) === b.charCodeAt(n)) n++;
  return n;
}

function commonSuffix(a: string, b: string, max: number): number {
  let n = 0;
  while (n + CHUNK <= max && a.substring(a.length - n - CHUNK, a.length - n) === b.substring(b.length - n - CHUNK, b.length - n)) n += CHUNK;
  while (n < max && a.charCodeAt(a.length - 1 - n) === b.charCodeAt(b.length - 1 - n)) n++;
  return n;
}

/**
 * A copy of a directive, and of everything in it, `delta` characters further on. Written out for the
 * directive's shape: a generic walk over any object (as parse/move-spans.ts makes, for compose) made the
 * re-parse of the bench's 5,000-line file 0.09 -> 0.6 ms, on every keystroke.
 */
function shiftDirective(d: NginxDirective, delta: number): NginxDirective {
  const out: NginxDirective = {
    name: d.name,
    nameSpan: { start: d.nameSpan.start + delta, end: d.nameSpan.end + delta },
    args: d.args.map((a) => ({ value: a.value, start: a.start + delta, end: a.end + delta, quoted: a.quoted })),
    start: d.start + delta,
    end: d.end + delta,
    file: d.file,
  };
  if (d.blockSpan) out.blockSpan = { start: d.blockSpan.start + delta, end: d.blockSpan.end + delta };
  if (d.rawBody) out.rawBody = { start: d.rawBody.start + delta, end: d.rawBody.end + delta };
  if (d.block) out.block = d.block.map((child) => shiftDirective(child, delta));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Includes

/** Where nginx.conf usually lives in an image; a repo copies or mounts its root file there. */
const CONF_PREFIXES = ["/etc/nginx/", "/usr/local/nginx/conf/", "/usr/local/openresty/nginx/conf/"];

/** Folders that sit inside nginx's conf prefix (/etc/nginx/conf.d), from which the stock nginx.conf includes files. */
const PREFIX_SUBFOLDERS: ReadonlySet<string> = new Set(["conf.d", "sites-enabled", "sites-available"]);

/** Files nginx or the distribution packages ship: absent from a repo, present at run time. */
const SHIPPED_FILES = new Set([
  "mime.types",
  "fastcgi_params",
  "fastcgi.conf",
  "scgi_params",
  "uwsgi_params",
  "proxy_params",
  "koi-utf",
  "koi-win",
  "win-utf",
  "fastcgi-php.conf",
  "snakeoil.conf",
]);

const GLOB_CHARS = /[*?[]/;

/** push(...items) overflows the call stack for very large arrays. */
function append<T>(target: T[], items: T[]): void {
  for (const item of items) target.push(item);
}

function isInsideWorkspace(path: string): boolean {
  return path !== ".." && !path.startsWith("../") && !path.startsWith("/");
}

/**
 * Directive lists with no include at any depth. Parses are never modified and an edit keeps the
 * blocks it did not touch (reparseNginx), so on the next audit expanding them is a lookup.
 */
const INCLUDE_FREE = new WeakSet<NginxDirective[]>();

export function loadNginxConfig(rootFile: string, host: NginxLoadHost, limits: NginxLoadLimits = {}): NginxConfig {
  const maxFiles = limits.maxFiles ?? DEFAULT_MAX_FILES;
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxInclusions = limits.maxInclusions ?? DEFAULT_MAX_INCLUSIONS;
  const maxVisits = limits.maxVisits ?? DEFAULT_MAX_VISITS;
  const root = posix.normalize(rootFile);
  const rootDir = posix.dirname(root);
  const files = new Map<string, NginxFile>();
  const problems: ParseProblem[] = [];
  const problemKeys = new Set<string>();
  const includeRecords = new Map<NginxDirective, NginxInclude>();
  const readCache = new Map<string, string | undefined>();
  let listing: string[] | undefined;
  const globCache = new Map<string, string[]>();
  let inclusions = 0;
  let visits = 0;
  let budgetReported = false;

  /** `kind` dedupes: one problem per place and kind, however many include chains reach that place. */
  const addProblem = (message: string, severity: Severity, at: NginxDirective | NginxArg, file: string, kind = message) => {
    const key = `${file}:${at.start}:${at.end}:${kind}`;
    if (problemKeys.has(key)) return;
    problemKeys.add(key);
    problems.push({ message, severity, at: { file, start: at.start, end: at.end } });
  };

  const read = (path: string): string | undefined => {
    if (!readCache.has(path)) readCache.set(path, host.read(path));
    return readCache.get(path);
  };

  const load = (path: string): NginxFile | undefined => {
    const known = files.get(path);
    if (known) return known;
    const text = read(path);
    if (text === undefined) return undefined;
    const parsed = host.parse ? host.parse(text, path) : parseNginx(text, path);
    files.set(path, parsed);
    append(problems, parsed.problems);
    return parsed;
  };

  const globMatches = (pattern: string): string[] => {
    const cached = globCache.get(pattern);
    if (cached) return cached;
    listing ??= host.list();
    const literalDir = pattern.slice(0, pattern.search(GLOB_CHARS)).replace(/[^/]*$/, "");
    const isMatch = picomatch(pattern, {
      windows: false,
      dot: false,
      nobrace: true,
      noextglob: true,
      noglobstar: true,
      nonegate: true,
    });
    // nginx reads glob results in sorted order.
    const matches = listing.filter((p) => p.startsWith(literalDir) && isMatch(p)).sort();
    globCache.set(pattern, matches);
    return matches;
  };

  /**
   * Candidate locations, best first: against the root's directory (nginx's conf prefix), then, for a root kept in a
   * folder the stock nginx.conf includes from inside the prefix (conf.d/, sites-enabled/), that folder's parent, which
   * stands for the prefix; then the including file's directory.
   */
  const candidates = (value: string, includingFile: string): string[] | undefined => {
    let relative = value;
    if (value.startsWith("/")) {
      const prefix = CONF_PREFIXES.find((p) => value.startsWith(p));
      if (!prefix) return undefined;
      relative = value.slice(prefix.length);
    }
    const paths = [posix.join(rootDir, relative)];
    if (PREFIX_SUBFOLDERS.has(posix.basename(rootDir))) paths.push(posix.join(posix.dirname(rootDir), relative));
    paths.push(posix.join(posix.dirname(includingFile), relative));
    return [...new Set(paths)].filter(isInsideWorkspace);
  };

  /** The file itself, else the envsubst template it is rendered from when the container starts (`proxy.conf.template`). */
  const readable = (candidate: string): string | undefined => {
    if (read(candidate) !== undefined) return candidate;
    const template = `${candidate}.template`;
    return read(template) !== undefined ? template : undefined;
  };

  const resolve = (directive: NginxDirective, arg: NginxArg): string[] => {
    const value = arg.value;
    const isGlob = GLOB_CHARS.test(value);
    const tried = candidates(value, directive.file);
    if (tried === undefined || tried.length === 0) {
      if (!SHIPPED_FILES.has(posix.basename(value)) && !isGlob) {
        const where = tried === undefined ? "is a path on the server, outside the workspace" : "points outside the workspace";
        addProblem(`included file "${value}" ${where}; it is not checked`, "info", arg, directive.file);
      }
      return [];
    }
    for (const candidate of tried) {
      if (isGlob) {
        const matches = globMatches(candidate);
        if (matches.length > 0) return matches;
      } else {
        const found = readable(candidate);
        if (found) return [found];
      }
    }
    // nginx accepts a glob that matches nothing; a missing file it would reject.
    if (!isGlob && !SHIPPED_FILES.has(posix.basename(value))) {
      addProblem(
        `included file "${value}" was not found in the workspace (looked for ${tried.map((p) => `"${p}"`).join(", ")})`,
        "info",
        arg,
        directive.file,
      );
    }
    return [];
  };

  const include = (directive: NginxDirective, chain: string[]): NginxDirective[] => {
    let record = includeRecords.get(directive);
    if (!record) {
      record = { directive, resolved: [] };
      includeRecords.set(directive, record);
    }
    if (directive.args.length !== 1) {
      addProblem('invalid number of arguments in "include" directive', "error", directive, directive.file);
      return [];
    }
    const arg = directive.args[0];
    if (budgetReported) return [];
    const paths = resolve(directive, arg);
    if (paths.length > 0 && chain.length > maxDepth) {
      addProblem(`includes are nested more than ${maxDepth} deep; "${arg.value}" is not read here`, "warning", arg, directive.file, "depth");
      return [];
    }
    const out: NginxDirective[] = [];
    for (const [index, path] of paths.entries()) {
      if (chain.includes(path)) {
        addProblem(`include loop: ${[...chain, path].map((p) => `"${p}"`).join(" includes ")}`, "error", arg, directive.file, "loop");
        continue;
      }
      if (budgetReported) break;
      visits++;
      if (inclusions >= maxInclusions || visits > maxVisits) {
        // One report for the whole configuration: past this point every include would say the same.
        budgetReported = true;
        const limit = inclusions >= maxInclusions ? `${maxInclusions} file inclusions` : `${maxVisits} include targets`;
        addProblem(
          `includes stopped after ${limit}: the same files are included over and over (a glob whose files include it again?); "${arg.value}" and every include after it are not read`,
          "warning",
          arg,
          directive.file,
          "budget",
        );
        break;
      }
      if (!files.has(path) && files.size >= maxFiles) {
        const skipped = paths.length - index;
        addProblem(`too many included files (limit ${maxFiles}); ${skipped} of the ${paths.length} matched by "${arg.value}" are not read`, "warning", arg, directive.file, "files");
        break;
      }
      const included = load(path);
      if (!included) {
        addProblem(`included file "${path}" could not be read`, "info", arg, directive.file);
        continue;
      }
      inclusions++;
      if (!record.resolved.includes(path)) record.resolved.push(path);
      append(out, expand(included.directives, [...chain, path]));
    }
    return out;
  };

  /**
   * The directives with includes replaced by what they include. A list without includes, at any
   * depth, is returned as it is (the parse cache's own objects, never modified), so a large file
   * without includes costs no copy on every edit.
   */
  const expand = (directives: NginxDirective[], chain: string[]): NginxDirective[] => {
    if (INCLUDE_FREE.has(directives)) return directives;
    let out: NginxDirective[] | undefined;
    for (let i = 0; i < directives.length; i++) {
      const directive = directives[i];
      let replacement: NginxDirective | NginxDirective[] = directive;
      if (directive.name === "include" && !directive.blockSpan) replacement = include(directive, chain);
      else if (directive.block) {
        const block = expand(directive.block, chain);
        if (block !== directive.block) replacement = { ...directive, block };
      }
      if (replacement === directive && !out) continue;
      out ??= directives.slice(0, i);
      if (Array.isArray(replacement)) append(out, replacement);
      else out.push(replacement);
    }
    if (out) return out;
    INCLUDE_FREE.add(directives);
    return directives;
  };

  const rootParsed = load(root);
  if (!rootParsed) {
    problems.push({ message: `cannot read "${root}"`, severity: "error", at: { file: root, start: 0, end: 0 } });
    return { root, files, directives: [], includes: [], problems };
  }
  const directives = expand(rootParsed.directives, [root]);
  return { root, files, directives, includes: [...includeRecords.values()], problems };
}
