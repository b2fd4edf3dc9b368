/** Input errors that name the field and the value, all of them at once. */

/** Thrown when options or PEM inputs are wrong; `problems` lists each one, the message joins them. */
export class PkiInputError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems:\n${problems.map((problem) => `- ${problem}`).join("\n")}`);
    this.name = "PkiInputError";
    this.problems = problems;
  }
}

export function throwIfProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw new PkiInputError(problems);
}

/** A value as it appears in an error: strings quoted, so "" and " x" stay visible. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined || typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
