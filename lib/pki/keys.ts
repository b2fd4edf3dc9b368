/** ECDSA P-256 key pairs: making them, writing them as PEM, reading a CA's key back. */
import { createPrivateKey, createPublicKey, type KeyObject, type webcrypto } from "node:crypto";
import type { x509 } from "./x509";
import { EC_KEY_ALGORITHM, subtle } from "./crypto";
import { PkiInputError } from "./errors";
import { fromPem, toPem } from "./pem";
import type { SigningKeyPair } from "./types";

/** A fresh extractable ECDSA P-256 key pair. */
export async function generateEcKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return subtle.generateKey(EC_KEY_ALGORITHM, true, ["sign", "verify"]);
}

/** PKCS#8 "PRIVATE KEY" PEM. */
export async function privateKeyToPem(key: webcrypto.CryptoKey): Promise<string> {
  return toPem(await subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

/** SPKI "PUBLIC KEY" PEM. */
export async function publicKeyToPem(key: webcrypto.CryptoKey): Promise<string> {
  return toPem(await subtle.exportKey("spki", key), "PUBLIC KEY");
}

/**
 * A key pair for signing Kubernetes service-account tokens (ES256): PEM SPKI public key and PKCS#8 private key,
 * for kube-apiserver's --service-account-key-file and --service-account-signing-key-file.
 */
export async function generateSigningKeyPair(): Promise<SigningKeyPair> {
  const keys = await generateEcKeyPair();
  return { publicKeyPem: await publicKeyToPem(keys.publicKey), privateKeyPem: await privateKeyToPem(keys.privateKey) };
}

function readPrivateKey(pem: unknown, field: string): KeyObject {
  const der = fromPem(pem, "PRIVATE KEY", field);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
  } catch (error) {
    throw new PkiInputError([`${field} is not a valid PKCS#8 private key: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== "ec" || curve !== "prime256v1") {
    const kind = key.asymmetricKeyType === "ec" ? `EC curve "${curve ?? "unknown"}"` : `key type "${key.asymmetricKeyType ?? "unknown"}"`;
    throw new PkiInputError([`${field} must be an ECDSA P-256 key, got ${kind}`]);
  }
  return key;
}

/**
 * The signing key in `privateKeyPem`, after checking it is the key of `certificate`
 * (a CA whose key and certificate disagree would issue certificates nobody can verify).
 */
export async function importMatchingSigningKey(privateKeyPem: unknown, certificate: x509.X509Certificate, fields: { key: string; certificate: string }): Promise<webcrypto.CryptoKey> {
  const key = readPrivateKey(privateKeyPem, fields.key);
  const keySpki = createPublicKey(key).export({ format: "der", type: "spki" });
  if (!keySpki.equals(Buffer.from(certificate.publicKey.rawData))) {
    throw new PkiInputError([`${fields.key} does not match the public key of ${fields.certificate} (subject "${certificate.subject}")`]);
  }
  return subtle.importKey("pkcs8", key.export({ format: "der", type: "pkcs8" }), EC_KEY_ALGORITHM, false, ["sign"]);
}
