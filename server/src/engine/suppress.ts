// Suppressions: `# headroom-ignore <rule-id>[, <rule-id>]: reason` on its own line before the
// statement a finding is on, `# headroom-ignore-file <rule-id>: reason` anywhere in a file, and,
// for JSON files that cannot carry a comment, headroom.yml's `suppressions` (rule + file glob).
// Every deployment file Headroom reads except JSON uses `#` comments (shell, Procfile, YAML,
// nginx, Dockerfile, .env, gunicorn.conf.py, puma.rb, postgresql.conf), so one syntax serves all.
// A suppression must name a known rule; one that suppresses nothing is reported, as is an unknown id.
import picomatch from "picomatch";
import { LineCounter, parseDocument, visit } from "yaml";
import { suggestRule, type Suppression } from "./config.ts";
import { fileKind, type FileKind } from "./model/build.ts";
import { lineIndexOf, NO_MEMO, type ParseMemo } from "./parse-cache.ts";
import { composeLayout } from "./parse/compose.ts";
import { lineBounds, lineBreakOf, yamlSource } from "./parse/text-lines.ts";
import { yamlTooDeepAt } from "./parse/yaml-depth.ts";
import suppressUnknownRule from "./rules/suppress/unknown-rule.ts";
import suppressUnused from "./rules/suppress/unused.ts";
import { type Finding, type LineIndex, type SourceRef } from "./types.ts";

const SUPPRESS_UNKNOWN_RULE = suppressUnknownRule.id;
const SUPPRESS_UNUSED = suppressUnused.id;

const DIRECTIVE = /^([ \t]*)#[ \t]*headroom-ignore(-file)?(?![\w-])(.*)$/;

/** One rule id named by a suppression comment, with where it is written. */
interface NamedRule {
  id: string;
  at: SourceRef;
  used: boolean;
}

interface Comment {
  scope: "line" | "file";
  file: string;
  /** The whole comment line (without its line break). */
  at: SourceRef;
  /** 0-based lines of the statement it covers (scope "line"). */
  lines?: { first: number; last: number };
  rules: NamedRule[];
}

/** A suppressed finding, and what suppressed it (for reports: SARIF's `suppressions`). */
export interface Suppressed {
  finding: Finding;
  kind: "inSource" | "external";
  reason?: string;
  at?: SourceRef;
}

/** Files whose comment syntax is not `#`: suppress them in headroom.yml instead. */
export function commentsAllowed(path: string): boolean {
  const kind = fileKind(path);
  return kind !== undefined && kind !== "service.json" && kind !== "app.json";
}

// ---------------------------------------------------------------------------------------------
// Statements: the lines a comment placed before line N covers, per file kind

type Lines = { index: LineIndex; text: string; kind: FileKind };

/** [first line, last line] of the multi-line YAML nodes that may hold a given line (see `yamlSpansAt`). */
type SpansAt = (line: number) => Array<[number, number]>;

/** The last line of the statement that starts at `first` (continuations, nginx's `;`, multi-line YAML nodes). */
function statementEnd(lines: Lines, first: number, yamlSpans: SpansAt): number {
  const { index, kind } = lines;
  if (kind === "compose" || kind === "apprunner.yaml" || kind === "render.yaml" || kind === "heroku.yml" || kind === "kamal") {
    let last = first;
    for (const [start, end] of yamlSpans(first)) if (start === first && end > last) last = end;
    return last;
  }
  if (kind === "nginx") {
    let line = first;
    while (line < index.lineCount - 1 && !/[;{}]\s*(#.*)?$/.test(index.lineText(line))) line++;
    return line;
  }
  let line = first;
  while (line < index.lineCount - 1 && /\\$/.test(index.lineText(line))) line++;
  return line;
}

/** The first line of the statement that line `line` belongs to. */
function statementStart(index: LineIndex, file: string, line: number, yamlSpans: SpansAt): number {
  const kind = fileKind(file);
  if (!kind) return line;
  if (kind === "compose" || kind === "apprunner.yaml" || kind === "render.yaml" || kind === "heroku.yml" || kind === "kamal") {
    let first = line;
    for (const [start, end] of yamlSpans(line)) if (start < first && end >= line) first = start;
    return first;
  }
  const continues = kind === "nginx" ? (l: string) => l.trim() !== "" && !/^\s*#/.test(l) && !/[;{}]\s*(#.*)?$/.test(l) : (l: string) => /\\$/.test(l);
  let first = line;
  while (first > 0 && continues(index.lineText(first - 1))) first--;
  return first;
}

/**
 * The multi-line YAML nodes of `text` that may hold a line, worked out on first use. A compose file
 * laid out service by service (parse/compose.ts `serviceChunks`) is read one service at a time, as
 * no node crosses from one service to another there: a finding costs its service's parse, not the
 * whole file's (20 ms per audit for a 3,000-line file). `memo` keeps them between audits.
 */
export function yamlSpansAt(text: string, file: string, memo: ParseMemo = NO_MEMO): SpansAt {
  let whole: Array<[number, number]> | undefined;
  const all = () => (whole ??= memo.get(`yaml-spans:${file}`, text, () => yamlMultilineSpans(text) ?? []));
  const layout = fileKind(file) === "compose" ? composeLayout(text, file, memo) : undefined;
  if (!layout) return all;
  const index = lineIndexOf(memo, file, text);
  const firstLines = layout.services.map((service) => index.position(service.start).line);
  const endLine = index.position(layout.block.end).line;
  const perService = new Map<number, Array<[number, number]> | undefined>();
  return (at) => {
    if (at < firstLines[0] || at >= endLine) return all();
    let i = firstLines.length - 1;
    while (firstLines[i] > at) i--;
    if (!perService.has(i)) {
      const chunk = text.slice(layout.services[i].start, layout.services[i].end);
      const spans = memo.get(`yaml-spans-of:${chunk}`, chunk, () => yamlMultilineSpans(chunk, true));
      perService.set(i, spans?.map(([first, last]) => [first + firstLines[i], last + firstLines[i]]));
    }
    return perService.get(i) ?? all();
  };
}

/** [first line, last line] of every YAML scalar or flow collection that spans several lines; undefined for a YAML error when `clean`. */
export function yamlMultilineSpans(text: string, clean = false): Array<[number, number]> | undefined {
  const lineCounter = new LineCounter();
  // Lines are counted as LineIndex counts them, a lone \r included.
  const source = yamlSource(text);
  // Text nested deeper than the yaml parser can read has no spans (parse/yaml-depth.ts).
  if (yamlTooDeepAt(source) !== undefined) return undefined;
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(source, { lineCounter, keepSourceTokens: false });
  } catch {
    return undefined;
  }
  if (clean && doc.errors.length > 0) return undefined;
  const spans: Array<[number, number]> = [];
  const add = (node: { range?: [number, number, number] | null }) => {
    if (!node.range) return;
    const first = lineCounter.linePos(node.range[0]).line - 1;
    const last = lineCounter.linePos(Math.max(node.range[0], node.range[1] - 1)).line - 1;
    if (last > first) spans.push([first, last]);
  };
  visit(doc, {
    Scalar: (_key, node) => add(node),
    Map: (_key, node) => (node.flow ? add(node) : undefined),
    Seq: (_key, node) => (node.flow ? add(node) : undefined),
  });
  return spans;
}

// ---------------------------------------------------------------------------------------------
// Reading comments

function readComments(file: string, text: string, memo: ParseMemo): Comment[] {
  if (!text.includes("headroom-ignore") || !commentsAllowed(file)) return [];
  const kind = fileKind(file) as FileKind;
  const index = lineIndexOf(memo, file, text);
  const lines: Lines = { index, text, kind };
  const yamlSpans = yamlSpansAt(text, file, memo);
  const comments: Comment[] = [];
  for (let line = 0; line < index.lineCount; line++) {
    const lineText = index.lineText(line);
    const m = DIRECTIVE.exec(lineText);
    if (!m) continue;
    const lineStart = index.offset(line, 0);
    const rest = m[3];
    const colon = rest.indexOf(":");
    const idsText = colon < 0 ? rest : rest.slice(0, colon);
    const idsStart = lineStart + lineText.length - rest.length;
    const rules: NamedRule[] = [];
    for (const id of idsText.matchAll(/[^\s,]+/g)) {
      const start = idsStart + (id.index ?? 0);
      rules.push({ id: id[0], at: { file, start, end: start + id[0].length }, used: false });
    }
    const comment: Comment = { scope: m[2] ? "file" : "line", file, at: { file, start: lineStart + m[1].length, end: lineStart + lineText.length }, rules };
    if (comment.scope === "line") {
      let first = line + 1;
      while (first < index.lineCount && (index.lineText(first).trim() === "" || /^\s*#/.test(index.lineText(first)))) first++;
      comment.lines = { first, last: first < index.lineCount ? statementEnd(lines, first, yamlSpans) : first };
    }
    comments.push(comment);
  }
  return comments;
}

// ---------------------------------------------------------------------------------------------
// Applying them

export interface SuppressionResult {
  /** The findings given, less the suppressed ones. */
  kept: Finding[];
  /** suppress/unknown-rule and suppress/unused findings (those not themselves suppressed). */
  added: Finding[];
  suppressed: Suppressed[];
}

/**
 * Sorts out suppressed findings and reports suppress/unknown-rule and suppress/unused.
 * `isOff(rule)`: rules turned off in the configuration, whose suppressions are not "unused".
 * `memo`: the caller's parse cache, for the YAML layout of files with suppression comments.
 */
export function applySuppressions(
  findings: Finding[],
  paths: string[],
  read: (file: string) => string | undefined,
  configured: Suppression[],
  knownRules: ReadonlySet<string>,
  isOff: (rule: string) => boolean,
  memo: ParseMemo = NO_MEMO,
): SuppressionResult {
  const comments = new Map<string, Comment[]>();
  for (const path of paths) {
    const text = read(path);
    if (text !== undefined) {
      const found = readComments(path, text, memo);
      if (found.length > 0) comments.set(path, found);
    }
  }
  const entries = configured.map((s) => ({ suppression: s, matches: picomatch(s.file.value, { dot: true }), used: false }));
  const indexes = new Map<string, LineIndex>();
  const lineOf = (ref: SourceRef) => {
    let index = indexes.get(ref.file);
    if (!index) indexes.set(ref.file, (index = lineIndexOf(memo, ref.file, read(ref.file) ?? "")));
    return index.position(ref.start).line;
  };

  /** What suppresses `finding`, marking it used (unless `mark` is false). */
  const suppressor = (finding: Finding, mark: boolean): Omit<Suppressed, "finding"> | undefined => {
    for (const comment of comments.get(finding.at.file) ?? []) {
      const named = comment.rules.find((r) => r.id === finding.rule);
      if (!named) continue;
      if (comment.scope === "line") {
        const line = lineOf(finding.at);
        if (!comment.lines || line < comment.lines.first || line > comment.lines.last) continue;
      }
      if (mark) named.used = true;
      const reason = read(comment.file)?.slice(comment.at.start, comment.at.end).split(":").slice(1).join(":").trim();
      return { kind: "inSource", at: comment.at, ...(reason ? { reason } : {}) };
    }
    for (const entry of entries) {
      if (entry.suppression.rule.value !== finding.rule || !entry.matches(finding.at.file)) continue;
      if (mark) entry.used = true;
      return { kind: "external", at: entry.suppression.at, ...(entry.suppression.reason ? { reason: entry.suppression.reason } : {}) };
    }
    return undefined;
  };

  const suppressed: Suppressed[] = [];
  const unsuppressed = (finding: Finding, mark: boolean) => {
    const by = suppressor(finding, mark);
    if (by) suppressed.push({ finding, ...by });
    return !by;
  };
  const kept = findings.filter((finding) => unsuppressed(finding, true));

  const own: Finding[] = [];
  const report = (rule: string, at: SourceRef, message: string, fixes: Finding["fixes"] = []) => own.push({ rule, severity: rule === SUPPRESS_UNKNOWN_RULE ? suppressUnknownRule.severity : suppressUnused.severity, message, at, related: [], fixes });
  for (const list of comments.values()) {
    for (const comment of list) {
      const directive = comment.scope === "file" ? "headroom-ignore-file" : "headroom-ignore";
      if (comment.rules.length === 0) report(SUPPRESS_UNKNOWN_RULE, comment.at, `${directive} names no rule: write \`# ${directive} <rule-id>: reason\``);
      for (const named of comment.rules) {
        if (!knownRules.has(named.id)) report(SUPPRESS_UNKNOWN_RULE, named.at, `unknown rule "${named.id}"${suggestRule(named.id, knownRules)}: this suppression suppresses nothing`);
        else if (!named.used && !isOff(named.id) && named.id !== SUPPRESS_UNUSED && named.id !== SUPPRESS_UNKNOWN_RULE) {
          const where = comment.scope === "file" ? "in this file" : comment.lines && comment.lines.first === comment.lines.last ? `on line ${comment.lines.first + 1}` : `on lines ${(comment.lines?.first ?? 0) + 1}-${(comment.lines?.last ?? 0) + 1}`;
          report(SUPPRESS_UNUSED, named.at, `unused suppression: no ${named.id} finding ${where}`, removal(comment, named, read));
        }
      }
    }
  }
  for (const entry of entries) {
    const { rule, file, at } = entry.suppression;
    if (!entry.used && !isOff(rule.value) && at) report(SUPPRESS_UNUSED, at, `unused suppression: no ${rule.value} finding in files matching "${file.value}"`);
  }
  // Suppressions may silence these too (a file-level `headroom-ignore-file suppress/unused`), without counting as used.
  const added = own.filter((finding) => unsuppressed(finding, false));
  return { kept, added, suppressed };
}

/** A safe fix for an unused suppression: drop its rule id, or the whole comment line when it is the only one. */
function removal(comment: Comment, named: NamedRule, read: (file: string) => string | undefined): Finding["fixes"] {
  const text = read(comment.file);
  if (text === undefined) return [];
  if (comment.rules.length === 1) {
    const { start } = lineBounds(text, comment.at.start);
    const { next } = lineBounds(text, comment.at.end);
    return [{ title: `Remove the unused suppression of ${named.id}`, safe: true, edits: [{ file: comment.file, start, end: next, newText: "" }] }];
  }
  // "a, b" → drop "b" with the separator before it, or "a" with the one after it.
  const before = /[\s,]*$/.exec(text.slice(comment.at.start, named.at.start))?.[0] ?? "";
  const after = /^[\s,]*/.exec(text.slice(named.at.end, comment.at.end))?.[0] ?? "";
  const first = comment.rules[0] === named;
  const start = first ? named.at.start : named.at.start - before.length;
  const end = first ? named.at.end + after.length : named.at.end;
  return [{ title: `Remove ${named.id} from the suppression`, safe: true, edits: [{ file: comment.file, start, end, newText: "" }] }];
}

// ---------------------------------------------------------------------------------------------
// Writing them (the language server's "Suppress <rule> on this line / in this file" code actions)

/** An insertion into one file's text. */
export interface Insertion {
  start: number;
  end: number;
  newText: string;
}

/**
 * How many lines at the top a comment must not go above: a shebang, a Python or Ruby encoding line (read
 * on the first two lines only), a Dockerfile's parser directives (BuildKit stops looking for them at the
 * first other comment).
 */
function linesToKeepFirst(index: LineIndex, kind: FileKind): number {
  let line = index.lineText(0).startsWith("#!") ? 1 : 0;
  if (kind === "dockerfile") {
    while (line < index.lineCount && /^#\s*[A-Za-z][\w-]*\s*=/.test(index.lineText(line))) line++;
    return line;
  }
  for (let l = line; l < Math.min(2, index.lineCount); l++) if (/^#.*coding[:=]/.test(index.lineText(l))) line = l + 1;
  return line;
}

/**
 * For one file's text, the insertions that suppress a rule: `line(rule, at)` writes a comment line, with
 * the statement's indentation, before the first line of the statement a finding at `at` is on (never
 * inside a continued command or a YAML block, where a comment would change it); `file(rule)` writes
 * `# headroom-ignore-file <rule>` at the top, below the lines that must stay first (`line` gives nothing for
 * a finding on one of those). Undefined where no
 * comment can go (JSON, headroom.yml). The file's lines and YAML layout are worked out once, however many
 * findings it has.
 */
export function suppressionEdits(file: string, text: string, memo: ParseMemo = NO_MEMO): { line(rule: string, at: SourceRef): Insertion | undefined; file(rule: string): Insertion } | undefined {
  if (!commentsAllowed(file)) return undefined;
  const index = lineIndexOf(memo, file, text);
  const yamlSpans = yamlSpansAt(text, file, memo);
  const eol = lineBreakOf(text);
  let top: number | undefined;
  const firstFreeLine = () => (top ??= linesToKeepFirst(index, fileKind(file) as FileKind));
  return {
    line(rule, at) {
      const line = statementStart(index, file, index.position(at.start).line, yamlSpans);
      // A finding on a shebang or a parser directive (what a file lacks is reported on its first line): file-wide only.
      if (line < firstFreeLine()) return undefined;
      const indent = /^[ \t]*/.exec(index.lineText(line))?.[0] ?? "";
      const offset = index.offset(line, 0);
      return { start: offset, end: offset, newText: `${indent}# headroom-ignore ${rule}${eol}` };
    },
    file(rule) {
      const line = firstFreeLine();
      const offset = line < index.lineCount ? index.offset(line, 0) : text.length;
      // A file whose kept lines end without a line break gets one first.
      const before = offset === text.length && text.length > 0 && !/[\r\n]$/.test(text) ? eol : "";
      return { start: offset, end: offset, newText: `${before}# headroom-ignore-file ${rule}${eol}` };
    },
  };
}
