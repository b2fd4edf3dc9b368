/**
 * `k2 status FILE`: the running cluster next to its spec, read from its API server through
 * @kubernetes/client-node (an ES module, loaded on first use like everything heavy here, since
 * main.ts imports this file for the command's options).
 */
import { accessSync, constants, existsSync } from "node:fs";
import type { Agent } from "node:http";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { Option, type Command } from "commander";
import type { ConfigurationOptions, CoreV1Api, Observable, V1Node, V1Pod } from "@kubernetes/client-node" with { "resolution-mode": "import" };
import type { Cluster } from "../spec/types";
import { EXIT, UserError } from "./errors";
import type { CommandIo } from "./spec-input";
import { styleFor } from "./style";

/** Exit code when the cluster differs from its spec (0: it matches). */
export const EXIT_DIFFERS = 3;

const PAGE_SIZE = 500;

export interface StatusOptions {
  readonly name?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly format: "text" | "json";
  /** Seconds to wait for the API server, all requests together. */
  readonly timeout?: string | number;
  /** Items per list request (the API's limit/continue paging); for tests. */
  readonly pageSize?: number;
}

const EXIT_CODES_STATUS = `
Exit codes:
  0  the cluster matches its spec: every node ready, kubelets at the spec's versions, pool sizes within min/max, no node outside the spec's pools
  1  a problem: the kubeconfig is missing or unreadable, the API server cannot be reached (connection refused, TLS, timeout) or refuses (HTTP 401, 403), or a spec is invalid
  2  usage error: bad options, a spec file that is missing or unreadable
  3  the cluster differs from its spec (every difference is printed): a node not ready, a kubelet version skew, a pool outside min/max, a node of no pool of the spec
  70 internal error (a bug in k2: please report it)

The kubeconfig is --kubeconfig, else ~/.kube/<cluster>.yaml (the one the addons stack uses), else $KUBECONFIG.
It needs list on nodes and on pods in all namespaces. See docs/status.md.

Examples:
  k2 status examples/aws-ha/cluster.yaml
  k2 status cluster.yaml --kubeconfig admin.conf --context prod-usw2 --format json | jq '.differences'`;

/** The options and help of `k2 status`; main.ts calls it on the program. */
export function registerStatusCommand(program: Command, io: CommandIo = process): void {
  program
    .command("status")
    .summary("compare a running cluster with its spec: nodes, pools, versions, capacity, pods")
    .description(
      "Read a cluster's nodes and pods from its API server and compare them with its spec: nodes grouped by pool (kraken.dev/pool, kraken.dev/role=control-plane), each node's readiness and kubelet version against the spec, capacity and allocatable per node, pool and cluster, pool sizes against min/desired/max, nodes of no pool the spec knows, and pods per namespace by phase.",
    )
    .argument("<files...>", "spec files")
    .option("--name <cluster>", "the cluster, when the files hold several")
    .option("--kubeconfig <path>", "kubeconfig of the cluster (default: ~/.kube/<cluster>.yaml, else $KUBECONFIG)")
    .option("--context <name>", "kubeconfig context (default: the kubeconfig's current context)")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("--timeout <seconds>", "how long to wait for the API server", "30")
    .addHelpText("after", EXIT_CODES_STATUS)
    .action(async (files: string[], options: StatusOptions) => {
      process.exitCode = await statusCommand(files, options, io);
    });
}

interface Connection {
  readonly core: CoreV1Api;
  readonly server: string;
  readonly context: string;
  readonly kubeconfig: string;
  /** `value` in client-node's own promise wrapper, which call-time middleware must return. */
  readonly observableOf: <T>(value: T) => Observable<T>;
}

interface ListPage<T> {
  readonly items: T[];
  readonly metadata?: { readonly _continue?: string };
}

function problem(message: string): UserError {
  return new UserError(message.split("\n")[0] ?? message, EXIT.problems);
}

/** --kubeconfig, else ~/.kube/<cluster>.yaml (the addons stack's), else the files in $KUBECONFIG. */
export function kubeconfigFiles(cluster: string, option: string | undefined, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): { readonly files: readonly string[]; readonly from: string } {
  if (option !== undefined) return { files: [option.replace(/^~(?=\/)/, home)], from: "--kubeconfig" };
  const clusterFile = join(home, ".kube", `${cluster}.yaml`);
  if (existsSync(clusterFile)) return { files: [clusterFile], from: `~/.kube/${cluster}.yaml` };
  const fromEnv = (env.KUBECONFIG ?? "").split(delimiter).filter((file) => file !== "");
  if (fromEnv.length > 0) return { files: fromEnv, from: "KUBECONFIG" };
  throw problem(`no kubeconfig for cluster ${cluster}: ${clusterFile} does not exist and KUBECONFIG is not set; pass --kubeconfig`);
}

async function connect(cluster: Cluster, options: StatusOptions): Promise<Connection> {
  const { files, from } = kubeconfigFiles(cluster.metadata.name, options.kubeconfig);
  for (const file of files) {
    try {
      accessSync(file, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw problem(`kubeconfig ${file} (${from}) ${code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable" : `cannot be read: ${(error as Error).message}`}`);
    }
  }
  const k8s = await import("@kubernetes/client-node");
  const config = new k8s.KubeConfig();
  for (const [index, file] of files.entries()) {
    try {
      if (index === 0) config.loadFromFile(file);
      else {
        // As kubectl merges KUBECONFIG: the first file that sets something wins.
        const more = new k8s.KubeConfig();
        more.loadFromFile(file);
        config.mergeConfig(more, true);
      }
    } catch (error) {
      throw problem(`kubeconfig ${file} (${from}) is not a usable kubeconfig: ${(error as Error).message}`);
    }
  }
  const contexts = config.getContexts().map((context) => context.name);
  const where = files.join(delimiter);
  if (options.context !== undefined) {
    if (config.getContextObject(options.context) === null) throw problem(`kubeconfig ${where} has no context ${options.context} (it has: ${contexts.join(", ") || "none"})`);
    config.setCurrentContext(options.context);
  }
  const context = config.getCurrentContext();
  const server = config.getCurrentCluster()?.server;
  if (!context || config.getContextObject(context) === null) throw problem(`kubeconfig ${where} has no current context; choose one with --context (it has: ${contexts.join(", ") || "none"})`);
  if (!server) throw problem(`context ${context} of kubeconfig ${where} names no cluster with a server`);
  return { core: config.makeApiClient(k8s.CoreV1Api), server, context, kubeconfig: where, observableOf: (value) => new k8s.Observable(Promise.resolve(value)) };
}

const TLS_REASONS: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "its certificate is not signed by the kubeconfig's certificate authority",
  SELF_SIGNED_CERT_IN_CHAIN: "its certificate is not signed by the kubeconfig's certificate authority",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "its certificate is not signed by the kubeconfig's certificate authority",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "its certificate is not signed by the kubeconfig's certificate authority",
  CERT_SIGNATURE_FAILURE: "its certificate is not signed by the kubeconfig's certificate authority",
  ERR_TLS_CERT_ALTNAME_INVALID: "its certificate does not name this address",
  CERT_HAS_EXPIRED: "its certificate has expired",
  CERT_NOT_YET_VALID: "its certificate is not valid yet",
};

const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused (is the API server, or its load balancer, up at this address?)",
  ECONNRESET: "the connection was reset (is this the HTTPS port of a Kubernetes API server?)",
  ENOTFOUND: "the host name does not resolve",
  EAI_AGAIN: "the host name does not resolve (DNS did not answer)",
  ETIMEDOUT: "the connection timed out",
  EHOSTUNREACH: "no route to the host",
  ENETUNREACH: "the network is unreachable",
};

/** One line an admin can act on, for a failed list call. */
export function describeFailure(error: unknown, action: string, connection: Pick<Connection, "server" | "context">): UserError {
  if (error instanceof UserError) return error;
  const { server, context } = connection;
  const { code, message, body } = error as { code?: unknown; message?: unknown; body?: unknown };
  if (typeof code === "number") {
    let detail = "";
    try {
      const status = (typeof body === "string" ? JSON.parse(body) : body) as { message?: unknown } | undefined;
      if (typeof status?.message === "string") detail = status.message;
    } catch {
      detail = typeof body === "string" ? body.trim() : "";
    }
    if (code === 401) return problem(`the API server at ${server} refused the credentials of context ${context} (HTTP 401 Unauthorized): the token or client certificate is missing, invalid or expired`);
    if (code === 403) return problem(`not allowed to ${action} (HTTP 403${detail ? `: ${detail}` : ""}); k2 status needs list on nodes and on pods in all namespaces`);
    return problem(`cannot ${action} at ${server}: HTTP ${code}${detail ? `: ${detail}` : ""}`);
  }
  const text = typeof message === "string" ? message : String(error);
  // node-fetch's FetchError: "request to https://... failed, reason: <the system error>".
  const reason = /reason: (.*)$/m.exec(text)?.[1] ?? text;
  if (typeof code === "string") {
    if (TLS_REASONS[code] !== undefined) return problem(`TLS with the API server at ${server} (context ${context}) failed: ${TLS_REASONS[code]} (${reason})`);
    if (/CERT|SSL|TLS|EPROTO/.test(code)) return problem(`TLS with the API server at ${server} (context ${context}) failed: ${reason}`);
    if (NETWORK_REASONS[code] !== undefined) return problem(`cannot reach the API server at ${server} (context ${context}): ${NETWORK_REASONS[code]}`);
  }
  return problem(`cannot ${action} at ${server} (context ${context}): ${reason}`);
}

async function listAll<T>(page: (cont: string | undefined) => Promise<ListPage<T>>): Promise<T[]> {
  const items: T[] = [];
  let cont: string | undefined;
  do {
    const list = await page(cont);
    items.push(...list.items);
    cont = list.metadata?._continue || undefined;
  } while (cont !== undefined);
  return items;
}

function timeoutSeconds(value: string | number | undefined): number {
  const seconds = Number(value ?? 30);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UserError(`--timeout must be a number of seconds above 0, got ${String(value)}`, EXIT.usage);
  return seconds;
}

/** Lists nodes and pods, giving up after `seconds` (a dropped connection would otherwise hang for minutes). */
async function listCluster(connection: Connection, seconds: number, pageSize: number): Promise<{ nodes: V1Node[]; pods: V1Pod[] }> {
  // client-node gives no way to abort a request: keep each request's agent (call-time middleware
  // runs after the kubeconfig's TLS settings made it), and destroy its sockets when time is up.
  const agents = new Set<Agent>();
  const options: ConfigurationOptions = {
    middleware: [
      {
        pre: (request) => {
          const agent = request.getAgent();
          if (agent) agents.add(agent);
          return connection.observableOf(request);
        },
        post: (response) => connection.observableOf(response),
      },
    ],
    middlewareMergeStrategy: "append",
  };
  const list = async <T>(action: string, call: (request: { limit: number; _continue?: string }) => Promise<ListPage<T>>): Promise<T[]> => {
    try {
      return await listAll((cont) => call({ limit: pageSize, ...(cont === undefined ? {} : { _continue: cont }) }));
    } catch (error) {
      throw describeFailure(error, action, connection);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      for (const agent of agents) agent.destroy();
      reject(problem(`the API server at ${connection.server} (context ${connection.context}) did not answer within ${seconds}s: is a firewall or security group dropping the traffic? (--timeout sets the wait)`));
    }, seconds * 1000);
  });
  const work = (async () => {
    const nodes = await list("list nodes", (request) => connection.core.listNode(request, options));
    const pods = await list("list pods in all namespaces", (request) => connection.core.listPodForAllNamespaces(request, options));
    return { nodes, pods };
  })();
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function statusCommand(files: readonly string[], options: StatusOptions, io: CommandIo = process): Promise<number> {
  const errors = styleFor(io.stderr);
  let progress = false;
  const clearProgress = (): void => {
    if (progress) io.stderr.write("\r\x1b[2K");
    progress = false;
  };
  try {
    const seconds = timeoutSeconds(options.timeout);
    const { loadOneClusterForCommand } = await import("./spec-input.js");
    const cluster = loadOneClusterForCommand("status", files, io, options.name);
    if (typeof cluster === "number") return cluster;
    const connection = await connect(cluster, options);
    if (io.stderr.isTTY) {
      io.stderr.write(errors.dim(`k2 status: listing the nodes and pods of ${cluster.metadata.name} at ${connection.server} (context ${connection.context})…`));
      progress = true;
    }
    const { nodes, pods } = await listCluster(connection, seconds, options.pageSize ?? PAGE_SIZE);
    clearProgress();
    const { clusterStatus, renderStatusJson, renderStatusText } = await import("../kubernetes/status.js");
    const status = clusterStatus(cluster, nodes, pods);
    const source = { server: connection.server, context: connection.context, kubeconfig: connection.kubeconfig };
    io.stdout.write(options.format === "json" ? renderStatusJson(status, source) : renderStatusText(status, styleFor(io.stdout), source));
    return status.differences.length === 0 ? EXIT.ok : EXIT_DIFFERS;
  } catch (error) {
    clearProgress();
    if (!(error instanceof UserError)) throw error;
    io.stderr.write(`${errors.red("k2 status:")} ${error.message}\n`);
    return error.exitCode;
  }
}
