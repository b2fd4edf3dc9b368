/** The cluster spec: schema, types, validation, defaults and reading spec files. */
export { API_VERSION, KIND, SCHEMA_ID, ClusterDocumentSchema, ETCD_MEMBER_COUNTS, EBS_VOLUME_TYPES, SPOT_ALLOCATION_STRATEGIES, STATE_BACKENDS } from "./schema";
export { clusterJsonSchema, JSON_SCHEMA_DIALECT } from "./json-schema";
export type * from "./types";
export { validateClusterDocument, validateFleet, defineCluster, type ValidationResult, type FleetDocument, type FleetDocumentResult } from "./validate";
export { SpecValidationError, formatPath, type SpecProblem, type PathSegment } from "./problems";
export { parseSpecText, readSpecFile, SpecSourceError, type SourceDocument, type SourcePosition } from "./source";
export { SPEC_RULES, type SpecRule } from "./rules";
export { renderSpecReference } from "./docs";
export * from "./versions";
export { instanceArchitecture, type CpuArchitecture } from "./aws-instances";
export { checkDocuments, loadClusterFiles, InvalidSpecFilesError, type LocatedProblem, type CheckedFleet } from "./load";
export { planZones, etcdMemberAddresses, type ZonePlan, type EtcdMemberAddress, type AwsNetworkInput } from "./network-plan";
export { parseIpv4Cidr, networksOverlap, type Ipv4Network } from "./cidr";
export { jsonEqual } from "./json-equal";
