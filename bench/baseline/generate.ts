/**
 * The raw cdktf baseline: from one synthesized stack (cdk.tf.json), the JavaScript of a cdktf
 * program that creates the same resources with the provider's L1 classes and nothing else. Every
 * attribute goes through the L1 class's typed config (snake_case attributes to camelCase, nested
 * blocks as config objects, maps with their keys as written), told apart by the provider schema;
 * a value that is exactly one reference to another resource becomes that resource's attribute
 * token, as hand-written code would have it; other Terraform expressions stay strings. Logical
 * IDs are kept with overrideLogicalId, so the two synthesized documents can be compared.
 */
import type { ProviderSchemas, SchemaAttribute, SchemaBlock, TerraformType } from "./provider-schema";

/** A synthesized stack as cdktf writes it (the parts the generator reads). */
export interface SynthesizedStack {
  readonly terraform?: { readonly backend?: Readonly<Record<string, Readonly<Record<string, unknown>>>> } & Readonly<Record<string, unknown>>;
  readonly provider?: Readonly<Record<string, readonly Readonly<Record<string, unknown>>[]>>;
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
  readonly data?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
  readonly output?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly [key: string]: unknown;
}

/** Where a Terraform type's L1 class lives: the module to require and the export to use. */
export interface L1Class {
  readonly module: string;
  readonly exportName: string;
}

export interface GenerateOptions {
  /** The L1 class of a resource or data source type ("aws_instance", "data.aws_ami"). */
  readonly classFor: (kind: "resource" | "data", type: string) => L1Class;
  /** How the generated program names a module in require(): an absolute path when it lives outside the project. */
  readonly moduleSpecifier: (module: string) => string;
}

/** The module and export the baseline uses for a type, by the provider packages' naming rule. */
export function conventionalL1Class(kind: "resource" | "data", type: string): L1Class {
  if (kind === "resource" && type === "terraform_data") return { module: "cdktf", exportName: "DataResource" };
  const match = /^aws_(.+)$/.exec(type);
  if (!match) throw new Error(`${kind} ${type}: the baseline generator knows the L1 classes of the AWS provider and terraform_data only`);
  const name = kind === "data" ? `data_aws_${match[1]!}` : match[1]!;
  return { module: `@cdktf/provider-aws/lib/${name.replace(/_/g, "-")}`, exportName: pascalCase(name) };
}

export function pascalCase(snake: string): string {
  return snake
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** The L1 config name of a Terraform attribute or block: vpc_zone_identifier → vpcZoneIdentifier. */
export function camelCase(snake: string): string {
  const pascal = pascalCase(snake);
  return pascal.charAt(0).toLowerCase() + pascal.slice(1);
}

/** A JavaScript expression put into the generated code as written. */
class Code {
  constructor(readonly text: string) {}
}

/** Serializes a config value as a JavaScript literal, with Code spliced in. */
function literal(value: unknown, indent: string): string {
  if (value instanceof Code) return value.text;
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((item) => `${inner}${literal(item, inner)}`).join(",\n")},\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${literal(item, inner)}`).join(",\n")},\n${indent}}`;
}

const META_ARGUMENTS = new Set(["provider", "lifecycle", "depends_on", "count", "for_each"]);
const REFERENCE = /^\$\{((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/;

interface Element {
  readonly kind: "resource" | "data";
  readonly type: string;
  readonly logicalId: string;
  /** Terraform address: aws_vpc.x or data.aws_ami.x. */
  readonly address: string;
  readonly body: Readonly<Record<string, unknown>>;
  variable: string;
}

class Generator {
  private readonly imports = new Map<string, Set<string>>();
  private readonly elements = new Map<string, Element>();
  private readonly providers = new Map<string, string>();

  constructor(
    private readonly stack: SynthesizedStack,
    private readonly schemas: ProviderSchemas,
    private readonly options: GenerateOptions,
  ) {}

  /** The name of an imported class, imported once (every L1 class has a name of its own). */
  private use(l1: L1Class): string {
    const exports = this.imports.get(l1.module) ?? new Set<string>();
    exports.add(l1.exportName);
    this.imports.set(l1.module, exports);
    return l1.exportName;
  }

  private schemaOf(kind: "resource" | "data", type: string): SchemaBlock {
    const provider = type === "terraform_data" ? this.schemas.terraform : this.schemas.aws;
    const found = kind === "resource" ? provider?.resource_schemas[type] : provider?.data_source_schemas[type];
    if (!found) throw new Error(`${kind} ${type}: not in the provider schemas`);
    return found.block;
  }

  /** A string value: a token of the referenced element when it is exactly one reference, else the string. */
  private stringValue(value: string): unknown {
    const match = REFERENCE.exec(value);
    const target = match ? this.elements.get(match[1]!) : undefined;
    return target ? new Code(`${target.variable}.getStringAttribute(${JSON.stringify(match![2]!)})`) : value;
  }

  private typedValue(value: unknown, type: TerraformType | undefined, where: string): unknown {
    if (typeof value === "string") return this.stringValue(value);
    if (value === null || typeof value !== "object" || type === undefined || typeof type === "string") return value;
    const [kind, inner] = type;
    if ((kind === "list" || kind === "set") && Array.isArray(value)) return value.map((item, index) => this.typedValue(item, inner as TerraformType, `${where}[${index}]`));
    if (kind === "map" && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.typedValue(item, inner as TerraformType, `${where}.${key}`)]));
    }
    if (kind === "object" && !Array.isArray(value)) {
      const fields = inner as Readonly<Record<string, TerraformType>>;
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [camelCase(key), this.typedValue(item, fields[key], `${where}.${key}`)]));
    }
    if (kind === "tuple" && Array.isArray(value)) return value.map((item, index) => this.typedValue(item, (inner as unknown as TerraformType[])[index], `${where}[${index}]`));
    throw new Error(`${where}: a ${Array.isArray(value) ? "list" : "object"} where the schema says ${JSON.stringify(type)}`);
  }

  private attributeValue(value: unknown, attribute: SchemaAttribute, where: string): unknown {
    if (!attribute.nested_type) return this.typedValue(value, attribute.type, where);
    const block: SchemaBlock = { attributes: attribute.nested_type.attributes };
    const one = (item: unknown, at: string): unknown => (item !== null && typeof item === "object" && !Array.isArray(item) ? this.blockConfig(item as Record<string, unknown>, block, at) : this.typedValue(item, undefined, at));
    if (Array.isArray(value)) return value.map((item, index) => one(item, `${where}[${index}]`));
    if (attribute.nested_type.nesting_mode === "map" && value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, one(item, `${where}.${key}`)]));
    }
    return one(value, where);
  }

  /** The L1 config of one block body: attributes and nested blocks by the schema. */
  private blockConfig(body: Readonly<Record<string, unknown>>, block: SchemaBlock, where: string, skip: ReadonlySet<string> = new Set()): Record<string, unknown> {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      if (key === "//" || skip.has(key)) continue;
      const attribute = block.attributes?.[key];
      const nested = block.block_types?.[key];
      if (attribute) config[camelCase(key)] = this.attributeValue(value, attribute, `${where}.${key}`);
      else if (nested) {
        config[camelCase(key)] = Array.isArray(value)
          ? value.map((item: Record<string, unknown>, index) => this.blockConfig(item, nested.block, `${where}.${key}[${index}]`))
          : this.blockConfig(value as Record<string, unknown>, nested.block, `${where}.${key}`);
      } else throw new Error(`${where}.${key}: neither an attribute nor a block in the provider schema`);
    }
    return config;
  }

  /** provider, lifecycle and depends_on as the L1 classes take them. */
  private metaArguments(element: Element): Record<string, unknown> {
    const config: Record<string, unknown> = {};
    const body = element.body;
    for (const key of Object.keys(body)) {
      if (key === "provisioner" || key === "connection" || key === "count" || key === "for_each") {
        throw new Error(`${element.address}: ${key} is not supported by the baseline generator`);
      }
    }
    if (body.provider !== undefined) {
      const name = body.provider as string;
      const provider = this.providers.get(name);
      if (!provider) throw new Error(`${element.address}: provider ${name} is not configured in the stack`);
      config.provider = new Code(provider);
    }
    if (body.depends_on !== undefined) {
      config.dependsOn = (body.depends_on as string[]).map((address) => {
        const target = this.elements.get(address);
        if (!target) throw new Error(`${element.address}: depends_on ${address}, which is not in the stack`);
        return new Code(target.variable);
      });
    }
    if (body.lifecycle !== undefined) {
      // cdktf writes lifecycle's keys as given; strings in replace_triggered_by stay strings.
      config.lifecycle = Object.fromEntries(Object.entries(body.lifecycle as Record<string, unknown>).map(([key, value]) => [camelCase(key), value]));
    }
    return config;
  }

  /** Resources in an order where every referenced resource comes before the one referring to it. */
  private ordered(): Element[] {
    const visited = new Set<string>();
    const order: Element[] = [];
    const references = (value: unknown, found: Set<string>): void => {
      if (typeof value === "string") {
        const match = REFERENCE.exec(value);
        if (match && this.elements.has(match[1]!)) found.add(match[1]!);
      } else if (Array.isArray(value)) for (const item of value) references(item, found);
      else if (value !== null && typeof value === "object") for (const item of Object.values(value)) references(item, found);
    };
    const visit = (element: Element, path: Set<string>): void => {
      if (visited.has(element.address)) return;
      if (path.has(element.address)) throw new Error(`reference cycle through ${element.address}`);
      path.add(element.address);
      const needed = new Set<string>((element.body.depends_on as string[] | undefined) ?? []);
      references(element.body, needed);
      for (const address of needed) if (this.elements.has(address)) visit(this.elements.get(address)!, path);
      path.delete(element.address);
      visited.add(element.address);
      order.push(element);
    };
    for (const element of this.elements.values()) visit(element, new Set());
    return order;
  }

  generate(): string {
    for (const [kind, section] of [["resource", this.stack.resource], ["data", this.stack.data]] as const) {
      for (const [type, byId] of Object.entries(section ?? {})) {
        for (const [logicalId, body] of Object.entries(byId)) {
          const address = kind === "data" ? `data.${type}.${logicalId}` : `${type}.${logicalId}`;
          this.elements.set(address, { kind, type, logicalId, address, body, variable: "" });
        }
      }
    }
    const lines: string[] = [];
    const stackName = (this.stack["//"] as { metadata?: { stackName?: string } } | undefined)?.metadata?.stackName;
    if (!stackName) throw new Error("the synthesized stack has no //.metadata.stackName");
    lines.push(`  const stack = new ${this.use({ module: "cdktf", exportName: "TerraformStack" })}(app, ${JSON.stringify(stackName)});`);

    for (const [name, settings] of Object.entries(this.stack.terraform?.backend ?? {})) {
      if (name !== "local") throw new Error(`backend ${name}: the baseline generator writes the local backend only`);
      lines.push(`  new ${this.use({ module: "cdktf", exportName: "LocalBackend" })}(stack, ${literal(Object.fromEntries(Object.entries(settings).map(([key, value]) => [camelCase(key), value])), "  ")});`);
    }

    let count = 0;
    for (const [name, configurations] of Object.entries(this.stack.provider ?? {})) {
      if (name !== "aws") throw new Error(`provider ${name}: the baseline generator writes the AWS provider only`);
      for (const configuration of configurations) {
        const variable = `provider${count++}`;
        const alias = configuration.alias as string | undefined;
        this.providers.set(alias ? `${name}.${alias}` : name, variable);
        const config = this.blockConfig(configuration, this.schemas.aws!.provider.block, `provider.${name}`, new Set(["alias"]));
        if (alias) config.alias = alias;
        lines.push(`  const ${variable} = new ${this.use({ module: "@cdktf/provider-aws/lib/provider", exportName: "AwsProvider" })}(stack, ${JSON.stringify(alias ?? name)}, ${literal(config, "  ")});`);
      }
    }

    const order = this.ordered();
    order.forEach((element, index) => (element.variable = `r${index}`));
    for (const element of order) {
      const className = this.use(this.options.classFor(element.kind, element.type));
      const config = {
        ...this.blockConfig(element.body, this.schemaOf(element.kind, element.type), element.address, META_ARGUMENTS),
        ...this.metaArguments(element),
      };
      lines.push(`  const ${element.variable} = new ${className}(stack, ${JSON.stringify(element.logicalId)}, ${literal(config, "  ")});`);
      lines.push(`  ${element.variable}.overrideLogicalId(${JSON.stringify(element.logicalId)});`);
    }

    for (const [name, output] of Object.entries(this.stack.output ?? {})) {
      const config = Object.fromEntries(Object.entries(output).map(([key, value]) => [camelCase(key), key === "value" ? this.typedValue(value, undefined, `output.${name}`) : value]));
      lines.push(`  new ${this.use({ module: "cdktf", exportName: "TerraformOutput" })}(stack, ${JSON.stringify(name)}, ${literal(config, "  ")}).overrideLogicalId(${JSON.stringify(name)});`);
    }

    const requires = [...this.imports].map(([module, exports]) => `const { ${[...exports].join(", ")} } = require(${JSON.stringify(this.options.moduleSpecifier(module))});`);
    return [
      '"use strict";',
      `// Generated by bench/baseline/generate.ts from the synthesized stack ${stackName}: raw cdktf, L1 classes only.`,
      ...requires,
      "",
      "exports.build = function build(app) {",
      ...lines,
      "  return stack;",
      "};",
      "",
    ].join("\n");
  }
}

/** The CommonJS module of the raw program for one stack: `exports.build(app)` adds the stack to `app`. */
export function generateRawStack(stack: SynthesizedStack, schemas: ProviderSchemas, options: GenerateOptions): string {
  return new Generator(stack, schemas, options).generate();
}

/** The JSON without cdktf's "//" metadata (construct paths), at every level. */
export function withoutCdktfMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCdktfMetadata);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "//")
      .map(([key, item]) => [key, withoutCdktfMetadata(item)]),
  );
}

function preview(value: unknown): string {
  // JSON.stringify gives undefined for undefined, whatever its declared type says.
  return ((JSON.stringify(value) as string | undefined) ?? "undefined").slice(0, 120);
}

/** The first place two JSON documents differ (object key order aside), or undefined when equal. */
export function firstDifference(left: unknown, right: unknown, path = "$"): string | undefined {
  if (Array.isArray(left) && Array.isArray(right)) {
    if (left.length !== right.length) return `${path}: ${left.length} items against ${right.length}`;
    for (let index = 0; index < left.length; index++) {
      const found = firstDifference(left[index], right[index], `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (left !== null && right !== null && typeof left === "object" && typeof right === "object" && !Array.isArray(left) && !Array.isArray(right)) {
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    for (const key of [...keys].sort()) {
      if (!(key in left)) return `${path}.${key}: only in the second`;
      if (!(key in right)) return `${path}.${key}: only in the first`;
      const found = firstDifference((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key], `${path}.${key}`);
      if (found) return found;
    }
    return undefined;
  }
  return Object.is(left, right) ? undefined : `${path}: ${preview(left)} against ${preview(right)}`;
}
