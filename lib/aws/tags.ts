/** Tags on every AWS resource of a cluster. */
import type { Cluster } from "../spec";

export const CLUSTER_TAG = "kraken.dev/cluster";

/** The spec's tags, the cluster tag, Kubernetes' ownership tag, and a Name. */
export function resourceTags(cluster: Cluster, name: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    ...(cluster.spec.provider.aws?.tags ?? {}),
    [CLUSTER_TAG]: cluster.metadata.name,
    [`kubernetes.io/cluster/${cluster.metadata.name}`]: "owned",
    Name: name,
    ...extra,
  };
}
