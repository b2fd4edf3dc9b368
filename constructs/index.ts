export { KrakenCluster, canonicalJson, SPEC_OUTPUT, SPEC_HASH_OUTPUT, type KrakenClusterProps } from "./kraken-cluster";
