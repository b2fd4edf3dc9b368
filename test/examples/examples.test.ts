/** The bundled examples: the TypeScript app builds the same cluster as the spec file, and `cdktf synth` runs them. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import { addAwsHaStack } from "../../examples/aws-ha/main";
import { EXAMPLES, REPO_ROOT, runK2 } from "../util";

const work = mkdtempSync(join(tmpdir(), "k2-examples-"));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function stackJson(directory: string, stack: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(directory, "stacks", stack, "cdk.tf.json"), "utf8")) as Record<string, unknown>;
}

describe("examples/aws-ha/main.ts", () => {
  it("synthesizes exactly what k2 synth writes for examples/aws-ha/cluster.yaml", () => {
    // GIVEN the cluster as a TypeScript app, and as a spec file through k2
    const appOut = join(work, "app");
    const app = new App({ outdir: appOut });
    addAwsHaStack(app);
    app.synth();
    const k2Out = join(work, "k2");
    const synth = runK2(["synth", EXAMPLES.awsHa, "--out", k2Out]);
    expect(synth.status, synth.stderr).toBe(0);
    // THEN the two stacks are the same, resource for resource
    expect(stackJson(appOut, "prod-usw2")).toEqual(stackJson(k2Out, "prod-usw2"));
  });
});

describe("the root cdktf.json", () => {
  it("synthesizes every example with the real cdktf CLI", () => {
    const out = join(work, "cdktf");
    execFileSync(join(REPO_ROOT, "node_modules/.bin/cdktf"), ["synth", "--output", out], {
      cwd: REPO_ROOT,
      env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1" },
      stdio: "pipe",
      timeout: 120_000,
    });
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { stacks: Record<string, unknown> };
    expect(Object.keys(manifest.stacks).sort()).toEqual(["dev", "metal-dc1", "prod-usw2"]);
    const stack = stackJson(out, "prod-usw2") as { resource: Record<string, Record<string, unknown>> };
    // Six etcd members; control-plane nodes belong to their auto scaling groups.
    expect(Object.keys(stack.resource.aws_instance ?? {})).toHaveLength(6);
    expect(Object.keys(stack.resource.aws_autoscaling_group ?? {})).toHaveLength(3 + 3);
  }, 120_000);
});

describe("a user's cdktf app", () => {
  it("imports KrakenCluster from kraken-lib and synthesizes", () => {
    // GIVEN an app of its own that depends on kraken-lib (linked, as `npm install` would place it)
    const project = join(work, "user-app");
    mkdirSync(join(project, "node_modules", "@cdktf"), { recursive: true });
    symlinkSync(REPO_ROOT, join(project, "node_modules", "kraken-lib"));
    for (const dependency of ["cdktf", "constructs", "@cdktf/provider-aws"]) symlinkSync(join(REPO_ROOT, "node_modules", dependency), join(project, "node_modules", dependency));
    writeFileSync(
      join(project, "main.js"),
      `const { App, TerraformStack } = require("cdktf");
const { KrakenCluster, loadClusterFiles } = require("kraken-lib");
const app = new App({ outdir: ${JSON.stringify(join(project, "cdktf.out"))} });
const [spec] = loadClusterFiles([${JSON.stringify(EXAMPLES.awsMinimal)}]);
new KrakenCluster(new TerraformStack(app, "dev"), "cluster", { spec });
app.synth();
const loaded = Object.keys(require.cache);
console.log(JSON.stringify({ providerRoot: loaded.some((path) => path.endsWith("@cdktf/provider-aws/lib/index.js")) }));
`,
    );
    // WHEN it runs
    const output = execFileSync(process.execPath, ["main.js"], { cwd: project, encoding: "utf8" });
    // THEN it synthesizes the cluster, without loading the provider package's root
    expect(JSON.parse(output)).toEqual({ providerRoot: false });
    const stack = JSON.parse(readFileSync(join(project, "cdktf.out/stacks/dev/cdk.tf.json"), "utf8")) as { resource: Record<string, unknown> };
    expect(Object.keys(stack.resource)).toContain("aws_autoscaling_group");
  });
});
