/**
 * Terraform's side: the aws-ha stack as `k2 synth` writes it, `terraform init` against the
 * offline provider mirror, and `terraform plan -refresh=false` timed (dummy credentials and skip
 * flags in an override file, so that no AWS call is made).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { providerMirror, TERRAFORM_ENV } from "./baseline/provider-schema";
import { AWS_HA_SPEC, K2 } from "./fleet";

export interface TerraformResult {
  readonly terraformVersion: string;
  readonly initMs: number;
  readonly planMs: readonly number[];
  /** From `Plan: N to add, ...`: what Terraform would create for one cluster. */
  readonly plannedToAdd: number;
}

/** Why Terraform cannot be measured here, or undefined when it can. */
export function terraformUnavailable(): string | undefined {
  const version = spawnSync("terraform", ["version", "-json"], { encoding: "utf8" });
  if (version.error || version.status !== 0) return `terraform is not on PATH (${version.error?.message ?? version.stderr.trim()})`;
  try {
    providerMirror();
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

function terraform(args: readonly string[], cwd: string): string {
  return execFileSync("terraform", [...args, "-no-color"], { cwd, env: TERRAFORM_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
}

function timed<T>(action: () => T): [T, number] {
  const start = performance.now();
  const result = action();
  return [result, performance.now() - start];
}

/** Synthesizes examples/aws-ha into `work`, initializes its stack once and plans it `runs` times. */
export function measureTerraformPlan(work: string, runs: number): TerraformResult {
  mkdirSync(work, { recursive: true });
  const out = join(work, "cdktf.out");
  execFileSync(process.execPath, [K2, "synth", AWS_HA_SPEC, "--out", out, "--format", "json"], { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
  const stack = join(out, "stacks", "prod-usw2");
  const provider = { region: "us-west-2", access_key: "AKIA0000000000000000", secret_key: "offline-plan-only", skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true };
  writeFileSync(join(stack, "provider_override.tf.json"), JSON.stringify({ provider: { aws: [provider] } }));
  const terraformVersion = (JSON.parse(terraform(["version", "-json"], stack)) as { terraform_version: string }).terraform_version;
  const [, initMs] = timed(() => terraform(["init", "-input=false", `-plugin-dir=${providerMirror()}`], stack));
  const planMs: number[] = [];
  let plannedToAdd = Number.NaN;
  for (let run = 0; run < runs; run++) {
    const [output, elapsed] = timed(() => terraform(["plan", "-input=false", "-lock=false", "-refresh=false"], stack));
    planMs.push(elapsed);
    const summary = /Plan: (\d+) to add/.exec(output);
    if (!summary) throw new Error(`terraform plan printed no "Plan: N to add" line:\n${output.slice(-2000)}`);
    plannedToAdd = Number(summary[1]);
  }
  return { terraformVersion, initMs, planMs, plannedToAdd };
}
