/** Problems found in a spec, each tied to the exact field it is about. */

export type PathSegment = string | number;

export interface SpecProblem {
  /** Where the problem is, as segments from the document root: ["spec", "nodePools", 1, "maxSize"]. */
  readonly path: readonly PathSegment[];
  /** What is wrong and what is expected, naming the bad value. */
  readonly message: string;
  /** The rule that found it: "schema" for the JSON Schema, or a semantic rule's id. */
  readonly rule: string;
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** ["spec", "nodePools", 1, "labels", "a.io/b"] → spec.nodePools[1].labels["a.io/b"] */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (identifier.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === "" ? "(document)" : out;
}

/** A value as it appears in a message: JSON, shortened when long. */
export function showValue(value: unknown): string {
  if (value === undefined) return "nothing";
  let text: string;
  try {
    // JSON.stringify returns undefined for functions and symbols, whatever its type says.
    text = typeof value === "function" || typeof value === "symbol" ? typeof value : JSON.stringify(value);
  } catch {
    text = typeof value;
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** "string", "integer", "array", "null", ... as JSON Schema names types. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Thrown where a spec must be valid to go on (constructs, `defineCluster`); carries every problem. */
export class SpecValidationError extends Error {
  constructor(
    readonly problems: readonly SpecProblem[],
    readonly source = "cluster spec",
  ) {
    super(
      `${source} is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((problem) => `  ${formatPath(problem.path)}: ${problem.message}`).join("\n"),
    );
    this.name = "SpecValidationError";
  }
}
