// Action Cable inside a Rails app's Puma processes. Rails mounts its server in the app at /cable (config.action_cable.mount_path),
// or the routes mount it (`mount ActionCable.server => "/cable"`); each Puma process then runs a worker pool of
// config.action_cable.worker_pool_size threads (4 by default) for connection callbacks and channel actions, and each of those
// threads checks out a database connection from the process's pool when its action uses Active Record.
import { SOURCES } from "../knowledge/sources.ts";
import type { EnvLookup } from "../parse/shell.ts";
import type { Fact, SourceRef } from "../types.ts";
import { type Context, existing, join } from "./build.ts";
import { railsConfig, railsConfigNumber } from "./rails-config.ts";
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
  // config/environments/<env>.rb over config/application.rb, each line where the environment runs it (model/rails-config.ts).
  const config = railsConfig(ctx, root, env, "action_cable");
  const pool = config.get("worker_pool_size");
  const workers = pool && railsConfigNumber(ctx, pool, env);
  if (pool && workers) deployment.files.add(pool.at.file);
  const unmounted = config.get("mount_path")?.written === "nil";
  if (unmounted && !mount && !standalone) return undefined;
  const at: SourceRef = standalone ?? (mount && routes ? { file: routes, start: mount.index, end: mount.index + mount[0].length } : { file: cableYml as string, start: 0, end: 0 });
  deployment.files.add(at.file);
  return { workers: workers ?? { value: DEFAULT_WORKER_POOL_SIZE, origin: "default", by: "Action Cable", at }, at };
}
