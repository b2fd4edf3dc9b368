/** The spec's JSON Schema (draft 2020-12) and its compiled ajv validator. */
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import { ClusterDocumentSchema } from "./schema";
import { ANNOTATIONS } from "./schema-kit";

export const JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";

/** A JSON Schema node as we read it (for error messages and docs). */
export interface SchemaNode {
  readonly type?: string;
  readonly description?: string;
  readonly examples?: readonly unknown[];
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly uniqueItems?: boolean;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly patternProperties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly required?: readonly string[];
  readonly items?: SchemaNode;
  readonly "x-default"?: string;
  readonly "x-expected"?: string;
}

let cachedSchema: SchemaNode | undefined;

/** The JSON Schema as plain JSON, ready to write to a file or hand to an editor. */
export function clusterJsonSchema(): SchemaNode & { readonly $schema: string } {
  cachedSchema ??= JSON.parse(JSON.stringify(ClusterDocumentSchema)) as SchemaNode;
  return { $schema: JSON_SCHEMA_DIALECT, ...cachedSchema };
}

let validator: ValidateFunction | undefined;

/**
 * Compiled once, on first use, so that `k2 --help` does not pay for it. Every `k2 lint` and
 * `k2 plan` does: without ajv's optimization pass over the generated code, compiling takes
 * about 140 ms instead of 230 ms here, and validating a spec is no slower (docs/performance.md).
 */
export function schemaValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: false, code: { optimize: false } });
    for (const keyword of Object.values(ANNOTATIONS)) ajv.addKeyword({ keyword, schemaType: "string" });
    validator = ajv.compile(clusterJsonSchema());
  }
  return validator;
}

export type SchemaError = ErrorObject;
