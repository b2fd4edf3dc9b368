/** The etcd topology of an AWS cluster: members at the fixed addresses the spec plans. */
import { etcdTopology, type EtcdClusterTopology } from "../bootstrap/topology";
import { etcdMemberAddresses, planZones, type Cluster } from "../spec";

export function awsEtcdTopology(cluster: Cluster): EtcdClusterTopology[] {
  const aws = cluster.spec.provider.aws;
  if (!aws) throw new Error(`cluster ${cluster.metadata.name} is not an AWS cluster`);
  const zones = planZones(aws);
  return etcdTopology(cluster, (etcd, index) => etcdMemberAddresses(zones, index, etcd.members).map((address) => ({ host: address.privateIp, location: address.zone })));
}
