/**
 * Hand-written cdktf binding for `maas_machine` (canonical/maas 2.6.0): registers a machine in
 * MAAS, commissions it and waits for Ready; destroy deletes it from MAAS.
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/machine
 */
import { Fn, ImportableResource, TerraformResource, stringToTerraform, type TerraformMetaArguments, type TerraformProvider } from "cdktf";
import type { Construct } from "constructs";
import { MAAS_GENERATOR_METADATA, hclAttributes, type BlockNesting } from "./provider";

/** Power types the provider accepts for `power_type` (it validates against this list). */
export const MAAS_POWER_TYPES = [
  "amt",
  "apc",
  "dli",
  "eaton",
  "hmc",
  "ipmi",
  "manual",
  "moonshot",
  "mscm",
  "msftocs",
  "nova",
  "openbmc",
  "proxmox",
  "recs_box",
  "redfish",
  "sm15k",
  "ucsm",
  "vmware",
  "webhook",
  "wedge",
  "lxd",
  "virsh",
] as const;

export interface MaasMachineTimeouts {
  /** @default "30m" */
  readonly create?: string;
}

export interface MaasMachineConfig extends TerraformMetaArguments {
  /**
   * Power management type, e.g. `ipmi` (one of {@link MAAS_POWER_TYPES}).
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/machine#power_type
   */
  readonly powerType: string;
  /**
   * The power type's parameters as a JSON string (`JSON.stringify({...})` or `Fn.jsonencode`);
   * sensitive. It was a map before provider 2.0.0.
   * @see https://maas.io/docs/api#power-types
   */
  readonly powerParameters: string;
  /** MAC address of the NIC the machine PXE-boots from. */
  readonly pxeMacAddress: string;
  /** @default "amd64/generic" */
  readonly architecture?: string;
  /** @default - MAAS's default domain */
  readonly domain?: string;
  /** @default - chosen by MAAS */
  readonly hostname?: string;
  /** Minimum kernel version allowed (Ubuntu only). */
  readonly minHweKernel?: string;
  /** @default - MAAS's default pool */
  readonly pool?: string;
  /** @default - MAAS's default zone */
  readonly zone?: string;
  /** How long registering and commissioning may take. */
  readonly timeouts?: MaasMachineTimeouts;
}

export function maasMachineTimeoutsToTerraform(struct: MaasMachineTimeouts): Record<string, unknown> {
  return { create: stringToTerraform(struct.create) };
}

const BLOCKS: Readonly<Record<string, BlockNesting>> = { timeouts: "single" };

/**
 * Represents a `maas_machine` resource (canonical/maas 2.6.0).
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/machine
 */
export class MaasMachine extends TerraformResource {
  static readonly tfResourceType = "maas_machine";

  /** Imports a machine by system ID, hostname, FQDN or PXE MAC address. */
  static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: TerraformProvider): ImportableResource {
    return new ImportableResource(scope, importToId, { terraformResourceType: MaasMachine.tfResourceType, importId: importFromId, provider });
  }

  /** The configuration as given, for callers and tests to read back. */
  readonly config: MaasMachineConfig;

  constructor(scope: Construct, id: string, config: MaasMachineConfig) {
    super(scope, id, {
      terraformResourceType: MaasMachine.tfResourceType,
      terraformGeneratorMetadata: MAAS_GENERATOR_METADATA,
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
    this.config = config;
  }

  /** MAAS system_id. */
  get id(): string {
    return this.getStringAttribute("id");
  }

  get hostname(): string {
    return this.getStringAttribute("hostname");
  }

  get domain(): string {
    return this.getStringAttribute("domain");
  }

  get pool(): string {
    return this.getStringAttribute("pool");
  }

  get zone(): string {
    return this.getStringAttribute("zone");
  }

  get minHweKernel(): string {
    return this.getStringAttribute("min_hwe_kernel");
  }

  /** MAC addresses of the machine's NICs. */
  get networkInterfaces(): string[] {
    return Fn.tolist(this.getListAttribute("network_interfaces"));
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const config = this.config;
    return {
      power_type: stringToTerraform(config.powerType),
      power_parameters: stringToTerraform(config.powerParameters),
      pxe_mac_address: stringToTerraform(config.pxeMacAddress),
      architecture: stringToTerraform(config.architecture),
      domain: stringToTerraform(config.domain),
      hostname: stringToTerraform(config.hostname),
      min_hwe_kernel: stringToTerraform(config.minHweKernel),
      pool: stringToTerraform(config.pool),
      zone: stringToTerraform(config.zone),
      timeouts: config.timeouts === undefined ? undefined : maasMachineTimeoutsToTerraform(config.timeouts),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.synthesizeAttributes(), BLOCKS);
  }
}

