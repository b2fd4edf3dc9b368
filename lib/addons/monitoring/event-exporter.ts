/**
 * The events exporter: Kubernetes Warning events (OOMKilling, FailedScheduling, Evicted, BackOff)
 * become Prometheus series, so that rules can alert on them. Events live an hour in the API
 * (the API server's --event-ttl) and nothing else keeps them as metrics; kube-state-metrics has none.
 *
 * caicloud/event_exporter watches core/v1 Events and exposes, per Event object (labels name,
 * namespace, involved_object_namespace, involved_object_name, involved_object_kind, reason, type,
 * source): `kube_event_unique_events_total`, a counter incremented each time the Event is created
 * or updated (a repeat bumps the Event's count), and `kube_event_count`, a gauge with the Event's
 * count. Both series are deleted when the Event is.
 * @see https://github.com/caicloud/event_exporter/blob/master/pkg/collector/metrics.go
 */
import type { Cluster } from "../../spec";
import { eventWatcherObjects } from "../event-watcher";

/** Namespace of the monitoring stack. */
export const MONITORING_NAMESPACE = "monitoring";

/** Name of every object of the exporter; the Service's name is the scrape job's name. */
export const EVENT_EXPORTER_NAME = "event-exporter";

/** `job` label of the exporter's series: the ServiceMonitor names the job after the Service. */
export const EVENT_EXPORTER_JOB = EVENT_EXPORTER_NAME;

export const EVENT_EXPORTER_VERSION = "v1.0.0";

/**
 * caicloud/event_exporter's last release (v1.0.0, November 2020); the image runs as nobody (65534).
 * Pinned by tag: mirror it, or pin its digest, where tags must not move.
 * @see https://hub.docker.com/r/caicloud/event-exporter
 */
export const EVENT_EXPORTER_IMAGE = `docker.io/caicloud/event-exporter:${EVENT_EXPORTER_VERSION}`;

/** Port of the exporter's /metrics (its `--port` flag, 9102 by default). */
export const EVENT_EXPORTER_PORT = 9102;

/** Counter per Event object, +1 on each create or update: what the event alerts read. */
export const EVENT_METRIC = "kube_event_unique_events_total";

/** Gauge per Event object: the Event's own count. */
export const EVENT_COUNT_METRIC = "kube_event_count";

/** Only Warning events are exported: Normal ones are many and say nothing to alert on. */
export const EXPORTED_EVENT_TYPES = ["Warning"] as const;

const labels = {
  "app.kubernetes.io/name": EVENT_EXPORTER_NAME,
  "app.kubernetes.io/version": EVENT_EXPORTER_VERSION,
  "app.kubernetes.io/component": "metrics",
  "app.kubernetes.io/part-of": "kraken-lib",
};
const selector = { "app.kubernetes.io/name": EVENT_EXPORTER_NAME };

/**
 * The exporter's objects in namespace `monitoring`: ServiceAccount, ClusterRole (read events),
 * ClusterRoleBinding, Deployment, Service and a ServiceMonitor that Prometheus Operator turns
 * into the `event-exporter` scrape job, every `spec.addons.monitoring.scrapeInterval`.
 * Empty when monitoring is off.
 */
export function eventExporterManifests(cluster: Cluster): Record<string, unknown>[] {
  const monitoring = cluster.spec.addons.monitoring;
  if (!monitoring.enabled) return [];
  const metadata = { name: EVENT_EXPORTER_NAME, namespace: MONITORING_NAMESPACE, labels };
  return [
    ...eventWatcherObjects({
      name: EVENT_EXPORTER_NAME,
      namespace: MONITORING_NAMESPACE,
      labels,
      eventApiGroups: [""],
      container: {
        name: EVENT_EXPORTER_NAME,
        image: EVENT_EXPORTER_IMAGE,
        args: [...EXPORTED_EVENT_TYPES.map((type) => `--eventType=${type}`), `--port=${EVENT_EXPORTER_PORT}`],
        port: { name: "http", number: EVENT_EXPORTER_PORT },
        memoryRequest: "40Mi",
        // klog writes to stderr; /tmp is there for anything that still wants a file.
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
      },
      volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
    }),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata,
      spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: EVENT_EXPORTER_PORT, targetPort: "http", protocol: "TCP" }] },
    },
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata,
      spec: {
        selector: { matchLabels: selector },
        namespaceSelector: { matchNames: [MONITORING_NAMESPACE] },
        endpoints: [{ port: "http", path: "/metrics", interval: monitoring.scrapeInterval }],
      },
    },
  ];
}
