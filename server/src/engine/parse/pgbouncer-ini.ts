// PgBouncer's pgbouncer.ini, read as text with every value's place (pgbouncer.org/config.html):
// `key = value` lines under `[pgbouncer]`, `[databases]` and `[users]`; a line starting with `;` or `#`
// is a comment, and the characters are not special later in a line (the INI reader's uWSGI dialect reads
// the same way). A `[databases]` value is a connection string of `name=value` pairs separated by blanks,
// a value in single quotes may hold blanks (`connect_query='SELECT 1'`). Later lines win; a second
// `[pgbouncer]` header starts over from the defaults (PgBouncer 1.18 reads the settings of the last one only:
// test/unit/pgbouncer-oracle.test.ts). `%include` lines are not followed.
import { readIni, type Span } from "./ini.ts";

export interface PgBouncerValue {
  value: string;
  span: Span;
}

export interface PgBouncerDatabaseEntry {
  /** The name clients connect to (`*` is the fallback for any other name). */
  name: string;
  nameSpan: Span;
  /** The connection string's parameters (host, port, dbname, user, pool_size, reserve_pool(_size), max_db_connections, …). */
  params: Map<string, PgBouncerValue>;
}

export interface PgBouncerIni {
  /** The `[pgbouncer]` section's settings, by name. */
  settings: Map<string, PgBouncerValue>;
  /** Where the `[pgbouncer]` header is written (the place a setting that is not written would go). */
  header?: Span;
  databases: PgBouncerDatabaseEntry[];
}

export function parsePgBouncerIni(text: string): PgBouncerIni {
  const settings = new Map<string, PgBouncerValue>();
  const databases = new Map<string, PgBouncerDatabaseEntry>();
  let header: Span | undefined;
  for (const section of readIni(text, { configparser: false })) {
    const name = section.name.trim().toLowerCase();
    if (name === "pgbouncer") {
      settings.clear();
      header = section.nameSpan;
      for (const entry of section.entries) {
        if (entry.value !== undefined) settings.set(entry.key, { value: entry.value, span: entry.valueSpan });
      }
    } else if (name === "databases") {
      for (const entry of section.entries) {
        if (entry.value === undefined) continue;
        const dbName = entry.key.replace(/^"(.*)"$/, "$1");
        databases.set(dbName, { name: dbName, nameSpan: entry.keySpan, params: connectionParams(entry.value, entry.valueSpan.start) });
      }
    }
  }
  return { settings, header, databases: [...databases.values()] };
}

/** `host=db port=5432 pool_size=30 connect_query='SELECT 1'`: each parameter's value and where it is written. */
function connectionParams(value: string, offset: number): Map<string, PgBouncerValue> {
  const params = new Map<string, PgBouncerValue>();
  const pair = /([A-Za-z_][\w]*)\s*=\s*('(?:[^']|'')*'|[^\s']*)/g;
  for (let m = pair.exec(value); m; m = pair.exec(value)) {
    const raw = m[2];
    const start = offset + m.index + m[0].length - raw.length;
    const quoted = raw.startsWith("'");
    params.set(m[1].toLowerCase(), {
      value: quoted ? raw.slice(1, -1).replace(/''/g, "'") : raw,
      span: quoted ? { start: start + 1, end: start + raw.length - 1 } : { start, end: start + raw.length },
    });
  }
  return params;
}
