// Calls to known functions in a Python file, read as text: `uvicorn.run("app:app", workers=4)` in
// the main.py that `python main.py` runs. Headroom never runs or imports the file. Each argument is
// described as gunicorn.conf.py values are (parse/gunicorn-conf.ts, whose tokenizer and evaluator
// this reuses): a literal, an environment variable with its default, a local variable followed to
// one of those; anything else is kind "unknown".
//
// Names are resolved through the file's imports (`import uvicorn as uv`, `from uvicorn import run`),
// so `uv.run(...)` and `run(...)` are `uvicorn.run`. Local variables are those of the module, then
// those assigned before the call in the blocks around it (`if __name__ == "__main__":`, `def main():`).

import type { ParseProblem, Span } from "../types.ts";
import {
  assignedNames,
  assignment,
  type Binding,
  buildTree,
  COMPOUND,
  dotted,
  evalAssign,
  Evaluator,
  ExprParser,
  headerColon,
  type Node,
  nodeEnd,
  nodeStart,
  runModule,
  type Scope,
  type Stmt,
  type Tok,
  tokenize,
} from "./gunicorn-conf.ts";
import { type SettingExpr, symToExpr } from "./setting-expr.ts";

export interface PythonArgument {
  value: SettingExpr;
  /** The argument's expression as a dotted name (`settings.DB_POOL_SIZE`), when it is one. */
  dottedName?: string;
}

export interface PythonCall {
  /** The function called, as its imports name it (`uvicorn.run`). */
  callee: string;
  /** The callee as written (`uvicorn.run`, `run`). */
  calleeSpan: Span;
  /** The whole call, callee to closing parenthesis. */
  span: Span;
  args: PythonArgument[];
  /** Keyword arguments: each value's `nameSpan` is the keyword as written, `span` its value. */
  kwargs: Map<string, PythonArgument>;
  /** `*args` or `**kwargs` in the call: arguments Headroom cannot see. */
  spread: boolean;
  /** The call sits in a branch or loop (other than `if __name__ == "__main__":`): it may not run. */
  conditional: boolean;
}

/** A class of the module (pydantic settings): its annotated fields' defaults and the settings config it states. */
export interface PythonClass {
  /** Base classes as written (`BaseSettings`, `pydantic_settings.BaseSettings`). */
  bases: string[];
  /** `NAME: int = 20`, `NAME: int = Field(20, ...)` (the default), with `alias=`/`validation_alias=` when a string. */
  fields: Map<string, { value: SettingExpr; alias?: string }>;
  /** `model_config = SettingsConfigDict(env_prefix="APP_", case_sensitive=True)` or `class Config:` with the same names. */
  envPrefix?: string;
  caseSensitive?: boolean;
}

export interface PythonModule {
  calls: PythonCall[];
  /** Local names its imports bind, to the dotted names they stand for (relative ones keep their leading dots). */
  aliases: Map<string, string>;
  /** The modules it imports, as written (`app.core.config`, `.db`), with the names a from-import takes (each may be a submodule). */
  imports: Array<{ module: string; names: string[] }>;
  /** Top-level classes, by name. */
  classes: Map<string, PythonClass>;
  /** Top-level `settings = Settings()` (or `= get_settings()` where that def returns `Settings()`): the class each name holds. */
  instances: Map<string, string>;
  problems: ParseProblem[];
}

/** Reads a Python file as text: the calls to any of `callees` (full dotted names), its imports, classes and instances. Never throws. */
export function readPythonModule(text: string, file: string, callees: ReadonlySet<string>): PythonModule {
  const result: PythonModule = { calls: [], aliases: new Map(), imports: [], classes: new Map(), instances: new Map(), problems: [] };
  try {
    const tree = buildTree(tokenize(text, file, result.problems));
    const top = tree.filter((s) => s.indent === (tree[0]?.indent ?? 0));
    const scope: Scope = new Map();
    runModule(top, scope);
    importAliases(tree, result.aliases, result.imports);
    visit(top, scope, false, { aliases: result.aliases, callees, calls: result.calls }, true);
    readClasses(top, scope, result);
  } catch (err) {
    result.problems.push({ message: `Could not read ${file}: ${(err as Error).message}`, at: { file, start: 0, end: 0 }, severity: "warning" });
  }
  return result;
}

interface Search {
  aliases: Map<string, string>;
  callees: ReadonlySet<string>;
  calls: PythonCall[];
}

/** Local names the file's imports bind (at any depth), to the dotted names they stand for; `modules` gets what they import. */
function importAliases(stmts: Stmt[], out: Map<string, string>, modules: PythonModule["imports"]): void {
  for (const st of stmts) {
    const toks = st.toks;
    if (toks[0]?.v === "import") {
      for (const part of splitTopLevel(toks.slice(1))) {
        const { name, alias } = importedName(part);
        if (!name) continue;
        out.set(alias ?? name.split(".")[0], alias ? name : name.split(".")[0]);
        modules.push({ module: name, names: [] });
      }
    } else if (toks[0]?.v === "from") {
      const importAt = toks.findIndex((t) => t.t === "name" && t.v === "import");
      const module = toks.slice(1, importAt).map((t) => t.v).join("");
      if (importAt > 0 && /^\.*[\w.]*$/.test(module)) {
        const names: string[] = [];
        for (const part of splitTopLevel(toks.slice(importAt + 1).filter((t) => t.v !== "(" && t.v !== ")"))) {
          const { name, alias } = importedName(part);
          if (!name || name.includes(".")) continue;
          out.set(alias ?? name, module.endsWith(".") ? `${module}${name}` : `${module}.${name}`);
          names.push(name);
        }
        modules.push({ module, names });
      }
    }
    importAliases(st.children, out, modules);
  }
}

/** pydantic's Field() and pydantic-settings' config calls, by their last name. */
const FIELD_CALL = /(^|\.)Field$/;

/** Top-level classes (their fields, settings config) and the instances module-level names hold. */
function readClasses(top: Stmt[], scope: Scope, out: PythonModule): void {
  const returns = new Map<string, string>();
  for (const st of top) {
    const head = st.toks[0];
    const name = st.toks[1];
    if (head.v === "class" && name?.t === "name") out.classes.set(name.v, readClass(st, scope));
    // `def get_settings() -> Settings: return Settings()` (often under @lru_cache)
    if (head.v === "def" && name?.t === "name") {
      const last = st.children[st.children.length - 1]?.toks;
      const returned = last?.[0]?.v === "return" ? calledName(last.slice(1)) : undefined;
      if (returned) returns.set(name.v, returned);
    }
  }
  for (const st of top) {
    const a = assignment(st.toks);
    if (!a || !("name" in a)) continue;
    const called = calledName(a.rhs);
    const cls = called && (out.classes.has(called) || out.aliases.has(called) ? called : returns.get(called));
    if (cls) out.instances.set(a.name.v, cls);
  }
}

/** `Name(...)` or `mod.Name(...)`: the name called, when the tokens are just that call. */
function calledName(toks: Tok[]): string | undefined {
  const node = new ExprParser(toks).parse();
  return node?.k === "call" ? dotted(node.fn) : undefined;
}

function readClass(st: Stmt, scope: Scope): PythonClass {
  const colon = headerColon(st.toks);
  const bases = splitTopLevel(st.toks.slice(3, colon - 1)).map((part) => part.map((t) => t.v).join(""));
  const cls: PythonClass = { bases, fields: new Map() };
  for (const child of st.children) {
    if (child.toks[0]?.v === "class" && child.toks[1]?.v === "Config") {
      for (const inner of child.children) readConfigAssignment(inner.toks, scope, cls);
      continue;
    }
    const a = assignment(child.toks);
    if (!a || !("name" in a)) continue;
    if (a.name.v === "model_config") {
      const node = new ExprParser(a.rhs).parse();
      if (node?.k === "call") for (const kw of node.kwargs) configValue(kw.name, kw.value, scope, cls);
      continue;
    }
    // only annotated fields are pydantic fields (`NAME: int = 20`)
    if (child.toks[1]?.v !== ":") continue;
    const node = new ExprParser(a.rhs).parse();
    if (!node) continue;
    const isField = node.k === "call" && FIELD_CALL.test(dotted(node.fn) ?? "");
    const valueNode = isField ? (node.args[0] ?? node.kwargs.find((k) => k.name === "default")?.value) : node;
    const aliasNode = isField ? node.kwargs.find((k) => k.name === "validation_alias" || k.name === "alias")?.value : undefined;
    const alias = aliasNode?.k === "str" ? aliasNode.s : undefined;
    const via: Binding["via"] = [];
    const span = valueNode ? { start: nodeStart(valueNode), end: nodeEnd(valueNode) } : { start: a.name.start, end: a.name.end };
    const value = valueNode ? symToExpr(new Evaluator(scope, via).eval(valueNode), { span, nameSpan: { start: a.name.start, end: a.name.end }, via }) : { kind: "unknown" as const, span, nameSpan: span };
    cls.fields.set(a.name.v, alias === undefined ? { value } : { value, alias });
  }
  return cls;
}

function readConfigAssignment(toks: Tok[], scope: Scope, cls: PythonClass): void {
  const a = assignment(toks);
  const node = a && "name" in a ? new ExprParser(a.rhs).parse() : undefined;
  if (a && "name" in a && node) configValue(a.name.v, node, scope, cls);
}

function configValue(name: string, node: Node, scope: Scope, cls: PythonClass): void {
  const value = new Evaluator(scope, []).eval(node);
  if (name === "env_prefix" && value.k === "str") cls.envPrefix = value.s;
  if (name === "case_sensitive" && value.k === "bool") cls.caseSensitive = value.b;
}

function splitTopLevel(toks: Tok[]): Tok[][] {
  const parts: Tok[][] = [[]];
  for (const t of toks) {
    if (t.t === "op" && t.v === ",") parts.push([]);
    else parts[parts.length - 1].push(t);
  }
  return parts.filter((p) => p.length > 0);
}

function importedName(part: Tok[]): { name?: string; alias?: string } {
  const asAt = part.findIndex((t) => t.t === "name" && t.v === "as");
  const nameToks = asAt < 0 ? part : part.slice(0, asAt);
  const name = nameToks.map((t) => t.v).join("");
  if (!/^[A-Za-z_][\w.]*$/.test(name)) return {};
  const alias = asAt < 0 ? undefined : part[asAt + 1]?.v;
  return { name, alias };
}

/** `if __name__ == "__main__":` (either order, either quote). */
function isMainGuard(st: Stmt): boolean {
  const colon = headerColon(st.toks);
  const cond = st.toks.slice(1, colon).map((t) => (t.t === "str" ? JSON.stringify(t.s ?? "") : t.v));
  const text = cond.join(" ");
  return text === '__name__ == "__main__"' || text === '"__main__" == __name__';
}

/** Blocks that run when their statement is reached: a def (when called), try, with. */
const UNCONDITIONAL_BLOCKS = new Set(["def", "async", "try", "finally", "with", "class"]);

/**
 * Walks the statements in order. `scope` belongs to this block: the module's comes from runModule, which
 * already marks what branches may change; a nested block adds its own assignments as they come.
 */
function visit(stmts: Stmt[], scope: Scope, conditional: boolean, search: Search, module: boolean): void {
  for (const st of stmts) {
    const head = st.toks[0];
    if (head.t === "name" && COMPOUND.has(head.v)) {
      const unconditional = UNCONDITIONAL_BLOCKS.has(head.v) || (head.v === "if" && isMainGuard(st));
      visit(st.children, new Map(scope), conditional || !unconditional, search, false);
      if (!module && !unconditional) markConditional(scope, assignedNames(st.children));
      continue;
    }
    const a = assignment(st.toks);
    const exprToks = a && "name" in a ? a.rhs : a ? [] : st.toks;
    if (exprToks.some((t) => t.t === "op" && t.v === "(")) collect(new ExprParser(exprToks).parse(), exprToks, scope, conditional, search);
    if (module || !a) continue;
    if ("name" in a) scope.set(a.name.v, evalAssign(scope, a.name, a.rhs));
    else markConditional(scope, [a.augmented.v]);
  }
}

/** Names a branch or loop may assign: their value at the call is not known. */
function markConditional(scope: Scope, names: Iterable<string>): void {
  for (const name of names) {
    const known = scope.get(name);
    if (known) scope.set(name, { ...known, conditional: true });
  }
}

/** The calls to a searched function within an expression (any depth). */
function collect(node: Node | undefined, toks: Tok[], scope: Scope, conditional: boolean, search: Search): void {
  if (!node) return;
  switch (node.k) {
    case "call": {
      const written = dotted(node.fn);
      const callee = written && resolveName(written, search.aliases);
      if (callee && search.callees.has(callee)) search.calls.push(describeCall(node, callee, toks, scope, conditional));
      collect(node.fn, toks, scope, conditional, search);
      for (const arg of node.args) collect(arg, toks, scope, conditional, search);
      for (const kw of node.kwargs) collect(kw.value, toks, scope, conditional, search);
      return;
    }
    case "attr":
    case "index":
      collect(node.obj, toks, scope, conditional, search);
      return;
    case "bin":
      collect(node.a, toks, scope, conditional, search);
      collect(node.b, toks, scope, conditional, search);
      return;
    case "unary":
      collect(node.a, toks, scope, conditional, search);
      return;
    case "list":
      for (const item of node.items) collect(item, toks, scope, conditional, search);
      return;
    default:
      return;
  }
}

function resolveName(written: string, aliases: Map<string, string>): string {
  const dot = written.indexOf(".");
  const head = dot < 0 ? written : written.slice(0, dot);
  const target = aliases.get(head);
  return target === undefined ? written : target + (dot < 0 ? "" : written.slice(dot));
}

function describeCall(node: Extract<Node, { k: "call" }>, callee: string, toks: Tok[], scope: Scope, conditional: boolean): PythonCall {
  const start = nodeStart(node.fn);
  const argument = (value: Node, nameSpan?: Span): PythonArgument => {
    const via: Binding["via"] = [];
    const span = { start: nodeStart(value), end: nodeEnd(value) };
    const val = new Evaluator(scope, via).eval(value);
    const name = dotted(value);
    return { value: symToExpr(val, { span, nameSpan: nameSpan ?? span, via }), ...(name && name.includes(".") ? { dottedName: name } : {}) };
  };
  const kwargs = new Map<string, PythonArgument>();
  for (const kw of node.kwargs) {
    const keyword = toks.find((t) => t.t === "name" && t.v === kw.name && t.end <= nodeStart(kw.value) && t.start > start);
    const nameSpan = keyword ? { start: keyword.start, end: keyword.end } : undefined;
    kwargs.set(kw.name, argument(kw.value, nameSpan));
  }
  return {
    callee,
    calleeSpan: { start, end: nodeEnd(node.fn) },
    span: { start, end: node.end },
    args: node.args.map((arg) => argument(arg)),
    kwargs,
    spread: hasSpread(toks, nodeEnd(node.fn), node.end),
    conditional,
  };
}

/** A `*x` or `**x` argument directly inside the call's parentheses (from `open` to `end`). */
function hasSpread(toks: Tok[], open: number, end: number): boolean {
  let depth = 0;
  let previous: Tok | undefined;
  for (const t of toks) {
    if (t.start < open || t.end > end) continue;
    if (t.t === "op" && (t.v === "(" || t.v === "[" || t.v === "{")) depth++;
    else if (t.t === "op" && (t.v === ")" || t.v === "]" || t.v === "}")) depth--;
    else if (depth === 1 && t.t === "op" && (t.v === "*" || t.v === "**") && (previous?.v === "(" || previous?.v === ",")) return true;
    previous = t;
  }
  return false;
}
