/** KrakenCluster validates through the spec and records the applied spec in the stack's outputs. */
import { createHash } from "node:crypto";
import { App, TerraformStack, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { addClusterStacks, EXAMPLE_SPEC_FILES } from "../../examples/app";
import { canonicalJson, KrakenCluster, loadClusterFiles, SPEC_HASH_OUTPUT, SPEC_OUTPUT, SpecValidationError } from "../../index";
import { awsDocument, awsWith } from "../util";

interface SynthOutput {
  output: Record<string, { value: string; description: string }>;
}

describe("KrakenCluster", () => {
  it("outputs the normalized spec and its hash under fixed names", () => {
    // GIVEN a stack with a cluster / WHEN synthesized
    const app = Testing.app();
    const stack = new TerraformStack(app, "test");
    const cluster = new KrakenCluster(stack, "cluster", { spec: awsDocument() });
    const synth = JSON.parse(Testing.synth(stack)) as SynthOutput;

    // THEN the outputs hold the normalized spec, defaults included, and its SHA-256
    const spec = JSON.parse(synth.output[SPEC_OUTPUT]!.value) as typeof cluster.spec;
    expect(spec.spec.controlPlane.apiServer.public).toBe(false);
    expect(spec).toEqual(JSON.parse(JSON.stringify(cluster.spec)));
    expect(synth.output[SPEC_HASH_OUTPUT]!.value).toBe(createHash("sha256").update(canonicalJson(cluster.spec)).digest("hex"));
  });

  it("hashes the same spec the same, whatever the key order", () => {
    const a = Testing.synthScope((scope) => new KrakenCluster(scope, "c", { spec: awsDocument() }));
    const reordered = Object.fromEntries(Object.entries(awsDocument()).reverse());
    const b = Testing.synthScope((scope) => new KrakenCluster(scope, "c", { spec: reordered as ReturnType<typeof awsDocument> }));
    expect(a).toBe(b);
  });

  it("refuses an invalid spec with every problem", () => {
    const stack = new TerraformStack(Testing.app(), "bad");
    const invalid = awsWith({ "spec.etcd": [{ name: "main", members: 2 }], "spec.kubernetes.version": "1.20" });
    expect(() => new KrakenCluster(stack, "cluster", { spec: invalid as never })).toThrow(SpecValidationError);
    expect(() => new KrakenCluster(stack, "cluster2", { spec: invalid as never })).toThrow(/spec\.etcd\[0\]\.members(.|\n)*spec\.kubernetes\.version/);
  });

  it("refuses a second cluster in the same stack", () => {
    const stack = new TerraformStack(Testing.app(), "two");
    new KrakenCluster(stack, "a", { spec: awsDocument() });
    expect(() => new KrakenCluster(stack, "b", { spec: awsWith({ "metadata.name": "other" }) as never })).toThrow(/a stack holds one cluster/);
  });
});

describe("examples/app.ts", () => {
  it("synthesizes one stack per example cluster, with the local backend of its spec", () => {
    const app = new App({ outdir: Testing.app().outdir });
    const stacks = addClusterStacks(app, loadClusterFiles(EXAMPLE_SPEC_FILES));
    expect(stacks.map((stack) => stack.node.id)).toEqual(["prod-usw2", "dev"]);
    const synth = JSON.parse(Testing.synth(stacks[0]!)) as { terraform: { backend: { local: { path: string } } } };
    expect(synth.terraform.backend.local.path).toMatch(/\/terraform\.prod-usw2\.tfstate$/);
  });
});
