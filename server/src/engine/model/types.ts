import type { AppRunnerService } from "../parse/apprunner.ts";
import type { FlyConcurrency } from "../parse/fly-toml.ts";
import type { ComposeFile } from "../parse/compose.ts";
import type { DevServerInvocation } from "../parse/dev-servers.ts";
import type { ServerInvocation } from "../parse/servers.ts";
import type { CpuFormula, EnvCondition, SettingExpr } from "../parse/setting-expr.ts";
import type { ShellGuard, ShellWord } from "../parse/shell.ts";
import type { Fact, SourceRef } from "../types.ts";
import type { Pool } from "./pools.ts";
import type { ActionCable } from "./action-cable.ts";
import type { NginxProxy } from "./nginx.ts";
import type { PgBouncer } from "./pgbouncer.ts";
import type { SolidQueueTree } from "./solid-queue.ts";
import type { GoodJobThreads } from "./good-job.ts";

/** One web or job server process group as it runs in one instance of a deployment. */
export interface ServerProcess {
  invocation: ServerInvocation;
  /** The words of the command that starts it (after expansion). */
  words: ShellWord[];
  /** The whole command as written, for messages and fixes that rewrite it. */
  commandAt: SourceRef;
  /** The folder its relative paths resolve from (a `-c` file, a settings module): where the command runs, not where it is written. */
  workdir?: string;
  /** Worker processes per instance, with where the number comes from. */
  workers: Fact<number>;
  /**
   * Copies of this process group that run side by side in each instance, each with `workers` workers and
   * its own pools: supervisord's `numprocs`. Absent for one.
   */
  copies?: Fact<number>;
  /** Threads per worker process, where the server has a thread pool (puma: its maximum). */
  threads?: Fact<number>;
  /**
   * gunicorn's gevent or eventlet worker (`workerClass` as written): each process serves up to `connections` clients
   * at once (worker_connections, gunicorn's default 1000), each request in a greenlet of its own; or uWSGI's gevent loop
   * engine (`gevent = N`, `setting` "gevent"): N async cores per process, each serving a request in a greenlet.
   */
  greenlets?: { kind: "gevent" | "eventlet"; workerClass: Fact<string>; connections: Fact<number>; setting: "worker_connections" | "gevent" };
  /**
   * The count is written as a variable nothing in the workspace sets (`--workers $WEB_CONCURRENCY`,
   * given by the platform where it runs): `workers` then holds only the server's default, which may not apply.
   */
  workersUnresolved?: SourceRef;
  /** The workers count is computed from the machine's CPU count at start (cpu_count()). */
  workersFromCpuCount?: {
    at: SourceRef;
    /** What counts the CPUs, as written or described (`workers = multiprocessing.cpu_count() * 2 + 1`). */
    formula: string;
    /** The count as a function of the CPUs, when the model knows it (else the rule reads it from the settings file). */
    cpuFormula?: CpuFormula;
    /** The option that would set the count instead (`--concurrency`); the settings file's `workers` when absent. */
    option?: string;
  };
  reload?: SourceRef;
  /** The `if`/`case` branches of a start script the command runs in (parse/shell.ts), outermost first. */
  guards?: ShellGuard[];
  /**
   * gunicorn's options from the deployment's GUNICORN_CMD_ARGS, parsed as its command line is:
   * they override the config file and are overridden by the command line.
   */
  envArgs?: ServerInvocation;
  /**
   * Sidekiq 7 capsules a Rails initializer declares (config/initializers/sidekiq.rb, parse/sidekiq-initializer.ts):
   * each runs its own threads in this process. Those whose `concurrency` is an integer literal.
   */
  initializerCapsules?: Array<{ name: string; threads: Fact<number> }>;
  /**
   * Sidekiq Enterprise's `sidekiqswarm`: a parent process forking `processes` Sidekiq children, each with the concurrency
   * and its own pool (SOURCES.sidekiqSwarm). SIDEKIQ_COUNT, else one per core of the host, which the workspace does not
   * say: then `processes` is 1 and `perHostCpu` is set (a floor).
   */
  sidekiqSwarm?: { processes: Fact<number>; perHostCpu: boolean };
  /**
   * Solid Queue's supervisor and the processes it forks (model/solid-queue.ts): the process itself for `bin/jobs`,
   * or the one Puma forks for `plugin :solid_queue` (then `inPuma` is set and this process stays Puma).
   */
  solidQueue?: SolidQueueTree;
  /** Action Cable mounted in this Rails app's Puma processes: its worker pool's threads (model/action-cable.ts). */
  actionCable?: ActionCable;
  /** config/puma.rb's `plugin :solid_queue` under a condition on a variable this deployment's environment does not meet: not counted. */
  solidQueueNotLoaded?: { at: SourceRef; when: EnvCondition };
  /**
   * GoodJob's job threads (model/good-job.ts): those of `good_job start`, or those GOOD_JOB_EXECUTION_MODE=async runs
   * inside each process of a web server (then `asyncMode` is set), from the same Active Record pool as its requests.
   */
  goodJob?: GoodJobThreads;
  /**
   * The image's own command, which the workspace does not hold (tiangolo/uvicorn-gunicorn's /start.sh, model/tiangolo.ts):
   * `name` as FROM writes it, `at` there; `builtInConfig` when the image's own gunicorn_conf.py is the one read, described in
   * `config` with every setting located at `at`.
   */
  image?: { name: string; at: SourceRef; builtInConfig: boolean };
  /** The server's settings file (gunicorn.conf.py or `-c`, config/puma.rb or `-C`), read as text. */
  config?: { path: string; settings: Map<string, SettingExpr> };
  /**
   * Variables the start script exported before running it (`export DB_POOL_SIZE=20`), or supervisord's
   * `environment=` for the program (model/supervisor.ts): in its environment
   * over the deployment's (`Deployment.env`), so the pool read from them is this process's.
   */
  exported?: Map<string, Fact<string>>;
}

/** A framework's development server (Django's runserver, `flask run`) run as a deployment's command. */
export interface DevServer {
  invocation: DevServerInvocation;
  /** The whole command as written. */
  commandAt: SourceRef;
  /** The `if`/`case` branches of a start script the command runs in, outermost first. */
  guards?: ShellGuard[];
  /** The command that runs the script holding it (a compose `command:`, a Procfile line, a CMD), when it is elsewhere. */
  startedBy?: SourceRef;
}

/** How a deployment came together: each link is explained, for hovers and the report. */
export interface Link {
  from: string;
  to: string;
  why: string;
}

export interface Deployment {
  /** Stable id, e.g. `compose:docker-compose.yml#web` or `apprunner:service.json`. */
  id: string;
  name: string;
  /** Every file that feeds this deployment: a change to any re-checks it. */
  files: Set<string>;
  links: Link[];
  /** Instances that can run at once; origin "configured" when it is headroom.yml's autoscaling max (facts.max_instances). */
  instances: Fact<number>;
  /**
   * The platform adds instances under load, up to a maximum the workspace may not state: App Runner
   * always does (the service's AutoScalingConfigurationArn, or App Runner's default configuration).
   * The value names the configuration.
   */
  autoscaling?: Fact<string>;
  /**
   * Why the number of instances is not in the workspace, where the platform sets it elsewhere (fly.toml:
   * `fly scale count`): `instances` then counts one, and findings that multiply by it say so.
   */
  instancesUnknown?: string;
  /** `instances` is the autoscaling maximum a platform's descriptor states (render.yaml `scaling.maxInstances`). */
  instancesAreMax?: true;
  /** Fly Proxy's concurrency limits of each service that routes to this process group (fly.toml). */
  proxyConcurrency?: FlyConcurrency[];
  cpus?: CpuLimit;
  memoryMiB?: Fact<number>;
  /** What the orchestrator reserves for one instance (compose `deploy.resources.reservations`); the limits above stay the capacity. */
  reservations?: { cpus?: Fact<number>; memoryMiB?: Fact<number> };
  env: Map<string, Fact<string>>;
  /** The platform that sets PORT in the environment when it starts an instance (Heroku), to a value the workspace does not hold. */
  portSetBy?: string;
  /**
   * The image its containers run, as written: the base image its Dockerfile builds FROM (last stage),
   * else the compose service's `image:`. Undefined where no image is named (Procfile, App Runner).
   */
  image?: string;
  /**
   * The file of a program that runs a reverse proxy beside its servers in the same container (a supervisord program, an
   * s6-overlay service: nginx, caddy, ...): the proxy reaches a server listening on the container's loopback.
   */
  proxyBeside?: string;
  /**
   * The image a compose service builds (or runs by `image:` from another service's build): its Dockerfile, the build
   * context folder, the stage built (`build.target`), and the container paths the service's own `volumes:` mount over
   * the image's files (bind mounts and named volumes, every layer's); `bindTargets` the bind mounts' among them, which
   * hide the image's files (a named volume starts as a copy of them).
   */
  imageBuild?: { dockerfile: string; context: string; target?: string; mountTargets: string[]; bindTargets: string[] };
  /**
   * A compose bind mount that puts the build context over the folder the image keeps the app's code in (its WORKDIR, or
   * where `COPY .` puts the context): the container runs the host's working copy, not the image's code, which is how a
   * development setup edits code live (`volumes: [".:/code"]`).
   */
  sourceMount?: SourceRef;
  /** The soft open-file limit its processes start with, when stated (compose `ulimits: nofile`). */
  nofileSoftLimit?: Fact<number>;
  /** Resident memory of one worker process, in MiB: only from configuration (facts.worker_memory_mib). */
  workerMemoryMiB?: Fact<number>;
  /** Users expected at the same time: only from configuration (facts.concurrent_users). */
  concurrentUsers?: Fact<number>;
  processes: ServerProcess[];
  /** Development servers it runs instead of (or besides) a production server. */
  devServers?: DevServer[];
  /**
   * A command that runs the app's own Python or Ruby code without a server Headroom models (`python worker.py`, `arq …`):
   * its program's name and where it is written. Its pool counts as one process's, said as assumed.
   */
  appCommand?: { program: string; at: SourceRef };
  /**
   * A one-off database task it runs (`rake db:migrate`, `bin/rails db:prepare`, `python manage.py migrate`,
   * parse/servers.ts isOneOffDatabaseTask): where. Without a server or program of the app beside it, no pool is counted:
   * the task holds its connections only while it runs.
   */
  oneOffTask?: SourceRef;
  /**
   * A pool variable its environment sets (`SQLALCHEMY_POOL_SIZE`, often from a shared anchor or env_file) that is not
   * counted, because nothing in the workspace says the deployment runs the app's code (an image's own command, a Go
   * binary): the variable's name, for the note db/connections-exceed-max adds.
   */
  poolNotCounted?: string;
  /**
   * The workspace's dependency files its image's Dockerfile installs from (`RUN pip install -r requirements/prod.txt`,
   * `poetry install`): where the versions of its Python packages are read first (model/build.ts flaskSqlalchemyPinned).
   * Each as the paths it may be, first first: they are read only when a version matters.
   */
  installedFrom?: Array<{ candidates: string[]; kind: "requirements" | "lock" }>;
  /** The command that runs Celery's beat scheduler (`celery … beat`), which sends tasks and serves nothing: its `beat` word. */
  celeryBeat?: SourceRef;
  /** The database connection pool each of its processes opens (model/pools.ts), when known. */
  pool?: Pool;
  /**
   * Pools of processes its server forks beside its own, which count against the same database: the Solid Queue
   * supervisor Puma's `plugin :solid_queue` starts in each instance.
   */
  sidePools?: Pool[];
  /**
   * Commands a compose override file replaced (compose merges `command:` by replacing it): `at`
   * is the replaced command (base compose file, or the Dockerfile CMD), `by` the override's
   * `command:`, `processes` what the replaced command would have run.
   */
  replacedCommands?: Array<{ at: SourceRef; by: SourceRef; processes: ServerProcess[] }>;
  /**
   * The Dockerfile's CMD (or ENTRYPOINT) that the compose service's own `command:` (or
   * `entrypoint:`) replaces, when no override file replaces it in turn: `at` is the Dockerfile
   * instruction, `by` the compose value, `processes` what the image runs without the compose command.
   */
  replacedImageCommand?: { at: SourceRef; instruction: "CMD" | "ENTRYPOINT"; by: SourceRef; processes: ServerProcess[] };
  /**
   * An App Runner deployment's file as read (port, Cpu and Memory as written), and the repository's
   * apprunner.yaml it runs with when its code configuration is `REPOSITORY`.
   */
  appRunner?: { service: AppRunnerService; runConfig?: AppRunnerService };
  /**
   * The script or Makefile recipe that runs this compose project with an explicit `-f` list (`files`, in
   * order): `source` names it (`deploy.sh`, `Makefile target deploy`), `at` is the command.
   */
  runBy?: { at: SourceRef; source: string; target?: string; files: string[] };
  /** A compose service's `profiles:` (of every layer): it starts only when one of them is active. */
  composeProfiles?: string[];
  /** A compose service's `network_mode:` (the last layer's): `host`, `service:NAME`, `container:NAME`, `none`, `bridge`. */
  composeNetworkMode?: string;
  /** A compose service's required `env_file:` entries that are not in the workspace (kept on the server): what they set is unknown. */
  envFilesMissing?: SourceRef[];
}

/**
 * The CPUs one instance can use. A compose service may bound them twice: a time quota (`cpus:`,
 * `deploy.resources.limits.cpus`) and a `cpuset:` list of CPUs it may run on; the smaller bound is the value.
 */
export interface CpuLimit extends Fact<number> {
  /** Set when the bound is a `cpuset:` list (as written): the CPUs nproc and Ruby's Etc.nprocessors count, unlike a quota. */
  cpuset?: string;
  /** The looser bound when both are stated, so that findings name both. */
  looser?: Fact<number> & { cpuset?: string };
}

export interface DeploymentModel {
  deployments: Deployment[];
  /** Databases the deployments connect to, with their connection limits (model/databases.ts). */
  databases: Database[];
  /** PgBouncers between deployments and a database (model/pgbouncer.ts). */
  poolers?: PgBouncer[];
  /** nginx reverse proxies: one per nginx.conf in the workspace (model/nginx.ts). */
  proxies: NginxProxy[];
  /** The compose files the model read, by path, so that rules look services up without parsing again. */
  composeFiles?: Map<string, ComposeFile>;
  /** The variables each Dockerfile (ENV) and env file the model read sets, by path. */
  envFiles?: Map<string, Map<string, Fact<string>>>;
}

/** A database server and how many connections it accepts. */
export interface Database {
  name: string;
  maxConnections: Fact<number>;
  /** Slots ordinary roles cannot use: superuser_reserved_connections (+ reserved_connections). */
  reserved: Fact<number>;
  /** Where the limit comes from, when a platform's plan sets it (Render: "Render's limit for a basic-1gb database"). */
  limitNote?: string;
  /**
   * max_connections is written as a value Headroom cannot read (`-c max_connections=${PG_MAX}` with PG_MAX set nowhere in
   * the workspace): where. `maxConnections` then holds PostgreSQL's default, which may not apply, so no budget is made.
   */
  limitUnknown?: SourceRef;
  files: Set<string>;
  /**
   * Ids of the deployments that open connections to it: app servers, job workers, scripts of the
   * app. Proxies, caches, brokers and other databases (model/databases.ts isDatabaseClient) are not.
   */
  clients: string[];
}
