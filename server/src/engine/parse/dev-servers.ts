// Recognise the development servers that frameworks ship for a laptop: Django's `runserver`,
// Flask's `flask run` and FastAPI's `fastapi dev` (uvicorn with the reloader, on 127.0.0.1; its
// production twin `fastapi run` is a uvicorn ServerInvocation, parse/servers.ts). They are not ServerKinds (no workers, threads or pools to size): the model
// keeps them apart so that only the rule saying "this is not a production server" reads them.
//
// Only the command line is read. `python app.py` may start Flask's development server through
// `app.run()`, or gunicorn, or anything: telling would mean reading the Python, so it is not
// recognised. Management commands other than `runserver` (migrate, collectstatic) are not servers.

import { basename, type CommandWord, PYTHON_RE, subWord, wrappedProgramIndex } from "./servers.ts";

export type DevServerKind = "django-runserver" | "flask-run" | "fastapi-dev";

export interface DevServerInvocation {
  kind: DevServerKind;
  /** `manage.py`, `django-admin`, `flask`, `fastapi`, or the module after `python -m`. */
  program: CommandWord;
  /** `runserver`, `run` or `dev`. */
  subcommand: CommandWord;
  /** Flask's `--app`/`-A` value, given before `run`. */
  app?: CommandWord;
  /** The words after the sub-command. */
  args: CommandWord[];
}

/** Python interpreter options that take a value. */
const PYTHON_VALUE_OPTS = new Set(["-W", "-X"]);
/** Flask's group options that take a value (`flask --app hello run`). */
const FLASK_VALUE_OPTS = new Set(["--app", "-A", "--env-file", "-e"]);

/** A development server started by these words, after wrappers (`exec`, `poetry run`, `uv run`, …); undefined otherwise. */
export function recogniseDevServer(words: CommandWord[]): DevServerInvocation | undefined {
  let i = wrappedProgramIndex(words);
  const first = words[i];
  if (!first) return undefined;
  let program = first;
  let kind: DevServerKind | undefined;
  if (PYTHON_RE.test(basename(first.value))) {
    i++;
    while (words[i] && words[i].value.startsWith("-") && words[i].value !== "-m") i += PYTHON_VALUE_OPTS.has(words[i].value) ? 2 : 1;
    if (words[i]?.value === "-m") {
      const module = words[i + 1]?.value;
      kind = module === "django" ? "django-runserver" : module === "flask" ? "flask-run" : module === "fastapi" ? "fastapi-dev" : undefined;
      i++;
    } else if (words[i] && basename(words[i].value) === "manage.py") kind = "django-runserver";
    if (!kind || !words[i]) return undefined;
    program = words[i];
  } else {
    const base = basename(first.value);
    kind =
      base === "manage.py" || base === "django-admin" || base === "django-admin.py" ? "django-runserver" : base === "flask" ? "flask-run" : base === "fastapi" ? "fastapi-dev" : undefined;
    if (!kind) return undefined;
  }
  i++;
  if (kind === "django-runserver" || kind === "fastapi-dev") {
    // Django and the FastAPI CLI take the sub-command as the first argument; its options come after it.
    const sub = words[i];
    return sub?.value === (kind === "fastapi-dev" ? "dev" : "runserver") ? { kind, program, subcommand: sub, args: words.slice(i + 1) } : undefined;
  }
  let app: CommandWord | undefined;
  while (words[i]?.value.startsWith("-")) {
    const option = words[i].value;
    const name = option.split("=")[0];
    const isApp = name === "--app" || name === "-A";
    if (FLASK_VALUE_OPTS.has(name) && !option.includes("=")) {
      if (isApp) app = words[i + 1];
      i += 2;
    } else {
      if (isApp) app = subWord(words[i], name.length + 1);
      i++;
    }
  }
  const sub = words[i];
  if (sub?.value !== "run") return undefined;
  const invocation: DevServerInvocation = { kind, program, subcommand: sub, args: words.slice(i + 1) };
  if (app) invocation.app = app;
  return invocation;
}
