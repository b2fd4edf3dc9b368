/**
 * What each cluster's state backend says, as the UI shows it: the applied spec, the lock holder
 * and, where the backend keeps versions, the history of applied specs. Read through lib/state,
 * as `k2 plan` and `k2 state` read it, and cached: pages never wait on a backend they already
 * asked, and the watcher refreshes the cache in the background.
 */
import { relative } from "node:path";
import { describeBackend, stateBackendConfig } from "../state/backend";
import { stateClient, type StateClient } from "../state/clients";
import type { LockStatus } from "../state/lock";
import { appliedSpecFromState, parseTerraformState, type AppliedSpec } from "../state/terraform-state";
import { describeValues, planCluster, type PlanChange } from "../plan";
import type { Cluster } from "../spec";

export interface AppliedVersion {
  readonly versionId: string;
  readonly lastModified?: string;
  readonly isLatest: boolean;
  readonly serial?: number;
  readonly specHash?: string;
  readonly kubernetesVersion?: string;
  /** Why this version's spec cannot be read (a delete marker, a state of another shape). */
  readonly note?: string;
  /**
   * What this version's spec changed from the next older version that has one, as `k2 plan`
   * plans it; absent for the oldest version listed (nothing to compare with).
   */
  readonly changes?: readonly AppliedChange[];
}

/** One change between two applied specs: only spec paths and values, never anything else from the state. */
export interface AppliedChange {
  readonly path: string;
  readonly impact: PlanChange["impact"];
  /** "4 → 5", or one line per inner field that changed. */
  readonly values: readonly string[];
}

export type AppliedHistory =
  | { readonly kept: true; readonly versions: readonly AppliedVersion[] }
  | { readonly kept: false; readonly reason: string };

export interface ClusterStateView {
  readonly backend: string;
  readonly backendType: Cluster["spec"]["state"]["backend"];
  readonly applied?: AppliedSpec;
  /** The state could not be read: why (never a credential). */
  readonly appliedError?: string;
  readonly lock?: LockStatus;
  readonly lockError?: string;
  readonly history: AppliedHistory;
  readonly checkedAt: string;
}

export type StateClientFactory = (cluster: Cluster, baseDir: string) => StateClient;

const defaultFactory: StateClientFactory = (cluster, baseDir) => stateClient(stateBackendConfig(cluster, baseDir));

const HISTORY_LIMIT = 20;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What `newer` changed from `older`, as `k2 plan` plans it. */
function changesBetween(older: Cluster, newer: Cluster): AppliedChange[] {
  return planCluster({ next: newer, previous: { cluster: older, source: "state", location: "the previous version" } }).changes.map((change) => ({ path: change.path, impact: change.impact, values: describeValues(change) }));
}

async function readHistory(client: StateClient, backendType: string): Promise<AppliedHistory> {
  if (!client.listVersions) {
    return { kept: false, reason: `the ${backendType} backend keeps only the current state, so only the last applied spec is known (an s3 backend on a versioned bucket keeps every version)` };
  }
  const listed = await client.listVersions(HISTORY_LIMIT);
  // Only what the page shows is kept: serial, hash, version and the spec's changes. The state's
  // text (resources, sensitive attributes) is dropped here and never reaches a page.
  const read = listed.map((version): { view: AppliedVersion; cluster?: Cluster } => {
    const base = { versionId: version.versionId, isLatest: version.isLatest, ...(version.lastModified ? { lastModified: version.lastModified } : {}) };
    if (version.text === undefined) return { view: { ...base, note: "deleted" } };
    try {
      const state = parseTerraformState(version.text, `version ${version.versionId}`);
      const applied = appliedSpecFromState(state, `version ${version.versionId}`);
      if (!applied) return { view: { ...base, serial: state.serial, note: "no applied spec in this version" } };
      return { view: { ...base, serial: applied.serial, specHash: applied.hash, kubernetesVersion: applied.cluster.spec.kubernetes.version }, cluster: applied.cluster };
    } catch (error) {
      return { view: { ...base, note: messageOf(error) } };
    }
  });
  return {
    kept: true,
    versions: read.map(({ view, cluster }, index) => {
      const older = read.slice(index + 1).find((candidate) => candidate.cluster !== undefined)?.cluster;
      if (!cluster || !older) return view;
      try {
        return { ...view, changes: changesBetween(older, cluster) };
      } catch (error) {
        return { ...view, note: `cannot compare with the previous version: ${messageOf(error)}` };
      }
    }),
  };
}

/**
 * Reads one cluster's state view; never throws: what fails is reported in the view. The history
 * of `previous` (the last view) is kept while the applied state is the same one (serial and spec
 * hash): versions only come with a new state, and listing them reads every version's whole state.
 */
export async function readClusterState(cluster: Cluster, baseDir: string, factory: StateClientFactory = defaultFactory, previous?: ClusterStateView): Promise<ClusterStateView> {
  const backendType = cluster.spec.state.backend;
  const config = stateBackendConfig(cluster, baseDir);
  // A local state file is shown relative to the UI's directory, as the spec names it.
  const backend = config.type === "local" ? `local file ${relative(baseDir, config.path) || config.path}` : describeBackend(config);
  let client: StateClient;
  try {
    client = factory(cluster, baseDir);
  } catch (error) {
    const message = messageOf(error);
    return { backend, backendType, appliedError: message, lockError: message, history: { kept: false, reason: message }, checkedAt: new Date().toISOString() };
  }
  let applied: AppliedSpec | undefined;
  let appliedError: string | undefined;
  let lock: LockStatus | undefined;
  let lockError: string | undefined;
  let history: AppliedHistory;
  try {
    try {
      const text = await client.readState();
      applied = text === undefined ? undefined : appliedSpecFromState(parseTerraformState(text, client.description), client.description);
    } catch (error) {
      appliedError = messageOf(error);
    }
    try {
      lock = await client.lockStatus();
    } catch (error) {
      lockError = messageOf(error);
    }
    const unchanged =
      previous?.history.kept === true &&
      appliedError === undefined &&
      previous.appliedError === undefined &&
      previous.applied?.serial === applied?.serial &&
      previous.applied?.hash === applied?.hash;
    if (unchanged) {
      history = previous.history;
    } else {
      try {
        history = await readHistory(client, backendType);
      } catch (error) {
        history = { kept: false, reason: `cannot list the state's versions: ${messageOf(error)}` };
      }
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  return {
    backend,
    backendType,
    ...(applied ? { applied } : {}),
    ...(appliedError === undefined ? {} : { appliedError }),
    ...(lock ? { lock } : {}),
    ...(lockError === undefined ? {} : { lockError }),
    history,
    checkedAt: new Date().toISOString(),
  };
}

/** The last view of each cluster's state, by cluster name and backend. */
export class StateCache {
  private readonly views = new Map<string, { key: string; view: ClusterStateView }>();
  private readonly pending = new Map<string, Promise<ClusterStateView>>();

  constructor(
    private readonly baseDir: string,
    private readonly factory: StateClientFactory = defaultFactory,
  ) {}

  private static keyOf(cluster: Cluster): string {
    return JSON.stringify(cluster.spec.state);
  }

  /** The cached view, if the cluster's backend has not changed since it was read. */
  peek(cluster: Cluster): ClusterStateView | undefined {
    const entry = this.views.get(cluster.metadata.name);
    return entry?.key === StateCache.keyOf(cluster) ? entry.view : undefined;
  }

  /** The cached view, or a fresh one when there is none. */
  async get(cluster: Cluster): Promise<ClusterStateView> {
    return this.peek(cluster) ?? this.refresh(cluster);
  }

  /** Reads the backend again (one read at a time per cluster). */
  refresh(cluster: Cluster): Promise<ClusterStateView> {
    const name = cluster.metadata.name;
    const running = this.pending.get(name);
    if (running) return running;
    const read = readClusterState(cluster, this.baseDir, this.factory, this.peek(cluster))
      .then((view) => {
        this.views.set(name, { key: StateCache.keyOf(cluster), view });
        return view;
      })
      .finally(() => this.pending.delete(name));
    this.pending.set(name, read);
    return read;
  }
}
