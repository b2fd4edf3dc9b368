/**
 * The spec files under the UI's directory, read and checked as one fleet (as `k2 lint` checks
 * them all together), with each file's hash so that saves can tell whether it changed.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { formatPath, parseSpecText, SpecSourceError, validateFleet, type Cluster, type LocatedProblem, type SourceDocument } from "../spec";
import { clusterNameOf } from "../spec/validate";

/** Folders never searched for specs: dependencies, build output, Terraform's working files. */
const SKIPPED_DIRECTORIES = new Set(["node_modules", "dist", "cdktf.out", "coverage"]);
const SPEC_EXTENSIONS = /\.(ya?ml|json)$/i;

export function textHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function isKrakenDocument(value: unknown): boolean {
  const apiVersion = value !== null && typeof value === "object" ? (value as { apiVersion?: unknown }).apiVersion : undefined;
  return typeof apiVersion === "string" && apiVersion.startsWith("kraken.dev/");
}

/** YAML and JSON files under `root` (relative paths, sorted), skipping hidden and build folders. */
export function listCandidateFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(path);
      } else if (entry.isFile() && SPEC_EXTENSIONS.test(entry.name)) {
        found.push(relative(root, path).split(sep).join("/"));
      }
    }
  };
  walk(root);
  return found.sort();
}

export interface SpecFile {
  /** Relative to the UI's directory, with forward slashes. */
  readonly path: string;
  readonly text: string;
  readonly hash: string;
  readonly documents: readonly SourceDocument[];
  /** Why the file cannot be read as specs (broken YAML), if so. */
  readonly error?: string;
}

export interface ClusterEntry {
  readonly name: string;
  readonly file: string;
  /** 0-based index of the document in its file. */
  readonly documentIndex: number;
  readonly value: unknown;
  /** The normalized cluster, when its document is valid. */
  readonly cluster?: Cluster;
  readonly problems: readonly LocatedProblem[];
}

export interface Fleet {
  readonly files: readonly SpecFile[];
  readonly clusters: readonly ClusterEntry[];
  /** Every problem, of every file, as `k2 lint` would print them. */
  readonly problems: readonly LocatedProblem[];
}

/** A file's documents, or why it cannot be read; only files with a kraken.dev document count. */
export function readSpecText(path: string, text: string): SpecFile | undefined {
  try {
    const documents = parseSpecText(text, path);
    if (!documents.some((document) => isKrakenDocument(document.value))) return undefined;
    return { path, text, hash: textHash(text), documents };
  } catch (error) {
    if (!(error instanceof SpecSourceError)) throw error;
    // A spec file that someone broke is still shown (with its error), if it looks like one.
    if (!text.includes("kraken.dev/")) return undefined;
    return { path, text, hash: textHash(text), documents: [], error: error.message };
  }
}

/** Checks files as one fleet: the same schema and rules as `k2 lint`, names unique across files. */
export function checkFleet(files: readonly SpecFile[]): Fleet {
  const documents = files.flatMap((file) => file.documents.filter((document) => isKrakenDocument(document.value)).map((document) => ({ file, document })));
  const results = validateFleet(documents.map(({ file, document }) => ({ value: document.value, source: `${file.path} document ${document.index}` })));
  const clusters: ClusterEntry[] = [];
  const problems: LocatedProblem[] = [];
  documents.forEach(({ file, document }, index) => {
    const result = results[index]!.result;
    const name = clusterNameOf(document.value);
    const located = result.problems.map((problem): LocatedProblem => {
      const position = document.locate(problem.path);
      return {
        file: file.path,
        document: document.index,
        cluster: name ?? null,
        path: formatPath(problem.path),
        message: problem.message,
        rule: problem.rule,
        line: position?.line ?? null,
        column: position?.column ?? null,
      };
    });
    located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    problems.push(...located);
    clusters.push({
      name: name ?? `${file.path} #${document.index}`,
      file: file.path,
      documentIndex: document.index - 1,
      value: document.value,
      ...(result.ok ? { cluster: result.cluster } : {}),
      problems: located,
    });
  });
  for (const file of files) {
    if (file.error !== undefined) problems.push({ file: file.path, document: 1, cluster: null, path: "(document)", message: file.error, rule: "yaml", line: null, column: null });
  }
  return { files, clusters, problems };
}

/** The spec files of a directory, re-read when they change. */
export class Workspace {
  private files = new Map<string, SpecFile>();
  private stamps = new Map<string, string>();
  private current: Fleet = { files: [], clusters: [], problems: [] };

  constructor(readonly root: string) {}

  /** Re-reads what changed on disk; returns the paths that changed (added, edited or removed). */
  refresh(): string[] {
    const changed: string[] = [];
    const seen = new Set<string>();
    for (const path of listCandidateFiles(this.root)) {
      const absolute = join(this.root, path);
      let stamp: string;
      try {
        const stat = statSync(absolute);
        stamp = `${stat.mtimeMs}:${stat.size}`;
      } catch {
        continue;
      }
      seen.add(path);
      if (this.stamps.get(path) === stamp) continue;
      this.stamps.set(path, stamp);
      let text: string;
      try {
        text = readFileSync(absolute, "utf8");
      } catch {
        continue;
      }
      const previous = this.files.get(path);
      if (previous?.hash === textHash(text)) continue;
      const file = readSpecText(path, text);
      if (file) this.files.set(path, file);
      else this.files.delete(path);
      if (file || previous) changed.push(path);
    }
    for (const path of [...this.files.keys()]) {
      if (!seen.has(path)) {
        this.files.delete(path);
        this.stamps.delete(path);
        changed.push(path);
      }
    }
    if (changed.length > 0 || this.current.files.length !== this.files.size) {
      this.current = checkFleet([...this.files.values()].sort((a, b) => a.path.localeCompare(b.path)));
    }
    return changed;
  }

  fleet(): Fleet {
    return this.current;
  }

  file(path: string): SpecFile | undefined {
    return this.files.get(path);
  }

  cluster(name: string): ClusterEntry | undefined {
    return this.current.clusters.find((entry) => entry.name === name);
  }

  absolutePath(path: string): string {
    return join(this.root, path);
  }
}
