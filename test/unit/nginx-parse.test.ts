import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { nginxPlacement } from "../../server/src/engine/model/nginx.ts";
import {
  loadNginxConfig,
  type NginxDirective,
  type NginxFile,
  type NginxLoadHost,
  parseNginx,
} from "../../server/src/engine/parse/nginx.ts";

const repoRoot = path.resolve(__dirname, "..", "..");
const realCorpus = path.resolve(repoRoot, "..", "shared", "corpus", "real", "nginx");

/** Compact view of a tree: [name, args, children?] with values as nginx sees them. */
type Shape = [string, string[], Shape[]?];
function shape(directives: NginxDirective[]): Shape[] {
  return directives.map((d) => (d.block ? [d.name, d.args.map((a) => a.value), shape(d.block)] : [d.name, d.args.map((a) => a.value)]));
}

function errors(file: { problems: NginxFile["problems"] }) {
  return file.problems.filter((p) => p.severity === "error");
}

function only<T>(items: T[]): T {
  assert.equal(items.length, 1, `expected exactly one item, got ${items.length}`);
  return items[0];
}

/** Every span in the tree lies within the text and children lie within their parent's block. */
function assertSpansNest(directives: NginxDirective[], text: string, outer = { start: 0, end: text.length }) {
  for (const d of directives) {
    assert.ok(outer.start <= d.start && d.start <= d.end && d.end <= outer.end, `span of ${d.name} out of bounds`);
    assert.ok(d.nameSpan.start === d.start && d.nameSpan.end <= d.end);
    for (const a of d.args) assert.ok(d.start <= a.start && a.start < a.end && a.end <= d.end, `arg span of ${d.name}`);
    if (d.blockSpan) assert.ok(d.start <= d.blockSpan.start && d.blockSpan.end === d.end);
    if (d.block && d.blockSpan) assertSpansNest(d.block, text, d.blockSpan);
  }
}

describe("parseNginx: tokens and values", () => {
  test("a plain config gives the tree with exact spans", () => {
    const text = "events {\n  worker_connections 1024;\n}\nhttp { server { listen 80; } }\n";
    const parsed = parseNginx(text, "nginx.conf");
    assert.deepEqual(shape(parsed.directives), [
      ["events", [], [["worker_connections", ["1024"]]]],
      ["http", [], [["server", [], [["listen", ["80"]]]]]],
    ]);
    assert.deepEqual(parsed.problems, []);
    const [events, http] = parsed.directives;
    assert.equal(text.slice(events.start, events.end), "events {\n  worker_connections 1024;\n}");
    assert.equal(text.slice(events.nameSpan.start, events.nameSpan.end), "events");
    const wc = only(events.block ?? []);
    assert.equal(text.slice(wc.start, wc.end), "worker_connections 1024;");
    assert.equal(text.slice(wc.args[0].start, wc.args[0].end), "1024");
    assert.equal(text.slice(http.blockSpan?.start, http.blockSpan?.end), "{ server { listen 80; } }");
    assert.equal(wc.file, "nginx.conf");
    assertSpansNest(parsed.directives, text);
  });

  test("double and single quotes: removed from the value, escapes resolved as nginx does", () => {
    const text = String.raw`return 200 "a\"b\\c\n\td\x" 'it\'s' "";`;
    const ret = only(parseNginx(text, "f").directives);
    assert.deepEqual(
      ret.args.map((a) => a.value),
      ["200", 'a"b\\c\n\td\\x', "it's", ""],
    );
    assert.deepEqual(
      ret.args.map((a) => text.slice(a.start, a.end)),
      ["200", String.raw`"a\"b\\c\n\td\x"`, String.raw`'it\'s'`, `""`],
    );
    assert.deepEqual(
      ret.args.map((a) => a.quoted),
      [false, true, true, true],
    );
  });

  test("backslash outside quotes escapes the next character but stays in the value (except \\\\ \\\" \\')", () => {
    const text = String.raw`location /a\ b\;c\{ { } rewrite x\"y\\z 1;`;
    const [location, rewrite] = parseNginx(text, "f").directives;
    assert.deepEqual(
      location.args.map((a) => a.value),
      [String.raw`/a\ b\;c\{`],
    );
    assert.deepEqual(location.block, []);
    assert.deepEqual(
      rewrite.args.map((a) => a.value),
      [String.raw`x"y\z`, "1"],
    );
  });

  test("{ } ; and # inside quotes are plain text", () => {
    const text = `log_format json escape=json '{"a":"$a"; # not a comment}' "}";\nnext 1;`;
    const parsed = parseNginx(text, "f");
    assert.deepEqual(shape(parsed.directives), [
      ["log_format", ["json", "escape=json", '{"a":"$a"; # not a comment}', "}"]],
      ["next", ["1"]],
    ]);
    assert.deepEqual(parsed.problems, []);
  });

  test("$-brace variables keep its braces and does not open a block", () => {
    const text = `proxy_pass http://\${upstream}/x;\nset $a \${host}$uri;\nserver \${BACKEND} fail_timeout=0;\n`;
    const parsed = parseNginx(text, "f");
    assert.deepEqual(shape(parsed.directives), [
      ["proxy_pass", [`http://\${upstream}/x`]],
      ["set", ["$a", `\${host}$uri`]],
      ["server", [`\${BACKEND}`, "fail_timeout=0"]],
    ]);
    assert.deepEqual(parsed.problems, []);
  });

  test("a '{' that does not follow '$' ends the word and opens a block (nginx does the same)", () => {
    const parsed = parseNginx("location ~ ^/a{2}$ { }", "f");
    // nginx reads `^/a` then a block `{2}$ { }`: here the block holds a statement "2}$" that
    // never ends, which is how nginx fails on an unquoted regex quantifier.
    assert.equal(parsed.directives[0].args[1].value, "^/a");
    assert.ok(errors(parsed).length > 0);
  });

  test("comments: after args, between args, mid-word '#' is text, comment text is kept", () => {
    const text = "listen 80; # the port\nlog_format main # first\n  '$a' # second\n  $b#c;\n#last";
    const parsed = parseNginx(text, "f");
    assert.deepEqual(shape(parsed.directives), [
      ["listen", ["80"]],
      ["log_format", ["main", "$a", "$b#c"]],
    ]);
    assert.deepEqual(
      parsed.comments.map((c) => [c.text, text.slice(c.start, c.end)]),
      [
        [" the port", "# the port"],
        [" first", "# first"],
        [" second", "# second"],
        ["last", "#last"],
      ],
    );
    assert.deepEqual(parsed.problems, []);
  });

  test("a quoted string must be followed by a separator", () => {
    const text = `add_header X "a"b;\nif ($a = "x") { }\n`;
    const parsed = parseNginx(text, "f");
    const problem = only(parsed.problems);
    assert.equal(problem.message, 'unexpected "b" after a quoted string');
    assert.equal(text.slice(problem.at.start, problem.at.end), "b");
    // recovery splits the word; ")" right after a quote is allowed, as in nginx
    assert.deepEqual(shape(parsed.directives), [
      ["add_header", ["X", "a", "b"]],
      ["if", ["($a", "=", "x", ")"], []],
    ]);
  });

  test("quotes in the middle of a word are plain characters", () => {
    const parsed = parseNginx(`a b"c"d e'f;`, "f");
    assert.deepEqual(shape(parsed.directives), [["a", [`b"c"d`, "e'f"]]]);
    assert.deepEqual(parsed.problems, []);
  });

  test("map blocks with empty-string keys and values", () => {
    const text = "map $uri $target {\n  '' $arg;\n  *.example.com '';\n  default \"\";\n  '~Opera Mini' 1;\n}\n";
    const parsed = parseNginx(text, "f");
    const map = only(parsed.directives);
    assert.deepEqual(shape(map.block ?? []), [
      ["", ["$arg"]],
      ["*.example.com", [""]],
      ["default", [""]],
      ["~Opera Mini", ["1"]],
    ]);
    const first = (map.block ?? [])[0];
    assert.equal(text.slice(first.nameSpan.start, first.nameSpan.end), "''");
    assert.deepEqual(parsed.problems, []);
  });

  test("a directive with many arguments", () => {
    const values = Array.from({ length: 2000 }, (_, i) => `v${i}`);
    const text = `server_name ${values.join(" \n ")};`;
    const d = only(parseNginx(text, "f").directives);
    assert.deepEqual(
      d.args.map((a) => a.value),
      values,
    );
    assert.equal(text.slice(d.args[1999].start, d.args[1999].end), "v1999");
  });

  test("empty, blank and comment-only files", () => {
    for (const text of ["", "   \n\t\r\n", "# only a comment", "\uFEFF"]) {
      const parsed = parseNginx(text, "f");
      assert.deepEqual(parsed.directives, []);
      assert.deepEqual(parsed.problems, []);
    }
  });
});

describe("parseNginx: line endings and BOM", () => {
  test("CRLF: values carry no \\r and spans are exact", () => {
    const text = "http {\r\n  # note\r\n  server_name a.example b.example;\r\n}\r\n";
    const parsed = parseNginx(text, "f");
    assert.deepEqual(shape(parsed.directives), [["http", [], [["server_name", ["a.example", "b.example"]]]]]);
    const sn = only(parsed.directives[0].block ?? []);
    assert.equal(text.slice(sn.start, sn.end), "server_name a.example b.example;");
    assert.equal(text.slice(parsed.directives[0].start, parsed.directives[0].end), text.trimEnd());
    assert.equal(only(parsed.comments).text, " note");
    assert.deepEqual(parsed.problems, []);
  });

  test("CR-only line endings: a comment ends at the CR", () => {
    const text = "# comment\rworker_processes 2;\r";
    const parsed = parseNginx(text, "f");
    assert.deepEqual(shape(parsed.directives), [["worker_processes", ["2"]]]);
    assert.deepEqual(parsed.problems, []);
  });

  test("a UTF-8 BOM is skipped and offsets still index the original text", () => {
    const text = "\uFEFFuser nginx;";
    const d = only(parseNginx(text, "f").directives);
    assert.equal(d.name, "user");
    assert.equal(d.start, 1);
    assert.equal(text.slice(d.start, d.end), "user nginx;");
  });

  test("non-ASCII text keeps UTF-16 offsets", () => {
    const text = "env 'русский текст';\nreturn 200 \"Mölln 😀\";";
    const [env, ret] = parseNginx(text, "f").directives;
    assert.equal(env.args[0].value, "русский текст");
    assert.equal(ret.args[1].value, "Mölln 😀");
    assert.equal(text.slice(ret.start, ret.end), 'return 200 "Mölln 😀";');
  });
});

describe("parseNginx: Lua blocks", () => {
  test("braces inside Lua strings, long strings and comments do not count", () => {
    const body = [
      "",
      '  ngx.say("}")  -- a } in a comment',
      "  local t = { a = '{', b = [[ } ]], c = [==[ ]] } ]==] }",
      "  --[[ long comment } ]]",
      '  local s = "escaped \\" } quote"',
      "",
    ].join("\n");
    const text = `location / {\n  content_by_lua_block {${body}}\n  return 200;\n}\n`;
    const parsed = parseNginx(text, "f");
    assert.deepEqual(parsed.problems, []);
    const [lua, ret] = parsed.directives[0].block ?? [];
    assert.equal(lua.name, "content_by_lua_block");
    assert.equal(lua.block, undefined);
    assert.deepEqual(lua.args, []);
    assert.equal(text.slice(lua.rawBody?.start, lua.rawBody?.end), body);
    assert.equal(text.slice(lua.start, lua.end), `content_by_lua_block {${body}}`);
    assert.equal(text.slice(lua.blockSpan?.start, lua.blockSpan?.end), `{${body}}`);
    assert.equal(ret.name, "return");
  });

  test("set_by_lua_block takes arguments before the body; an empty body is fine", () => {
    const text = "set_by_lua_block $res { return 1 + 2 }\ninit_by_lua_block {}\n";
    const [set, init] = parseNginx(text, "f").directives;
    assert.deepEqual(
      set.args.map((a) => a.value),
      ["$res"],
    );
    assert.equal(text.slice(set.rawBody?.start, set.rawBody?.end), " return 1 + 2 ");
    assert.deepEqual(init.rawBody, { start: text.indexOf("{}") + 1, end: text.indexOf("{}") + 1 });
  });

  test("a Lua body that never closes is reported at its '{'", () => {
    const text = 'content_by_lua_block {\n  ngx.say("x")\n';
    const parsed = parseNginx(text, "f");
    const problem = only(parsed.problems);
    assert.match(problem.message, /unexpected end of file, expecting "}".*Lua/);
    assert.equal(problem.at.start, text.indexOf("{"));
    assert.equal(parsed.directives[0].end, text.length);
  });

  test("only directives named *_by_lua_block read Lua", () => {
    const text = "upstream content_by_lua_block { server a; }\nserver_name content_by_lua_block;";
    const parsed = parseNginx(text, "f");
    assert.deepEqual(shape(parsed.directives), [
      ["upstream", ["content_by_lua_block"], [["server", ["a"]]]],
      ["server_name", ["content_by_lua_block"]],
    ]);
  });
});

describe("parseNginx: errors and recovery", () => {
  test("missing semicolon before '}' is reported on the statement and parsing goes on", () => {
    const text = "server {\n  location /a {\n    proxy_pass http://a\n  }\n  location /b { proxy_pass http://b; }\n}\n";
    const parsed = parseNginx(text, "f");
    const problem = only(parsed.problems);
    assert.equal(problem.message, 'directive "proxy_pass" is not terminated by ";"');
    assert.equal(text.slice(problem.at.start, problem.at.end), "proxy_pass http://a");
    assert.deepEqual(shape(parsed.directives), [
      [
        "server",
        [],
        [
          ["location", ["/a"], [["proxy_pass", ["http://a"]]]],
          ["location", ["/b"], [["proxy_pass", ["http://b"]]]],
        ],
      ],
    ]);
  });

  test("an envsubst placeholder alone on its line is template text, not a directive missing its ';'", () => {
    const text = "server {\n  listen 80;\n  ${EXTRA_LOCATIONS}\n  location / { proxy_pass http://app; }\n  ${TLS_SETTINGS}\n}\n${TRAILER}";
    const parsed = parseNginx(text, "f");
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(shape(parsed.directives), [
      [
        "server",
        [],
        [
          ["listen", ["80"]],
          ["location", ["/"], [["proxy_pass", ["http://app"]]]],
        ],
      ],
    ]);
    // Followed by a value on the same line it stays a directive; a lowercase nginx variable is no placeholder.
    assert.deepEqual(shape(parseNginx("server {\n  ${DIRECTIVE} on;\n}\n", "f").directives), [["server", [], [["${DIRECTIVE}", ["on"]]]]]);
    assert.equal(only(parseNginx("server {\n  $host\n}\n", "f").problems).message, 'directive "$host" is not terminated by ";"');
  });

  test("missing semicolon at end of file", () => {
    const text = "worker_processes 4;\npid /run/nginx.pid";
    const parsed = parseNginx(text, "f");
    const problem = only(parsed.problems);
    assert.match(problem.message, /^unexpected end of file, expecting ";" or "}"/);
    assert.equal(text.slice(problem.at.start, problem.at.end), "pid /run/nginx.pid");
    assert.deepEqual(shape(parsed.directives), [
      ["worker_processes", ["4"]],
      ["pid", ["/run/nginx.pid"]],
    ]);
  });

  test("an extra '}' is reported and ignored", () => {
    const text = "events { }\n}\nhttp { }";
    const parsed = parseNginx(text, "f");
    const problem = only(parsed.problems);
    assert.match(problem.message, /^unexpected "}"/);
    assert.equal(problem.at.start, text.indexOf("}\nhttp"));
    assert.deepEqual(shape(parsed.directives), [
      ["events", [], []],
      ["http", [], []],
    ]);
  });

  test("an unclosed block is reported at its '{' and runs to the end of the file", () => {
    const text = "http {\n  server {\n    listen 80;\n  }\n";
    const parsed = parseNginx(text, "f");
    const problem = only(parsed.problems);
    assert.equal(problem.message, 'unexpected end of file, expecting "}": the "http" block opened here is not closed');
    assert.deepEqual(problem.at, { file: "f", start: 5, end: 6 });
    assert.equal(parsed.directives[0].end, text.length);
    assert.deepEqual(shape(parsed.directives), [["http", [], [["server", [], [["listen", ["80"]]]]]]]);
  });

  test("an unterminated quote is reported at the quote; parsing resumes on the next line", () => {
    const text = 'http {\n  return 200 "oops;\n  listen 80;\n}\n';
    const parsed = parseNginx(text, "f");
    const problem = only(parsed.problems);
    assert.match(problem.message, /unterminated quoted string/);
    assert.equal(text.slice(problem.at.start, problem.at.end), '"oops;');
    assert.deepEqual(shape(parsed.directives), [
      [
        "http",
        [],
        [
          ["return", ["200", "oops;"]],
          ["listen", ["80"]],
        ],
      ],
    ]);
  });

  test("statements and blocks with no directive name", () => {
    const text = "listen 80;;\n{ inner 1; }\nafter 1;";
    const parsed = parseNginx(text, "f");
    assert.deepEqual(
      parsed.problems.map((p) => [p.message, text.slice(p.at.start, p.at.end)]),
      [
        ['unexpected ";" (statement has no directive name)', ";"],
        ['unexpected "{" (block has no directive name)', "{"],
      ],
    );
    assert.deepEqual(shape(parsed.directives), [
      ["listen", ["80"]],
      ["after", ["1"]],
    ]);
  });

  test("a directive that spans lines keeps one statement", () => {
    const text = "proxy_pass\n  http://a\n;";
    const d = only(parseNginx(text, "f").directives);
    assert.equal(text.slice(d.start, d.end), text);
  });

  test("deep nesting is bounded and never overflows the stack", () => {
    const depth = 20000;
    const text = `${"a {".repeat(depth)}${"}".repeat(depth)}`;
    const parsed = parseNginx(text, "f");
    assert.ok(parsed.problems.some((p) => p.message.startsWith("blocks nested more than")));
    assert.deepEqual(
      parsed.problems.filter((p) => !p.message.startsWith("blocks nested more than")),
      [],
    );
    assert.equal(parsed.directives[0].end, text.length);
  });

  test("large pathological inputs parse in linear time", () => {
    const inputs = [
      '"'.repeat(200_001),
      "'\n".repeat(100_000),
      "{".repeat(200_000),
      "}".repeat(200_000),
      "a ".repeat(100_000),
      "x_by_lua_block {".repeat(50_000),
      "\\".repeat(200_001),
      "$".repeat(100_000) + "{".repeat(100_000),
    ];
    for (const text of inputs) {
      const started = performance.now();
      const parsed = parseNginx(text, "f");
      assertSpansNest(parsed.directives, text);
      assert.ok(performance.now() - started < 2000, `slow on ${JSON.stringify(text.slice(0, 20))}`);
    }
  });

  test("random text never throws, and every span stays inside the text", () => {
    const alphabet = fc.constantFrom(..."ab $#;{}\"'\\\n\r\t()[]=-_".split(""), "_by_lua_block", "\uFEFF", "é");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 200 }), (chars) => {
        const text = chars.join("");
        const parsed = parseNginx(text, "f");
        assertSpansNest(parsed.directives, text);
        for (const p of parsed.problems) assert.ok(0 <= p.at.start && p.at.start <= p.at.end && p.at.end <= text.length);
      }),
      { numRuns: 2000 },
    );
  });
});

/** A workspace in memory; records which paths were read. */
function workspace(files: Record<string, string>): NginxLoadHost & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read(p) {
      reads.push(p);
      return files[p];
    },
    list: () => Object.keys(files),
  };
}

describe("loadNginxConfig: includes", () => {
  test("absolute /etc/nginx paths map to the root's directory; globs expand sorted; provenance is kept", () => {
    const host = workspace({
      "deploy/nginx.conf":
        "http {\n  include /etc/nginx/mime.types;\n  include /etc/nginx/conf.d/*.conf;\n  keepalive_timeout 5;\n}\n",
      "deploy/conf.d/b.conf": "server { listen 81; }",
      "deploy/conf.d/a.conf": "server { listen 80; }",
      "deploy/conf.d/.hidden.conf": "server { listen 82; }",
      "deploy/conf.d/notes.txt": "garbage",
    });
    const config = loadNginxConfig("deploy/nginx.conf", host);
    assert.deepEqual(config.problems, []);
    assert.deepEqual(shape(config.directives), [
      [
        "http",
        [],
        [
          ["server", [], [["listen", ["80"]]]],
          ["server", [], [["listen", ["81"]]]],
          ["keepalive_timeout", ["5"]],
        ],
      ],
    ]);
    const http = config.directives[0].block ?? [];
    assert.deepEqual(
      http.map((d) => d.file),
      ["deploy/conf.d/a.conf", "deploy/conf.d/b.conf", "deploy/nginx.conf"],
    );
    assert.deepEqual(
      config.includes.map((i) => [i.directive.args[0].value, i.resolved]),
      [
        ["/etc/nginx/mime.types", []],
        ["/etc/nginx/conf.d/*.conf", ["deploy/conf.d/a.conf", "deploy/conf.d/b.conf"]],
      ],
    );
    assert.deepEqual([...config.files.keys()], ["deploy/nginx.conf", "deploy/conf.d/a.conf", "deploy/conf.d/b.conf"]);
    // the per-file trees are not expanded
    assert.equal(config.files.get("deploy/nginx.conf")?.directives[0].block?.[1].name, "include");
  });

  test("a conf.d file on its own resolves includes against the conf prefix above it, and reads an envsubst template for a missing file", () => {
    const host = workspace({
      "docker/nginx/conf.d/default.conf.template": "server {\n  location / {\n    proxy_pass http://app:8000;\n    include proxy.conf;\n  }\n}\n",
      "docker/nginx/proxy.conf.template": "proxy_http_version 1.1;\n",
    });
    const config = loadNginxConfig("docker/nginx/conf.d/default.conf.template", host);
    assert.deepEqual(config.problems, []);
    assert.deepEqual(
      config.includes.map((i) => [i.directive.args[0].value, i.resolved]),
      [["proxy.conf", ["docker/nginx/proxy.conf.template"]]],
    );
    // Outside conf.d and sites-*, the root's own folder stays the prefix: nothing above it is looked at.
    const other = loadNginxConfig("docker/nginx/site/app.conf", workspace({ "docker/nginx/site/app.conf": "include proxy.conf;\n", "docker/nginx/proxy.conf": "" }));
    assert.match(only(other.problems).message, /^included file "proxy.conf" was not found/);
  });

  test("glob ? and [...] match one path segment character; * does not cross '/'", () => {
    const host = workspace({
      "nginx.conf": "include sites/app-[ab]?.conf;\ninclude sites/*.conf;",
      "sites/app-a1.conf": "a1 1;",
      "sites/app-b2.conf": "b2 1;",
      "sites/app-c3.conf": "c3 1;",
      "sites/app-a10.conf": "a10 1;",
      "sites/deeper/app-a1.conf": "deep 1;",
    });
    const config = loadNginxConfig("nginx.conf", host);
    assert.deepEqual(
      config.includes.map((i) => i.resolved),
      [
        ["sites/app-a1.conf", "sites/app-b2.conf"],
        ["sites/app-a1.conf", "sites/app-a10.conf", "sites/app-b2.conf", "sites/app-c3.conf"],
      ],
    );
  });

  test("other image layouts and relative paths resolve against the root's directory", () => {
    const host = workspace({
      "nginx.conf":
        "include /usr/local/openresty/nginx/conf/lua.conf;\ninclude /usr/local/nginx/conf/extra.conf;\ninclude snippets/common.conf;\n",
      "lua.conf": "lua_shared_dict cache 10m;",
      "extra.conf": "worker_processes 2;",
      "snippets/common.conf": "include snippets/inner.conf;",
      "snippets/inner.conf": "pid /run/nginx.pid;",
    });
    const config = loadNginxConfig("nginx.conf", host);
    assert.deepEqual(config.problems, []);
    assert.deepEqual(shape(config.directives), [
      ["lua_shared_dict", ["cache", "10m"]],
      ["worker_processes", ["2"]],
      ["pid", ["/run/nginx.pid"]],
    ]);
  });

  test("when the root-relative path is absent the including file's directory is tried", () => {
    const host = workspace({
      "nginx.conf": "http { include sites/app.conf; }",
      "sites/app.conf": "server { include locations.conf; }",
      "sites/locations.conf": "location / { return 204; }",
    });
    const config = loadNginxConfig("nginx.conf", host);
    assert.deepEqual(config.problems, []);
    assert.deepEqual(shape(config.directives), [["http", [], [["server", [], [["location", ["/"], [["return", ["204"]]]]]]]]]);
  });

  test("a missing file is an info problem at the include's path; shipped files and empty globs are quiet", () => {
    const text =
      "include mime.types;\ninclude /etc/nginx/fastcgi_params;\ninclude conf.d/*.conf;\ninclude missing.conf;\nuser www;";
    const config = loadNginxConfig("nginx.conf", workspace({ "nginx.conf": text }));
    const problem = only(config.problems);
    assert.equal(problem.severity, "info");
    assert.match(problem.message, /included file "missing.conf" was not found/);
    assert.equal(text.slice(problem.at.start, problem.at.end), "missing.conf");
    assert.deepEqual(shape(config.directives), [["user", ["www"]]]);
  });

  test("paths outside the workspace are never read", () => {
    const host = workspace({
      "conf/nginx.conf": "include ../../secret.conf;\ninclude /etc/letsencrypt/options-ssl-nginx.conf;\ninclude ../ok.conf;",
      "ok.conf": "user ok;",
    });
    const config = loadNginxConfig("conf/nginx.conf", host);
    assert.ok(host.reads.every((p) => !p.startsWith("..") && !p.startsWith("/")), host.reads.join(", "));
    assert.deepEqual(
      config.problems.map((p) => [p.severity, p.message]),
      [
        ["info", 'included file "../../secret.conf" points outside the workspace; it is not checked'],
        [
          "info",
          'included file "/etc/letsencrypt/options-ssl-nginx.conf" is a path on the server, outside the workspace; it is not checked',
        ],
      ],
    );
    assert.deepEqual(shape(config.directives), [["user", ["ok"]]]);
  });

  test("include loops are problems, not stack overflows", () => {
    const host = workspace({
      "nginx.conf": "include self.conf;\ninclude a.conf;",
      "self.conf": "include self.conf;\nx 1;",
      "a.conf": "include b.conf;\ny 1;",
      "b.conf": "include a.conf;\nz 1;",
    });
    const config = loadNginxConfig("nginx.conf", host);
    assert.deepEqual(
      config.problems.map((p) => [p.severity, p.at.file, p.message]),
      [
        ["error", "self.conf", 'include loop: "nginx.conf" includes "self.conf" includes "self.conf"'],
        ["error", "b.conf", 'include loop: "nginx.conf" includes "a.conf" includes "b.conf" includes "a.conf"'],
      ],
    );
    assert.deepEqual(shape(config.directives), [
      ["x", ["1"]],
      ["z", ["1"]],
      ["y", ["1"]],
    ]);
    assert.ok(loadNginxConfig("nginx.conf", workspace({ "nginx.conf": "include nginx.conf;" })).problems[0].message.startsWith("include loop"));
  });

  test("a glob matching too many files stops at the limit with a warning", () => {
    const files: Record<string, string> = { "nginx.conf": "include /etc/nginx/conf.d/*.conf;" };
    for (let i = 0; i < 3000; i++) files[`conf.d/s${String(i).padStart(4, "0")}.conf`] = `server { listen ${i}; }`;
    const config = loadNginxConfig("nginx.conf", workspace(files), { maxFiles: 50 });
    const problem = only(config.problems);
    assert.equal(problem.severity, "warning");
    assert.match(problem.message, /too many included files \(limit 50\); 2951 of the 3000/);
    assert.equal(config.files.size, 50);
    assert.equal(config.directives.length, 49);
  });

  test("repeated inclusion of the same files is bounded", () => {
    const host = workspace({
      "nginx.conf": "include a.conf; include a.conf; include a.conf; include a.conf;",
      "a.conf": "include b.conf; include b.conf; include b.conf; include b.conf;",
      "b.conf": "include c.conf; include c.conf; include c.conf; include c.conf;",
      "c.conf": "x 1;",
    });
    const config = loadNginxConfig("nginx.conf", host, { maxInclusions: 30 });
    const problem = only(config.problems);
    assert.equal(problem.severity, "warning");
    assert.match(problem.message, /^includes stopped after 30 file inclusions: .*"c.conf" and every include after it are not read/);
    assert.ok(config.directives.length <= 30);
  });

  test("the include-target budget stops a glob whose files re-include it, with one report", () => {
    const files: Record<string, string> = { "nginx.conf": "include conf.d/*.conf;" };
    for (let i = 0; i < 40; i++) files[`conf.d/s${String(i).padStart(2, "0")}.conf`] = "include conf.d/*.conf;";
    const config = loadNginxConfig("nginx.conf", workspace(files), { maxVisits: 500 });
    const budget = config.problems.filter((p) => p.message.startsWith("includes stopped after 500 include targets"));
    assert.equal(budget.length, 1);
    const loops = config.problems.filter((p) => p.message.startsWith("include loop"));
    assert.ok(loops.length > 0);
    assert.equal(new Set(loops.map((p) => `${p.at.file}:${p.at.start}`)).size, loops.length, "one loop report per include directive");
  });

  test("nesting deeper than maxDepth is cut with a warning", () => {
    const host = workspace({ "nginx.conf": "include 1.conf;", "1.conf": "include 2.conf;", "2.conf": "include 3.conf;", "3.conf": "x 1;" });
    const config = loadNginxConfig("nginx.conf", host, { maxDepth: 2 });
    assert.match(only(config.problems).message, /nested more than 2 deep; "3.conf" is not read/);
  });

  test("parse problems of included files are reported in their own file; include with bad arity is an error", () => {
    const host = workspace({ "nginx.conf": "include a.conf;\ninclude;\ninclude a b;", "a.conf": "server {" });
    const config = loadNginxConfig("nginx.conf", host);
    assert.deepEqual(
      config.problems.map((p) => [p.at.file, p.severity, p.message]),
      [
        ["a.conf", "error", 'unexpected end of file, expecting "}": the "server" block opened here is not closed'],
        ["nginx.conf", "error", 'invalid number of arguments in "include" directive'],
        ["nginx.conf", "error", 'invalid number of arguments in "include" directive'],
      ],
    );
  });

  test("an unreadable root file is a problem, not an exception", () => {
    const config = loadNginxConfig("nope.conf", workspace({}));
    assert.deepEqual(config.directives, []);
    assert.match(only(config.problems).message, /cannot read "nope.conf"/);
  });
});

describe("real-world configs", () => {
  const files = existsSync(realCorpus) ? readdirSync(realCorpus).sort() : [];
  test("the real nginx corpus parses with no errors", { skip: files.length === 0 ? `corpus absent: ${realCorpus}` : false }, () => {
    assert.equal(files.length >= 27, true);
    for (const name of files) {
      const text = readFileSync(path.join(realCorpus, name), "utf8");
      const parsed = parseNginx(text, name);
      assert.deepEqual(errors(parsed), [], name);
      assert.ok(parsed.directives.length > 0, name);
      assertSpansNest(parsed.directives, text);
      // the same text with CRLF line endings and a BOM gives the same tree
      const crlf = parseNginx(`\uFEFF${text.replace(/\r?\n/g, "\r\n")}`, name);
      assert.deepEqual(shape(crlf.directives), shape(parsed.directives), `${name} (CRLF)`);
      assert.deepEqual(errors(crlf), [], `${name} (CRLF)`);
    }
  });
});

describe("loadNginxConfig: large files", () => {
  test("an included file with very many directives and problems is expanded without overflowing", () => {
    const big = "x 1;\n".repeat(300_000) + '"'.repeat(300_001);
    const config = loadNginxConfig("nginx.conf", workspace({ "nginx.conf": "include big.conf;", "big.conf": big }));
    assert.equal(config.directives.length, 300_001);
    assert.ok(config.problems.length >= 150_000);
  });
});

describe("nginx configs placed by COPY or a bind mount", () => {
  test("nginx's main file and the folders its stock nginx.conf includes, whatever the file is named", () => {
    assert.equal(nginxPlacement("/etc/nginx/nginx.conf", "default.conf"), "main");
    assert.equal(nginxPlacement("/etc/nginx/", "nginx.conf"), "main");
    assert.equal(nginxPlacement("/usr/local/openresty/nginx/conf/nginx.conf", "proxy.conf"), "main");
    assert.equal(nginxPlacement("/etc/nginx/conf.d/default.conf", "site.conf"), "included");
    assert.equal(nginxPlacement("/etc/nginx/conf.d", "site.conf"), "included", "the image's conf.d is a folder, with or without a slash");
    assert.equal(nginxPlacement("/etc/nginx/conf.d/", "site.conf"), "included");
    assert.equal(nginxPlacement("/etc/nginx/http.d/app.conf", "app.conf"), "included");
    assert.equal(nginxPlacement("/etc/nginx/sites-enabled/app", "app"), "included");
    assert.equal(nginxPlacement("/etc/nginx/templates/default.conf.template", "x"), "included");
  });

  test("other places are not nginx's configuration as it starts", () => {
    assert.equal(nginxPlacement("/etc/nginx/conf.d/readme.txt", "readme.txt"), undefined, "the stock nginx.conf includes conf.d/*.conf only");
    assert.equal(nginxPlacement("/etc/nginx/snippets/proxy.conf", "proxy.conf"), undefined);
    assert.equal(nginxPlacement("/etc/nginx/mime.types", "mime.types"), undefined);
    assert.equal(nginxPlacement("/etc/nginx/conf.d/sub/x.conf", "x.conf"), undefined);
    assert.equal(nginxPlacement("/etc/supervisor/conf.d/app.conf", "app.conf"), undefined);
    assert.equal(nginxPlacement("/etc/nginx/nginx.conf.bak", "nginx.conf"), undefined);
  });
});
