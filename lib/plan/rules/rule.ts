/** What a plan rule is, and what rules share. */
import type { Cluster, NodePoolSpec } from "../../spec";
import type { SpecDifference } from "../diff";
import type { Impact, PlanChange } from "../types";

export interface PlanOptions {
  /** The admin moves the state to its new backend (terraform init -migrate-state): changing spec.state is allowed. */
  readonly migrateState?: boolean;
}

export interface RuleContext {
  /** The spec the cluster runs with. */
  readonly previous: Cluster;
  readonly next: Cluster;
  readonly options: PlanOptions;
}

export interface PlanRule {
  /** Stable id, reported with each change it classifies. */
  readonly id: string;
  /**
   * Spec field patterns the rule covers, with [] for list elements; a pattern covers the fields
   * under it unless a longer pattern of another rule does. An `=` prefix covers that field only,
   * as a whole (e.g. a whole provider added or removed).
   */
  readonly patterns: readonly string[];
  /** One line for the rules table in docs/plan.md. */
  readonly description: string;
  /** Called for every running cluster, even with no difference of its own (a check across the spec). */
  readonly always?: boolean;
  /** The changes the differences it covers make; called once per cluster with all of them. */
  readonly classify: (differences: readonly SpecDifference[], context: RuleContext) => PlanChange[];
}

export type ChangeFields = Omit<PlanChange, "rule" | "path" | "before" | "after">;

/** A change of one spec difference. */
export function changeOf(rule: string, difference: SpecDifference, fields: ChangeFields): PlanChange {
  return {
    path: difference.path,
    ...(difference.before === undefined ? {} : { before: difference.before }),
    ...(difference.after === undefined ? {} : { after: difference.after }),
    rule,
    ...fields,
  };
}

/** A rule that classifies each difference on its own. */
export function eachDifference(classify: (difference: SpecDifference, context: RuleContext) => ChangeFields | ChangeFields[] | undefined) {
  return (id: string) =>
    (differences: readonly SpecDifference[], context: RuleContext): PlanChange[] =>
      differences.flatMap((difference) => {
        const fields = classify(difference, context);
        if (fields === undefined) return [];
        return (Array.isArray(fields) ? fields : [fields]).map((one) => changeOf(id, difference, one));
      });
}

export function poolComponent(name: string): string {
  return `nodePool/${name}`;
}

export function etcdComponent(name: string): string {
  return `etcd/${name}`;
}

export function poolNamed(cluster: Cluster, name: string | undefined): NodePoolSpec | undefined {
  return cluster.spec.nodePools.find((pool) => pool.name === name);
}

/** Nodes of a pool as far as the spec knows: its size at creation (the group owns it since). */
export function poolNodes(pool: NodePoolSpec): number {
  return pool.desiredSize;
}

/** How an instance refresh replaces a pool: batches that keep minHealthyPercent in service. */
export function poolRollingOrder(pool: NodePoolSpec): string {
  const nodes = poolNodes(pool);
  const batch = Math.max(1, Math.floor((nodes * (100 - pool.minHealthyPercent)) / 100));
  return (
    `${batch === 1 ? "one node" : `${batch} nodes`} at a time (keeping ${pool.minHealthyPercent}% of the pool in service), ` +
    `each new node joining before the next batch; ${nodes} node${nodes === 1 ? "" : "s"} at creation, the group may have scaled since`
  );
}

/**
 * How the control plane rolls: every node is its own auto scaling group, whose instance refresh
 * launches the new node and keeps the old one until the new one is healthy behind the API load
 * balancer. The groups refresh side by side; bootstrap joins new nodes one at a time.
 */
export function controlPlaneRollingOrder(cluster: Cluster): string {
  const replicas = cluster.spec.controlPlane.replicas;
  return (
    `each of the ${replicas} node${replicas === 1 ? "" : "s"} is replaced by its own group: the new node joins (one at a time) and must answer /readyz behind the API load balancer ` +
    `before its old node is terminated, so the API keeps ${replicas} node${replicas === 1 ? "" : "s"} in service throughout`
  );
}

export function rollingPool(pool: NodePoolSpec, reason: string): ChangeFields {
  return { component: poolComponent(pool.name), impact: "rolling-replace", reason, nodes: poolNodes(pool), order: poolRollingOrder(pool) };
}

export function rollingControlPlane(cluster: Cluster, reason: string): ChangeFields {
  return { component: "controlPlane", impact: "rolling-replace", reason, nodes: cluster.spec.controlPlane.replicas, order: controlPlaneRollingOrder(cluster) };
}

export function blocked(component: string, reason: string, override: string): ChangeFields {
  return { component, impact: "blocked", reason, override };
}

export function inPlace(component: string, reason: string): ChangeFields {
  return { component, impact: "in-place", reason };
}

export function simple(component: string, impact: Impact, reason: string): ChangeFields {
  return { component, impact, reason };
}

/** A short rendering of a spec value for reasons. */
export function shown(value: unknown): string {
  if (value === undefined) return "unset";
  return typeof value === "string" ? value : JSON.stringify(value);
}
