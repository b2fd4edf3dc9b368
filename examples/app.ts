/**
 * A cdktf app that keeps its clusters in YAML: one stack per cluster found in the example spec
 * files. The root cdktf.json runs it (`cdktf synth`), and it runs on its own too:
 *   npx tsx examples/app.ts            # writes cdktf.out/
 */
import { join, resolve } from "node:path";
import { App, LocalBackend, TerraformStack } from "cdktf";
import { KrakenCluster, loadClusterFiles, type Cluster } from "../index";

export const EXAMPLE_SPEC_FILES = ["aws-ha", "aws-minimal"].map((name) => join(__dirname, name, "cluster.yaml"));

/** Adds one stack per cluster to `app`, named after the cluster. */
export function addClusterStacks(app: App, clusters: readonly Cluster[]): TerraformStack[] {
  return clusters.map((spec) => {
    const stack = new TerraformStack(app, spec.metadata.name);
    // Relative state paths are taken from where the app runs, as cdktf does for its default.
    if (spec.spec.state.local) new LocalBackend(stack, { path: resolve(spec.spec.state.local.path) });
    new KrakenCluster(stack, "cluster", { spec });
    return stack;
  });
}

if (require.main === module) {
  const app = new App();
  addClusterStacks(app, loadClusterFiles(EXAMPLE_SPEC_FILES));
  app.synth();
}
