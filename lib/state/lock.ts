/** Who holds a cluster's state lock, and how to release a lock that outlived its holder. */
import type { StateBackendConfig } from "./backend";
import { describeBackend } from "./backend";

export interface LockHolder {
  /** The id `k2 state unlock --lock-id` (and terraform force-unlock) takes. */
  readonly id: string;
  /** user@host that ran Terraform, or the database user and client of a pg session. */
  readonly who?: string;
  /** plan, apply, ... (pg does not record it). */
  readonly operation?: string;
  /** ISO time the lock was taken (for pg: when the session started its transaction or connected). */
  readonly since?: string;
  readonly terraformVersion?: string;
  /** Anything else the backend tells about the holder (pg: pid, client address, application, last query). */
  readonly details: Readonly<Record<string, string>>;
}

export interface LockStatus {
  readonly backend: string;
  readonly locked: boolean;
  readonly holder?: LockHolder;
}

/** What to do about a held lock, for this backend. */
export function unlockProcedure(backend: StateBackendConfig, status: LockStatus): string[] {
  const holder = status.holder;
  const id = holder?.id ?? "<lock id>";
  const steps = [
    `The state of this cluster (${describeBackend(backend)}) is locked${holder?.who ? ` by ${holder.who}` : ""}${holder?.operation ? ` for ${holder.operation}` : ""}${holder?.since ? ` since ${holder.since}` : ""}.`,
    "1. Find out whether the holder is still working: ask them, or look for their terraform/cdktf process or CI job. A lock that is held is doing its job: wait for it (terraform -lock-timeout=10m waits for you).",
    "2. Only if the holder is gone for good (a killed CI job, a laptop that went away), release the lock:",
  ];
  switch (backend.type) {
    case "pg":
      steps.push(
        "   If its terraform process still exists (frozen, or on a machine that lost its network), stop that terraform process first:",
        "   ending its session does not stop it, and it would reconnect and write the state without a lock.",
        `   k2 state unlock <spec file> --lock-id ${id}   # ends that PostgreSQL session: its advisory lock goes with it`,
        "   (terraform force-unlock does not work for the pg backend; a pg lock also ends by itself when the holder's connection closes.)",
      );
      break;
    case "local":
      steps.push(`   k2 state unlock <spec file> --lock-id ${id}   # removes the lock record of a process that no longer runs`);
      break;
    default:
      steps.push(`   k2 state unlock <spec file> --lock-id ${id}   # or: terraform force-unlock ${id} in the cluster's stack directory`);
  }
  steps.push("3. Run your plan again, and check the state's serial moved on as you expect (k2 state spec shows the applied spec).");
  return steps;
}
