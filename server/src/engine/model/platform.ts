// What a platform's descriptor (render.yaml, fly.toml, heroku.yml, Kamal's deploy.yml) says about one service, in the model's terms, for
// model/build.ts to turn into a deployment: its size, instances and environment as the descriptor states
// them, and what it runs: a command written there, or its image's Dockerfile (whose CMD the command replaces).
import type { FlyConcurrency } from "../parse/fly-toml.ts";
import type { Fact, SourceRef } from "../types.ts";
import type { CpuLimit, Link } from "./types.ts";

export interface PlatformService {
  /** Deployment id, e.g. `render:render.yaml#api`. */
  id: string;
  name: string;
  /** The descriptor and the other files it names. */
  files: string[];
  /** The folder relative paths of the command are read from. */
  dir: string;
  links: Link[];
  cpus?: CpuLimit;
  memoryMiB?: Fact<number>;
  /** Left out where the descriptor does not say (the model then assumes one instance). */
  instances?: Fact<number>;
  /** Why the instance count is not known, when the descriptor cannot say it (fly.toml: `fly scale count` sets it). */
  instancesUnknown?: string;
  /** `instances` is the autoscaling maximum. */
  instancesAreMax?: true;
  env: Map<string, Fact<string>>;
  /** The platform that sets PORT when it starts an instance, to a value not in the workspace. */
  portSetBy?: string;
  /** The platform proxy's limits on what it sends one instance at once (fly.toml's concurrency). */
  proxyConcurrency?: FlyConcurrency[];
  /** A command line the platform runs (through a shell, as a Procfile line is read). */
  command?: { text: string; at: SourceRef };
  /** The Dockerfile the image is built from, when there is one: its ENTRYPOINT, ENV and (without `command`) CMD apply. */
  dockerfile?: string;
  /** The image's build context, where the paths its commands name are looked for (the Dockerfile's folder when absent). */
  dockerContext?: string;
  /** The build's arguments (heroku.yml's `build.config`): an `ENV X=$X` after `ARG X` takes its value from them. */
  buildArgs?: Map<string, Fact<string>>;
  /** The stage of a multi-stage Dockerfile the image is built to (the last when absent). */
  target?: string;
}
