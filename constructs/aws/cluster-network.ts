import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Construct } from "constructs";
import { resourceTags } from "../../lib/aws/tags";
import { planZones, type Cluster, type ZonePlan } from "../../lib/spec";

export interface ClusterNetworkProps {
  /** The normalized spec of an AWS cluster. */
  readonly cluster: Cluster;
}

/** One availability zone of the cluster's network. */
export interface NetworkZone extends ZonePlan {
  readonly privateSubnetId: string;
  /** Absent for an existing VPC given without public subnets. */
  readonly publicSubnetId?: string;
}

/**
 * The cluster's network: a new VPC with a public and a private subnet per availability zone,
 * an internet gateway, NAT gateways (one per zone, or a single one) and routes; or an existing
 * VPC and subnets from the spec, used as they are.
 */
export class ClusterNetwork extends Construct {
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly zones: readonly NetworkZone[];
  /** Present when this construct created the VPC. */
  readonly vpc?: Vpc;

  constructor(scope: Construct, id: string, props: ClusterNetworkProps) {
    super(scope, id);
    const { cluster } = props;
    const aws = cluster.spec.provider.aws;
    if (!aws) throw new Error("ClusterNetwork needs an AWS cluster (spec.provider.aws)");
    const name = cluster.metadata.name;
    const plan = planZones(aws);
    this.vpcCidr = aws.vpcCidr;

    if (aws.existingVpc) {
      this.vpcId = aws.existingVpc.vpcId;
      this.zones = plan.map((zone) => ({ ...zone, privateSubnetId: zone.privateSubnetId! }));
      return;
    }

    const vpc = new Vpc(this, "vpc", { cidrBlock: aws.vpcCidr, enableDnsSupport: true, enableDnsHostnames: true, tags: resourceTags(cluster, name) });
    this.vpc = vpc;
    this.vpcId = vpc.id;
    // The VPC's default security group allows all traffic among its members: close it.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: vpc.id, tags: resourceTags(cluster, `${name}-default-closed`) });
    const gateway = new InternetGateway(this, "igw", { vpcId: vpc.id, tags: resourceTags(cluster, name) });
    const publicRoutes = new RouteTable(this, "public-rt", { vpcId: vpc.id, tags: resourceTags(cluster, `${name}-public`) });
    new Route(this, "public-default", { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: gateway.id });

    const publicSubnets = plan.map((zone, index) => {
      const subnet = new Subnet(this, `public-${index}`, {
        vpcId: vpc.id,
        cidrBlock: zone.publicSubnetCidr!,
        availabilityZone: zone.zone,
        mapPublicIpOnLaunch: false,
        tags: resourceTags(cluster, `${name}-public-${zone.zone}`, { "kubernetes.io/role/elb": "1" }),
      });
      new RouteTableAssociation(this, `public-${index}-rta`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
      return subnet;
    });

    const natZones = aws.natGateways === "single" ? [0] : plan.map((_, index) => index);
    const natGateways = natZones.map((index) => {
      const eip = new Eip(this, `nat-${index}-eip`, { domain: "vpc", tags: resourceTags(cluster, `${name}-nat-${plan[index]!.zone}`) });
      return new NatGateway(this, `nat-${index}`, {
        allocationId: eip.id,
        subnetId: publicSubnets[index]!.id,
        tags: resourceTags(cluster, `${name}-${plan[index]!.zone}`),
        dependsOn: [gateway],
      });
    });

    this.zones = plan.map((zone, index) => {
      const subnet = new Subnet(this, `private-${index}`, {
        vpcId: vpc.id,
        cidrBlock: zone.privateSubnetCidr,
        availabilityZone: zone.zone,
        tags: resourceTags(cluster, `${name}-private-${zone.zone}`, { "kubernetes.io/role/internal-elb": "1" }),
      });
      const routes = new RouteTable(this, `private-${index}-rt`, { vpcId: vpc.id, tags: resourceTags(cluster, `${name}-private-${zone.zone}`) });
      const nat = natGateways[aws.natGateways === "single" ? 0 : index]!;
      new Route(this, `private-${index}-default`, { routeTableId: routes.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id });
      new RouteTableAssociation(this, `private-${index}-rta`, { subnetId: subnet.id, routeTableId: routes.id });
      return { ...zone, privateSubnetId: subnet.id, publicSubnetId: publicSubnets[index]!.id };
    });
  }

  /** Private subnet IDs of the given zones (all zones when omitted), in zone order. */
  privateSubnetIds(zones?: readonly string[]): string[] {
    return this.zones.filter((zone) => !zones || zones.includes(zone.zone)).map((zone) => zone.privateSubnetId);
  }

  /** Public subnet IDs, in zone order; throws when the network has none. */
  publicSubnetIds(): string[] {
    return this.zones.map((zone) => {
      if (zone.publicSubnetId === undefined) throw new Error(`zone ${zone.zone} has no public subnet (spec.provider.aws.existingVpc.publicSubnetIds)`);
      return zone.publicSubnetId;
    });
  }
}
