/** Reading certificates back: what they say, when they expire, and kubeadm's CA discovery hash. */
import { createHash } from "node:crypto";
import { x509 } from "./x509";
import { formatIpAddress } from "./ip";
import { parseCertificate } from "./pem";
import type { CertificateInfo } from "./types";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Subject, issuer, SANs, validity, CA flag and serial number of the certificate in `certificatePem`. */
export function certificateInfo(certificatePem: string): CertificateInfo {
  const certificate = parseCertificate(certificatePem, "certificatePem");
  const names = certificate.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    dnsNames: names.filter((name) => name.type === "dns").map((name) => name.value),
    ipAddresses: names.filter((name) => name.type === "ip").map((name) => formatIpAddress(name.value)),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    isCa: certificate.getExtension(x509.BasicConstraintsExtension)?.ca === true,
    serialNumber: certificate.serialNumber.toLowerCase(),
  };
}

/** Whole days from `now` until the certificate expires, rounded down (negative once expired). */
export function daysUntilExpiry(certificatePem: string, now: Date = new Date()): number {
  const { notAfter } = parseCertificate(certificatePem, "certificatePem");
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

/**
 * kubeadm's CA public key pin, for `kubeadm join --discovery-token-ca-cert-hash`:
 * "sha256:" + hex SHA-256 of the certificate's DER SubjectPublicKeyInfo.
 * @see https://kubernetes.io/docs/reference/setup-tools/kubeadm/kubeadm-join/#token-based-discovery-with-ca-pinning
 */
export function caCertificateHash(certificatePem: string): string {
  const { publicKey } = parseCertificate(certificatePem, "certificatePem");
  return `sha256:${createHash("sha256").update(new Uint8Array(publicKey.rawData)).digest("hex")}`;
}
