// The audit report as one self-contained HTML page: inline CSS and inline SVG (a topology
// diagram per deployment, a bar chart per connection budget), no external resources, and a
// Content-Security-Policy that allows only the page's own nonce'd <style> and <script>.
// Every piece of workspace text (file names, service names, messages) goes through `esc`.
//
// With `interactive`, the page is meant for a VS Code webview: locations and fixes become
// buttons that post messages ({ type: "open" | "fix" | "refresh" }) to the extension, which
// opens the file or asks the language server to apply the fix. Without it (the CLI's
// `--format html`), the page has no script at all.
import { formatCpus } from "../rules/workers/recommended.ts";
import type { AuditSummary, BudgetSummary, DeploymentSummary, Figure, FindingSummary, Location, PoolerSummary, ProxySummary } from "./summary.ts";
import { plural } from "./plural.ts";

export interface HtmlOptions {
  /** Nonce for the page's <style> and <script> (base64 or hex characters only). */
  nonce: string;
  /** Add the webview script: clickable locations, fix buttons, a re-run button. */
  interactive?: boolean;
  /** Shown under the title: the workspace folder's name, for instance. */
  title?: string;
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML and SVG, in content and in quoted attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Shortens a label for a fixed-width SVG box; the full text stays in a <title>. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function formatMemory(mib: number): string {
  if (mib >= 1024 && mib % 512 === 0) return `${Number((mib / 1024).toFixed(1))} GiB`;
  return `${Number(mib.toFixed(0))} MiB`;
}

function place(at: Location): string {
  return `${at.file}:${at.start.line + 1}`;
}

/** "assumed (PostgreSQL's default)", "gunicorn's default", or "" for a stated value. */
function originNote(figure: Figure<unknown>): string {
  if (figure.origin === "stated") return "";
  if (figure.origin === "configured") return "configured";
  const whose = figure.by ? `${figure.by}'s default` : "default";
  return figure.origin === "assumed" ? `assumed: ${whose}` : whose;
}

export function renderHtml(summary: AuditSummary, options: HtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{8,}$/.test(options.nonce)) throw new Error("renderHtml: the nonce must be at least 8 base64 or hex characters");
  const r = new Renderer(summary, options);
  return r.page();
}

interface BoxLine {
  text: string;
  /** CSS classes: title, strong, muted, mono, bad, good, warn. */
  cls: string;
  /** data-role, for tests that read the numbers back from the page. */
  role?: string;
}

class Renderer {
  constructor(
    private readonly s: AuditSummary,
    private readonly options: HtmlOptions,
  ) {}

  private get interactive(): boolean {
    return this.options.interactive === true;
  }

  page(): string {
    const { nonce } = this.options;
    // The CLI's page has no script, so its policy allows none: a page saved and opened anywhere runs nothing.
    const csp = `default-src 'none'; style-src 'nonce-${nonce}'; script-src ${this.interactive ? `'nonce-${nonce}'` : "'none'"}; img-src data:`;
    const body = [this.header(), this.budgets(), this.deployments(), this.proxies(), this.others(), this.footer()].join("\n");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Headroom audit${this.options.title ? ` · ${esc(this.options.title)}` : ""}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
${this.interactive ? `<script nonce="${nonce}">${SCRIPT}</script>` : ""}
</body>
</html>
`;
  }

  private header(): string {
    const c = this.s.counts;
    const pills = [
      c.error ? `<span class="pill error" data-count="error">${plural(c.error, "error")}</span>` : "",
      c.warning ? `<span class="pill warning" data-count="warning">${plural(c.warning, "warning")}</span>` : "",
      c.info ? `<span class="pill info" data-count="info">${c.info} info</span>` : "",
      c.error + c.warning + c.info === 0 ? `<span class="pill ok" data-count="none">no problems found</span>` : "",
    ].join("");
    const rerun = this.interactive ? `<button class="secondary" data-action="refresh" title="Audit the workspace again">Re-run audit</button>` : "";
    return `<header class="top">
<div><h1>Headroom audit</h1><p class="muted">${this.options.title ? `${esc(this.options.title)} · ` : ""}${plural(c.deployments, "deployment")} · ${plural(c.files, "file")} read</p></div>
<div class="pills">${pills}${rerun}</div>
</header>`;
  }

  // -- connection budgets ---------------------------------------------------------------------

  private budgets(): string {
    if (this.s.budgets.length === 0) return "";
    return `<section class="budgets"><h2>Database connections</h2>${this.s.budgets.map((b) => this.budget(b)).join("")}</section>`;
  }

  private budget(b: BudgetSummary): string {
    const over = b.total > b.allowed;
    const max = b.maxConnections;
    const maxNote = originNote(max);
    const reservedNote = originNote(b.reserved);
    const atLeast = b.totalAtLeast ? "at least " : "";
    const legend = b.shares
      .map((share, i) => `<li><span class="swatch s${i % 6}"></span><span class="mono">${esc(this.deploymentName(share.deployment, share.name))}</span>: ${esc(share.formula)} = ${share.atLeast ? "at least " : ""}<strong>${share.total}</strong></li>`)
      .join("");
    return `<div class="card budget${over ? " over" : ""}" data-database="${esc(b.database)}" data-total="${b.total}" data-allowed="${b.allowed}">
<div class="card-head"><h3>${esc(b.database)}</h3><span class="verdict ${over ? "bad" : "good"}" data-role="verdict">${atLeast}${b.total} of ${b.allowed} connections</span></div>
${this.chart(b)}
<ul class="legend">${legend}</ul>
<p class="muted">${this.figureText(max, `max_connections ${max.value}`)}${maxNote ? ` <span class="origin ${max.origin}">(${esc(maxNote)})</span>` : ""} − ${b.reserved.value} reserved for superusers${reservedNote ? ` <span class="origin ${b.reserved.origin}">(${esc(reservedNote)})</span>` : ""} = <strong>${b.allowed}</strong> for the pools.${over ? ` The pools can ask for <strong class="bad">${atLeast}${b.total - b.allowed} more</strong> than PostgreSQL accepts: those fail with “too many clients already”.` : b.totalAtLeast ? ` At most ${b.allowed - b.total} to spare: some counts are floors (see the legend).` : ` ${b.allowed - b.total} to spare.`}</p>
</div>`;
  }

  /** A horizontal stacked bar: each share in its colour, the reserved slots hatched, a line at the limit. */
  private chart(b: BudgetSummary): string {
    const width = 760;
    const left = 8;
    const track = width - 2 * left;
    const scaleMax = Math.max(b.total, b.maxConnections.value, 1);
    const x = (n: number) => left + (n / scaleMax) * track;
    const barY = 30;
    const barH = 28;
    let at = 0;
    const segments = b.shares
      .map((share, i) => {
        const start = x(at);
        at += share.total;
        const w = Math.max(0, x(at) - start);
        return `<rect class="seg s${i % 6}" data-deployment="${esc(share.deployment)}" data-total="${share.total}" x="${start.toFixed(2)}" y="${barY}" width="${w.toFixed(2)}" height="${barH}"><title>${esc(share.name)}: ${share.total}</title></rect>`;
      })
      .join("");
    const limitX = x(b.allowed);
    const maxX = x(b.maxConnections.value);
    const endX = x(b.total);
    const over = b.total > b.allowed;
    // Labels: the limit above the bar, the total below its end (kept inside the picture).
    const anchor = (px: number) => (px > width - 90 ? "end" : px < 90 ? "start" : "middle");
    return `<svg class="chart" viewBox="0 0 ${width} 86" width="100%" role="img" aria-label="${b.total} of ${b.allowed} connections">
<defs><pattern id="hatch-${esc(slug(b.database))}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect class="hatch-bg" width="6" height="6"/><line class="hatch" x1="0" y1="0" x2="0" y2="6"/></pattern></defs>
<rect class="track" x="${left}" y="${barY}" width="${(maxX - left).toFixed(2)}" height="${barH}" rx="3"/>
<rect class="reserved" x="${limitX.toFixed(2)}" y="${barY}" width="${Math.max(0, maxX - limitX).toFixed(2)}" height="${barH}" fill="url(#hatch-${esc(slug(b.database))})"><title>${b.reserved.value} reserved for superusers</title></rect>
${segments}
${over ? `<rect class="overflow" x="${limitX.toFixed(2)}" y="${barY - 3}" width="${(endX - limitX).toFixed(2)}" height="${barH + 6}" rx="2"/>` : ""}
<line class="limit" data-allowed="${b.allowed}" x1="${limitX.toFixed(2)}" x2="${limitX.toFixed(2)}" y1="${barY - 10}" y2="${barY + barH + 4}"/>
<text class="label" x="${limitX.toFixed(2)}" y="${barY - 14}" text-anchor="${anchor(limitX)}">limit ${b.allowed}</text>
<text class="label strong ${over ? "bad" : ""}" x="${endX.toFixed(2)}" y="${barY + barH + 20}" text-anchor="${anchor(endX)}" data-role="total">${b.totalAtLeast ? "at least " : ""}${b.total} possible</text>
</svg>`;
  }

  // -- deployments ----------------------------------------------------------------------------

  private deploymentName(id: string, fallback: string): string {
    return this.s.deployments.find((d) => d.id === id)?.name.replace(/ \([^)]*\)$/, "") ?? fallback;
  }

  private deployments(): string {
    if (this.s.deployments.length === 0) return `<section><p class="muted">No web or job server found: Headroom looks for start scripts, Procfiles, Dockerfiles, compose files, App Runner services and nginx configs.</p></section>`;
    return `<section class="deployments"><h2>Deployments</h2>${this.s.deployments.map((d, i) => this.deployment(d, i)).join("")}</section>`;
  }

  private deployment(d: DeploymentSummary, index: number): string {
    const short = d.name.replace(/ \(([^)]*)\)$/, "");
    const where = / \(([^)]*)\)$/.exec(d.name)?.[1];
    const worst = this.worstSeverity(d.findings);
    return `<article class="card deployment" data-deployment="${esc(d.id)}">
<div class="card-head"><h3>${esc(short)}${where ? ` <span class="muted mono">${esc(where)}</span>` : ""}</h3>${worst ? `<span class="pill ${worst}">${plural(d.findings.length, "finding")}</span>` : `<span class="pill ok">no findings</span>`}</div>
${this.diagram(d, `arrow-${index}`)}
${this.facts(d)}
${this.findingList(d.findings)}
</article>`;
  }

  private worstSeverity(ids: number[]): string | undefined {
    const order = ["error", "warning", "info", "hint"];
    const found = ids.map((id) => this.s.findings[id].severity);
    return order.find((s) => found.includes(s as FindingSummary["severity"]));
  }

  /** proxy → instances x processes x threads → database, with the numbers on the boxes and arrows. */
  private diagram(d: DeploymentSummary, markerId: string): string {
    const proxy = this.s.proxies.find((p) => d.proxies.includes(p.root));
    const budget = d.pool?.database ? this.s.budgets.find((b) => b.database === d.pool?.database) : undefined;
    const boxW = 256;
    const gap = 96;
    const top = 20;
    const n = d.instances.value;
    const process = d.processes[0];
    const instanceLines: BoxLine[] = [
      { text: `${plural(n, "instance")}${d.instancesUnknown ? " (or more)" : d.instances.origin === "stated" ? "" : d.instances.origin === "default" ? " (default)" : " (assumed)"}`, cls: "title", role: "instances" },
      { text: `${[d.cpus ? formatCpus(d.cpus.value) : "CPUs unknown", d.memoryMiB ? formatMemory(d.memoryMiB.value) : undefined].filter(Boolean).join(" · ")} each`, cls: "muted", role: "resources" },
    ];
    if (process) {
      const workersText = `${process.workersAtLeast ? "≥ " : ""}${process.workers.value} ${process.name} ${process.workers.value === 1 ? "process" : "workers"}`;
      const tooMany = process.recommendedMaxWorkers !== undefined && process.workers.value > process.recommendedMaxWorkers;
      instanceLines.push({ text: process.label ?? (process.threads ? `${workersText} x ${plural(process.threads.value, "thread")}` : workersText), cls: tooMany ? "strong warn" : "strong", role: "workers" });
      if (process.recommendedMaxWorkers !== undefined && d.cpus) instanceLines.push({ text: `advice: at most ${process.recommendedMaxWorkers} for ${formatCpus(d.cpus.value)}`, cls: "muted" });
      if (process.jobs) instanceLines.push({ text: `+ ${process.jobs}`, cls: "", role: "jobs" });
    }
    if (d.processes.length > 1) instanceLines.push({ text: `+ ${plural(d.processes.length - 1, "more process", "more processes")}`, cls: "muted" });
    // A pool its threads cannot fill (Puma threads below it): what they use of it.
    if (d.pool?.kind === "activerecord" && d.pool.perProcess < d.pool.size.value) instanceLines.push({ text: `${d.pool.perProcess} of pool ${d.pool.size.value} per process`, cls: "", role: "pool" });
    // A Solid Queue supervisor's share is all its processes' connections in the instance, not one process's pool.
    // A Sidekiq process whose Active Record pool is below its job threads: the threads share that pool.
    else if (d.pool?.activeRecordCap) instanceLines.push({ text: `pool ${d.pool.activeRecordCap.value} for ${d.pool.size.value + (d.pool.capsules ?? []).reduce((sum, c) => sum + c.threads.value, 0)} threads`, cls: "", role: "pool" });
    else if (d.pool?.kind === "solid_queue") instanceLines.push({ text: `${d.pool.perProcess} connections per instance`, cls: "", role: "pool" });
    else if (d.pool) instanceLines.push({ text: `pool ${d.pool.perProcess !== d.pool.size.value ? `${[d.pool.size, d.pool.overflow, ...(d.pool.capsules ?? []).map((c) => c.threads)].filter((f) => f !== undefined).map((f) => f.value).join(" + ")}` : d.pool.size.value} per process`, cls: "", role: "pool" });
    const boxH = 22 + Math.max(4, instanceLines.length) * 21;
    const mid = top + boxH / 2;
    const parts: string[] = [];
    let x = 6;
    if (proxy) {
      const clients = proxy.clients !== undefined ? `${proxy.clients} clients at once` : `${proxy.clientsPerWorker} clients per worker`;
      const workers = proxy.workerProcesses.value === "auto" ? "auto workers" : plural(proxy.workerProcesses.value, "worker");
      parts.push(
        this.box(x, top, boxW, boxH, "proxy", [
          { text: "nginx", cls: "title" },
          { text: proxy.root, cls: "mono muted" },
          { text: `${workers} x ${proxy.workerConnections.value} / 2`, cls: "", role: "proxy-formula" },
          { text: `= ${clients}`, cls: "strong", role: "proxy-clients" },
        ]),
      );
      parts.push(this.arrow(markerId, x + boxW, x + boxW + gap, mid, "requests", undefined));
      x += boxW + gap;
    }
    // Several instances show as a stack of cards.
    const stack = Math.min(n, 3) - 1;
    for (let i = stack; i > 0; i--) parts.push(`<rect class="box shadow" x="${x + i * 6}" y="${top - i * 6}" width="${boxW}" height="${boxH}" rx="6"/>`);
    parts.push(this.box(x, top, boxW, boxH, "instances", instanceLines));
    x += boxW + stack * 6;
    const pooler = d.pool && d.pooler !== undefined ? this.s.poolers.find((p) => p.name === d.pooler) : undefined;
    if (d.pool && pooler) {
      // Through PgBouncer: the app's connections end there; its server connections go on to PostgreSQL.
      const clientsOver = pooler.maxClientConn !== undefined && d.pool.total > pooler.instances.value * pooler.maxClientConn.value;
      parts.push(this.arrow(markerId, x, x + gap, mid, `${d.pool.atLeast ? "≥ " : ""}${d.pool.total}`, clientsOver ? "bad" : undefined, "clients"));
      x += gap;
      parts.push(this.box(x, top, boxW, boxH, "pooler", this.poolerLines(pooler)));
      x += boxW;
      const server = pooler.serverBudget;
      if (pooler.serverConnections !== undefined) {
        const over = server ? server.total > server.allowed : false;
        parts.push(this.arrow(markerId, x, x + gap, mid, `${pooler.serverConnections}`, over ? "bad" : undefined, "to server"));
        x += gap;
        const lines: BoxLine[] = server
          ? [
              { text: "PostgreSQL", cls: "title" },
              { text: pooler.server ?? "", cls: "mono muted" },
              { text: `max ${server.maxConnections.value} − ${server.reserved.value} reserved = ${server.allowed}`, cls: "", role: "db-limit" },
              { text: `${server.total} of ${server.allowed} connections`, cls: over ? "strong bad" : "strong good", role: "db-budget" },
            ]
          : [
              { text: "database", cls: "title" },
              { text: "no limit known", cls: "muted" },
            ];
        parts.push(this.box(x, top, boxW, boxH, over ? "database over" : "database", lines));
        x += boxW;
      }
    } else if (d.pool) {
      const over = budget ? budget.total > budget.allowed : false;
      parts.push(this.arrow(markerId, x, x + gap, mid, `${d.pool.atLeast ? "≥ " : ""}${d.pool.total}`, over ? "bad" : undefined, "connections"));
      x += gap;
      const lines: BoxLine[] = budget
        ? [
            { text: "PostgreSQL", cls: "title" },
            { text: budget.database, cls: "mono muted" },
            { text: `max ${budget.maxConnections.value} − ${budget.reserved.value} reserved = ${budget.allowed}`, cls: "", role: "db-limit" },
            { text: `${budget.totalAtLeast ? "≥ " : ""}${budget.total} of ${budget.allowed} connections`, cls: over ? "strong bad" : "strong good", role: "db-budget" },
          ]
        : [
            { text: "database", cls: "title" },
            { text: "no limit known", cls: "muted" },
          ];
      parts.push(this.box(x, top, boxW, boxH, over ? "database over" : "database", lines));
      x += boxW;
    }
    const width = Math.max(x + 6, 480);
    return `<svg class="diagram" viewBox="0 0 ${width} ${boxH + top + 12}" width="${width}" role="img" aria-label="topology of ${esc(d.name)}">
<defs><marker id="${markerId}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrowhead" d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>
${parts.join("\n")}
</svg>`;
  }

  /** PgBouncer's box: its mode, the server connections per pool and in all, the clients it accepts. */
  private poolerLines(p: PoolerSummary): BoxLine[] {
    const instances = p.instances.value;
    const size = p.poolSize ? `${p.poolSize.value}${p.reservePoolSize?.value ? ` + ${p.reservePoolSize.value} reserve` : ""} per db/user` : "pool size unknown";
    return [
      { text: `PgBouncer${instances !== 1 ? ` x ${instances}` : ""}`, cls: "title" },
      { text: `${p.poolMode.value} mode${p.poolMode.origin === "default" ? " (default)" : ""}`, cls: "", role: "pooler-mode" },
      { text: size, cls: "", role: "pooler-pool" },
      { text: p.maxClientConn ? `max_client_conn ${p.maxClientConn.value}` : "max_client_conn unknown", cls: "muted", role: "pooler-clients" },
    ];
  }

  private box(x: number, y: number, w: number, h: number, cls: string, lines: BoxLine[]): string {
    const texts = lines
      .map((l, i) => {
        // About 7 px a character at 13 px, 7.6 in bold, 8.4 for the 14 px titles (the browser test checks nothing spills).
        const max = Math.floor((w - 24) / (l.cls.includes("title") ? 8.4 : l.cls.includes("strong") ? 7.6 : 7));
        const title = l.text.length > max ? l.text : undefined;
        return `<text class="${l.cls}" x="${x + 14}" y="${y + 26 + i * 21}"${l.role ? ` data-role="${l.role}"` : ""}>${title ? `<title>${esc(title)}</title>` : ""}${esc(clip(l.text, max))}</text>`;
      })
      .join("");
    return `<g class="node ${cls}"><rect class="box" x="${x}" y="${y}" width="${w}" height="${h}" rx="6"/>${texts}</g>`;
  }

  private arrow(markerId: string, x1: number, x2: number, y: number, label: string, cls: string | undefined, sub?: string): string {
    return `<g class="edge ${cls ?? ""}"><line class="wire" x1="${x1 + 4}" y1="${y}" x2="${x2 - 4}" y2="${y}" marker-end="url(#${markerId})"/><text class="label strong ${cls ?? ""}" x="${(x1 + x2) / 2}" y="${y - 10}" text-anchor="middle" data-role="edge">${esc(label)}</text>${sub ? `<text class="label muted" x="${(x1 + x2) / 2}" y="${y + 18}" text-anchor="middle">${esc(sub)}</text>` : ""}</g>`;
  }

  private facts(d: DeploymentSummary): string {
    const rows: Array<[string, string]> = [];
    rows.push([
      "Instances",
      d.instancesUnknown
        ? this.floorHtml(`${plural(d.instances.value, "instance")} counted`, `${d.instancesUnknown}; facts.max_instances in headroom.yml sets it`)
        : this.figureHtml(d.instances, plural(d.instances.value, "instance")),
    ]);
    rows.push(["CPU per instance", d.cpus ? this.figureHtml(d.cpus, formatCpus(d.cpus.value)) : `<span class="muted">not stated in the workspace</span>`]);
    rows.push(["Memory per instance", d.memoryMiB ? this.figureHtml(d.memoryMiB, formatMemory(d.memoryMiB.value)) : `<span class="muted">not stated in the workspace</span>`]);
    for (const p of d.processes) {
      const advice = p.recommendedMaxWorkers !== undefined ? ` <span class="muted">(at most ${p.recommendedMaxWorkers} for these CPUs: gunicorn's (2 x CPUs) + 1, the bound workers/exceed-cpu applies to ${esc(p.name)})</span>` : "";
      const threads = p.threads ? ` x ${this.figureHtml(p.threads, plural(p.threads.value, "thread"))}` : "";
      const workers = p.workersAtLeast
        ? this.floorHtml(`at least ${plural(p.workers.value, "process", "processes")}`, p.workersAtLeast)
        : this.figureHtml(p.workers, `${p.workers.value} ${p.workers.value === 1 ? "process" : "worker processes"}`);
      rows.push([`${esc(p.name)}`, p.label ? esc(p.label) : `${workers}${threads}${advice}`]);
      if (p.jobs) rows.push([`Jobs in ${esc(p.name)}`, esc(p.jobs)]);
    }
    if (d.pool) {
      const pool = d.pool;
      const size = this.figureHtml(pool.size, `${pool.sizeName ?? "pool size"} ${pool.size.value}`);
      const overflow = pool.overflow ? ` + ${this.figureHtml(pool.overflow, `${pool.overflowName ?? "max_overflow"} ${pool.overflow.value}`)}` : "";
      const capsules = (pool.capsules ?? []).map((c) => ` + ${this.figureHtml(c.threads, `capsule ${esc(c.name)} ${c.threads.value}`)}`).join("");
      const instances = d.instances.value !== 1 ? `${d.instances.value} instances x ` : "";
      const processes = `${pool.processesAtLeast ? "at least " : ""}${pool.copies ? `${pool.copies} copies (numprocs) x ${pool.processes.value / pool.copies}` : pool.processes.value}`;
      const cap = pool.activeRecordCap;
      // The Active Record pool that caps a Sidekiq process's job threads is what it opens.
      const perProcess = cap ? `${this.figureHtml(cap, `Active Record ${cap.name} ${cap.value}`)}, shared by ${size}${capsules}` : `${size}${overflow}${capsules}`;
      const shares = pool.kind === "solid_queue" ? `${esc(pool.processLabel)} and its processes: ${size}` : `${processes} ${esc(pool.processLabel)} x (${perProcess})`;
      const pooler = d.pooler !== undefined ? this.s.poolers.find((p) => p.name === d.pooler) : undefined;
      const floor = pool.processesAtLeast ? ` <span class="origin assumed">(${esc(pool.processesAtLeast)})</span>` : "";
      rows.push(["Connection pool", `${instances}${shares} = ${pool.atLeast ? "at least " : ""}<strong data-role="pool-total">${pool.total}</strong> connections${floor}${pooler ? ` to PgBouncer ${esc(pooler.name)}` : pool.database ? ` to ${esc(pool.database)}` : ""}`]);
      if (pooler) rows.push(["PgBouncer", this.poolerFacts(pooler)]);
    }
    rows.push(["Files", d.files.map((f) => `<span class="mono">${esc(f)}</span>`).join(", ")]);
    return `<dl class="facts">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>`;
  }

  /** "pool_mode transaction · default_pool_size 20 per database and user · max_client_conn 100 · up to 40 server connections to db". */
  private poolerFacts(p: PoolerSummary): string {
    const named = (f: PoolerSummary["poolSize"]) => f && this.figureHtml(f, `${f.name} ${f.value}`);
    const parts = [
      this.figureHtml(p.poolMode, `pool_mode ${p.poolMode.value}`),
      p.poolSize ? `${named(p.poolSize)}${p.reservePoolSize?.value ? ` + ${named(p.reservePoolSize)}` : ""} per database and user` : "",
      p.maxClientConn ? `${named(p.maxClientConn)}` : "",
      p.instances.value !== 1 ? this.figureHtml(p.instances, plural(p.instances.value, "instance")) : "",
      p.serverConnections !== undefined ? `up to <strong data-role="pooler-server">${p.serverConnections}</strong> server connections${p.server ? ` to ${esc(p.server)}` : ""}` : "",
    ];
    return parts.filter(Boolean).join(" · ");
  }

  /** A value with where it is written (a link in the webview) or what kind of default it is. */
  private figureHtml(figure: Figure<unknown>, text: string): string {
    const note = originNote(figure);
    const value = `<span class="value ${figure.origin}" data-origin="${figure.origin}">${esc(text)}</span>`;
    if (figure.at) return `${value} ${this.locationLink(figure.at, "small")}`;
    return note ? `${value} <span class="origin ${figure.origin}">(${esc(note)})</span>` : value;
  }

  /** A count the workspace does not give, shown as what can be vouched for and why. */
  private floorHtml(text: string, why: string): string {
    return `<span class="value assumed" data-origin="assumed">${esc(text)}</span> <span class="origin assumed">(${esc(why)})</span>`;
  }

  private figureText(figure: Figure<unknown>, text: string): string {
    return figure.at ? `${esc(text)} ${this.locationLink(figure.at, "small")}` : esc(text);
  }

  // -- proxies and findings -------------------------------------------------------------------

  private proxies(): string {
    if (this.s.proxies.length === 0) return "";
    return `<section class="proxies"><h2>Proxies</h2>${this.s.proxies.map((p) => this.proxy(p)).join("")}</section>`;
  }

  private proxy(p: ProxySummary): string {
    const wp = p.workerProcesses;
    const formula =
      p.clients !== undefined
        ? `worker_processes ${wp.value} x worker_connections ${p.workerConnections.value} / 2 = <strong data-role="clients">${p.clients}</strong> clients at once`
        : `worker_connections ${p.workerConnections.value} / 2 = <strong data-role="clients">${p.clientsPerWorker}</strong> clients per worker (worker_processes ${esc(String(wp.value))})`;
    const backends = p.backends.length > 0 ? `In front of ${p.backends.map((b) => `${esc(b.service)} (${plural(b.instances, "instance")})`).join(", ")}.` : "";
    const notes = [originNote(wp) ? `worker_processes: ${originNote(wp)}` : "", originNote(p.workerConnections) ? `worker_connections: ${originNote(p.workerConnections)}` : ""].filter(Boolean).join("; ");
    return `<article class="card proxy" data-proxy="${esc(p.root)}">
<div class="card-head"><h3>nginx <span class="muted mono">${esc(p.root)}</span></h3></div>
<p>${formula}. ${backends}${notes ? ` <span class="origin default">(${esc(notes)})</span>` : ""}</p>
${this.findingList(p.findings)}
</article>`;
  }

  private others(): string {
    if (this.s.otherFindings.length === 0) return "";
    return `<section class="others"><h2>Other findings</h2><div class="card">${this.findingList(this.s.otherFindings)}</div></section>`;
  }

  private findingList(ids: number[]): string {
    if (ids.length === 0) return "";
    return `<ol class="findings">${ids.map((id) => this.finding(this.s.findings[id])).join("")}</ol>`;
  }

  private finding(f: FindingSummary): string {
    const rule = f.docsUrl ? `<a class="rule mono" href="${esc(f.docsUrl)}">${esc(f.rule)}</a>` : `<span class="rule mono">${esc(f.rule)}</span>`;
    const related = f.related.length > 0 ? `<ul class="related">${f.related.map((r) => `<li>${this.locationLink(r.at)} ${esc(r.message)}</li>`).join("")}</ul>` : "";
    const fixes =
      f.fixes.length > 0
        ? `<div class="fixes">${f.fixes
            .map((fix, i) =>
              this.interactive
                ? `<button class="${fix.safe ? "" : "secondary"}" data-action="fix" data-finding="${f.id}" data-fix="${i}">${esc(fix.title)}</button>${fix.safe ? "" : `<span class="tag">unsafe</span>`}`
                : `<span class="fix">fix${fix.safe ? "" : " (unsafe)"}: ${esc(fix.title)}</span>`,
            )
            .join("")}</div>`
        : "";
    return `<li class="finding ${f.severity}" data-finding="${f.id}" data-rule="${esc(f.rule)}">
<div class="finding-head"><span class="sev ${f.severity}">${f.severity}</span>${this.locationLink(f.at)}${rule}</div>
<p class="message">${esc(f.message)}</p>${related}${fixes}</li>`;
  }

  private locationLink(at: Location, cls = ""): string {
    const text = esc(place(at));
    if (!this.interactive) return `<span class="loc mono ${cls}">${text}</span>`;
    const data = `data-action="open" data-file="${esc(at.file)}" data-line="${at.start.line}" data-character="${at.start.character}" data-end-line="${at.end.line}" data-end-character="${at.end.character}"`;
    return `<a class="loc mono ${cls}" href="#" ${data} title="Open ${text}">${text}</a>`;
  }

  private footer(): string {
    return `<footer class="muted">Values marked <span class="value default">default</span> are a tool's documented default, <span class="value assumed">assumed</span> ones are Headroom's assumption: nothing in the workspace states them. Generated by Headroom.</footer>`;
  }
}

function slug(text: string): string {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) | 0;
  return (hash >>> 0).toString(36);
}

const STYLE = `
:root {
  --bg: var(--vscode-editor-background, #ffffff);
  --fg: var(--vscode-editor-foreground, #1f2328);
  --muted: var(--vscode-descriptionForeground, #59636e);
  --card: var(--vscode-editorWidget-background, #f6f8fa);
  --border: var(--vscode-widget-border, var(--vscode-panel-border, #d1d9e0));
  --link: var(--vscode-textLink-foreground, #0969da);
  --error: var(--vscode-editorError-foreground, #cf222e);
  --warning: var(--vscode-editorWarning-foreground, #9a6700);
  --info: var(--vscode-editorInfo-foreground, #0969da);
  --good: var(--vscode-charts-green, #1a7f37);
  --track: var(--vscode-input-background, #eaeef2);
  --button-bg: var(--vscode-button-background, #0969da);
  --button-fg: var(--vscode-button-foreground, #ffffff);
  --button2-bg: var(--vscode-button-secondaryBackground, #e6eaef);
  --button2-fg: var(--vscode-button-secondaryForeground, #1f2328);
  --s0: var(--vscode-charts-blue, #218bff); --s1: var(--vscode-charts-purple, #8250df); --s2: var(--vscode-charts-orange, #e16f24);
  --s3: var(--vscode-charts-green, #2da44e); --s4: var(--vscode-charts-yellow, #d4a72c); --s5: var(--vscode-charts-red, #e5534b);
  --font: var(--vscode-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --mono: var(--vscode-editor-font-family, ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: var(--vscode-editor-background, #0d1117); --fg: var(--vscode-editor-foreground, #e6edf3);
    --muted: var(--vscode-descriptionForeground, #9198a1); --card: var(--vscode-editorWidget-background, #161b22);
    --border: var(--vscode-widget-border, var(--vscode-panel-border, #30363d)); --link: var(--vscode-textLink-foreground, #4493f8);
    --error: var(--vscode-editorError-foreground, #f85149); --warning: var(--vscode-editorWarning-foreground, #d29922);
    --info: var(--vscode-editorInfo-foreground, #4493f8); --good: var(--vscode-charts-green, #3fb950);
    --track: var(--vscode-input-background, #21262d); --button2-bg: var(--vscode-button-secondaryBackground, #30363d);
    --button2-fg: var(--vscode-button-secondaryForeground, #e6edf3);
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font-family: var(--font); font-size: 13px; line-height: 1.5; }
main { max-width: 1040px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 20px; margin: 0; font-weight: 600; }
h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 28px 0 10px; font-weight: 600; }
h3 { font-size: 15px; margin: 0; font-weight: 600; }
p { margin: 8px 0; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
.muted { color: var(--muted); }
.mono { font-family: var(--mono); font-size: 12px; }
.small { font-size: 11px; }
.bad { color: var(--error); }
.good { color: var(--good); }
header.top { display: flex; justify-content: space-between; align-items: flex-end; gap: 16px; flex-wrap: wrap; padding-bottom: 14px; border-bottom: 1px solid var(--border); }
header.top p { margin: 2px 0 0; }
.pills { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.pill { border-radius: 999px; padding: 1px 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.pill.error { color: var(--error); } .pill.warning { color: var(--warning); } .pill.info, .pill.hint { color: var(--info); } .pill.ok { color: var(--good); }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 14px 16px; margin: 0 0 14px; }
.card.over { border-color: var(--error); }
.card-head { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.verdict { font-weight: 700; font-size: 15px; }
.verdict.bad { color: var(--error); } .verdict.good { color: var(--good); }
svg { display: block; max-width: 100%; height: auto; margin: 10px 0 4px; font-family: var(--font); }
svg text { fill: var(--fg); font-size: 13px; }
svg text.title { font-weight: 700; font-size: 14px; }
svg text.strong { font-weight: 700; }
svg text.muted { fill: var(--muted); font-size: 12px; }
svg text.mono { font-family: var(--mono); font-size: 11px; }
svg text.bad { fill: var(--error); } svg text.good { fill: var(--good); } svg text.warn { fill: var(--warning); }
svg text.label { font-size: 12px; }
.box { fill: var(--bg); stroke: var(--border); stroke-width: 1.2; }
.box.shadow { fill: var(--card); }
.node.proxy .box { stroke: var(--s1); }
.node.instances .box { stroke: var(--s0); stroke-width: 1.6; }
.node.pooler .box { stroke: var(--s3); }
.node.database .box { stroke: var(--good); }
.node.database.over .box { stroke: var(--error); stroke-width: 2; }
.wire { stroke: var(--muted); stroke-width: 1.6; }
.edge.bad .wire { stroke: var(--error); stroke-width: 2.2; }
.arrowhead { fill: var(--muted); }
.track { fill: var(--track); }
.hatch-bg { fill: var(--track); } .hatch { stroke: var(--muted); stroke-width: 1.5; opacity: .45; }
.limit { stroke: var(--fg); stroke-width: 2; stroke-dasharray: 4 3; }
.overflow { fill: none; stroke: var(--error); stroke-width: 2; }
.seg { stroke: var(--bg); stroke-width: 1; }
.s0 { fill: var(--s0); background: var(--s0); } .s1 { fill: var(--s1); background: var(--s1); } .s2 { fill: var(--s2); background: var(--s2); }
.s3 { fill: var(--s3); background: var(--s3); } .s4 { fill: var(--s4); background: var(--s4); } .s5 { fill: var(--s5); background: var(--s5); }
.legend { list-style: none; padding: 0; margin: 4px 0; }
.legend li { margin: 2px 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 8px 0 4px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.value.default, .value.assumed { text-decoration: underline dotted; text-underline-offset: 3px; }
.origin { color: var(--muted); font-style: italic; }
.origin.assumed { color: var(--warning); }
ol.findings { list-style: none; padding: 0; margin: 12px 0 0; }
.finding { border-left: 3px solid var(--border); padding: 6px 0 6px 12px; margin: 0 0 10px; }
.finding.error { border-left-color: var(--error); } .finding.warning { border-left-color: var(--warning); } .finding.info, .finding.hint { border-left-color: var(--info); }
.finding-head { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.sev { font-weight: 700; text-transform: uppercase; font-size: 11px; letter-spacing: .04em; }
.sev.error { color: var(--error); } .sev.warning { color: var(--warning); } .sev.info, .sev.hint { color: var(--info); }
.rule { color: var(--muted); }
.message { margin: 4px 0; }
ul.related { margin: 2px 0 4px; padding-left: 18px; color: var(--muted); }
.fixes { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-top: 6px; }
.fix { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.tag { font-size: 11px; color: var(--warning); }
button { font: inherit; font-size: 12px; border: 0; border-radius: 4px; padding: 4px 10px; cursor: pointer; background: var(--button-bg); color: var(--button-fg); }
button.secondary { background: var(--button2-bg); color: var(--button2-fg); }
button:disabled { opacity: .5; cursor: default; }
footer { margin-top: 28px; font-size: 12px; }
`;

// Posts what the user clicked to the extension; it validates every field again.
const SCRIPT = `
const vscode = acquireVsCodeApi();
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("[data-action]") : null;
  if (!target) return;
  event.preventDefault();
  const d = target.dataset;
  if (d.action === "open") {
    vscode.postMessage({ type: "open", file: d.file, start: { line: Number(d.line), character: Number(d.character) }, end: { line: Number(d.endLine), character: Number(d.endCharacter) } });
  } else if (d.action === "fix") {
    target.disabled = true;
    vscode.postMessage({ type: "fix", finding: Number(d.finding), fix: Number(d.fix) });
  } else if (d.action === "refresh") {
    vscode.postMessage({ type: "refresh" });
  }
});
`;
