/**
 * Where each cluster's Terraform state lives, decided from spec.state alone: the backend block a
 * cluster stack carries, and what k2 reads to find the applied spec and the lock. Every cluster
 * has its own key, schema or Secret, so that clusters never share a state or a lock.
 */
import { resolve } from "node:path";
import type { Cluster } from "../spec";

export type StateBackendConfig =
  | { readonly type: "local"; readonly path: string }
  | {
      readonly type: "s3";
      readonly bucket: string;
      readonly key: string;
      readonly region: string;
      readonly encrypt: true;
      readonly useLockfile: boolean;
      readonly dynamodbTable?: string;
      readonly kmsKeyId?: string;
    }
  | { readonly type: "pg"; readonly schemaName: string; readonly connStrEnv: string }
  | {
      readonly type: "kubernetes";
      readonly secretSuffix: string;
      readonly namespace: string;
      readonly configPath?: string;
      readonly configContext?: string;
    };

/** Terraform's workspace: kraken stacks use one each, the default. */
export const WORKSPACE = "default";

/** The state object's key in the bucket: one per cluster. */
export function s3StateKey(keyPrefix: string, clusterName: string): string {
  return `${keyPrefix.replace(/\/+$/, "")}/${clusterName}/terraform.tfstate`;
}

/** The Secret that holds a kubernetes backend's state, and the Lease that locks it. */
export function kubernetesStateNames(secretSuffix: string): { readonly secret: string; readonly lease: string } {
  const secret = `tfstate-${WORKSPACE}-${secretSuffix}`;
  return { secret, lease: `lock-${secret}` };
}

/**
 * The backend of a cluster. A relative local path is taken from `baseDir` (where cdktf or k2
 * runs), as cdktf does for its default local state.
 */
export function stateBackendConfig(cluster: Cluster, baseDir = process.cwd()): StateBackendConfig {
  const state = cluster.spec.state;
  const name = cluster.metadata.name;
  switch (state.backend) {
    case "local":
      return { type: "local", path: resolve(baseDir, state.local!.path) };
    case "s3": {
      const s3 = state.s3!;
      return {
        type: "s3",
        bucket: s3.bucket,
        key: s3StateKey(s3.keyPrefix, name),
        region: s3.region,
        encrypt: true,
        useLockfile: s3.useLockfile,
        ...(s3.dynamodbTable === undefined ? {} : { dynamodbTable: s3.dynamodbTable }),
        ...(s3.kmsKeyArn === undefined ? {} : { kmsKeyId: s3.kmsKeyArn }),
      };
    }
    case "pg":
      return { type: "pg", schemaName: state.pg!.schemaName, connStrEnv: state.pg!.connStrEnv };
    case "kubernetes": {
      const kubernetes = state.kubernetes!;
      return {
        type: "kubernetes",
        secretSuffix: kubernetes.secretSuffix,
        namespace: kubernetes.namespace,
        ...(kubernetes.configPath === undefined ? {} : { configPath: kubernetes.configPath }),
        ...(kubernetes.configContext === undefined ? {} : { configContext: kubernetes.configContext }),
      };
    }
  }
}

/** Where the state is, in words: for messages. */
export function describeBackend(backend: StateBackendConfig): string {
  switch (backend.type) {
    case "local":
      return `local file ${backend.path}`;
    case "s3":
      return `s3://${backend.bucket}/${backend.key} (${backend.region})`;
    case "pg":
      return `PostgreSQL schema ${backend.schemaName} ($${backend.connStrEnv})`;
    case "kubernetes":
      return `Secret ${kubernetesStateNames(backend.secretSuffix).secret} in namespace ${backend.namespace}`;
  }
}
