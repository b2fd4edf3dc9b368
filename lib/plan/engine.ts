/**
 * The plan engine: from the spec a cluster runs with (if any) and the new spec, every change per
 * component with its impact. Pure: no cdktf, no provider, no I/O.
 */
import type { Cluster } from "../spec";
import { diffSpecs, type SpecDifference } from "./diff";
import { adaptPlanForMaas } from "./maas";
import { PLAN_RULES, ruleFor, type PlanOptions, type PlanRule } from "./rules";
import { etcdComponent, poolComponent, poolNodes } from "./rules/rule";
import { IMPACTS, PLAN_FORMAT_VERSION, type ClusterPlan, type FleetPlan, type PlanChange, type PlanSummary, type PlanWarning } from "./types";

export interface PreviousSpec {
  readonly cluster: Cluster;
  readonly source: "file" | "state";
  /** The file, or a description of the state backend. */
  readonly location: string;
}

/** Everything a new cluster builds, per component. */
function creation(cluster: Cluster): PlanChange[] {
  const { spec } = cluster;
  const aws = spec.provider.aws;
  const network: PlanChange = aws
    ? {
        component: "network",
        path: "spec.provider.aws",
        impact: "create",
        reason: aws.existingVpc
          ? `security groups in the existing VPC ${aws.existingVpc.vpcId}, over ${aws.availabilityZones.length} zone(s)`
          : `a VPC ${aws.vpcCidr} with a public and a private subnet in each of ${aws.availabilityZones.join(", ")}, ${aws.natGateways === "perZone" ? "a NAT gateway per zone" : "one NAT gateway"}, and security groups`,
        rule: "new-cluster",
      }
    : {
        component: "network",
        path: "spec.provider.maas",
        impact: "create",
        reason: `machines allocated and deployed by MAAS at ${spec.provider.maas?.apiUrl ?? "?"} on ${spec.provider.maas?.network.subnetCidr ?? "?"}, each with a single-use secret ID from Vault`,
        rule: "new-cluster",
      };
  const maasEndpoint = spec.provider.maas?.controlPlaneEndpoint;
  const endpoint = maasEndpoint
    ? maasEndpoint.vip !== undefined
      ? `sharing the VIP ${maasEndpoint.vip} (kube-vip)`
      : `behind the DNS name ${maasEndpoint.dnsName ?? "?"}`
    : `behind ${spec.controlPlane.apiServer.public ? "a public" : "an internal"} API load balancer`;
  return [
    network,
    ...spec.etcd.map((etcd, index): PlanChange => ({
      component: etcdComponent(etcd.name),
      path: `spec.etcd[${index}]`,
      impact: "create",
      nodes: etcd.members,
      reason: `etcd ${etcd.version}, ${etcd.members} member(s), storing ${etcd.resources.length > 0 ? etcd.resources.join(", ") : "everything else"}${etcd.backup.enabled ? `, a snapshot every ${etcd.backup.intervalMinutes} min` : ""}`,
      rule: "new-cluster",
    })),
    {
      component: "controlPlane",
      path: "spec.controlPlane",
      impact: "create",
      nodes: spec.controlPlane.replicas,
      reason: `Kubernetes ${spec.kubernetes.version}, ${spec.controlPlane.replicas} node(s) ${endpoint}`,
      rule: "new-cluster",
    },
    ...spec.nodePools.map((pool, index): PlanChange => ({
      component: poolComponent(pool.name),
      path: `spec.nodePools[${index}]`,
      impact: "create",
      nodes: poolNodes(pool),
      reason: aws
        ? `${pool.desiredSize} node(s), scaling between ${pool.minSize} and ${pool.maxSize}, kubelet ${pool.kubernetesVersion}`
        : `${pool.desiredSize} machine(s) from MAAS, kubelet ${pool.kubernetesVersion}`,
      rule: "new-cluster",
    })),
    ...(spec.addons.monitoring.enabled
      ? [
          {
            component: "addon/monitoring",
            path: "spec.addons.monitoring",
            impact: "create" as const,
            reason: `by the addons stack once the API answers: Prometheus (${spec.addons.monitoring.retention}, ${spec.addons.monitoring.storage.sizeGib} GiB), Alertmanager with ${spec.addons.alerting.receivers.length} receiver(s), node-exporter, kube-state-metrics, ${spec.addons.monitoring.grafana.enabled ? "Grafana, " : ""}metrics-server`,
            rule: "new-cluster",
          },
        ]
      : []),
  ];
}

function componentRank(component: string): number {
  const order = ["network", "state", "certificates", "cluster", "etcd/", "controlPlane", "nodePool/", "addon/"];
  const rank = order.findIndex((prefix) => component === prefix || (prefix.endsWith("/") && component.startsWith(prefix)));
  return rank < 0 ? order.length : rank;
}

/** Changes grouped by component in the order they matter (and spec order within), stable. */
export function orderChanges(changes: readonly PlanChange[]): PlanChange[] {
  return changes
    .map((change, index) => ({ change, index }))
    .sort((a, b) => componentRank(a.change.component) - componentRank(b.change.component) || a.index - b.index)
    .map(({ change }) => change);
}

export function summarize(changes: readonly PlanChange[]): PlanSummary {
  const count = (impact: PlanChange["impact"]) => changes.filter((change) => change.impact === impact).length;
  const rolled = new Map<string, number>();
  for (const change of changes) {
    if (change.impact === "rolling-replace") rolled.set(change.component, Math.max(rolled.get(change.component) ?? 0, change.nodes ?? 0));
  }
  return {
    create: count("create"),
    inPlace: count("in-place"),
    rolling: rolled.size,
    rollingNodes: [...rolled.values()].reduce((sum, nodes) => sum + nodes, 0),
    replace: count("replace"),
    destroy: count("destroy"),
    destroyedNodes: changes.filter((change) => change.impact === "destroy").reduce((sum, change) => sum + (change.nodes ?? 0), 0),
    blocked: count("blocked"),
  };
}

export function addSummaries(summaries: readonly PlanSummary[]): PlanSummary {
  const keys = ["create", "inPlace", "rolling", "rollingNodes", "replace", "destroy", "destroyedNodes", "blocked"] as const;
  return Object.fromEntries(keys.map((key) => [key, summaries.reduce((sum, summary) => sum + summary[key], 0)])) as unknown as PlanSummary;
}

/** desiredSize on a running pool changes nothing; say so unless it only follows minSize. */
function desiredSizeWarnings(differences: readonly SpecDifference[], previous: Cluster, next: Cluster): PlanWarning[] {
  return differences
    .filter((difference) => difference.pattern === "spec.nodePools[].desiredSize")
    .filter((difference) => {
      const before = previous.spec.nodePools.find((pool) => pool.name === difference.names.nodePools);
      const after = next.spec.nodePools.find((pool) => pool.name === difference.names.nodePools);
      return !(before && after && before.desiredSize === before.minSize && after.desiredSize === after.minSize);
    })
    .map((difference) => ({
      component: poolComponent(difference.names.nodePools ?? "?"),
      message: `${difference.path} ${String(difference.before)} to ${String(difference.after)} changes nothing on a running pool: desiredSize only sizes it at creation, and the group (or a cluster autoscaler) owns its size since. Scale with minSize and maxSize.`,
    }));
}

export interface PlanClusterInput {
  readonly next: Cluster;
  readonly previous?: PreviousSpec;
  readonly options?: PlanOptions;
  readonly rules?: readonly PlanRule[];
}

export function planCluster({ next, previous, options = {}, rules = PLAN_RULES }: PlanClusterInput): ClusterPlan {
  const warnings: PlanWarning[] = [];
  let changes: PlanChange[];
  if (!previous) {
    changes = creation(next);
  } else {
    const differences = diffSpecs(previous.cluster, next);
    const byRule = new Map<PlanRule, SpecDifference[]>();
    for (const difference of differences) {
      const rule = ruleFor(difference.pattern, rules);
      if (!rule) {
        warnings.push({ component: "cluster", message: `${difference.path} changed, and kraken-lib has no plan rule for it: check what it does before applying (please report it)` });
        continue;
      }
      byRule.set(rule, [...(byRule.get(rule) ?? []), difference]);
    }
    for (const rule of rules) if (rule.always && !byRule.has(rule)) byRule.set(rule, []);
    const context = { previous: previous.cluster, next, options };
    changes = [...byRule].flatMap(([rule, covered]) => rule.classify(covered, context));
    warnings.push(...desiredSizeWarnings(differences, previous.cluster, next));
    if (next.spec.provider.maas) {
      const adapted = adaptPlanForMaas(changes, warnings, previous.cluster, next);
      changes = adapted.changes;
      warnings.splice(0, warnings.length, ...adapted.warnings);
    }
  }
  const ordered = orderChanges(changes);
  return {
    name: next.metadata.name,
    previous: previous ? { source: previous.source, location: previous.location } : { source: "none" },
    changes: ordered,
    summary: summarize(ordered),
    warnings,
  };
}

export function planFleet(plans: readonly ClusterPlan[], warnings: readonly PlanWarning[] = []): FleetPlan {
  return { formatVersion: PLAN_FORMAT_VERSION, clusters: plans, summary: addSummaries(plans.map((plan) => plan.summary)), warnings };
}

/** Like `terraform plan -detailed-exitcode`: 0 no changes, 2 changes, 3 blocked changes present. */
export function planExitCode(plan: FleetPlan): 0 | 2 | 3 {
  const all = plan.clusters.flatMap((cluster) => cluster.changes);
  if (all.some((change) => change.impact === "blocked")) return 3;
  // Resource changes Terraform plans without a spec change (drift, a new kraken-lib) are changes too.
  const terraformChanges = plan.clusters.some((cluster) => (cluster.terraform ?? []).some((stack) => stack.resourceChanges.length > 0));
  return all.length > 0 || terraformChanges ? 2 : 0;
}

export { IMPACTS };
