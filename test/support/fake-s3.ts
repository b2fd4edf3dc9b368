/**
 * A test double of Amazon S3 and DynamoDB (these machines cannot reach AWS): one HTTP server on
 * loopback that speaks what k2's s3 state client calls, so that the real AWS SDK clients are
 * exercised end to end, request signing and error parsing included.
 *
 * - S3 (REST-XML): GetObject, HeadObject, PutObject (with If-None-Match: *), DeleteObject, ListObjectsV2, path-style (`/<bucket>/<key>`), which the
 *   SDK uses on its own when the endpoint is an IP address; virtual-host style
 *   (`Host: <bucket>.<endpoint host>`) is accepted too.
 * - S3 versioning, for the buckets in `versioning`: every PutObject is a new version
 *   (x-amz-version-id), every DeleteObject a delete marker; GetObject and HeadObject take
 *   `?versionId=`; ListObjectVersions (`GET /<bucket>?versions`) lists versions and delete
 *   markers by key, newest first, paged with max-keys, key-marker and version-id-marker.
 *   Unversioned buckets behave as before (and list their objects as version "null", as S3 does).
 * - DynamoDB (JSON 1.0, `X-Amz-Target: DynamoDB_20120810.<Operation>`): GetItem (with a
 *   ProjectionExpression), PutItem (with attribute_not_exists(LockID), as Terraform locks), DeleteItem.
 *
 * Point the SDK at it with AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_DYNAMODB (see `awsEnv`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, randomBytes } from "node:crypto";
import { closeServer } from "./close-server";

/** A DynamoDB attribute value, as the wire protocol writes it (only what lock items use). */
export type AttributeValue = { readonly S: string } | { readonly N: string } | { readonly B: string };
export type DynamoItem = Readonly<Record<string, AttributeValue>>;

export interface FakeAwsCall {
  readonly service: "s3" | "dynamodb";
  /** GetObject, DeleteObject, PutObject, GetItem, DeleteItem, ... */
  readonly operation: string;
  /** S3: the bucket and key; DynamoDB: the table and the LockID asked for. */
  readonly bucket?: string;
  readonly key?: string;
  readonly table?: string;
  readonly lockId?: string;
  /** S3: the versionId asked for (GetObject, HeadObject). */
  readonly versionId?: string;
  /** S3: whether the bucket came in the path (true) or in the Host header (false). */
  readonly pathStyle?: boolean;
  /** The region of the request's SigV4 credential scope. */
  readonly region: string;
  /** The full request body, parsed, for DynamoDB calls. */
  readonly input?: Readonly<Record<string, unknown>>;
}

/** One version of an object in a versioned bucket; a delete marker has no body. */
export interface FakeObjectVersion {
  readonly key: string;
  readonly versionId: string;
  readonly lastModified: Date;
  readonly body?: Buffer;
}

export interface FakeS3Options {
  /** The clock for LastModified (S3 keeps whole seconds). @default - the machine's clock */
  readonly now?: () => Date;
}

export interface FakeS3 {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /**
   * Objects by bucket, then key: the current object of each key. Only buckets in this map exist.
   * In a versioned bucket, write through the SDK, so that every write is a version too.
   */
  readonly buckets: Map<string, Map<string, Buffer>>;
  /**
   * The buckets with versioning enabled, each with its versions and delete markers in the order
   * they were written. `versioning.set(bucket, [])` enables it.
   */
  readonly versioning: Map<string, FakeObjectVersion[]>;
  /** DynamoDB tables by name, then the item's hash key value. Only tables in this map exist. */
  readonly tables: Map<string, Map<string, DynamoItem>>;
  readonly calls: FakeAwsCall[];
  /** Environment for the real SDK (in a child process or this one): endpoints and dummy credentials, nothing from the machine. */
  awsEnv(): Record<string, string | undefined>;
  close(): Promise<void>;
}

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function s3Error(response: ServerResponse, status: number, code: string, message: string, resource: string, headers: Readonly<Record<string, string>> = {}): void {
  response.writeHead(status, { "content-type": "application/xml", "x-amz-request-id": "FAKE0000000000000", ...headers });
  response.end(`${XML_HEADER}<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(resource)}</Resource><RequestId>FAKE0000000000000</RequestId></Error>`);
}

function dynamoReply(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "FAKE0000000000000" });
  response.end(JSON.stringify(payload));
}

/** The region of `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...`; undefined when unsigned. */
function signedScope(request: IncomingMessage): { region: string; service: string } | undefined {
  const match = /^AWS4-HMAC-SHA256 Credential=[^/]+\/[0-9]{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(request.headers.authorization ?? "");
  return match ? { region: match[1]!, service: match[2]! } : undefined;
}

/** ListObjectsV2, one page: what `terraform init` asks to find the workspaces (prefix env:/). */
function listObjects(response: ServerResponse, bucket: string, objects: ReadonlyMap<string, Buffer>, prefix: string): void {
  const keys = [...objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  const contents = keys
    .map((key) => `<Contents><Key>${xmlEscape(key)}</Key><LastModified>${new Date().toISOString()}</LastModified><Size>${objects.get(key)!.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
    .join("");
  response.writeHead(200, { "content-type": "application/xml" });
  response.end(
    `${XML_HEADER}<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
  );
}

function etagOf(body: Buffer): string {
  return `"${createHash("md5").update(body).digest("hex")}"`;
}

/** An opaque version id shaped like S3's (32 URL-safe characters). */
function newVersionId(): string {
  return randomBytes(24).toString("base64url");
}

const OWNER = "<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>fake</DisplayName></Owner>";

/**
 * ListObjectVersions, one page, as S3 answers it: keys in order, each key's versions and delete
 * markers newest first, max-keys counting both; key-marker alone starts after every version of
 * that key, with version-id-marker after that version.
 */
function listVersions(response: ServerResponse, bucket: string, versions: readonly FakeObjectVersion[], params: URLSearchParams): void {
  const prefix = params.get("prefix") ?? "";
  const maxKeys = Math.min(Number(params.get("max-keys") ?? "1000") || 1000, 1000);
  const keyMarker = params.get("key-marker") ?? "";
  const versionIdMarker = params.get("version-id-marker") ?? "";
  const latest = new Map<string, string>();
  for (const version of versions) latest.set(version.key, version.versionId);
  const ordered = versions
    .map((version, index) => ({ version, index }))
    .filter(({ version }) => version.key.startsWith(prefix))
    .sort((a, b) => (a.version.key < b.version.key ? -1 : a.version.key > b.version.key ? 1 : b.index - a.index))
    .map(({ version }) => version);
  let start = 0;
  if (keyMarker !== "") {
    const markerIndex = versionIdMarker === "" ? -1 : ordered.findIndex((version) => version.key === keyMarker && version.versionId === versionIdMarker);
    start = markerIndex >= 0 ? markerIndex + 1 : ordered.findIndex((version) => version.key > keyMarker);
    if (start < 0) start = ordered.length;
  }
  const page = ordered.slice(start, start + maxKeys);
  const truncated = start + maxKeys < ordered.length;
  const last = page[page.length - 1];
  const entries = page
    .map((version) => {
      const common = `<Key>${xmlEscape(version.key)}</Key><VersionId>${xmlEscape(version.versionId)}</VersionId><IsLatest>${latest.get(version.key) === version.versionId}</IsLatest><LastModified>${version.lastModified.toISOString()}</LastModified>`;
      return version.body === undefined
        ? `<DeleteMarker>${common}${OWNER}</DeleteMarker>`
        : `<Version>${common}<ETag>${xmlEscape(etagOf(version.body))}</ETag><Size>${version.body.length}</Size><StorageClass>STANDARD</StorageClass>${OWNER}</Version>`;
    })
    .join("");
  const next = truncated && last ? `<NextKeyMarker>${xmlEscape(last.key)}</NextKeyMarker><NextVersionIdMarker>${xmlEscape(last.versionId)}</NextVersionIdMarker>` : "";
  response.writeHead(200, { "content-type": "application/xml" });
  response.end(
    `${XML_HEADER}<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyMarker>${xmlEscape(keyMarker)}</KeyMarker><VersionIdMarker>${xmlEscape(versionIdMarker)}</VersionIdMarker>${next}<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${entries}</ListVersionsResult>`,
  );
}

export async function startFakeS3(options: FakeS3Options = {}): Promise<FakeS3> {
  const buckets = new Map<string, Map<string, Buffer>>();
  const versioning = new Map<string, FakeObjectVersion[]>();
  // S3 keeps LastModified in whole seconds.
  const now = (): Date => new Date(Math.floor((options.now?.() ?? new Date()).getTime() / 1000) * 1000);
  const tables = new Map<string, Map<string, DynamoItem>>();
  const calls: FakeAwsCall[] = [];
  let hostname = "127.0.0.1";

  function handleS3(request: IncomingMessage, body: Buffer, response: ServerResponse, region: string): void {
    const url = new URL(request.url ?? "/", "http://fake");
    const host = (request.headers.host ?? "").replace(/:[0-9]+$/, "");
    const pathStyle = host === hostname || host === "localhost";
    const segments = url.pathname.slice(1).split("/");
    const bucket = pathStyle ? decodeURIComponent(segments.shift() ?? "") : host.slice(0, host.length - hostname.length - 1);
    const key = segments.map((segment) => decodeURIComponent(segment)).join("/");
    const listing = key === "" && request.method === "GET" && url.searchParams.get("list-type") === "2";
    const versionListing = key === "" && request.method === "GET" && url.searchParams.has("versions");
    const operation = listing
      ? "ListObjectsV2"
      : versionListing
        ? "ListObjectVersions"
        : ({ GET: "GetObject", PUT: "PutObject", DELETE: "DeleteObject", HEAD: "HeadObject" }[request.method ?? ""] ?? `${request.method ?? "?"} object`);
    const versionId = url.searchParams.get("versionId") ?? undefined;
    calls.push({ service: "s3", operation, bucket, key: listing || versionListing ? (url.searchParams.get("prefix") ?? "") : key, ...(versionId === undefined ? {} : { versionId }), pathStyle, region });
    const objects = buckets.get(bucket);
    if (!objects) {
      s3Error(response, 404, "NoSuchBucket", "The specified bucket does not exist", `/${bucket}`);
      return;
    }
    const versions = versioning.get(bucket);
    if (key === "") {
      if (listing) {
        listObjects(response, bucket, objects, url.searchParams.get("prefix") ?? "");
      } else if (versionListing) {
        // An unversioned bucket lists each object once, as version "null".
        const listed = versions ?? [...objects].map(([name, object]): FakeObjectVersion => ({ key: name, versionId: "null", lastModified: now(), body: object }));
        listVersions(response, bucket, listed, url.searchParams);
      } else {
        s3Error(response, 501, "NotImplemented", "the test double implements ListObjectsV2, ListObjectVersions and object operations only", `/${bucket}`);
      }
      return;
    }
    const resource = `/${bucket}/${key}`;
    /** The version asked for, or the current one; a delete marker is answered as S3 does. */
    const find = (): { object?: Buffer; headers: Record<string, string>; lastModified?: Date; error?: [number, string, string] } => {
      if (versionId === undefined) {
        const current = versions?.findLast((version) => version.key === key);
        const object = objects.get(key);
        if (!object) return { headers: current ? { "x-amz-delete-marker": "true", "x-amz-version-id": current.versionId } : {}, error: [404, "NoSuchKey", "The specified key does not exist."] };
        return { object, headers: current ? { "x-amz-version-id": current.versionId } : {}, ...(current ? { lastModified: current.lastModified } : {}) };
      }
      if (!versions) {
        const object = objects.get(key);
        if (versionId === "null" && object) return { object, headers: {} };
        return { headers: {}, error: versionId === "null" ? [404, "NoSuchKey", "The specified key does not exist."] : [400, "InvalidArgument", "Invalid version id specified"] };
      }
      const version = versions.find((candidate) => candidate.key === key && candidate.versionId === versionId);
      if (!version) return { headers: {}, error: [404, "NoSuchVersion", "The specified version does not exist."] };
      if (version.body === undefined) return { headers: { "x-amz-delete-marker": "true", "x-amz-version-id": versionId, allow: "DELETE" }, error: [405, "MethodNotAllowed", "The specified method is not allowed against this resource."] };
      return { object: version.body, headers: { "x-amz-version-id": versionId }, lastModified: version.lastModified };
    };
    switch (request.method) {
      case "GET": {
        const found = find();
        if (found.error || !found.object) {
          const [status, code, message] = found.error ?? [404, "NoSuchKey", "The specified key does not exist."];
          s3Error(response, status, code, message, resource, found.headers);
          return;
        }
        response.writeHead(200, {
          "content-type": "application/octet-stream",
          "content-length": String(found.object.length),
          etag: etagOf(found.object),
          "last-modified": (found.lastModified ?? new Date()).toUTCString(),
          ...found.headers,
        });
        response.end(found.object);
        return;
      }
      case "HEAD": {
        // A HEAD response has no body: a missing key is a bare 404.
        const found = find();
        const status = found.error?.[0] ?? 200;
        response.writeHead(status, found.object ? { "content-length": String(found.object.length), etag: etagOf(found.object), "last-modified": (found.lastModified ?? new Date()).toUTCString(), ...found.headers } : found.headers);
        response.end();
        return;
      }
      case "PUT": {
        // Conditional write, as Terraform takes its S3 lock file: only if no such object exists.
        if (request.headers["if-none-match"] === "*" && objects.has(key)) {
          s3Error(response, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", resource);
          return;
        }
        objects.set(key, body);
        const headers: Record<string, string> = { etag: etagOf(body) };
        if (versions) {
          const version = { key, versionId: newVersionId(), lastModified: now(), body };
          versions.push(version);
          headers["x-amz-version-id"] = version.versionId;
        }
        response.writeHead(200, headers);
        response.end();
        return;
      }
      case "DELETE": {
        if (versionId !== undefined) {
          s3Error(response, 501, "NotImplemented", "the test double does not delete single versions", resource);
          return;
        }
        // S3 answers 204 whether or not the key existed; a versioned bucket keeps the versions under a delete marker.
        objects.delete(key);
        const headers: Record<string, string> = {};
        if (versions) {
          const marker = { key, versionId: newVersionId(), lastModified: now() };
          versions.push(marker);
          headers["x-amz-delete-marker"] = "true";
          headers["x-amz-version-id"] = marker.versionId;
        }
        response.writeHead(204, headers);
        response.end();
        return;
      }
      default:
        s3Error(response, 501, "NotImplemented", `the test double does not implement ${request.method ?? "?"}`, resource);
    }
  }

  function handleDynamo(target: string, body: Buffer, response: ServerResponse, region: string): void {
    const operation = target.replace("DynamoDB_20120810.", "");
    const input = JSON.parse(body.toString("utf8") || "{}") as {
      TableName?: string;
      Key?: Record<string, { S?: string }>;
      Item?: Record<string, AttributeValue>;
      ConditionExpression?: string;
      ProjectionExpression?: string;
    };
    const table = input.TableName ?? "";
    // Lock tables have one key, LockID (a string): in Key for reads and deletes, in Item for writes.
    const keyAttribute = (operation === "PutItem" ? input.Item?.LockID : input.Key?.LockID) as { S?: string } | undefined;
    const lockId = keyAttribute?.S;
    calls.push({ service: "dynamodb", operation, table, ...(lockId === undefined ? {} : { lockId }), region, input });
    const items = tables.get(table);
    if (!items) {
      dynamoReply(response, 400, { __type: "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", message: "Requested resource not found" });
      return;
    }
    if (lockId === undefined) {
      dynamoReply(response, 400, { __type: "com.amazon.coral.validate#ValidationException", message: "The provided key element does not match the schema" });
      return;
    }
    switch (operation) {
      case "GetItem": {
        const item = items.get(lockId);
        // "LockID, Info": the attributes Terraform asks for.
        const wanted = input.ProjectionExpression?.split(",").map((name) => name.trim());
        const projected = item && wanted ? Object.fromEntries(Object.entries(item).filter(([name]) => wanted.includes(name))) : item;
        dynamoReply(response, 200, projected ? { Item: projected } : {});
        return;
      }
      case "PutItem": {
        // Terraform takes the lock with ConditionExpression attribute_not_exists(LockID); other conditions are not implemented.
        const condition = input.ConditionExpression;
        if (condition !== undefined && condition !== "attribute_not_exists(LockID)") {
          dynamoReply(response, 400, { __type: "com.amazon.coral.validate#ValidationException", message: `the test double does not implement the condition ${condition}` });
          return;
        }
        if (condition !== undefined && items.has(lockId)) {
          dynamoReply(response, 400, { __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", message: "The conditional request failed" });
          return;
        }
        items.set(lockId, input.Item ?? {});
        dynamoReply(response, 200, {});
        return;
      }
      case "DeleteItem":
        items.delete(lockId);
        dynamoReply(response, 200, {});
        return;
      default:
        dynamoReply(response, 400, { __type: "com.amazonaws.dynamodb.v20120810#UnknownOperationException", message: `the test double does not implement ${operation}` });
    }
  }

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const target = String(request.headers["x-amz-target"] ?? "");
      const scope = signedScope(request);
      // The SDK signs every request; an unsigned one means it found no credentials.
      if (!scope) {
        if (target) dynamoReply(response, 400, { __type: "com.amazon.coral.service#MissingAuthenticationTokenException", message: "Request is missing Authentication Token" });
        else s3Error(response, 403, "AccessDenied", "Access Denied (unsigned request)", request.url ?? "/");
        return;
      }
      if (target.startsWith("DynamoDB_20120810.")) handleDynamo(target, body, response, scope.region);
      else handleS3(request, body, response, scope.region);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port, address } = server.address() as AddressInfo;
  hostname = address;
  const endpoint = `http://${address}:${port}`;
  return {
    endpoint,
    buckets,
    versioning,
    tables,
    calls,
    awsEnv: () => ({
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_ENDPOINT_URL: undefined,
      AWS_ACCESS_KEY_ID: "AKIA00000000FAKE0000",
      AWS_SECRET_ACCESS_KEY: "fake-secret-for-a-loopback-double",
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      // Nothing from the machine's AWS configuration, and no instance metadata lookups.
      AWS_CONFIG_FILE: "/nonexistent/aws-config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    }),
    close: () => closeServer(server),
  };
}
