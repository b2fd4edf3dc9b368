/**
 * The kubernetes state backend as k2 reads it: the applied spec from the state Secret (gzip,
 * possibly split over numbered Secrets), the lock from the Lease, and releasing a lock.
 *
 * Test double: these machines cannot run a Kubernetes API server, so one is faked on loopback
 * (test/support/fake-kubernetes.ts), over TLS with a certificate from lib/pki, serving Secrets and
 * Leases in the API's real shapes. Everything else is real: the built `k2` binary,
 * @kubernetes/client-node with a kubeconfig file (CA, token, contexts), TLS verification.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { canonicalJson } from "../../constructs/kraken-cluster";
import { defineCluster, type Cluster, type ClusterDocumentInput } from "../../lib/spec";
import { kubernetesStateNames, stateBackendConfig } from "../../lib/state/backend";
import { KubernetesStateClient, kubernetesErrorText } from "../../lib/state/clients/kubernetes";
import { startFakeKubernetes, type FakeKubernetes } from "../support/fake-kubernetes";
import { appliedStateDocument } from "../support/applied-state";
import { awsWith, runK2Async, type CliResult } from "../util";

const CLUSTER = "prod-usw2";
const NAMESPACE = "kraken-state";
const { secret: SECRET, lease: LEASE } = kubernetesStateNames(CLUSTER);
const LOCK_ID = "5d2f7a90-3c1b-4e8d-a6f2-9b0c1d2e3f40";

const work = mkdtempSync(join(tmpdir(), "k2-kubernetes-state-"));
const kubeconfig = join(work, "mgmt.kubeconfig");
let fake: FakeKubernetes;

type KubernetesSettings = Readonly<Record<string, unknown>>;

function clusterDocument(kubernetes: KubernetesSettings = {}, name = CLUSTER, changes: Readonly<Record<string, unknown>> = {}): ClusterDocumentInput {
  return awsWith({ "metadata.name": name, "spec.state": { backend: "kubernetes", kubernetes: { configPath: kubeconfig, ...kubernetes } }, ...changes }) as ClusterDocumentInput;
}

function specFile(file: string, kubernetes: KubernetesSettings = {}, name = CLUSTER): string {
  const path = join(work, `${file}.yaml`);
  writeFileSync(path, stringify(clusterDocument(kubernetes, name)));
  return path;
}


/** Terraform's lock record, as its kubernetes backend keeps it in the Lease's annotation. */
function lockRecord(id: string): string {
  return JSON.stringify({ ID: id, Operation: "OperationTypePlan", Info: "", Who: "carol@workstation", Version: "1.11.4", Created: "2026-11-26T08:15:00.123456Z", Path: "" });
}

function k2(args: readonly string[]): Promise<CliResult> {
  // No KUBECONFIG from the machine: the spec's configPath is what counts.
  return runK2Async(args, { env: { KUBECONFIG: undefined } });
}

function oneLine(text: string): string {
  expect(text.endsWith("\n"), text).toBe(true);
  expect(text.trimEnd().split("\n"), text).toHaveLength(1);
  return text.trimEnd();
}

const appliedCluster = defineCluster(clusterDocument({}, CLUSTER, { "spec.nodePools.0.maxSize": 3 }));

beforeAll(async () => {
  fake = await startFakeKubernetes();
});

beforeEach(() => {
  fake.secrets.clear();
  fake.leases.clear();
  fake.requests.length = 0;
  fake.writeKubeconfig(kubeconfig);
});

afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});

describe("k2 state spec, kubernetes backend", () => {
  it("reads the applied spec from Secret tfstate-default-<cluster> (gzip), through the kubeconfig's CA and token", async () => {
    // GIVEN the state Terraform wrote: one Secret, data.tfstate = gzip of the state
    fake.putStateSecret(NAMESPACE, SECRET, gzipSync(appliedStateDocument(appliedCluster, 9)), CLUSTER);

    // WHEN the admin asks for the applied spec
    const result = await k2(["state", "spec", specFile("applied"), "--format", "json"]);

    // THEN k2 prints the spec of the state
    expect(result.status, result.stderr).toBe(0);
    const applied = JSON.parse(result.stdout) as { serial: number; hash: string; spec: Cluster };
    expect(applied.spec).toEqual(JSON.parse(JSON.stringify(appliedCluster)));
    expect(applied).toMatchObject({ serial: 9, hash: createHash("sha256").update(canonicalJson(appliedCluster)).digest("hex") });
    // AND it read the Secret, then looked for a first chunk that is not there
    expect(fake.requests).toEqual([
      { method: "GET", path: `/api/v1/namespaces/${NAMESPACE}/secrets/${SECRET}` },
      { method: "GET", path: `/api/v1/namespaces/${NAMESPACE}/secrets/${SECRET}-1` },
    ]);
  });

  it("joins a state split over numbered Secrets (<name>, <name>-1) into one gzip stream", async () => {
    // GIVEN a gzip stream cut in two, as the backend splits large states
    const gzip = gzipSync(appliedStateDocument(appliedCluster, 21));
    const cut = Math.floor(gzip.length / 2);
    fake.putStateSecret(NAMESPACE, SECRET, gzip.subarray(0, cut), CLUSTER);
    fake.putStateSecret(NAMESPACE, `${SECRET}-1`, gzip.subarray(cut), CLUSTER);

    const result = await k2(["state", "spec", specFile("chunked"), "--format", "json"]);

    expect(result.status, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { serial: number; spec: Cluster }).spec.spec.nodePools[0]!.maxSize).toBe(3);
    expect(fake.requests.map((request) => request.path.split("/").pop())).toEqual([SECRET, `${SECRET}-1`, `${SECRET}-2`]);
  });

  it("refuses, in one line, a spec that does not match its hash", async () => {
    fake.putStateSecret(NAMESPACE, SECRET, gzipSync(appliedStateDocument(appliedCluster, 10, (spec) => spec.replace('"maxSize":3', '"maxSize":30'))), CLUSTER);
    const result = await k2(["state", "spec", specFile("tampered")]);
    expect(result.status).toBe(1);
    expect(oneLine(result.stderr)).toMatch(
      new RegExp(`^k2: Secret ${SECRET} in namespace ${NAMESPACE}: output kraken_spec does not match kraken_spec_hash \\([0-9a-f]{12}\\.\\.\\., computed [0-9a-f]{12}\\.\\.\\.\\): the state was edited by hand$`),
    );
  });

  it("says the cluster was never applied when there is no state Secret", async () => {
    const result = await k2(["state", "spec", specFile("fresh")]);
    expect(result).toMatchObject({ status: 1, stdout: "", stderr: `k2 state spec: cluster ${CLUSTER} has no applied spec in its state (kubernetes): it was never applied\n` });
  });

  it("uses the Secret and Lease names kubernetesStateNames gives, in the spec's namespace", async () => {
    // GIVEN a cluster named prod-2: Terraform refuses a suffix ending in -<number>, so the suffix is prod-2-state
    const names = kubernetesStateNames("prod-2-state");
    expect(names).toEqual({ secret: "tfstate-default-prod-2-state", lease: "lock-tfstate-default-prod-2-state" });
    const cluster = defineCluster(clusterDocument({ namespace: "infra-state" }, "prod-2"));
    fake.putStateSecret("infra-state", names.secret, gzipSync(appliedStateDocument(cluster, 2)), "prod-2-state");
    fake.putLease("infra-state", names.lease, "prod-2-state", { holderIdentity: LOCK_ID, lockInfo: lockRecord(LOCK_ID) });
    const spec = specFile("prod-2", { namespace: "infra-state" }, "prod-2");

    const read = await k2(["state", "spec", spec, "--format", "json"]);
    const lock = await k2(["state", "lock-info", spec]);

    expect(read.status, read.stderr).toBe(0);
    expect((JSON.parse(read.stdout) as { spec: Cluster }).spec.metadata.name).toBe("prod-2");
    expect(lock.status, lock.stderr).toBe(3);
    expect(lock.stdout).toContain(`locked: Secret ${names.secret} in namespace infra-state\n`);
    expect(new Set(fake.requests.map((request) => request.path))).toEqual(
      new Set([
        `/api/v1/namespaces/infra-state/secrets/${names.secret}`,
        `/api/v1/namespaces/infra-state/secrets/${names.secret}-1`,
        `/apis/coordination.k8s.io/v1/namespaces/infra-state/leases/${names.lease}`,
      ]),
    );
  });

  it("uses spec.state.kubernetes.configContext rather than the kubeconfig's current context", async () => {
    fake.writeKubeconfig(kubeconfig, { currentContext: "elsewhere" });
    fake.putStateSecret(NAMESPACE, SECRET, gzipSync(appliedStateDocument(appliedCluster, 4)), CLUSTER);
    const result = await k2(["state", "spec", specFile("context", { configContext: "mgmt" }), "--format", "json"]);
    expect(result.status, result.stderr).toBe(0);
  });

  it("fails in one line, exit 1, when the kubeconfig does not exist", async () => {
    const missing = join(work, "no-such.kubeconfig");
    const result = await k2(["state", "spec", specFile("no-kubeconfig", { configPath: missing })]);
    expect(result.status).toBe(1);
    const line = oneLine(result.stderr);
    expect(line).toMatch(/^k2: cannot load the kubeconfig of the state's cluster: /);
    expect(line).toContain(missing);
    expect(fake.requests).toEqual([]);
  });

  it("fails in one line, exit 1, when the API server refuses the credentials", async () => {
    // GIVEN a kubeconfig whose token the API server does not know
    fake.writeKubeconfig(kubeconfig, { token: "expired-token" });
    const result = await k2(["state", "spec", specFile("bad-token")]);
    expect(result.status).toBe(1);
    expect(oneLine(result.stderr)).toMatch(new RegExp(`^k2: cannot read Secret ${SECRET} in ${NAMESPACE}: .*Unauthorized`));
  });
});

describe("k2 state lock-info, kubernetes backend", () => {
  it("exits 3 and names the holder recorded on the Lease", async () => {
    fake.putLease(NAMESPACE, LEASE, CLUSTER, { holderIdentity: LOCK_ID, lockInfo: lockRecord(LOCK_ID) });

    const result = await k2(["state", "lock-info", specFile("locked"), "--format", "json"]);

    expect(result.status, result.stderr).toBe(3);
    const status = JSON.parse(result.stdout) as { locked: boolean; holder: Record<string, unknown>; whatToDo: string[] };
    expect(status.holder).toEqual({
      id: LOCK_ID,
      who: "carol@workstation",
      operation: "OperationTypePlan",
      since: "2026-11-26T08:15:00.123456Z",
      terraformVersion: "1.11.4",
      details: { "lock record": `Lease ${LEASE} in ${NAMESPACE}` },
    });
    expect(status.whatToDo.join("\n")).toContain(`terraform force-unlock ${LOCK_ID}`);
    expect(fake.requests).toEqual([{ method: "GET", path: `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${LEASE}` }]);
  });

  it("exits 0 when the Lease has no holder (released by Terraform)", async () => {
    fake.putLease(NAMESPACE, LEASE, CLUSTER);
    const result = await k2(["state", "lock-info", specFile("released")]);
    expect(result).toMatchObject({ status: 0, stdout: `✔ not locked: Secret ${SECRET} in namespace ${NAMESPACE}\n` });
  });

  it("exits 0 when there is no Lease (never locked)", async () => {
    const result = await k2(["state", "lock-info", specFile("never-locked")]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("✔ not locked");
  });
});

describe("k2 state unlock, kubernetes backend", () => {
  it("clears the Lease's holder and lock record with the right id, keeping the rest of the Lease", async () => {
    // GIVEN a Lease held by a plan whose runner is gone
    fake.putLease(NAMESPACE, LEASE, CLUSTER, { holderIdentity: LOCK_ID, lockInfo: lockRecord(LOCK_ID) });
    const before = structuredClone(fake.leases.get(`${NAMESPACE}/${LEASE}`)!);
    const spec = specFile("unlock");

    // WHEN the admin releases it with its id
    const result = await k2(["state", "unlock", spec, "--lock-id", LOCK_ID]);

    // THEN the Lease was replaced, on the version that was read, without holder or lock record
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`✔ unlocked: released Lease ${LEASE} in ${NAMESPACE}\n`);
    const puts = fake.requests.filter((request) => request.method === "PUT");
    expect(puts).toHaveLength(1);
    expect(puts[0]!.path).toBe(`/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${LEASE}`);
    expect(puts[0]!.body).toMatchObject({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: LEASE, resourceVersion: before.metadata.resourceVersion } });
    const after = fake.leases.get(`${NAMESPACE}/${LEASE}`)!;
    expect(after.spec.holderIdentity).toBeUndefined();
    expect(after.metadata.annotations?.["app.terraform.io/lock-info"]).toBeUndefined();
    expect(after.metadata.labels).toEqual(before.metadata.labels);
    expect(after.metadata.uid).toBe(before.metadata.uid);
    // AND the state is free again
    expect((await k2(["state", "lock-info", spec])).status).toBe(0);
  });

  it("refuses another lock id and changes nothing", async () => {
    fake.putLease(NAMESPACE, LEASE, CLUSTER, { holderIdentity: LOCK_ID, lockInfo: lockRecord(LOCK_ID) });
    const before = structuredClone(fake.leases.get(`${NAMESPACE}/${LEASE}`)!);

    const result = await k2(["state", "unlock", specFile("wrong-id"), "--lock-id", "not-the-lock"]);

    expect(result).toMatchObject({ status: 1, stderr: `k2: the lock is held under id ${LOCK_ID}, not not-the-lock\n` });
    expect(fake.requests.filter((request) => request.method !== "GET")).toEqual([]);
    expect(fake.leases.get(`${NAMESPACE}/${LEASE}`)).toEqual(before);
  });

  it("refuses when the Lease has no holder", async () => {
    fake.putLease(NAMESPACE, LEASE, CLUSTER);
    const result = await k2(["state", "unlock", specFile("free"), "--lock-id", LOCK_ID]);
    expect(result).toMatchObject({ status: 1, stderr: "k2: the state is not locked\n" });
    expect(fake.requests.filter((request) => request.method !== "GET")).toEqual([]);
  });
});

describe("KubernetesStateClient, in process", () => {
  function client(): KubernetesStateClient {
    const backend = stateBackendConfig(defineCluster(clusterDocument()));
    if (backend.type !== "kubernetes") throw new Error("expected a kubernetes backend");
    return new KubernetesStateClient(backend);
  }

  it("returns the ungzipped state text, and undefined without a Secret", async () => {
    const state = appliedStateDocument(appliedCluster, 30);
    const kubernetes = client();
    expect(kubernetes.description).toBe(`Secret ${SECRET} in namespace ${NAMESPACE}`);
    expect(await kubernetes.readState()).toBeUndefined();
    fake.putStateSecret(NAMESPACE, SECRET, gzipSync(state), CLUSTER);
    expect(await kubernetes.readState()).toBe(state);
    await kubernetes.close();
  });
});

describe("kubernetesErrorText", () => {
  // client-node's ApiException: a multi-line message, the code, and the body when there is one.
  function apiException(code: number, reason: string, body: unknown): Error & { code: number; body: unknown } {
    return Object.assign(new Error(`HTTP-Code: ${String(code)}\nMessage: ${reason}\nBody: ${JSON.stringify(body)}\nHeaders: {"date":"x"}`), { code, body });
  }

  it("gives the API server's Status message in one line", () => {
    const conflict = apiException(409, "Unknown API Status Code!", { kind: "Status", message: 'Operation cannot be fulfilled on leases "x": the object has been modified', code: 409 });
    expect(kubernetesErrorText(conflict)).toBe('HTTP 409: Operation cannot be fulfilled on leases "x": the object has been modified');
    expect(kubernetesErrorText(apiException(500, "Unknown API Status Code!", JSON.stringify({ message: "etcdserver: request timed out" })))).toBe("HTTP 500: etcdserver: request timed out");
  });

  it("falls back to the reason without a body, and to the first line of other errors", () => {
    expect(kubernetesErrorText(apiException(403, "Forbidden", undefined))).toBe("HTTP 403: Forbidden");
    expect(kubernetesErrorText(new Error("connect ECONNREFUSED 127.0.0.1:6443\n    at somewhere"))).toBe("connect ECONNREFUSED 127.0.0.1:6443");
  });
});
