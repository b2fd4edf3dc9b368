import { readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describeBackend, type StateBackendConfig } from "../backend";
import type { LockStatus } from "../lock";
import { parseLockInfo } from "../terraform-state";
import { StateAccessError, type StateClient } from "./client";

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StateAccessError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The local backend: the state file, and the lock record Terraform writes next to it
 * (.<state file>.lock.info) while it holds the lock on the file.
 */
export class LocalStateClient implements StateClient {
  readonly description: string;
  private readonly lockInfoPath: string;

  constructor(private readonly backend: Extract<StateBackendConfig, { type: "local" }>) {
    this.description = describeBackend(backend);
    this.lockInfoPath = join(dirname(backend.path), `.${basename(backend.path)}.lock.info`);
  }

  readState(): Promise<string | undefined> {
    return Promise.resolve(readIfExists(this.backend.path));
  }

  lockStatus(): Promise<LockStatus> {
    const text = readIfExists(this.lockInfoPath);
    const info = text === undefined ? undefined : parseLockInfo(text);
    if (!info) return Promise.resolve({ backend: this.description, locked: false });
    return Promise.resolve({
      backend: this.description,
      locked: true,
      holder: {
        id: info.ID,
        ...(info.Who === undefined ? {} : { who: info.Who }),
        ...(info.Operation === undefined ? {} : { operation: info.Operation }),
        ...(info.Created === undefined ? {} : { since: info.Created }),
        ...(info.Version === undefined ? {} : { terraformVersion: info.Version }),
        details: { "lock record": this.lockInfoPath, ...(info.Info ? { info: info.Info } : {}) },
      },
    });
  }

  async unlock(lockId: string): Promise<string> {
    const status = await this.lockStatus();
    if (!status.holder) throw new StateAccessError(`the state is not locked (no ${this.lockInfoPath})`);
    if (status.holder.id !== lockId) throw new StateAccessError(`the lock is held under id ${status.holder.id}, not ${lockId}`);
    rmSync(this.lockInfoPath, { force: true });
    return `removed the lock record ${this.lockInfoPath}`;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
