/**
 * `k2 secrets init` end to end: the real k2 binary and the real AWS SDK client against a test
 * double of Secrets Manager on loopback (AWS itself is out of reach here). The certificates it
 * stores are checked with openssl.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSecretPolicy } from "../../lib/aws/iam-policies";
import { BOOTSTRAP_TOKEN_PATTERN, certificateInfo } from "../../lib/pki";
import type { SecretDocument } from "../../lib/secrets";
import { startFakeSecretsManager, type FakeSecretsManager } from "../support/fake-secrets-manager";
import { EXAMPLES, runK2Async, type CliResult } from "../util";

let fake: FakeSecretsManager;
let first: CliResult;
const work = mkdtempSync(join(tmpdir(), "k2-secrets-"));

const credentials = (endpoint: string) => ({
  AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "test-double-only",
  AWS_PROFILE: undefined,
  AWS_CONFIG_FILE: join(work, "no-config"),
  AWS_SHARED_CREDENTIALS_FILE: join(work, "no-credentials"),
  // examples/aws-ha ships logs to Loki with basic auth: sinks.loki.usernameEnv/passwordEnv name these.
  LOKI_USERNAME: "platform-logs",
  LOKI_PASSWORD: `pa"ss$word\\with'quotes`,
});

function document(name: string): SecretDocument {
  const secret = fake.secrets.get(name);
  if (!secret) throw new Error(`no secret ${name}; have ${[...fake.secrets.keys()].join(", ")}`);
  return JSON.parse(secret.value) as SecretDocument;
}

function file(name: string, path: string, member?: string): string {
  const entry = document(name).files.find((candidate) => candidate.path === path && candidate.member === member);
  if (!entry) throw new Error(`secret ${name} has no file ${path}${member ? ` for ${member}` : ""}`);
  return entry.content;
}

function openssl(args: string[], files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(work, name), content);
  return execFileSync("openssl", args, { cwd: work, encoding: "utf8" });
}

beforeAll(async () => {
  fake = await startFakeSecretsManager();
  first = await runK2Async(["secrets", "init", EXAMPLES.awsHa], { env: credentials(fake.endpoint) });
}, 60_000);

afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});

describe("k2 secrets init", () => {
  it("creates one secret per machine role, and the authority", () => {
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect([...fake.secrets.keys()].sort()).toEqual(
      ["kraken/prod-usw2/authority", "kraken/prod-usw2/control-plane", "kraken/prod-usw2/etcd-events", "kraken/prod-usw2/etcd-main", "kraken/prod-usw2/workers"].sort(),
    );
    expect(first.stdout).toContain("✔ created kraken/prod-usw2/etcd-main  read by etcd cluster main");
    expect(fake.secrets.get("kraken/prod-usw2/workers")?.tags).toEqual({ "kraken.dev/cluster": "prod-usw2", "kraken.dev/readers": "workers" });
  });

  it("issues each etcd member a certificate for its planned address, signed by the etcd CA", () => {
    const ca = file("kraken/prod-usw2/etcd-main", "/etc/etcd/pki/ca.crt");
    const member = file("kraken/prod-usw2/etcd-main", "/etc/etcd/pki/member.crt", "main-1");
    expect(openssl(["verify", "-CAfile", "ca.pem", "member.pem"], { "ca.pem": ca, "member.pem": member })).toContain("member.pem: OK");
    expect(certificateInfo(member).ipAddresses).toEqual(["127.0.0.1", "10.0.32.10"]);
    expect(certificateInfo(file("kraken/prod-usw2/etcd-events", "/etc/etcd/pki/member.crt", "events-2")).ipAddresses).toContain("10.0.64.18");
    // The key for each member is only written on that member.
    const keys = document("kraken/prod-usw2/etcd-main").files.filter((entry) => entry.path === "/etc/etcd/pki/member.key");
    expect(keys.map((entry) => [entry.member, entry.mode])).toEqual([
      ["main-0", "0600"],
      ["main-1", "0600"],
      ["main-2", "0600"],
    ]);
  });

  it("gives the API server a client certificate that every etcd cluster trusts", () => {
    const client = file("kraken/prod-usw2/control-plane", "/etc/kubernetes/pki/apiserver-etcd-client.crt");
    for (const etcd of ["main", "events"]) {
      const ca = file(`kraken/prod-usw2/etcd-${etcd}`, "/etc/etcd/pki/ca.crt");
      expect(openssl(["verify", "-purpose", "sslclient", "-CAfile", "ca.pem", "client.pem"], { "ca.pem": ca, "client.pem": client })).toContain("OK");
    }
  });

  it("gives workers the bootstrap token and the CA hash kubeadm checks, and no key", () => {
    const workers = document("kraken/prod-usw2/workers");
    expect(workers.files).toEqual([]);
    expect(workers.values.BOOTSTRAP_TOKEN).toMatch(BOOTSTRAP_TOKEN_PATTERN);
    const ca = file("kraken/prod-usw2/control-plane", "/etc/kubernetes/pki/ca.crt");
    writeFileSync(join(work, "k8s-ca.pem"), ca);
    const hash = execFileSync("sh", ["-c", "openssl x509 -pubkey -noout -in k8s-ca.pem | openssl pkey -pubin -outform der | sha256sum"], { cwd: work, encoding: "utf8" }).split(" ")[0];
    expect(workers.values.CA_CERT_HASH).toBe(`sha256:${hash}`);
    expect(document("kraken/prod-usw2/control-plane").values).toEqual(workers.values);
  });

  it("creates secrets whose ARNs the machines' IAM policies allow", () => {
    for (const secret of fake.secrets.values()) {
      const pattern = readSecretPolicy("us-west-2", secret.name).Statement[0]!.Resource as string;
      const regex = new RegExp(`^${pattern.replace(/[.*+^${}()|[\]\\/]/g, (c) => (c === "*" ? "[^:]*" : `\\${c}`)).replace(/\?/g, ".")}$`);
      expect(secret.arn).toMatch(regex);
    }
  });

  it("refuses to replace secrets that exist, and changes nothing", async () => {
    const before = new Map([...fake.secrets].map(([name, secret]) => [name, secret.value]));
    const again = await runK2Async(["secrets", "init", EXAMPLES.awsHa], { env: credentials(fake.endpoint) });
    expect(again.status).toBe(1);
    expect(again.stdout).toContain("refused: secrets already exist (kraken/prod-usw2/authority");
    expect(new Map([...fake.secrets].map(([name, secret]) => [name, secret.value]))).toEqual(before);
  });

  it("lists what it would create with --dry-run, without calling AWS", async () => {
    const calls = fake.calls.length;
    const dry = await runK2Async(["secrets", "init", "--dry-run", "--format", "json", EXAMPLES.awsMinimal], { env: credentials(fake.endpoint) });
    expect(dry.status).toBe(0);
    const report = JSON.parse(dry.stdout) as { clusters: { cluster: string; secrets: { name: string }[] }[] };
    expect(report.clusters[0]?.secrets.map((secret) => secret.name)).toEqual(["kraken/dev/authority", "kraken/dev/control-plane", "kraken/dev/workers", "kraken/dev/etcd-main"]);
    expect(fake.calls.length).toBe(calls);
  });

  it("gives etcd hosts the log sinks' credentials from the environment, root-only, and no other machine", () => {
    for (const name of ["kraken/prod-usw2/etcd-main", "kraken/prod-usw2/etcd-events"]) {
      const entry = document(name).files.find((candidate) => candidate.path === "/etc/kraken/logging.env")!;
      expect(entry.mode).toBe("0600");
      expect(entry.member).toBeUndefined();
      expect(entry.content).toBe(`LOKI_USERNAME="platform-logs"\nLOKI_PASSWORD="pa\\"ss\\$word\\\\with'quotes"\n`);
    }
    for (const name of ["kraken/prod-usw2/control-plane", "kraken/prod-usw2/workers", "kraken/prod-usw2/authority"]) {
      expect(fake.secrets.get(name)?.value, name).not.toContain("LOKI");
    }
  });

  it("refuses, naming each field and variable, when a credential's variable is not set, and writes nothing", async () => {
    const calls = fake.calls.length;
    const result = await runK2Async(["secrets", "init", EXAMPLES.awsHa], { env: { ...credentials(fake.endpoint), LOKI_USERNAME: undefined, LOKI_PASSWORD: "" } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("spec.addons.logging.sinks.loki.usernameEnv names the environment variable LOKI_USERNAME");
    expect(result.stderr).toContain("spec.addons.logging.sinks.loki.passwordEnv names the environment variable LOKI_PASSWORD");
    expect(result.stderr).toContain("2 missing credentials");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fake.calls.length).toBe(calls);
  });

  it("k2 secrets logging puts new credentials into every etcd secret, once, and leaves the others alone", async () => {
    const others = ["kraken/prod-usw2/control-plane", "kraken/prod-usw2/workers", "kraken/prod-usw2/authority"].map((name) => fake.secrets.get(name));
    const certificate = file("kraken/prod-usw2/etcd-main", "/etc/etcd/pki/member.crt", "main-0");
    const env = { ...credentials(fake.endpoint), LOKI_PASSWORD: "rotated" };

    const dry = await runK2Async(["secrets", "logging", "--dry-run", EXAMPLES.awsHa], { env });
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain("- would write the log agent's credentials into kraken/prod-usw2/etcd-main");
    expect(file("kraken/prod-usw2/etcd-main", "/etc/kraken/logging.env")).toContain("pa\\\"ss");

    const result = await runK2Async(["secrets", "logging", EXAMPLES.awsHa], { env });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("✔ wrote the log agent's credentials into kraken/prod-usw2/etcd-events");
    for (const name of ["kraken/prod-usw2/etcd-main", "kraken/prod-usw2/etcd-events"]) {
      expect(file(name, "/etc/kraken/logging.env")).toBe('LOKI_USERNAME="platform-logs"\nLOKI_PASSWORD="rotated"\n');
      expect(document(name).files.filter((entry) => entry.path === "/etc/kraken/logging.env")).toHaveLength(1);
    }
    expect(file("kraken/prod-usw2/etcd-main", "/etc/etcd/pki/member.crt", "main-0")).toBe(certificate);
    expect(["kraken/prod-usw2/control-plane", "kraken/prod-usw2/workers", "kraken/prod-usw2/authority"].map((name) => fake.secrets.get(name))).toEqual(others);

    const puts = fake.calls.filter((call) => call === "PutSecretValue").length;
    const again = await runK2Async(["secrets", "logging", "--format", "json", EXAMPLES.awsHa], { env });
    expect(again.status).toBe(0);
    const report = JSON.parse(again.stdout) as { clusters: { secrets: { name: string; action: string; written: boolean }[] }[] };
    expect(report.clusters[0]!.secrets.map((secret) => [secret.action, secret.written])).toEqual([
      ["unchanged", false],
      ["unchanged", false],
    ]);
    expect(fake.calls.filter((call) => call === "PutSecretValue").length).toBe(puts);
  });

  it("says in one line when the store cannot be reached", async () => {
    const result = await runK2Async(["secrets", "init", EXAMPLES.awsMinimal], { env: credentials("http://127.0.0.1:9") });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^k2: cannot reach AWS Secrets Manager in us-west-2: .+\n$/);
  }, 60_000);
});
