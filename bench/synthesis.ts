/**
 * Synthesis overhead: a fleet of aws-ha clusters through ClusterStack/KrakenCluster, against the
 * raw cdktf program generated from that very output. Each run is a fresh Node.js process that
 * reports its own time (from process start to the end of app.synth()) and peak memory (maxRSS),
 * as `cdktf synth` would run the app.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { conventionalL1Class, firstDifference, generateRawStack, withoutCdktfMetadata, type L1Class, type SynthesizedStack } from "./baseline/generate";
import type { ProviderSchemas } from "./baseline/provider-schema";
import { ROOT, writeFleet } from "./fleet";

export interface SynthesisRun {
  /** From process start to the end of app.synth(). */
  readonly elapsedMs: number;
  readonly maxRssMiB: number;
}

export interface SynthesisResult {
  readonly clusters: number;
  readonly kraken: readonly SynthesisRun[];
  readonly raw: readonly SynthesisRun[];
  /** Resources per stack (every stack of the fleet has the same shape). */
  readonly resourcesPerStack: number;
}

const fromProject = (module: string): string => require.resolve(module, { paths: [ROOT] });

/** The L1 class of a type, checked against the installed provider package (a few are suffixed, e.g. ...ConfigurationA). */
export function installedL1Class(kind: "resource" | "data", type: string): L1Class {
  const expected = conventionalL1Class(kind, type);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is named at run time
  const exports = require(fromProject(expected.module)) as Record<string, unknown>;
  const matches = (name: string): boolean => {
    const candidate = exports[name];
    return typeof candidate === "function" && ((candidate as { tfResourceType?: string }).tfResourceType === type || (type === "terraform_data" && name === "DataResource"));
  };
  if (matches(expected.exportName)) return expected;
  const found = Object.keys(exports).find(matches);
  if (!found) throw new Error(`${expected.module} exports no L1 class for ${kind} ${type}`);
  return { module: expected.module, exportName: found };
}

/** A program for one synthesis: the harness around `build`, which adds the stacks to `app`. */
function harness(build: string): string {
  return [
    '"use strict";',
    "// Written by bench/synthesis.ts. Reports the time since process start and the peak memory.",
    `const { App } = require(${JSON.stringify(fromProject("cdktf"))});`,
    "const app = new App({ outdir: process.argv[2] });",
    build,
    "app.synth();",
    "const elapsedMs = performance.now();",
    "process.stdout.write(JSON.stringify({ elapsedMs, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));",
    "",
  ].join("\n");
}

function runProgram(program: string, outdir: string, cwd: string): SynthesisRun {
  const result = spawnSync(process.execPath, [program, outdir], { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`synthesis by ${program} failed (${String(result.status ?? result.signal)}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as SynthesisRun;
}

function stacksOf(outdir: string): Map<string, SynthesizedStack> {
  const stacks = new Map<string, SynthesizedStack>();
  for (const name of readdirSync(join(outdir, "stacks")).sort()) {
    stacks.set(name, JSON.parse(readFileSync(join(outdir, "stacks", name, "cdk.tf.json"), "utf8")) as SynthesizedStack);
  }
  return stacks;
}

/** Throws, naming the first difference, unless both outputs hold the same stacks with the same JSON ("//" metadata aside). */
export function assertSameStacks(krakenOut: string, rawOut: string): void {
  const kraken = stacksOf(krakenOut);
  const raw = stacksOf(rawOut);
  const names = firstDifference([...kraken.keys()], [...raw.keys()]);
  if (names) throw new Error(`the raw baseline synthesized other stacks than KrakenCluster: ${names}`);
  for (const [name, stack] of kraken) {
    const difference = firstDifference(withoutCdktfMetadata(stack), withoutCdktfMetadata(raw.get(name)));
    if (difference) throw new Error(`stack ${name}: the raw baseline's JSON differs from KrakenCluster's at ${difference}`);
  }
}

/**
 * Synthesizes `clusters` aws-ha clusters both ways, `runs` times each, interleaved (after one
 * warm-up of each, unless `rawWarmUp` is false), and checks the two outputs are equal.
 */
export function measureSynthesis(clusters: number, runs: number, schemas: ProviderSchemas, work: string, rawWarmUp = true): SynthesisResult {
  const directory = join(work, `synth-${clusters}`);
  mkdirSync(join(directory, "raw"), { recursive: true });
  const fleet = writeFleet(clusters, directory);

  const krakenProgram = join(directory, "kraken-app.js");
  writeFileSync(
    krakenProgram,
    harness(
      [
        `const { ClusterStack, loadClusterFiles } = require(${JSON.stringify(join(ROOT, "dist/index.js"))});`,
        `for (const cluster of loadClusterFiles([${JSON.stringify(fleet.next)}])) new ClusterStack(app, cluster);`,
      ].join("\n"),
    ),
  );
  const krakenOut = join(directory, "kraken.out");
  runProgram(krakenProgram, krakenOut, directory);

  // The baseline, generated from what KrakenCluster synthesized: one module per stack.
  const modules: string[] = [];
  let resourcesPerStack = 0;
  for (const [name, stack] of stacksOf(krakenOut)) {
    const module = join(directory, "raw", `${name}.js`);
    writeFileSync(module, generateRawStack(stack, schemas, { classFor: installedL1Class, moduleSpecifier: fromProject }));
    modules.push(module);
    resourcesPerStack = Object.values(stack.resource ?? {}).reduce((sum, byId) => sum + Object.keys(byId).length, 0);
  }
  const rawProgram = join(directory, "raw-app.js");
  writeFileSync(rawProgram, harness(`for (const module of ${JSON.stringify(modules)}) require(module).build(app);`));
  const rawOut = join(directory, "raw.out");
  if (rawWarmUp || runs === 0) runProgram(rawProgram, rawOut, directory);

  const kraken: SynthesisRun[] = [];
  const raw: SynthesisRun[] = [];
  for (let run = 0; run < runs; run++) {
    kraken.push(runProgram(krakenProgram, krakenOut, directory));
    raw.push(runProgram(rawProgram, rawOut, directory));
  }
  assertSameStacks(krakenOut, rawOut);
  return { clusters, kraken, raw, resourcesPerStack };
}
