// Soak: many edits across a workspace through the BUILT server; its RSS must stay flat after a warm-up.
// `npm test` runs the full 20,000 edits (about 25 s); HEADROOM_SOAK_EDITS=N changes the count. Figures are
// printed and written to test-artifacts/soak.json.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LineIndex } from "../../server/src/engine/types.ts";
import { LspServer } from "../helpers/lsp-server.ts";
import { REPO } from "./workspaces.ts";

const EDITS = Number(process.env.HEADROOM_SOAK_EDITS ?? 20_000);
const APPS = 10;
/** An audit is requested (and so run and published) after this many edits. */
const EDITS_PER_AUDIT = 50;
const MB = 1024 * 1024;
/** RSS may grow by this much after the warm-up: a leak of even 1 KB per edit over 20,000 edits would pass 20 MB. */
const GROWTH_LIMIT_MB = 60;

const startSh = (w: number) => `#!/bin/sh\nexec gunicorn -w ${w} -k uvicorn.workers.UvicornWorker main:app --bind 0.0.0.0:8000\n`;
const compose = (w: number) => `services:\n  api:\n    build: .\n    command: gunicorn -w ${w} app:app --bind 0.0.0.0:8000\n    deploy:\n      resources:\n        limits:\n          cpus: "1"\n`;
const nginx = (w: number) => `worker_processes ${w};\nevents { worker_connections 1024; }\nhttp { server { listen 80; location / { proxy_pass http://127.0.0.1:8000; } } }\n`;
const SERVICE_JSON = `${JSON.stringify({ SourceConfiguration: { ImageRepository: { ImageConfiguration: { Port: "8000", StartCommand: "./start.sh" } } }, InstanceConfiguration: { Cpu: "1 vCPU", Memory: "2 GB" } }, null, 2)}\n`;

describe("soak", () => {
  it(`${EDITS} edits across ${APPS * 3} open files: the server answers throughout and its RSS stays flat`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "headroom-soak-"));
    const docs: Array<{ rel: string; make: (w: number) => string; version: number; text: string }> = [];
    for (let i = 0; i < APPS; i++) {
      mkdirSync(join(dir, `app${i}`));
      writeFileSync(join(dir, `app${i}`, "service.json"), SERVICE_JSON);
      for (const [name, make] of [["start.sh", startSh], ["docker-compose.yml", compose], ["nginx.conf", nginx]] as const) {
        const rel = `app${i}/${name}`;
        writeFileSync(join(dir, rel), make(2));
        docs.push({ rel, make, version: 1, text: make(2) });
      }
    }
    const server = new LspServer(dir);
    const samples: Array<{ edits: number; rssMB: number }> = [];
    const t0 = performance.now();
    try {
      await server.initialize();
      for (const d of docs) await server.open(d.rel, d.text, 1);
      await server.audit();
      samples.push({ edits: 0, rssMB: server.rss() / MB });
      for (let edit = 1; edit <= EDITS; edit++) {
        const d = docs[edit % docs.length];
        // Change the worker number in place (2..9): same length, so the documents do not grow.
        const at = d.text.search(/\d/);
        const idx = new LineIndex(d.text);
        const w = 2 + (edit % 8);
        d.text = d.make(w);
        d.version++;
        await server.conn.sendNotification("textDocument/didChange", {
          textDocument: { uri: server.uri(d.rel), version: d.version },
          contentChanges: [{ range: { start: idx.position(at), end: idx.position(at + 1) }, text: String(w) }],
        });
        if (edit % EDITS_PER_AUDIT === 0) await server.audit();
        if (edit % 1000 === 0) {
          // Files come and go on disk too, and a document is closed and opened again.
          const extra = join(dir, `app${edit % APPS}`, "Procfile");
          writeFileSync(extra, "web: gunicorn app:app\n");
          await server.conn.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: server.uri(`app${edit % APPS}/Procfile`), type: 1 }] });
          await server.audit();
          unlinkSync(extra);
          await server.conn.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: server.uri(`app${edit % APPS}/Procfile`), type: 3 }] });
          await server.conn.sendNotification("textDocument/didClose", { textDocument: { uri: server.uri(d.rel) } });
          await server.open(d.rel, d.text, d.version);
          samples.push({ edits: edit, rssMB: server.rss() / MB });
        }
      }
      await server.audit();
      samples.push({ edits: EDITS, rssMB: server.rss() / MB });
      assert.ok(server.alive);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const seconds = (performance.now() - t0) / 1000;
    // Warm-up: the first tenth of the run (JIT, caches of every file, V8 heap sizing).
    const warm = samples.find((s) => s.edits >= EDITS / 10) ?? samples[0];
    const last = samples[samples.length - 1];
    const peak = Math.max(...samples.map((s) => s.rssMB));
    const line = `soak: ${EDITS} edits, ${Math.floor(EDITS / EDITS_PER_AUDIT)} audits, ${seconds.toFixed(1)} s; RSS first ${samples[0].rssMB.toFixed(1)} MB, after warm-up (${warm.edits} edits) ${warm.rssMB.toFixed(1)} MB, last ${last.rssMB.toFixed(1)} MB, peak ${peak.toFixed(1)} MB`;
    t.diagnostic(line);
    console.log(line);
    mkdirSync(join(REPO, "test-artifacts"), { recursive: true });
    writeFileSync(join(REPO, "test-artifacts", "soak.json"), `${JSON.stringify({ edits: EDITS, seconds, samples }, null, 2)}\n`);
    assert.ok(last.rssMB - warm.rssMB < GROWTH_LIMIT_MB, line);
  });
});
