/**
 * Which cluster component owns each Terraform resource of a KrakenCluster or MaasCluster: the bridge between
 * `terraform plan` (resource addresses) and the cluster modification plan (components).
 */
import { TerraformResource, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { NodePool } from "./aws/node-pool";
import type { KrakenCluster } from "./kraken-cluster";
import type { MaasCluster } from "./maas/maas-cluster";
import { MaasNodePool } from "./maas/node-pool";

/** The component of a direct child of the cluster, by the id the cluster construct gives it. */
function componentOfChild(cluster: KrakenCluster | MaasCluster, child: IConstruct): string {
  if (child instanceof NodePool || child instanceof MaasNodePool) return `nodePool/${child.pool.name}`;
  const id = child.node.id;
  for (const etcd of cluster.spec.spec.etcd) {
    if (id === `etcd-${etcd.name}` || id === `etcd-${etcd.name}-role`) return `etcd/${etcd.name}`;
  }
  switch (id) {
    case "network":
    case "security-groups":
      return "network";
    case "control-plane":
    case "control-plane-role":
      return "controlPlane";
    case "workers-role":
      return "nodePools";
    case "etcd-backups":
      return "etcdBackups";
    default:
      return "cluster";
  }
}

/** Terraform address (type.logical_id) of every resource of the cluster, to its component. */
export function resourceComponents(cluster: KrakenCluster | MaasCluster): Map<string, string> {
  const stack = TerraformStack.of(cluster);
  const components = new Map<string, string>();
  for (const construct of cluster.node.findAll()) {
    if (!(construct instanceof TerraformResource)) continue;
    const scopes = construct.node.scopes;
    const child = scopes[scopes.indexOf(cluster) + 1];
    if (!child) continue;
    components.set(`${construct.terraformResourceType}.${stack.getLogicalId(construct)}`, componentOfChild(cluster, child));
  }
  return components;
}
