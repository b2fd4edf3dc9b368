/**
 * `k2 plan FILE...`: the cluster modification plan of every cluster in the files, against the
 * specs they run with (from --against, else from each cluster's state), optionally checked
 * against the real `terraform plan` of its stack.
 */
import { planCluster, planExitCode, planFleet, renderMarkdown, renderText, type ClusterPlan, type PlanWarning, type PreviousSpec } from "../plan";
import type { Cluster } from "../spec";
import { EXIT, UserError } from "./errors";
import { loadClustersForCommand, plural, type CommandIo } from "./spec-input";
import { styleFor } from "./style";

export interface PlanCommandOptions {
  readonly against?: readonly string[];
  readonly format: "text" | "json" | "markdown";
  readonly migrateState: boolean;
  readonly terraform: boolean;
  /** Where --terraform synthesizes the stacks. */
  readonly out: string;
  readonly refresh: boolean;
}

/** Every failure of `k2 plan` exits 1: 2 and 3 mean changes and blocked changes. */
const PLAN_ERROR = EXIT.problems;

interface PreviousSpecs {
  readonly previous: Map<string, PreviousSpec>;
  /** About the fleet: a previous spec no new file plans. */
  readonly warnings: PlanWarning[];
  /** Per cluster: no applied spec found. */
  readonly clusterWarnings: Map<string, PlanWarning[]>;
}

async function previousSpecs(clusters: readonly Cluster[], options: PlanCommandOptions, io: CommandIo): Promise<PreviousSpecs | number> {
  const previous = new Map<string, PreviousSpec>();
  const warnings: PlanWarning[] = [];
  const clusterWarnings = new Map<string, PlanWarning[]>();
  if (options.against && options.against.length > 0) {
    const against = loadClustersForCommand("plan --against", options.against, io);
    if ("exitCode" in against) return PLAN_ERROR;
    const files = options.against.map((file) => (file === "-" ? "<stdin>" : file));
    for (const cluster of against.clusters) {
      previous.set(cluster.metadata.name, { cluster, source: "file", location: files.length === 1 ? files[0]! : files.join(", ") });
    }
    for (const name of previous.keys()) {
      if (!clusters.some((cluster) => cluster.metadata.name === name)) {
        warnings.push({ component: name, message: `cluster ${name} is in --against but not in the new files: k2 plan plans only the clusters it is given, and never destroys one` });
      }
    }
    return { previous, warnings, clusterWarnings };
  }
  const { readAppliedSpec } = await import("./state.js");
  const { describeBackend, stateBackendConfig } = await import("../state/backend.js");
  if (io.stderr.isTTY && clusters.length > 0) io.stderr.write(styleFor(io.stderr).dim(`reading the applied spec of ${plural(clusters.length, "cluster")} from their state...\n`));
  for (const cluster of clusters) {
    const where = describeBackend(stateBackendConfig(cluster));
    let applied;
    try {
      applied = await readAppliedSpec(cluster);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new UserError(`cannot read the applied spec of cluster ${cluster.metadata.name} from its state (${where}): ${message}; plan --against the spec it runs with instead`, PLAN_ERROR);
    }
    if (applied) previous.set(cluster.metadata.name, { cluster: applied.cluster, source: "state", location: `${where}, serial ${applied.serial}` });
    else {
      clusterWarnings.set(cluster.metadata.name, [
        {
          component: "state",
          message: `no applied spec in ${where}: the cluster is planned as new. If it runs and its state is elsewhere (spec.state changed), plan --against the spec it runs with.`,
        },
      ]);
    }
  }
  return { previous, warnings, clusterWarnings };
}

async function withTerraform(plans: ClusterPlan[], clusters: readonly Cluster[], previous: ReadonlyMap<string, PreviousSpec>, options: PlanCommandOptions, io: CommandIo): Promise<ClusterPlan[]> {
  const runnable = clusters.filter((cluster) => !plans.find((plan) => plan.name === cluster.metadata.name)!.changes.some((change) => change.impact === "blocked"));
  const skipped = new Set(clusters.filter((cluster) => !runnable.includes(cluster)).map((cluster) => cluster.metadata.name));
  const progress = (message: string): void => {
    if (io.stderr.isTTY) io.stderr.write(styleFor(io.stderr).dim(`${message}...\n`));
  };
  const { synthesizeClusterStacks, planStack } = await import("./plan-terraform.js");
  const { attributeResourceChanges, unpredictedChanges } = await import("../plan/terraform.js");
  const { checkedOutputDirectory } = await import("./synth-output.js");
  progress(`synthesizing ${plural(runnable.length, "cluster stack")} into ${options.out}`);
  const stacks = runnable.length === 0 ? [] : await synthesizeClusterStacks(checkedOutputDirectory(options.out), runnable.map((next) => ({ next, ...(previous.has(next.metadata.name) ? { applied: previous.get(next.metadata.name)!.cluster } : {}) })));
  const results = new Map<string, { stack: string; resourceChanges: ReturnType<typeof attributeResourceChanges> }>();
  for (const stack of stacks) {
    const shown = await planStack(stack, { refresh: options.refresh, progress });
    results.set(stack.cluster, { stack: stack.stack, resourceChanges: attributeResourceChanges(shown, stack.components) });
  }
  return plans.map((plan) => {
    if (skipped.has(plan.name)) {
      return { ...plan, warnings: [...plan.warnings, { component: "cluster", message: "terraform plan was not run: the plan has blocked changes, and kraken-lib refuses to synthesize them" }] };
    }
    const result = results.get(plan.name);
    if (!result) return plan;
    return { ...plan, terraform: [result], warnings: [...plan.warnings, ...unpredictedChanges(plan.changes, result.resourceChanges)] };
  });
}

export async function planCommand(files: readonly string[], options: PlanCommandOptions, io: CommandIo = process): Promise<number> {
  try {
    const loaded = loadClustersForCommand("plan", files, io);
    if ("exitCode" in loaded) return PLAN_ERROR;
    const found = await previousSpecs(loaded.clusters, options, io);
    if (typeof found === "number") return found;
    let plans: ClusterPlan[] = loaded.clusters.map((next) => {
      const previous = found.previous.get(next.metadata.name);
      const plan = planCluster({ next, ...(previous ? { previous } : {}), options: { migrateState: options.migrateState } });
      return { ...plan, warnings: [...(found.clusterWarnings.get(next.metadata.name) ?? []), ...plan.warnings] };
    });
    if (options.terraform) plans = await withTerraform(plans, loaded.clusters, found.previous, options, io);
    const fleet = planFleet(plans, found.warnings);
    if (options.format === "json") io.stdout.write(`${JSON.stringify(fleet, null, 2)}\n`);
    else if (options.format === "markdown") io.stdout.write(renderMarkdown(fleet));
    else io.stdout.write(renderText(fleet, styleFor(io.stdout)));
    return planExitCode(fleet);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(error.message, PLAN_ERROR);
    throw error;
  }
}
