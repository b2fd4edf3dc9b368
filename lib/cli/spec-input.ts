/** Reading spec files for any k2 command, and printing their problems the same way everywhere. */
import { checkDocuments, readSpecFile, SpecSourceError, type Cluster, type LocatedProblem, type SourceDocument } from "../spec";
import { EXIT, UserError } from "./errors";
import { styleFor } from "./style";

export interface CommandIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export interface SpecInput {
  readonly documents: readonly SourceDocument[];
  /** One line per file that could not be used (missing, unreadable, empty, not YAML). */
  readonly sourceErrors: readonly string[];
  readonly filesRead: number;
}

function isKrakenDocument(value: unknown): boolean {
  const apiVersion = value !== null && typeof value === "object" ? (value as { apiVersion?: unknown }).apiVersion : undefined;
  return typeof apiVersion === "string" && apiVersion.startsWith("kraken.dev/");
}

/** Reads every file, collecting the ones that cannot be used instead of stopping at the first. */
export function readSpecInput(files: readonly string[], options: { readonly ignoreNonSpecs?: boolean } = {}): SpecInput {
  const documents: SourceDocument[] = [];
  const sourceErrors: string[] = [];
  let filesRead = 0;
  for (const file of files) {
    try {
      const parsed = readSpecFile(file);
      if (options.ignoreNonSpecs && !parsed.some((document) => isKrakenDocument(document.value))) continue;
      if (parsed.length === 0) throw new SpecSourceError(file === "-" ? "<stdin>" : file, "holds no documents; expected at least one Cluster document");
      filesRead += 1;
      documents.push(...parsed);
    } catch (error) {
      if (!(error instanceof SpecSourceError)) throw error;
      sourceErrors.push(error.message);
    }
  }
  return { documents, sourceErrors, filesRead };
}

/** Problems grouped by document, one line each with position, field path, message and rule. */
export function renderProblems(problems: readonly LocatedProblem[], stream: NodeJS.WriteStream): string {
  const style = styleFor(stream);
  const lines: string[] = [];
  let current = "";
  for (const problem of problems) {
    const heading = `${problem.file} (document ${problem.document}${problem.cluster ? `, cluster ${problem.cluster}` : ""})`;
    if (heading !== current) {
      if (current !== "") lines.push("");
      lines.push(style.underline(heading));
      current = heading;
    }
    const position = problem.line === null ? "" : `${problem.line}:${problem.column}`;
    lines.push(`  ${style.dim(position.padEnd(7))} ${style.cyan(problem.path)}: ${problem.message}  ${style.dim(`[${problem.rule}]`)}`);
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export function reportSourceErrors(command: string, errors: readonly string[], stream: NodeJS.WriteStream): void {
  const style = styleFor(stream);
  for (const message of errors) stream.write(`${style.red(`k2 ${command}:`)} ${message}\n`);
}

/**
 * For commands that act on valid specs only: the normalized clusters, or the exit code after
 * every problem has been printed (1 for invalid specs, 2 for unusable files).
 */
export function loadClustersForCommand(command: string, files: readonly string[], io: CommandIo): { readonly clusters: readonly Cluster[] } | { readonly exitCode: number } {
  const input = readSpecInput(files);
  if (input.sourceErrors.length > 0) {
    reportSourceErrors(command, input.sourceErrors, io.stderr);
    return { exitCode: EXIT.usage };
  }
  const { clusters, problems } = checkDocuments(input.documents);
  if (problems.length > 0) {
    const style = styleFor(io.stderr);
    io.stderr.write(renderProblems(problems, io.stderr));
    io.stderr.write(`\n${style.red(style.bold(`✖ ${plural(problems.length, "problem")}`))}: nothing was done (k2 lint shows the same problems)\n`);
    return { exitCode: EXIT.problems };
  }
  return { clusters };
}

/** The one cluster the files hold, or the one named `name`: for commands about a single cluster. */
export function loadOneClusterForCommand(command: string, files: readonly string[], io: CommandIo, name?: string): Cluster | number {
  const loaded = loadClustersForCommand(command, files, io);
  if ("exitCode" in loaded) return loaded.exitCode;
  const candidates = name === undefined ? loaded.clusters : loaded.clusters.filter((cluster) => cluster.metadata.name === name);
  if (candidates.length !== 1) {
    const names = loaded.clusters.map((cluster) => cluster.metadata.name).join(", ");
    throw new UserError(name === undefined ? `the files hold ${loaded.clusters.length} clusters (${names}); choose one with --name` : `no cluster named ${name} in the files (they hold ${names})`);
  }
  return candidates[0]!;
}
