/**
 * Hand-written cdktf binding for the Canonical MAAS provider, shaped like a `cdktf get` binding.
 * Written from the provider's 2.6.0 schema because the registry cannot be reached here to
 * generate one.
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs
 */
import { TerraformProvider, booleanToTerraform, stringToTerraform, type IResolvable } from "cdktf";
import type { Construct } from "constructs";

/** The release every MAAS binding in this folder describes; `terraform.required_providers` pins it exactly. */
export const MAAS_PROVIDER_VERSION = "2.6.0";
/** Registry source address of the provider (formerly `maas/maas`). */
export const MAAS_PROVIDER_SOURCE = "canonical/maas";

/** What cdktf records about the provider a binding belongs to (and writes to `required_providers`). */
export const MAAS_GENERATOR_METADATA = {
  providerName: "maas",
  providerVersion: MAAS_PROVIDER_VERSION,
  providerVersionConstraint: MAAS_PROVIDER_VERSION,
} as const;

export interface MaasProviderConfig {
  /**
   * The MAAS API URL, e.g. `http://127.0.0.1:5240/MAAS`.
   * @default - env MAAS_API_URL (the provider fails when neither is set)
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs#api_url
   */
  readonly apiUrl?: string;
  /**
   * The MAAS API key (`consumer:token:secret`).
   * @default - env MAAS_API_KEY (the provider fails when neither is set)
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs#api_key
   */
  readonly apiKey?: string;
  /**
   * The MAAS API version.
   * @default "2.0"
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs#api_version
   */
  readonly apiVersion?: string;
  /**
   * CA bundle used to verify the MAAS certificate.
   * @default - env MAAS_API_CACERT
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs#tls_ca_cert_path
   */
  readonly tlsCaCertPath?: string;
  /**
   * Skip TLS certificate verification.
   * @default false
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs#tls_insecure_skip_verify
   */
  readonly tlsInsecureSkipVerify?: boolean | IResolvable;
  /**
   * How MAAS was installed (`snap` or `deb`); only resources that shell out to MAAS use it.
   * @default - env MAAS_INSTALLATION_METHOD, else "snap"
   * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs#installation_method
   */
  readonly installationMethod?: string;
  /**
   * Alias of this provider configuration, for a second MAAS region; resources pick it with `provider`.
   * @see https://developer.hashicorp.com/terraform/language/providers/configuration#alias-multiple-provider-configurations
   */
  readonly alias?: string;
}

/**
 * Represents a `provider "maas"` block (canonical/maas 2.6.0).
 * @see https://registry.terraform.io/providers/canonical/maas/2.6.0/docs
 */
export class MaasProvider extends TerraformProvider {
  static readonly tfResourceType = "maas";

  /** The configuration as given, for callers and tests to read back. */
  readonly config: MaasProviderConfig;
  private _alias?: string;

  constructor(scope: Construct, id: string, config: MaasProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: "maas",
      terraformGeneratorMetadata: MAAS_GENERATOR_METADATA,
      terraformProviderSource: MAAS_PROVIDER_SOURCE,
    });
    this.config = config;
    this._alias = config.alias;
  }

  override get alias(): string | undefined {
    return this._alias;
  }

  override set alias(value: string | undefined) {
    this._alias = value;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      api_key: stringToTerraform(this.config.apiKey),
      api_url: stringToTerraform(this.config.apiUrl),
      api_version: stringToTerraform(this.config.apiVersion),
      installation_method: stringToTerraform(this.config.installationMethod),
      tls_ca_cert_path: stringToTerraform(this.config.tlsCaCertPath),
      tls_insecure_skip_verify: booleanToTerraform(this.config.tlsInsecureSkipVerify),
      alias: stringToTerraform(this._alias),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.synthesizeAttributes());
  }
}

/** How a nested block nests: `list`/`set` blocks are arrays of bodies, `single` blocks one body. */
export type BlockNesting = "list" | "set" | "single";

/**
 * Describes synthesized attributes (the output of `synthesizeAttributes`) the way cdktf's HCL
 * renderer needs for `cdktf synth --hcl`, as generated bindings do: each value is tagged simple,
 * string list or block, so that a JSON-looking string stays a string. Undefined values are left
 * out, as in the JSON output.
 */
export function hclAttributes(attributes: Readonly<Record<string, unknown>>, blocks: Readonly<Record<string, BlockNesting>> = {}): Record<string, unknown> {
  const described: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    const nesting = blocks[name];
    if (nesting === "single") described[name] = { value: isPlainObject(value) ? hclAttributes(value) : value, isBlock: true, type: "struct", storageClassType: name };
    else if (nesting !== undefined) {
      const items = Array.isArray(value) ? value.map((item: unknown) => (isPlainObject(item) ? hclAttributes(item) : item)) : value;
      described[name] = { value: items, isBlock: true, type: nesting, storageClassType: `${name}List` };
    } else described[name] = describeSimple(value);
  }
  return described;
}

function describeSimple(value: unknown): Record<string, unknown> {
  if (typeof value === "string") return { value, isBlock: false, type: "simple", storageClassType: "string" };
  if (typeof value === "number") return { value, isBlock: false, type: "simple", storageClassType: "number" };
  if (typeof value === "boolean") return { value, isBlock: false, type: "simple", storageClassType: "boolean" };
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return { value, isBlock: false, type: "list", storageClassType: "stringList" };
  return { value, isBlock: false, type: "any", storageClassType: "any" };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}
