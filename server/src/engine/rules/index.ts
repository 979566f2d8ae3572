// The rule registry: the catalogue, in the order docs list them.
import type { Rule } from "./define.ts";
import workersExceedCpu from "./workers/exceed-cpu.ts";
import workersSingleProcess from "./workers/single-process.ts";

export const ALL_RULES: Rule[] = [workersSingleProcess, workersExceedCpu];
