import { SOURCES } from "../../knowledge/sources.ts";
import { type ConnectionBudget, connectionBudgets, type PoolShare, poolSizeText } from "../../model/budget.ts";
import type { Deployment, ServerProcess } from "../../model/types.ts";
import type { ListItemWord } from "../../model/build.ts";
import { type CommandWord, isFastapiRun, optionValue } from "../../parse/servers.ts";
import type { Fix, RelatedInfo } from "../../types.ts";
import { defineRule, type Report } from "../define.ts";
import { isDevDeployment } from "../production.ts";
import { cpuLimitRelated, formatCpus, maxWorkers, scaledToZero } from "./recommended.ts";
import { addRunKeyword } from "../server/run-call.ts";

// Options that translate one to one from uvicorn to gunicorn; a command with others is not rewritten.
const PORTABLE_UVICORN_OPTIONS = new Set(["host", "port", "log_level"]);

export default defineRule({
  meta: {
    id: "workers/single-process",
    summary: "A single server process on an instance with more than one CPU",
    severity: "warning",
    fix: "unsafe",
    sources: [
      SOURCES.uvicornWorkersDefault, SOURCES.gunicornWorkersDefault, SOURCES.gunicornWorkerFormula, SOURCES.fastapiServerWorkers, SOURCES.fastapiCliOptions, SOURCES.daphneSingleProcess,
      SOURCES.pumaGvlCluster, SOURCES.pumaWorkersDefault, SOURCES.pumaDeploymentSizing, SOURCES.railsPumaTemplate8, SOURCES.unicornDefaults, SOURCES.unicornTuning,
      SOURCES.sidekiqOneCore, SOURCES.sidekiqSwarm, SOURCES.solidQueueWorkerProcesses,
    ],
    docs: {
      why:
        "uvicorn, hypercorn and gunicorn start one worker process unless told otherwise, and one Python process runs on one CPU " +
        "at a time. On an instance with 2 or more vCPUs the others stay idle while requests queue. Run several workers " +
        "(gunicorn advises (2 x num_cores) + 1), or one process per container with more replicas. Each worker opens its own " +
        "database pool: when that many pools would exceed what the database accepts, the message says so, with the arithmetic " +
        "(seed 001's team went from 1 to 5 workers and from 70 to 500 possible connections). daphne has no workers option " +
        "at all: one daphne serves on one CPU, so run more of them (replicas, or a process manager) or an ASGI server with workers. " +
        "A development or test setup (a compose file, folder, service or deploy script named dev, local, test or e2e) is not sized. " +
        "Puma runs in single mode unless `workers`, `-w` or WEB_CONCURRENCY says otherwise (Rails 8's config/puma.rb sets none), and on " +
        "MRI the Global VM Lock lets one thread of a process run Ruby at a time: its threads overlap waits, not CPU work. The rule " +
        "asks for one Puma worker per CPU, as Puma's deployment guide and Rails' puma.rb advise, and stays quiet on JRuby and " +
        "TruffleRuby (a FROM image, .ruby-version or Gemfile `engine:` naming them), in development (RAILS_ENV/RACK_ENV, `-e`, a dev " +
        "compose file or service), and when a `workers` call is computed in a way Headroom does not evaluate. Unicorn runs " +
        "`worker_processes` workers, 1 unless the config file `unicorn -c` names sets more, and has no threads: one worker serves one " +
        "request at a time on one CPU. Its tuning guide asks for at least one worker per CPU core, so the rule asks for one per CPU " +
        "(quiet when `worker_processes` is computed in a way Headroom does not evaluate). " +
        "A host that runs only jobs is asked the same: Sidekiq runs its concurrency as threads of one process (GitLab's docs: a Sidekiq process " +
        "uses no more than one CPU core; Sidekiq Enterprise's sidekiqswarm starts one per core), `good_job start` runs one process, and a Solid Queue " +
        "supervisor forking one worker process (`processes: 1`, its default, or async mode) runs its jobs in one; the rule asks for one process per CPU " +
        "(Solid Queue's README gives `processes` for dedicating more than one CPU core to a queue; that fix is unsafe: each worker process holds its " +
        "threads + 2 database connections). Not when the job runner shares the instance with a web server, on JRuby or TruffleRuby, or in development.",
      bad: {
        "start.sh": "#!/bin/sh\nexec uvicorn main:app --host 0.0.0.0 --port ${PORT:-10000}\n",
        "service.json": '{\n  "ServiceName": "api",\n  "InstanceConfiguration": { "Cpu": "2 vCPU", "Memory": "4 GB" }\n}\n',
      },
      good: {
        "start.sh": "#!/bin/sh\nexec gunicorn main:app -k uvicorn.workers.UvicornWorker --workers 5 --bind 0.0.0.0:${PORT:-10000}\n",
        "service.json": '{\n  "ServiceName": "api",\n  "InstanceConfiguration": { "Cpu": "2 vCPU", "Memory": "4 GB" }\n}\n',
      },
    },
  },
  check({ model, report, text }) {
    // Worked out once: a monorepo has a budget per database and a finding per deployment.
    let shares: Map<Deployment, DeploymentShare[]> | undefined;
    const sharesOf = (deployment: Deployment) => (shares ??= sharesByDeployment(connectionBudgets(model))).get(deployment) ?? [];
    for (const deployment of model.deployments) {
      if (scaledToZero(deployment)) continue;
      const cpus = deployment.cpus;
      if (!cpus || cpus.value < 2) continue;
      for (const process of deployment.processes) {
        const server = process.invocation.server;
        if (process.workersFromCpuCount || process.workersUnresolved) continue;
        // supervisord's numprocs runs several copies: more than one process serves.
        if ((process.copies?.value ?? 1) > 1) continue;
        if (isPuma(process)) {
          if (process.workers.value <= 1 && !isDevDeployment(deployment, process.commandAt.file, model) && !runsInDevelopment(deployment, process) && !parallelRuby(deployment, process, text)) {
            reportPuma({ process, deployment, cpus, shares: sharesOf(deployment), report, text });
          }
          continue;
        }
        if (server === "unicorn") {
          if (process.workers.value === 1 && !isDevDeployment(deployment, process.commandAt.file, model)) reportUnicorn({ process, deployment, cpus, shares: sharesOf(deployment), report, text });
          continue;
        }
        if (JOB_RUNNERS.has(server)) {
          // A host that runs only jobs: a job runner beside a web server shares the CPUs with it.
          if (deployment.processes.length === 1 && !isDevDeployment(deployment, process.commandAt.file, model) && !runsInDevelopment(deployment, process) && !parallelRuby(deployment, process, text)) {
            reportJobRunner({ process, deployment, cpus, shares: [], report, text });
          }
          continue;
        }
        if (!["gunicorn", "uvicorn", "hypercorn", "granian", "daphne"].includes(server) || process.workers.value !== 1) continue;
        // A development setup (compose file, service or script named so) sizes nothing; a dev image that production's compose
        // file builds (seed 002's Dockerfile.dev) is still production, so the file holding the command is not asked.
        if (isDevDeployment(deployment, undefined, model)) continue;
        const recommended = maxWorkers(cpus.value);
        const program = process.invocation.program;
        const stated = process.workers.origin !== "default" && process.workers.at;
        if (server === "daphne") {
          report({
            at: { file: process.commandAt.file, start: program.start, end: program.end },
            deployment,
            message:
              `One daphne process on ${formatCpus(cpus.value)}: daphne has no workers option, so only one CPU serves requests. ` +
              `Run ${recommended} daphne processes (replicas, or a process manager), or an ASGI server with ${recommended} workers (gunicorn -k uvicorn.workers.UvicornWorker).`,
            related: sizingRelated(deployment, cpus, ""),
          });
          continue;
        }
        const note = poolNote(sharesOf(deployment), deployment, recommended);
        report({
          at: stated ? (process.workers.at ?? process.commandAt) : { file: process.commandAt.file, start: program.start, end: program.end },
          deployment,
          message:
            `One ${server} worker process on ${formatCpus(cpus.value)}: ${stated ? "the workers are set to 1" : isFastapiRun(process.invocation) ? "`fastapi run` starts a single uvicorn worker by default" : `${server} starts a single worker by default`}, ` +
            `so only one CPU serves requests. Run ${recommended} workers ((2 x ${cpus.value}) + 1).${note}`,
          related: sizingRelated(deployment, cpus, note),
          fixes: fixes(process, recommended, text),
        });
      }
    }
  },
});

const JOB_RUNNERS: ReadonlySet<string> = new Set(["sidekiq", "solid_queue", "good_job"]);

/**
 * A job runner alone on an instance with 2 or more CPUs, in one process: Sidekiq (one process; its concurrency is threads),
 * `good_job start` (one process), or a Solid Queue supervisor forking one worker process (or in async mode). On MRI the GVL lets
 * one thread of a process run Ruby code at a time, so the jobs' Ruby work uses one CPU.
 */
function reportJobRunner({ process, deployment, cpus, report, text }: ProcessCheck): void {
  const server = process.invocation.server;
  const tree = process.solidQueue;
  // sidekiqswarm forks SIDEKIQ_COUNT children, else one per host core.
  const swarm = process.sidekiqSwarm;
  const workerProcesses = tree ? (tree.async ? 1 : tree.workers.reduce((sum, w) => sum + w.processes.value, 0)) : swarm ? (swarm.perHostCpu ? 0 : swarm.processes.value) : 1;
  if (workerProcesses !== 1 || (server === "solid_queue" && !tree)) return;
  const recommended = Math.floor(cpus.value);
  const idle = formatCpus(cpus.value - 1);
  const program = process.invocation.program;
  const commandAt = { file: process.commandAt.file, start: program.start, end: program.end };
  const gvl = "On MRI the Global VM Lock lets one thread of a process run Ruby code at a time";
  if (server === "solid_queue" && tree) {
    // The one worker group's `processes`, when config/queue.yml states it as a number a fix can raise.
    const group = tree.async ? undefined : tree.workers.find((w) => w.processes.value === 1);
    const stated = group && group.processes.origin !== "default" ? group.processes.at : undefined;
    const written = stated && text(stated.file)?.slice(stated.start, stated.end);
    const threads = tree.workers.reduce((sum, w) => sum + w.threads.value, 0);
    report({
      at: stated ?? commandAt,
      deployment,
      message:
        `One Solid Queue worker process on ${formatCpus(cpus.value)}: ${tree.async ? "async mode runs the workers as threads of the supervisor's one process" : stated ? "its worker group's `processes` in config/queue.yml is 1" : "config/queue.yml sets no `processes` (Solid Queue's default is 1)"}. ` +
        `${gvl}, so its ${threads} job thread${threads === 1 ? "" : "s"} take turns on one CPU, leaving ${idle} idle. Solid Queue's README gives \`processes\` for dedicating more than one CPU core to a queue: ` +
        `run ${recommended} worker processes (\`processes: ${recommended}\`; each holds its threads + 2 database connections).`,
      related: sizingRelated(deployment, cpus, ""),
      fixes: stated && written === "1" ? [{ title: `Run ${recommended} worker processes (more database connections: threads + 2 each)`, safe: false, edits: [{ ...stated, newText: String(recommended) }] }] : [],
    });
    return;
  }
  const threads = server === "sidekiq" ? process.workers.value : (process.goodJob?.threads.value ?? 0);
  const name = server === "sidekiq" ? "sidekiq" : "good_job";
  const how = server === "sidekiq" ? "Sidekiq runs its jobs in one process (its concurrency is threads, and a Sidekiq process uses no more than one CPU core)" : "`good_job start` runs its jobs in one process";
  report({
    at: commandAt,
    deployment,
    message:
      `One ${name} process on ${formatCpus(cpus.value)}: ${how}. ${gvl}, so its ${threads} job thread${threads === 1 ? "" : "s"} take turns on one CPU, leaving ${idle} idle. ` +
      `Run ${recommended} ${name} processes on these CPUs${server === "sidekiq" ? " (Sidekiq Enterprise's sidekiqswarm starts one per core)" : ""}, or ${recommended} replicas with 1 vCPU each.`,
    related: sizingRelated(deployment, cpus, ""),
  });
}

/** One server process to judge, with what a finding about it needs. */
interface ProcessCheck {
  process: ServerProcess;
  deployment: Deployment;
  cpus: NonNullable<Deployment["cpus"]>;
  shares: DeploymentShare[];
  report: (finding: Report) => void;
  text: (file: string) => string | undefined;
}

/** Puma, run directly or by `rails server` with a config/puma.rb. */
function isPuma(process: ServerProcess): boolean {
  const server = process.invocation.server;
  return server === "puma" || (server === "rails" && process.config !== undefined);
}

/** Puma's `-e` (rails' `-e`), else RAILS_ENV/RACK_ENV/APP_ENV, says development. */
function runsInDevelopment(deployment: Deployment, process: ServerProcess): boolean {
  const flag = optionValue(process.invocation, "environment")?.value?.value;
  if (flag !== undefined) return flag === "development";
  return ["RAILS_ENV", "RACK_ENV", "APP_ENV"].some((name) => deployment.env.get(name)?.value === "development");
}

const PARALLEL_RUBY = /\b(jruby|truffleruby)\b/i;

/**
 * JRuby and TruffleRuby run a process's threads in parallel (no GVL): one Puma process can use every
 * CPU. Detected from the image a Dockerfile starts FROM, or the app's .ruby-version or Gemfile `engine:`.
 */
function parallelRuby(deployment: Deployment, process: ServerProcess, text: (file: string) => string | undefined): boolean {
  for (const file of deployment.files) {
    if (!/(^|\/)[^/]*Dockerfile[^/]*$/i.test(file)) continue;
    const fromImages = [...(text(file) ?? "").matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim)].map((m) => m[1]);
    if (fromImages.some((image) => PARALLEL_RUBY.test(image))) return true;
  }
  const appRoot = process.config && /(^|\/)config\/[^/]+$/.test(process.config.path) ? process.config.path.replace(/(^|\/)?config\/[^/]+$/, "") : dirOf(process.commandAt.file);
  const inRoot = (name: string) => (appRoot ? `${appRoot}/${name}` : name);
  if (PARALLEL_RUBY.test(text(inRoot(".ruby-version")) ?? "")) return true;
  return /^\s*ruby\b.*\bengine:\s*["'](jruby|truffleruby)["']/m.test(text(inRoot("Gemfile")) ?? "");
}

function dirOf(path: string): string {
  return path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
}

/**
 * Puma in single mode (no `workers`, `-w` or WEB_CONCURRENCY) or with one worker: on MRI the GVL lets one
 * thread of a process run Ruby at a time, so however many threads it has, one process uses one CPU.
 * Puma's guide and Rails' puma.rb advise a worker per CPU core, not gunicorn's (2 x cores) + 1.
 */
function reportPuma({ process, deployment, cpus, shares, report, text }: ProcessCheck): void {
  const stated = process.workers.origin !== "default";
  // A `workers` call Headroom could not evaluate (a computed count): the mode is not known.
  if (!stated && process.config?.settings.has("workers")) return;
  // WEB_CONCURRENCY=auto: Puma counts the available processors itself (with concurrent-ruby).
  if (!stated && deployment.env.get("WEB_CONCURRENCY")?.value === "auto") return;
  const recommended = Math.floor(cpus.value);
  const { invocation } = process;
  const program = invocation.program;
  const threads = process.threads ? `its ${process.threads.value} threads` : "its threads";
  const how =
    !stated ? `no workers are set (${process.config ? `no \`workers\` in ${process.config.path}, ` : ""}${invocation.server === "puma" ? "no -w, " : ""}no WEB_CONCURRENCY), so Puma runs in single mode`
    : process.workers.value === 0 ? "the workers are set to 0, Puma's single mode"
    : "the workers are set to 1, one cluster worker";
  const where = invocation.server === "rails" ? `WEB_CONCURRENCY=${recommended}` : `-w ${recommended} or WEB_CONCURRENCY=${recommended}`;
  const note = poolNote(shares, deployment, recommended);
  report({
    at: stated ? (process.workers.at ?? process.commandAt) : { file: process.commandAt.file, start: program.start, end: program.end },
    deployment,
    message:
      `One puma process on ${formatCpus(cpus.value)}: ${how}. On MRI the Global VM Lock lets one thread of a process run Ruby code at a time, ` +
      `so ${threads} take turns on one CPU, leaving ${formatCpus(cpus.value - 1)} idle. Run ${recommended} workers, one per CPU as Puma and Rails advise ` +
      `(${stated ? `set it to ${recommended} here` : `\`workers ${recommended}\` in config/puma.rb, ${where}`}).${note}`,
    related: sizingRelated(deployment, cpus, note),
    fixes: invocation.server === "puma" || stated ? fixes(process, recommended, text) : [],
  });
}

/**
 * Unicorn with one worker (`worker_processes 1`, or no config file setting it: Unicorn's default is 1). Unicorn has no
 * threads: a worker serves one request at a time, so one worker is one request at a time on one CPU. Unicorn's
 * tuning guide asks for at least one worker per CPU core. It has no command-line option for the count.
 */
function reportUnicorn({ process, deployment, cpus, shares, report, text }: ProcessCheck): void {
  const stated = process.workers.origin !== "default";
  // A `worker_processes` call Headroom could not evaluate: the count is not known.
  if (!stated && process.config?.settings.has("worker_processes")) return;
  const recommended = Math.floor(cpus.value);
  const program = process.invocation.program;
  const how = stated
    ? "worker_processes is 1"
    : process.config
      ? `${process.config.path} does not set worker_processes, so Unicorn runs its default of 1`
      : "no config file (-c) sets worker_processes, so Unicorn runs its default of 1";
  const note = poolNote(shares, deployment, recommended);
  const written = stated && process.workers.at ? text(process.workers.at.file)?.slice(process.workers.at.start, process.workers.at.end) : undefined;
  report({
    at: stated ? (process.workers.at ?? process.commandAt) : { file: process.commandAt.file, start: program.start, end: program.end },
    deployment,
    message:
      `One unicorn worker process on ${formatCpus(cpus.value)}: ${how}. Unicorn has no threads, so that worker serves one request at a time on one CPU ` +
      `and every other request waits, leaving ${formatCpus(cpus.value - 1)} idle. Run ${recommended} workers, at least one per CPU core as Unicorn's tuning guide advises ` +
      `(${stated ? `set it to ${recommended} here` : `\`worker_processes ${recommended}\` in the config file \`unicorn -c\` names`}).${note}`,
    related: sizingRelated(deployment, cpus, note),
    fixes: written === "1" && process.workers.at ? [{ title: `Run ${recommended} workers`, safe: false, edits: [{ ...process.workers.at, newText: String(recommended) }] }] : [],
  });
}

/** The CPU limit, and the pool size when the pool note says the pools would not fit. */
function sizingRelated(deployment: Deployment, cpus: NonNullable<Deployment["cpus"]>, note: string): RelatedInfo[] {
  const pool = deployment.pool;
  return [
    ...cpuLimitRelated(cpus, (value) => `CPUs per instance set here: ${formatCpus(value)}`),
    ...(note && pool?.size.at && pool.size.origin === "stated" ? [{ at: pool.size.at, message: `${poolSizeText(pool)}: a pool in each worker` }] : []),
  ];
}

/** A deployment's share of one database's budget. */
interface DeploymentShare {
  budget: ConnectionBudget;
  share: PoolShare;
}

/** Each deployment's shares, in budget order: a finding looks up its own instead of scanning every database's clients. */
function sharesByDeployment(budgets: ConnectionBudget[]): Map<Deployment, DeploymentShare[]> {
  const byDeployment = new Map<Deployment, DeploymentShare[]>();
  for (const budget of budgets) {
    for (const share of budget.shares) {
      const own = byDeployment.get(share.deployment);
      if (own) own.push({ budget, share });
      else byDeployment.set(share.deployment, [{ budget, share }]);
    }
  }
  return byDeployment;
}

/** When the recommended workers' pools would not fit the database: each worker has its own. */
function poolNote(shares: DeploymentShare[], deployment: Deployment, workers: number): string {
  for (const { budget, share } of shares) {
    const { database, total, allowed } = budget;
    if (share.pool.processes.value !== 1) continue;
    const { pool } = share;
    const instances = deployment.instances.value;
    const grown = instances * workers * share.perProcess;
    if (total - share.total + grown <= allowed) continue;
    const perProcess = pool.overflow ? `${poolSizeText(pool)} + ${pool.overflowName ?? "max_overflow"} ${pool.overflow.value} = ${share.perProcess}` : poolSizeText(pool);
    const others = total - share.total;
    return (
      ` Each worker opens its own database pool (${perProcess}): ${instances > 1 ? `${instances} instances x ` : ""}${workers} workers x ${share.perProcess} = ${grown}` +
      `${others > 0 ? ` (${grown + others} with the other services)` : ""} possible connections, above the ${allowed} the database accepts` +
      `${database.maxConnections.origin === "assumed" ? ` (max_connections ${database.maxConnections.value}, PostgreSQL's default, assumed, minus ${database.reserved.value} reserved)` : ""}` +
      ": lower the pool as you add workers."
    );
  }
  return "";
}

function fixes(process: ServerProcess, workers: number, text: (file: string) => string | undefined): Fix[] {
  const file = process.commandAt.file;
  const source = text(file);
  const invocation = process.invocation;
  if (source === undefined || invocation.options.some((o) => o.name === "reload")) return [];
  const result: Fix[] = [];
  if (process.workers.origin !== "default" && process.workers.at && /^[01]$/.test(text(process.workers.at.file)?.slice(process.workers.at.start, process.workers.at.end) ?? "")) {
    return [{ title: `Run ${workers} workers`, safe: false, edits: [{ ...process.workers.at, newText: String(workers) }] }];
  }
  // uvicorn.run() takes workers only with the app as an import string (the model reads no positional otherwise).
  if (invocation.call) {
    const edit = invocation.positionals.length === 1 && process.workers.origin === "default" && !process.workersUnresolved ? addRunKeyword(invocation, "workers", String(workers), text) : undefined;
    return edit ? [{ title: `Add workers=${workers} to ${invocation.program.value}()`, safe: false, edits: [edit] }] : [];
  }
  if (!invocation.end) return [];
  // Words must be written in this file for an edit to land on them (not only expanded from a variable).
  const inFile = (w: { start: number; end: number }) => w.end <= source.length && w.start < w.end;
  if (!inFile(invocation.end) || !inFile(invocation.program)) return [];
  const append = appendArguments(invocation.end, ["--workers", String(workers)]);
  if (!append) return [];
  result.push({ title: `Add --workers ${workers}`, safe: false, edits: [{ file, start: invocation.end.end + append.after, end: invocation.end.end + append.after, newText: append.text }] });
  if ("quote" in invocation.end) return result;
  // `fastapi run app/main.py` names a file, not an import string gunicorn could load.
  if (invocation.server === "uvicorn" && !isFastapiRun(invocation) && invocation.positionals.length === 1 && invocation.options.every((o) => PORTABLE_UVICORN_OPTIONS.has(o.name) && o.value)) {
    const raw = (name: string) => {
      const option = invocation.options.filter((o) => o.name === name).pop();
      return option?.value ? source.slice(option.value.start, option.value.end) : undefined;
    };
    const start = invocation.runner.find((w) => w.value === "python" || w.value.startsWith("python"))?.start ?? invocation.program.start;
    const app = invocation.positionals[0];
    const logLevel = raw("log_level");
    const command = [
      "gunicorn",
      source.slice(app.start, app.end),
      "--worker-class uvicorn.workers.UvicornWorker",
      `--workers ${workers}`,
      `--bind ${raw("host") ?? "127.0.0.1"}:${raw("port") ?? "8000"}`,
      ...(logLevel ? [`--log-level ${logLevel}`] : []),
    ].join(" ");
    result.unshift({ title: `Run gunicorn with ${workers} uvicorn workers`, safe: false, edits: [{ file, start, end: invocation.end.end, newText: command }] });
  }
  return result;
}

/**
 * Text that appends arguments after a command's last word: plain words on a command line, or
 * new items after a quoted list item (`CMD ["gunicorn", "app:app"]`). An unquoted YAML block
 * item cannot take a sibling on the same line, so no edit is offered for it.
 */
function appendArguments(last: CommandWord | ListItemWord, args: string[]): { after: number; text: string } | undefined {
  if (!("quote" in last)) return { after: 0, text: ` ${args.join(" ")}` };
  if (!last.quote) return undefined;
  return { after: last.quote.length, text: args.map((a) => `, ${last.quote}${a}${last.quote}`).join("") };
}
