/** Node bootstrap: cloud-init user data, kubeadm and etcd configuration. Pure: no cdktf, no provider. */
export { renderCloudConfig, renderEnvironmentFile, type CloudConfig, type CloudConfigFile } from "./cloud-config";
export { etcdMemberEnvironment, renderEtcdMemberConfig, etcdClientUrls, ETCD_CLIENT_PORT, ETCD_METRICS_PORT, ETCD_PEER_PORT, type EtcdMemberConfigInput, type EtcdMemberIdentity, type EtcdTlsFiles } from "./etcd-member";
export * from "./kubeadm";
export { AUDIT_POLICY, AUDIT_POLICY_FILE, AUDIT_LOG_PATH, AUDIT_LOG_ROTATION, renderAuditPolicy, type AuditPolicy, type AuditRule, type AuditLevel } from "./audit";
export * from "./paths";
export { awsProviderShell, vaultProviderShell, type ProviderShell } from "./provider-shell";
export { etcdTopology, etcdMemberName, primaryEtcd, clusterConfigurationInput, type EtcdClusterTopology } from "./topology";
export { renderEtcdMemberUserData, renderControlPlaneUserData, renderWorkerUserData, NODE_LABELS, type BootstrapContext, type KubernetesNodeContext } from "./user-data";
