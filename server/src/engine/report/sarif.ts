// SARIF 2.1.0 (OASIS), the format GitHub code scanning and other CI dashboards read.
// Paths stay relative (uriBaseId %SRCROOT%); columns are UTF-16 code units, SARIF's default.
// Suppressed findings are results too, with `suppressions` saying what silenced them; every other
// result carries an empty `suppressions` (the spec wants all or none of a run's results to have one).
import type { AuditResult, RuleInfo, Suppressed } from "../api.ts";
import { PARSE_ERROR_DOCS_URL } from "../rules/define.ts";
import type { Finding, Severity, SourceRef } from "../types.ts";
import { lineRanges } from "./positions.ts";

export const SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const INFORMATION_URI = "https://github.com/headroom-dev/headroom";
const SRCROOT = "%SRCROOT%";

const PARSE_ERROR: RuleInfo = {
  id: "parse/error",
  summary: "A deployment file could not be read as configuration",
  severity: "error",
  docsUrl: PARSE_ERROR_DOCS_URL,
};

export interface SarifOptions {
  /** Headroom's version (package.json). */
  version: string;
  /** Every rule of the catalogue, engine rules included. */
  rules: RuleInfo[];
  /** Prepended to every path (e.g. the audited folder relative to the repository root), forward slashes, no trailing slash. */
  pathPrefix?: string;
  /** Absolute file: URI of the folder paths are relative to, ending in "/". */
  srcRootUri?: string;
}

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { error: "error", warning: "warning", info: "note", hint: "note" };

export function renderSarif(result: AuditResult, read: (file: string) => string | undefined, options: SarifOptions): string {
  const catalogue = options.rules.some((r) => r.id === PARSE_ERROR.id) ? [...options.rules] : [...options.rules, PARSE_ERROR];
  // A finding from a rule the catalogue does not list still needs a descriptor for its ruleIndex.
  for (const f of [...result.findings, ...result.suppressed.map((s) => s.finding)]) {
    if (!catalogue.some((r) => r.id === f.rule)) catalogue.push({ id: f.rule, summary: f.rule, severity: f.severity, docsUrl: INFORMATION_URI });
  }
  const ruleIndex = new Map(catalogue.map((r, i) => [r.id, i]));
  const region = lineRanges(read);
  const uri = (file: string) => [...(options.pathPrefix ? options.pathPrefix.split("/") : []), ...file.split("/")].map(encodeURIComponent).join("/");
  const artifactLocation = (file: string) => ({ uri: uri(file), uriBaseId: SRCROOT });
  const physicalLocation = (ref: SourceRef) => ({ artifactLocation: artifactLocation(ref.file), region: region(ref) });

  const toSuppression = (s: Suppressed) => ({
    kind: s.kind,
    ...(s.reason ? { justification: s.reason } : {}),
    ...(s.at ? { location: { physicalLocation: physicalLocation(s.at) } } : {}),
  });

  const toResult = (f: Finding, suppressions: ReturnType<typeof toSuppression>[]) => ({
    ruleId: f.rule,
    ruleIndex: ruleIndex.get(f.rule),
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [{ physicalLocation: physicalLocation(f.at) }],
    ...(f.related.length ? { relatedLocations: f.related.map((r, id) => ({ id, physicalLocation: physicalLocation(r.at), message: { text: r.message } })) } : {}),
    ...(f.fixes.length
      ? {
          fixes: f.fixes.map((fix) => ({
            description: { text: fix.title },
            artifactChanges: [...new Set(fix.edits.map((e) => e.file))].map((file) => ({
              artifactLocation: artifactLocation(file),
              replacements: fix.edits.filter((e) => e.file === file).map((e) => ({ deletedRegion: region(e), insertedContent: { text: e.newText } })),
            })),
            properties: { safe: fix.safe },
          })),
        }
      : {}),
    suppressions,
  });

  const log = {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "Headroom",
            version: options.version,
            informationUri: INFORMATION_URI,
            rules: catalogue.map((r) => ({
              id: r.id,
              shortDescription: { text: r.summary },
              helpUri: r.docsUrl,
              defaultConfiguration: { level: LEVEL[r.severity] },
            })),
          },
        },
        ...(options.srcRootUri ? { originalUriBaseIds: { [SRCROOT]: { uri: options.srcRootUri } } } : {}),
        columnKind: "utf16CodeUnits",
        results: [...result.findings.map((f) => toResult(f, [])), ...result.suppressed.map((s) => toResult(s.finding, [toSuppression(s)]))],
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
