// Which files the server publishes after an edit (the BUILT server over stdio): the edited document always, a closed
// file only when its diagnostics changed. In a monorepo every audit has findings in thousands of files an edit did
// not touch, and sending them all again on each keystroke cost ~25% of the server's CPU (docs/performance.md, item 52).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { PublishDiagnosticsParams } from "vscode-languageserver/node";
import { LspServer } from "../helpers/lsp-server.ts";

const RULE = "workers/single-process";
const START_SH = `#!/bin/sh\nexec uvicorn main:app --host 0.0.0.0 --port 8080\n`;
const serviceJson = (cpu: string) =>
  `${JSON.stringify({ ServiceName: "api", SourceConfiguration: { ImageRepository: { ImageIdentifier: "api:latest", ImageRepositoryType: "ECR", ImageConfiguration: { Port: "8080", StartCommand: "./start.sh" } } }, InstanceConfiguration: { Cpu: cpu, Memory: "4 GB" } }, null, 2)}\n`;

describe("publishes after an edit", () => {
  let dir: string;
  let server: LspServer;
  const published: PublishDiagnosticsParams[] = [];
  const hasRule = (p: PublishDiagnosticsParams) => p.diagnostics.some((d) => d.code === RULE);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "headroom-publishes-"));
    for (const app of ["a", "b"]) {
      mkdirSync(join(dir, app));
      writeFileSync(join(dir, app, "start.sh"), START_SH);
      writeFileSync(join(dir, app, "service.json"), serviceJson("2 vCPU"));
    }
    server = new LspServer(dir);
    server.onPublish((p) => published.push(p));
    await server.initialize({
      capabilities: {
        workspace: { didChangeWatchedFiles: { dynamicRegistration: true } },
        textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } },
      },
    });
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The publishes for `rel` from `from` on. */
  const since = (from: number, rel: string) => published.slice(from).filter((p) => p.uri === server.uri(rel));
  /** Edits the open b/start.sh and waits for its publish of that version, then for anything sent after it. */
  const editB = async (version: number) => {
    const done = server.nextPublish(server.uri("b/start.sh"), (p) => p.version === version, `b/start.sh version ${version}`);
    await server.replace("b/start.sh", `${START_SH}# edit ${version}\n`, version);
    await done;
    await new Promise((resolve) => setTimeout(resolve, 300));
  };

  it("publishes both files' findings once", async () => {
    await server.open("b/start.sh", START_SH, 1);
    await server.waitFor(server.uri("a/start.sh"), hasRule, `${RULE} on a/start.sh`);
    await server.waitFor(server.uri("b/start.sh"), hasRule, `${RULE} on b/start.sh`);
  });

  it("sends the edited document on every edit, and a closed file whose diagnostics did not change never again", async () => {
    const from = published.length;
    for (let version = 2; version <= 4; version++) await editB(version);
    assert.deepEqual(
      since(from, "b/start.sh").map((p) => [p.version, hasRule(p)]),
      [
        [2, true],
        [3, true],
        [4, true],
      ],
    );
    assert.deepEqual(since(from, "a/start.sh"), [], "a/start.sh's findings did not change");
  });

  it("sends a closed file again when its diagnostics change: cleared once, then found again", async () => {
    let from = published.length;
    writeFileSync(join(dir, "a", "service.json"), serviceJson("1 vCPU"));
    const cleared = server.nextPublish(server.uri("a/start.sh"), (p) => !hasRule(p), "a/start.sh cleared");
    await server.conn.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: server.uri("a/service.json"), type: 2 }] });
    await cleared;
    await editB(5);
    assert.equal(since(from, "a/start.sh").length, 1, "cleared once, not on the next edit");

    from = published.length;
    writeFileSync(join(dir, "a", "service.json"), serviceJson("2 vCPU"));
    const found = server.nextPublish(server.uri("a/start.sh"), hasRule, "a/start.sh found again");
    await server.conn.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: server.uri("a/service.json"), type: 2 }] });
    await found;
    await editB(6);
    assert.equal(since(from, "a/start.sh").length, 1);
  });
});
