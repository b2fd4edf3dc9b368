/**
 * Turns ajv's errors into problems people can act on: the exact field, the bad value, what is
 * expected, and for unknown fields or enum typos a "did you mean" suggestion.
 */
import { closest, distance } from "fastest-levenshtein";
import type { SchemaError, SchemaNode } from "./json-schema";
import { jsonTypeOf, showValue, type PathSegment, type SpecProblem } from "./problems";

/** A schema problem, plus the path whose value should be ignored by later rules. */
export interface SchemaFinding {
  readonly problem: SpecProblem;
  /** The value at this path failed the schema; semantic rules must not see it. Undefined when nothing is to be ignored. */
  readonly invalidPath?: readonly PathSegment[];
}

/** "/spec/nodePools/1/maxSize" → ["spec", "nodePools", 1, "maxSize"], numbers where the parent is an array. */
export function pointerToPath(pointer: string, root: unknown): PathSegment[] {
  if (pointer === "") return [];
  const path: PathSegment[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      const index = Number(key);
      path.push(index);
      node = node[index];
    } else {
      path.push(key);
      node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

/** The closest candidate when it is close enough to be a typo (or differs only in case). */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const lower = input.toLowerCase();
  const sameCase = candidates.find((candidate) => candidate.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const best = closest(lower, candidates.map((candidate) => candidate.toLowerCase()));
  const index = candidates.findIndex((candidate) => candidate.toLowerCase() === best);
  const tolerance = Math.max(2, Math.floor(input.length / 3));
  return distance(lower, best) <= tolerance ? candidates[index] : undefined;
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function expectedText(schema: SchemaNode | undefined): string | undefined {
  return schema?.["x-expected"];
}

function listChoices(values: readonly unknown[]): string {
  const shown = values.map((value) => showValue(value));
  return shown.length <= 1 ? (shown[0] ?? "") : `${shown.slice(0, -1).join(", ")} or ${shown[shown.length - 1]}`;
}

function messageFor(error: SchemaError): string {
  const schema = error.parentSchema as SchemaNode | undefined;
  const value: unknown = error.data;
  const got = `got ${showValue(value)}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "type": {
      const expected = String(params.type);
      const actual = jsonTypeOf(value);
      const hint =
        expected === "string" && typeof value === "number"
          ? ' (YAML reads it as a number: quote it, e.g. "1.30")'
          : expected === "integer" && typeof value === "string" && /^-?[0-9]+$/.test(value)
            ? " (remove the quotes)"
            : "";
      const gotText = actual === "null" ? "got an empty value" : actual === "undefined" ? "got nothing" : `got ${article(actual)} ${showValue(value)}`;
      return `must be ${article(expected)}, ${gotText}${hint}`;
    }
    case "enum": {
      const allowed = (params.allowedValues as readonly unknown[] | undefined) ?? [];
      const expected = expectedText(schema) ?? listChoices(allowed);
      const typo = typeof value === "string" ? suggest(value, allowed.filter((a): a is string => typeof a === "string")) : undefined;
      return `must be ${expected}, ${got}${typo ? `; did you mean ${JSON.stringify(typo)}?` : ""}`;
    }
    case "const":
      return `must be ${showValue(params.allowedValue)}, ${got}`;
    case "pattern": {
      const expected = expectedText(schema);
      return expected ? `must be ${expected}, ${got}` : `must match the pattern ${String(params.pattern)}, ${got}`;
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const comparison = String(params.comparison);
      return `must be ${comparison} ${String(params.limit)}, ${got}`;
    }
    case "multipleOf":
      return `must be a multiple of ${String(params.multipleOf)}, ${got}`;
    case "minLength":
      return `must be at least ${String(params.limit)} characters long, got ${showValue(value)}`;
    case "maxLength":
      return `must be at most ${String(params.limit)} characters long, ${got} (${typeof value === "string" ? value.length : "?"} characters)`;
    case "minItems":
      return `must have at least ${String(params.limit)} item${params.limit === 1 ? "" : "s"}, got ${Array.isArray(value) ? value.length : 0}`;
    case "maxItems":
      return `must have at most ${String(params.limit)} items, got ${Array.isArray(value) ? value.length : "?"}`;
    case "uniqueItems": {
      const i = Math.min(Number(params.i), Number(params.j));
      const j = Math.max(Number(params.i), Number(params.j));
      const list = Array.isArray(value) ? (value as unknown[]) : [];
      return `must not repeat items: ${showValue(list[i])} appears at [${i}] and [${j}]`;
    }
    case "minProperties":
    case "maxProperties": {
      const names = Object.keys(schema?.properties ?? {});
      if (schema?.minProperties === 1 && schema.maxProperties === 1) {
        const present = value !== null && typeof value === "object" ? Object.keys(value) : [];
        return `must set exactly one of ${names.join(", ")}, got ${present.length === 0 ? "none" : present.join(" and ")}`;
      }
      if (error.keyword === "maxProperties" && schema?.maxProperties === 1) {
        const present = value !== null && typeof value === "object" ? Object.keys(value) : [];
        return `must set at most one of ${names.join(", ")}, got ${present.join(" and ")}`;
      }
      return `must have ${error.keyword === "minProperties" ? "at least" : "at most"} ${String(params.limit)} fields`;
    }
    case "format":
      return `must be ${article(String(params.format))}, ${got}`;
    default:
      return `${error.message ?? "is invalid"}, ${got}`;
  }
}

function missingFieldMessage(error: SchemaError): string {
  const schema = error.parentSchema as SchemaNode | undefined;
  const field = (error.params as { missingProperty: string }).missingProperty;
  const child = schema?.properties?.[field];
  const example = child?.examples?.[0];
  const isPlainExample = example !== undefined && (typeof example !== "object" || example === null);
  return `is required${isPlainExample ? `, for example ${showValue(example)}` : ""}${child?.description ? ` (${firstSentence(child.description)})` : ""}`;
}

function firstSentence(text: string): string {
  const end = text.search(/[.:](\s|$)/);
  return (end < 0 ? text : text.slice(0, end)).trim();
}

function unknownFieldMessage(error: SchemaError): string {
  const schema = error.parentSchema as SchemaNode | undefined;
  const field = (error.params as { additionalProperty: string }).additionalProperty;
  const known = Object.keys(schema?.properties ?? {});
  const typo = suggest(field, known);
  if (typo) return `unknown field; did you mean ${JSON.stringify(typo)}?`;
  if (known.length === 0) return "unknown field: this section takes no fields yet";
  return `unknown field; expected one of ${known.join(", ")}`;
}

/**
 * One finding per ajv error, with duplicates folded: when a value has the wrong type, other
 * complaints about the same value only add noise.
 */
export function schemaFindings(errors: readonly SchemaError[], document: unknown): SchemaFinding[] {
  const typeErrorAt = new Set(errors.filter((e) => e.keyword === "type" || e.keyword === "const").map((e) => e.instancePath));
  const findings: SchemaFinding[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (typeErrorAt.has(error.instancePath) && error.keyword !== "type" && error.keyword !== "const") continue;
    const at = pointerToPath(error.instancePath, document);
    let finding: SchemaFinding;
    if (error.keyword === "required") {
      const field = (error.params as { missingProperty: string }).missingProperty;
      finding = { problem: { path: [...at, field], message: missingFieldMessage(error), rule: "schema" } };
    } else if (error.keyword === "additionalProperties") {
      const field = (error.params as { additionalProperty: string }).additionalProperty;
      const path = [...at, field];
      finding = { problem: { path, message: unknownFieldMessage(error), rule: "schema" }, invalidPath: path };
    } else {
      finding = { problem: { path: at, message: messageFor(error), rule: "schema" }, invalidPath: at };
    }
    const key = `${JSON.stringify(finding.problem.path)}\u0000${finding.problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(finding);
  }
  return findings;
}
