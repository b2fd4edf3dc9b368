/**
 * Defaults, applied in one place, in this order:
 *   1. the schema's fixed defaults;
 *   2. blocks that exist only for the chosen provider or state backend (machine.aws, state.pg, ...);
 *   3. the schema's fixed defaults again, inside those new blocks;
 *   4. defaults computed from other fields, each described by its field's "x-default" in the schema.
 *
 * It also runs on documents that failed the schema (the failing values are removed first), so
 * that semantic rules see defaults too; every step therefore checks that what it reads is there.
 */
import { instanceArchitecture, ubuntuImageParameter } from "./aws-instances";
import { ClusterDocumentSchema } from "./schema";
import { compileDefaults } from "./schema-defaults";
import type { Cluster, DeepPartial } from "./types";

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };
type Draft = DeepPartial<Mutable<Cluster>>;
type DraftSpec = NonNullable<Draft["spec"]>;
interface DraftMachine {
  aws?: { instanceType?: string; instanceTypes?: readonly (string | undefined)[]; image?: object; availabilityZones?: readonly (string | undefined)[] };
  maas?: object;
}

function machinesOf(spec: DraftSpec): { machine: DraftMachine | undefined; set(machine: DraftMachine): void }[] {
  const roles: { machine: DraftMachine | undefined; set(machine: DraftMachine): void }[] = [];
  for (const etcd of spec.etcd ?? []) {
    if (etcd) roles.push({ machine: etcd.machine, set: (m) => void (etcd.machine = m as typeof etcd.machine) });
  }
  const controlPlane = spec.controlPlane;
  if (controlPlane) {
    roles.push({ machine: controlPlane.machine, set: (m) => void (controlPlane.machine = m as typeof controlPlane.machine) });
  }
  for (const pool of spec.nodePools ?? []) {
    if (pool) roles.push({ machine: pool.machine, set: (m) => void (pool.machine = m as typeof pool.machine) });
  }
  return roles;
}

function createProviderBlocks(document: Draft): void {
  const spec = document.spec;
  if (!spec) return;
  const provider = spec.provider?.aws ? "aws" : spec.provider?.maas ? "maas" : undefined;
  if (provider) {
    for (const role of machinesOf(spec)) {
      const machine = role.machine ?? {};
      // A block for the other provider is a mistake the machine-provider rule reports; leave it be.
      if (!machine.aws && !machine.maas) machine[provider] = {};
      role.set(machine);
    }
  }
  const state = spec.state;
  if (state?.backend === "local") state.local ??= {};
  if (state?.backend === "pg") state.pg ??= {};
  if (state?.backend === "kubernetes") state.kubernetes ??= {};
}

function computeDefaults(document: Draft): void {
  const spec = document.spec;
  if (!spec) return;
  const name = document.metadata?.name;
  const aws = spec.provider?.aws;

  for (const { machine } of machinesOf(spec)) {
    const machineAws = machine?.aws;
    if (!machineAws || !aws) continue;
    if (machineAws.image === undefined) {
      const instanceType = machineAws.instanceType ?? machineAws.instanceTypes?.[0];
      if (aws.image) machineAws.image = structuredClone(aws.image);
      else if (instanceType !== undefined) machineAws.image = { ssmParameter: ubuntuImageParameter(instanceArchitecture(instanceType)) };
    }
  }
  for (const etcd of spec.etcd ?? []) {
    if (etcd) etcd.resources ??= etcd.name === "events" ? ["events"] : [];
  }
  for (const pool of spec.nodePools ?? []) {
    if (!pool) continue;
    if (pool.desiredSize === undefined && pool.minSize !== undefined) pool.desiredSize = pool.minSize;
    pool.kubernetesVersion ??= spec.kubernetes?.version;
    const poolAws = pool.machine?.aws;
    if (poolAws && poolAws.availabilityZones === undefined && aws?.availabilityZones) poolAws.availabilityZones = [...aws.availabilityZones];
  }

  const state = spec.state;
  if (!state || name === undefined) return;
  if (state.local) state.local.path ??= `terraform.${name}.tfstate`;
  if (state.s3) state.s3.region ??= aws?.region;
  if (state.pg) state.pg.schemaName ??= `kraken_${name.replace(/-/g, "_")}`;
  // Terraform refuses a suffix ending in -<number>: it numbers the chunks of large states that way.
  if (state.kubernetes) state.kubernetes.secretSuffix ??= /-[0-9]+$/.test(name) ? `${name}-state` : name;
}

let fillSchemaDefaults: ((value: unknown) => unknown) | undefined;

/** Fills every default into `document` in place and returns it. */
export function applyDefaults<T>(document: T): T {
  if (document === null || typeof document !== "object" || Array.isArray(document)) return document;
  fillSchemaDefaults ??= compileDefaults(ClusterDocumentSchema);
  fillSchemaDefaults(document);
  createProviderBlocks(document);
  fillSchemaDefaults(document);
  computeDefaults(document);
  return document;
}
