// The audit "floor": walk DIR, read every file the audit reads and parse it with the same parsers the
// engine uses (yaml parseDocument, jsonc-parser parseTree, dockerfile-ast, Headroom's nginx, shell,
// dotenv and Python readers), with no model, no rules and no report. Python files count because the
// audit reads the app modules a server command names (`uvicorn main:app`: main.py) for their
// SQLAlchemy engine; in the generated monorepo every .py file is such a module. Bundled with esbuild and run by
// bench/run.ts the same way as dist/cli.js. Prints one JSON line: {files, parsed, bytes}.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import { parseTree } from "jsonc-parser";
import { parseDocument } from "yaml";
import { ENGINE_FUNCTIONS } from "../server/src/engine/model/sqlalchemy.ts";
import { parseDotenv } from "../server/src/engine/parse/dotenv.ts";
import { parseNginx } from "../server/src/engine/parse/nginx.ts";
import { readPythonModule } from "../server/src/engine/parse/python-calls.ts";
import { parseShellScript } from "../server/src/engine/parse/shell.ts";

const SKIP = new Set(["node_modules", ".git", "dist", ".venv", "venv", "__pycache__", "vendor"]);
const root = process.argv[2] ?? ".";
let files = 0;
let parsed = 0;
let bytes = 0;
const keep: unknown[] = [];

const walk = (dir: string): void => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP.has(e.name)) walk(full);
      continue;
    }
    files++;
    const name = e.name.toLowerCase();
    let parse: ((text: string) => unknown) | undefined;
    if (/^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/.test(name)) parse = (t) => parseDocument(t, { merge: true, uniqueKeys: false, prettyErrors: false });
    else if (name === "service.json") parse = (t) => parseTree(t, [], { allowTrailingComma: true, disallowComments: false });
    else if (name === "dockerfile") parse = (t) => DockerfileParser.parse(t);
    else if (name === "nginx.conf") parse = (t) => parseNginx(t, full);
    else if (name.endsWith(".sh")) parse = (t) => parseShellScript(t, full);
    else if (name === ".env") parse = (t) => parseDotenv(t, full);
    else if (name.endsWith(".py")) parse = (t) => readPythonModule(t, full, ENGINE_FUNCTIONS);
    if (!parse) continue;
    const text = readFileSync(full, "utf8");
    bytes += text.length;
    keep.push(parse(text));
    parsed++;
  }
};
walk(root);
process.stdout.write(`${JSON.stringify({ files, parsed, bytes, kept: keep.length })}\n`);
