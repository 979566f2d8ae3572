// Keeps reads inside the workspace. The engine only asks for workspace-relative paths, but a symlink in the
// repository (a file, or a directory on the way) can point anywhere on the machine: a hostile repository
// could make an nginx include or a compose env_file read ~/.ssh or /etc. Files outside are read only when
// the user names their directory (CLI --allow-path, editor setting headroom.allowedPaths).
import { realpathSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";

export type Located = { abs: string } | { refused: string };

function realOrSelf(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return resolve(path);
  }
}

const within = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/**
 * Returns a function mapping a workspace-relative path to the absolute path to read, or why it is refused.
 * `linkFree`: the caller found the path by walking real folders to a regular file (a listing that follows
 * no link), so it resolves inside the root without asking the file system.
 */
export function workspaceLocator(root: string, allowedDirs: readonly string[] = []): (rel: string, linkFree?: boolean) => Located {
  const roots = [root, ...allowedDirs].map(realOrSelf);
  return (rel, linkFree) => {
    if (rel === "" || rel.includes("\0") || isAbsolute(rel) || rel.split(/[\\/]/).includes("..")) return { refused: "not a path inside the workspace" };
    const abs = join(root, rel);
    if (linkFree) return { abs };
    let real: string;
    try {
      real = realpathSync.native(abs);
    } catch {
      // Missing (or a dangling link): the read fails on its own and reads nothing.
      return { abs };
    }
    if (roots.some((dir) => within(dir, real))) return { abs };
    return { refused: `links outside the workspace (to ${real}); add its folder to the allowed paths to read it` };
  };
}
