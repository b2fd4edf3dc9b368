import { gunzipSync } from "node:zlib";
import { describeBackend, kubernetesStateNames, type StateBackendConfig } from "../backend";
import type { LockStatus } from "../lock";
import { parseLockInfo } from "../terraform-state";
import { StateAccessError, type StateClient } from "./client";

type KubernetesBackend = Extract<StateBackendConfig, { type: "kubernetes" }>;

/** Where Terraform's kubernetes backend keeps the lock record on the Lease. */
const LOCK_INFO_ANNOTATION = "app.terraform.io/lock-info";

/** The part of a Lease this client reads and changes. */
interface Lease {
  metadata?: { annotations?: Record<string, string> };
  spec?: { holderIdentity?: string };
}

/** The few calls of @kubernetes/client-node (an ES module, loaded with import() on first use) this client makes. */
interface KubernetesApis {
  readonly core: { readNamespacedSecret(request: { name: string; namespace: string }): Promise<{ data?: Record<string, string> }> };
  readonly coordination: {
    readNamespacedLease(request: { name: string; namespace: string }): Promise<Lease>;
    replaceNamespacedLease(request: { name: string; namespace: string; body: Lease }): Promise<unknown>;
  };
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: number }).code === 404;
}

/**
 * One line for an API error: client-node's ApiException message spans several lines with the
 * whole body and the response headers; the API server's Status message is what an admin needs.
 */
export function kubernetesErrorText(error: unknown): string {
  const { code, body, message } = error as { code?: unknown; body?: unknown; message?: unknown };
  if (typeof code === "number") {
    let status: unknown = body;
    if (typeof body === "string") {
      try {
        status = JSON.parse(body) as unknown;
      } catch {
        status = body;
      }
    }
    const text =
      typeof status === "object" && status !== null && typeof (status as { message?: unknown }).message === "string"
        ? (status as { message: string }).message
        : typeof status === "string" && status.trim() !== ""
          ? status.trim()
          : undefined;
    // Without a body (401, 403), client-node puts the reason on the message's "Message:" line.
    const reason = typeof message === "string" ? /^Message: (.+)$/m.exec(message)?.[1] : undefined;
    const detail = text ?? reason;
    return `HTTP ${String(code)}${detail === undefined ? "" : `: ${detail.split("\n")[0] ?? ""}`}`;
  }
  return (typeof message === "string" ? message : String(error)).split("\n")[0] ?? "";
}

/**
 * The kubernetes backend, through the kubeconfig (spec.state.kubernetes.configPath and
 * configContext, else the usual places): the state in Secret tfstate-default-<suffix> (gzipped,
 * possibly in numbered chunks), and the lock as Lease lock-tfstate-default-<suffix>, whose
 * holder is the lock id and whose annotation holds Terraform's lock record.
 */
export class KubernetesStateClient implements StateClient {
  readonly description: string;
  private apis?: KubernetesApis;
  private readonly names: { readonly secret: string; readonly lease: string };

  constructor(private readonly backend: KubernetesBackend) {
    this.description = describeBackend(backend);
    this.names = kubernetesStateNames(backend.secretSuffix);
  }

  private async connect(): Promise<KubernetesApis> {
    if (this.apis) return this.apis;
    const k8s = await import("@kubernetes/client-node");
    const config = new k8s.KubeConfig();
    try {
      if (this.backend.configPath !== undefined) config.loadFromFile(this.backend.configPath.replace(/^~(?=\/)/, process.env.HOME ?? "~"));
      else config.loadFromDefault();
      if (this.backend.configContext !== undefined) config.setCurrentContext(this.backend.configContext);
    } catch (error) {
      throw new StateAccessError(`cannot load the kubeconfig of the state's cluster: ${(error as Error).message}`, { cause: error });
    }
    this.apis = { core: config.makeApiClient(k8s.CoreV1Api), coordination: config.makeApiClient(k8s.CoordinationV1Api) };
    return this.apis;
  }

  private async secretData(name: string): Promise<Buffer | undefined> {
    const { core } = await this.connect();
    try {
      const secret = await core.readNamespacedSecret({ name, namespace: this.backend.namespace });
      const data = secret.data?.tfstate;
      return data === undefined ? undefined : Buffer.from(data, "base64");
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new StateAccessError(`cannot read Secret ${name} in ${this.backend.namespace}: ${kubernetesErrorText(error)}`, { cause: error });
    }
  }

  async readState(): Promise<string | undefined> {
    const first = await this.secretData(this.names.secret);
    if (first === undefined) return undefined;
    // Large states are split over numbered Secrets (<name>-1, <name>-2, ...) of one gzip stream.
    const chunks = [first];
    for (let index = 1; ; index += 1) {
      const chunk = await this.secretData(`${this.names.secret}-${index}`);
      if (chunk === undefined) break;
      chunks.push(chunk);
    }
    return gunzipSync(Buffer.concat(chunks)).toString("utf8");
  }

  async lockStatus(): Promise<LockStatus> {
    const { coordination } = await this.connect();
    let lease: Lease;
    try {
      lease = await coordination.readNamespacedLease({ name: this.names.lease, namespace: this.backend.namespace });
    } catch (error) {
      if (isNotFound(error)) return { backend: this.description, locked: false };
      throw new StateAccessError(`cannot read Lease ${this.names.lease} in ${this.backend.namespace}: ${kubernetesErrorText(error)}`, { cause: error });
    }
    const holderId = lease.spec?.holderIdentity;
    if (!holderId) return { backend: this.description, locked: false };
    const info = parseLockInfo(lease.metadata?.annotations?.[LOCK_INFO_ANNOTATION] ?? "");
    return {
      backend: this.description,
      locked: true,
      holder: {
        id: holderId,
        ...(info?.Who === undefined ? {} : { who: info.Who }),
        ...(info?.Operation === undefined ? {} : { operation: info.Operation }),
        ...(info?.Created === undefined ? {} : { since: info.Created }),
        ...(info?.Version === undefined ? {} : { terraformVersion: info.Version }),
        details: { "lock record": `Lease ${this.names.lease} in ${this.backend.namespace}` },
      },
    };
  }

  async unlock(lockId: string): Promise<string> {
    const status = await this.lockStatus();
    if (!status.holder) throw new StateAccessError("the state is not locked");
    if (status.holder.id !== lockId) throw new StateAccessError(`the lock is held under id ${status.holder.id}, not ${lockId}`);
    const { coordination } = await this.connect();
    const where = `Lease ${this.names.lease} in ${this.backend.namespace}`;
    try {
      const lease = await coordination.readNamespacedLease({ name: this.names.lease, namespace: this.backend.namespace });
      if (lease.spec?.holderIdentity !== lockId) throw new StateAccessError(`the lock changed hands while unlocking (now ${lease.spec?.holderIdentity ?? "free"}); nothing was changed`);
      // As Terraform's own unlock does: no holder, no lock record. The read object (with its
      // resourceVersion) is written back, so a lock taken meanwhile makes the write fail with 409.
      if (lease.metadata?.annotations) Reflect.deleteProperty(lease.metadata.annotations, LOCK_INFO_ANNOTATION);
      lease.spec.holderIdentity = undefined;
      await coordination.replaceNamespacedLease({ name: this.names.lease, namespace: this.backend.namespace, body: lease });
    } catch (error) {
      if (error instanceof StateAccessError) throw error;
      const conflict = (error as { code?: unknown }).code === 409 ? " (the Lease changed meanwhile; check the lock again)" : "";
      throw new StateAccessError(`cannot release ${where}${conflict}: ${kubernetesErrorText(error)}`, { cause: error });
    }
    return `released ${where}`;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
