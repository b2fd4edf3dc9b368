/**
 * Validation: the JSON Schema, then the semantic rules, all problems at once, then defaults.
 * Every consumer (constructs, `k2`, the plan engine) goes through here and gets the same
 * normalized spec.
 */
import { applyDefaults } from "./defaults";
import { schemaValidator } from "./json-schema";
import { formatPath, SpecValidationError, type PathSegment, type SpecProblem } from "./problems";
import { SPEC_RULES } from "./rules";
import { schemaFindings } from "./schema-errors";
import type { Cluster, ClusterDocumentInput, PartialCluster } from "./types";

export type ValidationResult =
  | { readonly ok: true; readonly cluster: Cluster; readonly problems: readonly [] }
  | { readonly ok: false; readonly problems: readonly SpecProblem[] };

function cloneData(value: unknown): { value: unknown } | { problem: string } {
  try {
    return { value: structuredClone(value) };
  } catch (error) {
    return { problem: `must be plain data (objects, arrays, strings, numbers, booleans): ${(error as Error).message}` };
  }
}

/** Removes the value at `path`; array entries become undefined so that later indexes keep their meaning. */
function removeAt(root: unknown, path: readonly PathSegment[]): unknown {
  if (path.length === 0) return undefined;
  let parent: unknown = root;
  for (const segment of path.slice(0, -1)) {
    if (parent === null || typeof parent !== "object") return root;
    parent = (parent as Record<PathSegment, unknown>)[segment];
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === "number") parent[last] = undefined;
  else if (parent !== null && typeof parent === "object") Reflect.deleteProperty(parent, last);
  return root;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/**
 * Validates one spec document (parsed YAML or JSON, or a TypeScript object) and, when it is
 * valid, returns it normalized: defaults applied, frozen.
 */
export function validateClusterDocument(input: unknown): ValidationResult {
  const cloned = cloneData(input);
  if ("problem" in cloned) return { ok: false, problems: [{ path: [], message: cloned.problem, rule: "schema" }] };
  let document = cloned.value;

  const validate = schemaValidator();
  const problems: SpecProblem[] = [];
  if (!validate(document)) {
    const findings = schemaFindings(validate.errors ?? [], document);
    for (const finding of findings) problems.push(finding.problem);
    // Semantic rules only see values that passed the schema: remove the rest, deepest first.
    const invalid = findings.flatMap((finding) => (finding.invalidPath ? [finding.invalidPath] : []));
    invalid.sort((a, b) => b.length - a.length);
    for (const path of invalid) document = removeAt(document, path);
  }

  const draft = (document !== null && typeof document === "object" && !Array.isArray(document) ? applyDefaults(document) : {}) as PartialCluster;
  // A field the schema already complained about gets no second, derived complaint.
  const schemaPaths = new Set(problems.map((problem) => formatPath(problem.path)));
  for (const rule of SPEC_RULES) {
    rule.check(draft, (path, message) => {
      if (!schemaPaths.has(formatPath(path))) problems.push({ path: [...path], message, rule: rule.id });
    });
  }

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, cluster: deepFreeze(draft as Cluster), problems: [] };
}

/** One document of a fleet, with whatever identifies it to people. */
export interface FleetDocument {
  readonly value: unknown;
  /** Where the document comes from, as shown in messages ("clusters.yaml, document 2"). */
  readonly source: string;
}

export interface FleetDocumentResult {
  readonly source: string;
  readonly result: ValidationResult;
}

/**
 * Validates several documents as one fleet: each on its own, then together (cluster names are
 * unique across the fleet, since they name stacks and state).
 */
export function validateFleet(documents: readonly FleetDocument[]): FleetDocumentResult[] {
  const results = documents.map((document) => ({ source: document.source, result: validateClusterDocument(document.value) }));
  const firstByName = new Map<string, string>();
  return results.map(({ source, result }, index) => {
    const name = clusterNameOf(documents[index]!.value);
    if (name === undefined) return { source, result };
    const first = firstByName.get(name);
    if (first === undefined) {
      firstByName.set(name, source);
      return { source, result };
    }
    const duplicate: SpecProblem = {
      path: ["metadata", "name"],
      message: `cluster name "${name}" is already used by ${first}; names are unique across the fleet (they name stacks and state)`,
      rule: "unique-cluster-names",
    };
    return { source, result: { ok: false, problems: [...result.problems, duplicate] } };
  });
}

/** metadata.name of a document that may be invalid, when it is a string. */
export function clusterNameOf(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const metadata = (value as { metadata?: unknown }).metadata;
  if (metadata === null || typeof metadata !== "object") return undefined;
  const name = (metadata as { name?: unknown }).name;
  return typeof name === "string" ? name : undefined;
}

/**
 * A typed spec for TypeScript users: validates and normalizes, or throws a
 * `SpecValidationError` that lists every problem.
 */
export function defineCluster(input: ClusterDocumentInput): Cluster {
  const result = validateClusterDocument(input);
  if (!result.ok) {
    const name = clusterNameOf(input);
    throw new SpecValidationError(result.problems, name ? `cluster spec "${name}"` : "cluster spec");
  }
  return result.cluster;
}
