// Which Flask-SQLAlchemy a Python project installs, read from its dependency files (never run): which major version
// decides which config keys size its pool (2.x reads SQLALCHEMY_POOL_SIZE, 3.0 removed it) and which of two engine
// options wins. Lock files give the exact version; requirements files, Pipfile and pyproject.toml (PEP 621's
// `[project] dependencies`, which PDM and uv use, and Poetry's `[tool.poetry.dependencies]`) give a specifier:
// `==2.5.1`, `~=2.5`, `<3` and Poetry's `^2.5` settle 2; `==3.1.1`, `>=3.0` settle 3. A bare name or an open
// `>=2.4` lets pip install the newest release, 3.x since 3.0.0 (2022-10-04): 3 is assumed, and the note says so.
// Development-only sections (Poetry's groups, Pipfile's dev-packages, optional dependencies) are not read.
import { parseToml, type TomlEntry } from "./toml.ts";

export interface PinnedVersion {
  /** 2: below 3.0 (the 2.x keys are read); 3: 3.0 or later. */
  major: 2 | 3;
  /** The requirement as written (`Flask-SQLAlchemy==2.5.1`), for messages. */
  written: string;
  span: { start: number; end: number };
  /** Set when the file does not settle the major version and the newest release's is taken: why, for messages. */
  assumed?: string;
}

/** Lock files, read first: they give the exact version. */
export const LOCK_FILES = ["poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock"];
/** Read after the requirements files (`requirements*.txt`, `requirements/*.txt`, which the model finds). */
export const MANIFEST_FILES = ["Pipfile", "pyproject.toml"];

const NAME = /^flask[-_.]+sqlalchemy$/i;

/** Cheap gate: the file names Flask-SQLAlchemy at all. */
export function mentionsFlaskSqlalchemy(text: string): boolean {
  return /flask[-_.]+sqlalchemy/i.test(text);
}

const OPEN = "pip installs the newest release, 3.x since Flask-SQLAlchemy 3.0.0 (2022-10-04)";

export function flaskSqlalchemyPin(text: string, fileName: string): PinnedVersion | undefined {
  if (fileName === "poetry.lock" || fileName === "uv.lock" || fileName === "pdm.lock") return lockPin(text);
  if (fileName === "Pipfile.lock") return pipfileLockPin(text);
  if (fileName === "Pipfile") return tomlTablePin(text, ["packages"]);
  if (fileName === "pyproject.toml") return pyprojectPin(text);
  return requirementsPin(text);
}

/** `[[package]]` tables with `name` and `version` (poetry.lock, uv.lock, pdm.lock). */
function lockPin(text: string): PinnedVersion | undefined {
  const doc = parseToml(text);
  for (const entry of doc.entries) {
    if (entry.path[0] !== "package" || entry.path.length !== 3 || entry.path[2] !== "name" || typeof entry.value !== "string" || !NAME.test(entry.value)) continue;
    const version = doc.get(["package", entry.path[1], "version"]);
    if (typeof version?.value !== "string") continue;
    const major = exactMajor(version.value);
    return major && { major, written: `${entry.value} ${version.value}`, span: version.inner };
  }
  return undefined;
}

/** Pipfile.lock's `default` section (what `pipenv install --deploy` installs; `develop` is not). */
function pipfileLockPin(text: string): PinnedVersion | undefined {
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch {
    return undefined;
  }
  const packages = (lock as { default?: Record<string, { version?: unknown }> } | null)?.default;
  if (!packages || typeof packages !== "object") return undefined;
  const name = Object.keys(packages).find((key) => NAME.test(key));
  const version = name === undefined ? undefined : packages[name]?.version;
  if (name === undefined || typeof version !== "string") return undefined;
  const major = specifierMajor(version);
  const at = text.indexOf(`"${version}"`, text.indexOf(`"${name}"`)) + 1;
  return major && at > 0 ? { ...major, written: `${name}${version}`, span: { start: at, end: at + version.length } } : undefined;
}

/** PEP 621's dependencies (PDM, uv, hatch, setuptools), else Poetry's main dependencies. */
function pyprojectPin(text: string): PinnedVersion | undefined {
  const doc = parseToml(text);
  for (const item of doc.get(["project", "dependencies"])?.items ?? []) {
    if (typeof item.value !== "string") continue;
    const found = requirementPin(item.value, item.inner.start);
    if (found) return found;
  }
  return tomlTablePin(text, ["tool", "poetry", "dependencies"], doc.entries);
}

/** `name = "spec"` or `name = {version = "spec"}` in a table (Pipfile's packages, Poetry's dependencies). */
function tomlTablePin(text: string, table: string[], entries: TomlEntry[] = parseToml(text).entries): PinnedVersion | undefined {
  for (const entry of entries) {
    if (entry.path.length < table.length + 1 || table.some((key, i) => entry.path[i] !== key)) continue;
    const name = String(entry.path[table.length]);
    if (!NAME.test(name) || typeof entry.value !== "string") continue;
    if (entry.path.length > table.length + 2 || (entry.path.length === table.length + 2 && entry.path[table.length + 1] !== "version")) continue;
    const major = specifierMajor(entry.value);
    return major && { ...major, written: `${name} = "${entry.value}"`, span: entry.inner };
  }
  return undefined;
}

/** requirements.txt: one PEP 508 requirement a line, `#` comments, options (`-r`, `--hash`) ignored here. */
function requirementsPin(text: string): PinnedVersion | undefined {
  for (const m of text.matchAll(/^[ \t]*([^\s#-][^\n#]*)/gm)) {
    const found = requirementPin(m[1].replace(/[ \t]+--hash[= ]\S+/g, "").trimEnd(), m.index + m[0].length - m[1].length);
    if (found) return found;
  }
  return undefined;
}

/** One PEP 508 requirement (`Flask-SQLAlchemy[asyncio]>=3.0,<4 ; python_version >= "3.8"`) at `offset` in its file. */
function requirementPin(requirement: string, offset: number): PinnedVersion | undefined {
  const m = /^[ \t]*([A-Za-z0-9][\w.-]*)[ \t]*(?:\[[^\]]*\])?[ \t]*\(?([^;@]*?)\)?[ \t]*(?:;.*)?$/.exec(requirement);
  if (!m || !NAME.test(m[1])) return undefined;
  const major = specifierMajor(m[2]);
  const written = requirement.split(";")[0].trim();
  return major && { ...major, written, span: { start: offset + requirement.indexOf(written), end: offset + requirement.indexOf(written) + written.length } };
}

function exactMajor(version: string): 2 | 3 | undefined {
  const n = Number(/^(\d+)\./.exec(version.trim())?.[1] ?? Number.NaN);
  return Number.isNaN(n) ? undefined : n < 3 ? 2 : 3;
}

/**
 * The major a specifier settles: `==X`, `~=X.Y`, Poetry's `^X`/`~X`, a bare version; a lower bound of 3 or more; an upper
 * bound of 3.0 or less. Nothing (`*`, empty) or only a lower bound below 3: the newest release, 3, assumed.
 */
function specifierMajor(spec: string): Pick<PinnedVersion, "major" | "assumed"> | undefined {
  let lowest: 2 | 3 | undefined;
  let below3 = false;
  for (const part of spec.split(",").map((p) => p.trim()).filter((p) => p !== "" && p !== "*")) {
    const m = /^(===?|~=|\^|~|>=|>|<=|<|!=)?[ \t]*v?(\d+(?:\.\d+)*)(\.\*)?$/.exec(part);
    // A specifier not understood (a URL, a wildcard of another shape): nothing is said.
    if (!m) return undefined;
    const op = m[1] ?? "==";
    const [major, minor = 0, patch = 0] = m[2].split(".").map(Number);
    if (op === "==" || op === "===" || op === "~=" || op === "^" || op === "~") return { major: major < 3 ? 2 : 3 };
    if ((op === ">=" || op === ">") && major >= 3) lowest = 3;
    if ((op === "<" && (major < 3 || (major === 3 && minor === 0 && patch === 0))) || (op === "<=" && major < 3)) below3 = true;
  }
  if (lowest) return { major: 3 };
  return below3 ? { major: 2 } : { major: 3, assumed: OPEN };
}

/** The files a requirements file includes (`-r base.txt`, `--requirement=common.txt`, `-c constraints.txt`), as written. */
export function requirementIncludes(text: string): string[] {
  return [...text.matchAll(/^[ \t]*(?:-r|--requirement|-c|--constraint)(?:[ \t]*=[ \t]*|[ \t]+|(?=[^\s=]))(\S+)/gm)].map((m) => m[1]);
}

/** A requirements file named for development or tests (`requirements/dev.txt`, `requirements-test.txt`), not what production installs. */
export function isDevRequirements(path: string): boolean {
  return /(?:^|[/_.-])(?:dev|develop|development|test|tests|testing|local|lint|docs|ci)(?:[/_.-]|$)/i.test(path.slice(path.lastIndexOf("/") + 1).replace(/\.txt$/, "").replace(/^requirements/, ""));
}

/** A dependency file a Dockerfile's RUN line installs from, as written there (relative to the RUN's WORKDIR, or absolute). */
export interface DependencyInstall {
  path: string;
  kind: "requirements" | "lock";
}

/** Cheap gate for a RUN line: it may run an installer this module reads. */
const INSTALLER = /\b(?:pip[\d.]*|uv|poetry|pipenv|pdm|pip-sync)\b/;

/** The lock file each project tool installs from: `poetry install`, `uv sync`, `pipenv install`/`sync`, `pdm install`/`sync`. */
const TOOL_LOCKS: Record<string, { commands: ReadonlySet<string>; lock: string }> = {
  poetry: { commands: new Set(["install", "sync"]), lock: "poetry.lock" },
  uv: { commands: new Set(["sync"]), lock: "uv.lock" },
  pipenv: { commands: new Set(["install", "sync"]), lock: "Pipfile.lock" },
  pdm: { commands: new Set(["install", "sync"]), lock: "pdm.lock" },
};

/**
 * The files a RUN line's installers read (`pip install -r requirements/prod.txt`, `python -m pip install --requirement=…`,
 * `uv pip install -r …`, `uv pip sync …`, `pip-sync …`, `-c` constraints too; `poetry install`, `uv sync`, `pipenv install`,
 * `pdm install`: their lock file), read as text. A path with a variable in it is left out.
 */
export function dependencyInstalls(run: string): DependencyInstall[] {
  if (!INSTALLER.test(run)) return [];
  const installs: DependencyInstall[] = [];
  for (const segment of run.replace(/\\\r?\n/g, " ").split(/&&|\|\||[;|\n]/)) {
    const words = segment.trim().split(/\s+/).map((w) => w.replace(/^(["'])(.*)\1$/, "$2"));
    for (let i = 0; i < words.length; i++) {
      const name = words[i].slice(words[i].lastIndexOf("/") + 1);
      const tool = TOOL_LOCKS[name];
      if (tool && tool.commands.has(words[i + 1] ?? "")) {
        installs.push({ path: tool.lock, kind: "lock" });
        break;
      }
      const pip = /^pip[\d.]*$/.test(name) ? i + 1 : name === "uv" && words[i + 1] === "pip" ? i + 2 : name === "pip-sync" ? i : -1;
      if (pip < 0) continue;
      const sub = name === "pip-sync" ? "sync" : words[pip];
      if (sub === "install") installs.push(...requirementOptions(words.slice(pip + 1)));
      else if (sub === "sync") for (const word of words.slice(pip + 1)) if (!word.startsWith("-") && word.endsWith(".txt")) installs.push({ path: word, kind: "requirements" });
      break;
    }
  }
  return installs.filter((install) => !install.path.includes("$"));
}

/** `-r FILE`, `-rFILE`, `--requirement FILE`, `--requirement=FILE`, and the same for `-c`/`--constraint`. */
function requirementOptions(words: string[]): DependencyInstall[] {
  const found: DependencyInstall[] = [];
  for (let i = 0; i < words.length; i++) {
    const m = /^(?:-r|-c|--requirement|--constraint)(?:=(.+)|(.+))?$/.exec(words[i]);
    if (!m || (m[2] !== undefined && words[i].startsWith("--"))) continue;
    const path = m[1] ?? m[2] ?? words[++i];
    if (path) found.push({ path, kind: "requirements" });
  }
  return found;
}
