/**
 * Reading spec files: YAML (several documents separated by ---) or JSON (one document, or an
 * array of documents), keeping positions so that every problem can point at its line.
 */
import { readFileSync } from "node:fs";
import { loadAll, CORE_SCHEMA } from "js-yaml";
import type { Document, LineCounter, Node } from "yaml";
import type { PathSegment } from "./problems";

/** `yaml`, the full parser (positions, YAML's every feature): loaded only when it is needed. */
function fullParser(): typeof import("yaml") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred: most runs never need it
  return require("yaml") as typeof import("yaml");
}

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
  const { isMap, isPair, isScalar, isSeq } = fullParser();
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
  const { LineCounter, parseAllDocuments } = fullParser();
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

/**
 * Texts the fast reader might read otherwise than `yaml` does, or that only `yaml` guards: tags,
 * anchors and aliases (alias bombs), merge keys, directives, explicit and null keys, and number
 * forms the two libraries resolve differently (binary, signed hex or octal, signed floats without
 * a leading digit, exponents of three digits). test/spec/source.test.ts reads texts both ways.
 */
const NEEDS_FULL_PARSER = /[!&*]|<<|__proto__|0[bB]|[-+]0[xXoO]|[-+]\.[0-9]|[eE][-+]?[0-9]{3}|^\s*%|^\s*\?(\s|$)|(^|[\s{,[-])(~|null|Null|NULL)\s*:/m;

/** Whether parseSpecText reads `text` with the fast reader (for tests and benchmarks). */
export function readsFast(text: string): boolean {
  return fastValues(text) !== undefined;
}

/** A document worth checking: not empty (a trailing ---), not only comments, not a lone null. */
const holdsSomething = (value: unknown): boolean => value !== null && value !== undefined;

/**
 * The documents' values through js-yaml (YAML 1.2 core schema), which reads specs several times
 * faster than `yaml`; undefined when the text needs the full parser or js-yaml refuses it (then
 * `yaml` reads it and says why, with its position).
 */
function fastValues(text: string): unknown[] | undefined {
  if (NEEDS_FULL_PARSER.test(text)) return undefined;
  try {
    return loadAll(text, undefined, { schema: CORE_SCHEMA }).filter(holdsSomething);
  } catch {
    return undefined;
  }
}

/** Parses the text of a spec file into its documents; empty documents (a trailing ---) are skipped. */
export function parseSpecText(text: string, file: string): SourceDocument[] {
  const fast = fastValues(text);
  if (fast) {
    // Positions only matter for a problem to report: the full parser reads the text then, once.
    let full: { root: YamlNode; lineCounter: LineCounter }[] | undefined;
    const fullDocuments = (): { root: YamlNode; lineCounter: LineCounter }[] => {
      if (full === undefined) {
        try {
          full = documentsOf(text, file)
            .filter(({ doc }) => holdsSomething(doc.contents) && !(fullParser().isScalar(doc.contents) && doc.contents.value === null))
            .map(({ doc, lineCounter }) => ({ root: doc.contents, lineCounter }));
        } catch {
          full = [];
        }
      }
      return full;
    };
    return sourceDocuments(
      file,
      fast.map((value, documentIndex) => ({
        value,
        locate: (path) => {
          const parsed = fullDocuments()[documentIndex];
          return parsed ? positionOf(parsed.root, parsed.lineCounter, path) : undefined;
        },
      })),
    );
  }
  return parseWithPositions(text, file);
}

function positionOf(root: YamlNode, lineCounter: LineCounter, path: readonly PathSegment[]): SourcePosition | undefined {
  const offset = offsetOf(root, path);
  if (offset === undefined) return undefined;
  const position = lineCounter.linePos(offset);
  return { line: position.line, column: position.col };
}

/** The documents of a file, numbered; a JSON file may hold an array of them, as JSON has no document separator. */
function sourceDocuments(file: string, parsed: readonly { value: unknown; locate: SourceDocument["locate"] }[]): SourceDocument[] {
  const result: SourceDocument[] = [];
  for (const { value, locate } of parsed) {
    if (file.endsWith(".json") && Array.isArray(value)) {
      value.forEach((item: unknown, index) => result.push({ file, index: result.length + 1, value: item, locate: (path) => locate([index, ...path]) }));
    } else {
      result.push({ file, index: result.length + 1, value, locate });
    }
  }
  return result;
}

/**
 * The full parser's reading: every YAML feature, positions at once, and its errors. What
 * parseSpecText returns when the fast reader does not apply; exported for the tests that compare them.
 */
export function parseWithPositions(text: string, file: string): SourceDocument[] {
  const { isScalar } = fullParser();
  const parsed: { value: unknown; locate: SourceDocument["locate"] }[] = [];
  for (const { doc, lineCounter } of documentsOf(text, file)) {
    // A trailing --- (or a document of comments only) holds nothing: not a document to check.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      throw new SpecSourceError(file, `not usable YAML: ${(error as Error).message}`);
    }
    parsed.push({ value, locate: (path) => positionOf(doc.contents, lineCounter, path) });
  }
  return sourceDocuments(file, parsed);
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
