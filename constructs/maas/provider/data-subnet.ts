/**
 * Hand-written cdktf binding for `data "maas_subnet"` (canonical/maas 2.6.0): reads an existing
 * subnet by CIDR.
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/data-sources/subnet
 */
import { TerraformDataSource, stringToTerraform, type IResolvable, type TerraformMetaArguments } from "cdktf";
import type { Construct } from "constructs";
import { MAAS_GENERATOR_METADATA, hclAttributes } from "./provider";

export interface DataMaasSubnetConfig extends TerraformMetaArguments {
  /**
   * The subnet's CIDR, e.g. `10.0.0.0/24`.
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/data-sources/subnet#cidr
   */
  readonly cidr: string;
}

/**
 * Represents a `maas_subnet` data source (canonical/maas 2.6.0).
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/data-sources/subnet
 */
export class DataMaasSubnet extends TerraformDataSource {
  static readonly tfResourceType = "maas_subnet";

  /** The configuration as given, for callers and tests to read back. */
  readonly config: DataMaasSubnetConfig;

  constructor(scope: Construct, id: string, config: DataMaasSubnetConfig) {
    super(scope, id, {
      terraformResourceType: DataMaasSubnet.tfResourceType,
      terraformGeneratorMetadata: MAAS_GENERATOR_METADATA,
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      forEach: config.forEach,
    });
    this.config = config;
  }

  /** The subnet's MAAS ID. */
  get id(): string {
    return this.getStringAttribute("id");
  }

  get cidr(): string {
    return this.getStringAttribute("cidr");
  }

  get name(): string {
    return this.getStringAttribute("name");
  }

  get fabric(): string {
    return this.getStringAttribute("fabric");
  }

  /** VLAN traffic segregation ID. */
  get vid(): number {
    return this.getNumberAttribute("vid");
  }

  /** `""` when the subnet has no gateway. */
  get gatewayIp(): string {
    return this.getStringAttribute("gateway_ip");
  }

  get dnsServers(): string[] {
    return this.getListAttribute("dns_servers");
  }

  get allowDns(): IResolvable {
    return this.getBooleanAttribute("allow_dns");
  }

  get allowProxy(): IResolvable {
    return this.getBooleanAttribute("allow_proxy");
  }

  /** Reverse DNS mode: 0 disabled, 1 enabled, 2 RFC2317. */
  get rdnsMode(): number {
    return this.getNumberAttribute("rdns_mode");
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { cidr: stringToTerraform(this.config.cidr) };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.synthesizeAttributes());
  }
}
