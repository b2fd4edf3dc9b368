/** The spec's JSON Schema (draft 2020-12) and its compiled ajv validator. */
import type Ajv2020 from "ajv/dist/2020";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020";
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
let validatorOrigin: "generated" | "compiled" = "compiled";

/** Where the generated validator is, beside this module once built (lib/spec/build-validator.ts). */
export const GENERATED_VALIDATOR_FILE = "spec-validator.generated.js";

/**
 * The ajv instance the validator is compiled with, at build time (`source`: for ajv's standalone
 * code) or at run time. Without ajv's optimization pass over the generated code, compiling takes
 * about 140 ms instead of 230 ms here, and validating a spec is no slower (docs/performance.md).
 */
export function specAjv(source = false): Ajv2020 {
  // Loaded here only: k2 runs the generated validator, and ajv's compiler takes a while to load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: Ajv } = require("ajv/dist/2020") as typeof import("ajv/dist/2020");
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: false, code: { optimize: false, source } });
  for (const keyword of Object.values(ANNOTATIONS)) ajv.addKeyword({ keyword, schemaType: "string" });
  return ajv;
}

/**
 * The validator `npm run build` generated from the schema (dist/lib/spec/spec-validator.generated.js),
 * so that `k2 lint` and `k2 plan` do not compile the schema at every start; compiled on first use
 * where there is none (tests running the TypeScript sources). `k2 --help` pays for neither.
 */
export function schemaValidator(): ValidateFunction {
  if (!validator) {
    let generated: ValidateFunction | undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional, generated at build time
      generated = (require(`./${GENERATED_VALIDATOR_FILE}`) as { default?: ValidateFunction }).default;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
    }
    validatorOrigin = generated ? "generated" : "compiled";
    validator = generated ?? specAjv().compile(clusterJsonSchema());
  }
  return validator;
}

/** Where the validator in use comes from (for tests and benchmarks). */
export function schemaValidatorOrigin(): "generated" | "compiled" {
  schemaValidator();
  return validatorOrigin;
}

export type SchemaError = ErrorObject;
