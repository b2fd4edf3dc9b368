import { Construct } from "constructs";
import { renderWorkerUserData } from "../../lib/bootstrap";
import type { Cluster, NodePoolSpec } from "../../lib/spec";
import { MaasNode } from "./maas-node";

export interface MaasNodePoolProps {
  readonly cluster: Cluster;
  readonly pool: NodePoolSpec;
  /** Host of the API endpoint (the VIP or DNS name). */
  readonly apiHost: string;
  /** The secret workers read at boot. */
  readonly secretName: string;
}

/**
 * A pool of workers on MAAS machines. Bare metal has no auto scaling group: the pool is
 * desiredSize machines (minSize by default), chosen by the pool's selection, each joining with
 * the pool's labels, taints and Kubernetes version. A change redeploys the pool's machines, a
 * new machine before the old one is released when MAAS picks them (docs/bare-metal.md).
 */
export class MaasNodePool extends Construct {
  readonly pool: NodePoolSpec;
  readonly nodes: readonly MaasNode[];

  constructor(scope: Construct, id: string, props: MaasNodePoolProps) {
    super(scope, id);
    const { cluster, pool } = props;
    this.pool = pool;
    const machine = pool.machine.maas!;
    this.nodes = Array.from(
      { length: pool.desiredSize },
      (_, index) =>
        new MaasNode(this, `node-${index}`, {
          cluster,
          name: `${cluster.metadata.name}-${pool.name}-${index}`,
          selection: machine,
          index,
          secretName: props.secretName,
          lifecycle: { kind: "cattle" },
          userData: (bootstrap) => renderWorkerUserData({ cluster, pool, apiHost: props.apiHost, ...bootstrap }),
        }),
    );
  }
}
