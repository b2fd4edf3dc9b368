/**
 * What the addons stack installs for monitoring, as Helm values derived from the spec: the
 * pinned kube-prometheus-stack (Prometheus Operator, Prometheus, Alertmanager, node-exporter,
 * kube-state-metrics, Grafana) and metrics-server. Pure: `k2 addons render` writes the same
 * values the stack deploys.
 */
import { ETCD_METRICS_PORT } from "../../bootstrap/etcd-member";
import type { EtcdClusterTopology } from "../../bootstrap/topology";
import type { Cluster } from "../../spec";
import { ALERTMANAGER_SECRET } from "../alerting/alertmanager";
import { MONITORING_NAMESPACE } from "./event-exporter";
import { etcdScrapeJob, KUBE_STATE_METRICS_LABELS_ALLOWLIST, prometheusRuleFiles } from "./rules";

/** Names of kraken-lib's alerts. */
function krakenAlertNames(cluster: Cluster): string[] {
  const names = prometheusRuleFiles(cluster).flatMap((file) => file.groups.flatMap((group) => group.rules.flatMap((rule) => ("alert" in rule ? [rule.alert] : []))));
  return [...new Set(names)].sort();
}

export { MONITORING_NAMESPACE };

/** Charts, pinned: versions checked 2026-11 (kube-prometheus-stack 88.1.3 ships Prometheus Operator 0.93). */
export const MONITORING_CHARTS = {
  kubePrometheusStack: { name: "kube-prometheus-stack", repository: "https://prometheus-community.github.io/helm-charts", version: "88.1.3" },
  metricsServer: { name: "metrics-server", repository: "https://kubernetes-sigs.github.io/metrics-server", version: "3.14.0" },
} as const;

/** Helm release names (the Prometheus Operator's objects are named after them). */
export const MONITORING_RELEASES = { kubePrometheusStack: "kraken-monitoring", metricsServer: "metrics-server" } as const;
/** The Secret holding Alertmanager's configuration (rendered from spec.addons.alerting; credentials are files of ALERTMANAGER_SECRET). */
export const ALERTMANAGER_CONFIG_SECRET = "alertmanager-kraken-config";
/** ConfigMaps with this label are loaded by Grafana's dashboard sidecar. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** Prometheus scrape jobs for the etcd members (outside Kubernetes): job etcd-<name>, metrics port, plain HTTP. */
export function etcdScrapeConfigs(topology: readonly EtcdClusterTopology[]): Record<string, unknown>[] {
  return topology.map((etcd) => ({
    job_name: etcdScrapeJob(etcd.name),
    scheme: "http",
    metrics_path: "/metrics",
    static_configs: [{ targets: etcd.members.map((member) => `${member.host}:${ETCD_METRICS_PORT}`), labels: { etcd_cluster: etcd.name } }],
    relabel_configs: [{ source_labels: ["__address__"], regex: "([^:]+):.*", target_label: "instance", replacement: "$1" }],
  }));
}

/** Tolerations that let a DaemonSet run on every node: control plane and every tainted pool. */
export function everyNodeTolerations(cluster: Cluster): Record<string, unknown>[] {
  const tolerations: Record<string, unknown>[] = [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }];
  for (const pool of cluster.spec.nodePools) {
    for (const taint of pool.taints) {
      const toleration = { key: taint.key, operator: "Exists", effect: taint.effect };
      if (!tolerations.some((existing) => JSON.stringify(existing) === JSON.stringify(toleration))) tolerations.push(toleration);
    }
  }
  return tolerations;
}

/** Helm values of kube-prometheus-stack for the cluster. Rules and dashboards come as their own objects. */
export function kubePrometheusStackValues(cluster: Cluster, topology: readonly EtcdClusterTopology[]): Record<string, unknown> {
  const monitoring = cluster.spec.addons.monitoring;
  const name = cluster.metadata.name;
  return {
    fullnameOverride: MONITORING_RELEASES.kubePrometheusStack,
    // The chart's default rules stay (the kubernetes-mixin dashboards use them), but not the alerts kraken-lib
    // defines under the same name with its own thresholds and runbooks, nor its etcd rules (etcd is outside).
    defaultRules: { create: true, rules: { etcd: false }, disabled: Object.fromEntries(krakenAlertNames(cluster).map((name) => [name, true])) },
    // etcd runs outside Kubernetes; scraped by the jobs below. kubeadm's control-plane components listen on loopback.
    kubeEtcd: { enabled: false },
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeProxy: { enabled: cluster.spec.kubernetes.cni === "calico" },
    prometheusOperator: { admissionWebhooks: { certManager: { enabled: false } } },
    prometheus: {
      prometheusSpec: {
        retention: monitoring.retention,
        ...(monitoring.retentionSize === undefined ? {} : { retentionSize: monitoring.retentionSize }),
        scrapeInterval: monitoring.scrapeInterval,
        evaluationInterval: monitoring.scrapeInterval,
        externalLabels: { cluster: name },
        // Every PrometheusRule, ServiceMonitor and PodMonitor in the cluster, not only the chart's.
        ruleSelectorNilUsesHelmValues: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        additionalScrapeConfigs: etcdScrapeConfigs(topology),
        storageSpec: {
          volumeClaimTemplate: {
            spec: {
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: `${monitoring.storage.sizeGib}Gi` } },
              ...(monitoring.storage.storageClass === undefined ? {} : { storageClassName: monitoring.storage.storageClass }),
            },
          },
        },
        securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000 },
      },
    },
    alertmanager: {
      // kraken-lib renders the whole configuration (receivers, routes, inhibition) from spec.addons.alerting.
      config: null,
      alertmanagerSpec: {
        configSecret: ALERTMANAGER_CONFIG_SECRET,
        secrets: [ALERTMANAGER_SECRET.name],
        externalUrl: "",
      },
    },
    grafana: {
      enabled: monitoring.grafana.enabled,
      defaultDashboardsEnabled: true,
      sidecar: { dashboards: { enabled: true, label: Object.keys(GRAFANA_DASHBOARD_LABEL)[0], labelValue: Object.values(GRAFANA_DASHBOARD_LABEL)[0], searchNamespace: "ALL" } },
      // The admin password is generated by the chart into a Secret; never in the spec or the values.
      adminPassword: null,
    },
    "prometheus-node-exporter": { tolerations: everyNodeTolerations(cluster) },
    kubeStateMetrics: { enabled: true },
    "kube-state-metrics": {
      // The pool-at-maximum alert reads the kraken.dev/pool label of nodes.
      metricLabelsAllowlist: [KUBE_STATE_METRICS_LABELS_ALLOWLIST],
    },
  };
}

/** Kinds the chart's CRDs define: they reach the cluster through the chart's values, since Terraform cannot plan objects of a CRD it installs in the same apply. */
export const CHART_CRD_KINDS = ["PrometheusRule", "ServiceMonitor"] as const;

/**
 * The release's whole values: the cluster's settings plus kraken-lib's rule groups
 * (additionalPrometheusRulesMap) and the events exporter's ServiceMonitor (additionalServiceMonitors),
 * which the chart creates as PrometheusRule and ServiceMonitor objects.
 */
export function kubePrometheusStackReleaseValues(
  cluster: Cluster,
  topology: readonly EtcdClusterTopology[],
  crdObjects: readonly Record<string, unknown>[],
): Record<string, unknown> {
  const values = kubePrometheusStackValues(cluster, topology);
  const named = (object: Record<string, unknown>) => (object.metadata as { name: string }).name;
  const rules = crdObjects.filter((object) => object.kind === "PrometheusRule");
  const monitors = crdObjects.filter((object) => object.kind === "ServiceMonitor");
  const prometheus = values.prometheus as Record<string, unknown>;
  return {
    ...values,
    additionalPrometheusRulesMap: Object.fromEntries(rules.map((rule) => [named(rule), rule.spec])),
    prometheus: {
      ...prometheus,
      additionalServiceMonitors: monitors.map((monitor) => ({
        name: named(monitor),
        ...(monitor.metadata as { labels?: Record<string, string> }).labels ? { additionalLabels: (monitor.metadata as { labels: Record<string, string> }).labels } : {},
        ...(monitor.spec as Record<string, unknown>),
      })),
    },
  };
}

/** Helm values of metrics-server (kubectl top, the Horizontal Pod Autoscaler). */
export function metricsServerValues(): Record<string, unknown> {
  return {
    // kubeadm's kubelets serve self-signed certificates (no serving-certificate approver runs):
    // metrics-server cannot verify them. It reads only resource metrics, inside the cluster network.
    args: ["--kubelet-preferred-address-types=InternalIP", "--kubelet-insecure-tls"],
    tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
  };
}
