/** The etcd topology of any cluster: where each provider puts the members. */
import { awsEtcdTopology } from "../aws/etcd-topology";
import type { EtcdClusterTopology } from "../bootstrap/topology";
import { maasEtcdTopology } from "../maas/etcd-topology";
import type { Cluster } from "../spec";

export function clusterEtcdTopology(cluster: Cluster): EtcdClusterTopology[] {
  return cluster.spec.provider.aws ? awsEtcdTopology(cluster) : maasEtcdTopology(cluster);
}
