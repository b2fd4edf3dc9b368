/**
 * Hand-written cdktf binding for `data "maas_resource_pool"` (canonical/maas 2.6.0): reads an existing
 * resource pool by name, e.g. to check `allocate_params` against what MAAS has.
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/data-sources/resource_pool
 */
import { TerraformDataSource, stringToTerraform, type TerraformMetaArguments } from "cdktf";
import type { Construct } from "constructs";
import { MAAS_GENERATOR_METADATA, hclAttributes } from "./provider";

export interface DataMaasResourcePoolConfig extends TerraformMetaArguments {
  /**
   * The resource pool's name.
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/data-sources/resource_pool#name
   */
  readonly name: string;
}

/**
 * Represents a `maas_resource_pool` data source (canonical/maas 2.6.0).
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/data-sources/resource_pool
 */
export class DataMaasResourcePool extends TerraformDataSource {
  static readonly tfResourceType = "maas_resource_pool";

  /** The configuration as given, for callers and tests to read back. */
  readonly config: DataMaasResourcePoolConfig;

  constructor(scope: Construct, id: string, config: DataMaasResourcePoolConfig) {
    super(scope, id, {
      terraformResourceType: DataMaasResourcePool.tfResourceType,
      terraformGeneratorMetadata: MAAS_GENERATOR_METADATA,
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      forEach: config.forEach,
    });
    this.config = config;
  }

  /** The resource pool's MAAS ID. */
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
