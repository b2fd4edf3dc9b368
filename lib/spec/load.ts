/** Checking and loading spec files as a fleet, with every problem tied to its file and line. */
import { formatPath, type SpecProblem } from "./problems";
import { readSpecFile, type SourceDocument } from "./source";
import type { Cluster } from "./types";
import { clusterNameOf, validateFleet } from "./validate";

/** A problem with where it is: `k2 lint --format json` prints exactly these. */
export interface LocatedProblem {
  readonly file: string;
  /** 1-based index of the document in its file. */
  readonly document: number;
  /** metadata.name of the document, when it has one. */
  readonly cluster: string | null;
  /** The field, as spec.nodePools[1].maxSize. */
  readonly path: string;
  readonly message: string;
  /** "schema", a semantic rule's id, or "unique-cluster-names". */
  readonly rule: string;
  /** 1-based position of the field, or of its nearest enclosing field when it is missing. */
  readonly line: number | null;
  readonly column: number | null;
}

export interface CheckedFleet {
  /** The normalized clusters, in document order; only complete when `problems` is empty. */
  readonly clusters: readonly Cluster[];
  readonly problems: readonly LocatedProblem[];
}

function locate(document: SourceDocument, problem: SpecProblem): LocatedProblem {
  const position = document.locate(problem.path);
  return {
    file: document.file,
    document: document.index,
    cluster: clusterNameOf(document.value) ?? null,
    path: formatPath(problem.path),
    message: problem.message,
    rule: problem.rule,
    line: position?.line ?? null,
    column: position?.column ?? null,
  };
}

/** Validates parsed documents as one fleet; problems come sorted by file, document and line. */
export function checkDocuments(documents: readonly SourceDocument[]): CheckedFleet {
  const results = validateFleet(documents.map((document) => ({ value: document.value, source: `${document.file} document ${document.index}` })));
  const clusters = results.flatMap(({ result }) => (result.ok ? [result.cluster] : []));
  const problems = results.flatMap(({ result }, index) => result.problems.map((problem) => locate(documents[index]!, problem)));
  const fileOrder = new Map<string, number>();
  documents.forEach((document, index) => {
    if (!fileOrder.has(document.file)) fileOrder.set(document.file, index);
  });
  problems.sort(
    (a, b) =>
      (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) ||
      a.document - b.document ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
  return { clusters, problems };
}

/** Thrown by `loadClusterFiles` when any document is invalid; the message lists every problem. */
export class InvalidSpecFilesError extends Error {
  constructor(readonly problems: readonly LocatedProblem[]) {
    super(
      `invalid cluster spec (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  ${p.file}${p.line === null ? "" : `:${p.line}:${p.column}`}: ${p.path}: ${p.message} [${p.rule}]`).join("\n"),
    );
    this.name = "InvalidSpecFilesError";
  }
}

/**
 * Reads spec files and returns their clusters, normalized, for a cdktf app that keeps its
 * clusters in YAML. Throws `SpecSourceError` for an unusable file and `InvalidSpecFilesError`
 * listing every problem otherwise.
 */
export function loadClusterFiles(paths: readonly string[]): Cluster[] {
  const documents = paths.flatMap((path) => readSpecFile(path));
  const { clusters, problems } = checkDocuments(documents);
  if (problems.length > 0) throw new InvalidSpecFilesError(problems);
  return [...clusters];
}
