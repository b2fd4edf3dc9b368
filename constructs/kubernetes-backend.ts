import { TerraformBackend, TerraformRemoteState, type DataTerraformRemoteStateConfig } from "cdktf";
import type { Construct } from "constructs";

/**
 * Terraform's kubernetes backend (state in a Secret, locked by a Lease), which cdktf 0.21 has no
 * class for.
 * @see https://developer.hashicorp.com/terraform/language/backend/kubernetes
 */
export interface KubernetesBackendConfig {
  /** The Secret is named tfstate-<workspace>-<secretSuffix>; it must not end in -<number>. */
  readonly secretSuffix: string;
  /** @default "default" (Terraform's) */
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** @default - KUBE_CONFIG_PATH, or the kubeconfig's usual places */
  readonly configPath?: string;
  /** @default - the kubeconfig's current context */
  readonly configContext?: string;
  /** Running inside a pod of the management cluster. */
  readonly inClusterConfig?: boolean;
}

function attributes(config: KubernetesBackendConfig): Record<string, unknown> {
  return {
    secret_suffix: config.secretSuffix,
    ...(config.namespace === undefined ? {} : { namespace: config.namespace }),
    ...(config.labels === undefined ? {} : { labels: { ...config.labels } }),
    ...(config.configPath === undefined ? {} : { config_path: config.configPath }),
    ...(config.configContext === undefined ? {} : { config_context: config.configContext }),
    ...(config.inClusterConfig === undefined ? {} : { in_cluster_config: config.inClusterConfig }),
  };
}

export class KubernetesBackend extends TerraformBackend {
  constructor(
    scope: Construct,
    private readonly config: KubernetesBackendConfig,
  ) {
    super(scope, "backend", "kubernetes");
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return attributes(this.config);
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return attributes(this.config);
  }

  getRemoteStateDataSource(scope: Construct, name: string): TerraformRemoteState {
    return new DataTerraformRemoteStateKubernetes(scope, name, { ...attributes(this.config), workspace: "${terraform.workspace}" });
  }
}

/** terraform_remote_state of a kubernetes backend. */
export class DataTerraformRemoteStateKubernetes extends TerraformRemoteState {
  constructor(scope: Construct, id: string, config: DataTerraformRemoteStateConfig & Record<string, unknown>) {
    super(scope, id, "kubernetes", config);
  }
}
