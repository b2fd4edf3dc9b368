/** The rules table and the diff under it: coverage of the whole schema, matching, and the silent rules. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diffSpecs, PLAN_RULES, planCluster, ruleFor, specLeafPatterns } from "../../lib/plan";
import { renderPlanJsonReference } from "../../lib/plan/docs";
import { defineCluster } from "../../lib/spec";
import { awsDocument, REPO_ROOT, setPath } from "../util";

const LEAVES = specLeafPatterns();

function under(pattern: string, ancestor: string): boolean {
  return pattern === ancestor || pattern.startsWith(`${ancestor}.`) || pattern.startsWith(`${ancestor}[`);
}

describe("the rules table", () => {
  it("reads the spec's fields from its schema, named lists included", () => {
    expect(LEAVES).toContain("spec.nodePools[].machine.aws.instanceTypes");
    expect(LEAVES).toContain("spec.etcd[].replaceMember.id");
    expect(LEAVES).toContain("spec.addons.monitoring.storage.sizeGib");
    expect(LEAVES).toContain("spec.addons.alerting.receivers[]");
    expect(LEAVES).toContain("spec.nodePools[]");
    expect(LEAVES).toContain("metadata.labels");
    expect(LEAVES.length).toBeGreaterThan(80);
  });

  it.each(LEAVES)("classifies %s with a rule", (pattern) => {
    expect(ruleFor(pattern), `no plan rule covers ${pattern}: add one to lib/plan/rules`).toBeDefined();
  });

  it("names only fields the schema has, and every rule once", () => {
    for (const rule of PLAN_RULES) {
      for (const pattern of rule.patterns.map((candidate) => candidate.replace(/^=/, ""))) {
        expect(
          LEAVES.some((leaf) => under(leaf, pattern)),
          `rule ${rule.id} names ${pattern}, which is not a field of the spec`,
        ).toBe(true);
      }
    }
    const ids = PLAN_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("picks the longest pattern that covers a field, an exact pattern for a whole object, and a rule under a whole object otherwise", () => {
    expect(ruleFor("spec.nodePools[].machine.aws.availabilityZones")?.id).toBe("pool-zones");
    expect(ruleFor("spec.nodePools[].machine.aws.rootVolume.iops")?.id).toBe("pool-machine");
    expect(ruleFor("spec.nodePools[]")?.id).toBe("pool-added-removed");
    expect(ruleFor("spec.etcd[].backup.retentionDays")?.id).toBe("etcd-backup");
    expect(ruleFor("spec.etcd[].machine.aws.dataVolume")?.id).toBe("etcd-protection");
    expect(ruleFor("spec.provider")?.id).toBe("provider-kind");
    expect(ruleFor("spec.provider.aws.existingVpc")?.id).toBe("aws-network");
    expect(ruleFor("spec.controlPlane.apiServer")?.id).toBe("api-endpoint");
  });

  it("shows a new default image only on the machines that take it", () => {
    // GIVEN pools with their own image
    const ownImage = { aws: { image: { amiId: "ami-0123456789abcdef0" } } };
    const withPoolImages = () => {
      const document = awsDocument();
      for (const pool of document.spec.nodePools as Record<string, unknown>[]) pool.machine = ownImage;
      return document;
    };
    const previous = defineCluster(withPoolImages());
    // WHEN the provider's default image changes
    const next = defineCluster(setPath(withPoolImages(), "spec.provider.aws.image", { amiId: "ami-0fedcba9876543210" }));
    const plan = planCluster({ next, previous: { cluster: previous, source: "file", location: "previous.yaml" } });
    // THEN only the control plane and etcd, which take the default, change; the default itself is not a change
    expect(plan.changes.map((change) => change.component).sort()).toEqual(["controlPlane", "etcd/events", "etcd/main"]);
    expect(plan.changes.some((change) => change.rule === "default-image")).toBe(false);
  });

  it("classifies addons by what the addons stack does: monitoring on and off, its volume, alerting", () => {
    const cluster = defineCluster(awsDocument());
    const classify = (id: string, path: string, before: unknown, after: unknown) =>
      PLAN_RULES.find((candidate) => candidate.id === id)!.classify([{ path, pattern: path, names: {}, before, after, kind: "changed" }], { previous: cluster, next: cluster, options: {} })[0];
    expect(classify("monitoring-enabled", "spec.addons.monitoring.enabled", false, true)).toMatchObject({ component: "addon/monitoring", impact: "create" });
    expect(classify("monitoring-enabled", "spec.addons.monitoring.enabled", true, false)).toMatchObject({ component: "addon/monitoring", impact: "destroy" });
    expect(classify("monitoring-storage", "spec.addons.monitoring.storage.sizeGib", 100, 50)).toMatchObject({ impact: "blocked" });
    expect(classify("alerting-routing", "spec.addons.alerting.repeatInterval", "4h", "2h")).toMatchObject({ component: "addon/alerting", impact: "in-place" });
  });
});

describe("diffSpecs", () => {
  const base = () => defineCluster(awsDocument());

  it("matches pools and etcd clusters by name: reordering them is no change", () => {
    const document = awsDocument();
    (document.spec.nodePools as unknown[]).reverse();
    (document.spec.etcd as unknown[]).reverse();
    // The events etcd cluster keeps its resources by name; the order of spec.etcd does matter to
    // etcd addresses, which the etcd rule checks separately.
    expect(diffSpecs(base(), defineCluster(document as never)).filter((difference) => !difference.pattern.startsWith("spec.etcd"))).toEqual([]);
  });

  it("reports a field with its path in the new spec, its pattern and the names on the way", () => {
    const document = awsDocument();
    (document.spec.nodePools as unknown[]).reverse();
    setPath(document, "spec.nodePools.1.maxSize", 9);
    expect(diffSpecs(base(), defineCluster(document as never))).toEqual([
      { path: "spec.nodePools[1].maxSize", pattern: "spec.nodePools[].maxSize", names: { nodePools: "general" }, before: 5, after: 9, kind: "changed" },
    ]);
  });

  it("reports an added and a removed pool as whole elements", () => {
    const document = awsDocument();
    setPath(document, "spec.nodePools.1.name", "accelerated");
    const differences = diffSpecs(base(), defineCluster(document));
    expect(differences.map((difference) => [difference.kind, difference.path, difference.names.nodePools])).toEqual([
      ["added", "spec.nodePools[1]", "accelerated"],
      ["removed", "spec.nodePools[1]", "gpu"],
    ]);
  });

  it("treats objects with no field in common as one change (an image by AMI ID instead of by SSM parameter)", () => {
    const document = setPath(awsDocument(), "spec.controlPlane.machine", { aws: { image: { amiId: "ami-0123456789abcdef0" } } });
    const differences = diffSpecs(base(), defineCluster(document));
    expect(differences.map((difference) => difference.path)).toEqual(["spec.controlPlane.machine.aws.image"]);
  });
});

describe("docs/plan-json.md", () => {
  it("is what npm run docs generates (the schema and the rules table)", () => {
    expect(readFileSync(join(REPO_ROOT, "docs/plan-json.md"), "utf8"), "run npm run docs").toBe(renderPlanJsonReference());
  });

  it("lists every rule", () => {
    const text = readFileSync(join(REPO_ROOT, "docs/plan-json.md"), "utf8");
    for (const rule of PLAN_RULES) expect(text).toContain(`| \`${rule.id}\` |`);
  });
});
