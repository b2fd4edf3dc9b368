/** Editing specs in k2 ui: field edits that keep the file's layout, form fields, drafts checked and planned, saves. */
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadClusterFiles } from "../../lib/spec";
import { applyFormEdit, evaluateDraft } from "../../lib/ui/draft";
import { fieldOwnsProblem, fieldValue, formFields, formModel } from "../../lib/ui/form";
import { saveSpecFile } from "../../lib/ui/save";
import type { ClusterStateView } from "../../lib/ui/state-view";
import { checkFleet, readSpecText, textHash } from "../../lib/ui/workspace";
import { applyFieldEdit } from "../../lib/ui/yaml-edit";
import { EXAMPLES } from "../util";

const AWS_HA = readFileSync(EXAMPLES.awsHa, "utf8");

/** The lines of `after` that differ from `before`, when both have the same number of lines. */
function changedLines(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return b.filter((line, index) => line !== a[index]);
}

describe("applyFieldEdit", () => {
  it("GIVEN aws-ha WHEN a pool's maxSize changes THEN only that line changes", () => {
    const out = applyFieldEdit(AWS_HA, 0, ["spec", "nodePools", 0, "maxSize"], 12);
    expect(changedLines(AWS_HA, out)).toEqual(["      maxSize: 12"]);
  });

  it("GIVEN a quoted version with a comment WHEN it changes THEN the quotes and the comment stay", () => {
    const out = applyFieldEdit(AWS_HA, 0, ["spec", "kubernetes", "version"], "1.37");
    expect(changedLines(AWS_HA, out)).toEqual(['    version: "1.37"          # quoted: YAML would read 1.30 as the number 1.3']);
  });

  it("GIVEN a flow list WHEN instance types change THEN it stays a flow list on its line", () => {
    const out = applyFieldEdit(AWS_HA, 0, ["spec", "nodePools", 0, "machine", "aws", "instanceTypes"], ["m6i.xlarge", "m7i.xlarge"]);
    expect(changedLines(AWS_HA, out)).toEqual(["          instanceTypes: [m6i.xlarge, m7i.xlarge]"]);
  });

  it("GIVEN a pool without desiredSize WHEN it is set THEN it is inserted after minSize and nothing else moves", () => {
    const out = applyFieldEdit(AWS_HA, 0, ["spec", "nodePools", 0, "desiredSize"], 4, "minSize");
    expect(out.split("\n").slice(50, 54)).toEqual(["    - name: general", "      minSize: 3", "      desiredSize: 4", "      maxSize: 10"]);
    expect(out.replace("      desiredSize: 4\n", "")).toBe(AWS_HA);
  });

  it("GIVEN a pool with desiredSize WHEN it is removed THEN only its line goes", () => {
    const out = applyFieldEdit(AWS_HA, 0, ["spec", "nodePools", 1, "desiredSize"], undefined);
    expect(AWS_HA.replace("      desiredSize: 2\n", "")).toBe(out);
  });

  it("GIVEN block labels and taints WHEN they change THEN they stay in their style, and comments elsewhere stay", () => {
    const labelled = applyFieldEdit(AWS_HA, 0, ["spec", "nodePools", 1, "labels"], { "node.kubernetes.io/lifecycle": "spot", team: "data" });
    expect(labelled).toContain("      labels:\n        node.kubernetes.io/lifecycle: spot\n        team: data\n      taints:");
    const tainted = applyFieldEdit(labelled, 0, ["spec", "nodePools", 1, "taints"], [{ key: "lifecycle", value: "spot", effect: "NoSchedule" }, { key: "dedicated", effect: "NoExecute" }]);
    expect(tainted).toContain("      taints:\n        - { key: lifecycle, value: spot, effect: NoSchedule }\n        - { key: dedicated, effect: NoExecute }\n      machine:");
    expect(tainted).toContain("onDemandPercentageAboveBase: 0    # all spot");
    expect(tainted.split("\n").slice(0, 4).join("\n")).toBe(AWS_HA.split("\n").slice(0, 4).join("\n"));
  });

  it("GIVEN several documents WHEN the second one changes THEN the first is untouched", () => {
    const text = `# fleet\napiVersion: kraken.dev/v1alpha1\nkind: Cluster\nmetadata: { name: a }  # first\nspec: { nodePools: [{ name: x, minSize: 1, maxSize: 2 }] }\n---\napiVersion: kraken.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: b\nspec:\n  nodePools:\n    - name: y\n      minSize: 1\n      maxSize: 2 # room\n`;
    const out = applyFieldEdit(text, 1, ["spec", "nodePools", 0, "maxSize"], 5);
    expect(out).toBe(text.replace("maxSize: 2 # room", "maxSize: 5 # room"));
    const flow = applyFieldEdit(text, 0, ["spec", "nodePools", 0, "maxSize"], 3);
    expect(flow).toBe(text.replace("{ name: x, minSize: 1, maxSize: 2 }", "{ name: x, minSize: 1, maxSize: 3 }"));
  });

  it("GIVEN text that is not a number WHEN written to a size THEN it is written as typed, for the schema to name", () => {
    const out = applyFieldEdit(AWS_HA, 0, ["spec", "nodePools", 0, "maxSize"], "abc");
    expect((parse(out) as { spec: { nodePools: { maxSize: unknown }[] } }).spec.nodePools[0]!.maxSize).toBe("abc");
  });
});

describe("form fields", () => {
  it("GIVEN aws-ha THEN the form has the version and each pool's sizes, instance types, labels and taints", () => {
    const model = formModel(parse(AWS_HA));
    expect(model.version?.text).toBe("1.36");
    expect(model.pools.map((pool) => pool.name)).toEqual(["general", "spot", "gpu"]);
    const spot = model.pools[1]!.fields;
    expect(Object.fromEntries(spot.map((field) => [field.id, field.text]))).toEqual({
      "pool.1.minSize": "0",
      "pool.1.desiredSize": "2",
      "pool.1.maxSize": "20",
      "pool.1.instanceTypes": "m6i.xlarge, m6a.xlarge, m5.xlarge, m5a.xlarge",
      "pool.1.labels": "node.kubernetes.io/lifecycle=spot",
      "pool.1.taints": "lifecycle=spot:PreferNoSchedule",
    });
  });

  it("GIVEN typed text THEN it becomes the value written, or says which line cannot be read", () => {
    expect(fieldValue({ kind: "size" }, " 12 ")).toEqual({ ok: true, value: 12 });
    expect(fieldValue({ kind: "optional-size" }, "")).toEqual({ ok: true, value: undefined });
    expect(fieldValue({ kind: "list" }, "a.large, b.large")).toEqual({ ok: true, value: ["a.large", "b.large"] });
    expect(fieldValue({ kind: "labels" }, "a=b\n\nc=")).toEqual({ ok: true, value: { a: "b", c: "" } });
    expect(fieldValue({ kind: "labels" }, "a=b\nnot-a-label")).toEqual({ ok: false, message: 'line 2 ("not-a-label") is not key=value' });
    expect(fieldValue({ kind: "taints" }, "gpu=yes:NoSchedule\nspot:PreferNoSchedule")).toEqual({
      ok: true,
      value: [
        { key: "gpu", value: "yes", effect: "NoSchedule" },
        { key: "spot", effect: "PreferNoSchedule" },
      ],
    });
    expect(fieldValue({ kind: "taints" }, "gpu=yes")).toMatchObject({ ok: false });
  });

  it("GIVEN a problem path THEN the field that owns it is found", () => {
    const taints = formFields(formModel(parse(AWS_HA))).find((field) => field.id === "pool.1.taints")!;
    expect(fieldOwnsProblem(taints, "spec.nodePools[1].taints[0].effect")).toBe(true);
    expect(fieldOwnsProblem(taints, "spec.nodePools[1].taintsX")).toBe(false);
  });
});

describe("drafts", () => {
  const fleet = checkFleet([readSpecText("aws-ha/cluster.yaml", AWS_HA)!]);
  const applied = loadClusterFiles([EXAMPLES.awsHa])[0]!;
  const state: ClusterStateView = { backend: "local file test.tfstate", backendType: "local", applied: { cluster: applied, hash: "h", serial: 7, lineage: "l" }, history: { kept: false, reason: "local" }, checkedAt: "" };

  it("GIVEN maxSize raised by the form WHEN evaluated against the applied spec THEN it is valid with one in-place change", () => {
    const edited = applyFormEdit(AWS_HA, "prod-usw2", "pool.0.maxSize", "12");
    expect(edited.ok).toBe(true);
    const draft = evaluateDraft(fleet, "aws-ha/cluster.yaml", "prod-usw2", edited.ok ? edited.text : "", state);
    expect(draft.valid).toBe(true);
    expect(draft.plan?.changes.map((change) => [change.path, change.impact])).toEqual([["spec.nodePools[0].maxSize", "in-place"]]);
  });

  it("GIVEN an invalid value THEN the problem is at the field, the draft is not valid and there is no plan", () => {
    const edited = applyFormEdit(AWS_HA, "prod-usw2", "pool.0.maxSize", "abc");
    const draft = evaluateDraft(fleet, "aws-ha/cluster.yaml", "prod-usw2", edited.ok ? edited.text : "", state);
    expect(draft.valid).toBe(false);
    expect(draft.fieldErrors["pool.0.maxSize"]?.[0]).toMatch(/^spec\.nodePools\[0\]\.maxSize: /);
    expect(draft.plan).toBeUndefined();
  });

  it("GIVEN an etcd member's machine changed against the applied spec THEN the plan has blocked changes with their reason", () => {
    const text = AWS_HA.replace("instanceType: m6i.large", "instanceType: m6i.2xlarge");
    const draft = evaluateDraft(fleet, "aws-ha/cluster.yaml", "prod-usw2", text, state);
    const blocked = draft.plan?.changes.filter((change) => change.impact === "blocked") ?? [];
    expect(blocked.map((change) => change.component)).toEqual(["etcd/main"]);
    expect(blocked[0]!.reason).toContain("lose quorum");
  });

  it("GIVEN broken YAML THEN the draft is not valid and the form says why", () => {
    const draft = evaluateDraft(fleet, "aws-ha/cluster.yaml", "prod-usw2", `${AWS_HA}\n  : [`, state);
    expect(draft.valid).toBe(false);
    expect(draft.problems[0]?.message).toMatch(/not valid YAML/);
    expect(applyFormEdit(`${AWS_HA}\n  : [`, "prod-usw2", "pool.0.maxSize", "3")).toMatchObject({ ok: false });
  });
});

describe("saveSpecFile", () => {
  function file(): string {
    const path = join(mkdtempSync(join(tmpdir(), "k2-ui-save-")), "cluster.yaml");
    writeFileSync(path, AWS_HA);
    chmodSync(path, 0o640);
    return path;
  }
  const request = (path: string, text: string, baseHash: string, valid = true) => ({ absolutePath: path, displayPath: "cluster.yaml", text, baseHash, valid, by: "admin-a" });

  it("GIVEN the file as loaded WHEN saved THEN it is written whole, keeping its mode", () => {
    const path = file();
    const next = AWS_HA.replace("maxSize: 10", "maxSize: 12");
    expect(saveSpecFile(request(path, next, textHash(AWS_HA)))).toEqual({ ok: true, hash: textHash(next) });
    expect(readFileSync(path, "utf8")).toBe(next);
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it("GIVEN the file changed since it was loaded WHEN saved THEN it is refused, naming who saved it", () => {
    const path = file();
    const first = AWS_HA.replace("maxSize: 10", "maxSize: 12");
    saveSpecFile(request(path, first, textHash(AWS_HA)));
    const second = saveSpecFile({ ...request(path, AWS_HA.replace("maxSize: 10", "maxSize: 15"), textHash(AWS_HA)), lastSave: { hash: textHash(first), by: "admin-b", at: "12:00:00" } });
    expect(second).toMatchObject({ ok: false, reason: "conflict" });
    expect(second.ok ? "" : second.message).toMatch(/^Not saved: cluster\.yaml was changed by admin-b at 12:00:00 since you loaded it/);
    expect(readFileSync(path, "utf8")).toBe(first);
  });

  it("GIVEN an invalid draft WHEN saved THEN nothing is written", () => {
    const path = file();
    expect(saveSpecFile(request(path, "broken", textHash(AWS_HA), false))).toMatchObject({ ok: false, reason: "invalid" });
    expect(readFileSync(path, "utf8")).toBe(AWS_HA);
  });
});
