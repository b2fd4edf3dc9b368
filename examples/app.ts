/**
 * The app the root cdktf.json runs (`npx cdktf synth`): the aws-ha cluster written in
 * TypeScript (examples/aws-ha/main.ts), and the aws-minimal and maas-bare-metal clusters read
 * from their spec files, as a repository that keeps its clusters in YAML would do: a mixed fleet
 * of AWS and bare-metal clusters, one stack each.
 */
import { join } from "node:path";
import { App } from "cdktf";
import { ClusterStack, loadClusterFiles, type Cluster } from "../index";
import { addAwsHaStack } from "./aws-ha/main";

export const YAML_EXAMPLES = [join(__dirname, "aws-minimal", "cluster.yaml"), join(__dirname, "maas-bare-metal", "cluster.yaml")];
/** Every example spec file, aws-ha's included. */
export const EXAMPLE_SPEC_FILES = [join(__dirname, "aws-ha", "cluster.yaml"), ...YAML_EXAMPLES];

/** Adds one stack per cluster to `app`, named after the cluster. */
export function addClusterStacks(app: App, clusters: readonly Cluster[]): ClusterStack[] {
  return clusters.map((spec) => new ClusterStack(app, spec));
}

export function buildExamplesApp(app: App): ClusterStack[] {
  return [addAwsHaStack(app), ...addClusterStacks(app, loadClusterFiles(YAML_EXAMPLES))];
}

if (require.main === module) {
  const app = new App();
  buildExamplesApp(app);
  app.synth();
}
