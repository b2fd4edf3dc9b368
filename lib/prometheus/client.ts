/**
 * A small client for Prometheus's HTTP API (the endpoints k2 reads: instant and range queries,
 * rules). Every failure is a `PrometheusError` whose message fits on one line and says what
 * went wrong: unreachable, not a Prometheus, or Prometheus's own error with its status.
 * @see https://prometheus.io/docs/prometheus/latest/querying/api/
 */

/** A series' labels, `__name__` included when the query keeps it. */
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** Unix time in seconds, as Prometheus gives it (fractions allowed). */
  readonly time: number;
  /** NaN and ±Inf come through as such. */
  readonly value: number;
}

export interface RangeSeries {
  readonly labels: Labels;
  /** In time order. */
  readonly samples: readonly Sample[];
}

export interface InstantSeries {
  readonly labels: Labels;
  readonly sample: Sample;
}

export interface RecordingRule {
  readonly group: string;
  readonly file: string;
  /** The series the rule records. */
  readonly name: string;
  readonly query: string;
  readonly health: string;
  readonly lastError?: string;
}

/**
 * Why a call failed: `unreachable` (refused, unknown host, reset), `timeout`, `tls` (handshake or
 * certificate), `http` (an error status with Prometheus's error JSON), `not-prometheus` (an
 * answer that is not Prometheus's API), `query` (Prometheus answered `status: error` with 200).
 */
export type PrometheusErrorKind = "unreachable" | "timeout" | "tls" | "http" | "not-prometheus" | "query";

export class PrometheusError extends Error {
  constructor(
    message: string,
    readonly kind: PrometheusErrorKind,
    /** The URL that was called, without its query string. */
    readonly url: string,
    /** HTTP status, when there was an answer. */
    readonly status?: number,
    /** Prometheus's `errorType` (bad_data, execution, timeout, internal, unavailable, ...). */
    readonly errorType?: string,
    /** Prometheus's `error` message, as it gave it. */
    readonly prometheusMessage?: string,
  ) {
    super(message);
    this.name = "PrometheusError";
  }
}

export interface PrometheusClientOptions {
  /** Per request. @default 30000 */
  readonly timeoutMs?: number;
  /** Extra headers (an Authorization header for a Prometheus behind a proxy). */
  readonly headers?: Readonly<Record<string, string>>;
  /** For tests. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export interface RangeQuery {
  readonly start: Date;
  readonly end: Date;
  readonly stepSeconds: number;
}

/** Prometheus refuses range queries with more points than this per series. */
export const MAX_POINTS_PER_SERIES = 11_000;

type ApiEnvelope =
  | { status: "success"; data: unknown; warnings?: string[] }
  | { status: "error"; errorType?: string; error?: string; data?: unknown };

interface MatrixData {
  resultType: "matrix";
  result: { metric: Record<string, string>; values: [number, string][] }[];
}

interface VectorData {
  resultType: "vector";
  result: { metric: Record<string, string>; value: [number, string] }[];
}

interface RulesData {
  groups: { name: string; file: string; rules: { type: string; name: string; query: string; health: string; lastError?: string }[] }[];
}

const TLS_CODES = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO",
]);

const UNTRUSTED_CODES = new Set(["DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"]);

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT"]);

const SOCKET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "connection closed",
};

/** The innermost `cause` that carries a code or a message: undici wraps socket errors in "fetch failed". */
function rootCause(error: unknown): { code?: string; message: string; name?: string } {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    const next = (current as { cause?: unknown } | null)?.cause;
    if (next === undefined || next === null) break;
    current = next;
  }
  const { code, message, name } = (current ?? {}) as { code?: unknown; message?: unknown; name?: unknown };
  return {
    ...(typeof code === "string" ? { code } : {}),
    message: typeof message === "string" ? message : String(current),
    ...(typeof name === "string" ? { name } : {}),
  };
}

function parseSample([time, value]: [number, string]): Sample {
  return { time, value: Number(value) };
}

export class PrometheusClient {
  /** The base URL as given, without a trailing slash (a path prefix such as /prometheus is kept). */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly fetchImpl: typeof fetch;

  constructor(baseUrl: string, options: PrometheusClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(baseUrl);
    } catch {
      throw new PrometheusError(`not a URL: ${JSON.stringify(baseUrl)} (expected http://host:9090)`, "unreachable", baseUrl);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new PrometheusError(`${baseUrl} is not an http or https URL`, "unreachable", baseUrl);
    }
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.headers = options.headers ?? {};
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /** `GET /api/v1/query_range`: every series the expression gives, with its samples. */
  async queryRange(query: string, range: RangeQuery): Promise<RangeSeries[]> {
    const data = await this.get("/api/v1/query_range", {
      query,
      start: String(range.start.getTime() / 1000),
      end: String(range.end.getTime() / 1000),
      step: String(range.stepSeconds),
    });
    const matrix = data as Partial<MatrixData> | null;
    if (matrix?.resultType !== "matrix" || !Array.isArray(matrix.result)) throw this.notPrometheus("/api/v1/query_range", "no matrix in data");
    return matrix.result.map((series) => ({ labels: series.metric, samples: series.values.map(parseSample) }));
  }

  /** `GET /api/v1/query`: the expression's value at `time` (default: now). */
  async query(query: string, time?: Date): Promise<InstantSeries[]> {
    const data = await this.get("/api/v1/query", { query, ...(time ? { time: String(time.getTime() / 1000) } : {}) });
    const vector = data as Partial<VectorData> | null;
    if (vector?.resultType !== "vector" || !Array.isArray(vector.result)) throw this.notPrometheus("/api/v1/query", "no vector in data (the expression must give an instant vector)");
    return vector.result.map((series) => ({ labels: series.metric, sample: parseSample(series.value) }));
  }

  /** `GET /api/v1/rules?type=record`: the recording rules Prometheus has loaded. */
  async recordingRules(): Promise<RecordingRule[]> {
    const data = (await this.get("/api/v1/rules", { type: "record" })) as Partial<RulesData> | null;
    if (!Array.isArray(data?.groups)) throw this.notPrometheus("/api/v1/rules", "no groups in data");
    return data.groups.flatMap((group) =>
      group.rules
        .filter((rule) => rule.type === "recording")
        .map((rule) => ({ group: group.name, file: group.file, name: rule.name, query: rule.query, health: rule.health, ...(rule.lastError ? { lastError: rule.lastError } : {}) })),
    );
  }

  private notPrometheus(path: string, detail: string): PrometheusError {
    return new PrometheusError(`${this.baseUrl} does not look like a Prometheus: GET ${path} answered ${detail}`, "not-prometheus", `${this.baseUrl}${path}`);
  }

  private async get(path: string, parameters: Record<string, string>): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(`${url}?${new URLSearchParams(parameters).toString()}`, {
        headers: { Accept: "application/json", ...this.headers },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw this.transportError(error, url);
    }
    let envelope: Partial<ApiEnvelope> | undefined;
    try {
      envelope = JSON.parse(text) as Partial<ApiEnvelope>;
    } catch {
      envelope = undefined;
    }
    if (envelope?.status !== "success" && envelope?.status !== "error") {
      const type = response.headers.get("content-type")?.split(";")[0] ?? "no content type";
      throw new PrometheusError(
        `${this.baseUrl} does not look like a Prometheus: GET ${path} answered ${response.status} ${response.statusText || ""}`.trimEnd() + ` (${type}, not Prometheus's API JSON)`,
        "not-prometheus",
        url,
        response.status,
      );
    }
    if (envelope.status === "error") {
      const message = envelope.error ?? "(no message)";
      const errorType = envelope.errorType;
      throw new PrometheusError(
        `Prometheus at ${this.baseUrl} answered ${response.status}${errorType ? ` (${errorType})` : ""} to GET ${path}: ${message}`,
        response.ok ? "query" : "http",
        url,
        response.status,
        errorType,
        message,
      );
    }
    return envelope.data;
  }

  private transportError(error: unknown, url: string): PrometheusError {
    const cause = rootCause(error);
    const where = this.baseUrl;
    if (cause.name === "TimeoutError" || (error as { name?: unknown } | null)?.name === "TimeoutError" || (cause.code !== undefined && TIMEOUT_CODES.has(cause.code))) {
      return new PrometheusError(`cannot reach Prometheus at ${where}: no answer within ${this.timeoutMs / 1000} s`, "timeout", url);
    }
    if (cause.code !== undefined && (TLS_CODES.has(cause.code) || cause.code.startsWith("ERR_TLS") || cause.code.startsWith("ERR_SSL"))) {
      // OpenSSL's messages carry their source position: keep the reason only.
      const reason = /SSL routines:[^:]*:([^:]+)/.exec(cause.message)?.[1] ?? cause.message;
      const hint =
        cause.code === "ERR_SSL_WRONG_VERSION_NUMBER" || cause.code === "EPROTO" ? ": does it serve plain http?" : UNTRUSTED_CODES.has(cause.code) ? ": NODE_EXTRA_CA_CERTS=ca.pem trusts a private CA" : "";
      return new PrometheusError(`cannot reach Prometheus at ${where}: TLS failed: ${reason} (${cause.code})${hint}`, "tls", url);
    }
    const known = cause.code === undefined ? undefined : SOCKET_ERRORS[cause.code];
    const detail = known !== undefined ? `${known} (${cause.code ?? ""})` : cause.code !== undefined ? `${cause.message} (${cause.code})` : cause.message;
    return new PrometheusError(`cannot reach Prometheus at ${where}: ${detail}`, "unreachable", url);
  }
}
