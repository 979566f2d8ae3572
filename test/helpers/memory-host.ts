import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { WorkspaceHost } from "../../server/src/engine/api.ts";

/** A workspace held in memory: path → text. */
export function memoryHost(files: Record<string, string>): WorkspaceHost {
  return { list: () => Object.keys(files).sort(), read: (path) => files[path] };
}

/** Every file under a fixture folder except expected.txt, as a memory workspace. */
export function readFixture(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name !== "expected.txt") files[relative(dir, full).split(sep).join("/")] = readFileSync(full, "utf8");
    }
  };
  walk(dir);
  return files;
}
