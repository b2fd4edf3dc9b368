/**
 * Hand-written cdktf binding for `maas_tag` (canonical/maas 2.6.0).
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/tag
 */
import { Fn, ImportableResource, TerraformResource, listMapper, stringToTerraform, type TerraformMetaArguments, type TerraformProvider } from "cdktf";
import type { Construct } from "constructs";
import { MAAS_GENERATOR_METADATA, hclAttributes } from "./provider";

export interface MaasTagConfig extends TerraformMetaArguments {
  /**
   * Tag name; short, since it is used in URLs. Changing it replaces the tag.
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/tag#name
   */
  readonly name: string;
  /** What the tag is for, in plain words. */
  readonly comment?: string;
  /**
   * XPath over each machine's hardware details (`lshw -xml`); MAAS tags matching machines itself.
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/tag#definition
   */
  readonly definition?: string;
  /** Kernel options added when machines with this tag boot. */
  readonly kernelOpts?: string;
  /**
   * Machines (system ID, hostname or FQDN) to tag. When set, the tag is also removed from other
   * machines that have it.
   */
  readonly machines?: readonly string[];
}

/**
 * Represents a `maas_tag` resource (canonical/maas 2.6.0). Create adopts an existing tag of the
 * same name.
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs/resources/tag
 */
export class MaasTag extends TerraformResource {
  static readonly tfResourceType = "maas_tag";

  /** Imports a tag by name. */
  static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: TerraformProvider): ImportableResource {
    return new ImportableResource(scope, importToId, { terraformResourceType: MaasTag.tfResourceType, importId: importFromId, provider });
  }

  /** The configuration as given, for callers and tests to read back. */
  readonly config: MaasTagConfig;

  constructor(scope: Construct, id: string, config: MaasTagConfig) {
    super(scope, id, {
      terraformResourceType: MaasTag.tfResourceType,
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

  /** The tag name (the provider uses it as the ID). */
  get id(): string {
    return this.getStringAttribute("id");
  }

  get name(): string {
    return this.getStringAttribute("name");
  }

  get machines(): string[] {
    return Fn.tolist(this.getListAttribute("machines"));
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      name: stringToTerraform(this.config.name),
      comment: stringToTerraform(this.config.comment),
      definition: stringToTerraform(this.config.definition),
      kernel_opts: stringToTerraform(this.config.kernelOpts),
      machines: listMapper(stringToTerraform, false)(this.config.machines),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.synthesizeAttributes());
  }
}
