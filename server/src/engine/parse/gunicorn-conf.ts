// gunicorn.conf.py read as text. The file is Python that gunicorn executes; Headroom never
// runs or imports it. It reads the top-level assignments of gunicorn settings and describes
// their right-hand sides (literal, environment variable with default, CPU-count formula),
// following local variables a few levels and the common `if ENV_STR: x = int(ENV_STR) else:
// x = <default>` idiom (tiangolo/uvicorn-gunicorn-docker). Anything else is kind "unknown".
// Its tokenizer, statement tree and evaluator are exported for the other Python files Headroom
// reads as text (parse/python-calls.ts: `uvicorn.run(...)` in the file `python main.py` runs).
//
// Setting names follow gunicorn's settings reference (23.0.0, plus newer names): a top-level
// name that is not a gunicorn setting is a local variable (returned in `locals`).

import type { ParseProblem, Span } from "../types.ts";
import { type SettingExpr, type SymVal as Val, symToExpr as toExpr } from "./setting-expr.ts";

export type { SettingExpr } from "./setting-expr.ts";

/** gunicorn's setting names (gunicorn.config.KNOWN_SETTINGS, 20.1 → 25.x). */
export const GUNICORN_SETTINGS: ReadonlySet<string> = new Set([
  "config", "wsgi_app", "bind", "backlog", "workers", "worker_class", "threads", "worker_connections",
  "max_requests", "max_requests_jitter", "timeout", "graceful_timeout", "keepalive",
  "limit_request_line", "limit_request_fields", "limit_request_field_size", "reload", "reload_engine",
  "reload_extra_files", "spew", "check_config", "print_config", "preload_app", "sendfile", "reuse_port",
  "chdir", "daemon", "raw_env", "pidfile", "worker_tmp_dir", "user", "group", "umask", "initgroups",
  "tmp_upload_dir", "secure_scheme_headers", "forwarded_allow_ips", "accesslog",
  "disable_redirect_access_to_syslog", "access_log_format", "errorlog", "loglevel", "capture_output",
  "logger_class", "logconfig", "logconfig_dict", "logconfig_json", "syslog_addr", "syslog", "syslog_prefix",
  "syslog_facility", "enable_stdio_inheritance", "statsd_host", "dogstatsd_tags", "statsd_prefix",
  "proc_name", "default_proc_name", "pythonpath", "paste", "on_starting", "on_reload", "when_ready",
  "pre_fork", "post_fork", "post_worker_init", "worker_int", "worker_abort", "pre_exec", "pre_request",
  "post_request", "child_exit", "worker_exit", "nworkers_changed", "on_exit", "ssl_context",
  "proxy_protocol", "proxy_allow_ips", "keyfile", "certfile", "ssl_version", "cert_reqs", "ca_certs",
  "suppress_ragged_eofs", "do_handshake_on_connect", "ciphers", "raw_paste_global_conf",
  "strip_header_spaces", "permit_obsolete_folding", "permit_unconventional_http_method",
  "permit_unconventional_http_version", "casefold_http_method", "forwarder_headers", "header_map",
  "tolerate_dangerous_framing", "root_path", "asgi_loop", "asgi_lifespan", "protocol", "uwsgi_allow_ips",
  "control_socket", "control_socket_mode", "dirty_apps", "dirty_workers", "dirty_timeout",
  "dirty_threads", "dirty_graceful_timeout",
]);

/** worker_connections when nothing sets it (gunicorn/config.py WorkerConnections.default). */
export const GUNICORN_WORKER_CONNECTIONS = 1000;

export type WorkerKind = "sync" | "gthread" | "gevent" | "eventlet" | "uvicorn" | "tornado" | "other";

/**
 * What a `worker_class` value names (gunicorn accepts short names, egg URIs and dotted paths). Remembered by value:
 * rules ask it for every process on every keystroke, and a workspace names a handful of classes.
 */
export function workerKind(workerClass: string): WorkerKind {
  let kind = knownKinds.get(workerClass);
  if (kind === undefined) {
    kind = kindOf(workerClass);
    if (knownKinds.size < MAX_KNOWN_KINDS) knownKinds.set(workerClass, kind);
  }
  return kind;
}

const knownKinds = new Map<string, WorkerKind>();
const MAX_KNOWN_KINDS = 256;

function kindOf(workerClass: string): WorkerKind {
  const v = workerClass.trim().replace(/^egg:gunicorn#/, "");
  if (v === "sync" || v.endsWith(".SyncWorker")) return "sync";
  if (v === "gthread" || v.endsWith(".ThreadWorker")) return "gthread";
  if (/^gevent(_wsgi|_pywsgi)?$/.test(v) || /ggevent\.|Gevent\w*Worker$/.test(v)) return "gevent";
  if (v === "eventlet" || /geventlet\.|EventletWorker$/.test(v)) return "eventlet";
  if (/^uvicorn(_worker)?\./.test(v) || /Uvicorn\w*Worker$/.test(v)) return "uvicorn";
  if (v === "tornado" || /TornadoWorker$/.test(v)) return "tornado";
  return "other";
}

export interface GunicornConf {
  /** Top-level assignments of gunicorn settings; the last assignment wins. */
  settings: Map<string, SettingExpr>;
  /** Other top-level names (local variables). */
  locals: Map<string, SettingExpr>;
  problems: ParseProblem[];
}

// ---------------------------------------------------------------------------------------------
// Tokens and logical lines

export interface Tok {
  t: "name" | "num" | "str" | "op";
  v: string;
  start: number;
  end: number;
  /** For str: decoded text, undefined for f-strings with replacement fields. */
  s?: string;
}

interface Line {
  indent: number;
  toks: Tok[];
}

const OPS = [
  "**=", "//=", ">>=", "<<=", "...", "**", "//", "==", "!=", "<=", ">=", "->", "+=", "-=", "*=", "/=", "%=",
  "&=", "|=", "^=", ":=", ">>", "<<",
];

function decodePyString(body: string, raw: boolean): string {
  if (raw) return body;
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|\n|.)/g, (_m, e: string) => {
    switch (e[0]) {
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case "0":
        return "\0";
      case "\n":
        return "";
      case "x":
      case "u":
        return e.length > 1 ? String.fromCharCode(Number.parseInt(e.slice(1), 16)) : e;
      default:
        return e;
    }
  });
}

export function tokenize(text: string, file: string, problems: ParseProblem[]): Line[] {
  const lines: Line[] = [];
  let toks: Tok[] = [];
  let depth = 0;
  let indent = 0;
  let atLineStart = true;
  let i = 0;
  const n = text.length;
  const endLine = () => {
    if (toks.length) lines.push({ indent, toks });
    toks = [];
    atLineStart = true;
  };
  while (i < n) {
    const c = text[i];
    if (atLineStart && depth === 0) {
      let col = 0;
      let j = i;
      while (j < n && (text[j] === " " || text[j] === "\t")) {
        col += text[j] === "\t" ? 8 - (col % 8) : 1;
        j++;
      }
      indent = col;
      i = j;
      atLineStart = false;
      continue;
    }
    if (c === "\n" || c === "\r") {
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      if (depth === 0) endLine();
      continue;
    }
    if (c === " " || c === "\t" || c === "\f") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < n && text[i] !== "\n" && text[i] !== "\r") i++;
      continue;
    }
    if (c === "\\" && (text[i + 1] === "\n" || text[i + 1] === "\r")) {
      i += text[i + 1] === "\r" && text[i + 2] === "\n" ? 3 : 2;
      continue;
    }
    // strings (with prefixes)
    const sm = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(text.slice(i, i + 5));
    if (sm && (sm[1].length === 0 || /[A-Za-z_0-9]/.test(text[i - 1] ?? "") === false)) {
      const prefix = sm[1].toLowerCase();
      const q = sm[2];
      const bodyStart = i + sm[0].length;
      let j = bodyStart;
      let closed = false;
      while (j < n) {
        if (text[j] === "\\") {
          j += 2;
          continue;
        }
        if (text.startsWith(q, j)) {
          closed = true;
          break;
        }
        if (q.length === 1 && (text[j] === "\n" || text[j] === "\r")) break;
        j++;
      }
      const body = text.slice(bodyStart, Math.min(j, n));
      const end = closed ? j + q.length : j;
      if (!closed) {
        problems.push({
          message: "Unterminated string",
          at: { file, start: i, end },
          severity: "warning",
        });
      }
      const isF = prefix.includes("f");
      const hasField = isF && /\{(?!\{)/.test(body.replace(/\{\{/g, ""));
      const tok: Tok = { t: "str", v: text.slice(i, end), start: i, end };
      if (!hasField) {
        let s = decodePyString(body, prefix.includes("r"));
        if (isF) s = s.replace(/\{\{/g, "{").replace(/\}\}/g, "}");
        tok.s = s;
      }
      toks.push(tok);
      i = end;
      continue;
    }
    const nm = /^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_\u00C0-\uFFFF]*/.exec(text.slice(i, i + 200));
    if (nm) {
      toks.push({ t: "name", v: nm[0], start: i, end: i + nm[0].length });
      i += nm[0].length;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?)/.exec(
      text.slice(i, i + 100),
    );
    if (num && /[0-9.]/.test(c) && num[0] !== ".") {
      toks.push({ t: "num", v: num[0], start: i, end: i + num[0].length });
      i += num[0].length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i)) ?? c;
    if (op === "(" || op === "[" || op === "{") depth++;
    else if ((op === ")" || op === "]" || op === "}") && depth > 0) depth--;
    toks.push({ t: "op", v: op, start: i, end: i + op.length });
    i += op.length;
  }
  endLine();
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Statement tree

export interface Stmt {
  indent: number;
  toks: Tok[];
  children: Stmt[];
}

export const COMPOUND = new Set(["if", "elif", "else", "for", "while", "with", "try", "except", "finally", "def", "class", "async", "match", "case"]);

/** Index of the header's ':' (outside brackets), or -1. */
export function headerColon(toks: Tok[]): number {
  let depth = 0;
  for (let k = 0; k < toks.length; k++) {
    const v = toks[k].v;
    if (toks[k].t !== "op") continue;
    if (v === "(" || v === "[" || v === "{") depth++;
    else if (v === ")" || v === "]" || v === "}") depth--;
    else if (v === ":" && depth === 0) return k;
  }
  return -1;
}

export function buildTree(lines: Line[]): Stmt[] {
  // split `if x: y = 1` into a header and an inline child
  const flat: Stmt[] = [];
  for (const l of lines) {
    const first = l.toks[0];
    if (first.t === "name" && COMPOUND.has(first.v)) {
      const colon = headerColon(l.toks);
      if (colon >= 0 && colon < l.toks.length - 1) {
        const stmt: Stmt = { indent: l.indent, toks: l.toks.slice(0, colon + 1), children: [] };
        stmt.children.push({ indent: l.indent + 1, toks: l.toks.slice(colon + 1), children: [] });
        flat.push(stmt);
        continue;
      }
    }
    flat.push({ indent: l.indent, toks: l.toks, children: [] });
  }
  const root: Stmt[] = [];
  const stack: Stmt[] = [];
  for (const s of flat) {
    while (stack.length && stack[stack.length - 1].indent >= s.indent) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(s);
    else root.push(s);
    // statements inlined after a header were already attached
    stack.push(s);
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// Expressions

export type Node =
  | { k: "num"; n: number; tok: Tok }
  | { k: "str"; s: string | undefined; start: number; end: number }
  | { k: "name"; id: string; tok: Tok }
  | { k: "const"; v: boolean | null; tok: Tok }
  | { k: "attr"; obj: Node; name: string; end: number }
  | { k: "call"; fn: Node; args: Node[]; kwargs: Array<{ name: string; value: Node }>; end: number }
  | { k: "index"; obj: Node; index: Node; end: number }
  | { k: "bin"; op: string; a: Node; b: Node }
  | { k: "unary"; op: string; a: Node }
  | { k: "list"; items: Node[]; start: number; end: number }
  | { k: "other"; start: number; end: number };

export function nodeStart(nd: Node): number {
  switch (nd.k) {
    case "num":
    case "name":
    case "const":
      return nd.tok.start;
    case "str":
    case "list":
    case "other":
      return nd.start;
    case "attr":
    case "call":
    case "index":
      return nodeStart(nd.k === "call" ? nd.fn : nd.obj);
    case "bin":
      return nodeStart(nd.a);
    case "unary":
      return nodeStart(nd.a) - 1;
  }
}

/** The offset just after a node's last token. */
export function nodeEnd(nd: Node): number {
  switch (nd.k) {
    case "num":
    case "name":
    case "const":
      return nd.tok.end;
    case "str":
    case "list":
    case "other":
    case "attr":
    case "call":
    case "index":
      return nd.end;
    case "bin":
      return nodeEnd(nd.b);
    case "unary":
      return nodeEnd(nd.a);
  }
}

export class ExprParser {
  private p = 0;
  constructor(private readonly toks: Tok[]) {}

  parse(): Node | undefined {
    if (!this.toks.length) return undefined;
    try {
      const nd = this.ternary();
      if (this.p !== this.toks.length) return { k: "other", start: this.toks[0].start, end: this.toks[this.toks.length - 1].end };
      return nd;
    } catch {
      return { k: "other", start: this.toks[0].start, end: this.toks[this.toks.length - 1].end };
    }
  }

  private peek(): Tok | undefined {
    return this.toks[this.p];
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return !!t && t.t === "op" && t.v === v;
  }
  private isKw(v: string): boolean {
    const t = this.peek();
    return !!t && t.t === "name" && t.v === v;
  }
  private expect(v: string): Tok {
    const t = this.peek();
    if (!t || t.v !== v) throw new Error(`expected ${v}`);
    this.p++;
    return t;
  }

  private ternary(): Node {
    const a = this.or();
    if (this.isKw("if")) {
      this.p++;
      this.or();
      this.expect("else");
      const b = this.ternary();
      return { k: "other", start: nodeStart(a), end: nodeEnd(b) };
    }
    return a;
  }

  private or(): Node {
    let a = this.and();
    while (this.isKw("or")) {
      this.p++;
      a = { k: "bin", op: "or", a, b: this.and() };
    }
    return a;
  }
  private and(): Node {
    let a = this.not();
    while (this.isKw("and")) {
      this.p++;
      a = { k: "bin", op: "and", a, b: this.not() };
    }
    return a;
  }
  private not(): Node {
    if (this.isKw("not")) {
      const t = this.peek() as Tok;
      this.p++;
      const a = this.not();
      return { k: "other", start: t.start, end: nodeEnd(a) };
    }
    return this.compare();
  }
  private compare(): Node {
    let a = this.arith();
    for (;;) {
      const t = this.peek();
      if (!t) return a;
      const isCmp =
        (t.t === "op" && ["==", "!=", "<", ">", "<=", ">="].includes(t.v)) ||
        (t.t === "name" && (t.v === "in" || t.v === "is" || (t.v === "not" && this.toks[this.p + 1]?.v === "in")));
      if (!isCmp) return a;
      this.p += t.v === "not" || (t.v === "is" && this.toks[this.p + 1]?.v === "not") ? 2 : 1;
      a = { k: "bin", op: "cmp", a, b: this.arith() };
    }
  }
  private arith(): Node {
    let a = this.term();
    while (this.isOp("+") || this.isOp("-")) {
      const op = (this.peek() as Tok).v;
      this.p++;
      a = { k: "bin", op, a, b: this.term() };
    }
    return a;
  }
  private term(): Node {
    let a = this.unary();
    while (this.isOp("*") || this.isOp("/") || this.isOp("//") || this.isOp("%")) {
      const op = (this.peek() as Tok).v;
      this.p++;
      a = { k: "bin", op, a, b: this.unary() };
    }
    return a;
  }
  private unary(): Node {
    if (this.isOp("-") || this.isOp("+")) {
      const op = (this.peek() as Tok).v;
      this.p++;
      return { k: "unary", op, a: this.unary() };
    }
    return this.power();
  }
  private power(): Node {
    const a = this.postfix();
    if (this.isOp("**")) {
      this.p++;
      const b = this.unary();
      return { k: "bin", op: "**", a, b };
    }
    return a;
  }
  private postfix(): Node {
    let a = this.atom();
    for (;;) {
      if (this.isOp(".")) {
        this.p++;
        const t = this.peek();
        if (t?.t !== "name") throw new Error("attr");
        this.p++;
        a = { k: "attr", obj: a, name: t.v, end: t.end };
      } else if (this.isOp("(")) {
        this.p++;
        const args: Node[] = [];
        const kwargs: Array<{ name: string; value: Node }> = [];
        while (!this.isOp(")")) {
          if (this.isOp("*") || this.isOp("**")) this.p++;
          const t = this.peek();
          if (t?.t === "name" && this.toks[this.p + 1]?.v === "=") {
            this.p += 2;
            kwargs.push({ name: t.v, value: this.ternary() });
          } else args.push(this.ternary());
          if (this.isKw("for")) throw new Error("comprehension");
          if (!this.isOp(",")) break;
          this.p++;
        }
        const close = this.expect(")");
        a = { k: "call", fn: a, args, kwargs, end: close.end };
      } else if (this.isOp("[")) {
        this.p++;
        const index = this.ternary();
        if (!this.isOp("]")) throw new Error("slice");
        const close = this.expect("]");
        a = { k: "index", obj: a, index, end: close.end };
      } else return a;
    }
  }
  private atom(): Node {
    const t = this.peek();
    if (!t) throw new Error("eof");
    if (t.t === "num") {
      this.p++;
      const v = t.v.replace(/_/g, "");
      const n = /[jJ]$/.test(v) ? Number.NaN : /^0[xob]/i.test(v) ? Number(v) : Number(v);
      return { k: "num", n, tok: t };
    }
    if (t.t === "str") {
      // adjacent literals concatenate
      let s: string | undefined = "";
      let end = t.end;
      while (this.peek()?.t === "str") {
        const st = this.peek() as Tok;
        s = s === undefined || st.s === undefined ? undefined : s + st.s;
        end = st.end;
        this.p++;
      }
      return { k: "str", s, start: t.start, end };
    }
    if (t.t === "name") {
      this.p++;
      if (t.v === "True" || t.v === "False") return { k: "const", v: t.v === "True", tok: t };
      if (t.v === "None") return { k: "const", v: null, tok: t };
      if (t.v === "lambda" || t.v === "await" || t.v === "yield") throw new Error("unsupported");
      return { k: "name", id: t.v, tok: t };
    }
    // A dict or set literal is a value Headroom does not evaluate, but the call around it still is one
    // (`SQLAlchemy(engine_options={...})`, whose dict parse/flask-config.ts reads as text).
    if (t.t === "op" && t.v === "{") return this.skipBraces(t);
    if (t.v === "(" || t.v === "[") {
      const close = t.v === "(" ? ")" : t.v === "[" ? "]" : "}";
      this.p++;
      const items: Node[] = [];
      let tuple = t.v !== "(";
      while (!this.isOp(close)) {
        items.push(this.ternary());
        if (this.isOp(":") || this.isKw("for")) throw new Error("dict/comprehension");
        if (!this.isOp(",")) break;
        tuple = true;
        this.p++;
      }
      const end = this.expect(close).end;
      if (!tuple && items.length === 1) return items[0];
      return { k: "list", items, start: t.start, end };
    }
    throw new Error(`unexpected ${t.v}`);
  }
  private skipBraces(open: Tok): Node {
    for (let depth = 0; this.p < this.toks.length; this.p++) {
      const v = this.toks[this.p];
      if (v.t !== "op") continue;
      if (v.v === "(" || v.v === "[" || v.v === "{") depth++;
      else if ((v.v === ")" || v.v === "]" || v.v === "}") && --depth === 0) {
        this.p++;
        return { k: "other", start: open.start, end: v.end };
      }
    }
    throw new Error("eof");
  }
}

// ---------------------------------------------------------------------------------------------
// Symbolic values

export interface Binding {
  val: Val;
  nameSpan: Span;
  span: Span;
  conditional: boolean;
  via: Array<{ span: Span; note: string }>;
}

export type Scope = Map<string, Binding>;

export const UNKNOWN: Val = { k: "unknown" };

export function dotted(nd: Node): string | undefined {
  if (nd.k === "name") return nd.id;
  if (nd.k === "attr") {
    const o = dotted(nd.obj);
    return o === undefined ? undefined : `${o}.${nd.name}`;
  }
  return undefined;
}

const ENV_GET = new Set(["os.getenv", "getenv", "os.environ.get", "environ.get", "os.environ.setdefault", "environ.setdefault"]);
const ENV_MAP = new Set(["os.environ", "environ"]);
const CPU_FNS = new Set(["multiprocessing.cpu_count", "cpu_count", "os.cpu_count", "mp.cpu_count", "psutil.cpu_count"]);
const PASS_FNS = new Set(["int", "float", "str", "bool", "strtobool", "distutils.util.strtobool", "util.strtobool", "round", "math.ceil", "math.floor", "ceil", "floor", "abs"]);

function truthyLiteral(v: Val | undefined): boolean | undefined {
  if (!v) return false;
  switch (v.k) {
    case "none":
      return false;
    case "num":
      return v.n !== 0;
    case "str":
      return v.s !== "";
    case "bool":
      return v.b;
    default:
      return undefined;
  }
}

export class Evaluator {
  constructor(
    private readonly scope: Scope,
    private readonly via: Array<{ span: Span; note: string }>,
  ) {}

  eval(nd: Node): Val {
    switch (nd.k) {
      case "num":
        return Number.isFinite(nd.n) ? { k: "num", n: nd.n, text: nd.tok.v, span: { start: nd.tok.start, end: nd.tok.end } } : UNKNOWN;
      case "str":
        return nd.s === undefined ? UNKNOWN : { k: "str", s: nd.s, span: { start: nd.start, end: nd.end } };
      case "const":
        return nd.v === null ? { k: "none" } : { k: "bool", b: nd.v };
      case "name": {
        const b = this.scope.get(nd.id);
        if (!b) return UNKNOWN;
        if (b.conditional) return UNKNOWN;
        this.via.push(...b.via, { span: b.nameSpan, note: `local variable ${nd.id}` });
        return b.val;
      }
      case "list":
        return { k: "list", items: nd.items.map((x) => this.eval(x)) };
      case "index": {
        const obj = dotted(nd.obj);
        if (obj && ENV_MAP.has(obj)) {
          const key = this.eval(nd.index);
          if (key.k === "str") return { k: "env", name: key.s, required: true };
        }
        return UNKNOWN;
      }
      case "call":
        return this.call(nd);
      case "unary": {
        const a = this.eval(nd.a);
        if (a.k === "num") return nd.op === "-" ? { ...a, n: -a.n } : a;
        return UNKNOWN;
      }
      case "bin":
        return this.bin(nd.op, this.eval(nd.a), nd.op === "or" || nd.op === "and" ? undefined : this.eval(nd.b), nd);
      default:
        return UNKNOWN;
    }
  }

  private call(nd: Extract<Node, { k: "call" }>): Val {
    const fn = dotted(nd.fn);
    if (!fn) return UNKNOWN;
    if (ENV_GET.has(fn)) {
      const key = nd.args[0] ? this.eval(nd.args[0]) : UNKNOWN;
      if (key.k !== "str") return UNKNOWN;
      const defNode = nd.args[1] ?? nd.kwargs.find((k) => k.name === "default")?.value;
      const def = defNode ? this.eval(defNode) : undefined;
      return def ? { k: "env", name: key.s, def } : { k: "env", name: key.s };
    }
    if (CPU_FNS.has(fn)) {
      if (fn === "psutil.cpu_count") {
        const logical = nd.kwargs.find((k) => k.name === "logical")?.value ?? nd.args[0];
        if (logical && !(logical.k === "const" && logical.v === true)) return UNKNOWN;
      } else if (nd.args.length) return UNKNOWN;
      return { k: "cpu", f: { multiplier: 1, add: 0 } };
    }
    if (fn === "len" && nd.args.length === 1) {
      const inner = nd.args[0];
      if (inner.k === "call" && dotted(inner.fn) === "os.sched_getaffinity") return { k: "cpu", f: { multiplier: 1, add: 0 } };
      return UNKNOWN;
    }
    if (PASS_FNS.has(fn) && nd.args.length === 1 && nd.kwargs.length === 0) {
      return this.convert(fn, this.eval(nd.args[0]));
    }
    if ((fn === "max" || fn === "min") && nd.args.length === 2) {
      const a = this.eval(nd.args[0]);
      const b = this.eval(nd.args[1]);
      const [cpu, num] = a.k === "cpu" && b.k === "num" ? [a, b] : b.k === "cpu" && a.k === "num" ? [b, a] : [];
      if (cpu && num) {
        return { k: "cpu", f: fn === "max" ? { ...cpu.f, min: num.n } : { ...cpu.f, max: num.n } };
      }
      if (a.k === "num" && b.k === "num") {
        const n = fn === "max" ? Math.max(a.n, b.n) : Math.min(a.n, b.n);
        return n === a.n ? a : b;
      }
      return UNKNOWN;
    }
    return UNKNOWN;
  }

  private convert(fn: string, v: Val): Val {
    const name = fn.split(".").pop() as string;
    if (v.k === "str" && (name === "int" || name === "float")) {
      const n = Number(v.s.trim());
      return v.s.trim() !== "" && Number.isFinite(n) && (name === "float" || Number.isInteger(n))
        ? { k: "num", n, text: v.s, span: v.span }
        : UNKNOWN;
    }
    if (v.k === "num" && (name === "int" || name === "floor")) return { ...v, n: Math.trunc(v.n) };
    if (v.k === "cpu" && (name === "int" || name === "float" || name === "round")) return v;
    if (v.k === "env" || v.k === "num" || v.k === "str" || v.k === "bool") return v;
    return UNKNOWN;
  }

  private bin(op: string, a: Val, b: Val | undefined, nd: Extract<Node, { k: "bin" }>): Val {
    if (op === "or") {
      const t = truthyLiteral(a.k === "env" ? undefined : a);
      if (a.k === "env") {
        // os.getenv("X") or <default>: the default applies when X is unset or empty
        if (truthyLiteral(a.def) === false) return { k: "env", name: a.name, def: this.eval(nd.b) };
        return a;
      }
      if (a.k === "cpu") return a; // os.cpu_count() or 1
      if (t === true) return a;
      if (t === false) return this.eval(nd.b);
      return UNKNOWN;
    }
    if (op === "and" || !b) return UNKNOWN;
    if (a.k === "num" && b.k === "num") {
      let n: number;
      switch (op) {
        case "+":
          n = a.n + b.n;
          break;
        case "-":
          n = a.n - b.n;
          break;
        case "*":
          n = a.n * b.n;
          break;
        case "/":
          n = a.n / b.n;
          break;
        case "//":
          n = Math.floor(a.n / b.n);
          break;
        default:
          return UNKNOWN;
      }
      return Number.isFinite(n) ? { k: "num", n, text: String(n), span: a.span } : UNKNOWN;
    }
    const cpu = a.k === "cpu" ? a : b.k === "cpu" ? b : undefined;
    const other = cpu === a ? b : a;
    if (!cpu || cpu.f.min !== undefined || cpu.f.max !== undefined) return UNKNOWN;
    if (op === "*" && other.k === "num" && !cpu.f.multiplierEnv) {
      return { k: "cpu", f: { ...cpu.f, multiplier: cpu.f.multiplier * other.n, add: cpu.f.add * other.n } };
    }
    if (op === "*" && other.k === "env" && cpu.f.multiplier === 1 && cpu.f.add === 0) {
      // WORKERS_PER_CORE * cores: the multiplier comes from the environment
      const def = other.def;
      const n = def?.k === "num" ? def.n : def?.k === "str" ? Number(def.s) : Number.NaN;
      if (!Number.isFinite(n)) return UNKNOWN;
      return { k: "cpu", f: { multiplier: n, add: 0, multiplierEnv: other.name } };
    }
    if ((op === "+" || op === "-") && other.k === "num" && (op === "+" || cpu === a)) {
      return { k: "cpu", f: { ...cpu.f, add: cpu.f.add + (op === "+" ? other.n : -other.n) } };
    }
    return UNKNOWN;
  }
}

// ---------------------------------------------------------------------------------------------
// Statements

export function assignment(toks: Tok[]): { name: Tok; rhs: Tok[] } | { augmented: Tok } | undefined {
  const first = toks[0];
  if (first?.t !== "name" || COMPOUND.has(first.v)) return undefined;
  let k = 1;
  if (toks[1]?.v === ":" && toks[1].t === "op") {
    // annotated: name: type = value
    k = toks.findIndex((t, idx) => idx > 1 && t.t === "op" && t.v === "=");
    if (k < 0) return undefined;
  }
  const eq = toks[k];
  if (eq?.t !== "op") return undefined;
  if (eq.v === "=") {
    // chained `a = b = 1`: take the last right-hand side
    let rhsStart = k + 1;
    for (let j = rhsStart; j < toks.length - 1; j++) {
      if (toks[j].t === "name" && toks[j + 1].t === "op" && toks[j + 1].v === "=" && j === rhsStart) rhsStart = j + 2;
    }
    return { name: first, rhs: toks.slice(rhsStart) };
  }
  if (/^(\+|-|\*|\/|\/\/|%|\*\*|>>|<<|&|\||\^)=$/.test(eq.v)) return { augmented: first };
  return undefined;
}

/** Names assigned anywhere in a subtree (any depth). */
export function assignedNames(stmts: Stmt[], out = new Set<string>()): Set<string> {
  for (const s of stmts) {
    const a = assignment(s.toks);
    if (a) out.add("name" in a ? a.name.v : a.augmented.v);
    else if (s.toks[0]?.v === "for") {
      for (const t of s.toks.slice(1)) {
        if (t.t === "name" && t.v === "in") break;
        if (t.t === "name") out.add(t.v);
      }
    }
    assignedNames(s.children, out);
  }
  return out;
}

function rhsSpan(rhs: Tok[]): Span {
  return { start: rhs[0].start, end: rhs[rhs.length - 1].end };
}

export function evalAssign(scope: Scope, name: Tok, rhs: Tok[]): Binding {
  const via: Array<{ span: Span; note: string }> = [];
  const node = new ExprParser(rhs).parse();
  const val = node ? new Evaluator(scope, via).eval(node) : UNKNOWN;
  return { val, nameSpan: { start: name.start, end: name.end }, span: rhs.length ? rhsSpan(rhs) : { start: name.end, end: name.end }, conditional: false, via };
}

function markConditional(scope: Scope, names: Iterable<string>, at: Stmt): void {
  for (const n of names) {
    const prev = scope.get(n);
    if (prev) scope.set(n, { ...prev, conditional: true });
    else {
      const t = at.toks[0];
      scope.set(n, { val: UNKNOWN, nameSpan: { start: t.start, end: t.end }, span: { start: t.start, end: t.end }, conditional: true, via: [] });
    }
  }
}

/** Runs the direct assignments of a branch body in a copy of the scope. */
function runBranch(scope: Scope, body: Stmt[]): { scope: Scope; direct: Set<string>; nested: Set<string> } {
  const s: Scope = new Map(scope);
  const direct = new Set<string>();
  const nested = new Set<string>();
  for (const st of body) {
    const a = assignment(st.toks);
    if (a && "name" in a) {
      s.set(a.name.v, evalAssign(s, a.name, a.rhs));
      direct.add(a.name.v);
    } else if (a) {
      nested.add(a.augmented.v);
    } else {
      for (const n of assignedNames(st.children)) nested.add(n);
    }
  }
  return { scope: s, direct, nested };
}

export function runModule(stmts: Stmt[], scope: Scope): void {
  for (let i = 0; i < stmts.length; i++) {
    const st = stmts[i];
    const head = st.toks[0];
    const a = assignment(st.toks);
    if (a && "name" in a) {
      scope.set(a.name.v, evalAssign(scope, a.name, a.rhs));
      continue;
    }
    if (a) {
      markConditional(scope, [a.augmented.v], st);
      continue;
    }
    if (head.t !== "name") continue;
    if (head.v === "def" || head.v === "class" || head.v === "async") {
      // a def of a gunicorn hook is a setting too, but its value is a function
      const name = st.toks[1]?.t === "name" ? st.toks[1] : undefined;
      if (name && head.v === "def") {
        scope.set(name.v, { val: UNKNOWN, nameSpan: { start: name.start, end: name.end }, span: { start: head.start, end: st.toks[st.toks.length - 1].end }, conditional: false, via: [] });
      }
      continue;
    }
    if (head.v === "if") {
      // gather the if/elif/else chain
      const chain: Stmt[] = [st];
      while (stmts[i + 1] && stmts[i + 1].indent === st.indent && (stmts[i + 1].toks[0].v === "elif" || stmts[i + 1].toks[0].v === "else")) {
        chain.push(stmts[++i]);
      }
      runIf(chain, scope);
      continue;
    }
    if (COMPOUND.has(head.v)) {
      markConditional(scope, assignedNames(st.children), st);
    }
  }
}

function runIf(chain: Stmt[], scope: Scope): void {
  const names = assignedNames(chain.flatMap((c) => c.children));
  const hasElif = chain.some((c) => c.toks[0].v === "elif");
  const elseStmt = chain.find((c) => c.toks[0].v === "else");
  if (hasElif || !elseStmt || chain.length !== 2) {
    markConditional(scope, names, chain[0]);
    return;
  }
  const condToks = chain[0].toks.slice(1, headerColon(chain[0].toks));
  const condVia: Array<{ span: Span; note: string }> = [];
  const condNode = new ExprParser(condToks).parse();
  const cond = condNode ? new Evaluator(scope, condVia).eval(condNode) : UNKNOWN;
  const thenB = runBranch(scope, chain[0].children);
  const elseB = runBranch(scope, elseStmt.children);
  for (const n of names) {
    const t = thenB.scope.get(n);
    const e = elseB.scope.get(n);
    const both = thenB.direct.has(n) && elseB.direct.has(n) && t && e;
    // `if X_STR: v = int(X_STR) else: v = <default>` where X_STR = os.getenv("X")
    if (
      both &&
      cond.k === "env" &&
      truthyLiteral(cond.def) === false &&
      t.val.k === "env" &&
      t.val.name === cond.name &&
      !thenB.nested.has(n)
    ) {
      const via = [...condVia, ...t.via, ...e.via, { span: e.span, note: `default when ${cond.name} is unset` }];
      const capped = elseB.nested.has(n);
      if (capped) via.push({ span: e.span, note: "the default may be changed by a later conditional statement" });
      scope.set(n, {
        val: capped ? { k: "env", name: cond.name, def: e.val, defConditional: true } : { k: "env", name: cond.name, def: e.val },
        nameSpan: t.nameSpan,
        span: t.span,
        conditional: false,
        via,
      });
      continue;
    }
    markConditional(scope, [n], chain[0]);
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Reads a gunicorn config file (Python) as text. Never throws. */
export function parseGunicornConf(text: string, file: string): GunicornConf {
  const problems: ParseProblem[] = [];
  const settings = new Map<string, SettingExpr>();
  const locals = new Map<string, SettingExpr>();
  let tree: Stmt[];
  try {
    tree = buildTree(tokenize(text, file, problems));
  } catch (err) {
    problems.push({ message: `Could not read ${file}: ${(err as Error).message}`, at: { file, start: 0, end: 0 }, severity: "warning" });
    return { settings, locals, problems };
  }
  const scope: Scope = new Map();
  // only statements at the module's own indentation are module-level
  const top = tree.filter((s) => s.indent === (tree[0]?.indent ?? 0));
  runModule(top, scope);
  for (const [name, b] of scope) {
    const cond = b.conditional;
    const expr = cond
      ? toExpr(UNKNOWN, b, true)
      : toExpr(b.val, b, false);
    (GUNICORN_SETTINGS.has(name) ? settings : locals).set(name, expr);
  }
  return { settings, locals, problems };
}
