/**
 * Where things go in an AWS cluster's network, decided from the spec alone (no AWS call): the
 * subnets of a new VPC, and the fixed private address of every etcd member. Validation, the
 * constructs and `k2 secrets init` (which puts these addresses in certificates) share it.
 */
import { formatIpv4, mustParseIpv4Cidr, subnetOf, type Ipv4Network } from "./cidr";

/** The shape of spec.provider.aws this module reads. */
export interface AwsNetworkInput {
  readonly vpcCidr: string;
  readonly availabilityZones: readonly string[];
  readonly existingVpc?: {
    readonly vpcId: string;
    readonly privateSubnets: readonly { readonly id: string; readonly cidr: string }[];
    readonly publicSubnetIds?: readonly string[];
  };
}

export interface ZonePlan {
  readonly zone: string;
  readonly privateSubnetCidr: string;
  /** Only for a new VPC; an existing VPC's public subnets are given by ID. */
  readonly publicSubnetCidr?: string;
  readonly privateSubnetId?: string;
  readonly publicSubnetId?: string;
}

/** At most this many availability zones, etcd clusters and members per etcd cluster. */
export const MAX_ZONES = 6;
export const MAX_ETCD_CLUSTERS = 4;
export const MAX_ETCD_MEMBERS = 7;

/**
 * A new VPC of prefix p is cut in eight: the first six /(p+3) blocks are the zones' private
 * subnets, and public /(p+5) subnets start at the last quarter (a /16 gives private /19s and
 * public /21s from x.x.192.0). p may be at most 22, so that public subnets are at least /27.
 */
export function planZones(aws: AwsNetworkInput): ZonePlan[] {
  if (aws.existingVpc) {
    const existing = aws.existingVpc;
    return aws.availabilityZones.map((zone, index) => ({
      zone,
      privateSubnetCidr: existing.privateSubnets[index]!.cidr,
      privateSubnetId: existing.privateSubnets[index]!.id,
      ...(existing.publicSubnetIds?.[index] === undefined ? {} : { publicSubnetId: existing.publicSubnetIds[index] }),
    }));
  }
  const vpc = mustParseIpv4Cidr(aws.vpcCidr);
  return aws.availabilityZones.map((zone, index) => ({
    zone,
    privateSubnetCidr: subnetOf(vpc, vpc.prefix + 3, index).cidr,
    publicSubnetCidr: subnetOf(vpc, vpc.prefix + 5, 24 + index).cidr,
  }));
}

export interface EtcdMemberAddress {
  /** 0-based member index within its etcd cluster. */
  readonly member: number;
  readonly zone: string;
  readonly zoneIndex: number;
  readonly privateIp: string;
}

/** First host offset used for etcd members in each private subnet (AWS reserves the first four addresses). */
const ETCD_FIRST_OFFSET = 10;

/**
 * Member m of etcd cluster k (in spec order) sits in zone m mod zones, at host offset
 * 10 + 8k + floor(m / zones) of that zone's private subnet: fixed, distinct, and the same on
 * every synth. The subnet needs at least 10 + 8k + slot + 2 addresses (/26 is always enough).
 */
export function etcdMemberAddresses(zones: readonly ZonePlan[], etcdIndex: number, members: number): EtcdMemberAddress[] {
  return Array.from({ length: members }, (_, member) => {
    const zoneIndex = member % zones.length;
    const zone = zones[zoneIndex]!;
    const subnet = mustParseIpv4Cidr(zone.privateSubnetCidr);
    const offset = etcdHostOffset(etcdIndex, Math.floor(member / zones.length));
    return { member, zone: zone.zone, zoneIndex, privateIp: formatIpv4(subnet.first + offset) };
  });
}

export function etcdHostOffset(etcdIndex: number, slot: number): number {
  return ETCD_FIRST_OFFSET + 8 * etcdIndex + slot;
}

/** Whether an address at `offset` is usable in `subnet` (AWS keeps the last address too). */
export function fitsInSubnet(subnet: Ipv4Network, offset: number): boolean {
  return subnet.first + offset < subnet.last;
}
