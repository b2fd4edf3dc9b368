/** Leaf certificates (servers, clients, etcd peers) signed by a certificate authority. */
import { x509 } from "./x509";
import { loadCertificateAuthority } from "./authority";
import { SIGNING_ALGORITHM } from "./crypto";
import { throwIfProblems } from "./errors";
import { randomSerialNumber, subjectName, validityPeriod } from "./fields";
import { toSanIpValue } from "./ip";
import { generateEcKeyPair, privateKeyToPem } from "./keys";
import { toPem } from "./pem";
import type { CertificateAuthority, CertificateOptions, CertificateUsage, IssuedCertificate } from "./types";
import { validateCertificateOptions } from "./validate";

const EXTENDED_KEY_USAGES: Readonly<Record<CertificateUsage, x509.ExtendedKeyUsage>> = {
  server: x509.ExtendedKeyUsage.serverAuth,
  client: x509.ExtendedKeyUsage.clientAuth,
};

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function subjectAlternativeNames(options: CertificateOptions): x509.JsonGeneralName[] {
  return [
    ...unique(options.dnsNames ?? []).map((value): x509.JsonGeneralName => ({ type: "dns", value })),
    ...unique((options.ipAddresses ?? []).map(toSanIpValue)).map((value): x509.JsonGeneralName => ({ type: "ip", value })),
  ];
}

/** The CA's own SubjectKeyIdentifier, so chain builders can match issuer and subject by key id. */
async function authorityKeyIdentifier(caCertificate: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  const subjectKeyId = caCertificate.getExtension(x509.SubjectKeyIdentifierExtension);
  return subjectKeyId ? new x509.AuthorityKeyIdentifierExtension(subjectKeyId.keyId) : x509.AuthorityKeyIdentifierExtension.create(caCertificate.publicKey);
}

/**
 * Issues an ECDSA P-256 leaf certificate signed by `ca`: BasicConstraints CA:FALSE, KeyUsage digitalSignature and
 * keyEncipherment (critical; the pair kubeadm sets), ExtendedKeyUsage from `usages`, SANs, key identifiers and a
 * random 128-bit serial.
 * @throws PkiInputError listing every bad option, or when the CA's key does not match its certificate
 */
export async function issueCertificate(ca: CertificateAuthority, options: CertificateOptions): Promise<IssuedCertificate> {
  throwIfProblems(validateCertificateOptions(options));
  const authority = await loadCertificateAuthority(ca);
  const keys = await generateEcKeyPair();
  const names = subjectAlternativeNames(options);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(unique(options.usages).map((usage) => EXTENDED_KEY_USAGES[usage])),
    await authorityKeyIdentifier(authority.certificate),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: subjectName(options.commonName, options.organizations),
    issuer: authority.certificate.subjectName,
    ...validityPeriod(options.validityDays),
    publicKey: keys.publicKey,
    signingKey: authority.signingKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
  return { certificatePem: toPem(certificate.rawData, "CERTIFICATE"), privateKeyPem: await privateKeyToPem(keys.privateKey) };
}
