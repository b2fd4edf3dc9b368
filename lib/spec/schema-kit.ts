/**
 * Small helpers for writing the cluster spec schema with TypeBox.
 *
 * The schema is the one place where a field's meaning lives: its description, its default
 * (fixed or computed) and an example. From it we derive the JSON Schema (validated by ajv),
 * the input and normalized TypeScript types, and docs/spec.md.
 */
import {
  CloneType,
  Type,
  type SchemaOptions,
  type Static,
  type TArray,
  type TObject,
  type TOptional,
  type TProperties,
  type TRecord,
  type TSchema,
  type TUnsafe,
} from "@sinclair/typebox";

/** Annotation keywords of our own; ajv is told about them so strict mode accepts them. */
export const ANNOTATIONS = {
  /** What an absent optional field means, or how its default is computed ("- minSize"). */
  computedDefault: "x-default",
  /** Human wording of what a pattern or enum expects, used in error messages and docs. */
  expected: "x-expected",
} as const;

/** Documentation every field must carry. */
export interface FieldDocs {
  readonly description: string;
  readonly examples: readonly unknown[];
  /** Human wording of the expected value, for fields constrained by a pattern or enum. */
  readonly expected?: string;
}

declare const defaultedBrand: unique symbol;
/** A property that is optional in the input and always present after normalization. */
export type TDefaulted<T extends TSchema> = TOptional<T> & { readonly [defaultedBrand]?: true };

/** A copy of `schema` with `options` on top (TypeBox's CloneType would let the schema's own keys win). */
function annotate<T extends TSchema>(schema: T, options: SchemaOptions): T {
  return Object.assign(CloneType(schema), options);
}

function docOptions(docs: FieldDocs): SchemaOptions {
  const options: SchemaOptions = { description: docs.description, examples: [...docs.examples] };
  if (docs.expected !== undefined) options[ANNOTATIONS.expected] = docs.expected;
  return options;
}

/** A required field. */
export function required<T extends TSchema>(schema: T, docs: FieldDocs): T {
  return annotate(schema, docOptions(docs));
}

/** An optional field with a fixed default, filled in by normalization. */
export function withDefault<T extends TSchema>(schema: T, value: Static<T>, docs: FieldDocs): TDefaulted<T> {
  return Type.Optional(annotate(schema, { ...docOptions(docs), default: value })) as TDefaulted<T>;
}

/**
 * An optional field whose default is computed from other fields by normalization.
 * `how` says how, in the house style: "- minSize", "- the cluster's Kubernetes version".
 */
export function computed<T extends TSchema>(schema: T, how: string, docs: FieldDocs): TDefaulted<T> {
  return Type.Optional(annotate(schema, { ...docOptions(docs), [ANNOTATIONS.computedDefault]: how })) as TDefaulted<T>;
}

/** An optional field that stays absent when not given; `absent` says what absence means. */
export function optional<T extends TSchema>(schema: T, absent: string, docs: FieldDocs): TOptional<T> {
  return Type.Optional(annotate(schema, { ...docOptions(docs), [ANNOTATIONS.computedDefault]: absent })) as TOptional<T>;
}

/** A closed object: unknown fields are rejected (with a "did you mean" suggestion). */
export function strictObject<P extends TProperties>(properties: P, options: SchemaOptions = {}): TObject<P> {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

/** A string enum, rendered as `enum` in JSON Schema so messages can list the choices. */
export function stringEnum<const V extends readonly string[]>(values: V, options: SchemaOptions = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: "string", enum: [...values], ...options });
}

/** An integer enum (etcd member counts). */
export function integerEnum<const V extends readonly number[]>(values: V, options: SchemaOptions = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: "integer", enum: [...values], ...options });
}

type Evaluate<T> = { [K in keyof T]: T[K] } & {};

type DefaultedKeys<P extends TProperties> = {
  [K in keyof P]: P[K] extends { readonly [defaultedBrand]?: true } ? K : never;
}[keyof P];

type OptionalKeys<P extends TProperties> = {
  [K in keyof P]: P[K] extends TOptional<TSchema> ? K : never;
}[keyof P];

type NormalizedObject<P extends TProperties> = Evaluate<
  { readonly [K in Exclude<keyof P, OptionalKeys<P>> | DefaultedKeys<P>]-?: Normalized<P[K]> } & {
    readonly [K in Exclude<OptionalKeys<P>, DefaultedKeys<P>>]?: Normalized<P[K]>;
  }
>;

/**
 * The type of a value after normalization: like `Static`, except that fields with a default
 * (fixed or computed) are always present.
 */
export type Normalized<S> = S extends TObject<infer P>
  ? NormalizedObject<P>
  : S extends TArray<infer I>
    ? readonly Normalized<I>[]
    : S extends TRecord<TSchema, infer V>
      ? Readonly<Record<string, Normalized<V>>>
      : S extends TSchema
        ? Static<S>
        : never;
