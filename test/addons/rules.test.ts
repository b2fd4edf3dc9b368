/**
 * kraken-lib's Prometheus rules, tested by the real promtool: every recording and alerting rule
 * has a `promtool test rules` case on synthetic series, every rendered file passes
 * `promtool check rules`, and a wrong expectation makes promtool fail. A missing promtool is an
 * error, never a skip (Debian: apt-get install prometheus).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EVENT_EXPORTER_IMAGE,
  EVENT_EXPORTER_JOB,
  EVENT_METRIC,
  MONITORING_NAMESPACE,
  eventExporterManifests,
} from "../../lib/addons/monitoring/event-exporter";
import { RECORDING_RULES, prometheusRuleFiles, renderRuleFile, type AlertingRule, type RuleFile } from "../../lib/addons/monitoring/rules";
import { loadClusterFiles, type Cluster } from "../../lib/spec";
import { EXAMPLES, REPO_ROOT } from "../util";

// ---------------------------------------------------------------------------------------------
// The harness: promtool on PATH, rule files and test files in a temp dir.

interface Series {
  readonly series: string;
  readonly values: string;
}
interface ExprCheck {
  readonly expr: string;
  readonly eval_time: string;
  readonly exp_samples: readonly { readonly labels: string; readonly value: number }[];
}
interface ExpectedAlert {
  readonly exp_labels: Readonly<Record<string, string>>;
  readonly exp_annotations: Readonly<Record<string, string>>;
}
interface AlertCheck {
  readonly eval_time: string;
  readonly alertname: string;
  readonly exp_alerts: readonly ExpectedAlert[];
}
/** One `promtool test rules` test group, about the rule it is named after. */
interface RuleCase {
  readonly rule: string;
  readonly interval?: string;
  readonly input: readonly Series[];
  readonly exprs?: readonly ExprCheck[];
  readonly alerts?: readonly AlertCheck[];
}

interface PromtoolResult {
  readonly ok: boolean;
  readonly output: string;
}

function promtool(args: readonly string[], cwd: string): PromtoolResult {
  const result = spawnSync("promtool", args, { cwd, encoding: "utf8" });
  if (result.error) throw new Error(`promtool could not run (${result.error.message}): install it (Debian: apt-get install prometheus); these tests need the real promtool`);
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

const CLUSTER_NAME_LABEL = "prod-usw2";
let workDir = "";
let ruleFileNames: string[] = [];

function runCase(ruleCase: RuleCase, fileName = `test-${ruleCase.rule.replace(/[^A-Za-z0-9]+/g, "-")}.yaml`): PromtoolResult {
  const testFile = {
    rule_files: ruleFileNames,
    evaluation_interval: "1m",
    tests: [
      {
        name: ruleCase.rule,
        interval: ruleCase.interval ?? "1m",
        external_labels: { cluster: CLUSTER_NAME_LABEL },
        input_series: ruleCase.input,
        promql_expr_test: ruleCase.exprs ?? [],
        alert_rule_test: ruleCase.alerts ?? [],
      },
    ],
  };
  writeFileSync(join(workDir, fileName), stringify(testFile, { lineWidth: 0 }));
  return promtool(["test", "rules", fileName], workDir);
}

const runbook = (alert: string) => `docs/alert-reference.md#${alert.toLowerCase()}`;
const labelsText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([name, value]) => `${name}="${value}"`)
    .join(", ");
const series = (metric: string, labels: Record<string, string>, values: string): Series => ({ series: `${metric}{${labelsText(labels)}}`, values });

// ---------------------------------------------------------------------------------------------
// Synthetic cluster: containers (with the roll-ups cAdvisor also reports), pods and nodes.

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** Real containers: api-1 0.5 cores, api-2 1 core (team-a), db-0 0.25 cores (team-b). */
const CONTAINERS = [
  { namespace: "team-a", pod: "api-1", container: "api", image: "registry.example.com/api:1.4", node: "n1", cpuPerMinute: 30, memory: 200 * MIB },
  { namespace: "team-a", pod: "api-2", container: "api", image: "registry.example.com/api:1.4", node: "n2", cpuPerMinute: 60, memory: 300 * MIB },
  { namespace: "team-b", pod: "db-0", container: "db", image: "registry.example.com/db:16", node: "n1", cpuPerMinute: 15, memory: GIB },
];
/** What cAdvisor reports besides: pod cgroups (no container, no image), pause containers, the node's root cgroup. */
const ROLL_UPS: readonly { labels: Record<string, string>; cpuPerMinute: number; memory: number }[] = [
  { labels: { namespace: "team-a", pod: "api-1", container: "", image: "", node: "n1" }, cpuPerMinute: 1200, memory: 4 * GIB },
  { labels: { namespace: "team-a", pod: "api-1", container: "POD", image: "registry.k8s.io/pause:3.10", node: "n1" }, cpuPerMinute: 600, memory: 2 * GIB },
  { labels: { namespace: "team-b", pod: "db-0", container: "", image: "registry.k8s.io/pause:3.10", node: "n1" }, cpuPerMinute: 720, memory: 3 * GIB },
  { labels: { namespace: "team-b", pod: "db-0", container: "db", image: "", node: "n1" }, cpuPerMinute: 900, memory: 5 * GIB },
  { labels: { id: "/", node: "n1" }, cpuPerMinute: 6000, memory: 16 * GIB },
];

const cadvisorSeries: Series[] = [
  ...CONTAINERS.flatMap(({ cpuPerMinute, memory, ...labels }) => [
    series("container_cpu_usage_seconds_total", labels, `0+${cpuPerMinute}x20`),
    series("container_memory_working_set_bytes", labels, `${memory}x20`),
  ]),
  ...ROLL_UPS.flatMap(({ labels, cpuPerMinute, memory }) => [
    series("container_cpu_usage_seconds_total", labels, `0+${cpuPerMinute}x20`),
    series("container_memory_working_set_bytes", labels, `${memory}x20`),
  ]),
];

/** Pods and their requests; done-1 (Succeeded) and failed-1 (Failed) hold nothing, pending-1 has no node yet. */
const PODS = [
  { namespace: "team-a", pod: "api-1", node: "n1", phase: "Running", cpu: 0.5, memory: 256 * MIB },
  { namespace: "team-a", pod: "api-2", node: "n2", phase: "Running", cpu: 0.5, memory: 256 * MIB },
  { namespace: "team-a", pod: "pending-1", node: "", phase: "Pending", cpu: 2, memory: GIB },
  { namespace: "team-a", pod: "done-1", node: "n1", phase: "Succeeded", cpu: 4, memory: 8 * GIB },
  { namespace: "team-b", pod: "db-0", node: "n1", phase: "Running", cpu: 1, memory: 2 * GIB },
  { namespace: "team-b", pod: "failed-1", node: "n2", phase: "Failed", cpu: 8, memory: 16 * GIB },
];
const PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

const podSeries: Series[] = PODS.flatMap(({ namespace, pod, node, phase, cpu, memory }) => [
  series("kube_pod_container_resource_requests", { namespace, pod, container: "main", node, resource: "cpu", unit: "core" }, `${cpu}x20`),
  series("kube_pod_container_resource_requests", { namespace, pod, container: "main", node, resource: "memory", unit: "byte" }, `${memory}x20`),
  ...PHASES.map((each) => series("kube_pod_status_phase", { namespace, pod, phase: each }, `${each === phase ? 1 : 0}x20`)),
]);

/**
 * Nodes: n1 and n2 from the start, n3 (bigger) joins at minute 6. Capacity changes, so the rules
 * record it as a series of its own rather than a constant.
 */
const nodeSeries: Series[] = [
  ...["n1", "n2"].flatMap((node) => [
    series("kube_node_status_capacity", { node, resource: "cpu", unit: "core" }, "4x20"),
    series("kube_node_status_allocatable", { node, resource: "cpu", unit: "core" }, "3.75x20"),
    series("kube_node_status_capacity", { node, resource: "memory", unit: "byte" }, `${16 * GIB}x20`),
    series("kube_node_status_allocatable", { node, resource: "memory", unit: "byte" }, `${15 * GIB}x20`),
    series("kube_node_status_capacity", { node, resource: "pods", unit: "integer" }, "110x20"),
  ]),
  series("kube_node_status_capacity", { node: "n3", resource: "cpu", unit: "core" }, "_x6 8x14"),
  series("kube_node_status_allocatable", { node: "n3", resource: "cpu", unit: "core" }, "_x6 7.75x14"),
  series("kube_node_status_capacity", { node: "n3", resource: "memory", unit: "byte" }, `_x6 ${32 * GIB}x14`),
  series("kube_node_status_allocatable", { node: "n3", resource: "memory", unit: "byte" }, `_x6 ${31 * GIB}x14`),
];

const at = (evalTime: string, record: string, samples: readonly [Record<string, string>, number][]): ExprCheck => ({
  expr: record,
  eval_time: evalTime,
  exp_samples: samples.map(([labels, value]) => ({ labels: `${record}{${labelsText(labels)}}`, value })),
});

// ---------------------------------------------------------------------------------------------
// One case per recording rule.

const usage: RuleCase = { rule: "usage", input: cadvisorSeries };
const requests: RuleCase = { rule: "requests", input: podSeries };
const capacity: RuleCase = { rule: "capacity", input: nodeSeries };

const RECORDING_CASES: RuleCase[] = [
  {
    ...usage,
    rule: "namespace:cpu_usage_cores:sum_rate5m",
    exprs: [
      at("10m", "namespace:cpu_usage_cores:sum_rate5m", [
        [{ namespace: "team-a" }, 1.5],
        [{ namespace: "team-b" }, 0.25],
      ]),
      // The input does hold the roll-ups: summed without the filter, they would count.
      {
        expr: "sum by (namespace) (rate(container_cpu_usage_seconds_total[5m]))",
        eval_time: "10m",
        exp_samples: [
          { labels: '{namespace="team-a"}', value: 0.5 + 1 + 20 + 10 },
          { labels: '{namespace="team-b"}', value: 0.25 + 12 + 15 },
          { labels: "{}", value: 100 },
        ],
      },
    ],
  },
  {
    ...usage,
    rule: "namespace:memory_working_set_bytes:sum",
    exprs: [
      at("10m", "namespace:memory_working_set_bytes:sum", [
        [{ namespace: "team-a" }, 500 * MIB],
        [{ namespace: "team-b" }, GIB],
      ]),
    ],
  },
  {
    ...usage,
    rule: "node:cpu_usage_cores:sum_rate5m",
    exprs: [
      at("10m", "node:cpu_usage_cores:sum_rate5m", [
        [{ node: "n1" }, 0.75],
        [{ node: "n2" }, 1],
      ]),
    ],
  },
  {
    ...usage,
    rule: "node:memory_working_set_bytes:sum",
    exprs: [
      at("10m", "node:memory_working_set_bytes:sum", [
        [{ node: "n1" }, 200 * MIB + GIB],
        [{ node: "n2" }, 300 * MIB],
      ]),
    ],
  },
  { ...usage, rule: "cluster:cpu_usage_cores:sum_rate5m", exprs: [at("10m", "cluster:cpu_usage_cores:sum_rate5m", [[{}, 1.75]])] },
  { ...usage, rule: "cluster:memory_working_set_bytes:sum", exprs: [at("10m", "cluster:memory_working_set_bytes:sum", [[{}, 500 * MIB + GIB]])] },
  {
    ...requests,
    rule: "namespace:cpu_requests_cores:sum",
    exprs: [
      at("5m", "namespace:cpu_requests_cores:sum", [
        [{ namespace: "team-a" }, 0.5 + 0.5 + 2],
        [{ namespace: "team-b" }, 1],
      ]),
    ],
  },
  {
    ...requests,
    rule: "namespace:memory_requests_bytes:sum",
    exprs: [
      at("5m", "namespace:memory_requests_bytes:sum", [
        [{ namespace: "team-a" }, 512 * MIB + GIB],
        [{ namespace: "team-b" }, 2 * GIB],
      ]),
    ],
  },
  {
    ...requests,
    rule: "node:cpu_requests_cores:sum",
    exprs: [
      at("5m", "node:cpu_requests_cores:sum", [
        [{ node: "n1" }, 1.5],
        [{ node: "n2" }, 0.5],
      ]),
    ],
  },
  {
    ...requests,
    rule: "node:memory_requests_bytes:sum",
    exprs: [
      at("5m", "node:memory_requests_bytes:sum", [
        [{ node: "n1" }, 256 * MIB + 2 * GIB],
        [{ node: "n2" }, 256 * MIB],
      ]),
    ],
  },
  { ...requests, rule: "cluster:cpu_requests_cores:sum", exprs: [at("5m", "cluster:cpu_requests_cores:sum", [[{}, 4]])] },
  { ...requests, rule: "cluster:memory_requests_bytes:sum", exprs: [at("5m", "cluster:memory_requests_bytes:sum", [[{}, 512 * MIB + GIB + 2 * GIB]])] },
  {
    ...capacity,
    rule: "node:cpu_capacity_cores:sum",
    exprs: [
      at("3m", "node:cpu_capacity_cores:sum", [
        [{ node: "n1" }, 4],
        [{ node: "n2" }, 4],
      ]),
      at("10m", "node:cpu_capacity_cores:sum", [
        [{ node: "n1" }, 4],
        [{ node: "n2" }, 4],
        [{ node: "n3" }, 8],
      ]),
    ],
  },
  {
    ...capacity,
    rule: "node:cpu_allocatable_cores:sum",
    exprs: [
      at("10m", "node:cpu_allocatable_cores:sum", [
        [{ node: "n1" }, 3.75],
        [{ node: "n2" }, 3.75],
        [{ node: "n3" }, 7.75],
      ]),
    ],
  },
  {
    ...capacity,
    rule: "node:memory_capacity_bytes:sum",
    exprs: [
      at("10m", "node:memory_capacity_bytes:sum", [
        [{ node: "n1" }, 16 * GIB],
        [{ node: "n2" }, 16 * GIB],
        [{ node: "n3" }, 32 * GIB],
      ]),
    ],
  },
  {
    ...capacity,
    rule: "node:memory_allocatable_bytes:sum",
    exprs: [
      at("10m", "node:memory_allocatable_bytes:sum", [
        [{ node: "n1" }, 15 * GIB],
        [{ node: "n2" }, 15 * GIB],
        [{ node: "n3" }, 31 * GIB],
      ]),
    ],
  },
  {
    ...capacity,
    rule: "cluster:cpu_capacity_cores:sum",
    exprs: [at("3m", "cluster:cpu_capacity_cores:sum", [[{}, 8]]), at("10m", "cluster:cpu_capacity_cores:sum", [[{}, 16]])],
  },
  {
    ...capacity,
    rule: "cluster:cpu_allocatable_cores:sum",
    exprs: [at("3m", "cluster:cpu_allocatable_cores:sum", [[{}, 7.5]]), at("10m", "cluster:cpu_allocatable_cores:sum", [[{}, 15.25]])],
  },
  {
    ...capacity,
    rule: "cluster:memory_capacity_bytes:sum",
    exprs: [at("3m", "cluster:memory_capacity_bytes:sum", [[{}, 32 * GIB]]), at("10m", "cluster:memory_capacity_bytes:sum", [[{}, 64 * GIB]])],
  },
  {
    ...capacity,
    rule: "cluster:memory_allocatable_bytes:sum",
    exprs: [at("3m", "cluster:memory_allocatable_bytes:sum", [[{}, 30 * GIB]]), at("10m", "cluster:memory_allocatable_bytes:sum", [[{}, 61 * GIB]])],
  },
];

// ---------------------------------------------------------------------------------------------
// One case per alert.

const alertAt = (evalTime: string, alertname: string, alerts: readonly ExpectedAlert[]): AlertCheck => ({ eval_time: evalTime, alertname, exp_alerts: alerts });
const fired = (alertname: string, labels: Record<string, string>, summary: string, description: string): ExpectedAlert => ({
  exp_labels: labels,
  exp_annotations: { summary, description, runbook: runbook(alertname) },
});

const filesystem = { instance: "10.0.1.10:9100", device: "/dev/nvme1n1", fstype: "ext4" };
const filesystemSeries = (mountpoint: string, fs: Record<string, string>, avail: string, readonly = "0x100"): Series[] => [
  series("node_filesystem_avail_bytes", { ...fs, mountpoint }, avail),
  series("node_filesystem_size_bytes", { ...fs, mountpoint }, "100e9x100"),
  series("node_filesystem_readonly", { ...fs, mountpoint }, readonly),
];

/** Event series as caicloud/event_exporter exposes them (the `namespace` of the Event itself left out). */
const event = (reason: string, kind: string, objectNamespace: string, objectName: string, values: string, extra: Record<string, string> = {}): Series =>
  series(
    EVENT_METRIC,
    {
      job: EVENT_EXPORTER_JOB,
      instance: "10.244.1.7:9102",
      name: `${objectName}.17f3a${reason.length}`,
      involved_object_namespace: objectNamespace,
      involved_object_kind: kind,
      involved_object_name: objectName,
      reason,
      type: "Warning",
      source: "n1/kubelet",
      ...extra,
    },
    values,
  );
/** The exporter started an hour before the test's time zero: past its warm-up. */
const exporterStartedLongAgo = series("process_start_time_seconds", { job: EVENT_EXPORTER_JOB, instance: "10.244.1.7:9102" }, "-3600x60");

const eventLabels = (reason: string, kind: string, objectNamespace: string, objectName: string, severity: string) => ({
  severity,
  reason,
  involved_object_kind: kind,
  involved_object_name: objectName,
  ...(objectNamespace ? { involved_object_namespace: objectNamespace, namespace: objectNamespace } : {}),
});

const ALERT_CASES: RuleCase[] = [
  {
    rule: "KubeNodeNotReady",
    input: [
      series("kube_node_status_condition", { node: "n1", condition: "Ready", status: "true" }, "1 1 0x30"),
      series("kube_node_status_condition", { node: "n1", condition: "Ready", status: "false" }, "0 0 1x30"),
      series("kube_node_status_condition", { node: "n2", condition: "Ready", status: "true" }, "1x32"),
    ],
    alerts: [
      alertAt("16m", "KubeNodeNotReady", []),
      alertAt("18m", "KubeNodeNotReady", [
        fired(
          "KubeNodeNotReady",
          { severity: "warning", node: "n1", condition: "Ready", status: "true" },
          "Node n1 is not ready",
          "Node n1 has not been Ready for 15 minutes: its pods are evicted after the toleration for not-ready nodes (5 minutes by default).",
        ),
      ]),
    ],
  },
  {
    rule: "KubeNodeDiskPressure",
    input: [
      series("kube_node_status_condition", { node: "n2", condition: "DiskPressure", status: "true" }, "0 0 1x10"),
      series("kube_node_status_condition", { node: "n1", condition: "DiskPressure", status: "true" }, "0x12"),
    ],
    alerts: [
      alertAt("8m", "KubeNodeDiskPressure", [
        fired(
          "KubeNodeDiskPressure",
          { severity: "warning", node: "n2", condition: "DiskPressure", status: "true" },
          "Node n2 has disk pressure",
          "The kubelet of n2 reports DiskPressure: it is evicting pods and deleting unused images to free its disk.",
        ),
      ]),
    ],
  },
  {
    rule: "NodeFilesystemPredictedFull",
    interval: "5m",
    input: [
      // 39% free, losing 2.4 GB an hour: full in about 16 hours.
      ...filesystemSeries("/var/lib/containerd", filesystem, "39e9-0.2e9x30"),
      // 10% free but steady; a read-only and a tmpfs filesystem filling up: none of them alert.
      ...filesystemSeries("/var/log", filesystem, "10e9x30"),
      ...filesystemSeries("/mnt/iso", filesystem, "39e9-0.2e9x30", "1x100"),
      ...filesystemSeries("/run", { ...filesystem, device: "tmpfs", fstype: "tmpfs" }, "39e9-0.2e9x30"),
    ],
    alerts: [
      alertAt("30m", "NodeFilesystemPredictedFull", []),
      alertAt("70m", "NodeFilesystemPredictedFull", [
        fired(
          "NodeFilesystemPredictedFull",
          { severity: "warning", ...filesystem, mountpoint: "/var/lib/containerd" },
          "Filesystem /var/lib/containerd on 10.0.1.10:9100 fills up within 24 hours",
          "/dev/nvme1n1 at /var/lib/containerd on 10.0.1.10:9100 has 36.2% free and, at the rate of the last 6 hours, is full within 24 hours.",
        ),
      ]),
    ],
  },
  {
    rule: "NodeFilesystemPredictedFullSoon",
    interval: "5m",
    input: [
      // 15% free, losing 6 GB an hour: full in under 3 hours.
      ...filesystemSeries("/var/lib/etcd", filesystem, "15e9-0.5e9x20"),
      // 39% free and filling up within a day: a warning, not this alert.
      ...filesystemSeries("/var/lib/containerd", filesystem, "39e9-0.2e9x20"),
    ],
    alerts: [
      alertAt("30m", "NodeFilesystemPredictedFullSoon", []),
      alertAt("40m", "NodeFilesystemPredictedFullSoon", [
        fired(
          "NodeFilesystemPredictedFullSoon",
          { severity: "critical", ...filesystem, mountpoint: "/var/lib/etcd" },
          "Filesystem /var/lib/etcd on 10.0.1.10:9100 fills up within 4 hours",
          "/dev/nvme1n1 at /var/lib/etcd on 10.0.1.10:9100 has 11% free and, at the rate of the last 6 hours, is full within 4 hours.",
        ),
      ]),
    ],
  },
  {
    rule: "KubeContainerOOMKilled",
    input: [
      // api restarts at minute 15, OOM-killed; worker restarts then too, for another reason; cache was OOM-killed long ago.
      series("kube_pod_container_status_restarts_total", { namespace: "team-a", pod: "api-1", container: "api" }, "0x14 1x20"),
      series("kube_pod_container_status_last_terminated_reason", { namespace: "team-a", pod: "api-1", container: "api", reason: "OOMKilled" }, "_x14 1x20"),
      series("kube_pod_container_status_restarts_total", { namespace: "team-a", pod: "worker-1", container: "worker" }, "0x14 1x20"),
      series("kube_pod_container_status_last_terminated_reason", { namespace: "team-a", pod: "worker-1", container: "worker", reason: "Error" }, "_x14 1x20"),
      series("kube_pod_container_status_restarts_total", { namespace: "team-b", pod: "cache-0", container: "cache" }, "3x34"),
      series("kube_pod_container_status_last_terminated_reason", { namespace: "team-b", pod: "cache-0", container: "cache", reason: "OOMKilled" }, "1x34"),
    ],
    alerts: [
      alertAt("16m", "KubeContainerOOMKilled", [
        fired(
          "KubeContainerOOMKilled",
          { severity: "warning", namespace: "team-a", pod: "api-1", container: "api" },
          "Container api of team-a/api-1 was OOM-killed",
          "Container api of pod team-a/api-1 was killed for using more memory than its limit, and restarted (1 restarts in 10 minutes).",
        ),
      ]),
      alertAt("30m", "KubeContainerOOMKilled", []),
    ],
  },
  {
    rule: "EtcdNoLeader",
    input: [
      series("etcd_server_has_leader", { job: "etcd-main", instance: "10.0.0.10:2379" }, "1 1 0x5"),
      series("etcd_server_has_leader", { job: "etcd-main", instance: "10.0.32.10:2379" }, "1x7"),
      series("etcd_server_has_leader", { job: "etcd-events", instance: "10.0.0.11:2379" }, "1x7"),
      // Not an etcd cluster of this spec.
      series("etcd_server_has_leader", { job: "etcd-elsewhere", instance: "192.0.2.1:2379" }, "0x7"),
    ],
    alerts: [
      alertAt("4m", "EtcdNoLeader", [
        fired(
          "EtcdNoLeader",
          { severity: "critical", job: "etcd-main", instance: "10.0.0.10:2379" },
          "etcd member 10.0.0.10:2379 (etcd-main) has no leader",
          "Member 10.0.0.10:2379 of etcd-main has had no leader for a minute: it serves no requests.",
        ),
      ]),
    ],
  },
  {
    rule: "EtcdInsufficientMembers",
    input: [
      // Two of main's three members stop answering at minute 2; events has no target at all.
      series("up", { job: "etcd-main", instance: "10.0.0.10:2379" }, "1x10"),
      series("up", { job: "etcd-main", instance: "10.0.32.10:2379" }, "1 1 0x8"),
      series("up", { job: "etcd-main", instance: "10.0.64.10:2379" }, "1 1 0x8"),
    ],
    alerts: [
      alertAt("6m", "EtcdInsufficientMembers", [
        fired(
          "EtcdInsufficientMembers",
          { severity: "critical", etcd_cluster: "main", job: "etcd-main" },
          "etcd cluster main has lost quorum",
          "Only 1 of the 3 members of etcd cluster main answer Prometheus; it needs 2 to have a quorum and accept writes.",
        ),
        fired(
          "EtcdInsufficientMembers",
          { severity: "critical", etcd_cluster: "events", job: "etcd-events" },
          "etcd cluster events has lost quorum",
          "Only 0 of the 3 members of etcd cluster events answer Prometheus; it needs 2 to have a quorum and accept writes.",
        ),
      ]),
    ],
  },
  {
    rule: "EtcdMembersDown",
    input: [
      series("up", { job: "etcd-main", instance: "10.0.0.10:2379" }, "1x15"),
      series("up", { job: "etcd-main", instance: "10.0.32.10:2379" }, "1x15"),
      series("up", { job: "etcd-main", instance: "10.0.64.10:2379" }, "1 0x14"),
      ...["10.0.0.11", "10.0.32.11", "10.0.64.11"].map((address) => series("up", { job: "etcd-events", instance: `${address}:2379` }, "1x15")),
    ],
    alerts: [
      alertAt("8m", "EtcdMembersDown", []),
      alertAt("12m", "EtcdMembersDown", [
        fired(
          "EtcdMembersDown",
          { severity: "warning", etcd_cluster: "main", job: "etcd-main" },
          "etcd cluster main has members down",
          "2 of the 3 members of etcd cluster main answer Prometheus; it tolerates 1 down.",
        ),
      ]),
      alertAt("12m", "EtcdInsufficientMembers", []),
    ],
  },
  {
    rule: "EtcdHighFsyncDurations",
    input: [
      // 100 fsyncs a minute: on 10.0.0.10 all between 0.5 and 1 s, on 10.0.32.10 all under 0.1 s.
      ...[
        ["0.1", "0+0x20"],
        ["0.5", "0+0x20"],
        ["1", "0+100x20"],
        ["+Inf", "0+100x20"],
      ].map(([le, values]) => series("etcd_disk_wal_fsync_duration_seconds_bucket", { job: "etcd-main", instance: "10.0.0.10:2379", le: le! }, values!)),
      ...["0.1", "0.5", "1", "+Inf"].map((le) => series("etcd_disk_wal_fsync_duration_seconds_bucket", { job: "etcd-main", instance: "10.0.32.10:2379", le }, "0+100x20")),
    ],
    alerts: [
      alertAt("8m", "EtcdHighFsyncDurations", []),
      alertAt("15m", "EtcdHighFsyncDurations", [
        fired(
          "EtcdHighFsyncDurations",
          { severity: "warning", job: "etcd-main", instance: "10.0.0.10:2379" },
          "etcd member 10.0.0.10:2379 (etcd-main) syncs its log slowly",
          "99% of WAL fsyncs of 10.0.0.10:2379 take up to 995ms (more than 0.5 s): its disk is too slow, and leader elections follow.",
        ),
      ]),
    ],
  },
  {
    rule: "KubeAPIServerErrorsHigh",
    input: [
      series("apiserver_request_total", { job: "apiserver", instance: "10.0.0.20:6443", verb: "GET", code: "200" }, "0+900x20"),
      series("apiserver_request_total", { job: "apiserver", instance: "10.0.0.20:6443", verb: "GET", code: "500" }, "0+60x20"),
      series("apiserver_request_total", { job: "apiserver", instance: "10.0.0.20:6443", verb: "LIST", code: "503" }, "0+40x20"),
    ],
    alerts: [
      alertAt("8m", "KubeAPIServerErrorsHigh", []),
      alertAt("15m", "KubeAPIServerErrorsHigh", [
        fired(
          "KubeAPIServerErrorsHigh",
          { severity: "warning", job: "apiserver" },
          "The API server answers 10% of requests with 5xx",
          "10% of the API server's requests failed with a 5xx status over 5 minutes, for 10 minutes (threshold 5%).",
        ),
      ]),
    ],
  },
  {
    rule: "KubeClientCertificateExpiration",
    input: [
      // On 10.0.0.20 every client certificate seen ends in 4 to 7 days; on 10.0.32.20, in 6 months to a year.
      ...[
        ["345600", "0x10"],
        ["604800", "0+10x10"],
        ["15552000", "0+10x10"],
        ["31104000", "0+10x10"],
        ["+Inf", "0+10x10"],
      ].map(([le, values]) => series("apiserver_client_certificate_expiration_seconds_bucket", { job: "apiserver", instance: "10.0.0.20:6443", le: le! }, values!)),
      ...[
        ["345600", "0x10"],
        ["604800", "0x10"],
        ["15552000", "0x10"],
        ["31104000", "0+10x10"],
        ["+Inf", "0+10x10"],
      ].map(([le, values]) => series("apiserver_client_certificate_expiration_seconds_bucket", { job: "apiserver", instance: "10.0.32.20:6443", le: le! }, values!)),
    ],
    alerts: [
      alertAt("5m", "KubeClientCertificateExpiration", [
        fired(
          "KubeClientCertificateExpiration",
          { severity: "warning", job: "apiserver", instance: "10.0.0.20:6443" },
          "A client certificate presented to the API server ends within 14 days",
          "Client certificates presented to API server 10.0.0.20:6443 end in 4d 0h 43m 12s (1st percentile of the last 5 minutes).",
        ),
      ]),
    ],
  },
  {
    rule: "KubeletClientCertificateExpiration",
    input: [
      series("kubelet_certificate_manager_client_ttl_seconds", { job: "kubelet", node: "n1" }, "864000x5"),
      series("kubelet_certificate_manager_client_ttl_seconds", { job: "kubelet", node: "n2" }, "2592000x5"),
    ],
    alerts: [
      alertAt("2m", "KubeletClientCertificateExpiration", [
        fired(
          "KubeletClientCertificateExpiration",
          { severity: "warning", job: "kubelet", node: "n1" },
          "The kubelet client certificate of n1 ends within 14 days",
          "The client certificate of the kubelet on n1 ends in 10d 0h 0m 0s, and the kubelet has not rotated it.",
        ),
      ]),
    ],
  },
  {
    rule: "KubeletServerCertificateExpiration",
    input: [
      series("kubelet_certificate_manager_server_ttl_seconds", { job: "kubelet", node: "n1" }, "2592000x5"),
      series("kubelet_certificate_manager_server_ttl_seconds", { job: "kubelet", node: "n2" }, "86400x5"),
    ],
    alerts: [
      alertAt("2m", "KubeletServerCertificateExpiration", [
        fired(
          "KubeletServerCertificateExpiration",
          { severity: "warning", job: "kubelet", node: "n2" },
          "The kubelet serving certificate of n2 ends within 14 days",
          "The serving certificate of the kubelet on n2 ends in 1d 0h 0m 0s, and the kubelet has not rotated it.",
        ),
      ]),
    ],
  },
  {
    rule: "KubeNodePoolAtMaxSize",
    input: [
      // general at its maxSize of 10, spot at 5 of 20, gpu at its 4; control-plane nodes have no pool.
      ...Array.from({ length: 10 }, (_, index) => series("kube_node_labels", { node: `general-${index}`, label_kraken_dev_pool: "general" }, "1x20")),
      ...Array.from({ length: 5 }, (_, index) => series("kube_node_labels", { node: `spot-${index}`, label_kraken_dev_pool: "spot" }, "1x20")),
      ...Array.from({ length: 4 }, (_, index) => series("kube_node_labels", { node: `gpu-${index}`, label_kraken_dev_pool: "gpu" }, "1x20")),
      ...Array.from({ length: 3 }, (_, index) => series("kube_node_labels", { node: `cp-${index}` }, "1x20")),
    ],
    alerts: [
      alertAt("10m", "KubeNodePoolAtMaxSize", []),
      alertAt("16m", "KubeNodePoolAtMaxSize", [
        fired(
          "KubeNodePoolAtMaxSize",
          { severity: "warning", pool: "general", label_kraken_dev_pool: "general" },
          "Node pool general is at its maximum size",
          "Node pool general has 10 nodes, its maxSize is 10: it cannot grow, and pods that need more room stay Pending.",
        ),
        fired(
          "KubeNodePoolAtMaxSize",
          { severity: "warning", pool: "gpu", label_kraken_dev_pool: "gpu" },
          "Node pool gpu is at its maximum size",
          "Node pool gpu has 4 nodes, its maxSize is 4: it cannot grow, and pods that need more room stay Pending.",
        ),
      ]),
    ],
  },
  {
    rule: "ClusterCPURequestsOverAllocatable",
    input: [
      ...podSeries.map((each) => ({ ...each, values: each.values.replace("x20", "x40") })),
      // One node: 8 allocatable cores, down to 3 when it is replaced by a smaller one at minute 6.
      series("kube_node_status_allocatable", { node: "n1", resource: "cpu", unit: "core" }, "8x5 3x35"),
    ],
    alerts: [
      alertAt("10m", "ClusterCPURequestsOverAllocatable", []),
      alertAt("25m", "ClusterCPURequestsOverAllocatable", [
        fired(
          "ClusterCPURequestsOverAllocatable",
          { severity: "warning" },
          "Pods request more cpu than the nodes can allocate",
          "Running and pending pods request 4 cores of cpu, more than the nodes' allocatable cpu: some pods cannot be scheduled.",
        ),
      ]),
    ],
  },
  {
    rule: "ClusterMemoryRequestsOverAllocatable",
    input: [
      ...podSeries.map((each) => ({ ...each, values: each.values.replace("x20", "x40") })),
      series("kube_node_status_allocatable", { node: "n1", resource: "memory", unit: "byte" }, `${8 * GIB}x5 ${2 * GIB}x35`),
    ],
    alerts: [
      alertAt("10m", "ClusterMemoryRequestsOverAllocatable", []),
      alertAt("25m", "ClusterMemoryRequestsOverAllocatable", [
        fired(
          "ClusterMemoryRequestsOverAllocatable",
          { severity: "warning" },
          "Pods request more memory than the nodes can allocate",
          "Running and pending pods request 3.5GiB of memory, more than the nodes' allocatable memory: some pods cannot be scheduled.",
        ),
      ]),
    ],
  },
  {
    rule: "KubeEventOOMKilling",
    input: [
      // The exporter starts at time zero and lists an hour-old event: not news.
      series("process_start_time_seconds", { job: EVENT_EXPORTER_JOB, instance: "10.244.1.7:9102" }, "0x50"),
      event("OOMKilling", "Node", "", "n9", "1x50"),
      // At minute 20 the kernel of n1 kills a process, and api-1 is OOM-killed (twice).
      event("OOMKilling", "Node", "", "n1", "_x20 1x30"),
      event("OOMKilled", "Pod", "team-a", "api-1", "_x20 1 1 2x28"),
      event("SystemOOM", "Node", "", "n2", "_x45 1x5"),
      // Other reasons and Normal events do not count.
      event("FailedMount", "Pod", "team-a", "api-2", "_x20 1x30"),
      event("OOMKilling", "Node", "", "n2", "_x20 1x30", { type: "Normal" }),
    ],
    alerts: [
      alertAt("5m", "KubeEventOOMKilling", []),
      alertAt("25m", "KubeEventOOMKilling", [
        fired(
          "KubeEventOOMKilling",
          eventLabels("OOMKilling", "Node", "", "n1", "warning"),
          "OOMKilling: Node n1",
          "A Warning event OOMKilling, OOMKilled or SystemOOM about Node n1 in the last 10 minutes: the kernel killed a process for lack of memory. kubectl get events shows the message.",
        ),
        fired(
          "KubeEventOOMKilling",
          eventLabels("OOMKilled", "Pod", "team-a", "api-1", "warning"),
          "OOMKilled: Pod team-a/api-1",
          "A Warning event OOMKilling, OOMKilled or SystemOOM about Pod team-a/api-1 in the last 10 minutes: the kernel killed a process for lack of memory. kubectl get events shows the message.",
        ),
      ]),
      alertAt("40m", "KubeEventOOMKilling", []),
      alertAt("47m", "KubeEventOOMKilling", [
        fired(
          "KubeEventOOMKilling",
          eventLabels("SystemOOM", "Node", "", "n2", "warning"),
          "SystemOOM: Node n2",
          "A Warning event OOMKilling, OOMKilled or SystemOOM about Node n2 in the last 10 minutes: the kernel killed a process for lack of memory. kubectl get events shows the message.",
        ),
      ]),
    ],
  },
  {
    rule: "KubeEventFailedScheduling",
    input: [
      // Exporter A runs from time zero and is replaced at minute 30 by exporter B, which lists the same event again.
      series("process_start_time_seconds", { job: EVENT_EXPORTER_JOB, instance: "10.244.1.7:9102" }, "0x30"),
      series("process_start_time_seconds", { job: EVENT_EXPORTER_JOB, instance: "10.244.2.9:9102" }, "_x30 1800x30"),
      event("FailedScheduling", "Pod", "team-a", "big-1", "_x20 1x10"),
      event("FailedScheduling", "Pod", "team-a", "big-1", "_x30 1x30", { instance: "10.244.2.9:9102" }),
    ],
    alerts: [
      alertAt("22m", "KubeEventFailedScheduling", [
        fired(
          "KubeEventFailedScheduling",
          eventLabels("FailedScheduling", "Pod", "team-a", "big-1", "info"),
          "FailedScheduling: Pod team-a/big-1",
          "A Warning event FailedScheduling about Pod team-a/big-1 in the last 10 minutes: the scheduler found no node for a pod. kubectl get events shows the message.",
        ),
      ]),
      // The relisted event is new to exporter B, but B is warming up; later it is old news.
      alertAt("33m", "KubeEventFailedScheduling", []),
      alertAt("50m", "KubeEventFailedScheduling", []),
    ],
  },
  {
    rule: "KubeEventEvicted",
    // db-1 was evicted before minute 0 and is old news from minute 10; db-0 is evicted at minute 15.
    input: [exporterStartedLongAgo, event("Evicted", "Pod", "team-b", "db-0", "_x15 1x20"), event("Evicted", "Pod", "team-b", "db-1", "1x35")],
    alerts: [
      alertAt("12m", "KubeEventEvicted", []),
      alertAt("17m", "KubeEventEvicted", [
        fired(
          "KubeEventEvicted",
          eventLabels("Evicted", "Pod", "team-b", "db-0", "warning"),
          "Evicted: Pod team-b/db-0",
          "A Warning event Evicted about Pod team-b/db-0 in the last 10 minutes: the kubelet evicted a pod to reclaim a node's resources. kubectl get events shows the message.",
        ),
      ]),
      alertAt("30m", "KubeEventEvicted", []),
    ],
  },
  {
    rule: "KubeEventBackOff",
    input: [
      exporterStartedLongAgo,
      // worker-1 keeps crashing from minute 5 (its event's count rises every 2 minutes); web-1 backs off once.
      event("BackOff", "Pod", "team-a", "worker-1", "_x5 1+0.5x40"),
      event("BackOff", "Pod", "team-a", "web-1", "_x5 1x40"),
    ],
    alerts: [
      alertAt("12m", "KubeEventBackOff", []),
      alertAt("20m", "KubeEventBackOff", [
        fired(
          "KubeEventBackOff",
          eventLabels("BackOff", "Pod", "team-a", "worker-1", "warning"),
          "BackOff: Pod team-a/worker-1",
          "A Warning event BackOff about Pod team-a/worker-1 in the last 10 minutes: a container keeps failing to start, or its image to pull. kubectl get events shows the message.",
        ),
      ]),
    ],
  },
  {
    rule: "KubeEventExporterDown",
    input: [series("up", { job: EVENT_EXPORTER_JOB, instance: "10.244.1.7:9102" }, "1x5 0x30")],
    alerts: [
      alertAt("15m", "KubeEventExporterDown", []),
      alertAt("25m", "KubeEventExporterDown", [
        fired(
          "KubeEventExporterDown",
          { severity: "warning", job: EVENT_EXPORTER_JOB },
          "The events exporter is down: event alerts are blind",
          "Prometheus has not scraped job event-exporter for 15 minutes: no alert on OOM kills, failed scheduling, evictions or back-offs can fire.",
        ),
      ]),
    ],
  },
];

// ---------------------------------------------------------------------------------------------

let cluster: Cluster;
let files: RuleFile[];

beforeAll(() => {
  // GIVEN the HA example spec (pools general, spot, gpu; etcd clusters main and events), its rules rendered to a temp dir
  const version = promtool(["--version"], tmpdir());
  if (!version.ok) throw new Error(`promtool --version failed: ${version.output}`);
  [cluster] = loadClusterFiles([EXAMPLES.awsHa]) as [Cluster];
  files = prometheusRuleFiles(cluster);
  workDir = mkdtempSync(join(tmpdir(), "kraken-rules-"));
  ruleFileNames = files.map((file) => file.name);
  for (const file of files) writeFileSync(join(workDir, file.name), renderRuleFile(file));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const alertingRules = () => files.flatMap((file) => file.groups.flatMap((group) => group.rules)).filter((rule): rule is AlertingRule => "alert" in rule);
const recordedNames = () => files.flatMap((file) => file.groups.flatMap((group) => group.rules.flatMap((rule) => ("record" in rule ? [rule.record] : []))));

describe("rule files", () => {
  it("pass promtool check rules, every one", () => {
    // WHEN promtool checks each rendered file THEN it accepts it
    expect(ruleFileNames).toEqual(["kraken-usage.yaml", "kraken-alerts.yaml", "kraken-events.yaml"]);
    for (const name of ruleFileNames) {
      const result = promtool(["check", "rules", name], workDir);
      expect(result.output, name).toContain("SUCCESS");
      expect(result.ok, result.output).toBe(true);
    }
  });

  it("record exactly the issue's series, plus node-level capacity, allocatable and requests and cluster usage totals", () => {
    const issue = [
      "namespace:cpu_usage_cores:sum_rate5m",
      "namespace:memory_working_set_bytes:sum",
      "node:cpu_usage_cores:sum_rate5m",
      "node:memory_working_set_bytes:sum",
      "namespace:cpu_requests_cores:sum",
      "namespace:memory_requests_bytes:sum",
      "cluster:cpu_capacity_cores:sum",
      "cluster:cpu_allocatable_cores:sum",
      "cluster:memory_capacity_bytes:sum",
      "cluster:memory_allocatable_bytes:sum",
      "cluster:cpu_requests_cores:sum",
      "cluster:memory_requests_bytes:sum",
    ];
    const ours = [
      "node:cpu_requests_cores:sum",
      "node:memory_requests_bytes:sum",
      "node:cpu_capacity_cores:sum",
      "node:cpu_allocatable_cores:sum",
      "node:memory_capacity_bytes:sum",
      "node:memory_allocatable_bytes:sum",
      "cluster:cpu_usage_cores:sum_rate5m",
      "cluster:memory_working_set_bytes:sum",
    ];
    expect([...RECORDING_RULES].sort()).toEqual([...issue, ...ours].sort());
    expect(recordedNames()).toEqual([...RECORDING_RULES]);
  });

  it("give every alert a severity, a summary, a description and a runbook anchor, and never the cluster's name", () => {
    for (const rule of alertingRules()) {
      expect(["critical", "warning", "info"], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).not.toBe("");
      expect(rule.annotations.description, rule.alert).not.toBe("");
      expect(rule.annotations.runbook).toBe(runbook(rule.alert));
    }
    for (const file of files) expect(renderRuleFile(file)).not.toContain(cluster.metadata.name);
  });

  it("have one pool alert per autoscaled pool and quorum alerts per etcd cluster, from the spec", () => {
    const pools = alertingRules().filter((rule) => rule.alert === "KubeNodePoolAtMaxSize");
    expect(pools.map((rule) => [rule.labels.pool, rule.expr])).toEqual([
      ["general", 'count by (label_kraken_dev_pool) (kube_node_labels{label_kraken_dev_pool="general"}) >= 10'],
      ["spot", 'count by (label_kraken_dev_pool) (kube_node_labels{label_kraken_dev_pool="spot"}) >= 20'],
      ["gpu", 'count by (label_kraken_dev_pool) (kube_node_labels{label_kraken_dev_pool="gpu"}) >= 4'],
    ]);
    const quorum = alertingRules().filter((rule) => rule.alert === "EtcdInsufficientMembers");
    expect(quorum.map((rule) => [rule.labels.job, rule.expr])).toEqual([
      ["etcd-main", '(sum(up{job="etcd-main"}) or vector(0)) < 2'],
      ["etcd-events", '(sum(up{job="etcd-events"}) or vector(0)) < 2'],
    ]);
  });

  it("are none when monitoring is off", () => {
    const off = { ...cluster, spec: { ...cluster.spec, addons: { ...cluster.spec.addons, monitoring: { ...cluster.spec.addons.monitoring, enabled: false } } } };
    expect(prometheusRuleFiles(off)).toEqual([]);
    expect(eventExporterManifests(off)).toEqual([]);
  });
});

describe("promtool test rules", () => {
  it("has a case for every recording and alerting rule", () => {
    const tested = new Set([
      ...RECORDING_CASES.flatMap((ruleCase) => (ruleCase.exprs ?? []).map((check) => check.expr)),
      ...ALERT_CASES.flatMap((ruleCase) => (ruleCase.alerts ?? []).filter((check) => check.exp_alerts.length > 0).map((check) => check.alertname)),
    ]);
    const rules = [...recordedNames(), ...alertingRules().map((rule) => rule.alert)];
    expect(rules.filter((name) => !tested.has(name))).toEqual([]);
  });

  it.each(RECORDING_CASES.map((ruleCase) => [ruleCase.rule, ruleCase] as const))("recording rule %s", (_name, ruleCase) => {
    // WHEN promtool evaluates the rules on the case's series THEN it finds the expected samples
    const result = runCase(ruleCase);
    expect(result.ok, result.output).toBe(true);
  });

  it.each(ALERT_CASES.map((ruleCase) => [ruleCase.rule, ruleCase] as const))("alert %s", (_name, ruleCase) => {
    // WHEN promtool evaluates the rules on the case's series THEN exactly the expected alerts fire
    const result = runCase(ruleCase);
    expect(result.ok, result.output).toBe(true);
  });

  it("fails when an expectation is wrong: the harness can fail", () => {
    // GIVEN the usage case with team-a's CPU expected at 99 cores, and an alert expected that does not fire
    const wrong: RuleCase = {
      ...usage,
      rule: "deliberately-wrong",
      exprs: [at("10m", "namespace:cpu_usage_cores:sum_rate5m", [[{ namespace: "team-a" }, 99]])],
      alerts: [alertAt("10m", "KubeNodeNotReady", [fired("KubeNodeNotReady", { severity: "warning", node: "n1" }, "x", "y")])],
    };
    // WHEN promtool runs it
    const result = runCase(wrong);
    // THEN it fails, and says which expectations
    expect(result.ok).toBe(false);
    expect(result.output).toContain("FAILED");
    expect(result.output).toContain("namespace:cpu_usage_cores:sum_rate5m");
    expect(result.output).toContain("KubeNodeNotReady");
  });
});

describe("docs", () => {
  const anchors = (markdown: string) =>
    new Set(
      [...markdown.matchAll(/^#{1,6} +(.+)$/gm)].map((match) =>
        match[1]!
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 _-]/g, "")
          .replace(/ /g, "-"),
      ),
    );

  it("docs/alert-reference.md has the section every runbook annotation points to", () => {
    const headings = anchors(readFileSync(join(REPO_ROOT, "docs/alert-reference.md"), "utf8"));
    const missing = [...new Set(alertingRules().map((rule) => rule.annotations.runbook.split("#")[1]!))].filter((anchor) => !headings.has(anchor));
    expect(missing).toEqual([]);
  });

  it("docs/monitoring.md explains every recording rule", () => {
    const monitoring = readFileSync(join(REPO_ROOT, "docs/monitoring.md"), "utf8");
    expect(RECORDING_RULES.filter((name) => !monitoring.includes(`\`${name}\``))).toEqual([]);
  });
});

describe("event exporter", () => {
  const manifests = () => eventExporterManifests(cluster) as { kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown }[];
  const find = (kind: string) => manifests().find((manifest) => manifest.kind === kind)!;

  it("deploys a pinned image, non-root, with a read-only root filesystem and resources", () => {
    expect(manifests().map((manifest) => manifest.kind)).toEqual(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "ServiceMonitor"]);
    expect(EVENT_EXPORTER_IMAGE).toMatch(/:v\d+\.\d+\.\d+$/);
    const pod = (find("Deployment") as unknown as { spec: { template: { spec: { securityContext: Record<string, unknown>; containers: Record<string, unknown>[] } } } }).spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
    const [container] = pod.containers;
    expect(container).toMatchObject({
      image: EVENT_EXPORTER_IMAGE,
      args: ["--eventType=Warning", "--port=9102"],
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      resources: { requests: { cpu: "10m", memory: "40Mi" }, limits: { memory: "128Mi" } },
    });
    for (const manifest of manifests().filter((each) => !each.kind.startsWith("Cluster"))) expect(manifest.metadata.namespace).toBe(MONITORING_NAMESPACE);
  });

  it("may only read events, and is scraped as job event-exporter at the spec's interval", () => {
    expect(find("ClusterRole")).toMatchObject({ rules: [{ apiGroups: [""], resources: ["events"], verbs: ["get", "list", "watch"] }] });
    expect(find("Service").metadata.name).toBe(EVENT_EXPORTER_JOB);
    expect(find("ServiceMonitor")).toMatchObject({
      apiVersion: "monitoring.coreos.com/v1",
      spec: { endpoints: [{ port: "http", path: "/metrics", interval: cluster.spec.addons.monitoring.scrapeInterval }], namespaceSelector: { matchNames: ["monitoring"] } },
    });
  });
});
