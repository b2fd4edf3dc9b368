/**
 * A spec change that reaches every etcd member's configuration must not rebuild the running
 * members, proven with real terraform and the real AWS provider, offline. The state holds an etcd
 * member as the applied spec built it (its instance as the synthesized stack describes it, and
 * its replacement trigger, applied for real); terraform then plans the new spec's member against
 * that state without refreshing, so no AWS call is made.
 *
 * The SSH key is the case in point: key_name forces a new instance, so without ignore_changes a
 * new key would replace every member at once (and prevent_destroy would stop the plan).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourcesOf, synthCluster } from "../constructs/fixtures";
import { providerMirror, requireTerraform, terraform, writeOfflineProviderOverride } from "../support/terraform";
import { awsWith } from "../util";

const work = mkdtempSync(join(tmpdir(), "k2-etcd-member-"));
const MEMBER = "main-0";
const APPLIED_KEY = "admins-2025";
const NEW_KEY = "admins-2026";

type Json = Record<string, unknown>;

interface MemberConfiguration {
  readonly instanceId: string;
  readonly instance: Json;
  readonly triggerId: string;
  readonly trigger: Json;
}

/**
 * References to resources outside the member (its interface, instance profile, data volume)
 * become literals: the same expression gives the same literal in both specs, as the same
 * resource would give the same value in the state.
 */
function withoutReferences(value: unknown): unknown {
  if (typeof value === "string") return value.includes("${") ? `literal-${Buffer.from(value).toString("base64url").slice(-24)}` : value;
  if (Array.isArray(value)) return value.map(withoutReferences);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutReferences(item)]));
  return value;
}

/** The member's instance and its machine trigger, as the stack of a spec with `sshKeyName` synthesizes them. */
function memberConfiguration(sshKeyName: string): MemberConfiguration {
  const { json } = synthCluster(awsWith({ "spec.provider.aws.sshKeyName": sshKeyName }));
  const instances = Object.entries(resourcesOf<Json & { tags: Record<string, string> }>(json, "aws_instance"));
  const [instanceId, synthesized] = instances.find(([, instance]) => instance.tags["kraken.dev/etcd-member"] === MEMBER)!;
  const { "//": _metadata, provider: _provider, ...instance } = synthesized;
  const lifecycle = instance.lifecycle as { replace_triggered_by: string[] };
  const triggerId = lifecycle.replace_triggered_by[0]!.slice("terraform_data.".length);
  const { "//": _triggerMetadata, ...trigger } = resourcesOf<Json>(json, "terraform_data")[triggerId]!;
  const userData = instance.user_data_base64 as string;
  return {
    instanceId,
    // User data is ignored on members; a literal stands for it (the provider wants base64).
    instance: { ...(withoutReferences(instance) as Json), user_data_base64: Buffer.from(userData).toString("base64") },
    triggerId,
    trigger,
  };
}

/** The Terraform configuration of one member: its trigger, and its instance unless `triggerOnly`. */
function writeConfiguration(directory: string, member: MemberConfiguration, triggerOnly = false): void {
  const configuration = {
    terraform: { required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } } },
    resource: {
      terraform_data: { [member.triggerId]: member.trigger },
      ...(triggerOnly ? {} : { aws_instance: { [member.instanceId]: member.instance } }),
    },
  };
  writeFileSync(join(directory, "main.tf.json"), JSON.stringify(configuration, null, 2));
}

/** Blocks of aws_instance that the state keeps as lists, where the configuration has one object. */
const SINGLE_BLOCKS = ["metadata_options", "root_block_device"];

/**
 * What EC2 reports, and the provider stores, for attributes of a member the configuration leaves
 * to AWS: no IPv6 address, no EC2-Classic security group, no extra block device. Left null, they
 * would read as unknown, and some of them force a new instance.
 */
const COMPUTED_BY_AWS: Json = {
  id: "i-0123456789abcdef0",
  ipv6_address_count: 0,
  ipv6_addresses: [],
  security_groups: [],
  secondary_private_ips: [],
  ebs_block_device: [],
  ephemeral_block_device: [],
  associate_public_ip_address: false,
  // The security groups of its network interface.
  vpc_security_group_ids: ["sg-0123456789abcdef0"],
  get_password_data: false,
};

/** The member's instance as the state holds it after an apply of `member`: what was asked, and what AWS computed. */
function instanceState(member: MemberConfiguration): Json {
  const { lifecycle: _lifecycle, ...attributes } = member.instance;
  for (const block of SINGLE_BLOCKS) attributes[block] = [attributes[block]];
  // IPv6 metadata is off unless asked for.
  attributes.metadata_options = [{ http_protocol_ipv6: "disabled", ...(attributes.metadata_options as Json[])[0] }];
  attributes.network_interface = (attributes.network_interface as Json[]).map((networkInterface) => ({ delete_on_termination: false, network_card_index: 0, ...networkInterface }));
  return { ...COMPUTED_BY_AWS, ...attributes, tags_all: attributes.tags };
}

interface ResourceChange {
  readonly address: string;
  readonly change: { readonly actions: readonly string[]; readonly after: Json | null; readonly before: Json | null; readonly after_unknown?: Json };
}

/** The attributes a planned change would change, for failure messages. */
function changedAttributes(change: ResourceChange | undefined): string {
  if (!change) return "no change planned at all";
  const { before, after, after_unknown: unknown = {} } = change.change;
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const changed = [...keys].filter((key) => JSON.stringify(before?.[key]) !== JSON.stringify(after?.[key]) || JSON.stringify(unknown[key] ?? false).includes("true"));
  return `${change.change.actions.join(",")}: ${changed.map((key) => `${key} ${JSON.stringify(before?.[key])} -> ${JSON.stringify(after?.[key])}`).join("; ")}`;
}

/** Plans `member` against the state, without refreshing it; the plan, or terraform's error. */
function plan(directory: string, member: MemberConfiguration): { changes?: Map<string, ResourceChange>; error?: string } {
  writeConfiguration(directory, member);
  try {
    terraform(["plan", "-input=false", "-lock=false", "-refresh=false", "-out=plan.bin"], directory);
  } catch (error) {
    return { error: (error as Error).message };
  }
  const shown = JSON.parse(terraform(["show", "-json", "plan.bin"], directory)) as { resource_changes?: ResourceChange[] };
  return { changes: new Map((shown.resource_changes ?? []).map((change) => [change.address, change])) };
}

const applied = memberConfiguration(APPLIED_KEY);
const next = memberConfiguration(NEW_KEY);
const directory = join(work, "member");
const instanceAddress = `aws_instance.${applied.instanceId}`;

beforeAll(() => {
  requireTerraform();
  mkdirSync(directory);
  writeOfflineProviderOverride(directory, "us-west-2");
  // The trigger is applied for real (terraform_data is built in); the instance joins it in the
  // state as the applied spec built it.
  writeConfiguration(directory, applied, true);
  terraform(["init", "-input=false", `-plugin-dir=${providerMirror()}`], directory);
  terraform(["apply", "-input=false", "-auto-approve", "-lock=false"], directory);
  const state = JSON.parse(terraform(["state", "pull"], directory)) as { serial: number; resources: Json[] };
  state.serial += 1;
  state.resources.push({
    mode: "managed",
    type: "aws_instance",
    name: applied.instanceId,
    provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    instances: [{ schema_version: 1, attributes: instanceState(applied) }],
  });
  writeFileSync(join(directory, "pushed.tfstate"), JSON.stringify(state));
  terraform(["state", "push", "-lock=false", "pushed.tfstate"], directory);
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("an etcd member in the state, planned with real terraform", () => {
  it("GIVEN the member as applied WHEN planned with the applied spec THEN terraform changes nothing (the state is faithful)", () => {
    const { changes, error } = plan(directory, applied);
    expect(error).toBeUndefined();
    expect(changes!.get(instanceAddress)?.change.actions, changedAttributes(changes!.get(instanceAddress))).toEqual(["no-op"]);
  });

  it("GIVEN a new spec.provider.aws.sshKeyName WHEN planned THEN the running member is left alone", () => {
    expect(next.instance.key_name).toBe(NEW_KEY);
    expect(next.instanceId).toBe(applied.instanceId);
    const { changes, error } = plan(directory, next);
    expect(error).toBeUndefined();
    const change = changes!.get(instanceAddress)!;
    expect(change.change.actions, changedAttributes(change)).toEqual(["no-op"]);
    expect(change.change.after?.key_name).toBe(APPLIED_KEY);
  });

  it("GIVEN the same change without key_name in ignore_changes WHEN planned THEN terraform would replace the member, and prevent_destroy refuses", () => {
    // The control: what the member's ignore_changes prevents.
    const lifecycle = next.instance.lifecycle as { ignore_changes: string[] };
    const unguarded = { ...next, instance: { ...next.instance, lifecycle: { ...lifecycle, ignore_changes: lifecycle.ignore_changes.filter((name) => name !== "key_name") } } };
    const { error } = plan(directory, unguarded);
    expect(error).toMatch(/Instance cannot be destroyed/);
    expect(error).toMatch(/prevent_destroy/);
    expect(error).toMatch(/key_name\s+= "admins-2025" -> "admins-2026" # forces replacement/);
  });
});
