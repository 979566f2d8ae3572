// The nginx grammar run by the engine VS Code itself uses (vscode-textmate with the Oniguruma regex
// library, vscode-oniguruma's WebAssembly build) over sample files: the editor workspace, every nginx
// fixture and example, and the nginx configs of the shared corpus (skipped with a message when absent).
// test/unit/grammar.test.ts checks the grammar's structure; this checks what a person sees.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { before, describe, it } from "node:test";
import * as oniguruma from "vscode-oniguruma";
import { INITIAL, type IGrammar, Registry, parseRawGrammar } from "vscode-textmate";
import { fileKind } from "../../server/src/engine/model/build.ts";

const repo = join(__dirname, "..", "..");
const corpus = join(repo, "..", "shared", "corpus");
const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  contributes: { grammars: Array<{ language: string; scopeName: string; path: string }> };
};
const contributed = manifest.contributes.grammars.find((g) => g.language === "nginx");

function nginxFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d).sort()) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      // A conf.d/*.conf that holds supervisord's sections (`[program:x]`) is nginx's by name only.
      else if (fileKind(relative(dir, path)) === "nginx" && !/^\s*\[/.test(readFileSync(path, "utf8").replace(/^\s*[;#].*$/gm, ""))) out.push(path);
    }
  };
  walk(dir);
  return out;
}

interface Token {
  text: string;
  scopes: string[];
}

function tokenize(grammar: IGrammar, text: string): { lines: Token[][]; endDepth: number } {
  let state = INITIAL;
  const lines: Token[][] = [];
  for (const line of text.split(/\r?\n/)) {
    const result = grammar.tokenizeLine(line, state);
    lines.push(result.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes })));
    state = result.ruleStack;
  }
  return { lines, endDepth: state.depth };
}

const scopeOf = (tokens: Token[], text: string): string[] | undefined => tokens.find((t) => t.text === text)?.scopes;

describe("nginx grammar under vscode-textmate + Oniguruma", () => {
  let grammar: IGrammar;

  before(async () => {
    assert.ok(contributed, "package.json contributes an nginx grammar");
    const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
        createOnigString: (s: string) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async (scopeName: string) => {
        if (scopeName !== contributed.scopeName) return null;
        const path = join(repo, contributed.path);
        return parseRawGrammar(readFileSync(path, "utf8"), path);
      },
    });
    const loaded = await registry.loadGrammar(contributed.scopeName);
    assert.ok(loaded, `grammar ${contributed.scopeName} loads`);
    grammar = loaded;
  });

  it("scopes the editor workspace's nginx.conf as a person expects", () => {
    const { lines, endDepth } = tokenize(grammar, readFileSync(join(repo, "test", "e2e", "workspace", "nginx.conf"), "utf8"));
    const line = (n: number) => lines[n - 1];
    assert.ok(scopeOf(line(1), "worker_processes")?.includes("keyword.other.directive.nginx"), JSON.stringify(line(1)));
    assert.ok(scopeOf(line(5), "4096")?.includes("constant.numeric.nginx"), JSON.stringify(line(5)));
    assert.ok(scopeOf(line(4), "{")?.includes("punctuation.section.block.begin.nginx"), JSON.stringify(line(4)));
    assert.ok(scopeOf(line(10), "server")?.includes("meta.block.nginx"), "inside upstream { }");
    assert.ok(scopeOf(line(19), "$host")?.includes("variable.other.nginx"), JSON.stringify(line(19)));
    assert.ok(scopeOf(line(19), "proxy_set_header")?.includes("keyword.other.directive.nginx"));
    assert.equal(endDepth, 1, "every block closed at the end of the file");
  });

  it("scopes comments, strings with variables, and on/off", () => {
    const { lines } = tokenize(grammar, 'gzip on; # compress\nlog_format main "$remote_addr ${request_id}";\n');
    assert.ok(scopeOf(lines[0], "on")?.includes("constant.language.boolean.nginx"));
    assert.ok(lines[0].some((t) => t.text.includes("compress") && t.scopes.includes("comment.line.number-sign.nginx")));
    assert.ok(scopeOf(lines[1], "$remote_addr")?.includes("string.quoted.double.nginx"));
    assert.ok(scopeOf(lines[1], "$remote_addr")?.includes("variable.other.nginx"));
    assert.ok(scopeOf(lines[1], "${request_id}")?.includes("variable.other.nginx"));
  });

  // Cases the corpus showed the grammar getting wrong: each one used to leave the rest of the file mis-scoped.
  it("handles quoted map keys, quotes and # inside words, escapes and Lua blocks like nginx's tokenizer", () => {
    const text = [
      "map $http_user_agent $mobile {",
      "    '~Opera Mini' 1;",
      "}",
      'log_format x inner"-"quote a#b;',
      "location /\\{\\;\\} {}",
      "content_by_lua_block {",
      '    print("brace { in a Lua string") -- and } in a comment',
      "}",
      "gzip on;",
    ].join("\n");
    const { lines, endDepth } = tokenize(grammar, text);
    assert.ok(scopeOf(lines[1], "~Opera Mini")?.includes("string.quoted.single.nginx"), JSON.stringify(lines[1]));
    assert.ok(!lines[3].some((t) => t.scopes.some((s) => s.startsWith("string.") || s.startsWith("comment."))), JSON.stringify(lines[3]));
    assert.ok(lines[4].filter((t) => t.scopes.includes("constant.character.escape.nginx")).length === 3, JSON.stringify(lines[4]));
    assert.ok(scopeOf(lines[5], "content_by_lua_block")?.includes("keyword.other.directive.nginx"));
    assert.ok(lines[6].some((t) => t.text.includes("brace {") && t.scopes.includes("string.quoted.double.lua.nginx")), JSON.stringify(lines[6]));
    assert.ok(scopeOf(lines[8], "gzip")?.includes("keyword.other.directive.nginx"), "back to nginx after the Lua block");
    assert.deepEqual(scopeOf(lines[8], "gzip"), ["source.nginx", "meta.directive.nginx", "keyword.other.directive.nginx"]);
    assert.equal(endDepth, 1);
  });

  const samples = [
    ...nginxFiles(join(repo, "test", "fixtures")),
    ...nginxFiles(join(repo, "examples")),
    join(repo, "test", "e2e", "workspace", "nginx.conf"),
  ];
  it(`returns to the top level at the end of each of the ${samples.length} fixture and example nginx files`, () => {
    assert.ok(samples.length >= 10, `${samples.length} samples`);
    for (const file of samples) {
      const { endDepth } = tokenize(grammar, readFileSync(file, "utf8"));
      assert.equal(endDepth, 1, relative(repo, file));
    }
  });

  let corpusFiles: string[] = [];
  try {
    corpusFiles = nginxFiles(corpus);
  } catch {
    // no corpus beside the clone
  }
  it(`tokenizes the corpus's ${corpusFiles.length} nginx configs, each back at the top level at its end`, { skip: corpusFiles.length === 0 ? `corpus not found at ${corpus}` : false }, () => {
    const unbalanced: string[] = [];
    for (const file of corpusFiles) {
      const { endDepth } = tokenize(grammar, readFileSync(file, "latin1"));
      if (endDepth !== 1) unbalanced.push(relative(corpus, file));
    }
    assert.deepEqual(unbalanced, []);
  });
});
