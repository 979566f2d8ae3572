// The nginx and proxy rules' fixes, checked against Debian's nginx: each firing fixture's nginx.conf, with
// the fixes of one rule applied, must pass `nginx -t`, and a second audit must not report that
// rule again (applying the fix twice changes nothing). Skips without nginx unless
// HEADROOM_REQUIRE_E2E=1.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { ALLOWED_IN_LOCATION_IF, ALLOWED_IN_SERVER_IF, NOT_IN_IF, rejectedInIf } from "../../server/src/engine/rules/nginx/directive-not-allowed-in-if.ts";
import type { TextEdit } from "../../server/src/engine/types.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const FIXTURES = join(__dirname, "..", "fixtures");
/** Rule groups whose fixtures hold an nginx.conf that their fixes may edit. */
const GROUPS = ["nginx", "proxy"];
const NGINX = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].find((p) => existsSync(p));
const requireE2E = process.env.HEADROOM_REQUIRE_E2E === "1";
const IF_RULE = "nginx/directive-not-allowed-in-if";

/** Whether nginx is installed; without it, a skipped test says so (a failing one under HEADROOM_REQUIRE_E2E=1). */
function hasNginx(): boolean {
  if (NGINX) return true;
  it("needs nginx", (t) => {
    if (requireE2E) assert.fail("nginx is not installed and HEADROOM_REQUIRE_E2E=1");
    t.skip("nginx is not installed (apt-get install nginx-light)");
  });
  return false;
}

function applyEdits(files: Record<string, string>, edits: TextEdit[]): Record<string, string> {
  const out = { ...files };
  const byFile = new Map<string, TextEdit[]>();
  for (const e of edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, list] of byFile) {
    let text = out[file];
    for (const e of [...list].sort((a, b) => b.start - a.start || b.end - a.end)) text = text.slice(0, e.start) + e.newText + text.slice(e.end);
    out[file] = text;
  }
  return out;
}

function safeEdits(files: Record<string, string>, rule: string): TextEdit[] {
  return audit(memoryHost(files))
    .findings.filter((f) => f.rule === rule)
    .flatMap((f) => f.fixes.filter((x) => x.safe).slice(0, 1).flatMap((x) => x.edits));
}

/** `nginx -t` on a copy of the folder holding nginx.conf, with upstream, proxy_pass and uwsgi_pass host names pointed at 127.0.0.1. */
function nginxTest(files: Record<string, string>, root: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "headroom-nginx-"));
  try {
    const base = dirname(root) === "." ? "" : `${dirname(root)}/`;
    for (const [path, text] of Object.entries(files)) {
      if (!path.startsWith(base)) continue;
      const target = join(dir, path.slice(base.length));
      const upstreams = new Set([...text.matchAll(/\bupstream\s+([\w.-]+)\s*\{/g)].map((m) => m[1]));
      const rewritten = text
        .replace(/^(\s*server\s+)([A-Za-z][\w.-]*)(:\d+)?/gm, (_m, lead: string, _host: string, port?: string) => `${lead}127.0.0.1${port ?? ""}`)
        .replace(/(\bproxy_pass\s+https?:\/\/|\buwsgi_pass\s+(?:s?uwsgi:\/\/)?)([A-Za-z][\w.-]*)/g, (m, lead: string, host: string) => (upstreams.has(host) ? m : `${lead}127.0.0.1`))
        .replace(/^\s*user\s+[^;]*;/gm, "");
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, rewritten);
    }
    if (!existsSync(join(dir, "mime.types"))) {
      if (existsSync("/etc/nginx/mime.types")) copyFileSync("/etc/nginx/mime.types", join(dir, "mime.types"));
      else writeFileSync(join(dir, "mime.types"), "types {\n    text/html html;\n}\n");
    }
    const conf = join(dir, "nginx.conf");
    const result = spawnSync(NGINX as string, ["-t", "-p", `${dir}/`, "-c", conf, "-g", `error_log stderr; pid ${join(dir, "nginx.pid")};`], { encoding: "utf8" });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("nginx fixes keep the configuration valid for nginx -t", () => {
  if (!hasNginx()) return;
  for (const [group, ruleName] of GROUPS.flatMap((g) => readdirSync(join(FIXTURES, g)).map((r) => [g, r]))) {
    const rule = `${group}/${ruleName}`;
    for (const name of readdirSync(join(FIXTURES, group, ruleName))) {
      const files = readFixture(join(FIXTURES, group, ruleName, name));
      const root = Object.keys(files).find((p) => p.endsWith("nginx.conf"));
      // Its firing fixtures are configurations nginx -t rejects: checked below.
      if (!root || rule === IF_RULE) continue;
      it(`${rule} / ${name}`, () => {
        const before = nginxTest(files, root);
        assert.ok(before.ok, `the fixture itself fails nginx -t:\n${before.output}`);
        const edits = safeEdits(files, rule);
        if (edits.length === 0) return;
        const fixed = applyEdits(files, edits);
        const after = nginxTest(fixed, root);
        assert.ok(after.ok, `nginx -t fails after the fix:\n${after.output}\n${fixed[root]}`);
        assert.deepEqual(safeEdits(fixed, rule), [], "the rule still fires after its fix");
        assert.deepEqual(audit(memoryHost(fixed)).findings.filter((f) => f.rule === rule).map((f) => f.message), []);
      });
    }
  }
});

describe("nginx/directive-not-allowed-in-if agrees with nginx -t", () => {
  if (!hasNginx()) return;
  /** nginx -t's verdict on one directive inside an `if` of a server or a location: rejected there, unknown to this build, or accepted there (perhaps with other complaints about its arguments). */
  const verdict = (name: string, context: "server" | "location"): "rejected" | "unknown" | "accepted" => {
    const inIf = `if ($arg_x) {\n            ${name} x;\n        }`;
    const server = context === "server" ? `        ${inIf}\n` : `        location / {\n        ${inIf}\n        }\n`;
    const { output } = nginxTest({ "nginx.conf": `events {}\nhttp {\n    server {\n        listen 127.0.0.1:8099;\n${server}    }\n}\n` }, "nginx.conf");
    if (output.includes(`"${name}" directive is not allowed here`)) return "rejected";
    return output.includes(`unknown directive "${name}"`) ? "unknown" : "accepted";
  };
  // nginx's own upstream-module settings, named by the prefix the rule reads: only each `*_pass` is allowed in an if.
  const UPSTREAM_SETTINGS = [
    "proxy_set_header", "proxy_read_timeout", "proxy_connect_timeout", "proxy_send_timeout", "proxy_http_version", "proxy_buffering", "proxy_buffers",
    "proxy_redirect", "proxy_hide_header", "proxy_pass_header", "proxy_cache", "proxy_cache_valid", "proxy_intercept_errors", "proxy_next_upstream",
    "proxy_request_buffering", "proxy_ssl_server_name", "proxy_cookie_path", "proxy_method", "proxy_set_body", "fastcgi_param", "fastcgi_read_timeout",
    "fastcgi_index", "uwsgi_param", "uwsgi_read_timeout", "scgi_param", "grpc_set_header", "grpc_read_timeout", "memcached_read_timeout",
  ];

  it("every directive it allows in a location's if is accepted there, and in a server's if only the rewrite module's", () => {
    for (const name of ALLOWED_IN_LOCATION_IF) {
      assert.equal(rejectedInIf(name, "location"), false);
      assert.notEqual(verdict(name, "location"), "rejected", `${name} in a location's if`);
      const inServer = verdict(name, "server");
      assert.equal(inServer === "rejected", !ALLOWED_IN_SERVER_IF.has(name), `${name} in a server's if: ${inServer}`);
      assert.equal(rejectedInIf(name, "server"), !ALLOWED_IN_SERVER_IF.has(name), name);
    }
  });

  it("every directive it reports is rejected by nginx -t in an if (those this nginx build knows)", () => {
    let known = 0;
    for (const name of [...NOT_IN_IF, ...UPSTREAM_SETTINGS]) {
      assert.equal(rejectedInIf(name, "location"), true, name);
      const seen = verdict(name, "location");
      if (seen === "unknown") continue;
      known++;
      assert.equal(seen, "rejected", `${name} in a location's if`);
    }
    assert.ok(known >= 60, `only ${known} of the reported directives are known to this nginx build`);
  });

  it("its firing fixtures fail nginx -t at the line it reports; its quiet ones pass", () => {
    const dir = join(FIXTURES, ...IF_RULE.split("/"));
    for (const name of readdirSync(dir)) {
      const files = readFixture(join(dir, name));
      const findings = audit(memoryHost(files)).findings.filter((f) => f.rule === IF_RULE);
      const result = nginxTest(files, "nginx.conf");
      if (name.startsWith("ok-")) {
        assert.ok(result.ok, `${name}: nginx -t fails:\n${result.output}`);
        assert.deepEqual(findings, [], name);
        continue;
      }
      assert.ok(!result.ok, `${name}: nginx -t passes`);
      // nginx stops at the first error: the first finding, by file order, is the one it names.
      const first = findings[0];
      assert.ok(first, `${name}: nothing reported`);
      const line = files[first.at.file].slice(0, first.at.start).split("\n").length;
      assert.match(result.output, new RegExp(`"${files[first.at.file].slice(first.at.start, first.at.end)}" directive is not allowed here in \\S*${first.at.file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${line}`), name);
    }
  });
});
