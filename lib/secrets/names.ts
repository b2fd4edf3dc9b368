/**
 * Names of a cluster's secrets in the secret store. Each machine role reads exactly one of
 * them; the authority (every CA key) is read by admins only, never by a machine.
 */

export const SECRET_PREFIX = "kraken";

export interface ClusterSecretNames {
  /** Every CA's certificate and key, and the service-account key pair: for `k2` only. */
  readonly authority: string;
  readonly controlPlane: string;
  readonly workers: string;
  /** One per etcd cluster, by etcd cluster name. */
  readonly etcd: Readonly<Record<string, string>>;
}

export function clusterSecretPrefix(clusterName: string): string {
  return `${SECRET_PREFIX}/${clusterName}/`;
}

export function clusterSecretNames(clusterName: string, etcdNames: readonly string[]): ClusterSecretNames {
  const prefix = clusterSecretPrefix(clusterName);
  return {
    authority: `${prefix}authority`,
    controlPlane: `${prefix}control-plane`,
    workers: `${prefix}workers`,
    etcd: Object.fromEntries(etcdNames.map((name) => [name, `${prefix}etcd-${name}`])),
  };
}
