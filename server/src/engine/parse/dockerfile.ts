// Dockerfiles read with dockerfile-ast. Only the last stage runs, so CMD, ENTRYPOINT and ENV are
// taken from it (ENV of the stages it is built FROM carries over, as Docker does).
import { DockerfileParser, type Instruction, JSONInstruction } from "dockerfile-ast";
import { LineIndex, type Fact, type ParseProblem } from "../types.ts";

/** A CMD or ENTRYPOINT: exec form (JSON array) keeps each string; shell form keeps the text. */
export interface DockerCommand {
  keyword: "CMD" | "ENTRYPOINT";
  form: "exec" | "shell";
  /** Exec form: each JSON string's value and span (quotes excluded). Shell form: one item, the text. */
  items: Array<{ value: string; start: number; end: number }>;
  start: number;
  end: number;
}

export interface Dockerfile {
  file: string;
  cmd?: DockerCommand;
  entrypoint?: DockerCommand;
  env: Map<string, Fact<string>>;
  /** `COPY`/`ADD` sources of the last stage, to find scripts it runs. */
  copies: Array<{ sources: string[]; destination: string }>;
  workdir?: string;
  problems: ParseProblem[];
}

export function parseDockerfile(text: string, file: string): Dockerfile {
  const result: Dockerfile = { file, env: new Map(), copies: [], problems: [] };
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
  const stages = new Map<string, Omit<Dockerfile, "file" | "problems">>();
  let stage: Omit<Dockerfile, "file" | "problems"> = { env: new Map(), copies: [] };
  for (const instruction of instructions) {
    const keyword = instruction.getKeyword();
    const args = instruction.getArguments();
    if (keyword === "FROM") {
      const parent = stages.get(args[0]?.getValue() ?? "");
      stage = parent ? { ...parent, env: new Map(parent.env), copies: [...parent.copies] } : { env: new Map(), copies: [] };
      const asIndex = args.findIndex((a) => a.getValue().toUpperCase() === "AS");
      if (asIndex > 0 && args[asIndex + 1]) stages.set(args[asIndex + 1].getValue(), stage);
    } else if (keyword === "ENV") {
      for (const property of (instruction as unknown as { getProperties(): EnvProperty[] }).getProperties()) {
        const range = property.getValueRange();
        const value = property.getValue();
        if (value === null) continue;
        stage.env.set(property.getName(), {
          value,
          origin: "stated",
          at: range ? { file, start: offset(range.start), end: offset(range.end) } : { file, start: 0, end: 0 },
        });
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
      if (keyword === "CMD") stage.cmd = command;
      else {
        stage.entrypoint = command;
        // Docker resets CMD when ENTRYPOINT is set in the same stage.
        stage.cmd = undefined;
      }
    } else if (keyword === "COPY" || keyword === "ADD") {
      const paths = args.map((a) => a.getValue()).filter((v) => !v.startsWith("--"));
      if (paths.length >= 2) stage.copies.push({ sources: paths.slice(0, -1), destination: paths[paths.length - 1] });
    } else if (keyword === "WORKDIR" && args[0]) {
      stage.workdir = args[0].getValue();
    }
  }
  return { ...result, ...stage, file, problems: result.problems };
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
