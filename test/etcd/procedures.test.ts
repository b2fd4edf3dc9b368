/**
 * The etcd procedures: replacing one member (fresh data through remove / learner / promote, or
 * keeping the data volume) and restoring from a snapshot, with the cluster's values filled in;
 * their text rendering; and the `k2 etcd` front ends, run as the real binary.
 */
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { awsEtcdTopology } from "../../lib/aws/etcd-topology";
import { renderProcedure, replaceMemberOverride, replaceMemberProcedure, restoreProcedure, type Procedure, type ProcedureStep } from "../../lib/etcd";
import { loadClusterFiles, type Cluster } from "../../lib/spec";
import { runTool, TempDir } from "../bootstrap/fixtures";
import { parseEnvironmentFile } from "../constructs/fixtures";
import { awsDocument, EXAMPLES, runK2 } from "../util";
import { changesBetween, clusterWith, singleEtcdCluster, SpecFiles } from "./fixtures";

const cluster = clusterWith();
const topology = awsEtcdTopology(cluster);
const MAIN_HOSTS = ["10.0.0.10", "10.0.32.10", "10.0.64.10"];
const clientUrl = (host: string): string => `https://${host}:2379`;
const peerUrl = (host: string): string => `https://${host}:2380`;

/** Every line of every command of a step. */
function lines(step: ProcedureStep): string[] {
  return step.commands.flatMap((command) => command.split("\n"));
}

/** The endpoints an `export ... ETCDCTL_ENDPOINTS=...` line of the step sets. */
function endpointsOf(step: ProcedureStep): string[] {
  const exported = lines(step)
    .map((line) => /ETCDCTL_ENDPOINTS=(\S*)/.exec(line)?.[1])
    .filter((value) => value !== undefined);
  expect(exported, `step "${step.title}" sets ETCDCTL_ENDPOINTS once`).toHaveLength(1);
  return exported[0] === "" ? [] : exported[0]!.split(",");
}

/** The health check's own command line (other lines add --cluster). */
const HEALTH = /^etcdctl endpoint health$/;

/** The one step with a command line that contains `text` (or matches it). */
function stepWith(procedure: Procedure, text: string | RegExp): ProcedureStep {
  const found = procedure.steps.filter((step) => lines(step).some((line) => (typeof text === "string" ? line.includes(text) : text.test(line))));
  if (found.length !== 1) throw new Error(`expected one step with ${String(text)}, found ${found.length}: ${found.map((step) => step.title).join(" | ")}`);
  return found[0]!;
}

function indexOfStepWith(procedure: Procedure, text: string | RegExp): number {
  return procedure.steps.indexOf(stepWith(procedure, text));
}

/** The spec override of the apply step: the commented YAML lines after `# under "- name: ..."`. */
function overrideOf(procedure: Procedure): unknown {
  const apply = stepWith(procedure, "k2 lint <spec file>");
  const commented = lines(apply).filter((line) => line.startsWith("#   "));
  return parse(commented.map((line) => line.slice("#   ".length)).join("\n"));
}

const files = new TempDir();
const specs = new SpecFiles();
afterAll(() => {
  files.remove();
  specs.remove();
});

/**
 * Runs a command line of a procedure with bash, with a fake `etcdctl` that prints `memberList`
 * for `etcdctl member list`, and prints the variable `variable` afterwards.
 */
function evaluateWithMemberList(commandLine: string, memberList: string, variable: string): string {
  const bin = files.path("fake-bin");
  files.write("fake-bin/etcdctl", `#!/usr/bin/env bash\nif [ "$1 $2" = "member list" ]; then cat <<'EOF'\n${memberList}\nEOF\nfi\n`, 0o755);
  const result = runTool("bash", ["-c", `set -euo pipefail\n${commandLine}\nprintf '%s' "$${variable}"`], { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` } });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe("replaceMemberProcedure with a fresh data volume", () => {
  const procedure = replaceMemberProcedure(cluster, topology, "main", { memberIndex: 1, keepData: false, id: "disk-1" });

  it("GIVEN member 1 of main WHEN planned THEN it names the cluster, the member and warns to go one member at a time", () => {
    expect(procedure).toMatchObject({ title: 'Replace member main-1 of etcd cluster "main"', cluster: "test", etcd: "main" });
    expect(procedure.warnings.join("\n")).toContain("One member at a time");
    expect(procedure.warnings.join("\n")).toContain("3 members and stays available with 1 down");
  });

  it("THEN the steps go health check, remove, add as learner, apply, promote, verify", () => {
    const order = [HEALTH, "etcdctl member remove", "--learner", "k2 lint <spec file>", "etcdctl member promote", "etcdctl endpoint status --cluster"].map((text) =>
      indexOfStepWith(procedure, text),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(procedure.steps).toHaveLength(6);
  });

  it("THEN the health check and the membership changes talk to every member but the replaced one, from another member", () => {
    for (const text of [HEALTH, "etcdctl member remove", "--learner", "etcdctl member promote"]) {
      const step = stepWith(procedure, text);
      expect(endpointsOf(step), String(text)).toEqual([clientUrl(MAIN_HOSTS[0]!), clientUrl(MAIN_HOSTS[2]!)]);
      expect(step.where, String(text)).toMatch(/^member main-0/);
    }
    expect(lines(stepWith(procedure, HEALTH))).toContain("export ETCDCTL_CACERT=/etc/etcd/pki/ca.crt ETCDCTL_CERT=/etc/etcd/pki/member.crt ETCDCTL_KEY=/etc/etcd/pki/member.key");
  });

  it("THEN the member is removed by its peer URL: the command picks exactly its ID out of etcdctl's member list", () => {
    const remove = stepWith(procedure, "etcdctl member remove");
    const lookup = lines(remove).find((line) => line.startsWith("MEMBER_ID="))!;
    expect(lookup).toContain(peerUrl(MAIN_HOSTS[1]!));
    const memberList = [
      `8e9e05c52164694d, started, main-0, ${peerUrl(MAIN_HOSTS[0]!)}, ${clientUrl(MAIN_HOSTS[0]!)}, false`,
      `91bc3c398fb3c146, started, main-1, ${peerUrl(MAIN_HOSTS[1]!)}, ${clientUrl(MAIN_HOSTS[1]!)}, false`,
      `fd422379fda50e48, started, main-2, ${peerUrl(MAIN_HOSTS[2]!)}, ${clientUrl(MAIN_HOSTS[2]!)}, false`,
    ].join("\n");
    expect(evaluateWithMemberList(lookup, memberList, "MEMBER_ID")).toBe("91bc3c398fb3c146");
    expect(lines(remove)).toContain('etcdctl member remove "$MEMBER_ID"');
  });

  it("THEN it is added back as a learner with its own name and peer URL, and the new, unstarted learner is found for promotion", () => {
    expect(lines(stepWith(procedure, "--learner"))).toContain(`etcdctl member add main-1 --learner --peer-urls=${peerUrl(MAIN_HOSTS[1]!)}`);
    const promote = stepWith(procedure, "etcdctl member promote");
    const lookup = lines(promote).find((line) => line.startsWith("NEW_ID="))!;
    // A learner that has not started yet has no name in etcdctl's list: the peer URL finds it.
    const memberList = [
      `8e9e05c52164694d, started, main-0, ${peerUrl(MAIN_HOSTS[0]!)}, ${clientUrl(MAIN_HOSTS[0]!)}, false`,
      `fd422379fda50e48, started, main-2, ${peerUrl(MAIN_HOSTS[2]!)}, ${clientUrl(MAIN_HOSTS[2]!)}, false`,
      `2f3b4c5d6e7f8091, unstarted, , ${peerUrl(MAIN_HOSTS[1]!)}, , true`,
    ].join("\n");
    expect(evaluateWithMemberList(lookup, memberList, "NEW_ID")).toBe("2f3b4c5d6e7f8091");
    expect(lines(promote).some((line) => /^until etcdctl member promote "\$NEW_ID"; do sleep \d+; done/.test(line))).toBe(true);
  });

  it("THEN the apply step carries the override for member 1 with the id and a new data volume, and that override is an allowed change", () => {
    expect(overrideOf(procedure)).toEqual({ replaceMember: { member: 1, id: "disk-1", dataVolume: "replace" } });
    const apply = stepWith(procedure, "k2 lint <spec file>");
    expect(apply.title).toContain("spec.etcd[0]");
    expect(apply.title).toContain("and data volume");
    expect(apply.notes?.join("\n")).toContain("ETCD_INITIAL_CLUSTER_STATE=existing");
    const withOverride = clusterWith({ "spec.etcd.0.replaceMember": (overrideOf(procedure) as { replaceMember: unknown }).replaceMember });
    expect(changesBetween(cluster, withOverride).filter((change) => change.blocked)).toEqual([]);
  });

  it("THEN it verifies against every member, the replaced one included", () => {
    const verify = procedure.steps[procedure.steps.length - 1]!;
    expect(endpointsOf(verify)).toEqual(MAIN_HOSTS.map(clientUrl));
    expect(lines(verify)).toEqual(expect.arrayContaining(["etcdctl member list -w table", "etcdctl endpoint health --cluster", "etcdctl endpoint status --cluster -w table"]));
    expect(verify.title).toContain("3 started voting members");
  });

  it("GIVEN member 0 is replaced WHEN planned THEN the commands run on another member (main-1)", () => {
    const first = replaceMemberProcedure(cluster, topology, "main", { memberIndex: 0, keepData: false, id: "x" });
    expect(stepWith(first, "etcdctl member remove").where).toMatch(/^member main-1/);
    expect(endpointsOf(stepWith(first, "etcdctl member remove"))).toEqual([clientUrl(MAIN_HOSTS[1]!), clientUrl(MAIN_HOSTS[2]!)]);
  });

  it("GIVEN etcd cluster events WHEN planned THEN its own addresses and spec.etcd[1] are used", () => {
    const events = replaceMemberProcedure(cluster, topology, "events", { memberIndex: 2, keepData: false, id: "x" });
    expect(lines(stepWith(events, "--learner"))).toContain("etcdctl member add events-2 --learner --peer-urls=https://10.0.64.18:2380");
    expect(stepWith(events, "k2 lint <spec file>").title).toContain("spec.etcd[1]");
  });
});

describe("replaceMemberProcedure keeping the data volume", () => {
  const procedure = replaceMemberProcedure(cluster, topology, "main", { memberIndex: 2, keepData: true, id: "bigger-machine" });

  it("GIVEN --keep-data WHEN planned THEN nothing is removed, added or promoted: health check, apply, wait, verify", () => {
    const all = procedure.steps.flatMap(lines).join("\n");
    expect(all).not.toContain("member remove");
    expect(all).not.toContain("member add");
    expect(all).not.toContain("member promote");
    expect(procedure.steps).toHaveLength(4);
    const order = [HEALTH, "k2 lint <spec file>", "until etcdctl endpoint health --cluster", "etcdctl endpoint status --cluster"].map((text) => indexOfStepWith(procedure, text));
    expect(order).toEqual([0, 1, 2, 3]);
    expect(endpointsOf(procedure.steps[0]!)).toEqual([clientUrl(MAIN_HOSTS[0]!), clientUrl(MAIN_HOSTS[1]!)]);
  });

  it("THEN the override keeps the data volume", () => {
    expect(overrideOf(procedure)).toEqual({ replaceMember: { member: 2, id: "bigger-machine", dataVolume: "keep" } });
    expect(stepWith(procedure, "k2 lint <spec file>").title).not.toContain("data volume");
  });

  it("GIVEN a 1-member cluster WHEN planned with --keep-data THEN it warns of the downtime and every etcdctl call has an endpoint", () => {
    const lone = singleEtcdCluster(1);
    const single = replaceMemberProcedure(lone, awsEtcdTopology(lone), "main", { memberIndex: 0, keepData: true, id: "x" });
    expect(single.warnings.join("\n")).toContain("unavailable while its machine is replaced");
    // An empty ETCDCTL_ENDPOINTS makes etcdctl fall back to http://127.0.0.1:2379, which no member serves.
    for (const step of single.steps.filter((candidate) => lines(candidate).some((line) => line.includes("ETCDCTL_ENDPOINTS")))) {
      expect(endpointsOf(step), step.title).not.toEqual([]);
    }
  });
});

describe("replaceMemberProcedure refusals", () => {
  it("GIVEN a 1-member cluster WHEN a fresh data volume is asked THEN it throws: the only copy of the data", () => {
    const lone = singleEtcdCluster(1);
    expect(() => replaceMemberProcedure(lone, awsEtcdTopology(lone), "main", { memberIndex: 0, keepData: false, id: "x" })).toThrow(
      /etcd cluster "main" has one member: .*only copy.*--keep-data.*k2 etcd restore-plan/,
    );
  });

  it("GIVEN an unknown etcd cluster WHEN planned THEN it throws naming it and the ones there are", () => {
    expect(() => replaceMemberProcedure(cluster, topology, "nope", { memberIndex: 0, keepData: false, id: "x" })).toThrow('cluster test has no etcd cluster "nope"; it has main, events');
    expect(() => restoreProcedure(cluster, topology, "nope", { snapshot: "s3://b/k" })).toThrow('has no etcd cluster "nope"');
  });

  it("GIVEN a member index past the last member WHEN planned THEN it throws with the valid range", () => {
    expect(() => replaceMemberProcedure(cluster, topology, "main", { memberIndex: 3, keepData: true, id: "x" })).toThrow('etcd cluster "main" has 3 members (0 to 2); there is no member 3');
  });
});

describe("replaceMemberOverride", () => {
  it("renders the replaceMember snippet to put under the etcd cluster's entry", () => {
    expect(replaceMemberOverride(1, "disk-1", false)).toBe("replaceMember:\n  member: 1\n  id: disk-1\n  dataVolume: replace\n");
    expect(parse(replaceMemberOverride(0, "2026-11-26", true))).toEqual({ replaceMember: { member: 0, id: "2026-11-26", dataVolume: "keep" } });
  });
});

describe("restoreProcedure", () => {
  const snapshot = "s3://acme-etcd-backups/main/20261126T101500Z.db";
  const procedure = restoreProcedure(cluster, topology, "main", { snapshot });
  const restoreSteps = procedure.steps.filter((step) => step.commands.some((command) => command.includes("snapshot restore")));

  /** The value after `flag` in the restore command of a step. */
  function flag(step: ProcedureStep, name: string): string {
    const command = lines(step).find((line) => line.includes("snapshot restore"))!;
    const words = command.split(" ");
    const index = words.indexOf(name);
    expect(index, `${name} in ${command}`).toBeGreaterThan(0);
    return words[index + 1]!;
  }

  it("GIVEN a snapshot WHEN planned THEN the API servers stop first and start again last", () => {
    expect(procedure.steps[0]!.where).toBe("every control-plane node");
    expect(procedure.steps[0]!.commands).toEqual(["mv /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/kube-apiserver.yaml.stopped"]);
    const last = procedure.steps[procedure.steps.length - 1]!;
    expect(last.where).toBe("every control-plane node");
    expect(last.commands[0]).toBe("mv /etc/kubernetes/kube-apiserver.yaml.stopped /etc/kubernetes/manifests/kube-apiserver.yaml");
  });

  it("THEN etcd stops on every member before any restore, and starts on every member after all of them", () => {
    const stop = stepWith(procedure, "systemctl stop etcd");
    const start = stepWith(procedure, "systemctl start etcd");
    expect(stop.where).toBe("every member (main-0, main-1, main-2)");
    expect(start.where).toBe("every member (main-0, main-1, main-2)");
    const positions = restoreSteps.map((step) => procedure.steps.indexOf(step));
    expect(procedure.steps.indexOf(stop)).toBe(1);
    expect(positions).toEqual([2, 3, 4]);
    expect(procedure.steps.indexOf(start)).toBe(5);
    expect(endpointsOf(procedure.steps[6]!)).toEqual(MAIN_HOSTS.map(clientUrl));
    expect(lines(procedure.steps[6]!)).toContain("etcdctl endpoint health --cluster");
  });

  it("THEN each member restores with its own name and peer URL, the whole initial cluster and the cluster's token", () => {
    expect(restoreSteps.map((step) => step.where)).toEqual(["member main-0", "member main-1", "member main-2"]);
    const initialCluster = MAIN_HOSTS.map((host, index) => `main-${index}=${peerUrl(host)}`).join(",");
    restoreSteps.forEach((step, index) => {
      expect(flag(step, "--name")).toBe(`main-${index}`);
      expect(flag(step, "--initial-cluster")).toBe(initialCluster);
      expect(flag(step, "--initial-cluster-token")).toBe("test-main");
      expect(flag(step, "--initial-advertise-peer-urls")).toBe(peerUrl(MAIN_HOSTS[index]!));
      expect(flag(step, "--data-dir")).toBe("/var/lib/etcd/data");
    });
  });

  it("THEN the restore uses the same initial cluster and token as the members' own configuration", () => {
    const config = parseEnvironmentFile(runK2(["etcd", "config", specs.write("restore.yaml", awsDocument()), "--cluster", "main", "--member", "1"]).stdout);
    expect(flag(restoreSteps[1]!, "--initial-cluster")).toBe(config.ETCD_INITIAL_CLUSTER);
    expect(flag(restoreSteps[1]!, "--initial-cluster-token")).toBe(config.ETCD_INITIAL_CLUSTER_TOKEN);
    expect(flag(restoreSteps[1]!, "--initial-advertise-peer-urls")).toBe(config.ETCD_INITIAL_ADVERTISE_PEER_URLS);
  });

  it("THEN an s3:// snapshot is fetched with aws s3 cp before it is checked and restored", () => {
    for (const step of restoreSteps) {
      const commands = lines(step);
      expect(commands[0]).toBe(`aws s3 cp --only-show-errors ${snapshot} /var/lib/etcd/restore.db`);
      expect(commands.findIndex((line) => line.includes("snapshot status"))).toBeLessThan(commands.findIndex((line) => line.includes("snapshot restore")));
      expect(commands.findIndex((line) => line.startsWith("mv /var/lib/etcd/data "))).toBeLessThan(commands.findIndex((line) => line.includes("snapshot restore")));
    }
  });

  it("GIVEN a path on the members WHEN planned THEN it is copied with cp", () => {
    const local = restoreProcedure(cluster, topology, "main", { snapshot: "/var/backups/main.db" });
    const step = local.steps.find((candidate) => candidate.where === "member main-0")!;
    expect(lines(step)[0]).toBe("cp /var/backups/main.db /var/lib/etcd/restore.db");
    expect(lines(step).join("\n")).not.toContain("aws s3");
  });

  it("GIVEN the events cluster WHEN planned THEN it warns that only events go back in time, with events' own members and token", () => {
    const events = restoreProcedure(cluster, topology, "events", { snapshot });
    expect(events.warnings[0]).toContain("(events only)");
    const first = events.steps.find((step) => step.where === "member events-0")!;
    expect(flag(first, "--initial-cluster-token")).toBe("test-events");
    expect(flag(first, "--initial-advertise-peer-urls")).toBe("https://10.0.0.18:2380");
  });
});

describe("renderProcedure", () => {
  it("numbers the steps and indents where, each command line and the notes", () => {
    const procedure: Procedure = {
      title: "Do it",
      cluster: "c",
      etcd: "main",
      warnings: ["careful", "really"],
      steps: [
        { title: "First", where: "here", commands: ["echo a\necho b", "echo c"], notes: ["a note"] },
        { title: "Second", where: "there", commands: ["true"] },
      ],
    };
    expect(renderProcedure(procedure)).toBe(
      [
        "Do it",
        "",
        "! careful",
        "! really",
        "",
        "1. First",
        "   on: here",
        "     echo a",
        "     echo b",
        "     echo c",
        "   note: a note",
        "",
        "2. Second",
        "   on: there",
        "     true",
        "",
      ].join("\n"),
    );
  });

  it("numbers a real procedure's steps 1 to n in order", () => {
    const text = renderProcedure(restoreProcedure(cluster, topology, "main", { snapshot: "s3://b/k.db" }));
    const numbers = text.split("\n").flatMap((line) => /^(\d+)\. /.exec(line)?.[1] ?? []);
    expect(numbers).toEqual(["1", "2", "3", "4", "5", "6", "7", "8"]);
  });
});

describe("k2 etcd (the real binary)", () => {
  const [ha] = loadClusterFiles([EXAMPLES.awsHa]) as [Cluster];
  const haTopology = awsEtcdTopology(ha);

  it("GIVEN examples/aws-ha WHEN k2 etcd config prints member 1 of main THEN it is that member's ETCD_* file, state new", () => {
    const result = runK2(["etcd", "config", EXAMPLES.awsHa, "--cluster", "main", "--member", "1"]);
    expect(result.status, result.stderr).toBe(0);
    const config = parseEnvironmentFile(result.stdout);
    expect(config).toMatchObject({
      ETCD_NAME: "main-1",
      ETCD_INITIAL_ADVERTISE_PEER_URLS: "https://10.0.32.10:2380",
      ETCD_INITIAL_CLUSTER: "main-0=https://10.0.0.10:2380,main-1=https://10.0.32.10:2380,main-2=https://10.0.64.10:2380",
      ETCD_INITIAL_CLUSTER_TOKEN: "prod-usw2-main",
      ETCD_INITIAL_CLUSTER_STATE: "new",
    });
  });

  it("GIVEN --initial-cluster-state existing, or a spec replacing the member with a new volume WHEN printed THEN the state is existing", () => {
    expect(parseEnvironmentFile(runK2(["etcd", "config", EXAMPLES.awsHa, "--cluster", "main", "--member", "1", "--initial-cluster-state", "existing"]).stdout).ETCD_INITIAL_CLUSTER_STATE).toBe("existing");
    const replacing = awsDocument();
    (replacing.spec as { etcd: { replaceMember?: unknown }[] }).etcd[0]!.replaceMember = { member: 2, id: "disk-2" };
    const path = specs.write("replacing.yaml", replacing);
    const state = (member: string): string | undefined => parseEnvironmentFile(runK2(["etcd", "config", path, "--cluster", "main", "--member", member]).stdout).ETCD_INITIAL_CLUSTER_STATE;
    expect([state("0"), state("1"), state("2")]).toEqual(["new", "new", "existing"]);
  });

  it("GIVEN replace-member WHEN printed as text THEN it is exactly the library's procedure, rendered", () => {
    const result = runK2(["etcd", "replace-member", EXAMPLES.awsHa, "--cluster", "main", "--member", "1", "--id", "disk-1"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(renderProcedure(replaceMemberProcedure(ha, haTopology, "main", { memberIndex: 1, keepData: false, id: "disk-1" })));
    expect(result.stdout).toContain("etcdctl member add main-1 --learner --peer-urls=https://10.0.32.10:2380");
  });

  it("GIVEN replace-member --format json --keep-data WHEN printed THEN it is the procedure as JSON, without membership changes", () => {
    const result = runK2(["etcd", "replace-member", EXAMPLES.awsHa, "-c", "events", "-m", "0", "--keep-data", "--id", "m6i-xl", "--format", "json"]);
    expect(result.status, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as Procedure;
    expect(printed).toEqual(JSON.parse(JSON.stringify(replaceMemberProcedure(ha, haTopology, "events", { memberIndex: 0, keepData: true, id: "m6i-xl" }))));
    expect(overrideOf(printed)).toEqual({ replaceMember: { member: 0, id: "m6i-xl", dataVolume: "keep" } });
    expect(result.stdout).not.toContain("member remove");
  });

  it("GIVEN no --id WHEN printed THEN the override's id is today's date, the etcd cluster and the member, and valid", () => {
    const result = runK2(["etcd", "replace-member", EXAMPLES.awsHa, "--cluster", "main", "--member", "2", "--format", "json"]);
    expect(result.status, result.stderr).toBe(0);
    const override = overrideOf(JSON.parse(result.stdout) as Procedure) as { replaceMember: { id: string } };
    expect(override.replaceMember.id).toMatch(/^\d{4}-\d{2}-\d{2}-main-2$/);
  });

  it.each([
    ["an --id with a space", ["--cluster", "main", "--member", "1", "--id", "bad id"], /^k2: --id must be 1 to 63 letters, digits, '\.', '_' or '-', got "bad id"\n$/],
    ["--member past the last member", ["--cluster", "main", "--member", "3"], /^k2: --member must be a member index from 0 to 2 of etcd cluster "main", got "3"\n$/],
    ["--member that is not a number", ["--cluster", "main", "--member", "one"], /^k2: --member must be a member index from 0 to 2 of etcd cluster "main", got "one"\n$/],
    ["an unknown --cluster", ["--cluster", "nope", "--member", "0"], /^k2: cluster prod-usw2 has no etcd cluster "nope"; it has main, events\n$/],
  ])("GIVEN %s WHEN replace-member runs THEN it exits 2 with one line and prints nothing", (_what, args, message) => {
    const result = runK2(["etcd", "replace-member", EXAMPLES.awsHa, ...args]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });

  it("GIVEN a 1-member cluster WHEN replace-member asks for fresh data THEN it exits 1 and points at --keep-data; with --keep-data it prints", () => {
    const refused = runK2(["etcd", "replace-member", EXAMPLES.awsMinimal, "--cluster", "main", "--member", "0"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^k2: etcd cluster "main" has one member: .*--keep-data.*\n$/);
    expect(refused.stdout).toBe("");
    expect(runK2(["etcd", "replace-member", EXAMPLES.awsMinimal, "--cluster", "main", "--member", "0", "--keep-data"]).status).toBe(0);
  });

  it("GIVEN restore-plan WHEN printed as text and JSON THEN it is the library's restore procedure", () => {
    const args = ["etcd", "restore-plan", EXAMPLES.awsHa, "--cluster", "main", "--snapshot", "s3://prod-etcd/main/20261126T101500Z.db"];
    const text = runK2(args);
    expect(text.status, text.stderr).toBe(0);
    const expected = restoreProcedure(ha, haTopology, "main", { snapshot: "s3://prod-etcd/main/20261126T101500Z.db" });
    expect(text.stdout).toBe(renderProcedure(expected));
    const json = runK2([...args, "--format", "json"]);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it("GIVEN two clusters in the files WHEN no --name is given THEN it exits 2; with --name it picks one", () => {
    const ambiguous = runK2(["etcd", "config", EXAMPLES.awsHa, EXAMPLES.awsMinimal, "--cluster", "main", "--member", "0"]);
    expect(ambiguous.status).toBe(2);
    expect(ambiguous.stderr).toContain("choose one with --name");
    const picked = runK2(["etcd", "config", EXAMPLES.awsHa, EXAMPLES.awsMinimal, "--cluster", "main", "--member", "0", "--name", "dev"]);
    expect(picked.status, picked.stderr).toBe(0);
    expect(parseEnvironmentFile(picked.stdout).ETCD_INITIAL_CLUSTER_TOKEN).toBe("dev-main");
  });

  it.each([
    ["config", ["--member", "0"]],
    ["replace-member", ["--member", "0"]],
    ["restore-plan", ["--snapshot", "s3://b/k.db"]],
  ])("GIVEN an invalid spec WHEN k2 etcd %s runs THEN it exits 1 naming the problem", (command, args) => {
    const invalid = awsDocument();
    (invalid.spec as { etcd: { members: number }[] }).etcd[0]!.members = 2;
    const result = runK2(["etcd", command, specs.write(`invalid-${command}.yaml`, invalid), "--cluster", "main", ...args]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("spec.etcd[0].members: must be 1, 3, 5 or 7");
    expect(result.stdout).toBe("");
  });

  it.each(["config", "replace-member", "restore-plan"])("k2 etcd %s --help documents its exit codes", (command) => {
    const result = runK2(["etcd", command, "--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Exit codes:\n {2}0 {2}printed\n {2}1 {2}a spec is invalid.*\n {2}2 {2}usage error/);
  });
});
