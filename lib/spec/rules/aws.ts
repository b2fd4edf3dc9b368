import { instanceArchitecture } from "../aws-instances";
import { networksOverlap, parseIpv4Cidr, type Ipv4Network } from "../cidr";
import { etcdHostOffset, fitsInSubnet } from "../network-plan";
import type { PathSegment } from "../problems";
import type { EbsVolume, PartialCluster } from "../types";
import { present, type Report, type SpecRule } from "./rule";

export const availabilityZonesRule: SpecRule = {
  id: "availability-zones",
  summary: "Availability zones belong to provider.aws.region, and a pool's zones are among the cluster's.",
  check(document, report) {
    const aws = document.spec?.provider?.aws;
    if (!aws) return;
    const zones = present(aws.availabilityZones);
    if (aws.region !== undefined) {
      for (const [zone, index] of zones) {
        const inRegion = zone.startsWith(aws.region) && /^([a-z]|-[a-z0-9-]+[a-z])$/.test(zone.slice(aws.region.length));
        if (!inRegion) {
          report(["spec", "provider", "aws", "availabilityZones", index], `"${zone}" is not a zone of region ${aws.region}; expected a name such as ${aws.region}a`);
        }
      }
    }
    const known = new Set(zones.map(([zone]) => zone));
    for (const [pool, poolIndex] of present(document.spec.nodePools)) {
      for (const [zone, index] of present(pool.machine?.aws?.availabilityZones)) {
        if (!known.has(zone)) {
          report(
            ["spec", "nodePools", poolIndex, "machine", "aws", "availabilityZones", index],
            `"${zone}" is not among provider.aws.availabilityZones (${[...known].join(", ")})`,
          );
        }
      }
    }
  },
};

export const existingVpcRule: SpecRule = {
  id: "existing-vpc",
  summary:
    "An existing VPC lists one private subnet (and, if any, one public subnet) per availability zone, in zone order; private subnets lie inside vpcCidr without overlapping; a public API endpoint in it needs public subnets.",
  check(document, report) {
    const aws = document.spec?.provider?.aws;
    const existing = aws?.existingVpc;
    if (!aws || !existing) return;
    const zoneCount = aws.availabilityZones?.length;
    const base = ["spec", "provider", "aws", "existingVpc"];
    const counts = { privateSubnets: existing.privateSubnets?.length, publicSubnetIds: existing.publicSubnetIds?.length };
    if (zoneCount !== undefined) {
      for (const [field, count] of Object.entries(counts)) {
        if (count !== undefined && count !== zoneCount) {
          report([...base, field], `must list one subnet per availability zone (${zoneCount}, in the order of provider.aws.availabilityZones), got ${count}`);
        }
      }
    }
    const privateIds = new Set(present(existing.privateSubnets).map(([subnet]) => subnet.id));
    for (const [id, index] of present(existing.publicSubnetIds)) {
      if (privateIds.has(id)) report([...base, "publicSubnetIds", index], `"${id}" is also listed in privateSubnets; public and private subnets must differ`);
    }
    const vpc = aws.vpcCidr === undefined ? undefined : parseIpv4Cidr(aws.vpcCidr);
    const subnets: [Ipv4Network, number][] = [];
    for (const [subnet, index] of present(existing.privateSubnets)) {
      const parsed = subnet.cidr === undefined ? undefined : parseIpv4Cidr(subnet.cidr);
      if (!parsed || !("network" in parsed)) continue;
      const path = [...base, "privateSubnets", index, "cidr"];
      if (vpc && "network" in vpc && (parsed.network.first < vpc.network.first || parsed.network.last > vpc.network.last)) {
        report(path, `"${subnet.cidr}" is not inside provider.aws.vpcCidr ("${aws.vpcCidr}")`);
      }
      const other = subnets.find(([network]) => networksOverlap(network, parsed.network));
      if (other) report(path, `"${subnet.cidr}" overlaps privateSubnets[${other[1]}] ("${other[0].cidr}")`);
      subnets.push([parsed.network, index]);
    }
    if (document.spec.controlPlane?.apiServer?.public === true && existing.publicSubnetIds === undefined) {
      report([...base, "publicSubnetIds"], "is required when spec.controlPlane.apiServer.public is true: the public API load balancer lives in public subnets");
    }
  },
};

export const etcdAddressesRule: SpecRule = {
  id: "etcd-addresses",
  summary:
    "Every etcd member's fixed address fits in its zone's private subnet: member m of the k-th etcd cluster takes host offset 10 + 8k + (m div zones), so existing subnets keep .10 to .41 free for etcd.",
  check(document, report) {
    const aws = document.spec?.provider?.aws;
    const zones = aws?.availabilityZones?.length;
    const subnets = aws?.existingVpc?.privateSubnets;
    if (!subnets || zones === undefined || zones === 0 || subnets.length !== zones) return;
    present(document.spec?.etcd).forEach(([etcd, etcdIndex]) => {
      for (let member = 0; member < (etcd.members ?? 0); member += 1) {
        const zoneIndex = member % zones;
        const cidr = subnets[zoneIndex]?.cidr;
        const parsed = cidr === undefined ? undefined : parseIpv4Cidr(cidr);
        if (!parsed || !("network" in parsed)) continue;
        const offset = etcdHostOffset(etcdIndex, Math.floor(member / zones));
        if (!fitsInSubnet(parsed.network, offset)) {
          report(
            ["spec", "provider", "aws", "existingVpc", "privateSubnets", zoneIndex, "cidr"],
            `"${cidr}" is too small: etcd cluster "${etcd.name ?? etcdIndex}" member ${member} takes host offset ${offset} of it; use subnets of /26 or larger`,
          );
          return;
        }
      }
    });
  },
};

export const awsTagsRule: SpecRule = {
  id: "aws-tags",
  summary: "AWS tags have keys of 1 to 128 characters not starting with 'aws:', and values of at most 256 characters.",
  check(document, report) {
    const tags = document.spec?.provider?.aws?.tags;
    if (!tags) return;
    for (const [key, value] of Object.entries(tags)) {
      const path = ["spec", "provider", "aws", "tags", key];
      if (key.length === 0 || key.length > 128) report(path, `tag key must be 1 to 128 characters long, got ${key.length}`);
      else if (key.toLowerCase().startsWith("aws:")) report(path, `tag key must not start with "aws:" (reserved by AWS), got "${key}"`);
      if (typeof value === "string" && value.length > 256) report(path, `tag value must be at most 256 characters long, got ${value.length}`);
    }
  },
};

export const instanceArchitectureRule: SpecRule = {
  id: "instance-architecture",
  summary: "All instance types of one pool share a CPU architecture, since the pool boots one image.",
  check(document, report) {
    for (const [pool, index] of present(document.spec?.nodePools)) {
      const types = present(pool.machine?.aws?.instanceTypes);
      const [first] = types;
      if (!first) continue;
      const expected = instanceArchitecture(first[0]);
      for (const [type, typeIndex] of types.slice(1)) {
        const architecture = instanceArchitecture(type);
        if (architecture !== expected) {
          report(
            ["spec", "nodePools", index, "machine", "aws", "instanceTypes", typeIndex],
            `"${type}" is ${architecture} but "${first[0]}" is ${expected}; one pool boots one image, so its instance types must share an architecture (make a second pool)`,
          );
        }
      }
    }
  },
};

/** AWS limits on provisioned performance relative to size. @see https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html */
const IOPS_PER_GIB: Readonly<Record<string, number>> = { gp3: 500, io1: 50, io2: 1000 };
const GP3_MIBPS_PER_IOPS = 0.25;

function checkVolume(volume: Partial<EbsVolume> | undefined, path: readonly PathSegment[], report: Report): void {
  if (!volume) return;
  const type = volume.type ?? "gp3";
  const { iops, throughputMibps, sizeGib } = volume;
  if (iops !== undefined && type === "gp2") report([...path, "iops"], "applies only to gp3, io1 and io2 volumes; gp2 performance follows its size");
  if ((type === "io1" || type === "io2") && iops === undefined) report([...path, "iops"], `is required for ${type} volumes`);
  if (throughputMibps !== undefined && type !== "gp3") report([...path, "throughputMibps"], `applies only to gp3 volumes, got type ${type}`);
  const ratio = IOPS_PER_GIB[type];
  if (iops !== undefined && sizeGib !== undefined && ratio !== undefined && iops > ratio * sizeGib) {
    report([...path, "iops"], `must be at most ${ratio} per GiB for ${type} (${ratio * sizeGib} for ${sizeGib} GiB), got ${iops}`);
  }
  if (type === "gp3" && throughputMibps !== undefined) {
    const limit = (iops ?? 3000) * GP3_MIBPS_PER_IOPS;
    if (throughputMibps > limit) {
      report([...path, "throughputMibps"], `must be at most 0.25 MiB/s per provisioned IOPS on gp3 (${limit} for ${iops ?? 3000} IOPS), got ${throughputMibps}`);
    }
  }
}

export const ebsVolumesRule: SpecRule = {
  id: "ebs-volumes",
  summary: "EBS volume settings fit the volume type: IOPS only on gp3/io1/io2 (required on io1/io2) within the type's IOPS-per-GiB limit, throughput only on gp3 within 0.25 MiB/s per IOPS.",
  check(document: PartialCluster, report) {
    const spec = document.spec;
    for (const [etcd, index] of present(spec?.etcd)) {
      const aws = etcd.machine?.aws;
      checkVolume(aws?.rootVolume, ["spec", "etcd", index, "machine", "aws", "rootVolume"], report);
      checkVolume(aws?.dataVolume, ["spec", "etcd", index, "machine", "aws", "dataVolume"], report);
    }
    checkVolume(spec?.controlPlane?.machine?.aws?.rootVolume, ["spec", "controlPlane", "machine", "aws", "rootVolume"], report);
    for (const [pool, index] of present(spec?.nodePools)) {
      checkVolume(pool.machine?.aws?.rootVolume, ["spec", "nodePools", index, "machine", "aws", "rootVolume"], report);
    }
  },
};
