// Where servers listen (rules/server/listen.ts) and the numbers behind three rules that read
// configuration values: App Runner's instance sizes, metrics intervals and bind addresses.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { audit } from "../../server/src/engine/audit.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { intervalSeconds } from "../../server/src/engine/rules/server/metrics-interval-low.ts";
import { isLoopback, listenAddress, splitHostPort } from "../../server/src/engine/rules/server/listen.ts";
import { memoryHost } from "../helpers/memory-host.ts";

function listenOf(files: Record<string, string>) {
  const host = memoryHost(files);
  const model = buildModel(host, Object.keys(files).sort(), []);
  const deployment = model.deployments[0];
  return listenAddress(deployment, deployment.processes[0], host.read);
}

const rules = (files: Record<string, string>, id: string) => audit(memoryHost(files)).findings.filter((f) => f.rule === id);

describe("listen address", () => {
  it("splits HOST, HOST:PORT, :PORT and [V6]:PORT", () => {
    assert.deepEqual(splitHostPort("0.0.0.0:8000"), { host: "0.0.0.0", hostOffset: 0, port: 8000, portOffset: 8 });
    assert.deepEqual(splitHostPort("127.0.0.1"), { host: "127.0.0.1", hostOffset: 0, port: undefined, portOffset: 10 });
    assert.deepEqual(splitHostPort(":9000"), { host: "", hostOffset: 0, port: 9000, portOffset: 1 });
    assert.deepEqual(splitHostPort("[::1]:8000"), { host: "::1", hostOffset: 1, port: 8000, portOffset: 6 });
    assert.equal(splitHostPort("host:port"), undefined);
  });
  it("knows the loopback names", () => {
    for (const host of ["127.0.0.1", "127.0.1.1", "localhost", "::1", "[::1]"]) assert.ok(isLoopback(host), host);
    for (const host of ["0.0.0.0", "", "::", "10.0.0.5", "api"]) assert.ok(!isLoopback(host), host);
  });
  it("uses each server's documented default when nothing sets the address", () => {
    const listen = listenOf({ "docker-compose.yml": "services:\n  a:\n    image: a\n    command: uvicorn app:app\n" });
    assert.equal(listen?.host.value, "127.0.0.1");
    assert.equal(listen?.port?.value, 8000);
    assert.equal(listen?.host.origin, "default");
  });
  it("reads UVICORN_HOST/UVICORN_PORT from the environment, and the command line wins over them", () => {
    const env = "    environment:\n      UVICORN_HOST: 0.0.0.0\n      UVICORN_PORT: \"9000\"\n";
    const fromEnv = listenOf({ "docker-compose.yml": `services:\n  a:\n    image: a\n    command: uvicorn app:app\n${env}` });
    assert.deepEqual([fromEnv?.host.value, fromEnv?.port?.value], ["0.0.0.0", 9000]);
    const fromFlag = listenOf({ "docker-compose.yml": `services:\n  a:\n    image: a\n    command: uvicorn app:app --port 7000\n${env}` });
    assert.equal(fromFlag?.port?.value, 7000);
  });
  it("a port taken from a variable the workspace does not set leaves the port unknown, not the host", () => {
    const listen = listenOf({ "docker-compose.yml": "services:\n  a:\n    image: a\n    command: uvicorn app:app --port $$PORT\n" });
    assert.deepEqual([listen?.host.value, listen?.host.origin, listen?.port], ["127.0.0.1", "default", undefined]);
    const withHost = listenOf({ "docker-compose.yml": "services:\n  a:\n    image: a\n    command: uvicorn app:app --host 0.0.0.0 --port $$PORT\n" });
    assert.equal(withHost?.host.value, "0.0.0.0");
  });
  it("gunicorn binds 0.0.0.0:$PORT by default when PORT is set", () => {
    const listen = listenOf({ "docker-compose.yml": "services:\n  a:\n    image: a\n    command: gunicorn app:app\n    environment:\n      PORT: \"5000\"\n" });
    assert.deepEqual([listen?.host.value, listen?.port?.value], ["0.0.0.0", 5000]);
  });
  it("prefers a reachable bind among several, and gives up on unix sockets", () => {
    const several = listenOf({ "docker-compose.yml": "services:\n  a:\n    image: a\n    command: gunicorn -b 127.0.0.1:8000 -b 0.0.0.0:8001 app:app\n" });
    assert.equal(several?.host.value, "0.0.0.0");
    assert.equal(listenOf({ "docker-compose.yml": "services:\n  a:\n    image: a\n    command: gunicorn -b unix:/tmp/app.sock app:app\n" }), undefined);
    assert.equal(listenOf({ "docker-compose.yml": "services:\n  a:\n    image: a\n    command: uvicorn app:app --uds /tmp/app.sock\n" }), undefined);
  });
  it("points the port at the value a variable default or App Runner's environment gives", () => {
    const start = "#!/bin/sh\nexec gunicorn app:app --bind 0.0.0.0:${PORT:-10000}\n";
    const service = (env: string) => `{"ServiceName":"a","SourceConfiguration":{"ImageRepository":{"ImageIdentifier":"x","ImageRepositoryType":"ECR","ImageConfiguration":{"Port":"8080"${env}}}}}`;
    const byDefault = rules({ "start.sh": start, "service.json": service("") }, "apprunner/port-mismatch");
    assert.equal(byDefault.length, 1);
    assert.equal(byDefault[0].fixes[0].edits[0].file, "start.sh");
    const byEnv = rules({ "start.sh": start, "service.json": service(',"RuntimeEnvironmentVariables":{"PORT":"9000"}') }, "apprunner/port-mismatch");
    assert.equal(byEnv[0].at.file, "service.json", "the value App Runner passes is the one to change");
    assert.deepEqual(rules({ "start.sh": start, "service.json": service(',"RuntimeEnvironmentVariables":{"PORT":"8080"}') }, "apprunner/port-mismatch"), []);
  });
});

describe("App Runner sizes", () => {
  const sized = (cpu: string, memory: string) => rules({ "service.json": `{"ServiceName":"a","InstanceConfiguration":{"Cpu":"${cpu}","Memory":"${memory}"}}` }, "apprunner/invalid-cpu-memory");
  it("accepts every documented pair, in both spellings", () => {
    const pairs: Array<[number, number[]]> = [[0.25, [0.5, 1]], [0.5, [1]], [1, [2, 3, 4]], [2, [4, 6]], [4, [8, 10, 12]]];
    for (const [cpu, memories] of pairs) {
      for (const gb of memories) {
        assert.deepEqual(sized(`${cpu} vCPU`, `${gb} GB`), [], `${cpu} vCPU / ${gb} GB`);
        assert.deepEqual(sized(String(cpu * 1024), String(gb * 1024)), [], `${cpu * 1024} / ${gb * 1024}`);
      }
    }
  });
  it("offers a fix only when one value is not a size at all and one valid value is nearest", () => {
    assert.deepEqual(sized("2 vCPU", "2 GB")[0].fixes, [], "both are sizes: a sizing decision");
    assert.deepEqual(sized("1 vCPU", "5 GB")[0].fixes[0].edits[0].newText, "4 GB");
    assert.deepEqual(sized("2 vCPU", "5 GB")[0].fixes, [], "4 and 6 GB are equally near");
    assert.deepEqual(sized("3 vCPU", "6 GB")[0].fixes[0].edits[0].newText, "2 vCPU", "6 GB goes with 2 vCPU only");
    assert.deepEqual(sized("3 vCPU", "4 GB")[0].fixes, [], "4 GB goes with 1 or 2 vCPU");
  });
});

describe("metrics intervals", () => {
  it("reads seconds, milliseconds and minutes", () => {
    assert.equal(intervalSeconds("PERF_METRICS_INTERVAL", "30"), 30);
    assert.equal(intervalSeconds("METRICS_INTERVAL_MS", "5000"), 5);
    assert.equal(intervalSeconds("METRICS_INTERVAL", "500ms"), 0.5);
    assert.equal(intervalSeconds("METRICS_INTERVAL", "2m"), 120);
    assert.equal(intervalSeconds("METRICS_INTERVAL_MINUTES", "1"), 60);
    assert.equal(intervalSeconds("METRICS_INTERVAL", "often"), undefined);
  });
  it("needs a metrics-and-interval name, system metrics on and an async server", () => {
    const compose = (command: string, env: string) => ({ "docker-compose.yml": `services:\n  a:\n    image: a\n    command: ${command}\n    environment:\n${env}` });
    const on = '      ENABLE_SYSTEM_METRICS: "true"\n';
    assert.equal(rules(compose("uvicorn app:app --host 0.0.0.0", `${on}      METRICS_INTERVAL: "10"\n`), "server/metrics-interval-low").length, 1);
    assert.equal(rules(compose("uvicorn app:app --host 0.0.0.0", `${on}      COLLECTION_INTERVAL: "10"\n`), "server/metrics-interval-low").length, 0, "no 'metrics' in the name");
    assert.equal(rules(compose("uvicorn app:app --host 0.0.0.0", '      METRICS_INTERVAL: "10"\n'), "server/metrics-interval-low").length, 0, "system metrics not switched on");
    assert.equal(rules(compose("gunicorn app:app -b 0.0.0.0:8000", `${on}      METRICS_INTERVAL: "10"\n`), "server/metrics-interval-low").length, 0, "sync workers have no event loop");
    assert.equal(rules(compose("uvicorn app:app --host 0.0.0.0", `${on}      METRICS_INTERVAL: "60"\n`), "server/metrics-interval-low").length, 0, "60 s is the floor");
  });
});
