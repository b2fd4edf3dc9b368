import { Construct } from "constructs";
import { renderControlPlaneUserData, type EtcdClusterTopology } from "../../lib/bootstrap";
import type { Cluster } from "../../lib/spec";
import { MaasNode } from "./maas-node";

export interface MaasControlPlaneProps {
  readonly cluster: Cluster;
  readonly etcd: readonly EtcdClusterTopology[];
  /** The secret control-plane nodes read at boot. */
  readonly secretName: string;
}

/**
 * The control plane on MAAS machines: spec.controlPlane.replicas nodes that run kubeadm with the
 * external etcd clusters, joining one at a time. The API endpoint is the VIP kube-vip announces
 * from the nodes (a static pod on each), or a DNS name the spec gives and you keep pointed at them.
 */
export class MaasControlPlane extends Construct {
  /** The API endpoint's host: the VIP or the DNS name. */
  readonly endpoint: string;
  readonly nodes: readonly MaasNode[];

  constructor(scope: Construct, id: string, props: MaasControlPlaneProps) {
    super(scope, id);
    const { cluster } = props;
    const maas = cluster.spec.provider.maas!;
    const machine = cluster.spec.controlPlane.machine.maas!;
    const { vip, dnsName } = maas.controlPlaneEndpoint;
    this.endpoint = vip ?? dnsName!;
    this.nodes = Array.from(
      { length: cluster.spec.controlPlane.replicas },
      (_, index) =>
        new MaasNode(this, `node-${index}`, {
          cluster,
          name: `${cluster.metadata.name}-control-plane-${index}`,
          selection: machine,
          index,
          ...(machine.addresses?.[index] === undefined ? {} : { address: machine.addresses[index] }),
          secretName: props.secretName,
          lifecycle: { kind: "cattle" },
          waitForApi: true,
          userData: (bootstrap) =>
            renderControlPlaneUserData({
              cluster,
              index,
              etcd: props.etcd,
              apiHost: this.endpoint,
              ...bootstrap,
              ...(vip === undefined ? {} : { kubeVip: { address: vip, interface: maas.network.interface } }),
            }),
        }),
    );
  }
}
