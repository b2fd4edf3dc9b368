/**
 * What every cluster gets without asking: IMDSv2 only, encrypted volumes, nothing open to a CIDR
 * but the API, no public addresses on etcd or the control plane, a closed default security
 * group, and no secret anywhere in the synthesized configuration.
 */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { awsWith, EXAMPLES } from "../util";
import {
  allUserData,
  controlPlaneNodes,
  onlyResource,
  resourcesOf,
  securityGroupRefs,
  subnetsByRef,
  synthCluster,
  synthExample,
  type AnyAutoscalingGroupResource,
  type EbsVolumeResource,
  type IngressRuleResource,
  type InstanceResource,
  type LaunchTemplateResource,
  type NetworkInterfaceResource,
  type SecurityGroupResource,
  type SubnetResource,
  type SynthesizedStack,
} from "./fixtures";

const examples = [
  { name: "aws-ha", path: EXAMPLES.awsHa, cluster: "prod-usw2", vpcCidr: "10.0.0.0/16", allowedCidrs: ["203.0.113.0/24"] },
  { name: "aws-minimal", path: EXAMPLES.awsMinimal, cluster: "dev", vpcCidr: "10.0.0.0/16", allowedCidrs: [] },
];

const KMS_KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const isPrivate = (subnet: SubnetResource | undefined): boolean => subnet?.tags["kubernetes.io/role/internal-elb"] === "1";

/** Every EBS setting in the stack: [where, encrypted, kms key]. */
function volumeSettings(json: SynthesizedStack): { where: string; encrypted: unknown; kmsKeyId: string | undefined }[] {
  const settings: { where: string; encrypted: unknown; kmsKeyId: string | undefined }[] = [];
  for (const [id, volume] of Object.entries(resourcesOf<EbsVolumeResource>(json, "aws_ebs_volume"))) {
    settings.push({ where: `aws_ebs_volume.${id}`, encrypted: volume.encrypted, kmsKeyId: volume.kms_key_id });
  }
  for (const [id, instance] of Object.entries(resourcesOf<InstanceResource>(json, "aws_instance"))) {
    settings.push({ where: `aws_instance.${id}.root_block_device`, encrypted: instance.root_block_device?.encrypted, kmsKeyId: instance.root_block_device?.kms_key_id });
  }
  for (const [id, template] of Object.entries(resourcesOf<LaunchTemplateResource>(json, "aws_launch_template"))) {
    for (const mapping of template.block_device_mappings ?? []) {
      settings.push({ where: `aws_launch_template.${id}:${mapping.device_name}`, encrypted: mapping.ebs?.encrypted, kmsKeyId: mapping.ebs?.kms_key_id });
    }
  }
  return settings;
}

describe.each(examples)("secure defaults of examples/$name", (example) => {
  const { json } = synthExample(example.path);
  const instances = Object.entries(resourcesOf<InstanceResource>(json, "aws_instance"));
  const templates = Object.entries(resourcesOf<LaunchTemplateResource>(json, "aws_launch_template"));

  it("requires IMDSv2 with a hop limit of 1 on every instance and launch template", () => {
    expect(instances.length).toBeGreaterThan(0);
    expect(templates.length).toBeGreaterThan(0);
    for (const [id, machine] of [...instances, ...templates]) {
      expect(machine.metadata_options, id).toMatchObject({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 });
    }
  });

  it("encrypts every volume: etcd data volumes, instance root devices, launch template devices (control plane and pools)", () => {
    const settings = volumeSettings(json);
    // Each instance has a root device, each template at least one device, each etcd member a data volume.
    expect(settings.filter((setting) => setting.where.startsWith("aws_instance")).length).toBe(instances.length);
    expect(settings.filter((setting) => setting.where.startsWith("aws_launch_template")).length).toBeGreaterThanOrEqual(templates.length);
    for (const { templateId } of controlPlaneNodes(json)) expect(settings.some((setting) => setting.where.startsWith(`aws_launch_template.${templateId}:`)), templateId).toBe(true);
    expect(settings.filter((setting) => setting.where.startsWith("aws_ebs_volume")).length).toBeGreaterThan(0);
    for (const setting of settings) {
      expect(String(setting.encrypted), setting.where).toBe("true");
      // No KMS key in the spec: the account's aws/ebs key, so no key ID is set.
      expect(setting.kmsKeyId, setting.where).toBeUndefined();
    }
  });

  it("opens nothing to a CIDR but 6443 on the API load balancer, for the VPC and allowedCidrs only", () => {
    const groups = securityGroupRefs(json, example.cluster);
    const rules = Object.values(resourcesOf<IngressRuleResource>(json, "aws_vpc_security_group_ingress_rule"));
    const cidrRules = rules.filter((rule) => rule.referenced_security_group_id === undefined);
    for (const rule of cidrRules) {
      expect(rule).toMatchObject({ security_group_id: groups.get("api-lb"), ip_protocol: "tcp", from_port: 6443, to_port: 6443 });
      expect(rule.cidr_ipv6).toBeUndefined();
      expect(rule.prefix_list_id).toBeUndefined();
    }
    expect(cidrRules.map((rule) => rule.cidr_ipv4).sort()).toEqual([example.vpcCidr, ...example.allowedCidrs].sort());
    // No inline rules and no legacy rule resources that could open more.
    for (const [id, group] of Object.entries(resourcesOf<SecurityGroupResource>(json, "aws_security_group"))) {
      expect(group.ingress, id).toBeUndefined();
      expect(group.egress, id).toBeUndefined();
    }
    expect(json.resource.aws_security_group_rule).toBeUndefined();
  });

  it("gives etcd members no public address: interfaces in private subnets, no public IP, none mapped on launch", () => {
    const subnets = subnetsByRef(json);
    for (const [id, subnet] of subnets) expect(subnet.map_public_ip_on_launch ?? false, id).toBe(false);
    const interfaces = resourcesOf<NetworkInterfaceResource>(json, "aws_network_interface");
    for (const [id, instance] of instances) {
      expect(instance.associate_public_ip_address ?? false, id).toBe(false);
      // etcd members (the only instances) wear their own interface, which sits in a private subnet.
      expect(instance.network_interface, id).toHaveLength(1);
      for (const attached of instance.network_interface!) {
        const eni = Object.entries(interfaces).find(([eniId]) => attached.network_interface_id === `\${aws_network_interface.${eniId}.id}`);
        expect(eni, `${id} interface`).toBeDefined();
        expect(isPrivate(subnets.get(eni![1].subnet_id)), `${id} interface subnet`).toBe(true);
      }
    }
  });

  it("puts control-plane and worker nodes in private subnets without public addresses", () => {
    const subnets = subnetsByRef(json);
    expect(controlPlaneNodes(json).length).toBeGreaterThan(0);
    for (const [id, group] of Object.entries(resourcesOf<AnyAutoscalingGroupResource>(json, "aws_autoscaling_group"))) {
      expect(group.vpc_zone_identifier.length, id).toBeGreaterThan(0);
      for (const subnet of group.vpc_zone_identifier) expect(isPrivate(subnets.get(subnet)), `${id}: ${subnet}`).toBe(true);
    }
    for (const [id, template] of templates) {
      for (const networkInterface of template.network_interfaces ?? []) expect(String(networkInterface.associate_public_ip_address ?? false), id).toBe("false");
    }
  });

  it("closes the VPC's default security group: no rules at all", () => {
    const [, group] = onlyResource<Record<string, unknown>>(json, "aws_default_security_group");
    expect(group.ingress ?? []).toEqual([]);
    expect(group.egress ?? []).toEqual([]);
    expect(group.vpc_id).toMatch(/^\$\{aws_vpc\.[^.]+\.id\}$/);
  });

  it("keeps every user data under EC2's 16 KiB limit once gzipped", () => {
    for (const [where, text] of allUserData(json)) {
      expect(gzipSync(text).length, where).toBeLessThan(16 * 1024);
    }
  });

  it("holds no private key and no bootstrap token, in the resources or in any user data", () => {
    const texts = [JSON.stringify(json), ...allUserData(json).values()];
    for (const text of texts) {
      expect(text).not.toContain("PRIVATE KEY");
      expect(text).not.toMatch(/[a-z0-9]{6}\.[a-z0-9]{16}/);
    }
    // The machines get placeholders instead and fetch the values from the secret store at boot.
    const userData = [...allUserData(json).values()].join("\n");
    expect(userData).toContain("__BOOTSTRAP_TOKEN__");
  });
});

describe("with spec.provider.aws.ebsKmsKeyArn", () => {
  const { json } = synthCluster(awsWith({ "spec.provider.aws.ebsKmsKeyArn": KMS_KEY }));

  it("encrypts every volume with that key", () => {
    const settings = volumeSettings(json);
    expect(settings.map((setting) => setting.where.split(".")[0])).toEqual(expect.arrayContaining(["aws_ebs_volume", "aws_instance", "aws_launch_template"]));
    for (const setting of settings) {
      expect(String(setting.encrypted), setting.where).toBe("true");
      expect(setting.kmsKeyId, setting.where).toBe(KMS_KEY);
    }
  });
});
