import type { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { Release } from "@cdktf/provider-helm/lib/release";
import type { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import type { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { Construct } from "constructs";
import { addonNamespace, applyObjects, credentialsSecret } from "./addon-objects";
import { stringify } from "yaml";
import { eventsExporterManifests } from "../../lib/addons/logging/events-exporter";
import { FLUENT_BIT_CHART, fluentBitValues, LOGGING_NAMESPACE, LOGGING_SECRET, loggingSecretKeys, loggingSecretVariable } from "../../lib/addons/logging/fluent-bit";
import type { Cluster } from "../../lib/spec";
import { terraformText } from "../terraform-text";

export interface LoggingAddonsProps {
  readonly cluster: Cluster;
  /** The addons stack's Helm provider. */
  readonly helm: HelmProvider;
}

/**
 * Logs in the cluster, from spec.addons.logging: the namespace, the sinks' credentials (a Secret
 * filled from sensitive Terraform variables, never from the spec), the events logger that writes
 * Kubernetes events as log records, and the pinned Fluent Bit chart on every node. etcd hosts run
 * their own agent from their user data (lib/addons/logging/etcd-agent.ts).
 */
export class LoggingAddons extends Construct {
  readonly namespace: NamespaceV1;
  readonly sinksSecret: SecretV1;
  readonly agentRelease: Release;

  constructor(scope: Construct, id: string, props: LoggingAddonsProps) {
    super(scope, id);
    const { cluster } = props;
    this.namespace = addonNamespace(this, LOGGING_NAMESPACE);
    this.sinksSecret = credentialsSecret(this, "sinks", {
      name: LOGGING_SECRET,
      namespace: this.namespace,
      credentials: loggingSecretKeys(cluster).map((key) => {
        const variable = loggingSecretVariable(key);
        return { variable, key: key.key, description: `${key.what} of the log sinks: export TF_VAR_${variable}="$${key.env}" (docs/logging.md)` };
      }),
    });
    const logger = applyObjects(this, eventsExporterManifests(cluster), this.namespace);
    this.agentRelease = new Release(this, "fluent-bit", {
      name: "fluent-bit",
      chart: FLUENT_BIT_CHART.name,
      repository: FLUENT_BIT_CHART.repository,
      version: FLUENT_BIT_CHART.version,
      namespace: LOGGING_NAMESPACE,
      // Fluent Bit's own ${VAR} references must reach the chart as they are, not as Terraform's.
      values: [terraformText(stringify(fluentBitValues(cluster), { lineWidth: 0 }))],
      wait: true,
      timeout: 600,
      provider: props.helm,
      dependsOn: [this.namespace, this.sinksSecret, ...logger],
    });
  }
}
