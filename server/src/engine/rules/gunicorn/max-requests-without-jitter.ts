import { SOURCES } from "../../knowledge/sources.ts";
import { optionValue } from "../../parse/servers.ts";
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
        "restarts. The fix proposes 10% of max-requests: Headroom's choice, as gunicorn gives no figure (its default jitter is 0).",
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
      const option = optionValue(process.invocation, "max_requests");
      const max = Number(option?.value?.value);
      if (!option?.value || !Number.isInteger(max) || max <= 0) continue;
      const jitter = gunicornSetting(process, "max_requests_jitter");
      if (jitter.from === "unknown" || (jitter.from !== "default" && Number(jitter.value) !== 0)) continue;
      const n = Math.max(1, Math.round(max / 10));
      const at = optionRef(option, process);
      const jitterOption = jitter.from === "command" ? jitter.option : undefined;
      const after = option.value.start >= option.flag.end ? option.value : option.flag;
      const edit = jitterOption ? undefined : insertAfterEdit(after, ["--max-requests-jitter", String(n)], text);
      report({
        at,
        deployment,
        message:
          `--max-requests ${max} without jitter: every ${process.workers.value > 1 ? `one of the ${process.workers.value} workers` : "worker"} ` +
          `restarts after ${max} requests, and since requests are spread evenly they reach the limit together and restart at once. ` +
          `Add --max-requests-jitter (about 10%: ${n}) to stagger the restarts.`,
        related: jitterOption?.value ? [{ at: { file: at.file, start: jitterOption.flag.start, end: jitterOption.value.end }, message: "jitter set to 0 here" }] : [],
        fixes: edit ? [{ title: `Add --max-requests-jitter ${n}`, safe: false, edits: [edit] }] : [],
      });
    }
  },
});
