/** `k2 schema`: prints the spec's JSON Schema, or its Markdown reference (docs/spec.md). */
import { clusterJsonSchema, renderSpecReference } from "../spec";
import { EXIT } from "./errors";

export function schemaCommand(options: { readonly format: "json" | "markdown" }, stdout: NodeJS.WritableStream = process.stdout): number {
  stdout.write(options.format === "markdown" ? renderSpecReference() : `${JSON.stringify(clusterJsonSchema(), null, 2)}\n`);
  return EXIT.ok;
}
