/**
 * Shared fixtures for the construct tests: synthesizing a cluster once, typed lookups in the
 * synthesized JSON, and decoding user data back to the cloud-config text the machines get.
 */
import { gunzipSync } from "node:zlib";
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { KrakenCluster } from "../../constructs";
import { loadClusterFiles, type Cluster, type ClusterDocumentInput } from "../../lib/spec";

type Json = Record<string, unknown>;

/** The parts of a synthesized stack these tests read. */
export interface SynthesizedStack {
  readonly resource: Record<string, Record<string, Json> | undefined>;
  readonly data?: Record<string, Record<string, Json> | undefined>;
  readonly output: Record<string, { readonly value: string; readonly description: string } | undefined>;
}

export interface SynthesizedCluster {
  readonly cluster: KrakenCluster;
  readonly stack: TerraformStack;
  readonly json: SynthesizedStack;
}

/**
 * Builds a cluster in its own stack; `extend` runs before synthesis (addNodePool, ...). The spec
 * may be any document (awsWith's): KrakenCluster validates it.
 */
export function synthCluster(spec: ClusterDocumentInput | Cluster | Readonly<Record<string, unknown>>, extend?: (cluster: KrakenCluster) => void): SynthesizedCluster {
  const stack = new TerraformStack(Testing.app(), "test");
  const cluster = new KrakenCluster(stack, "cluster", { spec: spec as ClusterDocumentInput });
  extend?.(cluster);
  return { cluster, stack, json: JSON.parse(Testing.synth(stack)) as SynthesizedStack };
}

const exampleCache = new Map<string, SynthesizedCluster>();

/** An example spec file, loaded with loadClusterFiles and synthesized once per test file. */
export function synthExample(path: string): SynthesizedCluster {
  let synthesized = exampleCache.get(path);
  if (!synthesized) {
    const [spec] = loadClusterFiles([path]);
    synthesized = synthCluster(spec!);
    exampleCache.set(path, synthesized);
  }
  return synthesized;
}

// ---------------------------------------------------------------------------------------------
// Resource shapes: only the fields the tests read.
// ---------------------------------------------------------------------------------------------

export type Tags = Readonly<Record<string, string>>;

export interface MetadataOptions {
  readonly http_endpoint?: string;
  readonly http_tokens?: string;
  readonly http_put_response_hop_limit?: number;
}

export interface Lifecycle {
  readonly prevent_destroy?: boolean;
  readonly ignore_changes?: readonly string[];
}

export interface RootBlockDevice {
  readonly encrypted?: boolean;
  readonly kms_key_id?: string;
  readonly volume_size?: number;
  readonly volume_type?: string;
}

export interface InstanceResource {
  readonly ami: string;
  readonly instance_type: string;
  readonly subnet_id?: string;
  readonly associate_public_ip_address?: boolean;
  readonly network_interface?: readonly { readonly network_interface_id: string; readonly device_index: number }[];
  readonly vpc_security_group_ids?: readonly string[];
  readonly iam_instance_profile: string;
  readonly key_name?: string;
  readonly metadata_options?: MetadataOptions;
  readonly root_block_device?: RootBlockDevice;
  readonly user_data_base64?: string;
  readonly user_data?: string;
  readonly tags: Tags;
  readonly lifecycle?: Lifecycle;
}

export interface EbsVolumeResource {
  readonly availability_zone: string;
  readonly size: number;
  readonly type: string;
  readonly iops?: number;
  readonly encrypted?: boolean;
  readonly kms_key_id?: string;
  readonly tags: Tags;
  readonly lifecycle?: Lifecycle;
}

export interface VolumeAttachmentResource {
  readonly device_name: string;
  readonly volume_id: string;
  readonly instance_id: string;
}

export interface NetworkInterfaceResource {
  readonly subnet_id: string;
  readonly private_ips: readonly string[];
  readonly security_groups: readonly string[];
  readonly tags: Tags;
  readonly lifecycle?: Lifecycle;
}

export interface LaunchTemplateResource {
  readonly name: string;
  readonly image_id: string;
  readonly instance_type?: string;
  readonly key_name?: string;
  readonly update_default_version?: boolean;
  readonly iam_instance_profile?: { readonly name: string };
  readonly vpc_security_group_ids?: readonly string[];
  readonly metadata_options?: MetadataOptions;
  readonly block_device_mappings?: readonly {
    readonly device_name: string;
    readonly ebs?: { readonly encrypted?: string | boolean; readonly kms_key_id?: string; readonly volume_size?: number; readonly volume_type?: string };
  }[];
  readonly network_interfaces?: readonly { readonly associate_public_ip_address?: string | boolean }[];
  readonly user_data?: string;
  readonly tag_specifications?: readonly { readonly resource_type: string; readonly tags: Tags }[];
}

/** What every auto scaling group has, a pool's or a control-plane node's. */
export interface AnyAutoscalingGroupResource {
  readonly name: string;
  readonly min_size: number;
  readonly max_size: number;
  readonly desired_capacity?: number;
  readonly vpc_zone_identifier: readonly string[];
  readonly tag: readonly { readonly key: string; readonly value: string; readonly propagate_at_launch: boolean }[];
  readonly lifecycle?: Lifecycle;
}

/** A control-plane node's group: one instance of its own launch template, registered with the API target group. */
export interface ControlPlaneGroupResource extends AnyAutoscalingGroupResource {
  readonly launch_template: { readonly id: string; readonly version: string };
  readonly target_group_arns?: readonly string[];
  readonly health_check_type?: string;
  readonly health_check_grace_period?: number;
  readonly wait_for_capacity_timeout?: string;
  readonly instance_maintenance_policy?: { readonly min_healthy_percentage: number; readonly max_healthy_percentage: number };
  readonly mixed_instances_policy?: unknown;
  readonly instance_refresh: {
    readonly strategy: string;
    readonly preferences?: { readonly min_healthy_percentage?: number; readonly max_healthy_percentage?: number; readonly instance_warmup?: string };
  };
}

/** A node pool's group. */
export interface AutoscalingGroupResource extends AnyAutoscalingGroupResource {
  readonly capacity_rebalance?: boolean;
  readonly mixed_instances_policy: {
    readonly launch_template: {
      readonly launch_template_specification: { readonly launch_template_id: string; readonly version: string };
      readonly override: readonly { readonly instance_type: string }[];
    };
    readonly instances_distribution: {
      readonly on_demand_allocation_strategy?: string;
      readonly on_demand_base_capacity: number;
      readonly on_demand_percentage_above_base_capacity: number;
      readonly spot_allocation_strategy: string;
    };
  };
  readonly instance_refresh: { readonly strategy: string; readonly preferences?: { readonly min_healthy_percentage?: number } };
}

export interface SubnetResource {
  readonly availability_zone: string;
  readonly cidr_block: string;
  readonly map_public_ip_on_launch?: boolean;
  readonly tags: Tags;
}

export interface SecurityGroupResource {
  readonly name: string;
  readonly vpc_id: string;
  readonly ingress?: unknown;
  readonly egress?: unknown;
}

export interface IngressRuleResource {
  readonly security_group_id: string;
  readonly referenced_security_group_id?: string;
  readonly cidr_ipv4?: string;
  readonly cidr_ipv6?: string;
  readonly prefix_list_id?: string;
  readonly ip_protocol: string;
  readonly from_port?: number;
  readonly to_port?: number;
}

export interface IamRoleResource {
  readonly name: string;
  readonly assume_role_policy: string;
}

export interface IamRolePolicyResource {
  readonly name: string;
  readonly role: string;
  readonly policy: string;
}

export interface IamRolePolicyAttachmentResource {
  readonly role: string;
  readonly policy_arn: string;
}

export interface IamInstanceProfileResource {
  readonly name: string;
  readonly role: string;
}

export interface LbResource {
  readonly internal: boolean;
  readonly load_balancer_type: string;
  readonly subnets: readonly string[];
  readonly security_groups: readonly string[];
}

export interface LbTargetGroupResource {
  readonly port: number;
  readonly protocol: string;
  readonly preserve_client_ip?: string;
  readonly vpc_id: string;
  readonly health_check?: { readonly protocol?: string; readonly path?: string; readonly port?: string };
}

export interface LbListenerResource {
  readonly load_balancer_arn: string;
  readonly port: number;
  readonly protocol: string;
  readonly default_action: readonly { readonly type: string; readonly target_group_arn?: string }[];
}

export interface LbTargetGroupAttachmentResource {
  readonly target_group_arn: string;
  readonly target_id: string;
  readonly port?: number;
}

/** The auto scaling groups of node pools (they carry the kraken.dev/pool tag), by logical ID. */
export function poolGroups(json: SynthesizedStack): Record<string, AutoscalingGroupResource> {
  return Object.fromEntries(
    Object.entries(resourcesOf<AutoscalingGroupResource>(json, "aws_autoscaling_group")).filter(([, group]) => group.tag.some((tag) => tag.key === "kraken.dev/pool")),
  );
}

/** One control-plane node: its group and its launch template. */
export interface ControlPlaneNode {
  readonly index: number;
  readonly groupId: string;
  readonly group: ControlPlaneGroupResource;
  readonly templateId: string;
  readonly template: LaunchTemplateResource;
}

/** The control-plane nodes in index order (from the group's Name tag, <cluster>-control-plane-<index>). */
export function controlPlaneNodes(json: SynthesizedStack): ControlPlaneNode[] {
  const templates = resourcesOf<LaunchTemplateResource>(json, "aws_launch_template");
  return Object.entries(resourcesOf<ControlPlaneGroupResource>(json, "aws_autoscaling_group"))
    .filter(([, group]) => group.tag.some((tag) => tag.key === "kraken.dev/role" && tag.value === "control-plane"))
    .map(([groupId, group]) => {
      const name = group.tag.find((tag) => tag.key === "Name")!.value;
      const templateId = referencedId(group.launch_template.id, "aws_launch_template");
      return { index: Number(/-control-plane-([0-9]+)$/.exec(name)![1]), groupId, group, templateId, template: templates[templateId]! };
    })
    .sort((a, b) => a.index - b.index);
}

/** Resources of one type by logical ID (empty when there are none). */
export function resourcesOf<T>(json: SynthesizedStack, type: string): Record<string, T> {
  return (json.resource[type] ?? {}) as Record<string, T>;
}

/** Data sources of one type by logical ID (empty when there are none). */
export function dataOf<T>(json: SynthesizedStack, type: string): Record<string, T> {
  return (json.data?.[type] ?? {}) as Record<string, T>;
}

/** The single resource of a type; fails when there is not exactly one. */
export function onlyResource<T>(json: SynthesizedStack, type: string): [string, T] {
  const entries = Object.entries(resourcesOf<T>(json, type));
  if (entries.length !== 1) throw new Error(`expected exactly one ${type}, found ${entries.length}: ${entries.map(([id]) => id).join(", ")}`);
  return entries[0]!;
}

/** "${aws_subnet.x.id}" for the resource `x` of `type`. */
export function ref(type: string, logicalId: string, attribute = "id"): string {
  return `\${${type}.${logicalId}.${attribute}}`;
}

/** The logical ID inside "${type.id.attr}"; throws when `value` is not such a reference. */
export function referencedId(value: string, type: string): string {
  const match = new RegExp(`^\\$\\{${type}\\.([^.}]+)\\.[a-z_]+\\}$`).exec(value);
  if (!match) throw new Error(`${JSON.stringify(value)} is not a reference to a ${type}`);
  return match[1]!;
}

/** Subnets by their "${aws_subnet.x.id}" reference. */
export function subnetsByRef(json: SynthesizedStack): Map<string, SubnetResource> {
  return new Map(Object.entries(resourcesOf<SubnetResource>(json, "aws_subnet")).map(([id, subnet]) => [ref("aws_subnet", id), subnet]));
}

/** Security group logical IDs by the construct name of the group ("api-lb", "control-plane", "etcd-main"), as "${aws_security_group.x.id}". */
export function securityGroupRefs(json: SynthesizedStack, clusterName: string): Map<string, string> {
  return new Map(
    Object.entries(resourcesOf<SecurityGroupResource>(json, "aws_security_group")).map(([id, group]) => [
      group.name.slice(clusterName.length + 1),
      ref("aws_security_group", id),
    ]),
  );
}

/** Every `policy` JSON string parsed. */
export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: readonly {
    readonly Effect: string;
    readonly Action: string | readonly string[];
    readonly Resource?: string | readonly string[];
    readonly Principal?: Readonly<Record<string, string>>;
  }[];
}

export function parsePolicy(text: string): PolicyDocument {
  return JSON.parse(text) as PolicyDocument;
}

// ---------------------------------------------------------------------------------------------
// User data
// ---------------------------------------------------------------------------------------------

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const LITERAL = /^base64decode\("([A-Za-z0-9+/]*={0,2})"\)$/;
const REFERENCE = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/;

/**
 * The parts of `join("", [base64decode("..."), aws_lb.x.dns_name, ...])`, decoded: literal
 * parts as text, references as "${aws_lb.x.dns_name}" (as Terraform would write them).
 */
function decodeJoin(inner: string): string {
  const list = /^join\("", \[(.*)\]\)$/s.exec(inner);
  if (!list) throw new Error(`not a join("", [...]) expression: ${inner.slice(0, 120)}`);
  return list[1]!
    .split(/,\s*/)
    .map((item) => {
      const literal = LITERAL.exec(item);
      if (literal) return Buffer.from(literal[1]!, "base64").toString("utf8");
      if (REFERENCE.test(item)) return `\${${item}}`;
      throw new Error(`unexpected item in join: ${item}`);
    })
    .join("");
}

/**
 * Text as Terraform would produce it from a string that terraformText made: plain text as is
 * (after Terraform's own $${ and %%{ escapes), or a join of base64decode literals and references.
 */
export function decodeTerraformText(value: string): string {
  const expression = /^\$\{(.*)\}$/s.exec(value);
  if (expression && expression[1]!.startsWith("join(")) return decodeJoin(expression[1]!);
  const literal = expression && /^base64decode\("([A-Za-z0-9+/=]*)"\)$/.exec(expression[1]!);
  if (literal) return Buffer.from(literal[1]!, "base64").toString("utf8");
  return value.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}

/**
 * User data as the machine receives it: gzip+base64 text gunzipped, or a
 * `${base64gzip(join("", [...]))}` expression decoded part by part.
 */
export function decodeUserData(value: string): string {
  const expression = /^\$\{base64gzip\((.*)\)\}$/s.exec(value);
  if (expression) return decodeJoin(expression[1]!);
  if (!BASE64.test(value)) throw new Error(`user data is neither base64 nor a base64gzip expression: ${value.slice(0, 120)}`);
  return gunzipSync(Buffer.from(value, "base64")).toString("utf8");
}

interface CloudConfigDocument {
  readonly write_files: readonly { readonly path: string; readonly content: string; readonly permissions: string }[];
  readonly runcmd: readonly (readonly string[])[];
}

/** The #cloud-config document of decoded user data. */
export function parseCloudConfig(text: string): CloudConfigDocument {
  if (!text.startsWith("#cloud-config\n")) throw new Error(`user data is not #cloud-config: ${text.slice(0, 80)}`);
  return parse(text) as CloudConfigDocument;
}

/** write_files of decoded user data, by path. */
export function cloudConfigFiles(text: string): Map<string, string> {
  return new Map(parseCloudConfig(text).write_files.map((file) => [file.path, file.content]));
}

/** KEY='value' lines of an environment file. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const match = /^([A-Z_][A-Z0-9_]*)='(.*)'$/.exec(line);
        if (!match) throw new Error(`not a KEY='value' line: ${line}`);
        return [match[1]!, match[2]!];
      }),
  );
}

/** Decoded user data of every instance and launch template, by "aws_instance.<id>" / "aws_launch_template.<id>". */
export function allUserData(json: SynthesizedStack): Map<string, string> {
  const found = new Map<string, string>();
  for (const [id, instance] of Object.entries(resourcesOf<InstanceResource>(json, "aws_instance"))) {
    const value = instance.user_data_base64 ?? instance.user_data;
    if (value !== undefined) found.set(`aws_instance.${id}`, decodeUserData(value));
  }
  for (const [id, template] of Object.entries(resourcesOf<LaunchTemplateResource>(json, "aws_launch_template"))) {
    if (template.user_data !== undefined) found.set(`aws_launch_template.${id}`, decodeUserData(template.user_data));
  }
  return found;
}
