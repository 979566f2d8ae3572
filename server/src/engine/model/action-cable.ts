// Action Cable inside a Rails app's Puma processes. Rails mounts its server in the app at /cable (config.action_cable.mount_path),
// or the routes mount it (`mount ActionCable.server => "/cable"`); each Puma process then runs a worker pool of
// config.action_cable.worker_pool_size threads (4 by default) for connection callbacks and channel actions, and each of those
// threads checks out a database connection from the process's pool when its action uses Active Record.
import { SOURCES } from "../knowledge/sources.ts";
import { parseRubyCondition, parseRubyExpression } from "../parse/puma-rb.ts";
import { envConditionHolds, settingNumber } from "../parse/setting-expr.ts";
import type { EnvLookup } from "../parse/shell.ts";
import type { Fact, SourceRef } from "../types.ts";
import { type Context, existing, join } from "./build.ts";
import type { Deployment } from "./types.ts";

/** ActionCable::Server::Configuration#initialize: `@worker_pool_size = 4` (SOURCES.actionCableWorkerPool). */
const DEFAULT_WORKER_POOL_SIZE = 4;

export const ACTION_CABLE_SOURCES = [SOURCES.actionCableWorkerPool, SOURCES.actionCableMount];

export interface ActionCable {
  /** The worker pool's threads in each Puma process. */
  workers: Fact<number>;
  /** What says Action Cable runs in the app: config/cable.yml, or the routes' mount line. */
  at: SourceRef;
}

const SETTING = /^[ \t]*config\.action_cable\.(worker_pool_size|mount_path)[ \t]*=[ \t]*([^\n#]*?)[ \t]*(?:#.*)?$/gm;

/**
 * Action Cable in the Puma processes of the Rails app at `root`: config/cable.yml (which `rails new` writes unless
 * --skip-action-cable) or `mount ActionCable.server` in config/routes.rb, its worker pool size read from the
 * environment's config/environments/<env>.rb, then config/application.rb. Undefined when neither file says Action
 * Cable is there, or when mount_path is set to nil without a mount in the routes (a standalone cable server). `standalone`:
 * the rackup file of a standalone cable server this process runs (`puma -p 28080 cable/config.ru`): its worker pool runs here.
 */
export function actionCable(ctx: Context, deployment: Deployment, root: string, env: EnvLookup, standalone?: SourceRef): ActionCable | undefined {
  // A standalone cable server (`puma cable/config.ru`) is Action Cable whatever the app mounts.
  const cableYml = standalone ? undefined : existing(ctx, join(root, "config/cable.yml"));
  // Without config/cable.yml, the routes' mount line (read only then).
  const routes = cableYml === undefined && !standalone ? existing(ctx, join(root, "config/routes.rb")) : undefined;
  const routesText = routes === undefined ? undefined : ctx.host.read(routes);
  const mount = routesText === undefined ? undefined : /^[ \t]*mount[ \t(]+ActionCable\.server\b[^\n]*/m.exec(routesText);
  if (cableYml === undefined && !mount && !standalone) return undefined;
  const environment = env("RAILS_ENV")?.value || env("RACK_ENV")?.value || "production";
  let workers: Fact<number> | undefined;
  let unmounted = false;
  for (const name of [`config/environments/${environment}.rb`, "config/application.rb"]) {
    const path = existing(ctx, join(root, name));
    const text = path === undefined ? undefined : ctx.host.read(path);
    if (path === undefined || text === undefined || !text.includes("config.action_cable.")) continue;
    for (const m of text.matchAll(SETTING)) {
      const start = (m.index ?? 0) + m[0].indexOf(m[2], m[0].indexOf("="));
      // `= 8 if Rails.env.production?`: the value counts where its condition holds; under a test Headroom cannot read, not at all.
      const modifier = /^(.*?)[ \t]+(if|unless)[ \t]+(.+)$/.exec(m[2]);
      const condition = modifier ? parseRubyCondition(modifier[3], modifier[2] === "unless") : undefined;
      if (modifier && !(condition && envConditionHolds(condition, (name) => env(name)?.value))) continue;
      const written = modifier ? modifier[1] : m[2];
      if (m[1] === "mount_path") {
        if (written === "nil") unmounted = true;
        continue;
      }
      const expr = workers ? undefined : parseRubyExpression(text, path, start, start + written.length);
      const value = expr && settingNumber(expr, path, env);
      if (value) workers = value;
    }
    if (workers) {
      deployment.files.add(path);
      break;
    }
  }
  if (unmounted && !mount && !standalone) return undefined;
  const at: SourceRef = standalone ?? (mount && routes ? { file: routes, start: mount.index, end: mount.index + mount[0].length } : { file: cableYml as string, start: 0, end: 0 });
  deployment.files.add(at.file);
  return { workers: workers ?? { value: DEFAULT_WORKER_POOL_SIZE, origin: "default", by: "Action Cable", at }, at };
}
