import { resolve } from "node:path";
import { LocalBackend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { Cluster } from "../lib/spec";
import { KrakenCluster, type KrakenClusterProps } from "./kraken-cluster";

export interface ClusterStackOptions {
  /** The spec the running cluster was applied with: unsafe etcd changes are refused (KrakenClusterProps.appliedSpec). */
  readonly appliedSpec?: KrakenClusterProps["appliedSpec"];
}

/**
 * One cluster's stack: its state backend from spec.state, and the cluster. `k2 synth` and the
 * example app build exactly this; the stack is named after the cluster.
 */
export class ClusterStack extends TerraformStack {
  readonly cluster: KrakenCluster;

  constructor(scope: Construct, spec: Cluster, options: ClusterStackOptions = {}) {
    super(scope, spec.metadata.name);
    const state = spec.spec.state;
    switch (state.backend) {
      case "local":
        // Relative paths are taken from where the app runs, as cdktf does for its default.
        new LocalBackend(this, { path: resolve(state.local!.path) });
        break;
      default:
        throw new Error(`cluster ${spec.metadata.name}: spec.state.backend "${state.backend}" is not synthesized by this version of kraken-lib yet; use "local"`);
    }
    this.cluster = new KrakenCluster(this, "cluster", { spec, ...(options.appliedSpec === undefined ? {} : { appliedSpec: options.appliedSpec }) });
  }
}
