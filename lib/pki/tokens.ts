/** kubeadm bootstrap tokens. */
import { randomInt } from "node:crypto";

const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Matches what kubeadm accepts: "[a-z0-9]{6}.[a-z0-9]{16}" (token id, then token secret). */
export const BOOTSTRAP_TOKEN_PATTERN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

function randomCharacters(length: number): string {
  // randomInt draws without modulo bias.
  return Array.from({ length }, () => TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)]).join("");
}

/**
 * A random bootstrap token, "abcdef.0123456789abcdef": 6-character id, ".", 16-character secret.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/bootstrap-tokens/#token-format
 */
export function generateBootstrapToken(): string {
  return `${randomCharacters(6)}.${randomCharacters(16)}`;
}
