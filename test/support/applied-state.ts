/**
 * Terraform states of clusters that were "applied", for tests. These machines cannot reach AWS,
 * so nothing can really be applied: this is the test double for AWS. Two kinds:
 * - appliedStateDocument: only the outputs KrakenCluster declares (the applied spec), no resources.
 * - buildAppliedState: a full state of a synthesized stack, as if every resource had been created,
 *   made by real terraform: plan, record what it would create (with made-up IDs for what AWS
 *   would compute), and again until terraform plans no change. Terraform's own plans then run
 *   against it with -refresh=false.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalJson } from "../../constructs/kraken-cluster";
import type { Cluster } from "../../lib/spec";
import { terraform } from "./terraform";

export function appliedStateDocument(cluster: Cluster, serial: number, edit: (spec: string) => string = (spec) => spec): string {
  const spec = canonicalJson(cluster);
  return JSON.stringify({
    version: 4,
    terraform_version: "1.11.4",
    serial,
    lineage: "3f1b2c4d-5e6f-4a0b-9c1d-2e3f4a5b6c7d",
    outputs: {
      kraken_spec: { value: edit(spec), type: "string" },
      kraken_spec_hash: { value: createHash("sha256").update(spec).digest("hex"), type: "string" },
    },
    resources: [],
    check_results: null,
  });
}

type Json = Record<string, unknown>;
type AttributeType = string | [string, unknown];
interface Block {
  readonly attributes?: Readonly<Record<string, { readonly type?: AttributeType }>>;
  readonly block_types?: Readonly<Record<string, { readonly nesting_mode: string; readonly block: Block }>>;
}

interface PlannedChange {
  readonly address: string;
  readonly mode: string;
  readonly type: string;
  readonly name: string;
  readonly index?: unknown;
  readonly provider_name: string;
  readonly change: { readonly actions: readonly string[]; readonly after: Json | null; readonly after_unknown: Json | null };
}

/** The prefixes AWS gives IDs, which the provider checks on references. */
const ID_PREFIXES: Readonly<Record<string, string>> = {
  aws_launch_template: "lt-",
  aws_vpc: "vpc-",
  aws_subnet: "subnet-",
  aws_security_group: "sg-",
  aws_default_security_group: "sg-",
  aws_instance: "i-",
  aws_ebs_volume: "vol-",
  aws_network_interface: "eni-",
  aws_internet_gateway: "igw-",
  aws_nat_gateway: "nat-",
  aws_eip: "eipalloc-",
  aws_route_table: "rtb-",
  aws_vpc_security_group_ingress_rule: "sgr-",
  aws_vpc_security_group_egress_rule: "sgr-",
};

/** An ID shaped like AWS's (prefix and 17 hex digits), the same for the same address every time. */
function fakeId(type: string, address: string): string {
  const digits = createHash("sha256").update(address).digest("hex").slice(0, 17);
  return `${ID_PREFIXES[type] ?? "fake-"}${digits}`;
}

function zeroOf(type: AttributeType | undefined): unknown {
  if (type === "number") return 0;
  if (type === "bool") return false;
  if (Array.isArray(type)) return type[0] === "map" || type[0] === "object" ? {} : [];
  return null;
}

/** `after` with every value AWS would compute filled in: IDs and ARNs made up from the address, the rest zero. */
function fillUnknown(after: Json, unknown: unknown, block: Block, address: string, type: string): Json {
  const out: Json = { ...after };
  if (typeof unknown !== "object" || unknown === null) return out;
  for (const [key, marker] of Object.entries(unknown as Json)) {
    const nested = block.block_types?.[key];
    if (nested) {
      if (marker === true) out[key] = nested.nesting_mode === "list" || nested.nesting_mode === "set" ? [] : null;
      else if (Array.isArray(marker)) {
        const current = (Array.isArray(out[key]) ? out[key] : []) as Json[];
        out[key] = marker.map((item, index) => fillUnknown(current[index] ?? {}, item, nested.block, `${address}.${key}[${String(index)}]`, ""));
      } else out[key] = fillUnknown((out[key] ?? {}) as Json, marker, nested.block, `${address}.${key}`, "");
      continue;
    }
    if (marker !== true) continue;
    const attributeType = block.attributes?.[key]?.type;
    if (attributeType !== undefined && attributeType !== "string") out[key] = zeroOf(attributeType);
    else if (key === "id") out[key] = fakeId(type, address);
    else if (key.endsWith("arn")) out[key] = `arn:aws:fake:us-west-2:111122223333:${address}`;
    else out[key] = `fake-${key}`;
  }
  return out;
}

function ctyType(value: unknown): unknown {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "number";
  if (Array.isArray(value)) return ["tuple", value.map(ctyType)];
  if (typeof value === "object" && value !== null) return ["object", Object.fromEntries(Object.entries(value).map(([key, item]) => [key, ctyType(item)]))];
  return "string";
}

/** terraform_data keeps its dynamically typed attributes with their type. */
function terraformDataAttributes(after: Json, address: string): Json {
  const typed = (value: unknown) => (value === null || value === undefined ? null : { value, type: ctyType(value) });
  return { ...after, id: `fake-${address}`, input: typed(after.input), output: typed(after.output), triggers_replace: typed(after.triggers_replace) };
}

/**
 * Writes to `statePath` (the stack's local backend) a state in which every resource of the stack
 * exists as configured, with the stack's outputs. The stack must be initialized and plannable
 * offline. prevent_destroy is lifted by an override file while the state converges.
 */
export function buildAppliedState(stackDirectory: string, statePath: string): void {
  const schemas = JSON.parse(terraform(["providers", "schema", "-json"], stackDirectory)) as {
    provider_schemas: Record<string, { resource_schemas: Record<string, { block: Block }> }>;
  };
  const blockOf = (type: string): Block => Object.values(schemas.provider_schemas).find((provider) => type in provider.resource_schemas)?.resource_schemas[type]?.block ?? {};
  const config = JSON.parse(readFileSync(join(stackDirectory, "cdk.tf.json"), "utf8")) as { resource?: Record<string, Record<string, { lifecycle?: { prevent_destroy?: boolean } }>> };
  const lifted: Record<string, Record<string, unknown>> = {};
  for (const [type, resources] of Object.entries(config.resource ?? {})) {
    for (const [name, resource] of Object.entries(resources)) {
      if (resource.lifecycle?.prevent_destroy) (lifted[type] ??= {})[name] = { lifecycle: { prevent_destroy: false } };
    }
  }
  const override = join(stackDirectory, "zz_applied_state_override.tf.json");
  writeFileSync(override, JSON.stringify({ resource: lifted }));
  const lineage = randomUUID();
  const resources = new Map<string, Json>();
  try {
    for (let round = 1; ; round += 1) {
      terraform(["plan", "-input=false", "-lock=false", "-refresh=false", "-out=applied-state.tfplan"], stackDirectory);
      const plan = JSON.parse(terraform(["show", "-json", "applied-state.tfplan"], stackDirectory)) as {
        resource_changes?: PlannedChange[];
        planned_values?: { outputs?: Record<string, { value?: unknown; sensitive?: boolean }>; root_module?: { resources?: { address: string; schema_version: number }[] } };
      };
      const outputs: Json = Object.fromEntries(
        Object.entries(plan.planned_values?.outputs ?? {})
          .filter(([, output]) => output.value !== undefined)
          .map(([name, output]) => [name, { value: output.value, type: ctyType(output.value) }]),
      );
      const pending = (plan.resource_changes ?? []).filter((change) => change.mode === "managed" && change.change.actions.join() !== "no-op");
      if (pending.length === 0 && round > 1) break;
      if (round > 10) throw new Error(`the applied state of ${stackDirectory} does not converge: ${pending.map((change) => change.address).join(", ")}`);
      const schemaVersions = new Map((plan.planned_values?.root_module?.resources ?? []).map((resource) => [resource.address, resource.schema_version]));
      for (const change of pending) {
        const after = change.change.after ?? {};
        const attributes = change.type === "terraform_data" ? terraformDataAttributes(after, change.address) : fillUnknown(after, change.change.after_unknown, blockOf(change.type), change.address, change.type);
        resources.set(change.address, {
          mode: change.mode,
          type: change.type,
          name: change.name,
          provider: `provider["${change.provider_name}"]`,
          instances: [{ schema_version: schemaVersions.get(change.address) ?? 0, attributes, sensitive_attributes: [] }],
        });
      }
      writeFileSync(statePath, JSON.stringify({ version: 4, terraform_version: "1.11.4", serial: round, lineage, outputs, resources: [...resources.values()] }));
    }
  } finally {
    rmSync(override, { force: true });
    rmSync(join(stackDirectory, "applied-state.tfplan"), { force: true });
  }
}
