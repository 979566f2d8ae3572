// config/puma.rb read as text. The file is Ruby that Puma evaluates with its configuration
// DSL; Headroom never runs it. It reads the top-level DSL calls (`workers 2`, `threads 5, 5`,
// `port ENV.fetch("PORT") { 3000 }`, `preload_app!`, …) and describes their arguments, following
// local variables (`max_threads_count = ENV.fetch("RAILS_MAX_THREADS") { 5 }`).
//
// DSL names follow Puma 6.x's Puma::DSL (lib/puma/dsl.rb). `threads min, max` is reported as
// two settings, `min_threads` and `max_threads` (with one argument, both are that argument).
// A call inside a top-level `if`/`unless`, or with a trailing `if`/`unless` modifier, is marked
// `conditional`. Calls inside blocks (`on_worker_boot do … end`), methods and classes are
// ignored. A local assignment such as `workers = ENV.fetch(…)` is NOT the DSL call: it lands in
// `locals`, not `settings` (nickjj/docker-rails-example has exactly this slip).
//
// Unicorn's config file (`unicorn -c config/unicorn.rb`) is the same kind of Ruby DSL and is read
// the same way with Unicorn::Configurator's names (parseUnicornRb).

import type { ParseProblem, Span } from "../types.ts";
import { type EnvCondition, type SettingExpr, type SymVal, symToExpr } from "./setting-expr.ts";

/** Puma 6.x DSL methods that take a value (Puma::DSL). */
export const PUMA_DSL: ReadonlySet<string> = new Set([
  "workers", "threads", "port", "bind", "environment", "worker_timeout", "worker_boot_timeout",
  "worker_shutdown_timeout", "worker_culling_strategy", "worker_check_interval", "preload_app!",
  "persistent_timeout", "first_data_timeout", "max_fast_inline", "queue_requests",
  "wait_for_less_busy_worker", "fork_worker", "pidfile", "state_path", "state_permission", "rackup",
  "directory", "tag", "plugin", "silence_single_worker_warning", "silence_fork_callback_warning",
  "activate_control_app", "stdout_redirect", "log_requests", "quiet", "debug", "ssl_bind",
  "nakayoshi_fork", "extra_runtime_dependencies", "prune_bundler", "drain_on_shutdown",
  "force_shutdown_after", "shutdown_debug", "max_keep_alive", "idle_timeout",
  "raise_exception_on_sigterm", "supported_http_methods", "http_content_length_limit",
  "enable_keep_alives", "io_selector_backend", "early_hints", "set_remote_address",
  "mutate_stdout_and_stderr_to_sync_on_write", "custom_logger", "log_formatter", "clean_thread_locals",
  "lowlevel_error_handler", "control_url", "restart_command", "app", "load", "environment",
  // Added to Puma's DSL by Solid Queue's plugin (lib/puma/plugin/solid_queue.rb).
  "solid_queue_mode",
]);

/** Unicorn 6.x Unicorn::Configurator methods that take a value (worker_processes defaults to 1, timeout to 60). */
export const UNICORN_DSL: ReadonlySet<string> = new Set([
  "worker_processes", "timeout", "preload_app", "listen", "pid", "stderr_path", "stdout_path", "working_directory",
  "user", "check_client_connection", "early_hints", "rewindable_input", "client_body_buffer_size", "default_middleware",
  "worker_exec", "logger",
]);

export interface PumaRb {
  settings: Map<string, SettingExpr>;
  locals: Map<string, SettingExpr>;
  problems: ParseProblem[];
}

interface Tok {
  t: "id" | "const" | "num" | "str" | "sym" | "op" | "nl";
  v: string;
  start: number;
  end: number;
  /** For str: the text, undefined when interpolated. */
  s?: string;
}

const OPS = ["||=", "&&=", "**", "||", "&&", "==", "!=", "<=", ">=", "=~", "::", "=>", "..", "+=", "-=", "*=", "<<", "&."];

function tokenize(text: string, file: string, problems: ParseProblem[]): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = text.length;
  let lineStart = true;
  while (i < n) {
    const c = text[i];
    if (lineStart && text.startsWith("=begin", i)) {
      const stop = text.indexOf("\n=end", i);
      i = stop < 0 ? n : stop + 5;
      while (i < n && text[i] !== "\n") i++;
      continue;
    }
    if (lineStart && text.startsWith("__END__", i) && /^__END__\s*$/m.test(text.slice(i, i + 9))) break;
    lineStart = false;
    if (c === "\n" || c === "\r") {
      toks.push({ t: "nl", v: "\n", start: i, end: i + 1 });
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      lineStart = true;
      continue;
    }
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === "\\" && (text[i + 1] === "\n" || text[i + 1] === "\r")) {
      i += text[i + 1] === "\r" && text[i + 2] === "\n" ? 3 : 2;
      continue;
    }
    if (c === "#") {
      while (i < n && text[i] !== "\n" && text[i] !== "\r") i++;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      let interp = false;
      let s = "";
      let braces = 0;
      while (j < n && (text[j] !== c || braces > 0)) {
        if (text[j] === "\\" && j + 1 < n) {
          const e = text[j + 1];
          s += c === "'" ? (e === "'" || e === "\\" ? e : `\\${e}`) : e === "n" ? "\n" : e === "t" ? "\t" : e;
          j += 2;
          continue;
        }
        if (c !== "'" && text[j] === "#" && text[j + 1] === "{") {
          interp = true;
          braces++;
          j += 2;
          continue;
        }
        if (braces > 0 && text[j] === "{") braces++;
        if (braces > 0 && text[j] === "}") braces--;
        s += text[j];
        j++;
      }
      if (j >= n) problems.push({ message: "Unterminated string", at: { file, start: i, end: n }, severity: "warning" });
      const end = Math.min(j + 1, n);
      const tok: Tok = { t: "str", v: text.slice(i, end), start: i, end };
      if (!interp && c !== "`") tok.s = s;
      toks.push(tok);
      i = end;
      continue;
    }
    if (c === ":" && /[A-Za-z_]/.test(text[i + 1] ?? "") && text[i - 1] !== ":") {
      const m = /^:[A-Za-z_][A-Za-z0-9_]*[?!]?/.exec(text.slice(i, i + 100)) as RegExpExecArray;
      toks.push({ t: "sym", v: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*[?!]?/.exec(text.slice(i, i + 200));
    if (id) {
      let v = id[0];
      // `a!=b`: the `!` belongs to the operator
      if (v.endsWith("!") && text[i + v.length] === "=") v = v.slice(0, -1);
      if (v.endsWith("?") && /[A-Za-z0-9_]/.test(text[i + v.length] ?? "")) v = v.slice(0, -1);
      toks.push({ t: /^[A-Z]/.test(v) ? "const" : "id", v, start: i, end: i + v.length });
      i += v.length;
      continue;
    }
    const num = /^\d[\d_]*(\.\d[\d_]*)?/.exec(text.slice(i, i + 100));
    if (num) {
      toks.push({ t: "num", v: num[0], start: i, end: i + num[0].length });
      i += num[0].length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i)) ?? c;
    toks.push({ t: "op", v: op, start: i, end: i + op.length });
    i += op.length;
  }
  return toks;
}

/** One test of a branch: its tokens, and whether the branch runs when the test fails (`unless`, a later branch). */
interface Cond {
  toks: Tok[];
  negated: boolean;
}

interface Stmt {
  toks: Tok[];
  /** Inside a top-level if/unless/else. */
  conditional: boolean;
  /**
   * The tests that must all hold for the top-level block's branch to run: an `elsif` branch's own and the earlier branches'
   * failing, an `else` branch's every earlier branch failing. `conds` is absent where the branch cannot be told (`case`'s `when`).
   */
  block?: { conds?: Cond[] };
}

const OPENERS = new Set(["if", "unless", "while", "until", "case", "begin", "def", "class", "module", "for"]);
const CONTINUES = new Set([",", "||", "&&", "+", "-", "*", "/", "=", "(", "[", "{", ".", "&.", "=>", "||=", "&&="]);

/** Splits tokens into top-level statements, skipping blocks other than top-level if/unless. */
function statements(toks: Tok[]): Stmt[] {
  const out: Stmt[] = [];
  // logical lines: join when brackets are open or the line ends with an operator
  const lines: Tok[][] = [];
  let cur: Tok[] = [];
  let depth = 0;
  for (const t of toks) {
    if (t.t === "nl") {
      const last = cur[cur.length - 1];
      if (depth > 0 || (last && last.t === "op" && CONTINUES.has(last.v) && last.v !== "{")) continue;
      if (cur.length) lines.push(cur);
      cur = [];
      continue;
    }
    if (t.t === "op" && (t.v === "(" || t.v === "[" || t.v === "{")) depth++;
    if (t.t === "op" && (t.v === ")" || t.v === "]" || t.v === "}")) depth = Math.max(0, depth - 1);
    if (t.t === "op" && t.v === ";" && depth === 0) {
      if (cur.length) lines.push(cur);
      cur = [];
      continue;
    }
    cur.push(t);
  }
  if (cur.length) lines.push(cur);

  // block structure: a stack of open blocks; statements count only at the top level or
  // directly in a top-level if/unless/else
  const stack: Array<"cond" | "skip"> = [];
  let block: Stmt["block"];
  // The tests of the top-level if's branches so far, each as written (the `if`'s, each `elsif`'s).
  let chain: Cond[] = [];
  const failing = (c: Cond): Cond => ({ toks: c.toks, negated: !c.negated });
  for (const line of lines) {
    const head = line[0];
    const opensDo = line.some((t, k) => t.t === "id" && t.v === "do" && k > 0);
    if (head.t === "id" && head.v === "end") {
      if (stack.pop() === "cond") block = undefined;
      continue;
    }
    if (head.t === "id" && (head.v === "else" || head.v === "elsif" || head.v === "when" || head.v === "rescue" || head.v === "ensure")) {
      // The top-level block's other branch: `elsif` runs when the earlier tests fail and its own holds, `else` when they all fail.
      if (stack.length === 1 && stack[0] === "cond" && block) {
        if (head.v === "elsif" && block.conds) {
          const then = line.findIndex((t, k) => k > 0 && t.t === "id" && t.v === "then");
          const own = { toks: line.slice(1, then > 0 ? then : undefined), negated: false };
          block = { conds: [...chain.map(failing), own] };
          chain = [...chain, own];
        } else block = head.v === "else" && block.conds ? { conds: chain.map(failing) } : {};
      }
      continue;
    }
    const inSkip = stack.includes("skip");
    const condDepth = stack.filter((s) => s === "cond").length;
    if (head.t === "id" && OPENERS.has(head.v)) {
      // `x = if …` is not handled: it is an opener too
      const cond = (head.v === "if" || head.v === "unless") && !inSkip && condDepth === 0;
      stack.push(cond ? "cond" : "skip");
      if (cond) {
        const then = line.findIndex((t, k) => k > 0 && t.t === "id" && t.v === "then");
        chain = [{ toks: line.slice(1, then > 0 ? then : undefined), negated: head.v === "unless" }];
        block = { conds: chain };
      }
      if (line.some((t) => t.t === "id" && t.v === "end")) {
        // one-line `if x then y end`
        if (stack.pop() === "cond") block = undefined;
      }
      continue;
    }
    const inBlock = condDepth > 0 && block ? { block } : {};
    if (!inSkip && !opensDo) out.push({ toks: line, conditional: condDepth > 0, ...inBlock });
    if (opensDo) {
      const ends = line.filter((t) => t.t === "id" && t.v === "end").length;
      const dos = line.filter((t) => t.t === "id" && t.v === "do").length;
      for (let k = 0; k < dos - ends; k++) stack.push("skip");
      if (!inSkip && dos === ends) out.push({ toks: line, conditional: condDepth > 0, ...inBlock });
    } else if (line.some((t) => t.t === "id" && OPENERS.has(t.v) && t.v !== "if" && t.v !== "unless" && t.v !== "while" && t.v !== "until")) {
      // `x = begin` / `x = case …` spanning lines
      if (!line.some((t) => t.t === "id" && t.v === "end")) stack.push("skip");
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Expressions (a small subset of Ruby)

type Scope = Map<string, { val: SymVal; nameSpan: Span; span: Span; via: Array<{ span: Span; note: string }> }>;

const UNKNOWN: SymVal = { k: "unknown" };
// The host's CPU counts. concurrent-ruby's available_processor_count (1.3+) reads the cgroup CPU quota,
// so it is the container's limit, not one of these (it reads as unknown).
const CPU_CALLS = new Set(["Etc.nprocessors", "Concurrent.processor_count", "Concurrent.physical_processor_count"]);

class RubyExpr {
  private p = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly scope: Scope,
    readonly via: Array<{ span: Span; note: string }>,
  ) {}

  /** Parses the whole token list as one expression; unknown when anything is left over. */
  all(): SymVal {
    if (!this.toks.length) return UNKNOWN;
    const choice = this.ternary();
    if (choice) return choice;
    try {
      const v = this.or();
      return this.p === this.toks.length ? v : UNKNOWN;
    } catch {
      return UNKNOWN;
    }
  }
  /**
   * `test ? a : b` whose test is one Headroom reads (`Rails.env.production?`, `ENV["X"]`, `ENV["X"] == "v"`): both values,
   * the deployment's environment picks one. Ruby's `?:` binds looser than `||` and `==`, so the test is everything before
   * the first `?` at the top level; another test is unknown (no branch is guessed). Undefined when there is no `?`.
   */
  private ternary(): SymVal | undefined {
    let depth = 0;
    let question = -1;
    let colon = -1;
    let nested = 0;
    for (let j = 0; j < this.toks.length; j++) {
      const t = this.toks[j];
      if (t.t !== "op") continue;
      if (t.v === "(" || t.v === "[" || t.v === "{") depth++;
      else if (t.v === ")" || t.v === "]" || t.v === "}") depth--;
      else if (depth === 0 && t.v === "?") {
        if (question < 0) question = j;
        else nested++;
      } else if (depth === 0 && t.v === ":" && question >= 0) {
        if (nested === 0) {
          colon = j;
          break;
        }
        nested--;
      }
    }
    if (question < 0) return undefined;
    if (colon < 0 || question === 0 || colon === question + 1 || colon === this.toks.length - 1) return UNKNOWN;
    const when = envCondition(this.toks.slice(0, question), this.scope, false);
    if (!when) return UNKNOWN;
    return { k: "cond", when, yes: this.sub(this.toks.slice(question + 1, colon)), no: this.sub(this.toks.slice(colon + 1)) };
  }

  private peek(): Tok | undefined {
    return this.toks[this.p];
  }
  private is(v: string): boolean {
    const t = this.peek();
    return !!t && (t.t === "op" || t.t === "id") && t.v === v;
  }
  private expect(v: string): Tok {
    const t = this.peek();
    if (!t || t.v !== v) throw new Error(`expected ${v}`);
    this.p++;
    return t;
  }

  private or(): SymVal {
    let a = this.arith();
    while (this.is("||") || this.is("or")) {
      this.p++;
      const b = this.arith();
      if (openEnvDefault(a)) a = withEnvDefault(a, b);
      else if (a.k === "num" || a.k === "str") {
        // a literal is always truthy in Ruby
      } else a = UNKNOWN;
    }
    if (this.peek() && this.peek()?.t === "op" && ["==", "!=", "<", ">", "<=", ">=", "&&", "?"].includes(this.peek()?.v ?? "")) {
      throw new Error("unsupported");
    }
    return a;
  }
  private arith(): SymVal {
    let a = this.term();
    while (this.is("+") || this.is("-")) {
      const op = (this.peek() as Tok).v;
      this.p++;
      const b = this.term();
      a = combine(op, a, b);
    }
    return a;
  }
  private term(): SymVal {
    let a = this.postfix();
    while (this.is("*") || this.is("/")) {
      const op = (this.peek() as Tok).v;
      this.p++;
      const b = this.postfix();
      a = combine(op, a, b);
    }
    return a;
  }
  private postfix(): SymVal {
    const first = this.peek() as Tok;
    let a = this.primary();
    while (this.is(".") || this.is("&.")) {
      this.p++;
      const m = this.peek();
      if (!m || (m.t !== "id" && m.t !== "const")) throw new Error("method");
      this.p++;
      const called = this.is("(") ? this.args() : [];
      if (m.v === "to_i" || m.v === "to_f" || m.v === "to_s" || m.v === "to_int" || m.v === "freeze") {
        if ((m.v === "to_i" || m.v === "to_f") && a.k === "str") {
          const num = Number(a.s);
          a = a.s.trim() !== "" && Number.isFinite(num) ? { k: "num", n: num, text: a.s, span: a.span } : UNKNOWN;
        }
        // nil.to_i is 0: the variable's integer, unset or not (an integer test reads it so).
        if (m.v === "to_i" && a.k === "env" && !a.required) a = { ...a, toI: true };
        continue;
      }
      if ((m.v === "max" || m.v === "min") && a.k === "list" && called.length === 0) {
        a = extreme(a.items, m.v, { start: first.start, end: m.end });
        continue;
      }
      a = UNKNOWN;
    }
    return a;
  }
  /**
   * A double-quoted string that is one interpolation and nothing else (`"#{num_workers}"`: Discourse's puma.rb) is that
   * value as text; Puma's DSL reads it with to_i, as it reads a number. Any other interpolated string is unknown.
   */
  private interpolation(t: Tok): SymVal {
    const inner = /^"#\{([^{}"#]*)\}"$/.exec(t.v);
    if (!inner) return UNKNOWN;
    const shift = t.start + 3;
    const toks = tokenize(inner[1], "", []).map((x) => ({ ...x, start: x.start + shift, end: x.end + shift }));
    return toks.some((x) => x.t === "nl") ? UNKNOWN : this.sub(toks);
  }
  private args(open = "(", close = ")"): Tok[][] {
    this.expect(open);
    const out: Tok[][] = [];
    let depth = 0;
    let cur: Tok[] = [];
    while (this.p < this.toks.length) {
      const t = this.toks[this.p++];
      if (t.t === "op" && (t.v === "(" || t.v === "[" || t.v === "{")) depth++;
      if (t.t === "op" && (t.v === ")" || t.v === "]" || t.v === "}")) {
        if (depth === 0) {
          if (t.v !== close) throw new Error(`expected ${close}`);
          if (cur.length) out.push(cur);
          return out;
        }
        depth--;
      }
      if (t.t === "op" && t.v === "," && depth === 0) {
        out.push(cur);
        cur = [];
        continue;
      }
      cur.push(t);
    }
    throw new Error("unclosed");
  }
  private sub(toks: Tok[]): SymVal {
    return new RubyExpr(toks, this.scope, this.via).all();
  }
  private primary(): SymVal {
    const t = this.peek();
    if (!t) throw new Error("eof");
    this.p++;
    if (t.t === "num") {
      const n = Number(t.v.replace(/_/g, ""));
      return { k: "num", n, text: t.v, span: { start: t.start, end: t.end } };
    }
    if (t.t === "str") return t.s === undefined ? this.interpolation(t) : { k: "str", s: t.s, span: { start: t.start, end: t.end } };
    if (t.t === "op" && t.v === "[") {
      this.p--;
      const items = this.args("[", "]");
      return { k: "list", items: items.map((item) => this.sub(item)) };
    }
    if (t.t === "sym") return UNKNOWN;
    if (t.t === "op" && t.v === "(") {
      const start = this.p - 1;
      this.p = start;
      const inner = this.args();
      return inner.length === 1 ? this.sub(inner[0]) : UNKNOWN;
    }
    if (t.t === "id") {
      if (t.v === "true" || t.v === "false") return { k: "bool", b: t.v === "true" };
      if (t.v === "nil") return { k: "none" };
      const b = this.scope.get(t.v);
      if (b && !this.is("(")) {
        this.via.push(...b.via, { span: b.nameSpan, note: `local variable ${t.v}` });
        return b.val;
      }
      return UNKNOWN;
    }
    if (t.t === "const") {
      if ((t.v === "Integer" || t.v === "Float" || t.v === "String") && this.is("(")) {
        const a = this.args();
        if (!a.length) return UNKNOWN;
        const v = this.sub(a[0]);
        if (v.k === "str" && t.v !== "String") {
          const num = Number(v.s);
          return v.s.trim() !== "" && Number.isFinite(num) ? { k: "num", n: num, text: v.s, span: v.span } : UNKNOWN;
        }
        return v;
      }
      if (t.v === "ENV") return this.env();
      // Etc.nprocessors, Concurrent.processor_count, Concurrent.physical_processor_count
      if (this.is(".")) {
        const m = this.toks[this.p + 1];
        if (m && CPU_CALLS.has(`${t.v}.${m.v}`)) {
          this.p += 2;
          if (this.is("(")) {
            if (this.args().length) return UNKNOWN;
          }
          return { k: "cpu", f: { multiplier: 1, add: 0 } };
        }
      }
      return UNKNOWN;
    }
    throw new Error(`unexpected ${t.v}`);
  }
  /** After `ENV`: `ENV["X"]`, `ENV.fetch("X")`, `ENV.fetch("X", d)`, `ENV.fetch("X") { d }`. */
  private env(): SymVal {
    if (this.is("[")) {
      this.p++;
      const key = this.peek();
      this.p++;
      this.expect("]");
      return key?.t === "str" && key.s !== undefined ? { k: "env", name: key.s } : UNKNOWN;
    }
    if (this.is(".") && this.toks[this.p + 1]?.v === "fetch") {
      this.p += 2;
      let args: Tok[][];
      if (this.is("(")) args = this.args();
      else {
        // `ENV.fetch "X"` without parentheses
        const k = this.peek();
        if (k?.t !== "str") throw new Error("fetch");
        this.p++;
        args = [[k]];
      }
      const key = args[0]?.length === 1 ? args[0][0] : undefined;
      if (key?.t !== "str" || key.s === undefined) return UNKNOWN;
      let def: SymVal | undefined = args[1] ? this.sub(args[1]) : undefined;
      if (this.is("{")) {
        // block default
        const open = this.p;
        let depth = 0;
        let close = -1;
        for (let j = open; j < this.toks.length; j++) {
          const v = this.toks[j];
          if (v.t === "op" && v.v === "{") depth++;
          if (v.t === "op" && v.v === "}" && --depth === 0) {
            close = j;
            break;
          }
        }
        if (close < 0) throw new Error("block");
        let body = this.toks.slice(open + 1, close);
        if (body[0]?.v === "|") body = body.slice(body.findIndex((x, k) => k > 0 && x.v === "|") + 1);
        def = this.sub(body);
        this.p = close + 1;
      }
      return def ? { k: "env", name: key.s, def } : { k: "env", name: key.s, required: true };
    }
    return UNKNOWN;
  }
}

/** The innermost variable of `ENV["A"] || ENV["B"]` that has no default yet, so `|| 5` becomes its default. */
function openEnvDefault(v: SymVal): boolean {
  // `ENV["X"].to_i || 5`: to_i gives 0 for an unset variable, never nil, so `|| 5` never applies.
  if (v.k !== "env" || v.required || v.toI) return false;
  return v.def === undefined || openEnvDefault(v.def);
}

function withEnvDefault(v: SymVal, def: SymVal): SymVal {
  if (v.k !== "env") return v;
  return { k: "env", name: v.name, def: v.def === undefined ? def : withEnvDefault(v.def, def) };
}

/**
 * `[a, b].max` / `.min`: of numbers, the number; of a variable's integer and a number (`[ENV.fetch("WEB_CONCURRENCY", 2).to_i, 1].max`), the variable where its integer passes
 * the number, else the number, as the deployment's environment sets it. Anything else (a CPU count among them) is unknown.
 */
function extreme(items: SymVal[], which: "max" | "min", span: Span): SymVal {
  if (items.length > 0 && items.every((i) => i.k === "num")) {
    let best = items[0] as Extract<SymVal, { k: "num" }>;
    for (const item of items as Array<Extract<SymVal, { k: "num" }>>) if (which === "max" ? item.n > best.n : item.n < best.n) best = item;
    return best;
  }
  if (items.length !== 2) return UNKNOWN;
  const number = items.find((i) => i.k === "num");
  const other = items.find((i) => i !== number);
  if (!number || number.k !== "num" || !other) return UNKNOWN;
  if (other.k !== "env" || !other.toI || !Number.isInteger(number.n)) return UNKNOWN;
  const def = other.def;
  if (def !== undefined && def.k !== "none" && def.k !== "num" && def.k !== "str") return UNKNOWN;
  const when: EnvCondition = {
    envName: other.name,
    test: "integer",
    operator: which === "max" ? ">=" : "<=",
    value: String(number.n),
    ...(def?.k === "num" ? { default: def.text } : def?.k === "str" ? { default: def.s } : {}),
    negated: false,
    span,
  };
  return { k: "cond", when, yes: other, no: number };
}

function combine(op: string, a: SymVal, b: SymVal): SymVal {
  if (a.k === "num" && b.k === "num") {
    const n = op === "+" ? a.n + b.n : op === "-" ? a.n - b.n : op === "*" ? a.n * b.n : Math.floor(a.n / b.n);
    return Number.isFinite(n) ? { k: "num", n, text: String(n), span: a.span } : UNKNOWN;
  }
  const cpu = a.k === "cpu" ? a : b.k === "cpu" ? b : undefined;
  const other = cpu === a ? b : a;
  if (!cpu || other.k !== "num" || cpu.f.min !== undefined || cpu.f.max !== undefined) return UNKNOWN;
  if (op === "*") return { k: "cpu", f: { ...cpu.f, multiplier: cpu.f.multiplier * other.n, add: cpu.f.add * other.n } };
  if (op === "+") return { k: "cpu", f: { ...cpu.f, add: cpu.f.add + other.n } };
  if (op === "-" && cpu === a) return { k: "cpu", f: { ...cpu.f, add: cpu.f.add - other.n } };
  return UNKNOWN;
}

// ---------------------------------------------------------------------------------------------

function splitArgs(toks: Tok[]): Tok[][] {
  const out: Tok[][] = [];
  let cur: Tok[] = [];
  let depth = 0;
  for (const t of toks) {
    if (t.t === "op" && (t.v === "(" || t.v === "[" || t.v === "{")) depth++;
    if (t.t === "op" && (t.v === ")" || t.v === "]" || t.v === "}")) depth--;
    if (t.t === "op" && t.v === "," && depth === 0) {
      out.push(cur);
      cur = [];
      continue;
    }
    cur.push(t);
  }
  if (cur.length) out.push(cur);
  return out;
}

function span(toks: Tok[]): Span {
  return { start: toks[0].start, end: toks[toks.length - 1].end };
}

/** The prefix of a plugin's entry among the settings: `plugin :solid_queue` is `plugin:solid_queue`. */
export const PUMA_PLUGIN = "plugin:";

/**
 * The condition of a statement when it tests one environment variable: `ENV["X"]`, `ENV.fetch("X", nil)`,
 * `ENV["X"].present?`, `!ENV["X"]`, `ENV["X"] == "v"` or `!=`, `ENV.fetch("X", "d") == "v"`. Undefined for any other.
 */
function envCondition(toks: Tok[], scope: Scope, negated: boolean): EnvCondition | undefined {
  if (toks.length === 0) return undefined;
  const span = { start: toks[0].start, end: toks[toks.length - 1].end };
  let rest = toks;
  let not = negated;
  if (rest[0].t === "op" && rest[0].v === "!") {
    rest = rest.slice(1);
    not = !not;
  }
  const railsEnv = railsEnvTest(rest);
  if (railsEnv) return { envName: "RAILS_ENV", test: "rails-env", value: railsEnv.value, negated: railsEnv.negated ? !not : not, span };
  const compare = rest.findIndex((t) => t.t === "op" && (t.v === "==" || t.v === "!="));
  const ordered = rest.findIndex((t) => t.t === "op" && (t.v === ">" || t.v === ">=" || t.v === "<" || t.v === "<="));
  const integerAt = ordered > 0 ? ordered : compare > 0 && rest[compare + 1]?.t === "num" ? compare : -1;
  if (integerAt > 0) return integerCondition(rest.slice(0, integerAt), rest[integerAt].v as NonNullable<EnvCondition["operator"]>, rest.slice(integerAt + 1), scope, not, span);
  const variable = (part: Tok[]) => {
    const val = new RubyExpr(part, scope, []).all();
    if (val.k !== "env" || val.required) return undefined;
    const def = val.def;
    if (def === undefined || def.k === "none") return { name: val.name };
    return def.k === "str" ? { name: val.name, default: def.s } : undefined;
  };
  if (compare > 0) {
    const left = variable(rest.slice(0, compare));
    const right = rest.slice(compare + 1);
    if (!left || right.length !== 1 || right[0].t !== "str" || right[0].s === undefined) return undefined;
    const equals = { envName: left.name, test: "equals" as const, value: right[0].s, ...(left.default !== undefined ? { default: left.default } : {}) };
    return { ...equals, negated: rest[compare].v === "!=" ? !not : not, span };
  }
  const present = rest.length > 2 && rest[rest.length - 2].v === "." && rest[rest.length - 1].v === "present?";
  const found = variable(present ? rest.slice(0, -2) : rest);
  // A default makes the variable always set: not a test Headroom reads.
  if (!found || found.default !== undefined) return undefined;
  return { envName: found.name, test: present ? "present" : "set", negated: not, span };
}

/**
 * `ENV["X"].to_i > 0`, `ENV.fetch("X", 2).to_i >= 1`, `count.to_i == 0` for a local holding such a variable: the variable's
 * to_i (0 when unset or not a number, as Ruby's) compared with an integer. Without to_i (a String compared with a number
 * raises in Ruby), or against anything but an integer literal, undefined.
 */
function integerCondition(left: Tok[], operator: NonNullable<EnvCondition["operator"]>, right: Tok[], scope: Scope, negated: boolean, span: Span): EnvCondition | undefined {
  if (right.length !== 1 || right[0].t !== "num" || !/^\d[\d_]*$/.test(right[0].v)) return undefined;
  const val = new RubyExpr(left, scope, []).all();
  if (val.k !== "env" || !val.toI) return undefined;
  const def = val.def;
  if (def !== undefined && def.k !== "none" && def.k !== "num" && def.k !== "str") return undefined;
  const fallback = def?.k === "num" ? { default: def.text } : def?.k === "str" ? { default: def.s } : {};
  return { envName: val.name, test: "integer", operator, value: right[0].v.replace(/_/g, ""), ...fallback, negated, span };
}

/**
 * `Rails.env.production?`, `Rails.env == "production"` (or `!=`, `"production" == Rails.env`): the environment tested,
 * and whether the test is that it differs. Undefined for anything else.
 */
function railsEnvTest(toks: Tok[]): { value: string; negated: boolean } | undefined {
  const isRailsEnv = (t: Tok[]) => t.length === 3 && t[0].t === "const" && t[0].v === "Rails" && t[1].v === "." && t[2].t === "id" && t[2].v === "env";
  if (toks.length === 5 && isRailsEnv(toks.slice(0, 3)) && toks[3].v === "." && toks[4].t === "id" && /^[a-z_][a-z0-9_]*\?$/.test(toks[4].v)) {
    return { value: toks[4].v.slice(0, -1), negated: false };
  }
  const compare = toks.findIndex((t) => t.t === "op" && (t.v === "==" || t.v === "!="));
  if (compare < 0 || toks.length !== 5) return undefined;
  const [left, right] = [toks.slice(0, compare), toks.slice(compare + 1)];
  const literal = isRailsEnv(left) ? right : isRailsEnv(right) ? left : undefined;
  if (!literal || literal.length !== 1 || literal[0].t !== "str" || literal[0].s === undefined) return undefined;
  return { value: literal[0].s, negated: toks[compare].v === "!=" };
}

/** The conjunction of a statement's tests as one condition, when each is one Headroom reads; undefined otherwise. */
function allConditions(conds: Cond[], scope: Scope): EnvCondition | undefined {
  let out: EnvCondition | undefined;
  for (const cond of [...conds].reverse()) {
    const one = envCondition(cond.toks, scope, cond.negated);
    if (!one) return undefined;
    out = out ? { ...one, and: out } : one;
  }
  return out;
}

/** The condition of an `if`/`unless`/`elsif` written as Ruby code (an ERB control tag's), when Headroom reads it. */
export function parseRubyCondition(code: string, negated: boolean): EnvCondition | undefined {
  const toks = tokenize(code, "", []).filter((t) => t.t !== "nl");
  return envCondition(toks, new Map(), negated);
}

/** Reads a Puma config file (Ruby) as text. Never throws. */
export function parsePumaRb(text: string, file: string): PumaRb {
  return parseRubyConfig(text, file, PUMA_DSL);
}

/** Reads a Unicorn config file (Ruby) as text: `worker_processes`, `timeout`, … Never throws. */
export function parseUnicornRb(text: string, file: string): PumaRb {
  return parseRubyConfig(text, file, UNICORN_DSL);
}

/** The top-level calls of `dsl` in a Ruby config file, with their arguments described. */
function parseRubyConfig(text: string, file: string, dsl: ReadonlySet<string>): PumaRb {
  const problems: ParseProblem[] = [];
  const settings = new Map<string, SettingExpr>();
  const locals = new Map<string, SettingExpr>();
  let stmts: Stmt[];
  try {
    stmts = statements(tokenize(text, file, problems));
  } catch (err) {
    problems.push({ message: `Could not read ${file}: ${(err as Error).message}`, at: { file, start: 0, end: 0 }, severity: "warning" });
    return { settings, locals, problems };
  }
  const topScope: Scope = new Map();
  // A setting written again under a condition keeps the earlier writes: the model takes the last one its environment runs (resolveBranches).
  const put = (key: string, expr: SettingExpr) => {
    const earlier = settings.get(key);
    if (earlier && expr.conditional) {
      const { alternatives, ...first } = earlier;
      expr.alternatives = [...(alternatives ?? []), first];
    }
    settings.set(key, expr);
  };
  // Locals assigned in the branch being read (Rails 7.1's `if ENV["RAILS_ENV"] == "production"` block sets
  // `worker_count = Integer(ENV.fetch("WEB_CONCURRENCY") { Concurrent.physical_processor_count })`, then
  // `workers worker_count if worker_count > 1`): their values hold for the branch's own statements; elsewhere they
  // read as unknown, as the branch may not have run.
  let branch: Stmt["block"];
  let branchScope: Scope = new Map();
  for (const st of stmts) {
    let toks = st.toks;
    let conditional = st.conditional;
    if (st.block !== branch) {
      branch = st.block;
      branchScope = new Map();
    }
    const scope: Scope = branchScope.size > 0 ? new Map([...topScope, ...branchScope]) : topScope;
    // trailing `if`/`unless` modifier
    const mod = toks.findIndex((t, k) => k > 0 && t.t === "id" && (t.v === "if" || t.v === "unless"));
    // The condition a setting depends on, when it tests one environment variable: the modifier's, else its block's.
    const conds = [...(st.block?.conds ?? []), ...(mod > 0 ? [{ toks: toks.slice(mod + 1), negated: toks[mod].v === "unless" }] : [])];
    // A modifier Headroom does not read (`if worker_count > 1`) leaves the branch's own condition.
    const when = conds.length > 0 && (mod > 0 || st.block?.conds) ? (allConditions(conds, scope) ?? (mod > 0 && st.block?.conds ? allConditions(st.block.conds, scope) : undefined)) : undefined;
    if (mod > 0) {
      toks = toks.slice(0, mod);
      conditional = true;
    }
    const onCondition = when ? { when } : {};
    const head = toks[0];
    if (head.t !== "id") continue;
    // local assignment
    if (toks[1]?.t === "op" && (toks[1].v === "=" || toks[1].v === "||=")) {
      const rhs = toks.slice(2);
      if (!rhs.length) continue;
      const via: Array<{ span: Span; note: string }> = [];
      const val = conditional || toks[1].v === "||=" ? UNKNOWN : new RubyExpr(rhs, scope, via).all();
      const b = { val, nameSpan: { start: head.start, end: head.end }, span: span(rhs), via };
      topScope.set(head.v, b);
      locals.set(head.v, symToExpr(val, b, conditional));
      // Assigned in a top-level branch, without a modifier of its own: its value, for the branch's statements.
      if (st.block && mod < 0 && toks[1].v === "=") {
        const branchVia: Array<{ span: Span; note: string }> = [];
        branchScope.set(head.v, { ...b, val: new RubyExpr(rhs, scope, branchVia).all(), via: branchVia });
      }
      continue;
    }
    if (!dsl.has(head.v)) continue;
    let argToks = toks.slice(1);
    if (argToks[0]?.t === "op" && argToks[0].v === "(" && argToks[argToks.length - 1]?.v === ")" && head.end === argToks[0].start) {
      argToks = argToks.slice(1, -1);
    }
    const args = splitArgs(argToks).filter((a) => a.length > 0);
    const nameSpan = { start: head.start, end: head.end };
    const read = (a: Tok[]): SettingExpr => {
      const via: Array<{ span: Span; note: string }> = [];
      const val = new RubyExpr(a, scope, via).all();
      return symToExpr(val, { span: span(a), nameSpan, via }, conditional);
    };
    if (head.v === "preload_app!") {
      const expr: SettingExpr = args.length
        ? read(args[0])
        : { kind: "bool", value: true, span: nameSpan, nameSpan };
      if (conditional) expr.conditional = true;
      put("preload_app", { ...expr, ...onCondition });
      continue;
    }
    if (!args.length) {
      // `quiet`, `prune_bundler`, `fork_worker` … with no argument: switched on
      put(head.v, { kind: "bool", value: true, span: nameSpan, nameSpan, ...(conditional ? { conditional } : {}), ...onCondition });
      continue;
    }
    // A symbol or string argument is its name: `plugin :solid_queue`, `solid_queue_mode :async`.
    const name = args.length === 1 && args[0].length === 1 && (args[0][0].t === "sym" ? args[0][0].v.slice(1) : args[0][0].s);
    if (head.v === "plugin" && name) {
      put(`${PUMA_PLUGIN}${name}`, { kind: "bool", value: true, span: { start: nameSpan.start, end: args[0][0].end }, nameSpan, ...(conditional ? { conditional } : {}), ...onCondition });
      continue;
    }
    if (head.v === "solid_queue_mode" && name) {
      put(head.v, { kind: "string", value: name, span: { start: args[0][0].start, end: args[0][0].end }, nameSpan, ...(conditional ? { conditional } : {}), ...onCondition });
      continue;
    }
    if (head.v === "threads") {
      const min = read(args[0]);
      const max = args[1] ? read(args[1]) : read(args[0]);
      put("min_threads", { ...min, ...onCondition });
      put("max_threads", { ...max, ...onCondition });
      continue;
    }
    put(head.v, { ...read(args[0]), ...onCondition });
  }
  return { settings, locals, problems };
}

/**
 * One Ruby expression written at [start, end) of `text` (the body of an ERB tag in database.yml,
 * say), described the way a Puma DSL argument is: `ENV.fetch("RAILS_MAX_THREADS") { 5 }` → env
 * with default 5. Spans stay offsets into `text`.
 */
export function parseRubyExpression(text: string, file: string, start: number, end: number): SettingExpr | undefined {
  // Read it as the argument of a DSL call placed just before it, everything else blanked out.
  const call = "workers ";
  if (start < call.length || end > text.length || start > end) return undefined;
  const before = text.slice(0, start - call.length).replace(/[^\n]/g, " ");
  return parsePumaRb(before + call + text.slice(start, end), file).settings.get("workers");
}
