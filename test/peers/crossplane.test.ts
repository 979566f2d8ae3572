// Headroom's nginx parser against crossplane's test configs (nginxinc/crossplane, tests/configs/).
//
// How the comparison works. crossplane's expectations are described in our own words in the
// corpus README (../shared/corpus/peers/crossplane/README.md); the table below restates them per
// config as: the tree (line, directive, args, block) crossplane returns, and which configs must
// fail and at which line. Where the two parsers differ on purpose the row says so:
//
// - Values. crossplane keeps tokens verbatim (backslashes included); Headroom's `value` is what
//   nginx sees (\" \' \\ \n \t \r resolved). Rows marked `raw` compare the raw token text with
//   the surrounding quotes removed, which is crossplane's token.
// - Quotes glued to a word. nginx's tokenizer rejects a closing quote followed by anything but
//   a separator (`"left"-quote` -> `unexpected "-"`); crossplane splits the word and goes on.
//   Headroom reports the nginx error and then recovers exactly as crossplane splits.
// - Lua blocks. crossplane turns the body into the directive's single argument; Headroom keeps
//   it as `rawBody` (a span) and leaves `args` to the arguments before "{".
// - Missing include files. crossplane fails the parse; Headroom reports them at info severity
//   (the file may exist where the config is deployed), at the same line.
// - Missing ";" before "}". Both report `directive "proxy_pass" is not terminated by ";"` at the
//   directive's line; crossplane drops the statement (empty block), Headroom keeps it.
// - Unknown directives (`proxy_passs`, strict mode) and argument counts (`user;`) are checks of
//   the rules layer, not the parser: both configs parse here.
//
// No crossplane code is used; the configs are read from the shared corpus and skipped if absent.

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import {
  loadNginxConfig,
  type NginxArg,
  type NginxConfig,
  type NginxDirective,
  type NginxFile,
  type NginxLoadHost,
  parseNginx,
} from "../../server/src/engine/parse/nginx.ts";
import { LineIndex } from "../../server/src/engine/types.ts";

const repoRoot = path.resolve(__dirname, "..", "..");
const corpus = path.resolve(repoRoot, "..", "shared", "corpus", "peers", "crossplane");
const configs = path.join(corpus, "tests", "configs");
const skip = existsSync(configs) ? false : `crossplane corpus absent (${configs})`;

const read = (relative: string) => readFileSync(path.join(corpus, relative), "utf8");

/** [line, directive, args, block?] — the fields crossplane's payload carries. */
type Stmt = [number, string, string[], Stmt[]?];

/** `value`: as nginx sees the token; `raw`: the token as written, outer quotes removed (crossplane's view). */
type View = "value" | "raw";

function rawToken(text: string, arg: { start: number; end: number; quoted: boolean }): string {
  const raw = text.slice(arg.start, arg.end);
  return arg.quoted ? raw.slice(1, raw.endsWith(raw[0]) && raw.length > 1 ? -1 : undefined) : raw;
}

function tree(directives: NginxDirective[], texts: (file: string) => string, view: View = "value"): Stmt[] {
  return directives.map((d) => {
    const text = texts(d.file);
    const line = new LineIndex(text).position(d.start).line + 1;
    const name = view === "raw" ? rawToken(text, { start: d.nameSpan.start, end: d.nameSpan.end, quoted: /^["']/.test(text[d.start]) }) : d.name;
    const args = d.args.map((a: NginxArg) => (view === "raw" ? rawToken(text, a) : a.value));
    return d.block ? [line, name, args, tree(d.block, texts, view)] : [line, name, args];
  });
}

function lineOf(text: string, offset: number): number {
  return new LineIndex(text).position(offset).line + 1;
}

function parseConfig(relative: string): { text: string; parsed: NginxFile } {
  const text = read(relative);
  return { text, parsed: parseNginx(text, relative) };
}

function errors(problems: NginxFile["problems"]) {
  return problems.filter((p) => p.severity === "error");
}

/** A workspace made of corpus files: `files` maps workspace path -> corpus path, `extra` holds synthesized text. */
function host(files: Record<string, string>, extra: Record<string, string> = {}): NginxLoadHost & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read(p) {
      reads.push(p);
      if (p in extra) return extra[p];
      return p in files ? read(files[p]) : undefined;
    },
    list: () => [...Object.keys(files), ...Object.keys(extra)],
  };
}

function textsOf(config: NginxConfig, h: NginxLoadHost) {
  return (file: string) => h.read(file) ?? assert.fail(`no text for ${file} in ${[...config.files.keys()]}`);
}

const C = "tests/configs";

const simpleServer: Stmt[] = [
  [1, "events", [], [[2, "worker_connections", ["1024"]]]],
  [
    5,
    "http",
    [],
    [
      [
        6,
        "server",
        [],
        [
          [7, "listen", ["127.0.0.1:8080"]],
          [8, "server_name", ["default_server"]],
          [9, "location", ["/"], [[10, "return", ["200", "foo bar baz"]]]],
        ],
      ],
    ],
  ],
];

/** Configs crossplane parses cleanly, with the tree it returns. */
const mustParse: Array<{ config: string; view?: View; tree: Stmt[]; note?: string }> = [
  { config: `${C}/simple/nginx.conf`, tree: simpleServer },
  {
    config: `${C}/with-comments/nginx.conf`,
    note: "comments are checked separately below",
    tree: [
      [1, "events", [], [[2, "worker_connections", ["1024"]]]],
      [
        5,
        "http",
        [],
        [
          [
            6,
            "server",
            [],
            [
              [7, "listen", ["127.0.0.1:8080"]],
              [8, "server_name", ["default_server"]],
              [9, "location", ["/"], [[11, "return", ["200", "foo bar baz"]]]],
            ],
          ],
        ],
      ],
    ],
  },
  {
    config: `${C}/comments-between-args/nginx.conf`,
    view: "raw",
    tree: [[1, "http", [], [[2, "log_format", ["\\#arg\\ 1", "#arg 2"]]]]],
  },
  {
    config: `${C}/messy/nginx.conf`,
    view: "raw",
    note: '`"S"T` mid-word stays as written: nginx treats a quote inside a word as text; crossplane glues it to `ST`',
    tree: [
      [1, "user", ["nobody"]],
      [3, "events", [], [[3, "worker_connections", ["2048"]]]],
      [
        5,
        "http",
        [],
        [
          [7, "access_log", ["off"]],
          [7, "default_type", ["text/plain"]],
          [7, "error_log", ["off"]],
          [
            8,
            "server",
            [],
            [
              [9, "listen", ["8083"]],
              [10, "return", ["200", "Ser\\\" ' ' ver\\\\ \\ $server_addr:\\$server_port\\n\\nTime: $time_local\\n\\n"]],
            ],
          ],
          [
            12,
            "server",
            [],
            [
              [12, "listen", ["8080"]],
              [13, "root", ["/usr/share/nginx/html"]],
              [14, "location", ["~", "/hello/world;"], [[14, "return", ["301", "/status.html"]]]],
              [15, "location", ["/foo"], []],
              [15, "location", ["/bar"], []],
              [16, "location", ['/\\{\\;\\}\\ #\\ ab"c"###s'], []],
              [17, "if", ["($request_method", "=", 'P\\{O\\)\\###\\;"S"T', ")"], []],
              [18, "location", ["/status.html"], [[19, "try_files", [`/abc/\${uri}`, `/abc/\${uri}.html`, "=404"]]]],
              [21, "location", ["/sta;\n                    tus"], [[22, "return", ["302", "/status.html"]]]],
              [23, "location", ["/upstream_conf"], [[23, "return", ["200", "/status.html"]]]],
            ],
          ],
          [24, "server", [], []],
        ],
      ],
    ],
  },
  {
    config: `${C}/quoted-right-brace/nginx.conf`,
    tree: [
      [1, "events", [], []],
      [
        2,
        "http",
        [],
        [
          [
            3,
            "log_format",
            [
              "main",
              "escape=json",
              '{ "@timestamp": "$time_iso8601", ',
              '"server_name": "$server_name", ',
              '"host": "$host", ',
              '"status": "$status", ',
              '"request": "$request", ',
              '"uri": "$uri", ',
              '"args": "$args", ',
              '"https": "$https", ',
              '"request_method": "$request_method", ',
              '"referer": "$http_referer", ',
              '"agent": "$http_user_agent"',
              "}",
            ],
          ],
        ],
      ],
    ],
  },
  {
    config: `${C}/map/nginx.conf`,
    tree: [
      [1, "events", [], []],
      [
        2,
        "http",
        [],
        [
          [
            3,
            "map",
            ["$uri", "$new"],
            [
              [4, "default", ["0"]],
              [5, "~^/news", ["1"]],
              [6, "~^/blog", ["2"]],
            ],
          ],
          [
            8,
            "map",
            ["$http_host", "$backend"],
            [
              [9, "hostnames", []],
              [10, "default", ["web"]],
              [11, "*.example.com", ["app"]],
            ],
          ],
          [13, "server", [], [[14, "listen", ["80"]]]],
        ],
      ],
    ],
  },
  {
    config: `${C}/map/map_values.conf`,
    note: "a map body on its own; `\\v` is not an escape nginx resolves, so the backslash stays",
    tree: [
      [1, "*.example.com", ["2"]],
      [2, "\\volatile", ["3"]],
    ],
  },
  {
    config: `${C}/empty-value-map/nginx.conf`,
    tree: [
      [1, "events", [], []],
      [
        3,
        "http",
        [],
        [
          [
            4,
            "map",
            ["string", "$variable"],
            [
              [5, "", ["$arg"]],
              [6, "*.example.com", [""]],
            ],
          ],
        ],
      ],
    ],
  },
  {
    config: `${C}/directive-with-space/nginx.conf`,
    tree: [
      [1, "events", [], []],
      [
        3,
        "http",
        [],
        [
          [
            4,
            "map",
            ["$http_user_agent", "$mobile"],
            [
              [5, "default", ["0"]],
              [6, "~Opera Mini", ["1"]],
            ],
          ],
        ],
      ],
    ],
  },
  {
    config: `${C}/types/nginx.conf`,
    tree: [
      [1, "events", [], []],
      [
        2,
        "http",
        [],
        [
          [
            3,
            "types",
            [],
            [
              [4, "text/html", ["html", "htm"]],
              [5, "text/css", ["css"]],
              [6, "application/javascript", ["js"]],
              [7, "image/png", ["png"]],
            ],
          ],
          [9, "server", [], [[10, "listen", ["80"]]]],
        ],
      ],
    ],
  },
  {
    config: "older/0709547/tests/configs/types/nginx.conf",
    tree: [
      [
        1,
        "http",
        [],
        [
          [
            2,
            "types",
            [],
            [
              [3, "text/html", ["html"]],
              [4, "image/gif", ["gif"]],
              [5, "image/jpeg", ["jpg", "jpeg"]],
            ],
          ],
        ],
      ],
    ],
  },
  {
    config: `${C}/russian-text/nginx.conf`,
    tree: [
      [1, "env", ["русский текст"]],
      [2, "events", [], []],
    ],
  },
  {
    config: `${C}/non-unicode/nginx.conf`,
    note: "the stored copy is UTF-8; the Latin-1 byte path is checked separately below",
    tree: [[1, "http", [], [[2, "server", [], [[3, "location", ["/city"], [[5, "return", ["200", "Mölln\n"]]]]]]]]],
  },
  {
    config: `${C}/many-directives/nginx.conf`,
    tree: [
      [
        1,
        "server",
        [],
        [
          [2, "listen", ["443", "ssl"]],
          [3, "ssl_certificate", ["fullchain.pem"]],
          [4, "ssl_certificate_key", ["privite.pem"]],
          [5, "server_name", ["_"]],
          [6, "index", ["index.html"]],
          [7, "root", ["/public"]],
          [8, "charset", ["utf-8"]],
          [9, "expires", ["$expires"]],
        ],
      ],
    ],
  },
  {
    config: `${C}/many-directives/with-blocks.conf`,
    tree: [
      [
        1,
        "server",
        [],
        [
          [
            2,
            "location",
            ["~", "\\d"],
            [
              [3, "image_filter_buffer", ["5M"]],
              [4, "image_filter_interlace", ["on"]],
              [5, "image_filter_jpeg_quality", ["75"]],
            ],
          ],
          [
            6,
            "location",
            ["~", "\\d"],
            [
              [7, "image_filter_buffer", ["5M"]],
              [8, "image_filter_interlace", ["on"]],
              [9, "image_filter_jpeg_quality", ["75"]],
            ],
          ],
        ],
      ],
    ],
  },
  {
    config: `${C}/bad-args/nginx.conf`,
    note: "`user;` is a tokenizer-level valid statement; its argument count is the rules layer's check",
    tree: [
      [1, "user", []],
      [2, "events", [], []],
      [3, "http", [], []],
    ],
  },
  {
    config: `${C}/spelling-mistake/nginx.conf`,
    note: "crossplane fails only in strict mode (unknown directive); directive names are the rules layer's check",
    tree: [
      [1, "events", [], []],
      [3, "http", [], [[4, "server", [], [[5, "location", ["/"], [[7, "proxy_passs", ["http://foo.bar"]]]]]]]],
    ],
  },
];

/** Lua configs: the tree plus, per *_by_lua_block, the raw body crossplane would give as its one argument. */
const luaConfigs: Array<{ config: string; tree: Stmt[]; bodies: Record<string, RegExp> }> = [
  {
    config: `${C}/lua-block/nginx.conf`,
    tree: [
      [1, "events", [], [[2, "worker_connections", ["1024"]]]],
      [
        5,
        "http",
        [],
        [
          [
            6,
            "server",
            [],
            [
              [7, "listen", ["127.0.0.1:8080"]],
              [8, "server_name", ["default_server"]],
              [
                9,
                "location",
                ["/"],
                [
                  [10, "content_by_lua_block", []],
                  [13, "return", ["200", "foo bar baz"]],
                ],
              ],
              [15, "content_by_lua_block", []],
            ],
          ],
        ],
      ],
    ],
    bodies: { "10": /^\n\s+ngx\.say\("I need no extra escaping here, for example: \\r\\nblah"\)\n\s+$/, "15": /^$/ },
  },
  {
    config: `${C}/lua-block-simple/nginx.conf`,
    tree: [
      [
        1,
        "http",
        [],
        [
          [2, "init_by_lua_block", []],
          [5, "init_worker_by_lua_block", []],
          [8, "body_filter_by_lua_block", []],
          [11, "header_filter_by_lua_block", []],
          [
            14,
            "server",
            [],
            [
              [15, "listen", ["127.0.0.1:8080"]],
              [
                16,
                "location",
                ["/"],
                [
                  [17, "content_by_lua_block", []],
                  [20, "return", ["200", "foo bar baz"]],
                ],
              ],
              [22, "ssl_certificate_by_lua_block", []],
              [
                25,
                "location",
                ["/a"],
                [
                  [26, "client_max_body_size", ["100k"]],
                  [27, "client_body_buffer_size", ["100k"]],
                ],
              ],
            ],
          ],
          [
            31,
            "upstream",
            ["foo"],
            [
              [32, "server", ["127.0.0.1"]],
              [33, "balancer_by_lua_block", []],
              [36, "log_by_lua_block", []],
            ],
          ],
        ],
      ],
    ],
    bodies: {
      "2": /^\n\s+print\("Lua block code with curly brace str \{"\)\n\s+$/,
      "33": /^\n\s+-- use Lua that'll do something interesting here\n\s+$/,
    },
  },
  {
    config: `${C}/lua-block-larger/nginx.conf`,
    tree: [
      [
        1,
        "http",
        [],
        [
          [2, "content_by_lua_block", []],
          [19, "access_by_lua_block", []],
        ],
      ],
    ],
    bodies: {
      "2": /^\n\s+ngx\.req\.read_body\(\)[\s\S]*ngx\.say\("no body found"\)\n\s+end\n\s+$/,
      "19": /^\n\s+-- check the client IP[\s\S]*-- tests passed\n\s+$/,
    },
  },
  {
    config: `${C}/lua-block-tricky/nginx.conf`,
    tree: [
      [
        1,
        "http",
        [],
        [
          [
            2,
            "server",
            [],
            [
              [3, "listen", ["127.0.0.1:8080"]],
              [4, "server_name", ["content_by_lua_block"]],
              [5, "set_by_lua_block", ["$res"]],
              [12, "rewrite_by_lua_block", []],
            ],
          ],
          [18, "upstream", ["content_by_lua_block"], []],
        ],
      ],
    ],
    bodies: {
      "5": /^ -- irregular lua block directive\n[\s\S]*return a \+ b;\s+-- return the \$sum value normally\n\s+$/,
      "12": /^ -- have valid braces[\s\S]*btn = iup\.button\(\{title="ok"\}\)\n\s+$/,
    },
  },
];

/** Configs crossplane rejects, with the line it reports. */
const mustFail: Array<{ config: string; errors: Array<{ line: number; message: RegExp; at?: string }>; tree: Stmt[]; note: string }> = [
  {
    config: `${C}/missing-semicolon/broken-above.conf`,
    note: "crossplane: line 4; the broken location keeps its statement here instead of an empty block",
    errors: [{ line: 4, message: /^directive "proxy_pass" is not terminated by ";"$/, at: "proxy_pass http://is.broken.example" }],
    tree: [
      [
        1,
        "http",
        [],
        [
          [
            2,
            "server",
            [],
            [
              [3, "location", ["/is-broken"], [[4, "proxy_pass", ["http://is.broken.example"]]]],
              [6, "location", ["/not-broken"], [[7, "proxy_pass", ["http://not.broken.example"]]]],
            ],
          ],
        ],
      ],
    ],
  },
  {
    config: `${C}/missing-semicolon/broken-below.conf`,
    note: "crossplane: line 7",
    errors: [{ line: 7, message: /^directive "proxy_pass" is not terminated by ";"$/, at: "proxy_pass http://is.broken.example" }],
    tree: [
      [
        1,
        "http",
        [],
        [
          [
            2,
            "server",
            [],
            [
              [3, "location", ["/not-broken"], [[4, "proxy_pass", ["http://not.broken.example"]]]],
              [6, "location", ["/is-broken"], [[7, "proxy_pass", ["http://is.broken.example"]]]],
            ],
          ],
        ],
      ],
    ],
  },
  {
    config: `${C}/quote-behavior/nginx.conf`,
    note: "crossplane parses this; nginx stops at the first character glued after a closing quote. After the error the words split as crossplane splits them",
    errors: [
      { line: 1, message: /^unexpected "-" after a quoted string$/, at: "-" },
      { line: 2, message: /^unexpected "l" after a quoted string$/, at: "l" },
    ],
    tree: [
      [1, "outer-quote", ["left", "-quote", 'right-"quote"', 'inner"-"quote']],
      [2, "", ["", "left-empty", 'right-empty""', 'inner""empty', 'right-empty-single"']],
    ],
  },
];

describe("crossplane configs", { skip }, () => {
  for (const row of mustParse) {
    test(`parses ${row.config}${row.note ? ` (${row.note})` : ""}`, () => {
      const { text, parsed } = parseConfig(row.config);
      assert.deepEqual(errors(parsed.problems), []);
      assert.deepEqual(tree(parsed.directives, () => text, row.view), row.tree);
    });
  }

  for (const row of luaConfigs) {
    test(`parses ${row.config} with raw Lua bodies`, () => {
      const { text, parsed } = parseConfig(row.config);
      assert.deepEqual(parsed.problems, []);
      assert.deepEqual(tree(parsed.directives, () => text), row.tree);
      const bodies = new Map<string, string>();
      const walk = (ds: NginxDirective[]) => {
        for (const d of ds) {
          if (d.rawBody) bodies.set(String(lineOf(text, d.start)), text.slice(d.rawBody.start, d.rawBody.end));
          if (d.block) walk(d.block);
        }
      };
      walk(parsed.directives);
      for (const [line, pattern] of Object.entries(row.bodies)) assert.match(bodies.get(line) ?? "<none>", pattern, `body at line ${line}`);
    });
  }

  for (const row of mustFail) {
    test(`rejects ${row.config}: ${row.note}`, () => {
      const { text, parsed } = parseConfig(row.config);
      const found = errors(parsed.problems);
      assert.equal(found.length, row.errors.length, JSON.stringify(found));
      row.errors.forEach((expected, i) => {
        assert.equal(lineOf(text, found[i].at.start), expected.line);
        assert.match(found[i].message, expected.message);
        if (expected.at) assert.equal(text.slice(found[i].at.start, found[i].at.end), expected.at);
      });
      assert.deepEqual(tree(parsed.directives, () => text), row.tree);
    });
  }

  test("with-comments: comments keep their text (one '#' removed) and lines", () => {
    const { text, parsed } = parseConfig(`${C}/with-comments/nginx.conf`);
    assert.deepEqual(
      parsed.comments.map((c) => [lineOf(text, c.start), c.text]),
      [
        [4, "comment"],
        [7, "listen"],
        [9, "# this is brace"],
        [10, " location /"],
      ],
    );
  });

  test("comments-between-args: comments between the arguments are not arguments", () => {
    const { text, parsed } = parseConfig(`${C}/comments-between-args/nginx.conf`);
    assert.deepEqual(
      parsed.comments.map((c) => [lineOf(text, c.start), c.text]),
      [
        [1, "comment 1"],
        [2, "comment 2"],
        [3, "comment 3"],
        [4, "comment 4"],
        [5, "comment 5"],
      ],
    );
    const logFormat = parsed.directives[0].block?.[0];
    assert.equal(logFormat && lineOf(text, logFormat.end), 6);
  });

  test("messy: values are what nginx sees", () => {
    const { parsed } = parseConfig(`${C}/messy/nginx.conf`);
    const ret = parsed.directives[2].block?.[3].block?.[1];
    assert.equal(ret?.args[1].value, "Ser\" ' ' ver\\ \\ $server_addr:\\$server_port\n\nTime: $time_local\n\n");
  });

  test("non-unicode: a Latin-1 byte decoded as UTF-8 becomes U+FFFD and parses", () => {
    const latin1 = Buffer.from(read(`${C}/non-unicode/nginx.conf`), "latin1");
    const text = new TextDecoder("utf-8").decode(latin1);
    const parsed = parseNginx(text, "nginx.conf");
    assert.deepEqual(parsed.problems, []);
    const ret = parsed.directives[0].block?.[0].block?.[0].block?.[0];
    assert.equal(ret?.args[1].value, "M\ufffdlln\n");
    assert.equal(parsed.comments[0].text, " M\ufffdlln");
  });

  test("cli-test: same tree, lines and args as crossplane's payload.json", () => {
    type Payload = { config: Array<{ parsed: Array<PayloadStmt> }> };
    type PayloadStmt = { directive: string; line: number; args: string[]; block?: PayloadStmt[] };
    const payload = JSON.parse(read(`${C}/cli-test/payload.json`)) as Payload;
    const toStmt = (s: PayloadStmt): Stmt => (s.block ? [s.line, s.directive, s.args, s.block.map(toStmt)] : [s.line, s.directive, s.args]);
    const { text, parsed } = parseConfig(`${C}/cli-test/nginx.conf`);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(tree(parsed.directives, () => text), payload.config[0].parsed.map(toStmt));
  });

  test("includes-globbed: globs resolve against the main file's directory, sorted; not-included.conf is never read", () => {
    // The index stored nginx.conf, http.conf and locations/location1.conf only under relative-includes/.
    const g = `${C}/includes-globbed`;
    const r = `${C}/relative-includes`;
    const h = host({
      "nginx.conf": `${r}/nginx.conf`,
      "http.conf": `${r}/http.conf`,
      "locations/location1.conf": `${r}/locations/location1.conf`,
      "locations/location2.conf": `${g}/locations/location2.conf`,
      "servers/server1.conf": `${g}/servers/server1.conf`,
      "servers/server2.conf": `${g}/servers/server2.conf`,
      "servers/locations/not-included.conf": `${g}/servers/locations/not-included.conf`,
    });
    const config = loadNginxConfig("nginx.conf", h);
    assert.deepEqual(config.problems, []);
    assert.ok(!h.reads.includes("servers/locations/not-included.conf"));
    const locations: Stmt[] = [
      [1, "location", ["/foo"], [[2, "return", ["200", "foo"]]]],
      [1, "location", ["/bar"], [[2, "return", ["200", "bar"]]]],
    ];
    assert.deepEqual(tree(config.directives, textsOf(config, h)), [
      [1, "events", [], []],
      [
        1,
        "http",
        [],
        [
          [1, "server", [], [[2, "listen", ["8080"]], ...locations]],
          [1, "server", [], [[2, "listen", ["8081"]], ...locations]],
        ],
      ],
    ]);
    // crossplane's includes indexes [1], [2,3], [4,5]: the servers share the same included files
    assert.deepEqual(
      config.includes.map((i) => [i.directive.file, i.resolved]),
      [
        ["nginx.conf", ["http.conf"]],
        ["http.conf", ["servers/server1.conf", "servers/server2.conf"]],
        ["servers/server1.conf", ["locations/location1.conf", "locations/location2.conf"]],
        ["servers/server2.conf", ["locations/location1.conf", "locations/location2.conf"]],
      ],
    );
    assert.deepEqual([...config.files.keys()].sort(), [
      "http.conf",
      "locations/location1.conf",
      "locations/location2.conf",
      "nginx.conf",
      "servers/server1.conf",
      "servers/server2.conf",
    ]);
  });

  test("relative-includes: top-level include of http.conf; an empty glob is accepted", () => {
    const r = `${C}/relative-includes`;
    const h = host({
      "nginx.conf": `${r}/nginx.conf`,
      "http.conf": `${r}/http.conf`,
      "locations/location1.conf": `${r}/locations/location1.conf`,
    });
    const config = loadNginxConfig("nginx.conf", h);
    assert.deepEqual(config.problems, []);
    assert.deepEqual(tree(config.directives, textsOf(config, h)), [
      [1, "events", [], []],
      [1, "http", [], []],
    ]);
  });

  test("includes-regular: missing bar.conf is reported at line 5 of conf.d/server.conf (info here, a failure in crossplane)", () => {
    // nginx.conf and foo.conf were deduplicated away by the index: nginx.conf is the older
    // includes-regular-combined/nginx.conf and foo.conf is relative-includes' location1.conf.
    const h = host({
      "nginx.conf": "older/060522b/tests/configs/includes-regular-combined/nginx.conf",
      "conf.d/server.conf": `${C}/includes-regular/conf.d/server.conf`,
      "foo.conf": `${C}/relative-includes/locations/location1.conf`,
    });
    const config = loadNginxConfig("nginx.conf", h);
    const problem = config.problems.find((p) => p.message.includes("bar.conf"));
    assert.ok(problem, JSON.stringify(config.problems));
    assert.equal(problem.severity, "info");
    assert.equal(problem.at.file, "conf.d/server.conf");
    assert.equal(lineOf(textsOf(config, h)("conf.d/server.conf"), problem.at.start), 5);
    assert.equal(config.problems.length, 1);
    assert.deepEqual(tree(config.directives, textsOf(config, h)), [
      [1, "events", [], []],
      [
        2,
        "http",
        [],
        [
          [
            1,
            "server",
            [],
            [
              [2, "listen", ["127.0.0.1:8080"]],
              [3, "server_name", ["default_server"]],
              [1, "location", ["/foo"], [[2, "return", ["200", "foo"]]]],
            ],
          ],
        ],
      ],
    ]);
    assert.deepEqual(
      config.includes.map((i) => [i.directive.args[0].value, i.resolved]),
      [
        ["conf.d/server.conf", ["conf.d/server.conf"]],
        ["foo.conf", ["foo.conf"]],
        ["bar.conf", []],
      ],
    );
  });

  test("includes-regular-combined (older): foo.conf spliced before /A and /B; bar.conf missing at line 14", () => {
    const h = host({
      "nginx.conf": "older/060522b/tests/configs/includes-regular-combined/nginx.conf",
      "conf.d/server.conf": `${C}/includes-regular-combined/conf.d/server.conf`,
      "foo.conf": `${C}/relative-includes/locations/location1.conf`,
    });
    const config = loadNginxConfig("nginx.conf", h);
    const problem = only(config.problems);
    assert.equal(problem.severity, "info");
    assert.equal(problem.at.file, "conf.d/server.conf");
    assert.equal(lineOf(textsOf(config, h)("conf.d/server.conf"), problem.at.start), 14);
    const server = config.directives[1].block?.[0];
    assert.deepEqual(
      server?.block?.map((d) => [d.file, d.name, d.args.map((a) => a.value)]),
      [
        ["conf.d/server.conf", "listen", ["127.0.0.1:8080"]],
        ["conf.d/server.conf", "server_name", ["default_server"]],
        ["foo.conf", "location", ["/foo"]],
        ["conf.d/server.conf", "location", ["/A"]],
        ["conf.d/server.conf", "location", ["/B"]],
      ],
    );
  });

  test("includes-regular-combined (newer): the statement after an include keeps its own file and line", () => {
    const d = `${C}/includes-regular-combined`;
    const h = host({ "nginx.conf": `${d}/nginx.conf`, "server.conf": `${d}/server.conf`, "conf.d/server.conf": `${d}/conf.d/server.conf` });
    const config = loadNginxConfig("nginx.conf", h);
    assert.deepEqual(config.problems, []);
    const http = config.directives[1].block ?? [];
    assert.deepEqual(
      http.map((s) => [s.file, lineOf(textsOf(config, h)(s.file), s.start), s.name]),
      [
        ["server.conf", 1, "server"],
        ["nginx.conf", 4, "default_type"],
      ],
    );
  });

  test("every stored config is covered by this table", () => {
    const covered = new Set([...mustParse, ...luaConfigs, ...mustFail].map((row) => row.config));
    const byIncludeTests = ["includes-globbed", "includes-regular", "includes-regular-combined", "relative-includes", "cli-test"];
    const stored: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name.endsWith(".conf")) stored.push(path.relative(corpus, full));
      }
    };
    walk(path.join(corpus, "tests"));
    const missing = stored.filter((c) => !covered.has(c) && !byIncludeTests.some((dir) => c.startsWith(`${C}/${dir}/`)));
    assert.deepEqual(missing, []);
  });
});

function only<T>(items: T[]): T {
  assert.equal(items.length, 1, `expected exactly one item, got ${items.length}`);
  return items[0];
}
