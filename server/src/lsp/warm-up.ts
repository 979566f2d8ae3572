// A fresh server's first edits run while V8 is still compiling the edit path: on a 3,000-line compose
// file the first ~35 audits take 2 to 4 times what later ones do (docs/performance.md, item 47). The
// server spends that time once, in idle time after its first audit, on edits of its own that it audits
// and throws away, so that the user's first keystrokes are served by compiled code.

/** How many audits the warm-up runs at most: past ~60, the edit path's audit time no longer drops. */
export const WARM_UP_AUDITS = 60;
/** And for how much CPU time at most (ms), so that a slow machine or a big workspace stops it early. */
export const WARM_UP_BUDGET_MS = 1500;

/**
 * The text a warm-up audit sees: `text` with one space added at the end of the line that holds its
 * middle character: an edit like typing, that moves what comes after it. Whatever it does to the
 * file's meaning, the audits that see it are thrown away. Undefined for an empty text.
 */
export function warmUpText(text: string): string | undefined {
  if (text.length === 0) return undefined;
  let lineEnd = text.indexOf("\n", Math.floor(text.length / 2));
  if (lineEnd < 0) lineEnd = text.length;
  if (lineEnd > 0 && text[lineEnd - 1] === "\r") lineEnd--;
  return `${text.slice(0, lineEnd)} ${text.slice(lineEnd)}`;
}

export interface WarmUpSteps {
  /** Audits the workspace with the warm-up's text of the edited document (`text`), or its real text (undefined); CPU ms taken. */
  audit(text: string | undefined): number;
  /** Why the warm-up must stop now (the user edited, a document closed...), or undefined to go on. */
  interrupted(): string | undefined;
  /** Runs `step` on a later turn of the event loop, after any message that came in. */
  later(step: () => void): void;
  /** `interrupted`: it stopped for `interrupted()`, not at its end, a slow audit or its budget. */
  done(summary: string, interrupted: boolean): void;
}

/**
 * Alternates audits of the edited text and of the real one, one per turn of the event loop, until
 * WARM_UP_AUDITS, WARM_UP_BUDGET_MS or an interruption; or until its two first audits have both taken
 * over `slowAuditMs` of CPU time: there edits are debounced, and a keystroke waits anyway. (One slow audit says
 * little: the first ones are the slow ones the warm-up is for, and load or a GC slows any one.) Its
 * last audit is of the real text when it is not interrupted.
 */
export function warmUp(edited: string, steps: WarmUpSteps, slowAuditMs: number): void {
  let audits = 0;
  let spent = 0;
  let fastest = Number.POSITIVE_INFINITY;
  const finish = (why: string, interrupted = false) => steps.done(`warm-up: ${audits} audits in ${Math.round(spent)} ms, ${why}`, interrupted);
  const step = (): void => {
    const interruption = steps.interrupted();
    if (interruption) return finish(`stopped: ${interruption}`, true);
    const ms = steps.audit(audits % 2 === 0 ? edited : undefined);
    audits++;
    spent += ms;
    fastest = Math.min(fastest, ms);
    if (audits >= 2 && fastest > slowAuditMs) return finish(`stopped: its audits take ${Math.round(fastest)} ms or more`);
    if (audits >= WARM_UP_AUDITS || (spent > WARM_UP_BUDGET_MS && audits % 2 === 0)) return finish("done");
    steps.later(step);
  };
  steps.later(step);
}
