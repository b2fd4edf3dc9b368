/**
 * `k2 synth FILE... --out DIR`: the cdktf output of every cluster (one stack each) without
 * writing TypeScript. Nothing is written unless every spec is valid and every stack synthesizes.
 */
import { join } from "node:path";
import { EtcdProtectionError } from "../etcd/protection";
import type { Cluster } from "../spec";
import { EXIT, UserError } from "./errors";
import { loadClustersForCommand, plural, type CommandIo } from "./spec-input";
import { styleFor } from "./style";
import { checkedOutputDirectory, synthesizeInto } from "./synth-output";

export interface SynthOptions {
  readonly out: string;
  /** Spec files the running clusters were applied with; matched to the new specs by cluster name. */
  readonly against?: readonly string[];
  /** Read each cluster's applied spec from its state backend. */
  readonly againstState?: boolean;
  readonly format: "text" | "json";
}

export async function synthCommand(files: readonly string[], options: SynthOptions, io: CommandIo = process): Promise<number> {
  const loaded = loadClustersForCommand("synth", files, io);
  if ("exitCode" in loaded) return loaded.exitCode;
  const applied = new Map<string, Cluster>();
  if (options.against && options.against.length > 0) {
    const against = loadClustersForCommand("synth --against", options.against, io);
    if ("exitCode" in against) return against.exitCode;
    for (const cluster of against.clusters) applied.set(cluster.metadata.name, cluster);
  }
  if (options.againstState) {
    if (applied.size > 0) throw new UserError("--against and --against-state name the applied specs twice: choose one");
    const { readAppliedSpec } = await import("./state.js");
    for (const cluster of loaded.clusters) {
      const found = await readAppliedSpec(cluster);
      if (found) applied.set(cluster.metadata.name, found.cluster);
    }
  }
  const out = checkedOutputDirectory(options.out);

  if (io.stderr.isTTY) io.stderr.write(styleFor(io.stderr).dim(`synthesizing ${plural(loaded.clusters.length, "cluster")}...\n`));
  // Loaded here, not at start-up: the constructs load the provider classes.
  const { ClusterStack } = await import("../../constructs/cluster-stack.js");
  const { AddonsStack } = await import("../../constructs/addons/addons-stack.js");
  let stacks;
  try {
    stacks = await synthesizeInto(out, (app) =>
      loaded.clusters.map((cluster) => {
        const previous = applied.get(cluster.metadata.name);
        const stack = new ClusterStack(app, cluster, previous ? { appliedSpec: previous } : {});
        const addons = new AddonsStack(app, cluster);
        addons.addDependency(stack);
        return { stack, addons };
      }),
    );
  } catch (error) {
    if (error instanceof EtcdProtectionError) {
      io.stderr.write(`${styleFor(io.stderr).red("k2 synth:")} ${error.message}\n\nNothing was written. docs/etcd.md explains etcd protection.\n`);
      return EXIT.problems;
    }
    throw error;
  }
  const summary = stacks.map(({ stack, addons }) => ({
    cluster: stack.cluster.spec.metadata.name,
    stack: stack.node.id,
    directory: join(out, "stacks", stack.node.id),
    addonsStack: addons.node.id,
    addonsDirectory: join(out, "stacks", addons.node.id),
    state: stack.stateBackend,
    secrets: stack.cluster.secretNames,
  }));
  if (options.format === "json") {
    io.stdout.write(`${JSON.stringify({ out, stacks: summary }, null, 2)}\n`);
  } else {
    const style = styleFor(io.stdout);
    const lines = summary.map((s) => `  ${style.bold(s.stack)}  ${s.directory}/cdk.tf.json\n  ${style.bold(s.addonsStack)}  ${s.addonsDirectory}/cdk.tf.json`);
    io.stdout.write(
      `${style.green(`✔ synthesized ${plural(summary.length, "cluster")}`)} into ${out}\n${lines.join("\n")}\n\n` +
        `Next, for each cluster: k2 secrets init (once); terraform init and apply in its stack directory (or cdktf deploy); ` +
        `once its API answers, the same in its -addons stack (kubeconfig at ~/.kube/<cluster>.yaml).\n`,
    );
  }
  return EXIT.ok;
}
