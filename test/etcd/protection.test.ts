/**
 * Protection of running etcd clusters: every etcd change between the applied spec and the new
 * one, with AWS member addresses, is either allowed (safe, or carried out through a new
 * replaceMember) or blocked with a reason and a safe way to do it.
 */
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../constructs/kraken-cluster";
import { awsEtcdTopology } from "../../lib/aws/etcd-topology";
import { assertEtcdChangesAllowed, EtcdProtectionError, quorum, type EtcdChange } from "../../lib/etcd";
import { changeAt, changesBetween, clusterWith, editedCluster, singleEtcdCluster, summary } from "./fixtures";

const applied = clusterWith();
const REPLACE_MAIN_0 = { member: 0, id: "2026-11-26-main-0", dataVolume: "keep" };

function expectActionable(change: EtcdChange): void {
  expect(change.reason.length, change.path).toBeGreaterThan(20);
  expect(change.remedy.length, change.path).toBeGreaterThan(10);
}

describe("quorum", () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
    [7, 4],
  ])("of %i members is %i", (members, expected) => {
    expect(quorum(members)).toBe(expected);
  });
});

describe("etcdChanges without etcd changes", () => {
  it("GIVEN the same spec WHEN compared THEN there are no changes", () => {
    expect(changesBetween(applied, clusterWith())).toEqual([]);
  });

  it("GIVEN changes outside spec.etcd (node pools, control plane) WHEN compared THEN there are no etcd changes", () => {
    const next = clusterWith({ "spec.nodePools.0.maxSize": 9, "spec.controlPlane.machine": { aws: { instanceType: "m6i.2xlarge" } } });
    expect(changesBetween(applied, next)).toEqual([]);
  });

  it("GIVEN the applied spec as read back from a state (canonical JSON, sorted keys) WHEN compared THEN there are no changes", () => {
    const fromState = JSON.parse(canonicalJson(applied)) as typeof applied;
    expect(Object.keys(fromState.spec.etcd[0]!.machine.aws!)).not.toEqual(Object.keys(applied.spec.etcd[0]!.machine.aws!));
    expect(changesBetween(fromState, clusterWith())).toEqual([]);
  });

  it("GIVEN the same resources in another order WHEN compared THEN nothing moved", () => {
    const before = clusterWith({ "spec.etcd.1.resources": ["events", "coordination.k8s.io/leases"] });
    const after = clusterWith({ "spec.etcd.1.resources": ["coordination.k8s.io/leases", "events"] });
    expect(changesBetween(before, after)).toEqual([]);
  });
});

describe("removing an etcd cluster", () => {
  it("GIVEN the new spec drops etcd cluster events WHEN compared THEN the removal is blocked at its applied path, always", () => {
    const next = clusterWith({ "spec.etcd": [{ name: "main", members: 3 }] });
    const changes = changesBetween(applied, next);
    expect(summary(changes)).toEqual(["spec.etcd[1] remove-cluster blocked"]);
    const removal = changes[0]!;
    expect(removal).toMatchObject({ etcd: "events", before: "events", after: undefined, blocked: true });
    expect(removal.reason).toContain("always refused");
    expect(removal.reason).toContain("events");
    expect(removal.remedy).toContain('keep spec.etcd entry "events"');
    expect(removal.remedy).toMatch(/restore from a snapshot/);
  });

  it("GIVEN a removal and a replaceMember elsewhere WHEN compared THEN replaceMember does not unlock the removal", () => {
    const next = clusterWith({ "spec.etcd": [{ name: "main", members: 3, replaceMember: REPLACE_MAIN_0 }] });
    expect(changeAt(changesBetween(applied, next), "spec.etcd[1]").blocked).toBe(true);
  });
});

describe("member count", () => {
  it("GIVEN 3 members shrunk to 1 WHEN compared THEN it is blocked as going below quorum", () => {
    const changes = changesBetween(applied, clusterWith({ "spec.etcd.0.members": 1 }));
    expect(summary(changes)).toEqual(["spec.etcd[0].members member-count blocked"]);
    const change = changes[0]!;
    expect(change).toMatchObject({ etcd: "main", before: 3, after: 1, blocked: true });
    expect(change.reason).toContain("below its quorum of 2");
    expect(change.reason).toContain("always refused");
    expect(change.remedy).toContain("keep members: 3");
  });

  it("GIVEN 5 members shrunk to 3 (still a quorum of 5) WHEN compared THEN it is blocked, as one membership change at a time", () => {
    const changes = changesBetween(clusterWith({ "spec.etcd.0.members": 5 }), applied);
    const change = changeAt(changes, "spec.etcd[0].members");
    expect(change).toMatchObject({ kind: "member-count", before: 5, after: 3, blocked: true });
    expect(change.reason).not.toContain("quorum");
    expect(change.reason).toContain("one membership change at a time");
    expect(change.remedy).toContain("etcdctl member add/remove");
  });

  it("GIVEN 3 members grown to 5 WHEN compared THEN it is blocked, and the first three addresses did not move", () => {
    const changes = changesBetween(applied, clusterWith({ "spec.etcd.0.members": 5 }));
    expect(summary(changes)).toEqual(["spec.etcd[0].members member-count blocked"]);
    expect(changes[0]).toMatchObject({ before: 3, after: 5 });
    expectActionable(changes[0]!);
  });

  it("GIVEN a member count change with a replaceMember WHEN compared THEN it is still blocked", () => {
    const changes = changesBetween(applied, clusterWith({ "spec.etcd.0.members": 5, "spec.etcd.0.replaceMember": REPLACE_MAIN_0 }));
    expect(changeAt(changes, "spec.etcd[0].members").blocked).toBe(true);
  });
});

describe("member addresses (endpoints)", () => {
  // Members are compared by address and zone.
  const hosts = (cluster: typeof applied, index: number): string[] =>
    awsEtcdTopology(cluster)[index]!.members.map((member) => `${member.host} (${member.location ?? ""})`);

  it("GIVEN another vpcCidr WHEN compared THEN the addresses of every etcd cluster change, always blocked", () => {
    const next = clusterWith({ "spec.provider.aws.vpcCidr": "10.1.0.0/16" });
    const changes = changesBetween(applied, next);
    expect(summary(changes)).toEqual(["spec.etcd[0].members endpoints blocked", "spec.etcd[1].members endpoints blocked"]);
    expect(changes[0]).toMatchObject({
      etcd: "main",
      before: ["10.0.0.10 (us-west-2a)", "10.0.32.10 (us-west-2b)", "10.0.64.10 (us-west-2c)"],
      after: ["10.1.0.10 (us-west-2a)", "10.1.32.10 (us-west-2b)", "10.1.64.10 (us-west-2c)"],
    });
    expect(changes[0]!.reason).toContain("always refused");
    expect(changes[0]!.remedy).toContain("vpcCidr");
  });

  it("GIVEN one availability zone fewer WHEN compared THEN the member of the dropped zone moves, blocked", () => {
    const next = clusterWith({ "spec.provider.aws.availabilityZones": ["us-west-2a", "us-west-2b"] });
    const change = changeAt(changesBetween(applied, next), "spec.etcd[0].members");
    expect(change).toMatchObject({ kind: "endpoints", blocked: true, before: hosts(applied, 0), after: hosts(next, 0) });
    expect(change.after).not.toEqual(change.before);
    expect(change.remedy).toContain("zones");
  });

  it("GIVEN one availability zone renamed WHEN compared THEN moving the members of that zone (their volumes live in it) is blocked", () => {
    // The address stays the same, but the member's subnet, interface and data volume would be
    // rebuilt in another zone: not something a running etcd cluster survives unattended.
    const next = clusterWith({ "spec.provider.aws.availabilityZones": ["us-west-2a", "us-west-2b", "us-west-2d"] });
    const blocked = changesBetween(applied, next).filter((change) => change.blocked);
    expect(blocked.map((change) => change.etcd).sort()).toEqual(["events", "main"]);
  });

  it("GIVEN the etcd clusters in another order in spec.etcd WHEN compared THEN both move, blocked at their new paths", () => {
    const next = clusterWith({ "spec.etcd": [{ name: "events", members: 3 }, { name: "main", members: 3 }] });
    const changes = changesBetween(applied, next);
    expect(summary(changes).sort()).toEqual(["spec.etcd[0].members endpoints blocked", "spec.etcd[1].members endpoints blocked"]);
    expect(changeAt(changes, "spec.etcd[1].members")).toMatchObject({ etcd: "main", before: hosts(applied, 0), after: hosts(next, 1) });
    expect(changeAt(changes, "spec.etcd[0].members").remedy).toContain("order of spec.etcd");
  });
});

describe("resources", () => {
  it("GIVEN etcd cluster events takes leases too WHEN compared THEN the move is blocked (data does not follow)", () => {
    const next = clusterWith({ "spec.etcd.1.resources": ["events", "coordination.k8s.io/leases"] });
    const changes = changesBetween(applied, next);
    expect(summary(changes)).toEqual(["spec.etcd[1].resources resources blocked"]);
    expect(changes[0]).toMatchObject({ etcd: "events", before: ["events"], after: ["events", "coordination.k8s.io/leases"] });
    expect(changes[0]!.reason).toContain("does not move their data");
    expect(changes[0]!.remedy).toContain("keep resources");
  });

  it("GIVEN a resources change with a replaceMember WHEN compared THEN it is still blocked", () => {
    const next = clusterWith({ "spec.etcd.1.resources": ["events", "coordination.k8s.io/leases"], "spec.etcd.1.replaceMember": REPLACE_MAIN_0 });
    expect(changeAt(changesBetween(applied, next), "spec.etcd[1].resources").blocked).toBe(true);
  });
});

describe("version, machine and data volume: only through a new replaceMember", () => {
  it("GIVEN a patch release without replaceMember WHEN compared THEN it is blocked, pointing at replaceMember", () => {
    const changes = changesBetween(applied, clusterWith({ "spec.etcd.0.version": "3.6.17" }));
    expect(summary(changes)).toEqual(["spec.etcd[0].version version blocked"]);
    expect(changes[0]).toMatchObject({ etcd: "main", before: "3.6.16", after: "3.6.17" });
    expect(changes[0]!.reason).toContain("lose quorum");
    expect(changes[0]!.remedy).toContain("spec.etcd[0].replaceMember");
    expect(changes[0]!.remedy).toContain("k2 etcd replace-member --cluster main");
  });

  it("GIVEN a patch release with a new replaceMember (keep data) WHEN compared THEN both are allowed and say what happens next", () => {
    const next = clusterWith({ "spec.etcd.0.version": "3.6.17", "spec.etcd.0.replaceMember": REPLACE_MAIN_0 });
    const changes = changesBetween(applied, next);
    expect(summary(changes)).toEqual(["spec.etcd[0].version version allowed", "spec.etcd[0].replaceMember replace-member allowed"]);
    expect(changes[0]!.reason).toContain("member 0 only");
    expect(changes[0]!.reason).toContain(REPLACE_MAIN_0.id);
    expect(changes[0]!.remedy).toContain("other members one at a time");
    const replacement = changes[1]!;
    expect(replacement).toMatchObject({ before: undefined, after: REPLACE_MAIN_0 });
    expect(replacement.remedy).toContain("k2 etcd replace-member --cluster main --member 0 --keep-data");
  });

  it("GIVEN the next minor (3.5 to 3.6) with a new replaceMember WHEN compared THEN it is allowed; without one it is blocked", () => {
    const before = clusterWith({ "spec.etcd.0.version": "3.5.21" });
    const upgraded = { "spec.etcd.0.version": "3.6.16" };
    expect(changeAt(changesBetween(before, clusterWith({ ...upgraded, "spec.etcd.0.replaceMember": REPLACE_MAIN_0 })), "spec.etcd[0].version").blocked).toBe(false);
    expect(changeAt(changesBetween(before, clusterWith(upgraded)), "spec.etcd[0].version").blocked).toBe(true);
  });

  it("GIVEN a minor downgrade with a new replaceMember WHEN compared THEN it is always blocked", () => {
    const next = clusterWith({ "spec.etcd.0.version": "3.5.21", "spec.etcd.0.replaceMember": REPLACE_MAIN_0 });
    const changes = changesBetween(applied, next);
    const change = changeAt(changes, "spec.etcd[0].version");
    expect(change).toMatchObject({ kind: "version", before: "3.6.16", after: "3.5.21", blocked: true });
    expect(change.reason).toContain("older minor");
    expect(change.reason).toContain("always refused");
    expect(change.remedy).toContain("keep 3.6.16");
  });

  it("GIVEN a skipped minor (3.4 to 3.6) with a new replaceMember WHEN compared THEN it is always blocked", () => {
    // 3.4 is no longer accepted in a new spec, but a cluster applied by an older kraken-lib may run it.
    const before = editedCluster(applied, (cluster) => {
      (cluster.spec.etcd[0] as { version: string }).version = "3.4.30";
    });
    const change = changeAt(changesBetween(before, clusterWith({ "spec.etcd.0.replaceMember": REPLACE_MAIN_0 })), "spec.etcd[0].version");
    expect(change).toMatchObject({ before: "3.4.30", after: "3.6.16", blocked: true });
    expect(change.reason).toContain("one minor at a time");
    expect(change.reason).toContain("skips 1");
    expect(change.remedy).toContain("next minor first");
  });

  it("GIVEN another instance type WHEN compared THEN the machine change is blocked without replaceMember and allowed with one", () => {
    const machine = { "spec.etcd.0.machine": { aws: { instanceType: "m6i.xlarge" } } };
    const blocked = changeAt(changesBetween(applied, clusterWith(machine)), "spec.etcd[0].machine");
    expect(blocked).toMatchObject({ kind: "machine", blocked: true });
    expect(blocked.before).toMatchObject({ aws: { instanceType: "m6i.large" } });
    expect(blocked.after).toMatchObject({ aws: { instanceType: "m6i.xlarge" } });
    expect(blocked.remedy).toContain("replaceMember");
    const allowed = changesBetween(applied, clusterWith({ ...machine, "spec.etcd.0.replaceMember": REPLACE_MAIN_0 }));
    expect(summary(allowed)).toEqual(["spec.etcd[0].machine machine allowed", "spec.etcd[0].replaceMember replace-member allowed"]);
  });

  it("GIVEN a bigger data volume WHEN compared THEN it is a data-volume change (not a machine change), blocked without replaceMember", () => {
    const changes = changesBetween(applied, clusterWith({ "spec.etcd.0.machine": { aws: { dataVolume: { sizeGib: 50 } } } }));
    expect(summary(changes)).toEqual(["spec.etcd[0].machine.aws.dataVolume data-volume blocked"]);
    expect(changes[0]).toMatchObject({ before: { sizeGib: 20, type: "gp3" }, after: { sizeGib: 50, type: "gp3" } });
  });

  it("GIVEN a blocked data-volume change WHEN its remedy is followed THEN it leads to an allowed change (dataVolume: replace, not keep)", () => {
    const change = changeAt(changesBetween(applied, clusterWith({ "spec.etcd.0.machine": { aws: { dataVolume: { sizeGib: 50 } } } })), "spec.etcd[0].machine.aws.dataVolume");
    expect(change.remedy).toContain("replaceMember");
    // A replaceMember with dataVolume: keep is itself refused for a data-volume change (next test).
    expect(change.remedy).not.toContain("dataVolume: keep");
    expect(change.remedy).toContain("dataVolume: replace");
  });

  it("GIVEN a bigger data volume with replaceMember dataVolume replace WHEN compared THEN it is allowed", () => {
    const next = clusterWith({ "spec.etcd.0.machine": { aws: { dataVolume: { sizeGib: 50 } } }, "spec.etcd.0.replaceMember": { member: 2, id: "bigger-disk-2", dataVolume: "replace" } });
    const changes = changesBetween(applied, next);
    expect(summary(changes)).toEqual(["spec.etcd[0].machine.aws.dataVolume data-volume allowed", "spec.etcd[0].replaceMember replace-member allowed"]);
    expect(changes[0]!.reason).toContain("member 2 only");
    expect(changes[1]!.reason).toContain("new, empty data volume");
    expect(changes[1]!.remedy).toContain("k2 etcd replace-member --cluster main --member 2");
    expect(changes[1]!.remedy).not.toContain("--keep-data");
  });

  it("GIVEN a bigger data volume with replaceMember dataVolume keep WHEN compared THEN it is blocked: the volume would never change", () => {
    const next = clusterWith({ "spec.etcd.0.machine": { aws: { dataVolume: { sizeGib: 50 } } }, "spec.etcd.0.replaceMember": REPLACE_MAIN_0 });
    const change = changeAt(changesBetween(applied, next), "spec.etcd[0].machine.aws.dataVolume");
    expect(change).toMatchObject({ kind: "data-volume", blocked: true });
    expect(change.reason).toContain("keeps member 0's data volume");
    expect(change.remedy).toContain("dataVolume: replace");
  });

  it("GIVEN the applied spec already carried out replaceMember id a WHEN the new spec keeps id a and changes the version THEN it is blocked", () => {
    const replaced = { member: 0, id: "a", dataVolume: "keep" };
    const before = clusterWith({ "spec.etcd.0.replaceMember": replaced });
    const changes = changesBetween(before, clusterWith({ "spec.etcd.0.replaceMember": replaced, "spec.etcd.0.version": "3.6.17" }));
    expect(summary(changes)).toEqual(["spec.etcd[0].version version blocked"]);
  });

  it("GIVEN the applied spec's replaceMember kept as is WHEN compared THEN there are no changes", () => {
    const before = clusterWith({ "spec.etcd.0.replaceMember": { member: 1, id: "a" } });
    expect(changesBetween(before, clusterWith({ "spec.etcd.0.replaceMember": { member: 1, id: "a" } }))).toEqual([]);
  });

  it("GIVEN the applied spec's replaceMember and a new id WHEN the version changes THEN the new id allows it", () => {
    const before = clusterWith({ "spec.etcd.0.replaceMember": { member: 0, id: "a", dataVolume: "keep" } });
    const next = clusterWith({ "spec.etcd.0.replaceMember": { member: 1, id: "b", dataVolume: "keep" }, "spec.etcd.0.version": "3.6.17" });
    const changes = changesBetween(before, next);
    expect(summary(changes)).toEqual(["spec.etcd[0].version version allowed", "spec.etcd[0].replaceMember replace-member allowed"]);
    expect(changes[1]).toMatchObject({ before: { member: 0, id: "a" }, after: { member: 1, id: "b" } });
  });

  it("GIVEN a replaceMember on main WHEN events changes its version THEN the change to events stays blocked", () => {
    const next = clusterWith({ "spec.etcd.0.replaceMember": REPLACE_MAIN_0, "spec.etcd.1.version": "3.6.17" });
    expect(changeAt(changesBetween(applied, next), "spec.etcd[1].version").blocked).toBe(true);
  });
});

describe("replaceMember on its own", () => {
  it("GIVEN a new replaceMember with a fresh data volume on 3 members WHEN compared THEN it is allowed and says the member rejoins", () => {
    const changes = changesBetween(applied, clusterWith({ "spec.etcd.0.replaceMember": { member: 1, id: "disk-1" } }));
    expect(summary(changes)).toEqual(["spec.etcd[0].replaceMember replace-member allowed"]);
    expect(changes[0]!.after).toEqual({ member: 1, id: "disk-1", dataVolume: "replace" });
    expect(changes[0]!.reason).toContain("learner");
  });

  it("GIVEN a 1-member cluster WHEN replaceMember asks for a new data volume THEN it is blocked (the only copy of the data)", () => {
    const changes = changesBetween(singleEtcdCluster(1), singleEtcdCluster(1, { replaceMember: { member: 0, id: "x", dataVolume: "replace" } }));
    expect(summary(changes)).toEqual(["spec.etcd[0].replaceMember replace-member blocked"]);
    expect(changes[0]!.reason).toContain("only copy");
    expect(changes[0]!.remedy).toContain("dataVolume: keep");
    expect(changes[0]!.remedy).toContain("k2 etcd restore-plan");
  });

  it("GIVEN a 1-member cluster WHEN replaceMember keeps the data volume THEN it is allowed", () => {
    const changes = changesBetween(singleEtcdCluster(1), singleEtcdCluster(1, { replaceMember: { member: 0, id: "x", dataVolume: "keep" } }));
    expect(summary(changes)).toEqual(["spec.etcd[0].replaceMember replace-member allowed"]);
  });
});

describe("adding an etcd cluster", () => {
  it("GIVEN a cluster with only main WHEN events is added THEN the addition is allowed and points at k2 secrets init", () => {
    const before = clusterWith({ "spec.etcd": [{ name: "main", members: 3 }] });
    const changes = changesBetween(before, applied);
    expect(summary(changes)).toEqual(["spec.etcd[1] add-cluster allowed"]);
    expect(changes[0]).toMatchObject({ etcd: "events", before: undefined, after: "events" });
    expect(changes[0]!.remedy).toContain("k2 secrets init");
  });
});

describe("assertEtcdChangesAllowed and EtcdProtectionError", () => {
  it("GIVEN only allowed changes WHEN asserted THEN it returns them", () => {
    const next = clusterWith({ "spec.etcd.0.version": "3.6.17", "spec.etcd.0.replaceMember": REPLACE_MAIN_0 });
    expect(summary(assertEtcdChangesAllowed(applied, next, awsEtcdTopology))).toEqual(["spec.etcd[0].version version allowed", "spec.etcd[0].replaceMember replace-member allowed"]);
  });

  it("GIVEN no changes WHEN asserted THEN it returns an empty list", () => {
    expect(assertEtcdChangesAllowed(applied, clusterWith(), awsEtcdTopology)).toEqual([]);
  });

  it("GIVEN four blocked etcd changes and a change elsewhere WHEN asserted THEN the error lists exactly the blocked ones with their paths and safe ways", () => {
    const next = clusterWith({
      "spec.etcd": [
        { name: "main", members: 1, machine: { aws: { instanceType: "m6i.xlarge" } } },
        { name: "leases", members: 3, resources: ["coordination.k8s.io/leases"] },
      ],
      "spec.nodePools.0.maxSize": 9,
    });
    let thrown: unknown;
    try {
      assertEtcdChangesAllowed(applied, next, awsEtcdTopology);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EtcdProtectionError);
    const error = thrown as EtcdProtectionError;
    expect(error.name).toBe("EtcdProtectionError");
    expect(error.cluster).toBe("test");
    // events is removed (spec.etcd[1] before), and the new leases cluster would take leases off main without their data (spec.etcd[1] now).
    expect(error.blocked.map((change) => `${change.path} ${change.kind}`).sort()).toEqual([
      "spec.etcd[0].machine machine",
      "spec.etcd[0].members member-count",
      "spec.etcd[1] add-cluster",
      "spec.etcd[1] remove-cluster",
    ]);
    expect(error.message).toMatch(/^refused: cluster test is running, and the new spec changes its etcd in 4 refused ways:\n/);
    for (const change of error.blocked) {
      expect(error.message).toContain(`  ${change.path}: ${change.reason}.\n    To do it safely: ${change.remedy}.`);
    }
    expect(error.message.match(/To do it safely/g)).toHaveLength(4);
    expect(error.message).toContain("would take coordination.k8s.io/leases off the cluster that stores them now");
  });

  it("GIVEN one blocked change WHEN asserted THEN the message says one refused way", () => {
    expect(() => assertEtcdChangesAllowed(applied, clusterWith({ "spec.etcd.0.version": "3.6.17" }), awsEtcdTopology)).toThrow(
      /in 1 refused way:\n {2}spec\.etcd\[0\]\.version: .*\n {4}To do it safely: .*replaceMember/,
    );
  });
});
