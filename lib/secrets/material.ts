/**
 * A cluster's secret material: certificate authorities, the certificates etcd and the API
 * server need, the service-account key pair and the bootstrap token, laid out as one secret
 * document per machine role. Generated on the admin's machine by `k2 secrets init`; never part
 * of user data, of the synthesized Terraform, or of its state.
 */
import type { EtcdClusterTopology } from "../bootstrap";
import { ETCD_PKI_FILES, KUBERNETES_PKI_FILES } from "../bootstrap";
import {
  caCertificateHash,
  createCertificateAuthority,
  generateBootstrapToken,
  generateSigningKeyPair,
  issueCertificate,
  type CertificateAuthority,
} from "../pki";
import type { Cluster } from "../spec";
import type { SecretDocument, SecretFile } from "./document";
import { clusterSecretNames } from "./names";

export interface ClusterSecret {
  readonly name: string;
  readonly description: string;
  /** Which machines read it ("admins only" for the authority). */
  readonly readers: string;
  readonly document: SecretDocument;
}

const publicFile = (path: string, content: string, member?: string): SecretFile => ({ path, mode: "0644", content, ...(member === undefined ? {} : { member }) });
const privateFile = (path: string, content: string, member?: string): SecretFile => ({ path, mode: "0600", content, ...(member === undefined ? {} : { member }) });

/**
 * Every secret of a cluster, freshly generated. `etcdHostFiles` go into every etcd cluster's
 * secret too: the log sinks' credentials (logging.ts), which come from the admin's environment.
 */
export async function generateClusterSecrets(cluster: Cluster, etcd: readonly EtcdClusterTopology[], etcdHostFiles: readonly SecretFile[] = []): Promise<ClusterSecret[]> {
  const clusterName = cluster.metadata.name;
  // Validities come from spec.certificates; `k2 certs check` warns before etcd's certificates end.
  const caValidityDays = cluster.spec.certificates.caValidityDays;
  const leafValidityDays = cluster.spec.certificates.etcdValidityDays;
  const names = clusterSecretNames(clusterName, etcd.map((e) => e.name));
  const kubernetesCa = await createCertificateAuthority({ commonName: "kubernetes", organization: `kraken ${clusterName}`, validityDays: caValidityDays });
  const frontProxyCa = await createCertificateAuthority({ commonName: "front-proxy-ca", organization: `kraken ${clusterName}`, validityDays: caValidityDays });
  // One etcd CA for all of the cluster's etcd clusters: the API server has a single etcd client
  // certificate, which every etcd cluster (main, events, ...) must accept.
  const etcdCa = await createCertificateAuthority({ commonName: "etcd-ca", organization: `kraken ${clusterName}`, validityDays: caValidityDays });
  const serviceAccount = await generateSigningKeyPair();
  const apiServerEtcdClient = await issueCertificate(etcdCa, {
    commonName: "kube-apiserver-etcd-client",
    usages: ["client"],
    validityDays: leafValidityDays,
  });
  const bootstrapToken = generateBootstrapToken();
  const caCertHash = caCertificateHash(kubernetesCa.certificatePem);
  const joinValues = { BOOTSTRAP_TOKEN: bootstrapToken, CA_CERT_HASH: caCertHash };

  const secrets: ClusterSecret[] = [
    {
      name: names.authority,
      description: `kraken cluster ${clusterName}: certificate authorities and signing keys (admins only)`,
      readers: "admins only",
      document: authorityDocument({ kubernetesCa, frontProxyCa, etcdCa, serviceAccount }),
    },
    {
      name: names.controlPlane,
      description: `kraken cluster ${clusterName}: what control-plane nodes need to run kubeadm`,
      readers: "control-plane nodes",
      document: {
        files: [
          publicFile(KUBERNETES_PKI_FILES.caCert, kubernetesCa.certificatePem),
          privateFile(KUBERNETES_PKI_FILES.caKey, kubernetesCa.privateKeyPem),
          publicFile(KUBERNETES_PKI_FILES.frontProxyCaCert, frontProxyCa.certificatePem),
          privateFile(KUBERNETES_PKI_FILES.frontProxyCaKey, frontProxyCa.privateKeyPem),
          privateFile(KUBERNETES_PKI_FILES.serviceAccountKey, serviceAccount.privateKeyPem),
          publicFile(KUBERNETES_PKI_FILES.serviceAccountPub, serviceAccount.publicKeyPem),
          publicFile(KUBERNETES_PKI_FILES.etcdCaCert, etcdCa.certificatePem),
          publicFile(KUBERNETES_PKI_FILES.etcdClientCert, apiServerEtcdClient.certificatePem),
          privateFile(KUBERNETES_PKI_FILES.etcdClientKey, apiServerEtcdClient.privateKeyPem),
        ],
        values: joinValues,
      },
    },
    {
      name: names.workers,
      description: `kraken cluster ${clusterName}: the bootstrap token workers join with`,
      readers: "workers",
      document: { files: [], values: joinValues },
    },
  ];

  for (const etcdCluster of etcd) {
    const files: SecretFile[] = [publicFile(ETCD_PKI_FILES.caCert, etcdCa.certificatePem)];
    for (const member of etcdCluster.members) {
      const certificate = await issueCertificate(etcdCa, {
        commonName: member.name,
        ...memberNames(member.host),
        usages: ["server", "client"],
        validityDays: leafValidityDays,
      });
      files.push(publicFile(ETCD_PKI_FILES.memberCert, certificate.certificatePem, member.name));
      files.push(privateFile(ETCD_PKI_FILES.memberKey, certificate.privateKeyPem, member.name));
    }
    secrets.push({
      name: names.etcd[etcdCluster.name]!,
      description: `kraken cluster ${clusterName}: certificates of the members of etcd cluster ${etcdCluster.name}`,
      readers: `etcd cluster ${etcdCluster.name}`,
      document: { files: [...files, ...etcdHostFiles], values: {} },
    });
  }
  return secrets;
}

/** A member answers on its address (or DNS name) and on loopback, for etcdctl on the member itself. */
function memberNames(host: string): { dnsNames: string[]; ipAddresses: string[] } {
  const isIp = /^[0-9.]+$/.test(host) || host.includes(":");
  return { dnsNames: ["localhost", ...(isIp ? [] : [host])], ipAddresses: ["127.0.0.1", ...(isIp ? [host] : [])] };
}

function authorityDocument(parts: {
  kubernetesCa: CertificateAuthority;
  frontProxyCa: CertificateAuthority;
  etcdCa: CertificateAuthority;
  serviceAccount: { publicKeyPem: string; privateKeyPem: string };
}): SecretDocument {
  return {
    files: [
      publicFile("kubernetes-ca.crt", parts.kubernetesCa.certificatePem),
      privateFile("kubernetes-ca.key", parts.kubernetesCa.privateKeyPem),
      publicFile("front-proxy-ca.crt", parts.frontProxyCa.certificatePem),
      privateFile("front-proxy-ca.key", parts.frontProxyCa.privateKeyPem),
      publicFile("etcd-ca.crt", parts.etcdCa.certificatePem),
      privateFile("etcd-ca.key", parts.etcdCa.privateKeyPem),
      publicFile("sa.pub", parts.serviceAccount.publicKeyPem),
      privateFile("sa.key", parts.serviceAccount.privateKeyPem),
    ],
    values: {},
  };
}
