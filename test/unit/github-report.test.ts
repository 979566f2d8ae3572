// `--format github`: workflow commands the Actions runner parses back into the same file, line and message,
// whatever the workspace calls its files and whatever a message contains.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { AuditResult } from "../../server/src/engine/api.ts";
import { audit } from "../../server/src/engine/audit.ts";
import { escapeData, escapeProperty, renderGithub } from "../../server/src/engine/report/github.ts";
import type { Finding } from "../../server/src/engine/types.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

/** The runner's side (actions/runner's ActionCommand parser): split properties on ",", "=", unescape. */
function parseCommand(line: string): { command: string; properties: Record<string, string>; message: string } {
  const match = /^::(\w+) ([^:]*)::(.*)$/.exec(line);
  assert.ok(match, `not a workflow command: ${line}`);
  const unescape = (s: string) => s.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%25/g, "%");
  const properties: Record<string, string> = {};
  for (const pair of match[2].split(",")) {
    const eq = pair.indexOf("=");
    properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1));
  }
  return { command: match[1], properties, message: unescape(match[3]) };
}

const EMPTY = audit(memoryHost({}));

function resultWith(finding: Partial<Finding> & Pick<Finding, "at" | "message">): AuditResult {
  return { ...EMPTY, findings: [{ rule: "workers/exceed-cpu", severity: "warning", related: [], fixes: [], ...finding }] };
}

describe("GitHub workflow commands", () => {
  test("escape data and properties as the runner unescapes them", () => {
    assert.equal(escapeData("100% of 5\r\nworkers: a,b"), "100%25 of 5%0D%0Aworkers: a,b");
    assert.equal(escapeProperty("a,b:c%d\ne"), "a%2Cb%3Ac%25d%0Ae");
    // Already-escaped looking text must survive: %0A in a message is literal text, not a newline.
    assert.equal(escapeData("%0A"), "%250A");
  });

  test("a hostile path and message round-trip through the runner's parser", () => {
    const file = "deploy,prod/we:ird%2C dir/start.sh";
    const text = "#!/bin/sh\nexec gunicorn -w 9 app:app\n";
    const message = "9 workers: too many,\r\n::error file=evil.sh::injected %0A 100%";
    const out = renderGithub(resultWith({ message, at: { file, start: text.indexOf("9"), end: text.indexOf("9") + 1 } }), () => text, { pathPrefix: "sub,dir" });
    const lines = out.trimEnd().split("\n");
    assert.equal(lines.length, 1, "a message never breaks out onto a line of its own");
    const parsed = parseCommand(lines[0]);
    assert.equal(parsed.command, "warning");
    assert.deepEqual(parsed.properties, { file: `sub,dir/${file}`, line: "2", col: "18", endLine: "2", endColumn: "18", title: "workers/exceed-cpu" });
    assert.equal(parsed.message, message);
  });

  test("one command per finding, severity mapped, related lines in the message", () => {
    const files = readFixture(join(__dirname, "..", "..", "examples", "gunicorn-five-workers-1vcpu"));
    const result = audit(memoryHost(files));
    const lines = renderGithub(result, (f) => files[f]).trimEnd().split("\n").map(parseCommand);
    assert.deepEqual(lines.map((l) => [l.command, l.properties.title]), result.findings.map((f) => [f.severity === "info" || f.severity === "hint" ? "notice" : f.severity, f.rule]));
    const exceed = lines.find((l) => l.properties.title === "workers/exceed-cpu");
    assert.ok(exceed);
    assert.equal(exceed.properties.file, "service.json");
    assert.equal(files["service.json"].split("\n")[Number(exceed.properties.line) - 1].slice(Number(exceed.properties.col) - 1, Number(exceed.properties.endColumn)), "5");
    assert.match(exceed.message, /\nrelated: service\.json:\d+:\d+ {2}CPU limit set here/);
  });

  test("info findings are notices, and no findings print nothing", () => {
    const at = { file: "a.sh", start: 0, end: 1 };
    assert.match(renderGithub(resultWith({ severity: "info", message: "m", at }), () => "x\n"), /^::notice /);
    assert.equal(renderGithub(EMPTY, () => ""), "");
  });
});
