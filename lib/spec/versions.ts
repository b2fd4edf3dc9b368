/**
 * The one table of component versions kraken-lib supports. Validation, defaults, docs and
 * (later) the upgrade rules of the plan engine all read it; change versions here only.
 */

/** Kubernetes minors under upstream support, oldest first. Checked 2026-11 (1.34 reached end of life on 2026-10-27). */
export const SUPPORTED_KUBERNETES_MINORS = ["1.35", "1.36", "1.37"] as const;

/** etcd minors we render configuration for. */
export const SUPPORTED_ETCD_MINORS = ["3.5", "3.6"] as const;

/** Calico release installed as the pod network (spec.kubernetes.cni: calico): the latest patch of a maintained line, checked 2026-11. */
export const CALICO_VERSION = "3.32.2";

/** kube-vip release of the control-plane VIP on bare metal (provider.maas.controlPlaneEndpoint.vip), checked 2026-11. */
export const KUBE_VIP_VERSION = "1.0.4";

/** The etcd release installed when a spec does not pin one (v3.6.16, 2026-10-22). */
export const DEFAULT_ETCD_VERSION = "3.6.16";

/**
 * How many minors older than the control plane a kubelet may be (Kubernetes version skew
 * policy since 1.28). A pool newer than the control plane is never allowed.
 * @see https://kubernetes.io/releases/version-skew-policy/
 */
export const MAX_KUBELET_MINOR_SKEW = 3;

export interface MinorVersion {
  readonly major: number;
  readonly minor: number;
  /** Present when the version pins a patch release ("1.36.2"). */
  readonly patch?: number;
}

/** Parses "1.36" or "1.36.2"; undefined for anything else. */
export function parseVersion(version: string): MinorVersion | undefined {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(version);
  if (!match) return undefined;
  const [, major, minor, patch] = match;
  return {
    major: Number(major),
    minor: Number(minor),
    ...(patch === undefined ? {} : { patch: Number(patch) }),
  };
}

/** "1.36.2" → "1.36". */
export function minorOf(version: string): string | undefined {
  const parsed = parseVersion(version);
  return parsed && `${parsed.major}.${parsed.minor}`;
}

/** Minor distance b - a for two versions of the same major; undefined when they cannot be compared. */
export function minorDistance(a: string, b: string): number | undefined {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb || pa.major !== pb.major) return undefined;
  return pb.minor - pa.minor;
}

export function isSupportedKubernetesVersion(version: string): boolean {
  const minor = minorOf(version);
  return minor !== undefined && (SUPPORTED_KUBERNETES_MINORS as readonly string[]).includes(minor);
}

export function isSupportedEtcdVersion(version: string): boolean {
  const minor = minorOf(version);
  return minor !== undefined && (SUPPORTED_ETCD_MINORS as readonly string[]).includes(minor);
}
