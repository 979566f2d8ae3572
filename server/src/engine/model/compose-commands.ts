// The compose files a script or a Makefile names with `-f`: `docker compose -f docker-compose.yml
// -f docker-compose.prod.yml up -d` in deploy.sh or under a Makefile target is how many teams run
// production, and the list (in its order) is the project, whatever the default files are.
// Scripts and Makefiles are read as text, never run.
import { type Document, isMap, isSeq, parseDocument } from "yaml";
import type { ParseMemo } from "../parse-cache.ts";
import { mapGet, scalar, type YamlScalar } from "../parse/compose.ts";
import { parseMakefile } from "../parse/makefile.ts";
import { yamlSource } from "../parse/text-lines.ts";
import { yamlTooDeepAt } from "../parse/yaml-depth.ts";
import { wrappedProgramIndex } from "../parse/servers.ts";
import { type CharSpans, factForSlice, parseCommandLine, parseShellScript, type ShellCommand, type ShellWord } from "../parse/shell.ts";
import type { Fact, SourceRef } from "../types.ts";
import { alignedSpans, dirOf, join } from "./build.ts";

/** One `docker compose` command with an explicit file list, as written. */
export interface ComposeFileList {
  /** The `-f` values in order, as written (relative to the folder the command runs in). */
  files: string[];
  /** The command. */
  at: SourceRef;
  /** Where it comes from, for names: `deploy.sh`, `Makefile target deploy`. */
  source: string;
  /** The Makefile target whose recipe runs it. */
  target?: string;
  /** Folders a relative path may be relative to, most likely first. */
  runDirs: string[];
  /**
   * `--env-file` values in order, as written: they replace the project's .env for `${VAR}` interpolation. With no
   * `-f`, `files` is empty: the command runs the default files of the folder it runs in.
   */
  envFiles?: string[];
  /**
   * The profiles an `up` command activates (`--profile web --profile worker`, else the COMPOSE_PROFILES it runs with):
   * a service with `profiles:` runs only under one of them.
   */
  profiles?: string[];
  /** `--project-directory` as written (relative to the folder the command runs in): where relative paths and .env resolve. */
  projectDirectory?: string;
  /** What an `up`, `run` or `scale` command starts (model/build.ts keeps the project's services it names). */
  starts?: StartedServices;
}

/**
 * The services a command that starts containers names: `up -d web worker`, `run --rm web migrate`, `scale web=3`.
 * Compose starts what each depends on too (`depends_on`, also when `--no-deps` says it is already running).
 */
export interface StartedServices {
  /** The subcommand: only an `up` may say that every service runs; a `run` is a one-off beside them. */
  subcommand: "up" | "run" | "scale";
  /** The names as written, with their words; none for an `up` that names no service (every service starts). */
  services: Array<{ name: string; at: SourceRef }>;
  /** `run SERVICE COMMAND…`: the container runs that command once, not the service's server; its dependencies keep running. */
  oneOff?: boolean;
  /** `--scale web=3` (`up`), `web=3` (`scale`): the containers of a service, over `scale:`/`deploy.replicas`. */
  scale?: Map<string, Fact<number>>;
  /** A name known only at run time (`up -d $SERVICES`): which services start cannot be told. */
  unknown?: boolean;
}

/** The files, env files, profiles, project directory and started services of one `docker compose` command. */
interface NamedFiles {
  files: string[];
  envFiles?: string[];
  profiles?: string[];
  projectDirectory?: string;
  starts?: StartedServices;
}

/** `docker compose`'s global options that take a value (the value is the next word unless written with `=`). */
const COMPOSE_VALUE_OPTIONS = new Set(["-p", "--project-name", "--project-directory", "--env-file", "--profile", "--ansi", "--progress", "--parallel", "-c", "--context", "-H", "--host"]);
/** `docker`'s own options before `compose` that take a value. */
const DOCKER_VALUE_OPTIONS = new Set(["-c", "--context", "-H", "--host", "--config", "-l", "--log-level", "--tlscacert", "--tlscert", "--tlskey"]);

const SUDO_VALUE_OPTIONS = new Set(["-u", "--user", "-g", "--group", "-h", "--host", "-C", "--close-from", "-D", "--chdir"]);

/**
 * The `-f`/`--file` values of a `docker compose` or `docker-compose` command (the `-c` values of a
 * `docker stack deploy`), in order; undefined when
 * the command is not one, names no file, or a name is not known as written (`-f compose.$ENV.yml`, `-f -`).
 */
export function composeFileArgs(words: ShellWord[], option: FileOption = FILE_OPTION): string[] | undefined {
  const invocation = composeInvocation(words);
  if (!invocation) return undefined;
  // `docker stack deploy -c a.yml -c b.yml STACK`: Swarm merges the files in order, as compose does `-f`.
  if (invocation.stack) return option === FILE_OPTION ? fileOptionValues(invocation.args, "-c", "--compose-file", STACK_VALUE_OPTIONS, false) : undefined;
  return fileOptionValues(invocation.args, option.short, option.long, option === FILE_OPTION ? COMPOSE_VALUE_OPTIONS : OTHER_OPTION_SKIPS, true);
}

/** The words after `docker compose`/`docker-compose` (or `docker stack deploy`), past `sudo`, wrappers and docker's own options. */
function composeInvocation(words: ShellWord[]): { args: ShellWord[]; stack: boolean } | undefined {
  let i = wrappedProgramIndex(words);
  // Deploy scripts often run docker as root.
  if (words[i]?.value === "sudo") for (i++; i < words.length && words[i].value.startsWith("-"); i++) if (SUDO_VALUE_OPTIONS.has(words[i].value)) i++;
  const program = words[i]?.value ?? "";
  const name = program.slice(program.lastIndexOf("/") + 1);
  if (name === "docker-compose") return { args: words.slice(i + 1), stack: false };
  if (name !== "docker") return undefined;
  for (i++; i < words.length && words[i].value.startsWith("-"); i++) if (DOCKER_VALUE_OPTIONS.has(words[i].value)) i++;
  if (words[i]?.value === "stack" && (words[i + 1]?.value === "deploy" || words[i + 1]?.value === "up")) return { args: words.slice(i + 2), stack: true };
  return words[i]?.value === "compose" ? { args: words.slice(i + 1), stack: false } : undefined;
}

/** The subcommand of `docker compose` (`up`, `pull`, `run`): the first word after its global options. */
function composeSubcommand(args: ShellWord[]): string | undefined {
  return args[subcommandIndex(args)]?.value;
}

function subcommandIndex(args: ShellWord[]): number {
  for (let i = 0; i < args.length; i++) {
    const word = args[i].value;
    if (!word.startsWith("-")) return i;
    if (OTHER_OPTION_SKIPS.has(word)) i++;
  }
  return args.length;
}

/** `up`'s options that take a value (compose v2's and v1's). */
const UP_VALUE_OPTIONS = new Set(["--scale", "--pull", "--exit-code-from", "-t", "--timeout", "--attach", "--no-attach", "--wait-timeout"]);
/** `run`'s options that take a value: its first other word is the service, the rest its command. */
const RUN_VALUE_OPTIONS = new Set(["-e", "--env", "--env-from-file", "-l", "--label", "--name", "-u", "--user", "-w", "--workdir", "--entrypoint", "-v", "--volume", "-p", "--publish", "--pull", "--cap-add", "--cap-drop"]);

/**
 * The services an `up`, `run` or `scale` names, and the `--scale SERVICE=NUM` it sets
 * ([`docker compose up`](https://docs.docker.com/reference/cli/docker/compose/up/): "Overrides the `scale` setting
 * in the Compose file if present"; compose-go's SetScale sets `deploy.replicas` too). Undefined for other subcommands.
 */
function startedServices(args: ShellWord[]): StartedServices | undefined {
  const index = subcommandIndex(args);
  const subcommand = args[index]?.value;
  if (subcommand !== "up" && subcommand !== "run" && subcommand !== "scale") return undefined;
  const started: StartedServices = { subcommand, services: [] };
  const name = (word: ShellWord) => {
    if (word.opaque || word.unresolved.length > 0 || word.value.includes("$") || word.value === "") started.unknown = true;
    else started.services.push({ name: word.value, at: { file: word.file, start: word.start, end: word.end } });
  };
  const scale = (word: ShellWord, from: number) => {
    const eq = word.value.indexOf("=", from);
    const count = eq > from ? factForSlice(word, eq + 1) : undefined;
    if (!count || !/^\d+$/.test(count.value) || word.opaque) return;
    started.scale ??= new Map();
    started.scale.set(word.value.slice(from, eq), { ...count, value: Number(count.value) });
  };
  const rest = args.slice(index + 1);
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    const value = word.value;
    if (subcommand === "scale") {
      if (!value.startsWith("-")) {
        scale(word, 0);
        name({ ...word, value: value.slice(0, Math.max(0, value.indexOf("="))) });
      }
    } else if (value === "--scale" && rest[i + 1]) scale(rest[++i], 0);
    else if (value.startsWith("--scale=")) scale(word, "--scale=".length);
    else if (value.startsWith("-")) {
      if ((subcommand === "up" ? UP_VALUE_OPTIONS : RUN_VALUE_OPTIONS).has(value)) i++;
    } else {
      name(word);
      // `run SERVICE COMMAND…`: the words after the service are its one-off command.
      if (subcommand === "run") {
        if (i + 1 < rest.length) started.oneOff = true;
        break;
      }
    }
  }
  return started;
}

/**
 * The profiles a `docker compose up` activates: its `--profile` values, else COMPOSE_PROFILES in the environment it
 * runs with (`COMPOSE_PROFILES=web,worker docker compose up -d`, an export above it); undefined when neither says.
 */
function activeProfiles(words: ShellWord[], environment: ReadonlyMap<string, Fact<string>> | undefined): string[] | undefined {
  const invocation = composeInvocation(words);
  if (!invocation || invocation.stack || composeSubcommand(invocation.args) !== "up") return undefined;
  const flags = fileOptionValues(invocation.args, "--profile", "--profile", OTHER_OPTION_SKIPS, true);
  if (flags) return flags.flatMap(profileNames);
  const variable = environment?.get("COMPOSE_PROFILES")?.value;
  return variable === undefined || variable.includes("$") ? undefined : profileNames(variable);
}

/** COMPOSE_PROFILES (and each `--profile`) may list several names, comma-separated. */
export function profileNames(value: string): string[] {
  return value.split(",").map((name) => name.trim()).filter((name) => name !== "");
}

interface FileOption {
  short: string;
  long: string;
}
const FILE_OPTION: FileOption = { short: "-f", long: "--file" };
/** `--env-file` has no short form: a short name no word can be. */
const ENV_FILE_OPTION: FileOption = { short: "--env-file", long: "--env-file" };
const PROJECT_DIRECTORY_OPTION: FileOption = { short: "--project-directory", long: "--project-directory" };
/** Looking for another option than `-f`, `-f`/`--file` are options whose value to skip too. */
const OTHER_OPTION_SKIPS = new Set([...COMPOSE_VALUE_OPTIONS, "-f", "--file"]);

const STACK_VALUE_OPTIONS = new Set(["--resolve-image"]);

/**
 * The values of a repeated file option (`-f x`, `--file x`, `--file=x`, `-fx`), in order, when there are some and
 * each is known as written; `valueOptions` take the next word; `beforeSubcommand`: the first other word ends them.
 */
function fileOptionValues(args: ShellWord[], short: string, long: string, valueOptions: ReadonlySet<string>, beforeSubcommand: boolean): string[] | undefined {
  const files: ShellWord[] = [];
  const named: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i].value;
    if (word === short || word === long) {
      const value = args[++i];
      if (value) {
        files.push(value);
        named.push(value.value);
      }
    } else if (word.startsWith(`${long}=`) || (word.startsWith(short) && word.length > 2 && word[2] !== "-")) {
      files.push(args[i]);
      named.push(word.startsWith(`${long}=`) ? word.slice(long.length + 1) : word.slice(2).replace(/^=/, ""));
    } else if (valueOptions.has(word)) i++;
    else if (beforeSubcommand && !word.startsWith("-")) break;
  }
  if (named.length === 0 || files.some((w) => w.opaque || w.unresolved.length > 0) || named.some((f) => f === "" || f === "-" || f.includes("$"))) return undefined;
  return named;
}

/**
 * COMPOSE_FILE in the environment a command without `-f` runs with (`export COMPOSE_FILE=…` above it, a CI job's
 * `env:`/`variables:`): compose reads it as the `-f` list, `:`-separated (or COMPOSE_PATH_SEPARATOR). An empty list
 * when its value is known only at run time: which files run cannot be told.
 */
function composeFileVariable(words: ShellWord[], environment: ReadonlyMap<string, Fact<string>> | undefined): string[] | undefined {
  const value = environment?.get("COMPOSE_FILE")?.value;
  const invocation = value === undefined ? undefined : composeInvocation(words);
  if (value === undefined || !invocation || invocation.stack || namesFileOption(invocation.args)) return undefined;
  if (value.includes("$")) return [];
  const separator = environment?.get("COMPOSE_PATH_SEPARATOR")?.value || ":";
  return value.split(separator).map((f) => f.trim()).filter((f) => f !== "" && !f.startsWith("/"));
}

/** Whether a `-f`/`--file` comes before the subcommand, whatever its value. */
function namesFileOption(args: ShellWord[]): boolean {
  for (let i = 0; i < subcommandIndex(args); i++) {
    const word = args[i].value;
    if (word === "-f" || word === "--file" || word.startsWith("--file=") || (word.startsWith("-f") && word.length > 2 && word[2] !== "-")) return true;
  }
  return false;
}

/** `ssh`'s options that take a value (the host is the first other word, the remote command the rest). */
const SSH_VALUE_OPTIONS = new Set(["-B", "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q", "-R", "-S", "-W", "-w"]);

/**
 * The file lists of a command: its own when it runs docker compose, or those of the remote command an
 * `ssh HOST "cd app && docker compose -f … up -d"` runs (deploy scripts and CI jobs often deploy so; the
 * remote folder is taken to hold the same files as the workspace).
 */
function composeFileLists(words: ShellWord[], file: string, at: { start: number; end: number }, environment?: ReadonlyMap<string, Fact<string>>): NamedFiles[] {
  const own = namedFiles(words, environment);
  if (own) return [own];
  const program = words[0]?.value ?? "";
  if (program.slice(program.lastIndexOf("/") + 1) !== "ssh") return [];
  let i = 1;
  while (i < words.length && words[i].value.startsWith("-")) i += SSH_VALUE_OPTIONS.has(words[i].value) ? 2 : 1;
  const remote = words.slice(i + 1).map((w) => w.value).join(" ");
  if (!remote.includes("compose")) return [];
  // The remote command is text the ssh words carry: every character points at the whole local command.
  const spans = { starts: new Array<number>(remote.length).fill(at.start), ends: new Array<number>(remote.length).fill(at.end) };
  return parseCommandLine(remote, file, at.start, undefined, spans).commands.map((c) => namedFiles(c.words)).filter((f): f is NamedFiles => f !== undefined);
}

/**
 * The `-f` files, `--env-file` files, active profiles and `--project-directory` of a compose command: a command with any
 * of them names a project (without `-f`, the default files of its project directory).
 */
function namedFiles(words: ShellWord[], environment?: ReadonlyMap<string, Fact<string>>): NamedFiles | undefined {
  const files = composeFileArgs(words) ?? composeFileVariable(words, environment);
  if (files?.length === 0) return undefined;
  const envFiles = composeFileArgs(words, ENV_FILE_OPTION);
  const profiles = activeProfiles(words, environment);
  // The last one wins; one known only at run time (`--project-directory "$APP_DIR"`, an absolute path on the server) is not guessed.
  const directory = composeFileArgs(words, PROJECT_DIRECTORY_OPTION)?.pop();
  const projectDirectory = directory !== undefined && !directory.startsWith("/") ? directory : undefined;
  const invocation = composeInvocation(words);
  // A `-f` known only at run time (`-f docker-compose.$TAG.yml`) names files that cannot be told, not the default ones.
  if (!files && invocation && !invocation.stack && namesFileOption(invocation.args)) return undefined;
  const starts = invocation && !invocation.stack ? startedServices(invocation.args) : undefined;
  if (!files && !envFiles && !profiles && projectDirectory === undefined && !starts) return undefined;
  return { files: files ?? [], ...(envFiles ? { envFiles } : {}), ...(profiles ? { profiles } : {}), ...(projectDirectory !== undefined ? { projectDirectory } : {}), ...(starts ? { starts } : {}) };
}

/** The explicit compose file lists of a shell script: relative to the folder it is run from, which is usually its own or the repository's root. */
export function scriptComposeLists(path: string, text: string, parses: ParseMemo): ComposeFileList[] {
  return parses.get(`compose-lists:${path}`, text, () => {
    const lists: ComposeFileList[] = [];
    // Read without an environment, every word comes from the script's own text: one that never writes docker or compose
    // runs no compose command (a start script, most often), and is not read a second time for nothing.
    if (!text.includes("docker") && !text.includes("compose")) return lists;
    // A `cd` to a folder written as is (`cd deploy`) moves where later commands run; one computed at run time
    // (`cd "$(dirname "$0")/.."`) is left to the folders above the script.
    let cwd: string | undefined;
    for (const command of parseShellScript(text, path).commands) {
      const [program, target] = command.words;
      if (program?.value === "cd" && command.parent === undefined) {
        cwd = target && !target.opaque && target.unresolved.length === 0 && !target.value.startsWith("/") && !target.value.includes("$") ? join(cwd ?? dirOf(path), target.value) : undefined;
        continue;
      }
      const runDirs = cwd === undefined ? ancestors(dirOf(path)) : [cwd, ...ancestors(dirOf(path)).filter((d) => d !== cwd)];
      for (const named of composeFileLists(command.words, path, { start: command.start, end: command.end }, command.exported)) {
        lists.push({ ...named, at: { file: path, start: command.start, end: command.end }, source: path, runDirs });
      }
    }
    return lists;
  });
}

/** The explicit compose file lists of a Makefile's recipes: make runs them in the Makefile's folder. */
export function makefileComposeLists(path: string, text: string, parses: ParseMemo): ComposeFileList[] {
  return parses.get(`compose-lists:${path}`, text, () => {
    const lists: ComposeFileList[] = [];
    for (const recipe of parseMakefile(text).recipes) {
      if (!/compose/.test(recipe.command)) continue;
      // The command is make's expansion of the line, not its text: every word points at the whole line.
      const length = recipe.command.length;
      const spans = { starts: new Array<number>(length).fill(recipe.start), ends: new Array<number>(length).fill(recipe.end) };
      for (const command of parseCommandLine(recipe.command, path, recipe.start, undefined, spans).commands) {
        for (const named of composeFileLists(command.words, path, recipe, command.exported)) {
          lists.push({ ...named, at: { file: path, start: recipe.start, end: recipe.end }, source: `${path} target ${recipe.target}`, target: recipe.target, runDirs: [dirOf(path)] });
        }
      }
    }
    return lists;
  });
}

/** GitLab CI's top-level keys that are not jobs. */
const GITLAB_KEYWORDS = new Set(["default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script", "after_script", "pages"]);

/** One shell command of a CI job's step, with the environment the job gives it. */
export interface CiCommand {
  command: ShellCommand;
  /** The `run:` value or `script:` line it is in. */
  run: YamlScalar;
  job: string;
  /** Folders the command may run in, most likely first. */
  runDirs: string[];
  /** The `env:` (GitHub Actions: workflow, job, step; the innermost wins) or `variables:` (GitLab CI: global, job) it runs with. */
  environment?: ReadonlyMap<string, Fact<string>>;
}

/**
 * The shell commands of a CI file's steps that hold one of `words` (read only those): a GitHub Actions workflow's `run:`
 * steps (in the step's or the job's `working-directory`, else the repository's root) and a `.gitlab-ci.yml` job's
 * `script:` and `before_script:` lines (in the repository's root). A variable the job's environment sets is followed
 * (`-f docker-compose.$DEPLOY_ENV.yml`, `kamal deploy -d $DESTINATION`), each word keeping its place in the file.
 */
export function ciCommands(path: string, text: string, parses: ParseMemo): CiCommand[] {
  return parses.get(`ci-commands:${path}`, text, () => {
    const commands: CiCommand[] = [];
    if (!text.includes("compose") && !text.includes("kamal")) return commands;
    const source = yamlSource(text);
    if (yamlTooDeepAt(source) !== undefined) return commands;
    const doc = parseDocument(source, { uniqueKeys: false });
    if (!isMap(doc.contents)) return commands;
    const addRun = (node: unknown, job: string, runDirs: string[], environment?: ReadonlyMap<string, Fact<string>>) => {
      const run = scalar(node);
      if (!run || !(run.value.includes("compose") || run.value.includes("kamal"))) return;
      for (const command of parseCommandLine(run.value, path, run.start, environment && ((name) => environment.get(name)), scalarSpans(source, run)).commands) {
        commands.push({ command, run, job, runDirs, ...(environment ? { environment } : {}) });
      }
    };
    if (/(^|\/)\.gitlab-ci\.ya?ml$/.test(path)) {
      for (const pair of doc.contents.items) {
        const job = scalar(pair.key)?.value;
        if (job === undefined || job.startsWith(".") || GITLAB_KEYWORDS.has(job)) continue;
        const environment = scopedEnvironment(doc, path, [doc.contents, pair.value], "variables");
        for (const key of ["before_script", "script"]) {
          const lines = mapGet(doc, pair.value, key);
          for (const line of isSeq(lines) ? lines.items : [lines]) addRun(line, job, [""], environment);
        }
      }
      return commands;
    }
    const jobs = mapGet(doc, doc.contents, "jobs");
    if (!isMap(jobs)) return commands;
    for (const pair of jobs.items) {
      const job = scalar(pair.key)?.value ?? "";
      const jobDir = scalar(mapGet(doc, mapGet(doc, mapGet(doc, pair.value, "defaults"), "run"), "working-directory"))?.value;
      const steps = mapGet(doc, pair.value, "steps");
      for (const step of isSeq(steps) ? steps.items : []) {
        const dir = scalar(mapGet(doc, step, "working-directory"))?.value ?? jobDir;
        addRun(mapGet(doc, step, "run"), job, dir ? [join("", dir), ""] : [""], scopedEnvironment(doc, path, [doc.contents, pair.value, step], "env"));
      }
    }
    return commands;
  });
}

/**
 * The explicit compose file lists of a CI file's shell steps (ciCommands), named after the job; the job's environment
 * is its commands' (COMPOSE_PROFILES there activates profiles), under what the script itself exports.
 */
export function ciComposeLists(path: string, text: string, parses: ParseMemo): ComposeFileList[] {
  return parses.get(`compose-lists:${path}`, text, () => {
    const lists: ComposeFileList[] = [];
    for (const { command, run, job, runDirs, environment } of ciCommands(path, text, parses)) {
      const exported = environment && command.exported ? new Map([...environment, ...command.exported]) : (command.exported ?? environment);
      for (const named of composeFileLists(command.words, path, run, exported)) lists.push({ ...named, at: { file: path, start: run.start, end: run.end }, source: `${path} job ${job}`, target: job, runDirs });
    }
    return lists;
  });
}

/**
 * Where each character of a YAML scalar's value is in the file, so a word of a `run:` step (a `--scale web=3`) points
 * at its own place: undefined when the value is written as is; a quoted value whose escapes do not line up points at
 * the whole scalar.
 */
function scalarSpans(text: string, run: YamlScalar): CharSpans | undefined {
  const written = text.slice(run.start, run.end);
  if (written === run.value) return undefined;
  return alignedSpans(written, run.value, run.start) ?? { starts: new Array<number>(run.value.length).fill(run.start), ends: new Array<number>(run.value.length).fill(run.end) };
}

/**
 * The variables of `key` (`env:`, GitLab's `variables:`) in each scope, outermost first (an inner one wins): scalar
 * values, and GitLab's `{ value: …, description: … }` form. A value with a GitHub expression (`${{ inputs.env }}`) is
 * known only at run time, and left out.
 */
function scopedEnvironment(doc: Document.Parsed, path: string, scopes: unknown[], key: string): Map<string, Fact<string>> | undefined {
  let environment: Map<string, Fact<string>> | undefined;
  for (const scope of scopes) {
    const variables = mapGet(doc, scope, key);
    if (!isMap(variables)) continue;
    for (const pair of variables.items) {
      const name = scalar(pair.key)?.value;
      const value = scalar(pair.value) ?? scalar(mapGet(doc, pair.value, "value"));
      if (!name || !value || value.value.includes("${{")) continue;
      const at = value.quoted ? { start: value.start + 1, end: value.end - 1 } : { start: value.start, end: value.end };
      (environment ??= new Map()).set(name, { value: value.value, origin: "stated", at: { file: path, ...at } });
    }
  }
  return environment;
}

/** The folder and each folder above it, up to the workspace root (""). */
export function ancestors(dir: string): string[] {
  const dirs = [dir];
  for (let d = dir; d !== ""; ) {
    d = dirOf(d);
    dirs.push(d);
  }
  return dirs;
}
