// Protocol abuse against the BUILT server over stdio: broken frames, unknown methods, requests about documents
// never opened, out-of-range positions, a flood of edits, files deleted under a running audit. After each the
// server must still be running and answer a request.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { ErrorCodes, type PublishDiagnosticsParams, ResponseError } from "vscode-languageserver/node";
import { frame, LspServer } from "../helpers/lsp-server.ts";

const SINGLE = "workers/single-process";
const START_SH = "#!/bin/sh\nexec uvicorn main:app --host 0.0.0.0\n";
const GUNICORN_SH = "#!/bin/sh\nexec gunicorn -w 3 -k uvicorn.workers.UvicornWorker main:app\n";
const SERVICE_JSON = `${JSON.stringify({ SourceConfiguration: { ImageRepository: { ImageConfiguration: { StartCommand: "./start.sh" } } }, InstanceConfiguration: { Cpu: "2 vCPU", Memory: "4 GB" } }, null, 2)}\n`;

/** Sends a request every second until one is answered (a too-long Content-Length swallows what follows it). */
async function answersAgain(t: TestContext, server: LspServer, what: string, within = 20_000): Promise<void> {
  const t0 = performance.now();
  let answered = false;
  const attempts: Array<Promise<unknown>> = [];
  while (!answered && performance.now() - t0 < within) {
    attempts.push(server.audit().then(() => (answered = true)));
    await Promise.race([...attempts, new Promise((r) => setTimeout(r, 1000))]);
  }
  assert.ok(answered, `no answer within ${within} ms after ${what}; alive=${server.alive}\n${server.logs.slice(-5).join("\n")}\n${server.stderr}`);
  assert.ok(server.alive, `the server exited after ${what}`);
  t.diagnostic(`${what}: answered again after ${(performance.now() - t0).toFixed(0)} ms`);
}

describe("protocol abuse", () => {
  let dir: string;
  let server: LspServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "headroom-abuse-"));
    writeFileSync(join(dir, "start.sh"), START_SH);
    writeFileSync(join(dir, "service.json"), SERVICE_JSON);
    server = new LspServer(dir);
    await server.initialize();
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const broken: Array<[string, string]> = [
    ["a body that is not JSON", frame("{not json")],
    ["a header without Content-Length", 'X-Foo: 1\r\n\r\n{"jsonrpc":"2.0","method":"x"}'],
    ["a header line without ':'", "garbage\r\n\r\n"],
    ["a Content-Length shorter than the body", 'Content-Length: 5\r\n\r\n{"jsonrpc":"2.0","method":"x"}'],
    ["a Content-Length longer than the body", 'Content-Length: 300\r\n\r\n{"jsonrpc":"2.0","method":"x"}'],
    ["a negative Content-Length", "Content-Length: -5\r\n\r\n{}"],
    ["a Content-Length of 10^15", "Content-Length: 1000000000000000\r\n\r\n{}"],
    ["a JSON array", frame("[1,2,3]")],
    ["a message with an id and no method", frame('{"jsonrpc":"2.0","id":99}')],
    ["a request with params of the wrong type", frame('{"jsonrpc":"2.0","id":"x","method":"textDocument/codeAction","params":42}')],
    ["random bytes", "\u0000\u00ff\u00fe garbage \r\n\r\n\r\n Content-Length: abc\r\n\r\n"],
    ["valid UTF-8 split mid-character across writes", frame(JSON.stringify({ jsonrpc: "2.0", method: "$/x", params: { s: "é€😀" } }))],
  ];
  for (const [what, bytes] of broken) {
    it(`survives ${what}`, async (t) => {
      if (what.includes("split")) {
        const b = Buffer.from(bytes);
        const cut = b.length - 5;
        server.writeRaw(b.subarray(0, cut));
        await new Promise((r) => setTimeout(r, 50));
        server.writeRaw(b.subarray(cut));
      } else server.writeRaw(bytes);
      await answersAgain(t, server, what);
    });
  }

  it("answers an unknown request with MethodNotFound and ignores an unknown notification", async (t) => {
    await assert.rejects(server.conn.sendRequest("headroom/noSuchMethod", { a: 1 }), (err: unknown) => err instanceof ResponseError && err.code === ErrorCodes.MethodNotFound);
    await server.conn.sendNotification("headroom/noSuchNotification", { a: 1 });
    await server.conn.sendNotification("$/noSuchThing", {});
    await answersAgain(t, server, "unknown methods");
  });

  it("takes didChange, codeAction, hover and didClose for documents never opened", async (t) => {
    const ghost = server.uri("never-opened.sh");
    await server.conn.sendNotification("textDocument/didChange", { textDocument: { uri: ghost, version: 7 }, contentChanges: [{ text: "exec true\n" }] });
    await server.conn.sendNotification("textDocument/didChange", { textDocument: { uri: "not a uri", version: 1 }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, text: "x" }] });
    const fakeDiagnostic = { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 4 } }, message: "x", source: "headroom", code: SINGLE, data: { fixes: [{ title: "t", safe: true, edits: { [ghost]: [] } }], version: { [ghost]: 3 } } };
    const actions = await server.conn.sendRequest("textDocument/codeAction", { textDocument: { uri: ghost }, range: fakeDiagnostic.range, context: { diagnostics: [fakeDiagnostic] } });
    assert.deepEqual(actions, [], "no fix for a document that is not open");
    const fixAll = await server.conn.sendRequest("textDocument/codeAction", { textDocument: { uri: ghost }, range: fakeDiagnostic.range, context: { diagnostics: [], only: ["source.fixAll"] } });
    assert.deepEqual(fixAll, []);
    // Hover may not be offered: either an answer or MethodNotFound, never silence.
    await server.conn.sendRequest("textDocument/hover", { textDocument: { uri: ghost }, position: { line: 0, character: 0 } }).catch((err: unknown) => {
      assert.ok(err instanceof ResponseError && err.code === ErrorCodes.MethodNotFound, String(err));
    });
    await server.conn.sendNotification("textDocument/didClose", { textDocument: { uri: ghost } });
    await answersAgain(t, server, "requests about unopened documents");
  });

  it("clamps out-of-range edits and ranges, and publishes for the text that results", async (t) => {
    const uri = server.uri("start.sh");
    await server.open("start.sh", START_SH, 1);
    await server.waitFor(uri, (p) => p.diagnostics.some((d) => d.code === SINGLE), `${SINGLE} on start.sh`);
    const far = { line: 100_000, character: 100_000 };
    const changes = [
      { range: { start: far, end: far }, text: "\n# appended past the end\n" },
      { range: { start: { line: 0, character: 500 }, end: { line: 0, character: 2 } }, text: "" },
      { range: { start: { line: -1, character: -1 }, end: { line: -1, character: -1 } }, text: "" },
      { range: { start: { line: 1.5, character: Number.MAX_SAFE_INTEGER }, end: far }, text: "" },
    ];
    for (const [i, change] of changes.entries()) {
      await server.conn.sendNotification("textDocument/didChange", { textDocument: { uri, version: 2 + i }, contentChanges: [change] });
    }
    const outOfRange = { start: { line: 9_999, character: 0 }, end: { line: 99_999, character: 7 } };
    await server.conn.sendRequest("textDocument/codeAction", { textDocument: { uri }, range: outOfRange, context: { diagnostics: [{ range: outOfRange, message: "x", source: "headroom" }] } });
    await server.conn.sendRequest("textDocument/codeAction", { textDocument: { uri }, range: outOfRange, context: { diagnostics: [], only: ["source.fixAll.headroom"] } });
    // A full replacement gives a known text again; its diagnostics must follow it.
    await server.replace("start.sh", GUNICORN_SH, 10);
    await server.waitFor(uri, (p) => p.version === 10 && !p.diagnostics.some((d) => d.code === SINGLE), "diagnostics for version 10");
    await answersAgain(t, server, "out-of-range positions");
  });

  it("stays responsive through 10,000 rapid didChange notifications and ends with diagnostics for the last version only", async (t) => {
    const uri = server.uri("start.sh");
    const publishes: PublishDiagnosticsParams[] = [];
    const stop = server.onPublish((p) => {
      if (p.uri === uri) publishes.push(p);
    });
    t.after(stop);
    const FIRST = 101;
    const COUNT = 10_000;
    const last = FIRST + COUNT - 1;
    const t0 = performance.now();
    const sent: Array<Promise<void>> = [];
    // Even versions run one uvicorn process (a finding), odd ones gunicorn (none); the last is even, so it must
    // end with exactly that finding, stamped with the last version.
    for (let v = FIRST; v <= last; v++) sent.push(server.replace("start.sh", `${v % 2 === 0 ? START_SH : GUNICORN_SH}# ${v}\n`, v));
    await Promise.all(sent);
    const sentMs = performance.now() - t0;
    const t1 = performance.now();
    await server.audit();
    const answerMs = performance.now() - t1;
    const final = await server.waitFor(uri, (p) => p.version === last, `diagnostics for version ${last}`, 60_000);
    const totalMs = performance.now() - t0;
    assert.equal(last % 2, 0);
    assert.equal(final.diagnostics.filter((d) => d.code === SINGLE).length, 1, JSON.stringify(final.diagnostics.map((d) => d.code)));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(server.latest.get(uri)?.version, last, "nothing older is published after the last version");
    const versions = publishes.map((p) => p.version ?? -1);
    assert.deepEqual(
      versions.filter((v, i) => i > 0 && v < versions[i - 1]),
      [],
      "versions never go backwards",
    );
    t.diagnostic(`10,000 didChange: sent in ${sentMs.toFixed(0)} ms, a request right after answered in ${answerMs.toFixed(0)} ms, last version published after ${totalMs.toFixed(0)} ms, ${publishes.length} publishes for start.sh`);
    assert.ok(publishes.length < 200, `debounced: ${publishes.length} publishes`);
    await answersAgain(t, server, "the flood");
  });
});

describe("files deleted while being analysed", () => {
  it("the server keeps answering and drops the deleted files' diagnostics", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "headroom-delete-"));
    const APPS = 300;
    for (let i = 0; i < APPS; i++) {
      const app = join(dir, `app${i}`);
      mkdirSync(app);
      writeFileSync(join(app, "start.sh"), START_SH);
      writeFileSync(join(app, "service.json"), SERVICE_JSON);
      writeFileSync(join(app, "docker-compose.yml"), `services:\n  api:\n    build: .\n    command: gunicorn -w 9 app:app\n    deploy:\n      resources:\n        limits:\n          cpus: "1"\n`);
    }
    const server = new LspServer(dir);
    try {
      await server.initialize();
      const before = await server.audit();
      assert.ok(before.findings >= APPS, `${before.findings} findings before`);
      // Delete while audits run: the server reads from disk in its own process while this one removes apps
      // one by one and keeps asking for audits.
      let deleting = true;
      const removal = (async () => {
        for (let i = 0; i < APPS; i++) await rm(join(dir, `app${i}`), { recursive: true, force: true });
        deleting = false;
      })();
      const during: Array<{ findings: number }> = [];
      while (deleting) {
        during.push(await server.audit());
      }
      await removal;
      await server.conn.sendNotification("workspace/didChangeWatchedFiles", { changes: Array.from({ length: APPS }, (_, i) => ({ uri: server.uri(`app${i}`), type: 3 })) });
      const afterDelete = await server.audit();
      t.diagnostic(`findings: ${before.findings} before, ${during.map((d) => d.findings).join(", ")} in ${during.length} audits during deletion, ${afterDelete.findings} after`);
      assert.equal(afterDelete.findings, 0);
      const stale = [...server.latest.values()].filter((p) => p.diagnostics.length > 0);
      assert.deepEqual(stale.map((p) => p.uri), [], "every deleted file's diagnostics are cleared");
      assert.ok(server.alive);
      assert.ok(!server.logs.some((l) => l.includes("uncaught")), server.logs.join("\n"));
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
