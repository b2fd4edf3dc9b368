/** PEM in and out, with errors that say which input was wrong. */
import { x509 } from "./x509";
import { PkiInputError } from "./errors";

/** PEM text for DER bytes, ending with a newline (as openssl writes it). */
export function toPem(der: ArrayBuffer, label: "CERTIFICATE" | "PRIVATE KEY" | "PUBLIC KEY"): string {
  const pem = x509.PemConverter.encode(der, label).replace(/\r\n/g, "\n");
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}

/** DER bytes of the single `label` block in `pem`; `field` names the input in errors. */
export function fromPem(pem: unknown, label: string, field: string): ArrayBuffer {
  if (typeof pem !== "string" || !x509.PemConverter.isPem(pem)) {
    throw new PkiInputError([`${field} must be PEM text ("-----BEGIN ${label}-----"), got ${typeof pem === "string" ? `${pem.length} characters without a PEM block` : typeof pem}`]);
  }
  const blocks = x509.PemConverter.decodeWithHeaders(pem);
  const labels = blocks.map((block) => block.type);
  const block = blocks[0];
  if (blocks.length !== 1 || block?.type !== label) {
    throw new PkiInputError([`${field} must hold exactly one "${label}" PEM block, got ${labels.map((type) => `"${type}"`).join(", ")}`]);
  }
  return block.rawData;
}

/** The certificate in `pem`; `field` names the input in errors. */
export function parseCertificate(pem: unknown, field: string): x509.X509Certificate {
  const der = fromPem(pem, "CERTIFICATE", field);
  try {
    return new x509.X509Certificate(der);
  } catch (error) {
    throw new PkiInputError([`${field} is not a valid X.509 certificate: ${error instanceof Error ? error.message : String(error)}`]);
  }
}
