import { SOURCES } from "../../knowledge/sources.ts";
import type { ProxyLocation, ProxyUpstream } from "../../model/nginx.ts";
import type { Fix, RelatedInfo, TextEdit } from "../../types.ts";
import { defineRule } from "../define.ts";
import { insertInBlock } from "./common.ts";

const within = (at: { file: string; start: number; end: number }, block: { file: string; start: number; end: number }) =>
  at.file === block.file && at.start > block.start && at.end < block.end;

const conf = (location: string) =>
  `events {\n    worker_connections 4096;\n}\n\nhttp {\n    upstream api_backend {\n        server api:8000;\n        keepalive 32;\n    }\n    server {\n        listen 80;\n        location / {\n${location}            proxy_pass http://api_backend;\n        }\n    }\n}\n`;

export default defineRule({
  meta: {
    id: "nginx/upstream-keepalive-off",
    summary: "An upstream's keepalive is off because the proxy uses HTTP/1.0 or sends Connection: close",
    severity: "warning",
    fix: "safe",
    sources: [SOURCES.nginxUpstreamKeepalive, SOURCES.nginxUpstreamKeepaliveDefault1297],
    docs: {
      why:
        "`keepalive N` in an upstream block keeps idle connections to the backends for reuse, but before nginx 1.29.7 nginx proxies " +
        "with HTTP/1.0 and sends \"Connection: close\", so the backend closes every connection and the cache stays empty: each request " +
        "pays a new TCP connection (and a TIME_WAIT socket) as if keepalive were not there. nginx's docs: \"For HTTP, the " +
        "proxy_http_version directive should be set to '1.1' and the 'Connection' header field should be cleared\". nginx 1.29.7 made " +
        "HTTP/1.1 with keep-alive the default; the two directives keep it working on every version. `proxy_set_header Connection " +
        "$connection_upgrade` with nginx's WebSocket `map` (`'' close;`) sends \"Connection: close\" with every request that is not " +
        "an upgrade, which turns keepalive off the same way: map those to an empty value (`'' \"\";`) instead. Note that proxy_set_header in a " +
        "location replaces all the headers it would inherit, so the fix copies the inherited ones into the location.",
      bad: { "nginx/nginx.conf": conf("") },
      good: { "nginx/nginx.conf": conf('            proxy_http_version 1.1;\n            proxy_set_header Connection "";\n') },
    },
  },
  check({ model, report, text }) {
    for (const proxy of model.proxies ?? []) {
      const byName = new Map<string, ProxyUpstream>(proxy.upstreams.filter((u) => u.keepalive && u.keepalive.value > 0).map((u) => [u.name, u]));
      for (const location of proxy.locations) {
        const upstream = location.proxyPass?.upstream ? byName.get(location.proxyPass.upstream) : undefined;
        // The version and Connection header are the HTTP proxy's; uwsgi_pass has neither (and no keep_conn to set).
        if (!upstream?.keepalive || location.proxyPass?.module !== "proxy") continue;
        const version = location.httpVersion;
        const connection = location.connectionHeader;
        const map = location.connectionMap;
        const { needsVersion, needsConnection } = keepaliveGaps(location);
        if (!needsVersion && !needsConnection) continue;
        const lacks: string[] = [];
        if (needsVersion) lacks.push(version ? `proxies with proxy_http_version ${version.value}` : "has no proxy_http_version 1.1");
        if (needsConnection && map) lacks.push(`sends "Connection: close" with ordinary requests (map ${map.source} ${map.variable} gives close when ${map.source} is empty)`);
        else if (needsConnection) lacks.push(connection ? `sends "Connection: ${connection.value}"` : "does not clear the Connection header");
        const related: RelatedInfo[] = [];
        if (upstream.keepalive.at) related.push({ at: upstream.keepalive.at, message: `keepalive ${upstream.keepalive.value} in upstream ${upstream.name}` });
        if (version?.at && needsVersion) related.push({ at: version.at, message: `proxy_http_version ${version.value}` });
        if (connection?.at && needsConnection) related.push({ at: connection.at, message: `proxy_set_header Connection ${connection.value}` });
        if (map?.whenEmpty.at && needsConnection) related.push({ at: map.whenEmpty.at, message: `${map.variable} is close when ${map.source} is empty` });
        const fix = keepaliveFix(location, needsVersion, needsConnection, text);
        report({
          at: location.proxyPass.at,
          message:
            `upstream ${upstream.name} sets keepalive ${upstream.keepalive.value}, but this location ${lacks.join(" and ")}: ` +
            (needsVersion || !map
              ? "before nginx 1.29.7, nginx proxies with HTTP/1.0 and \"Connection: close\" unless told otherwise, so every request opens a new connection to the upstream and keepalive is silently off."
              : "the backend closes each connection after its response, so every request opens a new connection to the upstream and keepalive is silently off."),
          related,
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
});

/** What a location lacks for upstream keepalive before nginx 1.29.7: HTTP/1.1, and a cleared Connection header. */
export function keepaliveGaps(location: ProxyLocation): { needsVersion: boolean; needsConnection: boolean } {
  const connection = location.connectionHeader;
  // A `map` variable (`$connection_upgrade`) sends what the map gives an ordinary request.
  const sent = location.connectionMap?.whenEmpty ?? connection;
  return { needsVersion: location.httpVersion?.value !== "1.1", needsConnection: !connection || sent?.value.trim().toLowerCase() === "close" };
}

function keepaliveFix(location: ProxyLocation, needsVersion: boolean, needsConnection: boolean, text: (file: string) => string | undefined): Fix | undefined {
  const file = location.block.file;
  const source = text(file);
  if (source === undefined) return undefined;
  const edits: TextEdit[] = [];
  const lines: string[] = [];
  const version = location.httpVersion;
  // Set at this level by an include in the block: the fix would have to change the included file, which other blocks share.
  if (needsVersion && version?.at && !within(version.at, location.block) && location.ownDirectives.has("proxy_http_version")) return undefined;
  if (needsVersion) {
    // Written in this location: change it (a second proxy_http_version here would be a duplicate).
    if (version?.at && within(version.at, location.block)) {
      if (version.at.file !== file || source.slice(version.at.start, version.at.end) !== version.value) return undefined;
      edits.push({ ...version.at, newText: "1.1" });
    } else lines.push("proxy_http_version 1.1;");
  }
  const mapped = location.connectionMap?.whenEmpty;
  if (needsConnection && mapped?.at && mapped.origin === "stated") {
    // The map keeps WebSocket upgrades working; clearing its value for ordinary requests keeps the connections too.
    if (text(mapped.at.file)?.slice(mapped.at.start, mapped.at.end) !== mapped.value) return undefined;
    edits.push({ ...mapped.at, newText: '""' });
  } else if (needsConnection) {
    const connection = location.connectionHeader;
    if (connection?.at && within(connection.at, location.block)) {
      edits.push({ ...connection.at, newText: 'proxy_set_header Connection "";' });
    } else {
      // proxy_set_header here replaces every inherited one: carry them over, except Connection.
      if (location.setHeaders.inherited) {
        for (const header of location.setHeaders.list) {
          if (header.name.toLowerCase() === "connection") continue;
          const raw = text(header.at.file)?.slice(header.at.start, header.at.end);
          if (raw === undefined) return undefined;
          lines.push(raw.replace(/\s*\n\s*/g, " "));
        }
      }
      lines.push('proxy_set_header Connection "";');
    }
  }
  if (lines.length > 0) edits.push(insertInBlock(source, location.block, lines));
  if (needsConnection && mapped?.at && mapped.origin === "stated") {
    return { title: `${needsVersion ? "Add proxy_http_version 1.1 to the location and map" : "Map"} ordinary requests to an empty Connection header`, safe: true, edits };
  }
  const what = [needsVersion ? "proxy_http_version 1.1" : "", needsConnection ? 'proxy_set_header Connection ""' : ""].filter(Boolean).join(" and ");
  return { title: `Add ${what} to the location`, safe: true, edits };
}
