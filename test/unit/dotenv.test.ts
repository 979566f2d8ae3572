import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type Dotenv, parseDotenv } from "../../server/src/engine/parse/dotenv.ts";

function repoRoot(): string {
  let dir = process.cwd();
  while (!existsSync(path.join(dir, "server", "src", "engine")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const corpus = path.resolve(repoRoot(), "..", "shared", "corpus", "real", "env");

const values = (env: Dotenv) => Object.fromEntries([...env.vars].map(([key, fact]) => [key, fact.value]));
/** The text each value's `at` covers. */
const spans = (text: string, env: Dotenv) => Object.fromEntries([...env.vars].map(([key, fact]) => [key, text.slice(fact.at?.start, fact.at?.end)]));

describe(".env", () => {
  test("plain, exported, quoted and empty values with exact spans", () => {
    const text = [
      "# comment",
      "A=1",
      "export B=two words",
      "C='single $A \\n'",
      'D="double\\tx\\n \\"q\\" $A"',
      "E=",
      'F=""',
      "G = spaced",
      "",
    ].join("\n");
    const env = parseDotenv(text, ".env");
    assert.deepEqual(env.problems, []);
    assert.deepEqual(values(env), {
      A: "1",
      B: "two words",
      C: "single $A \\n",
      D: 'double\tx\n "q" 1',
      E: "",
      F: "",
      G: "spaced",
    });
    assert.deepEqual(spans(text, env), {
      A: "1",
      B: "two words",
      C: "single $A \\n",
      D: 'double\\tx\\n \\"q\\" $A',
      E: "",
      F: "",
      G: "spaced",
    });
    assert.equal(env.vars.get("E")?.at?.start, text.indexOf("E=") + 2);
  });

  test("inline comments only after a blank in unquoted values, or after the closing quote", () => {
    const text = 'A=1 # comment\nB=2# not a comment\nC="3 # kept" # comment\nD=\'4\'#comment';
    const env = parseDotenv(text, ".env");
    assert.deepEqual(values(env), { A: "1", B: "2# not a comment", C: "3 # kept", D: "4" });
    assert.deepEqual(env.problems, []);
  });

  test("interpolation of earlier keys, defaults and $$", () => {
    const text = [
      "WORKERS=4",
      `W=\${WORKERS}`,
      `X=$WORKERS-$$-\${MISSING:-d}-\${MISSING-e}-\${EMPTY:-f}-\${EMPTY-g}-\${WORKERS:+set}-\${MISSING:+no}`,
      "EMPTY=",
      `Y=\${EMPTY:-f}\${EMPTY-g}`,
      `Z=\${NOPE:-\${WORKERS}}`,
      `S='\${WORKERS}'`,
      `U=\${UNSET}`,
    ].join("\n");
    const env = parseDotenv(text, ".env");
    assert.deepEqual(env.problems, []);
    const v = values(env);
    assert.equal(v.W, "4");
    // EMPTY is defined only later, so here it is unset
    assert.equal(v.X, "4-$-d-e-f-g-set-");
    assert.equal(v.Y, "f");
    assert.equal(v.Z, "4");
    assert.equal(v.S, `\${WORKERS}`);
    assert.equal(v.U, "");
    const w = env.vars.get("W");
    assert.equal(text.slice(w?.at?.start, w?.at?.end), `\${WORKERS}`);
    assert.deepEqual(w?.via?.map((hop) => text.slice(hop.at.start, hop.at.end)), ["4"]);
    const u = env.vars.get("U");
    assert.match(u?.via?.[0].note ?? "", /not set/);
  });

  test("CRLF and BOM", () => {
    const text = '\uFEFFA=1\r\nB="x"\r\n# c\r\nC=3 # c\r\n';
    const env = parseDotenv(text, ".env");
    assert.deepEqual(values(env), { A: "1", B: "x", C: "3" });
    assert.deepEqual(spans(text, env), { A: "1", B: "x", C: "3" });
    assert.deepEqual(env.problems, []);
  });

  test("multi-line quoted values and escaped quotes", () => {
    const text = "A=\"line1\nline2\"\nB='it\\'s'\nC=after";
    const env = parseDotenv(text, ".env");
    assert.deepEqual(values(env), { A: "line1\nline2", B: "it's", C: "after" });
  });

  test("KEY: value is read but flagged; invalid lines and unterminated quotes are errors", () => {
    // a quoted value may span lines, so an unterminated quote is only found at the end of the file
    const text = "A: 1\nnot valid line\nD=\"x\" trailing\nINHERITED\nC=3\nB=\"open\nE=5\n";
    const env = parseDotenv(text, ".env");
    assert.deepEqual(values(env), { A: "1", D: "x", C: "3", E: "5" });
    assert.deepEqual(
      env.problems.map((p) => [p.severity, text.slice(p.at.start, p.at.end)]),
      [
        ["warning", "A:"],
        ["error", "not valid line"],
        ["error", "trailing"],
        ["error", '"'],
      ],
    );
  });

  test("random input never throws and keeps spans inside the text", () => {
    const pieces = fc.constantFrom(..."AB=:#'\"\\$ {}-+?\n\r\tx".split(""), "export ", `\${`, `\${A:-`, "$$", "A=", "\r\n");
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 60 }), (chunks) => {
        const text = chunks.join("");
        const env = parseDotenv(text, ".env");
        const refs = [...env.problems.map((p) => p.at), ...[...env.vars.values()].flatMap((f) => [f.at, ...(f.via ?? []).map((h) => h.at)])];
        for (const at of refs) assert.ok(at && at.start >= 0 && at.start <= at.end && at.end <= text.length);
      }),
      { numRuns: 2000 },
    );
  });

  test("large inputs stay linear", { timeout: 30_000 }, () => {
    for (const text of ["KEY=value\n".repeat(1_000_000), 'A="\n'.repeat(1_000_000), `A=\${`.repeat(1_000_000), "A=x".repeat(3_000_000)]) {
      parseDotenv(text, ".env");
    }
  });

  test("the real corpus parses with values", (t) => {
    if (!existsSync(corpus)) return t.skip(`no corpus at ${corpus}`);
    for (const name of readdirSync(corpus)) {
      const text = readFileSync(path.join(corpus, name), "utf8");
      const env = parseDotenv(text, name);
      assert.ok(env.vars.size > 0, name);
      assert.deepEqual(env.problems, [], name);
    }
  });
});
