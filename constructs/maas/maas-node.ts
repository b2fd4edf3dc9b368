import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { DataResource, Fn, type TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { VAULT_CA_FILE, VAULT_WRAPPED_SECRET_ID_FILE, vaultProviderShell, type CloudConfigFile } from "../../lib/bootstrap";
import { vaultBootstrapEnvironment, vaultRoleForSecret } from "../../lib/secrets/vault";
import type { Cluster } from "../../lib/spec";
import { triggerAddress } from "../replacement-trigger";
import { terraformText } from "../terraform-text";
import { VaultApproleAuthBackendRoleSecretId } from "../vault/approle-secret-id";
import { MaasInstance, type MaasInstanceAllocateParams } from "./provider/instance";

/** A role's machine selection on MAAS, as the spec has it (machine.maas). */
export interface MaasSelection {
  readonly pool?: string;
  readonly zone?: string;
  readonly tags: readonly string[];
  readonly minCpuCount?: number;
  readonly minMemoryMib?: number;
  readonly hostnames?: readonly string[];
  readonly systemIds?: readonly string[];
  readonly distroSeries?: string;
  readonly hweKernel?: string;
}

/** What a node's user data is made from: the bootstrap settings MaasNode adds (Vault, the wrapped secret ID). */
export interface MaasBootstrapSettings {
  readonly provider: ReturnType<typeof vaultProviderShell>;
  readonly providerEnvironment: Readonly<Record<string, string>>;
  readonly secretId: string;
  readonly extraFiles: readonly CloudConfigFile[];
}

export interface MaasNodeProps {
  readonly cluster: Cluster;
  /** The machine's name in messages and MAAS comments: "<cluster>-etcd-main-0". */
  readonly name: string;
  readonly selection: MaasSelection;
  /** Which of the selection's explicit machines this is (hostnames[index] / systemIds[index]). */
  readonly index: number;
  /** A static address on provider.maas.network.interface; absent: MAAS assigns one (AUTO). */
  readonly address?: string;
  /** The secret this machine reads at boot (its role's). */
  readonly secretName: string;
  /** Renders the machine's cloud-init from the bootstrap settings. */
  readonly userData: (bootstrap: MaasBootstrapSettings) => string;
  /**
   * pet (etcd members): never changed by Terraform; only `replaceTrigger` replaces it, and it is
   * never destroyed otherwise. cattle (control plane, pools): any change redeploys it, the new
   * machine before the old one is released when MAAS picks the machine (no explicit hostnames).
   */
  readonly lifecycle: { readonly kind: "pet"; readonly replaceTrigger: TerraformResource; readonly preventDestroy: boolean } | { readonly kind: "cattle" };
  /**
   * Control-plane nodes: Terraform waits (from the machine it runs on, with curl) until the new
   * node's API server answers /readyz before it goes on, and so before it releases the machine
   * this one replaces.
   */
  readonly waitForApi?: boolean;
}

/** How long Terraform waits for a new control-plane node's API server. */
export const API_READY_TIMEOUT_MINUTES = 45;

/** Placeholder for the wrapping token while hashing a machine's inputs (the real one changes with every secret ID). */
const TOKEN_PLACEHOLDER = "<wrapping token>";

/**
 * One MAAS machine of the cluster: a response-wrapped, single-use AppRole secret ID from Vault
 * that the machine unwraps once at first boot to read its role's secret, and the maas_instance
 * that allocates and deploys it with the shared cloud-init bootstrap.
 */
export class MaasNode extends Construct {
  readonly instance: MaasInstance;
  readonly secretId: VaultApproleAuthBackendRoleSecretId;
  /** Control-plane nodes: done once the node's API server answers (waitForApi). */
  readonly apiReady?: DataResource;

  constructor(scope: Construct, id: string, props: MaasNodeProps) {
    super(scope, id);
    const { cluster, selection } = props;
    const maas = cluster.spec.provider.maas!;
    const vault = maas.vault;
    const role = vaultRoleForSecret(cluster, props.secretName);
    const caFiles: CloudConfigFile[] =
      vault.caCertPath === undefined ? [] : [{ path: VAULT_CA_FILE, content: readVaultCa(vault.caCertPath, cluster.metadata.name), permissions: "0644" }];
    const bootstrap = (wrappingToken: string): MaasBootstrapSettings => ({
      provider: vaultProviderShell(),
      providerEnvironment: vaultBootstrapEnvironment(vault, role.roleId),
      secretId: props.secretName,
      extraFiles: [...caFiles, { path: VAULT_WRAPPED_SECRET_ID_FILE, content: `${wrappingToken}\n`, permissions: "0600" }],
    });

    const explicit = explicitMachine(selection, props.index);
    const allocateParams: MaasInstanceAllocateParams = {
      ...explicit,
      ...(explicit.hostname === undefined && explicit.systemId === undefined
        ? {
            ...(selection.pool === undefined ? {} : { pool: selection.pool }),
            ...(selection.zone === undefined ? {} : { zone: selection.zone }),
            ...(selection.tags.length === 0 ? {} : { tags: [...selection.tags] }),
            ...(selection.minCpuCount === undefined ? {} : { minCpuCount: selection.minCpuCount }),
            ...(selection.minMemoryMib === undefined ? {} : { minMemory: selection.minMemoryMib }),
          }
        : {}),
    };
    const distroSeries = selection.distroSeries ?? maas.distroSeries;
    const hweKernel = selection.hweKernel ?? maas.hweKernel;
    const networkInterfaces = props.address === undefined ? [] : [{ name: maas.network.interface, subnetCidr: maas.network.subnetCidr, ipAddress: props.address }];

    // A secret ID is single-use: every new deployment of this machine needs a new one. Cattle are
    // redeployed when their inputs change, so a digest of the inputs replaces the secret ID with
    // them; pets are redeployed only by their replacement trigger, which replaces it too.
    const trigger =
      props.lifecycle.kind === "pet"
        ? props.lifecycle.replaceTrigger
        : new DataResource(this, "inputs", {
            triggersReplace: {
              digest: createHash("sha256")
                .update(JSON.stringify({ allocateParams, distroSeries, hweKernel, networkInterfaces, userData: props.userData(bootstrap(TOKEN_PLACEHOLDER)) }))
                .digest("hex"),
            },
          });
    this.secretId = new VaultApproleAuthBackendRoleSecretId(this, "secret-id", {
      backend: vault.approleMount,
      roleName: role.roleName,
      wrappingTtl: vault.wrappingTtl,
      cidrList: [maas.network.subnetCidr],
      metadata: JSON.stringify({ cluster: cluster.metadata.name, machine: props.name }),
      // Terraform tracks the secret ID itself (not the wrapping token, gone once unwrapped), so a
      // booted machine's secret ID stays in the state and is destroyed with the machine.
      withWrappedAccessor: true,
      // Its settings change nothing once minted; only a new deployment needs a new one.
      lifecycle: { ignoreChanges: "all", replaceTriggeredBy: [triggerAddress(trigger)] },
    });

    const explicitlyNamed = explicit.hostname !== undefined || explicit.systemId !== undefined;
    this.instance = new MaasInstance(this, "machine", {
      allocateParams,
      deployParams: {
        distroSeries,
        ...(hweKernel === undefined ? {} : { hweKernel }),
        userData: terraformText(props.userData(bootstrap(this.secretId.wrappingToken))),
      },
      ...(networkInterfaces.length === 0 ? {} : { networkInterfaces }),
      // A released machine goes back to the pool with its disks quickly erased: it held keys.
      releaseParams: { erase: true, quickErase: true, comment: `released by kraken-lib: ${props.name}` },
      timeouts: { create: "60m", delete: "30m" },
      lifecycle:
        props.lifecycle.kind === "pet"
          ? {
              // A running etcd member never changes under Terraform: a new image, kernel, user data
              // or selection reaches it only when it is replaced (the trigger), one member at a time.
              preventDestroy: props.lifecycle.preventDestroy,
              replaceTriggeredBy: [triggerAddress(props.lifecycle.replaceTrigger)],
              ignoreChanges: [...MAAS_PET_IGNORED_CHANGES],
            }
          : // The same machine cannot be deployed twice: explicit ones are released first.
            { createBeforeDestroy: !explicitlyNamed },
    });

    if (props.waitForApi) {
      // The static address, or every address MAAS gave the machine (one of them is on the cluster's subnet).
      const addresses = props.address ?? Fn.join(" ", Fn.sort(this.instance.ipAddresses));
      const tries = (API_READY_TIMEOUT_MINUTES * 60) / 10;
      this.apiReady = new DataResource(this, "api-ready", {
        triggersReplace: { instance: this.instance.id },
        provisioners: [
          {
            type: "local-exec",
            interpreter: ["/bin/sh", "-c"],
            command:
              `for i in $(seq ${tries}); do for address in ${addresses}; do curl -fsk --max-time 5 "https://$address:6443/readyz" > /dev/null && exit 0; done; sleep 10; done; ` +
              `echo "${props.name} (${addresses}): the API server did not answer /readyz in ${API_READY_TIMEOUT_MINUTES} minutes; see docs/debugging.md" >&2; exit 1`,
          },
        ],
      });
    }
  }
}

/** What Terraform ignores on an etcd member's maas_instance (every argument forces a new deployment). */
export const MAAS_PET_IGNORED_CHANGES: readonly string[] = ["allocate_params", "deploy_params", "network_interfaces"];

function explicitMachine(selection: MaasSelection, index: number): { hostname?: string; systemId?: string } {
  const hostname = selection.hostnames?.[index];
  if (hostname !== undefined) return { hostname };
  const systemId = selection.systemIds?.[index];
  return systemId === undefined ? {} : { systemId };
}

function readVaultCa(path: string, clusterName: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cluster ${clusterName}: cannot read spec.provider.maas.vault.caCertPath "${path}" (${(error as NodeJS.ErrnoException).code ?? String(error)}); the machines need Vault's CA certificate`, {
      cause: error,
    });
  }
}
