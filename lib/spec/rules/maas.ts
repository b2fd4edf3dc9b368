/** MAAS networks: static addresses of etcd members and control-plane nodes, and the VIP, inside the machines' subnet. */
import { formatIpv4, isIpv4Address, parseIpv4Cidr, type Ipv4Network } from "../cidr";
import type { PathSegment } from "../problems";
import { present, type Report, type SpecRule } from "./rule";

function addressNumber(address: string): number {
  return address.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);
}

/** Why `address` cannot be a machine's address in `network`, or undefined when it can. */
function addressProblem(address: string, network: Ipv4Network | undefined): string | undefined {
  if (!isIpv4Address(address)) return `must be an IPv4 address (four numbers from 0 to 255), got "${address}"`;
  if (!network) return undefined;
  const value = addressNumber(address);
  if (value < network.first || value > network.last) return `must be inside provider.maas.network.subnetCidr (${network.cidr}), got "${address}"`;
  if (network.prefix <= 30 && (value === network.first || value === network.last)) {
    return `is the ${value === network.first ? "network" : "broadcast"} address of ${network.cidr}; use one from ${formatIpv4(network.first + 1)} to ${formatIpv4(network.last - 1)}`;
  }
  return undefined;
}

export const maasNetworkRule: SpecRule = {
  id: "maas-network",
  summary:
    "On MAAS, every etcd member has a static address (machine.maas.addresses, one per member), control-plane addresses number replicas, those addresses and the VIP are distinct usable addresses of provider.maas.network.subnetCidr, and a replaced member gets a new, empty data directory.",
  check(document, report) {
    const maas = document.spec?.provider?.maas;
    if (!maas) return;
    const subnetPath = ["spec", "provider", "maas", "network", "subnetCidr"];
    let network: Ipv4Network | undefined;
    if (maas.network?.subnetCidr !== undefined) {
      const parsed = parseIpv4Cidr(maas.network.subnetCidr);
      if ("problem" in parsed) report(subnetPath, parsed.problem);
      else network = parsed.network;
    }
    const owners = new Map<string, string>();
    const claim = (address: string, path: readonly PathSegment[], what: string): void => {
      const problem = addressProblem(address, network);
      if (problem) {
        report(path, problem);
        return;
      }
      const previous = owners.get(address);
      if (previous !== undefined) report(path, `"${address}" is already ${previous}; every machine and the VIP need their own address`);
      else owners.set(address, what);
    };
    const vip = maas.controlPlaneEndpoint?.vip;
    if (vip !== undefined && isIpv4Address(vip)) claim(vip, ["spec", "provider", "maas", "controlPlaneEndpoint", "vip"], "the control-plane VIP");

    const roles: { path: PathSegment[]; addresses: readonly (string | undefined)[] | undefined; count: number | undefined; what: string; required: boolean }[] = [];
    for (const [etcd, index] of present(document.spec.etcd)) {
      roles.push({ path: ["spec", "etcd", index, "machine", "maas", "addresses"], addresses: etcd.machine?.maas?.addresses, count: etcd.members, what: `etcd cluster ${etcd.name ?? index}'s member`, required: true });
    }
    const controlPlane = document.spec.controlPlane;
    if (controlPlane) {
      roles.push({ path: ["spec", "controlPlane", "machine", "maas", "addresses"], addresses: controlPlane.machine?.maas?.addresses, count: controlPlane.replicas, what: "control-plane node", required: false });
    }
    for (const role of roles) checkRoleAddresses(role, report, claim);
    for (const [etcd, index] of present(document.spec.etcd)) {
      if (etcd.replaceMember?.dataVolume === "keep") {
        report(
          ["spec", "etcd", index, "replaceMember", "dataVolume"],
          'must be "replace" on MAAS, got "keep": a released machine\'s disks are erased and MAAS may deploy the member on another machine, so the new member always starts empty and rejoins',
        );
      }
    }
  },
};

function checkRoleAddresses(
  role: { path: PathSegment[]; addresses: readonly (string | undefined)[] | undefined; count: number | undefined; what: string; required: boolean },
  report: Report,
  claim: (address: string, path: readonly PathSegment[], what: string) => void,
): void {
  if (role.addresses === undefined) {
    if (role.required) {
      report(role.path, `is required on MAAS: list ${role.count ?? "one per member"} static IPv4 address(es) in provider.maas.network.subnetCidr, one per member (members reach each other and are certified at these addresses)`);
    }
    return;
  }
  if (role.count !== undefined && role.addresses.length !== role.count) {
    const field = role.required ? "members" : "replicas";
    report(role.path, `must list exactly one address per ${role.required ? "member" : "node"} (${field} is ${role.count}), got ${role.addresses.length}`);
  }
  for (const [address, index] of present(role.addresses)) claim(address, [...role.path, index], `${role.what} ${index}'s address`);
}
