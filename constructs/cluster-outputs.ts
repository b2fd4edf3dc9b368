import { Lazy, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { EtcdClusterTopology } from "../lib/bootstrap";
import { assertEtcdChangesAllowed, type EtcdChange } from "../lib/etcd/protection";
import type { ClusterSecretNames } from "../lib/secrets/names";
import { defineCluster, type Cluster, type ClusterDocumentInput } from "../lib/spec";
import { STATE_OUTPUTS } from "../lib/state/terraform-state";
import { canonicalJson, specHash } from "../lib/spec/spec-hash";

/** Terraform output holding the normalized spec as JSON (k2 reads it back from the state). */
export const SPEC_OUTPUT = STATE_OUTPUTS.spec;
/** Terraform output holding the SHA-256 of the normalized spec. */
export const SPEC_HASH_OUTPUT = STATE_OUTPUTS.specHash;
/** Terraform output holding the API endpoint (host:port). */
export const API_ENDPOINT_OUTPUT = "kraken_api_endpoint";
/** Terraform output holding the names of the cluster's secrets (JSON). */
export const SECRET_NAMES_OUTPUT = "kraken_secret_names";

export interface ClusterOutputsProps {
  /** The spec as applied; read at synth, so that pools added in code are part of it. */
  readonly spec: () => Cluster;
  /** Host of the API endpoint (may be a Terraform token). */
  readonly apiHost: string;
  readonly secretNames: ClusterSecretNames;
  /** Where the secrets live, for the output's description: "Secrets Manager", "Vault (KV v2 mount secret)". */
  readonly secretStore: string;
}

/**
 * The outputs every cluster stack has, whatever its provider, under fixed names so that
 * `terraform output kraken_spec` and k2 find them in any state.
 */
export class ClusterOutputs extends Construct {
  constructor(scope: Construct, id: string, props: ClusterOutputsProps) {
    super(scope, id);
    const name = props.spec().metadata.name;
    new TerraformOutput(this, "spec", {
      value: Lazy.stringValue({ produce: () => canonicalJson(props.spec()) }),
      description: `Normalized kraken-lib spec of cluster ${name}, as applied.`,
    }).overrideLogicalId(SPEC_OUTPUT);
    new TerraformOutput(this, "spec_hash", {
      value: Lazy.stringValue({ produce: () => specHash(props.spec()) }),
      description: "SHA-256 of the normalized spec.",
    }).overrideLogicalId(SPEC_HASH_OUTPUT);
    new TerraformOutput(this, "api_endpoint", {
      value: `${props.apiHost}:6443`,
      description: "Kubernetes API endpoint (host:port).",
    }).overrideLogicalId(API_ENDPOINT_OUTPUT);
    new TerraformOutput(this, "secret_names", {
      value: JSON.stringify(props.secretNames),
      description: `Names of the cluster's secrets in ${props.secretStore}: create them with \`k2 secrets init\` before the machines boot.`,
    }).overrideLogicalId(SECRET_NAMES_OUTPUT);
  }
}

/**
 * What every cluster construct checks first: the applied spec is the same cluster's, its etcd
 * changes are allowed (EtcdProtectionError otherwise), and the stack holds no other cluster.
 */
export function checkClusterConstruct(
  construct: Construct,
  cluster: Cluster,
  appliedSpec: ClusterDocumentInput | Cluster | undefined,
  topologyOf: (cluster: Cluster) => EtcdClusterTopology[],
  isCluster: (node: unknown) => boolean,
): readonly EtcdChange[] {
  let changes: readonly EtcdChange[] = [];
  if (appliedSpec !== undefined) {
    const applied = defineCluster(appliedSpec as ClusterDocumentInput);
    if (applied.metadata.name !== cluster.metadata.name) {
      throw new Error(`the applied spec is of cluster ${applied.metadata.name}, not ${cluster.metadata.name}: a cluster's name never changes`);
    }
    changes = assertEtcdChangesAllowed(applied, cluster, topologyOf);
  }
  const stack = TerraformStack.of(construct);
  const other = stack.node.findAll().find((node) => node !== construct && isCluster(node));
  if (other) {
    throw new Error(`stack ${stack.node.id} already holds cluster ${other.node.path}: a stack holds one cluster, since state and outputs are per cluster`);
  }
  return changes;
}
