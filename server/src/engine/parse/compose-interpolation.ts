// Compose's own interpolation of a value (`${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`,
// `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`, `${VAR+alt}`, nested operands; `$$` is a literal `$`),
// from the project's .env or the environment `docker compose` runs in, before the container starts.
// Any `$` that does not start a valid reference is kept as written, as compose keeps it. A variable
// with no value and no default is kept as written too (compose would put an empty string, with a
// warning): the deploy shell may well set it.
import type { Fact, SourceRef } from "../types.ts";
import type { EnvLookup } from "./shell.ts";

export interface Interpolated {
  /** The value compose gives the container, unresolved references kept as written. */
  value: string;
  /** The value piece by piece, each with its origin: text where it is written, a variable's value where it is set (as ShellWord.pieces). */
  pieces: Fact<string>[];
  /** A value that is one variable's (or one default's) is that fact, with a hop to where compose reads it; any other is the text's own. */
  fact: Fact<string>;
  /** Referenced variables with no value and no default. */
  unresolved: string[];
  /** Compose changes the text: it holds a reference it resolves, or a `$$`. */
  changed: boolean;
}

const NAME = /^[A-Za-z_]\w*/;

/**
 * `text` as compose interpolates it; `at`: where it is written (its characters map one to one onto the
 * file when the span is as long as the text, else every piece points at the whole span).
 */
export function interpolateCompose(text: string, at: SourceRef | undefined, lookup: EnvLookup): Interpolated {
  const oneToOne = at !== undefined && at.end - at.start === text.length;
  const span = (from: number, to: number): SourceRef | undefined => (at && oneToOne ? { file: at.file, start: at.start + from, end: at.start + to } : at);
  const unresolved: string[] = [];
  let changed = false;
  /** Pieces of text[from, to); `single`: the one fact the range is, when it is one expansion or one text. */
  const read = (from: number, to: number): { pieces: Fact<string>[]; single?: Fact<string> } => {
    const pieces: Fact<string>[] = [];
    let literalStart = from;
    let literal = "";
    const flush = (end: number) => {
      if (literal === "") return;
      pieces.push({ value: literal, origin: "stated", ...(at ? { at: span(literalStart, end) } : {}) });
      written++;
      literal = "";
    };
    let single: Fact<string> | undefined;
    let expansions = 0;
    let written = 0;
    for (let i = from; i < to; ) {
      if (text[i] !== "$") {
        if (literal === "") literalStart = i;
        literal += text[i++];
        continue;
      }
      if (text[i + 1] === "$") {
        // `$$`: one literal `$`, placed on both characters.
        flush(i);
        pieces.push({ value: "$", origin: "stated", ...(at ? { at: span(i, i + 2) } : {}) });
        written++;
        changed = true;
        i += 2;
        continue;
      }
      const ref = reference(text, i, to);
      if (!ref) {
        if (literal === "") literalStart = i;
        literal += text[i++];
        continue;
      }
      flush(i);
      const whole = text.slice(i, ref.end);
      const fromEnv = lookup(ref.name);
      const set = fromEnv !== undefined && (ref.op?.startsWith(":") ? fromEnv.value !== "" : true);
      const variable = (): { pieces: Fact<string>[]; single: Fact<string> } => {
        const fact = { ...(fromEnv as Fact<string>), via: [...(fromEnv?.via ?? []), ...(at ? [{ at: span(i, ref.end) as SourceRef, note: `\${${ref.name}} in compose` }] : [])] };
        return { pieces: [fact], single: fact };
      };
      const keep = () => {
        unresolved.push(ref.name);
        pieces.push({ value: whole, origin: "stated", ...(at ? { at: span(i, ref.end) } : {}) });
        written++;
      };
      const operand = () => (ref.operand ? read(ref.operand.start, ref.operand.end) : { pieces: [] });
      let added: { pieces: Fact<string>[]; single?: Fact<string> } | undefined;
      switch (ref.op) {
        case undefined:
        case ":?":
        case "?":
          if (set) added = variable();
          else keep();
          break;
        case ":-":
        case "-":
          added = set ? variable() : operand();
          break;
        case ":+":
        case "+":
          added = set ? operand() : { pieces: [] };
          break;
      }
      if (added) {
        changed = true;
        pieces.push(...added.pieces.filter((p) => p.value !== ""));
        single = added.single;
      }
      expansions++;
      i = ref.end;
    }
    flush(to);
    // One expansion alone is its value's fact; a text alone (a default's) is its own.
    const only = expansions === 1 && written === 0 ? single : expansions === 0 && written === 1 ? pieces[0] : undefined;
    return { pieces, ...(only ? { single: only } : {}) };
  };
  const { pieces, single } = read(0, text.length);
  const value = pieces.map((p) => p.value).join("");
  const fact: Fact<string> = single ?? { value, origin: "stated", ...(at ? { at } : {}) };
  return { value, pieces, fact, unresolved, changed };
}

interface Reference {
  name: string;
  op?: ":-" | "-" | ":?" | "?" | ":+" | "+";
  /** The operand after the operator, for nested reading. */
  operand?: { start: number; end: number };
  /** Just after the reference. */
  end: number;
}

/** The reference starting at the `$` at `i` (before `to`), when compose reads one there. */
function reference(text: string, i: number, to: number): Reference | undefined {
  if (text[i + 1] !== "{") {
    const name = NAME.exec(text.slice(i + 1, to))?.[0];
    return name ? { name, end: i + 1 + name.length } : undefined;
  }
  const close = closingBrace(text, i + 2, to);
  if (close === undefined) return undefined;
  const inner = text.slice(i + 2, close);
  const name = NAME.exec(inner)?.[0];
  if (!name) return undefined;
  const rest = inner.slice(name.length);
  if (rest === "") return { name, end: close + 1 };
  const op = /^(:?[-?+])/.exec(rest)?.[1] as Reference["op"];
  if (!op) return undefined;
  const operandStart = i + 2 + name.length + op.length;
  return { name, op, operand: { start: operandStart, end: close }, end: close + 1 };
}

/** The `}` closing a `${` whose name starts at `from`, past nested `${…}`. */
function closingBrace(text: string, from: number, to: number): number | undefined {
  let depth = 0;
  for (let i = from; i < to; i++) {
    if (text[i] === "$" && text[i + 1] === "$") i++;
    else if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return undefined;
}
