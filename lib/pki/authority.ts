/** Certificate authorities: making a self-signed one, and loading one back to sign with. */
import type { webcrypto } from "node:crypto";
import { x509 } from "./x509";
import { SIGNING_ALGORITHM } from "./crypto";
import { PkiInputError, throwIfProblems } from "./errors";
import { randomSerialNumber, subjectName, validityPeriod } from "./fields";
import { generateEcKeyPair, importMatchingSigningKey, privateKeyToPem } from "./keys";
import { parseCertificate, toPem } from "./pem";
import type { CaOptions, CertificateAuthority } from "./types";
import { validateCaOptions } from "./validate";

/** A self-signed ECDSA P-256 CA: BasicConstraints CA:TRUE and KeyUsage keyCertSign, cRLSign, digitalSignature (both critical). */
export async function createCertificateAuthority(options: CaOptions): Promise<CertificateAuthority> {
  throwIfProblems(validateCaOptions(options));
  const keys = await generateEcKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: subjectName(options.commonName, options.organization === undefined ? [] : [options.organization]),
    ...validityPeriod(options.validityDays),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: toPem(certificate.rawData, "CERTIFICATE"), privateKeyPem: await privateKeyToPem(keys.privateKey) };
}

/** A CA ready to sign: its parsed certificate and its private key as a WebCrypto signing key. */
export interface LoadedAuthority {
  readonly certificate: x509.X509Certificate;
  readonly signingKey: webcrypto.CryptoKey;
}

/** Parses and checks `ca`: a CA certificate, still valid at `now`, whose private key matches it. */
export async function loadCertificateAuthority(ca: CertificateAuthority, now: Date = new Date()): Promise<LoadedAuthority> {
  const certificate = parseCertificate(ca.certificatePem, "ca.certificatePem");
  const problems: string[] = [];
  const subject = `subject "${certificate.subject}"`;
  if (certificate.getExtension(x509.BasicConstraintsExtension)?.ca !== true) {
    problems.push(`ca.certificatePem is not a CA certificate (no BasicConstraints CA:TRUE), ${subject}`);
  }
  const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && (keyUsage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    problems.push(`ca.certificatePem may not sign certificates (KeyUsage lacks keyCertSign), ${subject}`);
  }
  if (certificate.notAfter.getTime() <= now.getTime()) {
    problems.push(`ca.certificatePem expired at ${certificate.notAfter.toISOString()}, ${subject}`);
  }
  throwIfProblems(problems);
  try {
    const signingKey = await importMatchingSigningKey(ca.privateKeyPem, certificate, { key: "ca.privateKeyPem", certificate: "ca.certificatePem" });
    return { certificate, signingKey };
  } catch (error) {
    if (error instanceof PkiInputError) throw error;
    throw new PkiInputError([`ca.privateKeyPem could not be loaded: ${error instanceof Error ? error.message : String(error)}`]);
  }
}
