// The audit report in a real browser: Debian's chromium, driven by playwright-core, loads the
// HTML that `headroom audit --format html` and the VS Code report render, for two stacks:
// examples/gunicorn-five-workers-1vcpu (5 workers on 1 vCPU, 500 of 97 connections) and
// examples/compose-nginx-postgres (nginx → 3 web replicas + a celery worker → one PostgreSQL).
// It reads the numbers back from the DOM (diagram and chart), checks the chart's geometry against
// them, checks that no box's text spills out of its box and that the CSP blocks nothing, clicks
// the webview's links and fix buttons with a stand-in for VS Code's acquireVsCodeApi, and saves
// screenshots in test-artifacts/ (gitignored).
//
// Skipped when chromium is absent, unless HEADROOM_REQUIRE_E2E=1 (CI), where that is a failure.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { audit, RULES } from "../../server/src/engine/audit.ts";
import { renderHtml } from "../../server/src/engine/report/html.ts";
import { summarizeAudit } from "../../server/src/engine/report/summary.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const repo = join(__dirname, "..", "..");
const artifacts = join(repo, "test-artifacts");
const CHROMIUM = process.env.HEADROOM_CHROMIUM ?? "/usr/bin/chromium";
const REQUIRED = process.env.HEADROOM_REQUIRE_E2E === "1";
const skip = !existsSync(CHROMIUM) && !REQUIRED ? `chromium is not installed at ${CHROMIUM} (apt-get install chromium); set HEADROOM_REQUIRE_E2E=1 to fail instead` : false;
const NONCE = "cmVwb3J0LWJyb3dzZXItdGVzdA==";

interface Loaded {
  page: Page;
  /** Console errors, page errors and CSP violations seen while loading. */
  problems: string[];
  /** Messages the page posted to the stand-in VS Code API. */
  posted: () => Promise<unknown[]>;
}

describe("audit report in Chromium", { skip }, () => {
  let browser: Browser;
  let dir: string;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `chromium is required (HEADROOM_REQUIRE_E2E=1) but ${CHROMIUM} does not exist`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless=new", "--no-sandbox", "--disable-gpu"], timeout: 120_000 });
    dir = mkdtempSync(join(tmpdir(), "headroom-report-"));
    mkdirSync(artifacts, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function load(example: string | Record<string, string>, options: { interactive?: boolean; colorScheme?: "light" | "dark"; name?: string } = {}): Promise<Loaded> {
    const files = typeof example === "string" ? readFixture(join(repo, "examples", example)) : example;
    const name = options.name ?? (typeof example === "string" ? example : "workspace");
    const docs = new Map(RULES.map((r) => [r.id, r.docsUrl]));
    const summary = summarizeAudit(audit(memoryHost(files)), (f) => files[f], { docsUrl: (rule) => docs.get(rule) });
    const html = renderHtml(summary, { nonce: NONCE, interactive: options.interactive, title: name });
    const file = join(dir, `${name}-${options.interactive ? "webview" : "page"}.html`);
    writeFileSync(file, html);
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme: options.colorScheme ?? "light" });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    // A string, not a function: tsx's helpers (__name) do not exist in the page.
    await page.addInitScript({
      content: `window.__posted = [];
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m) });
document.addEventListener("securitypolicyviolation", (e) => console.error("Content Security Policy violation: " + e.violatedDirective));`,
    });
    await page.goto(pathToFileURL(file).href);
    return { page, problems, posted: () => page.evaluate<unknown[]>("window.__posted") };
  }

  /** The text elements show: without the <title> tooltip of a clipped SVG label. */
  const shown = (page: Page, selector: string): Promise<string[]> =>
    page.evaluate<string[]>(
      `[...document.querySelectorAll(${JSON.stringify(selector)})].map((el) => [...el.childNodes].filter((n) => n.nodeName !== "title").map((n) => n.textContent).join("").trim())`,
    );

  const text = async (page: Page, selector: string): Promise<string> => {
    const found = await shown(page, selector);
    assert.equal(found.length, 1, `one element for ${selector}, found ${found.length}`);
    return found[0];
  };

  /** Every box's text lies inside its box, and the diagram is drawn at a readable size. */
  async function assertBoxesHoldTheirText(page: Page): Promise<void> {
    // Browser-side code is passed as text: this file is compiled without the DOM types.
    const spills = await page.evaluate<string[]>(`(() => {
      const out = [];
      for (const node of document.querySelectorAll("svg.diagram g.node")) {
        const box = node.querySelector("rect.box").getBoundingClientRect();
        if (box.width < 150) out.push("box too small: " + box.width);
        for (const t of node.querySelectorAll("text")) {
          const r = t.getBoundingClientRect();
          if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) out.push(t.textContent + " spills out of its box");
        }
      }
      return out;
    })()`);
    assert.deepEqual(spills, []);
  }

  /** The chart's bars are drawn to scale: segment widths and the limit line match the numbers on them. */
  async function assertChartToScale(page: Page, database: string): Promise<{ segments: number[]; allowed: number; total: number }> {
    const chart = await page.evaluate<{ start: number; segs: Array<{ total: number; x: number; width: number }>; limitX: number; allowed: number; total: number } | undefined>(`(() => {
      const card = [...document.querySelectorAll(".budget")].find((c) => c.dataset.database === ${JSON.stringify(database)});
      if (!card) return undefined;
      const segs = [...card.querySelectorAll("rect.seg")].map((s) => ({ total: Number(s.dataset.total), x: s.x.baseVal.value, width: s.width.baseVal.value }));
      const start = card.querySelector("rect.track").x.baseVal.value;
      return { start, segs, limitX: card.querySelector("line.limit").x1.baseVal.value, allowed: Number(card.dataset.allowed), total: Number(card.dataset.total) };
    })()`);
    assert.ok(chart, `a budget card for ${database}`);
    const unit = chart.limitX - chart.start;
    assert.ok(unit > 0);
    let x = chart.start;
    for (const seg of chart.segs) {
      assert.ok(Math.abs(seg.x - x) < 0.05, "segments follow one another");
      assert.ok(Math.abs(seg.width / unit - seg.total / chart.allowed) < 0.005, `segment of ${seg.total} drawn ${(seg.width / unit).toFixed(3)} x the limit of ${chart.allowed}`);
      x += seg.width;
    }
    assert.equal(chart.segs.reduce((s, g) => s + g.total, 0), chart.total);
    return { segments: chart.segs.map((s) => s.total), allowed: chart.allowed, total: chart.total };
  }

  it("gunicorn-five-workers-1vcpu: 5 workers on 1 vCPU, 500 of 97 connections", async () => {
    const { page, problems } = await load("gunicorn-five-workers-1vcpu");
    const d = '[data-deployment="apprunner:service.json"]';
    assert.equal(await text(page, `${d} [data-role="workers"]`), "5 gunicorn workers");
    assert.equal(await text(page, `${d} [data-role="resources"]`), "1 vCPU · 4 GiB each");
    assert.equal(await text(page, `${d} [data-role="pool"]`), "pool 30 + 70 per process");
    assert.equal(await text(page, `${d} [data-role="edge"]`), "500");
    assert.equal(await text(page, `${d} [data-role="db-budget"]`), "500 of 97 connections");
    assert.equal(await text(page, `${d} [data-role="pool-total"]`), "500");
    assert.equal(await text(page, '.budget [data-role="verdict"]'), "500 of 97 connections");
    assert.deepEqual(await assertChartToScale(page, "PostgreSQL (assumed)"), { segments: [500], allowed: 97, total: 500 });
    // The assumed limit is marked as such.
    assert.match(await text(page, ".budget p.muted"), /max_connections 100 \(assumed: PostgreSQL's default\)/);
    assert.deepEqual(await shown(page, `${d} .finding-head .loc`), ["service.json:10", "service.json:11"]);
    await assertBoxesHoldTheirText(page);
    await page.screenshot({ path: join(artifacts, "report-gunicorn-five-workers-1vcpu.png"), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("compose-nginx-postgres: nginx → 3 replicas x 4 workers x 2 threads → PostgreSQL, 260 of 197", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      const { page, problems } = await load("compose-nginx-postgres", { colorScheme });
      const web = '[data-deployment="compose:docker-compose.yml#web"]';
      const worker = '[data-deployment="compose:docker-compose.yml#worker"]';
      assert.equal(await page.locator("article.deployment").count(), 2, "web and worker (nginx and db are the proxy and the database)");
      assert.equal(await text(page, `${web} [data-role="instances"]`), "3 instances");
      assert.equal(await text(page, `${web} [data-role="workers"]`), "4 gunicorn workers x 2 threads");
      assert.equal(await text(page, `${web} [data-role="proxy-clients"]`), "= 512 clients at once");
      assert.deepEqual(await shown(page, `${web} [data-role="edge"]`), ["requests", "240"]);
      assert.equal(await text(page, `${worker} [data-role="workers"]`), "4 celery prefork processes");
      assert.equal(await text(page, `${worker} [data-role="edge"]`), "20");
      assert.equal(await text(page, `${web} [data-role="db-limit"]`), "max 200 − 3 reserved = 197");
      assert.deepEqual(await assertChartToScale(page, "db (docker-compose.yml)"), { segments: [240, 20], allowed: 197, total: 260 });
      assert.equal(await text(page, '[data-proxy="nginx/nginx.conf"] [data-role="clients"]'), "512");
      await assertBoxesHoldTheirText(page);
      const background = await page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
      assert.equal(background, colorScheme === "dark" ? "rgb(13, 17, 23)" : "rgb(255, 255, 255)", "the page follows the colour scheme");
      await page.screenshot({ path: join(artifacts, `report-compose-nginx-postgres-${colorScheme}.png`), fullPage: true });
      // The top of the page, as docs/report.png shows it.
      await page.screenshot({ path: join(artifacts, `report-compose-nginx-postgres-${colorScheme}-top.png`), clip: { x: 0, y: 0, width: 1100, height: 720 } });
      assert.deepEqual(problems, []);
      await page.close();
    }
  });

  it("long names and big numbers are clipped inside their boxes, the full text kept as a tooltip", async () => {
    const long = "payments-reconciliation-background-worker-with-a-very-long-name";
    const compose =
      `services:\n  ${long}:\n    image: example/worker\n    command: gunicorn app:app --workers 12 --threads 16\n` +
      `    environment:\n      DATABASE_URL: postgres://db/x\n      DB_POOL_SIZE: "1000"\n      DB_MAX_OVERFLOW: "2000"\n` +
      `    deploy:\n      replicas: 120\n      resources:\n        limits:\n          cpus: "0.25"\n          memory: 256M\n` +
      `  ${long}-database:\n    image: postgres:16\n    command: postgres -c max_connections=5000\n`;
    const { page, problems } = await load({ [`deploy/${long}/docker-compose.yml`]: compose }, { name: "long-names" });
    await assertBoxesHoldTheirText(page);
    const workers = await page.evaluate<{ shown: string; title: string }>(
      `(() => { const t = document.querySelector('[data-role="workers"]'); return { shown: [...t.childNodes].filter((n) => n.nodeName !== "title").map((n) => n.textContent).join(""), title: t.querySelector("title")?.textContent ?? "" }; })()`,
    );
    assert.equal(workers.title, "12 gunicorn workers x 16 threads");
    assert.ok(workers.shown.endsWith("…") && workers.title.startsWith(workers.shown.slice(0, -1)), JSON.stringify(workers));
    assert.equal(await text(page, '[data-role="db-budget"]'), "4320000 of 4997 connections");
    await page.screenshot({ path: join(artifacts, "report-long-names.png"), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("in the webview, locations and fixes post messages to the extension", async () => {
    const { page, problems, posted } = await load("gunicorn-five-workers-1vcpu", { interactive: true });
    await page.locator('.finding[data-rule="workers/exceed-cpu"] .finding-head a.loc').click();
    await page.locator('.finding[data-rule="workers/exceed-cpu"] button[data-action="fix"]').click();
    await page.locator('button[data-action="refresh"]').click();
    const [open, fix, refresh] = (await posted()) as Array<Record<string, unknown>>;
    assert.deepEqual(open, { type: "open", file: "service.json", start: { line: 9, character: 31 }, end: { line: 9, character: 32 } });
    assert.equal(fix.type, "fix");
    assert.equal(fix.fix, 0);
    assert.equal(typeof fix.finding, "number");
    assert.ok(await page.locator('.finding[data-rule="workers/exceed-cpu"] button[data-action="fix"]').isDisabled(), "a fix button is used once");
    assert.deepEqual(refresh, { type: "refresh" });
    await page.screenshot({ path: join(artifacts, "report-webview.png"), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });
});
