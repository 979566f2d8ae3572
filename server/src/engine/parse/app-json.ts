// Heroku's app.json (https://devcenter.heroku.com/articles/app-json-schema): the config vars an app is
// set up with (`env`, each a string or an object with a `value`) and the dynos of each process type
// (`formation.<type>.quantity`). Read with jsonc-parser, which keeps offsets, so facts point at values.
import { findNodeAtLocation, parseTree, type ParseError } from "jsonc-parser";
import type { Fact } from "../types.ts";
import { valueRef } from "./apprunner.ts";

export interface HerokuAppJson {
  env: Map<string, Fact<string>>;
  /** Dynos per Procfile process type. */
  quantity: Map<string, Fact<number>>;
}

/** Undefined when the text is not JSON: app.json is only read beside a Procfile, and a broken one then says nothing. */
export function parseAppJson(text: string, file: string): HerokuAppJson | undefined {
  const errors: ParseError[] = [];
  let root: ReturnType<typeof parseTree>;
  try {
    root = parseTree(text, errors, { allowTrailingComma: true });
  } catch {
    // jsonc-parser recurses per nesting level: a deeply nested file overflows the stack.
    return undefined;
  }
  if (!root || errors.length > 0 || root.type !== "object") return undefined;
  const result: HerokuAppJson = { env: new Map(), quantity: new Map() };
  const env = findNodeAtLocation(root, ["env"]);
  for (const property of env?.type === "object" ? (env.children ?? []) : []) {
    const [key, entry] = property.children ?? [];
    // A variable with only a `generator` or `required` has no value in the file.
    const value = entry?.type === "object" ? findNodeAtLocation(entry, ["value"]) : entry;
    if (key && value && (value.type === "string" || value.type === "number" || value.type === "boolean")) {
      result.env.set(String(key.value), { value: String(value.value), origin: "stated", at: valueRef(file, value) });
    }
  }
  const formation = findNodeAtLocation(root, ["formation"]);
  for (const property of formation?.type === "object" ? (formation.children ?? []) : []) {
    const [key, entry] = property.children ?? [];
    const quantity = entry?.type === "object" ? findNodeAtLocation(entry, ["quantity"]) : undefined;
    if (key && quantity?.type === "number" && Number.isInteger(quantity.value) && quantity.value >= 0) {
      result.quantity.set(String(key.value), { value: Number(quantity.value), origin: "stated", at: valueRef(file, quantity) });
    }
  }
  return result;
}
