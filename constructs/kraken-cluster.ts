import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Aspects, TerraformDataSource, TerraformOutput, TerraformResource, Token } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import { awsEtcdTopology } from "../lib/aws/etcd-topology";
import { shipLogsPolicy, writeSnapshotsPolicy, type PolicyDocument } from "../lib/aws/iam-policies";
import type { EtcdChange } from "../lib/etcd/protection";
import { specHash } from "../lib/spec/spec-hash";
import type { EtcdClusterTopology } from "../lib/bootstrap";
import { clusterSecretNames, type ClusterSecretNames } from "../lib/secrets/names";
import { defineCluster, type Cluster, type ClusterDocumentInput } from "../lib/spec";
import { ClusterNetwork } from "./aws/cluster-network";
import { checkClusterConstruct, ClusterOutputs } from "./cluster-outputs";
import { ClusterSecurityGroups } from "./aws/cluster-security-groups";
import { ControlPlane } from "./aws/control-plane";
import { EtcdBackupBucket } from "./aws/etcd-backup-bucket";
import { EtcdCluster } from "./aws/etcd-cluster";
import { MachineImages } from "./aws/machine-images";
import { NodePool, type NodePoolOptions } from "./aws/node-pool";
import { NodeRole } from "./aws/node-role";

/** Terraform output holding the name of the etcd backup bucket. */
export const ETCD_BACKUP_BUCKET_OUTPUT = "kraken_etcd_backup_bucket";
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
      throw new Error(`cluster ${cluster.metadata.name}: spec.provider.maas is built by MaasCluster (or ClusterStack, which picks the construct by provider), not KrakenCluster`);
    }
    this.etcdChanges = checkClusterConstruct(this, cluster, props.appliedSpec, awsEtcdTopology, (node) => node instanceof KrakenCluster);

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

    // Every machine's log agent ships to CloudWatch Logs and S3 with its instance role (docs/logging.md).
    const logging = cluster.spec.addons.logging;
    const shipLogs = logging.enabled ? shipLogsPolicy(cluster.metadata.name, logging.sinks) : undefined;
    const logPolicies: Record<string, PolicyDocument> = shipLogs ? { "ship-logs": shipLogs } : {};
    this.roles = {
      controlPlane: new NodeRole(this, "control-plane-role", { cluster, role: "control-plane", secretName: this.secretNames.controlPlane, extraPolicies: logPolicies }),
      workers: new NodeRole(this, "workers-role", { cluster, role: "workers", secretName: this.secretNames.workers, extraPolicies: logPolicies }),
      etcd: new Map(
        cluster.spec.etcd.map((etcd) => [
          etcd.name,
          new NodeRole(this, `etcd-${etcd.name}-role`, {
            cluster,
            role: `etcd-${etcd.name}`,
            secretName: this.secretNames.etcd[etcd.name]!,
            extraPolicies: { ...logPolicies, ...(backups && etcd.backup.enabled ? { "upload-snapshots": writeSnapshotsPolicy(backups.bucket.arn, etcd.name) } : {}) },
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

    new ClusterOutputs(this, "outputs", {
      spec: () => this.spec,
      apiHost: this.controlPlane.endpoint,
      secretNames: this.secretNames,
      secretStore: `AWS Secrets Manager (${aws.region})`,
    });
    if (backups) {
      new TerraformOutput(this, "etcd_backup_bucket", {
        value: backups.bucket.bucket,
        description: "S3 bucket of the etcd snapshots: s3://<bucket>/<etcd cluster>/<timestamp>.db",
      }).overrideLogicalId(ETCD_BACKUP_BUCKET_OUTPUT);
    }
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

export { canonicalJson, specHash } from "../lib/spec/spec-hash";
export { API_ENDPOINT_OUTPUT, SECRET_NAMES_OUTPUT, SPEC_HASH_OUTPUT, SPEC_OUTPUT } from "./cluster-outputs";
