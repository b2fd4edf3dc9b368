/**
 * `k2 synth FILE... --out DIR`: the cdktf output of every cluster (one stack each) without
 * writing TypeScript. Nothing is written unless every spec is valid and every stack synthesizes.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { EtcdProtectionError } from "../etcd/protection";
import type { Cluster } from "../spec";
import { EXIT, UserError } from "./errors";
import { loadClustersForCommand, plural, type CommandIo } from "./spec-input";
import { styleFor } from "./style";

export interface SynthOptions {
  readonly out: string;
  /** Spec files the running clusters were applied with; matched to the new specs by cluster name. */
  readonly against?: readonly string[];
  readonly format: "text" | "json";
}

/** Kept from a previous synth, so that `terraform init` need not run again. */
const KEPT_IN_STACKS = [".terraform", ".terraform.lock.hcl"];

function isCdktfOutput(directory: string): boolean {
  const entries = readdirSync(directory);
  return entries.length === 0 || entries.includes("manifest.json");
}

/** Replaces `out` by `fresh`, carrying over each stack's Terraform working files. */
function replaceOutput(fresh: string, out: string): void {
  if (existsSync(out)) {
    for (const stack of existsSync(join(out, "stacks")) ? readdirSync(join(out, "stacks")) : []) {
      for (const name of KEPT_IN_STACKS) {
        const from = join(out, "stacks", stack, name);
        const to = join(fresh, "stacks", stack, name);
        if (existsSync(from) && existsSync(dirname(to))) renameSync(from, to);
      }
    }
    rmSync(out, { recursive: true, force: true });
  }
  renameSync(fresh, out);
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
  const out = resolve(options.out);
  if (existsSync(out) && !isCdktfOutput(out)) {
    throw new UserError(`${options.out} exists and is not a cdktf output directory (no manifest.json); choose another --out`);
  }

  if (io.stderr.isTTY) io.stderr.write(styleFor(io.stderr).dim(`synthesizing ${plural(loaded.clusters.length, "cluster")}...\n`));
  // Loaded here, not at start-up: cdktf and the provider classes take a while.
  const { App } = await import("cdktf");
  const { ClusterStack } = await import("../../constructs/cluster-stack.js");

  mkdirSync(dirname(out), { recursive: true });
  const fresh = join(dirname(out), `.${basename(out)}.k2-synth-${process.pid}`);
  rmSync(fresh, { recursive: true, force: true });
  try {
    const app = new App({ outdir: fresh, skipValidation: false });
    let stacks;
    try {
      stacks = loaded.clusters.map((cluster) => {
        const previous = applied.get(cluster.metadata.name);
        return new ClusterStack(app, cluster, previous ? { appliedSpec: previous } : {});
      });
    } catch (error) {
      if (error instanceof EtcdProtectionError) {
        io.stderr.write(`${styleFor(io.stderr).red("k2 synth:")} ${error.message}\n\nNothing was written. docs/etcd.md explains etcd protection.\n`);
        return EXIT.problems;
      }
      throw error;
    }
    app.synth();
    replaceOutput(fresh, out);
    const summary = stacks.map((stack) => ({
      cluster: stack.cluster.spec.metadata.name,
      stack: stack.node.id,
      directory: join(out, "stacks", stack.node.id),
      secrets: stack.cluster.secretNames,
    }));
    if (options.format === "json") {
      io.stdout.write(`${JSON.stringify({ out, stacks: summary }, null, 2)}\n`);
    } else {
      const style = styleFor(io.stdout);
      const lines = summary.map((s) => `  ${style.bold(s.stack)}  ${s.directory}/cdk.tf.json`);
      io.stdout.write(
        `${style.green(`✔ synthesized ${plural(summary.length, "stack")}`)} into ${out}\n${lines.join("\n")}\n\n` +
          `Next, for each cluster: k2 secrets init (once), then cdktf deploy, or terraform init and apply in its stack directory.\n`,
      );
    }
    return EXIT.ok;
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}
