/** Provider-neutral facts about a cluster's machines that bootstrap and certificates share. */
import type { Cluster, EtcdClusterSpec } from "../spec";
import { etcdClientUrls, type EtcdMemberConfigInput, type EtcdMemberIdentity } from "./etcd-member";
import type { ClusterConfigurationInput } from "./kubeadm";
import { ETCD_DATA_DIR, ETCD_PKI_FILES, KUBERNETES_PKI_FILES } from "./paths";

export interface EtcdClusterTopology {
  readonly name: string;
  /** Position in spec.etcd; fixes addresses on AWS. */
  readonly index: number;
  readonly resources: readonly string[];
  /** --initial-cluster-token: unique per etcd cluster of every Kubernetes cluster. */
  readonly token: string;
  readonly members: readonly EtcdMemberIdentity[];
  readonly clientUrls: readonly string[];
}

export function etcdMemberName(etcdName: string, memberIndex: number): string {
  return `${etcdName}-${memberIndex}`;
}

/** Where a provider puts a member: the host others reach it at, and optionally its location (zone). */
export type MemberPlacement = string | { readonly host: string; readonly location?: string };

/** Builds the etcd topology from the hosts each provider gives its members (fixed IPs and zones on AWS). */
export function etcdTopology(cluster: Cluster, hostsOf: (etcd: EtcdClusterSpec, index: number) => readonly MemberPlacement[]): EtcdClusterTopology[] {
  return cluster.spec.etcd.map((etcd, index) => {
    const hosts = hostsOf(etcd, index);
    if (hosts.length !== etcd.members) throw new Error(`etcd cluster "${etcd.name}" has ${etcd.members} members but ${hosts.length} hosts`);
    const members = hosts.map((placement, member) => ({
      name: etcdMemberName(etcd.name, member),
      ...(typeof placement === "string" ? { host: placement } : placement),
    }));
    return {
      name: etcd.name,
      index,
      resources: etcd.resources,
      token: `${cluster.metadata.name}-${etcd.name}`,
      members,
      clientUrls: etcdClientUrls(members),
    };
  });
}

/** The primary etcd cluster: the one that stores everything not sent elsewhere. */
export function primaryEtcd(topology: readonly EtcdClusterTopology[]): EtcdClusterTopology {
  const primary = topology.find((etcd) => etcd.resources.length === 0);
  if (!primary) throw new Error("no primary etcd cluster (validation guarantees one)");
  return primary;
}

/** kubeadm's ClusterConfiguration input for a cluster, its etcd topology and its API endpoint (host:port). */
export function clusterConfigurationInput(cluster: Cluster, topology: readonly EtcdClusterTopology[], apiEndpoint: string, apiHost: string): ClusterConfigurationInput {
  const { kubernetes, controlPlane } = cluster.spec;
  return {
    clusterName: cluster.metadata.name,
    controlPlaneEndpoint: apiEndpoint,
    podSubnet: kubernetes.podCidr,
    serviceSubnet: kubernetes.serviceCidr,
    dnsDomain: kubernetes.clusterDomain,
    nodeCidrMaskSize: kubernetes.nodeCidrMaskSize,
    etcd: {
      endpoints: primaryEtcd(topology).clientUrls,
      caFile: KUBERNETES_PKI_FILES.etcdCaCert,
      certFile: KUBERNETES_PKI_FILES.etcdClientCert,
      keyFile: KUBERNETES_PKI_FILES.etcdClientKey,
    },
    etcdOverrides: topology.flatMap((etcd) => etcd.resources.map((resource) => ({ resource, endpoints: etcd.clientUrls }))),
    certSans: [apiHost, ...controlPlane.apiServer.extraSans],
  };
}

/**
 * How a member starts: with its cluster ("new"), or joining a running cluster with an empty data
 * directory ("existing"): the member spec.etcd[].replaceMember replaces with a new data volume.
 */
export function memberInitialState(etcd: EtcdClusterSpec, memberIndex: number): "new" | "existing" {
  const replacement = etcd.replaceMember;
  return replacement?.member === memberIndex && replacement.dataVolume === "replace" ? "existing" : "new";
}

/** A member's configuration as kraken machines run it: their paths, their TLS files. */
export function etcdMemberConfig(topology: EtcdClusterTopology, memberIndex: number, initialClusterState: "new" | "existing"): EtcdMemberConfigInput {
  const member = topology.members[memberIndex];
  if (!member) throw new Error(`etcd cluster "${topology.name}" has no member ${memberIndex} (it has ${topology.members.length})`);
  return {
    member,
    members: topology.members,
    clusterToken: topology.token,
    initialClusterState,
    dataDir: ETCD_DATA_DIR,
    tls: {
      caFile: ETCD_PKI_FILES.caCert,
      certFile: ETCD_PKI_FILES.memberCert,
      keyFile: ETCD_PKI_FILES.memberKey,
      peerCaFile: ETCD_PKI_FILES.caCert,
      peerCertFile: ETCD_PKI_FILES.memberCert,
      peerKeyFile: ETCD_PKI_FILES.memberKey,
    },
  };
}
