/** `k2 synth` as users run it: the built binary, real files, exit codes, and what lands on disk. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXAMPLES, runK2 } from "../util";

function workdir(): string {
  return mkdtempSync(join(tmpdir(), "k2-synth-"));
}

describe("k2 synth", () => {
  it("writes a stack per cluster, its addons stack, and a manifest", () => {
    const out = join(workdir(), "out");
    const result = runK2(["synth", EXAMPLES.awsHa, EXAMPLES.awsMinimal, "--out", out, "--format", "json"]);
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { stacks: { cluster: string; directory: string; secrets: { controlPlane: string } }[] };
    expect(summary.stacks.map((stack) => stack.cluster)).toEqual(["prod-usw2", "dev"]);
    expect(summary.stacks[0]?.secrets.controlPlane).toBe("kraken/prod-usw2/control-plane");
    expect(readdirSync(join(out, "stacks")).sort()).toEqual(["dev", "dev-addons", "prod-usw2", "prod-usw2-addons"]);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { stacks: Record<string, { synthesizedStackPath: string }> };
    expect(manifest.stacks["prod-usw2"]?.synthesizedStackPath).toBe("stacks/prod-usw2/cdk.tf.json");
    const stack = JSON.parse(readFileSync(join(out, "stacks/dev/cdk.tf.json"), "utf8")) as { output: Record<string, unknown> };
    expect(Object.keys(stack.output).sort()).toEqual(["kraken_api_endpoint", "kraken_etcd_backup_bucket", "kraken_secret_names", "kraken_spec", "kraken_spec_hash"]);
  });

  it("writes nothing and exits 1 when a spec is invalid, printing every problem", () => {
    const dir = workdir();
    const spec = readFileSync(EXAMPLES.awsMinimal, "utf8").replace("members: 1", "members: 2").replace("maxSize: 1", "maxSize: 0");
    writeFileSync(join(dir, "bad.yaml"), spec);
    const result = runK2(["synth", "bad.yaml", "--out", "out"], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("spec.etcd[0].members: must be 1, 3, 5 or 7");
    expect(result.stderr).toContain("spec.nodePools[0].maxSize: must be >= minSize (1), got 0");
    expect(result.stderr).toContain("nothing was done");
    expect(readdirSync(dir)).toEqual(["bad.yaml"]);
  });

  it("exits 2 for a missing file and writes nothing", () => {
    const dir = workdir();
    const result = runK2(["synth", "missing.yaml", "--out", "out"], { cwd: dir });
    expect(result).toMatchObject({ status: 2, stderr: "k2 synth: missing.yaml: no such file\n" });
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  it("refuses an output directory that is not cdktf output", () => {
    const dir = workdir();
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", "precious.ts"), "keep me");
    const result = runK2(["synth", EXAMPLES.awsMinimal, "--out", "src"], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("k2: src exists and is not a cdktf output directory (no manifest.json); choose another --out\n");
    expect(readFileSync(join(dir, "src", "precious.ts"), "utf8")).toBe("keep me");
  });

  it("replaces a previous output but keeps each stack's terraform working files", () => {
    const out = join(workdir(), "out");
    expect(runK2(["synth", EXAMPLES.awsMinimal, "--out", out]).status).toBe(0);
    mkdirSync(join(out, "stacks/dev/.terraform/providers"), { recursive: true });
    writeFileSync(join(out, "stacks/dev/.terraform.lock.hcl"), "# lock");
    writeFileSync(join(out, "stacks/dev/stale.tf.json"), "{}");
    expect(runK2(["synth", EXAMPLES.awsMinimal, "--out", out]).status).toBe(0);
    expect(existsSync(join(out, "stacks/dev/.terraform/providers"))).toBe(true);
    expect(readFileSync(join(out, "stacks/dev/.terraform.lock.hcl"), "utf8")).toBe("# lock");
    expect(existsSync(join(out, "stacks/dev/stale.tf.json"))).toBe(false);
  });

  it("requires --out and documents its exit codes", () => {
    expect(runK2(["synth", EXAMPLES.awsMinimal])).toMatchObject({ status: 2, stderr: expect.stringContaining("required option '-o, --out <dir>' not specified") as unknown });
    expect(runK2(["synth", "--help"]).stdout).toMatch(/Exit codes:\n\s+0\s+written\n\s+1\s+a spec is invalid/);
  });
});
