import { SOURCES } from "../../knowledge/sources.ts";
import type { SourceRef, TextEdit } from "../../types.ts";
import { defineRule } from "../define.ts";
import { insertAfterEdit } from "../server/edits.ts";
import { gunicornProcesses, gunicornSetting, optionRef } from "./settings.ts";

export default defineRule({
  meta: {
    id: "gunicorn/max-requests-without-jitter",
    summary: "--max-requests without --max-requests-jitter: workers restart together",
    severity: "warning",
    fix: "unsafe",
    sources: [SOURCES.gunicornMaxRequests, SOURCES.gunicornMaxRequestsJitter],
    docs: {
      why:
        "`--max-requests N` restarts a worker after it has served N requests. Requests are spread evenly over the workers, so " +
        "they all reach N at about the same time and restart together: for the seconds the application takes to import, no " +
        "worker (or very few) is serving. `--max-requests-jitter` adds randint(0, jitter) to each worker's limit to stagger the " +
        "restarts. The fix proposes 10% of max-requests: Headroom's choice, as gunicorn gives no figure (its default jitter is 0). " +
        "Both are read from the command line, GUNICORN_CMD_ARGS and gunicorn.conf.py (where the fix adds a `max_requests_jitter` line).",
      bad: {
        "start.sh": "#!/bin/sh\nexec gunicorn app:app -w 4 --max-requests 1000 --bind 0.0.0.0:8000\n",
      },
      good: {
        "start.sh": "#!/bin/sh\nexec gunicorn app:app -w 4 --max-requests 1000 --max-requests-jitter 100 --bind 0.0.0.0:8000\n",
      },
    },
  },
  check({ model, report, text }) {
    for (const { deployment, process } of gunicornProcesses(model)) {
      const setting = gunicornSetting(process, "max_requests", deployment.env);
      if (setting.from === "default" || setting.from === "unknown" || !setting.at) continue;
      const max = Number(setting.value);
      if (!Number.isInteger(max) || max <= 0) continue;
      const jitter = gunicornSetting(process, "max_requests_jitter", deployment.env);
      if (jitter.from === "unknown" || (jitter.from !== "default" && Number(jitter.value) !== 0)) continue;
      const n = Math.max(1, Math.round(max / 10));
      const option = setting.from === "command" ? setting.option : undefined;
      const at = option ? optionRef(option, process) : setting.at;
      const written = setting.from === "conf" ? `max_requests = ${max}` : `--max-requests ${max}`;
      const edit = jitter.from !== "default" ? undefined : option?.value ? insertAfterEdit(option.value.start >= option.flag.end ? option.value : option.flag, ["--max-requests-jitter", String(n)], text) : setting.from === "conf" && setting.at.file === process.config?.path ? confLineAfter(setting.at, `max_requests_jitter = ${n}`, text) : undefined;
      report({
        at,
        deployment,
        message:
          `${written} without jitter: every ${process.workers.value > 1 ? `one of the ${process.workers.value} workers` : "worker"} ` +
          `restarts after ${max} requests, and since requests are spread evenly they reach the limit together and restart at once. ` +
          `Add ${setting.from === "conf" ? "max_requests_jitter" : "--max-requests-jitter"} (about 10%: ${n}) to stagger the restarts.`,
        related: jitter.from !== "default" && jitter.at ? [{ at: jitter.at, message: "jitter set to 0 here" }] : [],
        fixes: edit ? [{ title: setting.from === "conf" ? `Add max_requests_jitter = ${n}` : `Add --max-requests-jitter ${n}`, safe: false, edits: [edit] }] : [],
      });
    }
  },
});

/** A `name = value` line after the config-file line that holds `at`, indented as that line is (a setting inside an `if` stays inside it). */
function confLineAfter(at: SourceRef, line: string, text: (file: string) => string | undefined): TextEdit | undefined {
  const source = text(at.file);
  if (source === undefined) return undefined;
  const start = source.lastIndexOf("\n", at.start - 1) + 1;
  const newline = source.indexOf("\n", at.end);
  const end = newline === -1 ? source.length : newline;
  const current = source.slice(start, end);
  // A statement continued on the next line (a backslash, an open bracket) would take the new line inside it.
  if (/\\\s*$|[([{,]\s*(#.*)?$/.test(current)) return undefined;
  const indent = /^[ \t]*/.exec(current)?.[0] ?? "";
  const eol = source.charAt(end - 1) === "\r" ? "\r\n" : "\n";
  const position = eol === "\r\n" ? end - 1 : end;
  return { file: at.file, start: position, end: position, newText: `${eol}${indent}${line}` };
}
