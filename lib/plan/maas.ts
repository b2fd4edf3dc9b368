/**
 * What the plan's machine rules mean on MAAS, where there are no auto scaling groups: a pool is
 * desiredSize machines Terraform deploys itself, and a changed machine is redeployed. Applied
 * to a MAAS cluster's changes after the rules table, so that every rule stays provider-neutral
 * and the plan stays truthful on bare metal.
 */
import type { Cluster, NodePoolSpec } from "../spec";
import type { PlanChange, PlanWarning } from "./types";

const POOL_SIZE_RULES = new Set(["pool-scaling", "pool-desired-size"]);

function explicitMachines(selection: { readonly hostnames?: readonly string[]; readonly systemIds?: readonly string[] } | undefined): boolean {
  return selection?.hostnames !== undefined || selection?.systemIds !== undefined;
}

function controlPlaneChange(change: PlanChange, next: Cluster): PlanChange {
  const replicas = next.spec.controlPlane.replicas;
  if (explicitMachines(next.spec.controlPlane.machine.maas)) {
    return {
      ...change,
      impact: "replace",
      reason: `${change.reason}; the named machines (hostnames/systemIds) are released and redeployed, since MAAS cannot deploy a machine twice: the API is down until they rejoin`,
      order: `Terraform releases and redeploys all ${replicas} nodes at once; to keep the API up, apply one node at a time (terraform apply -target=<one node's maas_instance>), or choose the nodes by tags, pool or zone so that each new machine is deployed beside its old one`,
    };
  }
  return {
    ...change,
    order:
      `each node's new machine is deployed beside its old one (MAAS needs ${replicas} spare machine${replicas === 1 ? "" : "s"} matching the selection) and joins one at a time; ` +
      `an old machine is released only once its new node answers /readyz, so the API keeps ${replicas} node${replicas === 1 ? "" : "s"} in service`,
  };
}

function poolChange(change: PlanChange, pool: NodePoolSpec): PlanChange {
  const nodes = pool.desiredSize;
  if (explicitMachines(pool.machine.maas)) {
    return {
      ...change,
      impact: "replace",
      nodes,
      reason: `${change.reason}; the named machines are released and redeployed at once (MAAS cannot deploy a machine twice): the pool's workloads have no nodes until they rejoin`,
      order: `Terraform releases and redeploys all ${nodes} machines of the pool at once, without draining: drain them first (kubectl drain -l kraken.dev/pool=${pool.name}), or choose machines by tags so that new ones are deployed beside the old`,
    };
  }
  return {
    ...change,
    nodes,
    order: `every node's new machine is deployed beside its old one (MAAS needs ${nodes} spare machine${nodes === 1 ? "" : "s"} matching the selection); each old machine is released once its new one is deployed, without draining`,
  };
}

function machineRange(first: number, last: number): string {
  return first === last ? `machine ${first}` : `machines ${first} to ${last}`;
}

/** A MAAS pool is exactly desiredSize machines: a new size creates or releases machines. */
function poolSizeChanges(previous: Cluster, next: Cluster): PlanChange[] {
  const changes: PlanChange[] = [];
  for (const pool of next.spec.nodePools) {
    const before = previous.spec.nodePools.find((candidate) => candidate.name === pool.name);
    if (!before || before.desiredSize === pool.desiredSize) continue;
    const index = next.spec.nodePools.indexOf(pool);
    const base = { component: `nodePool/${pool.name}`, path: `spec.nodePools[${index}].desiredSize`, before: before.desiredSize, after: pool.desiredSize, rule: "pool-scaling" };
    if (pool.desiredSize > before.desiredSize) {
      changes.push({ ...base, impact: "create", nodes: pool.desiredSize - before.desiredSize, reason: `${machineRange(before.desiredSize, pool.desiredSize - 1)} of pool ${pool.name} ${pool.desiredSize - before.desiredSize === 1 ? "is" : "are"} deployed from MAAS and join${pool.desiredSize - before.desiredSize === 1 ? "s" : ""}` });
    } else {
      changes.push({
        ...base,
        impact: "destroy",
        nodes: before.desiredSize - pool.desiredSize,
        reason: `${machineRange(pool.desiredSize, before.desiredSize - 1)} of pool ${pool.name} ${before.desiredSize - pool.desiredSize === 1 ? "is" : "are"} released back to MAAS without draining: drain first (kubectl drain <node>) and delete the Node objects afterwards`,
      });
    }
  }
  return changes;
}

/** The plan's changes and warnings for a MAAS cluster. */
export function adaptPlanForMaas(changes: readonly PlanChange[], warnings: readonly PlanWarning[], previous: Cluster, next: Cluster): { changes: PlanChange[]; warnings: PlanWarning[] } {
  const adapted = changes
    .filter((change) => !POOL_SIZE_RULES.has(change.rule))
    .map((change) => {
      if (change.impact !== "rolling-replace") return change;
      if (change.component === "controlPlane") return controlPlaneChange(change, next);
      const pool = change.component.startsWith("nodePool/") ? next.spec.nodePools.find((candidate) => `nodePool/${candidate.name}` === change.component) : undefined;
      return pool ? poolChange(change, pool) : change;
    });
  // minSize and maxSize alone bound nothing on MAAS: there is no group to scale.
  const bounds = changes
    .filter((change) => change.rule === "pool-scaling" && !change.path.endsWith("desiredSize"))
    .filter((change) => !poolSizeChanges(previous, next).some((size) => size.component === change.component))
    .map((change) => ({ ...change, impact: "in-place" as const, reason: `${change.path.replace(/^spec\.nodePools\[\d+\]\./, "")} ${JSON.stringify(change.before)} to ${JSON.stringify(change.after)}: no machine changes (on MAAS a pool is desiredSize machines; minSize and maxSize only bound it)` }));
  return {
    changes: [...adapted, ...bounds, ...poolSizeChanges(previous, next)],
    warnings: warnings.filter((warning) => !warning.message.includes("desiredSize only sizes it at creation")),
  };
}
