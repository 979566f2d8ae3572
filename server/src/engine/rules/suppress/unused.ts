import { defineEngineRule } from "../define.ts";

export default defineEngineRule({
  id: "suppress/unused",
  summary: "A suppression that suppresses no finding",
  severity: "info",
  fix: "safe",
  sources: [],
  docs: {
    why:
      "A suppression is a decision about one finding. Once the finding is gone (the value was fixed, the line moved), the " +
      "comment stays behind and would silently hide the next, different problem on that line. A `headroom-ignore` comment or " +
      "a headroom.yml `suppressions` entry that matched no finding in this audit is reported; the safe fix deletes the comment " +
      "(or only the unused rule id when the comment names several). Suppressions of a rule turned off in headroom.yml are " +
      "not reported: they matter again when the rule is turned back on.",
    bad: {
      "start.sh": "#!/bin/sh\n# headroom-ignore workers/single-process: sized for one process on purpose\nexec gunicorn main:app --workers 3 --bind 0.0.0.0:8080\n",
    },
    good: {
      "start.sh": "#!/bin/sh\nexec gunicorn main:app --workers 3 --bind 0.0.0.0:8080\n",
    },
  },
});
