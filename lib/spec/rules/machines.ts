import type { PathSegment } from "../problems";
import type { PartialCluster } from "../types";
import { present, type Report, type SpecRule } from "./rule";

interface RoleMachine {
  readonly path: readonly PathSegment[];
  readonly machine: { readonly aws?: unknown; readonly maas?: MaasSelection } | undefined;
  /** How many machines the role has (etcd members, control-plane replicas, a pool's maxSize). */
  readonly count: number | undefined;
  /** Explicit machines must match the count exactly (etcd, control plane) or cover it (pools). */
  readonly exact: boolean;
}

interface MaasSelection {
  readonly hostnames?: readonly (string | undefined)[];
  readonly systemIds?: readonly (string | undefined)[];
}

function roleMachines(document: PartialCluster): RoleMachine[] {
  const spec = document.spec;
  const roles: RoleMachine[] = [];
  for (const [etcd, index] of present(spec?.etcd)) {
    roles.push({ path: ["spec", "etcd", index, "machine"], machine: etcd.machine, count: etcd.members, exact: true });
  }
  if (spec?.controlPlane) {
    roles.push({ path: ["spec", "controlPlane", "machine"], machine: spec.controlPlane.machine, count: spec.controlPlane.replicas, exact: true });
  }
  for (const [pool, index] of present(spec?.nodePools)) {
    roles.push({ path: ["spec", "nodePools", index, "machine"], machine: pool.machine, count: pool.maxSize, exact: false });
  }
  return roles;
}

export const machineProviderRule: SpecRule = {
  id: "machine-provider",
  summary: "Every role's machine is described under the cluster's provider (machine.aws on AWS, machine.maas on MAAS).",
  check(document, report) {
    const provider = document.spec?.provider;
    const chosen = provider?.aws ? "aws" : provider?.maas ? "maas" : undefined;
    if (!chosen) return;
    const other = chosen === "aws" ? "maas" : "aws";
    for (const role of roleMachines(document)) {
      if (role.machine?.[other] !== undefined) {
        report([...role.path, other], `the cluster's provider is ${chosen} (spec.provider.${chosen}); describe this machine under machine.${chosen}`);
      }
    }
  },
};

function checkExplicitMachines(role: RoleMachine, report: Report): void {
  const maas = role.machine?.maas;
  if (!maas) return;
  if (maas.hostnames !== undefined && maas.systemIds !== undefined) {
    report([...role.path, "maas", "systemIds"], "choose machines by hostnames or by systemIds, not both");
    return;
  }
  const field = maas.hostnames !== undefined ? "hostnames" : maas.systemIds !== undefined ? "systemIds" : undefined;
  if (!field || role.count === undefined) return;
  const listed = maas[field]?.length ?? 0;
  const countField = role.path.includes("etcd") ? "members" : role.path.includes("controlPlane") ? "replicas" : "maxSize";
  if (role.exact && listed !== role.count) {
    report([...role.path, "maas", field], `must list exactly one machine per member (${countField} is ${role.count}), got ${listed}`);
  } else if (!role.exact && listed < role.count) {
    report([...role.path, "maas", field], `must list at least maxSize (${role.count}) machines, got ${listed}`);
  }
}

export const maasMachinesRule: SpecRule = {
  id: "maas-machines",
  summary: "Explicit MAAS machines (hostnames or systemIds, not both) number exactly members or replicas, and at least a pool's maxSize; no machine serves two roles.",
  check(document, report) {
    const owner = new Map<string, string>();
    for (const role of roleMachines(document)) {
      checkExplicitMachines(role, report);
      const maas = role.machine?.maas;
      for (const field of ["hostnames", "systemIds"] as const) {
        for (const [machine, index] of present(maas?.[field])) {
          const where = role.path.slice(0, -1).join(".");
          const previous = owner.get(`${field}:${machine}`);
          if (previous !== undefined && previous !== where) {
            report([...role.path, "maas", field, index], `"${machine}" is already chosen by ${previous}; a machine serves one role`);
          } else {
            owner.set(`${field}:${machine}`, where);
          }
        }
      }
    }
  },
};
