/**
 * etcd member configuration, rendered by one function for every provider: the ETCD_* variables
 * etcd reads from its environment, for a static cluster with TLS and client-certificate
 * authentication on both the client and the peer ports.
 * @see https://etcd.io/docs/v3.6/op-guide/configuration/
 */
import { renderEnvironmentFile } from "./cloud-config";

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/** Plain-HTTP /metrics and /health only (no keys), for Prometheus; the client port needs a certificate. */
export const ETCD_METRICS_PORT = 2381;

export interface EtcdMemberIdentity {
  /** Member name, unique in its etcd cluster: "main-0". */
  readonly name: string;
  /** Address or DNS name other members and clients use to reach it. */
  readonly host: string;
  /** Where the member's machine and data live (an availability zone on AWS); moving it rebuilds the member. */
  readonly location?: string;
}

export interface EtcdTlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly peerCaFile: string;
  readonly peerCertFile: string;
  readonly peerKeyFile: string;
}

export interface EtcdMemberConfigInput {
  /** The member being configured. */
  readonly member: EtcdMemberIdentity;
  /** Every member of the cluster, this one included, in member order. */
  readonly members: readonly EtcdMemberIdentity[];
  /** Shared by all members; distinguishes this cluster from any other (kraken uses <cluster>-<etcd name>). */
  readonly clusterToken: string;
  /** "new" when the cluster is first created; "existing" when a member joins a running cluster. */
  readonly initialClusterState: "new" | "existing";
  readonly dataDir: string;
  readonly tls: EtcdTlsFiles;
  /** Address to listen on; defaults to the member's host (which must then be an IP address). */
  readonly listenAddress?: string;
  readonly clientPort?: number;
  readonly peerPort?: number;
  /** Backend size limit in bytes; etcd's default is 2 GiB. */
  readonly quotaBackendBytes?: number;
}

const hostPart = (host: string): string => (host.includes(":") ? `[${host}]` : host);
const url = (host: string, port: number): string => `https://${hostPart(host)}:${port}`;

/** The ETCD_* variables for one member, in a stable order. */
export function etcdMemberEnvironment(input: EtcdMemberConfigInput): Record<string, string> {
  const clientPort = input.clientPort ?? ETCD_CLIENT_PORT;
  const peerPort = input.peerPort ?? ETCD_PEER_PORT;
  const listen = input.listenAddress ?? input.member.host;
  const names = new Set<string>();
  for (const member of input.members) {
    if (names.has(member.name)) throw new Error(`etcd member name "${member.name}" appears twice`);
    names.add(member.name);
  }
  if (!names.has(input.member.name)) throw new Error(`etcd member "${input.member.name}" is not among the cluster's members (${[...names].join(", ")})`);

  const environment: Record<string, string> = {
    ETCD_NAME: input.member.name,
    ETCD_DATA_DIR: input.dataDir,
    ETCD_LISTEN_PEER_URLS: url(listen, peerPort),
    ETCD_LISTEN_CLIENT_URLS: [url(listen, clientPort), ...(listen === "127.0.0.1" ? [] : [url("127.0.0.1", clientPort)])].join(","),
    ETCD_INITIAL_ADVERTISE_PEER_URLS: url(input.member.host, peerPort),
    ETCD_ADVERTISE_CLIENT_URLS: url(input.member.host, clientPort),
    ETCD_LISTEN_METRICS_URLS: [`http://${hostPart(listen)}:${ETCD_METRICS_PORT}`, ...(listen === "127.0.0.1" ? [] : [`http://127.0.0.1:${ETCD_METRICS_PORT}`])].join(","),
    ETCD_INITIAL_CLUSTER: input.members.map((member) => `${member.name}=${url(member.host, peerPort)}`).join(","),
    ETCD_INITIAL_CLUSTER_TOKEN: input.clusterToken,
    ETCD_INITIAL_CLUSTER_STATE: input.initialClusterState,
    ETCD_CLIENT_CERT_AUTH: "true",
    ETCD_TRUSTED_CA_FILE: input.tls.caFile,
    ETCD_CERT_FILE: input.tls.certFile,
    ETCD_KEY_FILE: input.tls.keyFile,
    ETCD_PEER_CLIENT_CERT_AUTH: "true",
    ETCD_PEER_TRUSTED_CA_FILE: input.tls.peerCaFile,
    ETCD_PEER_CERT_FILE: input.tls.peerCertFile,
    ETCD_PEER_KEY_FILE: input.tls.peerKeyFile,
  };
  if (input.quotaBackendBytes !== undefined) environment.ETCD_QUOTA_BACKEND_BYTES = String(input.quotaBackendBytes);
  return environment;
}

/** The environment file text (KEY='value' lines), as `k2 etcd config` prints it and members load it. */
export function renderEtcdMemberConfig(input: EtcdMemberConfigInput): string {
  return renderEnvironmentFile(etcdMemberEnvironment(input));
}

/** Client URLs of every member, for the API server and etcdctl. */
export function etcdClientUrls(members: readonly EtcdMemberIdentity[], clientPort = ETCD_CLIENT_PORT): string[] {
  return members.map((member) => url(member.host, clientPort));
}
