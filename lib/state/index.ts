/** Each cluster's Terraform state: backends, the applied spec in it, and its lock. */
export { stateBackendConfig, s3StateKey, kubernetesStateNames, describeBackend, WORKSPACE, type StateBackendConfig } from "./backend";
export { appliedSpecFromState, parseTerraformState, parseLockInfo, STATE_OUTPUTS, type AppliedSpec, type TerraformStateDocument, type TerraformLockInfo } from "./terraform-state";
export { unlockProcedure, type LockHolder, type LockStatus } from "./lock";
export { stateClient, StateAccessError, type StateClient, type StateVersion } from "./clients";
