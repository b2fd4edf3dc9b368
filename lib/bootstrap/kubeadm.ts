/**
 * kubeadm configuration (v1beta4) for a control plane with external etcd clusters.
 * Values known only on the machine (the installed version, its address, the bootstrap token
 * fetched from the secret store) are placeholders that the bootstrap script substitutes.
 * @see https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4/
 */
import { stringify } from "yaml";
import { auditApiServerArgs, auditApiServerVolumes } from "./audit";

export const KUBEADM_API_VERSION = "kubeadm.k8s.io/v1beta4";

/** Placeholders replaced on the machine by the bootstrap script (see scripts.ts). */
export const PLACEHOLDERS = {
  kubernetesVersion: "__KUBERNETES_VERSION__",
  nodeIp: "__NODE_IP__",
  bootstrapToken: "__BOOTSTRAP_TOKEN__",
  caCertHash: "__CA_CERT_HASH__",
} as const;

export interface ExternalEtcd {
  readonly endpoints: readonly string[];
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ClusterConfigurationInput {
  readonly clusterName: string;
  /** host:port of the API load balancer or virtual IP. */
  readonly controlPlaneEndpoint: string;
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  readonly dnsDomain: string;
  readonly nodeCidrMaskSize: number;
  /** The primary etcd cluster. */
  readonly etcd: ExternalEtcd;
  /** Resources stored in other etcd clusters: ["/events", ...] with their client URLs. */
  readonly etcdOverrides: readonly { readonly resource: string; readonly endpoints: readonly string[] }[];
  readonly certSans: readonly string[];
}

export interface NodeRegistrationInput {
  readonly labels: Readonly<Record<string, string>>;
  readonly taints?: readonly { readonly key: string; readonly value: string; readonly effect: string }[];
  readonly maxPods?: number;
}

type Arg = { name: string; value: string };

/** `--etcd-servers-overrides`: group/resource#url;url, comma-separated per resource. The core group is empty: "/events". */
export function etcdServersOverrides(overrides: ClusterConfigurationInput["etcdOverrides"]): string {
  return overrides
    .map(({ resource, endpoints }) => `${resource.includes("/") ? resource : `/${resource}`}#${endpoints.join(";")}`)
    .join(",");
}

function clusterConfiguration(input: ClusterConfigurationInput): object {
  // Every API server writes the audit log (audit.ts); the log agent ships it (docs/logging.md).
  const apiServerArgs: Arg[] = auditApiServerArgs();
  if (input.etcdOverrides.length > 0) apiServerArgs.push({ name: "etcd-servers-overrides", value: etcdServersOverrides(input.etcdOverrides) });
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: "ClusterConfiguration",
    clusterName: input.clusterName,
    kubernetesVersion: PLACEHOLDERS.kubernetesVersion,
    controlPlaneEndpoint: input.controlPlaneEndpoint,
    networking: { podSubnet: input.podSubnet, serviceSubnet: input.serviceSubnet, dnsDomain: input.dnsDomain },
    etcd: { external: { endpoints: [...input.etcd.endpoints], caFile: input.etcd.caFile, certFile: input.etcd.certFile, keyFile: input.etcd.keyFile } },
    apiServer: { certSANs: [...input.certSans], extraArgs: apiServerArgs, extraVolumes: auditApiServerVolumes() },
    controllerManager: { extraArgs: [{ name: "node-cidr-mask-size", value: String(input.nodeCidrMaskSize) }] },
  };
}

const kubeletConfiguration = {
  apiVersion: "kubelet.config.k8s.io/v1beta1",
  kind: "KubeletConfiguration",
  cgroupDriver: "systemd",
};

function nodeRegistration(input: NodeRegistrationInput): object {
  const labels = Object.entries(input.labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  const args: Arg[] = [{ name: "node-ip", value: PLACEHOLDERS.nodeIp }];
  if (labels !== "") args.push({ name: "node-labels", value: labels });
  if (input.maxPods !== undefined) args.push({ name: "max-pods", value: String(input.maxPods) });
  return {
    criSocket: "unix:///run/containerd/containerd.sock",
    kubeletExtraArgs: args,
    ...(input.taints === undefined ? {} : { taints: input.taints.map((taint) => ({ key: taint.key, ...(taint.value === "" ? {} : { value: taint.value }), effect: taint.effect })) }),
  };
}

function documents(...docs: object[]): string {
  // kubeadm reads YAML 1.1, where an unquoted yes, no, on or off is a boolean: write 1.1.
  return docs.map((doc) => stringify(doc, { lineWidth: 0, version: "1.1" })).join("---\n");
}

function discovery(controlPlaneEndpoint: string): object {
  return {
    bootstrapToken: {
      apiServerEndpoint: controlPlaneEndpoint,
      token: PLACEHOLDERS.bootstrapToken,
      caCertHashes: [PLACEHOLDERS.caCertHash],
    },
  };
}

/** `kubeadm init --config` for the first control-plane node. The bootstrap token never expires: nodes join whenever a pool scales. */
export function renderKubeadmInitConfig(cluster: ClusterConfigurationInput, node: NodeRegistrationInput): string {
  const init = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "InitConfiguration",
    bootstrapTokens: [{ token: PLACEHOLDERS.bootstrapToken, ttl: "0s", usages: ["signing", "authentication"], groups: ["system:bootstrappers:kubeadm:default-node-token"] }],
    localAPIEndpoint: { advertiseAddress: PLACEHOLDERS.nodeIp, bindPort: 6443 },
    nodeRegistration: nodeRegistration(node),
  };
  return documents(init, clusterConfiguration(cluster), kubeletConfiguration);
}

/** `kubeadm join --config` for further control-plane nodes; the shared certificates are already in place. */
export function renderKubeadmControlPlaneJoinConfig(cluster: ClusterConfigurationInput, node: NodeRegistrationInput): string {
  const join = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "JoinConfiguration",
    controlPlane: { localAPIEndpoint: { advertiseAddress: PLACEHOLDERS.nodeIp, bindPort: 6443 } },
    discovery: discovery(cluster.controlPlaneEndpoint),
    nodeRegistration: nodeRegistration(node),
  };
  // kubeadm reads the ClusterConfiguration from the cluster when joining; this copy lets
  // `kubeadm kubeconfig user` (used to wait for earlier nodes) know the endpoint.
  return documents(join);
}

/** The ClusterConfiguration alone, for `kubeadm kubeconfig user` on joining control-plane nodes. */
export function renderKubeadmClusterConfig(cluster: ClusterConfigurationInput): string {
  return documents(clusterConfiguration(cluster));
}

/** `kubeadm join --config` for a worker of a pool. */
export function renderKubeadmWorkerJoinConfig(controlPlaneEndpoint: string, node: NodeRegistrationInput): string {
  const join = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "JoinConfiguration",
    discovery: discovery(controlPlaneEndpoint),
    nodeRegistration: nodeRegistration({ ...node, taints: node.taints ?? [] }),
  };
  return documents(join);
}
