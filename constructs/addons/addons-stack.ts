import { homedir } from "node:os";
import { join } from "node:path";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { stateBackendConfig } from "../../lib/state/backend";
import type { Cluster } from "../../lib/spec";
import { addStateBackend } from "../cluster-stack";
import { canonicalJson, specHash } from "../kraken-cluster";
import { LoggingAddons } from "./logging-addons";
import { MonitoringAddons } from "./monitoring-addons";

/** Name and namespace of the ConfigMap that holds a cluster's applied spec, in the cluster itself. */
export const APPLIED_SPEC_CONFIG_MAP = { name: "kraken-applied-spec", namespace: "kube-system" } as const;

export interface AddonsStackOptions {
  /**
   * Kubeconfig of the cluster the addons go into.
   * @default ~/.kube/<cluster>.yaml
   */
  readonly kubeconfigPath?: string;
  /** @default - the kubeconfig's current context */
  readonly kubeconfigContext?: string;
  /** Where relative local state paths start. @default - the directory the app runs in */
  readonly baseDir?: string;
}

/**
 * A cluster's in-cluster workloads, in a stack (and state) of their own, separate from the
 * infrastructure: they need the cluster running, and they change on another rhythm. It records
 * the applied spec in ConfigMap kube-system/kraken-applied-spec, so that whoever is on the cluster
 * can see what it was built from, and deploys monitoring and alerting (MonitoringAddons) and
 * logging (LoggingAddons).
 */
export class AddonsStack extends TerraformStack {
  readonly appliedSpec: ConfigMapV1;
  /** Monitoring and alerting; absent when spec.addons.monitoring.enabled is false. */
  readonly monitoring?: MonitoringAddons;
  /** Log agents and the events logger; absent when spec.addons.logging.enabled is false. */
  readonly logging?: LoggingAddons;

  constructor(scope: Construct, cluster: Cluster, options: AddonsStackOptions = {}) {
    const name = cluster.metadata.name;
    super(scope, `${name}-addons`);
    const backend = stateBackendConfig(cluster, options.baseDir);
    // Its own state next to the cluster's: another key, schema suffix or Secret.
    addStateBackend(this, addonsBackend(backend));
    const kubeconfigPath = options.kubeconfigPath ?? join(homedir(), ".kube", `${name}.yaml`);
    new KubernetesProvider(this, "kubernetes", {
      configPath: kubeconfigPath,
      ...(options.kubeconfigContext === undefined ? {} : { configContext: options.kubeconfigContext }),
    });
    this.appliedSpec = new ConfigMapV1(this, "applied-spec", {
      metadata: {
        name: APPLIED_SPEC_CONFIG_MAP.name,
        namespace: APPLIED_SPEC_CONFIG_MAP.namespace,
        labels: { "app.kubernetes.io/managed-by": "kraken-lib", "kraken.dev/cluster": name },
        annotations: { "kraken.dev/spec-sha256": specHash(cluster) },
      },
      data: { "spec.json": canonicalJson(cluster), "spec-sha256": specHash(cluster) },
    });
    const { monitoring, logging } = cluster.spec.addons;
    if (monitoring.enabled || logging.enabled) {
      // Helm reaches the cluster through the same kubeconfig.
      const helm = new HelmProvider(this, "helm", {
        kubernetes: { configPath: kubeconfigPath, ...(options.kubeconfigContext === undefined ? {} : { configContext: options.kubeconfigContext }) },
      });
      if (monitoring.enabled) this.monitoring = new MonitoringAddons(this, "monitoring", { cluster, helm });
      if (logging.enabled) this.logging = new LoggingAddons(this, "logging", { cluster, helm });
    }
  }
}

function addonsBackend(backend: ReturnType<typeof stateBackendConfig>): ReturnType<typeof stateBackendConfig> {
  switch (backend.type) {
    case "local":
      return { ...backend, path: backend.path.replace(/(\.tfstate)?$/, ".addons.tfstate") };
    case "s3":
      return { ...backend, key: backend.key.replace(/terraform\.tfstate$/, "addons.tfstate") };
    case "pg":
      return { ...backend, schemaName: `${backend.schemaName}_addons` };
    case "kubernetes":
      return { ...backend, secretSuffix: `${backend.secretSuffix}-addons` };
  }
}
