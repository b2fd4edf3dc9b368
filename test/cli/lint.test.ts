/** `k2 lint` as users run it: the built binary, real files, exit codes and output. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { LintProblem } from "../../lib/cli/lint";
import { EXAMPLES, REPO_ROOT, runK2 } from "../util";

const THREE_MISTAKES = `apiVersion: kraken.dev/v1alpha1
kind: Cluster
metadata:
  name: prod-usw2
spec:
  kubernetes:
    version: "1.36"
    podCIDR: 10.244.0.0/16
  provider:
    aws: { region: us-west-2, availabilityZones: [us-west-2a, us-west-2b, us-west-2c] }
  etcd:
    - name: main
      members: 4
  nodePools:
    - name: general
      minSize: 3
      maxSize: 10
    - name: batch
      minSize: 3
      maxSize: 2
`;

const VALID = `apiVersion: kraken.dev/v1alpha1
kind: Cluster
metadata: { name: NAME }
spec:
  kubernetes: { version: "1.36" }
  provider: { aws: { region: us-west-2, availabilityZones: [us-west-2a] } }
  etcd: [{ name: main, members: 1 }]
`;

function workdir(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), "k2-lint-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function expectNoStackTrace(output: string): void {
  expect(output).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
}

describe("k2 lint", () => {
  it("passes the bundled examples", () => {
    const result = runK2(["lint", EXAMPLES.awsHa, EXAMPLES.awsMinimal]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("2 documents in 2 files: no problems");
    expect(result.status).toBe(0);
  });

  it("prints all three mistakes of a spec with their paths and lines, and exits 1", () => {
    const dir = workdir({ "cluster.yaml": THREE_MISTAKES });
    const result = runK2(["lint", "cluster.yaml"], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("cluster.yaml (document 1, cluster prod-usw2)");
    expect(result.stdout).toMatch(/8:5\s+spec\.kubernetes\.podCIDR: unknown field; did you mean "podCidr"\?/);
    expect(result.stdout).toMatch(/13:7\s+spec\.etcd\[0\]\.members: must be 1, 3, 5 or 7 .*got 4/);
    expect(result.stdout).toMatch(/20:7\s+spec\.nodePools\[1\]\.maxSize: must be >= minSize \(3\), got 2/);
    expect(result.stdout).toContain("✖ 3 problems in 1 document");
    expectNoStackTrace(result.stdout + result.stderr);
  });

  it("prints problems as a JSON array of {file, document, path, message} with --format json", () => {
    const dir = workdir({ "cluster.yaml": THREE_MISTAKES });
    const result = runK2(["lint", "--format", "json", "cluster.yaml"], { cwd: dir });
    expect(result.status).toBe(1);
    const problems = JSON.parse(result.stdout) as LintProblem[];
    expect(problems.map((p) => p.path)).toEqual(["spec.kubernetes.podCIDR", "spec.etcd[0].members", "spec.nodePools[1].maxSize"]);
    expect(problems[2]).toEqual({
      file: "cluster.yaml",
      document: 1,
      cluster: "prod-usw2",
      path: "spec.nodePools[1].maxSize",
      message: "must be >= minSize (3), got 2",
      rule: "node-pool-sizes",
      line: 20,
      column: 7,
    });
  });

  it("prints an empty JSON array and exits 0 for valid files", () => {
    const result = runK2(["lint", "--format", "json", EXAMPLES.awsHa]);
    expect(JSON.parse(result.stdout)).toEqual([]);
    expect(result.status).toBe(0);
  });

  it("names the document of a multi-document file, and checks names across files", () => {
    const dir = workdir({
      "fleet.yaml": `${VALID.replace("NAME", "a")}---\n${VALID.replace("NAME", "b").replace("members: 1", "members: 2")}`,
      "other.yaml": VALID.replace("NAME", "a"),
    });
    const result = runK2(["lint", "--format", "json", "fleet.yaml", "other.yaml"], { cwd: dir });
    expect(result.status).toBe(1);
    const problems = JSON.parse(result.stdout) as LintProblem[];
    expect(problems.map((p) => [p.file, p.document, p.path, p.rule])).toEqual([
      ["fleet.yaml", 2, "spec.etcd[0].members", "schema"],
      ["other.yaml", 1, "metadata.name", "unique-cluster-names"],
    ]);
  });

  it("exits 2 with a one-line reason for a missing file", () => {
    const result = runK2(["lint", "missing.yaml"], { cwd: workdir({}) });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("k2 lint: missing.yaml: no such file\n");
  });

  it("exits 2 with the line and column of broken YAML", () => {
    const dir = workdir({ "broken.yaml": "apiVersion: kraken.dev/v1alpha1\nspec:\n  etcd: [ { name: main\n  other: 1\n" });
    const result = runK2(["lint", "broken.yaml"], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^k2 lint: broken\.yaml:\d+:\d+: not valid YAML or JSON: [^\n]+\n$/);
    expectNoStackTrace(result.stderr);
  });

  it("exits 2 for an empty file and for a directory", () => {
    const dir = workdir({ "empty.yaml": "# nothing here\n" });
    expect(runK2(["lint", "empty.yaml"], { cwd: dir })).toMatchObject({ status: 2, stderr: "k2 lint: empty.yaml: holds no documents; expected at least one Cluster document\n" });
    expect(runK2(["lint", "."], { cwd: dir })).toMatchObject({ status: 2, stderr: "k2 lint: .: is a directory, not a spec file\n" });
  });

  it("still reports the problems of the files it could read when another is missing, and exits 2", () => {
    const dir = workdir({ "cluster.yaml": THREE_MISTAKES });
    const result = runK2(["lint", "cluster.yaml", "missing.yaml"], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stdout).toContain("3 problems");
    expect(result.stderr).toContain("missing.yaml: no such file");
  });

  it("reads standard input from -", () => {
    const result = runK2(["lint", "-"], { input: THREE_MISTAKES });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("<stdin> (document 1, cluster prod-usw2)");
  });

  it("skips files that are not kraken specs only when asked (for the pre-commit hook)", () => {
    const dir = workdir({ "workflow.yaml": "on: push\njobs: {}\n", "cluster.yaml": VALID.replace("NAME", "a") });
    expect(runK2(["lint", "--ignore-non-specs", "workflow.yaml", "cluster.yaml"], { cwd: dir })).toMatchObject({ status: 0 });
    const strict = runK2(["lint", "workflow.yaml"], { cwd: dir });
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain("apiVersion: is required");
  });

  it("treats a typo in the apiVersion as a spec file with a problem, even in the hook", () => {
    const dir = workdir({ "cluster.yaml": VALID.replace("NAME", "a").replace("v1alpha1", "v1alpha") });
    const result = runK2(["lint", "--ignore-non-specs", "cluster.yaml"], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('apiVersion: must be "kraken.dev/v1alpha1", got "kraken.dev/v1alpha"');
  });

  it("writes nothing", () => {
    const dir = workdir({ "cluster.yaml": THREE_MISTAKES, "ok.yaml": VALID.replace("NAME", "ok") });
    runK2(["lint", "cluster.yaml", "ok.yaml"], { cwd: dir });
    expect(readdirSync(dir).sort()).toEqual(["cluster.yaml", "ok.yaml"]);
  });

  it("prints no color when the output is not a terminal", () => {
    const dir = workdir({ "cluster.yaml": THREE_MISTAKES });
    // runK2 sets NO_COLOR; without it the output is still a pipe, which gets no color either.
    const result = runK2(["lint", "cluster.yaml"], { cwd: dir });
    expect(result.stdout).not.toContain("\u001b[");
  });

  it.each([
    [["lint"], /missing required argument 'files'/],
    [["lint", "--format", "xml", "a.yaml"], /argument 'xml' is invalid/],
    [["lint", "--colour", "a.yaml"], /unknown option '--colour'/],
    [["lnt", "a.yaml"], /unknown command 'lnt'\n\(Did you mean lint\?\)/],
  ])("exits 2 on usage errors: k2 %j", (args, message) => {
    const result = runK2(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("documents its exit codes in --help", () => {
    const result = runK2(["lint", "--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Exit codes:\n\s+0\s+every document is valid\n\s+1\s+at least one document is invalid/);
    expect(result.stdout).toContain("--format <format>");
  });
});

describe("k2", () => {
  it("prints its version", () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    expect(runK2(["--version"])).toMatchObject({ status: 0, stdout: `${version}\n` });
  });

  it("lists its commands in --help", () => {
    const result = runK2(["--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/lint \[options\] <files\.\.\.>\s+check cluster spec files/);
  });

  it("prints the JSON Schema and the reference that docs/spec.md holds", () => {
    const schema = JSON.parse(runK2(["schema"]).stdout) as { $schema: string; $id: string };
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(runK2(["schema", "--format", "markdown"]).stdout).toBe(readFileSync(join(REPO_ROOT, "docs/spec.md"), "utf8"));
  });
});
