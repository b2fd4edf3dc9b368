/**
 * `k2 plan --terraform`: synthesizes the cluster stacks, runs the real `terraform init` and
 * `terraform plan` in each, and reads the plan back with `terraform show -json`.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { Cluster } from "../spec";
import type { TerraformShowPlan } from "../plan/terraform";
import { UserError, EXIT } from "./errors";
import { synthesizeInto } from "./synth-output";

export interface TerraformRunOptions {
  /** Passed as -refresh=false: plan against the state as recorded, without reading the cloud. */
  readonly refresh: boolean;
  /** Called before each long step, for progress. */
  readonly progress: (message: string) => void;
}

export interface SynthesizedClusterStack {
  readonly cluster: string;
  readonly stack: string;
  readonly directory: string;
  /** Terraform address to cluster component. */
  readonly components: ReadonlyMap<string, string>;
}

const TERRAFORM_ENV = { TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };

function terraform(args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("terraform", [...args], { cwd, env: { ...process.env, ...TERRAFORM_ENV }, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => {
      reject(new UserError(`cannot run terraform (${error.message}): --terraform needs terraform on PATH`, EXIT.problems));
    });
    child.on("close", (code) => {
      if (code === 0) resolvePromise(Buffer.concat(stdout).toString("utf8"));
      else {
        const output = `${Buffer.concat(stderr).toString("utf8")}\n${Buffer.concat(stdout).toString("utf8")}`.trim();
        const errors = output.split("\n").filter((line) => /Error/.test(line)).slice(0, 5);
        reject(new UserError(`terraform ${args[0] ?? ""} failed in ${cwd}:\n  ${(errors.length > 0 ? errors : output.split("\n").slice(-5)).join("\n  ")}`, EXIT.problems));
      }
    });
  });
}

/** Synthesizes each cluster's stack (with its applied spec, so etcd protection applies) into `out`. */
export async function synthesizeClusterStacks(out: string, clusters: readonly { next: Cluster; applied?: Cluster }[]): Promise<SynthesizedClusterStack[]> {
  const { ClusterStack } = await import("../../constructs/cluster-stack.js");
  const { resourceComponents } = await import("../../constructs/cluster-components.js");
  const stacks = await synthesizeInto(out, (app) =>
    clusters.map(({ next, applied }) => new ClusterStack(app, next, applied ? { appliedSpec: applied } : {})),
  );
  return stacks.map((stack) => ({
    cluster: stack.cluster.spec.metadata.name,
    stack: stack.node.id,
    directory: join(out, "stacks", stack.node.id),
    components: resourceComponents(stack.cluster),
  }));
}

/** init (with KRAKEN_TF_PLUGIN_DIR as -plugin-dir when set), plan, and show -json of one stack. */
export async function planStack(stack: SynthesizedClusterStack, options: TerraformRunOptions): Promise<TerraformShowPlan> {
  const pluginDir = process.env.KRAKEN_TF_PLUGIN_DIR;
  options.progress(`terraform init in ${stack.directory}`);
  await terraform(["init", "-input=false", "-no-color", ...(pluginDir ? [`-plugin-dir=${pluginDir}`] : [])], stack.directory);
  options.progress(`terraform plan of ${stack.stack}`);
  await terraform(["plan", "-input=false", "-no-color", "-out=k2-plan.tfplan", ...(options.refresh ? [] : ["-refresh=false"])], stack.directory);
  const shown = await terraform(["show", "-json", "-no-color", "k2-plan.tfplan"], stack.directory);
  return JSON.parse(shown) as TerraformShowPlan;
}
