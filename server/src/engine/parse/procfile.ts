// Procfile (Heroku, foreman, honcho): one `name: command` line per process type. The pattern is
// theirs, `^([A-Za-z0-9_-]+):\s*(.+)$`; lines that do not match are ignored by those tools,
// so they are reported here rather than skipped silently.

import type { ParseProblem, Span } from "../types.ts";
import { MAX_PROBLEMS } from "./shell-lexer.ts";
import { type EnvLookup, parseCommandLine, type ShellScript } from "./shell.ts";

export interface ProcfileProcess {
  name: string;
  nameSpan: Span;
  /** The command line, read as a shell command starting at its offset in the Procfile. */
  script: ShellScript;
}

export interface Procfile {
  file: string;
  processes: ProcfileProcess[];
  /** The Procfile's own problems followed by those of its command lines. */
  problems: ParseProblem[];
}

/** Real Procfiles list a handful of processes; past this the input is not one, and reading stops to bound memory. */
const MAX_PROCESSES = 1000;
const PROCESS_LINE = /^([A-Za-z0-9_-]+):[ \t]*(.*?)[ \t]*$/;

export function parseProcfile(text: string, file: string, env?: EnvLookup): Procfile {
  const processes: ProcfileProcess[] = [];
  const problems: ParseProblem[] = [];
  const problem = (message: string, start: number, end: number) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ message, severity: "warning", at: { file, start, end } });
  };
  const seen = new Set<string>();
  const lineBreak = /\r\n|\n|\r/g;
  let lineStart = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (lineStart <= text.length) {
    lineBreak.lastIndex = lineStart;
    const match = lineBreak.exec(text);
    const lineEnd = match ? match.index : text.length;
    const line = text.slice(lineStart, lineEnd);
    const trimmed = line.trim();
    if (trimmed !== "" && !trimmed.startsWith("#")) {
      const parsed = PROCESS_LINE.exec(line);
      if (!parsed) {
        problem("Not a `name: command` line (process names use letters, digits, `_` and `-`); Heroku and foreman ignore it", lineStart, lineEnd);
      } else {
        const [, name, command] = parsed;
        const nameSpan = { start: lineStart, end: lineStart + name.length };
        const commandStart = lineStart + line.indexOf(command, name.length + 1);
        if (command === "") problem(`Process \`${name}\` has no command`, nameSpan.start, nameSpan.end);
        else if (processes.length === MAX_PROCESSES) {
          // reported even past the cap on problems: it explains why the rest is missing
          problems.push({
            message: `Stopped reading here: more than ${MAX_PROCESSES} processes is not a Procfile this reader can follow`,
            severity: "warning",
            at: { file, start: lineStart, end: lineEnd },
          });
          break;
        } else {
          if (seen.has(name)) problem(`Process \`${name}\` is defined more than once`, nameSpan.start, nameSpan.end);
          seen.add(name);
          const script = parseCommandLine(command, file, commandStart, env);
          problems.push(...script.problems.slice(0, MAX_PROBLEMS - problems.length));
          processes.push({ name, nameSpan, script });
        }
      }
    }
    if (!match) break;
    lineStart = match.index + match[0].length;
  }
  return { file, processes, problems };
}
