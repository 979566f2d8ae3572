import { SOURCES } from "../../knowledge/sources.ts";
import { defineRule } from "../define.ts";

/**
 * What nginx accepts inside `if`: the directives whose Context in nginx's docs lists "if in location" (or "if" for
 * the rewrite module's own), checked with `nginx -t` (test/unit/nginx-fixes.test.ts). A server-level `if` takes only
 * the rewrite module's directives.
 */
export const ALLOWED_IN_SERVER_IF: ReadonlySet<string> = new Set(["break", "return", "rewrite", "rewrite_log", "set", "uninitialized_variable_warn", "include"]);
export const ALLOWED_IN_LOCATION_IF: ReadonlySet<string> = new Set([
  ...ALLOWED_IN_SERVER_IF,
  "proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass", "memcached_pass",
  "add_header", "add_trailer", "expires", "root", "access_log", "error_page", "limit_rate", "limit_rate_after",
  "gzip", "sendfile", "charset", "source_charset", "override_charset", "ssi", "post_action",
]);

/** The upstream modules' settings (proxy_set_header, fastcgi_param, ...): only the `*_pass` of each is allowed in `if`. */
const UPSTREAM_SETTING = /^(proxy|fastcgi|uwsgi|scgi|grpc|memcached)_/;

/**
 * Other directives of nginx's own http modules that nginx rejects in `if` (their docs' Context stops at "location"),
 * as people write them there. A name not listed (a third-party module's) is not reported: its contexts are not known.
 */
export const NOT_IN_IF: ReadonlySet<string> = new Set([
  "if", "location", "alias", "index", "try_files", "internal", "default_type", "types", "client_max_body_size", "client_body_buffer_size",
  "keepalive_timeout", "send_timeout", "tcp_nodelay", "tcp_nopush", "aio", "directio", "output_buffers", "postpone_output", "etag",
  "chunked_transfer_encoding", "log_not_found", "log_subrequest", "open_file_cache", "resolver", "allow", "deny", "satisfy", "auth_basic",
  "auth_request", "limit_req", "limit_conn", "sub_filter", "sub_filter_once", "addition_types", "mirror", "slice", "secure_link", "gunzip",
  "server_name", "listen",
]);

/** Whether nginx rejects `name` inside an `if` of this context ("directive is not allowed here"), for the directives Headroom knows. */
export function rejectedInIf(name: string, context: "server" | "location"): boolean {
  if ((context === "server" ? ALLOWED_IN_SERVER_IF : ALLOWED_IN_LOCATION_IF).has(name)) return false;
  return UPSTREAM_SETTING.test(name) || NOT_IN_IF.has(name) || (context === "server" && ALLOWED_IN_LOCATION_IF.has(name));
}

const conf = (inIf: string) =>
  `events {\n    worker_connections 1024;\n}\n\nhttp {\n    server {\n        listen 80;\n        location / {\n            proxy_pass http://api:8000;\n` +
  `            if ($http_x_tenant) {\n${inIf}            }\n        }\n    }\n}\n`;

export default defineRule({
  meta: {
    id: "nginx/directive-not-allowed-in-if",
    summary: "A directive nginx does not allow inside `if` (proxy_set_header, proxy_read_timeout, ...): nginx -t fails",
    severity: "error",
    fix: "none",
    sources: [SOURCES.nginxIfContext, SOURCES.nginxProxySetHeaderContext],
    docs: {
      why:
        "nginx accepts only some directives inside `if`: in a location, the rewrite module's (`set`, `rewrite`, `return`, `break`, " +
        "`rewrite_log`, `uninitialized_variable_warn`), `include`, the `*_pass` of each upstream module (`proxy_pass`, `fastcgi_pass`, " +
        "`uwsgi_pass`, `scgi_pass`, `grpc_pass`, `memcached_pass`), and `add_header`, `add_trailer`, `expires`, `root`, `access_log`, " +
        "`error_page`, `limit_rate`, `limit_rate_after`, `gzip`, `sendfile`, `charset`, `source_charset`, `override_charset`, `ssi`, " +
        "`post_action` (the directives whose Context in nginx's docs lists \"if in location\"); in a server, only the rewrite module's " +
        "and `include`. Anything else, such as `proxy_set_header`, `proxy_read_timeout` or `client_max_body_size`, makes `nginx -t` " +
        "fail with \"directive is not allowed here\": nginx does not start with the file, and a reload keeps the old configuration. " +
        "Set it in the location itself, or compute the value with a `map` at http level and use its variable (`proxy_set_header " +
        "X-Tenant $tenant;`). Headroom reports nginx's own http directives only (the proxy, fastcgi, uwsgi, scgi, grpc and memcached " +
        "settings, and the core and standard-module directives people write there); a third-party module's directive is not judged. " +
        "Checked with `nginx -t` (test/unit/nginx-fixes.test.ts).",
      bad: { "nginx.conf": conf("                proxy_set_header X-Tenant $http_x_tenant;\n") },
      good: { "nginx.conf": conf("                set $tenant $http_x_tenant;\n") },
    },
  },
  check({ model, report }) {
    const seen = new Set<string>();
    for (const proxy of model.proxies ?? []) {
      for (const block of proxy.ifBlocks) {
        for (const directive of block.directives) {
          if (!rejectedInIf(directive.name, block.context)) continue;
          const key = `${directive.at.file}:${directive.at.start}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const allowed = block.context === "server" ? "only the rewrite module's directives (set, rewrite, return, break) and include" : "only set, rewrite, return, break, the *_pass directives, add_header, expires, root, limit_rate and a few others";
          report({
            at: directive.at,
            message:
              `${directive.name} is not allowed inside "if" in a ${block.context}: nginx -t fails with "\\"${directive.name}\\" directive is not allowed here", so nginx does not start with this file and a reload keeps the old configuration. ` +
              `An "if" in a ${block.context} takes ${allowed}. ` +
              (directive.name === "if" ? "Combine the conditions with a map at http level instead." : `Set ${directive.name} in the ${block.context} itself, or compute its value with a map at http level and use that variable.`),
            related: [{ at: block.at, message: `the "if" it is in` }],
          });
        }
      }
    }
  },
});
