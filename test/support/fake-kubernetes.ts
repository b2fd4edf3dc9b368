/**
 * A test double of a Kubernetes API server (these machines cannot run one): an HTTPS server on
 * loopback, with a certificate from our own PKI (lib/pki), that serves the calls k2's kubernetes
 * state client makes, in the API's real shapes, so that the real @kubernetes/client-node is
 * exercised end to end: kubeconfig loading, TLS verification against the kubeconfig's CA, bearer
 * token, JSON (de)serialization and Status errors.
 *
 * - GET /api/v1/namespaces/<ns>/secrets/<name>
 * - GET and PUT /apis/coordination.k8s.io/v1/namespaces/<ns>/leases/<name> (PUT checks
 *   apiVersion, kind, name, namespace and resourceVersion as the API server does, and bumps it)
 *
 * client-node refuses plain http unless the kubeconfig skips TLS verification, so this server
 * speaks TLS and the kubeconfig it writes carries its CA.
 */
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { stringify } from "yaml";
import { createCertificateAuthority, issueCertificate } from "../../lib/pki";
import { closeServer } from "./close-server";

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface SecretObject {
  apiVersion: "v1";
  kind: "Secret";
  metadata: ObjectMeta;
  type: string;
  /** Values are base64, as the API serves them. */
  data?: Record<string, string>;
}

export interface LeaseObject {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: ObjectMeta;
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

export interface KubernetesRequest {
  readonly method: string;
  readonly path: string;
  /** The parsed body of a PUT. */
  readonly body?: unknown;
}

export interface FakeKubernetes {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly caPem: string;
  /** The bearer token the server accepts. */
  readonly token: string;
  /** Secrets by "<namespace>/<name>". */
  readonly secrets: Map<string, SecretObject>;
  /** Leases by "<namespace>/<name>". */
  readonly leases: Map<string, LeaseObject>;
  readonly requests: KubernetesRequest[];
  /**
   * Writes a kubeconfig with context "mgmt" pointing at this server (CA and token included) and
   * context "elsewhere" pointing at a closed port; `currentContext` picks the current one.
   */
  writeKubeconfig(path: string, options?: { readonly currentContext?: "mgmt" | "elsewhere"; readonly token?: string }): void;
  /** Stores a Secret as Terraform's kubernetes backend writes it: `data.tfstate` = base64 of (a part of) the gzip stream. */
  putStateSecret(namespace: string, name: string, tfstate: Buffer, suffix: string): void;
  /** Stores a Lease as Terraform's kubernetes backend writes it; no holder and no record when free. */
  putLease(namespace: string, name: string, suffix: string, lock?: { readonly holderIdentity: string; readonly lockInfo: string }): void;
  close(): Promise<void>;
}

type Status = readonly [code: number, reason: string, message: string, details?: Record<string, string>];

function statusBody([code, reason, message, details]: Status): string {
  return JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code });
}

let uidCounter = 0;
function uid(): string {
  uidCounter += 1;
  return `00000000-0000-4000-8000-${String(uidCounter).padStart(12, "0")}`;
}

/** Labels Terraform's kubernetes backend puts on its Secret and Lease. */
function terraformLabels(suffix: string): Record<string, string> {
  return { tfstate: "true", tfstateSecretSuffix: suffix, tfstateWorkspace: "default", "app.kubernetes.io/managed-by": "terraform" };
}

export async function startFakeKubernetes(): Promise<FakeKubernetes> {
  const ca = await createCertificateAuthority({ commonName: "fake-kubernetes-ca", validityDays: 1 });
  const serving = await issueCertificate(ca, { commonName: "kube-apiserver", ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"], usages: ["server"], validityDays: 1 });
  const token = "k2-test-token-0123456789";
  const secrets = new Map<string, SecretObject>();
  const leases = new Map<string, LeaseObject>();
  const requests: KubernetesRequest[] = [];
  let resourceVersion = 1000;
  const nextVersion = (): string => String((resourceVersion += 1));

  function reply(response: ServerResponse, code: number, body: string): void {
    response.writeHead(code, { "content-type": "application/json" });
    response.end(body);
  }

  function notFound(kind: "secrets" | "leases", name: string): Status {
    const group = kind === "leases" ? "coordination.k8s.io" : undefined;
    return [404, "NotFound", `${kind}${group ? `.${group}` : ""} "${name}" not found`, { name, ...(group ? { group } : {}), kind }];
  }

  function replaceLease(namespace: string, name: string, text: string, contentType: string): readonly [number, string] {
    if (!contentType.startsWith("application/json")) return [415, statusBody([415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json`])];
    // What a client sent: nothing in it is trusted.
    let body: { apiVersion?: unknown; kind?: unknown; metadata?: Partial<ObjectMeta>; spec?: LeaseObject["spec"] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return [400, statusBody([400, "BadRequest", "the body of the request is not JSON"])];
    }
    if (body.apiVersion !== "coordination.k8s.io/v1" || body.kind !== "Lease") {
      return [400, statusBody([400, "BadRequest", `the API version in the data (${String(body.apiVersion)}) / kind (${String(body.kind)}) does not match the expected coordination.k8s.io/v1 Lease`])];
    }
    if (body.metadata?.name !== name) {
      return [400, statusBody([400, "BadRequest", `the name of the object (${String(body.metadata?.name)}) does not match the name on the URL (${name})`])];
    }
    if (body.metadata.namespace !== undefined && body.metadata.namespace !== namespace) {
      return [400, statusBody([400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request"])];
    }
    const stored = leases.get(`${namespace}/${name}`);
    if (!stored) return [404, statusBody(notFound("leases", name))];
    if (body.metadata.resourceVersion !== undefined && body.metadata.resourceVersion !== stored.metadata.resourceVersion) {
      return [
        409,
        statusBody([409, "Conflict", `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`]),
      ];
    }
    // Server-managed fields come from the stored object; everything else is replaced.
    const updated: LeaseObject = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        ...(body.metadata.labels ? { labels: body.metadata.labels } : {}),
        ...(body.metadata.annotations ? { annotations: body.metadata.annotations } : {}),
        name,
        namespace,
        uid: stored.metadata.uid,
        creationTimestamp: stored.metadata.creationTimestamp,
        resourceVersion: nextVersion(),
      },
      spec: body.spec ?? {},
    };
    leases.set(`${namespace}/${name}`, updated);
    return [200, JSON.stringify(updated)];
  }

  function handle(request: IncomingMessage, text: string, response: ServerResponse): void {
    const method = request.method ?? "GET";
    const path = new URL(request.url ?? "/", "https://fake").pathname;
    requests.push({ method, path, ...(method === "PUT" ? { body: JSON.parse(text || "null") as unknown } : {}) });
    if (request.headers.authorization !== `Bearer ${token}`) {
      reply(response, 401, statusBody([401, "Unauthorized", "Unauthorized"]));
      return;
    }
    const secret = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(path);
    if (secret && method === "GET") {
      const found = secrets.get(`${secret[1]!}/${secret[2]!}`);
      if (found) reply(response, 200, JSON.stringify(found));
      else reply(response, 404, statusBody(notFound("secrets", secret[2]!)));
      return;
    }
    const lease = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases\/([^/]+)$/.exec(path);
    if (lease && method === "GET") {
      const found = leases.get(`${lease[1]!}/${lease[2]!}`);
      if (found) reply(response, 200, JSON.stringify(found));
      else reply(response, 404, statusBody(notFound("leases", lease[2]!)));
      return;
    }
    if (lease && method === "PUT") {
      const [code, body] = replaceLease(lease[1]!, lease[2]!, text, request.headers["content-type"] ?? "");
      reply(response, code, body);
      return;
    }
    reply(response, 404, statusBody([404, "NotFound", "the server could not find the requested resource"]));
  }

  const server: Server = createServer({ key: serving.privateKeyPem, cert: serving.certificatePem }, (request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    request.on("end", () => {
      handle(request, text, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}`;

  return {
    server: url,
    caPem: ca.certificatePem,
    token,
    secrets,
    leases,
    requests,
    writeKubeconfig(path, options = {}) {
      const config = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          { name: "mgmt", cluster: { server: url, "certificate-authority-data": Buffer.from(ca.certificatePem).toString("base64") } },
          // Port 1 on loopback: nothing listens there.
          { name: "elsewhere", cluster: { server: "https://127.0.0.1:1", "certificate-authority-data": Buffer.from(ca.certificatePem).toString("base64") } },
        ],
        users: [{ name: "admin", user: { token: options.token ?? token } }],
        contexts: [
          { name: "mgmt", context: { cluster: "mgmt", user: "admin" } },
          { name: "elsewhere", context: { cluster: "elsewhere", user: "admin" } },
        ],
        "current-context": options.currentContext ?? "mgmt",
      };
      writeFileSync(path, stringify(config));
    },
    putStateSecret(namespace, name, tfstate, suffix) {
      secrets.set(`${namespace}/${name}`, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace, uid: uid(), resourceVersion: nextVersion(), creationTimestamp: "2026-11-20T09:00:00Z", labels: terraformLabels(suffix), annotations: { encoding: "gzip" } },
        type: "Opaque",
        data: { tfstate: tfstate.toString("base64") },
      });
    },
    putLease(namespace, name, suffix, lock) {
      leases.set(`${namespace}/${name}`, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: {
          name,
          namespace,
          uid: uid(),
          resourceVersion: nextVersion(),
          creationTimestamp: "2026-11-20T09:00:00Z",
          labels: terraformLabels(suffix),
          ...(lock ? { annotations: { "app.terraform.io/lock-info": lock.lockInfo } } : {}),
        },
        spec: lock ? { holderIdentity: lock.holderIdentity } : {},
      });
    },
    close: () => closeServer(server),
  };
}
