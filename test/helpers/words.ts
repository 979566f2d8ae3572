// Test helper: split a command line into CommandWords with offsets (whitespace-separated,
// single and double quotes removed, no expansion). Good enough for option-parsing tests; the
// real shell parser lives in server/src/engine/parse/shell.ts.
import type { CommandWord } from "../../server/src/engine/parse/servers.ts";

export function words(cmd: string, file = "start.sh", offset = 0): CommandWord[] {
  const out: CommandWord[] = [];
  let i = 0;
  while (i < cmd.length) {
    while (i < cmd.length && /\s/.test(cmd[i])) i++;
    if (i >= cmd.length) break;
    const start = i;
    let value = "";
    while (i < cmd.length && !/\s/.test(cmd[i])) {
      const c = cmd[i];
      if (c === "'" || c === '"') {
        const close = cmd.indexOf(c, i + 1);
        const stop = close < 0 ? cmd.length : close;
        value += cmd.slice(i + 1, stop);
        i = close < 0 ? cmd.length : close + 1;
      } else {
        value += c;
        i++;
      }
    }
    const raw = cmd.slice(start, i);
    out.push({
      value,
      raw,
      start: offset + start,
      end: offset + i,
      fact: { value, origin: "stated", at: { file, start: offset + start, end: offset + i } },
    });
  }
  return out;
}

/** Words for an argv array (no word may contain whitespace). */
export function argvWords(argv: string[], file = "start.sh"): CommandWord[] {
  return words(argv.join(" "), file);
}
