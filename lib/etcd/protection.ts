/**
 * Protection of running etcd clusters. Given the spec a cluster was applied with and the spec
 * about to be applied, every change to an etcd cluster is either allowed, because it is safe
 * or goes through the one documented operation (replaceMember), or blocked with the reason and
 * the safe way to do it. Provider-neutral: member addresses come from the caller.
 */
import type { EtcdClusterTopology } from "../bootstrap";
import { jsonEqual, minorDistance, type Cluster, type EtcdClusterSpec } from "../spec";

export type EtcdChangeKind = "add-cluster" | "remove-cluster" | "member-count" | "endpoints" | "resources" | "version" | "machine" | "data-volume" | "replace-member";

export interface EtcdChange {
  /** etcd cluster name. */
  readonly etcd: string;
  readonly kind: EtcdChangeKind;
  /** The field, in the new spec (in the applied one for a removed cluster). */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly blocked: boolean;
  /** What happens, or why it is refused. */
  readonly reason: string;
  /** How to do it safely (for blocked changes), or what to do next. */
  readonly remedy: string;
}

/** Members that must stay up for a cluster of n members to keep a majority. */
export function quorum(members: number): number {
  return Math.floor(members / 2) + 1;
}

const same = jsonEqual;

function dataVolumeOf(etcd: EtcdClusterSpec): unknown {
  return etcd.machine.aws?.dataVolume;
}

function machineWithoutDataVolume(etcd: EtcdClusterSpec): unknown {
  if (etcd.machine.aws) {
    const { dataVolume: _dataVolume, ...rest } = etcd.machine.aws;
    return { aws: rest };
  }
  if (etcd.machine.maas) {
    // Addresses are the members' identities: the endpoints check speaks for them.
    const { addresses: _addresses, ...rest } = etcd.machine.maas;
    return { maas: rest };
  }
  return etcd.machine;
}

/** A replaceMember in `next` that the applied spec has not carried out yet. */
function newReplacement(previous: EtcdClusterSpec, next: EtcdClusterSpec): EtcdClusterSpec["replaceMember"] {
  const replacement = next.replaceMember;
  if (!replacement) return undefined;
  return previous.replaceMember?.id === replacement.id ? undefined : replacement;
}

const REPLACE_HOW = (name: string, index: number, dataVolume: "keep" | "replace") =>
  `add spec.etcd[${index}].replaceMember: { member: 0, id: <new id>, dataVolume: ${dataVolume} } and apply, then the same for each other member in turn (k2 etcd replace-member --cluster ${name}${dataVolume === "keep" ? " --keep-data" : ""} prints the procedure)`;

/**
 * Every etcd change between the applied spec and the new one. `topologyOf` gives each
 * cluster's member addresses (AWS plans them from the network; MAAS from hostnames).
 */
export function etcdChanges(previous: Cluster, next: Cluster, topologyOf: (cluster: Cluster) => readonly EtcdClusterTopology[]): EtcdChange[] {
  const changes: EtcdChange[] = [];
  const previousTopology = new Map(topologyOf(previous).map((etcd) => [etcd.name, etcd]));
  const nextTopology = new Map(topologyOf(next).map((etcd) => [etcd.name, etcd]));

  previous.spec.etcd.forEach((before, previousIndex) => {
    const index = next.spec.etcd.findIndex((candidate) => candidate.name === before.name);
    if (index < 0) {
      changes.push({
        etcd: before.name,
        kind: "remove-cluster",
        path: `spec.etcd[${previousIndex}]`,
        before: before.name,
        after: undefined,
        blocked: true,
        reason: `removing etcd cluster "${before.name}" would destroy its ${before.members} members and every key it stores${before.resources.length > 0 ? ` (${before.resources.join(", ")})` : " (the cluster's whole state)"}; this is always refused`,
        remedy: `keep spec.etcd entry "${before.name}": an etcd cluster lives as long as its Kubernetes cluster (to start over, build a new cluster and restore from a snapshot)`,
      });
      return;
    }
    const after = next.spec.etcd[index]!;
    const at = (field: string) => `spec.etcd[${index}].${field}`;

    if (after.members !== before.members) {
      const belowQuorum = after.members < quorum(before.members);
      changes.push({
        etcd: after.name,
        kind: "member-count",
        path: at("members"),
        before: before.members,
        after: after.members,
        blocked: true,
        reason: belowQuorum
          ? `shrinking etcd cluster "${after.name}" from ${before.members} to ${after.members} members goes below its quorum of ${quorum(before.members)}: the cluster would stop accepting writes and lose data; this is always refused`
          : `changing the member count of a running etcd cluster ("${after.name}", ${before.members} to ${after.members}) needs one membership change at a time, which kraken-lib does not automate yet`,
        remedy: `keep members: ${before.members}; to change the size, add or remove members one at a time with etcdctl member add/remove while the cluster is healthy, then update the spec`,
      });
    }

    // A member's identity is its address and where it lives: a new zone rebuilds it even at the same address.
    const placement = (member: { host: string; location?: string }): string => (member.location === undefined ? member.host : `${member.host} (${member.location})`);
    const hostsBefore = previousTopology.get(before.name)?.members.map(placement) ?? [];
    const hostsAfter = nextTopology.get(after.name)?.members.map(placement) ?? [];
    const commonCount = Math.min(hostsBefore.length, hostsAfter.length);
    if (!same(hostsBefore.slice(0, commonCount), hostsAfter.slice(0, commonCount))) {
      changes.push({
        etcd: after.name,
        kind: "endpoints",
        path: at(next.spec.provider.maas ? "machine.maas.addresses" : "members"),
        before: hostsBefore,
        after: hostsAfter,
        blocked: true,
        ...(next.spec.provider.maas
          ? {
              reason: `the addresses of etcd cluster "${after.name}"'s members would change: members and the API server find each other by these addresses and certificates name them; this is always refused`,
              remedy: `keep spec.etcd[${index}].machine.maas.addresses as they are (a replaced member keeps its address)`,
            }
          : {
              reason: `the addresses or zones of etcd cluster "${after.name}"'s members would change (they follow the zones, subnets and the position of the etcd cluster in spec.etcd): members and the API server find each other by these addresses, certificates name them, and a member's data lives in its zone; this is always refused`,
              remedy: "undo the change to provider zones, subnets, vpcCidr or the order of spec.etcd",
            }),
      });
    }

    if (!same([...before.resources].sort(), [...after.resources].sort())) {
      changes.push({
        etcd: after.name,
        kind: "resources",
        path: at("resources"),
        before: before.resources,
        after: after.resources,
        blocked: true,
        reason: `moving resources between etcd clusters does not move their data: the API server would lose every stored ${[...before.resources, ...after.resources].join(", ") || "object"} of etcd cluster "${after.name}"`,
        remedy: "keep resources as they are",
      });
    }

    const replacement = newReplacement(before, after);
    const minors = minorDistance(before.version, after.version);
    if (minors !== undefined && (minors < 0 || minors > 1)) {
      changes.push({
        etcd: after.name,
        kind: "version",
        path: at("version"),
        before: before.version,
        after: after.version,
        blocked: true,
        reason:
          minors < 0
            ? `etcd ${after.version} is an older minor than the running ${before.version}: a member of an older minor cannot read the newer data; this is always refused`
            : `etcd upgrades go one minor at a time (${before.version} to ${after.version} skips ${minors - 1}); this is always refused`,
        remedy: minors < 0 ? `keep ${before.version}, or follow etcd's downgrade procedure by hand` : `upgrade to the next minor first, member by member, then to the one after`,
      });
    }
    const gated = (kind: EtcdChangeKind, field: string, was: unknown, now: unknown, what: string): void => {
      if (same(was, now)) return;
      changes.push(
        replacement
          ? {
              etcd: after.name,
              kind,
              path: at(field),
              before: was,
              after: now,
              blocked: false,
              reason: `${what} of etcd cluster "${after.name}" changes for member ${replacement.member} only, as it is replaced (replaceMember ${replacement.id})`,
              remedy: `replace the other members one at a time the same way, each with a new replaceMember id`,
            }
          : {
              etcd: after.name,
              kind,
              path: at(field),
              before: was,
              after: now,
              blocked: true,
              reason: `changing the ${what} of running etcd cluster "${after.name}" would restart or rebuild all its members at once and lose quorum`,
              // On MAAS a redeployed member always starts empty (its disks are erased on release).
              remedy: REPLACE_HOW(after.name, index, kind === "data-volume" || next.spec.provider.maas ? "replace" : "keep"),
            },
      );
    };
    if (minors === undefined || (minors >= 0 && minors <= 1)) gated("version", "version", before.version, after.version, "etcd version");
    gated("machine", "machine", machineWithoutDataVolume(before), machineWithoutDataVolume(after), "machine");
    if (!same(dataVolumeOf(before), dataVolumeOf(after)) && replacement?.dataVolume === "keep") {
      changes.push({
        etcd: after.name,
        kind: "data-volume",
        path: at("machine.aws.dataVolume"),
        before: dataVolumeOf(before),
        after: dataVolumeOf(after),
        blocked: true,
        reason: `replaceMember ${replacement.id} keeps member ${replacement.member}'s data volume as it is, so the new data volume settings of etcd cluster "${after.name}" would never reach it`,
        remedy: "use replaceMember.dataVolume: replace, which gives the member a new volume with the new settings (its data comes back from the other members)",
      });
    } else {
      gated("data-volume", "machine.aws.dataVolume", dataVolumeOf(before), dataVolumeOf(after), "data volume");
    }

    if (replacement) {
      const freshData = replacement.dataVolume === "replace";
      const lone = after.members === 1 && freshData;
      changes.push({
        etcd: after.name,
        kind: "replace-member",
        path: at("replaceMember"),
        before: before.replaceMember,
        after: replacement,
        blocked: lone,
        reason: lone
          ? `etcd cluster "${after.name}" has one member: replacing its data volume would delete the only copy of its data`
          : `member ${replacement.member} of etcd cluster "${after.name}" is replaced${freshData ? " with a new, empty data volume: remove it from the cluster first and add it back as a learner" : ", keeping its data volume"}`,
        remedy: lone
          ? next.spec.provider.maas
            ? "restore the cluster from a snapshot (k2 etcd restore-plan): on MAAS a replaced member's disks are erased"
            : `use dataVolume: keep, or restore the cluster from a snapshot (k2 etcd restore-plan)`
          : `follow k2 etcd replace-member --cluster ${after.name} --member ${replacement.member}${freshData ? "" : " --keep-data"}; one member at a time, waiting for the cluster to be healthy in between`,
      });
    }
  });

  next.spec.etcd.forEach((after, index) => {
    if (!previous.spec.etcd.some((before) => before.name === after.name)) {
      // Events live for an hour: leaving the old ones behind loses nothing that matters.
      const moved = after.resources.filter((resource) => resource !== "events");
      changes.push({
        etcd: after.name,
        kind: "add-cluster",
        path: `spec.etcd[${index}]`,
        before: undefined,
        after: after.name,
        blocked: moved.length > 0,
        reason:
          moved.length > 0
            ? `new etcd cluster "${after.name}" would take ${moved.join(", ")} off the cluster that stores them now, without their data: the API server would lose every stored object of them`
            : `etcd cluster "${after.name}" is created`,
        remedy:
          moved.length > 0
            ? "add it without those resources, or migrate their objects yourself (export them, move them, restore them) before the API server uses the new etcd cluster"
            : "run k2 secrets init for its certificates before its members boot",
      });
    }
  });
  return changes;
}

/** Thrown when a new spec changes a running cluster's etcd in a way that is refused. */
export class EtcdProtectionError extends Error {
  constructor(
    readonly cluster: string,
    readonly blocked: readonly EtcdChange[],
  ) {
    super(
      `refused: cluster ${cluster} is running, and the new spec changes its etcd in ${blocked.length} refused way${blocked.length === 1 ? "" : "s"}:\n` +
        blocked.map((change) => `  ${change.path}: ${change.reason}.\n    To do it safely: ${change.remedy}.`).join("\n"),
    );
    this.name = "EtcdProtectionError";
  }
}

/** Throws EtcdProtectionError when any change is blocked; returns the allowed ones. */
export function assertEtcdChangesAllowed(previous: Cluster, next: Cluster, topologyOf: (cluster: Cluster) => readonly EtcdClusterTopology[]): EtcdChange[] {
  const changes = etcdChanges(previous, next, topologyOf);
  const blocked = changes.filter((change) => change.blocked);
  if (blocked.length > 0) throw new EtcdProtectionError(next.metadata.name, blocked);
  return changes;
}
