// Neovim as an independent LSP client of the BUILT language server (dist/server.js --stdio).
//
// A Lua script, run by `nvim --headless --clean`, starts the server with vim.lsp.start_client on a copy
// of examples/uvicorn-one-process-2vcpu, opens start.sh, waits for the workers/single-process diagnostic,
// asks for code actions with buf_request_sync, applies the first quick-fix with Neovim's own
// apply_workspace_edit, writes the buffer and reports what happened as JSON. Neovim's client code
// (position encoding, document versions, documentChanges handling) is not ours, so this catches protocol
// mistakes a test built on vscode-languageserver's own client would share.
//
// Written against Neovim 0.7 (Debian bookworm): vim.lsp.start_client, not vim.lsp.start (0.8+).
// Skipped when nvim is not installed, unless HEADROOM_REQUIRE_E2E=1 (CI), where that is a failure.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureBuilt } from "../helpers/build.ts";

const repo = join(__dirname, "..", "..");
const serverJs = join(repo, "dist", "server.js");
const example = join(repo, "examples", "uvicorn-one-process-2vcpu");
const RULE = "workers/single-process";
const NVIM_TIMEOUT_MS = 30_000;

const REQUIRED = process.env.HEADROOM_REQUIRE_E2E === "1";
const nvimVersion = (() => {
  const r = spawnSync("nvim", ["--version"], { encoding: "utf8", timeout: 10_000 });
  return r.status === 0 ? r.stdout.split("\n")[0] : undefined;
})();
const skip = nvimVersion === undefined && !REQUIRED ? "nvim is not installed (apt-get install neovim); set HEADROOM_REQUIRE_E2E=1 to fail instead" : false;


// Paths come in through the environment, so nothing needs quoting inside the Lua source.
const LUA = String.raw`
local root = os.getenv("HEADROOM_E2E_ROOT")
local server = os.getenv("HEADROOM_E2E_SERVER")
local out = os.getenv("HEADROOM_E2E_OUT")
local rule = os.getenv("HEADROOM_E2E_RULE")
local result = { log = {} }

local function log(msg) table.insert(result.log, msg) end

local function finish()
  local f = assert(io.open(out, "w"))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qall!")
end

local function main()
  local client_id = vim.lsp.start_client({
    name = "headroom",
    cmd = { "node", server, "--stdio" },
    root_dir = root,
  })
  if not client_id then error("vim.lsp.start_client returned nil") end
  result.client_id = client_id

  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/start.sh"))
  local bufnr = vim.api.nvim_get_current_buf()
  if not vim.lsp.buf_attach_client(bufnr, client_id) then error("buf_attach_client failed") end

  local found
  local ok = vim.wait(10000, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.code == rule then
        found = d
        return true
      end
    end
    return false
  end, 50)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.diagnostics, {
      code = d.code, source = d.source, message = d.message,
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
    })
  end
  if not ok then error("timed out waiting for a " .. rule .. " diagnostic") end
  result.word = vim.api.nvim_buf_get_text(bufnr, found.lnum, found.col, found.end_lnum, found.end_col, {})[1]

  -- Back to an LSP diagnostic: the file is ASCII, so byte columns are UTF-16 columns. user_data.lsp
  -- carries the fields Neovim keeps (data holds what the server needs to find the fixes).
  local lsp_diag = vim.tbl_extend("keep", {
    range = {
      start = { line = found.lnum, character = found.col },
      ["end"] = { line = found.end_lnum, character = found.end_col },
    },
    severity = found.severity,
    message = found.message,
    source = found.source,
    code = found.code,
  }, (found.user_data and found.user_data.lsp) or {})

  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = lsp_diag.range,
    context = { diagnostics = { lsp_diag }, only = { "quickfix" } },
  }
  local responses, err = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 10000)
  if not responses then error("codeAction request failed: " .. tostring(err)) end
  local response = responses[client_id]
  if not response then error("no codeAction response from the client") end
  if response.error then error("codeAction error: " .. vim.inspect(response.error)) end
  result.actions = {}
  local chosen
  for _, action in ipairs(response.result or {}) do
    table.insert(result.actions, { title = action.title, kind = action.kind })
    if not chosen and action.kind == "quickfix" and action.edit then chosen = action end
  end
  if not chosen then error("no quick-fix with an edit") end
  result.applied_title = chosen.title

  vim.lsp.util.apply_workspace_edit(chosen.edit, "utf-16")
  result.edit_applied = vim.api.nvim_buf_get_option(bufnr, "modified")
  vim.cmd("write")
  result.text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. "\n"

  vim.lsp.stop_client(client_id)
  vim.wait(2000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
end

local ok, err = pcall(main)
if not ok then result.error = tostring(err) end
finish()
`;

interface NvimResult {
  error?: string;
  log: string[];
  diagnostics?: Array<{ code?: string; source?: string; message: string; lnum: number; col: number; end_lnum: number; end_col: number }>;
  word?: string;
  actions?: Array<{ title: string; kind?: string }>;
  applied_title?: string;
  edit_applied?: boolean;
  text?: string;
}

describe("Neovim as an LSP client", { skip }, () => {
  let dir: string;
  let result: NvimResult;

  before(() => {
    assert.ok(nvimVersion, "HEADROOM_REQUIRE_E2E=1 but nvim is not installed (apt-get install neovim)");
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "headroom-nvim-"));
    const work = join(dir, "project");
    cpSync(example, work, { recursive: true });
    const script = join(dir, "client.lua");
    const out = join(dir, "result.json");
    writeFileSync(script, LUA);
    const run = spawnSync("nvim", ["--headless", "--clean", "-n", "-i", "NONE", "-c", `luafile ${script}`], {
      cwd: work,
      encoding: "utf8",
      timeout: NVIM_TIMEOUT_MS,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        HEADROOM_E2E_ROOT: work,
        HEADROOM_E2E_SERVER: serverJs,
        HEADROOM_E2E_OUT: out,
        HEADROOM_E2E_RULE: RULE,
        // Keep Neovim's state (lsp.log) out of the user's home.
        XDG_STATE_HOME: join(dir, "state"),
        XDG_CACHE_HOME: join(dir, "cache"),
        XDG_DATA_HOME: join(dir, "data"),
        XDG_CONFIG_HOME: join(dir, "config"),
      },
    });
    const detail = `nvim status ${run.status} signal ${run.signal} error ${run.error?.message ?? "-"}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
    assert.ok(existsSync(out), `nvim wrote no result file\n${detail}`);
    result = JSON.parse(readFileSync(out, "utf8")) as NvimResult;
    assert.equal(result.error, undefined, `Lua client failed: ${result.error}\n${JSON.stringify(result, null, 2)}\n${detail}`);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows the workers/single-process diagnostic on the uvicorn word of start.sh", () => {
    const d = result.diagnostics?.find((x) => x.code === RULE);
    assert.ok(d, `no ${RULE} diagnostic in ${JSON.stringify(result.diagnostics)}`);
    assert.equal(d.lnum, 5, "line 6 (0-based 5): exec uvicorn ...");
    assert.equal(d.end_lnum, 5);
    assert.equal(d.col, "exec ".length);
    assert.equal(result.word, "uvicorn");
    assert.equal(d.source, "headroom");
    assert.match(d.message, /uvicorn/);
  });

  it("applies the first quick-fix through Neovim's apply_workspace_edit", () => {
    assert.ok((result.actions?.length ?? 0) > 0, "code actions returned");
    assert.equal(result.edit_applied, true, "buffer modified by the workspace edit");
    const text = result.text ?? "";
    // The fix replaces `uvicorn ...` with gunicorn and (2 x 2) + 1 = 5 uvicorn workers.
    const line = text.split("\n")[5];
    assert.match(line, /^exec gunicorn main:app\b/, line);
    assert.match(line, /--workers 5\b/, line);
    assert.match(line, /uvicorn\.workers\.UvicornWorker/, line);
    assert.match(line, /--bind 0\.0\.0\.0:\$\{PORT:-10000\}/, line);
    assert.doesNotMatch(line, /^exec uvicorn/, line);
    // Other lines are untouched.
    const original = readFileSync(join(example, "start.sh"), "utf8").split("\n");
    const edited = text.split("\n");
    assert.equal(edited.length, original.length);
    for (let i = 0; i < original.length; i++) if (i !== 5) assert.equal(edited[i], original[i], `line ${i + 1}`);
  });

  it("wrote start.sh to disk and bash -n accepts it", () => {
    const file = join(dir, "project", "start.sh");
    assert.equal(readFileSync(file, "utf8"), result.text);
    const check = spawnSync("bash", ["-n", file], { encoding: "utf8" });
    assert.equal(check.status, 0, check.stderr);
  });
});
