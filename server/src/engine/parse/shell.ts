// Static reader for sh/bash start scripts and command lines. It never runs anything: it finds
// the simple commands a script would run and works out the values of their arguments, each
// with the place in the workspace that decides it.
//
// Best-effort semantics, chosen for reading entrypoints rather than for exactness:
// - The script is read top to bottom once. A variable's value at a command is the last
//   assignment written above it, whatever branch it sits in (`if`, `case`, a function body
//   defined earlier); subshells and pipelines do not get scopes of their own.
// - Each command records the `if`/`case` branches it sits in (`guards`): the condition as
//   written and which branch (`then`, `else`, a `case` pattern), so rules can tell a command
//   that runs only when, say, `$DEBUG` is set. Loop conditions are not recorded.
// - Variables not assigned in the script come from `env` (the service's environment).
// - Unset positional and special parameters (`$1`, `"$@"`, `$?`) stay as written and are
//   listed in `unresolved`; so do variables with neither a value nor a default.
// - Unquoted expansions are split on blanks like the shell does (`$OPTS` holding `-w 4`
//   gives two words), and an unquoted expansion that is empty gives no word at all.
// - `$(...)`, backticks, `$((...))` and the `${...}` forms that edit a value (`${X%.*}`,
//   `${X,,}`) are kept as written and mark the word `opaque`.
// - `sh -c '...'` strings are read as nested scripts that see the outer variables; the
//   arguments after the string (`$0`, `$1`...) are not passed in.
// - Each command records the variables the script exported above it (`export X=1`, `X=1` then
//   `export X`, a `X=1 cmd` prefix, assignments after `set -a`, and assignments to a variable the
//   environment already has, which the shell exports too): what the program it runs sees on top
//   of the service's environment. A plain `X=1` stays in the script.
// - A function's body (`start_web() { …; }`, `function start_web { …; }`) is read where it is written, and each of
//   its commands records the function (`inFunction`): the model runs it where the script calls the function, with
//   the call's arguments as its "$@". A body that is not a `{ … }` group (`f() ( … )`) is read as ordinary commands.
//   Read again for one call (withFunctionArguments), its `$1`, `${2:-4}`, `local port=$1` take the call's arguments.
// - `shift` (and `shift N`) is counted in the script's top level and in each function body: each command records how
//   far its positional parameters are shifted (`shifted`). A shift that may or may not run (in a branch that has ended,
//   a loop, after `&&`/`||`) or `set -- …` leaves the count unknown from there on.
// - `unset`, `read`, `source` and loops are not followed.
// - Reading stops, with a problem, after MAX_WORDS words: no start script is that long, and it
//   bounds time and memory on huge or hostile input.

import type { Fact, ParseProblem, SourceRef } from "../types.ts";
import { Lexer, type LexMode, SourceText, type Token, type WordPart } from "./shell-lexer.ts";

/** Looks up a variable in the environment the script runs in (service env from compose/App Runner/Dockerfile ENV). */
export type EnvLookup = (name: string) => Fact<string> | undefined;

export interface ShellWord {
  /** The word as written. For a script nested in `sh -c "..."` it is the text after the outer quotes were removed. */
  raw: string;
  file: string;
  /** Exact span in the file, also for words of a nested `sh -c` script. */
  start: number;
  end: number;
  /** After quote removal and expansion; unresolved variables keep their `$NAME` text. */
  value: string;
  /**
   * Where the value comes from. For a word that is exactly one expansion (`$W`, `"${W}"`,
   * `${W:-5}`), `at` is the origin of the value: the env fact's `at`, the default inside
   * `${W:-5}`, or what an earlier `W=...` assigned (followed recursively), with `via` listing the
   * hops from the use to the origin. For any other word, `at` is the word itself.
   */
  fact: Fact<string>;
  /** The value piece by piece, each with its own origin: `-w${W:-4}` gives "-w" (in the script) and "4" (the default). See factForSlice. */
  pieces: Fact<string>[];
  /** Variables referenced that had no value and no default. */
  unresolved: readonly string[];
  /** The value holds text this reader does not evaluate (`$(...)`, backticks, `$((...))`, `${X%.*}`), kept as written. */
  opaque: boolean;
  /** Some of the word was quoted or escaped. */
  quoted: boolean;
}

export interface ShellAssignment {
  name: string;
  value: ShellWord;
  start: number;
  end: number;
}

export interface ShellCommand {
  /** After removing prefix assignments and wrappers like `exec`: `words[0]` is the program. */
  words: ShellWord[];
  /** `VAR=x cmd` prefix assignments, and those given to `env VAR=x cmd`. */
  assignments: ShellAssignment[];
  /** Started with `exec`. */
  exec: boolean;
  /** Wrapper words removed from the front: `exec`, `command`, `time`, `nohup`, `env`, `nice`, `gosu USER`, `su-exec USER`, `tini --`, `dumb-init`, `with-contenv`, `s6-setuidgid USER`, `s6-notifyoncheck`, execline's `cd DIR`, with their options. */
  wrappers: ShellWord[];
  /** Span of the whole simple command, continuation lines and redirections included. */
  start: number;
  end: number;
  /** For a command nested in `sh -c "..."`/`bash -c '...'`: the outer command. */
  parent?: ShellCommand;
  /** The function whose body the command is in (the innermost one): it runs where the script calls that function. */
  inFunction?: string;
  /**
   * How far `shift` has moved the positional parameters where the command runs (its "$@" starts at that argument), "unknown"
   * after a shift that may or may not run (the model then reads "$@" whole, as written); absent when nothing shifted.
   */
  shifted?: Shift;
  /** The `if`/`case` branches the command runs in, outermost first (those of `parent` are on it). */
  guards?: ShellGuard[];
  /**
   * What the script exports to the program (its prefix assignments included), each value's fact
   * reaching back through the export line; absent when the script exports nothing. Variables not in
   * it come from the service's environment as they were.
   */
  exported?: Map<string, Fact<string>>;
}

/** An `if`/`elif` condition (`[ "$DEBUG" ]`) or a `case` pattern (`dev|local`, with its `subject`) a command runs under. */
export interface ShellGuard {
  condition: string;
  /** `case SUBJECT in`, as written. */
  subject?: string;
  /** How far `shift` had moved the positional parameters the condition reads (`"$1"`); absent when not. */
  shifted?: Shift;
  at: SourceRef;
  /** `then`: runs when the condition holds; `else`: when it does not; `case`: the pattern matched. */
  branch: "then" | "else" | "case";
  /**
   * The conditions of the `if`/`elif`s before this one in its chain (or the patterns before this one in its `case`),
   * none of which held when this branch runs.
   */
  earlier?: string[];
}

/** Every guard a command runs under, those of the `sh -c` commands around it included. */
export function commandGuards(command: ShellCommand): ShellGuard[] {
  return [...(command.parent ? commandGuards(command.parent) : []), ...(command.guards ?? [])];
}

/** A count of `shift`s, or "unknown" after one that may or may not run. */
export type Shift = number | "unknown";

/**
 * An open `if` (reading its condition from `condStart` until `then`) or `case`, and the guard of the branch being read;
 * the shift of the body it is in when it opened, and whether one of its branches shifted.
 */
type BranchFrame = ({ kind: "if"; condStart?: number } | { kind: "case"; subject: string; fallsThrough?: boolean }) & {
  guard?: ShellGuard;
  earlier?: string[];
  body: PositionalFrame;
  shiftAtOpen: Shift;
  shifted?: boolean;
};

/** The positional parameters of the script's top level or of a function body being read. */
interface PositionalFrame {
  shift: Shift;
  /** `do … done` loops open in this body: a shift inside one runs an unknown number of times. */
  loops: number;
  /** The call's arguments, when the body is read for one call; `complete`: no argument after them (none was an unknown "$@"). */
  args?: readonly PositionalArgument[];
  complete?: boolean;
}

/** An argument a function is called with (a word of the call, or of the command that named the function). */
export interface PositionalArgument {
  value: string;
  fact: Fact<string>;
  pieces?: Fact<string>[];
  unresolved?: readonly string[];
  opaque?: boolean;
}

export interface ShellVariable {
  value: ShellWord;
  /** Span of the assignment (`W=5`, `${W:=5}`). */
  start: number;
  end: number;
  exported: boolean;
}

export interface ShellScript {
  file: string;
  /** Every simple command with a program, in order, inside `if`/`&&`/`||`/`;`/pipelines/functions/subshells and `sh -c` strings too. Pure assignments are in `variables` instead. */
  commands: ShellCommand[];
  /** Assignments seen (`X=1`, `export X=1`, `: ${X:=1}`), in order. */
  variables: Map<string, ShellVariable[]>;
  /** The functions the script defines with a `{ … }` body, by name; absent when it defines none. */
  functions?: ReadonlySet<string>;
  /** Unterminated quotes and the like, all warnings. Reading never throws. */
  problems: ParseProblem[];
}

/** File spans of each character of a command line taken from a quoted string (a JSON or YAML value with escapes). */
export interface CharSpans {
  starts: ArrayLike<number>;
  ends: ArrayLike<number>;
}

export function parseShellScript(text: string, file: string, env?: EnvLookup): ShellScript {
  return readScript(new SourceText(text, file, 0), env);
}

/**
 * Split one command line (a compose `command:` string, a Dockerfile shell-form CMD, a Procfile
 * command, an App Runner StartCommand) that starts at `baseOffset` in `file`. When the text was
 * decoded from a quoted string, `charSpans` gives each character's span in the file instead.
 */
export function parseCommandLine(text: string, file: string, baseOffset: number, env?: EnvLookup, charSpans?: CharSpans): ShellScript {
  return readScript(new SourceText(text, file, baseOffset, charSpans?.starts, charSpans?.ends), env);
}

/**
 * The fact for part of a word's value, such as the `4` of `-w4` or the port of `0.0.0.0:${PORT:-8000}`:
 * the piece it lies in when it lies in one (narrowed to the characters when they map one to one
 * onto the file), else the word.
 */
export function factForSlice(word: Pick<ShellWord, "value" | "fact" | "pieces" | "file" | "start" | "end">, from: number, to: number = word.value.length): Fact<string> {
  if (from <= 0 && to >= word.value.length) return word.fact;
  let offset = 0;
  for (const piece of word.pieces) {
    const pieceEnd = offset + piece.value.length;
    if (from >= offset && to <= pieceEnd) return sliceFact(piece, from - offset, to - offset);
    offset = pieceEnd;
  }
  return { value: word.value.slice(from, to), origin: "stated", at: { file: word.file, start: word.start, end: word.end } };
}

function sliceFact(fact: Fact<string>, from: number, to: number): Fact<string> {
  if (from === 0 && to === fact.value.length) return fact;
  const at = fact.at;
  const mapsOneToOne = at !== undefined && at.end - at.start === fact.value.length;
  return {
    ...fact,
    value: fact.value.slice(from, to),
    at: mapsOneToOne ? { file: at.file, start: at.start + from, end: at.start + to } : at,
  };
}

// ---------------------------------------------------------------------------------------------

interface Piece {
  fact: Fact<string>;
  /** came from an unquoted expansion, so blanks in it separate words */
  splittable: boolean;
}

interface Expansion {
  pieces: Piece[];
  unresolved: readonly string[];
  opaque: boolean;
  /** set when the parts are a single expansion: the fact of its value */
  fact?: Fact<string>;
}

interface Shared {
  file: string;
  env: EnvLookup | undefined;
  commands: ShellCommand[];
  variables: Map<string, ShellVariable[]>;
  problems: ParseProblem[];
  /** facts standing for values not known (unresolved `$X`, `$(...)`), kept whole when a variable holding them is split */
  placeholders: WeakSet<Fact<string>>;
  /** words left to read before giving up on a huge input */
  wordBudget: number;
  /** The names of the functions defined with a `{ … }` body so far (ShellScript.functions). */
  functions: Set<string>;
  /** The functions whose bodies read a positional parameter (`$1`, `${2:-4}`): a call's arguments change what they run. */
  readsPositional: Set<string>;
  /** The function whose body is read for one call, with that call's arguments (withFunctionArguments). */
  bound?: BoundCall;
}

interface BoundCall {
  name: string;
  args: readonly PositionalArgument[];
  complete: boolean;
}

/** Variables visible to a script; a `sh -c` script sees its parent's but its own assignments stay inside. */
class Scope {
  private readonly latest = new Map<string, ShellVariable>();
  /** Names exported in this scope, each with the fact of its value as the export left it. */
  private readonly exports = new Map<string, Fact<string>>();
  /** `set -a`: every assignment is exported. */
  allExport: boolean;
  constructor(private readonly parent?: Scope) {
    this.allExport = parent?.allExport ?? false;
  }
  get(name: string): ShellVariable | undefined {
    return this.latest.get(name) ?? this.parent?.get(name);
  }
  set(name: string, variable: ShellVariable): void {
    this.latest.set(name, variable);
  }
  export(name: string, fact: Fact<string>): void {
    this.exports.set(name, fact);
  }
  /** Every export visible here, those of this scope over its parent's; undefined when there is none. */
  exported(): Map<string, Fact<string>> | undefined {
    const outer = this.parent?.exported();
    if (this.exports.size === 0) return outer;
    return outer ? new Map([...outer, ...this.exports]) : new Map(this.exports);
  }
}

interface WrapperSpec {
  optionsWithValue: string[];
  /** arguments before the program, such as gosu's user */
  operands?: number;
  /** `env` takes NAME=value arguments before the program */
  assignments?: boolean;
  /** options that make it something other than a wrapper (`command -v`) */
  notWrapperWith?: string[];
}

const WRAPPERS: Record<string, WrapperSpec> = {
  exec: { optionsWithValue: ["-a"] },
  command: { optionsWithValue: [], notWrapperWith: ["-v", "-V"] },
  time: { optionsWithValue: [] },
  nohup: { optionsWithValue: [] },
  env: { optionsWithValue: ["-u", "--unset", "-C", "--chdir"], assignments: true },
  nice: { optionsWithValue: ["-n", "--adjustment"] },
  gosu: { optionsWithValue: [], operands: 1 },
  "su-exec": { optionsWithValue: [], operands: 1 },
  tini: { optionsWithValue: ["-e", "-p"] },
  // s6-overlay's: the container's environment, a user to run as, a readiness check before the program.
  "with-contenv": { optionsWithValue: [] },
  "s6-setuidgid": { optionsWithValue: [], operands: 1 },
  "s6-notifyoncheck": { optionsWithValue: ["-3", "-s", "-T", "-t", "-w", "-n", "-c"] },
  // execline's `cd DIR PROG…`, as s6-notifyoncheck runs it in s6-overlay's run scripts; the shell's own `cd DIR` runs nothing after it.
  cd: { optionsWithValue: [], operands: 1 },
  "dumb-init": { optionsWithValue: ["-r", "--rewrite"] },
};

/**
 * Exported values the shell computes when the script runs (`export WEB_CONCURRENCY=$(( $(nproc) * 2 + 1 ))`),
 * kept as written: the program gets the result, not the text. A value from compose, a .env file or ENV is
 * never evaluated like this, so only these may be read as a computation (model/build.ts).
 */
const COMPUTED_BY_SHELL = new WeakSet<Fact<string>>();

export function isComputedByShell(fact: Fact<string>): boolean {
  return COMPUTED_BY_SHELL.has(fact);
}

const DECLARATION_COMMANDS = new Set(["export", "readonly", "local", "declare", "typeset"]);
const SHELLS = new Set(["sh", "bash", "dash", "ash", "zsh", "ksh"]);
const MAX_NESTED_SCRIPTS = 8;
/** Real start scripts have a few thousand words; past this the input is not one, and reading stops to bound memory. */
const MAX_WORDS = 100_000;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const POSITIONAL = /^[1-9][0-9]*$/;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)(\+?)=/;
const FIELD_SEPARATORS = " \t\n";

function readScript(src: SourceText, env: EnvLookup | undefined, bound?: BoundCall): ShellScript {
  const shared: Shared = { file: src.file, env, commands: [], variables: new Map(), problems: [], placeholders: new WeakSet(), wordBudget: MAX_WORDS, functions: new Set(), readsPositional: new Set() };
  if (bound) shared.bound = bound;
  new SourceReader(shared, src, new Scope(), undefined, 0).run();
  const script: ShellScript = { file: src.file, commands: shared.commands, variables: shared.variables, problems: shared.problems };
  if (shared.functions.size > 0) script.functions = shared.functions;
  if (!bound && shared.readsPositional.size > 0) {
    rereadable.set(script, { src, env, readsPositional: shared.readsPositional, words: MAX_WORDS - shared.wordBudget, budget: MAX_WORDS, reads: new Map() });
  }
  return script;
}

/** What reading a script again for one function call needs: its source, and the words such readings may still take. */
interface Rereadable {
  src: SourceText;
  env: EnvLookup | undefined;
  readsPositional: ReadonlySet<string>;
  /** Words the script has: one more reading costs that much of the budget. */
  words: number;
  budget: number;
  /** The readings made, by function and arguments. */
  reads: Map<string, ShellScript>;
}

const rereadable = new WeakMap<ShellScript, Rereadable>();

/**
 * The script read for one call of the function `name` with `args`: in that function's body `$1`, `${2:-4}` and
 * `local port=$1` are those arguments (shifted as the body shifts them). An argument that is an unknown "$@" ends what is
 * known. The script itself when the function reads no positional parameter, or once the readings have taken as many
 * words as one huge script would (hostile input calls a function many times).
 */
export function withFunctionArguments(script: ShellScript, name: string, args: readonly PositionalArgument[]): ShellScript {
  const source = rereadable.get(script);
  if (!source?.readsPositional.has(name)) return script;
  const unknownAt = args.findIndex((arg) => arg.value === "$@" || arg.value === "$*");
  const known = unknownAt < 0 ? args : args.slice(0, unknownAt);
  let key = name;
  for (const arg of known) key += `\0${arg.value}\0${arg.fact.at?.file}:${arg.fact.at?.start}`;
  if (unknownAt >= 0) key += "\0$@";
  const seen = source.reads.get(key);
  if (seen) return seen;
  if (source.budget < source.words) return script;
  source.budget -= source.words;
  const read = readScript(source.src, source.env, { name, args: known, complete: unknownAt < 0 });
  source.reads.set(key, read);
  return read;
}

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** The text of a word made of one unquoted literal: how reserved words must be written. */
function plainText(token: Token): string | undefined {
  if (token.kind !== "word" || token.parts.length !== 1) return undefined;
  const part = token.parts[0];
  return part.kind === "literal" && !part.quoted ? part.text : undefined;
}

/** The text of a word without expansions (quotes removed). */
function literalText(token: Token | undefined): string | undefined {
  if (token?.kind !== "word") return undefined;
  let text = "";
  for (const part of token.parts) {
    if (part.kind !== "literal") return undefined;
    text += part.text;
  }
  return text;
}

function isAssignment(token: Token | undefined): boolean {
  const first = token?.kind === "word" ? token.parts[0] : undefined;
  return first?.kind === "literal" && !first.quoted && ASSIGNMENT.test(first.text);
}

type WordToken = Extract<Token, { kind: "word" }>;

/**
 * The outermost `if`/`case` branches a command records. Real scripts nest a few; a file of thousands of
 * unclosed `if … then` made every command copy every branch above it (4,700 deep: 3 s in one audit).
 */
const MAX_GUARD_DEPTH = 64;

/** The end of one branch of an `if`/`case`: whether it shifted, and the count the next branch starts from. */
function endArm(frame: BranchFrame): void {
  if (frame.body.shift !== frame.shiftAtOpen) frame.shifted = true;
  frame.body.shift = frame.shiftAtOpen;
}

const shiftedBy = (shift: Shift): { shifted?: Shift } => (shift === 0 ? {} : { shifted: shift });

class SourceReader {
  private readonly lexer: Lexer;
  private peeked: Token | undefined;
  private words: WordToken[] = [];
  private assignmentTokens: WordToken[] = [];
  private spanStart = -1;
  private spanEnd = -1;
  private readonly branches: BranchFrame[] = [];
  /** A function named (`name()`, `function name`) whose body has not begun: the next `{` opens it. */
  private pendingFunction: string | undefined;
  /** `{ … }` groups open, and the function bodies among them (with the group depth each opened at). */
  private braceDepth = 0;
  private readonly functionBodies: Array<{ name: string; depth: number }> = [];
  /** The positional parameters of the top level, then of each function body open (innermost last). */
  private readonly positional: PositionalFrame[] = [{ shift: 0, loops: 0 }];
  /** Group depths of the `{ … }` opened after `&&`/`||` (`[ "$1" = -- ] && { shift; }`): what runs inside may not. */
  private readonly conditionalGroups: number[] = [];
  /** The last operator was `&&`, `||` or a pipe: the command read next may not run, or runs in a subshell. */
  private afterAndOr = false;
  /** Reading the value of a persistent assignment (`X=$1`, `local port=$1`). */
  private inAssignment = false;

  constructor(
    private readonly shared: Shared,
    private readonly src: SourceText,
    private readonly scope: Scope,
    private readonly parent: ShellCommand | undefined,
    private readonly depth: number,
  ) {
    this.lexer = new Lexer(src, shared.problems);
  }

  run(): void {
    const caseStates: Array<"pattern" | "body"> = [];
    let inDoubleBracket = false;
    for (;;) {
      const atCommandStart = this.words.length === 0 && this.assignmentTokens.length === 0;
      const token = this.next({ arith: atCommandStart, doubleBracket: inDoubleBracket });
      if (token.kind === "eof" || this.overBudget(token)) break;
      if (inDoubleBracket) {
        // newlines and operators inside [[ ]] belong to the test
        if (token.kind === "word") {
          this.addWord(token);
          if (plainText(token) === "]]") inDoubleBracket = false;
        }
        continue;
      }
      if (token.kind === "redirect") {
        this.extendSpan(token);
        continue;
      }
      if (token.kind === "arith") {
        this.finish();
        continue;
      }
      if (token.kind === "op") {
        this.onOperator(token, caseStates);
        continue;
      }
      if (atCommandStart) {
        const top = caseStates.length - 1;
        const keyword = plainText(token);
        if (caseStates[top] === "pattern") {
          if (keyword === "esac") {
            caseStates.pop();
            this.closeBranch("case");
          } else {
            const end = this.skipCasePattern();
            const frame = this.branches[this.branches.length - 1];
            if (frame?.kind === "case") {
              endArm(frame);
              if (frame.guard) (frame.earlier ??= []).push(frame.guard.condition);
              const earlier = frame.earlier && !frame.fallsThrough ? { earlier: [...frame.earlier] } : {};
              frame.guard = { condition: this.src.text.slice(token.start, end).trim(), subject: frame.subject, at: this.ref(token.start, end), branch: "case", ...earlier, ...shiftedBy(frame.shiftAtOpen) };
            }
            caseStates[top] = "body";
          }
          continue;
        }
        if (keyword !== "{") this.pendingFunction = undefined;
        if (this.onBranchKeyword(keyword, token)) continue;
        switch (keyword) {
          case "{":
            this.openGroup();
            continue;
          case "}":
            this.closeGroup();
            continue;
          case "do":
            this.body().loops++;
            continue;
          case "done":
            if (this.body().loops > 0) this.body().loops--;
            continue;
          case "while":
          case "until":
          case "!":
          case "coproc":
            continue;
          case "esac":
            caseStates.pop();
            this.closeBranch("case");
            continue;
          case "case":
            this.branches.push({ kind: "case", subject: this.skipCaseHead(), ...this.branchShift() });
            caseStates.push("pattern");
            continue;
          case "for":
          case "select":
            this.skipLoopHead();
            continue;
          case "function":
            this.skipFunctionName();
            continue;
          case "[[":
            inDoubleBracket = true;
            break;
        }
      }
      if (this.words.length === 0 && isAssignment(token)) {
        this.assignmentTokens.push(token);
        this.extendSpan(token);
      } else {
        this.addWord(token);
      }
    }
    this.finish();
  }

  /** Counts words against the budget; reports once when it runs out. */
  private overBudget(token: Token): boolean {
    if (token.kind !== "word") return this.shared.wordBudget < 0;
    this.shared.wordBudget--;
    if (this.shared.wordBudget === -1) {
      this.shared.problems.push({
        message: `Stopped reading here: more than ${MAX_WORDS} words is not a start script this reader can follow`,
        severity: "warning",
        at: this.ref(token.start, token.end),
      });
    }
    return this.shared.wordBudget < 0;
  }

  private next(mode: LexMode = {}): Token {
    const token = this.peeked ?? this.lexer.next(mode);
    this.peeked = undefined;
    return token;
  }

  private addWord(token: WordToken): void {
    this.words.push(token);
    this.extendSpan(token);
  }

  private extendSpan(token: Token): void {
    if (this.spanStart < 0) this.spanStart = token.start;
    this.spanEnd = token.end;
  }

  private onOperator(token: Extract<Token, { kind: "op" }>, caseStates: Array<"pattern" | "body">): void {
    if (token.op === "(") {
      if (this.words.length === 1 && this.assignmentTokens.length === 0) {
        const close = this.next();
        if (close.kind === "op" && close.op === ")") {
          // `name() { ... }`: a function definition; its body is read where it is written (openGroup)
          this.pendingFunction = literalText(this.words[0]);
          this.words = [];
          this.spanStart = -1;
          return;
        }
        this.peeked = close;
      }
      if (this.words.length === 0) return; // a subshell
    }
    const ended = this.words.length > 0 || this.assignmentTokens.length > 0;
    this.finish();
    // `cond ||` at a line's end: the next line's command is still the one that may not run.
    if (ended || token.op !== "\n") this.afterAndOr = token.op === "&&" || token.op === "||" || token.op === "|" || token.op === "|&";
    const top = caseStates.length - 1;
    if ((token.op === ";;" || token.op === ";&" || token.op === ";;&") && caseStates[top] === "body") {
      caseStates[top] = "pattern";
      // `;&` and `;;&` go on to the next patterns: which one ran first no longer rules the others out.
      const frame = this.branches[this.branches.length - 1];
      if (token.op !== ";;" && frame?.kind === "case") frame.fallsThrough = true;
    }
  }

  /** `if`/`elif`/`then`/`else`/`fi`: keeps the guard of the branch being read; true when `keyword` was one of them. */
  private onBranchKeyword(keyword: string | undefined, token: Token): boolean {
    const frame = this.branches[this.branches.length - 1];
    const open = frame?.kind === "if" ? frame : undefined;
    switch (keyword) {
      case "if":
        this.branches.push({ kind: "if", condStart: token.end, ...this.branchShift() });
        return true;
      case "elif":
        if (open) {
          endArm(open);
          if (open.guard) (open.earlier ??= []).push(open.guard.condition);
          open.condStart = token.end;
          open.guard = undefined;
        }
        return true;
      case "then":
        if (open?.condStart !== undefined) {
          const condition = this.src.text.slice(open.condStart, token.start).replace(/[\s;]+$/, "").trim();
          open.guard = { condition, at: this.ref(open.condStart, token.start), branch: "then", ...(open.earlier ? { earlier: [...open.earlier] } : {}), ...shiftedBy(open.shiftAtOpen) };
          open.condStart = undefined;
        }
        return true;
      case "else":
        if (open) endArm(open);
        if (open?.guard) open.guard = { ...open.guard, branch: "else" };
        return true;
      case "fi":
        this.closeBranch("if");
        return true;
      default:
        return false;
    }
  }

  /** Closes the innermost open branch of this kind (and any left open inside it by a malformed script). */
  private closeBranch(kind: BranchFrame["kind"]): void {
    const index = this.branches.map((frame) => frame.kind).lastIndexOf(kind);
    if (index < 0) return;
    // After the branches, a shift that only some of them made leaves the count unknown.
    for (let i = this.branches.length - 1; i >= index; i--) {
      const frame = this.branches[i];
      endArm(frame);
      if (frame.shifted) frame.body.shift = "unknown";
    }
    this.branches.length = index;
  }

  /** The body being read: the innermost function body open, else the top level. */
  private body(): PositionalFrame {
    return this.positional[this.positional.length - 1];
  }

  /** What a branch opening now keeps of the shift: the body's count, restored at each of its branches. */
  private branchShift(): { body: PositionalFrame; shiftAtOpen: Shift } {
    const body = this.body();
    return { body, shiftAtOpen: body.shift };
  }

  /** `case WORD in`; returns WORD as written. */
  private skipCaseHead(): string {
    const subject = this.next();
    const written = subject.kind === "word" ? this.src.text.slice(subject.start, subject.end) : "";
    let token = this.next();
    while (token.kind === "op" && token.op === "\n") token = this.next();
    if (plainText(token) !== "in") this.peeked = token;
    return written;
  }

  /** A case pattern up to its `)`; returns where the pattern ends (before the `)`). */
  private skipCasePattern(): number {
    for (;;) {
      const token = this.next();
      if (token.kind === "eof") {
        this.peeked = token;
        return token.start;
      }
      if (token.kind === "op" && token.op === ")") return token.start;
    }
  }

  /** `for NAME in WORDS;` or `for ((...));` up to `do` or the end of the line. */
  private skipLoopHead(): void {
    let token = this.next({ arith: true });
    while (token.kind !== "eof" && !(token.kind === "op" && (token.op === ";" || token.op === "\n")) && plainText(token) !== "do") {
      token = this.next();
    }
    if (token.kind === "eof") this.peeked = token;
  }

  /** `{` at a command's start: a group, or the body of the function just named. */
  private openGroup(): void {
    this.braceDepth++;
    const name = this.pendingFunction;
    if (name === undefined) {
      if (this.afterAndOr) this.conditionalGroups.push(this.braceDepth);
      return;
    }
    this.functionBodies.push({ name, depth: this.braceDepth });
    this.shared.functions.add(name);
    const bound = this.shared.bound?.name === name ? this.shared.bound : undefined;
    this.positional.push(bound ? { shift: 0, loops: 0, args: bound.args, complete: bound.complete } : { shift: 0, loops: 0 });
    this.pendingFunction = undefined;
  }

  /** `}` at a command's start: closes the innermost group, and the function body it is. */
  private closeGroup(): void {
    if (this.functionBodies[this.functionBodies.length - 1]?.depth === this.braceDepth) {
      this.functionBodies.pop();
      this.positional.pop();
    }
    if (this.conditionalGroups[this.conditionalGroups.length - 1] === this.braceDepth) this.conditionalGroups.pop();
    if (this.braceDepth > 0) this.braceDepth--;
  }

  /** `shift`, `shift 2`: the body's positional parameters move on; by an unknown count when the shift may not run. */
  private onShift(args: ShellWord[]): void {
    const body = this.body();
    if (body.shift === "unknown") return;
    const count = args.length === 0 ? 1 : args.length === 1 && /^\d+$/.test(args[0].value) ? Number(args[0].value) : undefined;
    const mayNotRun = this.afterAndOr || body.loops > 0 || this.conditionalGroups.length > 0;
    body.shift = count === undefined || mayNotRun ? "unknown" : body.shift + count;
  }

  /**
   * The argument a positional parameter (`$1`, `${2}`) names in a function body read for one call: the word, null when the
   * call gave fewer arguments, undefined when it cannot be told (another body, a shift of unknown count, a loop, which reads
   * it once per pass, or an assignment inside a branch, which the script keeps whichever branch runs).
   */
  private positionalArgument(name: string): PositionalArgument | null | undefined {
    const body = this.body();
    if (!body.args || body.shift === "unknown" || body.loops > 0) return undefined;
    if (this.inAssignment && this.branches.some((frame) => frame.body === body)) return undefined;
    const index = Number(name) - 1 + body.shift;
    if (index < body.args.length) return body.args[index];
    return body.complete ? null : undefined;
  }

  /** `function NAME`, `function NAME()` */
  private skipFunctionName(): void {
    this.pendingFunction = literalText(this.next());
    const open = this.next();
    if (open.kind === "op" && open.op === "(") {
      const close = this.next();
      if (!(close.kind === "op" && close.op === ")")) this.peeked = close;
    } else {
      this.peeked = open;
    }
  }

  private finish(): void {
    const tokens = this.words;
    const assignmentTokens = this.assignmentTokens;
    const span = this.spanStart < 0 ? undefined : this.src.span(this.spanStart, this.spanEnd);
    this.words = [];
    this.assignmentTokens = [];
    this.spanStart = -1;
    if (tokens.length === 0 || !span) {
      for (const token of assignmentTokens) this.assignVariable(token, false);
      return;
    }
    const assignments = assignmentTokens.map((token) => this.assignment(token).assignment);
    const wrappers: ShellWord[] = [];
    const exec = literalText(tokens[0]) === "exec";
    let index = 0;
    for (;;) {
      const name = literalText(tokens[index]);
      const spec = name === undefined ? undefined : WRAPPERS[basename(name)];
      if (!spec || spec.notWrapperWith?.includes(literalText(tokens[index + 1]) ?? "")) break;
      let next = index + 1;
      while (next < tokens.length) {
        const option = literalText(tokens[next]);
        if (option === "--") {
          next++;
          break;
        }
        // a lone `-` is an operand, except for env where it means -i
        if (option === undefined || !option.startsWith("-") || (option === "-" && !spec.assignments)) break;
        next += spec.optionsWithValue.includes(option) ? 2 : 1;
      }
      next += spec.operands ?? 0;
      const wrapperEnd = next;
      while (spec.assignments && isAssignment(tokens[next])) next++;
      // with nothing to run, the wrapper is the program itself (`exec >log 2>&1`, `env`)
      if (next >= tokens.length) break;
      for (const token of tokens.slice(index, wrapperEnd)) wrappers.push(...this.expandWord(token, false));
      for (const token of tokens.slice(wrapperEnd, next)) assignments.push(this.assignment(token).assignment);
      index = next;
    }
    const words: ShellWord[] = [];
    const wordTokens: WordToken[] = [];
    const program = literalText(tokens[index]);
    const declares = program !== undefined && DECLARATION_COMMANDS.has(program);
    const exports = program === "export" || (declares && tokens.some((token) => /^-[a-zA-Z]*x/.test(literalText(token) ?? "")));
    for (let i = index; i < tokens.length; i++) {
      const token = tokens[i];
      let expanded: ShellWord[];
      if (declares && i > index && isAssignment(token)) {
        expanded = [this.assignVariable(token, exports)];
      } else {
        expanded = this.expandWord(token, true);
        const name = literalText(token);
        if (declares && exports && i > index && name !== undefined && NAME.test(name)) this.markExported(name, span);
      }
      for (const word of expanded) {
        words.push(word);
        wordTokens.push(token);
      }
    }
    if (program === "set") this.onSetOptions(words.slice(1));
    const command: ShellCommand = { words, assignments, exec, wrappers, start: span.start, end: span.end, ...shiftedBy(this.body().shift) };
    if (program === "shift" && index === 0) this.onShift(words.slice(1));
    if (this.parent) command.parent = this.parent;
    const inFunction = this.functionBodies[this.functionBodies.length - 1]?.name ?? this.parent?.inFunction;
    if (inFunction !== undefined) command.inFunction = inFunction;
    const exported = this.exportedTo(assignments);
    if (exported) command.exported = exported;
    const guards = this.branches.slice(0, MAX_GUARD_DEPTH).flatMap((frame) => frame.guard ?? []);
    if (guards.length > 0) command.guards = guards;
    this.shared.commands.push(command);
    this.readNestedScript(command, wordTokens);
  }

  /** `export NAME` of a variable assigned above: the program gets its value from here on, through `span` (the export command). */
  private markExported(name: string, span: { start: number; end: number }): void {
    const variable = this.scope.get(name);
    if (!variable) return;
    variable.exported = true;
    this.scope.export(name, this.exportFact(name, variable.value, span));
  }

  /** The value's fact with a hop to the assignment that exports it, so a finding on the value shows how the program gets it. */
  private exportFact(name: string, value: ShellWord, span: { start: number; end: number }): Fact<string> {
    const written = `${name}=${value.raw}`;
    const hop = { at: { file: this.shared.file, start: span.start, end: span.end }, note: `exported: ${written.length > 80 ? `${written.slice(0, 79)}…` : written}` };
    const fact = this.withVia(value.fact, [hop]);
    if (value.opaque) COMPUTED_BY_SHELL.add(fact);
    return fact;
  }

  /** The environment a command's program gets from the script: its exports, then the command's own prefix assignments. */
  private exportedTo(assignments: ShellAssignment[]): Map<string, Fact<string>> | undefined {
    const exported = this.scope.exported();
    if (assignments.length === 0) return exported;
    const environment = new Map(exported);
    for (const assignment of assignments) environment.set(assignment.name, this.exportFact(assignment.name, assignment.value, assignment));
    return environment;
  }

  /** `set -a` / `set +a` (also within `-ea`, `-o allexport`): whether later assignments are exported. */
  private onSetOptions(args: ShellWord[]): void {
    for (let i = 0; i < args.length; i++) {
      const option = args[i].value;
      if (option === "--" || !/^[-+]/.test(option)) {
        // `set -- a b`, `set a b`: new positional parameters, which this reader does not follow
        this.body().shift = "unknown";
        return;
      }
      if (/^[-+][A-Za-z]*o$/.test(option)) {
        // `-o NAME`, `-euo pipefail`: the word after is the option's name
        if (args[i + 1]?.value === "allexport") this.scope.allExport = option.startsWith("-");
        i++;
      } else if (/^[-+][A-Za-z]*a[A-Za-z]*$/.test(option)) this.scope.allExport = option.startsWith("-");
    }
  }

  /** Splits `NAME=value` (or `NAME+=value`) into its name and value word. */
  private assignment(token: WordToken): { assignment: ShellAssignment; append: boolean; valueStart: number } {
    const first = token.parts[0] as Extract<WordPart, { kind: "literal" }>;
    const match = ASSIGNMENT.exec(first.text) as RegExpExecArray;
    const valueStart = first.start + match[0].length;
    const rest = first.text.slice(match[0].length);
    const parts: WordPart[] = rest ? [{ ...first, text: rest, start: valueStart }, ...token.parts.slice(1)] : token.parts.slice(1);
    const value = this.wordFrom(this.expandParts(parts, false), parts, valueStart, token.end, false)[0];
    const span = this.src.span(token.start, token.end);
    return { assignment: { name: match[1], value, start: span.start, end: span.end }, append: match[2] === "+", valueStart };
  }

  /** A persistent assignment (`X=1`, `export X=1`); returns the whole `X=1` word. */
  private assignVariable(token: WordToken, exported: boolean): ShellWord {
    this.inAssignment = true;
    const { assignment, append, valueStart } = this.assignment(token);
    this.inAssignment = false;
    const previous = this.scope.get(assignment.name);
    const value = append && previous ? this.concat(previous.value, assignment.value) : assignment.value;
    // A variable the script got from its environment is exported already: assigning it changes what programs get.
    const inherited = !previous && this.shared.env?.(assignment.name) !== undefined;
    const variable = { value, start: assignment.start, end: assignment.end, exported: exported || this.scope.allExport || inherited || (previous?.exported ?? false) };
    this.setVariable(assignment.name, variable);
    if (variable.exported) this.scope.export(assignment.name, this.exportFact(assignment.name, value, variable));
    return this.withPrefix(this.src.text.slice(token.start, valueStart), token, assignment.value);
  }

  private setVariable(name: string, variable: ShellVariable): void {
    this.scope.set(name, variable);
    const seen = this.shared.variables.get(name);
    if (seen) seen.push(variable);
    else this.shared.variables.set(name, [variable]);
  }

  /** `NAME=` followed by the value word, as the single word a declaration command receives. */
  private withPrefix(prefix: string, token: WordToken, value: ShellWord): ShellWord {
    const span = this.src.span(token.start, token.end);
    const prefixFact: Fact<string> = { value: prefix, origin: "stated", at: this.ref(token.start, token.start + prefix.length) };
    return {
      ...value,
      raw: this.src.text.slice(token.start, token.end),
      start: span.start,
      end: span.end,
      value: prefix + value.value,
      fact: { value: prefix + value.value, origin: "stated", at: { file: this.shared.file, ...span } },
      pieces: [prefixFact, ...value.pieces],
    };
  }

  /** `X+=more`: the earlier value followed by the new one. */
  private concat(before: ShellWord, after: ShellWord): ShellWord {
    const value = before.value + after.value;
    return {
      ...after,
      value,
      fact: { value, origin: "stated", at: { file: after.file, start: after.start, end: after.end } },
      pieces: [...before.pieces, ...after.pieces],
      unresolved: [...new Set([...before.unresolved, ...after.unresolved])],
      opaque: before.opaque || after.opaque,
    };
  }

  private expandWord(token: WordToken, split: boolean): ShellWord[] {
    return this.wordFrom(this.expandParts(token.parts, false), token.parts, token.start, token.end, split);
  }

  /** The word(s) that expanded parts between two indexes give: several when unquoted expansions split. */
  private wordFrom(expansion: Expansion, parts: WordPart[], from: number, to: number, split: boolean): ShellWord[] {
    const at = this.ref(from, to);
    const shape: WordShape = {
      raw: this.src.text.slice(from, to),
      file: this.shared.file,
      start: at.start,
      end: at.end,
      unresolved: expansion.unresolved.length > 1 ? [...new Set(expansion.unresolved)] : expansion.unresolved.length === 1 ? expansion.unresolved : NONE_UNRESOLVED,
      opaque: expansion.opaque,
      quoted: parts.some((part) => part.quoted),
    };
    const needsSplitting = split && expansion.pieces.some((piece) => piece.splittable && /[ \t\n]/.test(piece.fact.value));
    if (!needsSplitting) {
      const vanishes = split && expansion.pieces.every((piece) => piece.splittable && piece.fact.value === "");
      return vanishes ? [] : [makeWord(shape, at, expansion.pieces, expansion.fact)];
    }
    return splitFields(expansion.pieces).map((field) => makeWord(shape, at, field, field.length === 1 ? field[0].fact : undefined));
  }

  private expandParts(parts: WordPart[], inArgument: boolean): Expansion {
    const pieces: Piece[] = [];
    const unresolved: string[] = [];
    let opaque = false;
    let fact: Fact<string> | undefined;
    let meaningful = 0;
    for (const part of parts) if (!(part.kind === "literal" && part.text === "")) meaningful++;
    for (const part of parts) {
      const at = this.ref(part.start, part.end);
      if (part.kind === "literal") {
        // literal text inside an unquoted `${X:-a b}` splits like the expansion it is part of
        pieces.push({ fact: { value: part.text, origin: "stated", at }, splittable: inArgument && !part.quoted });
      } else if (part.kind === "opaque") {
        pieces.push({ fact: this.placeholder(this.src.text.slice(part.start, part.end), at), splittable: false });
        opaque = true;
      } else {
        const result = this.expandParam(part);
        pieces.push(...result.pieces);
        if (part.quoted && result.pieces.length === 0) pieces.push({ fact: { value: "", origin: "stated", at }, splittable: false });
        unresolved.push(...result.unresolved);
        opaque ||= result.opaque;
        if (meaningful === 1) fact = result.fact;
      }
    }
    return { pieces, unresolved, opaque, fact };
  }

  private expandParam(part: Extract<WordPart, { kind: "param" }>): Expansion & { fact: Fact<string> } {
    const at = this.ref(part.start, part.end);
    const raw = this.src.text.slice(part.start, part.end);
    const hop = { at, note: raw };
    const variable = this.scope.get(part.name);
    const argument = POSITIONAL.test(part.name) ? this.positionalParameter(part.name) : undefined;
    const envFact = variable || !NAME.test(part.name) ? undefined : this.shared.env?.(part.name);
    const value = variable ? variable.value.value : (argument?.value ?? envFact?.value);
    const isSet = value !== undefined;
    switch (part.op) {
      case "#": {
        const fact: Fact<string> = { value: String(value?.length ?? 0), origin: "stated", at };
        return { pieces: [{ fact, splittable: false }], fact, unresolved: [], opaque: false };
      }
      case ":-":
      case "-":
      case ":=":
      case "=":
        if (isSet && (value !== "" || !part.op.startsWith(":"))) return argument ? this.fromCallArgument(argument, part, hop) : this.currentValue(part, variable, envFact, hop);
        return this.fromArgument(part, hop, part.op.endsWith("="));
      case ":+":
      case "+":
        if (isSet && (value !== "" || part.op === "+")) return this.fromArgument(part, hop, false);
        return { pieces: [], fact: { value: "", origin: "stated", at }, unresolved: [], opaque: false };
      default:
        // plain `$X`, and `${X:?message}` which stops the script when X is missing
        return argument ? this.fromCallArgument(argument, part, hop) : this.currentValue(part, variable, envFact, hop);
    }
  }

  /** `$1` in a function body: the argument of the call it is read for; the body is one whose calls change what it runs. */
  private positionalParameter(name: string): PositionalArgument | undefined {
    const body = this.functionBodies[this.functionBodies.length - 1];
    if (body) this.shared.readsPositional.add(body.name);
    return this.positionalArgument(name) ?? undefined;
  }

  /** The call's argument as the value of `$1`, each piece reached through the `$1` that reads it. */
  private fromCallArgument(argument: PositionalArgument, part: Extract<WordPart, { kind: "param" }>, hop: { at: SourceRef; note: string }): Expansion & { fact: Fact<string> } {
    const unknown = argument.opaque === true || (argument.unresolved?.length ?? 0) > 0;
    const pieces = (argument.pieces ?? [argument.fact]).map((piece) => {
      const fact = this.withVia(piece, [hop]);
      // an argument the caller did not know stays whole, as a variable holding it would
      if (unknown) this.shared.placeholders.add(fact);
      return { fact, splittable: !part.quoted && !unknown };
    });
    return { pieces, fact: this.withVia(argument.fact, [hop]), unresolved: argument.unresolved ?? [], opaque: argument.opaque ?? false };
  }

  /** The parameter's own value: from the script, else the environment, else left as written. */
  private currentValue(
    part: Extract<WordPart, { kind: "param" }>,
    variable: ShellVariable | undefined,
    envFact: Fact<string> | undefined,
    hop: { at: SourceRef; note: string },
  ): Expansion & { fact: Fact<string> } {
    if (variable) return this.fromVariable(part, variable, hop);
    if (envFact) {
      const fact = { ...envFact, via: [hop, ...(envFact.via ?? [])] };
      return { pieces: [{ fact, splittable: !part.quoted }], fact, unresolved: [], opaque: false };
    }
    // `${@}` and `${1}` (Rails' bin/docker-entrypoint ends with `exec "${@}"`) read as `$@` and `$1`.
    const written = part.op === "" && !NAME.test(part.name) ? `$${part.name}` : hop.note;
    const fact = this.placeholder(written, hop.at);
    return { pieces: [{ fact, splittable: false }], fact, unresolved: [part.name], opaque: false };
  }

  private fromVariable(
    part: Extract<WordPart, { kind: "param" }>,
    variable: ShellVariable,
    hop: { at: SourceRef; note: string },
  ): Expansion & { fact: Fact<string> } {
    const word = variable.value;
    const note = `${part.name}=${word.raw}`;
    const prefix = [hop, { at: { file: this.shared.file, start: variable.start, end: variable.end }, note: note.length > 80 ? `${note.slice(0, 79)}…` : note }];
    const pieces = word.pieces.map((fact) => ({
      fact: this.withVia(fact, prefix),
      splittable: !part.quoted && !this.shared.placeholders.has(fact),
    }));
    return { pieces, fact: this.withVia(word.fact, prefix), unresolved: word.unresolved, opaque: word.opaque };
  }

  /** The word after `:-`, `:=`, `:+`; with `:=` it is also assigned. */
  private fromArgument(
    part: Extract<WordPart, { kind: "param" }>,
    hop: { at: SourceRef; note: string },
    assigns: boolean,
  ): Expansion & { fact: Fact<string> } {
    const expansion = this.expandParts(part.arg, true);
    if (assigns && NAME.test(part.name)) {
      const word = this.wordFrom(expansion, part.arg, part.argStart, part.argEnd, false)[0];
      const span = this.src.span(part.start, part.end);
      const previous = this.scope.get(part.name);
      const variable = { value: word, start: span.start, end: span.end, exported: this.scope.allExport || (previous?.exported ?? false) };
      this.setVariable(part.name, variable);
      if (variable.exported) this.scope.export(part.name, this.exportFact(part.name, word, variable));
    }
    const value = expansion.pieces.map((piece) => piece.fact.value).join("");
    const inner = expansion.fact ?? { value, origin: "stated", at: this.ref(part.argStart, part.argEnd) };
    return {
      pieces: expansion.pieces.map((piece) => ({ ...piece, fact: this.withVia(piece.fact, [hop]) })),
      fact: this.withVia(inner, [hop]),
      unresolved: expansion.unresolved,
      opaque: expansion.opaque,
    };
  }

  /** `sh -c 'script'`: the script is read too, with spans mapped back into the file. */
  private readNestedScript(command: ShellCommand, wordTokens: WordToken[]): void {
    const words = command.words;
    if (words.length < 3 || !SHELLS.has(basename(words[0].value)) || this.depth >= MAX_NESTED_SCRIPTS) return;
    let index = 1;
    let hasC = false;
    while (index < words.length) {
      const option = words[index].value;
      if (option === "--" || option === "-") {
        index++;
        break;
      }
      if (/^[-+][oO]$/.test(option)) index += 2;
      else if (option.startsWith("--")) index++;
      else if (/^[-+][A-Za-z]+$/.test(option)) {
        if (option.startsWith("-") && option.includes("c")) hasC = true;
        index++;
      } else break;
    }
    const token = wordTokens[index];
    if (!hasC || !token) return;
    const starts: number[] = [];
    const ends: number[] = [];
    let text = "";
    for (const part of token.parts) {
      // expansions go into the nested script as written and are resolved there
      const partText = part.kind === "literal" ? part.text : this.src.text.slice(part.start, part.end);
      const oneToOne = part.end - part.start === partText.length;
      for (let k = 0; k < partText.length; k++) {
        starts.push(this.src.start(oneToOne ? part.start + k : part.start));
        ends.push(this.src.end(oneToOne ? part.start + k + 1 : part.end));
      }
      text += partText;
    }
    const nested = new SourceText(text, this.shared.file, 0, starts, ends);
    new SourceReader(this.shared, nested, new Scope(this.scope), command, this.depth + 1).run();
  }

  /** A fact standing for a value this reader does not know, kept as written. */
  private placeholder(raw: string, at: SourceRef): Fact<string> {
    const fact: Fact<string> = { value: raw, origin: "stated", at };
    this.shared.placeholders.add(fact);
    return fact;
  }

  /** The fact reached through more hops (placeholders stay placeholders). */
  private withVia(fact: Fact<string>, hops: Array<{ at: SourceRef; note: string }>): Fact<string> {
    const moved = { ...fact, via: [...hops, ...(fact.via ?? [])] };
    if (this.shared.placeholders.has(fact)) this.shared.placeholders.add(moved);
    return moved;
  }

  /** File reference for the text between two indexes of the source. */
  private ref(from: number, to: number): SourceRef {
    const span = this.src.span(from, to);
    return { file: this.shared.file, start: span.start, end: span.end };
  }
}

type WordShape = Omit<ShellWord, "value" | "fact" | "pieces">;

/** Most words reference no unset variable: they share one empty list (the model keeps every word it reads). */
const NONE_UNRESOLVED: readonly string[] = Object.freeze([]);

function makeWord(shape: WordShape, at: SourceRef, pieces: Piece[], fact: Fact<string> | undefined): ShellWord {
  let value = "";
  let hidden = 0;
  for (const piece of pieces) {
    value += piece.fact.value;
    if (piece.fact.value === "") hidden++;
  }
  // Sized up front: the model keeps every word, and an array grown by push keeps room for 16 or more.
  const visible = new Array<Fact<string>>(pieces.length - hidden);
  let next = 0;
  for (const piece of pieces) if (piece.fact.value !== "") visible[next++] = piece.fact;
  // Written out rather than spread from `shape`: a word is made for every word of every script, and spreading is several times slower.
  const { raw, file, start, end, unresolved, opaque, quoted } = shape;
  return { raw, file, start, end, unresolved, opaque, quoted, value, fact: fact ?? (opaque ? { value, origin: "stated", at } : wholeWordFact(visible, value, at)), pieces: visible };
}

/**
 * The fact of a word that is not one expansion: its one piece when that is the whole word as written (most
 * words: `gunicorn`, `-w`, `4`), shared rather than made again, since the model keeps every word it reads.
 * Not for opaque words: their pieces stand for text the reader does not evaluate (`placeholders`).
 */
function wholeWordFact(pieces: Fact<string>[], value: string, at: SourceRef): Fact<string> {
  const only = pieces.length === 1 ? pieces[0] : undefined;
  if (only?.origin === "stated" && only.via === undefined && only.by === undefined && only.value === value && only.at?.file === at.file && only.at.start === at.start && only.at.end === at.end) return only;
  return { value, origin: "stated", at };
}

/** Field splitting with the default IFS: blanks in unquoted expansions separate words. */
function splitFields(pieces: Piece[]): Piece[][] {
  const fields: Piece[][] = [];
  let current: Piece[] = [];
  let hasContent = false;
  for (const piece of pieces) {
    if (!piece.splittable) {
      current.push(piece);
      hasContent = true;
      continue;
    }
    const text = piece.fact.value;
    let segmentStart = 0;
    for (let i = 0; i <= text.length; i++) {
      const atEnd = i === text.length;
      if (!atEnd && !FIELD_SEPARATORS.includes(text[i])) continue;
      if (i > segmentStart) {
        current.push({ ...piece, fact: sliceFact(piece.fact, segmentStart, i) });
        hasContent = true;
      }
      if (!atEnd && hasContent) {
        fields.push(current);
        current = [];
        hasContent = false;
      }
      segmentStart = i + 1;
    }
  }
  if (hasContent) fields.push(current);
  return fields;
}
