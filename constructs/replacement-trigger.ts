import { DataResource, Lazy, type TerraformResource } from "cdktf";
import type { Construct } from "constructs";

/**
 * A terraform_data that a resource lists in replace_triggered_by, to replace that resource on
 * purpose: while `activeId` is given, a new id replaces the resource; without it, the trigger
 * ignores every change, so that dropping or keeping an old id replaces nothing.
 */
export function replacementTrigger(scope: Construct, id: string, activeId: string | undefined): DataResource {
  return new DataResource(scope, id, {
    triggersReplace: { id: activeId ?? "initial" },
    lifecycle: activeId === undefined ? { ignoreChanges: ["triggers_replace"] } : {},
  });
}

/**
 * How replace_triggered_by must name a resource in Terraform's JSON syntax: a bare address
 * ("terraform_data.x"). cdktf 0.21 renders a resource given there as "${terraform_data.x}",
 * which Terraform refuses.
 */
export function triggerAddress(resource: TerraformResource): string {
  return Lazy.stringValue({ produce: () => `${resource.terraformResourceType}.${resource.friendlyUniqueId}` });
}
