/**
 * spec.etcd[].replaceMember in the synthesized stack: exactly the named member's instance (and,
 * with dataVolume replace, its data volume) can be replaced, through its own terraform_data
 * trigger; the new member joins the running cluster. And etcd protection at synth: a
 * KrakenCluster given its applied spec, and `k2 synth --against`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import { KrakenCluster } from "../../constructs";
import { EtcdProtectionError } from "../../lib/etcd";
import type { ClusterDocumentInput } from "../../lib/spec";
import { SpecFiles } from "../etcd/fixtures";
import { awsDocument, awsWith, runK2 } from "../util";
import {
  cloudConfigFiles,
  decodeUserData,
  parseEnvironmentFile,
  resourcesOf,
  synthCluster,
  type EbsVolumeResource,
  type InstanceResource,
  type Lifecycle,
  type NetworkInterfaceResource,
  type SynthesizedStack,
} from "./fixtures";

type WithTriggers<T> = Omit<T, "lifecycle"> & { readonly lifecycle?: Lifecycle & { readonly replace_triggered_by?: readonly string[] } };

interface TerraformDataResource {
  readonly triggers_replace?: { readonly id: string };
  readonly lifecycle?: Lifecycle;
}

interface Trigger {
  readonly address: string;
  readonly resource: TerraformDataResource;
}

interface Member {
  readonly instance: WithTriggers<InstanceResource>;
  readonly volume: WithTriggers<EbsVolumeResource>;
  readonly networkInterface: NetworkInterfaceResource;
  /** The terraform_data the instance lists in replace_triggered_by. */
  readonly machineTrigger: Trigger;
  /** The terraform_data the data volume lists in replace_triggered_by. */
  readonly dataTrigger: Trigger;
  /** /etc/etcd/etcd.env of the member's user data. */
  readonly etcdEnv: Record<string, string>;
  readonly userData: string;
}

/** The one terraform_data a resource's replace_triggered_by names, which must be a bare address. */
function triggerOf(json: SynthesizedStack, owner: string, lifecycle: WithTriggers<InstanceResource>["lifecycle"]): Trigger {
  const entries = lifecycle?.replace_triggered_by ?? [];
  expect(entries, `${owner} replace_triggered_by`).toHaveLength(1);
  const address = entries[0]!;
  expect(address, `${owner}: Terraform refuses an expression such as "\${...}" in replace_triggered_by`).toMatch(/^terraform_data\.[A-Za-z0-9_-]+$/);
  const resource = resourcesOf<TerraformDataResource>(json, "terraform_data")[address.slice("terraform_data.".length)];
  expect(resource, `${owner}: ${address} exists`).toBeDefined();
  return { address, resource: resource! };
}

/** Every etcd member's resources, triggers and rendered configuration, by member name. */
function members(json: SynthesizedStack): Map<string, Member> {
  const byMember = <T extends { readonly tags: Readonly<Record<string, string>> }>(type: string): Map<string, T> =>
    new Map(
      Object.values(resourcesOf<T>(json, type)).flatMap((resource) => {
        const member = resource.tags["kraken.dev/etcd-member"];
        return member === undefined ? [] : [[member, resource] as const];
      }),
    );
  const volumes = byMember<WithTriggers<EbsVolumeResource>>("aws_ebs_volume");
  const interfaces = byMember<NetworkInterfaceResource>("aws_network_interface");
  return new Map(
    [...byMember<WithTriggers<InstanceResource>>("aws_instance")].map(([name, instance]) => {
      const volume = volumes.get(name)!;
      const userData = decodeUserData(instance.user_data_base64!);
      return [
        name,
        {
          instance,
          volume,
          networkInterface: interfaces.get(name)!,
          machineTrigger: triggerOf(json, `${name} instance`, instance.lifecycle),
          dataTrigger: triggerOf(json, `${name} data volume`, volume.lifecycle),
          etcdEnv: parseEnvironmentFile(cloudConfigFiles(userData).get("/etc/etcd/etcd.env")!),
          userData,
        },
      ];
    }),
  );
}

const MEMBERS = ["events-0", "events-1", "events-2", "main-0", "main-1", "main-2"];
const IDLE_TRIGGER = { triggers_replace: { id: "initial" }, lifecycle: { ignore_changes: ["triggers_replace"] } };

function synthMembers(changes: Readonly<Record<string, unknown>>): Map<string, Member> {
  return members(synthCluster(awsWith(changes)).json);
}

const baseline = synthMembers({});

describe("etcd members without replaceMember", () => {
  it("GIVEN no replaceMember WHEN synthesized THEN every instance, data volume and interface is protected and every trigger idles", () => {
    expect([...baseline.keys()].sort()).toEqual(MEMBERS);
    for (const [name, member] of baseline) {
      expect(member.instance.lifecycle?.prevent_destroy, name).toBe(true);
      expect(member.volume.lifecycle?.prevent_destroy, name).toBe(true);
      expect(member.networkInterface.lifecycle?.prevent_destroy, name).toBe(true);
      expect(member.machineTrigger.resource, name).toEqual(IDLE_TRIGGER);
      expect(member.dataTrigger.resource, name).toEqual(IDLE_TRIGGER);
      expect(member.etcdEnv.ETCD_INITIAL_CLUSTER_STATE, name).toBe("new");
    }
  });

  it("THEN each instance and each data volume has a trigger of its own", () => {
    const addresses = [...baseline.values()].flatMap((member) => [member.machineTrigger.address, member.dataTrigger.address]);
    expect(new Set(addresses).size).toBe(MEMBERS.length * 2);
    expect(Object.keys(resourcesOf(synthCluster(awsDocument()).json, "terraform_data"))).toHaveLength(MEMBERS.length * 2);
  });
});

describe("replaceMember with a new data volume (member 1 of main)", () => {
  const replaced = synthMembers({ "spec.etcd.0.replaceMember": { member: 1, id: "disk-1", dataVolume: "replace" } });
  const target = replaced.get("main-1")!;
  const others = [...replaced].filter(([name]) => name !== "main-1");

  it("GIVEN the member WHEN synthesized THEN only its instance and data volume lose prevent_destroy; its interface keeps it", () => {
    expect(target.instance.lifecycle?.prevent_destroy).toBe(false);
    expect(target.volume.lifecycle?.prevent_destroy).toBe(false);
    expect(target.networkInterface.lifecycle?.prevent_destroy).toBe(true);
    for (const [name, member] of others) {
      expect(member.instance.lifecycle?.prevent_destroy, name).toBe(true);
      expect(member.volume.lifecycle?.prevent_destroy, name).toBe(true);
    }
  });

  it("THEN both of its triggers carry the id and watch it; every other trigger idles", () => {
    for (const trigger of [target.machineTrigger, target.dataTrigger]) {
      expect(trigger.resource.triggers_replace).toEqual({ id: "disk-1" });
      expect(trigger.resource.lifecycle?.ignore_changes ?? []).toEqual([]);
    }
    for (const [name, member] of others) {
      expect(member.machineTrigger.resource, name).toEqual(IDLE_TRIGGER);
      expect(member.dataTrigger.resource, name).toEqual(IDLE_TRIGGER);
    }
  });

  it("THEN the new member joins the running cluster (state existing); the others still say new", () => {
    expect(target.etcdEnv.ETCD_INITIAL_CLUSTER_STATE).toBe("existing");
    expect(target.etcdEnv.ETCD_NAME).toBe("main-1");
    for (const [name, member] of others) expect(member.etcdEnv.ETCD_INITIAL_CLUSTER_STATE, name).toBe("new");
  });

  it("THEN the other members' user data and triggers are exactly as without replaceMember", () => {
    for (const [name, member] of others) {
      expect(member.userData, name).toBe(baseline.get(name)!.userData);
      expect(member.machineTrigger.address, name).toBe(baseline.get(name)!.machineTrigger.address);
    }
  });
});

describe("replaceMember keeping the data volume (member 2 of events)", () => {
  const replaced = synthMembers({ "spec.etcd.1.replaceMember": { member: 2, id: "m6i-xl", dataVolume: "keep" } });
  const target = replaced.get("events-2")!;

  it("GIVEN keep WHEN synthesized THEN only the instance loses prevent_destroy, its data volume stays protected", () => {
    expect(target.instance.lifecycle?.prevent_destroy).toBe(false);
    expect(target.volume.lifecycle?.prevent_destroy).toBe(true);
    for (const [name, member] of replaced) {
      if (name !== "events-2") expect(member.instance.lifecycle?.prevent_destroy, name).toBe(true);
    }
  });

  it("THEN the machine trigger carries the id, the data trigger idles", () => {
    expect(target.machineTrigger.resource).toEqual({ triggers_replace: { id: "m6i-xl" }, lifecycle: {} });
    expect(target.dataTrigger.resource).toEqual(IDLE_TRIGGER);
  });

  it("THEN the member restarts with its data: state new", () => {
    expect(target.etcdEnv.ETCD_INITIAL_CLUSTER_STATE).toBe("new");
  });
});

describe("KrakenCluster with appliedSpec", () => {
  function build(spec: Readonly<Record<string, unknown>>, appliedSpec?: Readonly<Record<string, unknown>>): KrakenCluster {
    const stack = new TerraformStack(Testing.app(), "test");
    return new KrakenCluster(stack, "cluster", {
      spec: spec as ClusterDocumentInput,
      ...(appliedSpec === undefined ? {} : { appliedSpec: appliedSpec as ClusterDocumentInput }),
    });
  }

  it("GIVEN a blocked etcd change WHEN constructed THEN it throws EtcdProtectionError naming the path", () => {
    let thrown: unknown;
    try {
      build(awsWith({ "spec.etcd.0.version": "3.6.17" }), awsDocument());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EtcdProtectionError);
    expect((thrown as EtcdProtectionError).message).toContain("spec.etcd[0].version");
    expect((thrown as EtcdProtectionError).message).toContain("To do it safely");
  });

  it("GIVEN an allowed change WHEN constructed THEN it synthesizes and exposes the allowed changes", () => {
    const spec = awsWith({ "spec.etcd.0.version": "3.6.17", "spec.etcd.0.replaceMember": { member: 0, id: "3.6.17-0", dataVolume: "keep" } });
    const cluster = build(spec, awsDocument());
    expect(cluster.etcdChanges.map((change) => `${change.path} ${change.kind} ${String(change.blocked)}`)).toEqual([
      "spec.etcd[0].version version false",
      "spec.etcd[0].replaceMember replace-member false",
    ]);
    const json = JSON.parse(Testing.synth(TerraformStack.of(cluster))) as SynthesizedStack;
    expect(members(json).get("main-0")!.instance.lifecycle?.prevent_destroy).toBe(false);
  });

  it("GIVEN a running cluster WHEN spec.provider.aws.sshKeyName changes THEN it is no etcd change and every member is left alone", () => {
    // GIVEN the applied spec without an SSH key, and the new one with a key
    const cluster = build(awsWith({ "spec.provider.aws.sshKeyName": "platform-admins" }), awsDocument());
    // THEN nothing is refused and nothing counts as an etcd change
    expect(cluster.etcdChanges).toEqual([]);
    const after = members(JSON.parse(Testing.synth(TerraformStack.of(cluster))) as SynthesizedStack);
    expect([...after.keys()].sort()).toEqual(MEMBERS);
    for (const [name, member] of after) {
      const before = baseline.get(name)!;
      // The key reaches the configuration, but key_name forces a new instance: Terraform ignores
      // it on running members, which keep their protection, idle triggers and user data.
      expect(member.instance.key_name, name).toBe("platform-admins");
      expect(before.instance.key_name, name).toBeUndefined();
      expect(member.instance.lifecycle?.ignore_changes, name).toContain("key_name");
      expect(member.instance.lifecycle?.prevent_destroy, name).toBe(true);
      expect(member.volume.lifecycle?.prevent_destroy, name).toBe(true);
      expect(member.machineTrigger, name).toEqual(before.machineTrigger);
      expect(member.dataTrigger, name).toEqual(before.dataTrigger);
      expect(member.userData, name).toBe(before.userData);
      expect({ ...member.instance, key_name: undefined }, name).toEqual({ ...before.instance, key_name: undefined });
    }
  });

  it("GIVEN an applied spec of another cluster WHEN constructed THEN it throws: a cluster's name never changes", () => {
    expect(() => build(awsDocument(), awsWith({ "metadata.name": "other" }))).toThrow("the applied spec is of cluster other, not test");
  });

  it("GIVEN no applied spec WHEN constructed THEN nothing is refused and there are no etcd changes", () => {
    const cluster = build(awsWith({ "spec.etcd.0.version": "3.6.17", "spec.etcd.0.members": 1 }));
    expect(cluster.etcdChanges).toEqual([]);
  });

  it("GIVEN an applied spec equal to the new one WHEN constructed THEN there are no etcd changes", () => {
    expect(build(awsDocument(), awsDocument()).etcdChanges).toEqual([]);
  });
});

describe("k2 synth --against (the real binary)", () => {
  const files = new SpecFiles();
  afterAll(() => {
    files.remove();
  });
  const applied = files.write("applied.yaml", awsDocument());

  it("GIVEN a refused etcd change WHEN synthesized against the applied spec THEN it exits 1, explains on stderr and writes nothing", () => {
    const next = files.write("refused.yaml", awsWith({ "spec.etcd": [{ name: "main", members: 3, version: "3.6.17" }] }));
    const before = readdirSync(files.directory).sort();
    const result = runK2(["synth", next, "--out", files.path("refused-out"), "--against", applied]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("spec.etcd[0].version");
    expect(result.stderr).toContain("spec.etcd[1]:");
    expect(result.stderr).toContain("To do it safely");
    expect(result.stderr).toContain("Nothing was written");
    expect(result.stdout).toBe("");
    expect(readdirSync(files.directory).sort()).toEqual(before);
  });

  it("GIVEN an allowed change with replaceMember WHEN synthesized against the applied spec THEN it exits 0 and only that member can be replaced", () => {
    const next = files.write("allowed.yaml", awsWith({ "spec.etcd.0.machine": { aws: { instanceType: "m6i.xlarge" } }, "spec.etcd.0.replaceMember": { member: 2, id: "xl-2", dataVolume: "keep" } }));
    const out = files.path("allowed-out");
    const result = runK2(["synth", next, "--out", out, "--against", applied]);
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, "stacks", "test", "cdk.tf.json"), "utf8")) as SynthesizedStack;
    const found = members(json);
    expect([...found].filter(([, member]) => member.instance.lifecycle?.prevent_destroy === false).map(([name]) => name)).toEqual(["main-2"]);
    expect(found.get("main-2")!.instance.instance_type).toBe("m6i.xlarge");
  });

  it("GIVEN a previous output WHEN a refused change is synthesized into it THEN the previous output is left as it was", () => {
    const out = files.path("kept-out");
    expect(runK2(["synth", applied, "--out", out]).status).toBe(0);
    const stackFile = join(out, "stacks", "test", "cdk.tf.json");
    const previous = readFileSync(stackFile, "utf8");
    const refused = files.write("shrunk.yaml", awsWith({ "spec.etcd.0.members": 1 }));
    const result = runK2(["synth", refused, "--out", out, "--against", applied]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("spec.etcd[0].members");
    expect(result.stderr).toContain("below its quorum");
    expect(existsSync(stackFile)).toBe(true);
    expect(readFileSync(stackFile, "utf8")).toBe(previous);
  });
});
