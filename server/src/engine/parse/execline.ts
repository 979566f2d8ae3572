// Static reader for execline run scripts (`#!/command/execlineb -P`), the other language s6-overlay services are written in.
// It never runs anything. An execline script is one command line: each word is an argument, and the programs at its
// front are chain loaders, each of which changes something (the user, a file descriptor, the environment, a
// substitution) and execs into the rest of the line (execlineb, el_semicolon, and each program's page on skarnet.org).
// The reader walks that chain, skipping each loader with its options and operands (and the block a `foreground` or `if`
// spawns first), and returns the program it ends in with its arguments: `with-contenv s6-setuidgid app gunicorn …`
// runs `gunicorn …`. Substitutions are followed as execline makes them: `importas -D 4 WORKERS WORKERS` puts the
// environment's value (else the default) where the rest of the line says `$WORKERS` or `${WORKERS}`, `define X 4` its
// value; any other `$X` is left as written, as execline leaves it. A loader it does not know ends the chain there: that
// word is taken for the program. A chain that sets variables from what a program prints or from files
// (`backtick`, `s6-envdir` of another folder, `envfile`) is not read.

import type { Fact } from "../types.ts";
import type { CommandWord } from "./servers.ts";
import type { EnvLookup } from "./shell.ts";

/** The program an execline run script ends in. */
export interface ExeclineProgram {
  words: CommandWord[];
  /** The program gets the container's environment: `with-contenv` (or s6-overlay's container_environment loaded by s6-envdir) is in its chain. */
  containerEnv: boolean;
  /** Variables the chain sets with `export NAME value`: the program's environment over the container's. */
  exported?: Map<string, Fact<string>>;
}

/** `#!/command/execlineb -P`, `#!/usr/bin/execlineb -S0`, `#!/usr/bin/env execlineb`. */
export function isExeclineScript(text: string): boolean {
  return /^#!\s*(?:\S*\/)?(?:env\s+)?(?:\S*\/with-contenv\s+)?(?:\S*\/)?execlineb(?:\s|$)/.test(text.replace(/^\uFEFF/, ""));
}

interface Word {
  value: string;
  start: number;
  end: number;
  /** Written with quotes or escapes: not a block's brace, and its value does not map one to one onto the file. */
  quoted: boolean;
}

interface Loader {
  /** Options that take the next word as their value. */
  valued?: string[];
  /** Words after the options before the rest of the line. */
  operands?: number;
  /** A block (`{ … }`) after the operands, run before the rest (foreground, if) or beside it (background). */
  block?: boolean;
}

/** Chain loaders s6-overlay run scripts use, with the arguments each takes before the program it execs into. */
const LOADERS: Record<string, Loader> = {
  // s6: run as a user, resource limits, a new session, readiness
  "s6-setuidgid": { operands: 1 },
  "s6-envuidgid": { valued: ["-D"], operands: 1 },
  "s6-applyuidgid": { valued: ["-u", "-g", "-G"] },
  "s6-softlimit": { valued: ["-a", "-c", "-d", "-f", "-l", "-m", "-o", "-P", "-p", "-r", "-s", "-t"] },
  "s6-setsid": { valued: ["-d"] },
  "s6-notifyoncheck": { valued: ["-3", "-s", "-T", "-t", "-w", "-n", "-c"] },
  // execline: file descriptors, the working directory, the umask, the environment
  fdmove: { operands: 2 },
  fdswap: { operands: 2 },
  fdclose: { operands: 1 },
  fdblock: { operands: 1 },
  redirfd: { operands: 2 },
  heredoc: { operands: 2 },
  cd: { operands: 1 },
  "execline-cd": { operands: 1 },
  "posix-cd": { operands: 1 },
  umask: { operands: 1 },
  "execline-umask": { operands: 1 },
  "posix-umask": { operands: 1 },
  unexport: { operands: 1 },
  foreground: { block: true },
  background: { block: true },
  if: { valued: ["-x"], block: true },
};

/** Where s6-overlay keeps the container's environment, which `with-contenv` loads with s6-envdir. */
const CONTAINER_ENVIRONMENT = /^(?:\/var)?\/run\/s6\/container_environment\/?$/;
/** A script longer than this is not a run script: it is not read. */
const MAX_WORDS = 10_000;

/**
 * The program the run script execs into, with its arguments, each with its place in `file`; undefined when the chain
 * cannot be followed to one. `env` is the container's environment, which `importas` reads only where the chain has
 * loaded it, or from the start when `seesContainerEnv` (S6_KEEP_ENV, or a `#!/command/with-contenv execlineb` shebang:
 * model/s6-overlay.ts s6SeesContainerEnv).
 */
export function readExeclineRunScript(text: string, file: string, env: EnvLookup, seesContainerEnv: boolean): ExeclineProgram | undefined {
  const words = lex(text);
  if (!words) return undefined;
  const substitutions = new Map<string, Fact<string> | undefined>();
  let containerEnv = seesContainerEnv;
  let exported: Map<string, Fact<string>> | undefined;
  let i = 0;
  const fact = (word: Word): Fact<string> => ({ value: word.value, origin: "stated", at: { file, start: word.start, end: word.end } });
  // `importas [ -i | -D default ] … variable envvar`, `define … variable value`: what `$variable` becomes from here on.
  const substitution = (at: number): number | undefined => {
    const program = words[at].value;
    let j = at + 1;
    let fallback: Word | undefined;
    let sameName = false;
    while (j < words.length && /^-[A-Za-z]+$/.test(words[j].value)) {
      const option = words[j].value;
      if (option === "-D" || option === "-d") {
        if (option === "-D") fallback = words[j + 1];
        j += 2;
      } else {
        sameName ||= program === "importas" && option.includes("S");
        j++;
      }
    }
    const variable = words[j];
    const source = sameName ? variable : words[j + 1];
    if (!variable || !source) return undefined;
    if (program === "define") substitutions.set(variable.value, fact(source));
    else {
      const value = containerEnv ? env(source.value) : undefined;
      substitutions.set(variable.value, value ?? (fallback ? fact(fallback) : undefined));
    }
    return sameName ? j + 1 : j + 2;
  };
  while (i < words.length) {
    const name = words[i].value.slice(words[i].value.lastIndexOf("/") + 1);
    if (words[i].quoted) break;
    if (name === "with-contenv") {
      containerEnv = true;
      i++;
      continue;
    }
    // `emptyenv`, `exec -c`: the program starts with no environment (`exec` alone is a no-op).
    if (name === "emptyenv" || name === "exec") {
      const at = skipOptions(words, i + 1, name === "exec" ? ["-a"] : []);
      if (name === "emptyenv" || words.slice(i + 1, at).some((w) => /^-[a-z]*c/.test(w.value))) containerEnv = false;
      i = at;
      continue;
    }
    if (name === "importas" || name === "define") {
      const next = substitution(i);
      if (next === undefined) return undefined;
      i = next;
      continue;
    }
    if (name === "multisubstitute") {
      const end = blockEnd(words, i + 1);
      if (end === undefined) return undefined;
      for (let j = i + 2; j < end; ) {
        const directive = words[j].value;
        if (directive !== "importas" && directive !== "define") return undefined;
        const next = substitution(j);
        if (next === undefined || next > end) return undefined;
        j = next;
      }
      i = end + 1;
      continue;
    }
    if (name === "export") {
      const variable = words[i + 1];
      const value = words[i + 2];
      if (!variable || !value) return undefined;
      (exported ??= new Map()).set(variable.value, substituted(value, file, substitutions).fact);
      i += 3;
      continue;
    }
    if (name === "s6-envdir") {
      const at = skipOptions(words, i + 1, ["-c"]);
      const dir = words[at];
      // Another folder's files set variables whose values the workspace does not hold.
      if (!dir || !CONTAINER_ENVIRONMENT.test(dir.value)) return undefined;
      containerEnv = true;
      i = at + 1;
      continue;
    }
    const loader = LOADERS[name];
    if (!loader) break;
    let at = skipOptions(words, i + 1, loader.valued ?? []) + (loader.operands ?? 0);
    if (loader.block) {
      const end = blockEnd(words, at);
      if (end === undefined) return undefined;
      at = end + 1;
    }
    i = at;
  }
  if (i >= words.length) return undefined;
  const program: CommandWord[] = [];
  for (let j = i; j < words.length; j++) {
    // A block after the program: a loader this reader does not know (pipeline, ifelse); what runs is not told.
    if (!words[j].quoted && (words[j].value === "{" || words[j].value === "}")) return undefined;
    program.push(substituted(words[j], file, substitutions));
  }
  return exported ? { words: program, containerEnv, exported } : { words: program, containerEnv };
}

/** The index after the options (`-c`, `-D value`, `--`) that start at `from`. */
function skipOptions(words: Word[], from: number, valued: string[]): number {
  let i = from;
  while (i < words.length && /^-./.test(words[i].value) && !words[i].quoted) {
    if (words[i].value === "--") return i + 1;
    i += valued.includes(words[i].value) ? 2 : 1;
  }
  return i;
}

/** The index of the `}` closing the block that opens at `at`; undefined when no block opens there or it never closes. */
function blockEnd(words: Word[], at: number): number | undefined {
  if (words[at]?.value !== "{" || words[at].quoted) return undefined;
  let depth = 0;
  for (let i = at; i < words.length; i++) {
    if (words[i].quoted) continue;
    if (words[i].value === "{") depth++;
    else if (words[i].value === "}" && --depth === 0) return i;
  }
  return undefined;
}

/** `$NAME` and `${NAME}` in a word. */
const REFERENCE = /\$(?:\{([^${}]+)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** The word with the substitutions made so far: a word that is one reference is the value's fact, reached through the word. */
function substituted(word: Word, file: string, substitutions: Map<string, Fact<string> | undefined>): CommandWord {
  const at = { file, start: word.start, end: word.end };
  const plain: CommandWord = { value: word.value, start: word.start, end: word.end, fact: { value: word.value, origin: "stated", at }, file };
  if (substitutions.size === 0 || !word.value.includes("$")) return plain;
  const pieces: Fact<string>[] = [];
  let value = "";
  let last = 0;
  let replaced = false;
  for (const m of word.value.matchAll(REFERENCE)) {
    const key = m[1] ?? m[2];
    if (!substitutions.has(key)) continue;
    const found = substitutions.get(key);
    // importas of a variable unset, with no default: execline gives no word; left as written, the value is unknown.
    if (!found) continue;
    const index = m.index ?? 0;
    if (index > last) pieces.push(literal(word, file, last, index));
    pieces.push({ ...found, via: [{ at, note: m[0] }, ...(found.via ?? [])] });
    value += word.value.slice(last, index) + found.value;
    last = index + m[0].length;
    replaced = true;
  }
  if (!replaced) return plain;
  if (last < word.value.length) pieces.push(literal(word, file, last, word.value.length));
  value += word.value.slice(last);
  const fact = pieces.length === 1 ? pieces[0] : { value, origin: "stated" as const, at };
  return { value, start: word.start, end: word.end, fact, file, pieces };
}

/** A literal stretch of a word: its own characters when the word is written as its value, else the whole word. */
function literal(word: Word, file: string, from: number, to: number): Fact<string> {
  const start = word.quoted ? word.start : word.start + from;
  const end = word.quoted ? word.end : word.start + to;
  return { value: word.value.slice(from, to), origin: "stated", at: { file, start, end } };
}

/**
 * The script's words: blanks separate them, `#` at a word's start comments out the rest of the line, `"…"` quotes
 * (with `\"`, `\\`, `\n`, `\t` and a backslash before a newline, which joins the lines), a backslash outside quotes
 * takes the next character as it is. The shebang line is not a word. Undefined past MAX_WORDS words.
 */
function lex(text: string): Word[] | undefined {
  const words: Word[] = [];
  let i = text.startsWith("\uFEFF") ? 1 : 0;
  if (text.startsWith("#!", i)) {
    const eol = text.indexOf("\n", i);
    i = eol < 0 ? text.length : eol + 1;
  }
  while (i < text.length) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === "#") {
      const eol = text.indexOf("\n", i);
      i = eol < 0 ? text.length : eol + 1;
      continue;
    }
    const start = i;
    let value = "";
    let quoted = false;
    while (i < text.length && !/[ \t\n\r]/.test(text[i])) {
      if (text[i] === "\\") {
        quoted = true;
        if (text[i + 1] !== "\n") value += text[i + 1] ?? "";
        i += 2;
      } else if (text[i] === '"') {
        quoted = true;
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === "\\") {
            const next = text[i + 1] ?? "";
            value += next === "n" ? "\n" : next === "t" ? "\t" : next === "\n" ? "" : next;
            i += 2;
          } else value += text[i++];
        }
        i++;
      } else value += text[i++];
    }
    words.push({ value, start, end: Math.min(i, text.length), quoted });
    if (words.length > MAX_WORDS) return undefined;
  }
  return words;
}
