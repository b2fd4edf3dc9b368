/**
 * The control plane: one auto scaling group of exactly one instance per node, spread over the
 * zones, each with its own launch template, behind a network load balancer on 6443, set up by
 * kubeadm; a changed template rolls its node without losing API capacity.
 */
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { awsWith, EXAMPLES } from "../util";
import {
  cloudConfigFiles,
  controlPlaneNodes,
  decodeUserData,
  onlyResource,
  parseEnvironmentFile,
  ref,
  resourcesOf,
  subnetsByRef,
  synthCluster,
  synthExample,
  type ControlPlaneNode,
  type IamInstanceProfileResource,
  type InstanceResource,
  type LbListenerResource,
  type LbResource,
  type LbTargetGroupResource,
  type SecurityGroupResource,
  type SynthesizedStack,
} from "./fixtures";

const zonesOf = (json: SynthesizedStack, nodes: readonly ControlPlaneNode[]): string[] => {
  const subnets = subnetsByRef(json);
  return nodes.map((node) => {
    expect(node.group.vpc_zone_identifier, node.group.name).toHaveLength(1);
    return subnets.get(node.group.vpc_zone_identifier[0]!)!.availability_zone;
  });
};

const userDataOf = (node: ControlPlaneNode): Map<string, string> => cloudConfigFiles(decodeUserData(node.template.user_data!));

const nodeIndexOf = (node: ControlPlaneNode): string => parseEnvironmentFile(userDataOf(node).get("/etc/kraken/cluster.env")!).NODE_INDEX!;

interface KubeadmDocument {
  readonly kind: string;
  readonly controlPlaneEndpoint?: string;
  readonly etcd?: { readonly external: { readonly endpoints: readonly string[]; readonly caFile: string } };
  readonly apiServer?: { readonly certSANs: readonly string[]; readonly extraArgs?: readonly { readonly name: string; readonly value: string }[] };
  readonly discovery?: { readonly bootstrapToken: { readonly apiServerEndpoint: string; readonly token: string } };
}

const kubeadmDocuments = (text: string): KubeadmDocument[] => parseAllDocuments(text).map((document) => document.toJS() as KubeadmDocument);

describe("control plane of examples/aws-ha", () => {
  const { json } = synthExample(EXAMPLES.awsHa);
  const nodes = controlPlaneNodes(json);
  const [lbId, lb] = onlyResource<LbResource>(json, "aws_lb");
  const [targetGroupId, targetGroup] = onlyResource<LbTargetGroupResource>(json, "aws_lb_target_group");
  const dnsName = ref("aws_lb", lbId, "dns_name");

  it("runs three nodes, each an auto scaling group of exactly one instance, one per zone, in private subnets", () => {
    expect(nodes.map((node) => node.index)).toEqual([0, 1, 2]);
    expect(zonesOf(json, nodes)).toEqual(["us-west-2a", "us-west-2b", "us-west-2c"]);
    const subnets = subnetsByRef(json);
    for (const { group } of nodes) {
      expect(group, group.name).toMatchObject({ min_size: 1, max_size: 1, desired_capacity: 1 });
      expect(subnets.get(group.vpc_zone_identifier[0]!)!.tags["kubernetes.io/role/internal-elb"], group.name).toBe("1");
    }
    expect(nodes.map((node) => node.group.name)).toEqual(["prod-usw2-control-plane-0", "prod-usw2-control-plane-1", "prod-usw2-control-plane-2"]);
  });

  it("gives each group a launch template of its own, on its latest version", () => {
    expect(new Set(nodes.map((node) => node.templateId)).size).toBe(3);
    for (const { group, templateId, template } of nodes) {
      expect(group.launch_template.version, group.name).toBe(ref("aws_launch_template", templateId, "latest_version"));
      expect(group.mixed_instances_policy, group.name).toBeUndefined();
      expect(template.name, group.name).toBe(group.name);
      expect(template).toMatchObject({ instance_type: "m6i.xlarge", image_id: "ami-0123456789abcdef0", update_default_version: true });
    }
  });

  it("builds no control-plane instance and no target group attachment of its own: the groups own the instances", () => {
    const instances = Object.values(resourcesOf<InstanceResource>(json, "aws_instance"));
    expect(instances.filter((instance) => instance.tags["kraken.dev/role"] === "control-plane")).toEqual([]);
    expect(json.resource.aws_lb_target_group_attachment).toBeUndefined();
  });

  it("registers every group with the API target group and counts a node healthy only when the API answers /readyz", () => {
    for (const { group } of nodes) {
      expect(group.target_group_arns, group.name).toEqual([ref("aws_lb_target_group", targetGroupId, "arn")]);
      expect(group, group.name).toMatchObject({ health_check_type: "ELB", health_check_grace_period: 900 });
    }
    expect(targetGroup.health_check).toMatchObject({ protocol: "HTTPS", path: "/readyz", port: "6443" });
  });

  it("rolls a node by launching its replacement first and terminating the old node once the new one is healthy", () => {
    for (const { group } of nodes) {
      expect(group.instance_refresh, group.name).toEqual({
        strategy: "Rolling",
        preferences: { min_healthy_percentage: 100, max_healthy_percentage: 200, instance_warmup: "900" },
      });
    }
  });

  it("replaces an unhealthy node the same way: the replacement first, the old node once the replacement serves", () => {
    for (const { group } of nodes) expect(group.instance_maintenance_policy, group.name).toEqual({ min_healthy_percentage: 100, max_healthy_percentage: 200 });
  });

  it("does not make terraform wait for the nodes to come up", () => {
    for (const { group } of nodes) expect(group.wait_for_capacity_timeout, group.name).toBe("0");
  });

  it("launches IMDSv2-only nodes with an encrypted root volume, the control-plane security group and instance profile, and no SSH key", () => {
    const [profileId] = Object.entries(resourcesOf<IamInstanceProfileResource>(json, "aws_iam_instance_profile")).find(([, profile]) => profile.name === "prod-usw2-control-plane")!;
    const [groupId] = Object.entries(resourcesOf<SecurityGroupResource>(json, "aws_security_group")).find(([, group]) => group.name === "prod-usw2-control-plane")!;
    for (const { template } of nodes) {
      expect(template.metadata_options, template.name).toMatchObject({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 });
      expect(template.block_device_mappings, template.name).toEqual([
        { device_name: "/dev/sda1", ebs: { delete_on_termination: "true", encrypted: "true", volume_size: 50, volume_type: "gp3" } },
      ]);
      expect(template.iam_instance_profile, template.name).toEqual({ name: ref("aws_iam_instance_profile", profileId, "name") });
      expect(template.vpc_security_group_ids, template.name).toEqual([ref("aws_security_group", groupId)]);
      expect(template.key_name, template.name).toBeUndefined();
    }
  });

  it("tags each node, its root volume and its group as a control-plane node, and propagates the group's tags", () => {
    for (const { index, group, template } of nodes) {
      const name = `prod-usw2-control-plane-${index}`;
      const expected = { "kraken.dev/role": "control-plane", "kraken.dev/cluster": "prod-usw2", "cost-center": "platform" };
      const [instanceTags, volumeTags] = ["instance", "volume"].map((type) => template.tag_specifications!.find((spec) => spec.resource_type === type)!.tags);
      expect(instanceTags).toMatchObject({ ...expected, Name: name });
      expect(volumeTags).toMatchObject({ ...expected, Name: `${name}-root` });
      expect(group.tag).toEqual(expect.arrayContaining([{ key: "Name", value: name, propagate_at_launch: true }, { key: "kraken.dev/role", value: "control-plane", propagate_at_launch: true }]));
      expect(group.tag.every((tag) => tag.propagate_at_launch)).toBe(true);
    }
  });

  it("puts an internet-facing network load balancer in the public subnets, since apiServer.public is true", () => {
    const subnets = subnetsByRef(json);
    expect(lb).toMatchObject({ internal: false, load_balancer_type: "network" });
    expect(lb.subnets).toHaveLength(3);
    for (const subnet of lb.subnets) expect(subnets.get(subnet)!.tags["kubernetes.io/role/elb"], subnet).toBe("1");
    expect(lb.security_groups).toHaveLength(1);
  });

  it("listens on TCP 6443 and forwards to the nodes' target group", () => {
    const [, listener] = onlyResource<LbListenerResource>(json, "aws_lb_listener");
    expect(listener).toMatchObject({ load_balancer_arn: ref("aws_lb", lbId, "arn"), port: 6443, protocol: "TCP" });
    expect(listener.default_action).toEqual([{ type: "forward", target_group_arn: ref("aws_lb_target_group", targetGroupId, "arn") }]);
  });

  it("checks the API's /readyz over HTTPS, without client IP preservation", () => {
    expect(targetGroup).toMatchObject({ port: 6443, protocol: "TCP", preserve_client_ip: "false" });
    expect(targetGroup.health_check).toMatchObject({ protocol: "HTTPS", path: "/readyz", port: "6443" });
  });

  it("numbers the nodes 0..N-1 in their templates' user data and points them at the load balancer", () => {
    const environments = nodes.map((node) => parseEnvironmentFile(userDataOf(node).get("/etc/kraken/cluster.env")!));
    expect(environments.map((environment) => environment.NODE_INDEX)).toEqual(["0", "1", "2"]);
    for (const environment of environments) {
      expect(environment).toMatchObject({ NODE_ROLE: "control-plane", API_ENDPOINT: `${dnsName}:6443`, SECRET_ID: "kraken/prod-usw2/control-plane", AWS_REGION: "us-west-2" });
    }
  });

  it("hands every node kubeadm configs for external etcd, with events in their own etcd cluster", () => {
    for (const node of nodes) {
      const id = node.group.name;
      const files = userDataOf(node);
      const init = kubeadmDocuments(files.get("/etc/kraken/kubeadm-init.yaml")!);
      expect(init.map((document) => document.kind), id).toEqual(["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"]);
      const join = kubeadmDocuments(files.get("/etc/kraken/kubeadm-join.yaml")!);
      expect(join.map((document) => document.kind), id).toEqual(["JoinConfiguration"]);
      expect(join[0]!.discovery!.bootstrapToken).toEqual(expect.objectContaining({ apiServerEndpoint: `${dnsName}:6443`, token: "__BOOTSTRAP_TOKEN__" }));

      const [configuration] = kubeadmDocuments(files.get("/etc/kraken/kubeadm-cluster.yaml")!);
      expect(configuration).toEqual(init[1]);
      expect(configuration!.controlPlaneEndpoint).toBe(`${dnsName}:6443`);
      expect(configuration!.etcd!.external.endpoints).toEqual(["https://10.0.0.10:2379", "https://10.0.32.10:2379", "https://10.0.64.10:2379"]);
      expect(configuration!.apiServer!.certSANs).toContain(dnsName);
      expect(configuration!.apiServer!.extraArgs).toContainEqual({
        name: "etcd-servers-overrides",
        value: "/events#https://10.0.0.18:2379;https://10.0.32.18:2379;https://10.0.64.18:2379",
      });
    }
  });
});

describe("control plane of examples/aws-minimal", () => {
  const { json } = synthExample(EXAMPLES.awsMinimal);

  it("runs one node behind an internal load balancer in the private subnet", () => {
    const subnets = subnetsByRef(json);
    const [, lb] = onlyResource<LbResource>(json, "aws_lb");
    const nodes = controlPlaneNodes(json);
    expect(nodes).toHaveLength(1);
    expect(nodes[0]!.group).toMatchObject({ min_size: 1, max_size: 1, desired_capacity: 1 });
    expect(lb.internal).toBe(true);
    expect(lb.subnets).toHaveLength(1);
    expect(subnets.get(lb.subnets[0]!)!.tags["kubernetes.io/role/internal-elb"]).toBe("1");
    expect(nodes[0]!.group.vpc_zone_identifier).toEqual(lb.subnets);
  });
});

describe("a control plane with more nodes than zones and a looked-up image", () => {
  const { json } = synthCluster(awsWith({ "spec.controlPlane.replicas": 5 }));
  const nodes = controlPlaneNodes(json);

  it("spreads the nodes round-robin over the zones, numbered in order", () => {
    expect(zonesOf(json, nodes)).toEqual(["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2a", "us-west-2b"]);
    expect(nodes.map(nodeIndexOf)).toEqual(["0", "1", "2", "3", "4"]);
    expect(new Set(nodes.map((node) => node.templateId)).size).toBe(5);
  });

  it("rolls a new image like any other change: nothing is ignored on the templates or the groups", () => {
    for (const { group, template } of nodes) {
      expect(template.image_id, template.name).toMatch(/^\$\{data\.aws_ssm_parameter\.[^.]+\.insecure_value\}$/);
      expect(group.lifecycle, group.name).toBeUndefined();
      expect((template as { lifecycle?: unknown }).lifecycle, template.name).toBeUndefined();
    }
  });
});

describe("control-plane settings from the spec", () => {
  it("GIVEN an SSH key and another root device WHEN synthesized THEN every template carries them", () => {
    const nodes = controlPlaneNodes(
      synthCluster(awsWith({ "spec.provider.aws.sshKeyName": "platform-admins", "spec.controlPlane.machine": { aws: { rootDeviceName: "/dev/xvda", rootVolume: { sizeGib: 80 } } } })).json,
    );
    for (const { template } of nodes) {
      expect(template.key_name, template.name).toBe("platform-admins");
      expect(template.block_device_mappings!.map((mapping) => [mapping.device_name, mapping.ebs?.volume_size]), template.name).toEqual([["/dev/xvda", 80]]);
    }
  });
});

describe("changing the control plane", () => {
  // GIVEN a cluster, and the same cluster with one change
  const before = controlPlaneNodes(synthCluster(awsWith({})).json);
  const changed = (changes: Readonly<Record<string, unknown>>): ControlPlaneNode[] => controlPlaneNodes(synthCluster(awsWith(changes)).json);

  /** The groups are the same resources with the same configuration: their template's new version starts a refresh, nothing replaces them. */
  const expectSameGroups = (after: readonly ControlPlaneNode[]): void => {
    expect(after.map((node) => [node.groupId, node.templateId])).toEqual(before.map((node) => [node.groupId, node.templateId]));
    after.forEach((node, index) => {
      expect(node.group, node.group.name).toEqual(before[index]!.group);
      expect(node.template.name, node.group.name).toBe(before[index]!.template.name);
    });
  };

  it("WHEN spec.kubernetes.version changes THEN every node's template gets new user data and the groups stay as they are", () => {
    const after = changed({ "spec.kubernetes.version": "1.37" });
    expectSameGroups(after);
    after.forEach((node, index) => {
      const previous = before[index]!;
      expect(node.template.user_data, node.group.name).not.toBe(previous.template.user_data);
      expect(parseEnvironmentFile(userDataOf(node).get("/etc/kraken/cluster.env")!).KUBERNETES_MINOR, node.group.name).toBe("1.37");
      expect(parseEnvironmentFile(userDataOf(previous).get("/etc/kraken/cluster.env")!).KUBERNETES_MINOR, node.group.name).toBe("1.36");
      // The node keeps its index: only the version moved.
      expect(nodeIndexOf(node)).toBe(String(index));
      expect({ ...node.template, user_data: undefined }).toEqual({ ...previous.template, user_data: undefined });
    });
  });

  it("WHEN controlPlane.machine.aws.instanceType changes THEN every template gets the new type and the groups stay as they are", () => {
    const after = changed({ "spec.controlPlane.machine": { aws: { instanceType: "m6i.2xlarge" } } });
    expectSameGroups(after);
    after.forEach((node, index) => {
      const previous = before[index]!;
      expect(previous.template.instance_type).toBe("m6i.large");
      expect(node.template.instance_type).toBe("m6i.2xlarge");
      expect({ ...node.template, instance_type: undefined }).toEqual({ ...previous.template, instance_type: undefined });
    });
  });

  it("WHEN replicas grows THEN the existing nodes stay as they are and the new node gets a group of its own", () => {
    const after = changed({ "spec.controlPlane.replicas": 4 });
    expect(after.slice(0, 3).map((node) => [node.groupId, node.templateId, node.group, node.template])).toEqual(
      before.map((node) => [node.groupId, node.templateId, node.group, node.template]),
    );
    expect(after[3]!.group.name).toBe("test-control-plane-3");
  });
});
