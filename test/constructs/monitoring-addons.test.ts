/**
 * MonitoringAddons in the addons stack: the pinned Helm releases with values from the spec and
 * kraken-lib's rules in them, the objects kraken-lib renders, and the receivers' credentials
 * from sensitive variables. The helm and kubernetes providers cannot be installed offline, so
 * this checks the synthesized JSON; what the objects are made of is validated in test/addons.
 */
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { AddonsStack } from "../../constructs/addons/addons-stack";
import { defineCluster, loadClusterFiles, type ClusterDocumentInput } from "../../lib/spec";
import { EXAMPLES, setPath } from "../util";
import { decodeTerraformText } from "./fixtures";

interface Release {
  readonly name: string;
  readonly chart: string;
  readonly repository: string;
  readonly version: string;
  readonly namespace: string;
  readonly values: string[];
  readonly depends_on?: string[];
}
interface AddonsJson {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly variable?: Record<string, { sensitive: boolean; description: string }>;
  readonly provider: Record<string, Record<string, unknown>[]>;
}

const awsHa = loadClusterFiles([EXAMPLES.awsHa])[0]!;

function synth(edit?: (document: ClusterDocumentInput) => void): { json: AddonsJson; text: string } {
  const document = JSON.parse(JSON.stringify(awsHa)) as ClusterDocumentInput;
  edit?.(document);
  const stack = new AddonsStack(Testing.app(), defineCluster(document), { baseDir: "/srv/infra", kubeconfigPath: "/etc/kraken/prod.yaml" });
  const text = Testing.synth(stack);
  return { json: JSON.parse(text) as AddonsJson, text };
}

const releases = (json: AddonsJson) => (Object.values(json.resource.helm_release ?? {}) as unknown as Release[]).filter((release) => release.chart !== "fluent-bit");

/** A release's values as the chart gets them: Terraform decodes the base64decode literals terraformText makes. */
function valuesOf(release: Release): unknown {
  return parse(decodeTerraformText(release.values[0]!));
}

describe("MonitoringAddons", () => {
  const { json, text } = synth();

  it("installs the pinned kube-prometheus-stack and metrics-server through Helm, with the stack's kubeconfig", () => {
    expect(releases(json).map((release) => [release.chart, release.version, release.namespace])).toEqual([
      ["kube-prometheus-stack", "88.1.3", "monitoring"],
      ["metrics-server", "3.14.0", "kube-system"],
    ]);
    expect(releases(json)[0]!.repository).toBe("https://prometheus-community.github.io/helm-charts");
    expect(json.provider.helm![0]).toMatchObject({ kubernetes: { config_path: "/etc/kraken/prod.yaml" } });
  });

  it("gives Prometheus the spec's retention and storage, the cluster label, kraken-lib's rules and the etcd and events jobs", () => {
    const values = valuesOf(releases(json)[0]!) as {
      prometheus: { prometheusSpec: { retention: string; externalLabels: Record<string, string>; storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: string } } } } }; additionalScrapeConfigs: { job_name: string }[] }; additionalServiceMonitors: { name: string }[] };
      additionalPrometheusRulesMap: Record<string, { groups: { name: string; rules: { record?: string; alert?: string }[] }[] }>;
    };
    expect(values.prometheus.prometheusSpec).toMatchObject({ retention: "15d", externalLabels: { cluster: "prod-usw2" } });
    expect(values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage).toBe("50Gi");
    expect(values.prometheus.prometheusSpec.additionalScrapeConfigs.map((job) => job.job_name)).toEqual(["etcd-main", "etcd-events"]);
    expect(values.prometheus.additionalServiceMonitors.map((monitor) => monitor.name)).toEqual(["event-exporter"]);
    const recorded = Object.values(values.additionalPrometheusRulesMap).flatMap((file) => file.groups.flatMap((group) => group.rules.map((rule) => rule.record ?? rule.alert)));
    expect(recorded).toContain("namespace:cpu_usage_cores:sum_rate5m");
    expect(recorded).toContain("cluster:memory_allocatable_bytes:sum");
  });

  it("applies the dashboards, Alertmanager's configuration and the events exporter before the release", () => {
    const manifests = Object.keys(json.resource.kubernetes_manifest ?? {});
    expect(manifests.some((id) => id.includes("configmap-kraken-dashboard-kraken-usage"))).toBe(true);
    expect(manifests.some((id) => id.includes("deployment-event-exporter"))).toBe(true);
    const secrets = Object.values(json.resource.kubernetes_secret_v1 ?? {}) as { metadata: { name: string } }[];
    expect(secrets.map((secret) => secret.metadata.name).sort()).toEqual(["alertmanager-kraken-config", "alertmanager-kraken-receivers", "fluent-bit-sinks"]);
    expect(releases(json)[0]!.depends_on!.length).toBeGreaterThanOrEqual(5);
  });

  it("hands Terraform only its own references: no literal ${ or %{ that it would evaluate", () => {
    const expressions = [...text.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1]!);
    for (const expression of expressions) expect(expression).toMatch(/^(var\.[a-z0-9_]+|[a-z_0-9]+\.[A-Za-z0-9_-]+(\.[a-z_0-9[\]]+)*|base64decode\(\\?"[A-Za-z0-9+/=]+\\?"\))$/);
    expect(text).not.toContain("%{");
  });

  it("takes receivers' credentials from sensitive variables, never from the spec", () => {
    const { json: alerting, text: alertingText } = synth((document) => {
      setPath(document, "spec.addons.alerting", { receivers: [{ name: "ops", pagerduty: { routingKeyEnv: "OPS_PD_KEY" } }], routes: [{ receiver: "ops", severity: "critical" }] });
    });
    const variable = alerting.variable!.alerting_ops_pagerduty_routing_key!;
    expect(variable.sensitive).toBe(true);
    expect(variable.description).toContain('export TF_VAR_alerting_ops_pagerduty_routing_key="$OPS_PD_KEY"');
    const receivers = Object.values(alerting.resource.kubernetes_secret_v1!).find((secret) => (secret as { metadata: { name: string } }).metadata.name === "alertmanager-kraken-receivers") as { data: Record<string, string> };
    expect(receivers.data).toEqual({ "ops-pagerduty-routing-key": "${var.alerting_ops_pagerduty_routing_key}" });
    expect(alertingText).not.toMatch(/routing_key:/);
  });

  it("deploys no monitoring when the spec turns it off", () => {
    const { json: off } = synth((document) => setPath(document, "spec.addons.monitoring.enabled", false));
    expect(releases(off)).toEqual([]);
    const { json: none } = synth((document) => {
      setPath(document, "spec.addons.monitoring.enabled", false);
      setPath(document, "spec.addons.logging.enabled", false);
    });
    expect(none.resource.helm_release).toBeUndefined();
    expect(none.provider.helm).toBeUndefined();
  });
});
