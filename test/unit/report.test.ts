// The audit report: its numbers are the rules' numbers (read back from the rules' own messages on
// the fixtures), and the HTML escapes whatever the workspace names things.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { explainAt } from "../../server/src/engine/explain.ts";
import { esc, renderHtml } from "../../server/src/engine/report/html.ts";
import { type AuditSummary, summarizeAudit } from "../../server/src/engine/report/summary.ts";
import { memoryHost, readFixture } from "../helpers/memory-host.ts";

const repo = join(__dirname, "..", "..");
const NONCE = "dGVzdG5vbmNlMTIzNDU2";

function summaryOf(files: Record<string, string>): { summary: AuditSummary; messages: (rule: string) => string[] } {
  const result = audit(memoryHost(files));
  return {
    summary: summarizeAudit(result, (f) => files[f], { docsUrl: (rule) => `https://example.org/${rule}` }),
    messages: (rule) => result.findings.filter((f) => f.rule === rule).map((f) => f.message),
  };
}

/** Fixture folders of a rule that fire (have expected.txt). */
function firingCases(group: string, rule: string): string[] {
  const dir = join(repo, "test", "fixtures", group, rule);
  return readdirSync(dir)
    .map((c) => join(dir, c))
    .filter((c) => readdirSync(c).includes("expected.txt"));
}

describe("report summary: the rules' numbers", () => {
  for (const dir of firingCases("db", "connections-exceed-max")) {
    test(`connection budget = db/connections-exceed-max's sum (${dir.split("/").pop()})`, () => {
      const { summary, messages } = summaryOf(readFixture(dir));
      const [message] = messages("db/connections-exceed-max");
      assert.ok(message, "the fixture fires the rule");
      const total = Number(/(\d+) possible database connections/.exec(message)?.[1]);
      const allowed = Number(/PostgreSQL allows (\d+)/.exec(message)?.[1]);
      // What a PgBouncer in front of the same database opens is added after the sum ("PgBouncer service pgbouncer opens up to 20 more").
      const viaPgBouncer = Number(/opens up to (\d+) more/.exec(message)?.[1] ?? 0);
      const over = summary.budgets.filter((b) => b.total > b.allowed);
      assert.equal(over.length, 1, JSON.stringify(summary.budgets));
      assert.equal(over[0].total, total + viaPgBouncer);
      assert.equal(over[0].allowed, allowed);
      const pools = over[0].shares.filter((s) => !s.pooler);
      // Each share is written in the message as "<formula> = <n>".
      for (const share of pools) {
        const sum = `${share.formula} = ${share.atLeast ? "at least " : ""}${share.total}`;
        assert.ok(message.includes(sum), `"${sum}" in: ${message}`);
      }
      assert.equal(pools.reduce((sum, s) => sum + s.total, 0), total);
      assert.equal(over[0].shares.filter((s) => s.pooler).reduce((sum, s) => sum + s.total, 0), viaPgBouncer);
      // Each deployment's pool shows the same share.
      for (const share of pools) assert.equal(summary.deployments.find((d) => d.id === share.deployment)?.pool?.total, share.total);
    });
  }

  for (const dir of firingCases("nginx", "worker-connections-low")) {
    test(`proxy clients = nginx/worker-connections-low's figure (${dir.split("/").pop()})`, () => {
      const { summary, messages } = summaryOf(readFixture(dir));
      const [message] = messages("nginx/worker-connections-low");
      const stated = /= (\d+) clients at once/.exec(message ?? "");
      const proxy = summary.proxies[0];
      if (stated) assert.equal(proxy.clients, Number(stated[1]), message);
      else assert.equal(proxy.clientsPerWorker, Number(/= (\d+) clients per worker/.exec(message ?? "")?.[1]), message);
    });
  }

  test("the five-workers example: 5 workers on 1 vCPU, 500 of 97 connections, assumed limit marked", () => {
    const { summary } = summaryOf(readFixture(join(repo, "examples", "gunicorn-five-workers-1vcpu")));
    const [d] = summary.deployments;
    assert.equal(d.processes[0].workers.value, 5);
    assert.equal(d.processes[0].recommendedMaxWorkers, 3);
    assert.equal(d.cpus?.value, 1);
    assert.equal(d.memoryMiB?.value, 4096);
    assert.deepEqual(d.processes[0].workers.at?.start, { line: 9, character: 31 }, "service.json:10:32, where GUNICORN_WORKERS is set");
    const [budget] = summary.budgets;
    assert.deepEqual([budget.total, budget.allowed, budget.maxConnections.value, budget.maxConnections.origin], [500, 97, 100, "assumed"]);
    assert.deepEqual(
      d.findings.map((id) => summary.findings[id].rule),
      ["workers/exceed-cpu", "db/connections-exceed-max"],
    );
  });

  test("the compose example: several deployments share one database's budget", () => {
    const { summary } = summaryOf(readFixture(join(repo, "examples", "compose-nginx-postgres")));
    assert.deepEqual(
      summary.deployments.map((d) => [d.name, d.instances.value, d.processes[0]?.workers.value, d.processes[0]?.threads?.value]),
      [
        ["web (docker-compose.yml)", 3, 4, 2],
        ["worker (docker-compose.yml)", 1, 4, undefined],
      ],
    );
    const [budget] = summary.budgets;
    assert.deepEqual(budget.shares.map((s) => s.total), [240, 20]);
    assert.deepEqual([budget.total, budget.allowed, budget.maxConnections.origin], [260, 197, "stated"]);
    assert.deepEqual([summary.proxies[0].clients, summary.proxies[0].backends.map((b) => b.service)], [512, ["web"]]);
    assert.equal(summary.deployments[0].proxies[0], "nginx/nginx.conf");
  });
});

describe("report HTML", () => {
  test("a deployment's Files row lists the nginx config its container runs; a config mounted over in its only container is not a proxy", () => {
    const beside = summaryOf(readFixture(join(repo, "test", "fixtures", "server", "bind-localhost-in-container", "ok-supervisord-nginx-program-beside-gunicorn"))).summary;
    assert.ok(beside.deployments[0].files.includes("deploy/nginx.conf"), `files: ${beside.deployments[0].files}`);
    const conf = (workers: string) => `worker_processes ${workers};\nevents { worker_connections 512; }\nhttp { server { listen 80; location / { proxy_pass http://web:8000; } } }\n`;
    const files = {
      "docker-compose.yml": "services:\n  web:\n    image: app\n    command: gunicorn app:app -w 2 -b 0.0.0.0:8000\n  nginx:\n    build: ./nginx\n    volumes:\n      - ./nginx/production.conf:/etc/nginx/nginx.conf:ro\n",
      "nginx/Dockerfile": "FROM nginx:1.27\nCOPY nginx.conf /etc/nginx/nginx.conf\n",
      "nginx/nginx.conf": conf("1"),
      "nginx/production.conf": conf("auto"),
    };
    assert.deepEqual(summaryOf(files).summary.proxies.map((p) => p.root), ["nginx/production.conf"]);
    // a named volume starts as a copy of the image's file: the copy is read
    const volume = { ...files, "docker-compose.yml": files["docker-compose.yml"].replace("./nginx/production.conf:/etc/nginx/nginx.conf:ro", "nginx-conf:/etc/nginx") + "volumes:\n  nginx-conf:\n" };
    assert.ok(summaryOf(volume).summary.proxies.some((p) => p.root === "nginx/nginx.conf"));
  });

  const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

  test("escapes hostile service names, file names and values everywhere", () => {
    const files: Record<string, string> = {
      [`ev"il'<b>/docker-compose.yml`]:
        `services:\n  "${HOSTILE.replace(/"/g, '\\"')}":\n    image: example/api\n    command: gunicorn app:app --workers 9\n    environment:\n      DATABASE_URL: postgres://db/x\n      DB_POOL_SIZE: "50"\n    deploy:\n      replicas: 3\n      resources:\n        limits:\n          cpus: "1"\n`,
    };
    const { summary } = summaryOf(files);
    assert.ok(summary.deployments.some((d) => d.name.includes(HOSTILE)), `the hostile name reaches the summary: ${summary.deployments.map((d) => d.name)}`);
    for (const interactive of [false, true]) {
      const html = renderHtml(summary, { nonce: NONCE, interactive, title: HOSTILE });
      assert.ok(!html.includes(HOSTILE), "the raw name never appears");
      assert.ok(html.includes(esc(HOSTILE)), "the escaped name does");
      assert.equal((html.match(/<script/g) ?? []).length, interactive ? 1 : 0, "only the report's own script");
      assert.ok(!/<img/i.test(html), "no injected element");
      // Outside the page's own <style>/<script>, every `"` delimits an attribute (esc turns the others into &quot;).
      const markup = html.replace(/<(style|script) nonce[^]*?<\/\1>/g, "").replace(/"[^"]*"/g, '""');
      assert.ok(!/<[^>]*\son\w+=/i.test(markup), "no injected event handler attribute");
      assert.ok(html.includes(`ev&quot;il&#39;&lt;b&gt;/docker-compose.yml`), "file names are escaped too");
    }
  });

  test("a strict CSP with the nonce; no external resources; a nonce that could break out is refused", () => {
    const { summary } = summaryOf(readFixture(join(repo, "examples", "gunicorn-five-workers-1vcpu")));
    const html = renderHtml(summary, { nonce: NONCE, interactive: true });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.equal(csp, `default-src 'none'; style-src 'nonce-${NONCE}'; script-src 'nonce-${NONCE}'; img-src data:`);
    assert.ok(html.includes(`<style nonce="${NONCE}">`) && html.includes(`<script nonce="${NONCE}">`));
    assert.ok(!/\b(src|href)="(https?:)?\/\//.test(html.replace(/<a class="rule mono" href="https:\/\/[^"]+"/g, "")), "nothing loaded from elsewhere (rule docs links are plain links)");
    assert.ok(!/ style="/.test(html), "no inline style attributes: the CSP would block them");
    assert.throws(() => renderHtml(summary, { nonce: `abc' 'unsafe-inline` }), /nonce/);
  });

  test("without interactive, no script and no fix buttons; fix titles are listed", () => {
    const { summary } = summaryOf(readFixture(join(repo, "examples", "gunicorn-five-workers-1vcpu")));
    const html = renderHtml(summary, { nonce: NONCE });
    assert.ok(!html.includes("<script") && !html.includes("<button"));
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="[^"]*script-src 'none';/, "and a policy that allows none");
    assert.ok(html.includes("fix: Lower the workers to 3"));
  });
});

describe("counts the workspace does not give", () => {
  const stack = (start: string, extra: Record<string, string> = {}): Record<string, string> => ({
    "docker-compose.yml": `services:\n  web:\n    build: .\n    deploy:\n      resources:\n        limits:\n          cpus: "2"\n  db:\n    image: postgres:16\n`,
    Dockerfile: `FROM python:3.12\nCOPY . /app\nCMD ["./start.sh"]\n`,
    "start.sh": `#!/bin/sh\nexec ${start}\n`,
    "app.py": `from sqlalchemy import create_engine\nengine = create_engine("postgresql://u:p@db/app", pool_size=20, max_overflow=10)\n`,
    ...extra,
  });

  test("workers from the host's CPU count show as a floor, not as the server's default, and the budget says at least", () => {
    const { summary } = summaryOf(stack("gunicorn -c gunicorn.conf.py app:app", { "gunicorn.conf.py": `import multiprocessing\nbind = "0.0.0.0:8000"\nworkers = multiprocessing.cpu_count() * 2 + 1\n` }));
    const web = summary.deployments.find((d) => d.name.startsWith("web"));
    assert.deepEqual([web?.processes[0].workers.value, web?.processes[0].workers.origin], [3, "assumed"]);
    assert.equal(web?.processes[0].workersAtLeast, "multiprocessing.cpu_count() * 2 + 1 counts the host's CPUs");
    assert.ok(web?.pool?.processesAtLeast, JSON.stringify(web?.pool));
    assert.equal(web?.pool?.atLeast, true);
    assert.equal(summary.budgets[0].totalAtLeast, true);
    const html = renderHtml(summary, { nonce: NONCE });
    assert.ok(html.includes("at least 3 processes") && html.includes("at least 90 of 97 connections") && html.includes("At most 7 to spare"), "the page says the counts are floors");
    assert.ok(!html.includes("(gunicorn&#39;s default)") && !html.includes("gunicorn's default)"), "no default presented as the count");
  });

  test("a workers count written as a variable nothing sets shows as at least 1, naming the variable", () => {
    const { summary } = summaryOf(stack(`gunicorn -w "$WEB_WORKERS" --threads 4 -b 0.0.0.0:8000 app:app`));
    const process = summary.deployments.find((d) => d.name.startsWith("web"))?.processes[0];
    assert.deepEqual([process?.workers.value, process?.workers.origin, process?.workersAtLeast], [1, "assumed", "$WEB_WORKERS is not set in the workspace"]);
    assert.ok(renderHtml(summary, { nonce: NONCE }).includes("at least 1 process"));
    assert.equal(summary.budgets[0].totalAtLeast, true, "the pool counts one worker as a floor too");
  });

  test("the bound beside a worker count names where it comes from, not gunicorn's advice for every server", () => {
    const files = {
      "docker-compose.yml": "services:\n  app:\n    build: .\n    command: bundle exec puma -w 2 -t 5:5 -p 3000\n    deploy:\n      resources:\n        limits:\n          cpus: '2'\n",
      Dockerfile: "FROM ruby:3.3\nCOPY . /rails\n",
    };
    const html = renderHtml(summaryOf(files).summary, { nonce: NONCE });
    assert.ok(html.includes("(at most 5 for these CPUs: gunicorn's (2 x CPUs) + 1, the bound workers/exceed-cpu applies to puma)"), html.slice(html.indexOf("puma"), html.indexOf("puma") + 400));
    assert.ok(!html.includes("gunicorn's advice"));
  });

  test("replicas written as a variable set nowhere: one instance counted, said so", () => {
    const files = stack("gunicorn -w 3 -b 0.0.0.0:8000 app:app");
    files["docker-compose.yml"] = files["docker-compose.yml"].replace("    deploy:\n", "    deploy:\n      replicas: ${WEB_REPLICAS}\n");
    const web = summaryOf(files).summary.deployments.find((d) => d.name.startsWith("web"));
    assert.deepEqual([web?.instances.value, web?.instancesUnknown], [1, "its replica count is ${WEB_REPLICAS}, set nowhere in the workspace"]);
    assert.ok(renderHtml(summaryOf(files).summary, { nonce: NONCE }).includes("1 instance (or more)"));
    const withDefault = { ...files, "docker-compose.yml": files["docker-compose.yml"].replace("${WEB_REPLICAS}", "${WEB_REPLICAS:-3}") };
    const three = summaryOf(withDefault).summary.deployments.find((d) => d.name.startsWith("web"));
    assert.deepEqual([three?.instances.value, three?.instancesUnknown], [3, undefined], "a default written there is the count");
  });

  test("a pool's row and its arrow say at least where its budget share does: Django under ASGI, sidekiqswarm without SIDEKIQ_COUNT, celery without --concurrency", () => {
    const cases = [
      ["db", "connections-exceed-max", "django-asgi-at-least-one-connection-per-worker"],
      ["workers", "cpu-count-in-container", "sidekiqswarm-without-count"],
      ["stacks", "fastapi-compose-extends-dev-override"],
    ];
    for (const where of cases) {
      const { summary } = summaryOf(readFixture(join(repo, "test", "fixtures", ...where)));
      const html = renderHtml(summary, { nonce: NONCE });
      const pooled = summary.deployments.filter((d) => d.pool);
      assert.ok(pooled.some((d) => d.pool?.atLeast), `${where.at(-1)}: a floor`);
      for (const d of pooled) {
        const share = summary.budgets.flatMap((b) => b.shares).find((s) => s.deployment === d.id);
        assert.equal(d.pool?.atLeast, share?.atLeast, `${where.at(-1)} ${d.name}: the pool and its share agree`);
        const card = html.slice(html.indexOf(`data-deployment="${d.id}"`));
        const atLeast = d.pool?.atLeast ? "at least " : "";
        assert.ok(card.includes(`data-role="edge">${d.pool?.atLeast ? "≥ " : ""}${d.pool?.total}<`), `${where.at(-1)} ${d.name}: the arrow`);
        assert.ok(card.includes(` = ${atLeast}<strong data-role="pool-total">${d.pool?.total}</strong>`), `${where.at(-1)} ${d.name}: the pool row`);
      }
    }
  });

  test("the arrow to PgBouncer says at least for a pool whose processes are a floor", () => {
    const files = readFixture(join(repo, "test", "fixtures", "stacks", "fastapi-pgbouncer-ini-transaction"));
    files["docker-compose.yml"] = files["docker-compose.yml"].replace("--workers 4", '--workers "$WEB_WORKERS"');
    const { summary } = summaryOf(files);
    const api = summary.deployments.find((d) => d.name.startsWith("api"));
    assert.deepEqual([api?.pool?.total, api?.pool?.atLeast], [45, true]);
    const card = renderHtml(summary, { nonce: NONCE }).slice(renderHtml(summary, { nonce: NONCE }).indexOf(`data-deployment="${api?.id}"`));
    assert.ok(/data-role="edge">≥ 45<[^]*?clients</.test(card));
  });

  // One floor (model/pools.ts workersFloor) for the report's process, the pool and the budget; each case below was counted
  // differently by the pool (model/pools.ts) and the report (report/summary.ts) before.
  const floors = (files: Record<string, string>) => {
    const { summary, messages } = summaryOf(files);
    const web = summary.deployments.find((d) => d.name.startsWith("web"));
    return { process: web?.processes[0], pool: web?.pool, budget: summary.budgets[0], messages };
  };

  test("a CPU-count formula whose value on one CPU is the server's default is a floor in the pool too", () => {
    // The pool counted uvicorn's default 1 as exact ("1 uvicorn worker = 30"), the report "at least 1 process".
    const { process, pool, budget } = floors(stack("uvicorn app:app --host 0.0.0.0 --workers $(nproc)"));
    assert.deepEqual([process?.workers.value, process?.workersAtLeast], [1, "--workers $(nproc) counts the host's CPUs"]);
    assert.deepEqual([pool?.processes.value, pool?.processesAtLeast, pool?.atLeast, budget.totalAtLeast], [1, "--workers $(nproc) counts the host's CPUs, 1 or more", true, true]);
  });

  test("a multiplier an environment variable may set counts at its lowest, in the report and the pool", () => {
    // The report counted the variable's default multiplier on one CPU (at least 2), the pool gunicorn's default 1 as exact.
    const conf = `import multiprocessing, os\nbind = "0.0.0.0:8000"\nworkers = int(os.environ.get("WORKERS_PER_CORE", "2")) * multiprocessing.cpu_count()\n`;
    const { process, pool } = floors(stack("gunicorn -c gunicorn.conf.py app:app", { "gunicorn.conf.py": conf }));
    assert.deepEqual([process?.workers.value, pool?.processes.value, pool?.atLeast], [1, 1, true]);
    assert.match(process?.workersAtLeast ?? "", /WORKERS_PER_CORE.* counts the host's CPUs$/);
  });

  test("a celery concurrency written as a variable set nowhere is a floor in the pool too", () => {
    // The pool counted "1 celery worker process" as exact, the report "at least 1".
    const { process, pool } = floors(stack(`celery -A app worker --concurrency "$CELERY_CONCURRENCY"`));
    assert.equal(process?.workersAtLeast, "$CELERY_CONCURRENCY is not set in the workspace");
    assert.deepEqual([pool?.processLabel, pool?.processesAtLeast, pool?.atLeast], ["celery worker process", "the workers count is a value set nowhere in the workspace, 1 or more", true]);
  });

  test("uvicorn under --reload runs one process whatever its --workers: no floor in the report either", () => {
    // The report said "at least 1 process (--workers $(nproc) counts the host's CPUs)".
    const { process, pool } = floors(stack("uvicorn app:app --reload --workers $(nproc)"));
    assert.deepEqual([process?.workers.value, process?.workersAtLeast], [1, undefined]);
    assert.deepEqual([pool?.processLabel, pool?.atLeast], ["uvicorn process (--reload)", undefined]);
  });

  test("supervisord's numprocs copies multiply a floor of workers too", () => {
    // The pool counted one copy's 3 workers: 90 connections of 97, quiet; 2 copies open 180.
    const files = {
      "docker-compose.yml": "services:\n  web:\n    build: .\n    cpus: 2\n  db:\n    image: postgres:16\n",
      Dockerfile: `FROM python:3.12\nCOPY . /app\nCMD ["supervisord", "-c", "/app/supervisord.conf"]\n`,
      "supervisord.conf": "[supervisord]\nnodaemon=true\n\n[program:web]\ncommand=gunicorn -c /app/gunicorn.conf.py app:app\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)s\n",
      "gunicorn.conf.py": "import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n",
      "app.py": `from sqlalchemy import create_engine\nengine = create_engine("postgresql://u:p@db/app", pool_size=20, max_overflow=10)\n`,
    };
    const { process, pool, messages } = floors(files);
    assert.deepEqual([process?.workers.value, pool?.processes.value, pool?.copies, pool?.total, pool?.atLeast], [3, 6, 2, 180, true]);
    assert.match(messages("db/connections-exceed-max")[0] ?? "", /^2 copies \(numprocs\) x 3 gunicorn workers \(at least: .*\) = at least 180 possible database connections/);
  });

  test("a stated count is shown as stated", () => {
    const { summary } = summaryOf(stack("gunicorn -w 3 -b 0.0.0.0:8000 app:app"));
    const process = summary.deployments.find((d) => d.name.startsWith("web"))?.processes[0];
    assert.deepEqual([process?.workers.value, process?.workers.origin, process?.workersAtLeast], [3, "stated", undefined]);
    assert.equal(summary.budgets[0].totalAtLeast, undefined);
  });
});

describe("job runners in the report", () => {
  test("a Solid Queue supervisor is drawn as its processes and threads, its share per instance; a good_job process with its threads", () => {
    const solidQueue = summaryOf(readFixture(join(repo, "test", "fixtures", "stacks", "kamal-rails8-solid-queue-jobs-query-primary"))).summary;
    const job = solidQueue.deployments.find((d) => d.name.startsWith("job"));
    assert.equal(job?.processes[0].label, "Solid Queue supervisor + 4 worker processes x 3 threads + 1 dispatcher + scheduler");
    const html = renderHtml(solidQueue, { nonce: NONCE });
    assert.ok(html.includes(">Solid Queue supervisor + 4 worker processes x 3 threads + 1 dispatcher + scheduler<") || html.includes("<title>Solid Queue supervisor + 4 worker processes x 3 threads + 1 dispatcher + scheduler</title>"));
    assert.ok(html.includes(">62 connections per instance<"));
    assert.ok(!html.includes("solid_queue process") && !html.includes("solid_queue worker"));
    const async = summaryOf(readFixture(join(repo, "test", "fixtures", "stacks", "heroku-rails8-solid-queue-async-in-puma"))).summary;
    assert.equal(async.deployments[0].processes[0].label, undefined, "Puma is still drawn as Puma");
    assert.equal(async.deployments[0].processes[0].jobs, "Solid Queue supervisor running 1 worker x 3 threads + 1 dispatcher + scheduler as threads of Puma's process (async mode)");
    const forked = summaryOf(readFixture(join(repo, "test", "fixtures", "workers", "exceed-cpu", "solid-queue-forked-by-puma"))).summary;
    const puma = forked.deployments[0].processes[0];
    assert.equal(puma.server, "rails");
    assert.equal(puma.name, "puma", "bin/rails server runs Puma: named as the messages name it");
    assert.equal(puma.jobs, "Solid Queue supervisor + 3 worker processes x 3 threads + 1 dispatcher, forked by Puma's plugin");
    const forkedHtml = renderHtml(forked, { nonce: NONCE });
    assert.ok(forkedHtml.includes(">3 puma workers x 5 threads<") && !forkedHtml.includes("rails workers"));
    assert.ok(forkedHtml.includes("<dt>Jobs in puma</dt><dd>Solid Queue supervisor + 3 worker processes x 3 threads + 1 dispatcher, forked by Puma&#39;s plugin</dd>"));
    const goodJob = summaryOf(readFixture(join(repo, "test", "fixtures", "stacks", "heroku-rails-good-job-worker"))).summary;
    assert.equal(goodJob.deployments.find((d) => d.name.startsWith("worker"))?.processes[0].label, "1 good_job process x 10 threads");
  });

  test("a Sidekiq process is drawn with its concurrency as threads, not as that many workers", () => {
    const sidekiq = summaryOf(readFixture(join(repo, "test", "fixtures", "stacks", "heroku-rails-app-json-sidekiq-c25"))).summary;
    const worker = sidekiq.deployments.find((d) => d.processes[0]?.server === "sidekiq");
    assert.equal(worker?.processes[0].label, "1 sidekiq process x 25 threads");
    const html = renderHtml(sidekiq, { nonce: NONCE });
    assert.ok(html.includes(">1 sidekiq process x 25 threads<"));
    assert.ok(!html.includes("25 sidekiq workers"));
    const capsules = summaryOf(readFixture(join(repo, "test", "fixtures", "db", "connections-exceed-max", "sidekiq-yml-capsules"))).summary;
    assert.equal(capsules.deployments[0].processes[0].label, "1 sidekiq process x 10 threads + capsule exports 5 threads + capsule serial 1 thread");
  });

  test("a Sidekiq process whose Active Record pool is below its job threads shows that pool as what it opens, shared by the threads", () => {
    const summary = summaryOf(readFixture(join(repo, "test", "fixtures", "db", "sidekiq-concurrency-exceeds-pool", "procfile-c-20-pool-5"))).summary;
    const worker = summary.deployments.find((d) => d.processes[0]?.server === "sidekiq");
    assert.equal(worker?.pool?.activeRecordCap?.value, 5);
    assert.equal(worker?.pool?.perProcess, 5);
    const html = renderHtml(summary, { nonce: NONCE });
    assert.ok(html.includes(">pool 5 for 20 threads<"), "the card: the pool, not the concurrency, per process");
    assert.ok(/x \(<[^>]*>Active Record pool 5<\/span>[^()]*, shared by <[^>]*>concurrency 20<\/span>[^()]*\) = <strong data-role="pool-total">5</.test(html), "the row: the pool shared by the concurrency");
    assert.ok(!html.includes(">pool 20 per process<"));
  });

  test("a celery worker is drawn as what its pool runs: prefork processes, or threads or greenlets in one process", () => {
    const service = (name: string, command: string) => `  ${name}:\n    build: .\n    command: ${command}\n    deploy:\n      resources:\n        limits:\n          cpus: "2"\n`;
    const compose = `services:\n${service("prefork", "celery -A proj worker --concurrency 4")}${service("threads", "celery -A proj worker -P threads -c 8")}${service("green", "celery -A proj worker --pool=gevent --concurrency=100")}${service("solo", "celery -A proj worker -P solo")}${service("cpus", "celery -A proj worker")}`;
    const summary = summaryOf({ "docker-compose.yml": compose, Dockerfile: "FROM python:3.12\n" }).summary;
    const labels = Object.fromEntries(summary.deployments.map((d) => [d.name.split(" ")[0], d.processes[0]?.label]));
    assert.deepEqual(labels, {
      prefork: "4 celery prefork processes",
      threads: "1 celery process x 8 threads",
      green: "1 celery process x 100 greenlets",
      solo: "1 celery process, one task at a time",
      cpus: "celery prefork processes: 1 per host CPU",
    });
    const html = renderHtml(summary, { nonce: NONCE });
    assert.ok(!html.includes("celery workers"));
  });
});

describe("PgBouncer in the report", () => {
  test("drawn between the app and PostgreSQL with its mode, pool size and server connections, its share in the database's budget", () => {
    const { summary } = summaryOf(readFixture(join(repo, "test", "fixtures", "stacks", "fastapi-pgbouncer-ini-transaction")));
    const [pooler] = summary.poolers;
    assert.equal(pooler.poolMode.value, "transaction");
    assert.deepEqual([pooler.poolSize?.name, pooler.poolSize?.value, pooler.reservePoolSize?.value, pooler.maxClientConn?.value], ["default_pool_size", 40, 10, 150]);
    // The sum pgbouncer/server-connections-exceed-max reports: 50 from PgBouncer + 10 from the worker directly, of 57.
    assert.equal(pooler.serverConnections, 50);
    assert.deepEqual([pooler.serverBudget?.total, pooler.serverBudget?.allowed], [60, 57]);
    const api = summary.deployments.find((d) => d.name.startsWith("api"));
    assert.equal(api?.pooler, pooler.name);
    const [budget] = summary.budgets;
    assert.deepEqual(budget.shares.map((s) => [s.pooler ?? false, s.total]), [[false, 10], [true, 50]]);
    const html = renderHtml(summary, { nonce: NONCE });
    const card = html.slice(html.indexOf(`data-deployment="${api?.id}"`));
    assert.ok(card.includes('data-role="pooler-mode">transaction mode<'));
    assert.ok(card.includes('data-role="pooler-pool">40 + 10 reserve per db/user<'));
    // 180 client connections against max_client_conn 150: the arrow is marked.
    assert.ok(/<g class="edge bad">[^]*?data-role="edge">180<[^]*?clients</.test(card));
    assert.ok(card.includes('data-role="db-budget">60 of 57 connections<'));
    assert.ok(card.includes("<dt>PgBouncer</dt>") && card.includes('up to <strong data-role="pooler-server">50</strong> server connections to db (docker-compose.yml)'));
    const session = summaryOf(readFixture(join(repo, "test", "fixtures", "pgbouncer", "session-pool-below-clients", "edoburu-default-session-mode"))).summary;
    assert.ok(renderHtml(session, { nonce: NONCE }).includes('data-role="pooler-mode">session mode (default)<'));
  });
});

describe("hover explanations", () => {
  const explain = (example: string, file: string, needle: string, delta: number) => {
    const files = readFixture(join(repo, "examples", example));
    return explainAt(audit(memoryHost(files)).model, file, files[file].indexOf(needle) + delta);
  };

  test("a worker count, where it is set and where the script reads it", () => {
    const inJson = explain("gunicorn-five-workers-1vcpu", "service.json", '"GUNICORN_WORKERS": "5"', 21);
    const inScript = explain("gunicorn-five-workers-1vcpu", "start.sh", "${GUNICORN_WORKERS:-5}", 2);
    assert.equal(
      inJson?.text,
      "**5 gunicorn workers** per instance on 1 vCPU: gunicorn advises at most (2 x 1) + 1 = 3.\n\n" +
        "Connections: 5 gunicorn workers x (DB_POOL_SIZE 30 + DB_MAX_OVERFLOW 70) = 500 **of 97** that PostgreSQL (assumed) accepts (over the limit). " +
        "That is one instance: App Runner's default autoscaling (up to 25 instances) adds 500 per instance it starts; set facts.max_instances in headroom.yml.",
    );
    assert.equal(inScript?.text, inJson?.text, "the same explanation through the variable");
  });

  test("threads and CPUs where the workers count is not in the workspace: the count is a floor", () => {
    const compose = `services:\n  web:\n    image: app\n    command: sh -c "exec gunicorn -w $$WEB_WORKERS --threads 4 -b 0.0.0.0:8000 app:app"\n    cpus: 2\n`;
    const model = audit(memoryHost({ "docker-compose.yml": compose })).model;
    assert.equal(
      explainAt(model, "docker-compose.yml", compose.indexOf("4 -b") + 1)?.text,
      "**4 threads** in each of 1 gunicorn worker or more (its count is not set in the workspace): 1 x 4 = 4 or more requests at once per instance.",
    );
    assert.match(explainAt(model, "docker-compose.yml", compose.indexOf("cpus: 2") + 6)?.text ?? "", /this deployment runs at least 1 gunicorn worker\.$/);
  });

  test("an App Runner pool counts one instance until headroom.yml states the autoscaling max", () => {
    const seed = readFixture(join(repo, "test", "fixtures", "seeds", "seed-001-gunicorn-five-workers-1vcpu"));
    const hover = (files: Record<string, string>) => explainAt(audit(memoryHost(files)).model, "service.json", files["service.json"].indexOf('"30"') + 1)?.text ?? "";
    assert.match(hover(seed), /= 500 \*\*of 97\*\*.* That is one instance: App Runner autoscaling \(findme-autoscaling-v2\) adds 500 per instance it starts/);
    const capped = hover({ ...seed, "headroom.yml": "facts:\n  max_instances: 2\n" });
    assert.match(capped, /autoscaling max 2 instances x 5 gunicorn workers x \(DB_POOL_SIZE 30 \+ DB_MAX_OVERFLOW 70\) = 1000 \*\*of 97\*\*/);
    assert.doesNotMatch(capped, /That is one instance/);
  });

  test("counts the other deployments sharing the database in words", () => {
    const web = (n: number) => `  web${n}:\n    image: app\n    command: gunicorn -w 2 app:app\n    environment:\n      DATABASE_URL: postgres://u:p@db/app\n      DB_POOL_SIZE: "${n}0"\n`;
    const compose = `services:\n${web(1)}${web(2)}${web(3)}  db:\n    image: postgres:16\n`;
    const text = explainAt(audit(memoryHost({ "docker-compose.yml": compose })).model, "docker-compose.yml", compose.indexOf('"10"') + 1)?.text ?? "";
    assert.match(text, /= 20; with the other 2 deployments, \*\*120 of 97\*\*/);
  });

  test("the budget's total in a pool's hover is a floor where one of the shares is", () => {
    const files = readFixture(join(repo, "test", "fixtures", "stacks", "fastapi-compose-extends-dev-override"));
    const model = audit(memoryHost(files)).model;
    const text = explainAt(model, "common.yml", files["common.yml"].indexOf("${DB_POOL_SIZE:-20}") + 16)?.text ?? "";
    assert.match(text, /= 30; with the other 1 deployment, \*\*at least 60 of 57\*\*/);
  });

  test("replicas, max_connections, and nothing on a number the model does not use", () => {
    assert.match(explain("compose-nginx-postgres", "docker-compose.yml", "replicas: 3", 10)?.text ?? "", /^\*\*3 instances\*\*.*= 240; with the other 1 deployment, \*\*260 of 197\*\*/s);
    assert.equal(
      explain("compose-nginx-postgres", "docker-compose.yml", "max_connections=200", 17)?.text,
      "max_connections 200 − 3 reserved = **197** for the pools; they may open **260**.\n" +
        "- web (docker-compose.yml): 3 instances x 4 gunicorn workers x (DB_POOL_SIZE 10 + DB_MAX_OVERFLOW 10) = 240\n" +
        "- worker (docker-compose.yml): 4 celery worker processes x DB_POOL_SIZE 5 = 20",
    );
    assert.equal(explain("compose-nginx-postgres", "docker-compose.yml", '"80:80"', 1), undefined);
  });
});
