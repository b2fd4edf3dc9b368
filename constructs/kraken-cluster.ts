import { createHash } from "node:crypto";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Aspects, Lazy, TerraformDataSource, TerraformOutput, TerraformResource, TerraformStack, Token } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import { awsEtcdTopology } from "../lib/aws/etcd-topology";
import { writeSnapshotsPolicy } from "../lib/aws/iam-policies";
import { assertEtcdChangesAllowed, type EtcdChange } from "../lib/etcd/protection";
import { STATE_OUTPUTS } from "../lib/state/terraform-state";
import type { EtcdClusterTopology } from "../lib/bootstrap";
import { clusterSecretNames, type ClusterSecretNames } from "../lib/secrets/names";
import { defineCluster, type Cluster, type ClusterDocumentInput } from "../lib/spec";
import { ClusterNetwork } from "./aws/cluster-network";
import { ClusterSecurityGroups } from "./aws/cluster-security-groups";
import { ControlPlane } from "./aws/control-plane";
import { EtcdBackupBucket } from "./aws/etcd-backup-bucket";
import { EtcdCluster } from "./aws/etcd-cluster";
import { MachineImages } from "./aws/machine-images";
import { NodePool, type NodePoolOptions } from "./aws/node-pool";
import { NodeRole } from "./aws/node-role";

/** Terraform output holding the normalized spec as JSON (k2 reads it back from the state). */
export const SPEC_OUTPUT = STATE_OUTPUTS.spec;
/** Terraform output holding the SHA-256 of the normalized spec. */
export const SPEC_HASH_OUTPUT = STATE_OUTPUTS.specHash;
/** Terraform output holding the API endpoint (host:port). */
export const API_ENDPOINT_OUTPUT = "kraken_api_endpoint";
/** Terraform output holding the name of the etcd backup bucket. */
export const ETCD_BACKUP_BUCKET_OUTPUT = "kraken_etcd_backup_bucket";
/** Terraform output holding the names of the cluster's secrets (JSON). */
export const SECRET_NAMES_OUTPUT = "kraken_secret_names";

export interface KrakenClusterProps {
  /**
   * The cluster spec: a document as written in a spec file, or one already normalized by
   * `defineCluster` / `validateClusterDocument`. It is validated here; an invalid spec throws a
   * `SpecValidationError` listing every problem.
   */
  readonly spec: ClusterDocumentInput | Cluster;
  /**
   * The AWS provider to build with. Give it when your stack already configures one.
   * @default - a provider for spec.provider.aws.region, created in this construct
   */
  readonly awsProvider?: AwsProvider;
  /**
   * The spec the running cluster was last applied with (its `kraken_spec` output). With it,
   * changes to the running etcd clusters that are not safe are refused at synth, with an
   * `EtcdProtectionError` naming each one and how to do it safely (docs/etcd.md).
   * @default - no applied spec: the cluster is new, and nothing is refused
   */
  readonly appliedSpec?: ClusterDocumentInput | Cluster;
}

/** The IAM roles of a cluster's machines. */
export interface ClusterRoles {
  readonly controlPlane: NodeRole;
  readonly workers: NodeRole;
  readonly etcd: ReadonlyMap<string, NodeRole>;
}

/**
 * A self-managed, highly available Kubernetes cluster on AWS, built from one normalized spec:
 * network, security groups, IAM roles, dedicated etcd clusters, a control plane behind a load
 * balancer, and node pools. `addNodePool` adds pools in code, validated like pools in the spec.
 *
 * The stack outputs the normalized spec and its hash, so that the spec that was applied can be
 * read back from the Terraform state. One cluster per stack: state and outputs are per cluster.
 */
export class KrakenCluster extends Construct {
  readonly provider: AwsProvider;
  readonly network: ClusterNetwork;
  readonly securityGroups: ClusterSecurityGroups;
  readonly roles: ClusterRoles;
  readonly etcdClusters: ReadonlyMap<string, EtcdCluster>;
  readonly controlPlane: ControlPlane;
  /** Names of the secrets `k2 secrets init` creates and the machines read. */
  readonly secretNames: ClusterSecretNames;
  /** The etcd clusters' members and addresses, as bootstrap sees them. */
  readonly etcdTopology: readonly EtcdClusterTopology[];
  /** The bucket of etcd snapshots; absent when every etcd cluster has backups off. */
  readonly etcdBackups?: EtcdBackupBucket;
  /** Allowed changes to running etcd clusters since the applied spec (empty without one). */
  readonly etcdChanges: readonly EtcdChange[];
  private readonly images: MachineImages;
  private currentSpec: Cluster;
  private readonly pools: NodePool[] = [];

  constructor(scope: Construct, id: string, props: KrakenClusterProps) {
    super(scope, id);
    this.currentSpec = defineCluster(props.spec as ClusterDocumentInput);
    const cluster = this.currentSpec;
    const aws = cluster.spec.provider.aws;
    if (!aws) {
      throw new Error(`cluster ${cluster.metadata.name}: spec.provider.maas is not synthesized by this version of kraken-lib; only spec.provider.aws is`);
    }
    if (props.appliedSpec !== undefined) {
      const applied = defineCluster(props.appliedSpec as ClusterDocumentInput);
      if (applied.metadata.name !== cluster.metadata.name) {
        throw new Error(`the applied spec is of cluster ${applied.metadata.name}, not ${cluster.metadata.name}: a cluster's name never changes`);
      }
      this.etcdChanges = assertEtcdChangesAllowed(applied, cluster, awsEtcdTopology);
    } else {
      this.etcdChanges = [];
    }
    const stack = TerraformStack.of(this);
    const other = stack.node.findAll().find((node) => node !== this && node instanceof KrakenCluster);
    if (other) {
      throw new Error(`stack ${stack.node.id} already holds cluster ${other.node.path}: a stack holds one cluster, since state and outputs are per cluster`);
    }

    this.provider = props.awsProvider ?? new AwsProvider(this, "aws", { region: aws.region });
    const providerRegion = this.provider.region;
    if (providerRegion !== undefined && !Token.isUnresolved(providerRegion) && providerRegion !== aws.region) {
      throw new Error(`cluster ${cluster.metadata.name}: the AWS provider given is for ${providerRegion}, but spec.provider.aws.region is ${aws.region}`);
    }
    // Every resource and data source of the cluster uses this provider, also when it is an
    // aliased one that Terraform would not pick by default.
    const provider = this.provider;
    Aspects.of(this).add({
      visit(node: IConstruct) {
        const isAws = (node instanceof TerraformResource || node instanceof TerraformDataSource) && node.terraformGeneratorMetadata?.providerName === "aws";
        if (isAws && node.provider === undefined) node.provider = provider;
      },
    });
    this.secretNames = clusterSecretNames(cluster.metadata.name, cluster.spec.etcd.map((etcd) => etcd.name));
    this.images = new MachineImages(this, "images");
    this.network = new ClusterNetwork(this, "network", { cluster });
    this.securityGroups = new ClusterSecurityGroups(this, "security-groups", { cluster, vpcId: this.network.vpcId, vpcCidr: this.network.vpcCidr });

    this.etcdTopology = awsEtcdTopology(cluster);

    if (cluster.spec.etcd.some((etcd) => etcd.backup.enabled)) this.etcdBackups = new EtcdBackupBucket(this, "etcd-backups", { cluster });
    const backups = this.etcdBackups;

    this.roles = {
      controlPlane: new NodeRole(this, "control-plane-role", { cluster, role: "control-plane", secretName: this.secretNames.controlPlane }),
      workers: new NodeRole(this, "workers-role", { cluster, role: "workers", secretName: this.secretNames.workers }),
      etcd: new Map(
        cluster.spec.etcd.map((etcd) => [
          etcd.name,
          new NodeRole(this, `etcd-${etcd.name}-role`, {
            cluster,
            role: `etcd-${etcd.name}`,
            secretName: this.secretNames.etcd[etcd.name]!,
            ...(backups && etcd.backup.enabled ? { extraPolicies: { "upload-snapshots": writeSnapshotsPolicy(backups.bucket.arn, etcd.name) } } : {}),
          }),
        ]),
      ),
    };

    this.etcdClusters = new Map(
      cluster.spec.etcd.map((etcd, index) => [
        etcd.name,
        new EtcdCluster(this, `etcd-${etcd.name}`, {
          cluster,
          etcd,
          topology: this.etcdTopology[index]!,
          network: this.network,
          securityGroup: this.securityGroups.etcd.get(etcd.name)!,
          nodeRole: this.roles.etcd.get(etcd.name)!,
          images: this.images,
          secretName: this.secretNames.etcd[etcd.name]!,
          ...(backups && etcd.backup.enabled ? { backupBucket: backups.bucket.bucket } : {}),
        }),
      ]),
    );

    this.controlPlane = new ControlPlane(this, "control-plane", {
      cluster,
      network: this.network,
      securityGroups: this.securityGroups,
      nodeRole: this.roles.controlPlane,
      images: this.images,
      etcd: this.etcdTopology,
      secretName: this.secretNames.controlPlane,
    });

    for (const pool of cluster.spec.nodePools) this.pools.push(this.nodePool(`pool-${pool.name}`, pool.name));

    // Fixed output names, so that `terraform output kraken_spec` and k2 find them in any state.
    // Lazy: pools added in code after construction are part of the applied spec too.
    new TerraformOutput(this, "spec", {
      value: Lazy.stringValue({ produce: () => canonicalJson(this.spec) }),
      description: `Normalized kraken-lib spec of cluster ${cluster.metadata.name}, as applied.`,
    }).overrideLogicalId(SPEC_OUTPUT);
    new TerraformOutput(this, "spec_hash", {
      value: Lazy.stringValue({ produce: () => this.specHash }),
      description: "SHA-256 of the normalized spec.",
    }).overrideLogicalId(SPEC_HASH_OUTPUT);
    new TerraformOutput(this, "api_endpoint", {
      value: `${this.controlPlane.endpoint}:6443`,
      description: "Kubernetes API endpoint (host:port).",
    }).overrideLogicalId(API_ENDPOINT_OUTPUT);
    if (backups) {
      new TerraformOutput(this, "etcd_backup_bucket", {
        value: backups.bucket.bucket,
        description: "S3 bucket of the etcd snapshots: s3://<bucket>/<etcd cluster>/<timestamp>.db",
      }).overrideLogicalId(ETCD_BACKUP_BUCKET_OUTPUT);
    }
    new TerraformOutput(this, "secret_names", {
      value: JSON.stringify(this.secretNames),
      description: "Secrets Manager names of the cluster's secrets: create them with `k2 secrets init` before the machines boot.",
    }).overrideLogicalId(SECRET_NAMES_OUTPUT);
  }

  /** The validated spec with every default filled in, including pools added with addNodePool. */
  get spec(): Cluster {
    return this.currentSpec;
  }

  /** SHA-256 of the normalized spec's canonical JSON. */
  get specHash(): string {
    return specHash(this.spec);
  }

  get nodePools(): readonly NodePool[] {
    return this.pools;
  }

  /**
   * Adds a node pool in code. The pool is validated with the cluster, exactly as a pool in the
   * spec would be (unique name, sizes, labels, taints, room in the pod network...), and becomes
   * part of the applied spec.
   */
  addNodePool(id: string, options: NodePoolOptions): NodePool {
    const document = JSON.parse(JSON.stringify(this.currentSpec)) as ClusterDocumentInput & { spec: { nodePools: NodePoolOptions[] } };
    document.spec.nodePools.push(options);
    this.currentSpec = defineCluster(document);
    const pool = this.nodePool(id, options.name);
    this.pools.push(pool);
    return pool;
  }

  private nodePool(id: string, name: string): NodePool {
    const pool = this.currentSpec.spec.nodePools.find((candidate) => candidate.name === name)!;
    return new NodePool(this, id, {
      cluster: this.currentSpec,
      pool,
      network: this.network,
      securityGroupId: this.securityGroups.workers.id,
      instanceProfileName: this.roles.workers.instanceProfile.name,
      images: this.images,
      apiHost: this.controlPlane.endpoint,
      secretName: this.secretNames.workers,
    });
  }
}

/** SHA-256 of a normalized spec's canonical JSON: the kraken_spec_hash output. */
export function specHash(spec: Cluster): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex");
}

/** JSON with object keys sorted, so the same spec always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
