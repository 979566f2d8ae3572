// Every reporter turns offsets into lines and columns through report/positions.ts: the JSON contract
// (0-based), the text report, SARIF and GitHub annotations (1-based) name the same place, in UTF-16
// code units, across CRLF line breaks and characters outside the BMP.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { renderGithub } from "../../server/src/engine/report/github.ts";
import { renderJson } from "../../server/src/engine/report/json.ts";
import { lineIndexes } from "../../server/src/engine/report/positions.ts";
import { renderSarif } from "../../server/src/engine/report/sarif.ts";
import { renderText } from "../../server/src/engine/report/text.ts";
import { memoryHost } from "../helpers/memory-host.ts";

const files: Record<string, string> = {
  "start.sh": "#!/bin/sh\r\n# 🚀 déploiement\r\necho 🚀; exec gunicorn app:app --workers 5 --bind 0.0.0.0:8080\r\n",
  "service.json": '{\n  "ServiceName": "api",\n  "InstanceConfiguration": { "Cpu": "1 vCPU", "Memory": "4 GB" }\n}\n',
};

describe("report positions", () => {
  it("json, text, SARIF and GitHub output name the same line and column for each finding", () => {
    const result = audit(memoryHost(files));
    assert.ok(result.findings.some((f) => f.at.file === "start.sh" && f.rule === "workers/exceed-cpu"), "the case must fire in start.sh");
    const read = (file: string) => files[file];
    const json = JSON.parse(renderJson(result, read)).findings as Array<{ file: string; range: { start: { line: number; character: number } } }>;
    const sarif = JSON.parse(renderSarif(result, read, { version: "0", rules: [] })).runs[0].results as Array<{ locations: Array<{ physicalLocation: { region: { startLine: number; startColumn: number } } }> }>;
    const github = renderGithub(result, read).trimEnd().split("\n");
    const text = renderText(result, read).split("\n").filter((l) => /^\S+:\d+:\d+ {2}/.test(l));
    assert.equal(json.length, result.findings.length);
    json.forEach((f, i) => {
      const line = f.range.start.line + 1;
      const column = f.range.start.character + 1;
      assert.deepEqual(sarif[i].locations[0].physicalLocation.region.startLine, line);
      assert.deepEqual(sarif[i].locations[0].physicalLocation.region.startColumn, column);
      assert.ok(github[i].includes(`line=${line},col=${column},`), github[i]);
      assert.ok(text[i].startsWith(`${f.file}:${line}:${column}  `), text[i]);
    });
    const exceed = result.findings.findIndex((f) => f.rule === "workers/exceed-cpu");
    // The 5 on the third line comes after the rocket, two UTF-16 units.
    assert.deepEqual(json[exceed].range.start, { line: 2, character: files["start.sh"].split("\r\n")[2].indexOf("5") });
  });

  it("text: a very long source line is shown as a window around the finding, the caret under it", () => {
    // A generated one-line start script: 3,000 characters of padding, the worker count, 3,000 more.
    const pad = "x".repeat(3000);
    const long = { "start.sh": `#!/bin/sh\nA=${pad}; exec gunicorn app:app --workers 9 --bind 0.0.0.0:8080 # ${pad}\n`, "service.json": files["service.json"] as string };
    const result = audit(memoryHost(long));
    const finding = result.findings.find((f) => f.rule === "workers/exceed-cpu");
    assert.ok(finding, "the case must fire");
    const text = renderText(result, (file) => long[file as keyof typeof long]).split("\n");
    const at = text.findIndex((l) => l.startsWith("start.sh:2:"));
    const [source, caret] = [text[at + 1] as string, text[at + 2] as string];
    assert.ok(source.length < 260, `the line is cut (${source.length} characters)`);
    assert.ok(source.includes("…") && source.endsWith("…"), source);
    const column = caret.indexOf("^");
    assert.equal(source[column], "9", `the caret points at the 9:\n${source}\n${caret}`);
    assert.equal(caret.slice(column), "^");
  });

  it("reads each file once per report", () => {
    const reads: string[] = [];
    const index = lineIndexes((file) => {
      reads.push(file);
      return files[file];
    });
    assert.deepEqual(index("start.sh").position(files["start.sh"].indexOf("echo")), { line: 2, character: 0 });
    index("start.sh");
    assert.equal(index("missing.sh").lineCount, 1);
    assert.deepEqual(reads, ["start.sh", "missing.sh"]);
  });
});
