import { Aspects, TerraformDataSource, TerraformResource, TerraformVariable } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import type { EtcdClusterTopology } from "../../lib/bootstrap";
import type { EtcdChange } from "../../lib/etcd/protection";
import { maasEtcdTopology } from "../../lib/maas/etcd-topology";
import { clusterSecretNames, type ClusterSecretNames } from "../../lib/secrets/names";
import { defineCluster, type Cluster, type ClusterDocumentInput, type NodePoolInput, type NodePoolSpec } from "../../lib/spec";
import { specHash } from "../../lib/spec/spec-hash";
import { checkClusterConstruct, ClusterOutputs } from "../cluster-outputs";
import { VaultProvider } from "../vault/provider";
import { MaasControlPlane } from "./control-plane";
import { MaasEtcdCluster } from "./etcd-cluster";
import { MaasNodePool } from "./node-pool";
import { MaasProvider } from "./provider/provider";

/** The variable Terraform's MAAS provider reads the API key from by itself. */
export const MAAS_API_KEY_ENV = "MAAS_API_KEY";

export interface MaasClusterProps {
  /** The cluster spec (spec.provider.maas), as written or already normalized; validated here. */
  readonly spec: ClusterDocumentInput | Cluster;
  /**
   * The MAAS provider to build with. Give it when your stack already configures one.
   * @default - a provider for spec.provider.maas (its key from MAAS_API_KEY), created here
   */
  readonly maasProvider?: MaasProvider;
  /**
   * The Vault provider that mints the machines' secret IDs.
   * @default - a provider for spec.provider.maas.vault (its token from VAULT_TOKEN), created here
   */
  readonly vaultProvider?: VaultProvider;
  /** The spec the running cluster was last applied with: unsafe etcd changes are refused (EtcdProtectionError). */
  readonly appliedSpec?: ClusterDocumentInput | Cluster;
}

/** Options of a pool added in code: a pool as the spec has it. */
export type MaasNodePoolOptions = NodePoolInput;

/**
 * A self-managed, highly available Kubernetes cluster on bare metal through Canonical MAAS, from
 * the same spec as on AWS: dedicated etcd clusters on machines with static addresses, a control
 * plane behind a VIP (kube-vip) or a DNS name, and pools of workers, every machine chosen by
 * the spec's MAAS selection and bootstrapped by the same cloud-init as on AWS. Secrets come
 * from Vault, each machine with its own single-use, response-wrapped secret ID.
 */
export class MaasCluster extends Construct {
  readonly maasProvider: MaasProvider;
  readonly vaultProvider: VaultProvider;
  readonly etcdClusters: ReadonlyMap<string, MaasEtcdCluster>;
  readonly controlPlane: MaasControlPlane;
  /** Names (KV paths) of the secrets `k2 secrets init` writes to Vault and the machines read. */
  readonly secretNames: ClusterSecretNames;
  readonly etcdTopology: readonly EtcdClusterTopology[];
  /** Allowed changes to running etcd clusters since the applied spec (empty without one). */
  readonly etcdChanges: readonly EtcdChange[];
  private currentSpec: Cluster;
  private readonly pools: MaasNodePool[] = [];

  constructor(scope: Construct, id: string, props: MaasClusterProps) {
    super(scope, id);
    this.currentSpec = defineCluster(props.spec as ClusterDocumentInput);
    const cluster = this.currentSpec;
    const maas = cluster.spec.provider.maas;
    if (!maas) throw new Error(`cluster ${cluster.metadata.name}: MaasCluster builds spec.provider.maas clusters; use KrakenCluster for spec.provider.aws`);
    this.etcdChanges = checkClusterConstruct(this, cluster, props.appliedSpec, maasEtcdTopology, (node) => node instanceof MaasCluster);

    // The key and the token come from the environment (MAAS_API_KEY, VAULT_TOKEN), never from the
    // spec. A key in another variable reaches Terraform as the sensitive variable maas_api_key.
    const apiKey =
      maas.apiKeyEnv === MAAS_API_KEY_ENV
        ? undefined
        : new TerraformVariable(this, "maas_api_key", {
            type: "string",
            sensitive: true,
            description: `MAAS API key of cluster ${cluster.metadata.name}: export TF_VAR_maas_api_key="$${maas.apiKeyEnv}" (spec.provider.maas.apiKeyEnv)`,
          });
    apiKey?.overrideLogicalId("maas_api_key");
    this.maasProvider =
      props.maasProvider ??
      new MaasProvider(this, "maas", {
        apiUrl: maas.apiUrl,
        ...(apiKey === undefined ? {} : { apiKey: apiKey.stringValue }),
        apiVersion: maas.apiVersion,
        ...(maas.tlsCaCertPath === undefined ? {} : { tlsCaCertPath: maas.tlsCaCertPath }),
        ...(maas.tlsInsecureSkipVerify ? { tlsInsecureSkipVerify: true } : {}),
      });
    this.vaultProvider =
      props.vaultProvider ??
      new VaultProvider(this, "vault", {
        address: maas.vault.address,
        ...(maas.vault.caCertPath === undefined ? {} : { caCertFile: maas.vault.caCertPath }),
        // CI's token may only mint secret IDs (docs/vault.md); a child token would need more.
        skipChildToken: true,
      });
    const providers = { maas: this.maasProvider, vault: this.vaultProvider };
    // Every resource of the cluster uses these providers, also when they are aliased ones.
    Aspects.of(this).add({
      visit(node: IConstruct) {
        if (!(node instanceof TerraformResource || node instanceof TerraformDataSource) || node.provider !== undefined) return;
        const name = node.terraformGeneratorMetadata?.providerName;
        if (name === "maas" || name === "vault") node.provider = providers[name];
      },
    });

    this.secretNames = clusterSecretNames(cluster.metadata.name, cluster.spec.etcd.map((etcd) => etcd.name));
    this.etcdTopology = maasEtcdTopology(cluster);
    this.etcdClusters = new Map(
      cluster.spec.etcd.map((etcd, index) => [
        etcd.name,
        new MaasEtcdCluster(this, `etcd-${etcd.name}`, { cluster, etcd, topology: this.etcdTopology[index]!, secretName: this.secretNames.etcd[etcd.name]! }),
      ]),
    );
    this.controlPlane = new MaasControlPlane(this, "control-plane", { cluster, etcd: this.etcdTopology, secretName: this.secretNames.controlPlane });
    for (const pool of cluster.spec.nodePools) this.pools.push(this.nodePool(`pool-${pool.name}`, pool));

    new ClusterOutputs(this, "outputs", {
      spec: () => this.spec,
      apiHost: this.controlPlane.endpoint,
      secretNames: this.secretNames,
      secretStore: `Vault at ${maas.vault.address} (KV v2 mount ${maas.vault.kvMount})`,
    });
  }

  /** The validated spec with every default filled in, including pools added with addNodePool. */
  get spec(): Cluster {
    return this.currentSpec;
  }

  get specHash(): string {
    return specHash(this.spec);
  }

  get nodePools(): readonly MaasNodePool[] {
    return this.pools;
  }

  /** Adds a pool in code, validated with the cluster exactly as a pool in the spec would be. */
  addNodePool(id: string, options: MaasNodePoolOptions): MaasNodePool {
    const document = JSON.parse(JSON.stringify(this.currentSpec)) as ClusterDocumentInput & { spec: { nodePools: MaasNodePoolOptions[] } };
    document.spec.nodePools.push(options);
    this.currentSpec = defineCluster(document);
    const pool = this.nodePool(id, this.currentSpec.spec.nodePools.find((candidate) => candidate.name === options.name)!);
    this.pools.push(pool);
    return pool;
  }

  private nodePool(id: string, pool: NodePoolSpec): MaasNodePool {
    return new MaasNodePool(this, id, { cluster: this.currentSpec, pool, apiHost: this.controlPlane.endpoint, secretName: this.secretNames.workers });
  }
}
