/**
 * The fields the cluster page's form edits: the Kubernetes version, and each pool's sizes,
 * instance types, labels and taints. Each field knows its spec path, how to show the current
 * value as text, and how to turn what was typed into the value written to the file. Whatever the
 * text turns into is checked by the spec's own schema and rules, as `k2 lint` checks it.
 */
import { formatPath, type PathSegment } from "../spec";

export type FieldKind = "version" | "size" | "optional-size" | "list" | "labels" | "taints";

export interface FormField {
  /** Stable id for the browser: kubernetes.version, pool.0.maxSize, ... */
  readonly id: string;
  readonly label: string;
  readonly kind: FieldKind;
  /** From the document's root. */
  readonly path: readonly PathSegment[];
  /** Where a new key goes when the field is not in the file yet. */
  readonly insertAfter?: string;
  /** The current value, as the form shows it. */
  readonly text: string;
  readonly hint?: string;
}

export interface PoolFields {
  readonly name: string;
  readonly index: number;
  readonly fields: readonly FormField[];
}

export interface FormModel {
  readonly version?: FormField;
  readonly pools: readonly PoolFields[];
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
}

function scalarText(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
}

function labelsText(value: unknown): string {
  const labels = asObject(value);
  return labels ? Object.entries(labels).map(([key, item]) => `${key}=${scalarText(item)}`).join("\n") : "";
}

function taintsText(value: unknown): string {
  if (!Array.isArray(value)) return "";
  return value
    .map((item) => {
      const taint = asObject(item) ?? {};
      const key = scalarText(taint.key);
      const taintValue = taint.value === undefined ? "" : `=${scalarText(taint.value)}`;
      return `${key}${taintValue}:${scalarText(taint.effect)}`;
    })
    .join("\n");
}

/** The form of a cluster document as it stands (valid or not). */
export function formModel(document: unknown): FormModel {
  const root = asObject(document) ?? {};
  const spec = asObject(root.spec) ?? {};
  const kubernetes = asObject(spec.kubernetes);
  const aws = asObject(asObject(spec.provider)?.aws) !== undefined;
  const pools = Array.isArray(spec.nodePools) ? spec.nodePools : [];
  return {
    ...(kubernetes
      ? { version: { id: "kubernetes.version", label: "Kubernetes version", kind: "version" as const, path: ["spec", "kubernetes", "version"], text: scalarText(kubernetes.version), hint: "a supported minor, such as 1.36" } }
      : {}),
    pools: pools.map((item, index) => {
      const pool = asObject(item) ?? {};
      const base: PathSegment[] = ["spec", "nodePools", index];
      const fields: FormField[] = [
        { id: `pool.${index}.minSize`, label: "Minimum size", kind: "size", path: [...base, "minSize"], text: scalarText(pool.minSize) },
        { id: `pool.${index}.desiredSize`, label: "Desired size", kind: "optional-size", path: [...base, "desiredSize"], insertAfter: "minSize", text: scalarText(pool.desiredSize), hint: "empty: the minimum" },
        { id: `pool.${index}.maxSize`, label: "Maximum size", kind: "size", path: [...base, "maxSize"], text: scalarText(pool.maxSize) },
      ];
      if (aws) {
        const machineAws = asObject(asObject(pool.machine)?.aws);
        const types = machineAws?.instanceTypes;
        fields.push({
          id: `pool.${index}.instanceTypes`,
          label: "Instance types",
          kind: "list",
          path: [...base, "machine", "aws", "instanceTypes"],
          text: Array.isArray(types) ? types.map(scalarText).join(", ") : scalarText(types),
          hint: "comma-separated, the first is preferred; empty: the default",
        });
      }
      fields.push(
        { id: `pool.${index}.labels`, label: "Labels", kind: "labels", path: [...base, "labels"], insertAfter: "maxSize", text: labelsText(pool.labels), hint: "one key=value per line" },
        { id: `pool.${index}.taints`, label: "Taints", kind: "taints", path: [...base, "taints"], insertAfter: "labels", text: taintsText(pool.taints), hint: "one key=value:Effect per line (NoSchedule, PreferNoSchedule, NoExecute)" },
      );
      return { name: scalarText(pool.name) || `pool ${index + 1}`, index, fields };
    }),
  };
}

export function formFields(model: FormModel): FormField[] {
  return [...(model.version ? [model.version] : []), ...model.pools.flatMap((pool) => pool.fields)];
}

/** What typing `input` into a field writes to the file (undefined removes the key), or why it cannot. */
export type FieldValue = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

function size(input: string, optional: boolean): FieldValue {
  const text = input.trim();
  if (text === "" && optional) return { ok: true, value: undefined };
  // Anything that is not a whole number is written as typed: the schema names what is expected.
  return { ok: true, value: /^-?\d+$/.test(text) ? Number(text) : text };
}

function lines(input: string): string[] {
  return input
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

export function fieldValue(field: Pick<FormField, "kind">, input: string): FieldValue {
  switch (field.kind) {
    case "version":
      return { ok: true, value: input.trim() };
    case "size":
      return size(input, false);
    case "optional-size":
      return size(input, true);
    case "list": {
      const items = input
        .split(/[,\s]+/)
        .map((item) => item.trim())
        .filter((item) => item !== "");
      return { ok: true, value: items.length === 0 ? undefined : items };
    }
    case "labels": {
      const labels: Record<string, string> = {};
      for (const [index, line] of lines(input).entries()) {
        const equals = line.indexOf("=");
        if (equals <= 0) return { ok: false, message: `line ${index + 1} ("${line}") is not key=value` };
        labels[line.slice(0, equals).trim()] = line.slice(equals + 1).trim();
      }
      return { ok: true, value: Object.keys(labels).length === 0 ? undefined : labels };
    }
    case "taints": {
      const taints: Record<string, string>[] = [];
      for (const [index, line] of lines(input).entries()) {
        const match = /^([^=:\s]+)(?:=([^:\s]*))?:(\S+)$/.exec(line);
        if (!match) return { ok: false, message: `line ${index + 1} ("${line}") is not key=value:Effect or key:Effect` };
        taints.push({ key: match[1]!, ...(match[2] === undefined ? {} : { value: match[2] }), effect: match[3]! });
      }
      return { ok: true, value: taints.length === 0 ? undefined : taints };
    }
  }
}

/** Whether a problem at `problemPath` (as formatPath prints it) belongs to the field. */
export function fieldOwnsProblem(field: Pick<FormField, "path">, problemPath: string): boolean {
  const own = formatPath(field.path);
  return problemPath === own || problemPath.startsWith(`${own}.`) || problemPath.startsWith(`${own}[`);
}
