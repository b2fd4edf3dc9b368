/**
 * `k2 usage --prometheus URL`: CPU and memory use per namespace or node, and the cluster's
 * capacity, allocatable and requests over a window, read from kraken-lib's recording rules
 * (docs/monitoring.md) through Prometheus's HTTP API.
 */
import { Option, type Command } from "commander";
import type { RecordingRuleName } from "../addons/monitoring/rules";
import { MAX_POINTS_PER_SERIES, PrometheusClient, PrometheusError, type RangeSeries, type RecordingRule } from "../prometheus/client";
import { EXIT, UserError } from "./errors";
import type { CommandIo } from "./spec-input";
import { styleFor } from "./style";

export const USAGE_DIMENSIONS = ["namespace", "node", "cluster"] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

/** The recording rules k2 usage reads; lib/addons/monitoring/rules.ts records them (the types keep the names in step). */
export const USAGE_RULES = {
  namespace: { cpuCores: "namespace:cpu_usage_cores:sum_rate5m", memoryBytes: "namespace:memory_working_set_bytes:sum" },
  node: { cpuCores: "node:cpu_usage_cores:sum_rate5m", memoryBytes: "node:memory_working_set_bytes:sum" },
} as const satisfies Record<"namespace" | "node", Record<"cpuCores" | "memoryBytes", RecordingRuleName>>;

export const CAPACITY_RULES = {
  cpuCapacityCores: "cluster:cpu_capacity_cores:sum",
  cpuAllocatableCores: "cluster:cpu_allocatable_cores:sum",
  cpuRequestsCores: "cluster:cpu_requests_cores:sum",
  memoryCapacityBytes: "cluster:memory_capacity_bytes:sum",
  memoryAllocatableBytes: "cluster:memory_allocatable_bytes:sum",
  memoryRequestsBytes: "cluster:memory_requests_bytes:sum",
} as const satisfies Record<string, RecordingRuleName>;
type CapacityKey = keyof typeof CAPACITY_RULES;

export interface UsageOptions {
  /** Base URL of Prometheus's HTTP API. */
  readonly prometheus: string;
  /** @default "7d" */
  readonly since?: string;
  /** @default "5m" */
  readonly step?: string;
  /** @default "namespace" */
  readonly by?: UsageDimension;
  /** @default "text" */
  readonly format?: "text" | "json";
  /** Per request. @default "30s" */
  readonly timeout?: string;
}

/** Over the samples of the window (one per step). */
export interface Stats {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
  readonly samples: number;
}

/** A cluster-wide value over the window, with where it started and ended and when it moved. */
export interface Trend extends Stats {
  /** The first sample in the window (the series may begin after the window does). */
  readonly start: number;
  readonly startAt: string;
  readonly end: number;
  readonly endAt: string;
  /**
   * Every change of value, in order, `at` the first step that shows the new value; omitted for
   * requests, which move all the time.
   */
  readonly changes?: readonly { readonly at: string; readonly from: number; readonly to: number }[];
}

export interface UsageRow {
  /** The namespace or node. */
  readonly name: string;
  /** The series' cluster label, when Prometheus holds several clusters' series (null without one). */
  readonly cluster: string | null;
  readonly cpuCores: Stats;
  readonly memoryGiB: Stats;
}

export interface ClusterCapacity {
  readonly cluster: string | null;
  readonly cpu: { readonly capacityCores: Trend; readonly allocatableCores: Trend; readonly requestsCores: Trend };
  readonly memory: { readonly capacityGiB: Trend; readonly allocatableGiB: Trend; readonly requestsGiB: Trend };
}

/** What `--format json` prints. Fields are only ever added. */
export interface UsageReport {
  readonly prometheus: string;
  readonly by: UsageDimension;
  readonly window: { readonly start: string; readonly end: string; readonly since: string; readonly stepSeconds: number };
  /** Per namespace or node, busiest (average CPU) first; absent with --by cluster. */
  readonly usage?: readonly UsageRow[];
  /** One entry per cluster label value (one entry, cluster null, for a Prometheus of one cluster). */
  readonly capacity: readonly ClusterCapacity[];
}

const GIB = 1024 ** 3;
const UNIT_SECONDS: Readonly<Record<string, number>> = { w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 };

/** "30m", "12h", "7d", "4w", "1h30m" (Prometheus's duration syntax without ms and y) into seconds; undefined if not one. */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === "") return undefined;
  const seconds = ["w", "d", "h", "m", "s"].reduce((total, unit, index) => total + Number(match[index + 1] ?? 0) * UNIT_SECONDS[unit]!, 0);
  return seconds > 0 ? seconds : undefined;
}

/** Seconds as the shortest duration that reads back the same: 300 → "5m", 5400 → "1h30m". */
export function formatDuration(seconds: number): string {
  let left = Math.round(seconds);
  let text = "";
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    if (left >= size) {
      text += `${Math.floor(left / size)}${unit}`;
      left %= size;
    }
  }
  return text || "0s";
}

function durationOption(flag: string, value: string, examples: string): number {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined) throw new UserError(`${flag} must be a duration such as ${examples}, got ${JSON.stringify(value)}`);
  return seconds;
}

/** The range k2 usage reads, resolved from --since and --step. */
export interface UsageWindow {
  /** --since as given: "7d". */
  readonly since: string;
  readonly start: Date;
  readonly end: Date;
  readonly sinceSeconds: number;
  readonly stepSeconds: number;
}

/** Checks the options before any call, so that a typo never waits for a network timeout. */
function resolveOptions(options: UsageOptions, now: Date): { window: UsageWindow; timeoutMs: number; by: UsageDimension; format: "text" | "json" } {
  const by = options.by ?? "namespace";
  if (!USAGE_DIMENSIONS.includes(by)) throw new UserError(`--by must be one of ${USAGE_DIMENSIONS.join(", ")}, got ${JSON.stringify(by)}`);
  let url: URL | undefined;
  try {
    url = new URL(options.prometheus);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "http:" && url?.protocol !== "https:") throw new UserError(`--prometheus must be an http or https URL such as http://prometheus:9090, got ${JSON.stringify(options.prometheus)}`);
  const since = options.since ?? "7d";
  const sinceSeconds = durationOption("--since", since, "30m, 12h, 7d or 4w");
  const stepSeconds = durationOption("--step", options.step ?? "5m", "30s, 5m or 1h");
  const timeoutSeconds = durationOption("--timeout", options.timeout ?? "30s", "10s or 2m");
  if (stepSeconds > sinceSeconds) throw new UserError(`--step (${formatDuration(stepSeconds)}) must not be longer than --since (${formatDuration(sinceSeconds)})`);
  const points = Math.floor(sinceSeconds / stepSeconds) + 1;
  if (points > MAX_POINTS_PER_SERIES) {
    const smallest = formatDuration(Math.ceil(sinceSeconds / (MAX_POINTS_PER_SERIES - 1) / 60) * 60);
    throw new UserError(`--step ${formatDuration(stepSeconds)} over ${formatDuration(sinceSeconds)} asks for ${points} points per series; Prometheus answers at most ${MAX_POINTS_PER_SERIES}: use --step ${smallest} or more`);
  }
  return {
    window: { since, start: new Date(now.getTime() - sinceSeconds * 1000), end: now, sinceSeconds, stepSeconds },
    timeoutMs: timeoutSeconds * 1000,
    by,
    format: options.format ?? "text",
  };
}

/** Series summed per (cluster label, dimension label) and time: several series for one key are parts of one. */
function groupSeries(series: readonly RangeSeries[], label: string | undefined): Map<string, { cluster: string | null; name: string; samples: Map<number, number> }> {
  const groups = new Map<string, { cluster: string | null; name: string; samples: Map<number, number> }>();
  for (const one of series) {
    const cluster = one.labels.cluster ?? null;
    const name = label === undefined ? "" : (one.labels[label] ?? "");
    const key = JSON.stringify([cluster, name]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { cluster, name, samples: new Map() }));
    for (const sample of one.samples) if (Number.isFinite(sample.value)) group.samples.set(sample.time, (group.samples.get(sample.time) ?? 0) + sample.value);
  }
  return groups;
}

function ordered(samples: ReadonlyMap<number, number>): [number, number][] {
  return [...samples.entries()].sort(([a], [b]) => a - b);
}

function stats(samples: ReadonlyMap<number, number>, scale = 1): Stats {
  const values = [...samples.values()].map((value) => value / scale);
  if (values.length === 0) return { min: 0, avg: 0, max: 0, samples: 0 };
  return {
    min: Math.min(...values),
    avg: values.reduce((sum, value) => sum + value, 0) / values.length,
    max: Math.max(...values),
    samples: values.length,
  };
}

function isoAt(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function trend(samples: ReadonlyMap<number, number>, scale: number, withChanges: boolean): Trend {
  const points = ordered(samples).map(([time, value]) => [time, value / scale] as const);
  const first = points[0] ?? [0, 0];
  const last = points[points.length - 1] ?? [0, 0];
  const changes: { at: string; from: number; to: number }[] = [];
  for (let index = 1; index < points.length; index++) {
    const [time, value] = points[index]!;
    const previous = points[index - 1]![1];
    // Float noise from summing is not a change of capacity.
    if (Math.abs(value - previous) > 1e-9 * Math.max(1, Math.abs(previous))) changes.push({ at: isoAt(time), from: previous, to: value });
  }
  return { ...stats(samples, scale), start: first[1], startAt: isoAt(first[0]), end: last[1], endAt: isoAt(last[0]), ...(withChanges ? { changes } : {}) };
}

/** The one-line explanation of missing series: rules not loaded, or loaded without data. */
async function missingRulesError(client: PrometheusClient, missing: readonly string[], since: string): Promise<UserError> {
  const first = missing[0]!;
  const others = missing.length > 1 ? ` (nor for ${missing.length - 1} more of kraken-lib's recording rules)` : "";
  let loaded: RecordingRule[] = [];
  try {
    loaded = await client.recordingRules();
  } catch {
    // Only a better message is lost: the series are missing either way.
  }
  const rule = loaded.find((candidate) => candidate.name === first);
  if (rule === undefined) return new UserError(`no series for ${first}${others}: are kraken-lib's rules loaded? see docs/monitoring.md`, EXIT.problems);
  const health = rule.lastError !== undefined ? `; the rule fails: ${rule.lastError}` : "";
  return new UserError(
    `no series for ${first}${others} in the last ${since}: Prometheus has the rule (group ${rule.group}) but its inputs (cAdvisor, kube-state-metrics) have no data${health}; see docs/monitoring.md`,
    EXIT.problems,
  );
}

/** Queries Prometheus and builds the report. Throws UserError (exit 1) for what Prometheus says or does not say. */
export async function collectUsage(client: PrometheusClient, by: UsageDimension, window: UsageWindow): Promise<UsageReport> {
  const usageRules = by === "cluster" ? undefined : USAGE_RULES[by];
  const names = [...(usageRules ? [usageRules.cpuCores, usageRules.memoryBytes] : []), ...Object.values(CAPACITY_RULES)];
  const range = { start: window.start, end: window.end, stepSeconds: window.stepSeconds };
  let results: RangeSeries[][];
  try {
    results = await Promise.all(names.map((name) => client.queryRange(name, range)));
  } catch (error) {
    if (error instanceof PrometheusError) throw new UserError(error.message, EXIT.problems);
    throw error;
  }
  const byName = new Map(names.map((name, index) => [name, results[index]!]));
  const missing = names.filter((name) => byName.get(name)!.length === 0);
  if (missing.length > 0) throw await missingRulesError(client, missing, window.since);

  let usage: UsageRow[] | undefined;
  if (usageRules) {
    const cpu = groupSeries(byName.get(usageRules.cpuCores)!, by);
    const memory = groupSeries(byName.get(usageRules.memoryBytes)!, by);
    const keys = new Set([...cpu.keys(), ...memory.keys()]);
    usage = [...keys].map((key) => {
      const group = cpu.get(key) ?? memory.get(key)!;
      return { name: group.name, cluster: group.cluster, cpuCores: stats(cpu.get(key)?.samples ?? new Map()), memoryGiB: stats(memory.get(key)?.samples ?? new Map(), GIB) };
    });
    usage.sort((a, b) => b.cpuCores.avg - a.cpuCores.avg || a.name.localeCompare(b.name));
  }

  const capacityGroups = Object.fromEntries(Object.entries(CAPACITY_RULES).map(([key, name]) => [key, groupSeries(byName.get(name)!, undefined)])) as Record<CapacityKey, ReturnType<typeof groupSeries>>;
  const clusterKeys = new Set(Object.values(capacityGroups).flatMap((groups) => [...groups.keys()]));
  const capacity = [...clusterKeys].sort().map((key): ClusterCapacity => {
    const samplesOf = (metric: CapacityKey) => capacityGroups[metric].get(key)?.samples ?? new Map<number, number>();
    const cluster = [...Object.values(capacityGroups)].map((groups) => groups.get(key)).find((group) => group !== undefined)!.cluster;
    return {
      cluster,
      cpu: {
        capacityCores: trend(samplesOf("cpuCapacityCores"), 1, true),
        allocatableCores: trend(samplesOf("cpuAllocatableCores"), 1, true),
        requestsCores: trend(samplesOf("cpuRequestsCores"), 1, false),
      },
      memory: {
        capacityGiB: trend(samplesOf("memoryCapacityBytes"), GIB, true),
        allocatableGiB: trend(samplesOf("memoryAllocatableBytes"), GIB, true),
        requestsGiB: trend(samplesOf("memoryRequestsBytes"), GIB, false),
      },
    };
  });

  return {
    prometheus: client.baseUrl,
    by,
    window: { start: window.start.toISOString(), end: window.end.toISOString(), since: window.since, stepSeconds: window.stepSeconds },
    ...(usage ? { usage } : {}),
    capacity,
  };
}

function table(rows: readonly (readonly string[])[], rightAligned: (column: number) => boolean): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (rightAligned(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ").trimEnd());
}

const number = (value: number): string => value.toFixed(2);

/** "2026-11-26 10:30 UTC" */
function clock(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function describeChanges(trendOf: Trend): string {
  const changes = trendOf.changes ?? [];
  if (changes.length === 0) return "";
  // `at` is the first step that shows the new value: the change happened during the step before it.
  const shown = changes.slice(0, 3).map((change) => `${number(change.from)} → ${number(change.to)} by ${clock(change.at)}`);
  return `${shown.join(", ")}${changes.length > 3 ? `, and ${changes.length - 3} more changes` : ""}`;
}

export function renderUsageText(report: UsageReport, style = styleFor(process.stdout)): string {
  const lines: string[] = [];
  const range = `${clock(report.window.start)} to ${clock(report.window.end)}, every ${formatDuration(report.window.stepSeconds)}`;
  const showCluster = new Set([...(report.usage ?? []).map((row) => row.cluster), ...report.capacity.map((entry) => entry.cluster)]).size > 1;
  if (report.usage) {
    lines.push(style.bold(`Usage by ${report.by} over the last ${report.window.since}, CPU in cores, memory in GiB`) + style.dim(` (${range}, from ${report.prometheus})`), "");
    const head = [...(showCluster ? ["CLUSTER"] : []), report.by.toUpperCase(), "CPU MIN", "CPU AVG", "CPU MAX", "MEM MIN", "MEM AVG", "MEM MAX"];
    const rows = report.usage.map((row) => [
      ...(showCluster ? [row.cluster ?? "-"] : []),
      row.name || "(none)",
      ...[row.cpuCores.min, row.cpuCores.avg, row.cpuCores.max, row.memoryGiB.min, row.memoryGiB.avg, row.memoryGiB.max].map(number),
    ]);
    const offset = showCluster ? 2 : 1;
    const [header = "", ...body] = table([head, ...rows], (column) => column >= offset);
    lines.push(style.dim(header), ...body, "");
  } else {
    lines.push(style.bold(`Cluster capacity over the last ${report.window.since}`) + style.dim(` (${range}, from ${report.prometheus})`), "");
  }
  for (const entry of report.capacity) {
    const rows: [string, Trend][] = [
      ["CPU capacity (cores)", entry.cpu.capacityCores],
      ["CPU allocatable (cores)", entry.cpu.allocatableCores],
      ["CPU requests (cores)", entry.cpu.requestsCores],
      ["Memory capacity (GiB)", entry.memory.capacityGiB],
      ["Memory allocatable (GiB)", entry.memory.allocatableGiB],
      ["Memory requests (GiB)", entry.memory.requestsGiB],
    ];
    const title = entry.cluster === null || !showCluster ? "CLUSTER" : `CLUSTER ${entry.cluster}`;
    const [header = "", ...body] = table(
      [[title, "START", "END", "MIN", "AVG", "MAX", "CHANGES"], ...rows.map(([label, value]) => [label, ...[value.start, value.end, value.min, value.avg, value.max].map(number), describeChanges(value)])],
      (column) => column >= 1 && column <= 5,
    );
    lines.push(style.dim(header), ...body, "");
  }
  return lines.join("\n");
}

export async function usageCommand(options: UsageOptions, io: CommandIo = process): Promise<number> {
  const { window, timeoutMs, by, format } = resolveOptions(options, new Date());
  const client = new PrometheusClient(options.prometheus, { timeoutMs });
  if (io.stderr.isTTY) io.stderr.write(styleFor(io.stderr).dim(`querying ${client.baseUrl} over the last ${window.since}...\n`));
  const report = await collectUsage(client, by, window);
  if (format === "json") io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(renderUsageText(report, styleFor(io.stdout)));
  return EXIT.ok;
}

export function registerUsageCommand(program: Command): void {
  program
    .command("usage")
    .summary("CPU and memory use, capacity and requests over time, from Prometheus")
    .description(
      "Read kraken-lib's recording rules from a cluster's Prometheus: CPU (cores) and memory (GiB) use per namespace or node, min / average / max over the window, and the cluster's capacity, allocatable and requests (with their values at the start and end of the window, and when they changed). See docs/monitoring.md.",
    )
    .requiredOption("--prometheus <url>", "Prometheus's base URL: http://prometheus.monitoring:9090, or a port-forward's http://127.0.0.1:9090")
    .option("--since <duration>", "the window, up to now: 30m, 12h, 7d, 4w", "7d")
    .option("--step <duration>", "resolution: one sample per step", "5m")
    .addOption(new Option("--by <dimension>", "rows per namespace or node (both also show the cluster's capacity), or only the cluster's capacity").choices(USAGE_DIMENSIONS).default("namespace"))
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("--timeout <duration>", "per request to Prometheus", "30s")
    .addHelpText(
      "after",
      `
Exit codes:
  0  printed
  1  Prometheus cannot be reached, is not a Prometheus, refuses the queries, or lacks kraken-lib's recording rules
  2  usage error: bad options (a duration that is not one, too many points per series)

Examples:
  kubectl -n monitoring port-forward svc/kraken-monitoring-prometheus 9090 &
  k2 usage --prometheus http://127.0.0.1:9090 --since 7d
  k2 usage --prometheus http://127.0.0.1:9090 --by node --since 12h --step 1m
  k2 usage --prometheus http://127.0.0.1:9090 --by cluster --since 4w --step 1h --format json | jq '.capacity[0].cpu'`,
    )
    .action(async (options: { prometheus: string; since: string; step: string; by: UsageDimension; format: "text" | "json"; timeout: string }) => {
      process.exitCode = await usageCommand(options);
    });
}
