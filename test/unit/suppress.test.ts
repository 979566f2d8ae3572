// Suppressions as audit() applies them: which statement a `# headroom-ignore` comment covers in each
// file kind, headroom.yml and editor-settings suppressions, how suppress/* findings are configured, and
// the language server's "Suppress <rule> on this line" action (server/src/lsp/convert.ts).
// The fixtures in test/fixtures/suppress/ show the rendered findings; these pin the edges.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { TextDocumentEdit } from "vscode-languageserver";
import { parse, parseDocument } from "yaml";
import { composeYml } from "../../bench/gen.ts";
import { audit } from "../../server/src/engine/audit.ts";
import { ParseCache, type ParseMemo } from "../../server/src/engine/parse-cache.ts";
import { yamlMultilineSpans, yamlSpansAt } from "../../server/src/engine/suppress.ts";
import type { Finding } from "../../server/src/engine/types.ts";
import { suppressionEdits } from "../../server/src/engine/suppress.ts";
import { applyEdits, ourData, quickFixes, toDiagnostics } from "../../server/src/lsp/convert.ts";
import { memoryHost } from "../helpers/memory-host.ts";

const oneVcpu = '{\n  "ServiceName": "api",\n  "InstanceConfiguration": { "Cpu": "1 vCPU", "Memory": "4 GB" }\n}\n';
const twoVcpu = oneVcpu.replace("1 vCPU", "2 vCPU");
const uvicorn = "exec uvicorn main:app --host 0.0.0.0 --port 8080\n";

const rules = (files: Record<string, string>, settings?: unknown) => audit(memoryHost(files), { settings }).findings.map((f) => `${f.at.file} ${f.rule}`);

function applyFix(text: string, finding: Finding): string {
  const edits = [...finding.fixes[0].edits].sort((a, b) => b.start - a.start);
  return edits.reduce((t, e) => t.slice(0, e.start) + e.newText + t.slice(e.end), text);
}

describe("suppressions", () => {
  it("a comment covers the next statement only, across blank lines and other comments", () => {
    assert.deepEqual(rules({ "start.sh": `#!/bin/sh\n# headroom-ignore workers/single-process: internal\n\n# started by App Runner\n${uvicorn}`, "service.json": twoVcpu }), []);
    assert.deepEqual(rules({ "start.sh": `#!/bin/sh\n${uvicorn}# headroom-ignore workers/single-process: after the line is too late\n`, "service.json": twoVcpu }).sort(), [
      "start.sh suppress/unused",
      "start.sh workers/single-process",
    ]);
  });

  it("a compose block scalar is one statement: the comment above its key covers every line of it", () => {
    const compose = (comment: string) =>
      `services:\n  web:\n    ${comment}\n    command: >\n      gunicorn app:app\n      --workers 8\n      --bind 0.0.0.0:8000\n    deploy:\n      resources:\n        limits:\n          cpus: '1.0'\n`;
    assert.ok(rules({ "docker-compose.yml": compose("# nothing") }).includes("docker-compose.yml workers/exceed-cpu"), "the case must fire unsuppressed");
    assert.ok(!rules({ "docker-compose.yml": compose("# headroom-ignore workers/exceed-cpu: load-tested") }).some((r) => r.includes("exceed-cpu") || r.includes("suppress/")));
  });

  it("platform descriptors take comments too: a render.yaml block scalar, a fly.toml key, a heroku.yml run command, a Kamal role's cmd", () => {
    const cases: Array<[string, (comment: string) => string, string]> = [
      ["render.yaml", (c) => `services:\n  - type: web\n    name: api\n    runtime: python\n    plan: standard\n    ${c}\n    startCommand: >\n      gunicorn app:app\n      --workers 8\n`, "workers/exceed-cpu"],
      ["fly.toml", (c) => `[processes]\n  ${c}\n  web = "gunicorn app:app --workers 8"\n[[vm]]\n  size = "shared-cpu-1x"\n  memory = "2gb"\n`, "workers/exceed-cpu"],
      ["heroku.yml", (c) => `build:\n  docker:\n    web: Dockerfile\nrun:\n  ${c}\n  web: uvicorn app:app --host 0.0.0.0 --port $PORT --reload\n`, "server/reload-in-production"],
      ["config/deploy.yml", (c) => `service: shop\nservers:\n  web:\n    hosts: [10.0.0.1]\n    ${c}\n    cmd: gunicorn app:app --workers 8\n    options:\n      cpus: 1\n`, "workers/exceed-cpu"],
    ];
    for (const [file, text, rule] of cases) {
      assert.ok(rules({ [file]: text("# nothing") }).includes(`${file} ${rule}`), `${file}: the case must fire unsuppressed`);
      assert.deepEqual(rules({ [file]: text(`# headroom-ignore ${rule}: load-tested`) }), [], file);
    }
  });

  it("an nginx directive continued over several lines is one statement", () => {
    const files = (conf: string) => ({
      "nginx.conf": conf,
      "docker-compose.yml": "services:\n  api:\n    image: api\n    command: gunicorn app:app --workers 3 --timeout 30 --bind 0.0.0.0:8000\n  nginx:\n    image: nginx\n    volumes:\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n",
    });
    // Both nginx findings point at "1024", on the directive's second line.
    const conf = (comment: string) => `worker_processes auto;\nevents {\n  ${comment}\n  worker_connections\n    1024;\n}\nhttp {\n  server {\n    location / { proxy_pass http://api:8000; }\n  }\n}\n`;
    const unsuppressed = rules(files(conf("# nothing")));
    assert.ok(unsuppressed.some((r) => r.includes("nginx.conf")), `the case must fire in nginx.conf: ${unsuppressed.join(", ")}`);
    const ids = [...new Set(unsuppressed.filter((r) => r.startsWith("nginx.conf ")).map((r) => r.split(" ")[1]))];
    assert.deepEqual(rules(files(conf(`# headroom-ignore ${ids.join(", ")}: long reports`))).filter((r) => r.startsWith("nginx.conf ")), []);
  });

  it("editor-settings suppressions apply like headroom.yml's", () => {
    const files = { "start.sh": `#!/bin/sh\n${uvicorn}`, "service.json": twoVcpu };
    assert.deepEqual(rules(files), ["start.sh workers/single-process"]);
    assert.deepEqual(rules(files, { suppressions: [{ rule: "workers/single-process", file: "*.sh", reason: "internal" }] }), []);
  });

  it("suppress/* findings follow headroom.yml severities and can themselves be suppressed file-wide", () => {
    const unused = { "start.sh": "#!/bin/sh\n# headroom-ignore workers/exceed-cpu: old\nexec gunicorn app:app --workers 2 --bind 0.0.0.0:8080\n", "service.json": oneVcpu };
    assert.equal(audit(memoryHost(unused)).findings[0]?.severity, "info");
    assert.equal(audit(memoryHost({ ...unused, "headroom.yml": "rules:\n  suppress/unused: error\n" })).findings[0]?.severity, "error");
    assert.deepEqual(rules({ ...unused, "headroom.yml": "rules:\n  suppress/unused: off\n" }), []);
    assert.deepEqual(rules({ ...unused, "start.sh": `# headroom-ignore-file suppress/unused: kept for the next load test\n${unused["start.sh"]}` }), []);
  });

  it("the safe fix of an unused id keeps the rest of the comment working", () => {
    const files = { "start.sh": `#!/bin/sh\n# headroom-ignore workers/exceed-cpu, workers/single-process: internal\n${uvicorn}`, "service.json": twoVcpu };
    const [unused] = audit(memoryHost(files)).findings;
    assert.equal(unused.rule, "suppress/unused");
    const fixed = applyFix(files["start.sh"], unused);
    assert.equal(fixed, `#!/bin/sh\n# headroom-ignore workers/single-process: internal\n${uvicorn}`);
    assert.deepEqual(rules({ ...files, "start.sh": fixed }), []);
  });

  it("a headroom-ignore in a JSON file is not a comment there: JSON is suppressed in headroom.yml", () => {
    const json = oneVcpu.replace('"ServiceName": "api",', '"ServiceName": "api", "Note": "# headroom-ignore workers/exceed-cpu",');
    const files = { "service.json": json, "start.sh": "#!/bin/sh\nexec gunicorn app:app --workers 5 --bind 0.0.0.0:8080\n" };
    assert.ok(rules(files).includes("start.sh workers/exceed-cpu"));
    assert.ok(!rules(files).some((r) => r.includes("suppress/")));
  });
});

describe("the language server's suppress code action", () => {
  const uriOf = (file: string) => `file:///ws/${file}`;
  /** Applies the "Suppress ... on this line" (or "in this file") action of `rule`'s diagnostic in `file`; undefined when there is none. */
  function suppressVia(files: Record<string, string>, file: string, rule: string, where = "on this line"): string | undefined {
    const diagnostics = toDiagnostics(audit(memoryHost(files)).findings, { uriOf, textOf: (f) => files[f], versionOf: () => 1, docsUrl: () => undefined });
    const d = diagnostics.get(file)?.find((x) => x.code === rule);
    assert.ok(d, `${rule} must fire in ${file}`);
    const action = quickFixes(d, () => 1).find((a) => a.title === `Suppress ${rule} ${where}`);
    const change = action?.edit?.documentChanges?.[0] as TextDocumentEdit | undefined;
    return change && applyEdits(files[file], change.edits);
  }

  it("puts the comment before a continued shell command, not inside it; the script still parses and the finding is gone", () => {
    const files = { "start.sh": "#!/bin/sh\nif true; then\n  exec gunicorn main:app \\\n    --workers 5 \\\n    --bind 0.0.0.0:8080\nfi\n", "service.json": oneVcpu };
    const fixed = suppressVia(files, "start.sh", "workers/exceed-cpu");
    assert.equal(fixed, "#!/bin/sh\nif true; then\n  # headroom-ignore workers/exceed-cpu\n  exec gunicorn main:app \\\n    --workers 5 \\\n    --bind 0.0.0.0:8080\nfi\n");
    assert.deepEqual(rules({ ...files, "start.sh": fixed }), []);
    const bash = spawnSync("bash", ["-n"], { input: fixed });
    if (bash.error) console.log(`bash -n not run: ${bash.error.message}`);
    else assert.equal(bash.status, 0, String(bash.stderr));
  });

  it("puts the comment above a compose key whose block value holds the finding; the YAML value is unchanged", () => {
    const compose = "services:\n  web:\n    command: >\n      gunicorn app:app\n      --workers 8\n    deploy:\n      resources:\n        limits:\n          cpus: '1.0'\n";
    const fixed = suppressVia({ "docker-compose.yml": compose }, "docker-compose.yml", "workers/exceed-cpu");
    assert.equal(fixed, compose.replace("    command: >", "    # headroom-ignore workers/exceed-cpu\n    command: >"));
    assert.deepEqual(parse(fixed ?? ""), parse(compose));
    assert.ok(!rules({ "docker-compose.yml": fixed ?? "" }).some((r) => r.includes("exceed-cpu") || r.includes("suppress/")));
  });

  it("is not offered in JSON, where a comment cannot go", () => {
    const files = { "service.json": oneVcpu.replace('"ServiceName": "api",', '"ServiceName": "api",\n  "SourceConfiguration": { "ImageRepository": { "ImageConfiguration": { "RuntimeEnvironmentVariables": { "GUNICORN_WORKERS": "5" } } } },'), "start.sh": "#!/bin/sh\nexec gunicorn app:app --workers ${GUNICORN_WORKERS} --bind 0.0.0.0:8080\n" };
    const findings = audit(memoryHost(files)).findings.filter((f) => f.at.file === "service.json");
    assert.ok(findings.length > 0, "the case must fire in service.json");
    for (const f of findings) {
      assert.equal(suppressVia(files, "service.json", f.rule), undefined);
      assert.equal(suppressVia(files, "service.json", f.rule, "in this file"), undefined);
    }
  });

  it("suppresses in the whole file below the shebang; the script still parses and the finding is gone", () => {
    const files = { "start.sh": "#!/bin/sh\nset -e\nexec gunicorn main:app --workers 5 --bind 0.0.0.0:8080\n", "service.json": oneVcpu };
    const fixed = suppressVia(files, "start.sh", "workers/exceed-cpu", "in this file");
    assert.equal(fixed, "#!/bin/sh\n# headroom-ignore-file workers/exceed-cpu\nset -e\nexec gunicorn main:app --workers 5 --bind 0.0.0.0:8080\n");
    assert.deepEqual(rules({ ...files, "start.sh": fixed ?? "" }), []);
    const bash = spawnSync("bash", ["-n"], { input: fixed });
    if (bash.error) console.log(`bash -n not run: ${bash.error.message}`);
    else assert.equal(bash.status, 0, String(bash.stderr));
  });

  it("keeps a Dockerfile's parser directives first", () => {
    const dockerfile = '# syntax=docker/dockerfile:1\nFROM python:3.12-slim\nCMD ["gunicorn", "app:app", "--workers", "2", "--max-requests=500", "--bind", "0.0.0.0:8000"]\n';
    const files = { Dockerfile: dockerfile, "service.json": oneVcpu };
    const rule = "gunicorn/max-requests-without-jitter";
    const fixed = suppressVia(files, "Dockerfile", rule, "in this file");
    assert.equal(fixed, dockerfile.replace("FROM", `# headroom-ignore-file ${rule}\nFROM`));
    assert.ok(!rules({ ...files, Dockerfile: fixed ?? "" }).some((r) => r.includes(rule) || r.includes("suppress/")));
  });

  it("writes a file-wide comment below a shebang or an encoding line; a finding on such a line gets no line comment", () => {
    const insertAt = (file: string, text: string) => suppressionEdits(file, text)?.file("r/x");
    assert.deepEqual(insertAt("gunicorn.conf.py", "# -*- coding: latin-1 -*-\nworkers = 5\n"), { start: 26, end: 26, newText: "# headroom-ignore-file r/x\n" });
    assert.deepEqual(insertAt("start.sh", "#!/bin/sh\r\n# -*- coding: utf-8 -*-\r\nexec x\r\n"), { start: 36, end: 36, newText: "# headroom-ignore-file r/x\r\n" });
    assert.deepEqual(insertAt("start.sh", "#!/bin/sh"), { start: 9, end: 9, newText: "\n# headroom-ignore-file r/x\n" });
    assert.deepEqual(insertAt(".env", "WORKERS=5\n"), { start: 0, end: 0, newText: "# headroom-ignore-file r/x\n" });
    const shebang = suppressionEdits("start.sh", "#!/bin/sh\nexec x\n");
    assert.equal(shebang?.line("r/x", { file: "start.sh", start: 0, end: 0 }), undefined);
    assert.deepEqual(shebang?.line("r/x", { file: "start.sh", start: 10, end: 14 }), { start: 10, end: 10, newText: "# headroom-ignore r/x\n" });
  });
});

describe("the YAML layout behind suppressions, read service by service", () => {
  const repo = join(__dirname, "..", "..");
  /** Every compose file of the fixtures, the examples and the corpus (when present). */
  function composeFiles(): Array<{ name: string; text: string }> {
    const out: Array<{ name: string; text: string }> = [];
    const walk = (dir: string) => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (/compose.*\.ya?ml$/i.test(e.name)) out.push({ name: join(dir, e.name), text: readFileSync(join(dir, e.name), "utf8") });
      }
    };
    for (const dir of ["test/fixtures", "examples", "../shared/corpus"]) walk(join(repo, dir));
    const blocky = "services:\n  web:\n    command: >\n      gunicorn app:app\n      --workers 8\n    environment: { A: 1,\n      B: 2 }\n  worker:\n    command: |\n      celery worker\n\n    image: python\n";
    out.push({ name: "generated", text: composeYml(600).text }, { name: "block scalars", text: blocky });
    return out;
  }

  it("gives every line of a compose file the multi-line nodes the whole-file parse gives it", () => {
    const holding = (spans: Array<[number, number]>, line: number) => spans.filter(([first, last]) => first <= line && line <= last).map(String).sort();
    let compared = 0;
    for (const { name, text } of composeFiles()) {
      // With a YAML error somewhere, the whole parse's recovery may lay out the rest differently: no reference.
      if (parseDocument(text).errors.length > 0) continue;
      const whole = yamlMultilineSpans(text) ?? [];
      const spansAt = yamlSpansAt(text, "docker-compose.yml");
      const lines = text.split("\n").length;
      for (let line = 0; line < lines; line++) assert.deepEqual(holding(spansAt(line), line), holding(whole, line), `${name}, line ${line + 1}`);
      compared++;
    }
    assert.ok(compared > 20, `only ${compared} compose files compared`);
  });

  it("parses the service a line is in, and only again when that service's text changes", () => {
    const { text, editAt } = composeYml(3000);
    const lineOf = (offset: number) => text.slice(0, offset).split("\n").length - 1;
    const cache = new ParseCache();
    // The YAML parses made, by key kind (the file's layout and line index are kept in the memo too).
    const parsed: string[] = [];
    const memo: ParseMemo = {
      keepsBetweenAudits: true,
      keep: (key, make, valid) => cache.keep(key, make, valid),
      get: (key, input, make, valid) =>
        cache.get(
          key,
          input,
          () => {
            if (key.startsWith("yaml-spans")) parsed.push(key);
            return make();
          },
          valid,
        ),
    };
    const first = yamlSpansAt(text, "docker-compose.yml", memo);
    first(lineOf(text.indexOf("svc-0001:")));
    first(lineOf(editAt));
    assert.equal(parsed.length, 2, "one parse per service looked at");
    const edited = `${text.slice(0, editAt)}9${text.slice(editAt + 1)}`;
    yamlSpansAt(edited, "docker-compose.yml", memo)(lineOf(text.indexOf("svc-0001:")));
    assert.equal(parsed.length, 2, "an edit to another service reuses this one's layout");
    yamlSpansAt(edited, "docker-compose.yml", memo)(lineOf(editAt));
    assert.equal(parsed.length, 3, "the edited service is parsed again");
  });

  it("makes one line index and one layout per text for the audit, the diagnostics and their suppress actions", () => {
    const { text, editAt } = composeYml(3000);
    /** The server's cache, noting what it makes, by key kind. */
    class NotingCache extends ParseCache {
      readonly made: string[] = [];
      override get<T>(key: string, input: string, make: () => T, valid?: (value: T) => boolean): T {
        return super.get(
          key,
          input,
          () => {
            this.made.push(key.slice(0, key.indexOf(":")));
            return make();
          },
          valid,
        );
      }
    }
    const cache = new NotingCache();
    const uriOf = (f: string) => `file:///w/${f}`;
    const convert = (current: string) => {
      const files = { "docker-compose.yml": `# headroom-ignore workers/exceed-cpu\n${current}` };
      const findings = audit(memoryHost(files), {}, cache).findings;
      return toDiagnostics(findings, { uriOf, textOf: (f) => files[f as keyof typeof files], versionOf: () => 1, docsUrl: () => undefined, memo: cache });
    };
    const count = (kind: string) => cache.made.filter((k) => k === kind).length;
    const first = convert(text);
    assert.ok([...first.values()].flat().some((d) => ourData(d)?.suppress?.length), "the findings carry suppress actions");
    assert.equal(count("line-index"), 1, "one line index for the text");
    cache.made.length = 0;
    convert(text);
    assert.deepEqual(cache.made, [], "the same text again: nothing made");
    convert(`${text.slice(0, editAt)}2${text.slice(editAt + 1)}`);
    assert.equal(count("line-index"), 1, "one line index for the edited text");
    assert.equal(count("compose-layout"), 1, "one layout for the edited text");
  });
});
