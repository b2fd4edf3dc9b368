/**
 * Reading a real `terraform plan` (as `terraform show -json` prints it) into the cluster plan:
 * each resource change attributed to the component that owns it, and warnings for what the
 * spec diff did not predict.
 */
import type { PlanChange, PlanWarning, TerraformResourceChange } from "./types";

/** The part of `terraform show -json PLAN` this module reads. */
export interface TerraformShowPlan {
  readonly resource_changes?: readonly {
    readonly address: string;
    readonly mode: string;
    readonly type: string;
    readonly change: { readonly actions: readonly string[]; readonly replace_paths?: readonly (readonly (string | number)[])[] };
  }[];
}

/** Resources Terraform changes (data source reads and no-ops left out), each with its component. */
export function attributeResourceChanges(plan: TerraformShowPlan, components: ReadonlyMap<string, string>): TerraformResourceChange[] {
  return (plan.resource_changes ?? [])
    .filter((resource) => resource.mode === "managed" && !resource.change.actions.every((action) => action === "no-op" || action === "read"))
    .map((resource) => {
      // An address may carry an index (count/for_each); the component map knows the resource.
      const base = resource.address.replace(/\[[^\]]*\]$/, "");
      const replacePaths = resource.change.replace_paths?.map((path) => path.join("."));
      return {
        component: components.get(base) ?? "cluster",
        address: resource.address,
        actions: [...resource.change.actions],
        ...(replacePaths && replacePaths.length > 0 ? { replacePaths } : {}),
      };
    });
}

const DESTRUCTIVE: readonly PlanChange["impact"][] = ["rolling-replace", "replace", "destroy", "blocked"];
const BUILDS: readonly PlanChange["impact"][] = ["create", "rolling-replace", "replace", "destroy"];

/** Whether a change explains resource changes in `component`: its own, or what every pool shares when a pool goes. */
function reaches(change: PlanChange, component: string): boolean {
  if (change.component === component || change.component === "cluster") return true;
  return component === "nodePools" && change.impact === "destroy" && change.component.startsWith("nodePool/");
}

/**
 * What the spec diff did not predict: a resource destroyed or replaced in a component the plan
 * leaves standing (the dry run that surprised us), and a component the plan rebuilds where
 * Terraform changes nothing.
 */
export function unpredictedChanges(changes: readonly PlanChange[], resources: readonly TerraformResourceChange[]): PlanWarning[] {
  const warnings: PlanWarning[] = [];
  for (const resource of resources) {
    if (!resource.actions.includes("delete")) continue;
    const predicted = changes.some((change) => DESTRUCTIVE.includes(change.impact) && reaches(change, resource.component));
    if (predicted) continue;
    const what = resource.actions.includes("create") ? "replaces" : "destroys";
    warnings.push({
      component: resource.component,
      address: resource.address,
      message: `terraform ${what} ${resource.address}${resource.replacePaths ? ` (forced by ${resource.replacePaths.join(", ")})` : ""}, which the spec changes do not explain: find out why before applying`,
    });
  }
  const touched = new Set(resources.map((resource) => resource.component));
  for (const change of changes) {
    if (!BUILDS.includes(change.impact) || change.component === "cluster" || touched.has(change.component)) continue;
    if (change.component.startsWith("nodePool/") && touched.has("nodePools")) continue;
    warnings.push({
      component: change.component,
      message: `the plan expects ${change.component} to ${change.impact === "create" ? "be created" : change.impact === "destroy" ? "be destroyed" : "be replaced"} (${change.path}), but terraform plans no change to its resources`,
    });
  }
  return warnings;
}
