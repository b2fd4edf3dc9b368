/**
 * `npm run bench [-- --quick]`: synthesis against raw cdktf, CLI cold start, the plan engine and
 * Terraform, each figure the median of several runs with min and max, checked against its
 * budget. Prints a table, writes bench/results.json, and exits 0 when every budget passes, 1 when
 * one fails (or a figure cannot be measured in a full run), 2 when the benchmark itself breaks
 * (e.g. the raw baseline does not synthesize the same JSON). docs/performance.md reads the table.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { planCluster, planFleet, renderText } from "../lib/plan";
import { loadClusterFiles } from "../lib/spec";
import { loadProviderSchemas } from "./baseline/provider-schema";
import { k2Command, NODE_BASELINE, timeInRounds } from "./cli-latency";
import { ROOT, writeFleet } from "./fleet";
import { exitCode, figure, pairedRatios, renderTable, summarize, type Figure } from "./stats";
import { measureSynthesis } from "./synthesis";
import { measureTerraformPlan, terraformUnavailable } from "./terraform-plan";

interface Settings {
  readonly quick: boolean;
  /** Fleet sizes for synthesis, the last one checked against the budgets. */
  readonly fleets: readonly number[];
  readonly synthRuns: (clusters: number) => number;
  /** One unmeasured run of the raw program before the measured ones (KrakenCluster's first run always is: the baseline is generated from it). */
  readonly rawWarmUp: boolean;
  readonly cliRuns: number;
  readonly terraformPlanRuns: number;
}

const FULL: Settings = { quick: false, fleets: [1, 10, 50], synthRuns: (clusters) => (clusters >= 50 ? 3 : 5), rawWarmUp: true, cliRuns: 10, terraformPlanRuns: 3 };
const QUICK: Settings = { quick: true, fleets: [1, 3], synthRuns: () => 3, rawWarmUp: false, cliRuns: 3, terraformPlanRuns: 1 };

const SYNTH_RATIO_LIMIT = 1.25;
const SYNTH_MEMORY_LIMIT_MIB = 1.5 * 1024;
const COLD_START_LIMIT = 6;
const PLAN_LIMIT_MS = 300;

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function synthesisFigures(settings: Settings, work: string): Figure[] {
  progress("provider schemas for the raw baseline (terraform providers schema -json, cached)");
  const schemas = loadProviderSchemas();
  const figures: Figure[] = [];
  const largest = settings.fleets[settings.fleets.length - 1]!;
  for (const clusters of settings.fleets) {
    const runs = settings.synthRuns(clusters);
    progress(`synthesizing ${clusters} cluster(s) through KrakenCluster and the raw baseline, ${runs} runs each`);
    const result = measureSynthesis(clusters, runs, schemas, work, settings.rawWarmUp);
    const checked = clusters === largest;
    const kraken = result.kraken.map((run) => run.elapsedMs);
    const raw = result.raw.map((run) => run.elapsedMs);
    figures.push(
      figure({ id: `synth.${clusters}.kraken.time`, label: `synth ${clusters} cluster(s): KrakenCluster`, unit: "ms", summary: summarize(kraken) }),
      figure({ id: `synth.${clusters}.raw.time`, label: `synth ${clusters} cluster(s): raw cdktf`, unit: "ms", summary: summarize(raw) }),
      figure({
        id: `synth.${clusters}.ratio`,
        label: `synth ${clusters} cluster(s): KrakenCluster / raw`,
        unit: "×",
        summary: summarize(pairedRatios(kraken, raw)),
        ...(checked ? { budget: { limit: SYNTH_RATIO_LIMIT, text: `≤ ${SYNTH_RATIO_LIMIT}×` } } : {}),
      }),
      figure({
        id: `synth.${clusters}.kraken.memory`,
        label: `synth ${clusters} cluster(s): KrakenCluster peak RSS`,
        unit: "MiB",
        summary: summarize(result.kraken.map((run) => run.maxRssMiB)),
        ...(checked ? { budget: { limit: SYNTH_MEMORY_LIMIT_MIB, text: "≤ 1.5 GiB" } } : {}),
      }),
      figure({ id: `synth.${clusters}.raw.memory`, label: `synth ${clusters} cluster(s): raw cdktf peak RSS`, unit: "MiB", summary: summarize(result.raw.map((run) => run.maxRssMiB)) }),
    );
    if (clusters === 1) {
      figures.push(figure({ id: "terraform.resources", label: "resources per aws-ha cluster stack", unit: "resources", summary: summarize([result.resourcesPerStack]) }));
    }
  }
  return figures;
}

function cliFigures(settings: Settings): Figure[] {
  const fleet10 = writeFleet(10);
  const fleet20 = writeFleet(20);
  progress(`cold start of k2 against node -e 0, ${settings.cliRuns} rounds`);
  const commands = [
    NODE_BASELINE,
    k2Command("version", ["--version"]),
    k2Command("lint", ["lint", fleet10.next]),
    k2Command("plan10", ["plan", fleet10.next, "--against", fleet10.previous], [2, 3]),
    k2Command("plan20", ["plan", fleet20.next, "--against", fleet20.previous], [2, 3]),
  ];
  const samples = timeInRounds(commands, settings.cliRuns);
  const node = samples.get("node")!;
  const ratioBudget = { limit: COLD_START_LIMIT, text: `≤ ${COLD_START_LIMIT}× node` };

  // The plan engine in this process: diff, rules and text of 20 clusters, specs already loaded.
  const next = loadClusterFiles([fleet20.next]);
  const previous = new Map(loadClusterFiles([fleet20.previous]).map((cluster) => [cluster.metadata.name, cluster]));
  const engine: number[] = [];
  for (let run = 0; run < settings.cliRuns + 1; run++) {
    const start = performance.now();
    const plans = next.map((cluster) => planCluster({ next: cluster, previous: { cluster: previous.get(cluster.metadata.name)!, source: "file", location: fleet20.previous } }));
    const fleet = planFleet(plans);
    renderText(fleet);
    if (run > 0) engine.push(performance.now() - start);
    if (fleet.clusters.some((cluster) => cluster.changes.length === 0)) throw new Error("the 20-cluster fleet must have changes in every cluster");
  }

  return [
    figure({ id: "cli.node", label: "node -e 0", unit: "ms", summary: summarize(node) }),
    figure({ id: "cli.version", label: "k2 --version", unit: "ms", summary: summarize(samples.get("version")!) }),
    figure({ id: "cli.lint", label: "k2 lint (10 clusters)", unit: "ms", summary: summarize(samples.get("lint")!) }),
    figure({ id: "cli.lint.ratio", label: "k2 lint (10 clusters) / node -e 0", unit: "×", summary: summarize(pairedRatios(samples.get("lint")!, node)), budget: ratioBudget }),
    figure({ id: "cli.plan", label: "k2 plan --against (10 clusters)", unit: "ms", summary: summarize(samples.get("plan10")!) }),
    figure({ id: "cli.plan.ratio", label: "k2 plan --against (10 clusters) / node -e 0", unit: "×", summary: summarize(pairedRatios(samples.get("plan10")!, node)), budget: ratioBudget }),
    figure({ id: "plan.20.process", label: "k2 plan (20 clusters, all changed), whole process", unit: "ms", summary: summarize(samples.get("plan20")!), budget: { limit: PLAN_LIMIT_MS, text: `≤ ${PLAN_LIMIT_MS} ms` } }),
    figure({ id: "plan.20.engine", label: "plan engine (20 clusters) in process", unit: "ms", summary: summarize(engine) }),
  ];
}

function terraformFigures(settings: Settings, work: string): Figure[] {
  const unavailable = terraformUnavailable();
  if (unavailable) {
    return [
      figure({ id: "terraform.init", label: "terraform init (aws-ha, offline mirror)", unit: "ms", note: `not measured: ${unavailable}` }),
      figure({ id: "terraform.plan", label: "terraform plan -refresh=false (aws-ha)", unit: "ms", note: `not measured: ${unavailable}` }),
    ];
  }
  progress(`terraform init and ${settings.terraformPlanRuns} terraform plan(s) of the aws-ha stack`);
  const result = measureTerraformPlan(join(work, "terraform"), settings.terraformPlanRuns);
  return [
    figure({ id: "terraform.init", label: `terraform init (aws-ha, offline mirror)`, unit: "ms", summary: summarize([result.initMs]) }),
    figure({ id: "terraform.plan", label: `terraform plan -refresh=false (aws-ha)`, unit: "ms", summary: summarize(result.planMs), note: `terraform ${result.terraformVersion}; the plan adds ${result.plannedToAdd} resources` }),
  ];
}

function machine(): Record<string, unknown> {
  const terraform = spawnSync("terraform", ["version", "-json"], { encoding: "utf8" });
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    platform: `${process.platform} ${release()}`,
    node: process.version,
    // Other work on the machine moves every figure: read the table with the load in mind.
    loadAverageAtEnd: loadavg().map((load) => Number(load.toFixed(2))),
    terraform: terraform.status === 0 ? (JSON.parse(terraform.stdout) as { terraform_version: string }).terraform_version : "not found",
  };
}

function main(argv: readonly string[]): number {
  const unknown = argv.filter((arg) => arg !== "--quick");
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown argument(s) ${unknown.join(" ")}; usage: npm run bench [-- --quick]\n`);
    return 2;
  }
  const settings = argv.includes("--quick") ? QUICK : FULL;
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), "kraken-bench-"));
  try {
    const figures = [...synthesisFigures(settings, work), ...cliFigures(settings), ...terraformFigures(settings, work)];
    const code = exitCode(figures, settings.quick);
    const results = { date: new Date().toISOString(), mode: settings.quick ? "quick" : "full", machine: machine(), wallSeconds: Math.round((performance.now() - started) / 1000), exitCode: code, figures };
    writeFileSync(join(ROOT, "bench/results.json"), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\n${renderTable(figures)}\n\n`);
    const failed = figures.filter((item) => item.verdict === "FAIL" || (!settings.quick && item.verdict === "NOT MEASURED"));
    process.stdout.write(
      `${failed.length === 0 ? "every budget passes" : `${failed.length} budget(s) missed: ${failed.map((item) => item.label).join("; ")}`} (${results.mode} run, ${results.wallSeconds} s; bench/results.json)\n`,
    );
    return code;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: the benchmark could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
}
