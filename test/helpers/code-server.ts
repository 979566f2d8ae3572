// code-server (a real VS Code workbench, installed by scripts/install-code-server.sh into .cache/code-server/)
// with Headroom installed from a freshly packaged .vsix, driven through Debian's chromium by playwright-core.
// Shared by test/e2e/code-server.test.ts and the bench's extension activation measure (bench/run.ts).
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { packageVsix } from "./vsix.ts";

const repo = join(__dirname, "..", "..");
export const codeServerPath = process.env.HEADROOM_CODE_SERVER ?? join(repo, ".cache", "code-server", "node_modules", ".bin", "code-server");
export const chromiumPath = process.env.HEADROOM_CHROMIUM ?? "/usr/bin/chromium";
export const WAIT_MS = 60_000;

/** What is missing to run code-server in chromium, as messages; empty when both are there. */
export const codeServerMissing: string[] = [
  existsSync(codeServerPath) ? undefined : `code-server (${codeServerPath}; run scripts/install-code-server.sh)`,
  existsSync(chromiumPath) ? undefined : `chromium (${chromiumPath}; apt-get install chromium)`,
].filter((m): m is string => m !== undefined);

// User settings: no welcome page or tips over the editor, nothing phoned home, the trust prompt every time.
const SETTINGS = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "security.workspace.trust.startupPrompt": "always",
};

// Headless flags for Debian's chromium as root on a machine without outside network.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function waitForHttp(url: string, proc: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`code-server exited with ${proc.exitCode}:\n${log()}`);
    try {
      const res = await fetch(url, { redirect: "manual" });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${url} within ${WAIT_MS} ms:\n${log()}`);
}

export interface CodeServer {
  url: string;
  browser: Browser;
  /** What code-server printed so far. */
  log(): string;
  /** Closes chromium and kills code-server with everything it started (also on the test process's exit). */
  stop(): Promise<void>;
}

/**
 * Packages Headroom, installs it into a code-server whose settings, extensions and HOME live under `dir`,
 * starts it on a free port of 127.0.0.1 (with `env` added to its environment) and launches chromium.
 */
export async function startCodeServer(dir: string, env: NodeJS.ProcessEnv = {}): Promise<CodeServer> {
  assert.deepEqual(codeServerMissing, [], "code-server or chromium is missing");
  const home = join(dir, "home");
  const userData = join(dir, "user-data");
  const extensions = join(dir, "extensions");
  mkdirSync(join(userData, "User"), { recursive: true });
  writeFileSync(join(userData, "User", "settings.json"), JSON.stringify(SETTINGS, null, 2));
  // code-server and chromium write config, logs and caches under HOME: keep them in the temp dir.
  const homeEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local", "share"), XDG_CACHE_HOME: join(home, ".cache") };
  const common = ["--config", join(dir, "config.yaml"), "--user-data-dir", userData, "--extensions-dir", extensions];

  const vsix = join(dir, "headroom.vsix");
  packageVsix(vsix);
  const install = spawnSync(codeServerPath, [...common, "--install-extension", vsix], { env: homeEnv, encoding: "utf8", timeout: WAIT_MS });
  assert.equal(install.status, 0, `code-server --install-extension failed:\n${install.stdout}\n${install.stderr}`);
  assert.match(install.stdout, /successfully installed/);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const server = spawn(codeServerPath, [...common, "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check"], {
    env: { ...homeEnv, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const kill = (): void => {
    // code-server, its VS Code server, extension hosts and Headroom's language server share one process group.
    if (server.pid !== undefined && server.exitCode === null && server.signalCode === null) {
      try {
        process.kill(-server.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  process.once("exit", kill);
  server.stdout?.on("data", (b: Buffer) => (output += b.toString()));
  server.stderr?.on("data", (b: Buffer) => (output += b.toString()));
  try {
    await waitForHttp(`${url}/healthz`, server, () => output);
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS, env: homeEnv });
    return {
      url,
      browser,
      log: () => output,
      stop: async () => {
        await browser.close().catch(() => undefined);
        kill();
        process.removeListener("exit", kill);
      },
    };
  } catch (err) {
    kill();
    process.removeListener("exit", kill);
    throw err;
  }
}

/** Opens the folder, answers the workspace trust prompt, and returns once the workbench is up. */
export async function openFolder(page: Page, url: string, folder: string, trust: boolean): Promise<void> {
  await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: WAIT_MS });
  const answer = trust ? "Yes, I trust the authors" : "No, I don't trust the authors";
  await page.getByRole("button", { name: answer }).click({ timeout: WAIT_MS });
  await page.locator(".monaco-dialog-box").waitFor({ state: "detached", timeout: WAIT_MS });
}

/** Runs a command by its title from the command palette (F1). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ timeout: WAIT_MS });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor({ timeout: WAIT_MS });
  await page.keyboard.press("Enter");
}

/**
 * Headroom's activation time as VS Code's "Developer: Show Running Extensions" shows it (the extension
 * host's code loading plus activate() call time, in ms), once Headroom has been activated in this window.
 */
export async function activationTimeMs(page: Page): Promise<{ ms: number; text: string }> {
  await runCommand(page, "Developer: Show Running Extensions");
  const row = page.locator(".runtime-extensions-editor .extension", { hasText: "Headroom" });
  const time = row.locator(".activation-time");
  const deadline = Date.now() + WAIT_MS;
  let text = "";
  while (Date.now() < deadline) {
    text = (await time.textContent({ timeout: WAIT_MS }).catch(() => "")) ?? "";
    const ms = /(\d+)\s*ms/.exec(text);
    if (ms) return { ms: Number(ms[1]), text: text.trim() };
    await page.waitForTimeout(250);
  }
  throw new Error(`Running Extensions never showed Headroom's activation time (last: "${text}")`);
}
