// Fly.io's fly.toml (parse/toml.ts, parse/fly-toml.ts, model/fly.ts): process groups, Machine sizes, [env],
// the image, the proxy's concurrency limits, and what bad input gives.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { explainAt } from "../../server/src/engine/explain.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { flyMemoryMiB } from "../../server/src/engine/parse/fly-toml.ts";
import { parseToml } from "../../server/src/engine/parse/toml.ts";
import type { ParseProblem } from "../../server/src/engine/types.ts";
import { memoryHost } from "../helpers/memory-host.ts";

function model(files: Record<string, string>) {
  const host = memoryHost(files);
  const problems: ParseProblem[] = [];
  return { ...buildModel(host, host.list(), problems), problems };
}

describe("TOML reader", () => {
  it("flattens tables, arrays of tables, dotted keys and inline tables to paths, strings with their text's span", () => {
    const text = 'vm.size = "shared-cpu-2x"\n[processes]\n  web = "gunicorn app:app"\n[[services]]\n  ports = [{ port = 80 }]\n  [services.concurrency]\n    soft_limit = 20\n[[services]]\n  x = { a = 1, b = \'two\' }\n';
    const toml = parseToml(text);
    assert.equal(toml.error, undefined);
    const web = toml.get(["processes", "web"]);
    assert.deepEqual([web?.value, text.slice(web?.inner.start, web?.inner.end), text.slice(web?.at.start, web?.at.end)], ["gunicorn app:app", "gunicorn app:app", '"gunicorn app:app"']);
    assert.deepEqual([toml.get(["vm", "size"])?.value, toml.get(["services", 0, "concurrency", "soft_limit"])?.value, toml.get(["services", 1, "x", "b"])?.value], ["shared-cpu-2x", 20, "two"]);
    assert.equal(toml.get(["services", 0, "ports"])?.kind, "array");
  });

  it("gives a broken file's first error at its place, and never throws", () => {
    const toml = parseToml('app = "x"\n[processes\nweb = "a"\n');
    assert.equal(toml.entries.length, 0);
    assert.equal(toml.error !== undefined && toml.error.at.start >= 10 && toml.error.at.start <= 21, true);
    for (const odd of ["[[a]]\n[a]\n", "a = 1\na = 2\n", "x = [" + "[".repeat(5000), "\u0000", "= 1"]) assert.doesNotThrow(() => parseToml(odd), odd);
  });
});

describe("fly.toml", () => {
  it("makes each process group a deployment on its [[vm]], with [env], and counts one Machine, saying the count is unknown", () => {
    const text =
      'app = "shop"\n\n[env]\n  DB_POOL_SIZE = "4"\n\n[processes]\n  web = "gunicorn shop.wsgi -w 3"\n  worker = "celery -A shop worker -c 2"\n\n' +
      '[[vm]]\n  size = "performance-2x"\n  processes = ["web"]\n\n[[vm]]\n  cpu_kind = "shared"\n  cpus = 2\n  memory = "1gb"\n  processes = ["worker"]\n';
    const m = model({ "fly.toml": text });
    assert.deepEqual(m.problems, []);
    const [web, worker] = m.deployments;
    assert.deepEqual([web.id, web.cpus?.value, web.cpus?.origin, web.memoryMiB?.value, web.instances.value, web.instances.origin], ["fly:fly.toml#web", 2, "stated", 4096, 1, "assumed"]);
    assert.equal(text.slice(web.cpus?.at?.start, web.cpus?.at?.end), "performance-2x");
    assert.match(web.instancesUnknown ?? "", /fly scale count/);
    assert.deepEqual([web.processes[0].invocation.server, web.processes[0].workers.value, web.env.get("DB_POOL_SIZE")?.value], ["gunicorn", 3, "4"]);
    assert.deepEqual([worker.cpus?.value, worker.memoryMiB?.value, worker.processes[0].invocation.server], [2, 1024, "celery"]);
  });

  it("without [processes], the group app runs the Dockerfile's command; without [[vm]], shared-cpu-1x (1 CPU, 256 MB)", () => {
    const m = model({ "fly.toml": 'app = "shop"\n[build]\n  dockerfile = "deploy/Dockerfile"\n', "deploy/Dockerfile": 'FROM python:3.12\nCMD ["uvicorn", "main:app", "--workers", "2"]\n' });
    const [app] = m.deployments;
    assert.deepEqual([app.id, app.cpus?.value, app.cpus?.origin, app.memoryMiB?.value, app.processes[0].workers.value, app.files.has("deploy/Dockerfile")], ["fly:fly.toml#app", 1, "default", 256, 2, true]);
  });

  it("a group's command replaces the Dockerfile's CMD, its ENTRYPOINT and ENV stay", () => {
    const m = model({
      "fly.toml": '[processes]\n  web = "gunicorn app:app --workers 6"\n',
      "Dockerfile": 'FROM python:3.12\nENV DB_POOL_SIZE=9\nENTRYPOINT ["/entrypoint.sh"]\nCMD ["gunicorn", "app:app"]\n',
      "entrypoint.sh": '#!/bin/sh\nset -e\nexec "$@"\n',
    });
    const [web] = m.deployments;
    assert.deepEqual([web.processes.length, web.processes[0].workers.value, web.processes[0].workers.at?.file, web.env.get("DB_POOL_SIZE")?.value], [1, 6, "fly.toml", "9"]);
  });

  it("reads memory as fly writes it, and the proxy's concurrency of the service routing to each group", () => {
    assert.deepEqual(["512mb", "1gb", "2GB", "2048", "1.5gb", "lots"].map(flyMemoryMiB), [512, 1024, 2048, 2048, 1536, undefined]);
    const text = '[processes]\n  web = "gunicorn a:b"\n  jobs = "celery -A a worker"\n[http_service]\n  processes = ["web"]\n  [http_service.concurrency]\n    type = "requests"\n    soft_limit = 50\n';
    const [web, jobs] = model({ "fly.toml": text }).deployments;
    assert.deepEqual([web.proxyConcurrency?.[0]?.softLimit?.value, web.proxyConcurrency?.[0]?.type.value, jobs.proxyConcurrency], [50, "requests", undefined]);
  });

  it("every [[services]] routing to a group keeps its limits; min_machines_running is the group's floor of Machines", () => {
    const text =
      '[processes]\n  web = "gunicorn a:b -w 2"\n  jobs = "celery -A a worker"\n' +
      '[[services]]\n  internal_port = 8000\n  processes = ["web"]\n  min_machines_running = 2\n  [services.concurrency]\n    type = "requests"\n    soft_limit = 2\n' +
      '[[services]]\n  internal_port = 9000\n  processes = ["web"]\n  min_machines_running = 3\n  [services.concurrency]\n    type = "connections"\n    soft_limit = 40\n' +
      '[[services]]\n  internal_port = 7000\n  processes = ["jobs"]\n  min_machines_running = 0\n';
    const [web, jobs] = model({ "fly.toml": text }).deployments;
    assert.deepEqual(web.proxyConcurrency?.map((c) => [c.section, c.softLimit?.value]), [["[[services]] #1", 2], ["[[services]] #2", 40]]);
    assert.deepEqual([web.instances.value, web.instances.origin, text.slice(web.instances.at?.start, web.instances.at?.end)], [3, "stated", "3"]);
    assert.match(web.instancesUnknown ?? "", /at least 3 Machines of the web group running \(min_machines_running\)/);
    assert.deepEqual([jobs.instances.value, jobs.instances.origin], [1, "assumed"], "0 keeps none running: the count stays unknown");
    const findings = audit(memoryHost({ "fly.toml": text })).findings.filter((f) => f.rule === "fly/soft-limit-above-capacity");
    assert.deepEqual(findings.map((f) => text.slice(f.at.start, f.at.end)), ["40"], "the second service's soft_limit is over the 2 sync workers; the first's is not");
    assert.match(findings[0].message, /^soft_limit 40 connections \(\[\[services\]\] #2\)/);
  });

  it("bad input: broken TOML is a parse error at its line and no deployment; odd sizes and memory are noted at the value", () => {
    const result = audit(memoryHost({ "fly.toml": '[processes]\n  web = "gunicorn app:app -w 9\n' }));
    assert.deepEqual(result.findings.map((f) => [f.rule, f.at.file, f.severity]), [["parse/error", "fly.toml", "error"]]);
    const text = '[processes]\n  web = "gunicorn app:app -w 2"\n[[vm]]\n  size = "a100-40gb"\n  memory = "lots"\n';
    const m = model({ "fly.toml": text });
    assert.deepEqual(m.problems.map((p) => [p.severity, p.at.start]), [["warning", text.indexOf("lots")], ["info", text.indexOf("a100-40gb")]]);
    assert.deepEqual([m.deployments[0].cpus?.value, m.deployments[0].cpus?.origin], [1, "default"]);
    for (const odd of ["", "processes = 3\n", "[processes]\nweb = 3\n", "[[vm]]\ncpus = -1\n", "[vm]\nprocesses = 'web'\n", "[[services]]\n[services.concurrency]\nsoft_limit = 'x'\n"]) {
      assert.doesNotThrow(() => audit(memoryHost({ "fly.toml": odd })), odd);
    }
  });
});

describe("a fly.toml pool in the hover", () => {
  it("counts one Machine and says the count is not in fly.toml, until headroom.yml states it", () => {
    const text = '[env]\n  DB_POOL_SIZE = "10"\n[processes]\n  web = "gunicorn app:app -w 3"\n';
    const hover = (files: Record<string, string>) => explainAt(audit(memoryHost(files)).model, "fly.toml", text.indexOf('"10"') + 1)?.text ?? "";
    assert.match(hover({ "fly.toml": text }), /= 30 \*\*of 97\*\*.* That is one instance: fly\.toml does not say how many Machines run the web group \(`fly scale count` sets that\)/);
    const stated = hover({ "fly.toml": text, "headroom.yml": "facts:\n  max_instances: 4\n" });
    assert.match(stated, /autoscaling max 4 instances x 3 gunicorn workers/);
    assert.doesNotMatch(stated, /That is one instance/);
  });
});

describe("fly/soft-limit-above-capacity's fix", () => {
  it("lowers soft_limit to what one Machine serves; the file stays TOML and the finding is gone", () => {
    const files = {
      "fly.toml": "[processes]\n  web = 'gunicorn shop.wsgi --workers 2 --threads 4'\n[http_service]\n  [http_service.concurrency]\n    type = 'requests'\n    soft_limit = 100\n    hard_limit = 120\n",
    };
    const finding = audit(memoryHost(files)).findings.find((f) => f.rule === "fly/soft-limit-above-capacity");
    const edit = finding?.fixes[0]?.edits[0];
    assert.ok(edit, "a fix");
    const fixed = files["fly.toml"].slice(0, edit.start) + edit.newText + files["fly.toml"].slice(edit.end);
    assert.equal(parseToml(fixed).get(["http_service", "concurrency", "soft_limit"])?.value, 8);
    assert.deepEqual(audit(memoryHost({ "fly.toml": fixed })).findings.filter((f) => f.rule === "fly/soft-limit-above-capacity"), []);
  });
});
