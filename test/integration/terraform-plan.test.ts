/**
 * The examples, through `k2 synth` and then real terraform: init against the offline provider
 * mirror, validate, plan, and `terraform show -json` of the plan. Assertions are on what
 * terraform says it would build.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initValidatePlan, providerMirror, requireTerraform, type PlannedResource } from "../support/terraform";
import { EXAMPLES, runK2 } from "../util";

const work = mkdtempSync(join(tmpdir(), "k2-terraform-"));
const plans = new Map<string, PlannedResource[]>();

function resources(stack: string, type: string): PlannedResource[] {
  return (plans.get(stack) ?? []).filter((resource) => resource.type === type);
}

function byTag(list: PlannedResource[], key: string, value: string): PlannedResource[] {
  return list.filter((resource) => (resource.after.tags as Record<string, string> | undefined)?.[key] === value);
}

/** The control plane's auto scaling groups (their tag blocks say kraken.dev/role control-plane), by name. */
function controlPlaneGroups(stack: string): PlannedResource[] {
  return resources(stack, "aws_autoscaling_group")
    .filter((group) => (group.after.tag as { key: string; value: string }[]).some((tag) => tag.key === "kraken.dev/role" && tag.value === "control-plane"))
    .sort((a, b) => String(a.after.name).localeCompare(String(b.after.name)));
}

beforeAll(() => {
  requireTerraform();
  providerMirror();
  const out = join(work, "out");
  const synth = runK2(["synth", EXAMPLES.awsHa, EXAMPLES.awsMinimal, "--out", out]);
  expect(synth.status, synth.stderr).toBe(0);
  for (const stack of ["prod-usw2", "dev"]) {
    const { resources: planned, validation } = initValidatePlan(join(out, "stacks", stack), "us-west-2");
    expect(validation).toMatchObject({ valid: true, error_count: 0 });
    plans.set(stack, planned);
  }
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("terraform plan of examples/aws-ha", () => {
  it("creates everything and changes nothing else", () => {
    const all = plans.get("prod-usw2")!;
    expect(all.length).toBeGreaterThan(100);
    expect(all.every((resource) => resource.actions.join() === "create")).toBe(true);
  });

  it("builds two etcd clusters of three members, each with its own encrypted data volume", () => {
    const instances = resources("prod-usw2", "aws_instance");
    for (const etcd of ["main", "events"]) {
      expect(byTag(instances, "kraken.dev/etcd-cluster", etcd)).toHaveLength(3);
      const volumes = byTag(resources("prod-usw2", "aws_ebs_volume"), "kraken.dev/etcd-cluster", etcd);
      expect(volumes).toHaveLength(3);
      expect(volumes.every((volume) => volume.after.encrypted === true)).toBe(true);
    }
    expect(byTag(resources("prod-usw2", "aws_ebs_volume"), "kraken.dev/etcd-cluster", "main").map((v) => v.after.size)).toEqual([50, 50, 50]);
    expect(resources("prod-usw2", "aws_volume_attachment")).toHaveLength(6);
    expect(resources("prod-usw2", "aws_network_interface").map((eni) => (eni.after.private_ips as string[])[0]).sort()).toEqual(
      ["10.0.0.10", "10.0.0.18", "10.0.32.10", "10.0.32.18", "10.0.64.10", "10.0.64.18"].sort(),
    );
  });

  it("puts three control-plane nodes, each an auto scaling group of one, behind a network load balancer listening on 6443", () => {
    expect(byTag(resources("prod-usw2", "aws_instance"), "kraken.dev/role", "control-plane")).toHaveLength(0);
    const groups = controlPlaneGroups("prod-usw2");
    expect(groups.map((group) => group.after.name)).toEqual(["prod-usw2-control-plane-0", "prod-usw2-control-plane-1", "prod-usw2-control-plane-2"]);
    for (const group of groups) {
      expect(group.after, group.address).toMatchObject({ min_size: 1, max_size: 1, desired_capacity: 1, health_check_type: "ELB", health_check_grace_period: 900, wait_for_capacity_timeout: "0" });
      expect(group.after.instance_refresh, group.address).toEqual([
        { strategy: "Rolling", triggers: null, preferences: [expect.objectContaining({ min_healthy_percentage: 100, max_healthy_percentage: 200, instance_warmup: "900" })] },
      ]);
      expect(group.after.instance_maintenance_policy, group.address).toEqual([{ min_healthy_percentage: 100, max_healthy_percentage: 200 }]);
    }
    const [lb] = resources("prod-usw2", "aws_lb");
    expect(lb?.after).toMatchObject({ load_balancer_type: "network", internal: false });
    const [listener] = resources("prod-usw2", "aws_lb_listener");
    expect(listener?.after).toMatchObject({ port: 6443, protocol: "TCP" });
    // The groups register their instances with the target group themselves.
    expect(resources("prod-usw2", "aws_lb_target_group_attachment")).toHaveLength(0);
  });

  it("sizes each pool's auto scaling group from the spec", () => {
    const sizes = Object.fromEntries(
      resources("prod-usw2", "aws_autoscaling_group")
        .filter((group) => !controlPlaneGroups("prod-usw2").includes(group))
        .map((group) => [String(group.after.name), [group.after.min_size, group.after.desired_capacity, group.after.max_size]] as const),
    );
    expect(sizes).toEqual({ "prod-usw2-general": [3, 3, 10], "prod-usw2-spot": [0, 2, 20], "prod-usw2-gpu": [0, 0, 4] });
  });

  it("requires IMDSv2 in every launch template and on every instance", () => {
    const options = [...resources("prod-usw2", "aws_launch_template"), ...resources("prod-usw2", "aws_instance")].map(
      (resource) => (resource.after.metadata_options as Record<string, unknown>[])[0],
    );
    // Three pools' and three control-plane nodes' templates, six etcd members.
    expect(options).toHaveLength(3 + 3 + 6);
    for (const option of options) expect(option).toMatchObject({ http_tokens: "required", http_put_response_hop_limit: 1 });
  });
});

describe("terraform plan of examples/aws-minimal", () => {
  it("builds one etcd member, one control-plane node and a pool of one", () => {
    expect(byTag(resources("dev", "aws_instance"), "kraken.dev/etcd-cluster", "main")).toHaveLength(1);
    expect(controlPlaneGroups("dev").map((group) => [group.after.name, group.after.min_size, group.after.max_size])).toEqual([["dev-control-plane-0", 1, 1]]);
    const groups = resources("dev", "aws_autoscaling_group").map((group) => [String(group.after.name), group.after.min_size, group.after.max_size]);
    expect(groups.sort()).toEqual([
      ["dev-control-plane-0", 1, 1],
      ["dev-general", 1, 1],
    ]);
    expect(resources("dev", "aws_nat_gateway")).toHaveLength(1);
    expect(resources("dev", "aws_lb")[0]?.after.internal).toBe(true);
  });
});
