import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  commandGuards,
  type EnvLookup,
  factForSlice,
  parseCommandLine,
  parseShellScript,
  type ShellCommand,
  type ShellScript,
  withFunctionArguments,
} from "../../server/src/engine/parse/shell.ts";
import type { Fact } from "../../server/src/engine/types.ts";

/** The repository root: the nearest folder above the working directory holding the engine. */
function repoRoot(): string {
  let dir = process.cwd();
  while (!existsSync(path.join(dir, "server", "src", "engine")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const realCorpus = path.resolve(repoRoot(), "..", "shared", "corpus", "real");

const values = (command: ShellCommand) => command.words.map((word) => word.value);
const programs = (script: ShellScript) => script.commands.map((command) => command.words[0]?.value);
function only<T>(items: T[]): T {
  assert.equal(items.length, 1, `expected exactly one item, got ${items.length}`);
  return items[0];
}
function find(script: ShellScript, program: string): ShellCommand {
  const command = script.commands.find((c) => c.words[0]?.value === program);
  assert.ok(command, `no ${program} command in ${JSON.stringify(programs(script))}`);
  return command;
}
function slice(text: string, fact: Fact<string>): string {
  assert.ok(fact.at, "fact has a location");
  return text.slice(fact.at.start, fact.at.end);
}
/** Every span a script reports, to check that they stay inside the text. */
function spans(script: ShellScript): Array<{ start: number; end: number }> {
  const all: Array<{ start: number; end: number }> = [];
  for (const command of script.commands) {
    all.push(command);
    for (const word of [...command.words, ...command.wrappers, ...command.assignments.map((a) => a.value)]) {
      all.push(word);
      for (const fact of [word.fact, ...word.pieces]) if (fact.at?.file === script.file) all.push(fact.at);
    }
  }
  for (const problem of script.problems) all.push(problem.at);
  return all;
}

describe("words and quoting", () => {
  test("continuation lines: one command, exact word spans", () => {
    const text = "exec gunicorn \\\n  --workers 4 \\\n  --bind 0.0.0.0:8000 \\\n  app:app\n";
    const script = parseShellScript(text, "start.sh");
    const command = only(script.commands);
    assert.deepEqual(values(command), ["gunicorn", "--workers", "4", "--bind", "0.0.0.0:8000", "app:app"]);
    assert.equal(command.exec, true);
    assert.equal(text.slice(command.start, command.end), text.trimEnd());
    for (const word of command.words) assert.equal(text.slice(word.start, word.end), word.raw);
    assert.equal(slice(text, command.words[2].fact), "4");
  });

  test("a continuation inside a word joins it", () => {
    const command = only(parseShellScript("gunicorn --work\\\ners 2", "s").commands);
    assert.deepEqual(values(command), ["gunicorn", "--workers", "2"]);
  });

  test("single quotes, double quotes and escapes", () => {
    const text = `run 'a b' "c \\"d\\" \\$e \\\\ \\\` f\\g" h\\ i '' ""`;
    const command = only(parseShellScript(text, "s").commands);
    assert.deepEqual(values(command), ["run", "a b", 'c "d" $e \\ ` f\\g', "h i", "", ""]);
    assert.deepEqual(
      command.words.map((w) => w.quoted),
      [false, true, true, true, true, true],
    );
    assert.equal(command.words[1].raw, "'a b'");
  });

  test("comments start only at the start of a word", () => {
    const command = only(parseShellScript("echo a#b # a comment\n# another\n", "s").commands);
    assert.deepEqual(values(command), ["echo", "a#b"]);
  });

  test("redirections are not words", () => {
    const command = only(parseShellScript("gunicorn app 2>&1 >/var/log/app.log </dev/null &>>all", "s").commands);
    assert.deepEqual(values(command), ["gunicorn", "app"]);
  });

  test("$'...' strings are decoded", () => {
    const command = only(parseShellScript("printf $'a\\tb\\'c'", "s").commands);
    assert.deepEqual(values(command), ["printf", "a\tb'c"]);
  });

  test("command substitutions and arithmetic stay opaque", () => {
    const text = 'gunicorn --workers=$(( $(nproc) * 2 + 1 )) --name "`hostname`-$(id -u)" app';
    const command = only(parseShellScript(text, "s").commands);
    assert.deepEqual(values(command), ["gunicorn", "--workers=$(( $(nproc) * 2 + 1 ))", "--name", "`hostname`-$(id -u)", "app"]);
    assert.equal(command.words[1].opaque, true);
    assert.equal(command.words[4].opaque, false);
  });

  test("case ... esac inside $(...): pattern parentheses do not end the substitution", () => {
    const text = 'W=$(case "$SIZE" in small) echo 2;; (large) echo 8;; *) echo 4;; esac)\nexec gunicorn -w "$W" app\n';
    const script = parseShellScript(text, "s");
    assert.deepEqual(script.problems, []);
    const command = only(script.commands);
    assert.deepEqual(values(command), ["gunicorn", "-w", '$(case "$SIZE" in small) echo 2;; (large) echo 8;; *) echo 4;; esac)', "app"]);
    assert.equal(command.words[2].opaque, true);
  });

  test("case is a reserved word only where a command starts; nested case, esac right before )", () => {
    const text = [
      "A=$(echo case; echo esac)",
      "B=$(if true; then case a in a) case b in b) echo 1;; esac;; esac; fi)",
      "C=\"$(case x in x) echo \")\";; esac)\"",
      "exec gunicorn -w 2 app",
      "",
    ].join("\n");
    const script = parseShellScript(text, "s");
    assert.deepEqual(script.problems, []);
    assert.deepEqual(values(only(script.commands)), ["gunicorn", "-w", "2", "app"]);
  });
});

describe("script structure", () => {
  test("set -e, other commands, then exec gunicorn", () => {
    const text = [
      "#!/bin/sh",
      "set -e",
      "python manage.py migrate --noinput",
      "python manage.py collectstatic --noinput",
      "exec gunicorn config.wsgi --workers 3 --bind 0.0.0.0:8000",
      "",
    ].join("\n");
    const script = parseShellScript(text, "start.sh");
    assert.deepEqual(programs(script), ["set", "python", "python", "gunicorn"]);
    const gunicorn = script.commands[3];
    assert.equal(gunicorn.exec, true);
    assert.deepEqual(gunicorn.wrappers.map((w) => w.value), ["exec"]);
    assert.equal(text.slice(gunicorn.start, gunicorn.end), "exec gunicorn config.wsgi --workers 3 --bind 0.0.0.0:8000");
    assert.equal(script.problems.length, 0);
  });

  test("commands inside if, &&, ||, pipelines, subshells, groups, functions and case", () => {
    const text = `
if [ -f a ]; then echo yes; elif test -n "$B"; then echo elif; else echo no; fi
true && migrate || rollback | tee log &
( cd /app; run-sub ) ; { grouped; }
start() {
  exec gunicorn app
}
function other { worker; }
case "$1" in
  web|server) start ;;
  (jobs) exec celery worker ;;
  *) exec "$@" ;;
esac
while read -r line; do handle "$line"; done < input
for i in 1 2 3; do loop-body; done
for ((i = 0; i < 3; i++)); do c-loop; done
[[ -n "$X" && "$Y" < z ]] && after-test
(( n > 1 )) && after-arith
`;
    const script = parseShellScript(text, "s");
    assert.deepEqual(programs(script), [
      "[",
      "echo",
      "test",
      "echo",
      "echo",
      "true",
      "migrate",
      "rollback",
      "tee",
      "cd",
      "run-sub",
      "grouped",
      "gunicorn",
      "worker",
      "start",
      "celery",
      "$@",
      "read",
      "handle",
      "loop-body",
      "c-loop",
      "[[",
      "after-test",
      "after-arith",
    ]);
    assert.equal(script.problems.length, 0);
  });

  test("here-document bodies are skipped", () => {
    const text = [
      "cat <<EOF > /etc/app.conf",
      "gunicorn --workers 9 not-a-command",
      "EOF",
      "cat <<-'END' | sh",
      "\tworkers=12",
      "\tEND",
      'cat <<"X" ; echo after',
      "$(not expanded)",
      "X",
      "exec gunicorn --workers 2 app",
    ].join("\n");
    const script = parseShellScript(text, "s");
    assert.deepEqual(programs(script), ["cat", "cat", "sh", "cat", "echo", "gunicorn"]);
    assert.deepEqual(values(script.commands[5]), ["gunicorn", "--workers", "2", "app"]);
    assert.equal(script.variables.has("workers"), false);
  });

  test("CRLF line endings and a BOM", () => {
    const text = "\uFEFFset -e\r\nexec gunicorn \\\r\n  --workers 3 app\r\n";
    const script = parseShellScript(text, "s");
    assert.deepEqual(programs(script), ["set", "gunicorn"]);
    assert.deepEqual(values(script.commands[1]), ["gunicorn", "--workers", "3", "app"]);
    assert.equal(text.slice(script.commands[0].start, script.commands[0].end), "set -e");
  });

  test("unterminated quotes are problems, not exceptions", () => {
    const text = "echo ok\nexec gunicorn --name 'oops\n";
    const script = parseShellScript(text, "s");
    const problem = only(script.problems);
    assert.equal(problem.severity, "warning");
    assert.match(problem.message, /Unterminated single quote/);
    assert.equal(text.slice(problem.at.start, problem.at.end), "'");
    assert.deepEqual(values(script.commands[1]), ["gunicorn", "--name", "oops\n"]);
    for (const bad of ['echo "abc', "echo `abc", "echo $(abc", `echo \${A:-x`, "cat <<EOF\nbody"]) {
      const result = parseShellScript(bad, "s");
      assert.equal(result.problems.length, 1, bad);
      assert.ok(result.commands.length >= 1, bad);
    }
  });
});

describe("variables", () => {
  const script = `WORKERS=\${GUNICORN_WORKERS:-5}\nexec gunicorn --workers \${WORKERS} app\n`;
  const workersArg = (parsed: ShellScript) => find(parsed, "gunicorn").words[2];

  test("a default in the script is the origin", () => {
    const word = workersArg(parseShellScript(script, "start.sh"));
    assert.equal(word.value, "5");
    assert.equal(word.raw, `\${WORKERS}`);
    assert.equal(word.fact.origin, "stated");
    assert.deepEqual(word.fact.at, { file: "start.sh", start: script.indexOf("5"), end: script.indexOf("5") + 1 });
    assert.deepEqual(
      word.fact.via?.map((hop) => slice(script, { value: "", origin: "stated", at: hop.at })),
      [`\${WORKERS}`, `WORKERS=\${GUNICORN_WORKERS:-5}`, `\${GUNICORN_WORKERS:-5}`],
    );
    assert.deepEqual(word.unresolved, []);
  });

  test("an env value wins over the default and is the origin", () => {
    const envFact: Fact<string> = { value: "9", origin: "stated", at: { file: "service.json", start: 120, end: 121 } };
    const env: EnvLookup = (name) => (name === "GUNICORN_WORKERS" ? envFact : undefined);
    const word = workersArg(parseShellScript(script, "start.sh", env));
    assert.equal(word.value, "9");
    assert.deepEqual(word.fact.at, envFact.at);
    assert.equal(word.fact.origin, "stated");
    assert.equal(word.fact.via?.at(-1)?.note, `\${GUNICORN_WORKERS:-5}`);
  });

  test("env origin is copied", () => {
    const env: EnvLookup = () => ({ value: "2", origin: "configured" });
    const word = only(parseShellScript("gunicorn -w $W", "s", env).commands).words[2];
    assert.equal(word.fact.origin, "configured");
  });

  test(":- uses the default when empty, - only when unset", () => {
    const text = `A=\ngunicorn "\${A:-x}" "\${A-y}" \${U-z} \${U:-w}`;
    assert.deepEqual(values(only(parseShellScript(text, "s").commands)), ["gunicorn", "x", "", "z", "w"]);
  });

  test(":+ gives the alternative only when set; unquoted and empty, the word disappears", () => {
    const text = `S=1\ngunicorn \${S:+--statsd-host x:$S} \${U:+--other} "\${U:+q}" app`;
    assert.deepEqual(values(only(parseShellScript(text, "s").commands)), ["gunicorn", "--statsd-host", "x:1", "", "app"]);
  });

  test(":= assigns the default", () => {
    const text = `: \${PORT:=8000}\nexec uvicorn --port $PORT app`;
    const script = parseShellScript(text, "s");
    const port = find(script, "uvicorn").words[2];
    assert.equal(port.value, "8000");
    assert.equal(slice(text, port.fact), "8000");
    const assigned = only(script.variables.get("PORT") ?? []);
    assert.equal(text.slice(assigned.start, assigned.end), `\${PORT:=8000}`);
  });

  test("nested defaults point at the innermost default", () => {
    const text = `exec gunicorn -w \${A:-\${B:-3}}`;
    const word = only(parseShellScript(text, "s").commands).words[2];
    assert.equal(word.value, "3");
    assert.equal(word.fact.at?.start, text.indexOf("3"));
  });

  test("mixed words point at themselves; factForSlice finds the default", () => {
    const text = `exec gunicorn -b "0.0.0.0:\${PORT:-8000}" -w\${WEB_WORKERS:-4}`;
    const command = only(parseShellScript(text, "s").commands);
    const bind = command.words[2];
    assert.equal(bind.value, "0.0.0.0:8000");
    assert.equal(slice(text, bind.fact), `"0.0.0.0:\${PORT:-8000}"`);
    assert.equal(slice(text, factForSlice(bind, 8)), "8000");
    assert.equal(slice(text, factForSlice(bind, 0, 7)), "0.0.0.0");
    assert.equal(slice(text, factForSlice(command.words[3], 2)), "4");
  });

  test('"$@" and positional parameters stay unresolved', () => {
    const text = `exec gunicorn "$@" $1 \${2:-two}`;
    const command = only(parseShellScript(text, "s").commands);
    assert.deepEqual(values(command), ["gunicorn", "$@", "$1", "two"]);
    assert.equal(command.words[1].raw, '"$@"');
    assert.deepEqual(command.words[1].unresolved, ["@"]);
    assert.deepEqual(command.words[2].unresolved, ["1"]);
  });

  test('"${@}" and ${1} read as "$@" and $1 (the braces change nothing)', () => {
    const command = only(parseShellScript(`exec "\${@}" \${1}`, "s").commands);
    assert.deepEqual(values(command), ["$@", "$1"]);
    assert.deepEqual(command.words[0].unresolved, ["@"]);
  });

  test("unknown variables keep their text", () => {
    const command = only(parseShellScript(`gunicorn -w $W --bind "$HOST:\${PORT}"`, "s").commands);
    assert.deepEqual(values(command), ["gunicorn", "-w", "$W", "--bind", `$HOST:\${PORT}`]);
    assert.deepEqual(command.words[4].unresolved, ["HOST", "PORT"]);
  });

  test("the last assignment above the command wins, in branches too", () => {
    const text = [
      "W=1",
      'if [ "$X" = big ]; then',
      "  W=8",
      "fi",
      "exec gunicorn -w $W",
      "W=99",
    ].join("\n");
    const script = parseShellScript(text, "s");
    assert.equal(find(script, "gunicorn").words[2].value, "8");
    assert.deepEqual(
      script.variables.get("W")?.map((v) => v.value.value),
      ["1", "8", "99"],
    );
  });

  test("export, and unquoted expansions split into words", () => {
    const text = `export OPTS="-w \${WORKERS:-4}  --threads 2"\nexport OPTS\nexec gunicorn $OPTS "$OPTS" app`;
    const script = parseShellScript(text, "s");
    const command = find(script, "gunicorn");
    assert.deepEqual(values(command), ["gunicorn", "-w", "4", "--threads", "2", "-w 4  --threads 2", "app"]);
    assert.equal(slice(text, command.words[2].fact), "4");
    assert.equal(slice(text, command.words[1].fact), "-w");
    assert.equal(only(script.variables.get("OPTS") ?? []).exported, true);
  });

  test("a prefix assignment applies to its command only", () => {
    const text = `W=3 gunicorn -w $W\nexec gunicorn -w \${W:-1}`;
    const script = parseShellScript(text, "s");
    const [first, second] = script.commands;
    assert.deepEqual(first.assignments.map((a) => [a.name, a.value.value]), [["W", "3"]]);
    assert.equal(text.slice(first.assignments[0].value.start, first.assignments[0].value.end), "3");
    assert.equal(first.words[2].value, "$W");
    assert.equal(second.words[2].value, "1");
    assert.equal(script.variables.has("W"), false);
  });

  test("+= appends", () => {
    const command = find(parseShellScript('ARGS="-w 2"\nARGS+=" -k gevent"\ngunicorn $ARGS', "s"), "gunicorn");
    assert.deepEqual(values(command), ["gunicorn", "-w", "2", "-k", "gevent"]);
  });
});

describe("what a command's program gets from the script (exported)", () => {
  const exported = (command: ShellCommand) => Object.fromEntries([...(command.exported ?? [])].map(([name, fact]) => [name, fact.value]));

  test("export NAME=value, export after assignment, prefix assignments; a plain assignment stays in the script", () => {
    const text = "A=1\nexport B=2\nC=3\nexport C\nD=4 exec gunicorn app\n";
    const command = find(parseShellScript(text, "start.sh"), "gunicorn");
    assert.deepEqual(exported(command), { B: "2", C: "3", D: "4" });
  });

  test("exports apply from where they are written, not to commands above", () => {
    const text = "W=5\nmigrate\nexport W\nexec gunicorn app\n";
    const script = parseShellScript(text, "start.sh");
    assert.equal(find(script, "migrate").exported, undefined);
    assert.deepEqual(exported(find(script, "gunicorn")), { W: "5" });
  });

  test("the value's origin stays where it is written, with a hop through the export", () => {
    const text = "W=5\nexport W\nexport WEB_CONCURRENCY=${WEB_CONCURRENCY:-9}\nexec gunicorn app\n";
    const command = find(parseShellScript(text, "start.sh"), "gunicorn");
    const w = command.exported?.get("W") as Fact<string>;
    assert.equal(slice(text, w), "5");
    assert.equal(slice(text, { value: "", origin: "stated", at: w.via?.[0].at }), "export W");
    const concurrency = command.exported?.get("WEB_CONCURRENCY") as Fact<string>;
    assert.equal(concurrency.value, "9");
    assert.equal(slice(text, concurrency), "9");
    assert.equal(slice(text, { value: "", origin: "stated", at: concurrency.via?.[0].at }), "WEB_CONCURRENCY=${WEB_CONCURRENCY:-9}");
  });

  test("the service's value is read through ${VAR:-default} and stays its origin", () => {
    const envFact: Fact<string> = { value: "2", origin: "stated", at: { file: "compose.yml", start: 40, end: 41 } };
    const env: EnvLookup = (name) => (name === "WEB_CONCURRENCY" ? envFact : undefined);
    const command = find(parseShellScript("export WEB_CONCURRENCY=${WEB_CONCURRENCY:-9}\nexec gunicorn app\n", "start.sh", env), "gunicorn");
    assert.equal(command.exported?.get("WEB_CONCURRENCY")?.value, "2");
    assert.deepEqual(command.exported?.get("WEB_CONCURRENCY")?.at, envFact.at);
  });

  test("assigning a variable the environment has changes what programs get, exported or not", () => {
    const env: EnvLookup = (name) => (name === "WEB_CONCURRENCY" ? { value: "2", origin: "stated" } : undefined);
    const command = find(parseShellScript("WEB_CONCURRENCY=6\nexec gunicorn app\n", "start.sh", env), "gunicorn");
    assert.deepEqual(exported(command), { WEB_CONCURRENCY: "6" });
  });

  test("set -a exports the assignments that follow until set +a", () => {
    const text = "set -ea\nA=1\n: ${B:=2}\nset +a\nC=3\nexec gunicorn app\n";
    assert.deepEqual(exported(find(parseShellScript(text, "start.sh"), "gunicorn")), { A: "1", B: "2" });
    assert.deepEqual(exported(find(parseShellScript("set -o allexport\nA=1\nexec gunicorn app\n", "s"), "gunicorn")), { A: "1" });
  });

  test("declare -x exports, local does not; an sh -c script's exports stay inside it", () => {
    const text = "declare -x A=1\nlocal B=2\nsh -c 'export C=3; exec puma'\nexec gunicorn app\n";
    const script = parseShellScript(text, "start.sh");
    assert.deepEqual(exported(find(script, "puma")), { A: "1", C: "3" });
    assert.deepEqual(exported(find(script, "gunicorn")), { A: "1" });
  });
});

describe("wrappers", () => {
  test("exec, nohup, env, command, time, nice, gosu are stripped", () => {
    const text = "exec nohup env -i PORT=80 LANG=C gosu app nice -n 5 command time -p gunicorn app";
    const command = only(parseShellScript(text, "s").commands);
    assert.deepEqual(values(command), ["gunicorn", "app"]);
    assert.equal(command.exec, true);
    assert.deepEqual(command.assignments.map((a) => `${a.name}=${a.value.value}`), ["PORT=80", "LANG=C"]);
    assert.deepEqual(command.wrappers.map((w) => w.value), ["exec", "nohup", "env", "-i", "gosu", "app", "nice", "-n", "5", "command", "time", "-p"]);
  });

  test("s6-overlay's run-script wrappers are stripped: s6-notifyoncheck with its options, execline's cd DIR, s6-setuidgid USER", () => {
    const text = 'exec 2>&1 \\\n  s6-notifyoncheck -d -n 300 -w 1000 -c "nc -z localhost 8000" \\\n    cd /app s6-setuidgid abc gunicorn app';
    const command = only(parseShellScript(text, "run").commands);
    assert.deepEqual(values(command), ["gunicorn", "app"]);
    assert.deepEqual(programs(parseShellScript("cd /app || exit 1\nwith-contenv gunicorn app", "run")), ["cd", "exit", "gunicorn"]);
  });

  test("runners stay, and wrappers with nothing to run are the program", () => {
    const script = parseShellScript("poetry run gunicorn app\nbundle exec puma\npython -m gunicorn app\ncommand -v gunicorn\nexec >log 2>&1\nenv", "s");
    assert.deepEqual(programs(script), ["poetry", "bundle", "python", "command", "exec", "env"]);
    assert.equal(script.commands[4].exec, true);
  });
});

describe("sh -c", () => {
  test("the nested script's commands have their parent and exact spans", () => {
    const text = `W=4\nexec /bin/sh -c "python migrate.py && exec gunicorn --workers \\"$W\\" app" ignored`;
    const script = parseShellScript(text, "s");
    assert.deepEqual(programs(script), ["/bin/sh", "python", "gunicorn"]);
    const [outer, migrate, gunicorn] = script.commands;
    assert.equal(migrate.parent, outer);
    assert.equal(gunicorn.parent, outer);
    assert.equal(gunicorn.exec, true);
    assert.equal(text.slice(migrate.start, migrate.end), "python migrate.py");
    assert.equal(text.slice(gunicorn.start, gunicorn.end), 'exec gunicorn --workers \\"$W\\" app');
    assert.deepEqual(values(gunicorn), ["gunicorn", "--workers", "4", "app"]);
    const workers = gunicorn.words[2];
    assert.equal(text.slice(workers.start, workers.end), '\\"$W\\"');
    assert.equal(workers.raw, '"$W"');
    assert.equal(slice(text, workers.fact), "4");
  });

  test("bash -lc with single quotes, in a command line at an offset", () => {
    const file = `command: bash -ec 'exec uvicorn --port "\${PORT:-80}" app'`;
    const base = file.indexOf("bash");
    const script = parseCommandLine(file.slice(base), "compose.yml", base);
    const uvicorn = find(script, "uvicorn");
    assert.equal(file.slice(uvicorn.start, uvicorn.end), `exec uvicorn --port "\${PORT:-80}" app`);
    assert.equal(slice(file, uvicorn.words[2].fact), "80");
  });

  test("a command line decoded from a quoted string maps through charSpans", () => {
    const json = '{"StartCommand": "gunicorn -w \\"3\\" app"}';
    const open = json.indexOf('"gunicorn');
    const decoded = JSON.parse(json).StartCommand as string;
    const starts: number[] = [];
    const ends: number[] = [];
    for (let i = open + 1; json[i] !== '"' || json[i - 1] === "\\"; i++) {
      const escaped = json[i] === "\\";
      starts.push(i);
      ends.push(escaped ? i + 2 : i + 1);
      if (escaped) i++;
    }
    const command = only(parseCommandLine(decoded, "apprunner.json", 0, undefined, { starts, ends }).commands);
    assert.deepEqual(values(command), ["gunicorn", "-w", "3", "app"]);
    assert.equal(json.slice(command.words[2].start, command.words[2].end), '\\"3\\"');
    assert.equal(slice(json, command.words[2].fact), '\\"3\\"');
    assert.equal(json.slice(command.words[3].start, command.words[3].end), "app");
  });
});

describe("robustness", () => {
  test("random input never throws and keeps spans inside the text", () => {
    const alphabet = fc.constantFrom(
      ..." \t\n\r\\'\"`$(){}[];&|<>#=:-+?!*@0123456789abcWXYZ".split(""),
      "$(",
      `\${`,
      `\${A:-`,
      "<<EOF\n",
      "\nEOF\n",
      "sh -c ",
      "exec ",
      "case x in ",
      " esac",
      "\r\n",
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 80 }), (chunks) => {
        const text = chunks.join("");
        const script = parseShellScript(text, "s", () => ({ value: "v w", origin: "stated" }));
        for (const span of spans(script)) {
          assert.ok(span.start >= 0 && span.start <= span.end && span.end <= text.length, `${span.start}-${span.end} of ${text.length}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("huge and deeply nested inputs finish", { timeout: 60_000 }, () => {
    const inputs = [
      `exec gunicorn -w \${W:-4} app\n`.repeat(400_000),
      "a ".repeat(2_000_000),
      '"'.repeat(4_000_000),
      "$(".repeat(2_000_000),
      `\${A:-`.repeat(1_000_000),
      "\\".repeat(4_000_000),
      "(".repeat(4_000_000),
      "cat <<E\n".repeat(500_000),
    ];
    for (const text of inputs) {
      const script = parseShellScript(text, "s");
      for (const span of spans(script)) assert.ok(span.end <= text.length);
    }
  });

  test("a script with too many words stops with a problem", () => {
    const script = parseShellScript("echo a b c d\n".repeat(30_000), "s");
    assert.ok(script.problems.some((p) => /Stopped reading/.test(p.message)));
  });

  test("problems are capped", () => {
    assert.equal(parseShellScript("> ".repeat(10_000), "s").problems.length, 100);
  });
});

describe("real corpus", () => {
  const dir = path.join(realCorpus, "shell");
  const files = existsSync(dir) ? readdirSync(dir) : [];

  test("every shell file parses and yields commands", (t) => {
    if (files.length === 0) return t.skip(`no corpus at ${dir}`);
    for (const name of files) {
      const text = readFileSync(path.join(dir, name), "utf8");
      const script = parseShellScript(text, name);
      assert.ok(script.commands.length > 0, name);
      for (const span of spans(script)) assert.ok(span.end <= text.length, name);
    }
  });

  test("scripts bash -n accepts get no error problems (and no problems at all)", (t) => {
    if (files.length === 0) return t.skip(`no corpus at ${dir}`);
    if (spawnSync("bash", ["--version"]).status !== 0) return t.skip("bash is not installed");
    for (const name of files) {
      const file = path.join(dir, name);
      if (spawnSync("bash", ["-n", file]).status !== 0) continue;
      const script = parseShellScript(readFileSync(file, "utf8"), name);
      assert.deepEqual(
        script.problems.filter((p) => p.severity === "error"),
        [],
        name,
      );
      assert.deepEqual(script.problems, [], name);
    }
  });

  test("the servers the corpus starts are found with their settings", (t) => {
    if (files.length === 0) return t.skip(`no corpus at ${dir}`);
    const read = (name: string) => {
      const text = readFileSync(path.join(dir, name), "utf8");
      return { text, script: parseShellScript(text, name) };
    };
    const dify = read("langgenius__dify__api__docker__entrypoint.sh");
    const gunicorn = find(dify.script, "gunicorn");
    assert.equal(gunicorn.exec, true);
    const workers = gunicorn.words[gunicorn.words.findIndex((w) => w.value === "--workers") + 1];
    assert.equal(workers.value, "1");
    assert.equal(slice(dify.text, workers.fact), "1");

    const redash = read("getredash__redash__bin__docker-entrypoint");
    const redashServer = redash.script.commands.find((c) => c.words[0].value === "/usr/local/bin/gunicorn");
    assert.ok(redashServer);
    const w = redashServer.words.find((word) => word.value.startsWith("-w"));
    assert.ok(w);
    assert.equal(slice(redash.text, factForSlice(w, 2)), "4");
  });
});

describe("if/case branches a command runs in", () => {
  const guardsOf = (script: ShellScript, program: string) => {
    const command = script.commands.find((c) => c.words[0]?.value === program);
    assert.ok(command, `no ${program}`);
    return commandGuards(command).map((g) => `${g.branch}: ${g.condition}`);
  };
  test("then/else of if and elif, nested, and case patterns", () => {
    const text = [
      'if [ "$DEBUG" = "true" ]; then',
      "  exec devserver --reload",
      "elif [ -n \"$STAGING\" ]",
      "then",
      "  stagingserver",
      "else",
      "  case \"$MODE\" in",
      "    dev|local) localserver ;;",
      "    *) if true; then prodserver; fi ;;",
      "  esac",
      "fi",
      "after",
    ].join("\n");
    const script = parseShellScript(text, "start.sh");
    assert.deepEqual(guardsOf(script, "devserver"), ['then: [ "$DEBUG" = "true" ]']);
    assert.deepEqual(guardsOf(script, "stagingserver"), ['then: [ -n "$STAGING" ]']);
    assert.deepEqual(guardsOf(script, "localserver"), ['else: [ -n "$STAGING" ]', "case: dev|local"]);
    assert.deepEqual(guardsOf(script, "prodserver"), ['else: [ -n "$STAGING" ]', "case: *", "then: true"]);
    assert.deepEqual(guardsOf(script, "after"), []);
    const devserver = script.commands.find((c) => c.words[0]?.value === "devserver");
    const guard = devserver?.guards?.[0];
    assert.equal(guard && text.slice(guard.at.start, guard.at.end).trim(), '[ "$DEBUG" = "true" ];');
  });

  test("elif and else carry the tests before them in their chain, a case pattern the patterns before it", () => {
    const text = [
      'if [[ "${MODE}" == "worker" ]]; then',
      "  exec worker",
      'elif [[ "${MODE}" == "beat" ]]; then',
      "  exec beat",
      "else",
      "  exec web",
      "fi",
      'case "$1" in',
      "  web) webserver ;;",
      "  *) other ;;",
      "esac",
      'case "$1" in',
      "  a) first ;&",
      "  b) second ;;",
      "esac",
    ].join("\n");
    const script = parseShellScript(text, "start.sh");
    const earlierOf = (program: string) => script.commands.find((c) => c.words[0]?.value === program)?.guards?.map((g) => g.earlier ?? []);
    assert.deepEqual(earlierOf("worker"), [[]]);
    assert.deepEqual(earlierOf("beat"), [['[[ "${MODE}" == "worker" ]]']]);
    assert.deepEqual(earlierOf("web"), [['[[ "${MODE}" == "worker" ]]']]);
    assert.deepEqual(earlierOf("webserver"), [[]]);
    assert.deepEqual(earlierOf("other"), [["web"]]);
    // `;&` falls through to the next pattern's commands: the earlier pattern does not rule it out.
    assert.deepEqual(earlierOf("second"), [[]]);
  });

  test("thousands of unclosed `if … then`: each command records the outermost 64 branches, not all above it", () => {
    const script = parseShellScript(`${"if [ -n \"$A\" ]; then\n".repeat(5000)}exec server\n`, "start.sh");
    const server = script.commands.find((c) => c.words[0]?.value === "server");
    assert.equal(server?.guards?.length, 64);
    assert.equal(script.commands.length, 5001);
  });

  test("a command in `sh -c` inside a branch carries the outer branch", () => {
    const script = parseShellScript("if [ \"$DEV\" ]; then\n  sh -c 'exec devserver'\nfi\n", "start.sh");
    assert.deepEqual(guardsOf(script, "devserver"), ['then: [ "$DEV" ]']);
  });
});

describe("function bodies", () => {
  const functionOf = (script: ShellScript, program: string) => find(script, program).inFunction;
  test("each command of a `{ … }` body records its function; the top level and the calls record none", () => {
    const text = [
      "start_web() {",
      '  exec gunicorn app:app "$@"',
      "}",
      "function start_worker {",
      "  if [ -n \"$X\" ]; then { nested; }; fi",
      "  exec celery -A app worker",
      "}",
      "function outer() { inner() { deepest; }; after_inner; }",
      "start_web --workers 4",
      "{ grouped; }",
      "sub() ( in_subshell )",
      "sh -c 'within_string'",
    ].join("\n");
    const script = parseShellScript(text, "entrypoint.sh");
    assert.equal(functionOf(script, "gunicorn"), "start_web");
    assert.equal(functionOf(script, "nested"), "start_worker");
    assert.equal(functionOf(script, "celery"), "start_worker");
    assert.equal(functionOf(script, "deepest"), "inner");
    assert.equal(functionOf(script, "after_inner"), "outer");
    assert.equal(functionOf(script, "start_web"), undefined);
    assert.equal(functionOf(script, "grouped"), undefined);
    // A body that is not a `{ … }` group is read as ordinary commands, and its name is no function of the script.
    assert.equal(functionOf(script, "in_subshell"), undefined);
    assert.deepEqual([...(script.functions ?? [])], ["start_web", "start_worker", "outer", "inner"]);
  });

  test("a command in `sh -c` inside a body records the function; a script without functions has none", () => {
    const script = parseShellScript("run() {\n  bash -c 'exec server'\n}\nrun\n", "start.sh");
    assert.equal(functionOf(script, "server"), "run");
    assert.equal(parseShellScript("exec gunicorn app:app\n", "start.sh").functions, undefined);
  });
});

describe("shift and positional parameters", () => {
  const shiftOf = (script: ShellScript, program: string) => find(script, program).shifted ?? 0;
  test("`shift` and `shift N` move the top level's parameters; inside a case branch only for the rest of that branch", () => {
    const text = ["set -euo pipefail", "first", 'case "$1" in', "  web) shift; exec gunicorn \"$@\" ;;", "  worker) shift 2; exec celery \"$@\" ;;", "esac", "after"].join("\n");
    const script = parseShellScript(text, "entrypoint.sh");
    assert.deepEqual([shiftOf(script, "first"), shiftOf(script, "gunicorn"), shiftOf(script, "celery"), shiftOf(script, "after")], [0, 1, 2, "unknown"]);
    assert.equal(find(script, "celery").guards?.[0].shifted, undefined, "the case reads $1 before its branches shift");
  });

  test("a shift that may not run, or runs many times, leaves the count unknown; a function's shift is its own", () => {
    const cases: Array<[string, number | "unknown"]> = [
      ['[ "$1" = -- ] && shift\nnext', "unknown"],
      ['[ "$1" = -- ] && { echo x; shift; }\nnext', "unknown"],
      ["while [ $# -gt 0 ]; do shift; done\nnext", "unknown"],
      ["shift $N\nnext", "unknown"],
      ["shift || true\nnext", 1],
      ["f() { shift 3; }\nnext", 0],
      ['if [ -n "$X" ]; then echo; else echo; fi\nshift\nnext', 1],
    ];
    for (const [text, shifted] of cases) assert.equal(shiftOf(parseShellScript(text, "s.sh"), "next"), shifted, text);
  });

  test("withFunctionArguments: the body read for one call has its $1, ${2:-x} and `local x=$1`, each at the call's word", () => {
    const text = 'start() {\n  local workers=$1\n  shift\n  exec uvicorn "$@" --workers "$workers" --port "${2:-8000}"\n}\nstart 4 app:app\n';
    const script = parseShellScript(text, "start.sh");
    assert.deepEqual(values(find(script, "uvicorn")), ["uvicorn", "$@", "--workers", "$1", "--port", "8000"]);
    const call = find(script, "start");
    const bound = withFunctionArguments(script, "start", call.words.slice(1));
    const uvicorn = find(bound, "uvicorn");
    assert.deepEqual([values(uvicorn), uvicorn.shifted], [["uvicorn", "$@", "--workers", "4", "--port", "8000"], 1]);
    assert.equal(text.slice(uvicorn.words[3].start, uvicorn.words[3].end), '"$workers"');
    assert.equal(slice(text, uvicorn.words[3].fact), "4");
    // the same call again is the same reading; a function that reads no $1 is the script itself
    assert.equal(withFunctionArguments(script, "start", call.words.slice(1)), bound);
    const plain = parseShellScript('run() { exec gunicorn app:app "$@"; }\nrun -w 2\n', "s.sh");
    assert.equal(withFunctionArguments(plain, "run", []), plain);
  });

  test("what cannot be told from one call stays as written: past an unknown \"$@\", in a loop, an assignment in a branch", () => {
    const text = 'f() {\n  if [ -n "$1" ]; then A=$1; fi\n  for x in a b; do B=$1; done\n  exec server "$A" "$B" "$2" "$1"\n}\nf one\n';
    const script = parseShellScript(text, "s.sh");
    const server = (args: string[]) =>
      values(find(withFunctionArguments(script, "f", args.map((value) => ({ value, fact: { value, origin: "stated" as const } }))), "server"));
    assert.deepEqual(server(["one"]), ["server", "$1", "$1", "$2", "one"]);
    assert.deepEqual(server(["$@"]), ["server", "$1", "$1", "$2", "$1"]);
    assert.deepEqual(server(["one", "$@"]), ["server", "$1", "$1", "$2", "one"]);
  });

  test("readings for calls stop at a budget: a huge script called many times is read once more at most", () => {
    const body = "f() { exec server \"$1\"; }\n";
    const script = parseShellScript(body + "echo x\n".repeat(40_000), "s.sh");
    const arg = (value: string) => ({ value, fact: { value, origin: "stated" as const } });
    assert.equal(values(find(withFunctionArguments(script, "f", [arg("a")]), "server"))[1], "a");
    assert.equal(withFunctionArguments(script, "f", [arg("b")]), script);
  });
});
