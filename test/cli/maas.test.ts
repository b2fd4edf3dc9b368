/**
 * The bare-metal example through the built k2, as a user runs it: `k2 synth` writes a MAAS stack
 * whose maas_* and vault_* blocks pass the providers' schemas (written from their documentation,
 * since neither MAAS nor its provider runs here), a fleet file mixing AWS and MAAS synthesizes,
 * and `k2 plan` refuses an etcd change on MAAS exactly as on AWS.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { decodeTerraformText, parseCloudConfig } from "../constructs/fixtures";
import { validateProviderBlocks } from "../support/provider-schema";
import { EXAMPLES, runK2 } from "../util";

interface Stack {
  readonly resource: Record<string, Record<string, { allocate_params?: Record<string, unknown>[]; deploy_params?: { user_data: string }[] }>>;
}

function workdir(): string {
  return mkdtempSync(join(tmpdir(), "k2-maas-cli-"));
}

describe("k2 synth on the MAAS example", () => {
  it("writes maas_instance resources with the spec's allocate_params and cloud-init user data, which pass the provider schemas", () => {
    const out = join(workdir(), "out");
    const result = runK2(["synth", EXAMPLES.maasBareMetal, "--out", out, "--format", "json"]);
    expect(result.status, result.stderr).toBe(0);
    const stack = JSON.parse(readFileSync(join(out, "stacks/metal-dc1/cdk.tf.json"), "utf8")) as Stack;
    expect(validateProviderBlocks(stack, ["maas", "vault"])).toEqual([]);
    const instances = Object.values(stack.resource.maas_instance!);
    expect(instances).toHaveLength(14);
    expect(instances.filter((instance) => isDeepStrictEqual(instance.allocate_params, [{ pool: "kubernetes", zone: "rack-b", tags: ["worker", "nvme"] }]))).toHaveLength(2);
    for (const instance of instances) {
      const userData = decodeTerraformText(instance.deploy_params![0]!.user_data);
      expect(parseCloudConfig(userData).runcmd[0]![0]).toBe("bash");
    }
    const summary = JSON.parse(result.stdout) as { stacks: { cluster: string; secrets: { etcd: Record<string, string> } }[] };
    expect(summary.stacks[0]).toMatchObject({ cluster: "metal-dc1", secrets: { etcd: { main: "kraken/metal-dc1/etcd-main", events: "kraken/metal-dc1/etcd-events" } } });
  });

  it("synthesizes a fleet file holding an AWS and a MAAS cluster", () => {
    const dir = workdir();
    const fleet = join(dir, "fleet.yaml");
    writeFileSync(fleet, `${readFileSync(EXAMPLES.awsMinimal, "utf8")}\n---\n${readFileSync(EXAMPLES.maasBareMetal, "utf8")}`);
    const result = runK2(["synth", fleet, "--out", join(dir, "out"), "--format", "json"]);
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { stacks: { cluster: string; directory: string }[] };
    expect(summary.stacks.map((stack) => stack.cluster)).toEqual(["dev", "metal-dc1"]);
    const aws = JSON.parse(readFileSync(join(summary.stacks[0]!.directory, "cdk.tf.json"), "utf8")) as Stack;
    const maas = JSON.parse(readFileSync(join(summary.stacks[1]!.directory, "cdk.tf.json"), "utf8")) as Stack;
    expect(Object.keys(aws.resource).some((type) => type.startsWith("maas_"))).toBe(false);
    expect(Object.keys(maas.resource).filter((type) => type.startsWith("aws_"))).toEqual([]);
    expect(validateProviderBlocks(maas, ["maas", "vault"])).toEqual([]);
  });
});

describe("k2 plan on the MAAS example", () => {
  /** The same etcd change on both providers: the etcd version of the main cluster. */
  function planEtcdChange(example: string): { status: number | null; plan: { clusters: { changes: { component: string; impact: string; rule: string; path: string; reason: string }[] }[] } } {
    const dir = workdir();
    const next = join(dir, "next.yaml");
    const document = parseDocument(readFileSync(example, "utf8"));
    document.setIn(["spec", "etcd", 0, "version"], "3.6.17");
    writeFileSync(next, document.toString());
    const result = runK2(["plan", next, "--against", example, "--format", "json"]);
    return { status: result.status, plan: JSON.parse(result.stdout) as never };
  }

  it("refuses an etcd change exactly as on AWS: blocked, exit code 3, the same rule and reason", () => {
    const maas = planEtcdChange(EXAMPLES.maasBareMetal);
    const aws = planEtcdChange(EXAMPLES.awsHa);
    expect(maas.status).toBe(3);
    expect(aws.status).toBe(3);
    const [maasChange] = maas.plan.clusters[0]!.changes;
    const [awsChange] = aws.plan.clusters[0]!.changes;
    expect(maasChange).toMatchObject({ component: "etcd/main", impact: "blocked", rule: "etcd-protection", path: "spec.etcd[0].version" });
    expect(maasChange!.reason).toBe(awsChange!.reason);
  });
});
