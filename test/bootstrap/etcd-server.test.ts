/**
 * A real etcd member started from nothing but the environment file renderEtcdMemberConfig writes
 * (as systemd's EnvironmentFile gives it), with certificates from lib/pki. etcd and etcdctl must be
 * installed (Debian etcd-server and etcd-client; CI installs them): without them this test fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderEtcdMemberConfig } from "../../lib/bootstrap";
import { createCertificateAuthority, issueCertificate } from "../../lib/pki";
import { missingToolMessage, runTool, TempDir, type ToolResult } from "./fixtures";

const HEALTH_TIMEOUT_MS = 30_000;

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === "string") reject(new Error("no port"));
        else resolve(address.port);
      });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const isRunning = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

describe("an etcd member started from the rendered environment", () => {
  const files = new TempDir();
  let etcd: ChildProcess | undefined;
  let etcdLog = "";
  let clientPort = 0;
  let peerPort = 0;
  let endpoint = "";
  const paths = {
    ca: files.path("pki/ca.crt"),
    memberCert: files.path("pki/member.crt"),
    memberKey: files.path("pki/member.key"),
    clientCert: files.path("pki/client.crt"),
    clientKey: files.path("pki/client.key"),
    strangerCert: files.path("pki/stranger.crt"),
    strangerKey: files.path("pki/stranger.key"),
  };

  /** etcdctl v3 against the member, with short timeouts; no ETCD* variable of ours leaks in. */
  function etcdctl(tls: readonly string[], args: readonly string[]): ToolResult {
    return runTool("etcdctl", ["--endpoints", endpoint, "--dial-timeout=3s", "--command-timeout=5s", ...tls, ...args], {
      env: { PATH: process.env.PATH, ETCDCTL_API: "3" },
      timeoutMs: 15_000,
    });
  }
  const withClientCertificate = (): string[] => ["--cacert", paths.ca, "--cert", paths.clientCert, "--key", paths.clientKey];

  beforeAll(async () => {
    // Fail fast, and clearly, when the binaries are missing.
    for (const tool of ["etcd", "etcdctl"]) {
      const version = runTool(tool, tool === "etcdctl" ? ["version"] : ["--version"], { env: { PATH: process.env.PATH, ETCDCTL_API: "3" } });
      expect(version.status, `${tool} --version failed: ${version.stderr}\n${missingToolMessage(tool)}`).toBe(0);
    }

    // GIVEN an etcd CA, the member's certificate for 127.0.0.1, an API server client, and a stranger from another CA
    const ca = await createCertificateAuthority({ commonName: "etcd-ca", validityDays: 1 });
    const member = await issueCertificate(ca, { commonName: "main-0", ipAddresses: ["127.0.0.1"], usages: ["server", "client"], validityDays: 1 });
    const client = await issueCertificate(ca, { commonName: "kube-apiserver-etcd-client", usages: ["client"], validityDays: 1 });
    const otherCa = await createCertificateAuthority({ commonName: "other-ca", validityDays: 1 });
    const stranger = await issueCertificate(otherCa, { commonName: "stranger", usages: ["client"], validityDays: 1 });
    files.write("pki/ca.crt", ca.certificatePem);
    files.write("pki/member.crt", member.certificatePem);
    files.write("pki/member.key", member.privateKeyPem);
    files.write("pki/client.crt", client.certificatePem);
    files.write("pki/client.key", client.privateKeyPem);
    files.write("pki/stranger.crt", stranger.certificatePem);
    files.write("pki/stranger.key", stranger.privateKeyPem);

    // AND the environment file of a one-member cluster on loopback, on free ports
    clientPort = await freePort();
    peerPort = await freePort();
    endpoint = `https://127.0.0.1:${clientPort}`;
    const self = { name: "main-0", host: "127.0.0.1" };
    const environmentFile = files.write(
      "etcd.env",
      renderEtcdMemberConfig({
        member: self,
        members: [self],
        clusterToken: "test-main",
        initialClusterState: "new",
        dataDir: files.path("data"),
        clientPort,
        peerPort,
        tls: { caFile: paths.ca, certFile: paths.memberCert, keyFile: paths.memberKey, peerCaFile: paths.ca, peerCertFile: paths.memberCert, peerKeyFile: paths.memberKey },
      }),
    );

    // WHEN etcd starts with only that environment (no flags), as systemd would start it
    const environment: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: files.directory };
    // etcd 3.4 refuses to start on arm64 unless told the architecture is fine.
    if (process.arch === "arm64") environment.ETCD_UNSUPPORTED_ARCH = "arm64";
    etcd = spawn("bash", ["-c", 'set -a; . "$1"; exec etcd', "etcd", environmentFile], { env: environment, stdio: ["ignore", "pipe", "pipe"] });
    const started = etcd;
    started.stdout?.on("data", (chunk: Buffer) => (etcdLog += chunk.toString("utf8")));
    started.stderr?.on("data", (chunk: Buffer) => (etcdLog += chunk.toString("utf8")));
    started.on("error", (error) => (etcdLog += `\n[spawn error] ${error.message}`));

    // THEN it reports healthy within the timeout
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    let last: ToolResult | undefined;
    while (Date.now() < deadline && isRunning(started)) {
      last = etcdctl(withClientCertificate(), ["endpoint", "health"]);
      if (last.status === 0) return;
      await sleep(250);
    }
    throw new Error(
      `etcd did not become healthy within ${HEALTH_TIMEOUT_MS / 1000}s (exit code ${String(started.exitCode)}).\n` +
        `etcdctl said: ${last ? last.stdout + last.stderr : "nothing"}\netcd said:\n${etcdLog.slice(-4000)}`,
    );
  }, 90_000);

  afterAll(async () => {
    const running = etcd;
    if (running && isRunning(running)) {
      const exited = new Promise<void>((resolve) => running.once("exit", () => {
        resolve();
      }));
      running.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000)]);
      if (isRunning(running)) {
        running.kill("SIGKILL");
        await Promise.race([exited, sleep(5_000)]);
      }
    }
    files.remove();
  }, 30_000);

  it("answers a client with a certificate from the etcd CA", () => {
    const health = etcdctl(withClientCertificate(), ["endpoint", "health"]);
    expect(health.status, health.stderr).toBe(0);
    expect(health.stdout + health.stderr).toContain(`${endpoint} is healthy`);
  });

  it("took its name and URLs from the environment file", () => {
    const list = etcdctl(withClientCertificate(), ["member", "list", "-w", "json"]);
    expect(list.status, list.stderr).toBe(0);
    const { members } = JSON.parse(list.stdout) as { members: { name: string; peerURLs: string[]; clientURLs: string[] }[] };
    expect(members.map((member) => ({ name: member.name, peerURLs: member.peerURLs, clientURLs: member.clientURLs }))).toEqual([
      { name: "main-0", peerURLs: [`https://127.0.0.1:${peerPort}`], clientURLs: [endpoint] },
    ]);
  });

  it("stores and returns a key", () => {
    expect(etcdctl(withClientCertificate(), ["put", "/registry/kraken/test", "hello"]).stdout.trim()).toBe("OK");
    const get = etcdctl(withClientCertificate(), ["get", "/registry/kraken/test", "--print-value-only"]);
    expect(get.status, get.stderr).toBe(0);
    expect(get.stdout.trim()).toBe("hello");
  });

  it("refuses a client without a certificate", async () => {
    // GIVEN a client that trusts the CA but shows no certificate
    const refused = etcdctl(["--cacert", paths.ca], ["endpoint", "health"]);
    // THEN etcd does not answer it, and says why in its log
    expect(refused.status).not.toBe(0);
    expect(refused.stdout + refused.stderr).not.toContain("is healthy");
    for (let waited = 0; !etcdLog.includes("didn't provide a certificate") && waited < 5_000; waited += 100) await sleep(100);
    expect(etcdLog).toContain("didn't provide a certificate");
  });

  it("refuses a client whose certificate comes from another CA", () => {
    const refused = etcdctl(["--cacert", paths.ca, "--cert", paths.strangerCert, "--key", paths.strangerKey], ["endpoint", "health"]);
    expect(refused.status).not.toBe(0);
    expect(refused.stdout + refused.stderr).not.toContain("is healthy");
  });
});
