import { createHash } from "node:crypto";
import type { Cluster } from "./types";

/** SHA-256 of a normalized spec's canonical JSON: the kraken_spec_hash output. */
export function specHash(spec: Cluster): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex");
}

/** JSON with object keys sorted, so the same spec always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
