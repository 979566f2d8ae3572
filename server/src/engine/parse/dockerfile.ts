// Dockerfiles read with dockerfile-ast. Only the last stage runs, so CMD, ENTRYPOINT and ENV are
// taken from it (ENV of the stages it is built FROM carries over, as Docker does); a build that names
// a target (`docker build --target`, compose `build.target`) runs that stage instead (`stages`).
import { DockerfileParser, type Instruction, JSONInstruction, ModifiableInstruction } from "dockerfile-ast";
import { LineIndex, type Fact, type ParseProblem } from "../types.ts";
import { type DependencyInstall, dependencyInstalls } from "./python-requirements.ts";

/** A CMD or ENTRYPOINT: exec form (JSON array) keeps each string; shell form keeps the text. */
export interface DockerCommand {
  keyword: "CMD" | "ENTRYPOINT";
  form: "exec" | "shell";
  /** Exec form: each JSON string's value and span (quotes excluded). Shell form: one item, the text. */
  items: Array<{ value: string; start: number; end: number }>;
  start: number;
  end: number;
}

/** A COPY or ADD line of a stage. */
export interface DockerCopy {
  sources: string[];
  destination: string;
  /** False for `--from` another stage or image: its sources are not the build context's files. */
  fromContext: boolean;
  /** The WORKDIR in effect at the line, which a relative destination is relative to; absent before any WORKDIR (the base image's). */
  workdir?: string;
  /** The instruction. */
  start: number;
  end: number;
}

export interface Dockerfile {
  file: string;
  cmd?: DockerCommand;
  entrypoint?: DockerCommand;
  env: Map<string, Fact<string>>;
  /** ENV variables set from a build argument (`ARG WORKERS=4` then `ENV WORKERS=$WORKERS`): env name → ARG name, for build args given at build time. */
  envFromArgs: Map<string, string>;
  /** `COPY`/`ADD` lines of the last stage, to find scripts it runs and the files it puts in the image. */
  copies: DockerCopy[];
  /** Each file `COPY`/`ADD` takes from the build context, in any stage (not `--from` another stage or image, not a URL). */
  contextCopies: Array<{ source: string; destination: string }>;
  workdir?: string;
  /** The image the last stage starts from, through `FROM <stage>` chains (`nginx:1.25-alpine`, `${BASE}` as written). */
  baseImage?: string;
  /** Where that image is named: the FROM argument, in the stage that names it. */
  baseImageAt?: { start: number; end: number };
  /** Each named stage (`FROM … AS name`, lower-cased as BuildKit matches them) as it stands at its end: what `--target name` runs. */
  stages: Map<string, DockerfileStage>;
  /**
   * The dependency files RUN lines of any stage install from (`pip install -r requirements/prod.txt`, `poetry install`), with
   * the WORKDIR and COPY/ADD lines of their stage so far, to find the build-context file each path names.
   */
  installs: Array<DependencyInstall & { workdir?: string; copies: Array<{ sources: string[]; destination: string }> }>;
  problems: ParseProblem[];
}

/** What one stage runs and sets, as the Dockerfile's own fields describe the last stage. */
export type DockerfileStage = Omit<Dockerfile, "file" | "problems" | "stages" | "installs" | "contextCopies">;

export function parseDockerfile(text: string, file: string): Dockerfile {
  const result: Dockerfile = { file, env: new Map(), envFromArgs: new Map(), copies: [], contextCopies: [], stages: new Map(), installs: [], problems: [] };
  const lines = new LineIndex(text);
  const offset = (p: { line: number; character: number }) => lines.offset(p.line, p.character);
  let instructions: Instruction[];
  try {
    instructions = DockerfileParser.parse(text).getInstructions();
  } catch (err) {
    result.problems.push({ message: `cannot read Dockerfile: ${String(err)}`, at: { file, start: 0, end: 0 }, severity: "error" });
    return result;
  }
  // Stages by name, so `FROM base` inherits base's ENV, CMD and ENTRYPOINT.
  const stages = new Map<string, Stage>();
  /** ARGs declared before the first FROM: a stage sees one only if it declares it again (`ARG NAME`). */
  const globalArgs = new Map<string, Fact<string>>();
  let stage: Stage | undefined;
  for (const instruction of instructions) {
    const keyword = instruction.getKeyword();
    // Split into arguments only where they are read: RUN lines are most of a Dockerfile and none of its sizing.
    const args = KEYWORDS_READING_ARGUMENTS.has(keyword) ? instruction.getArguments() : [];
    if (keyword === "FROM") {
      const fromArg = args.find((a) => !a.getValue().startsWith("--"));
      const from = fromArg?.getValue() ?? "";
      const parent = stages.get(from.toLowerCase());
      const named = fromArg && from ? { baseImage: from, baseImageAt: { start: offset(fromArg.getRange().start), end: offset(fromArg.getRange().end) } } : {};
      stage = parent ? { ...parent, env: new Map(parent.env), envFromArgs: new Map(parent.envFromArgs), args: new Map(parent.args), copies: [...parent.copies] } : { ...emptyStage(), ...named };
      const asIndex = args.findIndex((a) => a.getValue().toUpperCase() === "AS");
      if (asIndex > 0 && args[asIndex + 1]) stages.set(args[asIndex + 1].getValue().toLowerCase(), stage);
    } else if (keyword === "ARG") {
      for (const property of (instruction as unknown as { getProperties(): EnvProperty[] }).getProperties()) {
        const range = property.getValueRange();
        const value = property.getValue();
        const name = property.getName();
        const fact: Fact<string> | undefined = value === null ? globalArgs.get(name) : { value, origin: "stated", at: range ? { file, start: offset(range.start), end: offset(range.end) } : { file, start: 0, end: 0 } };
        if (!stage) {
          if (fact) globalArgs.set(name, fact);
        } else if (fact) stage.args.set(name, fact);
        else stage.args.set(name, { value: "", origin: "default", by: "Docker" });
      }
    } else if (keyword === "ENV") {
      const current = stage ?? (stage = emptyStage());
      for (const property of (instruction as unknown as { getProperties(): EnvProperty[] }).getProperties()) {
        const range = property.getValueRange();
        const value = property.getValue();
        if (value === null) continue;
        const name = property.getName();
        const written: Fact<string> = { value, origin: "stated", at: range ? { file, start: offset(range.start), end: offset(range.end) } : { file, start: 0, end: 0 } };
        // `ENV WORKERS=${WEB_WORKERS}`: Docker substitutes the build argument (its default unless the build passes one).
        const ref = /^\$(?:(\w+)|\{(\w+)(?::?-([^}]*))?\})$/.exec(value);
        const argName = ref?.[1] ?? ref?.[2];
        const arg = argName === undefined ? undefined : current.args.get(argName);
        const fallback = ref?.[3];
        current.envFromArgs.delete(name);
        if (argName !== undefined && arg) current.envFromArgs.set(name, argName);
        // An ARG without a value stays `$NAME` (unknown: the build must pass it) unless `${NAME:-default}` gives one.
        if (argName !== undefined && arg && (arg.value !== "" || fallback !== undefined)) {
          const useFallback = arg.value === "" && fallback !== undefined;
          current.env.set(name, useFallback ? { ...written, value: fallback } : { ...arg, via: [...(arg.via ?? []), ...(written.at ? [{ at: written.at, note: `${FROM_ARG}${name}=${value}` }] : [])] });
        } else current.env.set(name, written);
      }
    } else if (keyword === "CMD" || keyword === "ENTRYPOINT") {
      const range = instruction.getRange();
      const command: DockerCommand = { keyword, form: "shell", items: [], start: offset(range.start), end: offset(range.end) };
      const strings = instruction instanceof JSONInstruction ? instruction.getJSONStrings() : [];
      if (strings.length > 0) {
        command.form = "exec";
        for (const s of strings) {
          const r = s.getRange();
          // getJSONValue() drops the spaces inside a string ("exec gunicorn -w 2" → "execgunicorn-w2"): decode the text itself.
          command.items.push({ value: jsonString(text.slice(offset(r.start), offset(r.end))) ?? s.getJSONValue(), start: offset(r.start) + 1, end: offset(r.end) - 1 });
        }
      } else if (args.length > 0) {
        const start = offset(args[0].getRange().start);
        const end = offset(args[args.length - 1].getRange().end);
        command.items.push({ value: text.slice(start, end), start, end });
      }
      stage ??= emptyStage();
      if (keyword === "CMD") stage.cmd = command;
      else {
        stage.entrypoint = command;
        // Docker resets CMD when ENTRYPOINT is set in the same stage.
        stage.cmd = undefined;
      }
    } else if (keyword === "COPY" || keyword === "ADD") {
      const paths = args.map((a) => a.getValue()).filter((v) => !v.startsWith("--"));
      // dockerfile-ast keeps flags apart from the arguments: `--from=build` is a flag.
      const fromContext = !(instruction instanceof ModifiableInstruction && instruction.getFlags().some((flag) => flag.getName().toLowerCase() === "from"));
      if (paths.length >= 2) {
        const range = instruction.getRange();
        const current = (stage ??= emptyStage());
        current.copies.push({ sources: paths.slice(0, -1), destination: paths[paths.length - 1], fromContext, ...(current.workdir !== undefined ? { workdir: current.workdir } : {}), start: offset(range.start), end: offset(range.end) });
      }
      if (paths.length >= 2 && fromContext) {
        for (const source of paths.slice(0, -1)) if (!/^[a-z]+:\/\//i.test(source)) result.contextCopies.push({ source, destination: paths[paths.length - 1] });
      }
    } else if (keyword === "WORKDIR" && args[0]) {
      // A relative WORKDIR is relative to the one before it.
      const current = (stage ??= emptyStage());
      const path = args[0].getValue();
      current.workdir = path.startsWith("/") || current.workdir === undefined ? path : `${current.workdir.replace(/\/+$/, "")}/${path}`;
    } else if (keyword === "RUN") {
      const range = instruction.getRange();
      const current = stage ?? (stage = emptyStage());
      for (const install of dependencyInstalls(text.slice(offset(range.start) + keyword.length, offset(range.end)))) {
        result.installs.push({ ...install, ...(current.workdir !== undefined ? { workdir: current.workdir } : {}), copies: [...current.copies] });
      }
    }
  }
  const last = stage ?? emptyStage();
  const named = new Map([...stages].map(([name, s]) => [name, stageView(s)]));
  return { file, ...stageView(last), stages: named, contextCopies: result.contextCopies, installs: result.installs, problems: result.problems };
}

function stageView(s: Stage): DockerfileStage {
  return { cmd: s.cmd, entrypoint: s.entrypoint, env: s.env, envFromArgs: s.envFromArgs, copies: s.copies, workdir: s.workdir, baseImage: s.baseImage, baseImageAt: s.baseImageAt };
}

/** The stage a build runs: the `target` named (BuildKit matches names case-insensitively), else the last one. */
export function targetStage(dockerfile: Dockerfile, target: string | undefined): DockerfileStage {
  return (target !== undefined && dockerfile.stages.get(target.toLowerCase())) || dockerfile;
}

type Stage = DockerfileStage & { args: Map<string, Fact<string>> };

const KEYWORDS_READING_ARGUMENTS: ReadonlySet<string> = new Set(["FROM", "CMD", "ENTRYPOINT", "COPY", "ADD", "WORKDIR"]);

const FROM_ARG = "ENV ";

/** An ENV value that is a build argument's default (`ARG WORKERS=4` + `ENV WORKERS=$WORKERS`): the build may pass another. */
export function isBuildArgDefault(fact: Fact<string>): boolean {
  return fact.via?.some((hop) => hop.note.startsWith(FROM_ARG)) ?? false;
}

function emptyStage(): Stage {
  return { env: new Map(), envFromArgs: new Map(), args: new Map(), copies: [] };
}

function jsonString(raw: string): string | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

interface EnvProperty {
  getName(): string;
  getValue(): string | null;
  getValueRange(): { start: { line: number; character: number }; end: { line: number; character: number } } | null;
}
