// The extension manifest (package.json) as the Marketplace and VS Code read it: metadata, icon, when the
// extension activates, which files are nginx, and settings that explain themselves.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import picomatch from "picomatch";
import { fileKind } from "../../server/src/engine/model/build.ts";

const repo = join(__dirname, "..", "..");

interface Manifest {
  name: string;
  displayName?: string;
  description?: string;
  publisher?: string;
  license?: string;
  icon?: string;
  repository?: { url?: string };
  categories?: string[];
  keywords?: string[];
  engines: { vscode: string };
  devDependencies: Record<string, string>;
  activationEvents: string[];
  contributes: {
    commands?: Array<{ command: string; title: string; category?: string }>;
    languages?: Array<{ id: string; filenames?: string[]; filenamePatterns?: string[] }>;
    configuration?: { properties: Record<string, { description?: string; markdownDescription?: string }> };
  };
}

const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as Manifest;
/** VS Code's built-in language ids for the deployment files Headroom reads. */
const BUILT_IN_LANGUAGES = ["shellscript", "dockerfile", "dockercompose"];

describe("extension manifest", () => {
  it("has the Marketplace metadata: publisher, names, Linters category, keywords, license, repository", () => {
    assert.match(manifest.publisher ?? "", /^[a-z0-9][a-z0-9-]*$/);
    assert.ok(manifest.displayName && manifest.description, "displayName and description");
    assert.ok(manifest.categories?.includes("Linters"), `categories: ${manifest.categories}`);
    assert.ok((manifest.keywords?.length ?? 0) > 0 && (manifest.keywords?.length ?? 0) <= 30, "1 to 30 keywords (vsce's limit)");
    assert.equal(manifest.license, "MIT");
    assert.ok(existsSync(join(repo, "LICENSE")), "LICENSE file");
    assert.match(manifest.repository?.url ?? "", /^https:\/\//);
  });

  it("names a 128 x 128 PNG icon", () => {
    assert.ok(manifest.icon, "icon");
    const png = readFileSync(join(repo, manifest.icon));
    assert.equal(png.toString("latin1", 1, 4), "PNG", "PNG signature");
    assert.equal(png.toString("latin1", 12, 16), "IHDR");
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
  });

  it("targets a VS Code no older than the API types it compiles against", () => {
    const engine = /^\^(\d+)\.(\d+)\.\d+$/.exec(manifest.engines.vscode);
    assert.ok(engine, `engines.vscode ${manifest.engines.vscode}`);
    const types = /(\d+)\.(\d+)/.exec(manifest.devDependencies["@types/vscode"] ?? "");
    assert.ok(types, "@types/vscode pinned");
    assert.ok(Number(types[1]) * 1000 + Number(types[2]) <= Number(engine[1]) * 1000 + Number(engine[2]), "vsce refuses @types/vscode newer than engines.vscode");
  });

  it("activates only for workspaces or languages with deployment files, never on startup", () => {
    const languages = new Set([...BUILT_IN_LANGUAGES, ...(manifest.contributes.languages ?? []).map((l) => l.id)]);
    for (const event of manifest.activationEvents) {
      const contains = /^workspaceContains:\*\*\/([^/*]+)$/.exec(event);
      const language = /^onLanguage:(.+)$/.exec(event);
      if (contains) assert.ok(fileKind(contains[1]) !== undefined, `${event}: Headroom does not read ${contains[1]}`);
      else if (language) assert.ok(languages.has(language[1]), `${event}: not a deployment file language`);
      else assert.fail(`${event}: only workspaceContains:**/NAME and onLanguage:ID (no *, no onStartupFinished)`);
    }
    // Each kind of file that starts a deployment activates the extension.
    for (const name of ["start.sh", "Procfile", "Dockerfile", "docker-compose.yml", "compose.yaml", "service.json", "apprunner.yaml", "render.yaml", "fly.toml", "heroku.yml", "nginx.conf"]) {
      assert.ok(manifest.activationEvents.includes(`workspaceContains:**/${name}`), name);
    }
  });

  it("contributes the nginx language for the nginx files Headroom reads", () => {
    const nginx = manifest.contributes.languages?.find((l) => l.id === "nginx");
    assert.ok(nginx, "nginx language");
    const matches = (path: string) =>
      (nginx.filenames ?? []).includes(path.slice(path.lastIndexOf("/") + 1)) ||
      (nginx.filenamePatterns ?? []).some((p) => picomatch(p, { dot: true })(path));
    for (const path of ["nginx.conf", "deploy/nginx.conf", "nginx/conf.d/app.conf", "etc/nginx/sites-enabled/app.conf", "conf.d/default.conf"]) {
      assert.equal(fileKind(path), "nginx", `the engine reads ${path} as nginx`);
      assert.ok(matches(path), `${path} is an nginx file in the editor`);
    }
  });

  it("describes every setting and gives every command a Headroom category", () => {
    for (const [key, setting] of Object.entries(manifest.contributes.configuration?.properties ?? {})) {
      assert.match(key, /^headroom\./, key);
      assert.ok((setting.description ?? setting.markdownDescription ?? "").length > 10, `${key} has a description`);
    }
    for (const command of manifest.contributes.commands ?? []) {
      assert.equal(command.category, "Headroom", command.command);
      assert.ok(command.title.length > 0, command.command);
    }
  });
});
