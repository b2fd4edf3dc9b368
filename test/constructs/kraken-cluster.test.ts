/**
 * KrakenCluster as a whole: it validates through the spec, records the applied spec in fixed
 * outputs, holds one cluster per stack, refuses what it cannot build yet, and the library loads
 * without the provider package's root.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { addClusterStacks, EXAMPLE_SPEC_FILES } from "../../examples/app";
import {
  API_ENDPOINT_OUTPUT,
  ClusterStack,
  defineCluster,
  KrakenCluster,
  loadClusterFiles,
  SECRET_NAMES_OUTPUT,
  SPEC_HASH_OUTPUT,
  SPEC_OUTPUT,
  SpecValidationError,
  type Cluster,
  type ClusterDocumentInput,
} from "../../index";
import { awsDocument, awsWith, EXAMPLES, maasDocument, REPO_ROOT } from "../util";
import { onlyResource, ref, synthCluster, synthExample, type LbResource, type SynthesizedStack } from "./fixtures";

/** Keys sorted at every level, written independently of the library's canonicalJson. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

describe("KrakenCluster outputs", () => {
  const { cluster, json } = synthExample(EXAMPLES.awsHa);

  it("outputs the normalized spec, defaults included, as canonical JSON under kraken_spec", () => {
    // GIVEN examples/aws-ha / WHEN synthesized
    const output = json.output[SPEC_OUTPUT]!;
    const spec = JSON.parse(output.value) as Cluster;

    // THEN the output is the normalized spec with sorted keys, defaults filled in
    expect(SPEC_OUTPUT).toBe("kraken_spec");
    expect(spec).toEqual(JSON.parse(JSON.stringify(cluster.spec)));
    expect(output.value).toBe(JSON.stringify(sortedKeys(spec)));
    expect(spec.spec.nodePools[0]!.machine.aws!.rootDeviceName).toBe("/dev/sda1");
    expect(spec.spec.etcd.map((etcd) => etcd.resources)).toEqual([[], ["events"]]);
  });

  it("outputs the SHA-256 of that JSON under kraken_spec_hash", () => {
    expect(SPEC_HASH_OUTPUT).toBe("kraken_spec_hash");
    expect(json.output[SPEC_HASH_OUTPUT]!.value).toMatch(/^[0-9a-f]{64}$/);
    expect(json.output[SPEC_HASH_OUTPUT]!.value).toBe(sha256(json.output[SPEC_OUTPUT]!.value));
    expect(cluster.specHash).toBe(json.output[SPEC_HASH_OUTPUT]!.value);
  });

  it("outputs the API endpoint as the load balancer's DNS name and port 6443 under kraken_api_endpoint", () => {
    const [lbId] = onlyResource<LbResource>(json, "aws_lb");
    expect(API_ENDPOINT_OUTPUT).toBe("kraken_api_endpoint");
    expect(json.output[API_ENDPOINT_OUTPUT]!.value).toBe(`${ref("aws_lb", lbId, "dns_name")}:6443`);
  });

  it("outputs the names of the cluster's secrets under kraken_secret_names", () => {
    expect(SECRET_NAMES_OUTPUT).toBe("kraken_secret_names");
    expect(JSON.parse(json.output[SECRET_NAMES_OUTPUT]!.value)).toEqual({
      authority: "kraken/prod-usw2/authority",
      controlPlane: "kraken/prod-usw2/control-plane",
      workers: "kraken/prod-usw2/workers",
      etcd: { main: "kraken/prod-usw2/etcd-main", events: "kraken/prod-usw2/etcd-events" },
    });
  });

  it("keeps the output names whatever the construct's ID", () => {
    // GIVEN a cluster under another ID
    const stack = new TerraformStack(Testing.app(), "other");
    new KrakenCluster(stack, "somewhere-else", { spec: awsDocument() });
    const outputs = (JSON.parse(Testing.synth(stack)) as { output: Record<string, unknown> }).output;
    // THEN the same four fixed names
    expect(Object.keys(outputs).sort()).toEqual(["kraken_api_endpoint", "kraken_etcd_backup_bucket", "kraken_secret_names", "kraken_spec", "kraken_spec_hash"]);
  });
});

describe("KrakenCluster spec handling", () => {
  it("hashes the same spec the same, whatever the key order", () => {
    // GIVEN the same document with keys in reverse order, at the top and inside spec
    const document = awsDocument();
    const reordered = Object.fromEntries(Object.entries(document).reverse()) as ReturnType<typeof awsDocument>;
    reordered.spec = Object.fromEntries(Object.entries(document.spec).reverse()) as typeof document.spec;

    // WHEN both are synthesized
    const a = synthCluster(document).json;
    const b = synthCluster(reordered).json;

    // THEN the recorded spec and its hash are identical
    expect(b.output[SPEC_OUTPUT]!.value).toBe(a.output[SPEC_OUTPUT]!.value);
    expect(b.output[SPEC_HASH_OUTPUT]!.value).toBe(a.output[SPEC_HASH_OUTPUT]!.value);
  });

  it("changes the hash when the spec changes", () => {
    const a = synthCluster(awsDocument()).json;
    const b = synthCluster(awsWith({ "spec.nodePools.0.maxSize": 6 })).json;
    expect(b.output[SPEC_HASH_OUTPUT]!.value).not.toBe(a.output[SPEC_HASH_OUTPUT]!.value);
  });

  it("accepts a spec already normalized by defineCluster", () => {
    const normalized = defineCluster(awsDocument());
    const { cluster } = synthCluster(normalized);
    expect(cluster.spec).toEqual(normalized);
  });

  it("configures an AWS provider for the spec's region when given none", () => {
    const { json } = synthCluster(awsWith({ "spec.provider.aws.region": "eu-west-1", "spec.provider.aws.availabilityZones": ["eu-west-1a"] }));
    expect((json as unknown as { provider: { aws: unknown[] } }).provider.aws).toEqual([expect.objectContaining({ region: "eu-west-1" })]);
  });

  it("builds every resource and data source with the AWS provider it is given, even an aliased one", () => {
    // GIVEN a stack whose AWS provider has an alias (a second account or region, say)
    const stack = new TerraformStack(Testing.app(), "given");
    const awsProvider = new AwsProvider(stack, "aws", { region: "us-west-2", alias: "cluster" });

    // WHEN the cluster is built with it
    const cluster = new KrakenCluster(stack, "cluster", { spec: awsDocument(), awsProvider });
    const synth = JSON.parse(Testing.synth(stack)) as SynthesizedStack & { provider: { aws: unknown[] } };

    // THEN no other provider is configured, and every resource and data source names that one
    expect(cluster.provider).toBe(awsProvider);
    expect(synth.provider.aws).toEqual([expect.objectContaining({ alias: "cluster" })]);
    // terraform_data (member replacement triggers) belongs to Terraform's built-in provider.
    const awsBlocks = Object.entries(synth.resource).filter(([type]) => type !== "terraform_data");
    const blocks = [...awsBlocks, ...Object.entries(synth.data ?? {})].flatMap(([type, items]) =>
      Object.entries(items ?? {}).map(([id, item]) => [`${type}.${id}`, item.provider] as const),
    );
    expect(blocks.length).toBeGreaterThan(50);
    // Without provider = "aws.cluster", Terraform builds with the unconfigured default provider.
    expect(blocks.filter(([, provider]) => provider !== "aws.cluster").map(([where]) => where)).toEqual([]);
  });

  it("refuses an invalid spec with a SpecValidationError listing every problem", () => {
    // GIVEN a spec with two unrelated problems
    const invalid = awsWith({ "spec.etcd": [{ name: "main", members: 2 }], "spec.kubernetes.version": "1.20" });
    const stack = new TerraformStack(Testing.app(), "bad");

    // WHEN a cluster is built from it
    let error: unknown;
    try {
      new KrakenCluster(stack, "cluster", { spec: invalid as never });
    } catch (caught) {
      error = caught;
    }

    // THEN one error names both fields
    expect(error).toBeInstanceOf(SpecValidationError);
    const paths = (error as SpecValidationError).problems.map((problem) => problem.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["spec.etcd.0.members", "spec.kubernetes.version"]));
    expect((error as Error).message).toMatch(/spec\.etcd\[0\]\.members(.|\n)*spec\.kubernetes\.version/);
  });

  it("refuses a second cluster in the same stack", () => {
    const stack = new TerraformStack(Testing.app(), "two");
    new KrakenCluster(stack, "a", { spec: awsDocument() });
    expect(() => new KrakenCluster(stack, "b", { spec: awsWith({ "metadata.name": "other" }) as never })).toThrow(/a stack holds one cluster/);
  });

  it("refuses a MAAS spec with an error that says only AWS is synthesized", () => {
    const stack = new TerraformStack(Testing.app(), "metal");
    expect(() => new KrakenCluster(stack, "cluster", { spec: maasDocument() })).toThrow(/spec\.provider\.maas is built by MaasCluster/);
  });
});

describe("ClusterStack", () => {
  it("builds the cluster with a local backend at the spec's path, in a stack named after the cluster", () => {
    const spec = defineCluster(awsWith({ "spec.state": { backend: "local", local: { path: "state/test.tfstate" } } }) as ClusterDocumentInput);
    const stack = new ClusterStack(Testing.app(), spec);
    const synth = JSON.parse(Testing.synth(stack)) as { terraform: { backend: { local: { path: string } } } };
    expect(stack.node.id).toBe("test");
    expect(stack.cluster.spec.metadata.name).toBe("test");
    expect(synth.terraform.backend.local.path).toBe(join(process.cwd(), "state/test.tfstate"));
  });
});

describe("examples/app.ts", () => {
  it("synthesizes one stack per example cluster, with the local backend of its spec", () => {
    const app = new App({ outdir: Testing.app().outdir });
    const stacks = addClusterStacks(app, loadClusterFiles(EXAMPLE_SPEC_FILES));
    expect(stacks.map((stack) => stack.node.id)).toEqual(["prod-usw2", "dev", "metal-dc1"]);
    const synth = JSON.parse(Testing.synth(stacks[0]!)) as { terraform: { backend: { local: { path: string } } } };
    expect(synth.terraform.backend.local.path).toMatch(/\/terraform\.prod-usw2\.tfstate$/);
  });
});

describe("the built library", () => {
  it("loads without the provider package's root and exports KrakenCluster", () => {
    // GIVEN dist/ (built by the global setup) / WHEN a fresh Node.js requires it
    const script = [
      `const library = require(${JSON.stringify(join(REPO_ROOT, "dist/index.js"))});`,
      `const roots = Object.keys(require.cache).filter((key) => key.replace(/\\\\/g, "/").endsWith("@cdktf/provider-aws/lib/index.js"));`,
      `const deep = Object.keys(require.cache).filter((key) => key.includes("@cdktf/provider-aws")).length;`,
      `console.log(JSON.stringify({ roots, deep, krakenCluster: typeof library.KrakenCluster }));`,
    ].join("\n");
    const result = spawnSync(process.execPath, ["-e", script], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { roots: string[]; deep: number; krakenCluster: string };

    // THEN the package root is not loaded, deep imports are (so the check looks at the right cache), and the class is there
    expect(report.roots).toEqual([]);
    expect(report.deep).toBeGreaterThan(0);
    expect(report.krakenCluster).toBe("function");
  });
});
