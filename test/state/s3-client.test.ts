/**
 * The s3 state backend as k2 reads it: the applied spec from the state object, the lock from
 * Terraform's S3 lock file (<key>.tflock) or DynamoDB item, and releasing a lock.
 *
 * Test double: these machines cannot reach AWS, so S3 and DynamoDB are a loopback server
 * (test/support/fake-s3.ts) that the real AWS SDK talks to through AWS_ENDPOINT_URL_S3 and
 * AWS_ENDPOINT_URL_DYNAMODB, signing every request with dummy keys. Everything else is real:
 * the built `k2` binary, the SDK's endpoint rules, XML and JSON protocols and error parsing.
 * AWS_S3_FORCE_PATH_STYLE is not read by SDK v3, and nothing in the environment forces path
 * style; the SDK's S3 endpoint rules choose path style by themselves for an endpoint that is an
 * IP address, so the double listens on 127.0.0.1 and the tests check requests came path-style.
 *
 * The last tests run real terraform's s3 backend against the same double (its endpoints and
 * dummy keys given with -backend-config): terraform writes the state and takes the locks, k2
 * reads them, and terraform says whether a lock k2 released is really gone.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { canonicalJson } from "../../constructs/kraken-cluster";
import { defineCluster, type Cluster, type ClusterDocumentInput } from "../../lib/spec";
import { stateBackendConfig } from "../../lib/state/backend";
import { StateAccessError } from "../../lib/state/clients";
import { S3StateClient } from "../../lib/state/clients/s3";
import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { startFakeS3, type FakeS3 } from "../support/fake-s3";
import { providerMirror, requireTerraform, writeOfflineProviderOverride } from "../support/terraform";
import { appliedStateDocument } from "../support/applied-state";
import { awsWith, EXAMPLES, runK2Async, type CliResult } from "../util";

const BUCKET = "acme-state";
const CLUSTER = "prod-usw2";
const STATE_KEY = `kraken/${CLUSTER}/terraform.tfstate`;
const LOCK_KEY = `${STATE_KEY}.tflock`;
const LOCK_TABLE = "terraform-locks";
/** The DynamoDB item's key, as Terraform's s3 backend writes it: <bucket>/<key>. */
const LOCK_ITEM_ID = `${BUCKET}/${STATE_KEY}`;

const work = mkdtempSync(join(tmpdir(), "k2-s3-state-"));
let fake: FakeS3;

type S3Settings = Readonly<Record<string, unknown>>;

function clusterDocument(s3: S3Settings = {}, changes: Readonly<Record<string, unknown>> = {}): ClusterDocumentInput {
  return awsWith({ "metadata.name": CLUSTER, "spec.state": { backend: "s3", s3: { bucket: BUCKET, ...s3 } }, ...changes }) as ClusterDocumentInput;
}

/** The spec file an admin runs k2 with. */
function specFile(name: string, s3: S3Settings = {}): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, stringify(clusterDocument(s3)));
  return path;
}


/** Terraform's lock record (statemgr.LockInfo), as it writes it into <key>.tflock and the DynamoDB item's Info. */
function lockRecord(id: string, who = "alice@laptop"): string {
  return JSON.stringify({ ID: id, Operation: "OperationTypeApply", Info: "", Who: who, Version: "1.11.4", Created: "2026-11-26T12:05:20.006151Z", Path: `${BUCKET}/${STATE_KEY}` });
}

function objects(): Map<string, Buffer> {
  return fake.buckets.get(BUCKET)!;
}

function lockItems(): Map<string, Record<string, { S: string }>> {
  return fake.tables.get(LOCK_TABLE)! as Map<string, Record<string, { S: string }>>;
}

function putLockItem(id: string): void {
  lockItems().set(LOCK_ITEM_ID, { LockID: { S: LOCK_ITEM_ID }, Info: { S: lockRecord(id) } });
}

function k2(args: readonly string[]): Promise<CliResult> {
  return runK2Async(args, { env: fake.awsEnv() });
}

function oneLine(text: string): string {
  expect(text.endsWith("\n"), text).toBe(true);
  expect(text.trimEnd().split("\n"), text).toHaveLength(1);
  return text.trimEnd();
}

const appliedCluster = defineCluster(clusterDocument({}, { "spec.nodePools.0.maxSize": 4 }));

beforeAll(async () => {
  // A clock a minute ahead at every write, so that versions have distinct LastModified times.
  let clock = Date.parse("2026-11-20T10:00:00Z");
  fake = await startFakeS3({ now: () => new Date((clock += 60_000)) });
});

beforeEach(() => {
  fake.buckets.clear();
  fake.versioning.clear();
  fake.tables.clear();
  fake.buckets.set(BUCKET, new Map());
  fake.tables.set(LOCK_TABLE, new Map());
  fake.calls.length = 0;
});

afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});

describe("k2 state spec, s3 backend", () => {
  it("reads the applied spec from s3://<bucket>/kraken/<cluster>/terraform.tfstate, not from the file", async () => {
    // GIVEN a state applied with maxSize 4, while the spec file now says 5
    objects().set(STATE_KEY, Buffer.from(appliedStateDocument(appliedCluster, 7)));
    const spec = specFile("applied");

    // WHEN the admin asks for the applied spec
    const result = await k2(["state", "spec", spec, "--format", "json"]);

    // THEN k2 prints the spec of the state, its serial, lineage and hash
    expect(result.status, result.stderr).toBe(0);
    const applied = JSON.parse(result.stdout) as { serial: number; lineage: string; hash: string; spec: Cluster };
    expect(applied.spec).toEqual(JSON.parse(JSON.stringify(appliedCluster)));
    expect(applied.spec.spec.nodePools[0]!.maxSize).toBe(4);
    expect(applied).toMatchObject({ serial: 7, lineage: "3f1b2c4d-5e6f-4a0b-9c1d-2e3f4a5b6c7d", hash: createHash("sha256").update(canonicalJson(appliedCluster)).digest("hex") });
    // AND it asked S3 for exactly that object, path-style, signed for the spec's region
    expect(fake.calls).toEqual([{ service: "s3", operation: "GetObject", bucket: BUCKET, key: STATE_KEY, pathStyle: true, region: "us-west-2" }]);
  });

  it("prints YAML headed by the state's serial and hash by default", async () => {
    objects().set(STATE_KEY, Buffer.from(appliedStateDocument(appliedCluster, 12)));
    const result = await k2(["state", "spec", specFile("yaml")]);
    expect(result.status, result.stderr).toBe(0);
    const hash = createHash("sha256").update(canonicalJson(appliedCluster)).digest("hex");
    expect(result.stdout.split("\n")[0]).toBe(`# applied spec of ${CLUSTER}: state serial 12, sha256 ${hash}`);
    expect(result.stdout).toContain("maxSize: 4");
  });

  it("follows keyPrefix and region: clusters/<cluster>/terraform.tfstate, signed for eu-central-1", async () => {
    objects().set(`clusters/${CLUSTER}/terraform.tfstate`, Buffer.from(appliedStateDocument(appliedCluster, 3)));
    const result = await k2(["state", "spec", specFile("prefixed", { keyPrefix: "clusters/", region: "eu-central-1" }), "--format", "json"]);
    expect(result.status, result.stderr).toBe(0);
    expect(fake.calls).toEqual([{ service: "s3", operation: "GetObject", bucket: BUCKET, key: `clusters/${CLUSTER}/terraform.tfstate`, pathStyle: true, region: "eu-central-1" }]);
  });

  it("refuses, in one line, a spec that does not match its hash (a state edited by hand)", async () => {
    // GIVEN someone raised maxSize in the state by hand, leaving the hash as it was
    objects().set(STATE_KEY, Buffer.from(appliedStateDocument(appliedCluster, 8, (spec) => spec.replace('"maxSize":4', '"maxSize":40'))));
    const result = await k2(["state", "spec", specFile("tampered")]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(oneLine(result.stderr)).toMatch(
      new RegExp(`^k2: s3://${BUCKET}/${STATE_KEY} \\(us-west-2\\): output kraken_spec does not match kraken_spec_hash \\([0-9a-f]{12}\\.\\.\\., computed [0-9a-f]{12}\\.\\.\\.\\): the state was edited by hand$`),
    );
  });

  it("says the cluster was never applied when there is no state object", async () => {
    const result = await k2(["state", "spec", specFile("fresh")]);
    expect(result).toMatchObject({ status: 1, stdout: "", stderr: `k2 state spec: cluster ${CLUSTER} has no applied spec in its state (s3): it was never applied\n` });
    expect(fake.calls.map((call) => [call.operation, call.key])).toEqual([["GetObject", STATE_KEY]]);
  });

  it("says the cluster was never applied when the state has no kraken_spec output yet", async () => {
    objects().set(STATE_KEY, Buffer.from(JSON.stringify({ version: 4, terraform_version: "1.11.4", serial: 1, lineage: "l-1", outputs: {}, resources: [] })));
    const result = await k2(["state", "spec", specFile("no-output")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("it was never applied");
  });

  it("fails in one line when the bucket does not exist", async () => {
    fake.buckets.clear();
    const result = await k2(["state", "spec", specFile("no-bucket")]);
    expect(result.status).toBe(1);
    expect(oneLine(result.stderr)).toBe(`k2: cannot read s3://${BUCKET}/${STATE_KEY}: The specified bucket does not exist`);
  });
});

describe("k2 state lock-info, s3 backend", () => {
  it("exits 3 and names the holder of an S3 lock file (<key>.tflock)", async () => {
    // GIVEN alice's terraform apply holds the S3-native lock
    objects().set(LOCK_KEY, Buffer.from(lockRecord("8c1e0d52-0b7e-4f59-9a4b-0e0d3b1f7a11")));
    const spec = specFile("locked");

    // WHEN anyone asks who holds the lock
    const text = await k2(["state", "lock-info", spec]);
    const json = await k2(["state", "lock-info", spec, "--format", "json"]);

    // THEN k2 says who, for what, since when, and how to release it
    expect(text.status, text.stderr).toBe(3);
    expect(text.stdout).toContain(`locked: s3://${BUCKET}/${STATE_KEY} (us-west-2)\n`);
    expect(text.stdout).toContain("  lock id    8c1e0d52-0b7e-4f59-9a4b-0e0d3b1f7a11\n");
    expect(text.stdout).toContain("  held by    alice@laptop\n");
    expect(text.stdout).toContain("  operation  OperationTypeApply\n");
    expect(text.stdout).toContain("  since      2026-11-26T12:05:20.006151Z\n");
    expect(json.status).toBe(3);
    const status = JSON.parse(json.stdout) as { cluster: string; locked: boolean; holder: Record<string, unknown>; whatToDo: string[] };
    expect(status).toMatchObject({ cluster: CLUSTER, locked: true });
    expect(status.holder).toEqual({
      id: "8c1e0d52-0b7e-4f59-9a4b-0e0d3b1f7a11",
      who: "alice@laptop",
      operation: "OperationTypeApply",
      since: "2026-11-26T12:05:20.006151Z",
      terraformVersion: "1.11.4",
      details: { "lock record": `s3://${BUCKET}/${LOCK_KEY}` },
    });
    expect(status.whatToDo.join("\n")).toContain("terraform force-unlock 8c1e0d52-0b7e-4f59-9a4b-0e0d3b1f7a11");
    expect(fake.calls.filter((call) => call.operation === "GetObject").map((call) => call.key)).toEqual([LOCK_KEY, LOCK_KEY]);
  });

  it("exits 3 and names the holder of a DynamoDB lock item (useLockfile: false)", async () => {
    // GIVEN an older setup: DynamoDB locking only, and bob holds the lock
    lockItems().set(LOCK_ITEM_ID, { LockID: { S: LOCK_ITEM_ID }, Info: { S: lockRecord("0f9d1c3e-dynamo", "bob@ci-runner-7") } });
    const spec = specFile("dynamo-locked", { useLockfile: false, dynamodbTable: LOCK_TABLE });

    const result = await k2(["state", "lock-info", spec, "--format", "json"]);

    expect(result.status, result.stderr).toBe(3);
    const status = JSON.parse(result.stdout) as { holder: { id: string; who: string; operation: string; details: Record<string, string> } };
    expect(status.holder).toMatchObject({ id: "0f9d1c3e-dynamo", who: "bob@ci-runner-7", operation: "OperationTypeApply", details: { "lock record": `DynamoDB ${LOCK_TABLE}` } });
    // AND it read the item Terraform writes, consistently, and no S3 lock file
    expect(fake.calls).toEqual([
      {
        service: "dynamodb",
        operation: "GetItem",
        table: LOCK_TABLE,
        lockId: LOCK_ITEM_ID,
        region: "us-west-2",
        input: { TableName: LOCK_TABLE, Key: { LockID: { S: LOCK_ITEM_ID } }, ConsistentRead: true },
      },
    ]);
  });

  it("exits 0 when no lock file exists", async () => {
    objects().set(STATE_KEY, Buffer.from(appliedStateDocument(appliedCluster, 7)));
    const result = await k2(["state", "lock-info", specFile("free")]);
    expect(result).toMatchObject({ status: 0, stdout: `✔ not locked: s3://${BUCKET}/${STATE_KEY} (us-west-2)\n` });
  });

  it("exits 0 when the DynamoDB table holds only Terraform's digest item, not a lock", async () => {
    lockItems().set(`${LOCK_ITEM_ID}-md5`, { LockID: { S: `${LOCK_ITEM_ID}-md5` }, Digest: { S: "0123456789abcdef0123456789abcdef" } });
    const result = await k2(["state", "lock-info", specFile("dynamo-free", { useLockfile: false, dynamodbTable: LOCK_TABLE })]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("✔ not locked");
  });

  it("fails in one line when the lock table does not exist", async () => {
    fake.tables.clear();
    const result = await k2(["state", "lock-info", specFile("no-table", { useLockfile: false, dynamodbTable: LOCK_TABLE })]);
    expect(result.status).toBe(1);
    expect(oneLine(result.stderr)).toBe(`k2: cannot read the lock table ${LOCK_TABLE}: Requested resource not found`);
  });
});

describe("k2 state unlock, s3 backend", () => {
  const LOCK_ID = "8c1e0d52-0b7e-4f59-9a4b-0e0d3b1f7a11";

  it("deletes the lock file when given its lock id, and nothing else", async () => {
    // GIVEN a lock whose holder is gone, next to the state
    objects().set(STATE_KEY, Buffer.from(appliedStateDocument(appliedCluster, 7)));
    objects().set(LOCK_KEY, Buffer.from(lockRecord(LOCK_ID)));
    const spec = specFile("unlock");

    // WHEN the admin releases it with its id
    const result = await k2(["state", "unlock", spec, "--lock-id", LOCK_ID]);

    // THEN the lock file is gone, the state is untouched, and the state is free
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`✔ unlocked: deleted s3://${BUCKET}/${LOCK_KEY}\n`);
    expect([...objects().keys()]).toEqual([STATE_KEY]);
    expect(fake.calls.filter((call) => call.operation === "DeleteObject").map((call) => call.key)).toEqual([LOCK_KEY]);
    expect((await k2(["state", "lock-info", spec])).status).toBe(0);
  });

  it("refuses another lock id and deletes nothing", async () => {
    objects().set(LOCK_KEY, Buffer.from(lockRecord(LOCK_ID)));
    const result = await k2(["state", "unlock", specFile("wrong-id"), "--lock-id", "not-the-lock"]);
    expect(result).toMatchObject({ status: 1, stderr: `k2: the lock is held under id ${LOCK_ID}, not not-the-lock\n` });
    expect(objects().has(LOCK_KEY)).toBe(true);
    expect(fake.calls.filter((call) => call.operation.startsWith("Delete"))).toEqual([]);
  });

  it("without --lock-id prints the holder, refuses, and deletes nothing", async () => {
    objects().set(LOCK_KEY, Buffer.from(lockRecord(LOCK_ID)));
    const result = await k2(["state", "unlock", specFile("no-id")]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`lock id    ${LOCK_ID}`);
    expect(result.stderr).toContain("refused: give the lock id with --lock-id");
    expect(objects().has(LOCK_KEY)).toBe(true);
    expect(fake.calls.filter((call) => call.operation.startsWith("Delete"))).toEqual([]);
  });

  it("refuses when the state is not locked", async () => {
    const result = await k2(["state", "unlock", specFile("not-locked"), "--lock-id", LOCK_ID]);
    expect(result).toMatchObject({ status: 1, stderr: "k2: the state is not locked\n" });
    expect(fake.calls.filter((call) => call.operation.startsWith("Delete"))).toEqual([]);
  });

  it("deletes the DynamoDB lock item (useLockfile: false), keeping Terraform's digest item", async () => {
    putLockItem(LOCK_ID);
    lockItems().set(`${LOCK_ITEM_ID}-md5`, { LockID: { S: `${LOCK_ITEM_ID}-md5` }, Digest: { S: "0123456789abcdef0123456789abcdef" } });
    const spec = specFile("dynamo-unlock", { useLockfile: false, dynamodbTable: LOCK_TABLE });

    const result = await k2(["state", "unlock", spec, "--lock-id", LOCK_ID]);

    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`✔ unlocked: deleted the lock item from ${LOCK_TABLE}\n`);
    expect([...lockItems().keys()]).toEqual([`${LOCK_ITEM_ID}-md5`]);
    expect(fake.calls.filter((call) => call.operation === "DeleteItem").map((call) => call.input)).toEqual([{ TableName: LOCK_TABLE, Key: { LockID: { S: LOCK_ITEM_ID } } }]);
    expect(fake.calls.filter((call) => call.operation === "DeleteObject")).toEqual([]);
  });

  it("refuses another lock id for a DynamoDB lock and deletes nothing", async () => {
    putLockItem(LOCK_ID);
    const result = await k2(["state", "unlock", specFile("dynamo-wrong", { useLockfile: false, dynamodbTable: LOCK_TABLE }), "--lock-id", "someone-else"]);
    expect(result).toMatchObject({ status: 1, stderr: `k2: the lock is held under id ${LOCK_ID}, not someone-else\n` });
    expect(lockItems().has(LOCK_ITEM_ID)).toBe(true);
    expect(fake.calls.filter((call) => call.operation.startsWith("Delete"))).toEqual([]);
  });

  it("releases both locks when the backend uses the lock file and a DynamoDB table (Terraform 1.11 takes both)", async () => {
    // GIVEN spec.state.s3.dynamodbTable with useLockfile left at its default (true): Terraform
    // 1.11 writes the lock file and the DynamoDB item, under one lock id, and force-unlock removes both
    objects().set(LOCK_KEY, Buffer.from(lockRecord(LOCK_ID)));
    putLockItem(LOCK_ID);
    const spec = specFile("both-locks", { dynamodbTable: LOCK_TABLE });

    const result = await k2(["state", "unlock", spec, "--lock-id", LOCK_ID]);

    expect(result.status, result.stderr).toBe(0);
    expect(objects().has(LOCK_KEY)).toBe(false);
    expect(lockItems().has(LOCK_ITEM_ID), "the DynamoDB lock item is still there: Terraform stays locked").toBe(false);
    expect((await k2(["state", "lock-info", spec])).status).toBe(0);
  });
});

describe("S3StateClient, in process", () => {
  beforeAll(() => {
    for (const [name, value] of Object.entries(fake.awsEnv())) vi.stubEnv(name, value);
  });

  afterAll(() => {
    vi.unstubAllEnvs();
  });

  function client(s3: S3Settings = {}): S3StateClient {
    const backend = stateBackendConfig(defineCluster(clusterDocument(s3)));
    if (backend.type !== "s3") throw new Error("expected an s3 backend");
    return new S3StateClient(backend);
  }

  it("returns the state object's text as stored, and undefined when there is none", async () => {
    const state = appliedStateDocument(appliedCluster, 5);
    objects().set(STATE_KEY, Buffer.from(state));
    const s3 = client();
    try {
      expect(s3.description).toBe(`s3://${BUCKET}/${STATE_KEY} (us-west-2)`);
      expect(await s3.readState()).toBe(state);
      objects().delete(STATE_KEY);
      expect(await s3.readState()).toBeUndefined();
    } finally {
      await s3.close();
    }
  });

  it("refuses an unlock under another id with a StateAccessError and leaves the lock file", async () => {
    objects().set(LOCK_KEY, Buffer.from(lockRecord("the-real-id")));
    const s3 = client();
    try {
      await expect(s3.unlock("a-guess")).rejects.toThrow(new StateAccessError("the lock is held under id the-real-id, not a-guess"));
      expect(objects().has(LOCK_KEY)).toBe(true);
      expect(await s3.unlock("the-real-id")).toBe(`deleted s3://${BUCKET}/${LOCK_KEY}`);
      expect(objects().has(LOCK_KEY)).toBe(false);
      expect(await s3.lockStatus()).toEqual({ backend: s3.description, locked: false });
    } finally {
      await s3.close();
    }
  });
});

describe("S3StateClient.listVersions, on a versioned bucket", () => {
  let sdk: S3Client;

  beforeAll(() => {
    for (const [name, value] of Object.entries(fake.awsEnv())) vi.stubEnv(name, value);
    sdk = new S3Client({ region: "us-west-2" });
  });

  afterAll(() => {
    sdk.destroy();
    vi.unstubAllEnvs();
  });

  function client(): S3StateClient {
    const backend = stateBackendConfig(defineCluster(clusterDocument()));
    if (backend.type !== "s3") throw new Error("expected an s3 backend");
    return new S3StateClient(backend);
  }

  /** One `terraform apply` as the s3 backend (use_lockfile) writes it: take the lock file, write the state, release the lock. */
  async function terraformWrites(state: string): Promise<string> {
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: LOCK_KEY, Body: lockRecord("apply-lock"), IfNoneMatch: "*" }));
    const written = await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: STATE_KEY, Body: state, ContentType: "application/json" }));
    await sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: LOCK_KEY }));
    return written.VersionId!;
  }

  it("GIVEN three applies, deletes of the state and a longer key THEN the versions are the state's, newest first, within the limit", async () => {
    // GIVEN versioning on, and three applies with serials 1, 2 and 3; before the third, someone deleted the state object three times
    fake.versioning.set(BUCKET, []);
    const states = [1, 2, 3].map((serial) => appliedStateDocument(defineCluster(clusterDocument({}, { "spec.nodePools.0.maxSize": 3 + serial })), serial));
    const first = await terraformWrites(states[0]!);
    const second = await terraformWrites(states[1]!);
    for (let i = 0; i < 3; i += 1) await sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: STATE_KEY }));
    const third = await terraformWrites(states[2]!);
    // AND a key that only shares the state's key as a prefix
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${STATE_KEY}.backup`, Body: states[0] }));
    expect(new Set([first, second, third]).size).toBe(3);
    fake.calls.length = 0;

    const s3 = client();
    try {
      // WHEN k2 asks for all the versions, and for two
      const listings = (): number => fake.calls.filter((call) => call.operation === "ListObjectVersions").length;
      const all = await s3.listVersions(20);
      const listingsForAll = listings();
      const two = await s3.listVersions(2);

      // THEN all three writes of the state come back newest first, with their text and times, and nothing else
      expect(all.map((version) => version.versionId)).toEqual([third, second, first]);
      expect(all.map((version) => version.text)).toEqual([states[2], states[1], states[0]]);
      expect(all.map((version) => version.isLatest)).toEqual([true, false, false]);
      const times = all.map((version) => Date.parse(version.lastModified!));
      expect(times[0]).toBeGreaterThan(times[1]!);
      expect(times[1]).toBeGreaterThan(times[2]!);
      expect(listingsForAll).toBe(1);
      // AND with a limit of two, the two newest, though the delete markers fill the first page (max-keys 4)
      expect(two.map((version) => version.versionId)).toEqual([third, second]);
      expect(listings() - listingsForAll).toBe(2);
      expect(fake.calls.filter((call) => call.operation === "GetObject").map((call) => [call.key, call.versionId])).toEqual([
        [STATE_KEY, third],
        [STATE_KEY, second],
        [STATE_KEY, first],
        [STATE_KEY, third],
        [STATE_KEY, second],
      ]);
    } finally {
      await s3.close();
    }
  });

  it("GIVEN the state deleted last THEN no version is the latest; GIVEN an unversioned bucket THEN the one object, as version null", async () => {
    fake.versioning.set(BUCKET, []);
    const only = await terraformWrites(appliedStateDocument(appliedCluster, 1));
    await sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: STATE_KEY }));
    const s3 = client();
    try {
      expect(await s3.readState()).toBeUndefined();
      expect((await s3.listVersions(5)).map((version) => [version.versionId, version.isLatest])).toEqual([[only, false]]);
      fake.versioning.delete(BUCKET);
      objects().set(STATE_KEY, Buffer.from(appliedStateDocument(appliedCluster, 7)));
      expect(await s3.listVersions(5)).toMatchObject([{ versionId: "null", isLatest: true, text: appliedStateDocument(appliedCluster, 7) }]);
    } finally {
      await s3.close();
    }
  });
});

describe("with real terraform on the same bucket", () => {
  interface Run {
    readonly status: number | null;
    readonly output: string;
  }

  beforeAll(() => {
    requireTerraform();
    providerMirror();
  });

  function terraformEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_INPUT: "0" };
    for (const [name, value] of Object.entries(fake.awsEnv())) {
      if (value === undefined) Reflect.deleteProperty(env, name);
      else env[name] = value;
    }
    return env;
  }

  /** terraform without blocking the event loop: the double answers it from this process. */
  function startTerraform(args: readonly string[], cwd: string): { readonly pid: number; readonly done: Promise<Run> } {
    // Its own process group, so that a test can end terraform together with the provisioner's sleep.
    const child = spawn("terraform", [...args, "-no-color", "-input=false"], { cwd, env: terraformEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
    const done = new Promise<Run>((resolve, reject) => {
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      child.on("error", reject);
      child.on("close", (status) => {
        resolve({ status, output });
      });
    });
    return { pid: child.pid ?? 0, done };
  }

  async function mustRun(args: readonly string[], cwd: string): Promise<string> {
    const run = await startTerraform(args, cwd).done;
    if (run.status !== 0) throw new Error(`terraform ${args.join(" ")} failed in ${cwd}:\n${run.output}`);
    return run.output;
  }

  /** Where S3 and DynamoDB are, for terraform's s3 backend: the only settings not from k2. */
  function writeBackendOverride(directory: string): void {
    writeFileSync(
      join(directory, "fake-aws.s3.tfbackend"),
      [
        `endpoints = { s3 = "${fake.endpoint}", dynamodb = "${fake.endpoint}" }`,
        "use_path_style = true",
        "skip_credentials_validation = true",
        "skip_requesting_account_id = true",
        "skip_metadata_api_check = true",
        "",
      ].join("\n"),
    );
  }

  async function init(directory: string, extra: readonly string[] = []): Promise<void> {
    writeBackendOverride(directory);
    await mustRun(["init", "-backend-config=fake-aws.s3.tfbackend", ...extra], directory);
  }

  /** A stack of terraform_data only (built into terraform), in the backend k2 derives from the spec. */
  function lockingStack(directory: string, s3: S3Settings, sleepSeconds: number): void {
    const backend = stateBackendConfig(defineCluster(clusterDocument(s3)));
    if (backend.type !== "s3") throw new Error("expected an s3 backend");
    mkdirSync(directory, { recursive: true });
    writeFileSync(
      join(directory, "main.tf.json"),
      JSON.stringify({
        terraform: {
          backend: {
            s3: {
              bucket: backend.bucket,
              key: backend.key,
              region: backend.region,
              encrypt: true,
              use_lockfile: backend.useLockfile,
              ...(backend.dynamodbTable === undefined ? {} : { dynamodb_table: backend.dynamodbTable }),
            },
          },
        },
        resource: { terraform_data: { hold: { input: "held", provisioner: [{ "local-exec": { command: `sleep ${sleepSeconds}` } }] } } },
      }),
    );
  }

  async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it("k2 state spec reads the spec terraform apply -refresh-only stored in the bucket", async () => {
    // GIVEN the minimal example keeping its state in s3, synthesized by k2
    const spec = join(work, "dev-s3.yaml");
    writeFileSync(spec, `${readFileSync(EXAMPLES.awsMinimal, "utf8")}  state:\n    backend: s3\n    s3: { bucket: ${BUCKET} }\n`);
    const out = join(work, "dev-s3-out");
    const synth = await runK2Async(["synth", spec, "--out", out]);
    expect(synth.status, synth.stderr).toBe(0);
    const stack = join(out, "stacks", "dev");
    writeOfflineProviderOverride(stack, "us-west-2");

    // WHEN terraform records the stack's outputs in the bucket, without touching any AWS resource
    await init(stack, [`-plugin-dir=${providerMirror()}`]);
    await mustRun(["apply", "-refresh-only", "-auto-approve"], stack);

    // THEN terraform wrote kraken/dev/terraform.tfstate, locking with kraken/dev/terraform.tfstate.tflock
    const stored = JSON.parse(objects().get("kraken/dev/terraform.tfstate")!.toString("utf8")) as { serial: number; outputs: { kraken_spec_hash: { value: string } } };
    const s3Calls = fake.calls.filter((call) => call.service === "s3").map((call) => `${call.operation} ${call.key ?? ""}`);
    expect(s3Calls).toContain("PutObject kraken/dev/terraform.tfstate.tflock");
    expect(s3Calls).toContain("DeleteObject kraken/dev/terraform.tfstate.tflock");
    // AND k2 reads back the spec terraform stored, hash and serial included
    const read = await k2(["state", "spec", spec, "--format", "json"]);
    expect(read.status, read.stderr).toBe(0);
    const applied = JSON.parse(read.stdout) as { serial: number; hash: string; spec: Cluster };
    expect(applied.spec.metadata.name).toBe("dev");
    expect(applied.hash).toBe(stored.outputs.kraken_spec_hash.value);
    expect(applied.serial).toBe(stored.serial);
  }, 120_000);

  it("k2 state lock-info names the holder of a running terraform apply, as terraform's own lock error does", async () => {
    // GIVEN alice's apply holds the S3 lock file, and bob has the same stack
    const alice = join(work, "tf-alice");
    const bob = join(work, "tf-bob");
    lockingStack(alice, {}, 10);
    lockingStack(bob, {}, 10);
    await init(alice);
    await init(bob);
    const spec = specFile("tf-locked");
    const aliceApply = startTerraform(["apply", "-auto-approve"], alice).done;
    await waitUntil("alice's lock", async () => (await k2(["state", "lock-info", spec])).status === 3);

    // WHEN bob plans, and asks k2 who holds the lock
    const bobPlan = await startTerraform(["plan", "-lock-timeout=0s"], bob).done;
    const info = await k2(["state", "lock-info", spec, "--format", "json"]);

    // THEN terraform refuses bob, and k2 names the same lock, its operation and holder
    expect(bobPlan.status).toBe(1);
    expect(bobPlan.output).toContain("Error acquiring the state lock");
    expect(info.status).toBe(3);
    const status = JSON.parse(info.stdout) as { holder: { id: string; who: string; operation: string; since: string; details: Record<string, string> } };
    expect(bobPlan.output).toContain(status.holder.id);
    expect(status.holder).toMatchObject({ operation: "OperationTypeApply", details: { "lock record": `s3://${BUCKET}/${LOCK_KEY}` } });
    expect(status.holder.who).toMatch(/^.+@.+$/);
    expect(Date.parse(status.holder.since)).toBeGreaterThan(Date.now() - 120_000);
    // AND once alice is done, the lock is gone
    expect((await aliceApply).status).toBe(0);
    expect((await k2(["state", "lock-info", spec])).status).toBe(0);
  }, 120_000);

  async function unlockFrozenHolder(name: string, s3: S3Settings): Promise<{ readonly unlocked: CliResult; readonly nextPlan: Run }> {
    const stuck = join(work, `tf-${name}-stuck`);
    const carol = join(work, `tf-${name}-carol`);
    lockingStack(stuck, s3, 30);
    lockingStack(carol, s3, 30);
    await init(stuck);
    await init(carol);
    const spec = specFile(`tf-${name}`, s3);
    const run = startTerraform(["apply", "-auto-approve"], stuck);
    try {
      await waitUntil("the stuck lock", async () => (await k2(["state", "lock-info", spec])).status === 3);
      // The holder freezes (a laptop that went to sleep): its lock stays.
      process.kill(run.pid, "SIGSTOP");
      const status = JSON.parse((await k2(["state", "lock-info", spec, "--format", "json"])).stdout) as { holder: { id: string } };
      const unlocked = await k2(["state", "unlock", spec, "--lock-id", status.holder.id]);
      const nextPlan = await startTerraform(["plan", "-lock-timeout=0s"], carol).done;
      return { unlocked, nextPlan };
    } finally {
      process.kill(-run.pid, "SIGKILL");
      await run.done;
    }
  }

  it("k2 state unlock --lock-id releases a frozen holder's S3 lock file, and terraform can run again", async () => {
    const { unlocked, nextPlan } = await unlockFrozenHolder("lockfile", {});
    expect(unlocked.status, unlocked.stderr).toBe(0);
    expect(unlocked.stdout).toBe(`✔ unlocked: deleted s3://${BUCKET}/${LOCK_KEY}\n`);
    expect(nextPlan.status, nextPlan.output).toBe(0);
  }, 120_000);

  it("k2 state unlock --lock-id releases both locks terraform takes with use_lockfile and a DynamoDB table, and terraform can run again", async () => {
    const { unlocked, nextPlan } = await unlockFrozenHolder("both", { dynamodbTable: LOCK_TABLE });
    expect(unlocked.status, unlocked.stderr).toBe(0);
    expect(nextPlan.status, nextPlan.output).toBe(0);
  }, 120_000);
});
