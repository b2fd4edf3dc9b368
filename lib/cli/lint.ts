/** `k2 lint FILE...`: validates spec files and reports every problem with file, document, line and path. */
import { checkDocuments, type LocatedProblem } from "../spec";
import { EXIT } from "./errors";
import { plural, readSpecInput, renderProblems, reportSourceErrors, type CommandIo } from "./spec-input";
import { styleFor } from "./style";

export interface LintOptions {
  readonly format: "text" | "json";
  /** Skip files where no document declares a kraken.dev apiVersion (for hooks that pass every staged YAML file). */
  readonly ignoreNonSpecs?: boolean;
}

/** One problem as `k2 lint --format json` prints it. The shape is stable: fields are only ever added. */
export type LintProblem = LocatedProblem;

function renderText(problems: readonly LintProblem[], checked: { files: number; documents: number }, stream: NodeJS.WriteStream): string {
  const style = styleFor(stream);
  const scope = `${plural(checked.documents, "document")} in ${plural(checked.files, "file")}`;
  if (problems.length === 0) return `${style.green(`✔ ${scope}: no problems`)}\n`;
  const documents = new Set(problems.map((p) => `${p.file}\u0000${p.document}`)).size;
  return `${renderProblems(problems, stream)}\n${style.red(style.bold(`✖ ${plural(problems.length, "problem")} in ${plural(documents, "document")}`))}${style.dim(` (checked ${scope})`)}\n`;
}

/** Runs the lint and returns the exit code: 0 valid, 1 problems, 2 a file could not be used. */
export function lintCommand(files: readonly string[], options: LintOptions, io: CommandIo = process): number {
  const input = readSpecInput(files, { ignoreNonSpecs: options.ignoreNonSpecs });
  const { problems } = checkDocuments(input.documents);

  if (options.format === "json") io.stdout.write(`${JSON.stringify(problems, null, 2)}\n`);
  else if (input.documents.length > 0 || input.sourceErrors.length === 0) io.stdout.write(renderText(problems, { files: input.filesRead, documents: input.documents.length }, io.stdout));
  reportSourceErrors("lint", input.sourceErrors, io.stderr);

  if (input.sourceErrors.length > 0) return EXIT.usage;
  return problems.length > 0 ? EXIT.problems : EXIT.ok;
}
