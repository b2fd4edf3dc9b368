/**
 * Saving a spec file from the UI: only a valid draft, only when the file is still what the admin
 * loaded (its hash), written whole at once (a temporary file renamed over it), so that two
 * admins never overwrite one another silently and a reader never sees half a file.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { textHash } from "./workspace";

export interface LastSave {
  readonly hash: string;
  readonly by: string;
  readonly at: string;
}

export type SaveResult =
  | { readonly ok: true; readonly hash: string }
  | { readonly ok: false; readonly reason: "conflict"; readonly currentHash: string | undefined; readonly message: string }
  | { readonly ok: false; readonly reason: "invalid"; readonly message: string };

export interface SaveRequest {
  readonly absolutePath: string;
  /** For messages: the path as the UI shows it. */
  readonly displayPath: string;
  readonly text: string;
  /** The hash of the file as the admin loaded it. */
  readonly baseHash: string;
  readonly valid: boolean;
  readonly by: string;
  /** Who saved this file last through the UI, to name them in a conflict. */
  readonly lastSave?: LastSave;
}

function currentText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Checks and writes in one synchronous step, so that two saves in this process cannot
 * interleave between the check and the write.
 */
export function saveSpecFile(request: SaveRequest): SaveResult {
  if (!request.valid) return { ok: false, reason: "invalid", message: `${request.displayPath} was not saved: the spec has problems (they are shown at their fields)` };
  const current = currentText(request.absolutePath);
  const currentHash = current === undefined ? undefined : textHash(current);
  if (currentHash !== request.baseHash) {
    const who = request.lastSave && request.lastSave.hash === currentHash ? ` by ${request.lastSave.by} at ${request.lastSave.at}` : "";
    const what = current === undefined ? "was deleted" : `was changed${who}`;
    return {
      ok: false,
      reason: "conflict",
      currentHash,
      message: `Not saved: ${request.displayPath} ${what} since you loaded it. Your edits are kept in this page; reload to see the current file, then apply your changes to it again.`,
    };
  }
  const temporary = join(dirname(request.absolutePath), `.${basename(request.absolutePath)}.k2-ui-${randomBytes(6).toString("hex")}`);
  try {
    writeFileSync(temporary, request.text, { encoding: "utf8", flag: "wx" });
    chmodSync(temporary, statSync(request.absolutePath).mode & 0o7777);
    renameSync(temporary, request.absolutePath);
  } finally {
    rmSync(temporary, { force: true });
  }
  return { ok: true, hash: textHash(request.text) };
}
