/** `k2 schema`: prints the JSON Schema of the spec or of the plan, or their Markdown reference (docs/spec.md, docs/plan-json.md). */
import { clusterJsonSchema, renderSpecReference } from "../spec";
import { EXIT } from "./errors";

export interface SchemaOptions {
  readonly format: "json" | "markdown";
  /** cluster: the spec; plan: the output of k2 plan --format json. */
  readonly of: "cluster" | "plan";
}

export async function schemaCommand(options: SchemaOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  if (options.of === "plan") {
    const { renderPlanJsonReference } = await import("../plan/docs.js");
    const { planJsonSchema } = await import("../plan/json-schema.js");
    stdout.write(options.format === "markdown" ? renderPlanJsonReference() : `${JSON.stringify(planJsonSchema(), null, 2)}\n`);
    return EXIT.ok;
  }
  stdout.write(options.format === "markdown" ? renderSpecReference() : `${JSON.stringify(clusterJsonSchema(), null, 2)}\n`);
  return EXIT.ok;
}
