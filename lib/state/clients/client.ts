/** A cluster's state backend, as k2 reads it: the state document, and its lock. */
import type { LockStatus } from "../lock";

/** One stored version of a state document, in a backend that keeps versions (S3 versioning). */
export interface StateVersion {
  readonly versionId: string;
  /** ISO time the version was written. */
  readonly lastModified?: string;
  readonly isLatest: boolean;
  /** The version's text; undefined for a delete marker. */
  readonly text?: string;
}

export interface StateClient {
  /** For messages: where the state is. */
  readonly description: string;
  /** The state document's text, or undefined when the cluster has no state yet. */
  readState(): Promise<string | undefined>;
  lockStatus(): Promise<LockStatus>;
  /**
   * Releases the lock held under `lockId`; refuses (throws) when the lock is held under another
   * id or not held. Returns what was done, for the admin.
   */
  unlock(lockId: string): Promise<string>;
  /**
   * The state's stored versions, newest first, at most `limit`; absent on backends that keep
   * only the current state (local, pg, kubernetes).
   */
  listVersions?(limit: number): Promise<StateVersion[]>;
  close(): Promise<void>;
}

export class StateAccessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StateAccessError";
  }
}
