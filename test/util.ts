/** Shared fixtures: spec documents to start from, and helpers to read validation results. */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { formatPath, validateClusterDocument, type ClusterDocumentInput, type SpecProblem, type ValidationResult } from "../lib/spec";

export const REPO_ROOT = join(__dirname, "..");
export const EXAMPLES = {
  awsHa: join(REPO_ROOT, "examples/aws-ha/cluster.yaml"),
  awsMinimal: join(REPO_ROOT, "examples/aws-minimal/cluster.yaml"),
  maasBareMetal: join(REPO_ROOT, "examples/maas-bare-metal/cluster.yaml"),
};

type Json = Record<string, unknown>;

/** A small valid AWS cluster; tests change what they are about. */
export function awsDocument(): Json & ClusterDocumentInput {
  return {
    apiVersion: "kraken.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name: "test" },
    spec: {
      kubernetes: { version: "1.36" },
      provider: { aws: { region: "us-west-2", availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"] } },
      etcd: [
        { name: "main", members: 3 },
        { name: "events", members: 3 },
      ],
      controlPlane: { replicas: 3 },
      nodePools: [
        { name: "general", minSize: 2, maxSize: 5 },
        { name: "gpu", minSize: 0, maxSize: 2, taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }] },
      ],
    },
  };
}

/** A small valid MAAS cluster. */
export function maasDocument(): Json & ClusterDocumentInput {
  return {
    apiVersion: "kraken.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name: "metal" },
    spec: {
      kubernetes: { version: "1.36" },
      provider: {
        maas: {
          apiUrl: "https://maas.example.com:5240/MAAS",
          network: { subnetCidr: "192.168.10.0/24", interface: "eno1" },
          vault: { address: "https://vault.example.com:8200" },
          controlPlaneEndpoint: { vip: "192.168.10.5" },
        },
      },
      etcd: [{ name: "main", members: 3, machine: { maas: { tags: ["etcd"], addresses: ["192.168.10.11", "192.168.10.12", "192.168.10.13"] } } }],
      controlPlane: { replicas: 3, machine: { maas: { hostnames: ["cp-1", "cp-2", "cp-3"] } } },
      nodePools: [{ name: "workers", minSize: 2, maxSize: 4, machine: { maas: { tags: ["worker"] } } }],
      state: { backend: "s3", s3: { bucket: "acme-state", region: "us-east-1" } },
    },
  };
}

/**
 * Sets `value` at a dotted path ("spec.nodePools.1.maxSize"), creating objects on the way;
 * `undefined` deletes the field.
 */
export function setPath<T extends object>(document: T, path: string, value: unknown): T {
  const segments = path.split(".");
  let node = document as Json;
  for (const segment of segments.slice(0, -1)) {
    node[segment] ??= {};
    node = node[segment] as Json;
  }
  const last = segments[segments.length - 1]!;
  if (value === undefined) Reflect.deleteProperty(node, last);
  else node[last] = value;
  return document;
}

/** A document built from the AWS fixture with some fields changed. */
export function awsWith(changes: Readonly<Record<string, unknown>>): Json {
  const document = awsDocument();
  for (const [path, value] of Object.entries(changes)) setPath(document, path, value);
  return document;
}

export function problemsOf(result: ValidationResult): readonly SpecProblem[] {
  return result.ok ? [] : result.problems;
}

/** "spec.nodePools[1].maxSize: must be ..." lines, for readable failures. */
export function describeProblems(result: ValidationResult): string[] {
  return problemsOf(result).map((problem) => `${formatPath(problem.path)}: ${problem.message} [${problem.rule}]`);
}

/** Asserts the document is invalid with a problem at `path` whose message matches. */
export function expectProblem(document: unknown, path: string, message?: RegExp, rule?: string): SpecProblem {
  const result = validateClusterDocument(document);
  const found = problemsOf(result).find((problem) => formatPath(problem.path) === path && (!message || message.test(problem.message)));
  expect(found, `expected a problem at ${path}${message ? ` matching ${message}` : ""}; got:\n${describeProblems(result).join("\n")}`).toBeDefined();
  if (rule) expect(found!.rule).toBe(rule);
  return found!;
}

export function expectValid(document: unknown): void {
  const result = validateClusterDocument(document);
  expect(describeProblems(result)).toEqual([]);
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function plainEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.FORCE_COLOR;
  return env;
}

/** Runs the real `k2` binary (the built CLI, as users get it). */
export function runK2(args: readonly string[], options: { input?: string; cwd?: string; env?: Readonly<Record<string, string | undefined>> } = {}): CliResult {
  const env = { ...plainEnvironment(), ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) Reflect.deleteProperty(env, key);
  const result = spawnSync(process.execPath, [join(REPO_ROOT, "bin/k2.js"), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    input: options.input,
    encoding: "utf8",
    env,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Like runK2, without blocking the event loop: for tests whose servers k2 talks to run in this process. */
export function runK2Async(args: readonly string[], options: { cwd?: string; env?: Readonly<Record<string, string | undefined>> } = {}): Promise<CliResult> {
  const env = { ...plainEnvironment(), ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) Reflect.deleteProperty(env, key);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin/k2.js"), ...args], { cwd: options.cwd ?? REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => {
      resolve({ status, stdout, stderr });
    });
  });
}
