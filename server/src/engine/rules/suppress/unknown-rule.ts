import { defineEngineRule } from "../define.ts";

export default defineEngineRule({
  id: "suppress/unknown-rule",
  summary: "A headroom-ignore comment names no rule, or a rule that does not exist",
  severity: "warning",
  fix: "none",
  sources: [],
  docs: {
    why:
      "A suppression must name the rule it silences: `# headroom-ignore <rule-id>: reason` on its own line before the " +
      "statement a finding is on (a command continued with `\\`, an nginx directive up to its `;`, a multi-line YAML value " +
      "count as one statement), or `# headroom-ignore-file <rule-id>: reason` anywhere in the file. A misspelt id silences " +
      "nothing, and the finding it was meant for still shows, so the comment is reported with the closest known id. " +
      "Comments work in every file Headroom reads except JSON; for a JSON file (App Runner's service.json) list the " +
      "suppression in headroom.yml: `suppressions: [{ rule, file, reason }]` (a misspelt rule there is a config/invalid finding).",
    bad: {
      "start.sh": "#!/bin/sh\n# headroom-ignore workers/single-proces: one process is enough for this internal tool\nexec uvicorn main:app --host 0.0.0.0 --port 8080\n",
    },
    good: {
      "start.sh": "#!/bin/sh\n# headroom-ignore workers/single-process: one process is enough for this internal tool\nexec uvicorn main:app --host 0.0.0.0 --port 8080\n",
    },
  },
});
