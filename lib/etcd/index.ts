/** etcd management: protection of running clusters, and the procedures to replace and restore. */
export { etcdChanges, assertEtcdChangesAllowed, EtcdProtectionError, quorum, type EtcdChange, type EtcdChangeKind } from "./protection";
export { replaceMemberProcedure, restoreProcedure, renderProcedure, replaceMemberOverride, type Procedure, type ProcedureStep, type ReplaceMemberOptions, type RestoreOptions } from "./procedures";
