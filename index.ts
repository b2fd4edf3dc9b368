/** kraken-lib: self-managed Kubernetes clusters as cdktf constructs and cluster specs. */
export * from "./lib/spec";
export * from "./constructs";
export * from "./lib/etcd";
export * from "./lib/state";
