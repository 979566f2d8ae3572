// Edits on a server's command line that are only offered when the words are written, as plain
// text, where the edit lands: not expanded from a variable, not an item of a YAML/JSON list.
import type { ServerOption } from "../../parse/servers.ts";
import type { CommandWord } from "../../parse/servers.ts";
import type { SourceRef, TextEdit } from "../../types.ts";

type Text = (file: string) => string | undefined;

/** Where a word is written exactly as its value (so deleting its span deletes that word). */
export function plainWordRef(word: CommandWord, text: Text): SourceRef | undefined {
  if ("quote" in word) return undefined;
  const at = word.fact.at;
  if (!at || at.start !== word.start || at.end !== word.end || word.start >= word.end) return undefined;
  if (text(at.file)?.slice(word.start, word.end) !== word.value) return undefined;
  return { file: at.file, start: word.start, end: word.end };
}

/**
 * Deletes an option (its flag, and its value when it is a separate word) with the blank before
 * it. Undefined unless every word is plain, the value follows the flag after blanks only, and a
 * blank precedes the flag.
 */
export function removeOptionEdit(option: ServerOption, text: Text): TextEdit | undefined {
  const flag = plainWordRef(option.flag, text);
  if (!flag) return undefined;
  const source = text(flag.file) ?? "";
  let end = flag.end;
  if (option.value && option.value.start >= option.flag.end) {
    const value = plainWordRef(option.value, text);
    if (!value || value.file !== flag.file || !/^[ \t]+$/.test(source.slice(flag.end, value.start))) return undefined;
    end = value.end;
  } else if (option.value && option.value.end > option.flag.end) {
    return undefined;
  }
  if (!/[ \t]/.test(source[flag.start - 1] ?? "")) return undefined;
  return { file: flag.file, start: flag.start - 1, end, newText: "" };
}

/**
 * Inserts arguments right after a word: ` --a 1` after a plain word, `, "--a", "1"` after a
 * quoted list item. Undefined for an unquoted YAML block item or a word not written as is.
 */
export function insertAfterEdit(word: CommandWord, args: string[], text: Text): TextEdit | undefined {
  if ("quote" in word) {
    const quote = (word as CommandWord & { quote: string }).quote;
    const at = word.fact.at;
    if (!quote || !at) return undefined;
    const source = text(at.file);
    if (source?.slice(word.end, word.end + quote.length) !== quote) return undefined;
    const position = word.end + quote.length;
    return { file: at.file, start: position, end: position, newText: args.map((a) => `, ${quote}${a}${quote}`).join("") };
  }
  const at = plainWordRef(word, text);
  if (!at) return undefined;
  return { file: at.file, start: at.end, end: at.end, newText: ` ${args.join(" ")}` };
}
