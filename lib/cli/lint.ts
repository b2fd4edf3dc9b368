/** `k2 lint FILE...`: validates spec files and reports every problem with file, document, line and path. */
import { checkDocuments, readSpecFile, SpecSourceError, type LocatedProblem, type SourceDocument } from "../spec";
import { EXIT } from "./errors";
import { styleFor } from "./style";

export interface LintOptions {
  readonly format: "text" | "json";
  /** Skip files where no document declares a kraken.dev apiVersion (for hooks that pass every staged YAML file). */
  readonly ignoreNonSpecs?: boolean;
}

/** One problem as `k2 lint --format json` prints it. The shape is stable: fields are only ever added. */
export type LintProblem = LocatedProblem;

export interface LintIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

function isKrakenDocument(value: unknown): boolean {
  const apiVersion = value !== null && typeof value === "object" ? (value as { apiVersion?: unknown }).apiVersion : undefined;
  return typeof apiVersion === "string" && apiVersion.startsWith("kraken.dev/");
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function renderText(problems: readonly LintProblem[], checked: { files: number; documents: number }, stream: NodeJS.WriteStream): string {
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
  const scope = `${plural(checked.documents, "document")} in ${plural(checked.files, "file")}`;
  if (problems.length === 0) {
    lines.push(style.green(`✔ ${scope}: no problems`));
  } else {
    const documents = new Set(problems.map((p) => `${p.file}\u0000${p.document}`)).size;
    lines.push("", style.red(style.bold(`✖ ${plural(problems.length, "problem")} in ${plural(documents, "document")}`)) + style.dim(` (checked ${scope})`));
  }
  return `${lines.join("\n")}\n`;
}

/** Runs the lint and returns the exit code: 0 valid, 1 problems, 2 a file could not be used. */
export function lintCommand(files: readonly string[], options: LintOptions, io: LintIo = process): number {
  const documents: SourceDocument[] = [];
  const sourceErrors: string[] = [];
  let filesChecked = 0;
  for (const file of files) {
    try {
      const parsed = readSpecFile(file);
      if (options.ignoreNonSpecs && !parsed.some((document) => isKrakenDocument(document.value))) continue;
      if (parsed.length === 0) throw new SpecSourceError(file === "-" ? "<stdin>" : file, "holds no documents; expected at least one Cluster document");
      filesChecked += 1;
      documents.push(...parsed);
    } catch (error) {
      if (!(error instanceof SpecSourceError)) throw error;
      sourceErrors.push(error.message);
    }
  }

  const { problems } = checkDocuments(documents);

  if (options.format === "json") io.stdout.write(`${JSON.stringify(problems, null, 2)}\n`);
  else if (documents.length > 0 || sourceErrors.length === 0) io.stdout.write(renderText(problems, { files: filesChecked, documents: documents.length }, io.stdout));

  const stderrStyle = styleFor(io.stderr);
  for (const message of sourceErrors) io.stderr.write(`${stderrStyle.red("k2 lint:")} ${message}\n`);

  if (sourceErrors.length > 0) return EXIT.usage;
  return problems.length > 0 ? EXIT.problems : EXIT.ok;
}
