/** Hand-written cdktf bindings for the Canonical MAAS provider, pinned to 2.6.0. */
export { MaasProvider, MAAS_PROVIDER_SOURCE, MAAS_PROVIDER_VERSION, type MaasProviderConfig } from "./provider";
export {
  MaasInstance,
  maasInstanceAllocateParamsToTerraform,
  maasInstanceDeployParamsToTerraform,
  maasInstanceNetworkInterfacesToTerraform,
  maasInstanceReleaseParamsToTerraform,
  maasInstanceTimeoutsToTerraform,
  type MaasInstanceAllocateParams,
  type MaasInstanceConfig,
  type MaasInstanceDeployParams,
  type MaasInstanceNetworkInterfaces,
  type MaasInstanceReleaseParams,
  type MaasInstanceTimeouts,
} from "./instance";
export { MaasTag, type MaasTagConfig } from "./tag";
export { MaasMachine, MAAS_POWER_TYPES, type MaasMachineConfig, type MaasMachineTimeouts } from "./machine";
export { DataMaasSubnet, type DataMaasSubnetConfig } from "./data-subnet";
export { DataMaasResourcePool, type DataMaasResourcePoolConfig } from "./data-resource-pool";
export { DataMaasZone, type DataMaasZoneConfig } from "./data-zone";
