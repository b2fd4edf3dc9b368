/** Builds dist/ once before the tests, so that CLI tests run the `k2` binary users get. */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export function setup(): void {
  const root = join(__dirname, "..");
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
  // The browser script of k2 ui (lib/ui/client), as npm run build makes it.
  execFileSync(process.execPath, [tsc, "-p", join(root, "lib/ui/client/tsconfig.json")], { stdio: "inherit" });
  // The spec validator, generated from the schema so that k2 need not compile it at every start.
  execFileSync(process.execPath, [join(root, "dist/lib/spec/build-validator.js")], { stdio: "inherit" });
}
