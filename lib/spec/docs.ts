/** Renders docs/spec.md from the schema and the rule table, so the reference cannot drift. */
import { clusterJsonSchema, type SchemaNode } from "./json-schema";
import { SPEC_RULES } from "./rules";
import { API_VERSION, KIND } from "./schema";
import { SUPPORTED_ETCD_MINORS, SUPPORTED_KUBERNETES_MINORS } from "./versions";

interface Section {
  readonly path: string;
  readonly schema: SchemaNode;
}

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (value: unknown): string => `\`${cell(JSON.stringify(value))}\``;
const anchor = (path: string): string => path.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

function isObject(schema: SchemaNode | undefined): boolean {
  return schema?.type === "object" && schema.properties !== undefined;
}

function isStringMap(schema: SchemaNode): boolean {
  return schema.type === "object" && schema.patternProperties !== undefined;
}

function sectionLink(path: string): string {
  return `[\`${path}\`](#${anchor(path)})`;
}

function typeOf(schema: SchemaNode, path: string): string {
  if (schema.const !== undefined) return code(schema.const);
  if (schema.enum) return `one of ${schema.enum.map(code).join(", ")}`;
  if (isObject(schema)) return `object, see ${sectionLink(path)}`;
  if (isStringMap(schema)) return "map of string to string";
  if (schema.type === "array" && schema.items) {
    const items = schema.items;
    const inner = isObject(items) ? `object, see ${sectionLink(`${path}[]`)}` : typeOf(items, `${path}[]`);
    const bounds = [schema.minItems !== undefined ? `at least ${schema.minItems}` : "", schema.maxItems !== undefined ? `at most ${schema.maxItems}` : ""]
      .filter(Boolean)
      .join(", ");
    return `list of ${inner}${bounds ? ` (${bounds})` : ""}${schema.uniqueItems ? ", no repeats" : ""}`;
  }
  if (schema.type === "integer" || schema.type === "number") {
    const range = schema.minimum !== undefined && schema.maximum !== undefined ? ` ${schema.minimum} to ${schema.maximum}` : schema.minimum !== undefined ? ` >= ${schema.minimum}` : "";
    return `${schema.type}${range}`;
  }
  return schema.type ?? "any";
}

function defaultOf(schema: SchemaNode, requiredField: boolean): string {
  if (requiredField) return "**required**";
  if (schema.default !== undefined) return code(schema.default);
  return cell(schema["x-default"] ?? "-");
}

function describe(schema: SchemaNode): string {
  const expected = schema["x-expected"];
  const text = schema.description ?? "";
  return cell(expected && !schema.enum && schema.const === undefined ? `${text} Format: ${expected}.` : text);
}

function collectSections(schema: SchemaNode, path: string, into: Section[]): void {
  into.push({ path, schema });
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const childPath = path === "" ? name : `${path}.${name}`;
    if (isObject(child)) collectSections(child, childPath, into);
    else if (child.type === "array" && child.items && isObject(child.items)) collectSections(child.items, `${childPath}[]`, into);
  }
}

function renderSection(section: Section): string {
  const title = section.path === "" ? "Document" : `\`${section.path}\``;
  // Explicit anchors: GitHub drops the dots and brackets of such headings from its own.
  const lines = [`<a id="${section.path === "" ? "document" : anchor(section.path)}"></a>`, "", `### ${title}`, "", section.schema.description ?? "", ""];
  if (section.schema.minProperties === 1 && section.schema.maxProperties === 1) {
    lines.push(`Set exactly one of ${Object.keys(section.schema.properties ?? {}).map((n) => `\`${n}\``).join(", ")}.`, "");
  }
  lines.push("| Field | Type | Default | Description | Example |", "|---|---|---|---|---|");
  const requiredFields = new Set(section.schema.required ?? []);
  for (const [name, child] of Object.entries(section.schema.properties ?? {})) {
    const childPath = section.path === "" ? name : `${section.path}.${name}`;
    const example = child.examples?.[0];
    const exampleText = example === undefined ? "" : JSON.stringify(example).length > 100 ? "see the examples/ folder" : code(example);
    lines.push(`| \`${name}\` | ${typeOf(child, childPath)} | ${defaultOf(child, requiredFields.has(name))} | ${describe(child)} | ${exampleText} |`);
  }
  return lines.join("\n");
}

/** The whole reference, as committed in docs/spec.md. */
export function renderSpecReference(): string {
  const sections: Section[] = [];
  collectSections(clusterJsonSchema(), "", sections);
  const toc = sections.map((s) => `- [${s.path === "" ? "Document" : `\`${s.path}\``}](#${s.path === "" ? "document" : anchor(s.path)})`);
  const rules = SPEC_RULES.map((rule) => `| \`${rule.id}\` | ${cell(rule.summary)} |`);
  return [
    "# Cluster spec reference",
    "",
    "<!-- Generated from lib/spec/schema.ts and lib/spec/rules by `npm run docs`. Do not edit by hand: a test fails when this file is stale. -->",
    "",
    `A cluster is one document with \`apiVersion: ${API_VERSION}\` and \`kind: ${KIND}\`, in YAML or JSON. A YAML file may hold several clusters separated by \`---\`; a JSON file holds one document or an array of them. Cluster names are unique across all the files given to one command.`,
    "",
    "- Check files with `k2 lint FILE...`; print the JSON Schema (draft 2020-12) with `k2 schema` for editors and other tools.",
    "- Unknown fields are errors, with a suggestion when the name looks like a typo.",
    "- Defaults are filled in by one function (`validateClusterDocument`), so `k2`, the constructs and the plan all see the same values. A default that starts with `-` is computed, as described.",
    `- Supported Kubernetes minors: ${SUPPORTED_KUBERNETES_MINORS.join(", ")}. Supported etcd minors: ${SUPPORTED_ETCD_MINORS.join(", ")}.`,
    "",
    "## Fields",
    "",
    ...toc,
    "",
    sections.map(renderSection).join("\n\n"),
    "",
    "## Rules beyond the schema",
    "",
    "Checked by `k2 lint` and by every construct, after the schema. Each problem names its rule (`rule` in `k2 lint --format json`); problems the schema finds have the rule `schema`, and duplicate cluster names across files `unique-cluster-names`.",
    "",
    "| Rule | Checks |",
    "|---|---|",
    ...rules,
    "",
  ].join("\n");
}
