import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WARM_UP_AUDITS, WARM_UP_BUDGET_MS, warmUp, type WarmUpSteps, warmUpText } from "../../server/src/lsp/warm-up.ts";

describe("warmUpText", () => {
  it("adds one space at the end of the line that holds the text's middle character, before its line break", () => {
    assert.equal(warmUpText("a: 1\nb: 2\nc: 3\nd: 4\n"), "a: 1\nb: 2\nc: 3 \nd: 4\n");
  });
  it("keeps a CRLF line break whole", () => {
    assert.equal(warmUpText("a: 1\r\nb: 2\r\nc: 3\r\n"), "a: 1\r\nb: 2 \r\nc: 3\r\n");
  });
  it("edits a text of one line without a line break at its end", () => {
    assert.equal(warmUpText("worker_processes 2;"), "worker_processes 2; ");
  });
  it("makes no edit of an empty text", () => {
    assert.equal(warmUpText(""), undefined);
  });
});

/** Steps that record what each audit saw, run `later` at once, and take `auditMs` per audit. */
function recordingSteps(opts: { auditMs?: (n: number) => number; interruptAt?: number } = {}) {
  const seen: Array<string | undefined> = [];
  const result: { summary?: string; interrupted?: boolean } = {};
  const queue: Array<() => void> = [];
  const steps: WarmUpSteps = {
    audit: (text) => {
      seen.push(text);
      return opts.auditMs?.(seen.length) ?? 1;
    },
    interrupted: () => (opts.interruptAt !== undefined && seen.length >= opts.interruptAt ? "an audit is due" : undefined),
    later: (step) => queue.push(step),
    done: (summary, interrupted) => Object.assign(result, { summary, interrupted }),
  };
  const run = () => {
    while (queue.length > 0) (queue.shift() as () => void)();
  };
  return { steps, seen, result, run };
}

describe("warmUp", () => {
  it("alternates the edited text and the real one, WARM_UP_AUDITS times, and ends on the real text", () => {
    const r = recordingSteps();
    warmUp("edited", r.steps, 50);
    assert.equal(r.seen.length, 0, "nothing runs before the first turn it was given");
    r.run();
    assert.equal(r.seen.length, WARM_UP_AUDITS);
    assert.deepEqual(r.seen.slice(0, 3), ["edited", undefined, "edited"]);
    assert.equal(r.seen.at(-1), undefined);
    assert.equal(r.result.interrupted, false);
    assert.match(r.result.summary ?? "", new RegExp(`^warm-up: ${WARM_UP_AUDITS} audits in ${WARM_UP_AUDITS} ms, done$`));
  });

  it("stops when interrupted, and says so", () => {
    const r = recordingSteps({ interruptAt: 5 });
    warmUp("edited", r.steps, 50);
    r.run();
    assert.equal(r.seen.length, 5);
    assert.equal(r.result.interrupted, true);
    assert.match(r.result.summary ?? "", /5 audits .* stopped: an audit is due/);
  });

  it("stops when its two first audits are slower than the debounce threshold: there a keystroke waits anyway", () => {
    const r = recordingSteps({ auditMs: (n) => (n === 1 ? 90 : 80) });
    warmUp("edited", r.steps, 50);
    r.run();
    assert.equal(r.seen.length, 2);
    assert.equal(r.seen.at(-1), undefined, "the second audit was of the real text");
    assert.equal(r.result.interrupted, false);
    assert.match(r.result.summary ?? "", /stopped: its audits take 80 ms or more/);
  });

  it("goes on after one slow audit: the first ones are the slow ones it is for", () => {
    const r = recordingSteps({ auditMs: (n) => (n === 1 ? 90 : 5) });
    warmUp("edited", r.steps, 50);
    r.run();
    assert.equal(r.seen.length, WARM_UP_AUDITS);
  });

  it("stops past its time budget, after an audit of the real text", () => {
    const r = recordingSteps({ auditMs: () => WARM_UP_BUDGET_MS / 4.5 });
    warmUp("edited", r.steps, Number.POSITIVE_INFINITY);
    r.run();
    assert.equal(r.seen.length, 6, "over budget after the fifth, which saw the edit: one more, of the real text");
    assert.equal(r.seen.at(-1), undefined);
  });
});
