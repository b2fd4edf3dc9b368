/** The algorithms every key and certificate here uses: ECDSA P-256 with SHA-256, through Node's WebCrypto. */
import { webcrypto } from "node:crypto";

export const subtle = webcrypto.subtle;

/** Key algorithm for every key this module makes: what kubeadm calls "ECDSA-P256". */
export const EC_KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;

/** Signature algorithm for certificates: ecdsa-with-SHA256. */
export const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;
