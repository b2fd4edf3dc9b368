/**
 * The compiled defaults against TypeBox's own `Value.Default`, which they replace for speed:
 * the same result, key order included (it shows in synthesized JSON and plans), on every example
 * and on many partial or wrongly typed specs (applyDefaults also runs on documents that failed
 * the schema).
 */
import { readFileSync } from "node:fs";
import { Value } from "@sinclair/typebox/value";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ClusterDocumentSchema } from "../../lib/spec";
import { compileDefaults } from "../../lib/spec/schema-defaults";
import { awsDocument, EXAMPLES, maasDocument } from "../util";

type Json = unknown;
type Path = (string | number)[];

const fill = compileDefaults(ClusterDocumentSchema);

/** Both fillers on copies of `document`: the results as JSON text, so that key order counts. */
function both(document: Json): [string, string] {
  const ours = structuredClone(document);
  const theirs = structuredClone(document);
  const ourResult = fill(ours);
  const theirResult: unknown = Value.Default(ClusterDocumentSchema, theirs);
  // Keys that hold undefined count too: "key" in object would tell them apart.
  const text = (value: unknown): string => JSON.stringify(value, (_key, item: unknown) => (item === undefined ? "<undefined>" : item));
  return [text([ourResult, ours]), text([theirResult, theirs])];
}

function pathsOf(value: Json, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => paths.push(...pathsOf(item, [...prefix, index])));
  else if (value !== null && typeof value === "object") for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  return paths;
}

function change(document: Json, path: Path, value: unknown): Json {
  if (path.length === 0) return value === REMOVE ? {} : value;
  let parent = document as Record<string | number, Json>;
  for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (value === REMOVE) Reflect.deleteProperty(parent, last);
  else parent[last] = value;
  return document;
}

const REMOVE = Symbol("remove");
const examples = Object.values(EXAMPLES).flatMap((file) => parseAllDocuments(readFileSync(file, "utf8")).map((document) => document.toJS() as Json));
const starts: Json[] = [...examples, awsDocument(), maasDocument(), {}, { spec: {} }, { spec: { nodePools: [{}], etcd: [{}], state: {}, addons: {} } }];

describe("compiled schema defaults", () => {
  it.each(starts.map((document, index) => [index, document]))("fill start document %i exactly as Value.Default does", (_index, document) => {
    const [ours, theirs] = both(document);
    expect(ours).toBe(theirs);
  });

  it("fill partial and wrongly typed documents exactly as Value.Default does", () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(undefined, null, {}, [], [{}], "x", 0, true, { aws: {} }, { maas: {} }, { enabled: true }));
    fc.assert(
      fc.property(fc.nat({ max: starts.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constant(REMOVE), value)), { minLength: 1, maxLength: 8 }), (start, edits) => {
        let document = structuredClone(starts[start]);
        for (const [pathIndex, replacement] of edits) {
          const paths = pathsOf(document);
          const removed = replacement === undefined || replacement === REMOVE;
          document = change(document, paths[pathIndex % paths.length]!, removed ? REMOVE : structuredClone(replacement));
        }
        const [ours, theirs] = both(document);
        expect(ours).toBe(theirs);
      }),
      { numRuns: 400 },
    );
  });

  it("give each document its own copy of an object default", () => {
    const first = fill({ spec: { nodePools: [{ name: "a" }, { name: "b" }] } }) as { spec: { nodePools: { labels: object }[] } };
    const [a, b] = first.spec.nodePools;
    expect(a!.labels).toEqual(b!.labels);
    expect(a!.labels).not.toBe(b!.labels);
  });
});
