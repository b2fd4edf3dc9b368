/**
 * The s3 backend's state store: the StateStore construct and its stack, `k2 state store` (the
 * built binary) writing one stack per bucket, and real terraform (offline AWS provider mirror)
 * validating and planning that stack. Also a cluster stack with `state.backend: s3`, synthesized
 * by `k2 synth`, through terraform init -backend=false and validate.
 */
import { Testing } from "cdktf";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { StateStoreStack } from "../../constructs/aws/state-store";
import { initValidatePlan, providerMirror, requireTerraform, terraform, type PlannedResource } from "../support/terraform";
import { awsWith, EXAMPLES, runK2 } from "../util";

const KMS_KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const work = mkdtempSync(join(tmpdir(), "k2-state-store-"));

type Resources = Record<string, Record<string, Record<string, unknown>>>;
interface StackJson {
  readonly terraform: { readonly backend: Record<string, unknown> };
  readonly provider: { readonly aws: readonly { readonly region: string }[] };
  readonly resource: Resources;
  readonly output: Record<string, { readonly value: string }>;
}

/** The one resource of a type in a synthesized stack, and its logical name. */
function only(stack: StackJson, type: string): { readonly name: string; readonly config: Record<string, unknown> } {
  const entries = Object.entries(stack.resource[type] ?? {});
  expect(entries, `exactly one ${type}`).toHaveLength(1);
  return { name: entries[0]![0], config: entries[0]![1] };
}

function readStack(directory: string): StackJson {
  return JSON.parse(readFileSync(join(directory, "cdk.tf.json"), "utf8")) as StackJson;
}

function specFile(name: string, state: Readonly<Record<string, unknown>>, region = "us-west-2"): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, stringify(awsWith({ "metadata.name": name, "spec.provider.aws.region": region, "spec.provider.aws.availabilityZones": [`${region}a`], "spec.state": state })));
  return path;
}

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("StateStoreStack", () => {
  function synth(props: { dynamodbTable?: string; kmsKeyArn?: string }): StackJson {
    const stack = new StateStoreStack(Testing.app(), "state-store-acme-state", { bucket: "acme-state", region: "us-west-2", baseDir: "/srv/infra", ...props });
    return JSON.parse(Testing.synth(stack)) as StackJson;
  }

  it("builds the bucket exactly as named: versioned, SSE-KMS with the spec's key and a bucket key, private, owner-enforced, TLS only, never destroyed", () => {
    // GIVEN a store with a KMS key
    const stack = synth({ kmsKeyArn: KMS_KEY });
    const bucket = only(stack, "aws_s3_bucket");
    const ref = (attribute: string) => `\${aws_s3_bucket.${bucket.name}.${attribute}}`;

    // THEN the bucket is the spec's, and protected from terraform destroy
    expect(bucket.config).toMatchObject({ bucket: "acme-state", force_destroy: false, lifecycle: { prevent_destroy: true } });
    // AND each of its settings applies to it
    expect(only(stack, "aws_s3_bucket_versioning").config).toEqual({ bucket: ref("id"), versioning_configuration: { status: "Enabled" } });
    expect(only(stack, "aws_s3_bucket_server_side_encryption_configuration").config).toEqual({
      bucket: ref("id"),
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: KMS_KEY }, bucket_key_enabled: true }],
    });
    expect(only(stack, "aws_s3_bucket_public_access_block").config).toEqual({
      bucket: ref("id"),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(only(stack, "aws_s3_bucket_ownership_controls").config).toEqual({ bucket: ref("id"), rule: { object_ownership: "BucketOwnerEnforced" } });
    const policy = only(stack, "aws_s3_bucket_policy").config;
    expect(policy.bucket).toBe(ref("id"));
    expect(JSON.parse(policy.policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: { AWS: "*" }, Action: "s3:*", Resource: [ref("arn"), `${ref("arn")}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
      ],
    });
  });

  it("uses the AWS-managed KMS key when the spec names none", () => {
    const encryption = only(synth({}), "aws_s3_bucket_server_side_encryption_configuration").config as { rule: { apply_server_side_encryption_by_default: Record<string, unknown> }[] };
    expect(encryption.rule[0]!.apply_server_side_encryption_by_default).toEqual({ sse_algorithm: "aws:kms" });
  });

  it("adds the DynamoDB lock table only with dynamodbTable: LockID (S), on demand, encrypted, PITR, deletion protection, never destroyed", () => {
    expect(synth({}).resource.aws_dynamodb_table).toBeUndefined();
    const table = only(synth({ dynamodbTable: "terraform-locks", kmsKeyArn: KMS_KEY }), "aws_dynamodb_table").config;
    expect(table).toMatchObject({
      name: "terraform-locks",
      hash_key: "LockID",
      attribute: [{ name: "LockID", type: "S" }],
      billing_mode: "PAY_PER_REQUEST",
      server_side_encryption: { enabled: true, kms_key_arn: KMS_KEY },
      point_in_time_recovery: { enabled: true },
      deletion_protection_enabled: true,
      lifecycle: { prevent_destroy: true },
    });
    expect(table.range_key).toBeUndefined();
  });

  it("keeps its own state locally, in the directory it was built from, and outputs the bucket", () => {
    const stack = synth({});
    expect(stack.terraform.backend).toEqual({ local: { path: "/srv/infra/terraform.state-store-acme-state.tfstate" } });
    expect(stack.provider.aws).toEqual([{ region: "us-west-2" }]);
    expect(stack.output.state_bucket?.value).toBe(`\${aws_s3_bucket.${only(stack, "aws_s3_bucket").name}.bucket}`);
  });
});

describe("k2 state store", () => {
  it("writes one stack per distinct bucket across the clusters' files, with each bucket's table and key", () => {
    // GIVEN two clusters on one bucket (with a lock table and a KMS key), one on another bucket in another region, and one on pg
    const files = [
      specFile("alpha", { backend: "s3", s3: { bucket: "acme-state", dynamodbTable: "terraform-locks", kmsKeyArn: KMS_KEY } }),
      specFile("beta", { backend: "s3", s3: { bucket: "acme-state", dynamodbTable: "terraform-locks", kmsKeyArn: KMS_KEY } }),
      specFile("gamma", { backend: "s3", s3: { bucket: "eu-state" } }, "eu-central-1"),
      specFile("delta", { backend: "pg" }),
    ];
    const out = join(work, "store-out");

    // WHEN the admin writes the state store
    const result = runK2(["state", "store", ...files, "--out", out], { cwd: work });

    // THEN there is one stack per bucket, each for the clusters on it
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(join(out, "stacks")).sort()).toEqual(["state-store-acme-state", "state-store-eu-state"]);
    expect(result.stdout).toContain(`s3://acme-state (us-west-2) for alpha, beta  ${join(out, "stacks", "state-store-acme-state")}`);
    expect(result.stdout).toContain(`s3://eu-state (eu-central-1) for gamma  ${join(out, "stacks", "state-store-eu-state")}`);
    const acme = readStack(join(out, "stacks", "state-store-acme-state"));
    expect(only(acme, "aws_s3_bucket").config.bucket).toBe("acme-state");
    expect(only(acme, "aws_dynamodb_table").config.name).toBe("terraform-locks");
    expect(JSON.stringify(acme.resource.aws_s3_bucket_server_side_encryption_configuration)).toContain(KMS_KEY);
    const eu = readStack(join(out, "stacks", "state-store-eu-state"));
    expect(eu.provider.aws).toEqual([{ region: "eu-central-1" }]);
    expect(eu.resource.aws_dynamodb_table).toBeUndefined();
    // AND each store's local state lives where k2 ran, outside --out, which a re-run replaces
    expect(acme.terraform.backend).toEqual({ local: { path: join(work, "terraform.state-store-acme-state.tfstate") } });
  });

  it("builds the lock table a cluster names even when another cluster on the same bucket names none", () => {
    // GIVEN two clusters on one bucket: "one" locks with the S3 lock file, "two" with a DynamoDB table
    const files = [
      specFile("one", { backend: "s3", s3: { bucket: "shared-state" } }),
      specFile("two", { backend: "s3", s3: { bucket: "shared-state", useLockfile: false, dynamodbTable: "shared-locks" } }),
    ];
    const out = join(work, "shared-out");

    const result = runK2(["state", "store", ...files, "--out", out], { cwd: work });

    // THEN the store has the table "two" needs to lock: a store without it leaves "two" unable to lock
    expect(result.status, result.stderr).toBe(0);
    const stack = readStack(join(out, "stacks", "state-store-shared-state"));
    expect(Object.values(stack.resource.aws_dynamodb_table ?? {}).map((table) => table.name), "the lock table of cluster two").toEqual(["shared-locks"]);
  });

  it("refuses clusters that disagree about one bucket, naming every disagreement, and writes nothing", () => {
    const files = [
      specFile("one", { backend: "s3", s3: { bucket: "shared-state", dynamodbTable: "locks-a" } }),
      specFile("two", { backend: "s3", s3: { bucket: "shared-state", dynamodbTable: "locks-b", kmsKeyArn: KMS_KEY } }),
      specFile("three", { backend: "s3", s3: { bucket: "shared-state", kmsKeyArn: `${KMS_KEY.slice(0, -1)}0` } }),
    ];
    const out = join(work, "conflict-out");
    const result = runK2(["state", "store", ...files, "--out", out], { cwd: work });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('spec.state.s3.dynamodbTable: cluster two gives "locks-b" but one gave "locks-a" for the same bucket shared-state');
    expect(result.stderr).toContain("spec.state.s3.kmsKeyArn: cluster three gives");
    expect(readdirSync(work)).not.toContain("conflict-out");
  });

  it("exits 1 with a clear message when no cluster keeps its state in s3", () => {
    const result = runK2(["state", "store", specFile("local-only", { backend: "local" }), specFile("pg-only", { backend: "pg" }), "--out", join(work, "none-out")], { cwd: work });
    expect(result).toMatchObject({ status: 1, stderr: "k2: no cluster in the files keeps its state in s3 (spec.state.backend: s3): there is no state store to build\n" });
    expect(readdirSync(work)).not.toContain("none-out");
  });
});

describe("the state store and an s3 cluster stack, through real terraform", () => {
  const out = join(work, "terraform-store");
  let planned: PlannedResource[];

  beforeAll(() => {
    requireTerraform();
    providerMirror();
    const result = runK2(["state", "store", specFile("tf-store", { backend: "s3", s3: { bucket: "acme-state", dynamodbTable: "terraform-locks", kmsKeyArn: KMS_KEY } }), "--out", out], {
      cwd: work,
    });
    expect(result.status, result.stderr).toBe(0);
    const { resources, validation } = initValidatePlan(join(out, "stacks", "state-store-acme-state"), "us-west-2");
    expect(validation).toMatchObject({ valid: true, error_count: 0 });
    planned = resources;
  }, 120_000);

  function planOf(type: string): Record<string, unknown> {
    const matches = planned.filter((resource) => resource.type === type);
    expect(matches, `one ${type} in the plan`).toHaveLength(1);
    return matches[0]!.after;
  }

  it("plans to create the bucket, its settings and the lock table, and nothing else", () => {
    expect(planned.map((resource) => [resource.type, resource.actions.join()]).sort()).toEqual(
      [
        ["aws_dynamodb_table", "create"],
        ["aws_s3_bucket", "create"],
        ["aws_s3_bucket_ownership_controls", "create"],
        ["aws_s3_bucket_policy", "create"],
        ["aws_s3_bucket_public_access_block", "create"],
        ["aws_s3_bucket_server_side_encryption_configuration", "create"],
        ["aws_s3_bucket_versioning", "create"],
      ].sort(),
    );
  });

  it("has the AWS provider agree on every setting", () => {
    expect(planOf("aws_s3_bucket")).toMatchObject({ bucket: "acme-state", force_destroy: false });
    expect(planOf("aws_s3_bucket_versioning")).toMatchObject({ versioning_configuration: [{ status: "Enabled" }] });
    expect(planOf("aws_s3_bucket_server_side_encryption_configuration")).toMatchObject({
      rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: "aws:kms", kms_master_key_id: KMS_KEY }], bucket_key_enabled: true }],
    });
    expect(planOf("aws_s3_bucket_public_access_block")).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(planOf("aws_s3_bucket_ownership_controls")).toMatchObject({ rule: [{ object_ownership: "BucketOwnerEnforced" }] });
    expect(planOf("aws_dynamodb_table")).toMatchObject({
      name: "terraform-locks",
      hash_key: "LockID",
      attribute: [{ name: "LockID", type: "S" }],
      billing_mode: "PAY_PER_REQUEST",
      server_side_encryption: [{ enabled: true, kms_key_arn: KMS_KEY }],
      point_in_time_recovery: [{ enabled: true }],
      deletion_protection_enabled: true,
    });
  });

  it("a cluster stack with state.backend s3, from k2 synth, passes terraform init -backend=false and validate", () => {
    // GIVEN the minimal example keeping its state in the store's bucket
    const spec = join(work, "s3-cluster.yaml");
    writeFileSync(spec, `${readFileSync(EXAMPLES.awsMinimal, "utf8")}  state:\n    backend: s3\n    s3: { bucket: acme-state, dynamodbTable: terraform-locks }\n`);
    const clusterOut = join(work, "s3-cluster-out");
    const synth = runK2(["synth", spec, "--out", clusterOut], { cwd: work });
    expect(synth.status, synth.stderr).toBe(0);
    const stack = join(clusterOut, "stacks", "dev");
    expect(readStack(stack).terraform.backend).toEqual({
      s3: { bucket: "acme-state", key: "kraken/dev/terraform.tfstate", region: "us-west-2", encrypt: true, use_lockfile: true, dynamodb_table: "terraform-locks" },
    });

    // WHEN terraform initializes the stack without its backend, and validates it
    terraform(["init", "-backend=false", "-input=false", `-plugin-dir=${providerMirror()}`], stack);
    const validation = JSON.parse(terraform(["validate", "-json"], stack)) as { valid: boolean; error_count: number; diagnostics: unknown[] };

    // THEN terraform finds it valid
    expect(validation, JSON.stringify(validation.diagnostics)).toMatchObject({ valid: true, error_count: 0 });
  }, 120_000);
});
