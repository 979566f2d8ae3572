// Where every number a rule uses comes from. Each entry names a primary source (official docs,
// the project's own repository, or a maintainer's own words), its address, and a short quote or
// close paraphrase that contains the number. docs/sources.md lists the same keys with a
// confirmed yes/no column and notes.
//
// Conventions for `says`:
// - Text in double quotes is verbatim from the source (whitespace normalised).
// - Text outside quotes is a close paraphrase.
// - A `says` that starts with "UNCONFIRMED" or "SECONDARY" was not confirmed at a primary
//   source; a rule must not present it as a documented fact (make it a configurable assumption).
//
// Versions matter: several defaults changed recently (nginx 1.29.7, Puma 7, Rails 7.2,
// Sidekiq 7, uvicorn 0.30). The notes say which version a fact belongs to.

export interface Source {
  title: string;
  url: string;
  /** short verbatim quote or close paraphrase of the fact, with the number */
  says: string;
}

export const SOURCES = {
  // ---------------------------------------------------------------- gunicorn
  gunicornWorkerFormula: {
    title: "Gunicorn: Design - How Many Workers?",
    url: "https://docs.gunicorn.org/en/stable/design.html#how-many-workers",
    says: "\"Generally we recommend (2 x $num_cores) + 1 as the number of workers to start off with.\"",
  },
  gunicornWorkerRange: {
    title: "Gunicorn: Design - How Many Workers?",
    url: "https://docs.gunicorn.org/en/stable/design.html#how-many-workers",
    says: "\"DO NOT scale the number of workers to the number of clients you expect to have. Gunicorn should only need 4-12 worker processes to handle hundreds or thousands of requests per second.\"",
  },
  gunicornTooManyWorkers: {
    title: "Gunicorn: Design - How Many Workers?",
    url: "https://docs.gunicorn.org/en/stable/design.html#how-many-workers",
    says: "\"Always remember, there is such a thing as too many workers. After a point your worker processes will start thrashing system resources decreasing the throughput of the entire system.\"",
  },
  gunicornWorkersDefault: {
    title: "Gunicorn settings: workers",
    url: "https://docs.gunicorn.org/en/stable/settings.html#workers",
    says: "-w/--workers default 1. \"By default, the value of the WEB_CONCURRENCY environment variable. If it is not defined, the default is 1.\" Also: \"A positive integer generally in the 2-4 x $(NUM_CORES) range.\"",
  },
  gunicornWorkerClassDefault: {
    title: "Gunicorn settings: worker_class",
    url: "https://docs.gunicorn.org/en/stable/settings.html#worker-class",
    says: "-k/--worker-class default \"sync\"; the sync worker \"handles a single request at a time\" (design docs).",
  },
  gunicornThreads: {
    title: "Gunicorn settings: threads",
    url: "https://docs.gunicorn.org/en/stable/settings.html#threads",
    says: "--threads default 1. \"This setting only affects the Gthread worker type.\" \"If you try to use the sync worker type and set the threads setting to more than 1, the gthread worker type will be used instead.\"",
  },
  gunicornWorkerConnections: {
    title: "Gunicorn settings: worker_connections",
    url: "https://docs.gunicorn.org/en/stable/settings.html#worker-connections",
    says: "--worker-connections default 1000. \"The maximum number of simultaneous clients. This setting only affects the Eventlet and Gevent worker types.\"",
  },
  gunicornDjangoGreenletConnections: {
    title: "gunicorn issue 996: Persistent database connections with async workers on Django >= 1.6 fails",
    url: "https://github.com/benoitc/gunicorn/issues/996",
    says: "Switching Django from sync to eventlet workers, PostgreSQL \"complaining that maximum connection limit was reached\": \"new connections to the database was established for each HTTP request. Even though CONN_MAX_AGE was set to 60 database connections were not reused.\" benoitc (maintainer): \"New coming requests are handled in a new greenlet.\" Django keeps a connection per thread, and the gevent and eventlet workers patch threads into greenlets.",
  },
  gunicornTimeout: {
    title: "Gunicorn settings: timeout",
    url: "https://docs.gunicorn.org/en/stable/settings.html#timeout",
    says: "-t/--timeout default 30. \"Workers silent for more than this many seconds are killed and restarted. Generally set to thirty seconds.\"",
  },
  gunicornTimeoutNonSync: {
    title: "Gunicorn settings: timeout (what it bounds)",
    url: "https://docs.gunicorn.org/en/stable/settings.html#timeout",
    says: "\"Only set this noticeably higher if you're sure of the repercussions for sync workers. For the non sync workers it just means that the worker process is still communicating and is not tied to the length of time required to handle a single request.\" \"Setting it to 0 has the effect of infinite timeouts by disabling timeouts for all workers entirely.\"",
  },
  gunicornTimeoutZeroArbiter: {
    title: "gunicorn source: arbiter.py, murder_workers",
    url: "https://github.com/benoitc/gunicorn/blob/master/gunicorn/arbiter.py",
    says: "The master's check for silent workers returns at once when the timeout is 0 (\"if not self.timeout: return\"); otherwise a worker whose last check-in is older than the timeout is logged as \"WORKER TIMEOUT\" and killed (SIGABRT, then SIGKILL), and a new one is spawned in its place.",
  },
  gunicornGthreadHeartbeat: {
    title: "gunicorn source: workers/gthread.py, ThreadWorker.run",
    url: "https://github.com/benoitc/gunicorn/blob/master/gunicorn/workers/gthread.py",
    says: "The gthread worker's main loop calls self.notify() (\"notify the arbiter we are alive\") on every pass while requests run in its thread pool: a request thread that hangs does not stop the check-ins. The sync worker checks in between requests (workers/sync.py).",
  },
  gunicornGracefulTimeout: {
    title: "Gunicorn settings: graceful_timeout",
    url: "https://docs.gunicorn.org/en/stable/settings.html#graceful-timeout",
    says: "--graceful-timeout default 30. \"After receiving a restart signal, workers have this much time to finish serving requests.\"",
  },
  gunicornKeepalive: {
    title: "Gunicorn settings: keepalive",
    url: "https://docs.gunicorn.org/en/stable/settings.html#keepalive",
    says: "--keep-alive default 2. \"Generally set in the 1-5 seconds range for servers with direct connection to the client ... When Gunicorn is deployed behind a load balancer, it often makes sense to set this to a higher value.\"",
  },
  gunicornSyncNoKeepalive: {
    title: "Gunicorn settings: keepalive (note)",
    url: "https://docs.gunicorn.org/en/stable/settings.html#keepalive",
    says: "\"sync worker does not support persistent connections and will ignore this option.\"",
  },
  gunicornMaxRequests: {
    title: "Gunicorn settings: max_requests",
    url: "https://docs.gunicorn.org/en/stable/settings.html#max-requests",
    says: "--max-requests default 0. \"Any value greater than zero will limit the number of requests a worker will process before automatically restarting ... If this is set to zero (the default) then the automatic worker restarts are disabled.\"",
  },
  gunicornMaxRequestsJitter: {
    title: "Gunicorn settings: max_requests_jitter",
    url: "https://docs.gunicorn.org/en/stable/settings.html#max-requests-jitter",
    says: "--max-requests-jitter default 0. \"The jitter causes the restart per worker to be randomized by randint(0, max_requests_jitter). This is intended to stagger worker restarts to avoid all workers restarting at the same time.\"",
  },
  gunicornReload: {
    title: "Gunicorn settings: reload",
    url: "https://docs.gunicorn.org/en/stable/settings.html#reload",
    says: "--reload default False. \"This setting is intended for development.\" \"The reloader is incompatible with application preloading.\"",
  },
  gunicornBind: {
    title: "Gunicorn settings: bind",
    url: "https://docs.gunicorn.org/en/stable/settings.html#bind",
    says: "-b/--bind default ['127.0.0.1:8000']. \"If the PORT environment variable is defined, the default is ['0.0.0.0:$PORT']. If it is not defined, the default is ['127.0.0.1:8000'].\" (checked in Debian's gunicorn 20.1.0 setting text) An empty host (`:8000`) binds all interfaces.",
  },
  gunicornSpew: {
    title: "Gunicorn settings: spew",
    url: "https://docs.gunicorn.org/en/stable/settings.html#spew",
    says: "--spew default False. \"Install a trace function that spews every line executed by the server. This is the nuclear option.\"",
  },
  gunicornBacklog: {
    title: "Gunicorn settings: backlog",
    url: "https://docs.gunicorn.org/en/stable/settings.html#backlog",
    says: "--backlog default 2048. \"Must be a positive integer. Generally set in the 64-2048 range.\"",
  },
  gunicornCmdArgs: {
    title: "Gunicorn settings (introduction)",
    url: "https://docs.gunicorn.org/en/stable/settings.html",
    says: "\"Settings can be specified by using environment variable GUNICORN_CMD_ARGS. All available command line arguments can be used.\" (added in 19.7)",
  },
  gunicornConfigPrecedence: {
    title: "Gunicorn: Configuration Overview",
    url: "https://docs.gunicorn.org/en/stable/configure.html",
    says: "Order of least to most authoritative: \"1. Environment Variables 2. Framework Settings 3. Configuration File 4. GUNICORN_CMD_ARGS 5. Command Line\"; \"When a configuration file is specified in the command line arguments and in the GUNICORN_CMD_ARGS environment variable, only the configuration file specified on the command line is used.\"",
  },
  gunicornConfigIsPython: {
    title: "Gunicorn: Configuration Overview - Configuration File",
    url: "https://docs.gunicorn.org/en/stable/configure.html#configuration-file",
    says: "\"The configuration file should be a valid Python source file ... Any Python is valid. Just consider that this will be run every time you start Gunicorn (including when you signal Gunicorn to reload).\" Reading it statically is therefore a best-effort choice.",
  },
  gunicornBufferingProxy: {
    title: "Gunicorn: Design - Choosing a Worker Type",
    url: "https://docs.gunicorn.org/en/stable/design.html#choosing-a-worker-type",
    says: "\"This resource bound assumption is why we require a buffering proxy in front of a default configuration Gunicorn.\"",
  },

  // ---------------------------------------------------------------- uvicorn
  uvicornWorkersDefault: {
    title: "Uvicorn: Settings - Production",
    url: "https://www.uvicorn.org/settings/#production",
    says: "\"--workers <int> - Use multiple worker processes. Defaults to the $WEB_CONCURRENCY environment variable if available, or 1.\"",
  },
  uvicornReloadWorkersExclusive: {
    title: "Uvicorn: Deployment",
    url: "https://www.uvicorn.org/deployment/",
    says: "\"The --reload and --workers arguments are mutually exclusive.\" (the --help text says of --workers: \"Not valid with --reload.\")",
  },
  uvicornReloadIsDev: {
    title: "Uvicorn: Deployment",
    url: "https://www.uvicorn.org/deployment/",
    says: "\"Run uvicorn --reload from the command line for local development.\" Settings lists --reload under \"Development\".",
  },
  uvicornTimeoutKeepAlive: {
    title: "Uvicorn: Settings - Timeouts",
    url: "https://www.uvicorn.org/settings/#timeouts",
    says: "\"--timeout-keep-alive <int> - Close Keep-Alive connections if no new data is received within this timeout. Default: 5.\"",
  },
  uvicornWorkerKeepalive: {
    title: "uvicorn (and uvicorn-worker): UvicornWorker source, workers.py",
    url: "https://github.com/encode/uvicorn/blob/master/uvicorn/workers.py",
    says: "The gunicorn worker builds uvicorn's Config with \"timeout_keep_alive\": self.cfg.keepalive and \"timeout_notify\": self.timeout: under gunicorn, uvicorn's keep-alive is gunicorn's --keep-alive (default 2), not uvicorn's 5.",
  },
  uvicornHostDefault: {
    title: "Uvicorn: Settings - Socket Binding",
    url: "https://www.uvicorn.org/settings/#socket-binding",
    says: "\"--host <str> - Bind socket to this host. Use --host 0.0.0.0 to make the application available on your local network ... Default: '127.0.0.1'.\" --port default 8000.",
  },
  uvicornEnvSettings: {
    title: "Uvicorn: Settings - Configuration Methods",
    url: "https://www.uvicorn.org/settings/#configuration-methods",
    says: "\"Environment Variables: Use environment variables with the prefix UVICORN_.\" (export UVICORN_HOST=\"0.0.0.0\"). \"CLI options and the arguments for uvicorn.run() take precedence over environment variables.\"",
  },
  uvicornLimitConcurrency: {
    title: "Uvicorn: Settings - Resource Limits",
    url: "https://www.uvicorn.org/settings/#resource-limits",
    says: "\"--limit-concurrency <int> - Maximum number of concurrent connections or tasks to allow, before issuing HTTP 503 responses.\" (no default). --backlog default 2048.",
  },
  uvicornLimitConcurrencyGunicorn: {
    title: "Uvicorn: Deployment - Gunicorn",
    url: "https://www.uvicorn.org/deployment/#gunicorn",
    says: "\"Gunicorn provides a different set of configuration options to Uvicorn, so some options such as --limit-concurrency are not yet supported when running with Gunicorn.\"",
  },
  uvicornWorkersModuleDeprecated: {
    title: "Uvicorn release notes 0.30.0 (May 28, 2024)",
    url: "https://www.uvicorn.org/release-notes/#0300-2024-05-28",
    says: "\"Deprecate the uvicorn.workers module (#2302)\". Deployment docs: \"The uvicorn.workers module is deprecated and will be removed in a future release. You should use the uvicorn-worker package instead.\"",
  },
  uvicornBuiltinProcessManager: {
    title: "Uvicorn: Deployment - Using a process manager (Built-in)",
    url: "https://www.uvicorn.org/deployment/#built-in",
    says: "\"Uvicorn includes a --workers option that allows you to run multiple worker processes.\" \"Unlike gunicorn, uvicorn does not use pre-fork, but uses spawn\"; the manager restarts child processes that die. (New multiprocess manager since 0.30.0.)",
  },

  // ---------------------------------------------------------------- hypercorn / daphne
  hypercornWorkersDefault: {
    title: "Hypercorn: Configuring",
    url: "https://hypercorn.readthedocs.io/en/latest/how_to_guides/configuring.html",
    says: "workers (-w, --workers): \"The number of workers to spawn and use.\" Default 1.",
  },
  hypercornKeepAlive: {
    title: "Hypercorn: Configuring",
    url: "https://hypercorn.readthedocs.io/en/latest/how_to_guides/configuring.html",
    says: "keep_alive_timeout (--keep-alive): \"Seconds to keep inactive connections alive before closing.\" Default 5s. (backlog default 100; graceful_timeout default 3s.)",
  },
  asgiServersLocalhostDefault: {
    title: "Django docs: How to use Django with Hypercorn / Daphne / Uvicorn",
    url: "https://docs.djangoproject.com/en/stable/howto/deployment/asgi/hypercorn/",
    says: "`hypercorn myproject.asgi:application` \"will start one process listening on 127.0.0.1:8000\"; the Daphne and Uvicorn pages of the same guide say the same of `daphne` and `uvicorn`. (hypercorn --help: -b/--bind \"The TCP host/address to bind to\".)",
  },
  hypercornDebug: {
    title: "Hypercorn command line: --debug",
    url: "https://hypercorn.readthedocs.io/en/latest/how_to_guides/configuring.html",
    says: "--debug: \"Enable debug mode, i.e. extra logging and checks\" (hypercorn --help, argparse help text in hypercorn/__main__.py).",
  },
  granianDefaults: {
    title: "Granian README: Options (granian --help)",
    url: "https://github.com/emmett-framework/granian#options",
    says: "\"--host TEXT Host address to bind to [env var: GRANIAN_HOST; default: (127.0.0.1)]\", \"--port INTEGER Port to bind to. [env var: GRANIAN_PORT; default: 8000]\".",
  },
  daphneSingleProcess: {
    title: "Django Channels: Deploying",
    url: "https://channels.readthedocs.io/en/latest/deploying.html",
    says: "Daphne has no workers option: \"You should run Daphne inside either a process supervisor ... or a container orchestration system ... to allow you to scale the number of processes.\" Maintainer (issue #960): \"Scaling beyond a single daphne process should be done the same way you scale beyond a single process/machine for any other Python webserver\".",
  },

  // ---------------------------------------------------------------- FastAPI
  fastapiOneProcessPerContainer: {
    title: "FastAPI: FastAPI in Containers - Docker (One Process per Container)",
    url: "https://fastapi.tiangolo.com/deployment/docker/#one-process-per-container",
    says: "\"you probably would want to have a single (Uvicorn) process per container, as you would already be handling replication at the cluster level.\" \"you would not want to have multiple workers in the container, for example with the --workers command line option.\"",
  },
  fastapiComposeMultipleWorkers: {
    title: "FastAPI: FastAPI in Containers - Docker (Docker Compose)",
    url: "https://fastapi.tiangolo.com/deployment/docker/#docker-compose",
    says: "With Docker Compose on a single server \"you could want to have a single container with a process manager starting several worker processes inside.\"",
  },
  fastapiServerWorkers: {
    title: "FastAPI: Server Workers - Uvicorn with Workers",
    url: "https://fastapi.tiangolo.com/deployment/server-workers/",
    says: "\"when running on Kubernetes you will probably not want to use workers and instead run a single Uvicorn process per container\"; otherwise use --workers (e.g. fastapi run --workers 4).",
  },
  fastapiCli: {
    title: "FastAPI: FastAPI CLI",
    url: "https://fastapi.tiangolo.com/fastapi-cli/",
    says: "`fastapi dev` runs in development mode: auto-reload on, listening on 127.0.0.1; `fastapi run` runs in production mode: auto-reload off, listening on 0.0.0.0. `fastapi dev` prints \"Running in development mode, for production use: fastapi run\".",
  },
  fastapiCliOptions: {
    title: "fastapi-cli: src/fastapi_cli/cli.py (the run and dev commands)",
    url: "https://github.com/fastapi/fastapi-cli/blob/main/src/fastapi_cli/cli.py",
    says: "`run`: host \"0.0.0.0\", port 8000, reload False, workers None, all passed to uvicorn.run() (whose Config takes WEB_CONCURRENCY when workers is None, else 1); typer options, no environment variables. `dev`: host \"127.0.0.1\", reload True, no --workers.",
  },
  fastapiMemoryPerProcess: {
    title: "FastAPI: FastAPI in Containers - Docker (Memory)",
    url: "https://fastapi.tiangolo.com/deployment/docker/#memory",
    says: "\"If you run multiple processes per container you will have to make sure that the number of processes started doesn't consume more memory than what is available.\"",
  },

  flaskDebugger: {
    title: "Flask: Debugging Application Errors - In Production",
    url: "https://flask.palletsprojects.com/en/stable/debugging/",
    says: "\"Do not run the development server, or enable the built-in debugger, in a production environment. The debugger allows executing arbitrary Python code from the browser.\" Flask's get_debug_flag(): FLASK_DEBUG turns debug on when set and not one of \"0\", \"false\", \"no\" (src/flask/helpers.py).",
  },
  djangoRunserver: {
    title: "Django: django-admin and manage.py - runserver",
    url: "https://docs.djangoproject.com/en/stable/ref/django-admin/#runserver",
    says: "\"Starts a lightweight development web server on the local machine.\" \"DO NOT USE THIS SERVER IN A PRODUCTION SETTING. It has not gone through security audits or performance tests.\" Default address 127.0.0.1, port 8000.",
  },
  flaskDevelopmentServer: {
    title: "Flask: Development Server",
    url: "https://flask.palletsprojects.com/en/stable/server/",
    says: "\"Do not use the development server when deploying to production. It is intended for use only during local development. It is not designed to be particularly efficient, stable, or secure.\" `flask run` serves on http://localhost:5000/ by default.",
  },
  gunicornDjango: {
    title: "Django: How to use Django with Gunicorn",
    url: "https://docs.djangoproject.com/en/stable/howto/deployment/wsgi/gunicorn/",
    says: "\"The simplest invocation of gunicorn is to pass the location of a module containing a WSGI application object named application, which for a typical Django project would look like: gunicorn myproject.wsgi\" \"This will start one process running one thread listening on 127.0.0.1:8000.\"",
  },
  djangoDebug: {
    title: "Django settings: DEBUG",
    url: "https://docs.djangoproject.com/en/stable/ref/settings/#debug",
    says: "\"Never deploy a site into production with DEBUG turned on.\" \"when running with DEBUG turned on, Django will remember every SQL query it executes. This is useful when you're debugging, but it'll rapidly consume memory on a production server.\" With DEBUG False, ALLOWED_HOSTS must be set.",
  },
  asyncioBlockingCode: {
    title: "Python docs: Developing with asyncio - Running Blocking Code",
    url: "https://docs.python.org/3/library/asyncio-dev.html#running-blocking-code",
    says: "\"Blocking (CPU-bound) code should not be called directly. For example, if a function performs a CPU-intensive calculation for 1 second, all concurrent asyncio Tasks and IO operations would be delayed by 1 second.\"",
  },
  psutilCpuPercentBlocking: {
    title: "psutil docs: cpu_percent()",
    url: "https://psutil.readthedocs.io/en/latest/#psutil.cpu_percent",
    says: "\"When interval is > 0.0 compares system CPU times elapsed before and after the interval (blocking).\" Process.cpu_percent(interval) likewise blocks for the interval.",
  },
  prometheusScrapeInterval: {
    title: "Prometheus: Configuration - global scrape_interval",
    url: "https://prometheus.io/docs/prometheus/latest/configuration/configuration/",
    says: "scrape_interval: \"How frequently to scrape targets by default.\" default = 1m (the shipped prometheus.yml: \"Default is every 1 minute.\").",
  },

  // ---------------------------------------------------------------- Puma / Rails / Heroku
  pumaThreadsDefault: {
    title: "Puma README: Thread Pool",
    url: "https://github.com/puma/puma/blob/main/README.md#thread-pool",
    says: "\"The current default is 0:16 and on MRI is 0:5.\" \"the -t thread flag setting is per worker, so -w 2 -t 16:16 will spawn 32 threads in total\".",
  },
  pumaWorkersDefault: {
    title: "Puma DSL: workers",
    url: "https://puma.io/puma/Puma/DSL.html#workers-instance_method",
    says: "\"The default is the value of the environment variable WEB_CONCURRENCY if set, otherwise 0.\" (0 = single mode; WEB_CONCURRENCY=auto or `workers :auto` uses available processors when concurrent-ruby is present).",
  },
  pumaGvlCluster: {
    title: "Puma README: Built For Speed & Parallelism, Cluster mode",
    url: "https://github.com/puma/puma/blob/main/README.md#cluster-mode",
    says: "\"On MRI, there is a Global VM Lock (GVL) that ensures only one thread can run Ruby code at a time.\" \"Truly parallel Ruby implementations (TruffleRuby, JRuby) don't have this limitation.\" Cluster mode \"forks workers from a master process\"; set their number with `-w` (`--workers`), the `WEB_CONCURRENCY` environment variable, or `workers` in config/puma.rb.",
  },
  railsPumaTemplate8: {
    title: "Rails 8.0 app generator: config/puma.rb template",
    url: "https://github.com/rails/rails/blob/8-0-stable/railties/lib/rails/generators/rails/app/templates/config/puma.rb.tt",
    says: "No `workers` call: \"You can control the number of workers using ENV[\"WEB_CONCURRENCY\"]. You should only set this value when you want to run 2 or more workers. The default is already 1.\" threads_count = ENV.fetch(\"RAILS_MAX_THREADS\", 3).",
  },
  pumaSingleWorkerOverhead: {
    title: "Puma DSL: silence_single_worker_warning",
    url: "https://puma.io/puma/Puma/DSL.html#silence_single_worker_warning-instance_method",
    says: "\"Moving from workers = 1 to workers = 0 will save 10-30% of memory use.\"",
  },
  pumaDeploymentSizing: {
    title: "Puma: Deployment engineering",
    url: "https://github.com/puma/puma/blob/main/docs/deployment.md",
    says: "\"80% of Puma apps will end up deploying 'pods' of 4 workers, 5 threads each, 4 vCPU and 8GB of RAM.\" \"CPU-core-to-worker ratios should be around 1\". \"Low worker counts (<4) have exceptionally poor throughput.\"",
  },
  pumaMemoryPerWorker: {
    title: "Puma: Deployment engineering - Container/VPS sizing",
    url: "https://github.com/puma/puma/blob/main/docs/deployment.md#containervps-sizing",
    says: "\"Most Puma processes will use about ~512MB-1GB per worker, and about 1GB for the master process.\"",
  },
  puma7Defaults: {
    title: "Puma 7.0 upgrade notes",
    url: "https://github.com/puma/puma/blob/main/docs/7.0-Upgrade.md",
    says: "\"The default max_keep_alive is now 999.\" \"The default persistent_timeout is now 65 seconds.\" \"preload_app! is now the default in cluster mode.\"",
  },
  pumaPersistentTimeoutBefore7: {
    title: "Puma: lib/puma/const.rb (before 7.0)",
    url: "https://github.com/puma/puma/blob/v3.11.3/lib/puma/const.rb",
    says: "\"The default number of seconds for another request within a persistent session.\" \"PERSISTENT_TIMEOUT = 20\" (the default until Puma 7.0 made it 65: see puma7Defaults).",
  },
  railsDevelopmentEnv: {
    title: "Rails app generator: config/environments/development.rb template",
    url: "https://github.com/rails/rails/blob/main/railties/lib/rails/generators/rails/app/templates/config/environments/development.rb.tt",
    says: "\"In the development environment your application's code is reloaded any time it changes. This slows down response time but is perfect for development\"; \"Do not eager load code on boot.\" config.eager_load = false; \"Show full error reports.\" config.consider_all_requests_local = true.",
  },
  railsPumaTemplateThreads: {
    title: "Rails app generator: config/puma.rb template",
    url: "https://github.com/rails/rails/blob/main/railties/lib/rails/generators/rails/app/templates/config/puma.rb.tt",
    says: "threads_count = ENV.fetch(\"RAILS_MAX_THREADS\", 3). \"The default is set to 3 threads\". \"Any libraries that use a connection pool ... should be configured to provide at least as many connections as the number of threads. This includes Active Record's pool parameter in database.yml.\"",
  },
  railsPumaTemplateWorkers: {
    title: "Rails app generator: config/puma.rb template",
    url: "https://github.com/rails/rails/blob/main/railties/lib/rails/generators/rails/app/templates/config/puma.rb.tt",
    says: "In production: workers from Integer(ENV.fetch(\"WEB_CONCURRENCY\", 1)) (or Concurrent.available_processor_count when WEB_CONCURRENCY=auto); `workers workers_count if workers_count > 1`. \"If you are running more than 1 thread per process, the workers count should be equal to the number of processors (CPU cores) in production.\"",
  },
  railsThreadsChange72: {
    title: "rails/rails PR #50669: Update the default Puma configuration (Rails 7.2)",
    url: "https://github.com/rails/rails/pull/50669",
    says: "\"The main change is the default number of threads is reduced from 5 to 3\".",
  },
  railsDatabaseYmlPool: {
    title: "Rails app generator: config/databases/postgresql.yml template",
    url: "https://github.com/rails/rails/blob/main/railties/lib/rails/generators/rails/app/templates/config/databases/postgresql.yml.tt",
    says: "pool: <%= ENV.fetch(\"RAILS_MAX_THREADS\") { 5 } %> (note: 5, while the generated puma.rb defaults RAILS_MAX_THREADS to 3).",
  },
  railsPoolDefault: {
    title: "Rails Guides: Configuring - Database Pooling",
    url: "https://guides.rubyonrails.org/configuring.html#database-pooling",
    says: "\"This limit defaults to 5 and can be configured in database.yml.\" A request that cannot get a connection raises ActiveRecord::ConnectionTimeoutError \"could not obtain a database connection within 5.000 seconds\".",
  },
  railsConnectionPerThread: {
    title: "Rails API: ActiveRecord::ConnectionAdapters::ConnectionPool",
    url: "https://api.rubyonrails.org/classes/ActiveRecord/ConnectionAdapters/ConnectionPool.html",
    says: "\"A connection pool synchronizes thread access to a limited number of database connections. The basic idea is that each thread checks out a database connection from the pool, uses that connection, and checks the connection back in.\" \"It will ensure that a connection cannot be used by two threads at the same time\". connection_pool.rb (acquire_connection, try_to_checkout_new_connection) opens a new connection only when a thread finds none free and the pool holds fewer than its size: a process whose N threads use the pool opens at most N, whatever the size.",
  },
  herokuPumaConfig: {
    title: "Heroku Dev Center: Deploying Rails Applications with the Puma Web Server",
    url: "https://devcenter.heroku.com/articles/deploying-rails-applications-with-the-puma-web-server",
    says: "Recommended config (updated 2025): workers(ENV.fetch('WEB_CONCURRENCY') { 2 }); threads_count = ENV.fetch('RAILS_MAX_THREADS') { 3 }; preload_app!. \"Heroku strongly recommends Puma 7+ for compatibility with keepalive requests with router 2.0.\" (older revisions used 5 threads)",
  },
  herokuConnectionFormula: {
    title: "Heroku Dev Center: Deploying Rails Applications with the Puma Web Server - Database Connections",
    url: "https://devcenter.heroku.com/articles/deploying-rails-applications-with-the-puma-web-server#database-connections",
    says: "SECONDARY (quoted from a mirror of this page): \"A good formula for determining the number of connections each application will require is to multiply the RAILS_MAX_THREADS by the WEB_CONCURRENCY. This will determine the number of connections each dyno will consume.\" \"Rails maintains its own database connection pool, with a new pool created for each worker process.\"",
  },

  pumaNoRequestTimeout: {
    title: "Puma: no per-request timeout (issue #265, docs PR #814)",
    url: "https://github.com/puma/puma/issues/265",
    says: "Evan Phoenix on a request timeout: \"This is not a concern that I want puma to have. If you want to have timeout requests, the best way would be to write a Rack middleware\". PR #814 documents that worker_timeout detects hung processes and does not prevent long-running requests.",
  },

  // ---------------------------------------------------------------- Unicorn
  unicornDefaults: {
    title: "Unicorn::Configurator: DEFAULTS and worker_processes",
    url: "https://rubydoc.info/gems/unicorn/Unicorn/Configurator",
    says: "DEFAULTS \"{ :timeout => 60, … :worker_processes => 1, … }\". worker_processes: \"Each worker process will serve exactly one client at a time.\"",
  },
  unicornTimeout: {
    title: "Unicorn::Configurator#timeout",
    url: "https://rubydoc.info/gems/unicorn/Unicorn/Configurator#timeout-instance_method",
    says: "\"Workers handling the request/app.call/response cycle taking longer than this time period will be forcibly killed (via SIGKILL).\" Default 60 (DEFAULTS :timeout => 60).",
  },
  unicornTuning: {
    title: "Unicorn: TUNING (worker_processes)",
    url: "https://yhbt.net/unicorn/TUNING.html",
    says: "\"worker_processes should be *at* *least* the number of CPU cores on a dedicated server. If your application has occasionally slow responses that are /not/ CPU-intensive, you may increase this to workaround those inefficiencies.\" \"Never, ever, increase worker_processes to the point where the system runs out of physical memory and hits swap.\"",
  },

  // ---------------------------------------------------------------- Sidekiq / Celery
  sidekiqOneCore: {
    title: "GitLab docs: Run multiple Sidekiq processes",
    url: "https://docs.gitlab.com/administration/sidekiq/extra_sidekiq_processes/",
    says: "\"By default, Sidekiq starts one worker process and only uses a single core.\" \"When starting multiple processes, the number of processes should at most equal (and not exceed) the number of CPU cores you want to dedicate to Sidekiq. The Sidekiq worker process uses no more than one CPU core.\"",
  },
  sidekiqSwarm: {
    title: "Sidekiq wiki: Ent Multi-Process (sidekiqswarm)",
    url: "https://github.com/sidekiq/sidekiq/wiki/Ent-Multi-Process",
    says: "Sidekiq Enterprise's sidekiqswarm starts N child processes \"like Unicorn or Puma\" so that one service \"scales to all machine cores\": \"SIDEKIQ_COUNT Number of Sidekiq child processes to start, defaults to number of cores\".",
  },
  sidekiqSwarmCount: {
    title: "sidekiq/sidekiq issue 6244: allow float for process count (sidekiqswarm's SIDEKIQ_COUNT default)",
    url: "https://github.com/sidekiq/sidekiq/issues/6244",
    says: "Mike Perham (maintainer) quotes sidekiqswarm's code: \"@count = Integer(env[\"SIDEKIQ_COUNT\"] || Etc.nprocessors)\", changed to \"Float(env[\"SIDEKIQ_COUNT\"] || Etc.nprocessors).round\" in Sidekiq Enterprise 7.2.3. A user in a container limited to a quarter CPU: \"Etc.nprocessors => 2 # this is wrong, it's the host\".",
  },
  sidekiqConcurrencyDefault: {
    title: "Sidekiq 7.0 upgrade notes",
    url: "https://github.com/sidekiq/sidekiq/blob/main/docs/7.0-Upgrade.md",
    says: "\"Sidekiq's default concurrency has been reduced from 10 to 5. This matches the Rails default concurrency and database pool size. Use RAILS_MAX_THREADS=10 bundle exec sidekiq to adjust Sidekiq's concurrency and the Rails DB pool size\". \"The default capsule spins up 5 Threads\".",
  },
  sidekiqConcurrencyHistory: {
    title: "Sidekiq Changes.md, 5.2.0",
    url: "https://github.com/sidekiq/sidekiq/blob/main/Changes.md#520",
    says: "\"Decrease default concurrency from 25 to 10\" [#3892] in 5.2.0; 7.0 then lowered it from 10 to 5 (sidekiqConcurrencyDefault). So 25 before 5.2, 10 in 5.2 to 6.x, 5 from 7.0: Headroom uses 5, the current default.",
  },
  sidekiqCapsules: {
    title: "Sidekiq source: capsules from config/sidekiq.yml (lib/sidekiq/cli.rb, lib/sidekiq/capsule.rb)",
    url: "https://github.com/sidekiq/sidekiq/blob/main/lib/sidekiq/cli.rb",
    says: "After the default capsule gets \"cap.concurrency = opts[:concurrency] || @config[:concurrency]\", \"opts[:capsules]&.each do |name, cap_config| @config.capsule(name.to_s) do |cap| cap.queues = cap_config[:queues]; cap.concurrency = cap_config[:concurrency]\": each capsule runs its own threads. capsule.rb: \"A Sidekiq::Capsule is the set of resources necessary to process one or more queues with a given concurrency. One \\\"default\\\" Capsule is started but the user may declare additional Capsules\".",
  },
  solidQueueWorkerConnections: {
    title: "Solid Queue README: Workers, dispatchers and scheduler (threads)",
    url: "https://github.com/rails/solid_queue#workers-dispatchers-and-scheduler",
    says: "\"`threads`: this is the max size of the thread pool that each worker will have to run jobs. [...] By default, this is `3`.\" \"It is recommended to set this value less than or equal to the queue database's connection pool size minus 2, as each worker thread uses one connection, and two additional connections are reserved for polling and heartbeat.\" \"`processes`: this is the number of worker processes that will be forked by the supervisor with the settings given. By default, this is `1`\". lib/solid_queue/configuration.rb: WORKER_DEFAULTS threads 3, processes 1; estimated_number_of_threads is \"At most \\\"threads\\\" in each worker + 1 thread for the worker + 1 thread for the heartbeat task\", and Solid Queue refuses to start when the pool is smaller.",
  },
  solidQueueProcesses: {
    title: "Solid Queue README and lib/solid_queue/configuration.rb: the supervisor's processes",
    url: "https://github.com/rails/solid_queue/blob/main/lib/solid_queue/configuration.rb",
    says: "README: \"Solid Queue's supervisor will fork a separate process for each supervised worker/dispatcher/scheduler.\" \"If no configuration at all is provided, Solid Queue will run with one dispatcher and one worker with default settings.\" configuration.rb: config_from takes `config[env]` when the file has the environment's section, else the whole file, keeps :workers and :dispatchers, and falls back to one worker and one dispatcher when that is empty; a scheduler runs when recurring.yml has tasks (\"if !skip_recurring_tasks? && recurring_tasks.any?\"). processes/registrable.rb: every process (supervisor, worker, dispatcher, scheduler) registers and runs a heartbeat TimerTask thread that updates its row (\"wrap_in_app_executor { heartbeat }\"): Headroom counts 2 connections for each process that is not a worker (its own thread and its heartbeat), a floor.",
  },
  solidQueueWorkerProcesses: {
    title: "Solid Queue README: worker processes and CPU cores",
    url: "https://github.com/rails/solid_queue#threads-processes-and-signals",
    says: "\"`processes`: this is the number of worker processes that will be forked by the supervisor with the settings given. By default, this is `1`, just a single process. This setting is useful if you want to dedicate more than one CPU core to a queue or queues with the same configuration.\" \"Workers in Solid Queue use a thread pool to run work in multiple threads, configurable via the `threads` parameter above. Besides this, parallelism can be achieved via multiple processes on one machine (configurable via different workers or the `processes` parameter above) or by horizontal scaling.\"",
  },
  solidQueuePumaPlugin: {
    title: "Solid Queue README: Puma plugin",
    url: "https://github.com/rails/solid_queue#puma-plugin",
    says: "\"We provide a Puma plugin if you want to run the Solid Queue's supervisor together with Puma and have Puma monitor and manage it. You just need to add `plugin :solid_queue` to your `puma.rb` configuration.\" \"plugin :solid_queue if ENV[\\\"SOLID_QUEUE_IN_PUMA\\\"]\" \"This is what Rails 8's default Puma config looks like.\" lib/puma/plugin/solid_queue.rb forks the supervisor once from Puma's own process when it has booted, so each Puma server (each container) runs one supervisor with all the processes config/queue.yml describes.",
  },
  actionCableWorkerPool: {
    title: "Rails API: ActionCable::Server::Base#worker_pool (actioncable/lib/action_cable/server/base.rb, configuration.rb)",
    url: "https://api.rubyonrails.org/classes/ActionCable/Server/Base.html#method-i-worker_pool",
    says: "\"The worker pool is where we run connection callbacks and channel actions. [...] The thread pool size maxes out at 4 worker threads by default. Tune the size yourself with `config.action_cable.worker_pool_size`.\" \"Using Active Record, Redis, etc within your channel actions means you'll get a separate connection from each thread in the worker pool. Plan your deployment accordingly: 5 servers each running 5 Puma workers each running an 8-thread worker pool means at least 200 database connections.\" configuration.rb: \"@worker_pool_size = 4\".",
  },
  actionCableMount: {
    title: "Rails source: actioncable/lib/action_cable/engine.rb (mount_path)",
    url: "https://github.com/rails/rails/blob/main/actioncable/lib/action_cable/engine.rb",
    says: "\"config.action_cable.mount_path = ActionCable::INTERNAL[:default_mount_path]\" (\"/cable\"): the engine mounts the server in the app's routes, in the app's own processes, unless mount_path is set to nil (a standalone server); config/cable.yml is generated by `rails new` unless --skip-action-cable.",
  },
  goodJobConnections: {
    title: "GoodJob README: Database connections",
    url: "https://github.com/bensheldon/good_job#database-connections",
    says: "\"Each GoodJob execution thread requires its own database connection that is automatically checked out from Rails' connection pool.\" \"To calculate the total number of the database connections you'll need: 1 connection dedicated to the scheduler aka `LISTEN/NOTIFY`; 1 connection per query pool thread e.g. `--queues=mice:2;elephants:1` is 3 threads. Pool thread size defaults to `--max-threads`; (optional) 2 connections for Cron scheduler if you're running it; [...] When running `:async`, you must also add the number of threads by the webserver\".",
  },
  goodJobConfiguration: {
    title: "GoodJob source: lib/good_job/configuration.rb",
    url: "https://github.com/bensheldon/good_job/blob/main/lib/good_job/configuration.rb",
    says: "\"DEFAULT_MAX_THREADS = 5\"; max_threads is options[:max_threads] || rails_config[:max_threads] || env['GOOD_JOB_MAX_THREADS'] || env['RAILS_MAX_THREADS'] || DEFAULT_MAX_THREADS; queue_string is --queues, else GOOD_JOB_QUEUES, else '*'; execution_mode is GOOD_JOB_EXECUTION_MODE when set (:async, :async_all, :async_server, :external, :inline), else :external in production; enable_cron reads GOOD_JOB_ENABLE_CRON (default false). README: \"GoodJob can also be configured to execute jobs within the web server process [...] GOOD_JOB_EXECUTION_MODE=async rails server\".",
  },
  sidekiqActiveRecordPool: {
    title: "Sidekiq wiki: Advanced Options (concurrency)",
    url: "https://github.com/sidekiq/sidekiq/wiki/Advanced-Options#concurrency",
    says: "\"Note that ActiveRecord has a connection pool which needs to be properly configured in config/database.yml to work well with heavy concurrency. Set the pool setting to something close or equal to the number of threads\". 7.0-Upgrade.md: \"Use RAILS_MAX_THREADS=10 bundle exec sidekiq to adjust Sidekiq's concurrency and the Rails DB pool size\".",
  },
  sidekiqConfigFile: {
    title: "Sidekiq source: lib/sidekiq/cli.rb (setup_options, parse_config, set_environment)",
    url: "https://github.com/sidekiq/sidekiq/blob/main/lib/sidekiq/cli.rb",
    says: "Without -C, Sidekiq reads config/sidekiq.yml or config/sidekiq.yml.erb under the -r directory; the file goes through ERB, its keys are symbolised (\"deep_symbolize_keys!\"), and \"opts = opts.merge(opts.delete(environment.to_sym) || {})\" merges the environment's section over the top level. The environment is \"cli_env || ENV[\"APP_ENV\"] || ENV[\"RAILS_ENV\"] || ENV[\"RACK_ENV\"] || \"development\"\". Command-line options win over the file (\"parse_config(opts[:config_file]).merge(opts)\"), and RAILS_MAX_THREADS applies only \"if opts[:concurrency].nil?\".",
  },
  celeryConcurrencyDefault: {
    title: "Celery configuration: worker_concurrency",
    url: "https://docs.celeryq.dev/en/stable/userguide/configuration.html#worker-concurrency",
    says: "\"Default: Number of CPU cores.\" \"If not set, the number of CPUs/cores on the host will be used.\"",
  },
  celeryBeatScheduler: {
    title: "Celery: Periodic Tasks (celery beat) and celery/beat.py Service.start",
    url: "https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html",
    says: "\"celery beat is a scheduler; It kicks off tasks at regular intervals, that are then executed by available worker nodes in the cluster.\" \"You have to ensure only a single scheduler is running for a schedule at a time\". celery/beat.py: Service.start loops on scheduler.tick() and time.sleep() in one thread (embedded with `worker -B`, in a thread or a child process of the worker).",
  },
  celeryPoolDefault: {
    title: "Celery configuration: worker_pool",
    url: "https://docs.celeryq.dev/en/stable/userguide/configuration.html#worker-pool",
    says: "\"Default: 'prefork' (celery.concurrency.prefork:TaskPool).\" Workers guide: \"By default multiprocessing is used to perform concurrent execution of tasks\".",
  },
  celeryConcurrencyPools: {
    title: "Celery: Concurrency (the --pool options)",
    url: "https://docs.celeryq.dev/en/stable/userguide/concurrency/index.html",
    says: "\"prefork: The default option\"; \"eventlet and gevent: Designed for IO-bound tasks, these models use greenlets for high concurrency\"; \"solo: Executes tasks sequentially in the main thread.\"; \"threads: Utilizes threading for concurrency\". Only prefork forks child processes: the others run --concurrency threads or greenlets (solo one task) inside the worker's one process.",
  },
  celeryPrefetchMultiplier: {
    title: "Celery configuration: worker_prefetch_multiplier",
    url: "https://docs.celeryq.dev/en/stable/userguide/configuration.html#worker-prefetch-multiplier",
    says: "\"Default: 4.\" \"How many messages to prefetch at a time multiplied by the number of concurrent processes.\"",
  },

  // ---------------------------------------------------------------- SQLAlchemy / Django
  sqlalchemyPoolSize: {
    title: "SQLAlchemy: create_engine() pool_size",
    url: "https://docs.sqlalchemy.org/en/20/core/engines.html#sqlalchemy.create_engine.params.pool_size",
    says: "pool_size=5: \"the number of connections to keep open inside the connection pool.\" Pooling docs: create_engine() uses a QueuePool \"of size five\" by default.",
  },
  flaskSqlalchemyEngineOptions: {
    title: "Flask-SQLAlchemy 3: SQLAlchemy.init_app and _make_engine (src/flask_sqlalchemy/extension.py)",
    url: "https://github.com/pallets-eco/flask-sqlalchemy/blob/main/src/flask_sqlalchemy/extension.py",
    says: "init_app: `basic_engine_options = self._engine_options.copy(); basic_engine_options.update(app.config.setdefault(\"SQLALCHEMY_ENGINE_OPTIONS\", {}))`; _make_engine: `return sa.engine_from_config(options, prefix=\"\")`. _apply_driver_defaults changes only SQLite (StaticPool in memory) and MySQL; \"versionchanged:: 3.0 MySQL ... It does not set pool_size to 10.\" So a PostgreSQL engine gets SQLAlchemy's QueuePool defaults unless the options set them.",
  },
  flaskSqlalchemyConfigKeys: {
    title: "Flask-SQLAlchemy 3: Configuration keys",
    url: "https://flask-sqlalchemy.readthedocs.io/en/stable/config/",
    says: "\"Configuration is loaded from the Flask app.config when SQLAlchemy.init_app() is called. The configuration is not read again after that.\" SQLALCHEMY_ENGINE_OPTIONS: \"A dict of arguments to pass to sqlalchemy.create_engine() for the default engine. This takes precedence over the engine_options argument to SQLAlchemy, which can be used to set default options for all engines.\" \"Changed in version 3.0: Only applies to the default bind.\" SQLALCHEMY_BINDS: \"A dict mapping bind keys to engine options. The value can be a string or a SQLAlchemy URL instance. Or it can be a dict of arguments, including the url key, that will be passed to sqlalchemy.create_engine().\"",
  },
  flaskSqlalchemy2Options: {
    title: "Flask-SQLAlchemy changelog (2.4, 3.0) and 2.x's _EngineConnector.get_options",
    url: "https://github.com/pallets-eco/flask-sqlalchemy/blob/main/CHANGES.rst",
    says: "Version 2.4 (2019-04-24): \"Added the engine_options parameter and SQLALCHEMY_ENGINE_OPTIONS config. Deprecated the individual engine option config keys SQLALCHEMY_NATIVE_UNICODE, SQLALCHEMY_POOL_SIZE, SQLALCHEMY_POOL_TIMEOUT, SQLALCHEMY_POOL_RECYCLE, and SQLALCHEMY_MAX_OVERFLOW.\" Version 3.0.0 (2022-10-04): \"Remove previously deprecated code.\" In 2.4 and 2.5 get_options applies apply_pool_defaults (SQLALCHEMY_POOL_SIZE → pool_size, SQLALCHEMY_MAX_OVERFLOW → max_overflow), then \"options.update(self._app.config['SQLALCHEMY_ENGINE_OPTIONS'])\", then \"# Give options set in SQLAlchemy.__init__() ultimate priority\" \"options.update(self._sa._engine_options)\": the reverse of 3.x's order, and the same options for every bind (get_options does not depend on the bind). Version 3.0.0: \"SQLALCHEMY_BINDS values can either be an engine URL, or a dict of engine options including URL, for each bind.\" \"Engines are created when calling init_app rather than the first time they are accessed.\"",
  },
  sqlalchemyMaxOverflow: {
    title: "SQLAlchemy: create_engine() max_overflow",
    url: "https://docs.sqlalchemy.org/en/20/core/engines.html#sqlalchemy.create_engine.params.max_overflow",
    says: "\"max_overflow=10 - the number of connections to allow in connection pool 'overflow', that is connections that can be opened above and beyond the pool_size setting, which defaults to five. this is only used with QueuePool.\"",
  },
  sqlalchemyForkSafety: {
    title: "SQLAlchemy: Using Connection Pools with Multiprocessing or os.fork()",
    url: "https://docs.sqlalchemy.org/en/20/core/pooling.html#using-connection-pools-with-multiprocessing-or-os-fork",
    says: "\"It's critical that when using a connection pool ... the pooled connections are not shared to a forked process. TCP connections are represented as file descriptors, which usually work across process boundaries\".",
  },
  sqlalchemyNoPrecreate: {
    title: "SQLAlchemy: Connection Pooling",
    url: "https://docs.sqlalchemy.org/en/20/core/pooling.html",
    says: "\"All SQLAlchemy pool implementations have in common that none of them 'pre create' connections - all implementations wait until first use before creating a connection. At that point, if no additional concurrent checkout requests for more connections are made, no additional connections are created.\"",
  },
  pydanticSettingsEnvNames: {
    title: "Pydantic Settings: Environment variable names",
    url: "https://docs.pydantic.dev/latest/concepts/pydantic_settings/#environment-variable-names",
    says: "\"By default, the environment variable name is the same as the field name.\" \"You can change the prefix for all environment variables by setting the env_prefix config setting\"; \"env_prefix does not apply to fields with alias. It means the environment variable name is the same as field alias\". Case-sensitivity: \"By default, environment variable names are case-insensitive.\" (case_sensitive=True changes it). \"(Default values will still be used if the matching environment variable is not set.)\"",
  },
  djangoConnMaxAge: {
    title: "Django: Databases - Persistent connections",
    url: "https://docs.djangoproject.com/en/stable/ref/databases/#persistent-connections",
    says: "\"The default value is 0, preserving the historical behavior of closing the database connection at the end of each request.\" Caveats: \"Since each thread maintains its own connection, your database must support at least as many simultaneous connections as you have worker threads.\" Under ASGI \"persistent connections should be disabled\".",
  },

  djangoAsyncThreadPerRequest: {
    title: "Django: Asynchronous support - Async views",
    url: "https://docs.djangoproject.com/en/stable/topics/async/#async-views",
    says: "Under ASGI \"The main benefits are the ability to service hundreds of connections without using Python threads.\" \"If there is a piece of synchronous middleware, then Django must use a thread per request to safely emulate a synchronous environment for it.\" No per-process bound on requests in flight is given.",
  },

  djangoPoolRefusesConnMaxAge: {
    title: "Django: django/db/backends/postgresql/base.py (DatabaseWrapper.pool, 5.1+)",
    url: "https://github.com/django/django/blob/stable/5.1.x/django/db/backends/postgresql/base.py",
    says: "In the `pool` property, before the pool is created: `if self.settings_dict.get(\"CONN_MAX_AGE\", 0) != 0: raise ImproperlyConfigured(\"Pooling doesn't support persistent connections.\")` (tested by test_pooling_not_support_persistent_connections). The property is read when a connection is opened, so any CONN_MAX_AGE but 0, None included, makes every database access fail.",
  },
  djangoConnectionPool: {
    title: "Django: Databases - Connection pool (Django 5.1+)",
    url: "https://docs.djangoproject.com/en/5.1/ref/databases/#connection-pool",
    says: "\"To use a connection pool with psycopg, you can either set \"pool\" in the OPTIONS part of your database configuration to be a dict to be passed to ConnectionPool, or to True to use the ConnectionPool defaults.\" \"This option requires psycopg[pool] or psycopg-pool to be installed and is ignored with psycopg2.\" An empty dict is no pool (django/db/backends/postgresql/base.py: `if ... not pool_options`).",
  },
  psycopgPoolSizes: {
    title: "psycopg_pool: The ConnectionPool class",
    url: "https://www.psycopg.org/psycopg3/docs/api/pool.html#psycopg_pool.ConnectionPool",
    says: "ConnectionPool(conninfo, *, ..., min_size: int = 4, max_size: Optional[int] = None, ...). psycopg_pool's _check_size: \"if max_size is None: max_size = min_size\"; \"if max_size < min_size: raise ValueError(\"max_size must be greater or equal than min_size\")\".",
  },

  // ---------------------------------------------------------------- PostgreSQL / RDS / Heroku Postgres
  postgresMaxConnections: {
    title: "PostgreSQL: Connection Settings - max_connections",
    url: "https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-MAX-CONNECTIONS",
    says: "\"Determines the maximum number of concurrent connections to the database server. The default is typically 100 connections, but might be less if your kernel settings will not support it (as determined during initdb).\"",
  },
  postgresBitnamiMaxConnections: {
    title: "Bitnami PostgreSQL images (postgresql, postgresql-repmgr): postgresql-env.sh and libpostgresql.sh",
    url: "https://github.com/bitnami/containers/blob/main/bitnami/postgresql/17/debian-12/rootfs/opt/bitnami/scripts/postgresql-env.sh",
    says: "POSTGRESQL_MAX_CONNECTIONS=\"${POSTGRESQL_MAX_CONNECTIONS:-\"${POSTGRES_MAX_CONNECTIONS:-}\"}\" (empty by default); libpostgresql.sh: \"[[ -n \"$POSTGRESQL_MAX_CONNECTIONS\" ]] && postgresql_set_property \"max_connections\" \"$POSTGRESQL_MAX_CONNECTIONS\"\". Unset, PostgreSQL's own default applies.",
  },
  postgresOfficialDerivedImages: {
    title: "postgis/docker-postgis README (PostGIS's postgis/postgis image)",
    url: "https://github.com/postgis/docker-postgis#readme",
    says: "\"This image is based on the official postgres image\"; pgvector's pgvector/pgvector and Citus's citusdata/citus are built FROM postgres too, and Supabase's supabase/postgres ships a postgresql.conf with \"#max_connections = 100\" left commented. So `postgres -c max_connections=N` and PostgreSQL's default 100 apply as for the official image.",
  },
  postgresTimescaleTune: {
    title: "timescale/timescaledb-docker: docker-entrypoint-initdb.d/001_timescaledb_tune.sh, and timescaledb-tune pkg/pgtune/misc.go",
    url: "https://github.com/timescale/timescaledb-docker/blob/main/docker-entrypoint-initdb.d/001_timescaledb_tune.sh",
    says: "The image's first start runs timescaledb-tune on postgresql.conf unless NO_TS_TUNE is set, passing \"--max-conns=${TS_TUNE_MAX_CONNS}\" when set; timescaledb-tune recommends max_connections = the larger of that and \"MaxConnectionsDefault uint64 = 100\". The HA image (timescaledb-ha) does not read the TS_TUNE_* variables (timescaledb-docker-ha issue 366).",
  },
  postgresSclorgMaxConnections: {
    title: "sclorg/postgresql-container: container-scripts/postgresql/common.sh (CentOS, Fedora and Red Hat postgresql-NN images)",
    url: "https://github.com/sclorg/postgresql-container/blob/master/src/root/usr/share/container-scripts/postgresql/common.sh",
    says: "\"export POSTGRESQL_MAX_CONNECTIONS=${POSTGRESQL_MAX_CONNECTIONS:-100}\", written into the generated openshift-custom-postgresql.conf that postgresql.conf includes; usage text: \"POSTGRESQL_MAX_CONNECTIONS (default: 100)\".",
  },
  postgresSuperuserReserved: {
    title: "PostgreSQL: Connection Settings - superuser_reserved_connections",
    url: "https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-SUPERUSER-RESERVED-CONNECTIONS",
    says: "\"Determines the number of connection 'slots' that are reserved for connections by PostgreSQL superusers.\" \"The default value is three connections.\"",
  },
  pgbouncerMaxClientConn: {
    title: "PgBouncer configuration: max_client_conn",
    url: "https://www.pgbouncer.org/config.html#max_client_conn",
    says: "\"Maximum number of client connections allowed.\" \"Default: 100\". A client past it is turned away (src/client.c: \"no more connections allowed (max_client_conn)\"). Raising it may need a higher file descriptor limit: \"max_client_conn + (max pool_size * total databases * total users)\".",
  },
  pgbouncerPoolSize: {
    title: "PgBouncer configuration: default_pool_size, reserve_pool_size, max_db_connections, [databases] pool_size and user",
    url: "https://www.pgbouncer.org/config.html#default_pool_size",
    says: "default_pool_size: \"The maximum number of server connections to allow per user/database pair.\" \"Default: 20\". reserve_pool_size: \"How many additional connections to allow to a pool\" \"Default: 0 (disabled)\". max_db_connections: \"Do not allow more than this many server connections per database (regardless of user)\" \"Default: 0 (unlimited)\", also settable per database. [databases] pool_size: \"If not set, the default_pool_size is used\"; reserve_pool_size (alias reserve_pool) likewise; user: \"If user= is set, all connections to the destination database will be done with the specified user, meaning that there will be only one pool for this database. Otherwise, PgBouncer logs into the destination database with the client user name, meaning that there will be one pool per user.\" \"*\" acts as a fallback database for any other name.",
  },
  pgbouncerPoolMode: {
    title: "PgBouncer configuration: pool_mode",
    url: "https://www.pgbouncer.org/config.html#pool_mode",
    says: "session: \"Server is released back to pool after client disconnects. Default.\" transaction: \"Server is released back to pool after transaction finishes.\" statement: \"Server is released back to pool after query finishes.\"",
  },
  pgbouncerEdoburuImage: {
    title: "edoburu/pgbouncer image: entrypoint.sh and README",
    url: "https://github.com/edoburu/docker-pgbouncer/blob/master/entrypoint.sh",
    says: "Writes /etc/pgbouncer/pgbouncer.ini only \"if [ ! -f ${PG_CONFIG_DIR}/pgbouncer.ini ]\": `${DB_NAME:-*} = host=${DB_HOST} port=${DB_PORT:-5432} auth_user=${DB_USER:-postgres}` (DB_HOST, DB_NAME from DATABASE_URL when set) and, each only when its variable is set, pool_mode = ${POOL_MODE}, max_client_conn = ${MAX_CLIENT_CONN}, default_pool_size = ${DEFAULT_POOL_SIZE}, reserve_pool_size = ${RESERVE_POOL_SIZE}, max_db_connections = ${MAX_DB_CONNECTIONS}. README: \"When the pgbouncer.ini file exists, the startup script will not override it.\"",
  },
  pgbouncerBitnamiImage: {
    title: "bitnami/pgbouncer image: pgbouncer-env.sh and libpgbouncer.sh",
    url: "https://github.com/bitnami/containers/blob/main/bitnami/pgbouncer/1/debian-12/rootfs/opt/bitnami/scripts/libpgbouncer.sh",
    says: "Unless pgbouncer.ini is mounted in /bitnami/pgbouncer/conf (\"Configuration file is mounted externally, skipping configuration\"), writes [databases] `${PGBOUNCER_DATABASE:-postgres} = host=${POSTGRESQL_HOST:-postgresql} port=…` (user= only when PGBOUNCER_SET_DATABASE_USER is yes) and, when not empty, \"pool_mode:${PGBOUNCER_POOL_MODE}\", \"max_client_conn:${PGBOUNCER_MAX_CLIENT_CONN}\", \"max_db_connections:${PGBOUNCER_MAX_DB_CONNECTIONS}\", \"default_pool_size:${PGBOUNCER_DEFAULT_POOL_SIZE}\", \"reserve_pool_size:${PGBOUNCER_RESERVE_POOL_SIZE}\" (all empty by default in pgbouncer-env.sh: PgBouncer's defaults apply).",
  },
  postgresReservedConnections: {
    title: "PostgreSQL: Connection Settings - reserved_connections",
    url: "https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-RESERVED-CONNECTIONS",
    says: "Slots reserved for roles with pg_use_reserved_connections. \"The default value is zero connections.\" (parameter added in PostgreSQL 16)",
  },
  postgresProcessPerConnection: {
    title: "PostgreSQL tutorial: Architectural Fundamentals",
    url: "https://www.postgresql.org/docs/current/tutorial-arch.html",
    says: "\"The PostgreSQL server can handle multiple concurrent connections from clients. To achieve this it starts ('forks') a new process for each connection.\" Config docs: \"PostgreSQL sizes certain resources based directly on the value of max_connections.\"",
  },
  rdsPostgresMaxConnections: {
    title: "AWS Prescriptive Guidance: Tuning PostgreSQL parameters - max_connections",
    url: "https://docs.aws.amazon.com/prescriptive-guidance/latest/tuning-postgresql-parameters/max-connections.html",
    says: "\"Default value: LEAST(DBInstanceClassMemory/9531392,5000) connections\". RDS quotas page: DBInstanceClassMemory \"is in bytes\" and is smaller than the instance RAM because of memory reserved for the OS and RDS processes.",
  },
  herokuPostgresLimits: {
    title: "Heroku Dev Center: Choosing the Right Heroku Postgres Plan",
    url: "https://devcenter.heroku.com/articles/heroku-postgres-plans",
    says: "SECONDARY (third-party summaries, not the Heroku page itself): Essential-0/1 20 connections, Essential-2 40, Standard-0 120, Standard-2 400, Premium-0 120, Premium-2 400. The retired hobby-dev plan: `heroku pg:info` printed \"Connections: 0/20\". Headroom names the plan and says the limit is the published one; facts.max_connections overrides it.",
  },
  herokuYml: {
    title: "Heroku Dev Center: Building Docker Images with heroku.yml",
    url: "https://devcenter.heroku.com/articles/build-docker-images-heroku-yml",
    says: "\"build: docker: web: Dockerfile run: web: bundle exec puma -C config/puma.rb\"; \"If the Dockerfile lives in a non-root directory, specify the relative path in the build.docker.web value, such as app/Dockerfile.\" \"If you don't include a run section, Heroku uses the CMD specified in the Dockerfile.\" \"After building your application, Heroku uses the run command provided in heroku.yml instead of your Procfile.\" The manifest's four sections: setup (`addons: - plan: heroku-postgresql`, `config`), build (`docker`, `config`), release (`command`, `image`), run (`web: <command>`, or `command: [...]` with `image: worker`). Known issues (quoted in TokTok/bTox#12): \"The Docker build context is always set to the directory containing the Dockerfile and cannot be configured independently.\"",
  },
  herokuContainerRuntime: {
    title: "heroku/cli pull request #930 (a Heroku engineer on how dynos run commands)",
    url: "https://github.com/heroku/cli/pull/930",
    says: "\"For the container runtime, we use the container's ENTRYPOINT if it's specified, or /bin/sh -l -c otherwise.\" (a command given for a process type runs through the image's ENTRYPOINT, in place of its CMD)",
  },
  herokuPort: {
    title: "Heroku Dev Center: Heroku Error Codes (R10 Boot timeout, R11 Bad bind)",
    url: "https://devcenter.heroku.com/articles/error-codes#r10-boot-timeout",
    says: "\"Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch\"; \"Error R11 (Bad bind) -> Process bound to port 32970, should be 13527 (see environment variable PORT)\": Heroku sets PORT in each dyno's environment, a different number at each start.",
  },
  herokuPythonWebConcurrency: {
    title: "heroku/heroku-buildpack-python: vendor/WEB_CONCURRENCY.sh",
    url: "https://github.com/heroku/heroku-buildpack-python/blob/main/vendor/WEB_CONCURRENCY.sh",
    says: "Sets WEB_CONCURRENCY at dyno boot \"(if it's not already set)\" to the lower of \"<number of dyno CPU cores> * 2 + 1\" and \"<dyno available RAM in MB> / 256\": \"Eco / Basic / Standard-1X: 2\", \"Standard-2X / Private-S / Shield-S: 4\", \"Performance-M / Private-M / Shield-M: 5\", \"Performance-L / Private-L / Shield-L: 17\" (since PR #1547, March 2024; before, a table by dyno type).",
  },
  herokuRubyWebConcurrency: {
    title: "heroku/heroku-buildpack-ruby: lib/language_pack/ruby.rb (setup_profiled, set_default_web_concurrency)",
    url: "https://github.com/heroku/heroku-buildpack-ruby/blob/main/lib/language_pack/ruby.rb",
    says: "\"web_concurrency = env(\"SENSIBLE_DEFAULTS\") ? set_default_web_concurrency : \"\"\" written to .profile.d/WEB_CONCURRENCY.sh (\"always write that file, even if its empty (meaning no defaults apply)\"); the defaults by `ulimit -u`: 512 MB dynos 2, 1 GB 4, Performance-M 8, Performance-L 16. Changelog v229: the Ruby buildpack \"now clears previous default buildpack WEB_CONCURRENCY values\".",
  },

  s6Overlay: {
    title: "just-containers/s6-overlay: README (Writing a service script, Container environment, s6-rc)",
    url: "https://github.com/just-containers/s6-overlay#writing-a-service-script",
    says: "Set the ENTRYPOINT to /init. A supervised service is a folder in /etc/services.d with a `run` file holding the long-lived process; with s6-overlay v3, s6-rc services are folders in /etc/s6-overlay/s6-rc.d with a `type` file (longrun or oneshot) and a `run` (longrun) or `up` (oneshot) file, started when the user bundle lists them (an empty file user/contents.d/<name>). Stage 2 runs the user bundle's services and the legacy /etc/services.d ones. A script gets the container's environment through the with-contenv helper (`#!/command/with-contenv sh`); S6_KEEP_ENV=1 keeps the environment for the whole supervision tree. A CMD is run as well, under s6.",
  },
  tiangoloStartScript: {
    title: "tiangolo/uvicorn-gunicorn-docker: docker-images/start.sh (the image's CMD)",
    url: "https://github.com/tiangolo/uvicorn-gunicorn-docker/blob/master/docker-images/start.sh",
    says: "The images' CMD is [\"/start.sh\"]; tiangolo/uvicorn-gunicorn-fastapi and -starlette are built FROM tiangolo/uvicorn-gunicorn and keep it. start.sh takes GUNICORN_CONF from /app/gunicorn_conf.py if it exists, else /app/app/gunicorn_conf.py, else /gunicorn_conf.py; APP_MODULE from MODULE_NAME (app.main when /app/app/main.py exists, else main) and VARIABLE_NAME (app); it sources PRE_START_PATH (default /app/prestart.sh) with `.` when the file exists, then runs \"exec gunicorn -k uvicorn.workers.UvicornWorker -c \\\"$GUNICORN_CONF\\\" \\\"$APP_MODULE\\\"\".",
  },
  tiangoloGunicornConf: {
    title: "tiangolo/uvicorn-gunicorn-docker: docker-images/gunicorn_conf.py (the image's /gunicorn_conf.py)",
    url: "https://github.com/tiangolo/uvicorn-gunicorn-docker/blob/master/docker-images/gunicorn_conf.py",
    says: "WORKERS_PER_CORE default \"1\"; cores = multiprocessing.cpu_count(); with WEB_CONCURRENCY set, workers = int(WEB_CONCURRENCY), else \"web_concurrency = max(int(default_web_concurrency), 2)\" (default_web_concurrency = workers_per_core * cores), then min(…, MAX_WORKERS) when MAX_WORKERS is set. bind = BIND, else HOST:PORT with HOST \"0.0.0.0\" and PORT \"80\"; TIMEOUT \"120\", GRACEFUL_TIMEOUT \"120\", KEEP_ALIVE \"5\". The README: \"if WORKERS_PER_CORE is 1 and the server has only 1 CPU core, instead of starting 1 single worker, it will start 2.\"",
  },

  systemdSyntax: {
    title: "systemd.syntax and systemd.exec, the man pages: unit file lines, Environment=, EnvironmentFile=",
    url: "https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#EnvironmentFile=",
    says: "systemd.syntax: \"Lines ending in a backslash are concatenated with the following line while reading and the backslash is replaced by a space character.\" Empty lines and lines starting with \"#\" or \";\" are ignored. systemd.exec: Environment= takes space-separated assignments, quoted when they hold spaces; EnvironmentFile= files hold KEY=VALUE lines, a path prefixed with \"-\" is ignored when missing, and \"Settings from these files override settings made with Environment=\". systemd.service: an empty ExecStart= resets the earlier ones; the prefixes \"-\", \"@\", \":\", \"+\", \"!\" change how the command runs, not what it is.",
  },
  systemdResourceControl: {
    title: "systemd.resource-control, the man page: CPUQuota=, MemoryMax=",
    url: "https://www.freedesktop.org/software/systemd/man/latest/systemd.resource-control.html",
    says: "CPUQuota=: \"The percentage specifies how much CPU time the unit shall get at maximum, relative to the total CPU time available on one CPU. Use values > 100% for allotting CPU time on more than one CPU.\" MemoryMax=: a hard limit, a size in bytes with K, M, G or T suffixes (base 1024), or \"infinity\" for none; MemoryLimit= is its deprecated older name (cgroup v1).",
  },

  // ---------------------------------------------------------------- nginx
  nginxWorkerProcesses: {
    title: "nginx core module: worker_processes",
    url: "https://nginx.org/en/docs/ngx_core_module.html#worker_processes",
    says: "Default: worker_processes 1. \"setting it to the number of available CPU cores would be a good start (the value 'auto' will try to autodetect it).\"",
  },
  nginxIfContext: {
    title: "nginx ngx_http_rewrite_module: if (and the contexts of the directives allowed in it)",
    url: "https://nginx.org/en/docs/http/ngx_http_rewrite_module.html#if",
    says: "if: \"Context: server, location\". break, return, rewrite, set: \"Context: server, location, if\". Directives of other modules are allowed in an if when their Context lists \"if in location\" (proxy_pass: \"location, if in location, limit_except\"; add_header, expires, root, limit_rate, access_log, error_page, gzip, sendfile, charset ...); in nginx's source that is the NGX_HTTP_LIF_CONF flag (NGX_HTTP_SIF_CONF for a server's if).",
  },
  nginxProxySetHeaderContext: {
    title: "nginx ngx_http_proxy_module: proxy_set_header",
    url: "https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header",
    says: "proxy_set_header: \"Context: http, server, location\" (no \"if in location\"); in src/http/modules/ngx_http_proxy_module.c its flags are NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2. In an if, nginx -t reports \"\\\"proxy_set_header\\\" directive is not allowed here\".",
  },
  nginxAutoCountsOnlineCpus: {
    title: "nginx source: worker_processes auto and ngx_ncpu (src/core/nginx.c, src/os/unix/ngx_posix_init.c)",
    url: "https://github.com/nginx/nginx/blob/master/src/os/unix/ngx_posix_init.c",
    says: "`worker_processes auto` sets \"ccf->worker_processes = ngx_ncpu;\" (nginx.c), and ngx_os_init sets \"ngx_ncpu = sysconf(_SC_NPROCESSORS_ONLN);\": the CPUs online on the host, which a cgroup CPU quota does not change.",
  },
  nginxImageAutotuneWorkers: {
    title: "Official nginx Docker image: entrypoint/30-tune-worker-processes.sh",
    url: "https://github.com/nginxinc/docker-nginx/blob/master/entrypoint/30-tune-worker-processes.sh",
    says: "With NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE set, the entrypoint rewrites worker_processes from the container's cgroup CPU quota, \"ncpu=$( ceildiv \"$cfs_quota\" \"$cfs_period\" )\" (quota / period rounded up), or its cpuset.",
  },
  nginxCgroupAwareAutoPending: {
    title: "nginx issue #855 \"Make worker_processes cgroup-Compatible\" and pull request #910",
    url: "https://github.com/nginx/nginx/issues/855",
    says: "Open (checked December 2026): \"Currently, if one uses `worker_processes auto;`, nginx uses `sysconf(_SC_NPROCESSORS_ONLN)`\". The open PR #910 \"Better determination of runnable CPU count\" would use sched_getaffinity(2), which counts a cpuset but not a CPU quota; a comment on #855 notes it \"will not help for container environments like Kubernetes\" that limit with cgroup quotas.",
  },
  nginxAutoOomOnLargeNode: {
    title: "nginx-gateway-fabric issue #5374: make worker_processes respect container CPU limits",
    url: "https://github.com/nginx/nginx-gateway-fabric/issues/5374",
    says: "With `worker_processes auto;`, a data plane container limited to 2 CPUs and 2Gi on a node with 128 CPUs \"attempted to start a very large number of worker processes\" and, with workerConnections 65535, \"was repeatedly OOMKilled during startup\".",
  },
  nginxWorkerPreallocatesConnections: {
    title: "nginx source: ngx_event_process_init (src/event/ngx_event.c)",
    url: "https://github.com/nginx/nginx/blob/master/src/event/ngx_event.c",
    says: "Each worker process, at start, allocates its own connection array and read and write events for all its connections: \"ngx_alloc(sizeof(ngx_connection_t) * cycle->connection_n, cycle->log)\" (connection_n is worker_connections).",
  },
  nginxWorkerConnections: {
    title: "nginx core module: worker_connections",
    url: "https://nginx.org/en/docs/ngx_core_module.html#worker_connections",
    says: "Default: worker_connections 512. \"this number includes all connections (e.g. connections with proxied servers, among others), not only connections with clients. Another consideration is that the actual number of simultaneous connections cannot exceed the current limit on the maximum number of open files, which can be changed by worker_rlimit_nofile.\"",
  },
  nginxMaxClientsFormula: {
    title: "nginx (legacy wiki, EventsModule) - max_clients",
    url: "https://nginx.org/en/docs/ngx_core_module.html#worker_connections",
    says: "UNCONFIRMED at a primary source: \"max_clients = worker_processes * worker_connections\" (divided further when reverse proxying) comes from the old nginx wiki, widely copied. The official doc only says worker_connections counts proxied connections too, so a proxied request holds 2 (client + upstream).",
  },
  nginxWorkerRlimitNofile: {
    title: "nginx core module: worker_rlimit_nofile",
    url: "https://nginx.org/en/docs/ngx_core_module.html#worker_rlimit_nofile",
    says: "No default. \"Changes the limit on the maximum number of open files (RLIMIT_NOFILE) for worker processes.\"",
  },
  nginxPackagedConfNginxOrg: {
    title: "nginx.org packages (pkg-oss): shipped nginx.conf",
    url: "https://github.com/nginx/pkg-oss",
    says: "The nginx.org package config sets worker_processes auto; worker_connections 1024; keepalive_timeout 65. (Checked in pkg-oss rpm/SOURCES/nginx-quic.nginx.conf; the standard one is assumed identical.)",
  },
  nginxPackagedConfDebian: {
    title: "Debian/Ubuntu nginx package: /etc/nginx/nginx.conf",
    url: "https://salsa.debian.org/nginx-team/nginx/-/blob/main/debian/conf/nginx.conf",
    says: "SECONDARY (many verbatim copies, primary file not fetched): worker_processes auto; events { worker_connections 768; }.",
  },
  nginxKeepaliveTimeout: {
    title: "nginx http core module: keepalive_timeout",
    url: "https://nginx.org/en/docs/http/ngx_http_core_module.html#keepalive_timeout",
    says: "Default: keepalive_timeout 75s.",
  },
  nginxClientMaxBodySize: {
    title: "nginx http core module: client_max_body_size",
    url: "https://nginx.org/en/docs/http/ngx_http_core_module.html#client_max_body_size",
    says: "Default: client_max_body_size 1m. \"If the size in a request exceeds the configured value, the 413 (Request Entity Too Large) error is returned to the client.\" \"Setting size to 0 disables checking\".",
  },
  nginxProxyTimeouts: {
    title: "nginx proxy module: proxy_connect_timeout / proxy_send_timeout / proxy_read_timeout",
    url: "https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_read_timeout",
    says: "Defaults: proxy_connect_timeout 60s (\"this timeout cannot usually exceed 75 seconds\"), proxy_send_timeout 60s, proxy_read_timeout 60s; send/read timeouts apply \"only between two successive\" operations, \"not for the transmission of the whole response\".",
  },
  nginxUwsgiReadTimeout: {
    title: "nginx uwsgi module: uwsgi_pass / uwsgi_read_timeout",
    url: "https://nginx.org/en/docs/http/ngx_http_uwsgi_module.html#uwsgi_read_timeout",
    says: "uwsgi_pass [protocol://]address: \"The address can be specified as a domain name or IP address, and a port\" or \"as a server group\"; protocol uwsgi or suwsgi. uwsgi_read_timeout default 60s: \"Defines a timeout for reading a response from the uwsgi server.\"",
  },
  uwsgiEnvironment: {
    title: "uWSGI: Configuring uWSGI - Environment variables; core/uwsgi.c parse_sys_envs",
    url: "https://uwsgi-docs.readthedocs.io/en/latest/Configuration.html#environment-variables",
    says: "\"When passed as environment variables, options are capitalized and prefixed with UWSGI_, and dashes are substituted with underscores.\" Example: \"UWSGI_SOCKET=127.0.0.1 UWSGI_MASTER=1 UWSGI_WORKERS=3 uwsgi\". core/uwsgi.c reads the environment (parse_sys_envs) before the command line (uwsgi_commandline_config), and a later value of an option overrides an earlier one.",
  },
  uwsgiMagicCpuCores: {
    title: "uWSGI: Configuring uWSGI - Magic variables, Placeholders math; core/uwsgi.c",
    url: "https://uwsgi-docs.readthedocs.io/en/latest/Configuration.html#magic-variables",
    says: "Magic variables: \"%k the number of detected cpu cores\". Placeholders math: \"total = %(foo + bar + 3)\". core/uwsgi.c sets the count from sysconf(_SC_NPROCESSORS_ONLN) and logs \"detected number of CPU cores\": the machine's online CPUs, not a cgroup quota.",
  },
  uwsgiGevent: {
    title: "uWSGI: The Gevent loop engine",
    url: "https://uwsgi-docs.readthedocs.io/en/latest/Gevent.html",
    says: "\"uwsgi --gevent 100 --socket :3031 --module myapp\" \"the argument of --gevent is the number of async cores to spawn\". \"uWSGI multithread mode (threads option) will not work with Gevent.\" Each async core serves one request at a time in a greenlet of its own, so a process serves up to N requests at once.",
  },
  uwsgiCheaper: {
    title: "uWSGI source: core/uwsgi.c, cheaper checks",
    url: "https://github.com/unbit/uwsgi/blob/master/core/uwsgi.c",
    says: "\"if (uwsgi.cheaper_count > 0 && uwsgi.cheaper_count >= uwsgi.numproc) { uwsgi_log(\"invalid cheaper value: must be lower than processes\\n\"); exit(1); }\"",
  },
  uwsgiHarakiri: {
    title: "uWSGI Glossary: harakiri",
    url: "https://uwsgi-docs.readthedocs.io/en/latest/Glossary.html",
    says: "\"A feature of uWSGI that aborts workers that are serving requests for an excessively long time. [...] Every request that will take longer than the seconds specified in the harakiri timeout will be dropped and the corresponding worker recycled.\" Off unless set.",
  },
  nginxUpstreamKeepalive: {
    title: "nginx upstream module: keepalive",
    url: "https://nginx.org/en/docs/http/ngx_http_upstream_module.html#keepalive",
    says: "\"sets the maximum number of idle keepalive connections to upstream servers that are preserved in the cache of each worker process.\" \"the keepalive directive does not limit the total number of connections to upstream servers\". Before 1.29.7: \"For HTTP, the proxy_http_version directive should be set to '1.1' and the 'Connection' header field should be cleared\".",
  },
  nginxUpstreamKeepaliveDefault1297: {
    title: "NGINX blog: Keep-alive to upstreams is now default in NGINX 1.29.7",
    url: "https://nginxblog.azurewebsites.net/blog/keep-alive-to-upstreams-is-now-default-in-nginx-1-29-7",
    says: "\"Before version 1.29.7, NGINX used HTTP/1.0 by default for connecting to HTTP upstream servers.\" \"With version 1.29.7, released in March 2026, we changed the default behavior of HTTP proxying to use HTTP/1.1 with keep-alive.\" Upstream doc (quoted secondhand): \"Since 1.29.7, keepalive connections are enabled by default, with a default limit of 32 connections per each worker process.\" Stable 1.30.0 (April 2026) carries it.",
  },
  nginxUpstreamKeepaliveTimeout: {
    title: "nginx upstream module: keepalive_timeout",
    url: "https://nginx.org/en/docs/http/ngx_http_upstream_module.html#keepalive_timeout",
    says: "Default: keepalive_timeout 60s (upstream context); keepalive_requests 1000; keepalive_time 1h.",
  },
  nginxUpstreamMaxFails: {
    title: "nginx upstream module: server max_fails / fail_timeout",
    url: "https://nginx.org/en/docs/http/ngx_http_upstream_module.html#server",
    says: "max_fails: \"By default, the number of unsuccessful attempts is set to 1.\" fail_timeout: \"By default, the parameter is set to 10 seconds.\" \"If there is only a single server in a group, max_fails, fail_timeout and slow_start parameters are ignored\".",
  },

  // ---------------------------------------------------------------- AWS App Runner / ALB
  appRunnerAvailability: {
    title: "AWS App Runner availability change",
    url: "https://docs.aws.amazon.com/apprunner/latest/dg/apprunner-availability-change.html",
    says: "\"AWS App Runner will no longer be open to new customers starting April 30, 2026.\" \"Existing customers can continue to use the service as normal.\"",
  },
  appRunnerCpuPattern: {
    title: "App Runner API: InstanceConfiguration - Cpu",
    url: "https://docs.aws.amazon.com/apprunner/latest/api/API_InstanceConfiguration.html",
    says: "\"Default: 1 vCPU\". \"Pattern: 256|512|1024|2048|4096|(0.25|0.5|1|2|4) vCPU\" (length 3-9).",
  },
  appRunnerMemoryPattern: {
    title: "App Runner API: InstanceConfiguration - Memory",
    url: "https://docs.aws.amazon.com/apprunner/latest/api/API_InstanceConfiguration.html",
    says: "\"Default: 2 GB\". \"Pattern: 512|1024|2048|3072|4096|6144|8192|10240|12288|(0.5|1|2|3|4|6|8|10|12) GB\" (length 3-6).",
  },
  appRunnerCpuMemoryCombos: {
    title: "AWS CDK: @aws-cdk/aws-apprunner-alpha Memory",
    url: "https://docs.aws.amazon.com/cdk/api/v2/docs/@aws-cdk_aws-apprunner-alpha.Memory.html",
    says: "HALF_GB \"0.5 GB(for 0.25 vCPU)\"; ONE_GB \"1 GB(for 0.25 or 0.5 vCPU)\"; TWO_GB \"2 GB(for 1 vCPU)\"; THREE_GB \"3 GB(for 1 vCPU)\"; FOUR_GB \"4 GB(for 1 or 2 vCPU)\"; SIX_GB \"6 GB(for 2 vCPU)\"; EIGHT_GB \"8 GB(for 4 vCPU)\"; TEN_GB \"10 GB(for 4 vCPU)\"; TWELVE_GB \"12 GB(for 4 vCPU)\".",
  },
  appRunnerPortDefault: {
    title: "App Runner API: ImageConfiguration - Port",
    url: "https://docs.aws.amazon.com/apprunner/latest/api/API_ImageConfiguration.html",
    says: "\"The port that your application listens to in the container. Default: 8080\".",
  },
  appRunnerAutoScalingDefaults: {
    title: "App Runner API: CreateAutoScalingConfiguration",
    url: "https://docs.aws.amazon.com/apprunner/latest/api/API_CreateAutoScalingConfiguration.html",
    says: "MaxConcurrency \"Default: 100\"; MinSize \"Default: 1\"; MaxSize \"Default: 25\". \"If the number of concurrent requests exceeds this limit, App Runner scales up your service.\"",
  },
  appRunnerRequestTimeout: {
    title: "App Runner: Developing application code - Runtime information",
    url: "https://docs.aws.amazon.com/apprunner/latest/dg/develop.html",
    says: "\"There is a total of 120 seconds request timeout limit on the HTTP requests.\" \"such as the HTTP server for Python, Gunicorn, has a 30 second default timeout limit. In such cases, the application's timeout limit overrides the App Runner 120 second timeout limit.\"",
  },
  appRunnerConfigFile: {
    title: "App Runner: Configuration file reference (apprunner.yaml)",
    url: "https://docs.aws.amazon.com/apprunner/latest/dg/config-file-ref.html",
    says: "\"Name it apprunner.yaml, and place it in the source directory\". Top keys version (e.g. 1.0) and runtime; build and run sections; run has command, network (port), env. \"Configuration files are applicable only to services that are based on source code.\" network.env: \"If specified, App Runner passes the port number to the container in this environment variable, in addition to (not instead of) passing the same port number in the default environment variable, `PORT`.\" network.port: \"The default is `8080`.\"",
  },
  albIdleTimeout: {
    title: "ELB: Edit attributes for your Application Load Balancer - Connection idle timeout",
    url: "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout",
    says: "\"By default, ELB sets the idle timeout value for your load balancer to 60 seconds.\" \"We also recommend that you configure the idle timeout of your application to be larger than the idle timeout configured for the load balancer. Otherwise ... the load balancer sends an HTTP 502 Bad Gateway error to the client.\"",
  },

  // ---------------------------------------------------------------- Docker Compose
  composeDefaultFiles: {
    title: "Docker docs: Merge Compose files",
    url: "https://docs.docker.com/compose/how-tos/multiple-compose-files/merge/",
    says: "\"By default, Compose reads two files, a compose.yaml and an optional compose.override.yaml file.\" (docker-compose.yml / docker-compose.override.yml are the older names, still read.)",
  },
  composeMergeCommandReplaced: {
    title: "Compose file reference: Merge - Shell commands",
    url: "https://docs.docker.com/reference/compose-file/merge/#shell-commands",
    says: "\"When merging Compose files that use the services attributes command, entrypoint and healthcheck: test, the value is overridden by the latest Compose file, and not appended.\"",
  },
  composeCommandReplacesImageCmd: {
    title: "Compose file reference: Services - command",
    url: "https://docs.docker.com/reference/compose-file/services/#command",
    says: "\"`command` overrides the default command declared by the container image, for example by Dockerfile's `CMD`.\"",
  },
  composeEntrypointDropsImageCmd: {
    title: "Compose file reference: Services - entrypoint",
    url: "https://docs.docker.com/reference/compose-file/services/#entrypoint",
    says: "\"This overrides the `ENTRYPOINT` instruction from the service's Dockerfile. If `entrypoint` is non-null, Compose ignores any default command from the image, for example the `CMD` instruction in the Dockerfile.\"",
  },
  composeMergeEnvironment: {
    title: "Docker docs: Merge Compose files - Merging rules",
    url: "https://docs.docker.com/compose/how-tos/multiple-compose-files/merge/#merging-rules",
    says: "\"In the case of environment, labels, volumes, and devices, Compose 'merges' entries together with locally defined values taking precedence. For environment and labels, the environment variable or label name determines which value is used\".",
  },
  composeEnvPrecedence: {
    title: "Docker docs: Environment variables precedence in Docker Compose",
    url: "https://docs.docker.com/compose/how-tos/environment-variables/envvars-precedence/",
    says: "Highest to lowest: \"docker compose run -e\" in the CLI; environment or env_file with a value interpolated from the shell or an environment file; \"Set using just the environment attribute in the Compose file\"; \"Use of the env_file attribute in the Compose file\"; \"Set in a container image in the ENV directive.\"",
  },
  composeDeployCpus: {
    title: "Compose Deploy Specification: resources - cpus",
    url: "https://docs.docker.com/reference/compose-file/deploy/#cpus",
    says: "\"cpus configures a limit or reservation for how much of the available CPU resources, as number of cores, a container can use.\" limits: \"The platform must prevent the container from allocating more resources.\"",
  },
  dockerCpusQuota: {
    title: "Docker docs: Resource constraints - CPU (--cpus)",
    url: "https://docs.docker.com/engine/containers/resource_constraints/#configure-the-default-cfs-scheduler",
    says: "--cpus=<value>: \"Specify how much of the available CPU resources a container can use. For instance, if the host machine has two CPUs and you set --cpus=\"1.5\", the container is guaranteed at most one and a half of the CPUs. This is the equivalent of setting --cpu-period=\"100000\" and --cpu-quota=\"150000\".\" --cpu-period: \"Defaults to 100000 microseconds (100 milliseconds).\"",
  },
  composeCpuset: {
    title: "Compose file reference: services - cpuset",
    url: "https://docs.docker.com/reference/compose-file/services/#cpuset",
    says: "\"cpuset defines the explicit CPUs in which to permit execution. Can be a range 0-3 or a list 0,1\"",
  },
  dockerCpusetCpus: {
    title: "Docker docs: Resource constraints - CPU (--cpuset-cpus)",
    url: "https://docs.docker.com/engine/containers/resource_constraints/#configure-the-default-cfs-scheduler",
    says: "--cpuset-cpus: \"Limit the specific CPUs or cores a container can use. A comma-separated list or hyphen-separated range of CPUs a container can use, if you have more than one CPU. The first CPU is numbered 0. A valid value might be 0-3 (to use the first, second, third, and fourth CPU) or 1,3 (to use the second and fourth CPU).\"",
  },
  rubyEtcNprocessors: {
    title: "Ruby docs: Etc.nprocessors",
    url: "https://docs.ruby-lang.org/en/master/Etc.html#method-c-nprocessors",
    says: "\"Returns the number of online processors.\" Implemented with \"sched_getaffinity(): Linux\"; \"The result might be smaller number than physical cpus especially when ruby process is bound to specific cpus.\" concurrent-ruby's processor_count uses it since concurrent-ruby#814 (2019); physical_processor_count reads /proc/cpuinfo.",
  },
  composeDeployMemory: {
    title: "Compose Deploy Specification: resources - memory",
    url: "https://docs.docker.com/reference/compose-file/deploy/#memory",
    says: "\"memory configures a limit or reservation on the amount of memory a container can allocate, set as a string expressing a byte value.\" (mem_limit is the service-level form.)",
  },
  composeBuildDockerfile: {
    title: "Compose Build Specification: dockerfile",
    url: "https://docs.docker.com/reference/compose-file/build/#dockerfile",
    says: "\"dockerfile sets an alternate Dockerfile. A relative path is resolved from the build context.\"",
  },
  composeBuildTarget: {
    title: "Compose Build Specification: target",
    url: "https://docs.docker.com/reference/compose-file/build/#target",
    says: "\"target defines the stage to build as defined inside a multi-stage Dockerfile.\"",
  },
  composeScaleReplicas: {
    title: "Compose file reference: services - scale",
    url: "https://docs.docker.com/reference/compose-file/services/#scale",
    says: "\"scale specifies the default number of containers to deploy for this service. When both are set, scale must be consistent with the replicas attribute in the Deploy Specification.\"",
  },
  composeInterpolationDefault: {
    title: "Compose file reference: Interpolation",
    url: "https://docs.docker.com/reference/compose-file/interpolation/",
    says: "\"${VAR:-default} -> value of VAR if set and non-empty, otherwise default\"; \"${VAR-default} -> value of VAR if set, otherwise default\". \"You can use a $$ (double-dollar sign) when your configuration needs a literal dollar sign. This also prevents Compose from interpolating a value.\" The values come from the shell and the project's .env (or --env-file).",
  },
  composeDotEnvInterpolation: {
    title: "Docker docs: Set environment variables within your container's environment",
    url: "https://docs.docker.com/compose/how-tos/environment-variables/set-environment-variables/",
    says: "\"A container's environment is not set until there's an explicit entry in the service configuration to make this happen.\" The .env file feeds interpolation of the Compose file (the $VAR and braced forms); it reaches a container only via environment or env_file.",
  },

  posixDefaultValue: {
    title: "POSIX Shell Command Language: Parameter Expansion",
    url: "https://pubs.opengroup.org/onlinepubs/009695399/utilities/xcu_chap02.html#tag_02_06_02",
    says: "\"${parameter:-word} Use Default Values. If parameter is unset or null, the expansion of word shall be substituted; otherwise, the value of parameter shall be substituted.\"",
  },

  // ---------------------------------------------------------------- Python / Linux
  pythonCpuCount: {
    title: "Python docs: os.cpu_count()",
    url: "https://docs.python.org/3/library/os.html#os.cpu_count",
    says: "\"Return the number of logical CPUs in the system. Returns None if undetermined.\" (multiprocessing.cpu_count() is the same number.) 3.13: -X cpu_count / PYTHON_CPU_COUNT override it.",
  },
  pythonProcessCpuCount: {
    title: "Python docs: os.process_cpu_count() (3.13+)",
    url: "https://docs.python.org/3/library/os.html#os.process_cpu_count",
    says: "\"Get the number of logical CPUs usable by the calling thread of the current process. Returns None if undetermined. It can be less than cpu_count() depending on the CPU affinity.\" (affinity only, not CFS quota)",
  },
  coreutilsNproc: {
    title: "GNU coreutils manual: nproc invocation",
    url: "https://www.gnu.org/software/coreutils/manual/html_node/nproc-invocation.html",
    says: "\"Print the number of processing units available to the current process, which may be less than the number of online processors.\" \"--all: Print the number of installed processors\". Available means the CPU affinity (a cpuset), not a CFS quota. Quotas came to coreutils in 2025 (its test tests/nproc/nproc-quota.sh: \"Ensure that nproc honors cgroup quotas\", Copyright (C) 2025); Debian 12 ships coreutils 9.1, and busybox's nproc reads the affinity only.",
  },
  pythonCpuCountCgroups: {
    title: "CPython issue #80235: os.cpu_count() should return a count assigned to a container",
    url: "https://github.com/python/cpython/issues/80235",
    says: "Closed without reading cgroup quotas; a 2026 follow-up (#149452, open) asks for os.process_cpu_count() to take cgroups CPU limits into account, citing the maintainer view that \"Linux cgroups CPU limits are not directly related to a whole number of CPU\".",
  },
  linuxNofileDefault: {
    title: "Lennart Poettering: File Descriptor Limits (systemd)",
    url: "http://0pointer.net/blog/file-descriptor-limits.html",
    says: "SECONDARY summary (golang/go#46279 and systemd commit): systemd sets the RLIMIT_NOFILE soft limit to 1024 \"for compatibility reasons, to not break select users\" and the hard limit to 512K (524288, systemd 240+); the kernel default is \"1024 fds\".",
  },
  dockerContainerNofileDefault: {
    title: "moby/moby#51485: LimitNOFILE is silently changed to the host soft limit with the new containerd (Docker Engine 29)",
    url: "https://github.com/moby/moby/issues/51485",
    says: "With Docker Engine 29 and containerd 2.1.5, `docker run ubuntu bash -c 'ulimit -n'` returns 1024; with containerd 1.7.29 it returned 1048576 (\"the number may be different depending on the host\"). The v29 release notes document the change (docker/docs#23730); Docker 25 had already dropped LimitNOFILE=infinity from docker.service (moby/moby#45534: systemd's default, \"1024:524288 on current versions of systemd\").",
  },
  composeUlimits: {
    title: "Compose file reference: Services - ulimits",
    url: "https://docs.docker.com/reference/compose-file/services/#ulimits",
    says: "\"`ulimits` overrides the default ulimits for a container. It's specified either as an integer for a single limit or as mapping for soft/hard limits.\" (`nofile: { soft: 20000, hard: 40000 }`)",
  },
  linuxConnectionIsFd: {
    title: "SQLAlchemy: Using Connection Pools with Multiprocessing or os.fork()",
    url: "https://docs.sqlalchemy.org/en/20/core/pooling.html#using-connection-pools-with-multiprocessing-or-os-fork",
    says: "\"TCP connections are represented as file descriptors\". nginx: the number of connections \"cannot exceed the current limit on the maximum number of open files\".",
  },

  // ---------------------------------------------------------------- memory per worker
  pythonWorkerMemory: {
    title: "No authoritative figure for gunicorn/uvicorn worker memory",
    url: "https://fastapi.tiangolo.com/deployment/docker/#memory",
    says: "UNCONFIRMED: no gunicorn, uvicorn or FastAPI document gives a per-worker memory figure; FastAPI only says each process has its own memory. Treat MB-per-worker as a configurable assumption. (Puma, by contrast, documents ~512MB-1GB per worker: see pumaMemoryPerWorker.)",
  },

  // ---------------------------------------------------------------- Render
  renderPort: {
    title: "Render Tutorials: Web service or static site? (Web services: Rule 1, bind 0.0.0.0 and listen on $PORT)",
    url: "https://render.com/tutorials/web-service-vs-static-site/web-services",
    says: "\"Listen on the port in the PORT environment variable. Render sets PORT for you, defaulting to 10000.\" \"Bind to 0.0.0.0 (all interfaces), not localhost or 127.0.0.1. The proxy isn't on the same loopback interface as your app\".",
  },
  renderBlueprintDefaults: {
    title: "Render: Blueprint YAML Reference",
    url: "https://render.com/docs/blueprint-spec",
    says: "\"plan: standard # Default: starter\"; \"numInstances: 3 # Manual scaling configuration. Default: 1 for new services\"; `scaling: minInstances / maxInstances`; \"dockerCommand: ./webdis.sh # optional (defaults to Dockerfile command)\"; envVars entries with `value`, `fromDatabase: { name, property: connectionString }`, `fromGroup`.",
  },
  renderInstanceTypes: {
    title: "Render: Limits and Pricing for Render Workflows - Instance types (compute specs)",
    url: "https://render.com/docs/workflows-limits",
    says: "\"starter 0.5 CPU 512 MB RAM\"; \"standard 1 CPU 2 GB RAM\"; \"pro 2 CPU 4 GB RAM\"; \"pro_plus 4 CPU 8 GB RAM\"; pro_max 16 GB RAM and pro_ultra 32 GB RAM, their CPUs given as 4 and 8 in one revision of the page and 8 and 16 in another (so Headroom leaves those two CPU counts unknown). SECONDARY for web services: the same instance type names as services' `plan`; the pricing page itself was not read.",
  },
  renderPostgresConnectionLimits: {
    title: "Render tutorials: Postgres on Render - Connection limits and pooling",
    url: "https://render.com/tutorials/postgres-on-render/connection-limits-and-pooling",
    says: "\"Maximum concurrent connections scale with the database's RAM\": \"< 8 GB 100\", \"8 GB <= memory < 16 GB 200\", \"16 GB <= memory < 32 GB 400\", \">= 32 GB 500\"; \"These are the caps for current-generation plans. Legacy instance types have lower limits (97 / 197 / 397)\".",
  },

  // ---------------------------------------------------------------- Kamal
  kamalRoles: {
    title: "Kamal: Roles",
    url: "https://kamal-deploy.org/docs/configuration/roles",
    says: "\"Roles are specified under the servers key\"; a role \"can be a list of hosts if you don't need custom configuration for the role\"; \"When there are other options to set, the list of hosts goes under the hosts key.\" \"You can also set a custom cmd to run in the container\"; `options: memory: 2g, cpus: 4`. A plain list of servers is the web role (\"Kamal expects there to be a web role\").",
  },

  // ---------------------------------------------------------------- Fly.io
  flyMachineSizes: {
    title: "Fly.io: Machine Sizing",
    url: "https://fly.io/docs/machines/guides-examples/machine-sizing",
    says: "\"Each CPU selection defaults to a specific amount of memory.\" \"Minimum memory is `256m * shared CPU size` or `2048m * performance CPU size`.\" \"a `performance-2x` machine (2 CPU, 4gb memory)\".",
  },
  flyDefaultMachineSize: {
    title: "Fly.io: Scale Machine CPU and RAM",
    url: "https://fly.io/docs/apps/scale-machine",
    says: "\"The [[vm]] section in fly.toml: The fly deploy and fly scale count commands respect the VM size configurations in your app's fly.toml file.\" \"Default Machine size of shared-cpu-1x: If no VM size is set in fly.toml, and there are no existing Machines to infer size from, then the default Machine size is used.\"",
  },
  flyMachinesAreVms: {
    title: "Fly.io: Run User Code on Fly Machines",
    url: "https://fly.io/docs/app-guides/functions-with-machines/",
    says: "\"Fly Machines are Firecracker VMs with a fast REST API that can boot instances in about 300ms\".",
  },
  flyConcurrency: {
    title: "Fly.io: Guidelines for concurrency settings",
    url: "https://fly.io/docs/apps/concurrency",
    says: "\"Concurrency settings are used by Fly Proxy for important things like load balancing and autostop/autostart for Machines.\" \"`hard_limit`: At or above this number, no new traffic goes to the Machine.\" \"`soft_limit`: At or above this number, traffic to the Machine is deprioritized.\" \"The default concurrency settings when not specified are a `soft_limit` of 20 and no `hard_limit`.\" \"`connections` is the default concurrency type.\"",
  },
} as const satisfies Record<string, Source>;

export type SourceKey = keyof typeof SOURCES;
