/**
 * kraken-lib's Grafana dashboards, built from its recording rules: usage by namespace and by
 * node, and capacity, allocatable and requests of the cluster over time (capacity changes as
 * nodes come and go: it is a series of its own, not a constant).
 */
import type { Cluster } from "../../spec";

export interface Dashboard {
  /** File name under dashboards/ and the ConfigMap's key. */
  readonly name: string;
  readonly json: Record<string, unknown>;
}

interface Target {
  readonly expr: string;
  readonly legend: string;
}

let panelId = 0;

function timeseries(title: string, unit: string, targets: readonly Target[], grid: { x: number; y: number; w?: number; h?: number }, stacked = false): Record<string, unknown> {
  panelId += 1;
  return {
    id: panelId,
    type: "timeseries",
    title,
    datasource: { type: "prometheus", uid: "$datasource" },
    gridPos: { x: grid.x, y: grid.y, w: grid.w ?? 12, h: grid.h ?? 8 },
    fieldConfig: {
      defaults: { unit, min: 0, custom: { fillOpacity: stacked ? 20 : 0, stacking: { mode: stacked ? "normal" : "none" } } },
      overrides: [],
    },
    options: { legend: { displayMode: "table", placement: "right", calcs: ["min", "mean", "max", "lastNotNull"] }, tooltip: { mode: "multi" } },
    targets: targets.map((target, index) => ({ refId: String.fromCharCode(65 + index), expr: target.expr, legendFormat: target.legend, datasource: { type: "prometheus", uid: "$datasource" } })),
  };
}

/** The usage dashboard: by namespace, by node, and the cluster's capacity over time. */
export function usageDashboard(cluster: Cluster): Dashboard {
  panelId = 0;
  const panels = [
    timeseries("CPU usage by namespace (cores)", "short", [{ expr: "namespace:cpu_usage_cores:sum_rate5m", legend: "{{namespace}}" }], { x: 0, y: 0 }, true),
    timeseries("Memory working set by namespace", "bytes", [{ expr: "namespace:memory_working_set_bytes:sum", legend: "{{namespace}}" }], { x: 12, y: 0 }, true),
    timeseries("CPU usage by node (cores)", "short", [{ expr: "node:cpu_usage_cores:sum_rate5m", legend: "{{node}}" }], { x: 0, y: 8 }),
    timeseries("Memory working set by node", "bytes", [{ expr: "node:memory_working_set_bytes:sum", legend: "{{node}}" }], { x: 12, y: 8 }),
    timeseries(
      "Cluster CPU: capacity, allocatable, requests, usage (cores)",
      "short",
      [
        { expr: "cluster:cpu_capacity_cores:sum", legend: "capacity" },
        { expr: "cluster:cpu_allocatable_cores:sum", legend: "allocatable" },
        { expr: "cluster:cpu_requests_cores:sum", legend: "requests" },
        { expr: "sum(namespace:cpu_usage_cores:sum_rate5m)", legend: "usage" },
      ],
      { x: 0, y: 16 },
    ),
    timeseries(
      "Cluster memory: capacity, allocatable, requests, usage",
      "bytes",
      [
        { expr: "cluster:memory_capacity_bytes:sum", legend: "capacity" },
        { expr: "cluster:memory_allocatable_bytes:sum", legend: "allocatable" },
        { expr: "cluster:memory_requests_bytes:sum", legend: "requests" },
        { expr: "sum(namespace:memory_working_set_bytes:sum)", legend: "usage" },
      ],
      { x: 12, y: 16 },
    ),
    timeseries("CPU requests by namespace (cores)", "short", [{ expr: "namespace:cpu_requests_cores:sum", legend: "{{namespace}}" }], { x: 0, y: 24 }, true),
    timeseries("Memory requests by namespace", "bytes", [{ expr: "namespace:memory_requests_bytes:sum", legend: "{{namespace}}" }], { x: 12, y: 24 }, true),
  ];
  return {
    name: "kraken-usage.json",
    json: {
      uid: `kraken-usage-${cluster.metadata.name}`.slice(0, 40),
      title: `kraken: usage and capacity (${cluster.metadata.name})`,
      tags: ["kraken-lib"],
      timezone: "utc",
      schemaVersion: 39,
      version: 1,
      editable: false,
      refresh: "1m",
      time: { from: "now-7d", to: "now" },
      templating: {
        list: [{ name: "datasource", type: "datasource", query: "prometheus", label: "Prometheus", current: {}, hide: 0 }],
      },
      panels,
    },
  };
}

/** Every dashboard kraken-lib provisions. */
export function grafanaDashboards(cluster: Cluster): Dashboard[] {
  return [usageDashboard(cluster)];
}
