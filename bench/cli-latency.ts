/**
 * Cold start of the built CLI (bin/k2.js): each run a fresh process, timed from spawn to exit,
 * beside `node -e 0` in the same rounds on the same machine.
 */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { K2 } from "./fleet";

export interface TimedCommand {
  readonly id: string;
  readonly args: readonly string[];
  /** Exit codes that mean the command worked (k2 plan exits 2 or 3 on changes). */
  readonly okStatuses: readonly number[];
}

/** A k2 command run by the same Node.js as the benchmark. */
export function k2Command(id: string, args: readonly string[], okStatuses: readonly number[] = [0]): TimedCommand {
  return { id, args: [K2, ...args], okStatuses };
}

export const NODE_BASELINE: TimedCommand = { id: "node", args: ["-e", "0"], okStatuses: [0] };

/** Wall time of one run of `command`, in milliseconds; throws when it fails. */
export function timeCommand(command: TimedCommand): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, [...command.args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
  const elapsed = performance.now() - start;
  if (result.status === null || !command.okStatuses.includes(result.status)) {
    throw new Error(`${command.id} (node ${command.args.join(" ")}) exited ${String(result.status ?? result.signal)}:\n${result.stderr}`);
  }
  return elapsed;
}

/** Runs every command once per round (after one warm-up round), `runs` rounds; the samples by command id. */
export function timeInRounds(commands: readonly TimedCommand[], runs: number): Map<string, number[]> {
  for (const command of commands) timeCommand(command);
  const samples = new Map<string, number[]>(commands.map((command) => [command.id, []]));
  for (let round = 0; round < runs; round++) {
    for (const command of commands) samples.get(command.id)!.push(timeCommand(command));
  }
  return samples;
}
