// Worker counts a start script computes from nproc: described as CPUs x multiplier + add, never run.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { shellCpuFormula } from "../../server/src/engine/parse/shell-cpu-count.ts";

describe("shellCpuFormula", () => {
  it("reads the CPU-count commands and shell arithmetic over them", () => {
    const cases: Record<string, [number, number]> = {
      "$(nproc)": [1, 0],
      "$( nproc --all )": [1, 0],
      "`nproc`": [1, 0],
      "$(getconf _NPROCESSORS_ONLN)": [1, 0],
      "$(( $(nproc) * 2 + 1 ))": [2, 1],
      "$(($(nproc)*2+1))": [2, 1],
      "$((2 * $(nproc) + 1))": [2, 1],
      "$(( ($(nproc) + 1) * 2 ))": [2, 2],
      "$(( $(nproc) / 2 ))": [0.5, 0],
      "$(( $(nproc) - 1 ))": [1, -1],
    };
    for (const [text, [multiplier, add]] of Object.entries(cases)) assert.deepEqual(shellCpuFormula(text), { multiplier, add }, text);
  });

  it("is undefined for anything else: other commands, variables, products of two counts, no CPU term", () => {
    for (const text of ["$(cat /etc/workers)", "$(( WORKERS * 2 ))", "$(( $(nproc) * $(nproc) ))", "$(( 4 + 1 ))", "$(nproc", "$(( $(nproc) / 0 ))", "$(( 0 - $(nproc) ))", "4", "$WORKERS", "$(nproc) extra"]) {
      assert.equal(shellCpuFormula(text), undefined, text);
    }
  });
});
