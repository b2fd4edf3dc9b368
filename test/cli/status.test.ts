/**
 * k2 status: a running cluster next to its spec (examples/aws-ha: cluster prod-usw2, pools
 * general, spot and gpu).
 *
 * Test double: no Kubernetes API server runs on these machines. test/support/kube-replay.ts
 * replays recorded API responses over TLS on 127.0.0.1 (GET /api/v1/nodes and /api/v1/pods, with
 * paging, 401 and 403 as the API server answers them). Everything else is real: statusCommand
 * and its commander wiring, @kubernetes/client-node with a kubeconfig file (CA, token, contexts),
 * TLS verification, JSON deserialization into V1Node and V1Pod.
 *
 * Where the fixtures (test/fixtures/kube-api/) come from: their shape is that of API responses
 * recorded from real clusters, adapted only in names, labels, versions and counts to prod-usw2:
 * - NodeList: replicatedhq/troubleshoot, real-support-bundles/support-bundle-2025-09-11T15_54_39/
 *   cluster-resources/nodes.json (Kubernetes 1.33: field order, managedFields, conditions,
 *   nodeInfo with an empty kubeProxyVersion, runtimeHandlers, features, quantities such as
 *   "8146056Ki" and "50125951961"), with the field managers of a kubeadm cluster (kubelet,
 *   kubeadm, kube-controller-manager) as a kind 1.27 node's raw GET /api/v1/nodes/<name> shows
 *   them; a NotReady node is what the node lifecycle controller writes (Ready=Unknown,
 *   NodeStatusUnknown, unreachable taints).
 * - PodList: the same support bundle's cluster-resources/pods/kube-system.json (a Running
 *   ReplicaSet pod, a Succeeded Job pod) and pkg/analyze/files/pods/message-pending-pod-resources.json
 *   (a Pending pod, Unschedulable, with kube-scheduler's managedFields).
 * - The unknown-pool node's "1930m" allocatable CPU and "3928236Ki" memory are a 2-core node with
 *   kubelet reservations, as EKS's t3.medium nodes report them.
 * The Status bodies of 401 and 403 are the API server's, word for word.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { V1NodeList } from "@kubernetes/client-node" with { "resolution-mode": "import" };
import { Command, CommanderError } from "commander";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { kubeconfigFiles, registerStatusCommand, statusCommand, type StatusOptions } from "../../lib/cli/status";
import { clusterStatus, kubeletVersionSkew, parseQuantity } from "../../lib/kubernetes/status";
import { loadClusterFiles } from "../../lib/spec";
import { createCertificateAuthority } from "../../lib/pki";
import { KUBE_API_FIXTURES, startKubeReplay, type KubeReplay, type ReplayScenario } from "../support/kube-replay";
import { EXAMPLES, REPO_ROOT } from "../util";

const HEALTHY: ReplayScenario = { nodes: "nodes-healthy.json", pods: "pods.json" };
const DRIFTED: ReplayScenario = { nodes: "nodes-drifted.json", pods: "pods.json" };
const UNKNOWN_POOL: ReplayScenario = { nodes: "nodes-unknown-pool.json", pods: "pods.json" };
const GIB = 2 ** 30;

const work = mkdtempSync(join(tmpdir(), "k2-status-"));
const kubeconfig = join(work, "prod-usw2.kubeconfig");
let replay: KubeReplay;

beforeAll(async () => {
  replay = await startKubeReplay(HEALTHY);
  replay.writeKubeconfig(kubeconfig);
});
afterAll(async () => {
  await replay.close();
});
afterEach(() => {
  replay.play(HEALTHY);
  replay.requests.length = 0;
});

class Capture extends Writable {
  text = "";
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString("utf8");
    done();
  }
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function status(options: Partial<StatusOptions> = {}, files: readonly string[] = [EXAMPLES.awsHa], tty = false): Promise<Run> {
  const stdout = new Capture(false);
  const stderr = new Capture(tty);
  const io = { stdout: stdout as unknown as NodeJS.WriteStream, stderr: stderr as unknown as NodeJS.WriteStream };
  const code = await statusCommand(files, { format: "text", kubeconfig, ...options }, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

async function statusJson(options: Partial<StatusOptions> = {}): Promise<{ code: number; json: StatusDocument }> {
  const run = await status({ ...options, format: "json" });
  expect(run.stderr).toBe("");
  return { code: run.code, json: JSON.parse(run.stdout) as StatusDocument };
}

interface ResourcesJson {
  cpuCores: number;
  memoryGib: number;
  memoryBytes: number;
  pods: number;
}
interface NodeJson {
  name: string;
  ready: string;
  kubeletVersion: string;
  versionSkew?: string;
  capacity: ResourcesJson;
  allocatable: ResourcesJson;
  reason?: string;
  poolLabel?: string;
}
interface StatusDocument {
  cluster: string;
  kubernetesVersion: string;
  api: { server: string; context: string; kubeconfig: string };
  matchesSpec: boolean;
  pools: { name: string; role: string; kubernetesVersion: string; spec: { minSize: number; desiredSize: number; maxSize: number }; nodeCount: number; readyNodes: number; capacity: ResourcesJson; allocatable: ResourcesJson; nodes: NodeJson[] }[];
  unknownNodes: NodeJson[];
  totals: { nodes: number; readyNodes: number; capacity: ResourcesJson; allocatable: ResourcesJson };
  pods: { total: number; phases: Record<string, number>; namespaces: { namespace: string; total: number; phases: Record<string, number> }[] };
  differences: { kind: string; subject: string; message: string }[];
}

/** The error is one line, the program's own words, no stack trace. */
function oneLine(run: Run): string {
  expect(run.stdout).toBe("");
  expect(run.stderr.endsWith("\n"), run.stderr).toBe(true);
  expect(run.stderr.trimEnd().split("\n"), run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  return run.stderr.trimEnd();
}

/** The aws-ha example with some fields changed, written to a file. */
function specWith(name: string, change: (spec: { kubernetes: { version: string }; nodePools: { name: string; maxSize: number; kubernetesVersion?: string }[] }) => void): string {
  const document = parse(readFileSync(EXAMPLES.awsHa, "utf8")) as { spec: Parameters<typeof change>[0] };
  change(document.spec);
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, stringify(document));
  return path;
}

describe("k2 status against a healthy cluster", () => {
  it("groups nodes by pool with readiness, kubelet version and allocatable/capacity, and exits 0", async () => {
    const run = await status();

    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("prod-usw2: 9 nodes, 9 ready; the spec asks for Kubernetes 1.36");
    expect(lines).toContain("control-plane  3 nodes (spec: 3 replicas)  kubelet 1.36");
    expect(lines).toContain("general  3 nodes (spec: min 3, desired 3, max 10)  kubelet 1.36");
    expect(lines).toContain("spot  2 nodes (spec: min 0, desired 2, max 20)  kubelet 1.36");
    expect(lines).toContain("gpu  1 node (spec: min 0, desired 0, max 4)  kubelet 1.36");
    // 15920136Ki allocatable of 16022536Ki: 15.2 of 15.3 GiB.
    expect(lines.find((line) => line.startsWith("  ip-10-0-5-141 "))).toMatch(/^ {2}ip-10-0-5-141 +Ready +v1\.36\.3 +4\/4 +15\.2\/15\.3 +110\/110$/);
    expect(lines.find((line) => line.startsWith("  ip-10-0-70-66 "))).toMatch(/Ready +v1\.36\.3 +4\/4 +15\.3\/15\.4 +110\/110$/);
    expect(run.stdout).toMatch(/cluster {2}9 nodes, 9 ready {2}cpu 36\/36 cores/);
    expect(run.stdout).toContain("pods  7: Running 4, Pending 1, Succeeded 1, Failed 1");
    expect(lines.find((line) => line.startsWith("  kube-system "))).toMatch(/^ {2}kube-system +3 +0 +0 +0 +0 +3$/);
    expect(lines.find((line) => line.startsWith("  batch "))).toMatch(/^ {2}batch +0 +0 +1 +1 +0 +2$/);
    expect(run.stdout.trimEnd().endsWith("✔ the cluster matches its spec")).toBe(true);
  });

  it("lists nodes and pods once each (cluster-wide) when everything fits in a page", async () => {
    await status();

    expect(replay.requests.map((request) => `${request.method} ${request.path}?limit=${request.query.limit ?? ""}`)).toEqual(["GET /api/v1/nodes?limit=500", "GET /api/v1/pods?limit=500"]);
  });

  it("follows the API's continue tokens through every page", async () => {
    const { code, json } = await statusJson({ pageSize: 2 });

    expect(code).toBe(0);
    expect(json.totals.nodes).toBe(9);
    expect(json.pods.total).toBe(7);
    const nodePages = replay.requests.filter((request) => request.path === "/api/v1/nodes");
    expect(nodePages).toHaveLength(5);
    expect(nodePages[0]!.query.continue).toBeUndefined();
    expect(nodePages.slice(1).every((request) => request.query.continue !== undefined && request.query.limit === "2")).toBe(true);
  });

  it("writes JSON with pools, nodes, totals, pods per namespace and no differences", async () => {
    const { code, json } = await statusJson();

    expect(code).toBe(0);
    expect(json).toMatchObject({ cluster: "prod-usw2", kubernetesVersion: "1.36", matchesSpec: true, differences: [], unknownNodes: [] });
    expect(json.api).toEqual({ server: replay.server, context: "prod-usw2-admin", kubeconfig });
    expect(json.pools.map((pool) => [pool.name, pool.role, pool.nodeCount, pool.readyNodes])).toEqual([
      ["control-plane", "control-plane", 3, 3],
      ["general", "worker", 3, 3],
      ["spot", "worker", 2, 2],
      ["gpu", "worker", 1, 1],
    ]);
    const spot = json.pools.find((pool) => pool.name === "spot")!;
    expect(spot.spec).toEqual({ minSize: 0, desiredSize: 2, maxSize: 20 });
    // ip-10-0-12-88 (16013396Ki) and ip-10-0-51-9 (15896920Ki), each less 100Mi of eviction threshold.
    expect(spot.capacity.memoryBytes).toBe((16013396 + 15896920) * 1024);
    expect(spot.allocatable.memoryBytes).toBe((16013396 + 15896920 - 2 * 102400) * 1024);
    expect(spot.capacity).toMatchObject({ cpuCores: 8, pods: 220, memoryGib: 30.43 });
    expect(json.totals).toMatchObject({ nodes: 9, readyNodes: 9 });
    expect(json.totals.capacity.cpuCores).toBe(36);
    expect(json.totals.capacity.pods).toBe(990);
    const node = json.pools[1]!.nodes[0]!;
    expect(node).toMatchObject({ name: "ip-10-0-5-141", ready: "True", kubeletVersion: "v1.36.3", cordoned: false, pressure: [] });
    expect(node.versionSkew).toBeUndefined();
    expect(json.pods.phases).toEqual({ Running: 4, Pending: 1, Succeeded: 1, Failed: 1, Unknown: 0 });
    expect(json.pods.namespaces.map((namespace) => [namespace.namespace, namespace.total])).toEqual([
      ["batch", 2],
      ["kube-system", 3],
      ["web", 2],
    ]);
  });

  it("shows a progress line on a terminal's stderr, and erases it before the report", async () => {
    const run = await status({}, [EXAMPLES.awsHa], true);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`listing the nodes and pods of prod-usw2 at ${replay.server} (context prod-usw2-admin)`);
    expect(run.stderr.endsWith("\r\x1b[2K")).toBe(true);
  });
});

describe("k2 status when the cluster differs from its spec", () => {
  it("reports a NotReady node, a kubelet of another minor and a pool above maxSize, and exits 3", async () => {
    replay.play(DRIFTED);
    const run = await status();

    expect(run.code).toBe(3);
    expect(run.stdout).toContain("general  3 nodes (spec: min 3, desired 3, max 10), 2 ready  kubelet 1.36");
    expect(run.stdout).toContain("gpu  5 nodes (spec: min 0, desired 0, max 4)  kubelet 1.36");
    expect(run.stdout).toMatch(/ip-10-0-40-17 +NotReady +v1\.36\.3/);
    expect(run.stdout).toMatch(/ip-10-0-77-203 +Ready +v1\.35\.6/);
    const differences = run.stdout.slice(run.stdout.indexOf("✖"));
    expect(differences.trimEnd().split("\n")).toEqual([
      "✖ 3 differences from the spec:",
      "  - node ip-10-0-40-17 (general) is not ready (Ready=Unknown: NodeStatusUnknown: Kubelet stopped posting node status.)",
      "  - node ip-10-0-77-203 (general) runs kubelet v1.35.6, a different minor than the spec's 1.36",
      "  - pool gpu has 5 nodes; the spec allows 0 to 4",
    ]);
  });

  it("gives the same differences in JSON", async () => {
    replay.play(DRIFTED);
    const { code, json } = await statusJson();

    expect(code).toBe(3);
    expect(json.matchesSpec).toBe(false);
    expect(json.differences.map((difference) => [difference.kind, difference.subject])).toEqual([
      ["node-not-ready", "ip-10-0-40-17"],
      ["version-skew", "ip-10-0-77-203"],
      ["pool-size", "gpu"],
    ]);
    expect(json.totals).toMatchObject({ nodes: 13, readyNodes: 12 });
    expect(json.pools.find((pool) => pool.name === "general")!.nodes.find((node) => node.name === "ip-10-0-77-203")!.versionSkew).toBe("minor");
  });

  it("flags nodes of a pool the spec does not have, with their own resources", async () => {
    replay.play(UNKNOWN_POOL);
    const run = await status();

    expect(run.code).toBe(3);
    expect(run.stdout).toContain("nodes of no pool in the spec");
    expect(run.stdout).toMatch(/ip-10-0-9-250 +Ready +v1\.36\.3 +1\.93\/2 +3\.2\/3\.7 +110\/110 +pool batch is not in the spec/);
    expect(run.stdout).toContain("  - node ip-10-0-9-250 belongs to no pool of the spec: pool batch is not in the spec");

    const { json } = await statusJson();
    expect(json.unknownNodes).toHaveLength(1);
    const node = json.unknownNodes[0]!;
    expect(node).toMatchObject({ name: "ip-10-0-9-250", poolLabel: "batch", reason: "pool batch is not in the spec" });
    // "1930m" of "2" cores; "3373228Ki" of "3928236Ki".
    expect(node.allocatable.cpuCores).toBe(1.93);
    expect(node.capacity.cpuCores).toBe(2);
    expect(node.capacity.memoryBytes).toBe(3928236 * 1024);
    expect(node.allocatable.memoryBytes).toBe(3373228 * 1024);
    expect(json.totals.allocatable.cpuCores).toBe(37.93);
    expect(json.pools.every((pool) => pool.nodes.every((poolNode) => poolNode.name !== "ip-10-0-9-250"))).toBe(true);
  });

  it("flags a patch difference only when the spec pins a patch", async () => {
    const pinned = specWith("pinned-patch", (spec) => {
      spec.kubernetes.version = "1.36.2";
    });
    const { code, json } = await statusJson();
    expect(code).toBe(0);
    expect(json.differences).toEqual([]);

    const run = await status({ format: "json" }, [pinned]);
    expect(run.code).toBe(3);
    const differences = (JSON.parse(run.stdout) as StatusDocument).differences;
    expect(differences).toHaveLength(9);
    expect(differences.every((difference) => difference.kind === "version-skew")).toBe(true);
    expect(differences[0]!.message).toBe("node ip-10-0-0-20 (control-plane) runs kubelet v1.36.3, a different patch than the spec's 1.36.2");
  });

  it("compares a pool with its own kubernetesVersion", async () => {
    const behind = specWith("pool-behind", (spec) => {
      spec.nodePools.find((pool) => pool.name === "spot")!.kubernetesVersion = "1.35";
    });
    const run = await status({ format: "json" }, [behind]);

    expect(run.code).toBe(3);
    const document = JSON.parse(run.stdout) as StatusDocument;
    expect(document.pools.find((pool) => pool.name === "spot")!.kubernetesVersion).toBe("1.35");
    expect(document.differences.map((difference) => difference.subject)).toEqual(["ip-10-0-12-88", "ip-10-0-51-9"]);
  });
});

describe("k2 status when the cluster cannot be read", () => {
  it("says the API server refuses connections, in one line, exit 1", async () => {
    const closed = join(work, "closed.kubeconfig");
    // Port 1 on loopback: nothing listens there.
    replay.writeKubeconfig(closed, { server: "https://127.0.0.1:1" });

    const run = await status({ kubeconfig: closed });

    expect(run.code).toBe(1);
    expect(oneLine(run)).toBe("k2 status: cannot reach the API server at https://127.0.0.1:1 (context prod-usw2-admin): connection refused (is the API server, or its load balancer, up at this address?)");
  });

  it("says the server's certificate is not signed by the kubeconfig's CA", async () => {
    const other = await createCertificateAuthority({ commonName: "another-ca", validityDays: 1 });
    const wrongCa = join(work, "wrong-ca.kubeconfig");
    replay.writeKubeconfig(wrongCa, { caPem: other.certificatePem });

    const run = await status({ kubeconfig: wrongCa });

    expect(run.code).toBe(1);
    expect(oneLine(run)).toMatch(new RegExp(`^k2 status: TLS with the API server at ${replay.server.replace(/\./g, "\\.")} \\(context prod-usw2-admin\\) failed: its certificate is not signed by the kubeconfig's certificate authority \\(.+\\)$`));
  });

  it("says which permission is missing when pods may not be listed (403)", async () => {
    replay.play({ ...HEALTHY, forbidden: ["pods"] });

    const run = await status();

    expect(run.code).toBe(1);
    expect(oneLine(run)).toBe(
      `k2 status: not allowed to list pods in all namespaces (HTTP 403: pods is forbidden: User "${replay.user}" cannot list resource "pods" in API group "" at the cluster scope); k2 status needs list on nodes and on pods in all namespaces`,
    );
    expect(replay.requests.map((request) => request.path)).toEqual(["/api/v1/nodes", "/api/v1/pods"]);
  });

  it("says the same of nodes (403), before asking for pods", async () => {
    replay.play({ ...HEALTHY, forbidden: ["nodes", "pods"] });

    const run = await status();

    expect(run.code).toBe(1);
    expect(oneLine(run)).toContain('not allowed to list nodes (HTTP 403: nodes is forbidden: User "');
    expect(replay.requests.map((request) => request.path)).toEqual(["/api/v1/nodes"]);
  });

  it("says the credentials are refused (401)", async () => {
    const badToken = join(work, "bad-token.kubeconfig");
    replay.writeKubeconfig(badToken, { token: "expired-token" });

    const run = await status({ kubeconfig: badToken });

    expect(run.code).toBe(1);
    expect(oneLine(run)).toBe(`k2 status: the API server at ${replay.server} refused the credentials of context prod-usw2-admin (HTTP 401 Unauthorized): the token or client certificate is missing, invalid or expired`);
  });

  it("gives up after --timeout when the server accepts connections and never answers", async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = `https://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const blackhole = join(work, "silent.kubeconfig");
    replay.writeKubeconfig(blackhole, { server: address });
    try {
      const started = Date.now();
      const run = await status({ kubeconfig: blackhole, timeout: "1" });

      expect(run.code).toBe(1);
      expect(oneLine(run)).toBe(`k2 status: the API server at ${address} (context prod-usw2-admin) did not answer within 1s: is a firewall or security group dropping the traffic? (--timeout sets the wait)`);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });

  it("leaves no connection behind after --timeout: the built k2's process ends at once", async () => {
    // Without destroying the sockets, node would wait for the silent server to hang up.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const blackhole = join(work, "silent-process.kubeconfig");
    replay.writeKubeconfig(blackhole, { server: `https://127.0.0.1:${(silent.address() as AddressInfo).port}` });
    const script = `require(${JSON.stringify(join(REPO_ROOT, "dist/lib/cli/status.js"))}).statusCommand([${JSON.stringify(EXAMPLES.awsHa)}], { format: "text", kubeconfig: ${JSON.stringify(blackhole)}, timeout: "1" }).then((code) => { process.exitCode = code; })`;
    try {
      const started = Date.now();
      const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));

      expect(code, stderr).toBe(1);
      expect(stderr).toContain("did not answer within 1s");
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      silent.close();
    }
  }, 20_000);

  it("says the kubeconfig does not exist", async () => {
    const missing = join(work, "nowhere", "admin.conf");

    const run = await status({ kubeconfig: missing });

    expect(run.code).toBe(1);
    expect(oneLine(run)).toBe(`k2 status: kubeconfig ${missing} (--kubeconfig) does not exist`);
  });

  it("says the kubeconfig is not one", async () => {
    const broken = join(work, "broken.kubeconfig");
    writeFileSync(broken, "clusters: [unclosed\n");

    const run = await status({ kubeconfig: broken });

    expect(run.code).toBe(1);
    expect(oneLine(run)).toMatch(new RegExp(`^k2 status: kubeconfig ${broken} \\(--kubeconfig\\) is not a usable kubeconfig: `));
  });

  it("names the contexts there are when --context is not one of them", async () => {
    const run = await status({ context: "staging" });

    expect(run.code).toBe(1);
    expect(oneLine(run)).toBe(`k2 status: kubeconfig ${kubeconfig} has no context staging (it has: prod-usw2-admin)`);
  });

  it("refuses an invalid spec with its problems, exit 1, without calling the API", async () => {
    const invalid = specWith("invalid", (spec) => {
      spec.nodePools[0]!.maxSize = 1;
    });

    const run = await status({}, [invalid]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("spec.nodePools[0].maxSize");
    expect(replay.requests).toEqual([]);
  });

  it("refuses a --timeout that is not a number of seconds (usage, exit 2)", async () => {
    const run = await status({ timeout: "soon" });

    expect(run.code).toBe(2);
    expect(oneLine(run)).toBe("k2 status: --timeout must be a number of seconds above 0, got soon");
  });
});

describe("which kubeconfig k2 status reads", () => {
  const home = join(work, "home");
  mkdirSync(join(home, ".kube"), { recursive: true });

  it("takes --kubeconfig first, then ~/.kube/<cluster>.yaml, then every file of KUBECONFIG", () => {
    expect(kubeconfigFiles("prod-usw2", "~/admin.conf", {}, home)).toEqual({ files: [join(home, "admin.conf")], from: "--kubeconfig" });
    expect(kubeconfigFiles("prod-usw2", undefined, { KUBECONFIG: "/a/one:/b/two" }, home)).toEqual({ files: ["/a/one", "/b/two"], from: "KUBECONFIG" });
    writeFileSync(join(home, ".kube", "prod-usw2.yaml"), "");
    expect(kubeconfigFiles("prod-usw2", undefined, { KUBECONFIG: "/a/one" }, home)).toEqual({ files: [join(home, ".kube", "prod-usw2.yaml")], from: "~/.kube/prod-usw2.yaml" });
  });

  it("says where it looked when there is none", () => {
    expect(() => kubeconfigFiles("staging", undefined, {}, home)).toThrow(`no kubeconfig for cluster staging: ${join(home, ".kube", "staging.yaml")} does not exist and KUBECONFIG is not set; pass --kubeconfig`);
  });

  it("reads ~/.kube/<cluster>.yaml, the addons stack's kubeconfig, without --kubeconfig", async () => {
    const ownHome = mkdtempSync(join(work, "home-"));
    mkdirSync(join(ownHome, ".kube"));
    replay.writeKubeconfig(join(ownHome, ".kube", "prod-usw2.yaml"));
    const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
    process.env.HOME = ownHome;
    delete process.env.KUBECONFIG;
    try {
      const { code, json } = await statusJson({ kubeconfig: undefined });

      expect(code).toBe(0);
      expect(json.api.kubeconfig).toBe(join(ownHome, ".kube", "prod-usw2.yaml"));
    } finally {
      process.env.HOME = saved.HOME;
      if (saved.KUBECONFIG !== undefined) process.env.KUBECONFIG = saved.KUBECONFIG;
    }
  });
});

describe("the k2 status command line", () => {
  async function parseStatus(args: readonly string[]): Promise<{ exitCode: number | undefined; stdout: string; stderr: string; help: string }> {
    const stdout = new Capture(false);
    const stderr = new Capture(false);
    let help = "";
    const program = new Command("k2").exitOverride().configureOutput({ writeOut: (text) => (help += text), writeErr: (text) => (help += text) });
    registerStatusCommand(program, { stdout: stdout as unknown as NodeJS.WriteStream, stderr: stderr as unknown as NodeJS.WriteStream });
    const saved = process.exitCode;
    process.exitCode = undefined;
    try {
      await program.parseAsync(["status", ...args], { from: "user" });
      return { exitCode: process.exitCode as number | undefined, stdout: stdout.text, stderr: stderr.text, help };
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      return { exitCode: error.exitCode, stdout: stdout.text, stderr: stderr.text, help };
    } finally {
      process.exitCode = saved;
    }
  }

  it("documents the exit codes and the kubeconfig it reads in --help", async () => {
    const { help } = await parseStatus(["--help"]);

    expect(help).toContain("Usage: k2 status [options] <files...>");
    for (const option of ["--kubeconfig <path>", "--context <name>", "--timeout <seconds>", "--name <cluster>"]) expect(help).toContain(option);
    expect(help).toMatch(/--format <format> +output format \(choices: "text", "json", default: "text"\)/);
    expect(help).toMatch(/ {2}0 {2}the cluster matches its spec/);
    expect(help).toMatch(/ {2}1 {2}a problem: the kubeconfig is missing or unreadable, the API server cannot be reached/);
    expect(help).toMatch(/ {2}3 {2}the cluster differs from its spec/);
    expect(help).toContain("~/.kube/<cluster>.yaml");
  });

  it("runs with the options as typed and sets the exit code", async () => {
    replay.play(DRIFTED);
    const run = await parseStatus([EXAMPLES.awsHa, "--kubeconfig", kubeconfig, "--context", "prod-usw2-admin", "--format", "json"]);

    expect(run.exitCode).toBe(3);
    expect((JSON.parse(run.stdout) as StatusDocument).differences).toHaveLength(3);
  });

  it("refuses a format it does not know, before reading anything", async () => {
    const run = await parseStatus([EXAMPLES.awsHa, "--format", "yaml"]);

    // Commander's own error: main.ts's run() turns it into exit 2 (usage).
    expect(run.help).toContain("argument 'yaml' is invalid. Allowed choices are text, json.");
    expect(run.stdout).toBe("");
    expect(replay.requests).toEqual([]);
  });
});

describe("clusterStatus, quantities and versions", () => {
  it("places nodes without kraken's pool label, or labelled for another cluster, outside every pool", async () => {
    const [cluster] = loadClusterFiles([EXAMPLES.awsHa]);
    // As client-node deserializes the API's answer.
    const { loadYaml } = await import("@kubernetes/client-node");
    const list = loadYaml<V1NodeList>(readFileSync(join(KUBE_API_FIXTURES, "nodes-healthy.json"), "utf8"));
    const labelsOf = (name: string): Record<string, string> => list.items.find((node) => node.metadata?.name === name)!.metadata!.labels!;
    delete labelsOf("ip-10-0-5-141")["kraken.dev/pool"];
    labelsOf("ip-10-0-0-20")["kraken.dev/cluster"] = "staging-usw2";

    const status = clusterStatus(cluster!, list.items, []);

    expect(status.unknownNodes.map((node) => [node.name, node.reason])).toEqual([
      ["ip-10-0-0-20", "labelled for cluster staging-usw2 (kraken.dev/cluster)"],
      ["ip-10-0-5-141", "no kraken.dev/pool label: not joined by kraken's bootstrap"],
    ]);
    // Both pools lost a node: the control plane is now below its replicas, general below minSize.
    expect(status.differences.map((difference) => `${difference.kind} ${difference.subject}`)).toEqual(["pool-size control-plane", "pool-size general", "unknown-pool ip-10-0-0-20", "unknown-pool ip-10-0-5-141"]);
    expect(status.differences[0]!.message).toBe("the control plane has 2 nodes; spec.controlPlane.replicas is 3");
    expect(status.pods).toEqual({ total: 0, phases: { Running: 0, Pending: 0, Succeeded: 0, Failed: 0, Unknown: 0 }, namespaces: [] });
  });

  it("reads Kubernetes quantities in base units", () => {
    expect(parseQuantity("3928236Ki")).toBe(3928236 * 1024);
    expect(parseQuantity("16Gi")).toBe(16 * GIB);
    expect(parseQuantity("1930m")).toBeCloseTo(1.93, 12);
    expect(parseQuantity("4")).toBe(4);
    expect(parseQuantity("110")).toBe(110);
    expect(parseQuantity("46651591065")).toBe(46651591065);
    expect(parseQuantity("500M")).toBe(500e6);
    expect(parseQuantity("1k")).toBe(1000);
    expect(parseQuantity("1e3")).toBe(1000);
    expect(parseQuantity("0.5")).toBe(0.5);
    expect(parseQuantity("250u")).toBeCloseTo(0.00025, 12);
    expect(parseQuantity("1.5Gi")).toBe(1.5 * GIB);
    for (const text of ["", "Ki", "4 cores", "16GB", "1.2.3"]) expect(parseQuantity(text), text).toBeUndefined();
  });

  it("compares kubelet versions by minor, and by patch when the spec pins one", () => {
    expect(kubeletVersionSkew("v1.36.3", "1.36")).toBeUndefined();
    expect(kubeletVersionSkew("v1.35.6", "1.36")).toBe("minor");
    expect(kubeletVersionSkew("v1.37.0", "1.36")).toBe("minor");
    expect(kubeletVersionSkew("v1.36.3", "1.36.3")).toBeUndefined();
    expect(kubeletVersionSkew("v1.36.3", "1.36.2")).toBe("patch");
    expect(kubeletVersionSkew("v1.33.4+k3s1", "1.33")).toBeUndefined();
    expect(kubeletVersionSkew("v1.29.15-eks-4b8f6f1", "1.29.15")).toBeUndefined();
    expect(kubeletVersionSkew("", "1.36")).toBe("unparsable");
  });
});

describe("the built k2", () => {
  it("has the status command, with its exit codes in --help, and fails in one line without a kubeconfig", async () => {
    const { runK2 } = await import("../util.js");
    const help = runK2(["status", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Exit codes/);
    const missing = runK2(["status", EXAMPLES.awsHa, "--kubeconfig", join(tmpdir(), "k2-no-such-kubeconfig.yaml")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/kubeconfig/);
  });
});
