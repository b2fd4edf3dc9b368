/**
 * Cluster PKI without network or cdktf: ECDSA P-256 certificate authorities and leaf certificates,
 * service-account signing keys, kubeadm bootstrap tokens and CA hashes, all as PEM strings.
 */
export { createCertificateAuthority } from "./authority";
export { issueCertificate } from "./certificates";
export { PkiInputError } from "./errors";
export { caCertificateHash, certificateInfo, daysUntilExpiry } from "./inspect";
export { generateSigningKeyPair } from "./keys";
export { BOOTSTRAP_TOKEN_PATTERN, generateBootstrapToken } from "./tokens";
export type { CaOptions, CertificateAuthority, CertificateInfo, CertificateOptions, CertificateUsage, IssuedCertificate, SigningKeyPair } from "./types";
