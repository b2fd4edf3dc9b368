/** Summaries and budget verdicts of benchmark figures: pure, tested in test/bench/. */

/** Median, min and max of repeated measurements. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

/** The median (the mean of the two middle values for an even count), min and max. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("no samples to summarize");
  if (samples.some((sample) => !Number.isFinite(sample))) throw new Error(`samples must be finite numbers, got ${samples.join(", ")}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** Element-wise ratios of paired runs (run i of one against run i of the other). */
export function pairedRatios(numerators: readonly number[], denominators: readonly number[]): number[] {
  if (numerators.length !== denominators.length) throw new Error(`paired runs differ in number: ${numerators.length} against ${denominators.length}`);
  return numerators.map((value, index) => value / denominators[index]!);
}

export type Unit = "ms" | "MiB" | "×" | "resources";

/** An upper bound a figure's median must not exceed. */
export interface Budget {
  readonly limit: number;
  /** How the limit reads in the table: "≤ 1.25×", "≤ 300 ms". */
  readonly text: string;
}

export type Verdict = "PASS" | "FAIL" | "NOT MEASURED" | "";

export interface Figure {
  readonly id: string;
  readonly label: string;
  readonly unit: Unit;
  /** Absent when the figure could not be measured; `note` says why. */
  readonly summary?: Summary;
  readonly budget?: Budget;
  readonly verdict: Verdict;
  readonly note?: string;
}

/**
 * A figure with its verdict: PASS when the median is within the budget, FAIL above it, NOT
 * MEASURED without a summary, and no verdict for a figure without a budget.
 */
export function figure(input: Omit<Figure, "verdict">): Figure {
  const verdict: Verdict = !input.summary ? "NOT MEASURED" : !input.budget ? "" : input.summary.median <= input.budget.limit ? "PASS" : "FAIL";
  return { ...input, verdict };
}

/**
 * The benchmark's exit code: 0 when every budget passes, 1 when one fails, or when a figure
 * is not measured in a full run (a quick run may skip what it cannot run).
 */
export function exitCode(figures: readonly Figure[], quick: boolean): 0 | 1 {
  const failed = figures.some((item) => item.verdict === "FAIL" || (!quick && item.verdict === "NOT MEASURED"));
  return failed ? 1 : 0;
}

function formatted(value: number, unit: Unit): string {
  if (unit === "×") return `${value.toFixed(2)}×`;
  if (unit === "resources") return String(Math.round(value));
  if (unit === "MiB") return `${value.toFixed(0)} MiB`;
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`;
}

/** The table `npm run bench` prints: figure, median, min, max, budget, verdict. */
export function renderTable(figures: readonly Figure[]): string {
  const header = ["figure", "median", "min", "max", "runs", "budget", "verdict"];
  const rows = figures.map((item) => [
    item.label,
    item.summary ? formatted(item.summary.median, item.unit) : "—",
    item.summary ? formatted(item.summary.min, item.unit) : "—",
    item.summary ? formatted(item.summary.max, item.unit) : "—",
    item.summary ? String(item.summary.runs) : "—",
    item.budget?.text ?? "",
    item.verdict,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === 0 || column >= 5 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join("  ")
      .trimEnd();
  const notes = figures.filter((item) => item.note).map((item) => `  ${item.label}: ${item.note!}`);
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line), ...(notes.length > 0 ? ["", "Notes:", ...notes] : [])].join("\n");
}
