// Headroom's nginx parser and its header inheritance against gixy's plugin fixtures (yandex/gixy,
// tests/plugins/simply/, a sample in ../shared/corpus/peers/gixy/; the README there gives each
// file's expectation). gixy is a security linter and Headroom a capacity linter, so what carries
// over is limited and this suite checks only that:
//
// - Parsing. gixy's fixtures are fragments: bare directives at top level, a top-level `location`
//   or `if`, no trailing newline, an `if` with an empty body, a quoted value over three lines.
//   Every one parses with no problem, and the tree (line, directive, values as nginx reads them:
//   quotes removed, `\.` and `\/` kept, named captures `(?P<x>...)` intact) is written out below.
//   The whole audit reports nothing on any of them: none of gixy's findings is about capacity.
// - Inheritance. add_header_redefinition fires when a level's add_header silently drops the headers
//   of the level around it: nginx inherits add_header "if and only if there are no add_header
//   directives defined on the current level". proxy_set_header follows the same rule, which the
//   model applies with headersAtLevel (it takes the directive's name; the model reads no add_header
//   itself). Walked over gixy's levels (server, location, if) with "add_header",
//   it must drop X-Frame-Options exactly where gixy fires, once per firing file, and never in an
//   `_fp` file. (nginx accepts add_header in "if in location" only, as `nginx -t` says for a
//   server-level `if`; gixy reads its fragments as the inside of a server, so if_replaces.conf is
//   read here as if it sat in a location. proxy_set_header is not allowed in `if` at all; proxy_pass
//   is, and the model gives it its location's proxy_set_header list.)
//
// No gixy code is used; the configs are read from the shared corpus. The suite skips with a
// message when the corpus is absent, as every corpus-reading suite does (README, Tests):
// HEADROOM_REQUIRE_E2E=1 is about real tools and editors, and the corpus is not in the repository.

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import {
  headersAtLevel,
  type ProxyHeader,
} from "../../server/src/engine/model/nginx.ts";
import {
  type NginxDirective,
  parseNginx,
} from "../../server/src/engine/parse/nginx.ts";
import { LineIndex } from "../../server/src/engine/types.ts";
import { memoryHost } from "../helpers/memory-host.ts";

const repoRoot = path.resolve(__dirname, "..", "..");
const simply = path.resolve(
  repoRoot,
  "..",
  "shared",
  "corpus",
  "peers",
  "gixy",
  "tests",
  "plugins",
  "simply",
);
const skip = existsSync(simply) ? false : `gixy corpus absent (${simply})`;

const read = (config: string) =>
  readFileSync(path.join(simply, config), "utf8");

/** [line, directive, values, block?] */
type Stmt = [number, string, string[], Stmt[]?];

function tree(directives: NginxDirective[], lines: LineIndex): Stmt[] {
  return directives.map((d) => {
    const line = lines.position(d.start).line + 1;
    const args = d.args.map((a) => a.value);
    return d.block
      ? [line, d.name, args, tree(d.block, lines)]
      : [line, d.name, args];
  });
}

const xfo = (line: number): Stmt => [
  line,
  "add_header",
  ["X-Frame-Options", "DENY", "always"],
];

/** Every stored config, with the tree Headroom reads (values as nginx sees them). */
const configs: Record<string, Stmt[]> = {
  "add_header_multiline/add_header.conf": [
    [
      1,
      "add_header",
      [
        "Content-Security-Policy",
        "\n    default-src: 'none';\n    font-src data: https://yastatic.net;",
      ],
    ],
  ],
  "add_header_multiline/add_header_fp.conf": [
    [1, "add_header", ["X-Foo", "foo"]],
  ],
  "add_header_redefinition/duplicate_fp.conf": [
    [
      1,
      "http",
      [],
      [
        xfo(2),
        [
          3,
          "server",
          [],
          [
            [
              4,
              "location",
              ["/new-headers"],
              [xfo(5), [6, "add_header", ["X-Foo", "foo"]]],
            ],
          ],
        ],
      ],
    ],
  ],
  "add_header_redefinition/if_replaces.conf": [
    xfo(1),
    [3, "if", ["(1)"], [[4, "add_header", ["X-Foo", "foo"]]]],
  ],
  "add_header_redefinition/location_replaces.conf": [
    xfo(1),
    [3, "location", ["/new-headers"], [[4, "add_header", ["X-Foo", "foo"]]]],
  ],
  "add_header_redefinition/nested_block.conf": [
    [
      1,
      "server",
      [],
      [
        xfo(2),
        [
          3,
          "location",
          ["/"],
          [
            [4, "location", ["/some"], [xfo(5)]],
            [
              8,
              "location",
              ["/another"],
              [[9, "add_header", ["X-Foo", "foo"]]],
            ],
          ],
        ],
      ],
    ],
  ],
  "alias_traversal/simple.conf": [
    [1, "location", ["/files"], [[2, "alias", ["/home/"]]]],
  ],
  "alias_traversal/simple_fp.conf": [
    [1, "location", ["/files/"], [[2, "alias", ["/home/"]]]],
  ],
  "force_https/return.conf": [[1, "return", ["301", "http://some.yandex.ru/"]]],
  "force_https/simple_fp.conf": [
    [1, "rewrite", ["^", "https://some.yandex.ru/", "permanent"]],
    [2, "return", ["301", "https://some.yandex.ru/"]],
  ],
  "host_spoofing/http_fp.conf": [[1, "proxy_set_header", ["Host", "$host"]]],
  "host_spoofing/http_host.conf": [
    [1, "proxy_set_header", ["Host", "$http_host"]],
  ],
  "http_splitting/proxy_pass_cr_fp.conf": [
    [
      1,
      "location",
      ["~*", "^/test/(.*)"],
      [[2, "proxy_pass", ["http://10.10.10.10/$1"]]],
    ],
  ],
  "http_splitting/proxy_pass_lf.conf": [
    [
      1,
      "location",
      ["~*", "^/test/([^/]+)/"],
      [[2, "proxy_pass", ["http://10.10.10.10/$1"]]],
    ],
  ],
  "http_splitting/return_403_fp.conf": [[1, "return", ["403"]]],
  "http_splitting/rewrite_uri.conf": [[1, "rewrite", ["^", "http://some$uri"]]],
  // nginx keeps a backslash before anything but " ' \ n t r: the regex reaches PCRE as written.
  "origins/origin.conf": [
    [1, "if", ["($http_origin", "!~", "^https?:\\/\\/yandex.ru\\/", ")"], []],
  ],
  "origins/origin_fp.conf": [
    [1, "if", ["($http_origin", "!~", "^https?:\\/\\/yandex\\.ru\\/", ")"], []],
  ],
  "ssrf/have_internal_fp.conf": [
    [
      1,
      "location",
      ["/proxy/"],
      [
        [2, "internal", []],
        [3, "proxy_pass", ["$arg_some"]],
      ],
    ],
  ],
  "ssrf/single_var.conf": [
    [
      1,
      "location",
      ["~", "/proxy/(?P<proxy>.*)$"],
      [[2, "proxy_pass", ["$proxy"]]],
    ],
  ],
  "ssrf/vars_from_loc.conf": [
    [
      1,
      "location",
      ["~", "/proxy/(.*)/(.*)/(.*)$"],
      [
        [2, "set", ["$scheme", "$1"]],
        [3, "set", ["$host", "$2"]],
        [4, "set", ["$path", "$3"]],
        [5, "proxy_pass", ["$scheme://$host/$path"]],
      ],
    ],
  ],
  "valid_referers/none_first.conf": [
    [1, "valid_referers", ["none", "server_names", "*.webvisor.com"]],
  ],
  "valid_referers/wo_none_fp.conf": [
    [
      1,
      "valid_referers",
      ["server_names", "foo.com", "bar.com", "*.none.com", "none.ru"],
    ],
  ],
};

/** Blocks that are configuration levels for add_header (nginx merges each from the one around it). */
const LEVELS = new Set(["http", "server", "location", "if"]);

interface Dropped {
  /** line of the level that drops headers */
  line: number;
  names: string[];
}

/** Walks the levels of a fragment (its top level is a server's inside) and lists where add_header drops inherited headers. */
function droppedHeaders(
  directives: NginxDirective[],
  lines: LineIndex,
): Dropped[] {
  const dropped: Dropped[] = [];
  const walk = (level: NginxDirective[], inherited: ProxyHeader[]) => {
    for (const d of level) {
      if (!d.block || !LEVELS.has(d.name)) continue;
      const here = headersAtLevel(d.block, "add_header", inherited);
      if (here.own) {
        const kept = new Set(here.list.map((h) => h.name.toLowerCase()));
        const names = [
          ...new Set(inherited.map((h) => h.name.toLowerCase())),
        ].filter((n) => !kept.has(n));
        if (names.length > 0)
          dropped.push({ line: lines.position(d.start).line + 1, names });
      }
      walk(d.block, here.list);
    }
  };
  walk(
    [
      {
        name: "server",
        nameSpan: { start: 0, end: 0 },
        args: [],
        start: 0,
        end: 0,
        block: directives,
        file: "",
      },
    ],
    [],
  );
  return dropped;
}

describe("gixy configs", { skip }, () => {
  if (skip) return;

  for (const [config, expected] of Object.entries(configs)) {
    test(`parses ${config} as nginx reads it`, () => {
      const text = read(config);
      const parsed = parseNginx(text, config);
      assert.deepEqual(parsed.problems, []);
      assert.deepEqual(tree(parsed.directives, new LineIndex(text)), expected);
    });
  }

  test("fragment shapes: no trailing newline, an empty if body, a quoted value across three lines", () => {
    const noNewline = Object.keys(configs).filter(
      (c) => !read(c).endsWith("\n"),
    );
    assert.ok(
      noNewline.length >= 10,
      `expected many files without a trailing newline, got ${noNewline.join(", ")}`,
    );
    for (const config of noNewline) {
      const text = read(config);
      const parsed = parseNginx(text, config);
      // The last statement ends at the last byte: nothing is lost or left open at the end of the text.
      assert.equal(parsed.directives.at(-1)?.end, text.length, config);
    }
    const text = read("origins/origin.conf");
    const empty = parseNginx(text, "origin.conf").directives[0];
    assert.deepEqual(empty.block, []);
    assert.equal(
      text.slice(empty.blockSpan?.start, empty.blockSpan?.end),
      "{\n\n}",
    );
    const multiline = read("add_header_multiline/add_header.conf");
    const value = parseNginx(multiline, "add_header.conf").directives[0]
      .args[1];
    assert.equal(multiline.slice(value.start, value.end).split("\n").length, 3);
    assert.ok(value.quoted);
  });

  test("every stored config is in the table", () => {
    const stored = readdirSync(simply).flatMap((plugin) =>
      readdirSync(path.join(simply, plugin))
        .filter((f) => f.endsWith(".conf"))
        .map((f) => `${plugin}/${f}`),
    );
    assert.deepEqual(stored.sort(), Object.keys(configs).sort());
  });

  test("add_header_redefinition: headersAtLevel drops X-Frame-Options exactly where gixy fires", () => {
    const folder = "add_header_redefinition";
    const expected: Record<string, Dropped[]> = {
      "if_replaces.conf": [{ line: 3, names: ["x-frame-options"] }],
      "location_replaces.conf": [{ line: 3, names: ["x-frame-options"] }],
      // `/some` repeats the header; `location /` has none of its own and passes it down to `/another`, which drops it.
      "nested_block.conf": [{ line: 8, names: ["x-frame-options"] }],
      "duplicate_fp.conf": [],
    };
    const files = readdirSync(path.join(simply, folder)).filter((f) =>
      f.endsWith(".conf"),
    );
    assert.deepEqual(files.sort(), Object.keys(expected).sort());
    for (const file of files) {
      const text = read(`${folder}/${file}`);
      const dropped = droppedHeaders(
        parseNginx(text, file).directives,
        new LineIndex(text),
      );
      assert.deepEqual(dropped, expected[file], file);
      // gixy's convention: a file fires exactly once, an `_fp` file never.
      assert.equal(dropped.length, file.endsWith("_fp.conf") ? 0 : 1, file);
    }
  });

  test("the same rule on proxy_set_header: a level with its own keeps only its own", () => {
    const text =
      'proxy_set_header Host $host;\nproxy_set_header X-Real-IP $remote_addr;\nlocation / {\n  proxy_set_header Connection "";\n}\nlocation /b {\n  proxy_pass http://b;\n}\n';
    const top = parseNginx(text, "proxy.conf").directives;
    const [own, passes] = top.slice(2).map((location) => location.block ?? []);
    const outer = headersAtLevel(top, "proxy_set_header", []);
    assert.deepEqual(
      outer.list.map((h) => [h.name, h.value]),
      [
        ["Host", "$host"],
        ["X-Real-IP", "$remote_addr"],
      ],
    );
    const replaced = headersAtLevel(own, "proxy_set_header", outer.list);
    assert.deepEqual(
      [replaced.own, replaced.list.map((h) => [h.name, h.value])],
      [true, [["Connection", ""]]],
    );
    const inherited = headersAtLevel(passes, "proxy_set_header", outer.list);
    assert.deepEqual([inherited.own, inherited.list], [false, outer.list]);
    // The directive name matters: add_header on the same level does not replace proxy_set_header.
    assert.equal(
      headersAtLevel(
        parseNginx("add_header X-Foo foo;", "a.conf").directives,
        "proxy_set_header",
        outer.list,
      ).own,
      false,
    );
  });

  test("the whole audit reports nothing on any gixy config (none of its plugins is about capacity)", () => {
    for (const config of Object.keys(configs)) {
      // As a conf.d fragment (read as the inside of http) and as an nginx.conf of its own.
      for (const name of ["nginx/conf.d/default.conf", "nginx.conf"]) {
        const result = audit(memoryHost({ [name]: read(config) }));
        assert.deepEqual(
          result.findings.map((f) => `${f.rule}: ${f.message}`),
          [],
          `${config} as ${name}`,
        );
      }
    }
  });
});
