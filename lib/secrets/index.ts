/** A cluster's secrets: names, contents, and the stores that keep them. */
export { clusterSecretNames, clusterSecretPrefix, SECRET_PREFIX, type ClusterSecretNames } from "./names";
export { serializeSecretDocument, type SecretDocument, type SecretFile } from "./document";
export { generateClusterSecrets, type ClusterSecret } from "./material";
export { AwsSecretsManagerStore, type SecretStore } from "./store";
export {
  durationSeconds,
  prepareVaultAccess,
  vaultAccessPlan,
  vaultAddress,
  vaultAppRoleSettings,
  vaultBootstrapEnvironment,
  VaultClient,
  VaultError,
  vaultKvDataPath,
  vaultMachinePolicy,
  vaultMachineRoles,
  vaultRoleForSecret,
  VaultStore,
  vaultTerraformPolicy,
  vaultTerraformPolicyName,
  type VaultAccessPlan,
  type VaultAppRoleSettings,
  type VaultConnection,
  type VaultMachineRole,
  type VaultPolicyPlan,
  type VaultRolePlan,
  type VaultSettings,
} from "./vault";
