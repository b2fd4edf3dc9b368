/** The table of semantic rules, run in this order after the JSON Schema. */
import { apiAccessRule } from "./access";
import { alertingRule } from "./alerting";
import { loggingRule } from "./logging";
import { availabilityZonesRule, awsTagsRule, ebsVolumesRule, etcdAddressesRule, existingVpcRule, instanceArchitectureRule } from "./aws";
import { etcdTopologyRule } from "./etcd";
import { clusterDomainRule, kubernetesVersionRule } from "./kubernetes";
import { maasNetworkRule } from "./maas";
import { maasMachinesRule, machineProviderRule } from "./machines";
import { cidrOverlapRule, cidrSizeRule, cidrSyntaxRule } from "./networks";
import { labelsRule, nodePoolSizesRule, taintsRule } from "./node-pools";
import type { SpecRule } from "./rule";
import { noSecretsRule } from "./secrets";
import { stateBackendRule } from "./state";
import { certificatesRule } from "./certificates";

export type { Report, SpecRule } from "./rule";
export { RESERVED_LABEL_PREFIX } from "./node-pools";

export const SPEC_RULES: readonly SpecRule[] = [
  kubernetesVersionRule,
  clusterDomainRule,
  cidrSyntaxRule,
  cidrSizeRule,
  cidrOverlapRule,
  availabilityZonesRule,
  existingVpcRule,
  etcdAddressesRule,
  awsTagsRule,
  etcdTopologyRule,
  nodePoolSizesRule,
  labelsRule,
  taintsRule,
  machineProviderRule,
  maasMachinesRule,
  maasNetworkRule,
  instanceArchitectureRule,
  ebsVolumesRule,
  apiAccessRule,
  stateBackendRule,
  certificatesRule,
  alertingRule,
  loggingRule,
  noSecretsRule,
];
