// reparseNginx must give exactly parseNginx's result for the new text, whatever the edit: it only
// saves work. Random edits (brace, quote, comment and word fragments at random places) on several
// configurations, one after another, are compared with a parse from scratch.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { nginxConf } from "../../bench/gen.ts";
import { type NginxFile, parseNginx, reparseNginx } from "../../server/src/engine/parse/nginx.ts";

const realCorpus = path.resolve(__dirname, "..", "..", "..", "shared", "corpus", "real", "nginx");

const HANDWRITTEN = `# main
worker_processes 2;
events { worker_connections 1024; }
http {
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream app { server app:8000 max_fails=3; keepalive 16; }
  server {
    listen 80; # the port
    location / {
      proxy_pass http://app;
      proxy_set_header Host "$host";
      if ($request_method = POST) { proxy_pass http://app; }
    }
    location ~ ^/(?<name>[a-z]+)\\.json$ { return 200 '{"ok": true}'; }
    content_by_lua_block { local s = "}" -- }
      ngx.say(s) }
    location /x { rewrite ^ \${scheme}://x; }
  }
}
`;

const FRAGMENTS = ["}}", "{", "}", ";", '"', "'", "#", "# c\n", "\n", " ", "$", "${", "\\", "x", "proxy_read_timeout 5s;", "location /y { }", "server {", "}\n}", "\r\n", "_by_lua_block {"];

/** The same result, objects compared by value. */
function assertSameParse(actual: NginxFile, expected: NginxFile, text: string) {
  assert.deepStrictEqual(actual, expected, `reparse differs from a full parse for:\n${text}`);
}

function bases(): Array<[string, string]> {
  const out: Array<[string, string]> = [
    ["handwritten", HANDWRITTEN],
    ["generated (bench)", nginxConf(120).text],
  ];
  if (existsSync(realCorpus)) for (const name of readdirSync(realCorpus).sort().slice(0, 12)) out.push([name, readFileSync(path.join(realCorpus, name), "utf8")]);
  return out;
}

describe("reparseNginx", () => {
  if (!existsSync(realCorpus)) test.todo(`real nginx corpus absent (${realCorpus}): random edits run on the built-in configurations only`);

  for (const [name, base] of bases()) {
    test(`random edits of ${name} give the full parse's result`, () => {
      const edit = fc.record({
        at: fc.nat({ max: base.length }),
        remove: fc.nat({ max: 40 }),
        insert: fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 3 }).map((parts) => parts.join("")),
      });
      fc.assert(
        fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
          let text = base;
          let parsed = parseNginx(text, "nginx.conf");
          for (const e of edits) {
            const at = Math.min(e.at, text.length);
            const next = text.slice(0, at) + e.insert + text.slice(Math.min(text.length, at + e.remove));
            const reparsed = reparseNginx({ text, parsed }, next, "nginx.conf");
            assertSameParse(reparsed, parseNginx(next, "nginx.conf"), next);
            text = next;
            parsed = reparsed;
          }
        }),
        { numRuns: 150, seed: 20261203 },
      );
    });
  }

  test("an edit inside one location re-reads that block only: the other servers are the same objects", () => {
    const { text, editAt } = nginxConf(400);
    const parsed = parseNginx(text, "nginx.conf");
    const servers = (file: NginxFile) => file.directives.find((d) => d.name === "http")?.block?.filter((d) => d.name === "server") ?? [];
    for (const replacement of ["61s", "610s"]) {
      const edited = text.slice(0, editAt) + replacement + text.slice(editAt + 3);
      const reparsed = reparseNginx({ text, parsed }, edited, "nginx.conf");
      assertSameParse(reparsed, parseNginx(edited, "nginx.conf"), edited);
      const [old, now] = [servers(parsed), servers(reparsed)];
      const kept = now.filter((server, i) => server === old[i]).length;
      // The edited server is new; with a length change, so is every server after it (moved).
      const editedIndex = old.findIndex((s) => s.start <= editAt && editAt < s.end);
      assert.equal(kept, replacement.length === 3 ? old.length - 1 : editedIndex, `servers kept for "${replacement}"`);
    }
  });

  test("an edit outside any block, or into a file with errors, is a full parse (same result)", () => {
    const text = "worker_processes 1;\nhttp { server { listen 80; } }\n";
    const parsed = parseNginx(text, "nginx.conf");
    const top = "worker_processes 2;\nhttp { server { listen 80; } }\n";
    assertSameParse(reparseNginx({ text, parsed }, top, "nginx.conf"), parseNginx(top, "nginx.conf"), top);
    const broken = "http { server { listen 80 } }\n";
    const brokenParse = parseNginx(broken, "nginx.conf");
    assert.ok(brokenParse.problems.length > 0);
    const fixed = "http { server { listen 80; } }\n";
    assertSameParse(reparseNginx({ text: broken, parsed: brokenParse }, fixed, "nginx.conf"), parseNginx(fixed, "nginx.conf"), fixed);
  });
});
