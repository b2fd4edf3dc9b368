/**
 * The field-by-field difference between two normalized specs, walked along the spec's shape.
 * Named lists (etcd clusters, node pools) are matched by name, so reordering them or renaming
 * one shows as what it is: nothing, or one removed and one added.
 */
import { jsonEqual } from "../spec";
import { specShape, type ShapeNode } from "./spec-shape";

export interface SpecDifference {
  /** Where, with indexes of the new spec (of the previous one for what was removed): spec.nodePools[1].labels. */
  readonly path: string;
  /** The same with `[]` for list elements: spec.nodePools[].labels. Rules match on it. */
  readonly pattern: string;
  /** Names of the named-list elements on the way: { nodePools: "general" }. */
  readonly names: Readonly<Record<string, string>>;
  readonly before: unknown;
  readonly after: unknown;
  /** added or removed: a whole named-list element; changed: anything else. */
  readonly kind: "added" | "removed" | "changed";
}

/** Equality of JSON values, ignoring the order of object keys. */
export const sameValue = jsonEqual;

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

function join(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}.${key}`;
}

function lastKey(pattern: string): string {
  return pattern.slice(pattern.lastIndexOf(".") + 1);
}

function definedKeys(value: unknown): string[] {
  return typeof value === "object" && value !== null ? Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined) : [];
}

/**
 * Two objects with no field in common are alternatives (an image by AMI ID or by SSM parameter,
 * a cluster on AWS or on MAAS): one change of the whole, not one per field.
 */
function alternatives(before: unknown, after: unknown): boolean {
  const keys = new Set(definedKeys(before));
  return keys.size > 0 && !definedKeys(after).some((key) => keys.has(key));
}

function walk(shape: ShapeNode, before: unknown, after: unknown, path: string, pattern: string, names: Record<string, string>, out: SpecDifference[]): void {
  if (sameValue(before, after)) return;
  if (shape.kind === "value" || (shape.kind === "object" && (before === undefined || after === undefined || alternatives(before, after)))) {
    out.push({ path, pattern, names, before, after, kind: "changed" });
    return;
  }
  if (shape.kind === "object") {
    for (const [key, child] of shape.fields) walk(child, field(before, key), field(after, key), join(path, key), join(pattern, key), names, out);
    return;
  }
  const listKey = lastKey(pattern);
  const previous = Array.isArray(before) ? (before as unknown[]) : [];
  const next = Array.isArray(after) ? (after as unknown[]) : [];
  const nameOf = (element: unknown): string => String(field(element, "name"));
  next.forEach((element, index) => {
    const name = nameOf(element);
    const match = previous.find((candidate) => nameOf(candidate) === name);
    const elementNames = { ...names, [listKey]: name };
    if (match === undefined) out.push({ path: `${path}[${index}]`, pattern: `${pattern}[]`, names: elementNames, before: undefined, after: element, kind: "added" });
    else walk(shape.item, match, element, `${path}[${index}]`, `${pattern}[]`, elementNames, out);
  });
  previous.forEach((element, index) => {
    const name = nameOf(element);
    if (!next.some((candidate) => nameOf(candidate) === name)) {
      out.push({ path: `${path}[${index}]`, pattern: `${pattern}[]`, names: { ...names, [listKey]: name }, before: element, after: undefined, kind: "removed" });
    }
  });
}

/** Every difference between two specs (normalized documents), in spec order. */
export function diffSpecs(previous: unknown, next: unknown, shape: ShapeNode = specShape()): SpecDifference[] {
  const out: SpecDifference[] = [];
  walk(shape, previous, next, "", "", {}, out);
  return out;
}
