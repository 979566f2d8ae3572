// Parse results kept from one audit to the next, so an edit re-parses only what it changed.
// An entry is reused only when its input text is exactly the text being parsed, so a stale entry
// can never be served: invalidation is by content, whatever the caller's events say. Entries the
// last audit did not use are dropped when the next one starts (deleted files, old versions of
// edited ones), so the cache holds about one workspace's parses. What a value was made from (a compose
// file's per-service parses) is kept while the value is used, even by an audit that did not ask for it.
import { LineIndex } from "./types.ts";

export interface ParseMemo {
  /**
   * The value `make()` returns for `input`, reused while `key` maps to the same input text and
   * `valid(value)` holds (for parses that also depend on something besides the text). When `key` held
   * another text, `make` gets it and its value, to re-parse only what changed (a memo that keeps
   * nothing between audits gives nothing).
   */
  get<T>(key: string, input: string, make: (previous?: Previous<T>) => T, valid?: (value: T) => boolean): T;
  /** The value `make()` returns, reused while `valid(value)` holds: for what depends on more than one text (model/reuse.ts). */
  keep<T>(key: string, make: () => T, valid: (value: T) => boolean): T;
  /** Whether values outlive the audit, so that parsing a file in pieces to reuse them pays off. */
  readonly keepsBetweenAudits: boolean;
}

/** An earlier input of a key, and the value made from it. */
export interface Previous<T> {
  input: string;
  value: T;
}

/** One-shot audits (the CLI) parse everything once: nothing to remember. */
export const NO_MEMO: ParseMemo = { get: (_key, _input, make) => make(), keep: (_key, make) => make(), keepsBetweenAudits: false };

/**
 * The line index of `file`'s `text`, built once per text for everyone holding the memo: the model's
 * readers, suppressions, the language server's ranges and quick fixes of one audit share it.
 */
export function lineIndexOf(memo: ParseMemo, file: string, text: string): LineIndex {
  return memo.get(`line-index:${file}`, text, () => new LineIndex(text));
}

/**
 * A memo for one audit that has no cache to keep (the CLI): a text the model parses more than once
 * (a Dockerfile built by a compose service and again for the CMD its `command:` replaces) is parsed
 * once. Deployments are not kept: there is no next audit to reuse them.
 */
export function oneAuditMemo(): ParseMemo {
  const entries = new Map<string, { input: string; value: unknown }>();
  return {
    get<T>(key: string, input: string, make: () => T, valid?: (value: T) => boolean): T {
      const entry = entries.get(key);
      if (entry && entry.input === input && (!valid || valid(entry.value as T))) return entry.value as T;
      const value = make();
      entries.set(key, { input, value });
      return value;
    },
    keep: (_key, make) => make(),
    keepsBetweenAudits: false,
  };
}

interface Entry {
  input: string;
  value: unknown;
  audit: number;
  /** The keys looked up while the value was made: reusing the value keeps them too. */
  parts: string[];
}

export class ParseCache implements ParseMemo {
  readonly keepsBetweenAudits = true;
  private readonly entries = new Map<string, Entry>();
  private audit = 0;
  /** The parts of each value being made, innermost last. */
  private readonly making: string[][] = [];
  /** Parses reused and made since the cache was made, for tests and the benchmark's profile. */
  readonly stats = { hits: 0, misses: 0 };
  /** The same for `keep` (deployments reused and built). */
  readonly kept = { hits: 0, misses: 0 };

  get<T>(key: string, input: string, make: (previous?: Previous<T>) => T, valid?: (value: T) => boolean): T {
    return this.lookup(key, input, make, valid, this.stats);
  }

  keep<T>(key: string, make: () => T, valid: (value: T) => boolean): T {
    return this.lookup(key, "", make, valid, this.kept);
  }

  private lookup<T>(key: string, input: string, make: (previous?: Previous<T>) => T, valid: ((value: T) => boolean) | undefined, stats: { hits: number; misses: number }): T {
    this.making.at(-1)?.push(key);
    const entry = this.entries.get(key);
    if (entry && entry.input === input && (!valid || valid(entry.value as T))) {
      this.use(entry);
      stats.hits++;
      return entry.value as T;
    }
    const parts: string[] = [];
    this.making.push(parts);
    let value: T;
    try {
      // A value `valid` turned down is not handed on: what it depends on besides the text changed.
      value = make(entry && entry.input !== input ? { input: entry.input, value: entry.value as T } : undefined);
    } finally {
      this.making.pop();
    }
    this.entries.set(key, { input, value, audit: this.audit, parts });
    stats.misses++;
    return value;
  }

  /**
   * Marks an entry and what it was made from as used by this audit. Without it, an audit in which a compose
   * file did not change would drop its per-service parses, and the next keystroke in it would parse every service.
   */
  private use(entry: Entry): void {
    entry.audit = this.audit;
    for (const key of entry.parts) {
      const part = this.entries.get(key);
      if (part && part.audit !== this.audit) this.use(part);
    }
  }

  /** Starts an audit: drops what the previous audit did not use. */
  startAudit(): void {
    for (const [key, entry] of this.entries) if (entry.audit < this.audit) this.entries.delete(key);
    this.audit++;
  }

  get size(): number {
    return this.entries.size;
  }
}
