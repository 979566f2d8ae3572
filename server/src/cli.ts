// `headroom audit [DIR] --format text|json|html|sarif|github --fail-on error|warning|info|never [--fix [--unsafe-fixes]]`, `headroom --version`
// Exit codes: 0 nothing at or above --fail-on, 1 something was, 2 usage error or unreadable input.
import { randomBytes } from "node:crypto";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { audit, isDeploymentFile, RULES } from "./engine/audit.ts";
import { closest } from "./engine/config.ts";
import { planFixes } from "./engine/fix.ts";
import { renderGithub } from "./engine/report/github.ts";
import { renderHtml } from "./engine/report/html.ts";
import { renderJson } from "./engine/report/json.ts";
import { renderSarif } from "./engine/report/sarif.ts";
import { summarizeAudit } from "./engine/report/summary.ts";
import { renderText } from "./engine/report/text.ts";
import type { Severity } from "./engine/types.ts";
import { diskHost } from "./node/disk-host.ts";
import { writeFix } from "./node/write-fix.ts";

const USAGE = `Usage: headroom audit [DIR] [options]

Reads the deployment files under DIR (default: .) together and reports sizing problems.

Options:
  --format text|json|html|sarif|github
                            output format (default: text); html is the audit report as one
                            self-contained page (diagrams, connection budgets, findings); sarif is
                            SARIF 2.1.0 (GitHub code scanning); github prints GitHub Actions
                            workflow commands (annotations)
  --fail-on error|warning|info|never
                            exit with 1 when a finding at or above this severity exists (default: error)
  --no-color                never colour the text output
  --fix                     apply the safe fixes, then report what is left (changes are listed on stderr)
  --unsafe-fixes            apply unsafe fixes too (implies --fix)
  --allow-path DIR          let symlinks in the workspace lead to files under DIR (repeatable);
                            by default nothing outside the audited folder is read
  -h, --help                show this help
  --version                 print Headroom's version
`;

const FIX_ROUNDS = 3;

const FORMATS = ["text", "json", "html", "sarif", "github"];

const RANK: Record<Severity, number> = { hint: 0, info: 1, warning: 2, error: 3 };

function usageError(message: string): number {
  process.stderr.write(`headroom: ${message}\n\n${USAGE}`);
  return 2;
}

const OPTIONS: NonNullable<ParseArgsConfig["options"]> = {
  format: { type: "string", default: "text" },
  "fail-on": { type: "string", default: "error" },
  "no-color": { type: "boolean", default: false },
  "allow-path": { type: "string", multiple: true, default: [] },
  fix: { type: "boolean", default: false },
  "unsafe-fixes": { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", default: false },
};

const FAIL_ON = ["error", "warning", "info", "never"];

/** ` (did you mean X?)` for a typo within two edits of a known word. */
function didYouMean(word: string, known: readonly string[], prefix = ""): string {
  const near = closest(word, known, 2);
  return near === undefined ? "" : ` (did you mean ${prefix}${near}?)`;
}

export function main(argv: string[]): number {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    // node's own message tells how to pass a positional starting with '-', which is not what a typo needs.
    const unknown = /^Unknown option '([^']+)'/.exec((err as Error).message)?.[1];
    if (unknown) return usageError(`unknown option ${unknown}${didYouMean(unknown.replace(/^-+/, ""), Object.keys(OPTIONS), "--")}`);
    return usageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`headroom ${headroomVersion()}\n`);
    return 0;
  }
  const [command, dir = ".", ...extra] = positionals;
  if (command !== "audit") return usageError(command ? `unknown command "${command}"${didYouMean(command, ["audit"])}` : "missing command");
  if (extra.length > 0) return usageError(`unexpected argument "${extra[0]}"`);
  const format = String(values.format);
  if (!FORMATS.includes(format)) return usageError(`--format must be text, json, html, sarif or github, not "${format}"${didYouMean(format, FORMATS)}`);
  const failOn = String(values["fail-on"]);
  if (!FAIL_ON.includes(failOn)) return usageError(`--fail-on must be error, warning, info or never, not "${failOn}"${didYouMean(failOn, FAIL_ON)}`);

  const root = resolve(dir);
  try {
    if (!statSync(root).isDirectory()) return usageError(`${dir} is not a directory`);
    // A folder that cannot be listed would audit as empty and pass.
    accessSync(root, constants.R_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    process.stderr.write(`headroom: cannot read ${dir}: ${code === "ENOENT" ? "no such directory" : (err as Error).message}\n`);
    return 2;
  }
  const allowedDirs = (values["allow-path"] as string[]).map((p) => resolve(p));
  // A mistyped folder would widen nothing, and the links it was meant for would be skipped without a hint why.
  const notFolder = (values["allow-path"] as string[]).find((p) => !isDirectory(p));
  if (notFolder !== undefined) return usageError(`--allow-path ${notFolder} is not a directory`);
  const log = (m: string) => process.stderr.write(`headroom: ${m}\n`);
  const openHost = () => diskHost(root, { filter: isDeploymentFile, allowedDirs, log });
  let host = openHost();
  let result = audit(host);
  if (values.fix || values["unsafe-fixes"]) {
    // A fix can reveal or enable another (a second rule on the line it changed): a few rounds settle it.
    for (let round = 0; round < FIX_ROUNDS; round++) {
      const plans = planFixes(result.findings, (file) => host.read(file), { unsafe: values["unsafe-fixes"] === true });
      if (plans.filter((plan) => writeFix(root, plan, log)).length === 0) break;
      host = openHost();
      result = audit(host);
    }
  }
  const read = (file: string) => host.read(file);
  if (format === "html") {
    const docs = new Map(RULES.map((r) => [r.id, r.docsUrl]));
    const summary = summarizeAudit(result, read, { docsUrl: (rule) => docs.get(rule) });
    process.stdout.write(renderHtml(summary, { nonce: randomBytes(16).toString("base64"), title: basename(root) }));
  } else if (format === "sarif" || format === "github") {
    // CI tools resolve paths against the repository root, usually the working directory.
    const { pathPrefix, base } = pathsFromWorkingDirectory(root);
    process.stdout.write(
      format === "sarif"
        ? renderSarif(result, read, { version: headroomVersion(), rules: RULES, pathPrefix, srcRootUri: `${pathToFileURL(base).href.replace(/\/$/, "")}/` })
        : renderGithub(result, read, { pathPrefix }),
    );
  } else process.stdout.write(format === "json" ? renderJson(result, read) : renderText(result, read, { color: !values["no-color"] && process.stdout.isTTY === true }));
  if (failOn === "never") return 0;
  const threshold = RANK[failOn as Severity];
  return result.findings.some((f) => RANK[f.severity] >= threshold) ? 1 : 0;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Paths relative to the working directory when DIR is inside it, else relative to DIR. */
function pathsFromWorkingDirectory(root: string): { pathPrefix: string | undefined; base: string } {
  const fromCwd = relative(process.cwd(), root);
  if (fromCwd === "") return { pathPrefix: undefined, base: root };
  if (fromCwd.startsWith("..") || isAbsolute(fromCwd)) return { pathPrefix: undefined, base: root };
  return { pathPrefix: fromCwd.split(sep).join("/"), base: process.cwd() };
}

/** The version in package.json, which sits next to dist/ in the package. */
function headroomVersion(): string {
  try {
    return String(JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")).version);
  } catch {
    return "0.0.0";
  }
}

// `headroom audit . | head`: the reader leaving early is not the audit's failure. Without this Node throws
// EPIPE from the write and prints a stack trace; the exit code stays the audit's.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit();
});

/**
 * V8 optimises a function once it has run its interrupt budget of bytecode (66 KB in Node 20's V8). An
 * audit runs hundreds of model and rule functions about once per deployment, and optimising each of them on
 * V8's background threads cost more CPU than it saved: on the bench's 1,000-deployment monorepo half of
 * the audit's CPU was on those threads (343 optimised functions; the read+parse floor: 157). With a budget
 * 4.4 times larger, code that runs far more often (the parsers' loops) is still optimised: the audit's
 * CPU drops by about a sixth and its main thread's rises by 10 to 15% (docs/performance.md). Set before any audit code
 * runs; the language server, which runs for hours, keeps V8's default.
 */
const INTERRUPT_BUDGET = 300_000;
setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
process.exitCode = main(process.argv.slice(2));
