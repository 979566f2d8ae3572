// TOML read with toml-eslint-parser (a maintained TOML 1.0 parser whose syntax tree keeps every node's
// offsets), flattened to the values with their paths (`["vm", 0, "memory"]`, `["processes", "web"]`) and
// spans, so facts point at the text to change. A file that is not TOML gives its first error, at its place.
import { type AST, ParseError, parseTOML } from "toml-eslint-parser";
import type { Span } from "../types.ts";

export type TomlPath = Array<string | number>;

export interface TomlEntry {
  path: TomlPath;
  kind: "string" | "integer" | "float" | "boolean" | "array" | "other";
  /** The value (a string's text, a number, a boolean); an array's items are in `items`. */
  value: string | number | boolean | undefined;
  items?: TomlEntry[];
  /** The value as written, quotes included. */
  at: Span;
  /** A string's text without its quotes (the whole value for others). */
  inner: Span;
  /** The last key of the path as written. */
  keyAt: Span;
  /** Written in a `[table]` or `[[array of tables]]` (not at the top of the file, before any). */
  inTable: boolean;
}

export interface TomlDocument {
  entries: TomlEntry[];
  /** The value at a path (`get(["deploy", "release_command"])`). */
  get(path: TomlPath): TomlEntry | undefined;
  error?: { message: string; at: Span };
}

export function parseToml(text: string): TomlDocument {
  const entries: TomlEntry[] = [];
  const byPath = new Map<string, TomlEntry>();
  const document: TomlDocument = { entries, get: (path) => byPath.get(pathKey(path)) };
  let program: AST.TOMLProgram;
  try {
    program = parseTOML(text);
  } catch (err) {
    // The parser's own errors carry their offset; anything else (a stack overflow on deep nesting) is at the start.
    const at = err instanceof ParseError ? Math.min(err.index, text.length) : 0;
    document.error = { message: err instanceof Error ? err.message.split("\n")[0] : String(err), at: { start: at, end: at } };
    return document;
  }
  const add = (entry: TomlEntry) => {
    entries.push(entry);
    byPath.set(pathKey(entry.path), entry);
  };
  for (const node of program.body[0].body) {
    if (node.type === "TOMLKeyValue") readKeyValue(node, [], false, add);
    else for (const keyValue of node.body) readKeyValue(keyValue, node.resolvedKey, true, add);
  }
  return document;
}

function pathKey(path: TomlPath): string {
  return path.map(String).join("\u0000");
}

function readKeyValue(node: AST.TOMLKeyValue, parent: TomlPath, inTable: boolean, add: (entry: TomlEntry) => void): void {
  const path = [...parent, ...node.key.keys.map((k) => (k.type === "TOMLBare" ? k.name : k.value))];
  const last = node.key.keys[node.key.keys.length - 1];
  const keyAt = { start: last.range[0], end: last.range[1] };
  if (node.value.type === "TOMLInlineTable") {
    for (const inner of node.value.body) readKeyValue(inner, path, inTable, add);
    return;
  }
  add(content(node.value, path, keyAt, inTable));
}

function content(node: AST.TOMLContentNode, path: TomlPath, keyAt: Span, inTable: boolean): TomlEntry {
  const at = { start: node.range[0], end: node.range[1] };
  if (node.type === "TOMLArray") {
    const items = node.elements.map((element, i) => content(element, [...path, i], keyAt, inTable));
    return { path, kind: "array", value: undefined, items, at, inner: at, keyAt, inTable };
  }
  if (node.type === "TOMLInlineTable") return { path, kind: "other", value: undefined, at, inner: at, keyAt, inTable };
  if (node.kind === "string") {
    const quote = node.multiline ? 3 : 1;
    return { path, kind: "string", value: node.value, at, inner: { start: at.start + quote, end: at.end - quote }, keyAt, inTable };
  }
  if (node.kind === "integer" || node.kind === "float" || node.kind === "boolean") return { path, kind: node.kind, value: node.value, at, inner: at, keyAt, inTable };
  return { path, kind: "other", value: undefined, at, inner: at, keyAt, inTable };
}
