/** Reading `terraform show -json` into the plan: attribution to components, and what the spec diff did not predict. */
import { describe, expect, it } from "vitest";
import { planFleet, renderMarkdown, renderText, type ClusterPlan, type PlanChange } from "../../lib/plan";
import { attributeResourceChanges, unpredictedChanges, type TerraformShowPlan } from "../../lib/plan/terraform";

const COMPONENTS = new Map([
  ["aws_autoscaling_group.cluster_pool-general_group_1", "nodePool/general"],
  ["aws_launch_template.cluster_pool-general_template_2", "nodePool/general"],
  ["aws_subnet.cluster_network_public-0_3", "network"],
  ["aws_iam_role.cluster_workers-role_role_4", "nodePools"],
]);

const change = (address: string, actions: string[], replacePaths?: string[][]): NonNullable<TerraformShowPlan["resource_changes"]>[number] => ({
  address,
  mode: "managed",
  type: address.split(".")[0]!,
  change: { actions, ...(replacePaths ? { replace_paths: replacePaths } : {}) },
});

const rolling: PlanChange = { component: "nodePool/general", path: "spec.nodePools[0].machine.aws.instanceTypes", impact: "rolling-replace", reason: "new instance types", rule: "pool-machine", nodes: 3 };

describe("attributeResourceChanges", () => {
  it("keeps managed resources that change, each with its component (unknown ones belong to the cluster)", () => {
    const attributed = attributeResourceChanges(
      {
        resource_changes: [
          change("aws_autoscaling_group.cluster_pool-general_group_1", ["update"]),
          change("aws_subnet.cluster_network_public-0_3", ["delete", "create"], [["cidr_block"]]),
          change("aws_vpc.cluster_network_vpc_5", ["no-op"]),
          { ...change("data.aws_ssm_parameter.images_ssm-0", ["read"]), mode: "data" },
          change("aws_s3_bucket.somewhere_else_6", ["create"]),
        ],
      },
      COMPONENTS,
    );
    expect(attributed).toEqual([
      { component: "nodePool/general", address: "aws_autoscaling_group.cluster_pool-general_group_1", actions: ["update"] },
      { component: "network", address: "aws_subnet.cluster_network_public-0_3", actions: ["delete", "create"], replacePaths: ["cidr_block"] },
      { component: "cluster", address: "aws_s3_bucket.somewhere_else_6", actions: ["create"] },
    ]);
  });
});

describe("unpredictedChanges", () => {
  it("accepts what the plan predicted: a rolled pool's group updated", () => {
    expect(unpredictedChanges([rolling], [{ component: "nodePool/general", address: "aws_autoscaling_group.cluster_pool-general_group_1", actions: ["update"] }])).toEqual([]);
  });

  it("warns about a replacement or deletion in a component the plan leaves standing, naming what forces it", () => {
    const warnings = unpredictedChanges([rolling], [
      { component: "nodePool/general", address: "aws_autoscaling_group.cluster_pool-general_group_1", actions: ["update"] },
      { component: "network", address: "aws_subnet.cluster_network_public-0_3", actions: ["delete", "create"], replacePaths: ["cidr_block"] },
      { component: "nodePools", address: "aws_iam_role.cluster_workers-role_role_4", actions: ["delete"] },
    ]);
    expect(warnings.map((warning) => [warning.component, warning.message])).toEqual([
      ["network", "terraform replaces aws_subnet.cluster_network_public-0_3 (forced by cidr_block), which the spec changes do not explain: find out why before applying"],
      ["nodePools", expect.stringMatching(/^terraform destroys aws_iam_role.cluster_workers-role_role_4,/) as unknown],
    ]);
  });

  it("does not warn about a shared component a change reaches (the pools' role when a pool is destroyed)", () => {
    const destroyPool: PlanChange = { component: "nodePool/gpu", path: "spec.nodePools[1]", impact: "destroy", reason: "removed", rule: "pool-added-removed", nodes: 2 };
    expect(unpredictedChanges([destroyPool], [{ component: "nodePools", address: "aws_iam_role.cluster_workers-role_role_4", actions: ["delete"] }])).toEqual([]);
  });

  it("warns when the plan rebuilds a component where terraform changes nothing", () => {
    const warnings = unpredictedChanges([rolling], []);
    expect(warnings).toEqual([{ component: "nodePool/general", message: expect.stringMatching(/expects nodePool\/general to be replaced .*but terraform plans no change to its resources/) as unknown }]);
  });
});

describe("rendering --terraform results", () => {
  const cluster: ClusterPlan = {
    name: "prod",
    previous: { source: "state", location: "s3://acme/kraken/prod/terraform.tfstate, serial 4" },
    changes: [rolling],
    summary: { create: 0, inPlace: 0, rolling: 1, rollingNodes: 3, replace: 0, destroy: 0, destroyedNodes: 0, blocked: 0 },
    warnings: [{ component: "network", address: "aws_subnet.x", message: "terraform replaces aws_subnet.x | which the spec changes do not explain" }],
    terraform: [
      {
        stack: "prod",
        resourceChanges: [
          { component: "nodePool/general", address: "aws_autoscaling_group.g", actions: ["update"] },
          { component: "nodePool/general", address: "aws_launch_template.t", actions: ["create"] },
          { component: "network", address: "aws_subnet.x", actions: ["delete", "create"] },
        ],
      },
    ],
  };

  it("lists changed and replaced resources per component in text, counting new ones", () => {
    const text = renderText(planFleet([cluster]));
    expect(text).toContain("terraform plan of prod: 3 resource change(s)");
    expect(text).toMatch(/nodePool\/general {2}\(1 to create\)\n\s+update\s+aws_autoscaling_group\.g/);
    expect(text).toMatch(/network\n\s+replace\s+aws_subnet\.x/);
    expect(text).toContain("⚠ warning [network] terraform replaces aws_subnet.x");
  });

  it("escapes table cells in Markdown and folds the resources away", () => {
    const markdown = renderMarkdown(planFleet([cluster]));
    expect(markdown).toContain("<details><summary>terraform plan of <code>prod</code>: 3 resource change(s)</summary>");
    expect(markdown).toContain("| `network` | `aws_subnet.x` | replace |");
    expect(markdown).toContain("terraform replaces aws_subnet.x \\| which");
  });
});
