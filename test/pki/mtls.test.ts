/** Mutual TLS through node:tls (OpenSSL underneath): our certificates in a real handshake. */
import type { AddressInfo } from "node:net";
import { connect, createServer, type SecureVersion, type Server } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, issueCertificate, type CertificateAuthority, type IssuedCertificate } from "../../lib/pki";

interface Outcome {
  /** What the server wrote after accepting the client; "" when it never did. */
  readonly greeting: string;
  readonly error?: Error & { code?: string };
}

interface TestServer {
  readonly port: number;
  /** Handshake errors the server saw (clients it dropped). */
  readonly clientErrors: Error[];
  readonly server: Server;
}

/**
 * A TLS server on 127.0.0.1 that requests client certificates from `ca`. It greets authorized clients with
 * "hello <CN>"; with `rejectUnauthorized: false` it tells the others why instead of dropping them.
 */
function startServer(ca: CertificateAuthority, serverCertificate: IssuedCertificate, maxVersion: SecureVersion, rejectUnauthorized = true): Promise<TestServer> {
  const clientErrors: Error[] = [];
  const server = createServer({ key: serverCertificate.privateKeyPem, cert: serverCertificate.certificatePem, ca: [ca.certificatePem], requestCert: true, rejectUnauthorized, maxVersion }, (socket) => {
    // Node types authorizationError as an Error; at run time it is OpenSSL's code, e.g. "INVALID_PURPOSE".
    const reason: unknown = socket.authorizationError;
    socket.end(socket.authorized ? `hello ${String(socket.getPeerCertificate().subject.CN)}\n` : `refused ${String(reason)}\n`);
  });
  server.on("tlsClientError", (error) => clientErrors.push(error));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve({ port: (server.address() as AddressInfo).port, clientErrors, server });
    });
  });
}

/** Waits until the server has logged more than `count` client errors (it may log after the client has gone). */
async function serverErrorsAfter(running: TestServer, count: number): Promise<string> {
  for (let waited = 0; running.clientErrors.length <= count && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  return running.clientErrors.slice(count).map((error) => error.message).join("\n");
}

function connectClient(port: number, ca: CertificateAuthority, client: IssuedCertificate | undefined, maxVersion: SecureVersion): Promise<Outcome> {
  return new Promise((resolve) => {
    let greeting = "";
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(error ? { greeting, error } : { greeting });
    };
    const socket = connect({ host: "127.0.0.1", port, ca: [ca.certificatePem], key: client?.privateKeyPem, cert: client?.certificatePem, maxVersion });
    socket.setEncoding("utf8");
    socket.setTimeout(10_000, () => {
      finish(new Error("timed out"));
    });
    socket.on("data", (chunk: string) => (greeting += chunk));
    socket.on("error", (error: Error) => {
      finish(error);
    });
    socket.on("close", () => {
      finish();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => {
    resolve();
  }));
}

describe.each<SecureVersion>(["TLSv1.3", "TLSv1.2"])("mutual TLS over %s", (maxVersion) => {
  let ca: CertificateAuthority;
  let otherCa: CertificateAuthority;
  let client: IssuedCertificate;
  let running: TestServer;

  beforeAll(async () => {
    // GIVEN a server on 127.0.0.1 with a certificate for that IP, requiring client certificates from the same CA
    ca = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 30 });
    otherCa = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 30 });
    const server = await issueCertificate(ca, { commonName: "kube-apiserver", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usages: ["server"], validityDays: 1 });
    client = await issueCertificate(ca, { commonName: "kube-admin", organizations: ["system:masters"], usages: ["client"], validityDays: 1 });
    running = await startServer(ca, server, maxVersion);
  });

  afterAll(async () => {
    await closeServer(running.server);
  });

  it("WHEN a client presents a certificate from the CA THEN the handshake succeeds both ways", async () => {
    const outcome = await connectClient(running.port, ca, client, maxVersion);
    expect(outcome.error).toBeUndefined();
    expect(outcome.greeting).toBe("hello kube-admin\n");
  });

  it("WHEN a client presents no certificate THEN the server refuses it", async () => {
    const errorsBefore = running.clientErrors.length;
    const outcome = await connectClient(running.port, ca, undefined, maxVersion);
    expect(outcome.greeting).toBe("");
    expect(outcome.error?.message).toMatch(/alert certificate required|alert handshake failure/);
    expect(await serverErrorsAfter(running, errorsBefore)).toMatch(/peer did not return a certificate/);
  });

  it("WHEN a client presents a certificate from another CA THEN the server drops it", async () => {
    const stranger = await issueCertificate(otherCa, { commonName: "kube-admin", organizations: ["system:masters"], usages: ["client"], validityDays: 1 });
    const errorsBefore = running.clientErrors.length;
    const outcome = await connectClient(running.port, ca, stranger, maxVersion);
    expect(outcome.greeting).toBe("");
    expect(await serverErrorsAfter(running, errorsBefore)).not.toBe("");
  });

  it("WHEN a client's certificate is for servers only THEN the server drops it", async () => {
    const serverOnly = await issueCertificate(ca, { commonName: "kube-admin", ipAddresses: ["127.0.0.1"], usages: ["server"], validityDays: 1 });
    const errorsBefore = running.clientErrors.length;
    const outcome = await connectClient(running.port, ca, serverOnly, maxVersion);
    expect(outcome.greeting).toBe("");
    expect(await serverErrorsAfter(running, errorsBefore)).not.toBe("");
  });
});

describe("why the server refuses a client", () => {
  let ca: CertificateAuthority;
  let running: TestServer;

  beforeAll(async () => {
    // GIVEN a server that reports the verification result instead of dropping the client
    ca = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 30 });
    const server = await issueCertificate(ca, { commonName: "kube-apiserver", ipAddresses: ["127.0.0.1"], usages: ["server"], validityDays: 1 });
    running = await startServer(ca, server, "TLSv1.3", false);
  });

  afterAll(async () => {
    await closeServer(running.server);
  });

  it("WHEN the client certificate is from another CA THEN OpenSSL cannot verify its signature", async () => {
    const otherCa = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 30 });
    const stranger = await issueCertificate(otherCa, { commonName: "kube-admin", usages: ["client"], validityDays: 1 });
    expect((await connectClient(running.port, ca, stranger, "TLSv1.3")).greeting).toBe("refused UNABLE_TO_VERIFY_LEAF_SIGNATURE\n");
  });

  it("WHEN the client certificate lacks clientAuth THEN OpenSSL finds its purpose unsuitable", async () => {
    const serverOnly = await issueCertificate(ca, { commonName: "kube-admin", ipAddresses: ["127.0.0.1"], usages: ["server"], validityDays: 1 });
    expect((await connectClient(running.port, ca, serverOnly, "TLSv1.3")).greeting).toBe("refused INVALID_PURPOSE\n");
  });

  it("WHEN the client certificate is from the CA THEN it is authorized", async () => {
    const client = await issueCertificate(ca, { commonName: "kube-admin", usages: ["client"], validityDays: 1 });
    expect((await connectClient(running.port, ca, client, "TLSv1.3")).greeting).toBe("hello kube-admin\n");
  });
});

describe("the client's check of the server", () => {
  let ca: CertificateAuthority;
  let client: IssuedCertificate;
  const servers: Server[] = [];

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 30 });
    client = await issueCertificate(ca, { commonName: "kube-admin", usages: ["client"], validityDays: 1 });
  });

  afterAll(async () => {
    await Promise.all(servers.map(closeServer));
  });

  it("GIVEN a server certificate without the IP the client dials THEN the client refuses the server", async () => {
    const wrongName = await issueCertificate(ca, { commonName: "127.0.0.1", dnsNames: ["localhost"], ipAddresses: ["10.0.0.1"], usages: ["server"], validityDays: 1 });
    const running = await startServer(ca, wrongName, "TLSv1.3");
    servers.push(running.server);
    const outcome = await connectClient(running.port, ca, client, "TLSv1.3");
    expect(outcome.error?.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(outcome.greeting).toBe("");
  });

  it("GIVEN a server certificate from another CA THEN the client refuses the server", async () => {
    const otherCa = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 30 });
    const impostor = await issueCertificate(otherCa, { commonName: "kube-apiserver", ipAddresses: ["127.0.0.1"], usages: ["server"], validityDays: 1 });
    const running = await startServer(ca, impostor, "TLSv1.3");
    servers.push(running.server);
    const outcome = await connectClient(running.port, ca, client, "TLSv1.3");
    expect(outcome.error?.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_SIGNATURE_FAILURE/);
    expect(outcome.greeting).toBe("");
  });
});
