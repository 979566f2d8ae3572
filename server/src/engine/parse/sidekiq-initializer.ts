// Sidekiq 7 capsules declared in a Rails initializer (config/initializers/sidekiq.rb), read as text:
//   Sidekiq.configure_server do |config|
//     config.capsule("unsafe") do |cap|
//       cap.concurrency = 1
//     end
//   end
// Only a capsule whose block assigns an integer literal to its block variable's `concurrency` is read;
// anything computed (`ENV.fetch(...)`, a constant) is left alone. Nothing is ever run.
import type { Fact } from "../types.ts";

export interface InitializerCapsule {
  name: string;
  /** The capsule's name as written, for messages that point at the block. */
  at: { file: string; start: number; end: number };
  threads?: Fact<number>;
}

/** A `capsule("name")` (or `:name`, `'name'`) call and the block variable its `do |x|` or `{ |x|` names. */
const CAPSULE_CALL = /\.capsule\(\s*(?:"([\w.-]+)"|'([\w.-]+)'|:(\w+))\s*\)\s*(?:do|\{)\s*\|\s*(\w+)\s*\|/g;

export function parseSidekiqInitializer(text: string, file: string): InitializerCapsule[] {
  const code = withoutComments(text);
  const server = code.search(/\bconfigure_server\b/);
  if (server < 0) return [];
  const calls = [...code.matchAll(CAPSULE_CALL)].filter((m) => (m.index ?? 0) > server);
  return calls.flatMap((call, i): InitializerCapsule[] => {
    const name = call[1] ?? call[2] ?? call[3] ?? "";
    // `capsule("default")` is the default capsule, whose threads are the process's concurrency already.
    if (name === "default") return [];
    const nameStart = (call.index ?? 0) + call[0].indexOf(name);
    const capsule: InitializerCapsule = { name, at: { file, start: nameStart, end: nameStart + name.length } };
    // The block runs up to the next capsule call (or the end): its variable's `concurrency =` there is this capsule's.
    const from = (call.index ?? 0) + call[0].length;
    const to = calls[i + 1]?.index ?? code.length;
    const assignment = new RegExp(`\\b${call[4]}\\.concurrency\\s*=\\s*(\\d+)(?![\\w.])`).exec(code.slice(from, to));
    if (assignment) {
      const start = from + assignment.index + assignment[0].length - assignment[1].length;
      capsule.threads = { value: Number(assignment[1]), origin: "stated", at: { file, start, end: start + assignment[1].length } };
    }
    return [capsule];
  });
}

/** The text with each `#` comment blanked to spaces (same length, so offsets stay), outside string literals. */
function withoutComments(text: string): string {
  let out = "";
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") {
        out += c + (text[i + 1] ?? "");
        i++;
        continue;
      }
      if (c === quote || c === "\n") quote = undefined;
      out += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      out += c;
    } else if (c === "#") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      out += " ".repeat(stop - i);
      i = stop - 1;
    } else out += c;
  }
  return out;
}
