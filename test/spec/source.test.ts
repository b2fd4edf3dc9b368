/** Reading spec files: several documents, JSON, positions of fields, and clear refusals of bad files. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkDocuments, InvalidSpecFilesError, loadClusterFiles, parseSpecText, readSpecFile, SpecSourceError } from "../../lib/spec";
import { awsDocument, EXAMPLES } from "../util";

const twoClusters = `apiVersion: kraken.dev/v1alpha1
kind: Cluster
metadata: { name: one }
spec:
  kubernetes: { version: "1.36" }
  provider: { aws: { region: us-west-2, availabilityZones: [us-west-2a] } }
  etcd: [{ name: main, members: 1 }]
---
apiVersion: kraken.dev/v1alpha1
kind: Cluster
metadata: { name: two }
spec:
  kubernetes: { version: "1.36" }
  provider: { aws: { region: us-west-2, availabilityZones: [us-west-2a] } }
  etcd: [{ name: main, members: 1 }]
  nodePools:
    - name: general
      minSize: 3
      maxSize: 2
---
`;

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "k2-source-")), name);
  writeFileSync(path, text);
  return path;
}

describe("parseSpecText", () => {
  it("reads every document of a multi-document file and skips the empty trailing one", () => {
    const documents = parseSpecText(twoClusters, "fleet.yaml");
    expect(documents.map((d) => [d.index, (d.value as { metadata: { name: string } }).metadata.name])).toEqual([
      [1, "one"],
      [2, "two"],
    ]);
  });

  it("locates fields, and the nearest enclosing field of a missing one", () => {
    const [, second] = parseSpecText(twoClusters, "fleet.yaml");
    expect(second!.locate(["spec", "nodePools", 0, "maxSize"])).toEqual({ line: 19, column: 7 });
    expect(second!.locate(["spec", "nodePools", 0, "desiredSize"])).toEqual({ line: 17, column: 7 });
    expect(second!.locate(["metadata", "name"])).toEqual({ line: 11, column: 13 });
  });

  it("reads JSON, one document or an array of them, with positions", () => {
    const single = parseSpecText(JSON.stringify(awsDocument(), null, 2), "c.json");
    expect(single).toHaveLength(1);
    const many = parseSpecText(JSON.stringify([awsDocument(), awsDocument()], null, 2), "fleet.json");
    expect(many.map((d) => d.index)).toEqual([1, 2]);
    expect(many[1]!.locate(["metadata", "name"])?.line).toBeGreaterThan(many[0]!.locate(["metadata", "name"])!.line);
  });

  it("supports anchors and merge keys for shared settings", () => {
    const text = `apiVersion: kraken.dev/v1alpha1
kind: Cluster
metadata: { name: merged }
spec:
  kubernetes: { version: "1.36" }
  provider: { aws: { region: us-west-2, availabilityZones: [us-west-2a] } }
  etcd: [{ name: main, members: 1 }]
  nodePools:
    - &pool { name: a, minSize: 1, maxSize: 2 }
    - { <<: *pool, name: b }
`;
    const [document] = parseSpecText(text, "m.yaml");
    expect((document!.value as { spec: { nodePools: unknown[] } }).spec.nodePools[1]).toEqual({ name: "b", minSize: 1, maxSize: 2 });
  });

  it("refuses broken YAML with the line, column and a one-line reason", () => {
    let caught: unknown;
    try {
      parseSpecText("spec:\n  nodePools: [a, b\n  other: 1\n", "broken.yaml");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpecSourceError);
    const error = caught as SpecSourceError;
    expect(error.position?.line).toBeGreaterThan(1);
    expect(error.message).toMatch(/^broken\.yaml:\d+:\d+: not valid YAML or JSON: /);
    expect(error.message).not.toContain("\n");
  });

  it("refuses duplicate keys, which would silently drop a value", () => {
    expect(() => parseSpecText("a: 1\na: 2\n", "dup.yaml")).toThrow(/dup\.yaml:2:1: not valid YAML or JSON: Map keys must be unique/);
  });
});

describe("readSpecFile", () => {
  it("names a missing file and a directory", () => {
    expect(() => readSpecFile("/nonexistent/cluster.yaml")).toThrow("/nonexistent/cluster.yaml: no such file");
    expect(() => readSpecFile(tmpdir())).toThrow(/is a directory/);
  });
});

describe("checkDocuments and loadClusterFiles", () => {
  it("checks documents as a fleet: cluster names are unique across files", () => {
    const a = parseSpecText(twoClusters.replace(/name: two/, "name: one").split("---")[1]!, "b.yaml");
    const b = parseSpecText(twoClusters.split("---")[0]!, "a.yaml");
    const { problems } = checkDocuments([...b, ...a]);
    expect(problems.find((p) => p.rule === "unique-cluster-names")).toMatchObject({ file: "b.yaml", path: "metadata.name", message: expect.stringContaining("already used by a.yaml document 1") as unknown });
  });

  it("loads the examples as normalized clusters", () => {
    const clusters = loadClusterFiles([EXAMPLES.awsHa, EXAMPLES.awsMinimal]);
    expect(clusters.map((c) => c.metadata.name)).toEqual(["prod-usw2", "dev"]);
  });

  it("throws one error with every problem located in its file", () => {
    const path = tempFile("fleet.yaml", twoClusters);
    expect(() => loadClusterFiles([path])).toThrow(InvalidSpecFilesError);
    expect(() => loadClusterFiles([path])).toThrow(`${path}:19:7: spec.nodePools[0].maxSize: must be >= minSize (3), got 2 [node-pool-sizes]`);
  });
});
