/** A cluster's state backend, as k2 reads it: the state document, and its lock. */
import type { LockStatus } from "../lock";

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
  close(): Promise<void>;
}

export class StateAccessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StateAccessError";
  }
}
