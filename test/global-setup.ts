/** Builds dist/ once before the tests, so that CLI tests run the `k2` binary users get. */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export function setup(): void {
  const root = join(__dirname, "..");
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
}
