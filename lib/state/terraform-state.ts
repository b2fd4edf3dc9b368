/** Reading Terraform state documents: the applied spec each cluster stack outputs, and lock records. */
import { createHash } from "node:crypto";
import { SpecValidationError, validateClusterDocument, type Cluster } from "../spec";

/** Output names of a cluster stack (kept in step with constructs/kraken-cluster.ts, which a test checks). */
export const STATE_OUTPUTS = { spec: "kraken_spec", specHash: "kraken_spec_hash" } as const;

export interface TerraformStateDocument {
  readonly version: number;
  readonly serial: number;
  readonly lineage: string;
  readonly terraform_version?: string;
  readonly outputs?: Readonly<Record<string, { readonly value: unknown }>>;
  readonly resources?: readonly unknown[];
}

export function parseTerraformState(text: string, source: string): TerraformStateDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not a Terraform state (not JSON: ${(error as Error).message})`, { cause: error });
  }
  const state = parsed as Partial<TerraformStateDocument> | null;
  if (state === null || typeof state !== "object" || typeof state.serial !== "number" || typeof state.lineage !== "string") {
    throw new Error(`${source} is not a Terraform state (no serial and lineage)`);
  }
  return state as TerraformStateDocument;
}

export interface AppliedSpec {
  readonly cluster: Cluster;
  readonly hash: string;
  readonly serial: number;
  readonly lineage: string;
  readonly terraformVersion?: string;
}

/**
 * The spec a state was applied with, from its kraken_spec output; undefined when the state has
 * none yet (never applied). A spec that does not match its hash or is not valid is an error.
 */
export function appliedSpecFromState(state: TerraformStateDocument, source: string): AppliedSpec | undefined {
  const specOutput = state.outputs?.[STATE_OUTPUTS.spec]?.value;
  if (specOutput === undefined) return undefined;
  if (typeof specOutput !== "string") throw new Error(`${source}: output ${STATE_OUTPUTS.spec} is not a JSON string`);
  const hash = state.outputs?.[STATE_OUTPUTS.specHash]?.value;
  const actual = createHash("sha256").update(specOutput).digest("hex");
  if (typeof hash === "string" && hash !== actual) {
    throw new Error(`${source}: output ${STATE_OUTPUTS.spec} does not match ${STATE_OUTPUTS.specHash} (${hash.slice(0, 12)}..., computed ${actual.slice(0, 12)}...): the state was edited by hand`);
  }
  const result = validateClusterDocument(JSON.parse(specOutput));
  if (!result.ok) throw new SpecValidationError(result.problems, `applied spec in ${source}`);
  return {
    cluster: result.cluster,
    hash: actual,
    serial: state.serial,
    lineage: state.lineage,
    ...(state.terraform_version === undefined ? {} : { terraformVersion: state.terraform_version }),
  };
}

/** Terraform's record of a lock (statemgr.LockInfo), as local, s3 and kubernetes backends keep it. */
export interface TerraformLockInfo {
  readonly ID: string;
  readonly Operation?: string;
  readonly Info?: string;
  readonly Who?: string;
  readonly Version?: string;
  readonly Created?: string;
  readonly Path?: string;
}

export function parseLockInfo(text: string): TerraformLockInfo | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<TerraformLockInfo>;
    return typeof parsed.ID === "string" ? (parsed as TerraformLockInfo) : undefined;
  } catch {
    return undefined;
  }
}
