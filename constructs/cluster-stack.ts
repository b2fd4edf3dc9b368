import { LocalBackend, PgBackend, S3Backend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { stateBackendConfig, type StateBackendConfig } from "../lib/state/backend";
import type { Cluster } from "../lib/spec";
import { KrakenCluster, type KrakenClusterProps } from "./kraken-cluster";
import { KubernetesBackend } from "./kubernetes-backend";
import { MaasCluster } from "./maas/maas-cluster";

export interface ClusterStackOptions {
  /** The spec the running cluster was applied with: unsafe etcd changes are refused (KrakenClusterProps.appliedSpec). */
  readonly appliedSpec?: KrakenClusterProps["appliedSpec"];
  /**
   * Where relative local state paths start.
   * @default - the directory the app runs in, as cdktf does
   */
  readonly baseDir?: string;
}

/** Adds the cluster's state backend to a stack. */
export function addStateBackend(stack: TerraformStack, backend: StateBackendConfig): void {
  switch (backend.type) {
    case "local":
      new LocalBackend(stack, { path: backend.path });
      return;
    case "s3": {
      const s3 = new S3Backend(stack, {
        bucket: backend.bucket,
        key: backend.key,
        region: backend.region,
        encrypt: backend.encrypt,
        ...(backend.kmsKeyId === undefined ? {} : { kmsKeyId: backend.kmsKeyId }),
        ...(backend.dynamodbTable === undefined ? {} : { dynamodbTable: backend.dynamodbTable }),
      });
      // S3-native locking (Terraform 1.11); cdktf 0.21's S3BackendConfig has no field for it.
      s3.addOverride("use_lockfile", backend.useLockfile);
      return;
    }
    case "pg": {
      // No connection string here: Terraform reads PG_CONN_STR, so the password stays out of the files.
      const pg = new PgBackend(stack, { connStr: "", schemaName: backend.schemaName });
      pg.addOverride("conn_str", undefined);
      return;
    }
    case "kubernetes":
      new KubernetesBackend(stack, {
        secretSuffix: backend.secretSuffix,
        namespace: backend.namespace,
        ...(backend.configPath === undefined ? {} : { configPath: backend.configPath }),
        ...(backend.configContext === undefined ? {} : { configContext: backend.configContext }),
      });
      return;
  }
}

/**
 * One cluster's stack: its state backend from spec.state, and the cluster: KrakenCluster on AWS,
 * MaasCluster on MAAS. `k2 synth` and the example app build exactly this; the stack is named
 * after the cluster.
 */
export class ClusterStack extends TerraformStack {
  readonly cluster: KrakenCluster | MaasCluster;
  readonly stateBackend: StateBackendConfig;

  constructor(scope: Construct, spec: Cluster, options: ClusterStackOptions = {}) {
    super(scope, spec.metadata.name);
    this.stateBackend = stateBackendConfig(spec, options.baseDir);
    addStateBackend(this, this.stateBackend);
    const props = { spec, ...(options.appliedSpec === undefined ? {} : { appliedSpec: options.appliedSpec }) };
    this.cluster = spec.spec.provider.maas ? new MaasCluster(this, "cluster", props) : new KrakenCluster(this, "cluster", props);
  }
}
