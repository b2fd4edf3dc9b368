/** Node pools: a launch template and a mixed-instances auto scaling group per pool, and pools added in code. */
import { describe, expect, it } from "vitest";
import { SpecValidationError, type Cluster } from "../../lib/spec";
import { awsDocument, awsWith, EXAMPLES } from "../util";
import {
  cloudConfigFiles,
  decodeUserData,
  poolGroups,
  ref,
  resourcesOf,
  subnetsByRef,
  synthCluster,
  synthExample,
  type AutoscalingGroupResource,
  type LaunchTemplateResource,
  type SynthesizedStack,
} from "./fixtures";

interface Pool {
  readonly templateId: string;
  readonly template: LaunchTemplateResource;
  readonly group: AutoscalingGroupResource;
}

/** Each pool's template and group, by pool name (from the group's kraken.dev/pool tag). */
function pools(json: SynthesizedStack): Map<string, Pool> {
  const templates = Object.entries(resourcesOf<LaunchTemplateResource>(json, "aws_launch_template"));
  return new Map(
    Object.values(poolGroups(json)).map((group) => {
      const name = group.tag.find((tag) => tag.key === "kraken.dev/pool")!.value;
      const templateRef = group.mixed_instances_policy.launch_template.launch_template_specification.launch_template_id;
      const [templateId, template] = templates.find(([id]) => ref("aws_launch_template", id) === templateRef)!;
      return [name, { templateId, template, group }];
    }),
  );
}

const tagsOf = (group: AutoscalingGroupResource): Map<string, { value: string; propagate: boolean }> =>
  new Map(group.tag.map((tag) => [tag.key, { value: tag.value, propagate: tag.propagate_at_launch }]));

describe("node pools of examples/aws-ha", () => {
  const { json } = synthExample(EXAMPLES.awsHa);
  const found = pools(json);

  it("has one launch template and one auto scaling group per pool (besides the control plane's, one per node)", () => {
    expect([...found.keys()].sort()).toEqual(["general", "gpu", "spot"]);
    expect(Object.keys(poolGroups(json))).toHaveLength(3);
    expect(Object.keys(resourcesOf(json, "aws_launch_template"))).toHaveLength(3 + 3);
    expect(Object.keys(resourcesOf(json, "aws_autoscaling_group"))).toHaveLength(3 + 3);
  });

  it("sizes each group from the spec, desiredSize defaulting to minSize", () => {
    const sizes = Object.fromEntries([...found].map(([name, { group }]) => [name, [group.min_size, group.desired_capacity, group.max_size]]));
    expect(sizes).toEqual({ general: [3, 3, 10], spot: [0, 2, 20], gpu: [0, 0, 4] });
  });

  it("overrides the instance types in the spec's order, on the template's latest version", () => {
    for (const [name, { templateId, group }] of found) {
      expect(group.mixed_instances_policy.launch_template.launch_template_specification.version, name).toBe(ref("aws_launch_template", templateId, "latest_version"));
    }
    const overrides = (name: string): string[] => found.get(name)!.group.mixed_instances_policy.launch_template.override.map((override) => override.instance_type);
    expect(overrides("general")).toEqual(["m6i.xlarge"]);
    expect(overrides("spot")).toEqual(["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m5a.xlarge"]);
    expect(overrides("gpu")).toEqual(["g5.xlarge", "g6.xlarge"]);
  });

  it("distributes on-demand and spot capacity as the spec says: the spot pool is all spot", () => {
    expect(found.get("spot")!.group.mixed_instances_policy.instances_distribution).toMatchObject({
      on_demand_base_capacity: 0,
      on_demand_percentage_above_base_capacity: 0,
      spot_allocation_strategy: "price-capacity-optimized",
    });
    expect(found.get("general")!.group.mixed_instances_policy.instances_distribution).toMatchObject({
      on_demand_base_capacity: 0,
      on_demand_percentage_above_base_capacity: 100,
    });
    // Spot capacity is rebalanced before interruptions; on-demand pools need no rebalancing.
    expect(found.get("spot")!.group.capacity_rebalance).toBe(true);
    expect(found.get("general")!.group.capacity_rebalance).toBe(false);
  });

  it("leaves the desired capacity to the cluster autoscaler once the group exists", () => {
    // desiredSize is "nodes to run now; a cluster autoscaler may change it afterwards" (the spec's
    // schema): without ignore_changes every apply would reset the pool to desiredSize.
    for (const [name, { group }] of found) {
      expect(group.lifecycle?.ignore_changes ?? [], name).toContain("desired_capacity");
    }
  });

  it("replaces nodes by a rolling instance refresh that keeps minHealthyPercent in service", () => {
    for (const [name, { group }] of found) {
      expect(group.instance_refresh, name).toEqual({ strategy: "Rolling", preferences: { min_healthy_percentage: 90 } });
    }
  });

  it("uses each pool's image and root volume, on the root device name of the spec", () => {
    const gpu = found.get("gpu")!.template;
    expect(gpu.image_id).toBe("ami-0fedcba9876543210");
    expect(gpu.block_device_mappings).toEqual([
      { device_name: "/dev/sda1", ebs: expect.objectContaining({ volume_size: 200, volume_type: "gp3", encrypted: "true" }) as unknown },
    ]);
    expect(found.get("general")!.template.image_id).toBe("ami-0123456789abcdef0");
  });

  it("tags groups for the cluster autoscaler, with the labels and taints of a node it has not seen, not propagated to instances", () => {
    const tags = tagsOf(found.get("spot")!.group);
    expect(tags.get("k8s.io/cluster-autoscaler/enabled")).toEqual({ value: "true", propagate: false });
    expect(tags.get("k8s.io/cluster-autoscaler/prod-usw2")).toEqual({ value: "owned", propagate: false });
    expect(tags.get("k8s.io/cluster-autoscaler/node-template/label/node.kubernetes.io/lifecycle")).toEqual({ value: "spot", propagate: false });
    expect(tags.get("k8s.io/cluster-autoscaler/node-template/label/kraken.dev/pool")).toEqual({ value: "spot", propagate: false });
    expect(tags.get("k8s.io/cluster-autoscaler/node-template/taint/lifecycle")).toEqual({ value: "spot:PreferNoSchedule", propagate: false });
    expect(tagsOf(found.get("gpu")!.group).get("k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu")).toEqual({ value: "present:NoSchedule", propagate: false });
    // Ownership tags do reach the instances.
    expect(tags.get("kraken.dev/cluster")).toEqual({ value: "prod-usw2", propagate: true });
    for (const [key, tag] of tags) if (key.startsWith("k8s.io/cluster-autoscaler/")) expect(tag.propagate, key).toBe(false);
  });

  it("joins nodes with the pool's labels and taints", () => {
    const files = cloudConfigFiles(decodeUserData(found.get("spot")!.template.user_data!));
    const join = files.get("/etc/kraken/kubeadm-join.yaml")!;
    expect(join).toContain("node.kubernetes.io/lifecycle=spot");
    expect(join).toMatch(/- key: lifecycle\n\s+value: spot\n\s+effect: PreferNoSchedule/);
    expect(files.get("/etc/kraken/cluster.env")).toContain("POOL_NAME='spot'");
  });
});

describe("a pool limited to some availability zones", () => {
  it("uses only those zones' private subnets, with its root device name", () => {
    // GIVEN the general pool in us-west-2b and us-west-2c only, on an Amazon Linux style image
    const { json } = synthCluster(
      awsWith({ "spec.nodePools.0.machine": { aws: { availabilityZones: ["us-west-2c", "us-west-2b"], rootDeviceName: "/dev/xvda" } } }),
    );
    const general = pools(json).get("general")!;
    const subnets = subnetsByRef(json);

    // THEN its group spans exactly those zones' private subnets, in zone order
    expect(general.group.vpc_zone_identifier.map((subnet) => `${subnets.get(subnet)!.availability_zone} ${subnets.get(subnet)!.tags["kubernetes.io/role/internal-elb"] ?? "public"}`)).toEqual([
      "us-west-2b 1",
      "us-west-2c 1",
    ]);
    expect(general.template.block_device_mappings!.map((mapping) => mapping.device_name)).toEqual(["/dev/xvda"]);
    // Other pools keep every zone.
    expect(pools(json).get("gpu")!.group.vpc_zone_identifier).toHaveLength(3);
  });
});

describe("KrakenCluster.addNodePool", () => {
  it("adds a pool that appears in the resources and in the recorded spec", () => {
    // GIVEN a cluster / WHEN a pool is added in code
    let added: string | undefined;
    const { cluster, json } = synthCluster(awsDocument(), (built) => {
      added = built.addNodePool("batch-pool", { name: "batch", minSize: 1, maxSize: 6, machine: { aws: { instanceTypes: ["c6i.large", "c6a.large"] } } }).pool.name;
    });

    // THEN it has its own template and group
    expect(added).toBe("batch");
    const batch = pools(json).get("batch")!;
    expect(batch.group).toMatchObject({ name: "test-batch", min_size: 1, desired_capacity: 1, max_size: 6 });
    expect(batch.group.mixed_instances_policy.launch_template.override.map((override) => override.instance_type)).toEqual(["c6i.large", "c6a.large"]);
    expect(cluster.nodePools.map((pool) => pool.pool.name)).toEqual(["general", "gpu", "batch"]);

    // AND the recorded spec and hash include it, with its defaults
    const recorded = JSON.parse(json.output.kraken_spec!.value) as Cluster;
    expect(recorded.spec.nodePools.map((pool) => pool.name)).toEqual(["general", "gpu", "batch"]);
    expect(recorded.spec.nodePools[2]).toMatchObject({ desiredSize: 1, kubernetesVersion: "1.36", machine: { aws: { rootDeviceName: "/dev/sda1" } } });
    expect(json.output.kraken_spec_hash!.value).toBe(cluster.specHash);
  });

  it("refuses a pool whose name is taken, naming spec.nodePools[2].name, and leaves the cluster as it was", () => {
    const { cluster } = synthCluster(awsDocument());
    expect(() => cluster.addNodePool("again", { name: "general", minSize: 1, maxSize: 2 })).toThrow(SpecValidationError);
    expect(() => cluster.addNodePool("again", { name: "general", minSize: 1, maxSize: 2 })).toThrow(/spec\.nodePools\[2\]\.name: duplicate node pool name "general"/);
    expect(cluster.spec.spec.nodePools.map((pool) => pool.name)).toEqual(["general", "gpu"]);
    expect(cluster.nodePools).toHaveLength(2);
  });

  it("refuses a pool with maxSize < minSize, naming spec.nodePools[2].maxSize", () => {
    const { cluster } = synthCluster(awsDocument());
    expect(() => cluster.addNodePool("small", { name: "small", minSize: 3, maxSize: 2 })).toThrow(/spec\.nodePools\[2\]\.maxSize: must be >= minSize \(3\), got 2/);
  });
});
