/** What a semantic rule is: a named check over a (possibly invalid) spec document. */
import type { PathSegment } from "../problems";
import type { PartialCluster } from "../types";

export type Report = (path: readonly PathSegment[], message: string) => void;

export interface SpecRule {
  /** Stable id, printed with every problem the rule finds (`k2 lint --format json` has it as "rule"). */
  readonly id: string;
  /** One line for docs/spec.md. */
  readonly summary: string;
  /**
   * Looks at a document whose schema-invalid values were removed and whose defaults were
   * applied: any field may be missing, but every present value has its schema type.
   */
  check(document: PartialCluster, report: Report): void;
}

/** Entries of an array that survived schema pruning, with their original indexes. */
export function present<T>(items: readonly (T | undefined)[] | undefined): [T, number][] {
  const result: [T, number][] = [];
  (items ?? []).forEach((item, index) => {
    if (item !== undefined && item !== null) result.push([item, index]);
  });
  return result;
}

/** Reports every later duplicate of a name, pointing at the first. */
export function checkUniqueNames(
  items: readonly ({ readonly name?: string } | undefined)[] | undefined,
  basePath: readonly PathSegment[],
  what: string,
  report: Report,
): void {
  const firstIndex = new Map<string, number>();
  for (const [item, index] of present(items)) {
    if (item.name === undefined) continue;
    const first = firstIndex.get(item.name);
    if (first === undefined) firstIndex.set(item.name, index);
    else report([...basePath, index, "name"], `duplicate ${what} name "${item.name}": already used by ${formatIndex(basePath, first)}`);
  }
}

function formatIndex(basePath: readonly PathSegment[], index: number): string {
  return `${basePath.join(".")}[${index}]`;
}
