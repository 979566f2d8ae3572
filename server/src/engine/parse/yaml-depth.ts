// Deeply nested YAML, shared by every YAML reader (compose, apprunner.yaml, database.yml, sidekiq.yml,
// headroom.yml, CI files, suppression comments). The `yaml` library reads nesting by recursion: past about a
// thousand levels it overflows the JavaScript stack, and after a few such overflows in one process Node itself
// aborts ("RegExpCompiler Allocation failed"), which would take the language server down. Text nested deeper
// than any configuration is therefore never given to it; the readers report it as too deep to read.

/** Nesting no configuration reaches, well below where the yaml library overflows (about 1000 levels). */
const MAX_DEPTH = 200;

export const YAML_TOO_DEEP = "nested too deep to read";

/** The yaml library's message, first line; its own stack overflow said as what it means. */
export function yamlErrorText(message: string): string {
  return /Maximum call stack size exceeded/.test(message) ? YAML_TOO_DEEP : message.split("\n")[0];
}

/**
 * Where the text first nests deeper than MAX_DEPTH, or undefined. A line's depth is its indentation plus its
 * block-sequence or mapping-key markers (`- - - x`, `? ? x`) plus the flow collections open at that point
 * (`[`, `{`, which may span lines); brackets inside quotes and comments do not count. An over-estimate for
 * odd but legal text (a block scalar indented by hundreds of spaces), never an under-estimate.
 */
export function yamlTooDeepAt(text: string): number | undefined {
  let flow = 0;
  let lineStart = 0;
  while (lineStart < text.length) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline < 0 ? text.length : newline;
    let i = lineStart;
    while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
    let block = i - lineStart;
    for (let c = text.charCodeAt(i); i + 1 < lineEnd && (c === DASH || c === QUESTION) && isBlank(text.charCodeAt(i + 1)); c = text.charCodeAt(i)) {
      block++;
      i += 2;
      while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
    }
    if (block + flow > MAX_DEPTH) return i;
    let quote = 0;
    for (; i < lineEnd; i++) {
      const c = text.charCodeAt(i);
      if (quote) {
        if (c === quote) quote = 0;
      } else if (c === SINGLE || c === DOUBLE) quote = c;
      else if (c === HASH && (i === lineStart || isBlank(text.charCodeAt(i - 1)))) break;
      else if (c === OPEN_SQUARE || c === OPEN_CURLY) {
        if (++flow + block > MAX_DEPTH) return i;
      } else if ((c === CLOSE_SQUARE || c === CLOSE_CURLY) && flow > 0) flow--;
    }
    lineStart = lineEnd + 1;
  }
  return undefined;
}

const [DASH, QUESTION, SINGLE, DOUBLE, HASH, OPEN_SQUARE, OPEN_CURLY, CLOSE_SQUARE, CLOSE_CURLY] = [..."-?'\"#[{]}"].map((c) => c.charCodeAt(0));

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}
