/** Reading spec files: several documents, JSON, positions of fields, and clear refusals of bad files. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseWithPositions, readsFast } from "../../lib/spec/source";
import { checkDocuments, InvalidSpecFilesError, loadClusterFiles, parseSpecText, readSpecFile, SpecSourceError } from "../../lib/spec";
import { awsDocument, EXAMPLES, REPO_ROOT } from "../util";

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

/**
 * parseSpecText reads most spec files with js-yaml (several times faster) and locates problems with
 * `yaml`, which reads every other file. Both must give the same values: checked on every YAML file
 * of the repository, on scalars the two libraries resolve differently (which must go to `yaml`),
 * and on random documents written in many YAML styles.
 */
describe("the fast reader and the full parser", () => {
  const read = (text: string, file = "x.yaml") => JSON.stringify(parseSpecText(text, file).map((document) => [document.index, document.value]));
  const readFully = (text: string, file = "x.yaml") => JSON.stringify(parseWithPositions(text, file).map((document) => [document.index, document.value]));

  it("read every YAML and JSON file of the repository alike, the examples through the fast reader", () => {
    for (const example of Object.values(EXAMPLES)) expect(readsFast(readFileSync(example, "utf8")), example).toBe(true);
    const files = execFileSync("git", ["ls-files", "*.yaml", "*.yml", "*.json"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\n").filter((file) => file !== "" && !file.endsWith("package-lock.json"));
    expect(files.length).toBeGreaterThan(20);
    let compared = 0;
    for (const file of files) {
      const text = readFileSync(join(REPO_ROOT, file), "utf8");
      let full: string;
      try {
        full = readFully(text, file);
      } catch {
        continue; // not YAML the full parser reads (templates): nothing to compare
      }
      expect(read(text, file), file).toBe(full);
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });

  it.each([
    "012", "0o17", "0x1F", "+12", "-0", "1e3", "1E3", "1e+3", ".5", "5.", "+.5", "-.5e1", "1.5e-3", ".inf", "-.Inf", ".NaN", "~", "null", "Null", "NULL",
    "true", "True", "TRUE", "yes", "on", "Y", "2024-01-01", "2024-01-01T10:00:00Z", "1:30", "0.1.2", "1,000", "0777", "-0x1F", "0b11", "1_000", "1e1000",
    "12345678901234567890", "10Gi", "v1.36", "1.36", "1.30", "0.0.0.0/0", '"quoted \\t \\u00e9"', "'it''s'", "|\n  a\n   b\n", ">\n  a\n  b\n\n   c\n",
  ])("read the scalar %j alike", (scalar) => {
    const text = `apiVersion: kraken.dev/v1alpha1\nkey: ${scalar}\nlist: [${scalar.includes("\n") ? "x" : scalar}]\n`;
    expect(read(text)).toBe(readFully(text));
  });

  it.each(["null: a\n", "~: a\n", "? [a, b]\n: c\n", "%YAML 1.1\n---\nk: yes\n", "k: &a 1\nl: *a\n", "k: !!str 1\n", "base: &b {x: 1}\nk: {<<: *b}\n"])(
    "leave %j to the full parser, which reads it as before",
    (text) => {
      expect(read(text)).toBe(readFully(text));
    },
  );

  it("read random documents in many YAML styles alike", () => {
    const key = fc.oneof(fc.constantFrom("name", "minSize", "labels", "a b", "1", "true", "x-y", "é", "kraken.dev/role"), fc.string({ maxLength: 6 }));
    const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.constantFrom("1.36", "0x10", "-", "a: b", "# c", "'", '"', "\\", "\t", "\n", " x ", "yes", "~"));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, fc.array(tie("node"), { maxLength: 4 }), fc.dictionary(key, tie("node"), { maxKeys: 4 })),
    })).node;
    const style = fc.record({
      collectionStyle: fc.constantFrom("any", "block", "flow"),
      defaultStringType: fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE", "BLOCK_LITERAL", "BLOCK_FOLDED"),
      defaultKeyType: fc.constantFrom(null, "PLAIN", "QUOTE_DOUBLE"),
      indent: fc.integer({ min: 1, max: 4 }),
      lineWidth: fc.constantFrom(0, 20, 80),
    });
    let fast = 0;
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 6 }), style, (document, options) => {
        const text = stringify(document, null, options as Parameters<typeof stringify>[2]);
        if (readsFast(text)) fast++;
        expect(read(text)).toBe(readFully(text));
      }),
      { numRuns: 800 },
    );
    // A good share really went through the fast reader (random strings often hold ! & * or ~).
    expect(fast).toBeGreaterThan(150);
  });

  it("locate a problem in a document the fast reader read where the full parser does", () => {
    const fast = parseSpecText(twoClusters, "fleet.yaml");
    const full = parseWithPositions(twoClusters, "fleet.yaml");
    for (const path of [["spec", "nodePools", 0, "maxSize"], ["metadata", "name"], ["spec", "nowhere", "deeper"]] as const) {
      expect(fast[1]!.locate(path)).toEqual(full[1]!.locate(path));
    }
    expect(fast[1]!.locate(["spec", "nodePools", 0, "maxSize"])).toEqual({ line: 19, column: 7 });
  });
});
