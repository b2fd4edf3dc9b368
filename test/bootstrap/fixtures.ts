/**
 * Shared fixtures for the bootstrap tests: the user data of every role rendered the way the AWS
 * constructs render it, parsed back, and the real tools (cloud-init, shellcheck, python3, etcd)
 * that check it. A missing tool fails the test with how to install it; nothing is skipped.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import {
  awsProviderShell,
  etcdTopology,
  KRAKEN_LIB_DIR,
  renderControlPlaneUserData,
  renderEtcdMemberUserData,
  renderWorkerUserData,
  type EtcdClusterTopology,
} from "../../lib/bootstrap";
import { etcdMemberAddresses, loadClusterFiles, planZones, validateClusterDocument, type Cluster } from "../../lib/spec";
import { describeProblems, EXAMPLES } from "../util";

/** What an NLB's DNS name looks like; the constructs pass the load balancer's dnsName. */
export const API_HOST = "prod-usw2-api-1a2b3c4d5e6f7a8b.elb.us-west-2.amazonaws.com";
export const ETCD_VOLUME_ID = "vol-0123456789abcdef0";
export const SECRET_ID = "kraken/prod-usw2/control-plane";

// ---------------------------------------------------------------------------------------------
// Clusters and their etcd topology
// ---------------------------------------------------------------------------------------------

export function exampleCluster(path: string): Cluster {
  const [cluster] = loadClusterFiles([path]);
  if (!cluster) throw new Error(`${path} holds no cluster`);
  return cluster;
}

export const awsHa = (): Cluster => exampleCluster(EXAMPLES.awsHa);
export const awsMinimal = (): Cluster => exampleCluster(EXAMPLES.awsMinimal);

/** Validates and normalizes a spec document; fails with every problem when it is invalid. */
export function clusterFrom(document: unknown): Cluster {
  const result = validateClusterDocument(document);
  if (!result.ok) throw new Error(`fixture spec is invalid:\n${describeProblems(result).join("\n")}`);
  return result.cluster;
}

/** The etcd topology as the AWS constructs build it: fixed private addresses from the network plan. */
export function awsEtcdTopology(cluster: Cluster): EtcdClusterTopology[] {
  const aws = cluster.spec.provider.aws!;
  return etcdTopology(cluster, (etcd, index) => etcdMemberAddresses(planZones(aws), index, etcd.members).map((address) => address.privateIp));
}

/** The client URLs of etcd cluster `index`, computed from the network plan alone (not from our topology code). */
export function plannedClientUrls(cluster: Cluster, index: number): string[] {
  const aws = cluster.spec.provider.aws!;
  return etcdMemberAddresses(planZones(aws), index, cluster.spec.etcd[index]!.members).map((address) => `https://${address.privateIp}:2379`);
}

// ---------------------------------------------------------------------------------------------
// Rendering user data as the constructs do
// ---------------------------------------------------------------------------------------------

export function etcdMemberUserData(cluster: Cluster, etcdName: string, memberIndex: number): string {
  const aws = cluster.spec.provider.aws!;
  const index = cluster.spec.etcd.findIndex((etcd) => etcd.name === etcdName);
  if (index < 0) throw new Error(`no etcd cluster ${etcdName}`);
  return renderEtcdMemberUserData({
    cluster,
    etcd: cluster.spec.etcd[index]!,
    topology: awsEtcdTopology(cluster)[index]!,
    memberIndex,
    provider: awsProviderShell(),
    providerEnvironment: { AWS_REGION: aws.region, ETCD_VOLUME_ID },
    secretId: `kraken/${cluster.metadata.name}/etcd-${etcdName}`,
  });
}

export function controlPlaneUserData(cluster: Cluster, index: number, apiHost = API_HOST): string {
  return renderControlPlaneUserData({
    cluster,
    index,
    etcd: awsEtcdTopology(cluster),
    apiHost,
    provider: awsProviderShell(),
    providerEnvironment: { AWS_REGION: cluster.spec.provider.aws!.region },
    secretId: `kraken/${cluster.metadata.name}/control-plane`,
  });
}

export function workerUserData(cluster: Cluster, poolName: string, apiHost = API_HOST): string {
  const pool = cluster.spec.nodePools.find((candidate) => candidate.name === poolName);
  if (!pool) throw new Error(`no node pool ${poolName}`);
  return renderWorkerUserData({
    cluster,
    pool,
    apiHost,
    provider: awsProviderShell(),
    providerEnvironment: { AWS_REGION: cluster.spec.provider.aws!.region },
    secretId: `kraken/${cluster.metadata.name}/workers`,
  });
}

export type Role = "etcd" | "control-plane" | "worker";

export interface RenderedRole {
  /** "aws-ha etcd main-1": names the case in test titles. */
  readonly name: string;
  readonly role: Role;
  /** The role script in KRAKEN_LIB_DIR that runcmd runs. */
  readonly script: string;
  readonly userData: string;
}

export const ROLE_SCRIPTS: Readonly<Record<Role, string>> = { etcd: "etcd-member.sh", "control-plane": "control-plane.sh", worker: "worker.sh" };

function rolesOf(label: string, cluster: Cluster, etcdMembers: readonly (readonly [string, number])[], controlPlaneNodes: readonly number[]): RenderedRole[] {
  return [
    ...etcdMembers.map(([etcd, member]) => ({ name: `${label} etcd ${etcd}-${member}`, role: "etcd" as const, script: ROLE_SCRIPTS.etcd, userData: etcdMemberUserData(cluster, etcd, member) })),
    ...controlPlaneNodes.map((index) => ({ name: `${label} control-plane ${index}`, role: "control-plane" as const, script: ROLE_SCRIPTS["control-plane"], userData: controlPlaneUserData(cluster, index) })),
    ...cluster.spec.nodePools.map((pool) => ({ name: `${label} worker of ${pool.name}`, role: "worker" as const, script: ROLE_SCRIPTS.worker, userData: workerUserData(cluster, pool.name) })),
  ];
}

/**
 * Every role of examples/aws-ha (a member of main and of events, control-plane nodes 0 and 2, a
 * worker of each pool) and of examples/aws-minimal.
 */
export function exampleRoles(): RenderedRole[] {
  return [
    ...rolesOf("aws-ha", awsHa(), [["main", 1], ["events", 2]], [0, 2]),
    ...rolesOf("aws-minimal", awsMinimal(), [["main", 0]], [0]),
  ];
}

/** The largest cluster the schema allows in the dimensions that grow user data. */
export function largeCluster(): Cluster {
  const labels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`team${i}.example.com/workload-class-${i}`, `value-${i}-${"x".repeat(40)}`]));
  const taints = Array.from({ length: 12 }, (_, i) => ({ key: `example.com/dedicated-${i}`, value: i % 2 === 0 ? "" : `tenant-${i}`, effect: "NoSchedule" }));
  return clusterFrom({
    apiVersion: "kraken.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name: "a-long-cluster-name-to-fill-every-resource-name" },
    spec: {
      kubernetes: { version: "1.36" },
      provider: { aws: { region: "us-west-2", availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d", "us-west-2e", "us-west-2f"] } },
      etcd: [
        { name: "main", members: 7 },
        { name: "events", members: 7 },
        { name: "leases", members: 7, resources: ["coordination.k8s.io/leases"] },
        { name: "workloads", members: 7, resources: ["pods", "apps/replicasets", "discovery.k8s.io/endpointslices"] },
      ],
      controlPlane: { replicas: 5, apiServer: { extraSans: Array.from({ length: 30 }, (_, i) => `api-${i}.region-${i}.prod.example.com`) } },
      nodePools: [{ name: "big", minSize: 1, maxSize: 3, labels, taints, maxPods: 250 }],
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Reading user data back
// ---------------------------------------------------------------------------------------------

export interface WrittenFile {
  readonly path: string;
  readonly permissions: string;
  readonly owner: string;
  readonly content: string;
}

export interface ParsedUserData {
  readonly firstLine: string;
  readonly keys: readonly string[];
  readonly writeFiles: readonly WrittenFile[];
  readonly runcmd: readonly (readonly string[])[];
}

export function parseUserData(text: string): ParsedUserData {
  const document: unknown = parse(text);
  expect(document, "user data is not a YAML mapping").toBeTypeOf("object");
  const record = document as { write_files?: WrittenFile[]; runcmd?: string[][] };
  return {
    firstLine: text.slice(0, text.indexOf("\n")),
    keys: Object.keys(record),
    writeFiles: record.write_files ?? [],
    runcmd: record.runcmd ?? [],
  };
}

/** The file cloud-init writes at `path`; fails the test when there is none. */
export function writtenFile(userData: ParsedUserData, path: string): WrittenFile {
  const found = userData.writeFiles.find((file) => file.path === path);
  expect(found, `no write_files entry for ${path}; there are: ${userData.writeFiles.map((file) => file.path).join(", ")}`).toBeDefined();
  return found!;
}

/**
 * The YAML documents of a multi-document file, as plain objects. `version: "1.1"` reads them as
 * YAML 1.1 readers do: cloud-init (PyYAML) and kubeadm (sigs.k8s.io/yaml, a go-yaml v2 fork),
 * for which yes, on, off, no, y and 1_000 are booleans and numbers, not strings.
 */
export function yamlDocuments(text: string, version: "1.1" | "1.2" = "1.2"): Record<string, unknown>[] {
  return parseAllDocuments(text, { version }).map((document) => {
    expect(document.errors, `YAML errors in:\n${text}`).toEqual([]);
    return document.toJS() as Record<string, unknown>;
  });
}

export const COMMON_SH_PATH = `${KRAKEN_LIB_DIR}/common.sh`;
export const MATERIALIZE_PY_PATH = `${KRAKEN_LIB_DIR}/materialize.py`;
const SOURCE_COMMON = `. ${COMMON_SH_PATH}\n`;
/** A line sourcing a shell file of KRAKEN_LIB_DIR; the first group is its path. */
const SOURCE_LIBRARY = new RegExp(`^\\. (${KRAKEN_LIB_DIR}/[a-z-]+\\.sh)\n`, "gm");

/**
 * The role script as bash runs it on the machine: the text of each file it sources from
 * KRAKEN_LIB_DIR (common.sh, and control-plane-lib.sh for the control plane) where it sources it,
 * so that shellcheck sees one program (functions and variables from every file).
 */
export function landedScript(userData: ParsedUserData, script: string): string {
  const role = writtenFile(userData, `${KRAKEN_LIB_DIR}/${script}`).content;
  expect(role.split(SOURCE_COMMON), `${script} should source ${COMMON_SH_PATH} exactly once`).toHaveLength(2);
  return role.replace(SOURCE_LIBRARY, (_line, path: string) => writtenFile(userData, path).content.replace(/^#!.*\n/, ""));
}

export interface ShellScript {
  /** Lines outside any top-level function. */
  readonly topLevel: string;
  /** Top-level functions by name: their body, and their whole definition (to eval elsewhere). */
  readonly functions: ReadonlyMap<string, { readonly body: string; readonly definition: string }>;
}

/** Splits a script into top-level code and functions, as written in scripts.ts (`name() {` ... `}` at column 0, or one line). */
export function parseShellScript(script: string): ShellScript {
  const functions = new Map<string, { body: string; definition: string }>();
  const topLevel: string[] = [];
  let current: { name: string; lines: string[] } | undefined;
  for (const line of script.split("\n")) {
    const oneLiner = /^([a-z_]+)\(\) \{(.*)\}$/.exec(line);
    const start = /^([a-z_]+)\(\) \{$/.exec(line);
    if (current) {
      if (line === "}") {
        functions.set(current.name, { body: current.lines.join("\n"), definition: [`${current.name}() {`, ...current.lines, "}"].join("\n") });
        current = undefined;
      } else current.lines.push(line);
    } else if (oneLiner) functions.set(oneLiner[1]!, { body: oneLiner[2]!, definition: line });
    else if (start) current = { name: start[1]!, lines: [] };
    else topLevel.push(line);
  }
  expect(current, `function ${current?.name ?? ""} never ends`).toBeUndefined();
  return { topLevel: topLevel.join("\n"), functions };
}

/**
 * The code of a script that runs: its top-level lines and the bodies of the functions they call,
 * transitively. (A worker carries data_device, which reads ETCD_VOLUME_ID, but never calls it.)
 */
export function codeThatRuns(script: string): string {
  const { topLevel, functions } = parseShellScript(script);
  const reached = new Set<string>();
  const pending = [topLevel];
  const running: string[] = [];
  for (let code = pending.pop(); code !== undefined; code = pending.pop()) {
    running.push(code);
    for (const [name, { body }] of functions) {
      if (!reached.has(name) && new RegExp(`(^|[\\s'"(|&;])${name}\\b`, "m").test(code)) {
        reached.add(name);
        pending.push(body);
      }
    }
  }
  return running.join("\n");
}

/** KEY='value' lines back to a record (the format renderEnvironmentFile writes). */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n").filter((candidate) => candidate !== "")) {
    const match = /^([A-Z_][A-Z0-9_]*)='([^']*)'$/.exec(line);
    expect(match, `not a KEY='value' line: ${line}`).not.toBeNull();
    values[match![1]!] = match![2]!;
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Real tools and temp files
// ---------------------------------------------------------------------------------------------

/** Debian packages that provide the tools the tests run. */
const PACKAGES: Readonly<Record<string, string>> = {
  "cloud-init": "cloud-init",
  shellcheck: "shellcheck",
  python3: "python3",
  bash: "bash",
  etcd: "etcd-server",
  etcdctl: "etcd-client",
};

export function missingToolMessage(command: string): string {
  return `${command} is not on PATH: the bootstrap tests run the real ${command} on what lib/bootstrap renders. Install it: apt-get install -y ${PACKAGES[command] ?? command} (.ci/run installs it in CI)`;
}

export interface ToolResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a real binary; a missing binary fails the test with how to install it. */
export function runTool(command: string, args: readonly string[], options: { readonly input?: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {}): ToolResult {
  const result = spawnSync(command, args, { input: options.input, env: options.env ?? process.env, encoding: "utf8", timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 });
  if (result.error) {
    if ((result.error as NodeJS.ErrnoException).code === "ENOENT") throw new Error(missingToolMessage(command));
    throw new Error(`${command} ${args.join(" ")} could not run: ${result.error.message}`);
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a tool and asserts it exited 0, showing what it said when it did not. */
export function runToolOk(command: string, args: readonly string[], options: Parameters<typeof runTool>[2] = {}): ToolResult {
  const result = runTool(command, args, options);
  expect(result.status, `${command} ${args.join(" ")} exited ${String(result.status)}:\n${result.stdout}${result.stderr}`).toBe(0);
  return result;
}

/** A temp directory; call `remove()` in afterAll. */
export class TempDir {
  readonly directory = mkdtempSync(join(tmpdir(), "kraken-bootstrap-"));

  path(...segments: string[]): string {
    return join(this.directory, ...segments);
  }

  /** Writes `content` at `name` (creating folders) and returns its path. */
  write(name: string, content: string, mode = 0o600): string {
    const path = this.path(name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode });
    return path;
  }

  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}
