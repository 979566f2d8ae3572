/** The lines of a text without their line endings (LF or CRLF), each with the offset where it starts. */
export function* textLines(text: string): Generator<{ line: string; start: number }> {
  let start = 0;
  for (const raw of text.split("\n")) {
    yield { line: raw.replace(/\r$/, ""), start };
    start += raw.length + 1;
  }
}
