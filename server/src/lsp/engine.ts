// What the language server calls in the engine, gathered in one module so that server.ts can load it
// on first use: parsers, model, rules and report are most of the bundle and none is needed to answer
// `initialize`.
export { audit, isDeploymentFile, RULES } from "../engine/audit.ts";
export { explainAt } from "../engine/explain.ts";
export { renderHtml } from "../engine/report/html.ts";
export { summarizeAudit } from "../engine/report/summary.ts";
