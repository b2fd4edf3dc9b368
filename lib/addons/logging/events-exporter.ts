/**
 * The events logger: every Kubernetes Event (Normal and Warning) becomes one JSON line on the
 * exporter's stdout, which the node log agent reads from the pod's container log, parses as JSON
 * and tags `kube.events`. Events live an hour in the API (the API server's --event-ttl); in the
 * logs they live as long as the sinks keep them.
 *
 * resmoio/kubernetes-event-exporter (the maintained fork of opsgenie's) watches core/v1 Events and
 * sends each new or changed Event to its receivers; its `stdout` receiver renders the `layout`
 * map with Go's text/template (plus sprig) against the Event and writes the map as one JSON line.
 * Every value of a layout is a string once rendered (`count` too: "3").
 * @see https://github.com/resmoio/kubernetes-event-exporter#stdout
 * @see https://github.com/resmoio/kubernetes-event-exporter/blob/master/pkg/sinks/tmpl.go
 */
import { stringify } from "yaml";
import { eventWatcherObjects } from "../event-watcher";
import type { Cluster } from "../../spec";

/** Namespace of the log agents and of the events logger. */
export const LOGGING_NAMESPACE = "logging";

/**
 * Name of every object of the events logger. Distinct from monitoring's `event-exporter` (events as
 * metrics, namespace `monitoring`), so that neither a log query nor an RBAC review mixes them up.
 */
export const EVENTS_EXPORTER_NAME = "kube-events-logger";

/** Name of the exporter's only container. */
export const EVENTS_EXPORTER_CONTAINER = "exporter";

/**
 * Start of the exporter pod's names: its container log file is
 * `/var/log/containers/<pod>_logging_exporter-<id>.log`, so the agent's tail tag is
 * `kube.var.log.containers.kube-events-logger-*_logging_exporter-*.log`; match
 * `kube.var.log.containers.${EVENTS_EXPORTER_POD_PREFIX}*_${LOGGING_NAMESPACE}_*` to find it.
 */
export const EVENTS_EXPORTER_POD_PREFIX = `${EVENTS_EXPORTER_NAME}-`;

/** Tag the node agent gives the exporter's records once parsed. */
export const EVENTS_TAG = "kube.events";

export const EVENTS_EXPORTER_VERSION = "v1.7";

/**
 * resmoio/kubernetes-event-exporter's latest release (v1.7; the Bitnami chart ships it as 1.7.0).
 * Pinned by tag: mirror it, or pin its digest, where tags must not move.
 * @see https://github.com/resmoio/kubernetes-event-exporter/releases
 */
export const EVENTS_EXPORTER_IMAGE = `ghcr.io/resmoio/kubernetes-event-exporter:${EVENTS_EXPORTER_VERSION}`;

/** The exporter's /metrics port (its `-metrics-address` flag, :2112 by default). */
export const EVENTS_EXPORTER_METRICS_PORT = 2112;

/**
 * Events older than this when the exporter sees them are not written: on a restart the exporter
 * lists every Event still in the API, and those written before would be written twice.
 */
export const EVENTS_MAX_AGE_SECONDS = 60;

/**
 * Fields of every event record, for alert rules and log queries. Every value is a string.
 * - `cluster`: `metadata.name` of the cluster spec.
 * - `reason`: the Event's reason (OOMKilling, BackOff, Killing, Evicted, NodeNotReady, ...).
 * - `type`: Normal or Warning.
 * - `object`: the involved object: `{ kind, namespace, name }` (namespace empty for Nodes).
 * - `namespace`: the involved object's namespace, empty for cluster-scoped objects.
 * - `node`: the involved Node's name for Node events, else the reporting host (kubelet events),
 *   else empty.
 * - `message`: the Event's message.
 * - `count`: how many times it happened (at least 1).
 * - `firstSeen`, `lastSeen`: UTC, `2006-01-02T15:04:05.000Z`; an Event written through
 *   events.k8s.io/v1 has no first/last timestamp and both are its eventTime.
 * - `component`: who reported it (kubelet, default-scheduler, node-controller, ...).
 */
export const EVENT_RECORD_FIELDS = [
  "cluster",
  "reason",
  "type",
  "object",
  "namespace",
  "node",
  "message",
  "count",
  "firstSeen",
  "lastSeen",
  "component",
] as const;

export type EventRecordField = (typeof EVENT_RECORD_FIELDS)[number];

/** Fields of a record's `object`. */
export const EVENT_OBJECT_FIELDS = ["kind", "namespace", "name"] as const;

// Go time layout: milliseconds, UTC (metav1.Time parses into local time, so .UTC first).
const TIME_LAYOUT = "2006-01-02T15:04:05.000Z";
const timestamp = (field: "FirstTimestamp" | "LastTimestamp") =>
  `{{ if .${field}.IsZero }}{{ .EventTime.UTC.Format "${TIME_LAYOUT}" }}{{ else }}{{ .${field}.UTC.Format "${TIME_LAYOUT}" }}{{ end }}`;

/**
 * The stdout receiver's layout: Go templates rendered against the exporter's EnhancedEvent
 * (a core/v1 Event). `cluster` is a plain string: a layout value without `{{` renders as itself.
 */
export function eventRecordLayout(cluster: Cluster): Record<EventRecordField, string | Record<string, string>> {
  return {
    cluster: cluster.metadata.name,
    reason: "{{ .Reason }}",
    type: "{{ .Type }}",
    object: { kind: "{{ .InvolvedObject.Kind }}", namespace: "{{ .InvolvedObject.Namespace }}", name: "{{ .InvolvedObject.Name }}" },
    namespace: "{{ .InvolvedObject.Namespace }}",
    node: '{{ if eq .InvolvedObject.Kind "Node" }}{{ .InvolvedObject.Name }}{{ else }}{{ .Source.Host }}{{ end }}',
    message: "{{ .Message }}",
    // events.k8s.io/v1 Events seen once carry count 0; sprig's max makes that 1.
    count: "{{ max .Count 1 }}",
    firstSeen: timestamp("FirstTimestamp"),
    lastSeen: timestamp("LastTimestamp"),
    component: "{{ or .Source.Component .ReportingController }}",
  };
}

/** The exporter's configuration (its config.yaml): every Event to one stdout receiver. */
export function eventsExporterConfig(cluster: Cluster): Record<string, unknown> {
  return {
    // The exporter's own logs go to stderr as JSON; records go to stdout.
    logLevel: "warn",
    logFormat: "json",
    maxEventAgeSeconds: EVENTS_MAX_AGE_SECONDS,
    clusterName: cluster.metadata.name,
    // No lookup of the involved object's labels: the ClusterRole reads events only.
    omitLookup: true,
    route: { routes: [{ match: [{ receiver: "stdout" }] }] },
    receivers: [{ name: "stdout", stdout: { layout: eventRecordLayout(cluster) } }],
  };
}

const labels = {
  "app.kubernetes.io/name": EVENTS_EXPORTER_NAME,
  "app.kubernetes.io/version": EVENTS_EXPORTER_VERSION,
  "app.kubernetes.io/component": "logging",
  "app.kubernetes.io/part-of": "kraken-lib",
  "app.kubernetes.io/managed-by": "kraken-lib",
};
const CONFIG_FILE = "config.yaml";
const CONFIG_DIR = "/etc/kube-events-logger";

/**
 * The events logger's objects in namespace `logging`: Namespace, ServiceAccount, ClusterRole
 * (get/list/watch events), ClusterRoleBinding, ConfigMap and a one-replica Deployment.
 * Empty when logging is off.
 */
export function eventsExporterManifests(cluster: Cluster): Record<string, unknown>[] {
  if (!cluster.spec.addons.logging.enabled) return [];
  const metadata = { name: EVENTS_EXPORTER_NAME, namespace: LOGGING_NAMESPACE, labels };
  const watcher = eventWatcherObjects({
    name: EVENTS_EXPORTER_NAME,
    namespace: LOGGING_NAMESPACE,
    labels,
    eventApiGroups: ["", "events.k8s.io"],
    serviceAccount: { automountServiceAccountToken: true },
    container: {
      name: EVENTS_EXPORTER_CONTAINER,
      image: EVENTS_EXPORTER_IMAGE,
      args: [`-conf=${CONFIG_DIR}/${CONFIG_FILE}`],
      port: { name: "metrics", number: EVENTS_EXPORTER_METRICS_PORT },
      memoryRequest: "32Mi",
      volumeMounts: [{ name: "config", mountPath: CONFIG_DIR, readOnly: true }],
    },
    volumes: [{ name: "config", configMap: { name: EVENTS_EXPORTER_NAME } }],
  });
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: LOGGING_NAMESPACE, labels: { "app.kubernetes.io/managed-by": "kraken-lib", "app.kubernetes.io/part-of": "kraken-lib" } },
    },
    ...watcher.slice(0, 3),
    { apiVersion: "v1", kind: "ConfigMap", metadata, data: { [CONFIG_FILE]: stringify(eventsExporterConfig(cluster)) } },
    watcher[3]!,
  ];
}
