// Solid Queue's config/queue.yml and config/recurring.yml, read as text. Solid Queue runs them through ERB, loads
// the YAML with its keys as symbols and takes the section named after the Rails environment when there is one, else
// the whole file (lib/solid_queue/configuration.rb, config_from). From queue.yml it keeps `workers` and `dispatchers`
// only; when neither is there it runs one worker and one dispatcher with their defaults. Headroom never evaluates the
// ERB: `processes: <%= ENV.fetch("JOB_CONCURRENCY", 1) %>` is read as that variable with default 1, as in database.yml.
import { isMap, isSeq } from "yaml";
import type { ParseProblem, Span } from "../types.ts";
import { mapGet, scalar } from "./compose.ts";
import { erbValue, parseErbYaml } from "./database-yml.ts";
import type { SettingExpr } from "./setting-expr.ts";

/** One item of `workers:`: a group of `processes` identical worker processes, each with `threads` job threads. */
export interface QueueWorker {
  /** The item as written (its first key), for findings that point at the group. */
  at: Span;
  threads?: SettingExpr;
  processes?: SettingExpr;
}

/** What one section (or the whole file) asks the supervisor to run: undefined lists are absent keys. */
export interface QueueProcesses {
  workers?: QueueWorker[];
  /** Each item of `dispatchers:` is one dispatcher process. */
  dispatchers?: Span[];
}

export interface QueueYml {
  /** The whole file's `workers`/`dispatchers`, used when it has no section for the environment. */
  top: QueueProcesses;
  sections: Map<string, QueueProcesses>;
  problems: ParseProblem[];
}

export function parseQueueYml(text: string, file: string): QueueYml {
  const result: QueueYml = { top: {}, sections: new Map(), problems: [] };
  const erb = parseErbYaml(text, file, result.problems);
  if (!erb || !isMap(erb.doc.contents)) return result;
  const { doc, tags } = erb;
  // An item's span up to the end of its first line (`- queues: "*"`), not the whole map.
  const firstLine = (item: unknown): Span => {
    const [start, end] = (item as { range?: [number, number] } | null)?.range ?? [0, 0];
    const eol = text.slice(start, end).search(/[\r\n]/);
    return { start, end: eol < 0 ? end : start + eol };
  };
  const processesOf = (section: unknown): QueueProcesses => {
    const out: QueueProcesses = {};
    const workers = mapGet(doc, section, "workers") ?? mapGet(doc, section, ":workers");
    if (workers !== undefined) {
      out.workers = (isSeq(workers) ? workers.items : []).flatMap((item): QueueWorker[] => {
        const worker: QueueWorker = { at: firstLine(item) };
        const threads = erbValue(doc, item, "threads", text, file, tags) ?? erbValue(doc, item, ":threads", text, file, tags);
        const processes = erbValue(doc, item, "processes", text, file, tags) ?? erbValue(doc, item, ":processes", text, file, tags);
        if (threads) worker.threads = threads;
        if (processes) worker.processes = processes;
        return [worker];
      });
    }
    const dispatchers = mapGet(doc, section, "dispatchers") ?? mapGet(doc, section, ":dispatchers");
    if (dispatchers !== undefined) {
      out.dispatchers = (isSeq(dispatchers) ? dispatchers.items : []).map(firstLine);
    }
    return out;
  };
  result.top = processesOf(doc.contents);
  for (const pair of erb.doc.contents.items) {
    const key = scalar(pair.key);
    const section = key && mapGet(doc, doc.contents, key.value);
    if (key && isMap(section)) result.sections.set(key.value.replace(/^:/, ""), processesOf(section));
  }
  return result;
}

/** What Solid Queue runs in `environment`: its section when the file has one, else the file's top level. */
export function queueProcesses(yml: QueueYml, environment: string): QueueProcesses {
  return yml.sections.get(environment) ?? yml.top;
}

/**
 * How many recurring tasks (entries with a `schedule`) config/recurring.yml gives `environment`: its section when
 * there is one, else the top level. Solid Queue starts its scheduler process only when there is at least one.
 */
export function recurringTaskCount(text: string, file: string, environment: string): { count: number; problems: ParseProblem[] } {
  const problems: ParseProblem[] = [];
  const erb = parseErbYaml(text, file, problems);
  if (!erb || !isMap(erb.doc.contents)) return { count: 0, problems };
  const { doc } = erb;
  const section = mapGet(doc, doc.contents, environment) ?? mapGet(doc, doc.contents, `:${environment}`);
  const tasks = isMap(section) ? section : erb.doc.contents;
  if (!isMap(tasks)) return { count: 0, problems };
  const count = tasks.items.filter((pair) => {
    const key = scalar(pair.key);
    return key !== undefined && mapGet(doc, mapGet(doc, tasks, key.value), "schedule") !== undefined;
  }).length;
  return { count, problems };
}
