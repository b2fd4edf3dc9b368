/** Each cluster stack's state backend, from spec.state: one key, schema or Secret per cluster, locking on. */
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { ClusterStack } from "../../constructs/cluster-stack";
import { defineCluster, type ClusterDocumentInput } from "../../lib/spec";
import { kubernetesStateNames, s3StateKey, stateBackendConfig } from "../../lib/state/backend";
import { awsWith } from "../util";

function backendOf(state: object, name = "test"): Record<string, Record<string, unknown>> {
  const spec = defineCluster(awsWith({ "metadata.name": name, "spec.state": state }) as ClusterDocumentInput);
  const stack = new ClusterStack(Testing.app(), spec, { baseDir: "/srv/infra" });
  return (JSON.parse(Testing.synth(stack)) as { terraform: { backend: Record<string, Record<string, unknown>> } }).terraform.backend;
}

describe("state backends", () => {
  it("s3: S3-native locking, encryption and a key of the cluster's own", () => {
    expect(backendOf({ backend: "s3", s3: { bucket: "acme-state" } }, "prod-usw2")).toEqual({
      s3: { bucket: "acme-state", key: "kraken/prod-usw2/terraform.tfstate", region: "us-west-2", encrypt: true, use_lockfile: true },
    });
  });

  it("s3: a DynamoDB table for older setups, a KMS key, another prefix and region", () => {
    const backend = backendOf({
      backend: "s3",
      s3: { bucket: "acme-state", region: "eu-central-1", keyPrefix: "clusters/", dynamodbTable: "terraform-locks", useLockfile: false, kmsKeyArn: "arn:aws:kms:eu-central-1:111122223333:key/abc" },
    });
    expect(backend).toEqual({
      s3: {
        bucket: "acme-state",
        key: "clusters/test/terraform.tfstate",
        region: "eu-central-1",
        encrypt: true,
        use_lockfile: false,
        dynamodb_table: "terraform-locks",
        kms_key_id: "arn:aws:kms:eu-central-1:111122223333:key/abc",
      },
    });
  });

  it("pg: a schema per cluster, and no connection string in the files (Terraform reads PG_CONN_STR)", () => {
    expect(backendOf({ backend: "pg" }, "prod-usw2")).toEqual({ pg: { schema_name: "kraken_prod_usw2" } });
    expect(JSON.stringify(backendOf({ backend: "pg", pg: { connStrEnv: "TF_STATE_PG", schemaName: "infra_prod" } }))).not.toContain("TF_STATE_PG");
  });

  it("kubernetes: a Secret (and Lease) per cluster in the management cluster", () => {
    expect(backendOf({ backend: "kubernetes", kubernetes: { configPath: "~/.kube/mgmt.yaml", configContext: "mgmt" } }, "prod-usw2")).toEqual({
      kubernetes: { secret_suffix: "prod-usw2", namespace: "kraken-state", config_path: "~/.kube/mgmt.yaml", config_context: "mgmt" },
    });
    // Terraform refuses suffixes ending in -<number> (it numbers state chunks that way).
    expect(backendOf({ backend: "kubernetes" }, "prod-2").kubernetes?.secret_suffix).toBe("prod-2-state");
    expect(kubernetesStateNames("prod-usw2")).toEqual({ secret: "tfstate-default-prod-usw2", lease: "lock-tfstate-default-prod-usw2" });
  });

  it("local: the spec's path, from where the app runs", () => {
    expect(backendOf({ backend: "local", local: { path: "state/test.tfstate" } })).toEqual({ local: { path: "/srv/infra/state/test.tfstate" } });
    expect(backendOf({ backend: "local" })).toEqual({ local: { path: "/srv/infra/terraform.test.tfstate" } });
  });

  it("gives every cluster of a fleet its own state", () => {
    const keys = ["a", "b", "c"].map((name) => stateBackendConfig(defineCluster(awsWith({ "metadata.name": name, "spec.state": { backend: "s3", s3: { bucket: "shared" } } }) as ClusterDocumentInput)));
    expect(new Set(keys.map((key) => (key.type === "s3" ? key.key : ""))).size).toBe(3);
    expect(s3StateKey("kraken//", "a")).toBe("kraken/a/terraform.tfstate");
  });
});
