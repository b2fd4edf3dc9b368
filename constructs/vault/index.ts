/** Hand-written cdktf bindings for the HashiCorp Vault provider, pinned to 5.12.0. */
export {
  VaultProvider,
  VAULT_PROVIDER_SOURCE,
  VAULT_PROVIDER_VERSION,
  type VaultProviderAuthLogin,
  type VaultProviderClientAuth,
  type VaultProviderConfig,
  type VaultProviderHeaders,
} from "./provider";
export { VaultApproleAuthBackendRoleSecretId, type VaultApproleAuthBackendRoleSecretIdConfig } from "./approle-secret-id";
