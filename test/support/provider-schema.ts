/**
 * Checks the MAAS and Vault parts of a synthesized cdktf stack against JSON Schemas written from
 * those providers' documentation (test/fixtures/provider-schemas), because neither provider can
 * be downloaded here for `terraform validate`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";

export type ProviderSchemaName = "maas" | "vault";

export const PROVIDER_SCHEMA_DIR = join(__dirname, "../fixtures/provider-schemas");

type Json = Record<string, unknown>;

interface ProviderSchema {
  readonly file: string;
  readonly version: string;
  /** Validators by `$defs` name: `provider`, `required_provider`, `resource.<type>`, `data.<type>`. */
  readonly validators: ReadonlyMap<string, ValidateFunction>;
}

const loaded = new Map<ProviderSchemaName, ProviderSchema>();

function providerSchema(name: ProviderSchemaName): ProviderSchema {
  let schema = loaded.get(name);
  if (!schema) {
    const file = join(PROVIDER_SCHEMA_DIR, `${name}.schema.json`);
    const document = JSON.parse(readFileSync(file, "utf8")) as { $id: string; $defs: Record<string, { properties?: { version?: { const?: string } } }> };
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addSchema(document);
    const validators = new Map<string, ValidateFunction>();
    for (const definition of Object.keys(document.$defs)) {
      if (definition === "provider" || definition === "required_provider" || /^(resource|data)\./.test(definition)) {
        validators.set(definition, ajv.getSchema(`${document.$id}#/$defs/${definition}`)!);
      }
    }
    schema = { file, version: document.$defs.required_provider?.properties?.version?.const ?? "?", validators };
    loaded.set(name, schema);
  }
  return schema;
}

/**
 * Problems (empty when valid) in every `provider.<name>`, `resource.<name>_*` and `data.<name>_*`
 * block of a synthesized stack (the parsed `cdk.tf.json`, or `JSON.parse(Testing.synth(stack))`),
 * and in `terraform.required_providers.<name>`, which must pin the schema's source and version.
 * A block type the schema does not describe is a problem, and so is a `provider` meta-argument
 * naming an alias no provider block has. Each problem reads
 * `<block address>: <JSON pointer in the block>: <ajv's message>`, e.g.
 * `resource.maas_instance.etcd-main-0: /network_interfaces/0: must have required property 'name'`.
 */
export function validateProviderBlocks(stackJson: unknown, providers: readonly ProviderSchemaName[]): string[] {
  if (!isObject(stackJson)) return [`stack: expected the synthesized stack JSON (an object), got ${describe(stackJson)}`];
  const problems: string[] = [];
  for (const name of providers) problems.push(...validateProvider(stackJson, name));
  return [...new Set(problems)];
}

function validateProvider(stack: Json, name: ProviderSchemaName): string[] {
  const schema = providerSchema(name);
  const problems: string[] = [];
  const check = (definition: string, address: string, block: unknown): void => {
    const validate = schema.validators.get(definition)!;
    if (!validate(block)) problems.push(...formatErrors(address, validate.errors ?? []));
  };

  const requiredProvider = objectAt(stack, "terraform", "required_providers", name);
  if (requiredProvider === undefined) problems.push(`terraform.required_providers.${name}: missing; the stack must pin ${name} ${schema.version}`);
  else check("required_provider", `terraform.required_providers.${name}`, requiredProvider);

  const aliases = new Set<string>();
  const providerBlocks = objectAt(stack, "provider")?.[name];
  if (providerBlocks !== undefined) {
    const blocks = Array.isArray(providerBlocks) ? (providerBlocks as unknown[]) : [providerBlocks];
    blocks.forEach((block, index) => {
      const alias = isObject(block) && typeof block.alias === "string" ? block.alias : undefined;
      if (alias !== undefined) aliases.add(alias);
      const address = alias !== undefined ? `provider.${name}.${alias}` : blocks.length > 1 ? `provider.${name}[${index}]` : `provider.${name}`;
      check("provider", address, block);
    });
  }

  for (const kind of ["resource", "data"] as const) {
    const types = objectAt(stack, kind) ?? {};
    for (const [type, instances] of Object.entries(types)) {
      if (!type.startsWith(`${name}_`)) continue;
      const definition = `${kind}.${type}`;
      if (!schema.validators.has(definition)) {
        const known = [...schema.validators.keys()].filter((key) => key.startsWith(`${kind}.`)).map((key) => key.slice(kind.length + 1));
        problems.push(`${kind}.${type}: unknown ${kind === "data" ? "data source" : "resource"} type for ${name} ${schema.version} (${schema.file} describes ${known.join(", ") || "none"})`);
        continue;
      }
      if (!isObject(instances)) {
        problems.push(`${kind}.${type}: expected an object of named blocks, got ${describe(instances)}`);
        continue;
      }
      for (const [instanceName, block] of Object.entries(instances)) {
        const address = `${kind}.${type}.${instanceName}`;
        check(definition, address, block);
        const provider = isObject(block) ? block.provider : undefined;
        const alias = typeof provider === "string" && provider.startsWith(`${name}.`) ? provider.slice(name.length + 1) : undefined;
        if (alias !== undefined && !aliases.has(alias)) problems.push(`${address}: /provider: no provider "${name}" block has alias "${alias}"`);
      }
    }
  }
  return problems;
}

/** One line per ajv error, with the noise of if/then/else (the "if" failure itself) left out. */
function formatErrors(address: string, errors: readonly ErrorObject[]): string[] {
  return errors
    .filter((error) => error.keyword !== "if")
    .map((error) => {
      const params = error.params as Record<string, unknown>;
      let path = error.instancePath;
      let detail = "";
      if (error.keyword === "additionalProperties") path += `/${String(params.additionalProperty)}`;
      if (error.keyword === "const") detail = ` ${JSON.stringify(params.allowedValue)}, got ${JSON.stringify(error.data)}`;
      if (error.keyword === "enum") detail = ` ${JSON.stringify(params.allowedValues)}`;
      return `${address}: ${path === "" ? "/" : path}: ${error.message ?? error.keyword}${detail}`;
    });
}

function objectAt(root: Json, ...path: string[]): Json | undefined {
  let node: unknown = root;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;
}
