import { Construct } from "constructs";
import { etcdLogAgent } from "../../lib/addons/logging/etcd-agent";
import { renderEtcdMemberUserData, type EtcdClusterTopology } from "../../lib/bootstrap";
import type { Cluster, EtcdClusterSpec } from "../../lib/spec";
import { replacementTrigger } from "../replacement-trigger";
import { MaasNode } from "./maas-node";

export interface MaasEtcdClusterProps {
  readonly cluster: Cluster;
  readonly etcd: EtcdClusterSpec;
  readonly topology: EtcdClusterTopology;
  /** The secret the members read at boot (their certificates). */
  readonly secretName: string;
}

/** One etcd member on MAAS. */
export interface MaasEtcdMember {
  readonly name: string;
  /** Its static address (machine.maas.addresses). */
  readonly address: string;
  readonly node: MaasNode;
}

/**
 * A dedicated etcd cluster on MAAS machines. Members are pets: each has its static address on
 * the cluster's subnet (peers and certificates name it), TLS with client-certificate
 * authentication, and Terraform never changes or destroys one, except the member
 * spec.etcd[].replaceMember names, which is redeployed (with a new, empty data directory: it
 * rejoins through member remove/add, k2 etcd replace-member). Snapshots stay on the members.
 */
export class MaasEtcdCluster extends Construct {
  readonly members: readonly MaasEtcdMember[];
  readonly clientUrls: readonly string[];

  constructor(scope: Construct, id: string, props: MaasEtcdClusterProps) {
    super(scope, id);
    const { cluster, etcd, topology } = props;
    const machine = etcd.machine.maas!;
    const replacement = etcd.replaceMember;
    this.clientUrls = topology.clientUrls;
    const logAgent = etcdLogAgent(cluster, etcd.name);
    this.members = topology.members.map((member, index) => {
      const targeted = replacement?.member === index;
      const trigger = replacementTrigger(this, `${member.name}-replacement`, targeted ? replacement.id : undefined);
      const node = new MaasNode(this, member.name, {
        cluster,
        name: `${cluster.metadata.name}-etcd-${member.name}`,
        selection: machine,
        index,
        address: member.host,
        secretName: props.secretName,
        lifecycle: { kind: "pet", replaceTrigger: trigger, preventDestroy: !targeted },
        userData: (bootstrap) =>
          renderEtcdMemberUserData({
            cluster,
            etcd,
            topology,
            memberIndex: index,
            ...bootstrap,
            providerEnvironment: { ...bootstrap.providerEnvironment, ETCD_DATA_DEVICE: machine.dataDevice ?? "" },
            localBackups: true,
            ...(logAgent === undefined ? {} : { logAgent }),
          }),
      });
      return { name: member.name, address: member.host, node };
    });
  }
}
