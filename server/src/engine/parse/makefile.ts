// A Makefile read as text for the shell commands its recipes run (`deploy:` then a tab and
// `docker compose -f docker-compose.yml -f docker-compose.prod.yml up -d`). Never run.
// - Variables assigned at the top level (`=`, `:=`, `::=`, `?=`, `+=`, with `export`/`override`) are
//   expanded in recipes, `$(NAME)` and `${NAME}`, recursively; the last assignment in the file wins
//   (make expands recipes after reading the whole file), `?=` only when nothing set it before.
// - `$$` is a `$` the shell sees; make's functions (`$(shell ...)`, `$(wildcard ...)`) and automatic
//   variables (`$@`, `$<`) are left as written.
// - A line ending in `\` continues on the next one; `@`, `-` and `+` before a recipe line are make's
//   and dropped. Conditionals (`ifeq`) are not evaluated: every branch's recipes are read.
import { textLines } from "./text-lines.ts";

export interface MakeRecipeLine {
  /** The target whose recipe holds the line (the first, when a rule names several). */
  target: string;
  /** The command as the shell gets it, make's variables expanded. */
  command: string;
  /** The recipe line as written, continuation lines included. */
  start: number;
  end: number;
}

export interface Makefile {
  recipes: MakeRecipeLine[];
}

const ASSIGNMENT = /^\s*(?:(?:export|override)\s+)*([A-Za-z_][\w.-]*)\s*(\?=|:{1,3}=|\+=|=)(.*)$/;
const RULE = /^([^\t#:=][^:=]*?)::?(?!=)(.*)$/;
/** Nested expansions are followed this deep (a self-referencing variable stops here). */
const MAX_DEPTH = 8;

export function parseMakefile(text: string): Makefile {
  const lines = logicalLines(text);
  const variables = new Map<string, string>();
  for (const line of lines) {
    if (line.text.startsWith("\t")) continue;
    const m = ASSIGNMENT.exec(line.text);
    if (!m) continue;
    const [, name, op, raw] = m;
    const value = raw.trim();
    if (op === "?=" && variables.has(name)) continue;
    variables.set(name, op === "+=" && variables.has(name) ? `${variables.get(name)} ${value}` : value);
  }
  const recipes: MakeRecipeLine[] = [];
  let target: string | undefined;
  for (const line of lines) {
    if (line.text.startsWith("\t")) {
      if (target !== undefined) recipes.push({ target, command: expand(line.text.replace(/^\t\s*[@+-]*\s*/, ""), variables, 0), start: line.start, end: line.end });
      continue;
    }
    // A conditional inside a rule keeps its recipe going: every branch is read.
    if (line.text.trim() === "" || /^\s*#/.test(line.text) || /^\s*(ifeq|ifneq|ifdef|ifndef|else|endif)\b/.test(line.text)) continue;
    const rule = ASSIGNMENT.test(line.text) ? undefined : RULE.exec(line.text);
    target = rule ? rule[1].trim().split(/\s+/)[0] : undefined;
    // `target: prerequisites ; command`: a recipe line on the rule's own line.
    const inline = rule?.[2].indexOf(";") ?? -1;
    if (rule && target !== undefined && inline >= 0) {
      const command = rule[2].slice(inline + 1).trim();
      if (command) recipes.push({ target, command: expand(command, variables, 0), start: line.start, end: line.end });
    }
  }
  return { recipes };
}

/** Lines with their continuations joined (`\` and the line break make one blank, as make does), and their span. */
function logicalLines(text: string): Array<{ text: string; start: number; end: number }> {
  const out: Array<{ text: string; start: number; end: number }> = [];
  let pending: { text: string; start: number } | undefined;
  for (const { line, start } of textLines(text)) {
    const body = line.replace(/\r$/, "");
    const continued = /(^|[^\\])(\\\\)*\\$/.test(body);
    const piece = continued ? body.slice(0, -1).replace(/\s+$/, "") : body;
    pending = pending ? { text: `${pending.text} ${piece.replace(/^\s+/, "")}`, start: pending.start } : { text: piece, start };
    if (continued) continue;
    out.push({ ...pending, end: start + body.length });
    pending = undefined;
  }
  if (pending) out.push({ ...pending, end: text.length });
  return out;
}

function expand(text: string, variables: ReadonlyMap<string, string>, depth: number): string {
  return text.replace(/\$(\$|\(([A-Za-z_][\w.-]*)\)|\{([A-Za-z_][\w.-]*)\})/g, (whole, inner: string, paren?: string, brace?: string) => {
    if (inner === "$") return "$";
    const value = variables.get(paren ?? brace ?? "");
    return value === undefined || depth >= MAX_DEPTH ? whole : expand(value, variables, depth + 1);
  });
}
