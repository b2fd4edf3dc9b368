/** The one definition: its JSON Schema is valid, every field is documented, and docs/spec.md is current. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { describe, expect, it } from "vitest";
import { clusterJsonSchema, JSON_SCHEMA_DIALECT, renderSpecReference } from "../../lib/spec";
import type { SchemaNode } from "../../lib/spec/json-schema";
import { REPO_ROOT } from "../util";

interface Field {
  readonly path: string;
  readonly schema: SchemaNode;
  readonly required: boolean;
}

function fieldsOf(schema: SchemaNode, path = ""): Field[] {
  const fields: Field[] = [];
  const required = new Set(schema.required ?? []);
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const childPath = path === "" ? name : `${path}.${name}`;
    fields.push({ path: childPath, schema: child, required: required.has(name) });
    fields.push(...fieldsOf(child, childPath));
    if (child.items) fields.push(...fieldsOf(child.items, `${childPath}[]`));
  }
  return fields;
}

describe("the JSON Schema", () => {
  const schema = clusterJsonSchema();

  it("is a valid draft 2020-12 schema", () => {
    expect(schema.$schema).toBe(JSON_SCHEMA_DIALECT);
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
  });

  it("closes every object: unknown fields are errors", () => {
    const open = fieldsOf(schema)
      .filter(({ schema: s }) => s.type === "object" && s.properties !== undefined && s.additionalProperties !== false)
      .map((f) => f.path);
    expect(open).toEqual([]);
  });

  const fields = fieldsOf(schema);

  it("has fields to check", () => {
    expect(fields.length).toBeGreaterThan(100);
  });

  it.each(fields.map((field) => [field.path, field] as const))("documents %s: description, example, default", (_path, field) => {
    expect(field.schema.description?.length ?? 0, "description").toBeGreaterThan(10);
    expect(field.schema.examples?.length ?? 0, "examples").toBeGreaterThan(0);
    const hasDefault = field.schema.default !== undefined || field.schema["x-default"] !== undefined;
    // Either required, or its default (fixed, computed, or what absence means) is stated.
    expect(field.required || hasDefault, "required, default or x-default").toBe(true);
    expect(field.required && hasDefault, "a required field has no default").toBe(false);
  });

  it("gives examples that are themselves valid values of their field", () => {
    const ajv = new Ajv2020({ strict: false });
    const invalid = fields.flatMap(({ path, schema: s }) =>
      (s.examples ?? []).filter((example) => !ajv.validate({ ...s, $id: undefined }, example)).map((example) => `${path}: ${JSON.stringify(example)}`),
    );
    expect(invalid).toEqual([]);
  });
});

describe("docs/spec.md", () => {
  const committed = readFileSync(join(REPO_ROOT, "docs/spec.md"), "utf8");

  it("is generated from the schema (run `npm run docs` after changing lib/spec)", () => {
    expect(committed).toBe(renderSpecReference());
  });

  it("names every field", () => {
    const missing = fieldsOf(clusterJsonSchema()).filter(({ path }) => {
      const name = path.split(".").pop()!.replace("[]", "");
      return !committed.includes(`| \`${name}\` |`);
    });
    expect(missing.map((f) => f.path)).toEqual([]);
  });
});
