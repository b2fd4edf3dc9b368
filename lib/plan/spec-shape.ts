/**
 * The shape of the spec as the plan diffs it, read from the spec's own JSON Schema so that a
 * field added to the schema is diffed (and must get a rule) without touching this file:
 * objects with named properties are walked into, lists of objects that require a name are
 * matched by name, and everything else (values, maps, other lists) is compared whole.
 */
import { clusterJsonSchema } from "../spec";

interface SchemaNode {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly patternProperties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly required?: readonly string[];
}

export type ShapeNode =
  | { readonly kind: "object"; readonly fields: ReadonlyMap<string, ShapeNode> }
  | { readonly kind: "named-list"; readonly item: ShapeNode & { kind: "object" } }
  | { readonly kind: "value" };

function shapeOf(node: SchemaNode): ShapeNode {
  if (node.type === "object" && node.properties && !node.patternProperties) {
    return { kind: "object", fields: new Map(Object.entries(node.properties).map(([key, child]) => [key, shapeOf(child)])) };
  }
  if (node.type === "array" && node.items?.type === "object" && node.items.required?.includes("name")) {
    const item = shapeOf(node.items);
    if (item.kind === "object") return { kind: "named-list", item };
  }
  return { kind: "value" };
}

let cached: ShapeNode | undefined;

/** The spec document's shape. */
export function specShape(): ShapeNode {
  cached ??= shapeOf(clusterJsonSchema());
  return cached;
}

/**
 * Every field pattern the plan can report a change at, with `[]` for an element of a named
 * list: spec.nodePools[].machine.aws.instanceTypes. Rules are written against these.
 */
export function specLeafPatterns(shape: ShapeNode = specShape(), prefix = ""): string[] {
  switch (shape.kind) {
    case "value":
      return [prefix];
    case "named-list":
      // Adding or removing a whole element is a change at the element itself.
      return [`${prefix}[]`, ...specLeafPatterns(shape.item, `${prefix}[]`)];
    case "object":
      // An object with no fields yet (spec.addons) is still a place changes can happen.
      if (shape.fields.size === 0) return [prefix];
      return [...shape.fields].flatMap(([key, child]) => specLeafPatterns(child, prefix === "" ? key : `${prefix}.${key}`));
  }
}
