/**
 * The fleet overview and the cluster model, as plain data: what the pages show and what tests
 * assert on. The plan comes from the same engine as `k2 plan`, against the applied spec.
 */
import { planCluster, type ClusterPlan } from "../plan";
import type { Cluster } from "../spec";
import type { LockHolder } from "../state/lock";
import type { ClusterStateView } from "./state-view";
import type { ClusterEntry } from "./workspace";

export interface PoolRow {
  readonly name: string;
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
}

export type AppliedStatus =
  | { readonly kind: "in-sync"; readonly serial: number }
  | { readonly kind: "differs"; readonly serial: number; readonly changes: number; readonly blocked: number }
  | { readonly kind: "never-applied" }
  | { readonly kind: "unknown"; readonly reason: string };

export interface ClusterRow {
  readonly name: string;
  readonly file: string;
  readonly valid: boolean;
  readonly problems: number;
  readonly provider?: "aws" | "maas";
  /** The AWS region, or the MAAS site (its API host). */
  readonly where?: string;
  readonly kubernetesVersion?: string;
  readonly etcd: readonly { readonly name: string; readonly members: number }[];
  readonly controlPlaneReplicas?: number;
  readonly pools: readonly PoolRow[];
  readonly backend?: string;
  readonly applied: AppliedStatus;
  readonly lock?: LockHolder;
  readonly lockError?: string;
}

export function maasSite(apiUrl: string): string {
  try {
    return new URL(apiUrl).hostname;
  } catch {
    return apiUrl;
  }
}

/** The plan of the working spec against the applied one (or as a new cluster), with `k2 plan`'s engine. */
export function planAgainstState(cluster: Cluster, state: ClusterStateView | undefined): ClusterPlan {
  const applied = state?.applied;
  return planCluster({ next: cluster, ...(applied ? { previous: { cluster: applied.cluster, source: "state", location: `${state.backend}, serial ${applied.serial}` } } : {}) });
}

export function appliedStatus(cluster: Cluster, state: ClusterStateView | undefined): AppliedStatus {
  if (!state) return { kind: "unknown", reason: "not read yet" };
  if (state.appliedError !== undefined) return { kind: "unknown", reason: state.appliedError };
  if (!state.applied) return { kind: "never-applied" };
  const plan = planAgainstState(cluster, state);
  if (plan.changes.length === 0) return { kind: "in-sync", serial: state.applied.serial };
  return { kind: "differs", serial: state.applied.serial, changes: plan.changes.length, blocked: plan.summary.blocked };
}

export function clusterRow(entry: ClusterEntry, state: ClusterStateView | undefined): ClusterRow {
  const base = { name: entry.name, file: entry.file, valid: entry.cluster !== undefined, problems: entry.problems.length };
  const cluster = entry.cluster;
  if (!cluster) return { ...base, etcd: [], pools: [], applied: { kind: "unknown", reason: "the spec is invalid" } };
  const { spec } = cluster;
  const aws = spec.provider.aws;
  const maas = spec.provider.maas;
  return {
    ...base,
    provider: aws ? "aws" : "maas",
    ...(aws ? { where: aws.region } : maas ? { where: maasSite(maas.apiUrl) } : {}),
    kubernetesVersion: spec.kubernetes.version,
    etcd: spec.etcd.map((etcd) => ({ name: etcd.name, members: etcd.members })),
    controlPlaneReplicas: spec.controlPlane.replicas,
    pools: spec.nodePools.map((pool) => ({ name: pool.name, minSize: pool.minSize, desiredSize: pool.desiredSize, maxSize: pool.maxSize })),
    ...(state ? { backend: state.backend } : {}),
    applied: appliedStatus(cluster, state),
    ...(state?.lock?.holder ? { lock: state.lock.holder } : {}),
    ...(state?.lockError === undefined ? {} : { lockError: state.lockError }),
  };
}
