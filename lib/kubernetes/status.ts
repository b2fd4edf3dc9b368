/**
 * What a running cluster looks like next to its spec: nodes grouped by pool (the labels our
 * bootstrap sets, lib/bootstrap/user-data.ts NODE_LABELS), their readiness and kubelet versions,
 * capacity and allocatable per node, pool and cluster, pool sizes against min/max, nodes of no
 * pool the spec knows, and pods per namespace by phase. Pure: it reads API objects that the
 * caller listed (lib/cli/status.ts) and knows nothing of how.
 */
import type { V1Node, V1Pod } from "@kubernetes/client-node" with { "resolution-mode": "import" };
import { NODE_LABELS } from "../bootstrap/user-data";
import type { Cluster } from "../spec/types";
import { parseVersion } from "../spec/versions";

/** What kubectl shows as a node's or pool's resources, in base units (cores, bytes, pods). */
export interface Resources {
  readonly cpuCores: number;
  readonly memoryBytes: number;
  readonly pods: number;
}

/** How a node's kubelet differs from the version its pool runs in the spec. */
export type VersionSkew = "minor" | "patch" | "unparsable";

export interface NodeReport {
  readonly name: string;
  /** "True", "False" or "Unknown" (the node controller's value once the kubelet stops posting). */
  readonly ready: "True" | "False" | "Unknown";
  /** Reason and message of the Ready condition when the node is not ready. */
  readonly notReadyReason?: string;
  /** Cordoned (spec.unschedulable): shown, not a difference from the spec. */
  readonly cordoned: boolean;
  /** Pressure conditions that are True (MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable). */
  readonly pressure: readonly string[];
  /** As the kubelet reports it: "v1.36.3". */
  readonly kubeletVersion: string;
  readonly versionSkew?: VersionSkew;
  readonly capacity: Resources;
  readonly allocatable: Resources;
}

export interface PoolReport {
  /** "control-plane" or the node pool's name. */
  readonly name: string;
  readonly role: "control-plane" | "worker";
  /** The kubelet version the spec asks for: spec.kubernetes.version, or the pool's kubernetesVersion. */
  readonly kubernetesVersion: string;
  /** For the control plane, all three are spec.controlPlane.replicas. */
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
  readonly nodes: readonly NodeReport[];
  readonly readyNodes: number;
  readonly capacity: Resources;
  readonly allocatable: Resources;
}

export interface UnknownNodeReport extends NodeReport {
  /** Why the node belongs to no pool of the spec. */
  readonly reason: string;
  /** The node's kraken.dev/pool label, when it has one. */
  readonly poolLabel?: string;
}

export type DifferenceKind = "node-not-ready" | "version-skew" | "pool-size" | "unknown-pool";

/** One way the cluster differs from its spec: any of them makes `k2 status` exit 3. */
export interface Difference {
  readonly kind: DifferenceKind;
  /** The node or pool concerned. */
  readonly subject: string;
  readonly message: string;
}

export const POD_PHASES = ["Running", "Pending", "Succeeded", "Failed", "Unknown"] as const;
export type PodPhase = (typeof POD_PHASES)[number];

export interface NamespacePods {
  readonly namespace: string;
  readonly total: number;
  readonly phases: Readonly<Record<PodPhase, number>>;
}

export interface ClusterStatus {
  readonly cluster: string;
  readonly kubernetesVersion: string;
  /** Control plane first, then the spec's pools in spec order. */
  readonly pools: readonly PoolReport[];
  readonly unknownNodes: readonly UnknownNodeReport[];
  readonly totals: { readonly nodes: number; readonly readyNodes: number; readonly capacity: Resources; readonly allocatable: Resources };
  readonly pods: { readonly total: number; readonly phases: Readonly<Record<PodPhase, number>>; readonly namespaces: readonly NamespacePods[] };
  readonly differences: readonly Difference[];
}

const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * A Kubernetes quantity ("3928236Ki", "16Gi", "1930m", "4", "1e3", "110") in base units;
 * undefined for text that is not one.
 * @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */
export function parseQuantity(text: string): number | undefined {
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([KMGTPE]i)|([eE][+-]?\d+)|([numkMGTPE]?))$/.exec(text.trim());
  if (!match) return undefined;
  const [, number, binary, exponent, decimal] = match;
  const value = Number(number);
  if (binary !== undefined) return value * BINARY_SUFFIXES[binary]!;
  if (exponent !== undefined) return value * 10 ** Number(exponent.slice(1));
  return value * DECIMAL_SUFFIXES[decimal ?? ""]!;
}

function resources(list: { [key: string]: string } | undefined): Resources {
  const read = (key: string): number => parseQuantity(list?.[key] ?? "0") ?? 0;
  return { cpuCores: read("cpu"), memoryBytes: read("memory"), pods: read("pods") };
}

function sum(values: readonly Resources[]): Resources {
  return values.reduce((total, value) => ({ cpuCores: total.cpuCores + value.cpuCores, memoryBytes: total.memoryBytes + value.memoryBytes, pods: total.pods + value.pods }), {
    cpuCores: 0,
    memoryBytes: 0,
    pods: 0,
  });
}

/** Kubelet versions carry a "v" and sometimes a build suffix: "v1.36.3", "v1.33.4+k3s1", "v1.29.15-eks-1a2b3c". */
function kubeletVersionParts(version: string): { minor: string; patch: number } | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  return match ? { minor: `${match[1]!}.${match[2]!}`, patch: Number(match[3]) } : undefined;
}

/** A minor that differs is skew; a patch that differs only counts when the spec pins one ("1.36.2"). */
export function kubeletVersionSkew(kubeletVersion: string, specVersion: string): VersionSkew | undefined {
  const actual = kubeletVersionParts(kubeletVersion);
  const wanted = parseVersion(specVersion);
  if (!actual || !wanted) return "unparsable";
  if (actual.minor !== `${wanted.major}.${wanted.minor}`) return "minor";
  if (wanted.patch !== undefined && actual.patch !== wanted.patch) return "patch";
  return undefined;
}

const PRESSURE_CONDITIONS = ["MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"];

function nodeReport(node: V1Node, specVersion: string | undefined): NodeReport {
  const conditions = node.status?.conditions ?? [];
  const readyCondition = conditions.find((condition) => condition.type === "Ready");
  const ready = readyCondition?.status === "True" ? "True" : readyCondition?.status === "False" ? "False" : "Unknown";
  const kubeletVersion = node.status?.nodeInfo?.kubeletVersion ?? "";
  const versionSkew = specVersion === undefined ? undefined : kubeletVersionSkew(kubeletVersion, specVersion);
  const notReadyReason = readyCondition === undefined ? "no Ready condition" : [readyCondition.reason, readyCondition.message].filter((part) => part !== undefined && part !== "").join(": ");
  return {
    name: node.metadata?.name ?? "",
    ready,
    ...(ready === "True" ? {} : { notReadyReason }),
    cordoned: node.spec?.unschedulable === true,
    pressure: conditions.filter((condition) => PRESSURE_CONDITIONS.includes(condition.type) && condition.status === "True").map((condition) => condition.type),
    kubeletVersion,
    ...(versionSkew === undefined ? {} : { versionSkew }),
    capacity: resources(node.status?.capacity),
    allocatable: resources(node.status?.allocatable),
  };
}

/** Where a node belongs: the control plane, a pool of the spec, or nowhere (and why). */
type Placement = { readonly pool: string } | { readonly unknown: string; readonly poolLabel?: string };

function placement(node: V1Node, cluster: Cluster): Placement {
  const labels = node.metadata?.labels ?? {};
  const clusterLabel = labels[NODE_LABELS.cluster];
  const poolLabel = labels[NODE_LABELS.pool];
  const withLabel = poolLabel === undefined ? {} : { poolLabel };
  if (clusterLabel !== undefined && clusterLabel !== cluster.metadata.name) return { unknown: `labelled for cluster ${clusterLabel} (${NODE_LABELS.cluster})`, ...withLabel };
  if (labels[NODE_LABELS.role] === "control-plane") return { pool: "control-plane" };
  if (poolLabel === undefined) return { unknown: `no ${NODE_LABELS.pool} label: not joined by kraken's bootstrap` };
  if (cluster.spec.nodePools.some((pool) => pool.name === poolLabel)) return { pool: poolLabel };
  return { unknown: `pool ${poolLabel} is not in the spec`, poolLabel };
}

/** Natural order: ip-10-0-5-141 before ip-10-0-40-17. */
function byName<T extends { readonly name: string }>(a: T, b: T): number {
  return a.name.localeCompare(b.name, "en", { numeric: true });
}

function phaseCounts(): Record<PodPhase, number> {
  return { Running: 0, Pending: 0, Succeeded: 0, Failed: 0, Unknown: 0 };
}

function podSummary(pods: readonly V1Pod[]): ClusterStatus["pods"] {
  const namespaces = new Map<string, Record<PodPhase, number>>();
  const phases = phaseCounts();
  for (const pod of pods) {
    const namespace = pod.metadata?.namespace ?? "";
    const reported = pod.status?.phase;
    const phase: PodPhase = (POD_PHASES as readonly string[]).includes(reported ?? "") ? (reported as PodPhase) : "Unknown";
    const counts = namespaces.get(namespace) ?? phaseCounts();
    counts[phase] += 1;
    phases[phase] += 1;
    namespaces.set(namespace, counts);
  }
  return {
    total: pods.length,
    phases,
    namespaces: [...namespaces.entries()]
      .map(([namespace, counts]) => ({ namespace, total: POD_PHASES.reduce((total, phase) => total + counts[phase], 0), phases: counts }))
      .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0)),
  };
}

function nodeDifferences(pool: string, node: NodeReport, kubernetesVersion: string): Difference[] {
  const differences: Difference[] = [];
  if (node.ready !== "True") {
    differences.push({ kind: "node-not-ready", subject: node.name, message: `node ${node.name} (${pool}) is not ready (Ready=${node.ready}${node.notReadyReason ? `: ${node.notReadyReason}` : ""})` });
  }
  if (node.versionSkew !== undefined) {
    const what = node.versionSkew === "minor" ? "a different minor" : node.versionSkew === "patch" ? "a different patch" : "a version k2 cannot read";
    differences.push({ kind: "version-skew", subject: node.name, message: `node ${node.name} (${pool}) runs kubelet ${node.kubeletVersion || "(none reported)"}, ${what} than the spec's ${kubernetesVersion}` });
  }
  return differences;
}

/** The status of `cluster` from the nodes and pods its API server lists. */
export function clusterStatus(cluster: Cluster, nodes: readonly V1Node[], pods: readonly V1Pod[]): ClusterStatus {
  const specPools = [
    { name: "control-plane", role: "control-plane" as const, kubernetesVersion: cluster.spec.kubernetes.version, minSize: cluster.spec.controlPlane.replicas, desiredSize: cluster.spec.controlPlane.replicas, maxSize: cluster.spec.controlPlane.replicas },
    ...cluster.spec.nodePools.map((pool) => ({ name: pool.name, role: "worker" as const, kubernetesVersion: pool.kubernetesVersion, minSize: pool.minSize, desiredSize: pool.desiredSize, maxSize: pool.maxSize })),
  ];
  const members = new Map<string, NodeReport[]>(specPools.map((pool) => [pool.name, []]));
  const unknownNodes: UnknownNodeReport[] = [];
  for (const node of nodes) {
    const where = placement(node, cluster);
    if ("pool" in where) {
      const pool = specPools.find((candidate) => candidate.name === where.pool)!;
      members.get(pool.name)!.push(nodeReport(node, pool.kubernetesVersion));
    } else {
      unknownNodes.push({ ...nodeReport(node, undefined), reason: where.unknown, ...(where.poolLabel === undefined ? {} : { poolLabel: where.poolLabel }) });
    }
  }

  const differences: Difference[] = [];
  const pools: PoolReport[] = specPools.map((pool) => {
    const poolNodes = members.get(pool.name)!.sort(byName);
    for (const node of poolNodes) differences.push(...nodeDifferences(pool.name, node, pool.kubernetesVersion));
    const count = poolNodes.length;
    if (count < pool.minSize || count > pool.maxSize) {
      const bounds = pool.role === "control-plane" ? `spec.controlPlane.replicas is ${pool.minSize}` : `the spec allows ${pool.minSize} to ${pool.maxSize}`;
      differences.push({ kind: "pool-size", subject: pool.name, message: `${pool.role === "control-plane" ? "the control plane" : `pool ${pool.name}`} has ${count} node${count === 1 ? "" : "s"}; ${bounds}` });
    }
    return {
      ...pool,
      nodes: poolNodes,
      readyNodes: poolNodes.filter((node) => node.ready === "True").length,
      capacity: sum(poolNodes.map((node) => node.capacity)),
      allocatable: sum(poolNodes.map((node) => node.allocatable)),
    };
  });
  unknownNodes.sort(byName);
  for (const node of unknownNodes) differences.push({ kind: "unknown-pool", subject: node.name, message: `node ${node.name} belongs to no pool of the spec: ${node.reason}` });

  const allNodes = [...pools.flatMap((pool) => pool.nodes), ...unknownNodes];
  return {
    cluster: cluster.metadata.name,
    kubernetesVersion: cluster.spec.kubernetes.version,
    pools,
    unknownNodes,
    totals: {
      nodes: allNodes.length,
      readyNodes: allNodes.filter((node) => node.ready === "True").length,
      capacity: sum(allNodes.map((node) => node.capacity)),
      allocatable: sum(allNodes.map((node) => node.allocatable)),
    },
    pods: podSummary(pods),
    differences,
  };
}

// ---- rendering ------------------------------------------------------------------------------

/** The colors rendering uses; lib/cli/style's Style fits (and paints nothing off a TTY). */
export interface Painter {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
}

/** Where the status was read from, for the heading and the JSON's `api`. */
export interface StatusSource {
  readonly server: string;
  readonly context: string;
  readonly kubeconfig: string;
}

const GIB = 2 ** 30;

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function resourcesJson(value: Resources): { cpuCores: number; memoryGib: number; memoryBytes: number; pods: number } {
  return { cpuCores: round(value.cpuCores, 3), memoryGib: round(value.memoryBytes / GIB, 2), memoryBytes: Math.round(value.memoryBytes), pods: value.pods };
}

function nodeJson(node: NodeReport): Record<string, unknown> {
  return { ...node, capacity: resourcesJson(node.capacity), allocatable: resourcesJson(node.allocatable) };
}

/** The JSON document of `k2 status --format json` (docs/status.md). */
export function statusJson(status: ClusterStatus, source?: StatusSource): Record<string, unknown> {
  return {
    cluster: status.cluster,
    kubernetesVersion: status.kubernetesVersion,
    ...(source === undefined ? {} : { api: source }),
    matchesSpec: status.differences.length === 0,
    pools: status.pools.map((pool) => ({
      name: pool.name,
      role: pool.role,
      kubernetesVersion: pool.kubernetesVersion,
      spec: { minSize: pool.minSize, desiredSize: pool.desiredSize, maxSize: pool.maxSize },
      nodeCount: pool.nodes.length,
      readyNodes: pool.readyNodes,
      capacity: resourcesJson(pool.capacity),
      allocatable: resourcesJson(pool.allocatable),
      nodes: pool.nodes.map(nodeJson),
    })),
    unknownNodes: status.unknownNodes.map(nodeJson),
    totals: { nodes: status.totals.nodes, readyNodes: status.totals.readyNodes, capacity: resourcesJson(status.totals.capacity), allocatable: resourcesJson(status.totals.allocatable) },
    pods: status.pods,
    differences: status.differences,
  };
}

export function renderStatusJson(status: ClusterStatus, source?: StatusSource): string {
  return `${JSON.stringify(statusJson(status, source), null, 2)}\n`;
}

/** "4", "3.93", "0.5": cores with at most two decimals. */
function cores(value: number): string {
  return String(round(value, 2));
}

function gib(bytes: number): string {
  return (bytes / GIB).toFixed(1);
}

interface Cell {
  readonly text: string;
  readonly paint?: (text: string) => string;
}

/** Left-aligned columns; colors go on after padding so that they do not count as width. */
function table(rows: readonly (readonly (Cell | string)[])[], indent: string): string[] {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === "string" ? { text: cell } : cell)));
  const widths: number[] = [];
  for (const row of cells) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.text.length)));
  return cells.map((row) =>
    `${indent}${row
      .map((cell, index) => {
        const padded = index === row.length - 1 ? cell.text : cell.text.padEnd(widths[index]!);
        return cell.paint ? cell.paint(padded) : padded;
      })
      .join("  ")}`.trimEnd(),
  );
}

function allocatableOfCapacity(allocatable: Resources, capacity: Resources): string[] {
  return [`${cores(allocatable.cpuCores)}/${cores(capacity.cpuCores)}`, `${gib(allocatable.memoryBytes)}/${gib(capacity.memoryBytes)}`, `${allocatable.pods}/${capacity.pods}`];
}

function nodeStatusCell(node: NodeReport, paint: Painter): Cell {
  // As kubectl shows it: NotReady whether the kubelet says so or has stopped posting (Unknown).
  const parts = [node.ready === "True" ? "Ready" : "NotReady", ...(node.cordoned ? ["SchedulingDisabled"] : []), ...node.pressure];
  return { text: parts.join(","), paint: node.ready === "True" ? (node.pressure.length > 0 ? paint.yellow : paint.green) : paint.red };
}

function versionCell(node: NodeReport, paint: Painter): Cell {
  return { text: node.kubeletVersion || "-", ...(node.versionSkew === undefined ? {} : { paint: paint.red }) };
}

const NODE_HEADER = ["NODE", "STATUS", "KUBELET", "CPU alloc/cap", "MEMORY GiB alloc/cap", "PODS alloc/cap"];

function poolHeading(pool: PoolReport, paint: Painter): string {
  const count = pool.nodes.length;
  const outside = count < pool.minSize || count > pool.maxSize;
  const spec = pool.role === "control-plane" ? `spec: ${pool.minSize} replicas` : `spec: min ${pool.minSize}, desired ${pool.desiredSize}, max ${pool.maxSize}`;
  const nodes = `${count} node${count === 1 ? "" : "s"} (${spec})`;
  const ready = pool.readyNodes === count ? "" : `, ${pool.readyNodes} ready`;
  return `${paint.bold(pool.name)}  ${outside ? paint.red(nodes) : nodes}${ready}  ${paint.dim(`kubelet ${pool.kubernetesVersion}`)}`;
}

/** The text of `k2 status`: one table of nodes per pool, the totals, pods per namespace, and the differences. */
export function renderStatusText(status: ClusterStatus, paint: Painter, source?: StatusSource): string {
  const lines: string[] = [];
  lines.push(`${paint.bold(status.cluster)}: ${status.totals.nodes} node${status.totals.nodes === 1 ? "" : "s"}, ${status.totals.readyNodes} ready; the spec asks for Kubernetes ${status.kubernetesVersion}`);
  if (source) lines.push(paint.dim(`API ${source.server} (context ${source.context}, kubeconfig ${source.kubeconfig})`));
  for (const pool of status.pools) {
    lines.push("", poolHeading(pool, paint));
    if (pool.nodes.length === 0) continue;
    lines.push(
      ...table(
        [
          NODE_HEADER.map((text) => ({ text, paint: paint.dim })),
          ...pool.nodes.map((node) => [node.name, nodeStatusCell(node, paint), versionCell(node, paint), ...allocatableOfCapacity(node.allocatable, node.capacity)]),
          [{ text: "total", paint: paint.dim }, "", "", ...allocatableOfCapacity(pool.allocatable, pool.capacity)],
        ],
        "  ",
      ),
    );
  }
  if (status.unknownNodes.length > 0) {
    lines.push("", paint.bold(paint.red("nodes of no pool in the spec")));
    lines.push(
      ...table(
        [
          [...NODE_HEADER, "WHY"].map((text) => ({ text, paint: paint.dim })),
          ...status.unknownNodes.map((node) => [node.name, nodeStatusCell(node, paint), node.kubeletVersion || "-", ...allocatableOfCapacity(node.allocatable, node.capacity), node.reason]),
        ],
        "  ",
      ),
    );
  }
  const totals = status.totals;
  lines.push(
    "",
    `${paint.bold("cluster")}  ${totals.nodes} nodes, ${totals.readyNodes} ready  cpu ${cores(totals.allocatable.cpuCores)}/${cores(totals.capacity.cpuCores)} cores  memory ${gib(totals.allocatable.memoryBytes)}/${gib(totals.capacity.memoryBytes)} GiB  pods ${totals.allocatable.pods}/${totals.capacity.pods}  ${paint.dim("(allocatable/capacity)")}`,
  );

  const pods = status.pods;
  const phases = POD_PHASES.filter((phase) => pods.phases[phase] > 0).map((phase) => `${phase} ${pods.phases[phase]}`);
  lines.push("", `${paint.bold("pods")}  ${pods.total}${phases.length > 0 ? `: ${phases.join(", ")}` : ""}`);
  if (pods.namespaces.length > 0) {
    const phaseCell = (phase: PodPhase, count: number): Cell => ({
      text: String(count),
      ...(count > 0 && (phase === "Failed" || phase === "Unknown") ? { paint: paint.red } : count > 0 && phase === "Pending" ? { paint: paint.yellow } : {}),
    });
    lines.push(
      ...table(
        [
          ["NAMESPACE", ...POD_PHASES.map((phase) => phase.toUpperCase()), "TOTAL"].map((text) => ({ text, paint: paint.dim })),
          ...pods.namespaces.map((namespace) => [namespace.namespace, ...POD_PHASES.map((phase) => phaseCell(phase, namespace.phases[phase])), String(namespace.total)]),
        ],
        "  ",
      ),
    );
  }

  lines.push("");
  if (status.differences.length === 0) lines.push(paint.green("✔ the cluster matches its spec"));
  else {
    const count = status.differences.length;
    lines.push(paint.red(paint.bold(`✖ ${count} difference${count === 1 ? "" : "s"} from the spec:`)));
    for (const difference of status.differences) lines.push(`  - ${difference.message}`);
  }
  return `${lines.join("\n")}\n`;
}
