/**
 * The log sinks' credentials on etcd hosts. Kubernetes nodes get them from a Secret the addons
 * stack fills; etcd hosts are not nodes, so their agent reads ETCD_HOST_CREDENTIALS_FILE, which
 * travels in the etcd cluster's own secret document like its certificates: written to the secret
 * store by `k2 secrets init` (or `k2 secrets logging` later) from the environment variables the
 * spec names, never from the spec, and materialized at boot before the agent starts.
 */
import { ETCD_HOST_CREDENTIALS_FILE, loggingSecretKeys } from "../addons/logging/fluent-bit";
import type { Cluster } from "../spec";
import type { SecretDocument, SecretFile } from "./document";

export { ETCD_HOST_CREDENTIALS_FILE };

/** A credential the spec names but the environment does not hold. */
export interface MissingCredential {
  readonly cluster: string;
  /** The spec field naming the variable. */
  readonly field: string;
  readonly variable: string;
  readonly what: string;
}

export type EtcdLoggingCredentials =
  /** The cluster's sinks need no credential (or logging is off): no file. */
  | { readonly kind: "none" }
  | { readonly kind: "file"; readonly file: SecretFile }
  | { readonly kind: "missing"; readonly missing: readonly MissingCredential[] };

/**
 * One value for a systemd EnvironmentFile line: in double quotes, where systemd undoes a
 * backslash before `\`, `"`, `$` and a backquote, and expands nothing. A newline cannot be carried.
 */
export function systemdEnvironmentValue(value: string): string {
  if (/[\n\r\0]/.test(value)) throw new Error("a credential for the log agent must not contain a newline or NUL");
  return `"${value.replace(/[\\"$`]/g, (character) => `\\${character}`)}"`;
}

/** The credentials file of `cluster`'s etcd hosts, from `env`; which variables are missing otherwise. */
export function etcdLoggingCredentials(cluster: Cluster, env: NodeJS.ProcessEnv): EtcdLoggingCredentials {
  const keys = cluster.spec.addons.logging.enabled ? loggingSecretKeys(cluster) : [];
  if (keys.length === 0) return { kind: "none" };
  const missing = keys
    .filter((key) => (env[key.env] ?? "") === "")
    .map((key) => ({ cluster: cluster.metadata.name, field: key.field, variable: key.env, what: key.what }));
  if (missing.length > 0) return { kind: "missing", missing };
  const content = keys.map((key) => `${key.containerEnv}=${systemdEnvironmentValue(env[key.env]!)}\n`).join("");
  return { kind: "file", file: { path: ETCD_HOST_CREDENTIALS_FILE, mode: "0600", content } };
}

/** One line per missing credential, for the CLI. */
export function describeMissingCredential(missing: MissingCredential): string {
  return `cluster ${missing.cluster}: ${missing.field} names the environment variable ${missing.variable} (${missing.what}), which is not set: etcd hosts' log agents need it in their secret; export ${missing.variable}=... and run again`;
}

/** `document` with its credentials file replaced by `file` (or removed, when undefined). */
export function withLoggingCredentials(document: SecretDocument, file: SecretFile | undefined): SecretDocument {
  const files = document.files.filter((entry) => entry.path !== ETCD_HOST_CREDENTIALS_FILE);
  return { ...document, files: file ? [...files, file] : files };
}
