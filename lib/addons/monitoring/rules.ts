/**
 * kraken-lib's Prometheus recording and alerting rules, generated from the cluster spec (one
 * rule per node pool and per etcd cluster). docs/monitoring.md explains the recording rules,
 * docs/alert-reference.md every alert. The cluster's name is never in a rule: Prometheus adds
 * it to every alert as the external label `cluster`.
 */
import { stringify } from "yaml";
import type { Cluster, EtcdClusterSpec, NodePoolSpec } from "../../spec";
import type { ALERT_SEVERITIES } from "../../spec/schema";
import { EVENT_EXPORTER_JOB, EVENT_METRIC } from "./event-exporter";

export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  /** How long the expression must hold before the alert fires. @default - at once */
  readonly for?: string;
  readonly labels: { readonly severity: AlertSeverity } & Readonly<Record<string, string>>;
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook: string };
}

export interface RuleGroup {
  readonly name: string;
  /** @default - Prometheus's evaluation_interval */
  readonly interval?: string;
  readonly rules: (RecordingRule | AlertingRule)[];
}

export interface RuleFile {
  /** File name, as kraken-usage.yaml. */
  readonly name: string;
  readonly groups: RuleGroup[];
}

/** The recording rules, in evaluation order: `k2 usage` and the dashboards read these series. */
export const RECORDING_RULES = [
  "namespace:cpu_usage_cores:sum_rate5m",
  "namespace:memory_working_set_bytes:sum",
  "node:cpu_usage_cores:sum_rate5m",
  "node:memory_working_set_bytes:sum",
  "namespace:cpu_requests_cores:sum",
  "namespace:memory_requests_bytes:sum",
  "node:cpu_requests_cores:sum",
  "node:memory_requests_bytes:sum",
  "node:cpu_capacity_cores:sum",
  "node:cpu_allocatable_cores:sum",
  "node:memory_capacity_bytes:sum",
  "node:memory_allocatable_bytes:sum",
  "cluster:cpu_capacity_cores:sum",
  "cluster:cpu_allocatable_cores:sum",
  "cluster:memory_capacity_bytes:sum",
  "cluster:memory_allocatable_bytes:sum",
  "cluster:cpu_requests_cores:sum",
  "cluster:memory_requests_bytes:sum",
  "cluster:cpu_usage_cores:sum_rate5m",
  "cluster:memory_working_set_bytes:sum",
] as const;

export type RecordingRuleName = (typeof RECORDING_RULES)[number];

/** Label kube-state-metrics gives kube_node_labels for the kraken.dev/pool node label. */
export const POOL_LABEL = "label_kraken_dev_pool";

/** kube-state-metrics' --metric-labels-allowlist: without it, kube_node_labels has no pool label. */
export const KUBE_STATE_METRICS_LABELS_ALLOWLIST = "nodes=[kraken.dev/pool]";

/** Scrape job of an etcd cluster's members (at their static addresses, with a client certificate). */
export function etcdScrapeJob(etcdName: string): string {
  return `etcd-${etcdName}`;
}

/** Certificates closer than this to their end raise an alert. */
const CERTIFICATE_WARNING_SECONDS = 14 * 24 * 3600;

/** Real containers only: no pod-level cgroup roll-up (empty container or image), no pause container. */
const CONTAINERS = `container!="", container!="POD", image!=""`;
/** Pods that hold (or wait for) what they request; Succeeded and Failed pods hold nothing. */
const HOLDING_PODS = `max by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Running"} == 1)`;
const CPU = `resource="cpu", unit="core"`;
const MEMORY = `resource="memory", unit="byte"`;

const requestsOf = (resource: string, by: "namespace" | "node") =>
  `sum by (${by}) (\n  kube_pod_container_resource_requests{${resource}${by === "node" ? `, node!=""` : ""}}\n  * on (namespace, pod) group_left () ${HOLDING_PODS}\n)`;

const RECORDING_EXPRESSIONS: Record<RecordingRuleName, string> = {
  "namespace:cpu_usage_cores:sum_rate5m": `sum by (namespace) (rate(container_cpu_usage_seconds_total{${CONTAINERS}}[5m]))`,
  "namespace:memory_working_set_bytes:sum": `sum by (namespace) (container_memory_working_set_bytes{${CONTAINERS}})`,
  "node:cpu_usage_cores:sum_rate5m": `sum by (node) (rate(container_cpu_usage_seconds_total{${CONTAINERS}}[5m]))`,
  "node:memory_working_set_bytes:sum": `sum by (node) (container_memory_working_set_bytes{${CONTAINERS}})`,
  "namespace:cpu_requests_cores:sum": requestsOf(CPU, "namespace"),
  "namespace:memory_requests_bytes:sum": requestsOf(MEMORY, "namespace"),
  "node:cpu_requests_cores:sum": requestsOf(CPU, "node"),
  "node:memory_requests_bytes:sum": requestsOf(MEMORY, "node"),
  "node:cpu_capacity_cores:sum": `sum by (node) (kube_node_status_capacity{${CPU}})`,
  "node:cpu_allocatable_cores:sum": `sum by (node) (kube_node_status_allocatable{${CPU}})`,
  "node:memory_capacity_bytes:sum": `sum by (node) (kube_node_status_capacity{${MEMORY}})`,
  "node:memory_allocatable_bytes:sum": `sum by (node) (kube_node_status_allocatable{${MEMORY}})`,
  // Cluster totals add up the series above (evaluated just before, in the same group), so they agree with them.
  "cluster:cpu_capacity_cores:sum": "sum(node:cpu_capacity_cores:sum)",
  "cluster:cpu_allocatable_cores:sum": "sum(node:cpu_allocatable_cores:sum)",
  "cluster:memory_capacity_bytes:sum": "sum(node:memory_capacity_bytes:sum)",
  "cluster:memory_allocatable_bytes:sum": "sum(node:memory_allocatable_bytes:sum)",
  "cluster:cpu_requests_cores:sum": "sum(namespace:cpu_requests_cores:sum)",
  "cluster:memory_requests_bytes:sum": "sum(namespace:memory_requests_bytes:sum)",
  "cluster:cpu_usage_cores:sum_rate5m": "sum(namespace:cpu_usage_cores:sum_rate5m)",
  "cluster:memory_working_set_bytes:sum": "sum(namespace:memory_working_set_bytes:sum)",
};

interface AlertOptions {
  readonly severity: AlertSeverity;
  readonly expr: string;
  readonly for?: string;
  readonly summary: string;
  readonly description: string;
  readonly labels?: Readonly<Record<string, string>>;
}

function alert(name: string, options: AlertOptions): AlertingRule {
  return {
    alert: name,
    expr: options.expr,
    ...(options.for === undefined ? {} : { for: options.for }),
    labels: { severity: options.severity, ...options.labels },
    annotations: { summary: options.summary, description: options.description, runbook: `docs/alert-reference.md#${name.toLowerCase()}` },
  };
}

/** Filesystems that hold data: not memory-backed, not the container overlays. */
const FILESYSTEMS = `fstype!~"tmpfs|ramfs|squashfs|overlay|nsfs", mountpoint!=""`;

function filesystemAlert(name: string, severity: AlertSeverity, freeBelow: number, hours: number, forDuration: string): AlertingRule {
  return alert(name, {
    severity,
    for: forDuration,
    expr: [
      `node_filesystem_avail_bytes{${FILESYSTEMS}} / node_filesystem_size_bytes{${FILESYSTEMS}} < ${freeBelow}`,
      `and predict_linear(node_filesystem_avail_bytes{${FILESYSTEMS}}[6h], ${hours * 3600}) < 0`,
      `and node_filesystem_readonly{${FILESYSTEMS}} == 0`,
    ].join("\n"),
    summary: `Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} fills up within ${hours} hours`,
    description: `{{ $labels.device }} at {{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | humanizePercentage }} free and, at the rate of the last 6 hours, is full within ${hours} hours.`,
  });
}

function nodeAlerts(): AlertingRule[] {
  return [
    alert("KubeNodeNotReady", {
      severity: "warning",
      for: "15m",
      expr: `kube_node_status_condition{condition="Ready", status="true"} == 0`,
      summary: "Node {{ $labels.node }} is not ready",
      description: "Node {{ $labels.node }} has not been Ready for 15 minutes: its pods are evicted after the toleration for not-ready nodes (5 minutes by default).",
    }),
    alert("KubeNodeDiskPressure", {
      severity: "warning",
      for: "5m",
      expr: `kube_node_status_condition{condition="DiskPressure", status="true"} == 1`,
      summary: "Node {{ $labels.node }} has disk pressure",
      description: "The kubelet of {{ $labels.node }} reports DiskPressure: it is evicting pods and deleting unused images to free its disk.",
    }),
    filesystemAlert("NodeFilesystemPredictedFull", "warning", 0.4, 24, "1h"),
    filesystemAlert("NodeFilesystemPredictedFullSoon", "critical", 0.2, 4, "30m"),
  ];
}

function workloadAlerts(): AlertingRule[] {
  return [
    alert("KubeContainerOOMKilled", {
      severity: "warning",
      expr: [
        "(kube_pod_container_status_restarts_total - kube_pod_container_status_restarts_total offset 10m >= 1)",
        "and on (namespace, pod, container)",
        `(max_over_time(kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}[10m]) == 1)`,
      ].join("\n"),
      summary: "Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} was OOM-killed",
      description:
        "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} was killed for using more memory than its limit, and restarted ({{ $value }} restarts in 10 minutes).",
    }),
  ];
}

function etcdAlerts(etcdClusters: readonly EtcdClusterSpec[]): AlertingRule[] {
  const jobs = etcdClusters.map((etcd) => etcdScrapeJob(etcd.name)).join("|");
  const perCluster = etcdClusters.flatMap((etcd) => {
    const job = etcdScrapeJob(etcd.name);
    const quorum = Math.floor(etcd.members / 2) + 1;
    // sum(up) counts members that answer; vector(0) stands for a job without a single target.
    const membersUp = `(sum(up{job="${job}"}) or vector(0))`;
    const labels = { etcd_cluster: etcd.name, job };
    const rules = [
      alert("EtcdInsufficientMembers", {
        severity: "critical",
        for: "3m",
        labels,
        expr: `${membersUp} < ${quorum}`,
        summary: `etcd cluster ${etcd.name} has lost quorum`,
        description: `Only {{ $value }} of the ${etcd.members} members of etcd cluster ${etcd.name} answer Prometheus; it needs ${quorum} to have a quorum and accept writes.`,
      }),
    ];
    if (etcd.members > 1) {
      rules.push(
        alert("EtcdMembersDown", {
          severity: "warning",
          for: "10m",
          labels,
          expr: `${membersUp} < ${etcd.members}`,
          summary: `etcd cluster ${etcd.name} has members down`,
          description: `{{ $value }} of the ${etcd.members} members of etcd cluster ${etcd.name} answer Prometheus; it tolerates ${etcd.members - quorum} down.`,
        }),
      );
    }
    return rules;
  });
  return [
    alert("EtcdNoLeader", {
      severity: "critical",
      for: "1m",
      expr: `etcd_server_has_leader{job=~"${jobs}"} == 0`,
      summary: "etcd member {{ $labels.instance }} ({{ $labels.job }}) has no leader",
      description: "Member {{ $labels.instance }} of {{ $labels.job }} has had no leader for a minute: it serves no requests.",
    }),
    ...perCluster,
    alert("EtcdHighFsyncDurations", {
      severity: "warning",
      for: "10m",
      expr: `histogram_quantile(0.99, sum by (job, instance, le) (rate(etcd_disk_wal_fsync_duration_seconds_bucket{job=~"${jobs}"}[5m]))) > 0.5`,
      summary: "etcd member {{ $labels.instance }} ({{ $labels.job }}) syncs its log slowly",
      description: "99% of WAL fsyncs of {{ $labels.instance }} take up to {{ $value | humanizeDuration }} (more than 0.5 s): its disk is too slow, and leader elections follow.",
    }),
  ];
}

function controlPlaneAlerts(): AlertingRule[] {
  const days = CERTIFICATE_WARNING_SECONDS / 86400;
  return [
    alert("KubeAPIServerErrorsHigh", {
      severity: "warning",
      for: "10m",
      expr: `sum by (job) (rate(apiserver_request_total{code=~"5.."}[5m]))\n/ sum by (job) (rate(apiserver_request_total[5m])) > 0.05`,
      summary: "The API server answers {{ $value | humanizePercentage }} of requests with 5xx",
      description: "{{ $value | humanizePercentage }} of the API server's requests failed with a 5xx status over 5 minutes, for 10 minutes (threshold 5%).",
    }),
    alert("KubeClientCertificateExpiration", {
      severity: "warning",
      expr: `histogram_quantile(0.01, sum by (job, instance, le) (rate(apiserver_client_certificate_expiration_seconds_bucket[5m]))) < ${CERTIFICATE_WARNING_SECONDS}`,
      summary: `A client certificate presented to the API server ends within ${days} days`,
      description: `Client certificates presented to API server {{ $labels.instance }} end in {{ $value | humanizeDuration }} (1st percentile of the last 5 minutes).`,
    }),
    alert("KubeletClientCertificateExpiration", {
      severity: "warning",
      expr: `kubelet_certificate_manager_client_ttl_seconds < ${CERTIFICATE_WARNING_SECONDS}`,
      summary: `The kubelet client certificate of {{ $labels.node }} ends within ${days} days`,
      description: "The client certificate of the kubelet on {{ $labels.node }} ends in {{ $value | humanizeDuration }}, and the kubelet has not rotated it.",
    }),
    alert("KubeletServerCertificateExpiration", {
      severity: "warning",
      expr: `kubelet_certificate_manager_server_ttl_seconds < ${CERTIFICATE_WARNING_SECONDS}`,
      summary: `The kubelet serving certificate of {{ $labels.node }} ends within ${days} days`,
      description: "The serving certificate of the kubelet on {{ $labels.node }} ends in {{ $value | humanizeDuration }}, and the kubelet has not rotated it.",
    }),
  ];
}

function capacityAlerts(pools: readonly NodePoolSpec[]): AlertingRule[] {
  // A pool whose minSize is its maxSize is always at its maximum: nothing to say about it.
  const scaling = pools.filter((pool) => pool.maxSize > 0 && pool.maxSize > pool.minSize);
  return [
    ...scaling.map((pool) =>
      alert("KubeNodePoolAtMaxSize", {
        severity: "warning",
        for: "15m",
        labels: { pool: pool.name },
        expr: `count by (${POOL_LABEL}) (kube_node_labels{${POOL_LABEL}="${pool.name}"}) >= ${pool.maxSize}`,
        summary: `Node pool ${pool.name} is at its maximum size`,
        description: `Node pool ${pool.name} has {{ $value }} nodes, its maxSize is ${pool.maxSize}: it cannot grow, and pods that need more room stay Pending.`,
      }),
    ),
    ...[
      { resource: "cpu", name: "CPU", unit: "cores", shown: "{{ $value }} cores" },
      { resource: "memory", name: "Memory", unit: "bytes", shown: "{{ $value | humanize1024 }}B" },
    ].map(({ resource, name, unit, shown }) =>
      alert(`Cluster${name}RequestsOverAllocatable`, {
        severity: "warning",
        for: "15m",
        expr: `cluster:${resource}_requests_${unit}:sum > cluster:${resource}_allocatable_${unit}:sum`,
        summary: `Pods request more ${resource} than the nodes can allocate`,
        description: `Running and pending pods request ${shown} of ${resource}, more than the nodes' allocatable ${resource}: some pods cannot be scheduled.`,
      }),
    ),
  ];
}

/**
 * Event reasons worth an alert; the exporter keeps only Warning events. The scheduler records
 * FailedScheduling through the events.k8s.io recorder, which refreshes a repeating event only
 * every 30 minutes, so that alert cannot wait with `for`; the kubelet's BackOff repeats while a
 * container keeps failing, so one back-off during a rollout does not page.
 */
const EVENT_ALERTS: readonly { alert: string; reasons: readonly string[]; severity: AlertSeverity; for?: string; what: string }[] = [
  // OOMKilling comes from node-problem-detector, SystemOOM from the kubelet's own OOM watcher.
  { alert: "KubeEventOOMKilling", reasons: ["OOMKilling", "OOMKilled", "SystemOOM"], severity: "warning", what: "the kernel killed a process for lack of memory" },
  { alert: "KubeEventFailedScheduling", reasons: ["FailedScheduling"], severity: "info", what: "the scheduler found no node for a pod" },
  { alert: "KubeEventEvicted", reasons: ["Evicted"], severity: "warning", what: "the kubelet evicted a pod to reclaim a node's resources" },
  { alert: "KubeEventBackOff", reasons: ["BackOff"], severity: "warning", for: "10m", what: "a container keeps failing to start, or its image to pull" },
];

/** namespace/name of a namespaced object, name alone of a cluster-scoped one (a Node). */
const INVOLVED_OBJECT = "{{ with $labels.involved_object_namespace }}{{ . }}/{{ end }}{{ $labels.involved_object_name }}";

/** Seconds after an exporter (re)start during which event alerts stay quiet: it relists an hour of events as new. */
const EVENT_EXPORTER_WARMUP_SECONDS = 900;

function eventAlerts(): AlertingRule[] {
  return [
    ...EVENT_ALERTS.map((event) => {
      const series = `${EVENT_METRIC}{type="Warning", reason=~"${event.reasons.join("|")}"}`;
      // An Event object happened in the last 10 minutes when its counter rose, or when it appeared.
      return alert(event.alert, {
        severity: event.severity,
        ...(event.for === undefined ? {} : { for: event.for }),
        expr: [
          "label_replace(",
          "  count by (involved_object_namespace, involved_object_kind, involved_object_name, reason) (",
          `    (${series} > ${series} offset 10m)`,
          `    or (${series} unless ${series} offset 10m)`,
          "  ),",
          `  "namespace", "$1", "involved_object_namespace", "(.*)"`,
          ")",
          `unless on () (time() - process_start_time_seconds{job="${EVENT_EXPORTER_JOB}"} < ${EVENT_EXPORTER_WARMUP_SECONDS})`,
        ].join("\n"),
        summary: `{{ $labels.reason }}: {{ $labels.involved_object_kind }} ${INVOLVED_OBJECT}`,
        description: `A Warning event ${event.reasons.join(", ").replace(/, ([^,]+)$/, " or $1")} about {{ $labels.involved_object_kind }} ${INVOLVED_OBJECT} in the last 10 minutes: ${event.what}. kubectl get events shows the message.`,
      });
    }),
    alert("KubeEventExporterDown", {
      severity: "warning",
      // absent() of a comparison has no labels of its own.
      labels: { job: EVENT_EXPORTER_JOB },
      for: "15m",
      expr: `absent(up{job="${EVENT_EXPORTER_JOB}"} == 1)`,
      summary: "The events exporter is down: event alerts are blind",
      description: `Prometheus has not scraped job ${EVENT_EXPORTER_JOB} for 15 minutes: no alert on OOM kills, failed scheduling, evictions or back-offs can fire.`,
    }),
  ];
}

/** The rule files of a cluster; none when monitoring is off. */
export function prometheusRuleFiles(cluster: Cluster): RuleFile[] {
  if (!cluster.spec.addons.monitoring.enabled) return [];
  const recording = RECORDING_RULES.map((record): RecordingRule => ({ record, expr: RECORDING_EXPRESSIONS[record] }));
  return [
    { name: "kraken-usage.yaml", groups: [{ name: "kraken-usage", rules: recording }] },
    {
      name: "kraken-alerts.yaml",
      groups: [
        { name: "kraken-nodes", rules: nodeAlerts() },
        { name: "kraken-workloads", rules: workloadAlerts() },
        { name: "kraken-etcd", rules: etcdAlerts(cluster.spec.etcd) },
        { name: "kraken-control-plane", rules: controlPlaneAlerts() },
        { name: "kraken-capacity", rules: capacityAlerts(cluster.spec.nodePools) },
      ],
    },
    { name: "kraken-events.yaml", groups: [{ name: "kraken-events", rules: eventAlerts() }] },
  ];
}

function ruleDocument(rule: RecordingRule | AlertingRule): Record<string, unknown> {
  if ("record" in rule) return { record: rule.record, expr: rule.expr, labels: rule.labels };
  return { alert: rule.alert, expr: rule.expr, for: rule.for, labels: rule.labels, annotations: rule.annotations };
}

/** A rule file as `promtool check rules` and Prometheus read it (the `groups:` of a PrometheusRule's spec, too). */
export function renderRuleFile(file: RuleFile): string {
  const groups = file.groups.map((group) => ({ name: group.name, interval: group.interval, rules: group.rules.map(ruleDocument) }));
  return `# ${file.name}: generated by kraken-lib (lib/addons/monitoring/rules.ts) from the cluster spec; do not edit.\n${stringify({ groups }, { lineWidth: 0 })}`;
}
