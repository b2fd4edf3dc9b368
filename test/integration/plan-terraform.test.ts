/**
 * `k2 plan --terraform` with the real terraform and the AWS provider from the offline mirror, on
 * examples/aws-ha. The cluster "runs" in a state built by real terraform as if every resource had
 * been created (test/support/applied-state.ts: the test double for AWS, which these machines
 * cannot reach); plans run against it with --no-refresh.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetPlan } from "../../lib/plan";
import { planJsonSchema } from "../../lib/plan/json-schema";
import { buildAppliedState } from "../support/applied-state";
import { providerMirror, requireTerraform, terraform, writeOfflineProviderOverride } from "../support/terraform";
import { EXAMPLES, runK2, type CliResult } from "../util";

const work = mkdtempSync(join(tmpdir(), "k2-plan-terraform-"));
const out = join(work, "cdktf.out");
const stack = join(out, "stacks", "prod-usw2");
const statePath = join(work, "terraform.prod-usw2.tfstate");
const running = join(work, "running.yaml");
const validatePlan = new Ajv2020({ allErrors: true, strict: false }).compile(planJsonSchema());

function plan(spec: string, format: "json" | "text" = "json"): CliResult {
  return runK2(["plan", spec, "--terraform", "--out", out, "--no-refresh", "--format", format], { cwd: work, env: { KRAKEN_TF_PLUGIN_DIR: providerMirror() } });
}

function parsed(result: CliResult): FleetPlan {
  const document = JSON.parse(result.stdout) as FleetPlan;
  expect(validatePlan(document), JSON.stringify(validatePlan.errors)).toBe(true);
  return document;
}

beforeAll(() => {
  requireTerraform();
  // GIVEN examples/aws-ha running: its stack synthesized, initialized and "applied" into its local state
  copyFileSync(EXAMPLES.awsHa, running);
  const synth = runK2(["synth", running, "--out", out], { cwd: work });
  expect(synth.status, synth.stderr).toBe(0);
  writeOfflineProviderOverride(stack, "us-west-2");
  terraform(["init", "-input=false", `-plugin-dir=${providerMirror()}`], stack);
  buildAppliedState(stack, statePath);
}, 600_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("k2 plan --terraform on examples/aws-ha", () => {
  it("finds no change at all when the spec is the one applied", () => {
    const result = plan(running);
    expect(result.status, result.stderr).toBe(0);
    const document = parsed(result);
    expect(document.clusters[0]!.previous.source).toBe("state");
    expect(document.clusters[0]!.changes).toEqual([]);
    expect(document.clusters[0]!.terraform).toEqual([{ stack: "prod-usw2", resourceChanges: [] }]);
    expect(document.clusters[0]!.warnings).toEqual([]);
  }, 180_000);

  it("attributes a pool's instance type change to that pool: its auto scaling group is updated, which starts its rolling replacement", () => {
    // WHEN the general pool moves to another instance type
    const next = join(work, "bigger-general.yaml");
    writeFileSync(next, readFileSync(running, "utf8").replace("instanceTypes: [m6i.xlarge]\n", "instanceTypes: [m6i.2xlarge]\n"));
    const result = plan(next);
    // THEN the plan rolls the pool, and terraform agrees: the pool's group, nothing else
    expect(result.status, result.stderr).toBe(2);
    const cluster = parsed(result).clusters[0]!;
    expect(cluster.changes.map(({ component, impact, path }) => ({ component, impact, path }))).toEqual([
      { component: "nodePool/general", impact: "rolling-replace", path: "spec.nodePools[0].machine.aws.instanceTypes" },
    ]);
    const resources = cluster.terraform![0]!.resourceChanges;
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((resource) => resource.component === "nodePool/general"), JSON.stringify(resources)).toBe(true);
    expect(resources).toContainEqual({ component: "nodePool/general", address: expect.stringMatching(/^aws_autoscaling_group\.cluster_pool-general_group_/) as unknown, actions: ["update"] });
    expect(cluster.warnings).toEqual([]);

    const text = plan(next, "text");
    expect(text.stdout).toMatch(/terraform plan of prod-usw2: \d+ resource change\(s\)\n\s+nodePool\/general\n\s+update\s+aws_autoscaling_group\.cluster_pool-general_group_/);
  }, 180_000);

  it("warns about a replacement the spec does not explain (the dry run that surprised us)", () => {
    // GIVEN the state drifted: a public subnet recorded with another CIDR than the spec gives it
    const original = readFileSync(statePath, "utf8");
    const state = JSON.parse(original) as { serial: number; resources: { type: string; name: string; instances: { attributes: Record<string, unknown> }[] }[] };
    const subnet = state.resources.find((resource) => resource.type === "aws_subnet" && resource.name.includes("public-0"))!;
    subnet.instances[0]!.attributes.cidr_block = "10.0.250.0/24";
    state.serial += 1;
    writeFileSync(statePath, JSON.stringify(state));
    try {
      // WHEN the applied spec is planned again
      const result = plan(running);
      // THEN nothing changed in the spec, terraform replaces the subnet, and the plan says so
      expect(result.status, result.stderr).toBe(2);
      const cluster = parsed(result).clusters[0]!;
      expect(cluster.changes).toEqual([]);
      const warning = cluster.warnings.find((candidate) => candidate.address?.startsWith("aws_subnet.cluster_network_public-0"));
      expect(warning, JSON.stringify(cluster.warnings)).toMatchObject({ component: "network", message: expect.stringMatching(/terraform replaces aws_subnet\..* \(forced by cidr_block\), which the spec changes do not explain/) as unknown });
      expect(plan(running, "text").stdout).toMatch(/⚠ warning \[network\] terraform replaces aws_subnet/);
    } finally {
      writeFileSync(statePath, original);
    }
  }, 180_000);

  it("does not run terraform for a cluster with blocked changes, and says so", () => {
    const next = join(work, "etcd-type.yaml");
    writeFileSync(next, readFileSync(running, "utf8").replace("          instanceType: m6i.large\n", "          instanceType: m6i.xlarge\n"));
    const result = plan(next);
    expect(result.status, result.stderr).toBe(3);
    const cluster = parsed(result).clusters[0]!;
    expect(cluster.terraform).toBeUndefined();
    expect(cluster.warnings.map((warning) => warning.message)).toContain("terraform plan was not run: the plan has blocked changes, and kraken-lib refuses to synthesize them");
  }, 60_000);
});
