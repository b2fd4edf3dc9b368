/** `k2 plan` as users run it: the built binary, real spec files, real exit codes. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { planJsonSchema } from "../../lib/plan/json-schema";
import { defineCluster } from "../../lib/spec";
import { appliedStateDocument } from "../support/applied-state";
import { awsDocument, EXAMPLES, runK2, setPath } from "../util";

const work = mkdtempSync(join(tmpdir(), "k2-plan-"));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** The escape that starts every ANSI color sequence. */
const ESC = "\u001b[";

const validatePlan = new Ajv2020({ allErrors: true, strict: false }).compile(planJsonSchema());

/** examples/aws-ha with a pool scaled and an etcd member type changed: the spec the cluster "runs". */
function runningAwsHa(): string {
  const text = readFileSync(EXAMPLES.awsHa, "utf8").replace("      maxSize: 10\n", "      maxSize: 6\n").replace("          instanceType: m6i.large\n", "          instanceType: m5.large\n");
  const path = join(work, "running-aws-ha.yaml");
  writeFileSync(path, text);
  return path;
}

function specFile(name: string, document: object): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, stringify(document));
  return path;
}

describe("k2 plan --against", () => {
  it("prints one in-place and one blocked change for a scaled pool and an etcd member type, and exits 3", () => {
    const result = runK2(["plan", EXAMPLES.awsHa, "--against", runningAwsHa()]);
    expect(result.status, result.stderr).toBe(3);
    expect(result.stdout).toMatch(/nodePool\/general\n\s+~ in-place\s+spec\.nodePools\[0\]\.maxSize: 6 → 10/);
    expect(result.stdout).toMatch(/etcd\/main\n\s+✖ blocked\s+spec\.etcd\[0\]\.machine: aws\.instanceType: m5\.large → m6i\.large/);
    expect(result.stdout).toContain("override: add spec.etcd[0].replaceMember");
    expect(result.stdout).toContain("Plan: 0 to create, 1 in-place, 0 rolling (0 nodes), 0 replaced, 0 destroyed, 1 blocked");
    expect(result.stdout.includes(ESC), "no color when not a terminal").toBe(false);
  });

  it("gives the same plan as JSON that matches the documented schema", () => {
    const result = runK2(["plan", EXAMPLES.awsHa, "--against", runningAwsHa(), "--format", "json"]);
    expect(result.status).toBe(3);
    const plan = JSON.parse(result.stdout) as { clusters: { changes: { component: string; impact: string; path: string }[]; summary: Record<string, number> }[] };
    expect(validatePlan(plan), JSON.stringify(validatePlan.errors)).toBe(true);
    expect(plan.clusters[0]!.changes.map(({ component, impact, path }) => ({ component, impact, path }))).toEqual([
      { component: "etcd/main", impact: "blocked", path: "spec.etcd[0].machine" },
      { component: "nodePool/general", impact: "in-place", path: "spec.nodePools[0].maxSize" },
    ]);
    expect(plan.clusters[0]!.summary).toMatchObject({ inPlace: 1, blocked: 1 });
  });

  it("writes a Markdown table for a pull request", () => {
    const result = runK2(["plan", EXAMPLES.awsHa, "--against", runningAwsHa(), "--format", "markdown"]);
    expect(result.status).toBe(3);
    expect(result.stdout).toContain("> ⛔ **1 blocked change**");
    expect(result.stdout).toContain("| | Component | Field | Change | Impact | What happens |");
    expect(result.stdout).toMatch(/\| 🟡 \| `nodePool\/general` \| `spec\.nodePools\[0\]\.maxSize` \| `6 → 10` \| \*\*in-place\*\* \|/);
  });

  it("exits 0 with no changes and 2 with changes and none blocked", () => {
    expect(runK2(["plan", EXAMPLES.awsHa, "--against", EXAMPLES.awsHa])).toMatchObject({ status: 0, stdout: expect.stringContaining("No changes") as unknown });
    const scaled = specFile("scaled", setPath(awsDocument(), "spec.nodePools.0.maxSize", 9));
    const result = runK2(["plan", scaled, "--against", specFile("base", awsDocument())]);
    expect(result.status, result.stdout + result.stderr).toBe(2);
  });

  it("plans a fleet: several clusters matched by name, and says which previous spec is not planned", () => {
    const fleet = join(work, "fleet.yaml");
    writeFileSync(fleet, [stringify(setPath(awsDocument(), "metadata.name", "alpha")), stringify(setPath(setPath(awsDocument(), "metadata.name", "beta"), "spec.nodePools.0.maxSize", 9))].join("---\n"));
    const previous = join(work, "fleet-previous.yaml");
    writeFileSync(previous, [stringify(setPath(awsDocument(), "metadata.name", "alpha")), stringify(setPath(awsDocument(), "metadata.name", "beta")), stringify(setPath(awsDocument(), "metadata.name", "gamma"))].join("---\n"));
    const result = runK2(["plan", fleet, "--against", previous, "--format", "json"]);
    expect(result.status).toBe(2);
    const plan = JSON.parse(result.stdout) as { clusters: { name: string; changes: unknown[] }[]; warnings: { message: string }[] };
    expect(plan.clusters.map((cluster) => [cluster.name, cluster.changes.length])).toEqual([
      ["alpha", 0],
      ["beta", 1],
    ]);
    expect(plan.warnings.map((warning) => warning.message).join()).toMatch(/cluster gamma is in --against but not in the new files/);
  });

  it("colors the text only when asked (a TTY, or FORCE_COLOR)", () => {
    const result = runK2(["plan", EXAMPLES.awsHa, "--against", runningAwsHa()], { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } });
    expect(result.stdout.includes(ESC)).toBe(true);
  });
});

describe("k2 plan against the applied spec in the cluster's state", () => {
  it("reads the previous spec from the local state, and plans a cluster without one as new", () => {
    const spec = specFile("from-state", setPath(awsDocument(), "spec.nodePools.1.maxSize", 4));
    // The state of the applied cluster (local backend: terraform.<name>.tfstate where k2 runs)
    writeFileSync(join(work, "terraform.test.tfstate"), appliedStateDocument(defineCluster(awsDocument()), 7));
    const result = runK2(["plan", spec, "--format", "json"], { cwd: work });
    expect(result.status, result.stderr).toBe(2);
    const plan = JSON.parse(result.stdout) as { clusters: { previous: { source: string; location: string }; changes: { path: string; impact: string }[] }[] };
    expect(plan.clusters[0]!.previous).toEqual({ source: "state", location: expect.stringContaining("serial 7") as unknown });
    expect(plan.clusters[0]!.changes).toMatchObject([{ path: "spec.nodePools[1].maxSize", impact: "in-place" }]);

    rmSync(join(work, "terraform.test.tfstate"));
    const fresh = runK2(["plan", spec], { cwd: work });
    expect(fresh.status).toBe(2);
    expect(fresh.stdout).toContain("new cluster: no previous spec");
    expect(fresh.stdout).toMatch(/⚠ warning .*no applied spec in local/);
  });

  it("refuses, exit 1, a state whose applied spec was edited by hand", () => {
    const spec = specFile("tampered", awsDocument());
    writeFileSync(join(work, "terraform.test.tfstate"), appliedStateDocument(defineCluster(awsDocument()), 3, (text) => text.replace('"maxSize":5', '"maxSize":50')));
    const result = runK2(["plan", spec], { cwd: work });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^k2: cannot read the applied spec of cluster test from its state .*edited by hand/);
    expect(result.stdout).toBe("");
    rmSync(join(work, "terraform.test.tfstate"));
  });
});

describe("k2 plan errors exit 1, never 2 or 3", () => {
  it("prints every problem of an invalid spec and plans nothing", () => {
    const broken = specFile("broken", setPath(setPath(awsDocument(), "spec.nodePools.0.maxSize", 1), "spec.kubernetes.podCidr", "10.0.0.0/33"));
    const result = runK2(["plan", broken, "--against", EXAMPLES.awsHa]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("spec.nodePools[0].maxSize");
    expect(result.stderr).toContain("spec.kubernetes.podCidr");
  });

  it("fails on a missing file, an unknown option, and a missing --against file", () => {
    expect(runK2(["plan", join(work, "nope.yaml")]).status).toBe(1);
    expect(runK2(["plan", EXAMPLES.awsHa, "--bogus"]).status).toBe(1);
    const missing = runK2(["plan", EXAMPLES.awsHa, "--against", join(work, "nope.yaml")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("nope.yaml");
  });

  it("documents its exit codes in --help", () => {
    const help = runK2(["plan", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/0 {2}no changes/);
    expect(help.stdout).toMatch(/3 {2}blocked changes present/);
  });
});

describe("k2 schema --of plan", () => {
  it("prints the plan's JSON Schema", () => {
    const result = runK2(["schema", "--of", "plan"]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(planJsonSchema());
  });
});

