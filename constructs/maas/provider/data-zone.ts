/**
 * Hand-written cdktf binding for `data "maas_zone"` (canonical/maas 2.6.0): reads an existing
 * zone by name, e.g. to check `allocate_params` against what MAAS has.
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/data-sources/zone
 */
import { TerraformDataSource, stringToTerraform, type TerraformMetaArguments } from "cdktf";
import type { Construct } from "constructs";
import { MAAS_GENERATOR_METADATA, hclAttributes } from "./provider";

export interface DataMaasZoneConfig extends TerraformMetaArguments {
  /**
   * The zone's name.
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/data-sources/zone#name
   */
  readonly name: string;
}

/**
 * Represents a `maas_zone` data source (canonical/maas 2.6.0).
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/data-sources/zone
 */
export class DataMaasZone extends TerraformDataSource {
  static readonly tfResourceType = "maas_zone";

  /** The configuration as given, for callers and tests to read back. */
  readonly config: DataMaasZoneConfig;

  constructor(scope: Construct, id: string, config: DataMaasZoneConfig) {
    super(scope, id, {
      terraformResourceType: DataMaasZone.tfResourceType,
      terraformGeneratorMetadata: MAAS_GENERATOR_METADATA,
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      forEach: config.forEach,
    });
    this.config = config;
  }

  /** The zone's MAAS ID. */
  get id(): string {
    return this.getStringAttribute("id");
  }

  get name(): string {
    return this.getStringAttribute("name");
  }

  get description(): string {
    return this.getStringAttribute("description");
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { name: stringToTerraform(this.config.name) };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.synthesizeAttributes());
  }
}
