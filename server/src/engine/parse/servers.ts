// Recognise web and job server invocations in a command's words and read their options.
//
// Input is a list of already-split words (the shell parser's `ShellWord`s are assignable to
// `CommandWord`). Nothing here executes anything: option tables are written down from each
// tool's documentation, and for gunicorn they are checked against gunicorn's own argparse
// parser by test/unit/servers-gunicorn-oracle.test.ts.
//
// Option names: `ServerOption.name` is the name the tool itself uses for the setting in its
// config file or API, so a rule can merge a command line with a config file read elsewhere:
//   gunicorn  → the setting name in gunicorn.conf.py (`workers`, `worker_class`, `keepalive`)
//   uvicorn   → the `uvicorn.run()` keyword (`workers`, `timeout_keep_alive`)
//   hypercorn → the config key (`workers`, `keep_alive_timeout`)
//   puma      → the config DSL method (`workers`, `threads`, `bind`)
//   sidekiq   → the sidekiq.yml key (`concurrency`, `queues`)
//   celery    → the `celery worker` parameter (`concurrency`, `pool`, `autoscale`)
//   uwsgi     → the ini key (`processes`, `threads`, `http-socket`)
//   others    → the long flag without dashes, `-` turned into `_`.
//
// Word handling:
// - `--flag=value`: the option's `flag` is the whole word and its `value` is a word of its own
//   whose span covers only the text after `=` (same for a short flag with its value attached,
//   `-w4`, `-w=4` where the tool accepts it). Removing an option therefore means removing
//   `flag.start` .. `(value ?? flag).end`.
// - Short flags can be clustered (`-Dw4` = `-D -w 4`) where the tool's parser allows it.
// - argparse-based tools (gunicorn, hypercorn, daphne) and Ruby's OptionParser (puma, unicorn,
//   sidekiq) accept any unambiguous prefix of a long option (`--thread 4`); click-based tools
//   (uvicorn, granian, celery) do not.
// - A boolean flag given a value (`--reload=yes`) keeps the value so a rule can report it (the
//   tools themselves reject it). An option that needs a value but ends the command has none.
// - `--` ends the options; every later word is a positional.

import type { Fact, SourceRef, Span } from "../types.ts";
import { factForSlice } from "./shell.ts";

/** A word of a command (the shell parser's `ShellWord` is assignable to this). */
export interface CommandWord {
  /** The word's text after quote removal (and expansion, where the word could be resolved). */
  value: string;
  /** Offsets of the word as written in the file. */
  start: number;
  end: number;
  fact: Fact<string>;
  /** The word as written, quotes included, when known: used to place spans inside the word. */
  raw?: string;
  /** The file the word is written in, when its fact may lie elsewhere (a variable's value). */
  file?: string;
  /** The value piece by piece, each with its own origin, when it was expanded (ShellWord.pieces; an interpolated compose list item). */
  pieces?: Fact<string>[];
}

export type ServerKind =
  | "gunicorn"
  | "uvicorn"
  | "hypercorn"
  | "daphne"
  | "granian"
  | "puma"
  | "unicorn"
  | "rails"
  | "sidekiq"
  | "solid_queue"
  | "good_job"
  | "celery"
  | "uwsgi";

export interface ServerOption {
  /** Canonical name (see the header of this file), e.g. "workers". */
  name: string;
  /** The word holding the flag (for `--flag=value` and `-w4`, the whole word). */
  flag: CommandWord;
  /** Absent for boolean flags and for a value-taking flag that ends the command. */
  value?: CommandWord;
}

export interface ServerInvocation {
  server: ServerKind;
  /** The word naming the server (e.g. `gunicorn`, or `uvicorn` after `python -m`). */
  program: CommandWord;
  /** The sub-command that makes this a server: `server`/`s` for rails, `worker` for celery, `run` for the FastAPI CLI. */
  subcommand?: CommandWord;
  /** Wrapper words before the program: `python -m`, `bundle exec`, `ddtrace-run`, `exec`, … */
  runner: CommandWord[];
  /** In order; later repeats win, as with argparse. */
  options: ServerOption[];
  /** App module, rackup file, config file… */
  positionals: CommandWord[];
  /** Flags not in the table, or ambiguous prefixes (kept for a rule to report). */
  unknown: CommandWord[];
  /**
   * Options the tool would refuse as written: a value-taking flag with no value (last word, or,
   * for argparse tools, followed by something that looks like an option: `--name -w 2`), or a
   * boolean flag given a value (`--reload=yes`). They are in `options` as well.
   */
  invalid: CommandWord[];
  /** The last word, for fixes that append. */
  end: CommandWord | undefined;
  /**
   * The server is started by a call in a Python file (`uvicorn.run(...)` in the main.py `python main.py` runs,
   * model/python-main.ts): the options are its keyword arguments, and the variables only the server's command
   * line reads (UVICORN_*) do not apply.
   */
  call?: SourceRef;
}

/** How an option takes its value. `optional`: only when attached (`--fork-worker=1000`). */
export type Arity = "flag" | "value" | "optional";

export interface OptionSpec {
  name: string;
  flags: string[];
  arity: Arity;
  /** First version of the tool that has the option (absent: long-standing). */
  since?: string;
  /** First version that no longer has it. */
  until?: string;
}

export type ParserStyle = "argparse" | "click" | "ruby-optparse" | "thor" | "uwsgi";

export interface ServerTable {
  server: ServerKind;
  /** Which documentation (and version) the table follows. */
  docs: string;
  style: ParserStyle;
  options: OptionSpec[];
}

const v = (name: string, flags: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({
  name,
  flags: flags.split(" "),
  arity: "value",
  ...extra,
});
const f = (name: string, flags: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({
  name,
  flags: flags.split(" "),
  arity: "flag",
  ...extra,
});

// gunicorn — follows the settings reference of gunicorn 23.0.0 (docs.gunicorn.org/en/stable/
// settings.html, Aug 2024), plus options added in 24.x/25.x marked with `since`. Checked option
// by option against the argparse parser of Debian 12's gunicorn 20.1.0 by the oracle test
// (options with `since` newer than the installed version are skipped there).
// Note: there is no `--keepalive` flag (only `--keep-alive`; `keepalive` is the config-file
// name), and argparse accepts unambiguous prefixes, so `--keep 5` sets keepalive.
export const GUNICORN: ServerTable = {
  server: "gunicorn",
  docs: "gunicorn 23.0.0 settings reference (+ 24.x/25.x options marked since)",
  style: "argparse",
  options: [
    f("help", "-h --help"),
    f("version", "-v --version"),
    v("config", "-c --config"),
    v("bind", "-b --bind"),
    v("backlog", "--backlog"),
    v("workers", "-w --workers"),
    v("worker_class", "-k --worker-class"),
    v("threads", "--threads"),
    v("worker_connections", "--worker-connections"),
    v("max_requests", "--max-requests"),
    v("max_requests_jitter", "--max-requests-jitter"),
    v("timeout", "-t --timeout"),
    v("graceful_timeout", "--graceful-timeout"),
    v("keepalive", "--keep-alive"),
    v("limit_request_line", "--limit-request-line"),
    v("limit_request_fields", "--limit-request-fields"),
    v("limit_request_field_size", "--limit-request-field_size"),
    f("reload", "--reload"),
    v("reload_engine", "--reload-engine"),
    v("reload_extra_files", "--reload-extra-file"),
    f("spew", "--spew"),
    f("check_config", "--check-config"),
    f("print_config", "--print-config"),
    f("preload_app", "--preload"),
    f("sendfile", "--no-sendfile"),
    f("reuse_port", "--reuse-port"),
    v("chdir", "--chdir"),
    f("daemon", "-D --daemon"),
    v("raw_env", "-e --env"),
    v("pidfile", "-p --pid"),
    v("worker_tmp_dir", "--worker-tmp-dir"),
    v("user", "-u --user"),
    v("group", "-g --group"),
    v("umask", "-m --umask"),
    f("initgroups", "--initgroups"),
    v("forwarded_allow_ips", "--forwarded-allow-ips"),
    v("accesslog", "--access-logfile"),
    f("disable_redirect_access_to_syslog", "--disable-redirect-access-to-syslog"),
    v("access_log_format", "--access-logformat"),
    v("errorlog", "--error-logfile --log-file"),
    v("loglevel", "--log-level"),
    f("capture_output", "--capture-output"),
    v("logger_class", "--logger-class"),
    v("logconfig", "--log-config"),
    v("logconfig_json", "--log-config-json", { since: "21.0" }),
    v("syslog_addr", "--log-syslog-to"),
    f("syslog", "--log-syslog"),
    v("syslog_prefix", "--log-syslog-prefix"),
    v("syslog_facility", "--log-syslog-facility"),
    f("enable_stdio_inheritance", "-R --enable-stdio-inheritance"),
    v("statsd_host", "--statsd-host"),
    v("dogstatsd_tags", "--dogstatsd-tags"),
    v("statsd_prefix", "--statsd-prefix"),
    v("proc_name", "-n --name"),
    v("pythonpath", "--pythonpath"),
    v("paste", "--paste --paster"),
    // 24.1 added PROXY protocol v2 modes; the flag form stays valid.
    f("proxy_protocol", "--proxy-protocol"),
    v("proxy_allow_ips", "--proxy-allow-from"),
    v("keyfile", "--keyfile"),
    v("certfile", "--certfile"),
    v("ssl_version", "--ssl-version"),
    v("cert_reqs", "--cert-reqs"),
    v("ca_certs", "--ca-certs"),
    f("suppress_ragged_eofs", "--suppress-ragged-eofs"),
    f("do_handshake_on_connect", "--do-handshake-on-connect"),
    v("ciphers", "--ciphers"),
    v("raw_paste_global_conf", "--paste-global"),
    f("strip_header_spaces", "--strip-header-spaces"),
    // Added in 22.0 (and backported by Debian into its 20.1.0 security updates); gone in 23.0.
    f("tolerate_dangerous_framing", "--tolerate-dangerous-framing", { since: "22.0", until: "23.0" }),
    f("permit_obsolete_folding", "--permit-obsolete-folding", { since: "23.0" }),
    f("permit_unconventional_http_method", "--permit-unconventional-http-method", { since: "22.0" }),
    f("permit_unconventional_http_version", "--permit-unconventional-http-version", { since: "22.0" }),
    f("casefold_http_method", "--casefold-http-method", { since: "22.0" }),
    v("forwarder_headers", "--forwarder-headers", { since: "22.0" }),
    v("header_map", "--header-map", { since: "22.0" }),
    v("root_path", "--root-path", { since: "24.0" }),
    v("asgi_loop", "--asgi-loop", { since: "24.0" }),
    v("asgi_lifespan", "--asgi-lifespan", { since: "24.0" }),
    v("protocol", "--protocol", { since: "24.0" }),
    v("uwsgi_allow_ips", "--uwsgi-allow-from", { since: "24.0" }),
    v("control_socket", "--control-socket", { since: "25.1" }),
    v("control_socket_mode", "--control-socket-mode", { since: "25.1" }),
    f("control_socket_disable", "--no-control-socket", { since: "25.1" }),
    v("dirty_apps", "--dirty-app", { since: "25.0" }),
    v("dirty_workers", "--dirty-workers", { since: "25.0" }),
    v("dirty_timeout", "--dirty-timeout", { since: "25.0" }),
    v("dirty_threads", "--dirty-threads", { since: "25.0" }),
    v("dirty_graceful_timeout", "--dirty-graceful-timeout", { since: "25.0" }),
  ],
};

// uvicorn — follows uvicorn's settings page (uvicorn.org/settings) and `uvicorn --help` of
// 0.30–0.35 (a click command: `--opt=value`, no prefix matching, no short options).
export const UVICORN: ServerTable = {
  server: "uvicorn",
  docs: "uvicorn 0.35 settings (uvicorn.org/settings)",
  style: "click",
  options: [
    f("help", "--help"),
    f("version", "--version"),
    v("host", "--host"),
    v("port", "--port"),
    v("uds", "--uds"),
    v("fd", "--fd"),
    f("reload", "--reload"),
    v("reload_dirs", "--reload-dir"),
    v("reload_includes", "--reload-include"),
    v("reload_excludes", "--reload-exclude"),
    v("reload_delay", "--reload-delay"),
    v("workers", "--workers"),
    v("loop", "--loop"),
    v("http", "--http"),
    v("ws", "--ws"),
    v("ws_max_size", "--ws-max-size"),
    v("ws_max_queue", "--ws-max-queue"),
    v("ws_ping_interval", "--ws-ping-interval"),
    v("ws_ping_timeout", "--ws-ping-timeout"),
    v("ws_per_message_deflate", "--ws-per-message-deflate"),
    v("lifespan", "--lifespan"),
    v("interface", "--interface"),
    v("env_file", "--env-file"),
    v("log_config", "--log-config"),
    v("log_level", "--log-level"),
    f("access_log", "--access-log --no-access-log"),
    f("use_colors", "--use-colors --no-use-colors"),
    f("proxy_headers", "--proxy-headers --no-proxy-headers"),
    f("server_header", "--server-header --no-server-header"),
    f("date_header", "--date-header --no-date-header"),
    v("forwarded_allow_ips", "--forwarded-allow-ips"),
    v("root_path", "--root-path"),
    v("limit_concurrency", "--limit-concurrency"),
    v("backlog", "--backlog"),
    v("limit_max_requests", "--limit-max-requests"),
    v("timeout_keep_alive", "--timeout-keep-alive"),
    v("timeout_graceful_shutdown", "--timeout-graceful-shutdown"),
    v("ssl_keyfile", "--ssl-keyfile"),
    v("ssl_certfile", "--ssl-certfile"),
    v("ssl_keyfile_password", "--ssl-keyfile-password"),
    v("ssl_version", "--ssl-version"),
    v("ssl_cert_reqs", "--ssl-cert-reqs"),
    v("ssl_ca_certs", "--ssl-ca-certs"),
    v("ssl_ciphers", "--ssl-ciphers"),
    v("headers", "--header"),
    v("app_dir", "--app-dir"),
    v("h11_max_incomplete_event_size", "--h11-max-incomplete-event-size"),
    f("factory", "--factory"),
    f("reset_contextvars", "--reset-contextvars", { since: "0.36" }),
  ],
};

// hypercorn — follows hypercorn 0.17 `hypercorn --help` (argparse) and docs/how_to_guides/
// configuring.rst. Its `--keep-alive` is `keep_alive_timeout` (default 5 s).
export const HYPERCORN: ServerTable = {
  server: "hypercorn",
  docs: "hypercorn 0.17 command line (argparse)",
  style: "argparse",
  options: [
    f("help", "-h --help"),
    v("accesslog", "--access-logfile --access-log"),
    v("access_log_format", "--access-logformat"),
    v("backlog", "--backlog"),
    v("bind", "-b --bind"),
    v("ca_certs", "--ca-certs"),
    v("certfile", "--certfile"),
    v("cert_reqs", "--cert-reqs"),
    v("ciphers", "--ciphers"),
    v("config", "-c --config"),
    f("debug", "--debug"),
    v("errorlog", "--error-logfile --log-file --error-log"),
    v("graceful_timeout", "--graceful-timeout"),
    v("read_timeout", "--read-timeout"),
    v("max_requests", "--max-requests"),
    v("max_requests_jitter", "--max-requests-jitter"),
    v("group", "-g --group"),
    v("worker_class", "-k --worker-class"),
    v("keep_alive_timeout", "--keep-alive"),
    v("keyfile", "--keyfile"),
    v("keyfile_password", "--keyfile-password"),
    v("insecure_bind", "--insecure-bind"),
    v("logconfig", "--log-config"),
    v("loglevel", "--log-level"),
    v("pid_path", "-p --pid"),
    v("quic_bind", "--quic-bind"),
    f("use_reloader", "--reload"),
    v("root_path", "--root-path"),
    v("server_names", "--server-name"),
    v("statsd_host", "--statsd-host"),
    v("statsd_prefix", "--statsd-prefix"),
    v("umask", "-m --umask"),
    v("user", "-u --user"),
    v("verify_mode", "--verify-mode"),
    v("verify_flags", "--verify-flags"),
    v("workers", "-w --workers"),
  ],
};

// daphne — follows daphne 4.1 `daphne --help` (argparse, daphne/cli.py).
export const DAPHNE: ServerTable = {
  server: "daphne",
  docs: "daphne 4.1 command line (argparse)",
  style: "argparse",
  options: [
    f("help", "-h --help"),
    v("port", "-p --port"),
    v("host", "-b --bind"),
    v("websocket_timeout", "--websocket_timeout"),
    v("websocket_connect_timeout", "--websocket_connect_timeout"),
    v("unix_socket", "-u --unix-socket"),
    v("file_descriptor", "--fd"),
    v("socket_strings", "-e --endpoint"),
    v("verbosity", "-v --verbosity"),
    v("http_timeout", "-t --http-timeout"),
    v("access_log", "--access-log"),
    v("log_fmt", "--log-fmt"),
    v("ping_interval", "--ping-interval"),
    v("ping_timeout", "--ping-timeout"),
    v("application_close_timeout", "--application-close-timeout"),
    v("root_path", "--root-path"),
    f("proxy_headers", "--proxy-headers"),
    v("proxy_headers_host", "--proxy-headers-host"),
    v("proxy_headers_port", "--proxy-headers-port"),
    v("server_name", "-s --server-name"),
    f("no_server_name", "--no-server-name"),
  ],
};

// granian — follows granian 2.x `granian --help` (click). 1.x's `--threads`/`--threading-mode`
// became `--runtime-threads`/`--runtime-mode` in 2.0; both spellings are listed.
export const GRANIAN: ServerTable = {
  server: "granian",
  docs: "granian 2.x command line (click)",
  style: "click",
  options: [
    f("help", "--help"),
    f("version", "--version"),
    v("address", "--host"),
    v("port", "--port"),
    v("uds", "--uds"),
    v("uds_permissions", "--uds-permissions"),
    v("interface", "--interface"),
    v("http", "--http"),
    f("websockets", "--ws --no-ws"),
    v("workers", "--workers"),
    v("blocking_threads", "--blocking-threads"),
    v("blocking_threads_idle_timeout", "--blocking-threads-idle-timeout"),
    v("runtime_threads", "--runtime-threads --threads"),
    v("runtime_blocking_threads", "--runtime-blocking-threads"),
    v("runtime_mode", "--runtime-mode --threading-mode"),
    v("loop", "--loop"),
    v("task_impl", "--task-impl"),
    v("backlog", "--backlog"),
    v("backpressure", "--backpressure"),
    v("http1_buffer_size", "--http1-buffer-size"),
    v("http1_header_read_timeout", "--http1-header-read-timeout"),
    f("http1_keep_alive", "--http1-keep-alive --no-http1-keep-alive"),
    f("http1_pipeline_flush", "--http1-pipeline-flush --no-http1-pipeline-flush"),
    f("http2_adaptive_window", "--http2-adaptive-window --no-http2-adaptive-window"),
    v("http2_initial_connection_window_size", "--http2-initial-connection-window-size"),
    v("http2_initial_stream_window_size", "--http2-initial-stream-window-size"),
    v("http2_keep_alive_interval", "--http2-keep-alive-interval"),
    v("http2_keep_alive_timeout", "--http2-keep-alive-timeout"),
    v("http2_max_concurrent_streams", "--http2-max-concurrent-streams"),
    v("http2_max_frame_size", "--http2-max-frame-size"),
    v("http2_max_headers_size", "--http2-max-headers-size"),
    v("http2_max_send_buffer_size", "--http2-max-send-buffer-size"),
    f("log_enabled", "--log --no-log"),
    v("log_level", "--log-level"),
    v("log_config", "--log-config"),
    f("log_access", "--access-log --no-access-log"),
    v("log_access_fmt", "--access-log-fmt"),
    v("ssl_cert", "--ssl-certificate"),
    v("ssl_key", "--ssl-keyfile"),
    v("ssl_key_password", "--ssl-keyfile-password"),
    v("url_path_prefix", "--url-path-prefix"),
    f("respawn_failed_workers", "--respawn-failed-workers --no-respawn-failed-workers"),
    v("respawn_interval", "--respawn-interval"),
    v("workers_lifetime", "--workers-lifetime"),
    v("workers_kill_timeout", "--workers-kill-timeout"),
    f("factory", "--factory --no-factory"),
    f("reload", "--reload --no-reload"),
    v("reload_paths", "--reload-paths"),
    v("reload_ignore_dirs", "--reload-ignore-dirs"),
    v("reload_ignore_patterns", "--reload-ignore-patterns"),
    v("reload_ignore_paths", "--reload-ignore-paths"),
    v("reload_filter", "--reload-filter"),
    v("process_name", "--process-name"),
    v("pid_file", "--pid-file"),
    v("working_dir", "--working-dir"),
    v("env_files", "--env-files"),
    v("static_path_route", "--static-path-route"),
    v("static_path_mount", "--static-path-mount"),
    v("static_path_expires", "--static-path-expires"),
  ],
};

// puma — follows puma 6.x `puma --help` (lib/puma/cli.rb, Ruby OptionParser). `-t` takes
// `min:max` (or one number); `--fork-worker` takes its request count only when attached.
export const PUMA: ServerTable = {
  server: "puma",
  docs: "puma 6.x command line (lib/puma/cli.rb)",
  style: "ruby-optparse",
  options: [
    f("help", "-h --help"),
    f("version", "-V --version"),
    v("bind", "-b --bind"),
    v("config", "-C --config"),
    f("no_config", "--no-config"),
    v("control_url", "--control-url"),
    v("control_token", "--control-token"),
    f("debug", "--debug"),
    v("directory", "--dir"),
    v("environment", "-e --environment"),
    v("fork_worker", "-f --fork-worker", { arity: "optional" }),
    v("include", "-I --include"),
    v("port", "-p --port"),
    v("pidfile", "--pidfile"),
    f("preload_app", "--preload"),
    f("prune_bundler", "--prune-bundler"),
    v("extra_runtime_dependencies", "--extra-runtime-dependencies"),
    f("quiet", "-q --quiet"),
    f("log_requests", "-v --log-requests"),
    v("restart_cmd", "-R --restart-cmd"),
    f("silent", "-s --silent"),
    v("state", "-S --state"),
    v("threads", "-t --threads"),
    f("early_hints", "--early-hints"),
    v("workers", "-w --workers"),
    v("tag", "--tag"),
    v("redirect_stdout", "--redirect-stdout"),
    v("redirect_stderr", "--redirect-stderr"),
    f("redirect_append", "--redirect-append --no-redirect-append"),
    v("idle_timeout", "--idle-timeout"),
  ],
};

// unicorn — follows unicorn 6.x `unicorn --help` (bin/unicorn, Ruby OptionParser). Worker
// count and timeout live only in the config file (`worker_processes`, `timeout`).
export const UNICORN: ServerTable = {
  server: "unicorn",
  docs: "unicorn 6.x command line (bin/unicorn)",
  style: "ruby-optparse",
  options: [
    f("help", "-h --help"),
    f("version", "-v --version"),
    v("eval", "-e --eval"),
    f("debug", "-d --debug"),
    f("warn", "-w --warn"),
    v("include", "-I --include"),
    v("require", "-r --require"),
    v("host", "-o --host"),
    v("port", "-p --port"),
    v("environment", "-E --env"),
    f("no_default_middleware", "-N --no-default-middleware"),
    f("daemonize", "-D --daemonize"),
    v("listen", "-l --listen"),
    v("config_file", "-c --config-file"),
  ],
};

// rails server — follows Rails 7.1/8.0 `bin/rails server --help` (Thor). It starts Puma,
// which then reads config/puma.rb.
export const RAILS: ServerTable = {
  server: "rails",
  docs: "Rails 8.0 `rails server --help` (Thor)",
  style: "thor",
  options: [
    f("help", "-h --help"),
    v("port", "-p --port"),
    v("binding", "-b --binding"),
    v("config", "-c --config"),
    f("daemon", "-d --daemon"),
    v("environment", "-e --environment"),
    v("using", "-u --using"),
    v("pid", "-P --pid"),
    f("dev_caching", "-C --dev-caching --no-dev-caching"),
    f("early_hints", "--early-hints"),
    f("log_to_stdout", "--log-to-stdout --no-log-to-stdout"),
  ],
};

// sidekiq — follows Sidekiq 7.x `sidekiq --help` (lib/sidekiq/cli.rb, Ruby OptionParser).
export const SIDEKIQ: ServerTable = {
  server: "sidekiq",
  docs: "Sidekiq 7.x command line (lib/sidekiq/cli.rb)",
  style: "ruby-optparse",
  options: [
    f("help", "-h --help"),
    f("version", "-V --version"),
    v("concurrency", "-c --concurrency"),
    v("environment", "-e --environment"),
    v("tag", "-g --tag"),
    v("queues", "-q --queue"),
    v("require", "-r --require"),
    v("timeout", "-t --timeout"),
    f("verbose", "-v --verbose"),
    v("config_file", "-C --config"),
  ],
};

// solid_queue — follows Solid Queue 1.x `bin/jobs` (lib/solid_queue/cli.rb, Thor): the supervisor that forks the
// workers, dispatchers and scheduler config/queue.yml and config/recurring.yml describe. `bin/jobs start` is its
// default command; `rake solid_queue:start` and `rails solid_queue:start` start the same supervisor.
export const SOLID_QUEUE: ServerTable = {
  server: "solid_queue",
  docs: "Solid Queue 1.x `bin/jobs` (lib/solid_queue/cli.rb, Thor)",
  style: "thor",
  options: [
    v("config_file", "-c --config_file --config-file"),
    v("recurring_schedule_file", "--recurring_schedule_file --recurring-schedule-file"),
    f("skip_recurring", "--skip_recurring --skip-recurring"),
    f("only_work", "--only_work --only-work --work_only --work-only"),
    f("only_dispatch", "--only_dispatch --only-dispatch --dispatch_only --dispatch-only"),
    // fork (the default) or async: the supervisor runs its processes as threads of its own (README, "Fork vs. async mode").
    v("mode", "--mode"),
  ],
};

// good_job — follows GoodJob 4.x `good_job help start` (lib/good_job/cli.rb, Thor): `good_job start` (its default
// command) runs the job schedulers; every option can be set from a GOOD_JOB_* variable instead.
export const GOOD_JOB: ServerTable = {
  server: "good_job",
  docs: "GoodJob 4.x `good_job help start` (lib/good_job/cli.rb, Thor)",
  style: "thor",
  options: [
    v("queues", "--queues"),
    v("max_threads", "--max-threads --max_threads"),
    v("poll_interval", "--poll-interval --poll_interval"),
    v("max_cache", "--max-cache --max_cache"),
    v("shutdown_timeout", "--shutdown-timeout --shutdown_timeout"),
    f("enable_cron", "--enable-cron --enable_cron --no-enable-cron"),
    f("enable_listen_notify", "--enable-listen-notify --enable_listen_notify --no-enable-listen-notify"),
    v("idle_timeout", "--idle-timeout --idle_timeout"),
    f("daemonize", "--daemonize"),
    v("pidfile", "--pidfile"),
    v("probe_port", "--probe-port --probe_port"),
    v("probe_handler", "--probe-handler --probe_handler"),
    v("queue_select_limit", "--queue-select-limit --queue_select_limit"),
  ],
};

// celery — follows Celery 5.4 `celery --help` (global options, before the sub-command) and
// `celery worker --help` (click). Only `celery … worker` is a worker invocation.
export const CELERY_GLOBAL: ServerTable = {
  server: "celery",
  docs: "Celery 5.4 `celery --help` (click)",
  style: "click",
  options: [
    f("help", "--help"),
    f("version", "--version"),
    v("app", "-A --app"),
    v("broker", "-b --broker"),
    v("result_backend", "--result-backend"),
    v("loader", "--loader"),
    v("config", "--config"),
    v("workdir", "--workdir"),
    f("no_color", "-C --no-color"),
    f("quiet", "-q --quiet"),
    f("skip_checks", "--skip-checks"),
  ],
};

export const CELERY_WORKER: ServerTable = {
  server: "celery",
  docs: "Celery 5.4 `celery worker --help` (click)",
  style: "click",
  options: [
    f("help", "--help"),
    v("hostname", "-n --hostname"),
    f("detach", "-D --detach"),
    v("statedb", "-S --statedb"),
    v("loglevel", "-l --loglevel"),
    v("optimization", "-O"),
    v("prefetch_multiplier", "--prefetch-multiplier"),
    v("concurrency", "-c --concurrency"),
    v("pool", "-P --pool"),
    f("task_events", "-E --task-events --events"),
    v("time_limit", "--time-limit"),
    v("soft_time_limit", "--soft-time-limit"),
    v("max_tasks_per_child", "--max-tasks-per-child"),
    v("max_memory_per_child", "--max-memory-per-child"),
    f("purge", "--purge --discard"),
    v("queues", "-Q --queues"),
    v("exclude_queues", "-X --exclude-queues"),
    v("include", "-I --include"),
    f("without_gossip", "--without-gossip"),
    f("without_mingle", "--without-mingle"),
    f("without_heartbeat", "--without-heartbeat"),
    v("heartbeat_interval", "--heartbeat-interval"),
    v("autoscale", "--autoscale"),
    f("beat", "-B --beat"),
    v("schedule_filename", "-s --schedule-filename --schedule"),
    v("scheduler", "--scheduler"),
    v("logfile", "-f --logfile"),
    v("pidfile", "--pidfile"),
    v("uid", "--uid"),
    v("gid", "--gid"),
    v("umask", "--umask"),
    v("executable", "--executable"),
  ],
};

// uWSGI — follows the uWSGI 2.0 options reference (uwsgi-docs.readthedocs.io/en/latest/
// Options.html), a curated subset: the sizing-relevant options and common flags. `--workers`
// is an alias of `--processes`. Names are the ini keys.
export const UWSGI: ServerTable = {
  server: "uwsgi",
  docs: "uWSGI 2.0 options reference (subset)",
  style: "uwsgi",
  options: [
    f("help", "-h --help"),
    f("version", "--version"),
    v("processes", "-p --processes --workers"),
    v("threads", "--threads"),
    f("enable-threads", "-T --enable-threads"),
    f("master", "-M --master"),
    v("ini", "--ini"),
    v("yaml", "-y --yaml --yml"),
    v("json", "-j --json"),
    v("xml", "-x --xml"),
    v("http", "--http"),
    v("http-socket", "--http-socket"),
    v("https", "--https"),
    v("socket", "-s --socket --uwsgi-socket"),
    v("listen", "-l --listen"),
    v("harakiri", "-t --harakiri"),
    v("http-timeout", "--http-timeout"),
    v("socket-timeout", "-z --socket-timeout"),
    v("max-requests", "-R --max-requests"),
    v("max-requests-delta", "--max-requests-delta"),
    v("module", "-w --module --wsgi"),
    v("wsgi-file", "--wsgi-file --file"),
    v("callable", "--callable"),
    v("chdir", "--chdir"),
    v("home", "-H --home --virtualenv --venv --pyhome"),
    v("pythonpath", "--pythonpath --python-path --pp"),
    v("env", "--env"),
    v("uid", "--uid"),
    v("gid", "--gid"),
    v("pidfile", "--pidfile"),
    v("daemonize", "-d --daemonize"),
    v("plugins", "--plugins --plugin"),
    v("static-map", "--static-map"),
    v("buffer-size", "-b --buffer-size"),
    v("post-buffering", "--post-buffering"),
    v("offload-threads", "--offload-threads"),
    v("async", "--async"),
    v("gevent", "--gevent"),
    v("cheaper", "--cheaper"),
    v("cheaper-initial", "--cheaper-initial"),
    v("cheaper-algo", "--cheaper-algo"),
    v("stats", "--stats"),
    v("max-fd", "--max-fd"),
    v("reload-on-rss", "--reload-on-rss"),
    v("evil-reload-on-rss", "--evil-reload-on-rss"),
    v("worker-reload-mercy", "--worker-reload-mercy"),
    f("die-on-term", "--die-on-term"),
    f("vacuum", "--vacuum"),
    f("lazy-apps", "--lazy-apps"),
    f("thunder-lock", "--thunder-lock"),
    f("single-interpreter", "--single-interpreter"),
    f("strict", "--strict"),
    f("need-app", "--need-app"),
    f("disable-logging", "-L --disable-logging"),
    f("py-autoreload-flag", "--honour-stdin"),
    v("py-autoreload", "--py-autoreload --python-autoreload"),
    v("touch-reload", "--touch-reload"),
    v("logto", "--logto"),
    v("log-format", "--log-format --logformat"),
  ],
};

// `fastapi run` (fastapi-cli, typer): production mode of the FastAPI CLI, which calls uvicorn.run() with these
// options (host 0.0.0.0, reload off, workers None: uvicorn's Config then reads WEB_CONCURRENCY, else 1).
// Typer reads no environment variables for them (no UVICORN_* prefix). `fastapi dev` is a development server
// (parse/dev-servers.ts). Names are uvicorn's, so the uvicorn rules read them.
export const FASTAPI_RUN: ServerTable = {
  server: "uvicorn",
  docs: "fastapi-cli `fastapi run --help` (typer)",
  style: "click",
  options: [
    f("help", "--help"),
    v("host", "--host"),
    v("port", "--port"),
    f("reload", "--reload"),
    f("no_reload", "--no-reload"),
    v("workers", "--workers"),
    v("root_path", "--root-path"),
    v("app", "--app"),
    v("entrypoint", "--entrypoint -e"),
    f("proxy_headers", "--proxy-headers --no-proxy-headers"),
    v("forwarded_allow_ips", "--forwarded-allow-ips"),
  ],
};

/** `fastapi run …` (or `python -m fastapi run …`): uvicorn started by the FastAPI CLI. */
export function isFastapiRun(inv: ServerInvocation): boolean {
  return inv.server === "uvicorn" && inv.subcommand?.value === "run" && basename(inv.program.value) === "fastapi";
}

const TABLES: Record<Exclude<ServerKind, "celery">, ServerTable> = {
  gunicorn: GUNICORN,
  uvicorn: UVICORN,
  hypercorn: HYPERCORN,
  daphne: DAPHNE,
  granian: GRANIAN,
  puma: PUMA,
  unicorn: UNICORN,
  rails: RAILS,
  sidekiq: SIDEKIQ,
  solid_queue: SOLID_QUEUE,
  good_job: GOOD_JOB,
  uwsgi: UWSGI,
};

/** The option table for a server (celery: the worker table). */
export function serverTable(server: ServerKind): ServerTable {
  return server === "celery" ? CELERY_WORKER : TABLES[server];
}

// ---------------------------------------------------------------------------------------------
// Words

/**
 * A word for the part of `word.value` from `from` on (`--workers=4` → `4`). The span is placed
 * inside the written word when the word's text can be matched up with its value; otherwise
 * it falls back to the whole word.
 */
export function subWord(word: CommandWord, from: number): CommandWord {
  const text = word.value.slice(from);
  const len = word.end - word.start;
  let start = word.start;
  let end = word.end;
  const raw = word.raw;
  const prefix = word.value.slice(0, from);
  if (raw !== undefined) {
    if (raw === word.value) start = word.start + from;
    else if (isQuotedWhole(raw) && raw.slice(1, -1) === word.value) {
      start = word.start + 1 + from;
      end = word.end - 1;
    } else if (raw.startsWith(prefix)) {
      // `--bind="0.0.0.0:80"`, `-w${N}`: the value part starts right after the prefix (quotes
      // stay inside the span, so replacing the span keeps valid shell).
      start = word.start + from;
    } else if (/^["']/.test(raw) && raw.slice(1).startsWith(prefix)) {
      // `"--workers=4"` (quotes around the whole word but something inside was expanded)
      start = word.start + 1 + from;
      if (raw.endsWith(raw[0])) end = word.end - 1;
    }
  } else if (len === word.value.length) {
    start = word.start + from;
  } else if (len === word.value.length + 2) {
    start = word.start + 1 + from;
    end = word.end - 1;
  }
  if (start > end) start = end;
  const fact: Fact<string> = { ...word.fact, value: text };
  if (word.fact.at) fact.at = { file: word.fact.at.file, start, end };
  // A value that comes from a variable (`-w${WORKERS}`, `--workers=${WEB_CONCURRENCY}`) is changed where the variable is set.
  const out: CommandWord = { value: text, start, end, fact: valueOrigin(word, from) ?? fact };
  // The slice is in the word's file even when its value is set in another (an edit there must not move it).
  if (word.file !== undefined) out.file = word.file;
  if (raw !== undefined && start >= word.start && end <= word.end) {
    out.raw = raw.slice(start - word.start, end - word.start);
  }
  return out;
}

/**
 * Where the value of a word from `from` on comes from, when that is not the word's own text: the value of a
 * variable where it is set (the .env line, an assignment above), when all of it comes from that one variable.
 */
export function valueOrigin(word: CommandWord, from: number): Fact<string> | undefined {
  const fact = word.pieces ? factForSlice({ ...word, file: word.file ?? word.fact.at?.file ?? "", pieces: word.pieces }, from) : from === 0 ? word.fact : undefined;
  const at = fact?.at;
  const inWord = at !== undefined && at.file === (word.file ?? word.fact.at?.file) && at.start >= word.start && at.end <= word.end;
  return fact && at && !inWord ? fact : undefined;
}

function isQuotedWhole(s: string): boolean {
  return s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0];
}

/** `sidekiqswarm` (Sidekiq Enterprise): a parent forking SIDEKIQ_COUNT `sidekiq` children with these options. */
export function isSidekiqSwarm(invocation: ServerInvocation): boolean {
  return invocation.server === "sidekiq" && basename(invocation.program.value) === "sidekiqswarm";
}

export function basename(path: string): string {
  const i = path.lastIndexOf("/");
  return i >= 0 ? path.slice(i + 1) : path;
}

// ---------------------------------------------------------------------------------------------
// Option parsing

interface Lookup {
  long: Map<string, OptionSpec>;
  short: Map<string, OptionSpec>;
  abbrev: boolean;
  shortEquals: boolean;
  clusters: boolean;
  style: ParserStyle;
}

const lookups = new WeakMap<ServerTable, Lookup>();

function lookupFor(table: ServerTable): Lookup {
  let l = lookups.get(table);
  if (!l) {
    const long = new Map<string, OptionSpec>();
    const short = new Map<string, OptionSpec>();
    for (const spec of table.options) {
      for (const flag of spec.flags) {
        if (flag.startsWith("--")) long.set(flag, spec);
        else short.set(flag, spec);
      }
    }
    l = {
      long,
      short,
      abbrev: table.style === "argparse" || table.style === "ruby-optparse",
      shortEquals: table.style === "argparse",
      clusters: table.style !== "uwsgi",
      style: table.style,
    };
    lookups.set(table, l);
  }
  return l;
}

function findLong(l: Lookup, name: string): OptionSpec | undefined {
  const exact = l.long.get(name);
  if (exact) return exact;
  if (!l.abbrev || name.length < 3) return undefined;
  let found: OptionSpec | undefined;
  for (const [flag, spec] of l.long) {
    if (!flag.startsWith(name)) continue;
    if (found && found !== spec) return undefined; // ambiguous: the tool rejects it
    found = spec;
  }
  return found;
}

interface ParseState {
  options: ServerOption[];
  positionals: CommandWord[];
  unknown: CommandWord[];
  invalid: CommandWord[];
  endOfOptions: boolean;
}

/** argparse reads a word starting with `-` as an option, not as a value (bar `-`, `-1`, spaces). */
function argparseLooksLikeOption(s: string): boolean {
  return s.startsWith("-") && s !== "-" && !/^-\d+$|^-\d*\.\d+$/.test(s) && !s.includes(" ");
}

/** The word after a value-taking flag, when the tool would take it as the value. */
function nextValue(words: CommandWord[], i: number, l: Lookup): CommandWord | undefined {
  const next = words[i + 1];
  if (!next) return undefined;
  if (l.style === "argparse" && argparseLooksLikeOption(next.value)) return undefined;
  return next;
}

/**
 * Reads the word at `i` as an option of `tables` (tried in order) and returns the index of the
 * next word to read, or undefined when the word is not an option (a positional).
 */
function readOption(words: CommandWord[], i: number, tables: ServerTable[], st: ParseState): number | undefined {
  const w = words[i];
  const s = w.value;
  if (s === "--") {
    st.endOfOptions = true;
    return i + 1;
  }
  if (s.startsWith("--") && s.length > 2) {
    const eq = s.indexOf("=");
    const name = eq < 0 ? s : s.slice(0, eq);
    let spec: OptionSpec | undefined;
    let l: Lookup | undefined;
    for (const t of tables) {
      l = lookupFor(t);
      spec = findLong(l, name);
      if (spec) break;
    }
    if (!spec || !l) {
      st.unknown.push(w);
      return i + 1;
    }
    if (eq >= 0) {
      st.options.push({ name: spec.name, flag: w, value: subWord(w, eq + 1) });
      if (spec.arity === "flag") st.invalid.push(w);
      return i + 1;
    }
    if (spec.arity !== "value") {
      st.options.push({ name: spec.name, flag: w });
      return i + 1;
    }
    const next = nextValue(words, i, l);
    if (!next) {
      st.options.push({ name: spec.name, flag: w });
      st.invalid.push(w);
      return i + 1;
    }
    st.options.push({ name: spec.name, flag: w, value: next });
    return i + 2;
  }
  if (s.startsWith("-") && s.length > 1 && !/^-\d/.test(s)) {
    let j = 1;
    let consumedNext = false;
    while (j < s.length) {
      const key = `-${s[j]}`;
      let spec: OptionSpec | undefined;
      let l: Lookup | undefined;
      for (const t of tables) {
        l = lookupFor(t);
        spec = l.short.get(key);
        if (spec) break;
      }
      if (!spec || !l) {
        st.unknown.push(w);
        break;
      }
      const rest = s.slice(j + 1);
      if (spec.arity === "flag") {
        st.options.push({ name: spec.name, flag: w });
        if (rest.length === 0) break;
        if (!l.clusters) {
          st.unknown.push(w);
          break;
        }
        j++;
        continue;
      }
      if (rest.length > 0) {
        const skip = rest.startsWith("=") && l.shortEquals ? 1 : 0;
        st.options.push({ name: spec.name, flag: w, value: subWord(w, j + 1 + skip) });
        break;
      }
      if (spec.arity === "optional") {
        st.options.push({ name: spec.name, flag: w });
        break;
      }
      const next = nextValue(words, i, l);
      if (next) st.options.push({ name: spec.name, flag: w, value: next });
      else {
        st.options.push({ name: spec.name, flag: w });
        st.invalid.push(w);
      }
      consumedNext = next !== undefined;
      break;
    }
    return consumedNext ? i + 2 : i + 1;
  }
  return undefined;
}

function parseRest(words: CommandWord[], from: number, tables: ServerTable[], st: ParseState): void {
  let i = from;
  while (i < words.length) {
    if (st.endOfOptions) {
      st.positionals.push(words[i]);
      i++;
      continue;
    }
    const next = readOption(words, i, tables, st);
    if (next === undefined) {
      st.positionals.push(words[i]);
      i++;
    } else i = next;
  }
}

// ---------------------------------------------------------------------------------------------
// Recognition

const PROGRAMS: Record<string, ServerKind> = {
  gunicorn: "gunicorn",
  uvicorn: "uvicorn",
  // The FastAPI CLI: `fastapi run` starts uvicorn (finish() reads its sub-command and options).
  fastapi: "uvicorn",
  hypercorn: "hypercorn",
  daphne: "daphne",
  granian: "granian",
  puma: "puma",
  unicorn: "unicorn",
  rails: "rails",
  sidekiq: "sidekiq",
  // Sidekiq Enterprise's swarm: each child process is a `sidekiq` with the same options (SOURCES.sidekiqSwarm).
  sidekiqswarm: "sidekiq",
  good_job: "good_job",
  celery: "celery",
  uwsgi: "uwsgi",
};

/** The Rake task that starts Solid Queue's supervisor (`bin/jobs` runs the same). */
const SOLID_QUEUE_TASK = "solid_queue:start";

/** Modules that `python -m` can run as a server. */
const PY_MODULES: Record<string, ServerKind> = {
  gunicorn: "gunicorn",
  "gunicorn.app.wsgiapp": "gunicorn",
  uvicorn: "uvicorn",
  fastapi: "uvicorn",
  hypercorn: "hypercorn",
  daphne: "daphne",
  granian: "granian",
  celery: "celery",
};

export const PYTHON_RE = /^(python|pypy)(\d+(\.\d+)?)?$/;
/** Python interpreter options that take a value. */
const PYTHON_VALUE_OPTS = new Set(["-W", "-X", "-c"]);
const ASSIGNMENT_RE = /^[A-Za-z_][A-Za-z0-9_]*=/;

type Step =
  | { kind: "runner"; next: number }
  | { kind: "program"; server: ServerKind; program: CommandWord; next: number }
  | { kind: "stop" };

/** Skips options of a wrapper: value-taking ones in `withValue`, others as flags. */
function skipWrapperOptions(words: CommandWord[], i: number, withValue: Set<string>): number {
  while (i < words.length) {
    const s = words[i].value;
    if (s === "--") return i + 1;
    if (!s.startsWith("-") || s === "-") return i;
    if (withValue.has(s)) i += 2;
    else i += 1;
  }
  return i;
}

/** dockerize's flags that take a value (jwilder/dockerize and the powerman fork's README), as `-flag value` or `--flag value`. */
const DOCKERIZE_VALUE_FLAGS = new Set(
  ["wait", "timeout", "template", "stdout", "stderr", "delims", "wait-retry-interval", "wait-http-header", "wait-http-status-code", "env", "env-section", "env-header", "cacert"].flatMap(
    (name) => [`-${name}`, `--${name}`],
  ),
);

function step(words: CommandWord[], i: number): Step {
  const w = words[i];
  const s = w.value;
  const base = basename(s);
  const following = words[i + 1]?.value;
  // `bin/rails solid_queue:start` and `rake solid_queue:start` run Solid Queue's supervisor, as `bin/jobs` does.
  if ((base === "rails" || base === "rake") && following === SOLID_QUEUE_TASK) return { kind: "program", server: "solid_queue", program: w, next: i + 2 };
  // Only a path to it: a bare `jobs` is the shell's builtin.
  if (base === "jobs" && s.endsWith("bin/jobs")) return { kind: "program", server: "solid_queue", program: w, next: i + 1 };
  const server = PROGRAMS[base];
  if (server) return { kind: "program", server, program: w, next: i + 1 };
  if (ASSIGNMENT_RE.test(s)) return { kind: "runner", next: i + 1 };
  switch (base) {
    case "exec":
      return { kind: "runner", next: skipWrapperOptions(words, i + 1, new Set(["-a"])) };
    case "env": {
      let j = skipWrapperOptions(words, i + 1, new Set(["-u", "--unset", "-C", "--chdir", "-S"]));
      while (j < words.length && ASSIGNMENT_RE.test(words[j].value)) j++;
      return { kind: "runner", next: j };
    }
    // thrust: Rails 8's Dockerfile runs `CMD ["./bin/thrust", "./bin/rails", "server"]` (Thruster, an HTTP proxy in front of the server it starts);
    // start-nginx: Heroku's nginx buildpack, `web: bin/start-nginx bundle exec puma -C config/puma.rb`, the same.
    case "start-nginx":
    case "start-nginx-solo":
    case "nohup":
    case "time":
    case "command":
    case "ddtrace-run":
    case "chronic":
    case "thrust":
      return { kind: "runner", next: i + 1 };
    case "nice":
      return { kind: "runner", next: skipWrapperOptions(words, i + 1, new Set(["-n", "--adjustment"])) };
    case "tini":
    case "dumb-init":
    case "catatonit":
      return { kind: "runner", next: skipWrapperOptions(words, i + 1, new Set(["-e", "-p", "-r", "--rewrite"])) };
    case "gosu":
    case "su-exec":
    case "setuidgid":
    case "s6-setuidgid":
      return i + 2 <= words.length ? { kind: "runner", next: i + 2 } : { kind: "stop" };
    case "poetry":
    case "pipenv":
    case "pdm":
    case "hatch":
    case "rye":
      return following === "run" ? { kind: "runner", next: skipWrapperOptions(words, i + 2, new Set()) } : { kind: "stop" };
    case "uv":
      return following === "run"
        ? {
            kind: "runner",
            next: skipWrapperOptions(
              words,
              i + 2,
              new Set(["--with", "--extra", "--group", "--python", "-p", "--env-file", "--package", "--directory", "--project", "--with-requirements", "--index", "--only-group"]),
            ),
          }
        : { kind: "stop" };
    case "uvx":
      return { kind: "runner", next: skipWrapperOptions(words, i + 1, new Set(["--from", "--with", "--python", "-p"])) };
    case "pipx":
      return following === "run" ? { kind: "runner", next: skipWrapperOptions(words, i + 2, new Set(["--spec", "--python"])) } : { kind: "stop" };
    case "bundle":
    case "bundler":
      return following === "exec" ? { kind: "runner", next: i + 2 } : { kind: "stop" };
    case "newrelic-admin":
      if (following === "run-program") return { kind: "runner", next: i + 2 };
      if (following === "run-python") return pythonStep(words, i + 2);
      return { kind: "stop" };
    case "opentelemetry-instrument": {
      let j = i + 1;
      while (j < words.length && words[j].value.startsWith("--") && words[j].value !== "--") {
        j += words[j].value.includes("=") ? 1 : 2;
      }
      if (words[j]?.value === "--") j++;
      return { kind: "runner", next: j };
    }
    // `wait-for-it.sh db:5432 -t 30 -- gunicorn …` (vishnubob/wait-for-it, eficode/wait-for): the command follows `--`.
    case "wait-for-it":
    case "wait-for-it.sh":
    case "wait-for":
    case "wait-for.sh": {
      const separator = words.findIndex((word, j) => j > i && word.value === "--");
      return separator < 0 ? { kind: "stop" } : { kind: "runner", next: separator + 1 };
    }
    // `dockerize -wait tcp://db:5432 -timeout 30s gunicorn …` (jwilder/dockerize, Go flags: one or two dashes).
    case "dockerize":
      return { kind: "runner", next: skipWrapperOptions(words, i + 1, DOCKERIZE_VALUE_FLAGS) };
    case "doppler":
    case "infisical":
    case "op":
    case "dotenv":
    case "watchmedo": {
      // `doppler run [opts] -- cmd`, `watchmedo auto-restart [opts] -- cmd`
      const sub = following;
      if (!(sub === "run" || sub === "auto-restart")) return { kind: "stop" };
      for (let j = i + 2; j < words.length; j++) {
        if (words[j].value === "--") return { kind: "runner", next: j + 1 };
      }
      // no `--`: the command starts at the first word naming a server (or python)
      for (let j = i + 2; j < words.length; j++) {
        const b = basename(words[j].value);
        if (PROGRAMS[b] || PYTHON_RE.test(b)) return { kind: "runner", next: j };
      }
      return { kind: "stop" };
    }
  }
  if (PYTHON_RE.test(base)) return pythonStep(words, i + 1);
  return { kind: "stop" };
}

/** `python [opts] -m module …`: the module word is the program. */
function pythonStep(words: CommandWord[], from: number): Step {
  let j = from;
  while (j < words.length) {
    const s = words[j].value;
    if (s === "-m" && words[j + 1]) {
      const mod = words[j + 1];
      const server = PY_MODULES[mod.value];
      return server ? { kind: "program", server, program: mod, next: j + 2 } : { kind: "stop" };
    }
    if (s.startsWith("-m") && s.length > 2) {
      const server = PY_MODULES[s.slice(2)];
      return server ? { kind: "program", server, program: subWord(words[j], 2), next: j + 1 } : { kind: "stop" };
    }
    if (!s.startsWith("-") || s === "-" || s === "-c") return { kind: "stop" };
    j += PYTHON_VALUE_OPTS.has(s) ? 2 : 1;
  }
  return { kind: "stop" };
}

/**
 * Where the wrapped program starts: the index of the first word after wrappers and runners
 * (`tini --`, `dumb-init`, `gosu USER`, `newrelic-admin run-program`, `poetry run`, ...), so that a
 * start script they run is found (`ENTRYPOINT ["/sbin/tini", "--", "/start.sh"]`). 0 when none.
 */
export function wrappedProgramIndex(words: CommandWord[]): number {
  let i = 0;
  for (let guard = 0; i < words.length && guard < 64; guard++) {
    const r = step(words, i);
    if (r.kind !== "runner") return i;
    i = Math.max(r.next, i + 1);
  }
  return i;
}

/**
 * Programs that run a Python or Ruby app's own code in one process without being a server Headroom models:
 * Python job runners (arq, rq, dramatiq, huey, taskiq, faust), Ruby's interpreter and rake (`rake jobs:work`), and
 * Ruby job runners that load the app (shoryuken, que, karafka, racecar).
 */
const APP_PROGRAMS: ReadonlySet<string> = new Set(["arq", "rq", "dramatiq", "huey_consumer", "huey_consumer.py", "taskiq", "faust", "ruby", "rake", "shoryuken", "que", "karafka", "racecar"]);

/**
 * The program of a command that runs the app's own Python or Ruby code (`python worker.py`, `arq app.worker.WorkerSettings`,
 * `bundle exec rake jobs:work`, `bin/rails runner`), past its wrappers: "python" for an interpreter, else the program's name. Undefined for
 * anything else (a Go binary, node, a shell).
 */
export function appProgram(words: CommandWord[]): string | undefined {
  const index = wrappedProgramIndex(words);
  const program = words[index];
  if (!program) return undefined;
  const name = basename(program.value);
  if (isOneOffDatabaseTask(words)) return undefined;
  if (PYTHON_RE.test(name)) return "python";
  // `rails runner` runs the app's code; rails' other commands are servers, consoles or one-off tasks (db:migrate).
  if (name === "rails") return words[index + 1]?.value === "runner" || words[index + 1]?.value === "r" ? "rails runner" : undefined;
  return APP_PROGRAMS.has(name) ? name : undefined;
}

/**
 * A one-off database task, past its wrappers: `rake db:migrate` (every task in the `db:` namespace), `bin/rails
 * db:prepare`, `python manage.py migrate`. Run at deploy time (a migration service, a release phase), it holds its
 * connections only while it runs, so it is no standing process of a connection budget. `rake jobs:work` runs for good.
 */
export function isOneOffDatabaseTask(words: CommandWord[]): boolean {
  const index = wrappedProgramIndex(words);
  const program = words[index];
  if (!program) return false;
  const name = basename(program.value);
  if (name === "rake" || name === "rails") return onlyDatabaseTasks(words, index + 1);
  return PYTHON_RE.test(name) && isDjangoMigrate(words, index + 1);
}

/** Tasks (options and VAR=value arguments aside) that are all in the `db:` namespace, at least one. */
function onlyDatabaseTasks(words: CommandWord[], from: number): boolean {
  let tasks = 0;
  for (let i = from; i < words.length; i++) {
    const value = words[i].value;
    if (value.startsWith("-") || value.includes("=")) continue;
    if (!value.startsWith("db:")) return false;
    tasks++;
  }
  return tasks > 0;
}

/** `python manage.py migrate`: Django's migrations, a one-off task like `rails db:migrate`. */
function isDjangoMigrate(words: CommandWord[], from: number): boolean {
  const script = words.findIndex((w, i) => i >= from && !w.value.startsWith("-"));
  return script >= 0 && basename(words[script].value) === "manage.py" && words[script + 1]?.value === "migrate";
}

/** Recognises a server invocation in a command's words; undefined when it is not one. */
export function recogniseServer(words: CommandWord[]): ServerInvocation | undefined {
  const found = locateProgram(words);
  return found && finish(words, found.server, found.program, found.next, found.runner);
}

/**
 * The `beat` word of `celery … beat`: Celery's periodic task scheduler, which sends tasks to the workers and runs
 * none itself, so it is not a worker invocation. Undefined for any other command.
 */
export function recogniseCeleryBeat(words: CommandWord[]): CommandWord | undefined {
  const found = locateProgram(words);
  if (found?.server !== "celery") return undefined;
  const sub = words[celerySubcommandIndex(words, found.next, newParseState()) ?? words.length];
  return sub?.value === "beat" ? sub : undefined;
}

/** The server program among a command's words, past its wrappers and runners (which `runner` collects). */
function locateProgram(words: CommandWord[]): { server: ServerKind; program: CommandWord; next: number; runner: CommandWord[] } | undefined {
  const runner: CommandWord[] = [];
  let i = 0;
  let guard = 0;
  while (i < words.length && guard++ < 64) {
    const r = step(words, i);
    if (r.kind === "stop") return undefined;
    if (r.kind === "runner") {
      for (let k = i; k < r.next && k < words.length; k++) runner.push(words[k]);
      i = Math.max(r.next, i + 1);
      continue;
    }
    // words between i and the program (python, -m) belong to the runner
    for (let k = i; k < r.next - 1 && k < words.length; k++) {
      if (words[k] !== r.program) runner.push(words[k]);
    }
    return { server: r.server, program: r.program, next: r.next, runner };
  }
  return undefined;
}

function newParseState(): ParseState {
  return { options: [], positionals: [], unknown: [], invalid: [], endOfOptions: false };
}

/** Past celery's global options (read into `st`): the index of its sub-command word; undefined after `--`. */
function celerySubcommandIndex(words: CommandWord[], from: number, st: ParseState): number | undefined {
  let i = from;
  while (i < words.length) {
    const next = readOption(words, i, [CELERY_GLOBAL], st);
    if (next === undefined) break;
    if (st.endOfOptions) return undefined;
    i = next;
  }
  return i;
}

function finish(
  words: CommandWord[],
  server: ServerKind,
  program: CommandWord,
  from: number,
  runner: CommandWord[],
): ServerInvocation | undefined {
  const st = newParseState();
  const inv = (subcommand?: CommandWord): ServerInvocation => {
    const out: ServerInvocation = {
      server,
      program,
      runner,
      options: st.options,
      positionals: st.positionals,
      unknown: st.unknown,
      invalid: st.invalid,
      end: words.length > 0 ? words[words.length - 1] : undefined,
    };
    if (subcommand) out.subcommand = subcommand;
    return out;
  };
  if (server === "rails") {
    const sub = words[from];
    if (!sub || (sub.value !== "server" && sub.value !== "s")) return undefined;
    parseRest(words, from + 1, [RAILS], st);
    return inv(sub);
  }
  if (server === "good_job") {
    // `good_job start`, or options alone (start is its default command); `good_job cleanup_preserved_jobs` runs no jobs.
    const sub = words[from];
    if (sub && !sub.value.startsWith("-") && sub.value !== "start") return undefined;
    parseRest(words, sub?.value === "start" ? from + 1 : from, [GOOD_JOB], st);
    return inv(sub?.value === "start" ? sub : undefined);
  }
  if (server === "celery") {
    // global options, then the sub-command; only `worker` counts
    const i = celerySubcommandIndex(words, from, st);
    const sub = i === undefined ? undefined : words[i];
    if (i === undefined || sub?.value !== "worker") return undefined;
    // Celery 5 wants global options before `worker`; older habits put `-A` after it, which
    // Celery 5.0–5.2 rejected. Accept both here so the worker is still seen.
    parseRest(words, i + 1, [CELERY_WORKER, CELERY_GLOBAL], st);
    return inv(sub);
  }
  if (server === "uvicorn" && basename(program.value) === "fastapi") {
    const sub = words[from];
    if (sub?.value !== "run") return undefined;
    parseRest(words, from + 1, [FASTAPI_RUN], st);
    return inv(sub);
  }
  parseRest(words, from, [TABLES[server]], st);
  return inv();
}

/** The last occurrence of an option (later repeats win). */
export function optionValue(inv: ServerInvocation, name: string): ServerOption | undefined {
  for (let i = inv.options.length - 1; i >= 0; i--) {
    if (inv.options[i].name === name) return inv.options[i];
  }
  return undefined;
}

/**
 * The server that really runs, for messages: `rails server` starts Puma (or the server `--using`
 * names), so its processes are Puma's; every other invocation is its own server.
 */
export function serverName(inv: ServerInvocation): string {
  if (inv.server !== "rails") return inv.server;
  return optionValue(inv, "using")?.value?.value || "puma";
}

/** The flag as written, without an attached value: `--concurrency=25` → `--concurrency`, `-c25` → `-c`. */
export function flagName(opt: ServerOption): string {
  return /^--?[A-Za-z][A-Za-z-]*/.exec(opt.flag.value)?.[0] ?? opt.flag.value;
}

/** Every occurrence of an option (for append-style options such as gunicorn's `--bind`). */
export function optionValues(inv: ServerInvocation, name: string): ServerOption[] {
  return inv.options.filter((o) => o.name === name);
}

/** Puma's `-t min:max` (or `-t n`, meaning n:n). Undefined when it is not numbers. */
export function parsePumaThreads(value: string): { min: number; max: number } | undefined {
  const m = /^\s*(\d+)\s*(?::\s*(\d+)\s*)?$/.exec(value);
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  return { min, max };
}

/** Span of an option as written: from its flag to the end of its value. */
export function optionSpan(opt: ServerOption): Span {
  return { start: opt.flag.start, end: Math.max(opt.flag.end, opt.value?.end ?? opt.flag.end) };
}
