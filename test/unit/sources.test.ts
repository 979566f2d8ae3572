// Every number a rule's docs state is one a cited source states, one its example files show, or one listed
// below as not a sourced fact (Headroom's own choice, arithmetic on cited numbers, an incident's figures).
// And the sources themselves: each rule cites SOURCES entries, and docs/sources.md has a row for each key.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type Source, SOURCES } from "../../server/src/engine/knowledge/sources.ts";
import { ALL_RULES } from "../../server/src/engine/rules/index.ts";

const root = join(__dirname, "..", "..");

/**
 * Numbers in a rule's docs that no source states, by rule, each with why it needs none. A rule's docs that
 * gain a number must cite a source stating it, or say here (and in the docs) what else it is.
 */
const NOT_SOURCED: Record<string, Record<string, string>> = {
  "workers/single-process": { "70": "seed 001's connections before", "500": "seed 001's connections after" },
  "workers/exceed-cpu": { "5": "the CPUs of the example cpuset \"0-3,6\"" },
  "workers/fractional-cpu": { "50": "0.5 of dockerCpus' 100 ms period" },
  "workers/threads-exceed-cpu": {
    "3": "(2 x 1) + 1 from gunicornWorkerFormula",
    "12": "3 workers x the 4 threads per core of gunicorn's 2-4 range",
    "24": "twice 12: the threshold's default factor",
    "10": "twice Puma's 5 threads per vCPU: the threshold's default factor",
  },
  "workers/memory-exceed-limit": { "150": "Headroom's assumption, said as such (pythonWorkerMemory: no project gives a figure)" },
  "workers/cpu-count-in-container": { "16": "an example host", "33": "(2 x 16) + 1 on that host" },
  "server/metrics-interval-low": { "30": "seed 000's interval", "100": "seed 000's CPU %", "60": "Prometheus's 1m default in seconds" },
  "gunicorn/max-requests-without-jitter": { "10": "Headroom's choice (10%), said as such" },
  "gunicorn/timeout-default-behind-long-proxy": { "120": "an example proxy_read_timeout", "502": "the HTTP status nginx answers" },
  "nginx/worker-connections-low": { "4096": "Headroom's choice, said as such" },
  "nginx/worker-processes-auto-cpu-limit": { "64": "an example host" },
  "nginx/rlimit-nofile-low": { "2025": "a year", "8192": "2 x 4096, Headroom's choice", "4096": "Headroom's worker_connections choice" },
  "nginx/capacity-below-clients": { "1024": "the rounding step of Headroom's fix" },
  "proxy/timeout-shorter-than-app": { "504": "the HTTP status nginx answers" },
};

/** Numbers above 2 in prose: code spans are file text and examples, not claims. Thousands separators dropped. */
function numbersIn(text: string): string[] {
  const prose = text.replace(/`[^`]*`/g, " ").replace(/(\d),(?=\d{3}\b)/g, "$1");
  return [...new Set([...prose.matchAll(/(?<![\w.-])\d+(?:\.\d+)?(?!\w)/g)].map((m) => m[0]).filter((n) => Number(n) > 2))];
}

const states = (text: string, n: string) => new RegExp(`(?<![\\d.])${n.replace(".", "\\.")}(?![\\d])`).test(text.replace(/(\d),(?=\d{3}\b)/g, "$1"));

describe("rule numbers and their sources", () => {
  for (const { meta } of ALL_RULES) {
    it(`${meta.id}: every number its docs state is cited, shown in its examples, or listed as not a sourced fact`, () => {
      const cited = meta.sources.map((s) => `${s.title} ${s.says}`).join("\n");
      const examples = [...Object.values(meta.docs.bad), ...Object.values(meta.docs.good)].join("\n");
      const listed = NOT_SOURCED[meta.id] ?? {};
      const unexplained = numbersIn(meta.docs.why).filter((n) => !states(cited, n) && !states(examples, n) && !(n in listed));
      assert.deepEqual(unexplained, [], `cite a source whose \`says\` states each of these, or list it in NOT_SOURCED with what it is`);
      const stale = Object.keys(listed).filter((n) => !numbersIn(meta.docs.why).includes(n) || states(cited, n));
      assert.deepEqual(stale, [], "listed in NOT_SOURCED but no longer in the docs, or now cited: remove the entry");
    });
  }

  it("every rule id in NOT_SOURCED is a rule", () => {
    const ids = new Set(ALL_RULES.map((r) => r.meta.id));
    assert.deepEqual(Object.keys(NOT_SOURCED).filter((id) => !ids.has(id)), []);
  });

  it("rules cite entries of SOURCES, not sources written inline", () => {
    const entries = new Set<Source>(Object.values(SOURCES));
    for (const { meta } of ALL_RULES) {
      const inline = meta.sources.filter((s) => !entries.has(s)).map((s) => s.title);
      assert.deepEqual(inline, [], `${meta.id} cites sources that are not in knowledge/sources.ts`);
    }
  });

  it("docs/sources.md has a row for every SOURCES key, and no row for a key that is gone", () => {
    const rows = readFileSync(join(root, "docs", "sources.md"), "utf8")
      .split("\n")
      .map((line) => /^\| ([a-z][A-Za-z0-9]*) \|.*\|([^|]*)\|\s*$/.exec(line))
      .filter((m) => m !== null);
    const documented = new Set(rows.map((m) => m[1]));
    assert.deepEqual(Object.keys(SOURCES).filter((key) => !documented.has(key)), [], "add these keys to docs/sources.md");
    // A row may record a fact that was looked for and not found; its notes say it is not in SOURCES.
    const gone = rows.filter((m) => !(m[1] in SOURCES) && !/not in SOURCES/i.test(m[2])).map((m) => m[1]);
    assert.deepEqual(gone, [], "rows for keys SOURCES no longer has");
  });
});
