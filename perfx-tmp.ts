import { composeYml, nginxConf } from "./bench/gen.ts";
import { AuditSession } from "./server/src/engine/session.ts";
import { audit } from "./server/src/engine/audit.ts";
import { isDeepStrictEqual } from "node:util";
for (const [name, file, g, a, b] of [["compose", "docker-compose.yml", composeYml(3000), "3", "2"], ["nginx", "nginx.conf", nginxConf(5000), "60s", "61s"]] as const) {
const s = new AuditSession();
s.update(file, g.text);
const fresh = (t: string) => audit({ list: () => [file], read: (p) => (p === file ? t : undefined) });
let text = g.text;
const times: number[] = [];
for (let i = 0; i < 200; i++) {
  text = text.slice(0, g.editAt) + (i % 2 ? a : b) + text.slice(g.editAt + a.length);
  s.update(file, text);
  const t0 = performance.now(); const r = s.audit(); times.push(performance.now() - t0);
  if (i % 50 === 0 && !isDeepStrictEqual(JSON.parse(JSON.stringify(r)), JSON.parse(JSON.stringify(fresh(text))))) console.log("MISMATCH", i);
}
times.sort((a, b) => a - b);
console.log(name, "session p50", times[100].toFixed(2), "p95", times[190].toFixed(2), s.parses.stats);
}
