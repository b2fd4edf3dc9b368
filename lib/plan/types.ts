/**
 * The cluster modification plan: what applying a spec would do to each component of a cluster.
 * Its JSON form (`k2 plan --format json`) is documented in docs/plan-json.md and described by
 * planJsonSchema(); change both together and bump PLAN_FORMAT_VERSION when a field changes meaning.
 */

export const PLAN_FORMAT_VERSION = 1;

/**
 * What a change does to the machines and resources behind it.
 * - create: something new is built.
 * - in-place: updated where it stands; no machine is replaced.
 * - rolling-replace: machines are replaced a batch at a time, the rest staying in service.
 * - replace: destroyed, then built again.
 * - destroy: removed, with what it held.
 * - blocked: refused by a guardrail; nothing of the cluster's plan should be applied.
 */
export const IMPACTS = ["create", "in-place", "rolling-replace", "replace", "destroy", "blocked"] as const;
export type Impact = (typeof IMPACTS)[number];

export interface PlanChange {
  /** The cluster component it belongs to: network, etcd/<name>, controlPlane, nodePool/<name>, addon/<name>, state, certificates, cluster. */
  readonly component: string;
  /** The spec field, as a path in the new spec (in the previous one for what is removed). */
  readonly path: string;
  /** The previous value; absent for what is created. */
  readonly before?: unknown;
  /** The new value; absent for what is removed. */
  readonly after?: unknown;
  readonly impact: Impact;
  /** What happens and why, or for a blocked change why it is refused. */
  readonly reason: string;
  /** For a blocked change: the documented way to do it anyway, or what to do instead. */
  readonly override?: string;
  /** Machines created, replaced or destroyed by this change, when it touches machines. */
  readonly nodes?: number;
  /** For a rolling replacement: how the machines are replaced, in what order. */
  readonly order?: string;
  /** The rule that classified the change (see docs/plan-json.md for the list). */
  readonly rule: string;
}

export interface PlanSummary {
  readonly create: number;
  readonly inPlace: number;
  /** Components whose machines are replaced a batch at a time. */
  readonly rolling: number;
  /** Machines those rolling replacements replace. */
  readonly rollingNodes: number;
  readonly replace: number;
  readonly destroy: number;
  /** Machines destroyed for good. */
  readonly destroyedNodes: number;
  readonly blocked: number;
}

/** A resource change from `terraform plan` that the spec diff did not predict. */
export interface PlanWarning {
  readonly component: string;
  readonly message: string;
  /** The Terraform resource address, for warnings from --terraform. */
  readonly address?: string;
}

/** One resource change of the real `terraform plan`, attributed to the component that owns it. */
export interface TerraformResourceChange {
  readonly component: string;
  readonly address: string;
  /** Terraform's actions: create, update, delete, or delete+create (replace), read, no-op. */
  readonly actions: readonly string[];
  /** Attribute paths that force the replacement, when Terraform replaces. */
  readonly replacePaths?: readonly string[];
}

export interface TerraformPlanDetails {
  readonly stack: string;
  readonly resourceChanges: readonly TerraformResourceChange[];
}

export interface ClusterPlan {
  readonly name: string;
  /** Where the previous spec came from: a file, the cluster's state, or none (a new cluster). */
  readonly previous: { readonly source: "file" | "state" | "none"; readonly location?: string };
  readonly changes: readonly PlanChange[];
  readonly summary: PlanSummary;
  readonly warnings: readonly PlanWarning[];
  /** Present with --terraform. */
  readonly terraform?: readonly TerraformPlanDetails[];
}

export interface FleetPlan {
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  readonly clusters: readonly ClusterPlan[];
  /** Totals over every cluster. */
  readonly summary: PlanSummary;
  /** Warnings about the fleet itself (e.g. a previous spec with no new spec). */
  readonly warnings: readonly PlanWarning[];
}
