/**
 * The schema's fixed defaults, filled in by a function built once from the schema. It does what
 * TypeBox's `Value.Default` does for the kinds the spec uses (objects, records, arrays, scalars),
 * with the same results and key order, but visits each value once where `Value.Default` visits
 * every property twice at every depth and looks each guard up through CommonJS getters: that made
 * filling defaults a fifth of `k2 lint`'s and `k2 plan`'s time (docs/performance.md).
 * test/spec/schema-defaults.test.ts compares the two on every example and on many partial specs.
 */
import { Kind, type TSchema } from "@sinclair/typebox";

type Fill = (value: unknown) => unknown;

/** TypeBox's IsObject: anything non-null of type "object", arrays included. */
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object";

function cloneValue<T>(value: T): T {
  if (!isObject(value)) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => cloneValue(item)) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = cloneValue(value[key]);
  return copy as T;
}

/** A missing value becomes (a copy of) the default; an object is laid over a copy of an object default. */
function valueOrDefault(schema: TSchema): Fill {
  if (!("default" in schema)) return (value) => value;
  const fallback: unknown = schema.default;
  if (typeof fallback === "function") throw new Error("function defaults are not supported in the spec schema");
  return (value) => {
    if (value === undefined) return cloneValue(fallback);
    return isObject(value) && isObject(fallback) ? Object.assign(cloneValue(fallback), value) : value;
  };
}

function compile(schema: TSchema): Fill {
  const kind = schema[Kind];
  const orDefault = valueOrDefault(schema);
  switch (kind) {
    case "Object": {
      const properties = Object.entries(schema.properties as Record<string, TSchema>).map(([key, property]): [string, Fill] => [key, compile(property)]);
      const additional = schema.additionalProperties as TSchema | boolean | undefined;
      const fillAdditional = isObject(additional) && "default" in additional ? compile(additional) : undefined;
      const known = new Set(properties.map(([key]) => key));
      return (value) => {
        const filled = orDefault(value);
        if (!isObject(filled)) return filled;
        for (const [key, fill] of properties) {
          const result = fill(filled[key]);
          if (result !== undefined) filled[key] = result;
        }
        if (fillAdditional) for (const key of Object.getOwnPropertyNames(filled)) if (!known.has(key)) filled[key] = fillAdditional(filled[key]);
        return filled;
      };
    }
    case "Record": {
      const [pattern, property] = Object.entries(schema.patternProperties as Record<string, TSchema>)[0]!;
      const matches = new RegExp(pattern);
      const fillProperty = "default" in property ? compile(property) : undefined;
      const additional = schema.additionalProperties as TSchema | boolean | undefined;
      const fillAdditional = isObject(additional) && "default" in additional ? compile(additional) : undefined;
      return (value) => {
        const filled = orDefault(value);
        if (!isObject(filled)) return filled;
        if (fillProperty) for (const key of Object.getOwnPropertyNames(filled)) if (matches.test(key)) filled[key] = fillProperty(filled[key]);
        if (fillAdditional) for (const key of Object.getOwnPropertyNames(filled)) if (!matches.test(key)) filled[key] = fillAdditional(filled[key]);
        return filled;
      };
    }
    case "Array": {
      const fillItem = compile(schema.items as TSchema);
      const fillItems = (list: unknown[]): unknown[] => {
        for (let index = 0; index < list.length; index++) list[index] = fillItem(list[index]);
        return list;
      };
      return (value) => {
        if (Array.isArray(value)) return fillItems(value);
        const filled = orDefault(value);
        return Array.isArray(filled) ? fillItems(filled) : filled;
      };
    }
    case "Union":
    case "Intersect":
    case "Ref":
    case "This":
    case "Tuple":
    case "Import":
    case "Date":
      throw new Error(`the spec schema uses a ${kind}, which compileDefaults does not handle: extend lib/spec/schema-defaults.ts (and its test)`);
    default:
      return orDefault;
  }
}

/** A function that fills `schema`'s defaults into a value in place, as `Value.Default(schema, value)` does. */
export function compileDefaults(schema: TSchema): Fill {
  return compile(schema);
}
