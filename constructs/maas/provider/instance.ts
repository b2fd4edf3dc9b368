/**
 * Hand-written cdktf binding for `maas_instance` (canonical/maas 2.6.0): allocates a Ready
 * machine, configures its NICs, deploys it and waits for Deployed; destroy releases it.
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/instance
 */
import {
  Fn,
  ImportableResource,
  TerraformResource,
  Token,
  booleanToTerraform,
  listMapper,
  numberToTerraform,
  stringToTerraform,
  type IResolvable,
  type TerraformMetaArguments,
  type TerraformProvider,
} from "cdktf";
import type { Construct } from "constructs";
import { MAAS_GENERATOR_METADATA, hclAttributes, type BlockNesting } from "./provider";

/**
 * Constraints MAAS allocates a machine by (`allocate_params`, at most one block). Every field
 * forces a new machine when changed.
 */
export interface MaasInstanceAllocateParams {
  /** Hostname of the machine to allocate. */
  readonly hostname?: string;
  /**
   * Minimum number of CPU cores.
   * @default 0
   */
  readonly minCpuCount?: number;
  /**
   * Minimum RAM in MB.
   * @default 0
   */
  readonly minMemory?: number;
  /** Resource pool name. */
  readonly pool?: string;
  /** MAAS system_id of the machine to allocate. */
  readonly systemId?: string;
  /** Tag names the machine must all carry. */
  readonly tags?: readonly string[];
  /** Zone name. */
  readonly zone?: string;
}

/** How the allocated machine is deployed (`deploy_params`, at most one block). Every field forces a new machine. */
export interface MaasInstanceDeployParams {
  /** @default - the MAAS server's default series */
  readonly distroSeries?: string;
  /** Periodically sync hardware. */
  readonly enableHwSync?: boolean | IResolvable;
  /** Deploy the machine in memory. */
  readonly ephemeral?: boolean | IResolvable;
  /** Hardware enablement kernel (Ubuntu only). */
  readonly hweKernel?: string;
  /** Cloud-init user data as plain text: the provider base64-encodes it, so do not encode it yourself. */
  readonly userData?: string;
}

/** A NIC configured before deployment (`network_interfaces`, a set). Every field forces a new machine. */
export interface MaasInstanceNetworkInterfaces {
  /** NIC name (or MAC, or ID) on the allocated machine. */
  readonly name: string;
  /** Existing subnet to link; link mode AUTO unless `ipAddress` is set. Neither: the NIC is left unconfigured. */
  readonly subnetCidr?: string;
  /** Static IP address (link mode STATIC); needs `subnetCidr`. */
  readonly ipAddress?: string;
}

/** How the machine is released on destroy (`release_params`, at most one block). Changes update in place. */
export interface MaasInstanceReleaseParams {
  /** Comment for the event log. */
  readonly comment?: string;
  /** Erase the disks. */
  readonly erase?: boolean | IResolvable;
  /** Force the release. */
  readonly force?: boolean | IResolvable;
  /** Wipe 2 MiB at the start and end of each drive (not secure). */
  readonly quickErase?: boolean | IResolvable;
  /** Use the drive's secure erase feature if available. */
  readonly secureErase?: boolean | IResolvable;
}

export interface MaasInstanceTimeouts {
  /** @default "30m" */
  readonly create?: string;
  /** @default "30m" */
  readonly delete?: string;
}

export interface MaasInstanceConfig extends TerraformMetaArguments {
  /**
   * Allocation constraints. Without them MAAS allocates any Ready machine.
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/instance#allocate_params
   */
  readonly allocateParams?: MaasInstanceAllocateParams;
  /**
   * Deployment settings.
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/instance#deploy_params
   */
  readonly deployParams?: MaasInstanceDeployParams;
  /**
   * NICs to configure before deploying; a token list or an iterator's `dynamic(...)` also works.
   * Do not combine with standalone `maas_network_interface_*` resources.
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/instance#network_interfaces
   */
  readonly networkInterfaces?: readonly MaasInstanceNetworkInterfaces[] | IResolvable;
  /**
   * Release settings used on destroy.
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/instance#release_params
   */
  readonly releaseParams?: MaasInstanceReleaseParams;
  /** How long create (allocate + deploy) and delete (release) may take. */
  readonly timeouts?: MaasInstanceTimeouts;
}

export function maasInstanceAllocateParamsToTerraform(struct: MaasInstanceAllocateParams): Record<string, unknown> {
  return {
    hostname: stringToTerraform(struct.hostname),
    min_cpu_count: numberToTerraform(struct.minCpuCount),
    min_memory: numberToTerraform(struct.minMemory),
    pool: stringToTerraform(struct.pool),
    system_id: stringToTerraform(struct.systemId),
    tags: listMapper(stringToTerraform, false)(struct.tags),
    zone: stringToTerraform(struct.zone),
  };
}

export function maasInstanceDeployParamsToTerraform(struct: MaasInstanceDeployParams): Record<string, unknown> {
  return {
    distro_series: stringToTerraform(struct.distroSeries),
    enable_hw_sync: booleanToTerraform(struct.enableHwSync),
    ephemeral: booleanToTerraform(struct.ephemeral),
    hwe_kernel: stringToTerraform(struct.hweKernel),
    user_data: stringToTerraform(struct.userData),
  };
}

export function maasInstanceNetworkInterfacesToTerraform(struct: MaasInstanceNetworkInterfaces | IResolvable): Record<string, unknown> | IResolvable {
  if (Token.isUnresolved(struct)) return struct as IResolvable;
  const nic = struct as MaasInstanceNetworkInterfaces;
  return {
    name: stringToTerraform(nic.name),
    subnet_cidr: stringToTerraform(nic.subnetCidr),
    ip_address: stringToTerraform(nic.ipAddress),
  };
}

export function maasInstanceReleaseParamsToTerraform(struct: MaasInstanceReleaseParams): Record<string, unknown> {
  return {
    comment: stringToTerraform(struct.comment),
    erase: booleanToTerraform(struct.erase),
    force: booleanToTerraform(struct.force),
    quick_erase: booleanToTerraform(struct.quickErase),
    secure_erase: booleanToTerraform(struct.secureErase),
  };
}

export function maasInstanceTimeoutsToTerraform(struct: MaasInstanceTimeouts): Record<string, unknown> {
  return { create: stringToTerraform(struct.create), delete: stringToTerraform(struct.delete) };
}

const BLOCKS: Readonly<Record<string, BlockNesting>> = {
  allocate_params: "list",
  deploy_params: "list",
  network_interfaces: "set",
  release_params: "list",
  timeouts: "single",
};

/**
 * Represents a `maas_instance` resource (canonical/maas 2.6.0).
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/instance
 */
export class MaasInstance extends TerraformResource {
  static readonly tfResourceType = "maas_instance";

  /** Imports a Deployed machine by system ID, hostname or FQDN (`cdktf plan` writes the config). */
  static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: TerraformProvider): ImportableResource {
    return new ImportableResource(scope, importToId, { terraformResourceType: MaasInstance.tfResourceType, importId: importFromId, provider });
  }

  /** The configuration as given, for callers and tests to read back. */
  readonly config: MaasInstanceConfig;

  constructor(scope: Construct, id: string, config: MaasInstanceConfig = {}) {
    super(scope, id, {
      terraformResourceType: MaasInstance.tfResourceType,
      terraformGeneratorMetadata: MAAS_GENERATOR_METADATA,
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
    validateNetworkInterfaces(config.networkInterfaces);
    this.config = config;
  }

  /** MAAS system_id of the allocated machine. */
  get id(): string {
    return this.getStringAttribute("id");
  }

  get fqdn(): string {
    return this.getStringAttribute("fqdn");
  }

  get hostname(): string {
    return this.getStringAttribute("hostname");
  }

  /** The deployed machine's addresses (a set in Terraform, so in no stable order). */
  get ipAddresses(): string[] {
    return Fn.tolist(this.getListAttribute("ip_addresses"));
  }

  get cpuCount(): number {
    return this.getNumberAttribute("cpu_count");
  }

  /** RAM as MAAS reports it (MiB; the provider's description says GiB). */
  get memory(): number {
    return this.getNumberAttribute("memory");
  }

  get pool(): string {
    return this.getStringAttribute("pool");
  }

  get zone(): string {
    return this.getStringAttribute("zone");
  }

  get tags(): string[] {
    return Fn.tolist(this.getListAttribute("tags"));
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const { allocateParams, deployParams, networkInterfaces, releaseParams, timeouts } = this.config;
    return {
      allocate_params: allocateParams === undefined ? undefined : [maasInstanceAllocateParamsToTerraform(allocateParams)],
      deploy_params: deployParams === undefined ? undefined : [maasInstanceDeployParamsToTerraform(deployParams)],
      network_interfaces: listMapper(maasInstanceNetworkInterfacesToTerraform, true)(networkInterfaces),
      release_params: releaseParams === undefined ? undefined : [maasInstanceReleaseParamsToTerraform(releaseParams)],
      timeouts: timeouts === undefined ? undefined : maasInstanceTimeoutsToTerraform(timeouts),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.synthesizeAttributes(), BLOCKS);
  }
}

/** The provider accepts a static address only with a subnet, but says so at apply time; say it now. */
function validateNetworkInterfaces(networkInterfaces: MaasInstanceConfig["networkInterfaces"]): void {
  if (networkInterfaces === undefined || !Array.isArray(networkInterfaces)) return;
  const problems: string[] = [];
  (networkInterfaces as readonly MaasInstanceNetworkInterfaces[]).forEach((nic, index) => {
    if (nic.ipAddress !== undefined && nic.subnetCidr === undefined) {
      problems.push(`networkInterfaces[${index}].ipAddress (${nic.ipAddress}) needs subnetCidr: MAAS links a static address within a subnet`);
    }
  });
  if (problems.length > 0) throw new Error(`maas_instance: ${problems.join("; ")}`);
}
