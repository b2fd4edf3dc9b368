/**
 * Real terraform for tests: the binary on PATH and the AWS provider from the machine's offline
 * filesystem mirror. A missing tool is an error, never a skip: CI must run these tests.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Where provider mirrors usually live; KRAKEN_TF_PLUGIN_DIR overrides the search. */
const MIRROR_CANDIDATES = ["/opt/tf-plugins", join(homedir(), ".terraform.d/plugins"), "/usr/share/terraform/plugins", "/usr/local/share/terraform/plugins"];

/**
 * The offline mirror holding the AWS provider (`version`, or any 5.x), or an error that says where
 * it was looked for. The benchmark (bench/) finds its mirror the same way.
 */
export function providerMirror(version?: string): string {
  const configured = process.env.KRAKEN_TF_PLUGIN_DIR;
  const candidates = configured ? [configured] : MIRROR_CANDIDATES;
  for (const root of candidates) {
    const provider = join(root, "registry.terraform.io/hashicorp/aws");
    if (existsSync(provider) && readdirSync(provider).some((found) => (version === undefined ? found.startsWith("5.") : found === version))) return root;
  }
  throw new Error(
    `no offline mirror of the AWS provider ${version ?? "5.x"} found in ${candidates.join(", ")}; set KRAKEN_TF_PLUGIN_DIR to the folder that holds registry.terraform.io/hashicorp/aws`,
  );
}

export function requireTerraform(): string {
  const result = spawnSync("terraform", ["version", "-json"], { encoding: "utf8" });
  if (result.error || result.status !== 0) throw new Error(`terraform is not on PATH (${result.error?.message ?? result.stderr}); it is needed for these tests`);
  return (JSON.parse(result.stdout) as { terraform_version: string }).terraform_version;
}

/** Dummy credentials and skip flags: enough for init, validate and plan with no AWS call. */
export function writeOfflineProviderOverride(stackDirectory: string, region: string): void {
  const provider = {
    region,
    access_key: "AKIAXXXXXXXXXXXXXXXX".replace(/X/g, "0"),
    secret_key: "offline-plan-only",
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
  };
  writeFileSync(join(stackDirectory, "provider_override.tf.json"), JSON.stringify({ provider: { aws: [provider] } }, null, 2));
}

const TERRAFORM_ENV = { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };

export function terraform(args: readonly string[], cwd: string): string {
  try {
    return execFileSync("terraform", [...args, "-no-color"], { cwd, encoding: "utf8", env: TERRAFORM_ENV, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`terraform ${args.join(" ")} failed in ${cwd}:\n${failed.stderr ?? ""}\n${failed.stdout ?? ""}`, { cause: error });
  }
}

export interface PlannedResource {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
  readonly after: Record<string, unknown>;
}

/** init against the mirror, validate, plan, and the plan as `terraform show -json` tells it. */
export function initValidatePlan(stackDirectory: string, region: string): { readonly resources: PlannedResource[]; readonly validation: { valid: boolean; error_count: number } } {
  writeOfflineProviderOverride(stackDirectory, region);
  terraform(["init", "-input=false", `-plugin-dir=${providerMirror()}`], stackDirectory);
  const validation = JSON.parse(terraform(["validate", "-json"], stackDirectory)) as { valid: boolean; error_count: number };
  terraform(["plan", "-input=false", "-lock=false", "-out=plan.bin"], stackDirectory);
  const plan = JSON.parse(terraform(["show", "-json", "plan.bin"], stackDirectory)) as {
    resource_changes: { address: string; type: string; name: string; change: { actions: string[]; after: Record<string, unknown> } }[];
  };
  const resources = plan.resource_changes.map((change) => ({ address: change.address, type: change.type, name: change.name, actions: change.change.actions, after: change.change.after }));
  return { resources, validation };
}
