/**
 * Replays recorded Kubernetes API responses (these machines cannot run an API server): an HTTPS
 * server on 127.0.0.1 with a certificate from our own PKI (lib/pki), serving
 *
 * - GET /api/v1/nodes  from test/fixtures/kube-api/<nodes fixture> (a NodeList)
 * - GET /api/v1/pods   from test/fixtures/kube-api/<pods fixture> (a PodList)
 *
 * with the API server's list paging (limit and continue, as `kubectl get` and k2 use them), its
 * bearer-token check (401) and RBAC refusals (403), each answered with the API's Status object.
 * Anything else is the API's 404. client-node refuses plain http unless the kubeconfig skips TLS
 * verification, so the server speaks TLS and the kubeconfig it writes carries its CA.
 *
 * The fixtures keep the shape of recorded responses of real clusters; see the header of
 * test/cli/status.test.ts for where they come from.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";
import { createCertificateAuthority, issueCertificate } from "../../lib/pki";
import { closeServer } from "./close-server";

export const KUBE_API_FIXTURES = join(__dirname, "..", "fixtures", "kube-api");

/** Which recorded lists to serve, and which the caller's identity may not list. */
export interface ReplayScenario {
  /** File name under test/fixtures/kube-api, e.g. "nodes-healthy.json". */
  readonly nodes: string;
  readonly pods: string;
  /** Resources the caller is not allowed to list: answered with the API server's 403. */
  readonly forbidden?: readonly ("nodes" | "pods")[];
}

export interface ReplayRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
}

export interface KubeReplay {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
  /** The user the 403 messages name, as the API server does. */
  readonly user: string;
  readonly requests: ReplayRequest[];
  /** Serve other recordings from now on. */
  play(scenario: ReplayScenario): void;
  /**
   * A kubeconfig with context "prod-usw2-admin" pointing at this server (CA and token included);
   * `server`, `caPem` and `token` replace this server's own, to make it wrong on purpose.
   */
  writeKubeconfig(path: string, options?: { readonly server?: string; readonly caPem?: string; readonly token?: string; readonly currentContext?: string }): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function status(code: number, reason: string, message: string, details?: Json): string {
  return JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code });
}

function readList(file: string): { kind: string; apiVersion: string; metadata: Json; items: unknown[] } {
  return JSON.parse(readFileSync(join(KUBE_API_FIXTURES, file), "utf8")) as { kind: string; apiVersion: string; metadata: Json; items: unknown[] };
}

/** One page of a list, as the API server pages it: `continue` is opaque to clients, here the next offset. */
function page(file: string, query: Readonly<Record<string, string>>): string {
  const list = readList(file);
  const start = query.continue === undefined ? 0 : Number(Buffer.from(query.continue, "base64").toString("utf8"));
  const limit = query.limit === undefined ? list.items.length : Number(query.limit);
  const items = list.items.slice(start, start + limit);
  const next = start + items.length;
  const metadata: Json = { resourceVersion: list.metadata.resourceVersion };
  if (next < list.items.length) {
    metadata.continue = Buffer.from(String(next)).toString("base64");
    metadata.remainingItemCount = list.items.length - next;
  }
  return JSON.stringify({ kind: list.kind, apiVersion: list.apiVersion, metadata, items });
}

export async function startKubeReplay(initial: ReplayScenario): Promise<KubeReplay> {
  const authority = await createCertificateAuthority({ commonName: "kube-replay-ca", validityDays: 1 });
  const serving = await issueCertificate(authority, { commonName: "kube-apiserver", ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"], usages: ["server"], validityDays: 1 });
  const token = "k2-status-token-0123456789";
  const user = "system:serviceaccount:ci:k2-status";
  const requests: ReplayRequest[] = [];
  let scenario = initial;

  function reply(response: ServerResponse, code: number, body: string): void {
    response.writeHead(code, { "content-type": "application/json", "audit-id": "00000000-0000-4000-8000-000000000001", "cache-control": "no-cache, private" });
    response.end(body);
  }

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", "https://replay");
    const query = Object.fromEntries(url.searchParams.entries());
    const method = request.method ?? "GET";
    requests.push({ method, path: url.pathname, query });
    if (request.headers.authorization !== `Bearer ${token}`) {
      reply(response, 401, status(401, "Unauthorized", "Unauthorized"));
      return;
    }
    const resource = method === "GET" && url.pathname === "/api/v1/nodes" ? "nodes" : method === "GET" && url.pathname === "/api/v1/pods" ? "pods" : undefined;
    if (resource === undefined) {
      reply(response, 404, status(404, "NotFound", "the server could not find the requested resource", { causes: [{ reason: "UnexpectedServerResponse", message: "404 page not found" }] }));
      return;
    }
    if (scenario.forbidden?.includes(resource)) {
      reply(response, 403, status(403, "Forbidden", `${resource} is forbidden: User "${user}" cannot list resource "${resource}" in API group "" at the cluster scope`, { kind: resource }));
      return;
    }
    reply(response, 200, page(resource === "nodes" ? scenario.nodes : scenario.pods, query));
  }

  const server: Server = createServer({ key: serving.privateKeyPem, cert: serving.certificatePem }, (request, response) => {
    request.resume();
    request.on("end", () => {
      handle(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    server: url,
    caPem: authority.certificatePem,
    token,
    user,
    requests,
    play(next) {
      scenario = next;
    },
    writeKubeconfig(path, options = {}) {
      const config = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "prod-usw2", cluster: { server: options.server ?? url, "certificate-authority-data": Buffer.from(options.caPem ?? authority.certificatePem).toString("base64") } }],
        users: [{ name: "prod-usw2-admin", user: { token: options.token ?? token } }],
        contexts: [{ name: "prod-usw2-admin", context: { cluster: "prod-usw2", user: "prod-usw2-admin" } }],
        "current-context": options.currentContext ?? "prod-usw2-admin",
      };
      writeFileSync(path, stringify(config));
    },
    close: () => closeServer(server),
  };
}
