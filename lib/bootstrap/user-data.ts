/**
 * User data for each role: cloud-init that writes the cluster's settings, the rendered configs
 * and the scripts, then runs the role's script. No secret is ever part of it: scripts fetch
 * their certificates and tokens from the secret store at boot.
 */
import type { Cluster, EtcdClusterSpec, NodePoolSpec } from "../spec";
import { CALICO_VERSION, minorOf, parseVersion } from "../spec";
import { renderCloudConfig, renderEnvironmentFile, type CloudConfigFile } from "./cloud-config";
import { AUDIT_POLICY_FILE, renderAuditPolicy } from "./audit";
import { withoutCommentLines } from "./compact";
import { renderEtcdMemberConfig } from "./etcd-member";
import { KUBE_VIP_MANIFEST, KUBE_VIP_SCRIPT, KUBE_VIP_SH, renderKubeVipManifest, type KubeVipInput } from "./kube-vip";
import {
  renderKubeadmClusterConfig,
  renderKubeadmControlPlaneJoinConfig,
  renderKubeadmInitConfig,
  renderKubeadmWorkerJoinConfig,
  type NodeRegistrationInput,
} from "./kubeadm";
import { CLUSTER_ENV, ETCD_ENV, KRAKEN_DIR, KRAKEN_LIB_DIR } from "./paths";
import type { ProviderShell } from "./provider-shell";
import { CONTROL_PLANE_LIB_SH, CONTROL_PLANE_SH, KUBE_FACTS_PY } from "./control-plane-scripts";
import { COMMON_SH, ETCD_MEMBER_SH, ETCD_SNAPSHOT_SH, MATERIALIZE_PY, WORKER_SH } from "./scripts";
import { clusterConfigurationInput, etcdMemberConfig, memberInitialState, type EtcdClusterTopology } from "./topology";

/** Labels kraken-lib puts on every node it makes (its own kraken.dev prefix, which specs may not use). */
export const NODE_LABELS = {
  cluster: "kraken.dev/cluster",
  pool: "kraken.dev/pool",
  role: "kraken.dev/role",
} as const;

export interface BootstrapContext {
  readonly cluster: Cluster;
  readonly provider: ProviderShell;
  /** Provider settings for the scripts (AWS_REGION, ...). */
  readonly providerEnvironment: Readonly<Record<string, string>>;
  /** The secret this machine reads at boot. */
  readonly secretId: string;
  /** Files the provider adds (on MAAS: Vault's CA and the machine's wrapped secret ID). */
  readonly extraFiles?: readonly CloudConfigFile[];
}

export interface KubernetesNodeContext extends BootstrapContext {
  readonly etcd: readonly EtcdClusterTopology[];
  /** Host name (or address) of the API endpoint; may be a Terraform token. */
  readonly apiHost: string;
}

const API_PORT = 6443;

function scriptFiles(context: BootstrapContext, roleScript: string, roleScriptName: string): CloudConfigFile[] {
  const common = `${COMMON_SH}\n# Provider-specific steps.\n${context.provider.fetchSecret}\n${context.provider.dataDevice}`;
  return [
    { path: `${KRAKEN_LIB_DIR}/common.sh`, content: common, permissions: "0644" },
    { path: `${KRAKEN_LIB_DIR}/materialize.py`, content: MATERIALIZE_PY, permissions: "0644" },
    { path: `${KRAKEN_LIB_DIR}/${roleScriptName}`, content: roleScript, permissions: "0755" },
    ...(context.extraFiles ?? []),
  ];
}

function clusterEnvironment(context: BootstrapContext, role: string, extra: Readonly<Record<string, string | number>>): CloudConfigFile {
  return {
    path: CLUSTER_ENV,
    permissions: "0644",
    content: renderEnvironmentFile({
      CLUSTER_NAME: context.cluster.metadata.name,
      NODE_ROLE: role,
      SECRET_ID: context.secretId,
      ...context.providerEnvironment,
      ...extra,
    }),
  };
}

function kubernetesVersionEnvironment(version: string): Record<string, string> {
  return { KUBERNETES_MINOR: minorOf(version) ?? version, KUBERNETES_VERSION: parseVersion(version)?.patch === undefined ? "" : version };
}

/** Scripts (bash, python) go to the machine without their comment lines (compact.ts). */
function userData(files: CloudConfigFile[], scriptName: string): string {
  return renderCloudConfig({
    writeFiles: files.map((file) => (/\.(sh|py)$/.test(file.path) ? { ...file, content: withoutCommentLines(file.content) } : file)),
    runcmd: [["bash", `${KRAKEN_LIB_DIR}/${scriptName}`]],
  });
}

/** An etcd member: its ETCD_* environment, a systemd unit, and the etcd script. */
export function renderEtcdMemberUserData(
  context: BootstrapContext & {
    readonly topology: EtcdClusterTopology;
    readonly etcd: EtcdClusterSpec;
    readonly memberIndex: number;
    /** Where snapshots go (a bucket name, possibly a Terraform token); absent when backups are off or local. */
    readonly backupBucket?: string;
    /** Snapshots stay on the member's data disk, pruned after the retention (MAAS: no bucket). */
    readonly localBackups?: boolean;
    /** The log agent (spec.addons.logging): log-agent.sh defining install_log_agent, and its files. */
    readonly logAgent?: { readonly script: string; readonly files: readonly CloudConfigFile[] };
  },
): string {
  const config = etcdMemberConfig(context.topology, context.memberIndex, memberInitialState(context.etcd, context.memberIndex));
  const backup = context.etcd.backup.enabled && (context.backupBucket !== undefined || context.localBackups === true);
  const files = [
    clusterEnvironment(context, "etcd", {
      ETCD_CLUSTER: context.etcd.name,
      ETCD_MEMBER: config.member.name,
      ETCD_VERSION: context.etcd.version,
      BACKUP_BUCKET: backup ? (context.backupBucket ?? "") : "",
      // Local snapshots are pruned on the member after the retention the bucket's lifecycle rule has elsewhere.
      ...(backup && context.backupBucket === undefined ? { BACKUP_RETENTION_DAYS: context.etcd.backup.retentionDays } : {}),
    }),
    { path: ETCD_ENV, content: renderEtcdMemberConfig(config), permissions: "0644" },
    { path: "/etc/systemd/system/etcd.service", content: ETCD_UNIT, permissions: "0644" },
    ...(backup
      ? [
          { path: "/etc/systemd/system/etcd-snapshot.service", content: ETCD_SNAPSHOT_SERVICE, permissions: "0644" },
          { path: "/etc/systemd/system/etcd-snapshot.timer", content: etcdSnapshotTimer(context.etcd.backup.intervalMinutes), permissions: "0644" },
          { path: `${KRAKEN_LIB_DIR}/etcd-snapshot.sh`, content: ETCD_SNAPSHOT_SH, permissions: "0755" },
        ]
      : []),
    ...(context.logAgent ? [{ path: `${KRAKEN_LIB_DIR}/log-agent.sh`, content: context.logAgent.script, permissions: "0644" }, ...context.logAgent.files] : []),
    ...scriptFiles(context, ETCD_MEMBER_SH, "etcd-member.sh"),
  ];
  return userData(files, "etcd-member.sh");
}

const ETCD_SNAPSHOT_SERVICE = `[Unit]
Description=etcd snapshot to the cluster's backup bucket (kraken-lib)
After=etcd.service
Requires=etcd.service

[Service]
Type=oneshot
ExecStart=/usr/bin/bash ${KRAKEN_LIB_DIR}/etcd-snapshot.sh
`;

function etcdSnapshotTimer(intervalMinutes: number): string {
  return `[Unit]
Description=etcd snapshot every ${intervalMinutes} minutes (kraken-lib)

[Timer]
OnBootSec=10min
OnUnitActiveSec=${intervalMinutes}min
RandomizedDelaySec=60

[Install]
WantedBy=timers.target
`;
}

const ETCD_UNIT = `[Unit]
Description=etcd member (kraken-lib)
Documentation=https://etcd.io/docs/
Wants=network-online.target
After=network-online.target
RequiresMountsFor=/var/lib/etcd

[Service]
Type=notify
User=etcd
EnvironmentFile=${ETCD_ENV}
ExecStart=/usr/local/bin/etcd
Restart=always
RestartSec=5
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;

/** Control-plane node `index`: kubeadm init (node 0 of a new cluster) or join, one node at a time under the join lock. */
export function renderControlPlaneUserData(
  context: KubernetesNodeContext & {
    readonly index: number;
    /** On bare metal: the virtual IP every control-plane node's kube-vip announces (the API endpoint). */
    readonly kubeVip?: KubeVipInput;
  },
): string {
  const { cluster } = context;
  const apiEndpoint = `${context.apiHost}:${API_PORT}`;
  const configuration = clusterConfigurationInput(cluster, context.etcd, apiEndpoint, context.apiHost);
  const node: NodeRegistrationInput = { labels: { [NODE_LABELS.cluster]: cluster.metadata.name, [NODE_LABELS.role]: "control-plane" } };
  const files = [
    clusterEnvironment(context, "control-plane", {
      NODE_INDEX: context.index,
      API_ENDPOINT: apiEndpoint,
      CNI: cluster.spec.kubernetes.cni,
      CALICO_VERSION,
      ...kubernetesVersionEnvironment(cluster.spec.kubernetes.version),
    }),
    { path: `${KRAKEN_DIR}/kubeadm-init.yaml`, content: renderKubeadmInitConfig(configuration, node), permissions: "0600" },
    { path: `${KRAKEN_DIR}/kubeadm-join.yaml`, content: renderKubeadmControlPlaneJoinConfig(configuration, node), permissions: "0600" },
    { path: `${KRAKEN_DIR}/kubeadm-cluster.yaml`, content: renderKubeadmClusterConfig(configuration), permissions: "0600" },
    { path: AUDIT_POLICY_FILE, content: renderAuditPolicy(), permissions: "0600" },
    { path: `${KRAKEN_LIB_DIR}/control-plane-lib.sh`, content: CONTROL_PLANE_LIB_SH, permissions: "0644" },
    { path: `${KRAKEN_LIB_DIR}/kube-facts.py`, content: KUBE_FACTS_PY, permissions: "0644" },
    ...(context.kubeVip
      ? [
          { path: KUBE_VIP_MANIFEST, content: renderKubeVipManifest(context.kubeVip), permissions: "0600" },
          { path: KUBE_VIP_SCRIPT, content: KUBE_VIP_SH, permissions: "0644" },
        ]
      : []),
    ...scriptFiles(context, CONTROL_PLANE_SH, "control-plane.sh"),
  ];
  return userData(files, "control-plane.sh");
}

/** A worker of `pool`: joins with the pool's labels, taints and maxPods. */
export function renderWorkerUserData(context: BootstrapContext & { readonly apiHost: string; readonly pool: NodePoolSpec }): string {
  const { cluster, pool } = context;
  const apiEndpoint = `${context.apiHost}:${API_PORT}`;
  const node: NodeRegistrationInput = {
    labels: { ...pool.labels, [NODE_LABELS.cluster]: cluster.metadata.name, [NODE_LABELS.pool]: pool.name },
    taints: pool.taints,
    maxPods: pool.maxPods,
  };
  const files = [
    clusterEnvironment(context, "worker", { POOL_NAME: pool.name, API_ENDPOINT: apiEndpoint, ...kubernetesVersionEnvironment(pool.kubernetesVersion) }),
    { path: `${KRAKEN_DIR}/kubeadm-join.yaml`, content: renderKubeadmWorkerJoinConfig(apiEndpoint, node), permissions: "0600" },
    ...scriptFiles(context, WORKER_SH, "worker.sh"),
  ];
  return userData(files, "worker.sh");
}
