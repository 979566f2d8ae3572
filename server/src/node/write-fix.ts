// `headroom audit --fix` writes here: only inside the audited folder, and only over the text it audited.
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { FileFix } from "../engine/fix.ts";

/** Writes a fixed file, unless it is outside DIR or changed on disk since it was audited. */
export function writeFix(root: string, plan: FileFix, log: (message: string) => void): boolean {
  let path: string;
  try {
    path = realpathSync(join(root, plan.file));
    const fromRoot = relative(realpathSync(root), path);
    if (fromRoot.startsWith("..") || isAbsolute(fromRoot)) {
      log(`not fixed ${plan.file}: it leads outside ${root}`);
      return false;
    }
    if (readFileSync(path, "utf8") !== plan.before) {
      log(`not fixed ${plan.file}: it changed since it was audited`);
      return false;
    }
    writeFileSync(path, plan.after);
  } catch (err) {
    log(`not fixed ${plan.file}: ${(err as Error).message}`);
    return false;
  }
  for (const a of plan.applied) log(`fixed ${plan.file}: ${a.rule}: ${a.title}`);
  return true;
}
