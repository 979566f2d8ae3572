/** The lines of a text without their line endings (LF or CRLF), each with the offset where it starts. */
export function* textLines(text: string): Generator<{ line: string; start: number }> {
  let start = 0;
  for (const raw of text.split("\n")) {
    yield { line: raw.replace(/\r$/, ""), start };
    start += raw.length + 1;
  }
}

/**
 * The text the `yaml` library is given: it breaks lines only at LF, so a lone CR (old Mac line endings) is made
 * an LF. Same length, so every offset it reports is an offset of the original text.
 */
export function yamlSource(text: string): string {
  return text.includes("\r") ? text.replace(/\r(?!\n)/g, "\n") : text;
}

/** The line break a text uses (CRLF, a lone CR or LF), for the lines an edit inserts. */
export function lineBreakOf(text: string): string {
  if (text.includes("\r\n")) return "\r\n";
  return text.includes("\r") ? "\r" : "\n";
}

/** Where the line holding `offset` starts, and where the next one starts (the text's length for the last line); any line break counts. */
export function lineBounds(text: string, offset: number): { start: number; next: number } {
  const start = Math.max(text.lastIndexOf("\n", offset - 1), text.lastIndexOf("\r", offset - 1)) + 1;
  const lineBreak = /\r\n|\r|\n/g;
  lineBreak.lastIndex = offset;
  const found = lineBreak.exec(text);
  return { start, next: found ? found.index + found[0].length : text.length };
}
