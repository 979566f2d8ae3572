// Heroku's app.json (https://devcenter.heroku.com/articles/app-json-schema): the config vars an app is
// set up with (`env`, each a string or an object with a `value`) and the dynos of each process type
// (`formation.<type>.quantity`), their dyno size (`formation.<type>.size`), the add-on plans it provisions
// (`addons`: `"heroku-postgresql:essential-0"` or `{ "plan": … }`) and its buildpacks. Read with jsonc-parser, which keeps offsets, so facts point at values.
import { findNodeAtLocation, parseTree, type ParseError } from "jsonc-parser";
import type { Fact } from "../types.ts";
import { valueRef } from "./apprunner.ts";

export interface HerokuAppJson {
  env: Map<string, Fact<string>>;
  /** Dynos per Procfile process type. */
  quantity: Map<string, Fact<number>>;
  /** Dyno size per Procfile process type, as written (`standard-2x`). */
  size: Map<string, Fact<string>>;
  /** Add-on plans as written (`heroku-postgresql:essential-0`, or `heroku-postgresql` for the default plan). */
  addons: Array<Fact<string>>;
  /** Buildpack URLs or names in order (`heroku/python`); the last is the app's primary language. */
  buildpacks: string[];
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
  const result: HerokuAppJson = { env: new Map(), quantity: new Map(), size: new Map(), addons: [], buildpacks: [] };
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
    const size = entry?.type === "object" ? findNodeAtLocation(entry, ["size"]) : undefined;
    if (key && size?.type === "string") result.size.set(String(key.value), { value: String(size.value), origin: "stated", at: valueRef(file, size) });
  }
  const addons = findNodeAtLocation(root, ["addons"]);
  for (const addon of addons?.type === "array" ? (addons.children ?? []) : []) {
    const plan = addon.type === "object" ? findNodeAtLocation(addon, ["plan"]) : addon;
    if (plan?.type === "string") result.addons.push({ value: String(plan.value), origin: "stated", at: valueRef(file, plan) });
  }
  const buildpacks = findNodeAtLocation(root, ["buildpacks"]);
  for (const buildpack of buildpacks?.type === "array" ? (buildpacks.children ?? []) : []) {
    const url = buildpack.type === "object" ? findNodeAtLocation(buildpack, ["url"]) : undefined;
    if (url?.type === "string") result.buildpacks.push(String(url.value));
  }
  return result;
}
