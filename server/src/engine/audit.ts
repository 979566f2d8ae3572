// The one entry point every front end calls: files (+ headroom.yml) → model → rules → findings.
import picomatch from "picomatch";
import type { AuditResult, RuleInfo, WorkspaceHost } from "./api.ts";
import { withSizeLimits } from "./limits.ts";
import { CONFIG_FILE, type ConfigProblem, emptyConfig, type HeadroomConfig, mergeConfigs, readConfigFile, readConfigSettings } from "./config.ts";
import { buildModel, fileKind, isShellScript, parseAhead } from "./model/build.ts";
import { applyConfiguredFacts } from "./model/configured.ts";
import { poolEnvTable } from "./model/pools.ts";
import { oneAuditMemo, type ParseCache } from "./parse-cache.ts";
import { docsUrl, type Report } from "./rules/define.ts";
import { ALL_RULES, ENGINE_RULES } from "./rules/index.ts";
import configInvalid from "./rules/config/invalid.ts";
import { applySuppressions } from "./suppress.ts";
import type { Finding, ParseProblem } from "./types.ts";

export interface AuditOptions {
  /** The editor's `headroom.*` settings (same keys as headroom.yml; headroom.yml wins key by key). */
  settings?: unknown;
}

export const PARSE_ERROR_RULE = "parse/error";

export const RULES: RuleInfo[] = [...ALL_RULES.map((r) => r.meta), ...ENGINE_RULES].map((m) => ({ id: m.id, summary: m.summary, severity: m.severity, docsUrl: docsUrl(m.id) }));

/** Every id a configuration or a suppression may name. */
export const KNOWN_RULE_IDS: ReadonlySet<string> = new Set([...RULES.map((r) => r.id), PARSE_ERROR_RULE]);

/** Files the audit reads: deployment files and headroom.yml at the root. */
export function isDeploymentFile(path: string): boolean {
  return path === CONFIG_FILE || fileKind(path) !== undefined;
}

/** headroom.yml's text, read only when the workspace lists it: most have none, and a host logs a read of a missing file as a skip. */
function readConfigText(host: WorkspaceHost): string | undefined {
  return host.list().includes(CONFIG_FILE) ? host.read(CONFIG_FILE) : undefined;
}

/** The configuration in effect: headroom.yml (read through the host) over the editor settings. */
export function loadConfig(host: WorkspaceHost, settings?: unknown): { config: HeadroomConfig; problems: ConfigProblem[] } {
  const fromSettings = settings === undefined ? { config: emptyConfig(), problems: [] } : readConfigSettings(settings, KNOWN_RULE_IDS);
  const text = readConfigText(host);
  const fromFile = text === undefined ? { config: emptyConfig(), problems: [] } : readConfigFile(text, KNOWN_RULE_IDS);
  return { config: mergeConfigs(fromSettings.config, fromFile.config), problems: [...fromSettings.problems, ...fromFile.problems] };
}

/** `parses`: a cache the caller keeps between audits (see AuditSession); without one, a text is parsed once per audit. */
export function audit(workspace: WorkspaceHost, options: AuditOptions = {}, parses?: ParseCache): AuditResult {
  const problems: ParseProblem[] = [];
  const missing = new Set<string>();
  const host = readingOnce(withSizeLimits(notingMisses(workspace, missing), problems));
  const { config, problems: configProblems } = loadConfig(host, options.settings);
  const included = pathFilter(config);
  const paths = host.list().filter((p) => p !== CONFIG_FILE && isDeploymentFile(p) && included(p) && isShellScript(p, host.read)).sort();
  parses?.startAudit();
  const memo = parses ?? oneAuditMemo();
  if (!parses) {
    // A one-shot audit reads every listed file anyway (filesRead, below): read in one pass, in order, each read
    // costs about half what it does scattered through the model's work (docs/performance.md, item 36).
    for (const path of paths) host.read(path);
    parseAhead(host, paths, memo);
  }
  // Pools are read while the model is built, so headroom.yml's pool names go in here, not with the facts below.
  const model = buildModel(host, paths, problems, memo, poolEnvTable(config.pools.env));
  configProblems.push(...applyConfiguredFacts(model, config));

  const findings: Finding[] = [];
  const seen = new Set<string>();
  /** False when the finding's rule is off; otherwise sets its configured severity. */
  const configure = (finding: Finding): boolean => {
    const setting = config.rules.get(finding.rule)?.value;
    if (setting === "off") return false;
    if (setting) finding.severity = setting;
    return true;
  };
  const add = (finding: Finding) => {
    if (!configure(finding)) return;
    const key = `${finding.rule}|${finding.at.file}|${finding.at.start}|${finding.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(finding);
  };
  for (const problem of problems) add({ rule: PARSE_ERROR_RULE, severity: problem.severity, message: problem.message, at: problem.at, related: [], fixes: [] });
  // Settings problems have no file: the language server shows them as a message (AuditResult.configProblems).
  for (const problem of configProblems) {
    if (problem.at) add({ rule: configInvalid.id, severity: configInvalid.severity, message: problem.message, at: problem.at, related: [], fixes: [] });
  }
  for (const rule of ALL_RULES) {
    if (config.rules.get(rule.meta.id)?.value === "off") continue;
    rule.check({
      model,
      config,
      text: (file) => host.read(file),
      report: (r: Report) => add({ rule: rule.meta.id, severity: rule.meta.severity, message: r.message, at: r.at, related: r.related ?? [], fixes: r.fixes ?? [], ...(r.deployment ? { deployment: r.deployment.id } : {}) }),
    });
  }
  // Suppression findings go through `add` too, so headroom.yml may set their severity or turn them off.
  const isOff = (rule: string) => config.rules.get(rule)?.value === "off";
  const { kept, added, suppressed } = applySuppressions(findings.splice(0), paths, (file) => host.read(file), config.suppressions, KNOWN_RULE_IDS, isOff, memo);
  findings.push(...kept);
  for (const finding of added) add(finding);
  const byPosition = (a: Finding, b: Finding) => (a.at.file < b.at.file ? -1 : a.at.file > b.at.file ? 1 : a.at.start - b.at.start || a.rule.localeCompare(b.rule));
  findings.sort(byPosition);
  const filesRead = [...(readConfigText(host) !== undefined ? [CONFIG_FILE] : []), ...paths.filter((p) => host.read(p) !== undefined)];
  // nginx configs the listing does not hold by name, read where a Dockerfile's COPY or a compose mount puts them or an include names them.
  const counted = new Set(filesRead);
  for (const proxy of model.proxies) {
    for (const file of proxy.files) {
      if ((isDeploymentFile(file) && included(file)) || counted.has(file)) continue;
      counted.add(file);
      filesRead.push(file);
    }
  }
  return {
    findings,
    filesRead,
    dependencies: dependencies(filesRead, model, missing),
    deployments: model.deployments.map((d) => ({ id: d.id, name: d.name, files: [...d.files].sort() })),
    model,
    configProblems: configProblems.filter((p) => !p.at).map((p) => ({ key: p.key, message: p.message })),
    suppressed: suppressed.filter((s) => configure(s.finding)).sort((a, b) => byPosition(a.finding, b.finding)),
  };
}

/**
 * The files read, and every file the model took a value from: also those only a command or an
 * include names (`gunicorn -c conf/prod.py`, `uwsgi --ini x.ini`, `puma -C path`, an nginx include),
 * which the file list, chosen by name, does not have; and the paths it looked for and did not find,
 * so that creating one re-audits too.
 */
function dependencies(filesRead: string[], model: AuditResult["model"], missing: ReadonlySet<string>): string[] {
  const files = new Set([...filesRead, ...missing]);
  for (const group of [...model.deployments, ...model.proxies, ...model.databases]) for (const file of group.files) files.add(file);
  return [...files].sort();
}

/**
 * The workspace as one audit sees it: each path read, and the list made, once. Every kept deployment checks
 * again each file it read (model/reuse.ts), and a read through the language server's host costs a stat.
 */
function readingOnce(host: WorkspaceHost): WorkspaceHost {
  const texts = new Map<string, string | undefined>();
  let listed: string[] | undefined;
  return {
    list: () => (listed ??= host.list()),
    read: (path) => {
      if (texts.has(path)) return texts.get(path);
      const text = host.read(path);
      texts.set(path, text);
      return text;
    },
  };
}

/** The workspace, noting each path a read found nothing at. */
function notingMisses(workspace: WorkspaceHost, missing: Set<string>): WorkspaceHost {
  return {
    list: () => workspace.list(),
    read: (path) => {
      const text = workspace.read(path);
      if (text === undefined) missing.add(path);
      return text;
    },
  };
}

/** include (none: everything) minus ignore, as path globs relative to the root. */
function pathFilter(config: HeadroomConfig): (path: string) => boolean {
  const matcher = (globs: string[]) => (globs.length === 0 ? undefined : picomatch(globs, { dot: true }));
  const include = matcher(config.include.map((g) => g.value));
  const ignore = matcher(config.ignore.map((g) => g.value));
  return (path) => (!include || include(path)) && !ignore?.(path);
}
