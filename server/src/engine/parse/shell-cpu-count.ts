// Worker counts a shell computes from the CPU count when the script runs: `$(nproc)`,
// `$(nproc --all)`, `` `nproc` ``, `$(getconf _NPROCESSORS_ONLN)`, and shell arithmetic over them
// (`$(( $(nproc) * 2 + 1 ))`). Described as a CpuFormula (count = CPUs x multiplier + add), never run.
import type { CpuFormula } from "./setting-expr.ts";

/** The commands that print the CPU count: GNU/busybox nproc (`--all`: every installed CPU) and POSIX getconf. */
const CPU_COMMAND = /^(?:nproc(?:\s+--all)?|getconf\s+_?NPROCESSORS_(?:ONLN|CONF))$/;

/** A linear function of the CPU count: CPUs x m + c. */
interface Linear {
  m: number;
  c: number;
}

/**
 * The CPU formula a shell word computes, when it is one of the forms above (with blanks anywhere
 * the shell allows them); undefined for anything else, including counts that depend on other values.
 */
export function shellCpuFormula(text: string): CpuFormula | undefined {
  const value = expression(text.trim());
  if (!value || value.m <= 0) return undefined;
  return { multiplier: value.m, add: value.c };
}

/** A whole word: a command substitution, or `$((...))`. */
function expression(text: string): Linear | undefined {
  const arith = /^\$\(\((.*)\)\)$/s.exec(text);
  if (arith) return new Arithmetic(arith[1]).parse();
  return substitution(text);
}

function substitution(text: string): Linear | undefined {
  const m = /^\$\(\s*(.*?)\s*\)$/s.exec(text) ?? /^`\s*(.*?)\s*`$/s.exec(text);
  return m && CPU_COMMAND.test(m[1]) ? { m: 1, c: 0 } : undefined;
}

/** `$((...))` over integers, + - * / and parentheses, with command substitutions of the CPU count as operands. */
class Arithmetic {
  private p = 0;
  constructor(private readonly s: string) {}

  parse(): Linear | undefined {
    const value = this.sum();
    this.blank();
    return value && this.p === this.s.length ? value : undefined;
  }

  private sum(): Linear | undefined {
    let left = this.product();
    for (;;) {
      this.blank();
      const op = this.s[this.p];
      if (!left || (op !== "+" && op !== "-")) return left;
      this.p++;
      const right = this.product();
      if (!right) return undefined;
      left = op === "+" ? { m: left.m + right.m, c: left.c + right.c } : { m: left.m - right.m, c: left.c - right.c };
    }
  }

  private product(): Linear | undefined {
    let left = this.operand();
    for (;;) {
      this.blank();
      const op = this.s[this.p];
      if (!left || (op !== "*" && op !== "/")) return left;
      this.p++;
      const right = this.operand();
      if (!right) return undefined;
      if (op === "*") {
        // Linear only while one side is a constant.
        if (left.m !== 0 && right.m !== 0) return undefined;
        left = { m: left.m * right.c + right.m * left.c, c: left.c * right.c };
      } else {
        if (right.m !== 0 || right.c === 0) return undefined;
        left = { m: left.m / right.c, c: left.c / right.c };
      }
    }
  }

  private operand(): Linear | undefined {
    this.blank();
    const rest = this.s.slice(this.p);
    const number = /^\d+/.exec(rest);
    if (number) {
      this.p += number[0].length;
      return { m: 0, c: Number(number[0]) };
    }
    if (rest.startsWith("(")) {
      this.p++;
      const inner = this.sum();
      this.blank();
      if (!inner || this.s[this.p] !== ")") return undefined;
      this.p++;
      return inner;
    }
    const command = /^\$\([^()]*\)|^`[^`]*`/.exec(rest);
    if (command) {
      this.p += command[0].length;
      return substitution(command[0]);
    }
    return undefined;
  }

  private blank(): void {
    while (this.p < this.s.length && /\s/.test(this.s[this.p])) this.p++;
  }
}
