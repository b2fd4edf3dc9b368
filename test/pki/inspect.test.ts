/** Reading certificates back, checked against Node's X509 parser and the openssl binary. */
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caCertificateHash, certificateInfo, createCertificateAuthority, daysUntilExpiry, issueCertificate, type CertificateAuthority } from "../../lib/pki";
import { opensslCertificateAuthority, opensslOk, openssl, runTool, TempFiles } from "./fixtures";

const DAY_MS = 24 * 60 * 60 * 1000;
const files = new TempFiles();
afterAll(() => {
  files.remove();
});

/** kubeadm's documented recipe: `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`. */
function opensslCaHash(certificatePath: string): string {
  const publicKey = opensslOk(["x509", "-pubkey", "-noout", "-in", certificatePath]).stdout;
  const der = opensslOk(["pkey", "-pubin", "-outform", "der"], publicKey).stdoutBytes;
  const sum = runTool("sha256sum", [], der);
  expect(sum.status, sum.stderr).toBe(0);
  return `sha256:${sum.stdout.split(" ")[0]!}`;
}

describe("caCertificateHash", () => {
  it("GIVEN our CA THEN the hash is the one kubeadm's openssl recipe computes", async () => {
    const ca = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 3650 });
    const hash = caCertificateHash(ca.certificatePem);
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hash).toBe(opensslCaHash(files.write("ca.pem", ca.certificatePem)));
  });

  it("GIVEN an RSA CA made by openssl THEN the hash is the one kubeadm's openssl recipe computes", () => {
    const ca = opensslCertificateAuthority(files, "rsa-ca", "rsa");
    expect(caCertificateHash(ca.certificatePem)).toBe(opensslCaHash(files.path("rsa-ca.pem")));
  });

  it("GIVEN two CAs THEN their hashes differ", async () => {
    const [first, second] = await Promise.all([1, 2].map(() => createCertificateAuthority({ commonName: "kubernetes", validityDays: 1 })));
    expect(caCertificateHash(first!.certificatePem)).not.toBe(caCertificateHash(second!.certificatePem));
  });
});

describe("certificateInfo", () => {
  let ca: CertificateAuthority;

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: "kubernetes", organization: "kraken", validityDays: 3650 });
  });

  it("GIVEN our CA THEN it reports a self-issued CA", () => {
    const info = certificateInfo(ca.certificatePem);
    expect(info.subject).toBe("O=kraken, CN=kubernetes");
    expect(info.issuer).toBe(info.subject);
    expect(info.isCa).toBe(true);
    expect(info.dnsNames).toEqual([]);
    expect(info.ipAddresses).toEqual([]);
  });

  it("GIVEN an issued certificate THEN it reports what Node's parser reads", async () => {
    const issued = await issueCertificate(ca, {
      commonName: "etcd-1",
      organizations: ["etcd"],
      dnsNames: ["etcd-1.internal", "etcd-1.internal"],
      ipAddresses: ["10.0.1.10", "2001:DB8:0:0::10", "::ffff:10.0.1.10"],
      usages: ["server", "client"],
      validityDays: 365,
    });
    const node = new X509Certificate(issued.certificatePem);
    const info = certificateInfo(issued.certificatePem);
    expect(info).toEqual({
      subject: "O=etcd, CN=etcd-1",
      issuer: "O=kraken, CN=kubernetes",
      dnsNames: ["etcd-1.internal"],
      ipAddresses: ["10.0.1.10", "2001:db8::10", "::ffff:10.0.1.10"],
      notBefore: new Date(node.validFrom),
      notAfter: new Date(node.validTo),
      isCa: false,
      serialNumber: node.serialNumber.toLowerCase(),
    });
    expect(info.notAfter.getTime() - info.notBefore.getTime()).toBe(365 * DAY_MS);
  });

  it("GIVEN a certificate made by openssl THEN it reads its SANs and serial", () => {
    const keyPath = files.path("web.key");
    const certificatePath = files.path("web.pem");
    opensslOk(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyPath, "-out", certificatePath, "-subj", "/O=acme/CN=web", "-days", "7", "-set_serial", "0x1234abcd", "-addext", "subjectAltName=DNS:web.example.com,IP:192.0.2.7,IP:2001:db8::7", "-addext", "basicConstraints=critical,CA:FALSE"]);
    const info = certificateInfo(opensslOk(["x509", "-in", certificatePath]).stdout);
    expect(info.subject).toBe("O=acme, CN=web");
    expect(info.dnsNames).toEqual(["web.example.com"]);
    expect(info.ipAddresses).toEqual(["192.0.2.7", "2001:db8::7"]);
    expect(info.serialNumber).toBe("1234abcd");
    expect(info.isCa).toBe(false);
  });

  it("GIVEN text that is not a certificate THEN the error names the input", () => {
    expect(() => certificateInfo("hello")).toThrow(/^certificatePem must be PEM text \("-----BEGIN CERTIFICATE-----"\), got 5 characters without a PEM block$/);
    expect(() => certificateInfo(ca.privateKeyPem)).toThrow('certificatePem must hold exactly one "CERTIFICATE" PEM block, got "PRIVATE KEY"');
    expect(() => caCertificateHash(ca.certificatePem + ca.certificatePem)).toThrow('certificatePem must hold exactly one "CERTIFICATE" PEM block, got "CERTIFICATE", "CERTIFICATE"');
  });
});

describe("daysUntilExpiry", () => {
  let pem: string;
  let notAfter: number;

  beforeAll(async () => {
    // GIVEN a certificate valid for 30 days
    const ca = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 30 });
    pem = ca.certificatePem;
    notAfter = new Date(new X509Certificate(pem).validTo).getTime();
  });

  it("THEN it counts whole days left, rounding down", () => {
    expect(daysUntilExpiry(pem, new Date(notAfter - 10 * DAY_MS))).toBe(10);
    expect(daysUntilExpiry(pem, new Date(notAfter - 10 * DAY_MS + 1000))).toBe(9);
    expect(daysUntilExpiry(pem, new Date(notAfter - 1000))).toBe(0);
    // Issued five minutes in the past, so a fresh 30-day certificate has 29 whole days left.
    expect(daysUntilExpiry(pem)).toBe(29);
  });

  it("THEN it is negative once the certificate has expired", () => {
    expect(daysUntilExpiry(pem, new Date(notAfter + 1000))).toBe(-1);
    expect(daysUntilExpiry(pem, new Date(notAfter + 3 * DAY_MS))).toBe(-3);
  });

  it("THEN openssl -checkend agrees: not expired after that many days, expired a day later", () => {
    const path = files.write("expiry.pem", pem);
    const days = daysUntilExpiry(pem);
    const within = openssl(["x509", "-in", path, "-noout", "-checkend", String(days * 86_400)]);
    expect(within.stdout).toBe("Certificate will not expire\n");
    expect(within.status).toBe(0);
    const after = openssl(["x509", "-in", path, "-noout", "-checkend", String((days + 1) * 86_400)]);
    expect(after.stdout).toBe("Certificate will expire\n");
    expect(after.status).toBe(1);
  });
});
