/** The cluster's network: a new VPC carved from the spec, or an existing VPC and subnets used as they are. */
import { describe, expect, it } from "vitest";
import { awsWith, EXAMPLES } from "../util";
import {
  controlPlaneNodes,
  onlyResource,
  poolGroups,
  resourcesOf,
  securityGroupRefs,
  synthCluster,
  synthExample,
  type IngressRuleResource,
  type LbResource,
  type LbTargetGroupResource,
  type NetworkInterfaceResource,
  type SecurityGroupResource,
  type SubnetResource,
} from "./fixtures";

const subnetPlan = (subnets: Record<string, SubnetResource>): string[] =>
  Object.values(subnets)
    .map((subnet) => `${subnet.availability_zone} ${subnet.cidr_block} ${subnet.tags["kubernetes.io/role/elb"] === "1" ? "public" : "private"}`)
    .sort();

describe("a new VPC", () => {
  it("has a private and a public subnet per zone and a NAT gateway per zone in examples/aws-ha", () => {
    const { json } = synthExample(EXAMPLES.awsHa);
    const [, vpc] = onlyResource<{ cidr_block: string }>(json, "aws_vpc");
    expect(vpc.cidr_block).toBe("10.0.0.0/16");
    expect(subnetPlan(resourcesOf<SubnetResource>(json, "aws_subnet"))).toEqual([
      "us-west-2a 10.0.0.0/19 private",
      "us-west-2a 10.0.192.0/21 public",
      "us-west-2b 10.0.200.0/21 public",
      "us-west-2b 10.0.32.0/19 private",
      "us-west-2c 10.0.208.0/21 public",
      "us-west-2c 10.0.64.0/19 private",
    ]);
    expect(Object.keys(resourcesOf(json, "aws_nat_gateway"))).toHaveLength(3);
  });

  it("has a single NAT gateway in examples/aws-minimal (natGateways: single)", () => {
    const { json } = synthExample(EXAMPLES.awsMinimal);
    expect(subnetPlan(resourcesOf<SubnetResource>(json, "aws_subnet"))).toEqual(["us-west-2a 10.0.0.0/19 private", "us-west-2a 10.0.192.0/21 public"]);
    expect(Object.keys(resourcesOf(json, "aws_nat_gateway"))).toHaveLength(1);
  });
});

describe("an existing VPC", () => {
  const VPC = "vpc-0123456789abcdef0";
  const PRIVATE = ["subnet-00000000000000001", "subnet-00000000000000002", "subnet-00000000000000003"];
  const PUBLIC = ["subnet-0000000000000000a", "subnet-0000000000000000b", "subnet-0000000000000000c"];
  const existingVpc = {
    vpcId: VPC,
    privateSubnets: [
      { id: PRIVATE[0], cidr: "10.20.0.0/24" },
      { id: PRIVATE[1], cidr: "10.20.1.0/24" },
      { id: PRIVATE[2], cidr: "10.20.2.0/24" },
    ],
  };
  const { json } = synthCluster(awsWith({ "spec.provider.aws.vpcCidr": "10.20.0.0/16", "spec.provider.aws.existingVpc": existingVpc }));

  it("creates no VPC, subnet, gateway or route", () => {
    for (const type of ["aws_vpc", "aws_subnet", "aws_nat_gateway", "aws_internet_gateway", "aws_eip", "aws_route_table", "aws_route", "aws_default_security_group"]) {
      expect(json.resource[type], type).toBeUndefined();
    }
  });

  it("builds in the given VPC and private subnets, zone by zone", () => {
    for (const [id, group] of Object.entries(resourcesOf<SecurityGroupResource>(json, "aws_security_group"))) expect(group.vpc_id, id).toBe(VPC);
    const [, targetGroup] = onlyResource<LbTargetGroupResource>(json, "aws_lb_target_group");
    expect(targetGroup.vpc_id).toBe(VPC);

    expect(controlPlaneNodes(json).map((node) => node.group.vpc_zone_identifier)).toEqual(PRIVATE.map((subnet) => [subnet]));
    for (const group of Object.values(poolGroups(json))) expect(group.vpc_zone_identifier).toEqual(PRIVATE);
    const [, lb] = onlyResource<LbResource>(json, "aws_lb");
    expect(lb).toMatchObject({ internal: true, subnets: PRIVATE });
  });

  it("plans etcd addresses from the given subnet CIDRs", () => {
    const interfaces = Object.values(resourcesOf<NetworkInterfaceResource>(json, "aws_network_interface"));
    const placed = Object.fromEntries(interfaces.map((eni) => [eni.tags["kraken.dev/etcd-member"]!, `${eni.subnet_id} ${eni.private_ips.join(",")}`]));
    expect(placed).toEqual({
      "main-0": `${PRIVATE[0]!} 10.20.0.10`,
      "main-1": `${PRIVATE[1]!} 10.20.1.10`,
      "main-2": `${PRIVATE[2]!} 10.20.2.10`,
      "events-0": `${PRIVATE[0]!} 10.20.0.18`,
      "events-1": `${PRIVATE[1]!} 10.20.1.18`,
      "events-2": `${PRIVATE[2]!} 10.20.2.18`,
    });
  });

  it("opens the API to the existing VPC's CIDR", () => {
    const groups = securityGroupRefs(json, "test");
    const cidrs = Object.values(resourcesOf<IngressRuleResource>(json, "aws_vpc_security_group_ingress_rule"))
      .filter((rule) => rule.cidr_ipv4 !== undefined)
      .map((rule) => [rule.security_group_id, rule.cidr_ipv4]);
    expect(cidrs).toEqual([[groups.get("api-lb"), "10.20.0.0/16"]]);
  });

  it("puts a public API load balancer in the given public subnets", () => {
    const { json: publicJson } = synthCluster(
      awsWith({
        "spec.provider.aws.vpcCidr": "10.20.0.0/16",
        "spec.provider.aws.existingVpc": { ...existingVpc, publicSubnetIds: PUBLIC },
        "spec.controlPlane.apiServer": { public: true, allowedCidrs: ["203.0.113.0/24"] },
      }),
    );
    const [, lb] = onlyResource<LbResource>(publicJson, "aws_lb");
    expect(lb).toMatchObject({ internal: false, subnets: PUBLIC });
    // Nodes stay in the private subnets.
    expect(controlPlaneNodes(publicJson).map((node) => node.group.vpc_zone_identifier)).toEqual(PRIVATE.map((subnet) => [subnet]));
  });
});
