/** Certificates as Node's own X509 parser (OpenSSL underneath) sees them. */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, issueCertificate, type CertificateAuthority, type IssuedCertificate } from "../../lib/pki";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const DAY_MS = 24 * 60 * 60 * 1000;

describe("createCertificateAuthority", () => {
  let ca: CertificateAuthority;
  let certificate: X509Certificate;
  const before = Date.now();

  beforeAll(async () => {
    // GIVEN a CA made for ten years
    ca = await createCertificateAuthority({ commonName: "kubernetes", organization: "kraken", validityDays: 3650 });
    certificate = new X509Certificate(ca.certificatePem);
  });

  it("THEN it is a self-signed CA certificate", () => {
    expect(certificate.ca).toBe(true);
    expect(certificate.subject).toBe("O=kraken\nCN=kubernetes");
    expect(certificate.issuer).toBe(certificate.subject);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.checkIssued(certificate)).toBe(true);
  });

  it("THEN its key is a PKCS#8 ECDSA P-256 key that matches the certificate", () => {
    expect(ca.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(ca.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    const key = createPrivateKey(ca.privateKeyPem);
    expect(key.asymmetricKeyType).toBe("ec");
    expect(key.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(certificate.checkPrivateKey(key)).toBe(true);
  });

  it("THEN it is valid from five minutes ago for the requested days", () => {
    const validFrom = new Date(certificate.validFrom).getTime();
    expect(before - validFrom).toBeGreaterThanOrEqual(5 * 60 * 1000 - 1000);
    expect(before - validFrom).toBeLessThanOrEqual(5 * 60 * 1000 + 60_000);
    expect(new Date(certificate.validTo).getTime() - validFrom).toBe(3650 * DAY_MS);
  });
});

describe("issueCertificate", () => {
  let ca: CertificateAuthority;
  let otherCa: CertificateAuthority;
  let server: IssuedCertificate;
  let serverCertificate: X509Certificate;

  beforeAll(async () => {
    // GIVEN a CA, another unrelated CA, and an API server certificate from the first
    ca = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 3650 });
    otherCa = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 3650 });
    server = await issueCertificate(ca, {
      commonName: "kube-apiserver",
      dnsNames: ["kubernetes", "kubernetes.default.svc.cluster.local", "*.api.example.com"],
      ipAddresses: ["10.96.0.1", "2001:db8::1", "::ffff:192.168.1.9"],
      usages: ["server"],
      validityDays: 365,
    });
    serverCertificate = new X509Certificate(server.certificatePem);
  });

  it("THEN the CA's public key verifies it, and another CA's with the same name does not", () => {
    expect(serverCertificate.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    expect(serverCertificate.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);
    expect(serverCertificate.verify(new X509Certificate(otherCa.certificatePem).publicKey)).toBe(false);
  });

  it("THEN it is not a CA, and its own key matches it", () => {
    expect(serverCertificate.ca).toBe(false);
    expect(serverCertificate.checkPrivateKey(createPrivateKey(server.privateKeyPem))).toBe(true);
    expect(serverCertificate.checkPrivateKey(createPrivateKey(ca.privateKeyPem))).toBe(false);
  });

  it("THEN it matches its DNS names, wildcards included, and nothing else", () => {
    expect(serverCertificate.checkHost("kubernetes")).toBe("kubernetes");
    expect(serverCertificate.checkHost("kubernetes.default.svc.cluster.local")).toBe("kubernetes.default.svc.cluster.local");
    expect(serverCertificate.checkHost("node-1.api.example.com")).toBe("*.api.example.com");
    expect(serverCertificate.checkHost("kubernetes.default")).toBeUndefined();
    expect(serverCertificate.checkHost("kube-apiserver")).toBeUndefined();
  });

  it("THEN it matches its IPv4, IPv6 and IPv4-mapped addresses, and no others", () => {
    expect(serverCertificate.checkIP("10.96.0.1")).toBe("10.96.0.1");
    expect(serverCertificate.checkIP("2001:db8:0::1")).toBe("2001:db8:0::1");
    expect(serverCertificate.checkIP("::ffff:192.168.1.9")).toBe("::ffff:192.168.1.9");
    expect(serverCertificate.checkIP("10.96.0.2")).toBeUndefined();
    expect(serverCertificate.checkIP("2001:db8::2")).toBeUndefined();
  });

  it("THEN its extended key usage is serverAuth only", () => {
    expect(serverCertificate.keyUsage).toEqual([SERVER_AUTH]);
  });

  it("THEN it is valid from five minutes ago for the requested days", () => {
    const validFrom = new Date(serverCertificate.validFrom).getTime();
    expect(Date.now() - validFrom).toBeGreaterThanOrEqual(5 * 60 * 1000 - 1000);
    expect(Date.now() - validFrom).toBeLessThan(5 * 60 * 1000 + 60_000);
    expect(new Date(serverCertificate.validTo).getTime() - validFrom).toBe(365 * DAY_MS);
  });

  it("WHEN a client certificate carries groups THEN they are O entries before the CN, and there is no SAN", async () => {
    const admin = new X509Certificate(
      (await issueCertificate(ca, { commonName: "kubernetes-admin", organizations: ["system:masters", "kraken:admins"], usages: ["client"], validityDays: 1 })).certificatePem,
    );
    expect(admin.subject).toBe("O=system:masters\nO=kraken:admins\nCN=kubernetes-admin");
    expect(admin.keyUsage).toEqual([CLIENT_AUTH]);
    expect(admin.subjectAltName).toBeUndefined();
  });

  it("WHEN a certificate is for both server and client (etcd peers) THEN it carries both usages", async () => {
    const peer = new X509Certificate(
      (await issueCertificate(ca, { commonName: "etcd-1", dnsNames: ["etcd-1"], ipAddresses: ["10.0.1.10"], usages: ["server", "client", "server"], validityDays: 365 })).certificatePem,
    );
    expect(peer.keyUsage).toEqual([SERVER_AUTH, CLIENT_AUTH]);
  });

  it("WHEN a name holds commas and equals signs THEN it stays one attribute value", async () => {
    const odd = new X509Certificate((await issueCertificate(ca, { commonName: "a, CN=b", organizations: ["x=y"], usages: ["client"], validityDays: 1 })).certificatePem);
    expect(odd.subject).toBe("O=x=y\nCN=a\\, CN=b");
  });

  it("WHEN many certificates are issued THEN their serial numbers are distinct, positive and at most 128 bits", async () => {
    const serials = await Promise.all(
      Array.from({ length: 20 }, async () => new X509Certificate((await issueCertificate(ca, { commonName: "c", usages: ["client"], validityDays: 1 })).certificatePem).serialNumber),
    );
    expect(new Set(serials).size).toBe(serials.length);
    for (const serial of serials) {
      const value = BigInt(`0x${serial}`);
      expect(value > 0n && value < 1n << 128n, serial).toBe(true);
    }
    // 20 draws of 128 bits: some serial uses the top byte, so they are not short counters.
    expect(serials.some((serial) => BigInt(`0x${serial}`) >= 1n << 120n)).toBe(true);
  });
});
