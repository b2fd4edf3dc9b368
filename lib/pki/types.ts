/** Public shapes of the PKI module: PEM in, PEM out, so callers can store them anywhere. */

/** A certificate authority: its self-signed certificate and the PKCS#8 private key that signs with it. */
export interface CertificateAuthority {
  /** PEM "CERTIFICATE", ending with a newline. */
  readonly certificatePem: string;
  /** PEM PKCS#8 "PRIVATE KEY" (ECDSA P-256), ending with a newline. */
  readonly privateKeyPem: string;
}

/** A leaf certificate signed by a {@link CertificateAuthority}, with its own private key. */
export interface IssuedCertificate {
  /** PEM "CERTIFICATE", ending with a newline. */
  readonly certificatePem: string;
  /** PEM PKCS#8 "PRIVATE KEY" (ECDSA P-256), ending with a newline. */
  readonly privateKeyPem: string;
}

/** What a leaf certificate is for: `server` adds the serverAuth extended key usage, `client` adds clientAuth. */
export type CertificateUsage = "server" | "client";

export interface CaOptions {
  /** Subject CN, e.g. "kubernetes", "etcd-ca". */
  readonly commonName: string;
  /**
   * Subject O.
   * @default - no organization
   */
  readonly organization?: string;
  /** Days from issue (less 5 minutes of clock skew) until the CA expires; kubeadm uses 3650. */
  readonly validityDays: number;
}

export interface CertificateOptions {
  /** Subject CN; Kubernetes reads it as the user name (e.g. "system:node:worker-1"). */
  readonly commonName: string;
  /**
   * Subject O entries; Kubernetes reads them as groups (e.g. "system:masters").
   * @default - no organization
   */
  readonly organizations?: readonly string[];
  /**
   * DNS subject alternative names; a leading "*." label is allowed.
   * @default - none
   */
  readonly dnsNames?: readonly string[];
  /**
   * IP subject alternative names, IPv4 or IPv6 literals (no zone index).
   * @default - none
   */
  readonly ipAddresses?: readonly string[];
  /** At least one; a server certificate also needs a DNS name or an IP address. */
  readonly usages: readonly CertificateUsage[];
  /** Days from issue (less 5 minutes of clock skew) until the certificate expires; kubeadm uses 365. */
  readonly validityDays: number;
}

/** What a certificate says about itself, read from its PEM. */
export interface CertificateInfo {
  /** RFC 4514-style subject, e.g. "CN=kube-apiserver, O=kraken". */
  readonly subject: string;
  readonly issuer: string;
  readonly dnsNames: readonly string[];
  /** IP subject alternative names, IPv6 in RFC 5952 form. */
  readonly ipAddresses: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** True when BasicConstraints says CA:TRUE. */
  readonly isCa: boolean;
  /** Lowercase hex, no leading 00 byte. */
  readonly serialNumber: string;
}

/** A key pair for signing (e.g. Kubernetes service-account tokens). */
export interface SigningKeyPair {
  /** PEM SPKI "PUBLIC KEY", ending with a newline. */
  readonly publicKeyPem: string;
  /** PEM PKCS#8 "PRIVATE KEY", ending with a newline. */
  readonly privateKeyPem: string;
}
