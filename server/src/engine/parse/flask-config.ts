// Flask-SQLAlchemy's engine options in a Flask app's Python files, read as text (never imported):
//   SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 10, "max_overflow": 20}       (a config class or module)
//   app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": int(os.getenv("DB_POOL_SIZE", 10))}
// and `app.config.from_object("config.ProductionConfig")` / `from_object(ProductionConfig)`, which says
// which config class applies. Values read as Django settings' are (a literal, os.getenv with its default, …).
import type { SettingExpr } from "./setting-expr.ts";
import { describe, expressionEnd, matchingBrace } from "./django-settings.ts";

export interface EngineOptions {
  /** The dict, `{` to `}`. */
  span: { start: number; end: number };
  /** The class whose body assigns it (an indented `SQLALCHEMY_ENGINE_OPTIONS =` under `class Name(...)`). */
  className?: string;
  poolSize?: SettingExpr;
  maxOverflow?: SettingExpr;
  /** A `poolclass` key: a pool Headroom does not size (NullPool, StaticPool). */
  poolclass?: true;
}

export interface FlaskConfig {
  options: EngineOptions[];
  /** Classes of the file with their bases as written (`ProductionConfig` → `["Config"]`). */
  classes: Map<string, string[]>;
  /** What `app.config.from_object(...)` names: a dotted string, or a name (the class itself). */
  fromObject: string[];
}

const OPTIONS = /(?:^([ \t]*)SQLALCHEMY_ENGINE_OPTIONS[ \t]*=|\[[ \t]*["']SQLALCHEMY_ENGINE_OPTIONS["'][ \t]*\][ \t]*=)[ \t]*\{/gm;

/** Cheap gate: a file that may say anything read here. */
export function mayConfigureFlaskSqlalchemy(text: string): boolean {
  return text.includes("SQLALCHEMY_ENGINE_OPTIONS") || text.includes("from_object");
}

export function readFlaskConfig(text: string, file: string): FlaskConfig {
  const classes = new Map<string, string[]>();
  for (const m of text.matchAll(/^class[ \t]+(\w+)[ \t]*(?:\(([^)]*)\))?[ \t]*:/gm)) classes.set(m[1], (m[2] ?? "").split(",").map((b) => b.trim()).filter(Boolean));
  const fromObject = [...text.matchAll(/\.from_object\(\s*(?:["']([\w.]+)["']|([\w.]+))\s*\)/g)].map((m) => m[1] ?? m[2]);
  const options: EngineOptions[] = [];
  for (const m of text.matchAll(OPTIONS)) {
    const at = m.index ?? 0;
    const lineStart = text.lastIndexOf("\n", at) + 1;
    if (text.slice(lineStart, at).includes("#")) continue;
    const open = at + m[0].length - 1;
    const close = matchingBrace(text, open);
    const found: EngineOptions = { span: { start: open, end: close } };
    const indent = m[1];
    if (indent) {
      const owner = [...text.slice(0, at).matchAll(/^class[ \t]+(\w+)/gm)].pop();
      if (owner) found.className = owner[1];
    }
    for (const key of text.slice(open, close).matchAll(/["'](pool_size|max_overflow|poolclass)["'][ \t]*:[ \t]*/g)) {
      if (key[1] === "poolclass") {
        found.poolclass = true;
        continue;
      }
      const start = open + (key.index ?? 0) + key[0].length;
      const end = expressionEnd(text, start);
      if (end <= start) continue;
      const value = describe(text, file, start, end);
      if (key[1] === "pool_size") found.poolSize = value;
      else found.maxOverflow = value;
    }
    options.push(found);
  }
  return { options, classes, fromObject };
}
