import { networksOverlap, parseIpv4Cidr, type Ipv4Network } from "../cidr";
import type { PathSegment } from "../problems";
import type { PartialCluster } from "../types";
import { present, type Report, type SpecRule } from "./rule";

interface NamedCidr {
  readonly path: readonly PathSegment[];
  readonly label: string;
  readonly value: string;
}

/** The cluster's own networks, which must not overlap one another. */
function clusterNetworks(document: PartialCluster): NamedCidr[] {
  const spec = document.spec;
  const found: NamedCidr[] = [];
  const add = (path: PathSegment[], value: string | undefined): void => {
    if (value !== undefined) found.push({ path, label: path.join("."), value });
  };
  add(["spec", "provider", "aws", "vpcCidr"], spec?.provider?.aws?.vpcCidr);
  add(["spec", "kubernetes", "podCidr"], spec?.kubernetes?.podCidr);
  add(["spec", "kubernetes", "serviceCidr"], spec?.kubernetes?.serviceCidr);
  return found;
}

function allCidrs(document: PartialCluster): NamedCidr[] {
  const found = clusterNetworks(document);
  for (const [cidr, index] of present(document.spec?.controlPlane?.apiServer?.allowedCidrs)) {
    const path = ["spec", "controlPlane", "apiServer", "allowedCidrs", index];
    found.push({ path, label: path.join("."), value: cidr });
  }
  for (const [subnet, index] of present(document.spec?.provider?.aws?.existingVpc?.privateSubnets)) {
    const path = ["spec", "provider", "aws", "existingVpc", "privateSubnets", index, "cidr"];
    if (subnet.cidr !== undefined) found.push({ path, label: path.join("."), value: subnet.cidr });
  }
  return found;
}

/** Parsed networks, silently skipping the invalid ones (cidr-syntax reports those). */
function parsed(cidrs: NamedCidr[]): (NamedCidr & { network: Ipv4Network })[] {
  return cidrs.flatMap((cidr) => {
    const result = parseIpv4Cidr(cidr.value);
    return "network" in result ? [{ ...cidr, network: result.network }] : [];
  });
}

export const cidrSyntaxRule: SpecRule = {
  id: "cidr-syntax",
  summary: "Every CIDR is a valid IPv4 network address with its prefix length, without host bits set.",
  check(document, report) {
    for (const cidr of allCidrs(document)) {
      const result = parseIpv4Cidr(cidr.value);
      if ("problem" in result) report(cidr.path, `${result.problem}, got "${cidr.value}"`);
    }
  },
};

function checkPrefix(report: Report, cidr: NamedCidr & { network: Ipv4Network }, min: number, max: number, why: string): void {
  const prefix = cidr.network.prefix;
  if (prefix < min || prefix > max) report(cidr.path, `must have a prefix length from /${min} to /${max} (${why}), got "${cidr.value}"`);
}

export const cidrSizeRule: SpecRule = {
  id: "cidr-size",
  summary:
    "A new VPC is /16 to /22 (an existing one /16 to /28), the service network /12 to /28, and the pod network holds a node range (kubernetes.nodeCidrMaskSize) for every node the pools and control plane can reach, each big enough for the pool's maxPods.",
  check(document, report) {
    const spec = document.spec;
    const networks = parsed(clusterNetworks(document));
    const byField = (field: string) => networks.find((n) => n.path[n.path.length - 1] === field);
    const vpc = byField("vpcCidr");
    if (vpc && spec?.provider?.aws?.existingVpc) checkPrefix(report, vpc, 16, 28, "AWS allows /16 to /28");
    else if (vpc) checkPrefix(report, vpc, 16, 22, "a new VPC is carved into a private and a public subnet per zone");
    const service = byField("serviceCidr");
    if (service) checkPrefix(report, service, 12, 28, "the API server refuses larger service ranges");

    const pod = byField("podCidr");
    const mask = spec?.kubernetes?.nodeCidrMaskSize;
    if (!pod || mask === undefined) return;
    if (mask <= pod.network.prefix) {
      report(["spec", "kubernetes", "nodeCidrMaskSize"], `must be longer than the pod network's prefix (/${pod.network.prefix}), got ${mask}`);
      return;
    }
    const nodeRanges = 2 ** (mask - pod.network.prefix);
    const poolNodes = present(spec?.nodePools).reduce((sum, [pool]) => sum + (pool.maxSize ?? 0), 0);
    const nodes = poolNodes + (spec?.controlPlane?.replicas ?? 0);
    if (nodes > nodeRanges) {
      report(
        pod.path,
        `holds ${nodeRanges} node ranges of /${mask}, but the cluster can grow to ${nodes} nodes (control plane plus every pool's maxSize); use a larger pod network or a longer nodeCidrMaskSize, got "${pod.value}"`,
      );
    }
    const addressesPerNode = 2 ** (32 - mask);
    for (const [pool, index] of present(spec?.nodePools)) {
      if (pool.maxPods !== undefined && pool.maxPods > addressesPerNode - 2) {
        report(
          ["spec", "nodePools", index, "maxPods"],
          `must fit in a node's /${mask} pod range (${addressesPerNode - 2} usable addresses), got ${pool.maxPods}; lower maxPods or shorten kubernetes.nodeCidrMaskSize`,
        );
      }
    }
  },
};

export const cidrOverlapRule: SpecRule = {
  id: "cidr-overlap",
  summary: "The VPC, pod and service networks do not overlap.",
  check(document, report) {
    // Reported at both fields: either may be the one to change, and either may be a default.
    const networks = parsed(clusterNetworks(document));
    for (const a of networks) {
      for (const b of networks) {
        if (a !== b && networksOverlap(a.network, b.network)) {
          report(a.path, `"${a.value}" overlaps ${b.label} ("${b.value}"); the VPC, pod and service networks must be disjoint`);
        }
      }
    }
  },
};
