/**
 * control-plane-lib.sh's join lock, ClusterConfiguration upload and addon update, run by bash as
 * the user data ships them, against fakes of kubectl and kubeadm (fake-kubernetes.ts): these
 * machines cannot run a Kubernetes API server, so a fake stands in for it, answering as kubectl
 * answers a real one. bash and python3 (with PyYAML, as on Ubuntu with cloud-init) must be installed.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { Cluster } from "../../lib/spec";
import { controlPlaneNode, FakeControlPlaneNode, joinLock, NODE_NAME, renderedKubeadmConfigs } from "./fake-kubernetes";
import { awsHa, controlPlaneUserData, parseUserData, TempDir, type ToolResult } from "./fixtures";

const files = new TempDir();
afterAll(() => {
  files.remove();
});

const ha = awsHa();
const LOCK = "kraken-control-plane-join";
const CREATE = "kubectl create -f -";
const REPLACE = "kubectl replace -f -";
const GET_LEASE = `kubectl -n kube-system get lease ${LOCK} -o json`;
const DELETE_LEASE = `kubectl delete --raw /apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${LOCK} -f -`;
const UPLOAD_CONFIG = "kubeadm init phase upload-config kubeadm --config RUN/kubeadm-init.yaml --kubeconfig RUN/bootstrap-admin.conf";
const ADDON_ALL = "kubeadm init phase addon all --config RUN/kubeadm-init.yaml --kubeconfig RUN/bootstrap-admin.conf";
const ADDON_COREDNS = "kubeadm init phase addon coredns --config RUN/kubeadm-init.yaml --kubeconfig RUN/bootstrap-admin.conf";
const JOIN = "kubeadm join --config RUN/kubeadm-join.yaml";

let machines = 0;

/** A fresh control-plane node of `cluster` whose packages are Kubernetes `version`. */
function machine(version: string, cluster: Cluster = ha): FakeControlPlaneNode {
  machines += 1;
  return new FakeControlPlaneNode(files, `node-${machines}`, parseUserData(controlPlaneUserData(cluster, 1)), version);
}

/** The kubeadm init config of a node of `cluster` at `version`: what the cluster was initialized (or last uploaded) with. */
function initConfig(version: string, cluster: Cluster = ha): string {
  return renderedKubeadmConfigs(parseUserData(controlPlaneUserData(cluster, 1)), version).init;
}

function output(result: ToolResult): string {
  return result.stdout + result.stderr;
}

function expectSuccess(result: ToolResult): void {
  expect(result.status, output(result)).toBe(0);
}

function count(commands: readonly string[], command: string): number {
  return commands.filter((candidate) => candidate === command).length;
}

describe("the join lock (a Lease in kube-system)", () => {
  it("is taken with a create when it is free: held by this node's name, for 15 minutes from now", () => {
    // GIVEN no lock in the cluster
    const node = machine("v1.36.4");
    // WHEN the node takes it
    const result = node.runScript('acquire_join_lock\necho "held=$JOIN_LOCK_HELD"');
    // THEN one create did it
    expectSuccess(result);
    expect(result.stdout).toContain("held=yes");
    expect(result.stdout).toContain("took the join lock");
    expect(node.commands()).toEqual([CREATE]);
    const manifest = JSON.parse(node.calls()[0]!.stdin) as Record<string, Record<string, unknown>>;
    expect(manifest).toMatchObject({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: LOCK, namespace: "kube-system" },
      spec: { holderIdentity: NODE_NAME, leaseDurationSeconds: 900 },
    });
    expect(manifest.metadata!.resourceVersion).toBeUndefined();
    expect(manifest.spec!.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(node.lease()?.spec.holderIdentity).toBe(NODE_NAME);
  });

  it("waits while a live node holds it, and takes it once that node has released it", () => {
    // GIVEN another node took the lock 30 seconds ago and releases it after three more attempts of ours
    const node = machine("v1.36.4").withLease(joinLock("ip-10-0-64-20", 30)).withFile("holder-releases-after", "3");
    // WHEN the node takes the lock
    const result = node.runScript("acquire_join_lock");
    // THEN it waited, saying for whom, never taking over the live lock, and then created it
    expectSuccess(result);
    expect(result.stdout).toContain("the join lock is held by ip-10-0-64-20");
    expect(result.stdout).toMatch(/attempt 1\/360 failed, again in 10s: try_join_lock/);
    const commands = node.commands();
    expect(count(commands, CREATE)).toBe(4);
    expect(commands).not.toContain(REPLACE);
    expect(commands).not.toContain(DELETE_LEASE);
    expect(node.lease()?.spec.holderIdentity).toBe(NODE_NAME);
  });

  it("takes over a stale lock (its holder died while joining) with a replace of the version it read", () => {
    // GIVEN a lock taken an hour ago, longer than its 15 minutes
    const node = machine("v1.36.4").withLease(joinLock("ip-10-0-0-99", 3600, "41"));
    // WHEN the node takes the lock
    const result = node.runScript("acquire_join_lock");
    // THEN the create failed, and a replace of resourceVersion 41 made it ours; nothing was deleted
    expectSuccess(result);
    expect(result.stdout).toMatch(/took over the join lock \(stale: ip-10-0-0-99, 36\d\ds\)/);
    expect(node.commands()).toEqual([CREATE, GET_LEASE, REPLACE]);
    const replacement = JSON.parse(node.calls()[2]!.stdin) as { metadata: { resourceVersion: string }; spec: { holderIdentity: string } };
    expect(replacement.metadata.resourceVersion).toBe("41");
    expect(replacement.spec.holderIdentity).toBe(NODE_NAME);
    expect(node.lease()?.spec.holderIdentity).toBe(NODE_NAME);
    expect(node.lease()?.metadata.resourceVersion).toBe("42");
  });

  it("takes back its own lock, left by a run that was cut short (a reboot while joining)", () => {
    const node = machine("v1.36.4").withLease(joinLock(NODE_NAME, 60, "7"));
    const result = node.runScript("acquire_join_lock");
    expectSuccess(result);
    expect(result.stdout).toContain("took over the join lock (ours, from an earlier run)");
    expect(node.commands()).toEqual([CREATE, GET_LEASE, REPLACE]);
  });

  it("goes back to waiting when another node took over the stale lock first (the replace fails with a Conflict)", () => {
    // GIVEN a stale lock that another node replaces just before us, and releases after its join
    const node = machine("v1.36.4")
      .withLease(joinLock("ip-10-0-0-99", 3600, "41"))
      .withFile("rival-on-replace", "ip-10-0-64-21")
      .withFile("holder-releases-after", "3");
    // WHEN the node takes the lock
    const result = node.runScript("acquire_join_lock");
    // THEN its one takeover failed on the Conflict, it waited for the winner, then created the lock
    expectSuccess(result);
    expect(result.stdout).toContain("another node took over the join lock first: Error from server (Conflict)");
    expect(result.stdout).toContain("the join lock is held by ip-10-0-64-21");
    const commands = node.commands();
    expect(count(commands, REPLACE)).toBe(1);
    expect(commands).not.toContain(DELETE_LEASE);
    expect(commands.at(-1)).toBe(CREATE);
    expect(node.lease()?.spec.holderIdentity).toBe(NODE_NAME);
  });

  it("is released with a delete on the precondition of the version this node holds", () => {
    const node = machine("v1.36.4").withLease(joinLock(NODE_NAME, 10, "55"));
    const result = node.runScript("JOIN_LOCK_HELD=yes\nrelease_join_lock");
    expectSuccess(result);
    expect(result.stdout).toContain("released the join lock");
    expect(node.commands()).toEqual([GET_LEASE, DELETE_LEASE]);
    expect(JSON.parse(node.calls()[1]!.stdin)).toEqual({ kind: "DeleteOptions", apiVersion: "v1", preconditions: { resourceVersion: "55" } });
    expect(node.lease()).toBeUndefined();
  });

  it("is not released when another node holds it now", () => {
    // GIVEN this node took the lock, but another node has taken it over since
    const node = machine("v1.36.4").withLease(joinLock("ip-10-0-64-21", 10));
    const result = node.runScript("JOIN_LOCK_HELD=yes\nrelease_join_lock");
    // THEN the other node keeps it
    expectSuccess(result);
    expect(result.stdout).toContain("the join lock is held by ip-10-0-64-21 now: leaving it");
    expect(node.commands()).toEqual([GET_LEASE]);
    expect(node.lease()?.spec.holderIdentity).toBe("ip-10-0-64-21");
  });

  it("is left alone by a node that does not hold it", () => {
    const node = machine("v1.36.4").withLease(joinLock("ip-10-0-64-21", 10));
    expectSuccess(node.runScript("release_join_lock"));
    expect(node.commands()).toEqual([]);
  });

  it("is released when the script fails while holding it (the EXIT trap)", () => {
    const node = machine("v1.36.4");
    const result = node.runScript("trap finish_control_plane_bootstrap EXIT\nacquire_join_lock\nfalse\necho 'went on'");
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain("went on");
    expect(result.stdout).toContain("FAILED: command failed");
    expect(result.stdout).toContain("released the join lock");
    expect(node.commands()).toEqual([CREATE, GET_LEASE, DELETE_LEASE]);
    expect(node.lease()).toBeUndefined();
  });
});

describe("the cluster's ClusterConfiguration before a join", () => {
  it("stays when it is this node's (apart from the defaults kubeadm stored with it)", () => {
    // GIVEN a cluster initialized at the node's version and settings
    const node = machine("v1.36.4").initializedWith(initConfig("v1.36.4"));
    expect(node.storedClusterConfiguration()).toContain("imageRepository: registry.k8s.io");
    // WHEN the node compares
    const result = node.runScript("update_cluster_configuration");
    // THEN nothing is uploaded
    expectSuccess(result);
    expect(result.stdout).toContain("the cluster's ClusterConfiguration is this node's (v1.36.4)");
    expect(node.commands()).not.toContain(UPLOAD_CONFIG);
  });

  it.each([
    ["a new patch release", "v1.36.4", "v1.36.6"],
    ["a new minor", "v1.36.4", "v1.37.1"],
  ])("is replaced by this node's for %s", (_name, clusterVersion, nodeVersion) => {
    // GIVEN a cluster at an older version
    const node = machine(nodeVersion).initializedWith(initConfig(clusterVersion));
    // WHEN a node of the newer version compares
    const result = node.runScript("update_cluster_configuration");
    // THEN it uploads its own, saying what differs
    expectSuccess(result);
    expect(result.stdout).toContain(`kubernetesVersion (${clusterVersion} -> ${nodeVersion})`);
    expect(node.commands()).toEqual([`kubectl -n kube-system get configmap kubeadm-config -o jsonpath={.data.ClusterConfiguration}`, UPLOAD_CONFIG]);
    expect(parse(node.storedClusterConfiguration())).toMatchObject({ kind: "ClusterConfiguration", kubernetesVersion: nodeVersion });
  });

  it("is replaced by this node's for new API server names at the same version", () => {
    // GIVEN a spec that adds a name to the API server's certificate
    const renamed: Cluster = { ...ha, spec: { ...ha.spec, controlPlane: { ...ha.spec.controlPlane, apiServer: { ...ha.spec.controlPlane.apiServer, extraSans: ["api.prod.example.com"] } } } };
    const node = machine("v1.36.4", renamed).initializedWith(initConfig("v1.36.4"));
    // WHEN a node of the new spec compares
    const result = node.runScript("update_cluster_configuration");
    // THEN it uploads its own certSANs
    expectSuccess(result);
    expect(result.stdout).toMatch(/differs from this node's \(v1\.36\.4\): apiServer\.certSANs$/m);
    expect(node.commands()).toContain(UPLOAD_CONFIG);
    expect((parse(node.storedClusterConfiguration()) as { apiServer: { certSANs: string[] } }).apiServer.certSANs).toContain("api.prod.example.com");
  });

  it("is replaced by this node's when this node's dropped a setting the cluster's has", () => {
    // GIVEN a cluster whose API server sends events to their own etcd, and a node whose configuration no longer does
    const node = machine("v1.36.4").initializedWith(initConfig("v1.36.4"));
    const path = join(node.root, "run", "kubeadm-cluster.yaml");
    const mine = parse(readFileSync(path, "utf8")) as { apiServer: Record<string, unknown> };
    expect(mine.apiServer.extraArgs).toBeDefined();
    delete mine.apiServer.extraArgs;
    writeFileSync(path, stringify(mine, { version: "1.1" }));
    // WHEN the node compares
    const result = node.runScript("update_cluster_configuration");
    // THEN the setting only the cluster has counts, and the node uploads its own
    expectSuccess(result);
    expect(result.stdout).toMatch(/differs from this node's \(v1\.36\.4\): apiServer\.extraArgs \(removed\)$/m);
    expect(node.commands()).toContain(UPLOAD_CONFIG);
  });

  it("refuses a rollback of a minor: the node fails and the cluster stays as it is", () => {
    const node = machine("v1.36.4").initializedWith(initConfig("v1.37.1"));
    const result = node.runScript("update_cluster_configuration");
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("FAILED: refusing to join: this node's v1.36.4 is older than the cluster's v1.37.1 (a rollback)");
    expect(node.commands()).not.toContain(UPLOAD_CONFIG);
    expect(parse(node.storedClusterConfiguration())).toMatchObject({ kubernetesVersion: "v1.37.1" });
  });

  it("refuses a jump of two minors", () => {
    const node = machine("v1.37.1").initializedWith(initConfig("v1.35.2"));
    const result = node.runScript("update_cluster_configuration");
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("FAILED: refusing to join: this node's v1.37.1 is over a minor newer than the cluster's v1.35.2");
    expect(node.commands()).not.toContain(UPLOAD_CONFIG);
  });
});

describe("joining the control plane", () => {
  it("holds the lock while it uploads its configuration and joins, then releases it and its credentials", () => {
    // GIVEN a cluster at 1.36 and a replacement node built for 1.37
    const node = machine("v1.37.1").initializedWith(initConfig("v1.36.4"));
    // WHEN it joins (the EXIT trap as control-plane.sh sets it; /etc/hosts left alone)
    const result = node.runScript("trap finish_control_plane_bootstrap EXIT\nuse_local_api() { :; }\njoin_control_plane");
    // THEN lock, upload, join and release come in that order
    expectSuccess(result);
    expect(node.commands()).toEqual([
      `kubeadm kubeconfig user --config RUN/kubeadm-cluster.yaml --client-name kraken:bootstrap:${NODE_NAME} --org system:masters --validity-period 3h`,
      CREATE,
      "kubectl -n kube-system get configmap kubeadm-config -o jsonpath={.data.ClusterConfiguration}",
      UPLOAD_CONFIG,
      JOIN,
      GET_LEASE,
      DELETE_LEASE,
    ]);
    expect(node.lease()).toBeUndefined();
    expect(existsSync(join(node.root, "run", "bootstrap-admin.conf"))).toBe(false);
  });

  it("waits in a new cluster until the earlier nodes have registered", () => {
    // GIVEN node 2 of a new cluster, where node 0 has registered and node 1 registers a little later
    const node = machine("v1.36.4")
      .initializedWith(initConfig("v1.36.4"))
      .withNodes([controlPlaneNode("ip-10-0-0-5", "v1.36.4")], [controlPlaneNode("ip-10-0-0-5", "v1.36.4"), controlPlaneNode("ip-10-0-64-5", "v1.36.4")]);
    const result = node.runScript("use_local_api() { :; }\njoin_control_plane", { NODE_INDEX: "2" });
    expectSuccess(result);
    expect(result.stdout).toContain("waiting until 2 earlier control-plane node(s) have joined");
    const commands = node.commands();
    expect(count(commands, "kubectl get nodes -l node-role.kubernetes.io/control-plane -o name")).toBe(2);
    expect(commands.indexOf(CREATE)).toBeGreaterThan(commands.lastIndexOf("kubectl get nodes -l node-role.kubernetes.io/control-plane -o name"));
    expect(commands).toContain(JOIN);
    expect(commands).not.toContain(UPLOAD_CONFIG);
  });

  it("does not join when it refuses the version, and frees the lock for the others", () => {
    const node = machine("v1.35.9").initializedWith(initConfig("v1.36.4"));
    const result = node.runScript("trap finish_control_plane_bootstrap EXIT\nuse_local_api() { :; }\njoin_control_plane");
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("refusing to join");
    expect(node.commands()).not.toContain(JOIN);
    expect(node.commands().at(-1)).toBe(DELETE_LEASE);
    expect(node.lease()).toBeUndefined();
  });
});

describe("the addons after a node joined", () => {
  it("are updated once every control-plane node still there runs the new minor", () => {
    // GIVEN the cluster at 1.37, kube-proxy at 1.36, and the last 1.36 node gone (its kubelet stopped reporting)
    const node = machine("v1.37.1")
      .initializedWith(initConfig("v1.37.1"))
      .withKubeProxy("registry.k8s.io/kube-proxy:v1.36.4")
      .withNodes([
        controlPlaneNode("ip-10-0-0-6", "v1.37.1"),
        controlPlaneNode("ip-10-0-64-6", "v1.37.1"),
        controlPlaneNode("ip-10-0-32-5", "v1.36.4", "Unknown"),
        controlPlaneNode(NODE_NAME, "v1.37.1", "False"),
      ]);
    // WHEN the node that joined last looks
    const result = node.runScript("update_addons_when_last");
    // THEN it updates kube-proxy and CoreDNS, holding the lock
    expectSuccess(result);
    expect(result.stdout).toContain("updating kube-proxy (v1.36.4) and CoreDNS to v1.37.1's");
    const commands = node.commands();
    expect(count(commands, ADDON_ALL)).toBe(1);
    expect(commands.indexOf(CREATE)).toBeLessThan(commands.indexOf(ADDON_ALL));
    expect(commands.at(-1)).toBe(DELETE_LEASE);
    expect(node.kubeProxyImage()).toBe("registry.k8s.io/kube-proxy:v1.37.1");
  });

  it("wait while a control-plane node of the old minor still serves, and are updated once it is gone", () => {
    // GIVEN the old node this one replaces still serves for two more looks, then is terminated
    const old = (ready: "True" | "Unknown"): object => controlPlaneNode("ip-10-0-32-5", "v1.36.4", ready);
    const node = machine("v1.37.1")
      .initializedWith(initConfig("v1.37.1"))
      .withKubeProxy("registry.k8s.io/kube-proxy:v1.36.4")
      .withNodes([old("True"), controlPlaneNode(NODE_NAME, "v1.37.1")], [old("True"), controlPlaneNode(NODE_NAME, "v1.37.1")], [old("Unknown"), controlPlaneNode(NODE_NAME, "v1.37.1")]);
    const result = node.runScript("update_addons_when_last");
    // THEN the addons wait for it: kube-proxy is never newer than a serving API server
    expectSuccess(result);
    expect(result.stdout).toContain("control-plane nodes at another minor: ip-10-0-32-5 v1.36.4");
    const commands = node.commands();
    const looks = commands.map((command, index) => (command === "kubectl get nodes -l node-role.kubernetes.io/control-plane -o json" ? index : -1)).filter((index) => index >= 0);
    expect(looks).toHaveLength(3);
    expect(commands.indexOf(ADDON_ALL)).toBeGreaterThan(looks[2]!);
  });

  it("are not this node's to update when the cluster has moved on to another version", () => {
    // GIVEN a later node uploaded a newer patch release
    const node = machine("v1.37.1").initializedWith(initConfig("v1.37.2")).withKubeProxy("registry.k8s.io/kube-proxy:v1.36.4");
    const result = node.runScript("update_addons_when_last");
    expectSuccess(result);
    expect(result.stdout).toContain("the cluster runs v1.37.2: the addons are not ours to update");
    expect(node.commands()).not.toContain(ADDON_ALL);
    expect(node.commands()).not.toContain(CREATE);
  });

  it("stay when kube-proxy runs this version already (a node before this one updated them)", () => {
    const node = machine("v1.37.1").initializedWith(initConfig("v1.37.1")).withKubeProxy("registry.k8s.io/kube-proxy:v1.37.1");
    const result = node.runScript("update_addons_when_last");
    expectSuccess(result);
    expect(node.commands()).not.toContain(ADDON_ALL);
    expect(node.commands()).not.toContain(CREATE);
  });

  it("update only CoreDNS when the pod network replaced kube-proxy (no kube-proxy DaemonSet to bring back)", () => {
    const node = machine("v1.37.1").initializedWith(initConfig("v1.37.1")).withNodes([controlPlaneNode(NODE_NAME, "v1.37.1")]);
    const result = node.runScript("update_addons_when_last");
    expectSuccess(result);
    expect(result.stdout).toContain("no kube-proxy DaemonSet: updating CoreDNS to v1.37.1's");
    expect(node.commands()).toContain(ADDON_COREDNS);
    expect(node.commands()).not.toContain(ADDON_ALL);
    expect(node.kubeProxyImage()).toBeUndefined();
  });
});
