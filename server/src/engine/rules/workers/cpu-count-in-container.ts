import { SOURCES } from "../../knowledge/sources.ts";
import { fileKind } from "../../model/build.ts";
import type { Deployment, ServerProcess } from "../../model/types.ts";
import { parseGunicornConf } from "../../parse/gunicorn-conf.ts";
import { sameOnAnyHost, workersOnCpus } from "../../parse/setting-expr.ts";
import { defineRule, type Report } from "../define.ts";
import { cpuLimitRelated, formatCpus, scaledToZero } from "./recommended.ts";

const RUBY_SERVERS: ReadonlySet<string> = new Set(["puma", "unicorn", "sidekiq", "rails"]);

/** A host of this size shows what cpu_count() can return on a shared container host. */
const EXAMPLE_HOST_CPUS = 16;

/** Compose services, App Runner services and anything built from a Dockerfile run in a container. */
export function isContainer(deployment: Deployment): boolean {
  return deployment.id.startsWith("compose:") || deployment.id.startsWith("apprunner:") || [...deployment.files].some((f) => fileKind(f) === "dockerfile");
}

/** A systemd service whose CPUQuota= bounds its cgroup (SOURCES.systemdResourceControl): a quota cpu_count() does not read either. */
function isQuotaBoundService(deployment: Deployment): boolean {
  return deployment.id.startsWith("systemd:") && deployment.cpus !== undefined;
}

export default defineRule({
  meta: {
    id: "workers/cpu-count-in-container",
    summary: "Workers computed from the host's CPU count (cpu_count(), nproc, Etc.nprocessors) inside a container or under a systemd CPUQuota=",
    severity: "warning",
    fix: "none",
    sources: [
      SOURCES.pythonCpuCount,
      SOURCES.flyMachinesAreVms,
      SOURCES.pythonCpuCountCgroups,
      SOURCES.coreutilsNproc,
      SOURCES.gunicornWorkerFormula,
      SOURCES.composeDeployCpus,
      SOURCES.celeryConcurrencyDefault,
      SOURCES.composeCpuset,
      SOURCES.rubyEtcNprocessors,
      SOURCES.tiangoloGunicornConf,
      SOURCES.tiangoloStartScript,
      SOURCES.systemdResourceControl,
      SOURCES.uwsgiMagicCpuCores,
      SOURCES.sidekiqSwarm,
      SOURCES.sidekiqSwarmCount,
    ],
    docs: {
      why:
        "`multiprocessing.cpu_count()` (and `os.cpu_count()`) return the number of CPUs of the machine, not the CPU quota of " +
        "the container: Python does not read cgroup limits. `workers = multiprocessing.cpu_count() * 2 + 1` in a container " +
        "limited to 1 CPU on a 16-CPU host starts 33 workers that share one CPU, each with its own memory and database pool, " +
        "and the count changes with whatever host the container lands on. Set the workers from the deployment's CPU limit " +
        "(an environment variable such as WEB_CONCURRENCY, or a number). A celery worker without --concurrency does the same: " +
        "its prefork pool starts one process per CPU of the host. So does an image built FROM tiangolo/uvicorn-gunicorn (or its -fastapi " +
        "and -starlette images) that keeps the image's command, or a compose service that runs one of them by `image:`: its gunicorn_conf.py starts max(WORKERS_PER_CORE x cpu_count(), 2) " +
        "workers unless WEB_CONCURRENCY is set (the finding points at the FROM line, or at the service's `image:`). A start script's `--workers $(( $(nproc) * 2 + 1 ))` (or " +
        "`export WEB_CONCURRENCY=$(( $(nproc) * 2 + 1 ))` before it runs the server) does the same: " +
        "`nproc` counts the CPUs the container may run on (the host's, unless a cpuset pins it), not its CPU quota; GNU coreutils " +
        "reads cgroup quotas only in its 2025 releases, and the coreutils of today's base images (Debian 12: 9.1) and busybox do not. Ruby's Etc.nprocessors and concurrent-ruby's " +
        "processor_count and physical_processor_count count the host's too, and so does uWSGI's `%k` magic variable (`processes = %k`, " +
        "`processes = %(%k * 2 + 1)`: the CPU cores uWSGI detects, the machine's online CPUs), and Sidekiq Enterprise's `sidekiqswarm` without SIDEKIQ_COUNT, which forks " +
        "one Sidekiq child process per Etc.nprocessors, each with its own threads, memory and database pool (the finding points at `sidekiqswarm` and asks for SIDEKIQ_COUNT, " +
        "one child per CPU of the limit, at least 1). A compose `cpuset:` (the CPUs the container may run on) " +
        "is different: nproc, Etc.nprocessors and processor_count count the CPUs of the process's affinity, so where a cpuset is the " +
        "tighter bound they count right and nothing is reported, and where a quota is tighter than the cpuset they count the cpuset's CPUs (the " +
        "message says so: more than the quota, fewer than the host's); Python's cpu_count() and physical_processor_count still count the host's. Without a CPU limit the container may use every CPU of the host, " +
        "so the count is right and nothing is reported; nor is a count capped at or below what the limit's CPUs already give (tiangolo's " +
        "max(cpu_count(), 2) with MAX_WORKERS 2, `min(cpu_count() * 2 + 1, 4)` on 2 CPUs), the same on every host. A systemd service's `CPUQuota=` (`200%` is 2 CPUs' time) is the same kind of cgroup quota " +
        "on a machine whose CPUs cpu_count() and nproc count, so a unit that sets one is checked as a container is; without one the " +
        "service may use the whole machine and nothing is reported. Fly.io's Machines (fly.toml) are VMs, not containers: cpu_count() and nproc " +
        "see the Machine's own vCPUs there, so they are not reported either.",
      bad: {
        "docker-compose.yml": "services:\n  api:\n    build: .\n    deploy:\n      resources:\n        limits:\n          cpus: '1.0'\n",
        Dockerfile: 'FROM python:3.12-slim\nCMD ["gunicorn", "-c", "gunicorn.conf.py", "app:app"]\n',
        "gunicorn.conf.py": "import multiprocessing\n\nworkers = multiprocessing.cpu_count() * 2 + 1\n",
      },
      good: {
        "docker-compose.yml": "services:\n  api:\n    build: .\n    deploy:\n      resources:\n        limits:\n          cpus: '1.0'\n",
        Dockerfile: 'FROM python:3.12-slim\nCMD ["gunicorn", "-c", "gunicorn.conf.py", "app:app"]\n',
        "gunicorn.conf.py": "import os\n\nworkers = int(os.environ.get(\"WEB_CONCURRENCY\", \"3\"))\n",
      },
    },
  },
  check({ model, report, text }) {
    for (const deployment of model.deployments) {
      if (scaledToZero(deployment)) continue;
      // Without a CPU limit the container may use every CPU of the host, which is what cpu_count() counts.
      // A Fly Machine is a VM (SOURCES.flyMachinesAreVms): cpu_count() and nproc see its own vCPUs.
      // A systemd unit's CPUQuota= is a cgroup quota too, on a machine whose CPUs cpu_count() counts.
      const service = isQuotaBoundService(deployment);
      if (!(service || isContainer(deployment)) || deployment.id.startsWith("fly:") || !deployment.cpus) continue;
      for (const process of deployment.processes) {
        if (process.sidekiqSwarm?.perHostCpu) reportSwarm(process, deployment, report);
        const fromCpu = process.workersFromCpuCount;
        if (!fromCpu) continue;
        // A cpuset that is the tighter bound is what nproc and Etc.nprocessors count (the CPUs the process may run on): right there.
        if (deployment.cpus.cpuset !== undefined && countsAllowedCpus(fromCpu.formula, process.invocation.server)) continue;
        const source = text(fromCpu.at.file);
        const formula = fromCpu.cpuFormula ?? (source === undefined ? undefined : parseGunicornConf(source, fromCpu.at.file).settings.get("workers")?.cpuFormula);
        const cpus = deployment.cpus;
        const call = cpuCall(fromCpu.formula, process.invocation.server);
        // A cap the limit's CPUs already reach gives the same count on every host (there are no fewer CPUs than the limit's).
        if (formula && sameOnAnyHost(formula, cpus.value)) continue;
        const use = formula ? workersOnCpus(formula, cpus.value) : undefined;
        // A celery worker is one process that forks its pool: what the host's CPUs multiply is the pool's processes.
        const started = process.invocation.server === "celery" ? "prefork processes" : "workers";
        // Under a quota with a looser cpuset, nproc and Etc.nprocessors count the cpuset's CPUs: fewer than the host's, more than the quota.
        const cpuset = countsAllowedCpus(fromCpu.formula, process.invocation.server) ? cpus.looser?.cpuset : undefined;
        const counted =
          cpus.looser && cpuset !== undefined
            ? `${fromCpu.formula} counts the ${cpus.looser.value} CPUs of the container's cpuset "${cpuset}" (the CPUs it may run on), not its CPU quota: ` +
              `${call} does not read the cgroup CPU quota, so ${deployment.name} starts ${formula ? `${workersOnCpus(formula, cpus.looser.value)} ${started}` : "a worker count that grows with the cpuset"} for a quota of ${formatCpus(cpus.value)}.`
            : service
              ? `${fromCpu.formula} counts the machine's CPUs, not the service's CPUQuota=: ${call} does not read the cgroup CPU quota, ` +
                `so ${deployment.name} starts ${formula ? `${workersOnCpus(formula, EXAMPLE_HOST_CPUS)} ${started} on a ${EXAMPLE_HOST_CPUS}-CPU machine` : "a worker count that grows with the machine"}, and a different number on every machine size.`
              : `${fromCpu.formula} counts the host's CPUs, not the container's: ${call} does not read the ${cpus.cpuset === undefined ? "cgroup CPU quota" : "cpuset (the CPUs the container may run on)"}, ` +
                `so ${deployment.name} starts ${formula ? `${workersOnCpus(formula, EXAMPLE_HOST_CPUS)} ${started} on a ${EXAMPLE_HOST_CPUS}-CPU host` : "a worker count that grows with the host"}, and a different number on every host size.`;
        const given = service ? `CPUQuota= gives the service ${formatCpus(cpus.value)}` : cpus.cpuset !== undefined ? `The deployment pins each instance to ${cpus.value} CPU${cpus.value === 1 ? "" : "s"} (cpuset "${cpus.cpuset}")` : `The deployment gives each instance ${formatCpus(cpus.value)}${cpus.origin === "default" && cpus.by ? ` (${cpus.by}'s default)` : ""}`;
        report({
          at: fromCpu.at,
          deployment,
          message: `${counted} ${given}${use !== undefined ? `: set ${setting(fromCpu.option, process.invocation.server)}${use}.` : "."}`,
          related: cpuLimitRelated(cpus, (value) => `CPU limit set here: ${formatCpus(value)}`),
        });
      }
    }
  },
});

/**
 * sidekiqswarm without SIDEKIQ_COUNT forks Etc.nprocessors children (SOURCES.sidekiqSwarmCount): the host's CPUs under a
 * quota, the cpuset's where a cpuset is the tighter bound (then right, and quiet). One child per CPU of the limit is asked for.
 */
function reportSwarm(process: ServerProcess, deployment: Deployment, report: (finding: Report) => void): void {
  const cpus = deployment.cpus;
  if (!cpus || cpus.cpuset !== undefined) return;
  // A SIDEKIQ_COUNT the model does not read as a whole number (`2.5`, which Sidekiq Enterprise 7.2.3 rounds, or a variable) is still set.
  if ((process.exported?.get("SIDEKIQ_COUNT") ?? deployment.env.get("SIDEKIQ_COUNT")) !== undefined) return;
  const counted = cpus.looser?.cpuset !== undefined ? `the ${cpus.looser.value} CPUs of the container's cpuset "${cpus.looser.cpuset}"` : "the host's CPUs";
  const children = Math.max(1, Math.floor(cpus.value));
  const given = deployment.id.startsWith("systemd:") ? `CPUQuota= gives the service ${formatCpus(cpus.value)}` : `The deployment gives each instance ${formatCpus(cpus.value)}${cpus.origin === "default" && cpus.by ? ` (${cpus.by}'s default)` : ""}`;
  const program = process.invocation.program;
  report({
    at: program.fact.at ?? process.commandAt,
    deployment,
    message:
      `sidekiqswarm without SIDEKIQ_COUNT forks one Sidekiq process per Etc.nprocessors, which counts ${counted}, not the CPU quota: ` +
      `${deployment.name} starts ${cpus.looser?.cpuset !== undefined ? cpus.looser.value : EXAMPLE_HOST_CPUS} Sidekiq processes${cpus.looser?.cpuset !== undefined ? "" : ` on a ${EXAMPLE_HOST_CPUS}-CPU host`}, each with its threads and database pool. ` +
      `${given}: set SIDEKIQ_COUNT=${children}.`,
    related: cpuLimitRelated(cpus, (value) => `CPU limit set here: ${formatCpus(value)}`),
  });
}

/** How the message writes the setting before its value: `--workers 3`, `workers = 3`, `WEB_CONCURRENCY=3`, puma.rb's `workers 3`. */
function setting(option: string | undefined, server: string): string {
  // Ruby config files call a method: puma.rb `workers 3`, unicorn.rb `worker_processes 3`, sidekiq.yml `concurrency: 3`.
  if (option === undefined) return server === "unicorn" ? "worker_processes " : server === "sidekiq" ? "concurrency: " : server === "uwsgi" ? "processes = " : RUBY_SERVERS.has(server) ? "workers " : "workers = ";
  return option.endsWith("=") ? option : `${option} `;
}

/** nproc, Ruby's Etc.nprocessors and concurrent-ruby's processor_count (built on it) count the CPUs of the process's affinity, which a cpuset sets. */
function countsAllowedCpus(formula: string, server: string): boolean {
  if (/\bnproc\b/.test(formula) && !/\bgetconf\b|--all\b/.test(formula)) return true;
  return RUBY_SERVERS.has(server) && /\bEtc\.nprocessors\b|\bConcurrent\.processor_count\b/.test(formula) && !/physical_processor_count/.test(formula);
}

/** What a formula counts CPUs with, as its message names it. */
function cpuCall(formula: string, server: string): string {
  if (/\bgetconf\b/.test(formula)) return "getconf (the host's online CPUs)";
  if (/\bnproc\b[^)]*--all\b/.test(formula)) return "nproc --all (every installed CPU)";
  if (/\bnproc\b/.test(formula)) return "nproc (busybox's, and GNU coreutils' before 2025)";
  if (server === "uwsgi" && /%k\b/.test(formula)) return "uWSGI's %k (the CPU cores it detects: the host's online CPUs)";
  if (!RUBY_SERVERS.has(server)) return "Python's cpu_count()";
  const call = /Concurrent\.(physical_)?processor_count/.exec(formula)?.[0];
  return call ? `concurrent-ruby's ${call}` : "Ruby's Etc.nprocessors";
}
