/** The security group matrix: which group takes which port from which group, and stable rule IDs. */
import { describe, expect, it } from "vitest";
import { SpecValidationError } from "../../lib/spec";
import { awsWith, EXAMPLES } from "../util";
import {
  resourcesOf,
  securityGroupRefs,
  synthCluster,
  synthExample,
  type IngressRuleResource,
  type SynthesizedStack,
} from "./fixtures";

interface Opening {
  readonly target: string;
  readonly source: string;
  readonly protocol: string;
  readonly port: number | undefined;
}

/** Ingress rules between groups, with group names ("control-plane", "etcd-main") instead of references. */
function openings(json: SynthesizedStack, clusterName: string): Opening[] {
  const names = new Map([...securityGroupRefs(json, clusterName)].map(([name, reference]) => [reference, name]));
  return Object.values(resourcesOf<IngressRuleResource>(json, "aws_vpc_security_group_ingress_rule")).map((rule) => {
    if (rule.from_port !== rule.to_port) throw new Error(`a rule opens a port range ${rule.from_port}-${rule.to_port}`);
    return {
      target: names.get(rule.security_group_id) ?? `unknown ${rule.security_group_id}`,
      source: rule.referenced_security_group_id === undefined ? `cidr ${rule.cidr_ipv4}` : (names.get(rule.referenced_security_group_id) ?? "unknown"),
      protocol: rule.ip_protocol,
      port: rule.from_port,
    };
  });
}

const sourcesOf = (all: readonly Opening[], target: string, port: number): string[] =>
  all
    .filter((opening) => opening.target === target && opening.port === port)
    .map((opening) => opening.source)
    .sort();

const portsOf = (all: readonly Opening[], target: string): (number | string)[] =>
  [...new Set(all.filter((opening) => opening.target === target).map((opening) => opening.port ?? `proto ${opening.protocol}`))].sort();

describe("security group matrix of examples/aws-ha", () => {
  const { json } = synthExample(EXAMPLES.awsHa);
  const all = openings(json, "prod-usw2");

  it("has one group per role and per etcd cluster", () => {
    expect([...securityGroupRefs(json, "prod-usw2").keys()].sort()).toEqual(["api-lb", "control-plane", "etcd-events", "etcd-main", "workers"]);
  });

  it("opens 2379 on each etcd group only to the control plane and the etcd group itself", () => {
    for (const etcd of ["etcd-main", "etcd-events"]) {
      expect(sourcesOf(all, etcd, 2379), etcd).toEqual(["control-plane", etcd]);
    }
  });

  it("opens 2380 on each etcd group only to the etcd group itself", () => {
    for (const etcd of ["etcd-main", "etcd-events"]) {
      expect(sourcesOf(all, etcd, 2380), etcd).toEqual([etcd]);
    }
  });

  it("opens 2381 (etcd's metrics, no keys) on each etcd group to the nodes, where Prometheus runs", () => {
    for (const etcd of ["etcd-main", "etcd-events"]) {
      expect(sourcesOf(all, etcd, 2381), etcd).toEqual(["control-plane", "workers"]);
    }
  });

  it("opens nothing else on etcd groups, and no etcd port anywhere else", () => {
    expect(portsOf(all, "etcd-main")).toEqual([2379, 2380, 2381]);
    expect(portsOf(all, "etcd-events")).toEqual([2379, 2380, 2381]);
    expect(all.filter((opening) => [2379, 2380, 2381].includes(opening.port ?? 0) && !opening.target.startsWith("etcd-"))).toEqual([]);
  });

  it("opens 6443 on the control plane to the load balancer, the control plane and the workers", () => {
    expect(sourcesOf(all, "control-plane", 6443)).toEqual(["api-lb", "control-plane", "workers"]);
    expect(sourcesOf(all, "workers", 6443)).toEqual([]);
  });

  it("opens the kubelet (10250) on control plane and workers to control plane and workers only", () => {
    for (const target of ["control-plane", "workers"]) {
      expect(sourcesOf(all, target, 10250), target).toEqual(["control-plane", "workers"]);
    }
  });

  it("opens only 6443 on the load balancer, and lets it out only to the control plane on 6443", () => {
    expect(portsOf(all, "api-lb")).toEqual([6443]);
    const groups = securityGroupRefs(json, "prod-usw2");
    const egress = Object.values(resourcesOf<IngressRuleResource>(json, "aws_vpc_security_group_egress_rule")).filter(
      (rule) => rule.security_group_id === groups.get("api-lb"),
    );
    expect(egress).toEqual([expect.objectContaining({ referenced_security_group_id: groups.get("control-plane"), ip_protocol: "tcp", from_port: 6443, to_port: 6443 })]);
  });

  it("keeps pod networking (BGP, IP-in-IP) among nodes", () => {
    for (const target of ["control-plane", "workers"]) {
      expect(sourcesOf(all, target, 179), target).toEqual(["control-plane", "workers"]);
      expect(
        all
          .filter((opening) => opening.target === target && opening.protocol === "4")
          .map((opening) => opening.source)
          .sort(),
        target,
      ).toEqual(["control-plane", "workers"]);
    }
  });
});

describe("security group rule IDs", () => {
  const ingressOf = (json: SynthesizedStack): Record<string, IngressRuleResource> => resourcesOf<IngressRuleResource>(json, "aws_vpc_security_group_ingress_rule");

  it("stay the same when an allowedCidr is added: only the new rule appears", () => {
    // GIVEN a cluster allowing one network, and the same cluster allowing a second one
    const before = ingressOf(synthCluster(awsWith({ "spec.controlPlane.apiServer.allowedCidrs": ["203.0.113.0/24"] })).json);
    const after = ingressOf(synthCluster(awsWith({ "spec.controlPlane.apiServer.allowedCidrs": ["198.51.100.0/24", "203.0.113.0/24"] })).json);

    // THEN every rule keeps its logical ID and content, and one rule, for the new network, is added
    for (const [id, rule] of Object.entries(before)) expect(after[id], id).toEqual(rule);
    const added = Object.keys(after).filter((id) => !(id in before));
    expect(added).toHaveLength(1);
    expect(after[added[0]!]!.cidr_ipv4).toBe("198.51.100.0/24");
  });

  it("survive an allowedCidr equal to the VPC CIDR: one rule for it, or a spec error naming allowedCidrs", () => {
    // GIVEN allowedCidrs that repeat the VPC CIDR (10.0.0.0/16 by default), which the VPC rule already opens
    const document = awsWith({ "spec.controlPlane.apiServer.allowedCidrs": ["10.0.0.0/16"] });

    // WHEN synthesized: either a clear spec error, or a stack with a single rule for that network
    let json: SynthesizedStack | undefined;
    try {
      json = synthCluster(document).json;
    } catch (error) {
      expect(error).toBeInstanceOf(SpecValidationError);
      expect((error as Error).message).toMatch(/spec\.controlPlane\.apiServer\.allowedCidrs/);
      return;
    }
    const rules = Object.values(ingressOf(json)).filter((rule) => rule.cidr_ipv4 === "10.0.0.0/16");
    // AWS refuses two identical rules on one group (InvalidPermission.Duplicate).
    expect(rules).toHaveLength(1);
  });
});
