/**
 * A cdktf app that keeps its clusters in YAML: one stack per cluster found in the example spec
 * files. The root cdktf.json runs it (`cdktf synth`), and it runs on its own too:
 *   npx tsx examples/app.ts            # writes cdktf.out/
 */
import { join } from "node:path";
import { App } from "cdktf";
import { ClusterStack, loadClusterFiles, type Cluster } from "../index";

export const EXAMPLE_SPEC_FILES = ["aws-ha", "aws-minimal"].map((name) => join(__dirname, name, "cluster.yaml"));

/** Adds one stack per cluster to `app`, named after the cluster. */
export function addClusterStacks(app: App, clusters: readonly Cluster[]): ClusterStack[] {
  return clusters.map((spec) => new ClusterStack(app, spec));
}

if (require.main === module) {
  const app = new App();
  addClusterStacks(app, loadClusterFiles(EXAMPLE_SPEC_FILES));
  app.synth();
}
