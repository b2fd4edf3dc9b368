/** Writing cdktf output the way k2 does: all of it or nothing, keeping each stack's Terraform working files. */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { App } from "cdktf";
import { UserError } from "./errors";

/**
 * Kept from a previous synth: Terraform's working files, so that `terraform init` need not run
 * again, and Terraform override files an admin put there (e.g. provider settings for a local run).
 */
function keptInStacks(name: string): boolean {
  return name === ".terraform" || name === ".terraform.lock.hcl" || /(^|_)override\.tf(\.json)?$/.test(name);
}

function isCdktfOutput(directory: string): boolean {
  const entries = readdirSync(directory);
  return entries.length === 0 || entries.includes("manifest.json");
}

/** Replaces `out` by `fresh`, carrying over each stack's Terraform working files. */
function replaceOutput(fresh: string, out: string): void {
  if (existsSync(out)) {
    for (const stack of existsSync(join(out, "stacks")) ? readdirSync(join(out, "stacks")) : []) {
      for (const name of readdirSync(join(out, "stacks", stack)).filter(keptInStacks)) {
        const from = join(out, "stacks", stack, name);
        const to = join(fresh, "stacks", stack, name);
        if (existsSync(from) && existsSync(dirname(to))) renameSync(from, to);
      }
    }
    rmSync(out, { recursive: true, force: true });
  }
  renameSync(fresh, out);
}

/** The absolute output directory, refused when it holds something other than cdktf output. */
export function checkedOutputDirectory(outOption: string): string {
  const out = resolve(outOption);
  if (existsSync(out) && !isCdktfOutput(out)) {
    throw new UserError(`${outOption} exists and is not a cdktf output directory (no manifest.json); choose another --out`);
  }
  return out;
}

/**
 * Builds stacks in a fresh app and synthesizes it next to `out`, then puts the result in place.
 * When `build` throws, nothing is written and the error goes on.
 */
export async function synthesizeInto<T>(out: string, build: (app: App) => T): Promise<T> {
  // Loaded here, not at start-up: cdktf takes a while.
  const { App: CdktfApp } = await import("cdktf");
  mkdirSync(dirname(out), { recursive: true });
  const fresh = join(dirname(out), `.${basename(out)}.k2-synth-${process.pid}`);
  rmSync(fresh, { recursive: true, force: true });
  try {
    const app = new CdktfApp({ outdir: fresh, skipValidation: false });
    const result = build(app);
    app.synth();
    replaceOutput(fresh, out);
    return result;
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}
