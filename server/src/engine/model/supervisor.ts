// supervisord as a container's command (`CMD ["supervisord", "-c", "/etc/supervisor/conf.d/supervisord.conf"]`)
// or a machine's: the programs its configuration starts run side by side, as the servers a start
// script execs do. model/build.ts runs each program's command; this module finds the files, the
// programs and what each one's command line, folder, environment and copies are.
import type { CommandWord } from "../parse/servers.ts";
import { parseCommandLine, type EnvLookup, type ShellScript } from "../parse/shell.ts";
import { expandCommand, parseSupervisorConf, type SupervisorConfig } from "../parse/supervisor.ts";
import type { Fact, SourceRef } from "../types.ts";
import { type Context, dirOf, join } from "./build.ts";

/** Per-audit cache key of the paths that may be supervisord configs (supervisor files, conf.d/*.conf), set by buildModel. */
export const SUPERVISOR_CANDIDATES = "supervisor-candidates";

/** One program's command as supervisord starts it. */
export interface SupervisorRun {
  /** The command line, read as compose reads a string `command:` (model/build.ts startingWords picks the server in it). */
  script: ShellScript;
  at: SourceRef;
  /** The folder its relative paths are read from. */
  dir: string;
  env: EnvLookup;
  /** What `environment=` (supervisord's and the program's) sets over supervisord's own environment. */
  environment: Map<string, Fact<string>>;
  /** `numprocs`, when more than one copy runs. */
  copies?: Fact<number>;
}

/** `supervisord` at any path, `python -m supervisor.supervisord`; the index after which its options start, or -1. */
export function supervisordOptionsStart(words: CommandWord[]): number {
  const program = words[0]?.value ?? "";
  if (program.slice(program.lastIndexOf("/") + 1) === "supervisord") return 1;
  if (/^python[\d.]*$/.test(program.slice(program.lastIndexOf("/") + 1)) && words[1]?.value === "-m" && words[2]?.value === "supervisor.supervisord") return 3;
  return -1;
}

/** The file `-c`/`--configuration` names, as written. */
export function supervisordConfigArg(words: CommandWord[], from: number): string | undefined {
  for (let i = from; i < words.length; i++) {
    const word = words[i].value;
    if (word === "-c" || word === "--configuration") return words[i + 1]?.value;
    if (word.startsWith("--configuration=")) return word.slice("--configuration=".length);
    if (/^-[a-z]*c./.test(word) && !word.startsWith("--")) return word.slice(word.indexOf("c") + 1);
  }
  return undefined;
}

export function readSupervisorConf(ctx: Context, path: string): SupervisorConfig | undefined {
  const text = ctx.host.read(path);
  if (text === undefined) return undefined;
  const key = `supervisor:${path}`;
  if (!ctx.cache.has(key)) {
    const config = ctx.parses.get(key, text, () => parseSupervisorConf(text, path));
    ctx.cache.set(key, config);
    ctx.problems.push(...config.problems);
  }
  return ctx.cache.get(key) as SupervisorConfig;
}

/**
 * The files supervisord reads from `main`: itself, then what its `[include] files=` globs match, sorted
 * as supervisord sorts them. A relative glob is relative to the file's folder; an absolute one is a path
 * in the image (`/etc/supervisor/conf.d/*.conf`), matched by its last folders, nearest first, below the
 * file's folder, then from the workspace's root. Only files supervisord would understand are kept.
 */
export function supervisorConfigFiles(ctx: Context, main: string): string[] {
  const config = readSupervisorConf(ctx, main);
  if (!config) return [];
  const files = [main];
  for (const pattern of config.includes) {
    for (const path of matchInclude(ctx, dirOf(main), pattern)) {
      if (!files.includes(path) && readSupervisorConf(ctx, path)?.recognised) files.push(path);
    }
  }
  return files;
}

function matchInclude(ctx: Context, dir: string, pattern: string): string[] {
  if (pattern.includes("%(")) return [];
  const candidates: string[] = [];
  if (!pattern.startsWith("/")) candidates.push(join(dir, pattern));
  else {
    // `/etc/supervisor/conf.d/*.conf` → `etc/supervisor/conf.d/*.conf`, `supervisor/conf.d/*.conf`, `conf.d/*.conf`: at least one folder.
    const parts = pattern.split("/").filter(Boolean);
    for (let i = 0; i < parts.length - 1; i++) for (const base of dir === "" ? [""] : [dir, ""]) candidates.push(join(base, parts.slice(i).join("/")));
  }
  for (const candidate of candidates) {
    const regex = globRegex(candidate);
    const matched = (ctx.cache.get(SUPERVISOR_CANDIDATES) as string[]).filter((p) => regex.test(p)).sort();
    if (matched.length > 0) return matched;
  }
  return [];
}

/** A glob as supervisord's (Python's glob module) matches it: `*` and `?` within one folder, `[...]` classes. */
function globRegex(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "[" && glob.indexOf("]", i + 2) > 0) {
      const close = glob.indexOf("]", i + 2);
      source += `[${glob.slice(i + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
      i = close;
    } else source += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * The programs `files` start (a later file's program of the same name replaces an earlier one, as
 * configparser merges them), with their command's words. `contextDir` is where the image's files come
 * from (the build context, or the config's folder outside a container); `env` is supervisord's own
 * environment (the container's).
 */
export function supervisorRuns(ctx: Context, files: string[], contextDir: string, env: EnvLookup): SupervisorRun[] {
  const configs = files.map((f) => readSupervisorConf(ctx, f)).filter((c): c is SupervisorConfig => c !== undefined);
  const shared = new Map(configs.flatMap((c) => [...c.environment]));
  const programs = new Map(configs.flatMap((c) => c.programs.map((p) => [p.name, { program: p, config: c }] as const)));
  const runs: SupervisorRun[] = [];
  for (const { program, config } of programs.values()) {
    if (!program.command || !program.autostart) continue;
    const own = new Map([...shared, ...program.environment]);
    const programEnv: EnvLookup = (name) => own.get(name) ?? env(name);
    // An absolute path, as supervisord's is: workspaceFolder and findNearby read it from its tail.
    const here = `/${dirOf(config.file)}`;
    const copies = program.numprocs ?? numprocsFromEnv(program.numprocsEnv, programEnv);
    const numprocs = copies?.value ?? 1;
    const names = { program_name: program.name, group_name: program.name, process_num: 0, numprocs, here };
    const { text, spans } = expandCommand(program.command, names);
    const script = parseCommandLine(text, config.file, program.command.at.start, programEnv, spans);
    if (script.commands.length === 0 || numprocs === 0) continue;
    const dir = program.directory ? workspaceFolder(ctx, contextDir, expandDirectory(expandCommand(program.directory, names).text, programEnv)) : contextDir;
    runs.push({ script, at: program.command.at, dir, env: programEnv, environment: own, ...(numprocs > 1 && copies ? { copies } : {}) });
  }
  return runs;
}

/** `numprocs=%(ENV_X)s` (redash's worker.conf): the variable's value where it is set, by way of the numprocs line. */
function numprocsFromEnv(written: { name: string; at: SourceRef } | undefined, env: EnvLookup): Fact<number> | undefined {
  const fact = written && env(written.name);
  if (!written || !fact || !/^\d+$/.test(fact.value.trim())) return undefined;
  return { ...fact, value: Number(fact.value.trim()), via: [...(fact.via ?? []), { at: written.at, note: `numprocs=%(ENV_${written.name})s` }] };
}

/**
 * `directory=%(ENV_APP_PATH)s` (OpenProject's programs), which expandCommand writes `${APP_PATH}`: the container's
 * variable filled in; undefined while one is not known.
 */
function expandDirectory(text: string, env: EnvLookup): string | undefined {
  let unknown = false;
  const expanded = text.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const value = env(name)?.value;
    if (value === undefined) unknown = true;
    return value ?? "";
  });
  return unknown ? undefined : expanded;
}

/**
 * A program's `directory=` in the workspace: a relative one (from `%(here)s`) as it is; an absolute one
 * is a folder in the image (`/app/backend`), taken as the longest tail of it that is a folder below
 * the build context (`backend`), else the build context itself, as is a directory whose variable is not known. Asked through `ctx.folders`, whose answers
 * model/reuse.ts records: a folder created or emptied later rebuilds the deployment.
 */
function workspaceFolder(ctx: Context, contextDir: string, directory: string | undefined): string {
  if (directory === undefined) return contextDir;
  if (!directory.startsWith("/")) return join(contextDir, directory);
  const parts = directory.split("/").filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const folder = join(contextDir, parts.slice(i).join("/"));
    if (ctx.folders.has(folder)) return folder;
  }
  return contextDir;
}
