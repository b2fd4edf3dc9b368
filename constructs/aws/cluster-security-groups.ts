import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { resourceTags } from "../../lib/aws/tags";
import { ETCD_CLIENT_PORT, ETCD_METRICS_PORT, ETCD_PEER_PORT } from "../../lib/bootstrap";
import type { Cluster } from "../../lib/spec";

export interface ClusterSecurityGroupsProps {
  readonly cluster: Cluster;
  readonly vpcId: string;
  readonly vpcCidr: string;
}

/** A port or protocol opened by a rule. */
interface Opening {
  /** Part of the rule's construct ID: IDs come from what a rule opens, so that they stay stable when other rules change. */
  readonly key: string;
  readonly description: string;
  /** "tcp", "udp", or an IP protocol number as a string ("4" is IP-in-IP). */
  readonly protocol: string;
  readonly port?: number;
}

const API: Opening = { key: "api", description: "Kubernetes API", protocol: "tcp", port: 6443 };
const KUBELET: Opening = { key: "kubelet", description: "kubelet API", protocol: "tcp", port: 10250 };
const BGP: Opening = { key: "bgp", description: "Calico BGP", protocol: "tcp", port: 179 };
const IP_IN_IP: Opening = { key: "ipip", description: "Calico IP-in-IP pod traffic", protocol: "4" };
const ETCD_CLIENT: Opening = { key: "etcd-client", description: "etcd clients", protocol: "tcp", port: ETCD_CLIENT_PORT };
const ETCD_PEER: Opening = { key: "etcd-peer", description: "etcd peers", protocol: "tcp", port: ETCD_PEER_PORT };
const ETCD_METRICS: Opening = { key: "etcd-metrics", description: "etcd metrics (Prometheus)", protocol: "tcp", port: ETCD_METRICS_PORT };

/**
 * Security groups that open only what each role needs, between the right groups:
 * the API load balancer takes 6443 from the VPC and the spec's allowlist; the control plane
 * takes 6443 from the load balancer and the nodes; each etcd cluster takes 2379 from the
 * control plane, 2380 only among its members and 2381 (metrics only) from the nodes, where Prometheus runs; kubelets take 10250 from the control plane
 * and the nodes (metrics); pod networking (BGP, IP-in-IP) flows only among nodes. Nothing is
 * open to 0.0.0.0/0 but what allowedCidrs says.
 */
export class ClusterSecurityGroups extends Construct {
  readonly apiLoadBalancer: SecurityGroup;
  readonly controlPlane: SecurityGroup;
  readonly workers: SecurityGroup;
  /** One per etcd cluster, by name. */
  readonly etcd: ReadonlyMap<string, SecurityGroup>;

  constructor(scope: Construct, id: string, props: ClusterSecurityGroupsProps) {
    super(scope, id);
    const { cluster, vpcId } = props;
    const name = cluster.metadata.name;
    const group = (key: string, description: string): SecurityGroup =>
      new SecurityGroup(this, key, { name: `${name}-${key}`, description, vpcId, tags: resourceTags(cluster, `${name}-${key}`) });

    this.apiLoadBalancer = group("api-lb", `Kubernetes API load balancer of ${name}`);
    this.controlPlane = group("control-plane", `Control-plane nodes of ${name}`);
    this.workers = group("workers", `Worker nodes of ${name}`);
    this.etcd = new Map(cluster.spec.etcd.map((etcd) => [etcd.name, group(`etcd-${etcd.name}`, `Members of etcd cluster ${etcd.name} of ${name}`)]));

    const lb = this.apiLoadBalancer;
    const nodes = [this.controlPlane, this.workers];

    this.allowCidr(lb, API, props.vpcCidr, "the cluster's VPC");
    // The VPC may be listed in the allowlist too; one rule per network (AWS refuses duplicates).
    for (const cidr of new Set(cluster.spec.controlPlane.apiServer.allowedCidrs)) {
      if (cidr !== props.vpcCidr) this.allowCidr(lb, API, cidr, "spec.controlPlane.apiServer.allowedCidrs");
    }
    this.egressTo(lb, API, this.controlPlane);

    this.allow(this.controlPlane, API, [lb, ...nodes]);
    for (const target of nodes) {
      this.allow(target, KUBELET, nodes);
      this.allow(target, BGP, nodes);
      this.allow(target, IP_IN_IP, nodes);
      this.egressAnywhere(target);
    }
    for (const etcdGroup of this.etcd.values()) {
      this.allow(etcdGroup, ETCD_CLIENT, [this.controlPlane, etcdGroup]);
      this.allow(etcdGroup, ETCD_PEER, [etcdGroup]);
      this.allow(etcdGroup, ETCD_METRICS, nodes);
      this.egressAnywhere(etcdGroup);
    }
  }

  private allow(target: SecurityGroup, opening: Opening, sources: readonly SecurityGroup[]): void {
    for (const source of sources) {
      new VpcSecurityGroupIngressRule(this, `in-${target.node.id}-${opening.key}-from-${source.node.id}`, {
        securityGroupId: target.id,
        referencedSecurityGroupId: source.id,
        ipProtocol: opening.protocol,
        ...(opening.port === undefined ? {} : { fromPort: opening.port, toPort: opening.port }),
        description: opening.description,
      });
    }
  }

  private allowCidr(target: SecurityGroup, opening: Opening, cidr: string, why: string): void {
    new VpcSecurityGroupIngressRule(this, `in-${target.node.id}-${opening.key}-from-${cidr.replace(/[./]/g, "-")}`, {
      securityGroupId: target.id,
      cidrIpv4: cidr,
      ipProtocol: opening.protocol,
      fromPort: opening.port,
      toPort: opening.port,
      description: `${opening.description} from ${why}`,
    });
  }

  private egressTo(source: SecurityGroup, opening: Opening, target: SecurityGroup): void {
    new VpcSecurityGroupEgressRule(this, `out-${source.node.id}-${opening.key}-to-${target.node.id}`, {
      securityGroupId: source.id,
      referencedSecurityGroupId: target.id,
      ipProtocol: opening.protocol,
      fromPort: opening.port,
      toPort: opening.port,
      description: opening.description,
    });
  }

  /** Machines reach package mirrors, image registries and AWS APIs through NAT. */
  private egressAnywhere(source: SecurityGroup): void {
    new VpcSecurityGroupEgressRule(this, `out-${source.node.id}-all`, {
      securityGroupId: source.id,
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "-1",
      description: "Outbound through NAT: packages, images, AWS APIs",
    });
  }
}
