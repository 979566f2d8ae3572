// `headroom audit [DIR] --format text|json --fail-on error|warning|info|never`
// Exit codes: 0 nothing at or above --fail-on, 1 something was, 2 usage error or unreadable input.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { audit, isDeploymentFile } from "./engine/audit.ts";
import { renderJson } from "./engine/report/json.ts";
import { renderText } from "./engine/report/text.ts";
import type { Severity } from "./engine/types.ts";
import { diskHost } from "./node/disk-host.ts";

const USAGE = `Usage: headroom audit [DIR] [options]

Reads the deployment files under DIR (default: .) together and reports sizing problems.

Options:
  --format text|json        output format (default: text)
  --fail-on error|warning|info|never
                            exit with 1 when a finding at or above this severity exists (default: error)
  --no-color                never colour the text output
  -h, --help                show this help
`;

const RANK: Record<Severity, number> = { hint: 0, info: 1, warning: 2, error: 3 };

function usageError(message: string): number {
  process.stderr.write(`headroom: ${message}\n\n${USAGE}`);
  return 2;
}

export function main(argv: string[]): number {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: "string", default: "text" },
        "fail-on": { type: "string", default: "error" },
        "no-color": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    return usageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command, dir = ".", ...extra] = positionals;
  if (command !== "audit") return usageError(command ? `unknown command "${command}"` : "missing command");
  if (extra.length > 0) return usageError(`unexpected argument "${extra[0]}"`);
  const format = String(values.format);
  if (format !== "text" && format !== "json") return usageError(`--format must be text or json, not "${format}"`);
  const failOn = String(values["fail-on"]);
  if (!["error", "warning", "info", "never"].includes(failOn)) return usageError(`--fail-on must be error, warning, info or never, not "${failOn}"`);

  const root = resolve(dir);
  try {
    if (!statSync(root).isDirectory()) return usageError(`${dir} is not a directory`);
  } catch {
    process.stderr.write(`headroom: cannot read ${dir}: no such directory\n`);
    return 2;
  }
  const host = diskHost(root, { filter: isDeploymentFile, log: (m) => process.stderr.write(`headroom: ${m}\n`) });
  const result = audit(host);
  const read = (file: string) => host.read(file);
  process.stdout.write(format === "json" ? renderJson(result, read) : renderText(result, read, { color: !values["no-color"] && process.stdout.isTTY === true }));
  if (failOn === "never") return 0;
  const threshold = RANK[failOn as Severity];
  return result.findings.some((f) => RANK[f.severity] >= threshold) ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
