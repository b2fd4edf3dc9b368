/**
 * Changing one field of a spec file the way a person would: only the text of that field changes,
 * so comments, key order, quoting and the rest of the file's layout stay as they were. The edit
 * is made on the `yaml` Document too, and the spliced text is checked against it; when a splice
 * cannot be made faithfully, the Document is printed instead (comments and key order are kept,
 * only spacing may change).
 */
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, parse, Scalar, type Document, type Node, type Pair, type YAMLMap } from "yaml";
import { jsonEqual } from "../spec";
import type { PathSegment } from "../spec";

export class SpecEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SpecEditError";
  }
}

interface ParsedFile {
  readonly docs: Document.Parsed[];
}

function parseFile(text: string): ParsedFile {
  const parsed = parseAllDocuments(text, { merge: true, prettyErrors: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  const error = docs.flatMap((doc) => doc.errors)[0];
  if (error) throw new SpecEditError(`the file is not valid YAML: ${error.message.split("\n")[0]!}`);
  return { docs };
}

/** The index of the document whose metadata.name is `cluster`, or undefined. */
export function documentIndexOf(text: string, cluster: string): number | undefined {
  const { docs } = parseFile(text);
  const index = docs.findIndex((doc) => {
    const name: unknown = doc.getIn(["metadata", "name"]);
    return name === cluster;
  });
  return index < 0 ? undefined : index;
}

const PLAIN_KEY = /^[A-Za-z0-9_][A-Za-z0-9._/-]*$/;
const PLAIN_FLOW = /^[A-Za-z0-9_./][A-Za-z0-9._/ +-]*$/;

/** A scalar as YAML source: plain when that reads back as the same value, else double-quoted. */
function scalarSource(value: unknown, style: Scalar["type"] | undefined, flow: boolean): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (style === Scalar.QUOTE_DOUBLE) return JSON.stringify(text);
  if (style === Scalar.QUOTE_SINGLE) return `'${text.replace(/'/g, "''")}'`;
  const pattern = flow ? PLAIN_FLOW : PLAIN_KEY;
  if (pattern.test(text) && !text.endsWith(" ") && parse(text) === text) return text;
  return JSON.stringify(text);
}

function keySource(key: string): string {
  return PLAIN_KEY.test(key) && parse(key) === key ? key : JSON.stringify(key);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function flowSource(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? "[]" : `[${value.map(flowSource).join(", ")}]`;
  if (isPlainObject(value)) {
    const entries = Object.entries(value);
    return entries.length === 0 ? "{}" : `{ ${entries.map(([key, item]) => `${keySource(key)}: ${flowSource(item)}`).join(", ")} }`;
  }
  return scalarSource(value, undefined, true);
}

/**
 * A value placed after `key:` in a block map whose keys are at `indent` spaces: scalars and
 * lists of scalars on the same line, maps as indented blocks, lists of maps as block items of
 * flow maps (the examples' style for taints).
 */
function valueAfterKey(value: unknown, indent: number): string {
  const inner = " ".repeat(indent + 2);
  if (isPlainObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return " {}";
    return entries.map(([key, item]) => `\n${inner}${keySource(key)}:${valueAfterKey(item, indent + 2)}`).join("");
  }
  if (Array.isArray(value) && value.some((item) => isPlainObject(item) || Array.isArray(item))) {
    return value.map((item) => `\n${inner}- ${flowSource(item)}`).join("");
  }
  if (Array.isArray(value)) return ` ${flowSource(value)}`;
  return ` ${scalarSource(value, undefined, false)}`;
}

/** A block collection's replacement, starting at the node's own first character (already indented). */
function blockSource(value: unknown, indent: number, wasSeq: boolean): string {
  const pad = " ".repeat(indent);
  if (Array.isArray(value) && wasSeq) {
    return value.map((item, index) => `${index === 0 ? "" : pad}- ${isPlainObject(item) ? flowSource(item) : flowSource(item)}`).join("\n");
  }
  if (isPlainObject(value) && !wasSeq) {
    return Object.entries(value)
      .map(([key, item], index) => `${index === 0 ? "" : pad}${keySource(key)}:${valueAfterKey(item, indent)}`)
      .join("\n");
  }
  return flowSource(value);
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

/** The offset just after the line that holds `offset - 1` (the end of a node's last line). */
function endOfLine(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === "\n") return offset;
  const newline = text.indexOf("\n", offset);
  return newline < 0 ? text.length : newline + 1;
}

function startOfLine(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

type Splice = { readonly start: number; readonly end: number; readonly text: string };

function nodeRange(node: Node): [number, number] {
  const range = node.range;
  if (!range) throw new SpecEditError("a node without a position");
  return [range[0], range[1]];
}

function replaceNode(text: string, node: Node, value: unknown): Splice {
  const [start, end] = nodeRange(node);
  if (isScalar(node)) {
    if (isPlainObject(value) || Array.isArray(value)) return { start, end, text: flowSource(value) };
    return { start, end, text: scalarSource(value, node.type, false) };
  }
  if ((isMap(node) || isSeq(node)) && !node.flow && (isPlainObject(value) || Array.isArray(value)) && Array.isArray(value) === isSeq(node) && !isEmpty(value)) {
    // A block collection's range ends after its last line: keep that line break.
    let stop = end;
    while (stop > start && (text[stop - 1] === "\n" || text[stop - 1] === " ")) stop -= 1;
    return { start, end: stop, text: blockSource(value, columnOf(text, start), isSeq(node)) };
  }
  if ((isMap(node) || isSeq(node)) && !node.flow) throw new SpecEditError("cannot turn a block collection into another shape in place");
  return { start, end, text: flowSource(value) };
}

function isEmpty(value: unknown): boolean {
  return Array.isArray(value) ? value.length === 0 : isPlainObject(value) && Object.keys(value).length === 0;
}

function pairKey(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function insertPair(text: string, map: YAMLMap, key: string, value: unknown, after?: string): Splice {
  if (map.flow || map.items.length === 0) throw new SpecEditError("cannot insert into a flow map in place");
  const last = map.items.find((item) => after !== undefined && pairKey(item) === after) ?? map.items[map.items.length - 1]!;
  const firstKey = map.items[0]!.key as Node;
  const indent = columnOf(text, nodeRange(firstKey)[0]);
  const lastEnd = isPair(last) && last.value && (last.value as Node).range ? nodeRange(last.value as Node)[1] : nodeRange(last.key as Node)[1];
  const at = endOfLine(text, lastEnd);
  const line = `${" ".repeat(indent)}${keySource(key)}:${valueAfterKey(value, indent)}\n`;
  return { start: at, end: at, text: at === text.length && !text.endsWith("\n") ? `\n${line}` : line };
}

function deletePair(text: string, map: YAMLMap, pair: Pair): Splice {
  if (map.flow || map.items.length < 2) throw new SpecEditError("cannot remove from a flow map in place");
  const keyStart = nodeRange(pair.key as Node)[0];
  const valueEnd = pair.value && (pair.value as Node).range ? nodeRange(pair.value as Node)[1] : nodeRange(pair.key as Node)[1];
  return { start: startOfLine(text, keyStart), end: endOfLine(text, valueEnd), text: "" };
}

/** The value of `path` with its ancestors created as maps: { machine: { aws: { instanceTypes } } }. */
function nested(path: readonly PathSegment[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, segment) => ({ [String(segment)]: inner }), value);
}

function spliceFor(text: string, doc: Document.Parsed, path: readonly PathSegment[], value: unknown, after?: string): Splice | undefined {
  // Walk down to the deepest node that exists.
  let node: unknown = doc.contents;
  for (let depth = 0; depth < path.length; depth += 1) {
    const segment = path[depth]!;
    const last = depth === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && pairKey(item) === String(segment));
      if (!pair) {
        if (value === undefined) return undefined;
        return insertPair(text, node, String(segment), nested(path.slice(depth + 1), value), last ? after : undefined);
      }
      if (last) return value === undefined ? deletePair(text, node, pair) : pair.value ? replaceNode(text, pair.value as Node, value) : undefined;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) throw new SpecEditError(`no item ${segment} at ${path.slice(0, depth).join(".")}`);
      if (last) {
        if (value === undefined) throw new SpecEditError("cannot remove a list item in place");
        return replaceNode(text, item as Node, value);
      }
      node = item;
    } else {
      throw new SpecEditError(`${path.slice(0, depth).join(".")} is not a map or list`);
    }
  }
  return undefined;
}

/**
 * Sets (or, with `value` undefined, removes) the field at `path` of document `documentIndex`
 * (0-based) of a YAML file, and returns the new text of the whole file. A new key goes after the
 * key `insertAfter` names when its map has it, else at the end of the map.
 */
export function applyFieldEdit(text: string, documentIndex: number, path: readonly PathSegment[], value: unknown, insertAfter?: string): string {
  const { docs } = parseFile(text);
  const doc = docs[documentIndex];
  if (!doc) throw new SpecEditError(`the file has no document ${documentIndex + 1}`);
  const expected = doc.clone();
  if (value === undefined) expected.deleteIn(path);
  else expected.setIn(path, value);
  const expectedValues = docs.map((item, index) => (index === documentIndex ? expected : item).toJS() as unknown);

  let spliced: string | undefined;
  try {
    const splice = spliceFor(text, doc, path, value, insertAfter);
    spliced = splice ? text.slice(0, splice.start) + splice.text + text.slice(splice.end) : text;
  } catch (error) {
    if (!(error instanceof SpecEditError)) throw error;
  }
  if (spliced !== undefined) {
    try {
      const check = parseFile(spliced).docs.map((item) => item.toJS() as unknown);
      if (jsonEqual(check, expectedValues)) return spliced;
    } catch (error) {
      if (!(error instanceof SpecEditError)) throw error;
    }
  }
  // The faithful splice did not work out: print the edited Document (comments and order kept).
  if (docs.length !== 1) throw new SpecEditError(`cannot change ${path.join(".")} here without reformatting other documents of the file: edit the YAML directly`);
  return expected.toString();
}
