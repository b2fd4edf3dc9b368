/**
 * The benchmark's pure parts: summaries, verdicts and the exit code, and the raw cdktf baseline
 * generator, which must synthesize exactly what KrakenCluster synthesized (real terraform
 * provides the provider schema). No timing is asserted here: timing lives in `npm run bench`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { camelCase, conventionalL1Class, firstDifference, withoutCdktfMetadata } from "../../bench/baseline/generate";
import { loadProviderSchemas } from "../../bench/baseline/provider-schema";
import { exitCode, figure, pairedRatios, renderTable, summarize } from "../../bench/stats";
import { assertSameStacks, installedL1Class, measureSynthesis } from "../../bench/synthesis";

const work = mkdtempSync(join(tmpdir(), "k2-bench-test-"));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("summaries and verdicts", () => {
  it("takes the median of odd and even counts, with min and max", () => {
    expect(summarize([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, runs: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, runs: 4 });
    expect(() => summarize([])).toThrow(/no samples/);
    expect(() => summarize([1, Number.NaN])).toThrow(/finite/);
  });

  it("pairs runs for ratios, and refuses unequal counts", () => {
    expect(pairedRatios([10, 30], [5, 10])).toEqual([2, 3]);
    expect(() => pairedRatios([1], [1, 2])).toThrow(/1 against 2/);
  });

  it("passes a median within the budget, fails one above it, and says when nothing was measured", () => {
    const budget = { limit: 300, text: "≤ 300 ms" };
    expect(figure({ id: "a", label: "a", unit: "ms", summary: summarize([300, 900, 100]), budget }).verdict).toBe("PASS");
    expect(figure({ id: "b", label: "b", unit: "ms", summary: summarize([301, 100, 900]), budget }).verdict).toBe("FAIL");
    expect(figure({ id: "c", label: "c", unit: "ms", summary: summarize([1]) }).verdict).toBe("");
    expect(figure({ id: "d", label: "d", unit: "ms", budget, note: "terraform is not on PATH" }).verdict).toBe("NOT MEASURED");
  });

  it("exits 1 on a failed budget, and on an unmeasured figure in a full run only", () => {
    const pass = figure({ id: "a", label: "a", unit: "×", summary: summarize([1]), budget: { limit: 2, text: "≤ 2×" } });
    const fail = figure({ id: "b", label: "b", unit: "×", summary: summarize([3]), budget: { limit: 2, text: "≤ 2×" } });
    const unmeasured = figure({ id: "c", label: "c", unit: "ms", note: "no terraform" });
    expect(exitCode([pass], false)).toBe(0);
    expect(exitCode([pass, fail], true)).toBe(1);
    expect(exitCode([pass, unmeasured], true)).toBe(0);
    expect(exitCode([pass, unmeasured], false)).toBe(1);
  });

  it("prints each figure with its median, min, max, budget and verdict", () => {
    const table = renderTable([figure({ id: "x", label: "k2 lint / node", unit: "×", summary: summarize([7, 5, 6]), budget: { limit: 6, text: "≤ 6× node" } })]);
    expect(table).toMatch(/k2 lint \/ node\s+6\.00×\s+5\.00×\s+7\.00×\s+3\s+≤ 6× node\s+PASS/);
  });
});

describe("the raw cdktf baseline", () => {
  it("names L1 classes and config fields as the provider package does", () => {
    expect(camelCase("vpc_zone_identifier")).toBe("vpcZoneIdentifier");
    expect(camelCase("ipv6_cidr_block")).toBe("ipv6CidrBlock");
    expect(conventionalL1Class("resource", "aws_launch_template")).toEqual({ module: "@cdktf/provider-aws/lib/launch-template", exportName: "LaunchTemplate" });
    expect(conventionalL1Class("data", "aws_ami")).toEqual({ module: "@cdktf/provider-aws/lib/data-aws-ami", exportName: "DataAwsAmi" });
    // The installed package suffixes a few names; the generator finds them by tfResourceType.
    expect(installedL1Class("resource", "aws_s3_bucket_server_side_encryption_configuration").exportName).toBe("S3BucketServerSideEncryptionConfigurationA");
    expect(installedL1Class("resource", "terraform_data")).toEqual({ module: "cdktf", exportName: "DataResource" });
  });

  it("finds the first difference between two documents, key order aside", () => {
    expect(firstDifference({ a: 1, b: [1, { c: "x" }] }, { b: [1, { c: "x" }], a: 1 })).toBeUndefined();
    expect(firstDifference({ a: { b: [1, 2] } }, { a: { b: [1, 3] } })).toBe("$.a.b[1]: 2 against 3");
    expect(firstDifference({ a: 1 }, {})).toBe("$.a: only in the first");
    expect(withoutCdktfMetadata({ "//": { metadata: {} }, resource: { x: { "//": {}, y: 1 } } })).toEqual({ resource: { x: { y: 1 } } });
  });

  it("synthesizes exactly the JSON KrakenCluster synthesized for the aws-ha cluster, through the L1 classes", () => {
    // GIVEN the provider schema from real terraform, and the aws-ha cluster synthesized through KrakenCluster
    const schemas = loadProviderSchemas();
    // WHEN the raw program is generated from that output and synthesized (the check runs inside)
    const result = measureSynthesis(1, 0, schemas, work);
    expect(result.resourcesPerStack).toBeGreaterThan(100);
    // THEN the program is raw cdktf: deep imports of L1 classes, references as attribute tokens, no overrides
    const program = readFileSync(join(work, "synth-1", "raw", "fleet-00.js"), "utf8");
    expect(program).toMatch(/require\(".*@cdktf\/provider-aws\/lib\/launch-template\/index\.js"\)/);
    expect(program).not.toMatch(/require\("[^"]*@cdktf\/provider-aws(\/lib)?(\/index\.js)?"\)/);
    expect(program).toMatch(/new AutoscalingGroup\(stack, "cluster_control-plane_node-0_[0-9A-F]{8}", \{\n\s+"desiredCapacity": 1,/);
    expect(program).toMatch(/"id": r\d+\.getStringAttribute\("id"\)/);
    expect(program).not.toContain("addOverride");

    // AND a difference in either output is caught and located
    const rawStack = join(work, "synth-1", "raw.out", "stacks", "fleet-00", "cdk.tf.json");
    const tampered = JSON.parse(readFileSync(rawStack, "utf8")) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const vpc = Object.values(tampered.resource.aws_vpc!)[0]!;
    vpc.cidr_block = "10.1.0.0/16";
    writeFileSync(rawStack, JSON.stringify(tampered));
    expect(() => {
      assertSameStacks(join(work, "synth-1", "kraken.out"), join(work, "synth-1", "raw.out"));
    }).toThrow(/stack fleet-00: the raw baseline's JSON differs from KrakenCluster's at \$\.resource\.aws_vpc\.cluster_network_vpc_[0-9A-F]{8}\.cidr_block: "10\.0\.0\.0\/16" against "10\.1\.0\.0\/16"/);
  }, 120_000);
});
