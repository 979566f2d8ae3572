// s6-overlay (just-containers/s6-overlay): an image whose command is its `/init` runs, side by side under s6's supervision,
// the long-running services whose `run` scripts the image holds: every /etc/services.d/<name>/run (the v2 layout, which v3
// still starts), and each v3 s6-rc service /etc/s6-overlay/s6-rc.d/<name>/ whose `type` is `longrun` and that the `user`
// (or `user2`) bundle lists (`user/contents.d/<name>`). A run script sees the container's environment only through
// `with-contenv` (its shebang, `#!/command/with-contenv bash`) or with S6_KEEP_ENV=1 (SOURCES.s6Overlay).

/** The program an s6-overlay image runs as its entrypoint. */
export const S6_INIT = "/init";

/** linuxserver.io's base images (`ghcr.io/linuxserver/baseimage-alpine:3.20`, `lscr.io/…`, the older `lsiobase/…`): their ENTRYPOINT is /init. */
const LINUXSERVER_BASE_IMAGE = /^(?:(?:(?:ghcr|lscr|docker)\.io\/)?linuxserver\/baseimage-[\w.-]+|(?:docker\.io\/)?lsiobase\/[\w.-]+)(?::[\w][\w.-]*)?(?:@sha256:[0-9a-f]{64})?$/i;

/** Whether an image built FROM `image` inherits s6-overlay's /init as its ENTRYPOINT. */
export function inheritsS6Init(image: string): boolean {
  return LINUXSERVER_BASE_IMAGE.test(image.trim());
}

/** Per-audit cache key of the workspace files named `run` (shell scripts by name), set by buildModel. */
export const S6_RUN_FILES = "s6-run-files";

/** The service an image path is the run script of, and whether it is an s6-rc one (which needs its type and the bundle). */
export function s6Service(imagePath: string): { name: string; rc: boolean } | undefined {
  const legacy = /^\/etc\/services\.d\/([^/]+)\/run$/.exec(imagePath);
  if (legacy) return { name: legacy[1], rc: false };
  const rc = /^\/etc\/s6-overlay\/s6-rc\.d\/([^/]+)\/run$/.exec(imagePath);
  return rc && rc[1] !== "user" && rc[1] !== "user2" ? { name: rc[1], rc: true } : undefined;
}

/** The image paths whose presence puts an s6-rc service in a bundle s6-overlay starts. */
export function s6BundleEntries(name: string): string[] {
  return ["user", "user2"].flatMap((bundle) => [`/etc/s6-overlay/s6-rc.d/${bundle}/contents.d/${name}`, `/etc/s6-overlay/user-bundles.d/${bundle}/contents.d/${name}`]);
}

/** A reverse proxy a program beside the servers runs (it reaches their loopback): `nginx -g "daemon off;"`, caddy, ... */
export const PROXY_PROGRAM = /\b(nginx|openresty|caddy|haproxy|traefik|envoy)\b/;

/** The s6-rc service's `type` file. */
export function s6TypeFile(name: string): string {
  return `/etc/s6-overlay/s6-rc.d/${name}/type`;
}

/** Whether S6_KEEP_ENV, set to a non-zero value, keeps the container's environment for every service. */
export function s6KeepsEnv(keepEnv: string | undefined): boolean {
  return keepEnv !== undefined && keepEnv !== "" && keepEnv !== "0";
}

/** Whether a shell run script reads the container's environment: through with-contenv, or with S6_KEEP_ENV (`keepEnv`). */
export function s6SeesContainerEnv(text: string, keepEnv: boolean): boolean {
  return /^#!\s*\S*\/with-contenv\s/.test(text.replace(/^\uFEFF/, "")) || keepEnv;
}
