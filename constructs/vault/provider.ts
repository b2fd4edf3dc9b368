/**
 * Hand-written cdktf binding for the HashiCorp Vault provider, shaped like a `cdktf get` binding
 * and written from its schema (unchanged from 5.7.0 to 5.10.0, the releases whose schema was
 * read; pinned to 5.12.0, the newest release found).
 * @see https://registry.terraform.io/providers/hashicorp/vault/5.12.0/docs
 */
import { TerraformProvider, booleanToTerraform, hashMapper, listMapper, numberToTerraform, stringToTerraform, type IResolvable } from "cdktf";
import type { Construct } from "constructs";

/** The release the Vault bindings are pinned to (`terraform.required_providers`). */
export const VAULT_PROVIDER_VERSION = "5.12.0";
export const VAULT_PROVIDER_SOURCE = "hashicorp/vault";

/** What cdktf records about the provider a binding belongs to (and writes to `required_providers`). */
export const VAULT_GENERATOR_METADATA = {
  providerName: "vault",
  providerVersion: VAULT_PROVIDER_VERSION,
  providerVersionConstraint: VAULT_PROVIDER_VERSION,
} as const;

/** A header sent with every request to Vault (`headers`, repeatable). */
export interface VaultProviderHeaders {
  readonly name: string;
  readonly value: string;
}

/** TLS client certificate for the connection (`client_auth`, at most one; deprecated for `auth_login_cert`). */
export interface VaultProviderClientAuth {
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Log in through any auth method's `auth/<mount>/login` path to get the token Terraform uses
 * (`auth_login`), e.g. AppRole for CI.
 */
export interface VaultProviderAuthLogin {
  /** Login path, e.g. `auth/approle/login`. */
  readonly path: string;
  /** Method-specific handling; `aws` signs the login request. */
  readonly method?: string;
  /** Namespace of the auth mount (Vault Enterprise); conflicts with `useRootNamespace`. */
  readonly namespace?: string;
  /** Login parameters, e.g. `{ role_id, secret_id }`; sensitive. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Authenticate to the root namespace; conflicts with `namespace`. */
  readonly useRootNamespace?: boolean | IResolvable;
}

export interface VaultProviderConfig {
  /**
   * Origin URL of the Vault server (scheme, host and port, no path).
   * @default - env VAULT_ADDR (the provider fails when neither is set)
   * @see https://registry.terraform.io/providers/hashicorp/vault/5.12.0/docs#address
   */
  readonly address?: string;
  /**
   * If "true", sets VAULT_ADDR in Terraform's environment to `address` (a string in the schema).
   * @default "false"
   */
  readonly addAddressToEnv?: string;
  /**
   * Token Terraform authenticates with. Keep it out of the configuration: it lands in the plan.
   * @default - env VAULT_TOKEN, then ~/.vault-token, or an `authLogin` block
   * @see https://registry.terraform.io/providers/hashicorp/vault/5.12.0/docs#token
   */
  readonly token?: string;
  /**
   * `display_name` of the child token Terraform creates, for the audit log.
   * @default - env VAULT_TOKEN_NAME, else "terraform"
   */
  readonly tokenName?: string;
  /**
   * Use the given token directly instead of creating a short-lived child token (needed when
   * the token may not create children). Makes `tokenName` and `maxLeaseTtlSeconds` unused.
   * @default - env TERRAFORM_VAULT_SKIP_CHILD_TOKEN, else false
   * @see https://registry.terraform.io/providers/hashicorp/vault/5.12.0/docs#skip_child_token
   */
  readonly skipChildToken?: boolean | IResolvable;
  /**
   * CA certificate file that verifies the Vault server's certificate.
   * @default - env VAULT_CACERT
   */
  readonly caCertFile?: string;
  /**
   * Directory of CA certificate files.
   * @default - env VAULT_CAPATH
   */
  readonly caCertDir?: string;
  /**
   * Skip verification of the server certificate (development servers only).
   * @default - env VAULT_SKIP_VERIFY, else false
   */
  readonly skipTlsVerify?: boolean | IResolvable;
  /**
   * SNI host name for the TLS connection.
   * @default - env VAULT_TLS_SERVER_NAME
   */
  readonly tlsServerName?: string;
  /**
   * TTL in seconds of the child token Terraform issues itself, which bounds the leases it gets.
   * @default - env TERRAFORM_VAULT_MAX_TTL, else 1200 (20 minutes)
   * @see https://registry.terraform.io/providers/hashicorp/vault/5.12.0/docs#max_lease_ttl_seconds
   */
  readonly maxLeaseTtlSeconds?: number;
  /**
   * Retries on 5xx responses.
   * @default - env VAULT_MAX_RETRIES, else 2
   */
  readonly maxRetries?: number;
  /**
   * Retries for Client Controlled Consistency operations.
   * @default - env VAULT_MAX_RETRIES_CCC, else 10
   */
  readonly maxRetriesCcc?: number;
  /**
   * Namespace for every resource of this provider (Vault Enterprise).
   * @default - env VAULT_NAMESPACE
   */
  readonly namespace?: string;
  /**
   * Use the token's namespace as the root namespace when `namespace` is unset.
   * @default true
   */
  readonly setNamespaceFromToken?: boolean | IResolvable;
  /** Do not read the server version from /sys/seal-status. */
  readonly skipGetVaultVersion?: boolean | IResolvable;
  /** Server version to assume when it cannot be read (a semantic version). */
  readonly vaultVersionOverride?: string;
  /** Generic login block; the provider's method-specific `auth_login_*` blocks are not bound. */
  readonly authLogin?: VaultProviderAuthLogin;
  readonly clientAuth?: VaultProviderClientAuth;
  readonly headers?: readonly VaultProviderHeaders[];
  /** Alias of this provider configuration; resources pick it with `provider`. */
  readonly alias?: string;
}

/**
 * Represents a `provider "vault"` block (hashicorp/vault 5.12.0). Normally configured from the
 * environment (VAULT_ADDR, VAULT_TOKEN) so that no credential enters the configuration.
 * @see https://registry.terraform.io/providers/hashicorp/vault/5.12.0/docs
 */
export class VaultProvider extends TerraformProvider {
  static readonly tfResourceType = "vault";

  /** The configuration as given, for callers and tests to read back. */
  readonly config: VaultProviderConfig;
  private _alias?: string;

  constructor(scope: Construct, id: string, config: VaultProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: "vault",
      terraformGeneratorMetadata: VAULT_GENERATOR_METADATA,
      terraformProviderSource: VAULT_PROVIDER_SOURCE,
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
    const config = this.config;
    return {
      address: stringToTerraform(config.address),
      add_address_to_env: stringToTerraform(config.addAddressToEnv),
      token: stringToTerraform(config.token),
      token_name: stringToTerraform(config.tokenName),
      skip_child_token: booleanToTerraform(config.skipChildToken),
      ca_cert_file: stringToTerraform(config.caCertFile),
      ca_cert_dir: stringToTerraform(config.caCertDir),
      skip_tls_verify: booleanToTerraform(config.skipTlsVerify),
      tls_server_name: stringToTerraform(config.tlsServerName),
      max_lease_ttl_seconds: numberToTerraform(config.maxLeaseTtlSeconds),
      max_retries: numberToTerraform(config.maxRetries),
      max_retries_ccc: numberToTerraform(config.maxRetriesCcc),
      namespace: stringToTerraform(config.namespace),
      set_namespace_from_token: booleanToTerraform(config.setNamespaceFromToken),
      skip_get_vault_version: booleanToTerraform(config.skipGetVaultVersion),
      vault_version_override: stringToTerraform(config.vaultVersionOverride),
      auth_login: config.authLogin === undefined ? undefined : [vaultProviderAuthLoginToTerraform(config.authLogin)],
      client_auth: config.clientAuth === undefined ? undefined : [vaultProviderClientAuthToTerraform(config.clientAuth)],
      headers: listMapper(vaultProviderHeadersToTerraform, true)(config.headers),
      alias: stringToTerraform(this._alias),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.synthesizeAttributes(), { auth_login: "list", client_auth: "list", headers: "list" });
  }
}

export function vaultProviderAuthLoginToTerraform(struct: VaultProviderAuthLogin): Record<string, unknown> {
  return {
    path: stringToTerraform(struct.path),
    method: stringToTerraform(struct.method),
    namespace: stringToTerraform(struct.namespace),
    parameters: hashMapper(stringToTerraform)(struct.parameters),
    use_root_namespace: booleanToTerraform(struct.useRootNamespace),
  };
}

export function vaultProviderClientAuthToTerraform(struct: VaultProviderClientAuth): Record<string, unknown> {
  return { cert_file: stringToTerraform(struct.certFile), key_file: stringToTerraform(struct.keyFile) };
}

export function vaultProviderHeadersToTerraform(struct: VaultProviderHeaders): Record<string, unknown> {
  return { name: stringToTerraform(struct.name), value: stringToTerraform(struct.value) };
}

/** How a nested block nests: `list`/`set` blocks are arrays of bodies, `single` blocks one body. */
export type BlockNesting = "list" | "set" | "single";

/**
 * Describes synthesized attributes the way cdktf's HCL renderer needs (`cdktf synth --hcl`), as
 * generated bindings do, so that a JSON-looking string stays a string. Undefined values are left
 * out. (A copy of the MAAS bindings' helper: provider folders do not import each other.)
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
  if (isPlainObject(value)) return { value, isBlock: false, type: "map", storageClassType: "stringMap" };
  return { value, isBlock: false, type: "any", storageClassType: "any" };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}
