// uvicorn started by `uvicorn.run(...)` in a Python file (model/python-main.ts, `invocation.call`): its settings are
// the call's keyword arguments, so a message names `timeout_keep_alive` where a command line has
// `--timeout-keep-alive`, and a fix adds a keyword argument to the call, not a flag.
import type { ServerInvocation } from "../../parse/servers.ts";
import type { TextEdit } from "../../types.ts";

type Text = (file: string) => string | undefined;

/** uvicorn.run()'s keyword for one of uvicorn's flags: `--timeout-keep-alive` → `timeout_keep_alive`. */
export function runKeyword(flag: string): string {
  return flag.replace(/^--/, "").replace(/-/g, "_");
}

/** A setting as a message names it: `uvicorn --timeout-keep-alive` on a command line, `uvicorn.run()'s timeout_keep_alive` in a call. */
export function settingName(invocation: ServerInvocation, flag: string): string {
  return invocation.call ? `${invocation.program.value}()'s ${runKeyword(flag)}` : `${invocation.server} ${flag}`;
}

/**
 * Adds `keyword=value` as the call's last argument, laid out as its arguments are: on a line of its own with their
 * indentation when they are one per line (keeping a trailing comma), else after `, `. Undefined when the call is not
 * where the model read it, already has the keyword, or holds a `#` (a comment the edit could land after).
 */
export function addRunKeyword(invocation: ServerInvocation, keyword: string, value: string, text: Text): TextEdit | undefined {
  const call = invocation.call;
  const source = call && text(call.file);
  if (!call || source === undefined || source[call.end - 1] !== ")") return undefined;
  const open = source.indexOf("(", invocation.program.end);
  if (open === -1 || open >= call.end - 1 || source.slice(invocation.program.end, open).trim() !== "") return undefined;
  const inner = source.slice(open + 1, call.end - 1);
  if (inner.includes("#") || new RegExp(`(^|[(,\\s])${keyword}\\s*=`).test(inner)) return undefined;
  let last = call.end - 2;
  while (last > open && /\s/.test(source[last])) last--;
  const argument = `${keyword}=${value}`;
  if (last === open) return { file: call.file, start: open + 1, end: open + 1, newText: argument };
  const trailingComma = source[last] === ",";
  const lineStart = source.lastIndexOf("\n", last) + 1;
  const newText =
    lineStart > open
      ? `${trailingComma ? "" : ","}\n${/^[ \t]*/.exec(source.slice(lineStart))?.[0] ?? ""}${argument}${trailingComma ? "," : ""}`
      : `${trailingComma ? " " : ", "}${argument}`;
  return { file: call.file, start: last + 1, end: last + 1, newText };
}
