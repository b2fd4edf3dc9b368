/**
 * The Terraform provider schemas the baseline generator reads to tell blocks from attributes and
 * maps from objects: `terraform providers schema -json` of a tiny configuration, initialized
 * offline against the provider mirror, cached per provider version (the dump takes seconds).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { providerMirror as findProviderMirror } from "../../test/support/terraform";

/** A Terraform type in the schema's JSON form: "string", ["list", "string"], ["object", {...}]. */
export type TerraformType = string | readonly [string, TerraformType | Readonly<Record<string, TerraformType>>];

export interface SchemaAttribute {
  readonly type?: TerraformType;
  /** Plugin-framework nested attributes (none in the resources kraken-lib uses, but handled). */
  readonly nested_type?: { readonly attributes: Readonly<Record<string, SchemaAttribute>>; readonly nesting_mode: string };
}

export interface SchemaBlock {
  readonly attributes?: Readonly<Record<string, SchemaAttribute>>;
  readonly block_types?: Readonly<Record<string, { readonly nesting_mode: string; readonly max_items?: number; readonly block: SchemaBlock }>>;
}

export interface ProviderSchema {
  readonly provider: { readonly block: SchemaBlock };
  readonly resource_schemas: Readonly<Record<string, { readonly block: SchemaBlock }>>;
  readonly data_source_schemas: Readonly<Record<string, { readonly block: SchemaBlock }>>;
}

/** Provider schemas by local name ("aws", "terraform" for the built-in terraform_data). */
export type ProviderSchemas = Readonly<Record<string, ProviderSchema>>;

export const AWS_PROVIDER_VERSION = "5.100.0";

/** The offline mirror holding AWS_PROVIDER_VERSION, found as the tests find theirs. */
export function providerMirror(): string {
  return findProviderMirror(AWS_PROVIDER_VERSION);
}

export const TERRAFORM_ENV = { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };

/** The AWS provider's and Terraform's built-in provider's schemas; dumped once, then read from the cache. */
export function loadProviderSchemas(cacheDirectory = join(tmpdir(), "kraken-bench-cache")): ProviderSchemas {
  const cached = join(cacheDirectory, `provider-schemas-aws-${AWS_PROVIDER_VERSION}.json`);
  if (!existsSync(cached)) {
    const work = join(cacheDirectory, `schema-work-${process.pid}`);
    mkdirSync(work, { recursive: true });
    const config = {
      terraform: { required_providers: { aws: { source: "hashicorp/aws", version: AWS_PROVIDER_VERSION } } },
      // Declared so that the dump includes the built-in provider's terraform_data.
      resource: { terraform_data: { schema_probe: {} } },
    };
    writeFileSync(join(work, "main.tf.json"), JSON.stringify(config));
    const run = (args: string[]): string => execFileSync("terraform", args, { cwd: work, env: TERRAFORM_ENV, encoding: "utf8", maxBuffer: 512 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
    let dump: { provider_schemas: Record<string, ProviderSchema> };
    try {
      run(["init", "-input=false", "-no-color", `-plugin-dir=${providerMirror()}`]);
      dump = JSON.parse(run(["providers", "schema", "-json"])) as typeof dump;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const schemas = {
      aws: dump.provider_schemas["registry.terraform.io/hashicorp/aws"],
      terraform: dump.provider_schemas["terraform.io/builtin/terraform"],
    };
    if (!schemas.aws || !schemas.terraform) throw new Error(`terraform providers schema -json in ${work} did not describe the aws and terraform providers`);
    writeFileSync(`${cached}.${process.pid}`, JSON.stringify(schemas));
    renameSync(`${cached}.${process.pid}`, cached);
  }
  return JSON.parse(readFileSync(cached, "utf8")) as ProviderSchemas;
}
