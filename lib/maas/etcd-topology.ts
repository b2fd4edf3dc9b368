/** The etcd topology of a MAAS cluster: members at the static addresses the spec gives them. */
import { etcdTopology, type EtcdClusterTopology } from "../bootstrap/topology";
import type { Cluster } from "../spec";

export function maasEtcdTopology(cluster: Cluster): EtcdClusterTopology[] {
  if (!cluster.spec.provider.maas) throw new Error(`cluster ${cluster.metadata.name} is not a MAAS cluster`);
  return etcdTopology(cluster, (etcd) => {
    const machine = etcd.machine.maas;
    // Validation requires one address per member on MAAS (the maas-network rule). The address is
    // the member's identity; which machine wears it (zone, tags) may change through replaceMember.
    return [...(machine?.addresses ?? [])];
  });
}
