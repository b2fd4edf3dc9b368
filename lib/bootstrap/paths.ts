/** Where bootstrap puts things on a machine; secrets, scripts and docs/debugging.md agree on these. */

export const KRAKEN_DIR = "/etc/kraken";
export const KRAKEN_LIB_DIR = "/usr/local/lib/kraken";
/** Runtime files (secrets, rendered configs): tmpfs, gone at reboot. */
export const KRAKEN_RUN_DIR = "/run/kraken";
export const BOOTSTRAP_LOG = "/var/log/kraken-bootstrap.log";

export const CLUSTER_ENV = `${KRAKEN_DIR}/cluster.env`;

export const KUBERNETES_PKI = "/etc/kubernetes/pki";
export const KUBERNETES_PKI_FILES = {
  caCert: `${KUBERNETES_PKI}/ca.crt`,
  caKey: `${KUBERNETES_PKI}/ca.key`,
  frontProxyCaCert: `${KUBERNETES_PKI}/front-proxy-ca.crt`,
  frontProxyCaKey: `${KUBERNETES_PKI}/front-proxy-ca.key`,
  serviceAccountKey: `${KUBERNETES_PKI}/sa.key`,
  serviceAccountPub: `${KUBERNETES_PKI}/sa.pub`,
  etcdCaCert: `${KUBERNETES_PKI}/etcd/ca.crt`,
  etcdClientCert: `${KUBERNETES_PKI}/apiserver-etcd-client.crt`,
  etcdClientKey: `${KUBERNETES_PKI}/apiserver-etcd-client.key`,
} as const;

export const ETCD_PKI = "/etc/etcd/pki";
export const ETCD_PKI_FILES = {
  caCert: `${ETCD_PKI}/ca.crt`,
  /** One certificate per member, for clients (server auth) and peers (server and client auth). */
  memberCert: `${ETCD_PKI}/member.crt`,
  memberKey: `${ETCD_PKI}/member.key`,
} as const;

/** etcd's data directory, on the member's own data volume. */
export const ETCD_DATA_DIR = "/var/lib/etcd/data";
export const ETCD_DATA_MOUNT = "/var/lib/etcd";
export const ETCD_ENV = "/etc/etcd/etcd.env";

/**
 * MAAS: the machine's response-wrapped, single-use AppRole secret ID, as Terraform put it in user
 * data (0600). fetch_secret deletes it once read; docs/vault.md.
 */
export const VAULT_WRAPPED_SECRET_ID_FILE = `${KRAKEN_DIR}/vault-secret-id.wrapped`;
/** MAAS: the CA certificate that signs Vault's TLS certificate (provider.maas.vault.caCertPath), when set. */
export const VAULT_CA_FILE = `${KRAKEN_DIR}/vault-ca.pem`;
