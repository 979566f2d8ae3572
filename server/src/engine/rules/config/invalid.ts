import { defineEngineRule } from "../define.ts";

const stack = {
  "start.sh": "#!/bin/sh\nexec gunicorn main:app --workers 3 --bind 0.0.0.0:8080\n",
};

export default defineEngineRule({
  id: "config/invalid",
  summary: "headroom.yml (or the headroom.* editor settings) has a key or value Headroom does not understand",
  severity: "error",
  fix: "none",
  sources: [],
  docs: {
    why:
      "A misspelt rule id, an unknown key, a severity other than off/info/warning/error or a fact that is not a whole number " +
      "would otherwise be ignored without a word, and the audit would run with settings nobody meant. The finding points at " +
      "the key or value in headroom.yml; the rest of the file still applies. A database or deployment named under " +
      "`facts.databases` or `facts.deployments` that the workspace does not have is reported the same way, with the names it has. " +
      "Problems in the editor settings are shown by the language server as a message naming the setting. " +
      "The keys are described in [docs/configuration.md](../configuration.md).",
    bad: { ...stack, "headroom.yml": "rules:\n  workers/exceed-cpus: off\nfacts:\n  max_connections: lots\n" },
    good: { ...stack, "headroom.yml": "rules:\n  workers/exceed-cpu: off\nfacts:\n  max_connections: 400\n" },
  },
});
