// `python main.py` / `python -m app` where the file starts uvicorn itself: `uvicorn.run("app:app",
// host="0.0.0.0", workers=4)`. The file is read as text (parse/python-calls.ts), never run; the call
// becomes a uvicorn invocation whose options are its keyword arguments, so the uvicorn rules see its
// workers, reload, host and port. Its words are keyword arguments, not a command line: they are
// marked as list items without a quote (ListItemWord), which the rules' command-line edits refuse,
// so only edits of a value in place (a literal worker count) are offered.
import type { PythonArgument, PythonCall } from "../parse/python-calls.ts";
import { type CommandWord, PYTHON_RE, type ServerInvocation, type ServerOption, UVICORN } from "../parse/servers.ts";
import { settingNumber } from "../parse/setting-expr.ts";
import type { EnvLookup } from "../parse/shell.ts";
import type { Fact, SourceRef, Span } from "../types.ts";
import type { ListItemWord } from "./build.ts";

/** Python interpreter options that take a value (`python -W ignore main.py`). */
const PYTHON_VALUE_OPTIONS = new Set(["-W", "-X", "-Q"]);

/** The file `python [options] FILE.py` runs, or the module of `python -m MODULE`, as paths to look for. Undefined for anything else. */
export function pythonMainCandidates(words: CommandWord[]): string[] | undefined {
  const program = words[0]?.value ?? "";
  if (!PYTHON_RE.test(program.slice(program.lastIndexOf("/") + 1))) return undefined;
  for (let i = 1; i < words.length; i++) {
    const word = words[i].value;
    if (word === "-c" || word === "-" || word.startsWith("-c")) return undefined;
    if (word === "-m" || (word.startsWith("-m") && word.length > 2)) {
      const module = word === "-m" ? words[i + 1]?.value : word.slice(2);
      if (!module || !/^[A-Za-z_][\w.]*$/.test(module)) return undefined;
      const path = module.replace(/\./g, "/");
      return [`${path}.py`, `${path}/__main__.py`];
    }
    if (word.startsWith("-")) {
      if (PYTHON_VALUE_OPTIONS.has(word)) i++;
      continue;
    }
    return word.endsWith(".py") && !word.includes("$") ? [word] : undefined;
  }
  return undefined;
}

/** The functions that start uvicorn from Python, for readPythonModule. */
export const UVICORN_RUN: ReadonlySet<string> = new Set(["uvicorn.run", "uvicorn.main.run"]);

/** uvicorn.run()'s keyword arguments that are options of its command line, by their name there (`workers`, `reload`, `host`). */
const RUN_OPTIONS = new Map(UVICORN.options.map((spec) => [spec.name, spec]));

export interface UvicornRun {
  invocation: ServerInvocation;
  /** The call, for the process's commandAt. */
  at: SourceRef;
  /** `workers=` is written in a way Headroom does not evaluate (`settings.WORKERS`): the count is not known. */
  workersUnresolved?: SourceRef;
}

/**
 * The uvicorn.run() call the file makes when it runs, as a uvicorn invocation. Undefined when there is none,
 * or when what it starts cannot be told: several calls, a call in a branch, `**kwargs`, or workers/reload
 * with an app object (uvicorn exits: "You must pass the application as an import string").
 */
export function uvicornRunInvocation(found: PythonCall[], text: string, file: string, env: EnvLookup): UvicornRun | undefined {
  const unconditional = found.filter((call) => !call.conditional);
  if (found.length !== 1 || unconditional.length !== 1) return undefined;
  const call = unconditional[0];
  if (call.spread) return undefined;
  const app = call.args[0] ?? call.kwargs.get("app");
  const importString = app?.value.kind === "string";
  const options: ServerOption[] = [];
  let workersUnresolved: SourceRef | undefined;
  for (const [name, argument] of call.kwargs) {
    const spec = RUN_OPTIONS.get(name);
    if (!spec || name === "app") continue;
    const flag = keywordWord(file, argument, name);
    if (spec.arity === "flag") {
      // A flag is on only for a literal True (`reload=True`); `reload=False` or a computed value is not counted.
      if (argument.value.kind === "bool" && argument.value.value === true) options.push({ name, flag, value: valueWord(file, argument, "True", { value: "True", origin: "stated", at: { file, ...argument.value.span } }) });
      continue;
    }
    const value = optionValue(file, text, argument, env);
    if (!value && name === "workers") workersUnresolved = { file, ...argument.value.span };
    options.push(value ? { name, flag, value } : { name, flag });
  }
  const asksForProcesses = options.some((o) => o.name === "reload" || (o.name === "workers" && o.value?.value !== "1"));
  if (!importString && asksForProcesses) return undefined;
  const program = valueWord(file, { value: { kind: "unknown", span: call.calleeSpan, nameSpan: call.calleeSpan } }, text.slice(call.calleeSpan.start, call.calleeSpan.end), undefined);
  const positionals = app && importString ? [valueWord(file, app, String(app.value.value), undefined)] : [];
  const invocation: ServerInvocation = { server: "uvicorn", program, runner: [], options, positionals, unknown: [], invalid: [], end: undefined, call: { file, ...call.span } };
  return { invocation, at: { file, ...call.span }, ...(workersUnresolved ? { workersUnresolved } : {}) };
}

/** A keyword argument's value as an option value: literal, or an environment variable (set, or its default). */
function optionValue(file: string, text: string, argument: PythonArgument, env: EnvLookup): ListItemWord | undefined {
  const expr = argument.value;
  if (expr.kind === "string" && typeof expr.value === "string") {
    // The edit span is inside the quotes when the literal is written as its value (`"127.0.0.1"`), so a fix keeps them.
    const inner = { start: expr.span.start + 1, end: expr.span.end - 1 };
    const written = text.slice(inner.start, inner.end) === expr.value && /^["']$/.test(text[expr.span.start]);
    const at = written ? inner : expr.span;
    return { value: expr.value, start: at.start, end: at.end, quote: "", fact: { value: expr.value, origin: "stated", at: { file, ...at } } };
  }
  const number = settingNumber(expr, file, env);
  if (!number) return undefined;
  return valueWord(file, argument, String(number.value), { ...number, value: String(number.value), ...(expr.via ? { via: expr.via.map((v) => ({ at: { file, ...v.span }, note: v.note })) } : {}) });
}

function keywordWord(file: string, argument: PythonArgument, name: string): ListItemWord {
  return valueWord(file, { value: { ...argument.value, span: argument.value.nameSpan } }, name, undefined);
}

/** A word at the argument's span (its keyword's for a flag), with the fact it stands for (stated there, by default). */
function valueWord(file: string, argument: Pick<PythonArgument, "value">, value: string, fact: Fact<string> | undefined): ListItemWord {
  const span: Span = argument.value.span;
  return { value, start: span.start, end: span.end, quote: "", fact: fact ?? { value, origin: "stated", at: { file, ...span } } };
}

