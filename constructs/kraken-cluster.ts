import { createHash } from "node:crypto";
import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { defineCluster, type Cluster, type ClusterDocumentInput } from "../lib/spec";

/** Terraform output holding the normalized spec as JSON. */
export const SPEC_OUTPUT = "kraken_spec";
/** Terraform output holding the SHA-256 of the normalized spec. */
export const SPEC_HASH_OUTPUT = "kraken_spec_hash";

export interface KrakenClusterProps {
  /**
   * The cluster spec: a document as written in a spec file, or one already normalized by
   * `defineCluster` / `validateClusterDocument`. It is validated here; an invalid spec throws a
   * `SpecValidationError` listing every problem.
   */
  readonly spec: ClusterDocumentInput | Cluster;
}

/**
 * A kraken-lib cluster in a cdktf stack. Every part of the cluster is built from the one
 * normalized spec exposed as `spec`.
 *
 * The stack outputs the normalized spec and its hash, so that the spec that was applied can be
 * read back from the Terraform state.
 */
export class KrakenCluster extends Construct {
  /** The validated spec with every default filled in. */
  readonly spec: Cluster;
  /** SHA-256 of the normalized spec's canonical JSON. */
  readonly specHash: string;

  constructor(scope: Construct, id: string, props: KrakenClusterProps) {
    super(scope, id);
    this.spec = defineCluster(props.spec as ClusterDocumentInput);
    const specJson = canonicalJson(this.spec);
    this.specHash = createHash("sha256").update(specJson).digest("hex");

    const stack = TerraformStack.of(this);
    const other = stack.node.findAll().find((node) => node !== this && node instanceof KrakenCluster);
    if (other) {
      throw new Error(`stack ${stack.node.id} already holds cluster ${other.node.path}: a stack holds one cluster, since state and outputs are per cluster`);
    }
    // Fixed output names, so that `terraform output kraken_spec` and k2 find them in any state.
    new TerraformOutput(this, "spec", {
      value: specJson,
      description: `Normalized kraken-lib spec of cluster ${this.spec.metadata.name}, as applied.`,
    }).overrideLogicalId(SPEC_OUTPUT);
    new TerraformOutput(this, "spec_hash", {
      value: this.specHash,
      description: "SHA-256 of the normalized spec.",
    }).overrideLogicalId(SPEC_HASH_OUTPUT);
  }
}

/** JSON with object keys sorted, so the same spec always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
