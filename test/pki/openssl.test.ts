/** Certificates and keys as the openssl binary sees them. */
import { createPublicKey, createSign, createVerify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, generateSigningKeyPair, issueCertificate, type CertificateAuthority, type IssuedCertificate } from "../../lib/pki";
import { openssl, opensslCertificateAuthority, opensslOk, TempFiles } from "./fixtures";

const files = new TempFiles();
afterAll(() => {
  files.remove();
});

describe("openssl and our CA", () => {
  let ca: CertificateAuthority;
  let caPath: string;

  beforeAll(async () => {
    // GIVEN a CA on disk
    ca = await createCertificateAuthority({ commonName: "etcd-ca", validityDays: 3650 });
    caPath = files.write("ca.pem", ca.certificatePem);
  });

  it("THEN openssl reads it as a critical CA:TRUE with certificate and CRL signing", () => {
    const { stdout } = opensslOk(["x509", "-in", caPath, "-noout", "-ext", "basicConstraints,keyUsage,subjectKeyIdentifier"]);
    expect(stdout).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    expect(stdout).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign\n/);
    expect(stdout).toMatch(/X509v3 Subject Key Identifier:\s*\n\s+([0-9A-F]{2}:){19}[0-9A-F]{2}\n/);
  });

  it("THEN openssl verifies it against itself, signed with ecdsa-with-SHA256 by a P-256 key", () => {
    expect(opensslOk(["verify", "-CAfile", caPath, caPath]).stdout).toBe(`${caPath}: OK\n`);
    const { stdout } = opensslOk(["x509", "-in", caPath, "-noout", "-text"]);
    expect(stdout).toContain("Signature Algorithm: ecdsa-with-SHA256");
    expect(stdout).toContain("NIST CURVE: P-256");
  });

  it("THEN openssl accepts its private key, which is the key of the certificate", () => {
    const keyPath = files.write("ca.key", ca.privateKeyPem);
    opensslOk(["pkey", "-in", keyPath, "-noout"]);
    const keyPublic = opensslOk(["pkey", "-in", keyPath, "-pubout"]).stdout;
    expect(keyPublic).toBe(opensslOk(["x509", "-in", caPath, "-noout", "-pubkey"]).stdout);
  });
});

describe("openssl and issued certificates", () => {
  let ca: CertificateAuthority;
  let caPath: string;
  let server: IssuedCertificate;
  let serverPath: string;
  let clientPath: string;

  beforeAll(async () => {
    // GIVEN a CA, an API server certificate and an admin client certificate, on disk
    ca = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 3650 });
    caPath = files.write("kubernetes-ca.pem", ca.certificatePem);
    server = await issueCertificate(ca, {
      commonName: "kube-apiserver",
      dnsNames: ["kubernetes.default.svc", "api.example.com"],
      ipAddresses: ["10.96.0.1", "2001:db8::1"],
      usages: ["server"],
      validityDays: 365,
    });
    serverPath = files.write("apiserver.pem", server.certificatePem);
    const client = await issueCertificate(ca, { commonName: "kubernetes-admin", organizations: ["system:masters"], usages: ["client"], validityDays: 365 });
    clientPath = files.write("admin.pem", client.certificatePem);
  });

  it("THEN openssl verify accepts them against the CA, each for its purpose", () => {
    expect(opensslOk(["verify", "-CAfile", caPath, serverPath]).stdout).toBe(`${serverPath}: OK\n`);
    opensslOk(["verify", "-CAfile", caPath, "-purpose", "sslserver", serverPath]);
    opensslOk(["verify", "-CAfile", caPath, "-purpose", "sslclient", clientPath]);
  });

  it("THEN openssl verify refuses them for the other purpose", () => {
    const serverAsClient = openssl(["verify", "-CAfile", caPath, "-purpose", "sslclient", serverPath]);
    expect(serverAsClient.status).not.toBe(0);
    expect(serverAsClient.stderr + serverAsClient.stdout).toContain("unsuitable certificate purpose");
    const clientAsServer = openssl(["verify", "-CAfile", caPath, "-purpose", "sslserver", clientPath]);
    expect(clientAsServer.status).not.toBe(0);
    expect(clientAsServer.stderr + clientAsServer.stdout).toContain("unsuitable certificate purpose");
  });

  it("THEN openssl verify refuses them against another CA", async () => {
    const other = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 3650 });
    const result = openssl(["verify", "-CAfile", files.write("other-ca.pem", other.certificatePem), serverPath]);
    expect(result.status).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/certificate signature failure|unable to get local issuer certificate/);
  });

  it("THEN openssl shows the SANs and extended key usages", () => {
    const { stdout } = opensslOk(["x509", "-in", serverPath, "-noout", "-ext", "subjectAltName,extendedKeyUsage"]);
    expect(stdout).toContain("X509v3 Subject Alternative Name: \n    DNS:kubernetes.default.svc, DNS:api.example.com, IP Address:10.96.0.1, IP Address:2001:DB8:0:0:0:0:0:1\n");
    expect(stdout).toContain("X509v3 Extended Key Usage: \n    TLS Web Server Authentication\n");
    expect(opensslOk(["x509", "-in", clientPath, "-noout", "-ext", "extendedKeyUsage"]).stdout).toContain("TLS Web Client Authentication");
  });

  it("THEN a client certificate without names has no SAN extension", () => {
    const { stdout, stderr } = opensslOk(["x509", "-in", clientPath, "-noout", "-ext", "subjectAltName"]);
    expect(stdout + stderr).toContain("No extensions in certificate");
  });

  it("THEN openssl shows CA:FALSE, digitalSignature and keyEncipherment, and key identifiers that chain to the CA", () => {
    const { stdout } = opensslOk(["x509", "-in", serverPath, "-noout", "-ext", "basicConstraints,keyUsage,authorityKeyIdentifier,subjectKeyIdentifier"]);
    expect(stdout).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    expect(stdout).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    const caKeyId = /Subject Key Identifier:\s*\n\s+(\S+)/.exec(opensslOk(["x509", "-in", caPath, "-noout", "-ext", "subjectKeyIdentifier"]).stdout)?.[1];
    const authorityKeyId = /Authority Key Identifier:\s*\n\s+(?:keyid:)?(\S+)/.exec(stdout)?.[1];
    const ownKeyId = /Subject Key Identifier:\s*\n\s+(\S+)/.exec(stdout)?.[1];
    expect(caKeyId).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(authorityKeyId).toBe(caKeyId);
    expect(ownKeyId).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(ownKeyId).not.toBe(caKeyId);
  });

  it("THEN openssl shows the subject with O before CN", () => {
    expect(opensslOk(["x509", "-in", clientPath, "-noout", "-subject"]).stdout).toBe("subject=O = system:masters, CN = kubernetes-admin\n");
  });

  it("THEN openssl accepts the private key, and its public half is the certificate's", () => {
    const keyPath = files.write("apiserver.key", server.privateKeyPem);
    opensslOk(["pkey", "-in", keyPath, "-noout"]);
    expect(opensslOk(["pkey", "-in", keyPath, "-pubout"]).stdout).toBe(opensslOk(["x509", "-in", serverPath, "-noout", "-pubkey"]).stdout);
    expect(opensslOk(["pkey", "-in", keyPath, "-pubout"]).stdout).not.toBe(opensslOk(["x509", "-in", caPath, "-noout", "-pubkey"]).stdout);
  });

  it("THEN openssl shows a positive serial number of at most 128 bits", () => {
    const serial = /^serial=([0-9A-F]+)\n$/.exec(opensslOk(["x509", "-in", serverPath, "-noout", "-serial"]).stdout)?.[1];
    expect(serial).toBeDefined();
    const value = BigInt(`0x${serial!}`);
    expect(value > 0n && value < 1n << 128n).toBe(true);
  });
});

describe("openssl and a CA that openssl made", () => {
  it("GIVEN an openssl-made P-256 CA WHEN we issue from it THEN openssl verifies the certificate", async () => {
    const ca = opensslCertificateAuthority(files, "openssl-ec-ca", "ec");
    const issued = await issueCertificate(ca, { commonName: "node-1", dnsNames: ["node-1"], usages: ["server"], validityDays: 10 });
    const certificatePath = files.write("from-openssl-ca.pem", issued.certificatePem);
    opensslOk(["verify", "-CAfile", files.path("openssl-ec-ca.pem"), "-purpose", "sslserver", certificatePath]);
  });
});

describe("generateSigningKeyPair", () => {
  it("GIVEN a service-account key pair THEN openssl reads both halves as one P-256 key", async () => {
    const keys = await generateSigningKeyPair();
    expect(keys.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    expect(keys.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    const privatePath = files.write("sa.key", keys.privateKeyPem);
    const publicPath = files.write("sa.pub", keys.publicKeyPem);
    expect(opensslOk(["pkey", "-in", privatePath, "-pubout"]).stdout).toBe(keys.publicKeyPem);
    expect(opensslOk(["pkey", "-pubin", "-in", publicPath, "-noout", "-text"]).stdout).toContain("NIST CURVE: P-256");
  });

  it("GIVEN a service-account key pair WHEN openssl signs THEN the public key verifies, and the other way round", async () => {
    const keys = await generateSigningKeyPair();
    const payload = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpkZWZhdWx0In0";
    const payloadPath = files.write("payload.txt", payload);
    const privatePath = files.write("sa-sign.key", keys.privateKeyPem);
    const publicPath = files.write("sa-sign.pub", keys.publicKeyPem);

    const opensslSignature = opensslOk(["dgst", "-sha256", "-sign", privatePath, payloadPath]).stdoutBytes;
    expect(createVerify("sha256").update(payload).verify(createPublicKey(keys.publicKeyPem), opensslSignature)).toBe(true);

    const signaturePath = files.write("payload.sig", createSign("sha256").update(payload).sign(keys.privateKeyPem));
    expect(opensslOk(["dgst", "-sha256", "-verify", publicPath, "-signature", signaturePath, payloadPath]).stdout).toBe("Verified OK\n");
  });

  it("WHEN two pairs are made THEN they differ", async () => {
    const [first, second] = await Promise.all([generateSigningKeyPair(), generateSigningKeyPair()]);
    expect(first.privateKeyPem).not.toBe(second.privateKeyPem);
    expect(first.publicKeyPem).not.toBe(second.publicKeyPem);
  });
});
