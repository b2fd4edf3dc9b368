/** The etcd member environment: every ETCD_* variable, in the order etcd's docs list them, for static TLS clusters. */
import { describe, expect, it } from "vitest";
import {
  ETCD_DATA_DIR,
  ETCD_ENV,
  ETCD_PKI_FILES,
  etcdClientUrls,
  etcdMemberEnvironment,
  renderEtcdMemberConfig,
  type EtcdMemberConfigInput,
  type EtcdTlsFiles,
} from "../../lib/bootstrap";
import { awsHa, etcdMemberUserData, parseEnvironmentFile, parseUserData, writtenFile } from "./fixtures";

const TLS: EtcdTlsFiles = {
  caFile: "/etc/etcd/pki/ca.crt",
  certFile: "/etc/etcd/pki/member.crt",
  keyFile: "/etc/etcd/pki/member.key",
  peerCaFile: "/etc/etcd/pki/peer-ca.crt",
  peerCertFile: "/etc/etcd/pki/peer.crt",
  peerKeyFile: "/etc/etcd/pki/peer.key",
};

const MEMBERS = [
  { name: "main-0", host: "10.0.0.10" },
  { name: "main-1", host: "10.0.32.10" },
  { name: "main-2", host: "10.0.64.10" },
];

function input(changes: Partial<EtcdMemberConfigInput> = {}): EtcdMemberConfigInput {
  return { member: MEMBERS[1]!, members: MEMBERS, clusterToken: "prod-usw2-main", initialClusterState: "new", dataDir: "/var/lib/etcd/data", tls: TLS, ...changes };
}

describe("etcdMemberEnvironment", () => {
  it("configures a member of a 3-member static cluster with TLS and client certificates on both ports", () => {
    // GIVEN member main-1 of three
    const environment = etcdMemberEnvironment(input());
    // THEN every variable is set, in a stable order
    expect(Object.entries(environment)).toEqual([
      ["ETCD_NAME", "main-1"],
      ["ETCD_DATA_DIR", "/var/lib/etcd/data"],
      ["ETCD_LISTEN_PEER_URLS", "https://10.0.32.10:2380"],
      // Loopback too: the member's own health check and etcdctl on the machine use it.
      ["ETCD_LISTEN_CLIENT_URLS", "https://10.0.32.10:2379,https://127.0.0.1:2379"],
      ["ETCD_INITIAL_ADVERTISE_PEER_URLS", "https://10.0.32.10:2380"],
      ["ETCD_ADVERTISE_CLIENT_URLS", "https://10.0.32.10:2379"],
      // Metrics and health only, in plain HTTP, for Prometheus (and loopback for the machine).
      ["ETCD_LISTEN_METRICS_URLS", "http://10.0.32.10:2381,http://127.0.0.1:2381"],
      ["ETCD_INITIAL_CLUSTER", "main-0=https://10.0.0.10:2380,main-1=https://10.0.32.10:2380,main-2=https://10.0.64.10:2380"],
      ["ETCD_INITIAL_CLUSTER_TOKEN", "prod-usw2-main"],
      ["ETCD_INITIAL_CLUSTER_STATE", "new"],
      ["ETCD_CLIENT_CERT_AUTH", "true"],
      ["ETCD_TRUSTED_CA_FILE", TLS.caFile],
      ["ETCD_CERT_FILE", TLS.certFile],
      ["ETCD_KEY_FILE", TLS.keyFile],
      ["ETCD_PEER_CLIENT_CERT_AUTH", "true"],
      ["ETCD_PEER_TRUSTED_CA_FILE", TLS.peerCaFile],
      ["ETCD_PEER_CERT_FILE", TLS.peerCertFile],
      ["ETCD_PEER_KEY_FILE", TLS.peerKeyFile],
    ]);
  });

  it("keeps the initial cluster in member order, whichever member is configured", () => {
    const initialClusters = MEMBERS.map((member) => etcdMemberEnvironment(input({ member })).ETCD_INITIAL_CLUSTER);
    expect(new Set(initialClusters).size).toBe(1);
  });

  it("brackets IPv6 hosts in every URL", () => {
    const members = [
      { name: "main-0", host: "fd00:10::a" },
      { name: "main-1", host: "fd00:20::a" },
      { name: "main-2", host: "fd00:30::a" },
    ];
    const environment = etcdMemberEnvironment(input({ member: members[0]!, members }));
    expect(environment).toMatchObject({
      ETCD_LISTEN_PEER_URLS: "https://[fd00:10::a]:2380",
      ETCD_LISTEN_CLIENT_URLS: "https://[fd00:10::a]:2379,https://127.0.0.1:2379",
      ETCD_INITIAL_ADVERTISE_PEER_URLS: "https://[fd00:10::a]:2380",
      ETCD_ADVERTISE_CLIENT_URLS: "https://[fd00:10::a]:2379",
      ETCD_INITIAL_CLUSTER: "main-0=https://[fd00:10::a]:2380,main-1=https://[fd00:20::a]:2380,main-2=https://[fd00:30::a]:2380",
    });
    expect(etcdClientUrls(members)).toEqual(["https://[fd00:10::a]:2379", "https://[fd00:20::a]:2379", "https://[fd00:30::a]:2379"]);
  });

  it("listens where it is told, advertises its host, and on the given ports", () => {
    const environment = etcdMemberEnvironment(input({ listenAddress: "0.0.0.0", clientPort: 12379, peerPort: 12380 }));
    expect(environment).toMatchObject({
      ETCD_LISTEN_PEER_URLS: "https://0.0.0.0:12380",
      ETCD_LISTEN_CLIENT_URLS: "https://0.0.0.0:12379,https://127.0.0.1:12379",
      ETCD_INITIAL_ADVERTISE_PEER_URLS: "https://10.0.32.10:12380",
      ETCD_ADVERTISE_CLIENT_URLS: "https://10.0.32.10:12379",
      ETCD_INITIAL_CLUSTER: "main-0=https://10.0.0.10:12380,main-1=https://10.0.32.10:12380,main-2=https://10.0.64.10:12380",
    });
    expect(etcdClientUrls(MEMBERS, 12379)).toEqual(["https://10.0.0.10:12379", "https://10.0.32.10:12379", "https://10.0.64.10:12379"]);
  });

  it("does not listen twice on loopback when the member is on loopback", () => {
    const member = { name: "solo", host: "127.0.0.1" };
    expect(etcdMemberEnvironment(input({ member, members: [member] })).ETCD_LISTEN_CLIENT_URLS).toBe("https://127.0.0.1:2379");
  });

  it("sets the backend quota only when given, and marks a joining member's state", () => {
    expect(etcdMemberEnvironment(input())).not.toHaveProperty("ETCD_QUOTA_BACKEND_BYTES");
    expect(etcdMemberEnvironment(input({ quotaBackendBytes: 8 * 1024 ** 3, initialClusterState: "existing" }))).toMatchObject({
      ETCD_QUOTA_BACKEND_BYTES: "8589934592",
      ETCD_INITIAL_CLUSTER_STATE: "existing",
    });
  });

  it("refuses a member that is not in the member list, naming the members", () => {
    expect(() => etcdMemberEnvironment(input({ member: { name: "main-3", host: "10.0.0.11" } }))).toThrow(/etcd member "main-3" is not among the cluster's members \(main-0, main-1, main-2\)/);
  });

  it("refuses duplicate member names", () => {
    const members = [...MEMBERS, { name: "main-1", host: "10.0.0.11" }];
    expect(() => etcdMemberEnvironment(input({ members }))).toThrow(/etcd member name "main-1" appears twice/);
  });
});

describe("renderEtcdMemberConfig", () => {
  it("renders the environment file a member loads", () => {
    expect(renderEtcdMemberConfig(input({ member: MEMBERS[0]!, tls: { ...TLS, peerCaFile: TLS.caFile, peerCertFile: TLS.certFile, peerKeyFile: TLS.keyFile } }))).toBe(
      [
        "ETCD_NAME='main-0'",
        "ETCD_DATA_DIR='/var/lib/etcd/data'",
        "ETCD_LISTEN_PEER_URLS='https://10.0.0.10:2380'",
        "ETCD_LISTEN_CLIENT_URLS='https://10.0.0.10:2379,https://127.0.0.1:2379'",
        "ETCD_INITIAL_ADVERTISE_PEER_URLS='https://10.0.0.10:2380'",
        "ETCD_ADVERTISE_CLIENT_URLS='https://10.0.0.10:2379'",
        "ETCD_LISTEN_METRICS_URLS='http://10.0.0.10:2381,http://127.0.0.1:2381'",
        "ETCD_INITIAL_CLUSTER='main-0=https://10.0.0.10:2380,main-1=https://10.0.32.10:2380,main-2=https://10.0.64.10:2380'",
        "ETCD_INITIAL_CLUSTER_TOKEN='prod-usw2-main'",
        "ETCD_INITIAL_CLUSTER_STATE='new'",
        "ETCD_CLIENT_CERT_AUTH='true'",
        "ETCD_TRUSTED_CA_FILE='/etc/etcd/pki/ca.crt'",
        "ETCD_CERT_FILE='/etc/etcd/pki/member.crt'",
        "ETCD_KEY_FILE='/etc/etcd/pki/member.key'",
        "ETCD_PEER_CLIENT_CERT_AUTH='true'",
        "ETCD_PEER_TRUSTED_CA_FILE='/etc/etcd/pki/ca.crt'",
        "ETCD_PEER_CERT_FILE='/etc/etcd/pki/member.crt'",
        "ETCD_PEER_KEY_FILE='/etc/etcd/pki/member.key'",
        "",
      ].join("\n"),
    );
  });
});

describe("etcd.env in an etcd member's user data", () => {
  it("is member main-1 of aws-ha's main cluster, with the member certificate for clients and peers", () => {
    const ha = awsHa();
    const environment = parseEnvironmentFile(writtenFile(parseUserData(etcdMemberUserData(ha, "main", 1)), ETCD_ENV).content);
    expect(environment).toMatchObject({
      ETCD_NAME: "main-1",
      ETCD_DATA_DIR: ETCD_DATA_DIR,
      ETCD_ADVERTISE_CLIENT_URLS: "https://10.0.32.10:2379",
      ETCD_INITIAL_CLUSTER: "main-0=https://10.0.0.10:2380,main-1=https://10.0.32.10:2380,main-2=https://10.0.64.10:2380",
      ETCD_INITIAL_CLUSTER_TOKEN: "prod-usw2-main",
      ETCD_INITIAL_CLUSTER_STATE: "new",
      ETCD_TRUSTED_CA_FILE: ETCD_PKI_FILES.caCert,
      ETCD_CERT_FILE: ETCD_PKI_FILES.memberCert,
      ETCD_KEY_FILE: ETCD_PKI_FILES.memberKey,
      ETCD_PEER_TRUSTED_CA_FILE: ETCD_PKI_FILES.caCert,
      ETCD_PEER_CERT_FILE: ETCD_PKI_FILES.memberCert,
      ETCD_PEER_KEY_FILE: ETCD_PKI_FILES.memberKey,
    });
  });

  it("keeps the events cluster apart from main: its own members and token", () => {
    const environment = parseEnvironmentFile(writtenFile(parseUserData(etcdMemberUserData(awsHa(), "events", 2)), ETCD_ENV).content);
    expect(environment).toMatchObject({
      ETCD_NAME: "events-2",
      ETCD_INITIAL_CLUSTER: "events-0=https://10.0.0.18:2380,events-1=https://10.0.32.18:2380,events-2=https://10.0.64.18:2380",
      ETCD_INITIAL_CLUSTER_TOKEN: "prod-usw2-events",
    });
  });
});
