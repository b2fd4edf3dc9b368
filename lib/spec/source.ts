/**
 * Reading spec files: YAML (several documents separated by ---) or JSON (one document, or an
 * array of documents), keeping positions so that every problem can point at its line.
 */
import { readFileSync } from "node:fs";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from "yaml";
import type { PathSegment } from "./problems";

export interface SourcePosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export interface SourceDocument {
  /** The file as the user named it ("-" for standard input is shown as "<stdin>"). */
  readonly file: string;
  /** 1-based index of the document in its file. */
  readonly index: number;
  readonly value: unknown;
  /** Where a field is, or the nearest enclosing field that exists when it is missing. */
  locate(path: readonly PathSegment[]): SourcePosition | undefined;
}

/** The file cannot be used at all: missing, unreadable, or not YAML/JSON. A usage error. */
export class SpecSourceError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly position?: SourcePosition,
  ) {
    super(`${file}${position ? `:${position.line}:${position.column}` : ""}: ${reason}`);
    this.name = "SpecSourceError";
  }
}

type YamlNode = Node | null | undefined;

/** Walks the YAML tree along `path`; returns the offset of the deepest key or item found. */
function offsetOf(root: YamlNode, path: readonly PathSegment[]): number | undefined {
  let node: unknown = root;
  let offset = (root)?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return offset;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) return offset;
      offset = (item as Node).range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

function documentsOf(text: string, file: string): { doc: Document.Parsed; lineCounter: LineCounter }[] {
  const lineCounter = new LineCounter();
  // YAML 1.1 merge keys (<<: *defaults) are honoured; checking every key for one costs about a
  // third of the parse, so only a text that has "<<" somewhere pays for it (docs/performance.md).
  const docs = parseAllDocuments(text, { lineCounter, merge: text.includes("<<"), prettyErrors: false });
  // An empty file parses to an empty stream, not a list.
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const position = lineCounter.linePos(error.pos[0]);
      const reason = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      throw new SpecSourceError(file, `not valid YAML or JSON: ${reason}`, { line: position.line, column: position.col });
    }
  }
  return list.map((doc) => ({ doc, lineCounter }));
}

/** Parses the text of a spec file into its documents; empty documents (a trailing ---) are skipped. */
export function parseSpecText(text: string, file: string): SourceDocument[] {
  const result: SourceDocument[] = [];
  for (const { doc, lineCounter } of documentsOf(text, file)) {
    // A trailing --- (or a document of comments only) holds nothing: not a document to check.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      throw new SpecSourceError(file, `not usable YAML: ${(error as Error).message}`);
    }
    const locateIn = (prefix: readonly PathSegment[]) => (path: readonly PathSegment[]) => {
      const offset = offsetOf(doc.contents, [...prefix, ...path]);
      if (offset === undefined) return undefined;
      const position = lineCounter.linePos(offset);
      return { line: position.line, column: position.col };
    };
    // A JSON file may hold an array of documents, as JSON has no document separator.
    if (file.endsWith(".json") && Array.isArray(value)) {
      value.forEach((item, index) => result.push({ file, index: result.length + 1, value: item, locate: locateIn([index]) }));
    } else {
      result.push({ file, index: result.length + 1, value, locate: locateIn([]) });
    }
  }
  return result;
}

/** Reads and parses a spec file; "-" reads standard input. Throws `SpecSourceError`. */
export function readSpecFile(path: string): SourceDocument[] {
  const file = path === "-" ? "<stdin>" : path;
  let text: string;
  try {
    text = readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a spec file" : code === "EACCES" ? "permission denied" : `cannot read: ${(error as Error).message}`;
    throw new SpecSourceError(file, reason);
  }
  return parseSpecText(text, file);
}
