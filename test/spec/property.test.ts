/**
 * Property-based: random mutations of valid specs never crash the validator. Every result is
 * either a normalized cluster or a list of problems, each with a path and a message.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPath, validateClusterDocument, type ValidationResult } from "../../lib/spec";
import { awsDocument, maasDocument } from "../util";

type Json = unknown;

/** Every path to a value in a JSON document, the root included. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const paths = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => paths.push(...pathsOf(item, [...prefix, index])));
  else if (value !== null && typeof value === "object") for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  return paths;
}

type Mutation =
  | { kind: "set"; pathIndex: number; value: Json }
  | { kind: "delete"; pathIndex: number }
  | { kind: "add"; pathIndex: number; key: string; value: Json }
  | { kind: "duplicate"; pathIndex: number };

const fieldNames = fc.constantFrom("name", "minSize", "maxSize", "members", "version", "machine", "aws", "maas", "labels", "taints", "resources", "podCidr", "extra", "__proto__", "constructor");

const values: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, "", "10.0.0.0/8", "256.1.1.1/33", "us-west-2z", "NoSchedule", "events", -1, 0, 3, 1e9, 1.5, true, [], {}, [null], { aws: {} }, { maas: {} }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), pathIndex: fc.nat(), value: values }),
  fc.record({ kind: fc.constant("delete" as const), pathIndex: fc.nat() }),
  fc.record({ kind: fc.constant("add" as const), pathIndex: fc.nat(), key: fieldNames, value: values }),
  fc.record({ kind: fc.constant("duplicate" as const), pathIndex: fc.nat() }),
);

function apply(document: Json, change: Mutation): Json {
  const paths = pathsOf(document);
  const path = paths[change.pathIndex % paths.length]!;
  // Values may be shared constants: give each document its own copy.
  const value = "value" in change ? structuredClone(change.value) : undefined;
  if (path.length === 0) return change.kind === "set" ? value : document;
  let parent = document as Record<string | number, Json>;
  for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  const target = parent[last];
  switch (change.kind) {
    case "set":
      parent[last] = value;
      break;
    case "delete":
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else Reflect.deleteProperty(parent, last);
      break;
    case "add":
      if (target !== null && typeof target === "object" && !Array.isArray(target)) Object.defineProperty(target, change.key, { value, enumerable: true, writable: true, configurable: true });
      break;
    case "duplicate":
      if (Array.isArray(target) && target.length > 0) target.push(structuredClone(target[0]));
      break;
  }
  return document;
}

function checkShape(result: ValidationResult): void {
  if (result.ok) {
    expect(result.cluster.apiVersion).toBe("kraken.dev/v1alpha1");
    expect(result.problems).toEqual([]);
    return;
  }
  expect(result.problems.length).toBeGreaterThan(0);
  for (const problem of result.problems) {
    expect(Array.isArray(problem.path)).toBe(true);
    for (const segment of problem.path) expect(["string", "number"]).toContain(typeof segment);
    expect(typeof formatPath(problem.path)).toBe("string");
    expect(problem.message.length).toBeGreaterThan(5);
    expect(problem.message).not.toMatch(/undefined|\[object Object\]|NaN/);
    expect(problem.rule.length).toBeGreaterThan(0);
  }
}

describe("validator robustness", () => {
  it.each([
    ["aws", awsDocument],
    ["maas", maasDocument],
  ] as const)("never crashes on mutated %s specs", (_name, makeDocument) => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        const document = mutations.reduce<Json>((doc, change) => apply(doc, change), makeDocument());
        const snapshot = JSON.stringify(document);
        const result = validateClusterDocument(document);
        checkShape(result);
        // The input is never changed, and the same input gives the same answer.
        expect(JSON.stringify(document)).toBe(snapshot);
        expect(validateClusterDocument(document)).toEqual(result);
      }),
      { numRuns: 400 },
    );
  });

  it("never crashes on arbitrary values", () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4 }), (value) => {
        checkShape(validateClusterDocument(value));
      }),
      { numRuns: 300 },
    );
  });

  it("accepts every pool whose sizes are ordered, and refuses every pool whose sizes are not", () => {
    fc.assert(
      fc.property(fc.nat(100), fc.nat(100), fc.nat(100), (a, b, c) => {
        const [minSize, desiredSize, maxSize] = [a, b, c];
        const document = awsDocument();
        document.spec.nodePools = [{ name: "p", minSize, desiredSize, maxSize }];
        document.spec.kubernetes.podCidr = "10.128.0.0/9";
        const result = validateClusterDocument(document);
        const ordered = minSize <= desiredSize && desiredSize <= maxSize;
        expect(result.ok).toBe(ordered);
      }),
      { numRuns: 300 },
    );
  });
});
