import type { ServerInvocation } from "../parse/servers.ts";
import type { ShellWord } from "../parse/shell.ts";
import type { Fact, SourceRef } from "../types.ts";

/** One web or job server process group as it runs in one instance of a deployment. */
export interface ServerProcess {
  invocation: ServerInvocation;
  /** The words of the command that starts it (after expansion). */
  words: ShellWord[];
  /** The whole command as written, for messages and fixes that rewrite it. */
  commandAt: SourceRef;
  /** Worker processes per instance, with where the number comes from. */
  workers: Fact<number>;
  /** The workers count is computed from the machine's CPU count at start (cpu_count()). */
  workersFromCpuCount?: { at: SourceRef; formula: string };
  reload?: SourceRef;
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
  instances: Fact<number>;
  cpus?: Fact<number>;
  memoryMiB?: Fact<number>;
  env: Map<string, Fact<string>>;
  processes: ServerProcess[];
}

export interface DeploymentModel {
  deployments: Deployment[];
}
