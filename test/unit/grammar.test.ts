// The nginx TextMate grammar and language configuration: structure, references, and regexes.
//
// VS Code runs TextMate regexes with Oniguruma; vscode-textmate/vscode-oniguruma are not installed here,
// so the regexes are compiled with JS RegExp instead. The two dialects overlap for what this grammar uses
// (classes, lookahead, lookbehind, \b, \w, \d), but Oniguruma-only syntax (\h, \A, \G, \Z, possessive
// quantifiers, (?i) inline flags, \p{...} without the u flag) would fail here although valid there, and
// `$` means end of line in Oniguruma but end of input in JS: the sample matches below are single lines.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

const repo = join(__dirname, "..", "..");

interface Rule {
  include?: string;
  match?: string;
  begin?: string;
  end?: string;
  while?: string;
  name?: string;
  contentName?: string;
  captures?: Record<string, { name?: string; patterns?: Rule[] }>;
  beginCaptures?: Record<string, { name?: string; patterns?: Rule[] }>;
  endCaptures?: Record<string, { name?: string; patterns?: Rule[] }>;
  patterns?: Rule[];
  repository?: Record<string, Rule>;
}
interface Grammar extends Rule {
  scopeName: string;
  patterns: Rule[];
}

const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  contributes: { grammars: Array<{ language: string; scopeName: string; path: string }>; languages: Array<{ id: string; configuration?: string }> };
};
const contributed = manifest.contributes.grammars.find((g) => g.language === "nginx");
const grammarPath = join(repo, contributed?.path ?? "syntaxes/nginx.tmLanguage.json");
const grammar = JSON.parse(readFileSync(grammarPath, "utf8")) as Grammar;

/** Every rule of the grammar with a path for messages, including rules nested in captures. */
function walk(rule: Rule, path: string, out: Array<{ rule: Rule; path: string }>): void {
  out.push({ rule, path });
  for (const [i, r] of (rule.patterns ?? []).entries()) walk(r, `${path}.patterns[${i}]`, out);
  for (const key of ["captures", "beginCaptures", "endCaptures"] as const) {
    for (const [n, c] of Object.entries(rule[key] ?? {})) {
      for (const [i, r] of (c.patterns ?? []).entries()) walk(r, `${path}.${key}.${n}.patterns[${i}]`, out);
    }
  }
  for (const [name, r] of Object.entries(rule.repository ?? {})) walk(r, `${path}.repository.${name}`, out);
}
const rules: Array<{ rule: Rule; path: string }> = [];
walk(grammar, "grammar", rules);

function groupCount(source: string): number {
  return (new RegExp(`${source}|`).exec("")?.length ?? 1) - 1;
}

function compile(rule: "match" | "begin" | "end" | "while", name: string): RegExp {
  const r = grammar.repository?.[name]?.[rule];
  assert.ok(r, `repository.${name}.${rule}`);
  return new RegExp(r);
}

describe("nginx TextMate grammar", () => {
  it("is the grammar package.json contributes, with a scopeName and top-level patterns", () => {
    assert.ok(contributed, "package.json contributes a grammar for nginx");
    assert.equal(grammar.scopeName, contributed.scopeName);
    assert.match(grammar.scopeName, /^source\.[a-z]+$/);
    assert.ok(Array.isArray(grammar.patterns) && grammar.patterns.length > 0, "top-level patterns");
  });

  it("every rule is one of include / match / begin+end, and every include resolves", () => {
    const repository = grammar.repository ?? {};
    for (const { rule, path } of rules) {
      if (path === "grammar" || /\.repository\.[^.]+$/.test(path)) {
        // The grammar root and repository entries may be pattern containers.
        if (!rule.match && !rule.begin && !rule.include) {
          assert.ok(Array.isArray(rule.patterns) || rule.repository, `${path}: a container needs patterns`);
          continue;
        }
      }
      if (rule.include !== undefined) {
        const inc = rule.include;
        if (inc === "$self" || inc === "$base") continue;
        assert.ok(inc.startsWith("#"), `${path}: include ${inc} (external grammars are not expected here)`);
        assert.ok(Object.hasOwn(repository, inc.slice(1)), `${path}: include ${inc} has no repository entry`);
        continue;
      }
      if (rule.begin !== undefined) {
        assert.ok(rule.end !== undefined || rule.while !== undefined, `${path}: begin without end/while`);
        continue;
      }
      assert.ok(rule.match !== undefined || Array.isArray(rule.patterns), `${path}: neither match, begin nor patterns`);
    }
  });

  it("every regex compiles as a JS RegExp and captures refer to existing groups", () => {
    let compiled = 0;
    for (const { rule, path } of rules) {
      for (const key of ["match", "begin", "end", "while"] as const) {
        const source = rule[key];
        if (source === undefined) continue;
        assert.doesNotThrow(() => new RegExp(source), `${path}.${key}: ${source}`);
        compiled++;
      }
      const groups = (source: string | undefined) => (source === undefined ? 0 : groupCount(source));
      const checks: Array<[string, Rule["captures"], number]> = [
        // On a begin/end rule, plain `captures` applies to both regexes.
        ["captures", rule.captures, rule.match !== undefined ? groups(rule.match) : Math.max(groups(rule.begin), groups(rule.end))],
        ["beginCaptures", rule.beginCaptures, groups(rule.begin)],
        ["endCaptures", rule.endCaptures, groups(rule.end)],
      ];
      for (const [key, captures, limit] of checks) {
        for (const n of Object.keys(captures ?? {})) {
          assert.match(n, /^\d+$/, `${path}.${key}: capture key ${n}`);
          assert.ok(Number(n) <= limit, `${path}.${key}: capture ${n} but the regex has ${limit} group(s)`);
        }
      }
    }
    assert.ok(compiled > 5, `compiled ${compiled} regexes`);
  });

  it("every scope name is a dotted name ending in .nginx", () => {
    for (const { rule, path } of rules) {
      // The root's `name` is the grammar's display name, not a scope.
      const scopes = path === "grammar" ? [] : [rule.name, rule.contentName];
      for (const name of scopes) if (name !== undefined) assert.match(name, /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*\.nginx$/, path);
      for (const key of ["captures", "beginCaptures", "endCaptures"] as const) {
        for (const [n, c] of Object.entries(rule[key] ?? {})) if (c.name !== undefined) assert.match(c.name, /\.nginx$/, `${path}.${key}.${n}`);
      }
    }
  });

  // Single-line samples for the main rules (JS semantics; see the header).
  it("matches directive names, variables, sizes and comments on sample lines", () => {
    const directive = compile("begin", "directive");
    assert.equal(directive.exec("worker_processes 4;")?.[1], "worker_processes");
    assert.equal(directive.exec("    proxy_pass http://app;")?.[1], "proxy_pass");
    assert.equal(directive.exec("location / {")?.[1], "location");
    assert.equal(directive.exec("$var")?.[1], undefined, "a variable is not a directive");

    const comment = compile("match", "comment");
    assert.equal(comment.exec("listen 80; # default")?.[0], "# default");

    const variables = (grammar.repository?.variable?.patterns ?? []).map((p) => new RegExp(p.match ?? ""));
    assert.ok(variables.some((v) => v.exec("proxy_set_header Host $host;")?.[0] === "$host"));
    assert.ok(variables.some((v) => v.exec('return 200 "${request_id}";')?.[0] === "${request_id}"));

    const size = compile("match", "size");
    assert.equal(size.exec("client_max_body_size 10m;")?.[0], "10m");
    assert.equal(size.exec("keepalive_timeout 65s;")?.[0], "65s");
    assert.equal(size.exec("proxy_pass http://127.0.0.1:8000;"), null, "no number inside an address");
    assert.equal(size.exec("server unix:/tmp/app.sock;"), null);
  });
});

describe("nginx language configuration", () => {
  const language = manifest.contributes.languages.find((l) => l.id === "nginx");
  const config = JSON.parse(readFileSync(join(repo, language?.configuration ?? "syntaxes/nginx.language-configuration.json"), "utf8")) as {
    comments?: { lineComment?: string };
    indentationRules?: Record<string, string>;
  };

  it("declares # comments and indentation regexes that compile", () => {
    assert.equal(config.comments?.lineComment, "#");
    const rules = config.indentationRules ?? {};
    const increase = new RegExp(rules.increaseIndentPattern ?? "");
    const decrease = new RegExp(rules.decreaseIndentPattern ?? "");
    assert.ok(increase.test("server {"));
    assert.ok(!increase.test("server { listen 80; }"));
    assert.ok(decrease.test("    }"));
  });
});
