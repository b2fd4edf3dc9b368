/**
 * Everything the addons stack deploys, as reviewable files: what `k2 addons render` writes and
 * what the stack's resources are made of (one source for both). Pure.
 */
import { stringify } from "yaml";
import { clusterEtcdTopology } from "../etcd/cluster-topology";
import type { Cluster } from "../spec";
import { ALERTMANAGER_SECRET, alertmanagerTerraformVariables, renderAlertmanagerConfig } from "./alerting/alertmanager";
import { etcdHostAgent, FLUENT_BIT_CHART, fluentBitConfig, fluentBitValues, LOGGING_NAMESPACE, LOGGING_SECRET, loggingSecretKeys, loggingSecretVariable } from "./logging/fluent-bit";
import { eventsExporterManifests } from "./logging/events-exporter";
import { grafanaDashboards } from "./monitoring/dashboards";
import { eventExporterManifests } from "./monitoring/event-exporter";
import { prometheusRuleFiles, renderRuleFile, type RuleFile } from "./monitoring/rules";
import {
  ALERTMANAGER_CONFIG_SECRET,
  CHART_CRD_KINDS,
  GRAFANA_DASHBOARD_LABEL,
  kubePrometheusStackReleaseValues,
  metricsServerValues,
  MONITORING_CHARTS,
  MONITORING_NAMESPACE,
} from "./monitoring/values";

export interface RenderedFile {
  /** Relative to the output directory: rules/kraken-usage.yaml, manifests/namespace.yaml, ... */
  readonly path: string;
  readonly content: string;
}

const MANAGED = { "app.kubernetes.io/managed-by": "kraken-lib", "app.kubernetes.io/part-of": "kraken-lib" };

/** The PrometheusRule object of a rule file: Prometheus Operator loads it into Prometheus. */
export function prometheusRuleManifest(cluster: Cluster, file: RuleFile): Record<string, unknown> {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: `kraken-${file.name.replace(/\.ya?ml$/, "").replace(/^kraken-/, "")}`, namespace: MONITORING_NAMESPACE, labels: { ...MANAGED, "kraken.dev/cluster": cluster.metadata.name } },
    spec: { groups: file.groups },
  };
}

/** Every Kubernetes object of the addons besides the Helm charts' own, by file name: monitoring's and logging's. */
export function addonManifests(cluster: Cluster): { name: string; objects: Record<string, unknown>[] }[] {
  const logging = cluster.spec.addons.logging.enabled ? [{ name: "logging-events.yaml", objects: eventsExporterManifests(cluster) }] : [];
  return [...monitoringManifests(cluster), ...logging];
}

/** Monitoring's objects, by file name (the chart makes the PrometheusRules and ServiceMonitors from its values). */
export function monitoringManifests(cluster: Cluster): { name: string; objects: Record<string, unknown>[] }[] {
  if (!cluster.spec.addons.monitoring.enabled) return [];
  const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: MONITORING_NAMESPACE, labels: { ...MANAGED, "pod-security.kubernetes.io/enforce": "privileged" } } };
  const dashboards = grafanaDashboards(cluster).map((dashboard) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `kraken-dashboard-${dashboard.name.replace(/\.json$/, "")}`, namespace: MONITORING_NAMESPACE, labels: { ...MANAGED, ...GRAFANA_DASHBOARD_LABEL } },
    data: { [dashboard.name]: JSON.stringify(dashboard.json, null, 2) },
  }));
  const alertmanagerConfig = {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: { name: ALERTMANAGER_CONFIG_SECRET, namespace: MONITORING_NAMESPACE, labels: MANAGED },
    // Credentials are not in it: the configuration points at files of the receivers' Secret.
    stringData: { "alertmanager.yaml": renderAlertmanagerConfig(cluster) },
  };
  return [
    { name: "namespace.yaml", objects: [namespace] },
    { name: "prometheus-rules.yaml", objects: prometheusRuleFiles(cluster).map((file) => prometheusRuleManifest(cluster, file)) },
    { name: "dashboards.yaml", objects: dashboards },
    { name: "alertmanager-config.yaml", objects: [alertmanagerConfig] },
    { name: "event-exporter.yaml", objects: eventExporterManifests(cluster) },
  ].filter((file) => file.objects.length > 0);
}

/** A credentials Secret as a file to review: its keys and the variable each value comes from, never values. */
function secretTemplateFile(path: string, what: string, name: string, namespace: string, entries: readonly { key: string; variable: string; specEnv: string; what: string }[]): RenderedFile {
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: { name, namespace, labels: MANAGED },
    stringData: Object.fromEntries(entries.map((entry) => [entry.key, `<TF_VAR_${entry.variable}, from $${entry.specEnv}: ${entry.what}>`])),
  };
  return {
    path,
    content:
      `# ${what}: the addons stack fills this Secret from Terraform variables (TF_VAR_...), which you\n` +
      "# export from the environment variables the spec names. A template to review, not to apply.\n" +
      stringify(secret, { lineWidth: 0 }),
  };
}

const isChartObject = (object: Record<string, unknown>): boolean => (CHART_CRD_KINDS as readonly unknown[]).includes(object.kind);

/** Monitoring's objects the addons stack applies itself (the chart creates the PrometheusRules and ServiceMonitors). */
export function appliedAddonObjects(cluster: Cluster): Record<string, unknown>[] {
  return monitoringManifests(cluster)
    .flatMap((file) => file.objects)
    .filter((object) => !isChartObject(object));
}

/** The kube-prometheus-stack release's values, with kraken-lib's rules and ServiceMonitors in them. */
export function monitoringReleaseValues(cluster: Cluster): Record<string, unknown> {
  const chartObjects = monitoringManifests(cluster)
    .flatMap((file) => file.objects)
    .filter(isChartObject);
  return kubePrometheusStackReleaseValues(cluster, clusterEtcdTopology(cluster), chartObjects);
}

const yamlDocuments = (objects: readonly unknown[]): string => objects.map((object) => stringify(object, { lineWidth: 0 })).join("---\n");

/** The log agents' configuration: the nodes' (Fluent Bit chart values and config) and each etcd cluster's hosts'. */
function loggingFiles(cluster: Cluster): RenderedFile[] {
  const config = fluentBitConfig(cluster);
  return [
    { path: "values/fluent-bit.yaml", content: `# Chart: ${FLUENT_BIT_CHART.name} ${FLUENT_BIT_CHART.version} from ${FLUENT_BIT_CHART.repository}\n${stringify(fluentBitValues(cluster), { lineWidth: 0 })}` },
    { path: "logging/fluent-bit.conf", content: [config.service, config.inputs, config.filters, config.outputs].join("\n") },
    { path: "logging/parsers.conf", content: config.parsers },
    ...cluster.spec.etcd.map((etcd) => ({ path: `logging/etcd-${etcd.name}-hosts.conf`, content: etcdHostAgent(cluster, etcd.name).config })),
    secretTemplateFile(
      "secrets/logging-sinks.yaml",
      "The sinks' credentials",
      LOGGING_SECRET,
      LOGGING_NAMESPACE,
      loggingSecretKeys(cluster).map((key) => ({ key: key.key, variable: loggingSecretVariable(key), specEnv: key.env, what: key.what })),
    ),
  ];
}

/** Every file of `k2 addons render`. */
export function renderAddons(cluster: Cluster): RenderedFile[] {
  const files: RenderedFile[] = [];
  const monitoring = cluster.spec.addons.monitoring;
  if (monitoring.enabled) {
    for (const file of prometheusRuleFiles(cluster)) files.push({ path: `rules/${file.name}`, content: renderRuleFile(file) });
    files.push({ path: "alertmanager.yaml", content: renderAlertmanagerConfig(cluster) });
    for (const dashboard of grafanaDashboards(cluster)) files.push({ path: `dashboards/${dashboard.name}`, content: `${JSON.stringify(dashboard.json, null, 2)}\n` });
    const charts = `# Charts: ${Object.values(MONITORING_CHARTS)
      .map((chart) => `${chart.name} ${chart.version} from ${chart.repository}`)
      .join("; ")}\n`;
    files.push({ path: "values/kube-prometheus-stack.yaml", content: charts + stringify(monitoringReleaseValues(cluster), { lineWidth: 0 }) });
    files.push({ path: "values/metrics-server.yaml", content: charts + stringify(metricsServerValues(), { lineWidth: 0 }) });
    files.push(
      secretTemplateFile(
        "secrets/alertmanager-receivers.yaml",
        "The receivers' credentials",
        ALERTMANAGER_SECRET.name,
        ALERTMANAGER_SECRET.namespace,
        alertmanagerTerraformVariables(cluster).map((variable) => ({ key: variable.key, variable: variable.variable, specEnv: variable.specEnv, what: variable.what })),
      ),
    );
  }
  if (cluster.spec.addons.logging.enabled) files.push(...loggingFiles(cluster));
  for (const manifest of addonManifests(cluster)) files.push({ path: `manifests/${manifest.name}`, content: yamlDocuments(manifest.objects) });
  return files;
}
