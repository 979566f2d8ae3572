// Which Flask-SQLAlchemy a Python project pins, read as text from its dependency files: which major version
// it installs decides which config keys size its pool (2.x reads SQLALCHEMY_POOL_SIZE, 3.0 removed it) and
// which of two engine options wins. Only what a pin settles is answered: `==2.5.1`, `~=2.5`, `<3` and Poetry's
// `^2.5` say 2; `==3.1.1`, `>=3.0` say 3; an unpinned name, `*` or an open `>=2.4` (pip installs the newest) say nothing.

export interface PinnedVersion {
  /** 2: below 3.0 (the 2.x keys are read); 3: 3.0 or later. */
  major: 2 | 3;
  /** The requirement as written (`Flask-SQLAlchemy==2.5.1`), for messages. */
  written: string;
  span: { start: number; end: number };
}

/** The dependency files read, most exact first: lock files, then what people write. */
export const DEPENDENCY_FILES = ["poetry.lock", "uv.lock", "Pipfile.lock", "requirements.txt", "Pipfile", "pyproject.toml"];

const NAME = "flask[-_.]sqlalchemy";

/** Cheap gate: the file names Flask-SQLAlchemy at all. */
export function mentionsFlaskSqlalchemy(text: string): boolean {
  return /flask[-_.]sqlalchemy/i.test(text);
}

export function flaskSqlalchemyPin(text: string, fileName: string): PinnedVersion | undefined {
  if (fileName === "poetry.lock" || fileName === "uv.lock") {
    // [[package]] name = "flask-sqlalchemy" then version = "3.1.1"
    const m = new RegExp(`^name[ \\t]*=[ \\t]*"(${NAME})"[ \\t]*\\r?\\nversion[ \\t]*=[ \\t]*"([^"]+)"`, "im").exec(text);
    return m ? pin(exact(m[2]), `${m[1]} ${m[2]}`, m.index + m[0].length - m[2].length - 1, m[2].length) : undefined;
  }
  if (fileName === "Pipfile.lock") {
    const m = new RegExp(`"(${NAME})"[ \\t]*:[ \\t]*\\{[^}]*?"version"[ \\t]*:[ \\t]*"([^"]+)"`, "i").exec(text);
    return m ? pin(specifierMajor(m[2]), `${m[1]}${m[2]}`, m.index + m[0].length - m[2].length - 1, m[2].length) : undefined;
  }
  // requirements.txt, PEP 621's dependencies in pyproject.toml, Pipfile's and Poetry's `name = "spec"`.
  const line = new RegExp(`(^|["'\\s])(${NAME})(\\[[^\\]]*\\])?(?![\\w.-])[ \\t]*(?:=[ \\t]*["']([^"'\\n]*)["']|([<>=!~^][^"'\\n#;]*))?`, "gim");
  for (const m of text.matchAll(line)) {
    const lineStart = text.lastIndexOf("\n", m.index ?? 0) + 1;
    if (text.slice(lineStart, (m.index ?? 0) + m[1].length).trimStart().startsWith("#")) continue;
    const spec = (m[4] ?? m[5] ?? "").trim();
    const written = m[0].slice(m[1].length).trim();
    return pin(specifierMajor(spec), written, (m.index ?? 0) + m[1].length, written.length);
  }
  return undefined;
}

function pin(major: 2 | 3 | undefined, written: string, start: number, length: number): PinnedVersion | undefined {
  return major === undefined ? undefined : { major, written, span: { start, end: start + length } };
}

function exact(version: string): 2 | 3 | undefined {
  const n = Number(/^(\d+)\./.exec(version.trim())?.[1] ?? Number.NaN);
  return Number.isNaN(n) ? undefined : n < 3 ? 2 : 3;
}

/** The major a specifier settles: `==X`, `~=X.Y`, Poetry's `^X`/`~X`, a bare version; a lower bound of 3 or more; an upper bound of 3.0 or less. */
function specifierMajor(spec: string): 2 | 3 | undefined {
  let lowest: 2 | 3 | undefined;
  let below3 = false;
  for (const part of spec.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^(===?|~=|\^|~|>=|>|<=|<|!=)?[ \t]*v?(\d+(?:\.\d+)*)(\.\*)?$/.exec(part);
    if (!m) continue;
    const op = m[1] ?? "==";
    const [major, minor = 0, patch = 0] = m[2].split(".").map(Number);
    if (op === "==" || op === "===" || op === "~=" || op === "^" || op === "~") return major < 3 ? 2 : 3;
    if ((op === ">=" || op === ">") && major >= 3) lowest = 3;
    if ((op === "<" && (major < 3 || (major === 3 && minor === 0 && patch === 0))) || (op === "<=" && major < 3)) below3 = true;
  }
  return lowest ?? (below3 ? 2 : undefined);
}
