/**
 * `k2 usage` when things go wrong, against a tiny fake Prometheus: every failure is one line
 * (a UserError, which k2 prints without a stack trace), exit 1 for Prometheus's side, exit 2
 * for bad options, and nothing is asked of Prometheus when the options are wrong. The numbers
 * themselves are checked against a real Prometheus in test/integration/monitoring-e2e.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT, UserError } from "../../lib/cli/errors";
import type { CommandIo } from "../../lib/cli/spec-input";
import { formatDuration, parseDurationSeconds, registerUsageCommand, usageCommand, type UsageOptions } from "../../lib/cli/usage";
import { freePort } from "../support/etcd";

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

interface FakePrometheus {
  readonly url: string;
  /** Paths asked for, in order. */
  readonly requests: string[];
}

const servers: Server[] = [];

/** Answers every request with `handler`; records each path. */
async function fakePrometheus(handler: Handler): Promise<FakePrometheus> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(new URL(request.url ?? "/", "http://fake").pathname);
    handler(request, response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

/** A Prometheus with no kraken-lib rules: every query succeeds with no series. */
const emptyPrometheus: Handler = (request, response) => {
  if (request.url?.startsWith("/api/v1/rules")) json(response, 200, { status: "success", data: { groups: [] } });
  else json(response, 200, { status: "success", data: { resultType: "matrix", result: [] } });
};

function captureIo(): { io: CommandIo; stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (sink: string[]) =>
    ({
      isTTY: false,
      write: (chunk: string) => {
        sink.push(chunk);
        return true;
      },
    }) as unknown as NodeJS.WriteStream;
  return { io: { stdout: stream(out), stderr: stream(err) }, stdout: () => out.join(""), stderr: () => err.join("") };
}

/** Runs the command and returns the UserError it fails with. */
async function failure(options: UsageOptions): Promise<UserError> {
  const { io, stdout } = captureIo();
  const outcome = await usageCommand(options, io).then(
    (code) => new Error(`expected a failure, got exit ${code} and ${stdout()}`),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(UserError);
  const error = outcome as UserError;
  // main.ts prints a UserError's message as is: one line, no stack.
  expect(error.message).not.toContain("\n");
  expect(stdout()).toBe("");
  return error;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    ),
  );
});

describe("k2 usage: Prometheus cannot be used", () => {
  it("says the connection was refused when nothing listens", async () => {
    // GIVEN a port nothing listens on
    const port = await freePort();
    // WHEN k2 usage reads from it
    const error = await failure({ prometheus: `http://127.0.0.1:${port}` });
    // THEN
    expect(error.exitCode).toBe(EXIT.problems);
    expect(error.message).toBe(`cannot reach Prometheus at http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  it("gives up after --timeout when Prometheus does not answer", async () => {
    const silent = await fakePrometheus(() => {
      // never answers
    });
    const started = Date.now();
    const error = await failure({ prometheus: silent.url, timeout: "1s" });
    expect(error.exitCode).toBe(EXIT.problems);
    expect(error.message).toBe(`cannot reach Prometheus at ${silent.url}: no answer within 1 s`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("says TLS failed when an https URL points at a plain http server", async () => {
    const plain = await fakePrometheus(emptyPrometheus);
    const url = plain.url.replace("http:", "https:");
    const error = await failure({ prometheus: url });
    expect(error.exitCode).toBe(EXIT.problems);
    expect(error.message).toBe(`cannot reach Prometheus at ${url}: TLS failed: wrong version number (ERR_SSL_WRONG_VERSION_NUMBER): does it serve plain http?`);
  });

  it("passes on Prometheus's own error message and status", async () => {
    // GIVEN a Prometheus that fails its queries, as it does when a query runs out of memory
    const failing = await fakePrometheus((_request, response) => {
      json(response, 500, { status: "error", errorType: "internal", error: "query processing would load too many samples into memory in query execution" });
    });
    // WHEN
    const error = await failure({ prometheus: failing.url, by: "cluster" });
    // THEN the status, Prometheus's error type and message are in the one line
    expect(error.exitCode).toBe(EXIT.problems);
    expect(error.message).toBe(
      `Prometheus at ${failing.url} answered 500 (internal) to GET /api/v1/query_range: query processing would load too many samples into memory in query execution`,
    );
  });

  it("says a server that does not speak Prometheus's API is not a Prometheus", async () => {
    const web = await fakePrometheus((_request, response) => {
      response.writeHead(404, { "content-type": "text/html" });
      response.end("<html><body>Not Found</body></html>");
    });
    const error = await failure({ prometheus: web.url });
    expect(error.exitCode).toBe(EXIT.problems);
    expect(error.message).toBe(`${web.url} does not look like a Prometheus: GET /api/v1/query_range answered 404 Not Found (text/html, not Prometheus's API JSON)`);
  });
});

describe("k2 usage: kraken-lib's recording rules are missing", () => {
  it("names the first missing rule and points at docs/monitoring.md", async () => {
    // GIVEN a Prometheus without kraken-lib's rules
    const prometheus = await fakePrometheus(emptyPrometheus);
    // WHEN
    const error = await failure({ prometheus: prometheus.url, since: "1h" });
    // THEN
    expect(error.exitCode).toBe(EXIT.problems);
    expect(error.message).toBe("no series for namespace:cpu_usage_cores:sum_rate5m (nor for 7 more of kraken-lib's recording rules): are kraken-lib's rules loaded? see docs/monitoring.md");
    // AND it asked Prometheus which rules it has
    expect(prometheus.requests).toContain("/api/v1/rules");
  });

  it("says so when the rules are loaded but record nothing in the window", async () => {
    // GIVEN a Prometheus that has the rules but no data for them (no cAdvisor or kube-state-metrics scraped)
    const prometheus = await fakePrometheus((request, response) => {
      if (request.url?.startsWith("/api/v1/rules")) {
        json(response, 200, {
          status: "success",
          data: {
            groups: [
              {
                name: "kraken.capacity",
                file: "/etc/prometheus/rules/kraken.yaml",
                rules: [{ type: "recording", name: "cluster:cpu_capacity_cores:sum", query: 'sum(kube_node_status_capacity{resource="cpu"})', health: "ok" }],
              },
            ],
          },
        });
      } else {
        json(response, 200, { status: "success", data: { resultType: "matrix", result: [] } });
      }
    });
    // WHEN
    const error = await failure({ prometheus: prometheus.url, since: "12h", by: "cluster" });
    // THEN
    expect(error.message).toBe(
      "no series for cluster:cpu_capacity_cores:sum (nor for 5 more of kraken-lib's recording rules) in the last 12h: Prometheus has the rule (group kraken.capacity) but its inputs (cAdvisor, kube-state-metrics) have no data; see docs/monitoring.md",
    );
  });
});

describe("k2 usage: bad options", () => {
  it.each([
    [{ since: "7days" }, '--since must be a duration such as 30m, 12h, 7d or 4w, got "7days"'],
    [{ since: "0h" }, '--since must be a duration such as 30m, 12h, 7d or 4w, got "0h"'],
    [{ since: "" }, '--since must be a duration such as 30m, 12h, 7d or 4w, got ""'],
    [{ step: "5 m" }, '--step must be a duration such as 30s, 5m or 1h, got "5 m"'],
    [{ since: "1h", step: "2h" }, "--step (2h) must not be longer than --since (1h)"],
    [{ since: "4w", step: "1m" }, "--step 1m over 4w asks for 40321 points per series; Prometheus answers at most 11000: use --step 4m or more"],
    [{ prometheus: "prometheus:9090" }, '--prometheus must be an http or https URL such as http://prometheus:9090, got "prometheus:9090"'],
  ] as [Partial<UsageOptions>, string][])("refuses %j before asking Prometheus anything", async (options, message) => {
    const prometheus = await fakePrometheus(emptyPrometheus);
    const error = await failure({ prometheus: prometheus.url, ...options });
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toBe(message);
    expect(prometheus.requests).toEqual([]);
  });

  it("reads the options commander parses, with its defaults and choices", async () => {
    // GIVEN the command registered on a program, as main.ts does
    const program = new Command("k2").exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    registerUsageCommand(program);
    const prometheus = await fakePrometheus(emptyPrometheus);
    // WHEN --since is not a duration THEN the action fails with the usage error
    await expect(program.parseAsync(["usage", "--prometheus", prometheus.url, "--since", "a week"], { from: "user" })).rejects.toThrow(
      '--since must be a duration such as 30m, 12h, 7d or 4w, got "a week"',
    );
    // AND commander refuses a --by outside the choices
    await expect(program.parseAsync(["usage", "--prometheus", prometheus.url, "--by", "pod"], { from: "user" })).rejects.toThrow("Allowed choices are namespace, node, cluster");
    expect(prometheus.requests).toEqual([]);
  });
});

describe("durations", () => {
  it.each([
    ["30s", 30, "30s"],
    ["30m", 1_800, "30m"],
    ["12h", 43_200, "12h"],
    ["7d", 604_800, "1w"],
    ["4w", 2_419_200, "4w"],
    ["1h30m", 5_400, "1h30m"],
    ["90m", 5_400, "1h30m"],
  ])("reads %s as %i seconds, written %s", (text, seconds, written) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
    expect(formatDuration(seconds)).toBe(written);
  });

  it.each(["", "7", "d", "1.5h", "-1h", "1m1h", "1y", "0s"])("refuses %j", (text) => {
    expect(parseDurationSeconds(text)).toBeUndefined();
  });
});
