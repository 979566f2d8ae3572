// supervisord's configuration (supervisord.conf, conf.d/*.conf, supervisor/*.ini), read as text: the
// programs it starts, each with its command, copies (`numprocs`), folder and environment, every value
// with its place. The file is Python's configparser dialect as supervisord sets it up (parse/ini.ts).
// - `[program:x]` and `[fcgi-program:x]` start processes; `autostart=false` ones are not started.
// - `environment=KEY="v",KEY2=v2` in `[supervisord]` (every program's) and in a program (its own);
//   quotes allow commas in a value.
// - `[include] files=` lists globs, blank-separated, relative to this file's folder.
// - `%(ENV_X)s` is supervisord's environment, `%(program_name)s`, `%(process_num)d`, `%(numprocs)d`,
//   `%(here)s` its own names: expandCommand turns a value into the command line the shell reader reads,
//   each character placed in the file.
import type { Fact, ParseProblem, SourceRef } from "../types.ts";
import { type IniEntry, type IniSection, readIni } from "./ini.ts";
import type { CharSpans } from "./shell.ts";

/** A value as written: its text (continuation lines joined with "\n") and where each character is. */
export interface SupervisorValue {
  value: string;
  at: SourceRef;
  charSpans?: CharSpans;
}

export interface SupervisorProgram {
  name: string;
  /** The section's header name (`program:web`). */
  at: SourceRef;
  command?: SupervisorValue;
  /** `numprocs`: copies of the program supervisord starts, each a process group of its own. */
  numprocs?: Fact<number>;
  /** `numprocs=%(ENV_WORKERS_COUNT)s`: the count is supervisord's environment variable `name`, written at `at`. */
  numprocsEnv?: { name: string; at: SourceRef };
  directory?: SupervisorValue;
  environment: Map<string, Fact<string>>;
  /** `autostart=false`: supervisord does not start it. */
  autostart: boolean;
}

export interface SupervisorConfig {
  file: string;
  programs: SupervisorProgram[];
  /** `[supervisord] environment=`: what every program gets over supervisord's own environment. */
  environment: Map<string, Fact<string>>;
  /** `[include] files=` globs, as written. */
  includes: string[];
  /** Whether the file has a section supervisord knows: a file in conf.d/ may be nginx's instead. */
  recognised: boolean;
  problems: ParseProblem[];
}

const KNOWN_SECTION = /^(supervisord|supervisorctl|unix_http_server|inet_http_server|include|rpcinterface:.+|program:.+|fcgi-program:.+|eventlistener:.+|group:.+)$/;

export function parseSupervisorConf(text: string, file: string): SupervisorConfig {
  const config: SupervisorConfig = { file, programs: [], environment: new Map(), includes: [], recognised: false, problems: [] };
  for (const section of readIni(text, { configparser: true })) {
    const name = section.name.trim();
    if (!KNOWN_SECTION.test(name)) continue;
    config.recognised = true;
    const get = (key: string): IniEntry | undefined => lastEntry(section, key);
    if (name === "supervisord") readEnvironment(get("environment"), file, config.environment, config.problems);
    else if (name === "include") config.includes.push(...(get("files")?.value ?? "").split(/\s+/).filter(Boolean));
    else if (/^(fcgi-)?program:/.test(name)) config.programs.push(readProgram(section, name.slice(name.indexOf(":") + 1), file, config.problems));
  }
  return config;
}

function readProgram(section: IniSection, name: string, file: string, problems: ParseProblem[]): SupervisorProgram {
  const get = (key: string): IniEntry | undefined => lastEntry(section, key);
  const program: SupervisorProgram = { name, at: { file, ...section.nameSpan }, environment: new Map(), autostart: !/^(false|no|off|0)$/i.test(get("autostart")?.value ?? "") };
  const command = get("command");
  if (command?.value) program.command = valueOf(command, file);
  const directory = get("directory");
  if (directory?.value) program.directory = valueOf(directory, file);
  const numprocs = get("numprocs");
  if (numprocs?.value !== undefined) {
    const fromEnv = /^%\(ENV_(\w+)\)[sd]$/.exec(numprocs.value);
    if (/^\d+$/.test(numprocs.value)) program.numprocs = { value: Number(numprocs.value), origin: "stated", at: { file, ...numprocs.valueSpan } };
    else if (fromEnv) program.numprocsEnv = { name: fromEnv[1], at: { file, ...numprocs.valueSpan } };
    else problems.push({ message: `numprocs of [${section.name}] is not a number: ${numprocs.value}`, severity: "warning", at: { file, ...numprocs.valueSpan } });
  }
  readEnvironment(get("environment"), file, program.environment, problems);
  return program;
}

/** configparser keeps the last of a repeated key (`strict=False`). */
function lastEntry(section: IniSection, key: string): IniEntry | undefined {
  for (let i = section.entries.length - 1; i >= 0; i--) if (section.entries[i].key === key) return section.entries[i];
  return undefined;
}

function valueOf(entry: IniEntry, file: string): SupervisorValue {
  return { value: entry.value ?? "", at: { file, ...entry.valueSpan }, ...(entry.charSpans ? { charSpans: entry.charSpans } : {}) };
}

/**
 * `KEY="value",KEY2=value2` (supervisor's dict_of_key_value_pairs: pairs separated by commas, a value
 * quoted with `"` or `'` may hold commas and blanks), each value at its place inside the quotes.
 */
function readEnvironment(entry: IniEntry | undefined, file: string, into: Map<string, Fact<string>>, problems: ParseProblem[]): void {
  const text = entry?.value;
  if (!entry || !text) return;
  const place = (i: number): number => (entry.charSpans ? entry.charSpans.starts[i] : entry.valueSpan.start + i);
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /[\s,]/.test(text[i])) i++;
    const key: string | undefined = /^[A-Za-z_][\w.-]*/.exec(text.slice(i))?.[0];
    const eq = key === undefined ? -1 : i + key.length + (/^\s*/.exec(text.slice(i + key.length))?.[0].length ?? 0);
    if (key === undefined || text[eq] !== "=") {
      if (i < text.length) problems.push({ message: `environment is not KEY=value pairs separated by commas at "${text.slice(i, i + 20)}"`, severity: "warning", at: { file, start: place(i), end: entry.valueSpan.end } });
      return;
    }
    let j = eq + 1;
    while (j < text.length && /[ \t]/.test(text[j])) j++;
    const quote = text[j] === '"' || text[j] === "'" ? text[j] : undefined;
    const start = quote ? j + 1 : j;
    const close = quote ? text.indexOf(quote, start) : -1;
    const end = quote ? (close < 0 ? text.length : close) : (/^[^,]*/.exec(text.slice(start))?.[0].trimEnd().length ?? 0) + start;
    const value = text.slice(start, end);
    into.set(key, { value, origin: "stated", at: { file, start: place(start), end: value.length > 0 ? place(end - 1) + 1 : place(start) } });
    i = quote && close >= 0 ? close + 1 : end;
  }
}

/** What supervisord fills in besides its environment (`%(ENV_X)s`): the program's own names. */
export interface SupervisorNames {
  program_name: string;
  group_name: string;
  /** The first copy's: 0 unless numprocs_start says otherwise (not read). */
  process_num: number;
  numprocs: number;
  /** The config file's folder, in the workspace. */
  here: string;
}

/**
 * A program's command (or other value) as the shell reader reads it, each character placed in the file:
 * `%(ENV_X)s` becomes `${X}` (so the variable is looked up with the deployment's environment and the
 * value keeps its own origin), the program's names become their values, `%%` a `%`. A name supervisord
 * does not know stays a variable nothing sets. Line breaks of a continued value separate words, as
 * supervisor's shlex split makes them.
 */
export function expandCommand(value: SupervisorValue, names: SupervisorNames): { text: string; spans: CharSpans } {
  const { value: text, at } = value;
  const place = (i: number) => (value.charSpans ? value.charSpans.starts[i] : at.start + i);
  const placeEnd = (i: number) => (value.charSpans ? value.charSpans.ends[i] : at.start + i + 1);
  let out = "";
  const starts: number[] = [];
  const ends: number[] = [];
  const emit = (piece: string, start: number, end: number) => {
    out += piece;
    for (let k = 0; k < piece.length; k++) {
      starts.push(start);
      ends.push(end);
    }
  };
  const pattern = /%%|%\(([A-Za-z_]\w*)\)(-?0?\d*)[sdr]/g;
  let last = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    for (let i = last; i < m.index; i++) emit(text[i] === "\n" ? " " : text[i], place(i), placeEnd(i));
    last = m.index + m[0].length;
    const start = place(m.index);
    const end = placeEnd(last - 1);
    if (m[0] === "%%") {
      emit("%", start, end);
      continue;
    }
    const name = m[1];
    if (name.startsWith("ENV_")) {
      // `${` and `}` on the `%(ENV_` and `)s` around the name, the name's characters on its own.
      const nameAt = m.index + 6;
      emit("${", start, placeEnd(nameAt - 1));
      for (let i = nameAt; i < nameAt + name.length - 4; i++) emit(text[i], place(i), placeEnd(i));
      emit("}", place(nameAt + name.length - 4), end);
      continue;
    }
    const known = name in names ? String(names[name as keyof SupervisorNames]) : undefined;
    const width = Number(/\d+/.exec(m[2])?.[0] ?? 0);
    emit(known === undefined ? `\${SUPERVISOR_${name.toUpperCase()}}` : m[2].includes("0") ? known.padStart(width, "0") : known.padStart(width, " "), start, end);
  }
  for (let i = last; i < text.length; i++) emit(text[i] === "\n" ? " " : text[i], place(i), placeEnd(i));
  return { text: out, spans: { starts, ends } };
}
