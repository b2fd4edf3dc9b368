import type { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import type { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import type { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { Release } from "@cdktf/provider-helm/lib/release";
import { Construct } from "constructs";
import { addonNamespace, applyObjects, credentialsSecret } from "./addon-objects";
import { stringify } from "yaml";
import { ALERTMANAGER_SECRET, alertmanagerTerraformVariables } from "../../lib/addons/alerting/alertmanager";
import { metricsServerValues, MONITORING_CHARTS, MONITORING_NAMESPACE, MONITORING_RELEASES } from "../../lib/addons/monitoring/values";
import { appliedAddonObjects, monitoringReleaseValues } from "../../lib/addons/render";
import type { Cluster } from "../../lib/spec";
import { terraformText } from "../terraform-text";

export interface MonitoringAddonsProps {
  readonly cluster: Cluster;
  /** The addons stack's Helm provider. */
  readonly helm: HelmProvider;
}

/**
 * Monitoring and alerting in the cluster, from spec.addons: the namespace, the receivers'
 * credentials (a Secret filled from sensitive Terraform variables, never from the spec), the
 * objects kraken-lib renders (dashboards, Alertmanager's configuration, the events exporter), and
 * the pinned kube-prometheus-stack and metrics-server releases, whose values carry kraken-lib's
 * rules. `k2 addons render` writes the same objects and values for review.
 */
export class MonitoringAddons extends Construct {
  readonly helm: HelmProvider;
  readonly namespace: NamespaceV1;
  readonly receiversSecret: SecretV1;
  readonly monitoringRelease: Release;
  readonly metricsServerRelease: Release;

  constructor(scope: Construct, id: string, props: MonitoringAddonsProps) {
    super(scope, id);
    const { cluster } = props;
    this.helm = props.helm;
    this.namespace = addonNamespace(this, MONITORING_NAMESPACE);
    // One sensitive variable per credential: export TF_VAR_alerting_<key> from the variable the spec names.
    this.receiversSecret = credentialsSecret(this, "receivers", {
      name: ALERTMANAGER_SECRET.name,
      namespace: this.namespace,
      credentials: alertmanagerTerraformVariables(cluster).map((variable) => ({
        variable: variable.variable,
        key: variable.key,
        description: `${variable.what} of alert receiver ${variable.receiver}: export ${variable.env}="$${variable.specEnv}" (docs/alerting.md)`,
      })),
    });
    const objects = applyObjects(this, appliedAddonObjects(cluster), this.namespace);
    this.monitoringRelease = new Release(this, "kube-prometheus-stack", {
      name: MONITORING_RELEASES.kubePrometheusStack,
      chart: MONITORING_CHARTS.kubePrometheusStack.name,
      repository: MONITORING_CHARTS.kubePrometheusStack.repository,
      version: MONITORING_CHARTS.kubePrometheusStack.version,
      namespace: MONITORING_NAMESPACE,
      // Literal text for Terraform: a ${ in rule annotations or dashboards must not be evaluated.
      values: [terraformText(stringify(monitoringReleaseValues(cluster), { lineWidth: 0 }))],
      wait: true,
      timeout: 900,
      provider: this.helm,
      dependsOn: [this.namespace, this.receiversSecret, ...objects],
    });
    this.metricsServerRelease = new Release(this, "metrics-server", {
      name: MONITORING_RELEASES.metricsServer,
      chart: MONITORING_CHARTS.metricsServer.name,
      repository: MONITORING_CHARTS.metricsServer.repository,
      version: MONITORING_CHARTS.metricsServer.version,
      namespace: "kube-system",
      values: [stringify(metricsServerValues(), { lineWidth: 0 })],
      wait: true,
      provider: this.helm,
    });
  }
}
