/** Fields every certificate needs: validity period, serial number, subject name. */
import { webcrypto } from "node:crypto";
import { x509 } from "./x509";

/** Certificates start this far in the past, so hosts whose clocks run a little behind accept them at once. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface ValidityPeriod {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** notBefore = now less the clock skew (whole seconds, as X.509 stores them); notAfter = notBefore + validityDays. */
export function validityPeriod(validityDays: number, now: Date = new Date()): ValidityPeriod {
  const notBefore = new Date(Math.floor((now.getTime() - CLOCK_SKEW_MS) / 1000) * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + validityDays * DAY_MS) };
}

/**
 * A random 128-bit serial number as hex. @peculiar/x509 encodes it as a positive INTEGER
 * (prefixing 00 when the top bit is set); all-zero bytes are redrawn since 0 is not a valid serial.
 */
export function randomSerialNumber(): string {
  const bytes = new Uint8Array(16);
  do webcrypto.getRandomValues(bytes);
  while (bytes.every((byte) => byte === 0));
  return Buffer.from(bytes).toString("hex");
}

/**
 * Subject built from attribute values, never from a DN string, so a comma or "=" in a name stays data.
 * O before CN, in the order Go's crypto/x509 (and so kubeadm) writes them.
 */
export function subjectName(commonName: string, organizations: readonly string[] = []): x509.Name {
  return new x509.Name([...organizations.map((organization) => ({ O: [organization] })), { CN: [commonName] }]);
}
