/** Bad inputs: every error names the field and the value, and all of them come at once. */
import { beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, issueCertificate, PkiInputError, type CaOptions, type CertificateAuthority, type CertificateOptions } from "../../lib/pki";
import { loadCertificateAuthority } from "../../lib/pki/authority";
import { opensslCertificateAuthority, TempFiles } from "./fixtures";

const VALID: CertificateOptions = { commonName: "kube-apiserver", dnsNames: ["kubernetes"], ipAddresses: ["10.96.0.1"], usages: ["server"], validityDays: 365 };

/** Options as a caller without types (YAML, JSON) might pass them. */
function loose(changes: Record<string, unknown>): CertificateOptions {
  // Spreading a Record keeps VALID's static types; the values are still whatever `changes` holds at run time.
  return { ...VALID, ...changes };
}

async function problemsOf(action: Promise<unknown>): Promise<readonly string[]> {
  const error: unknown = await action.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(PkiInputError);
  return (error as PkiInputError).problems;
}

describe("issueCertificate input validation", () => {
  let ca: CertificateAuthority;

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 30 });
  });

  const cases: readonly { readonly name: string; readonly options: CertificateOptions; readonly problem: string }[] = [
    { name: "zero validity", options: loose({ validityDays: 0 }), problem: "validityDays must be a positive integer, got 0" },
    { name: "fractional validity", options: loose({ validityDays: 1.5 }), problem: "validityDays must be a positive integer, got 1.5" },
    { name: "validity as text", options: loose({ validityDays: "365" }), problem: 'validityDays must be a positive integer, got "365"' },
    { name: "validity past a century", options: loose({ validityDays: 40_000 }), problem: "validityDays must be at most 36500 (100 years), got 40000" },
    { name: "empty common name", options: loose({ commonName: " " }), problem: 'commonName must be a non-empty string, got " "' },
    { name: "newline in common name", options: loose({ commonName: "a\nb" }), problem: 'commonName must not contain control characters, got "a\\nb"' },
    { name: "empty organization", options: loose({ organizations: ["system:masters", ""] }), problem: 'organizations[1] must be a non-empty string, got ""' },
    { name: "short IPv4", options: loose({ ipAddresses: ["10.96.0.1", "10.0.0"] }), problem: 'ipAddresses[1] must be an IPv4 or IPv6 address, got "10.0.0"' },
    { name: "IPv4 with leading zeros", options: loose({ ipAddresses: ["010.0.0.1"] }), problem: 'ipAddresses[0] must be an IPv4 or IPv6 address, got "010.0.0.1"' },
    { name: "IPv6 zone index", options: loose({ ipAddresses: ["fe80::1%eth0"] }), problem: 'ipAddresses[0] must be an IPv4 or IPv6 address, got "fe80::1%eth0"' },
    { name: "CIDR instead of an address", options: loose({ ipAddresses: ["10.0.0.0/8"] }), problem: 'ipAddresses[0] must be an IPv4 or IPv6 address, got "10.0.0.0/8"' },
    { name: "IP as a DNS name", options: loose({ dnsNames: ["10.0.0.1"] }), problem: 'dnsNames[0] is an IP address, got "10.0.0.1"; put it in ipAddresses (clients match IPs only against IP SANs)' },
    { name: "underscore in a DNS name", options: loose({ dnsNames: ["kubernetes", "etcd_1"] }), problem: 'dnsNames[1] must be a DNS name (letters, digits and hyphens in dot-separated labels, optionally starting with "*."), got "etcd_1"' },
    { name: "wildcard inside a DNS name", options: loose({ dnsNames: ["a.*.example.com"] }), problem: 'dnsNames[0] must be a DNS name (letters, digits and hyphens in dot-separated labels, optionally starting with "*."), got "a.*.example.com"' },
    { name: "DNS names as a string", options: loose({ dnsNames: "kubernetes" }), problem: 'dnsNames must be an array, got "kubernetes"' },
    { name: "no usages", options: loose({ usages: [] }), problem: 'usages must name at least one of "server", "client", got []' },
    { name: "missing usages", options: loose({ usages: undefined }), problem: "usages must be an array, got undefined" },
    { name: "unknown usage", options: loose({ usages: ["server", "peer"] }), problem: 'usages[1] must be one of "server", "client", got "peer"' },
    { name: "server without names", options: loose({ dnsNames: [], ipAddresses: [] }), problem: "dnsNames or ipAddresses must hold at least one entry for a server certificate (TLS clients check SANs, not the common name)" },
  ];

  it.each(cases)("GIVEN $name THEN it is refused, naming the field and value", async ({ options, problem }) => {
    expect(await problemsOf(issueCertificate(ca, options))).toEqual([problem]);
  });

  it("GIVEN several bad fields THEN every problem is reported in one error", async () => {
    const attempt = issueCertificate(ca, loose({ commonName: "", ipAddresses: ["1.2.3.4", "10.0.0"], validityDays: -1 }));
    await expect(attempt).rejects.toThrow(/^3 problems:\n- commonName must be a non-empty string, got ""\n- ipAddresses\[1\] must be an IPv4 or IPv6 address, got "10\.0\.0"\n- validityDays must be a positive integer, got -1$/);
  });

  it("GIVEN valid edge cases THEN they are accepted", async () => {
    await expect(issueCertificate(ca, { commonName: "system:node:worker-1", dnsNames: ["*.example.com", "localhost", "a-b.c"], ipAddresses: ["::1", "0.0.0.0", "::ffff:1.2.3.4"], usages: ["server"], validityDays: 36_500 })).resolves.toBeDefined();
  });
});

describe("createCertificateAuthority input validation", () => {
  it.each<{ readonly options: Record<string, unknown>; readonly problems: readonly string[] }>([
    { options: { commonName: "kubernetes", validityDays: 0 }, problems: ["validityDays must be a positive integer, got 0"] },
    { options: { commonName: "", organization: "", validityDays: 1 }, problems: ['commonName must be a non-empty string, got ""', 'organization must be a non-empty string, got ""'] },
  ])("GIVEN $options THEN it is refused", async ({ options, problems }) => {
    expect(await problemsOf(createCertificateAuthority(options as unknown as CaOptions))).toEqual(problems);
  });
});

describe("issueCertificate with a bad CA", () => {
  it("GIVEN a CA whose key belongs to another CA THEN it is refused", async () => {
    const [first, second] = await Promise.all([1, 2].map(() => createCertificateAuthority({ commonName: "kubernetes", validityDays: 30 })));
    const mismatched = { certificatePem: first!.certificatePem, privateKeyPem: second!.privateKeyPem };
    await expect(issueCertificate(mismatched, VALID)).rejects.toThrow('ca.privateKeyPem does not match the public key of ca.certificatePem (subject "CN=kubernetes")');
  });

  it("GIVEN a leaf certificate used as a CA THEN it is refused", async () => {
    const ca = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 30 });
    const leaf = await issueCertificate(ca, VALID);
    await expect(issueCertificate(leaf, VALID)).rejects.toThrow('ca.certificatePem is not a CA certificate (no BasicConstraints CA:TRUE), subject "CN=kube-apiserver"');
  });

  it("GIVEN an RSA CA made by openssl THEN it is refused, naming the key type", async () => {
    const files = new TempFiles();
    try {
      const rsaCa = opensslCertificateAuthority(files, "rsa-ca", "rsa");
      await expect(issueCertificate(rsaCa, VALID)).rejects.toThrow('ca.privateKeyPem must be an ECDSA P-256 key, got key type "rsa"');
    } finally {
      files.remove();
    }
  });

  it("GIVEN PEM of the wrong kind THEN the error names the field", async () => {
    const ca = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 30 });
    await expect(issueCertificate({ certificatePem: ca.privateKeyPem, privateKeyPem: ca.privateKeyPem }, VALID)).rejects.toThrow('ca.certificatePem must hold exactly one "CERTIFICATE" PEM block, got "PRIVATE KEY"');
    await expect(issueCertificate({ certificatePem: ca.certificatePem, privateKeyPem: ca.certificatePem }, VALID)).rejects.toThrow('ca.privateKeyPem must hold exactly one "PRIVATE KEY" PEM block, got "CERTIFICATE"');
    await expect(issueCertificate({ certificatePem: ca.certificatePem, privateKeyPem: "" }, VALID)).rejects.toThrow('ca.privateKeyPem must be PEM text ("-----BEGIN PRIVATE KEY-----"), got 0 characters without a PEM block');
  });

  it("GIVEN a CA past its expiry THEN loading it to sign is refused", async () => {
    const ca = await createCertificateAuthority({ commonName: "kubernetes", validityDays: 1 });
    const later = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000);
    await expect(loadCertificateAuthority(ca, later)).rejects.toThrow(/^ca\.certificatePem expired at \S+Z, subject "CN=kubernetes"$/);
  });
});
