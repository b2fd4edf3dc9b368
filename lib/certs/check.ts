/**
 * Checking the certificates that TLS endpoints present (etcd members, API servers): who they
 * are for, and how long until they expire. Connects for real; needs nothing but the endpoint.
 */
import { readFileSync } from "node:fs";
import { connect, type PeerCertificate } from "node:tls";
import { certificateInfo, daysUntilExpiry } from "../pki";

export interface CheckCredentials {
  /** PEM of the CA that should have signed the endpoint's certificate; without it the chain is not verified. */
  readonly ca?: string;
  /** A client certificate and key, for endpoints that require one (etcd with client-cert-auth). */
  readonly cert?: string;
  readonly key?: string;
}

export interface EndpointReport {
  readonly endpoint: string;
  readonly ok: boolean;
  readonly subject?: string;
  readonly issuer?: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly notAfter?: string;
  readonly daysLeft?: number;
  /** Whether the chain was verified against the given CA (undefined without a CA). */
  readonly verified?: boolean;
  /** Why the endpoint could not be checked, or why its certificate is a problem. */
  readonly problem?: string;
}

export function readCredentials(paths: { readonly ca?: string; readonly cert?: string; readonly key?: string }): CheckCredentials {
  const read = (path: string | undefined, what: string): string | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      throw new Error(`cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
  };
  return { ca: read(paths.ca, "CA certificate"), cert: read(paths.cert, "client certificate"), key: read(paths.key, "client key") };
}

function parseEndpoint(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint.includes("://") ? endpoint : `https://${endpoint}`);
  if (url.protocol !== "https:") throw new Error(`${endpoint}: only https endpoints have certificates`);
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 443) };
}

function pemOf(certificate: PeerCertificate): string {
  const base64 = certificate.raw.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN CERTIFICATE-----\n${base64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

/** Connects to one endpoint and reports its certificate. Never throws: problems are in the report. */
export function checkEndpoint(endpoint: string, credentials: CheckCredentials, thresholdDays: number, timeoutMs = 10_000): Promise<EndpointReport> {
  let target: { host: string; port: number };
  try {
    target = parseEndpoint(endpoint);
  } catch (error) {
    return Promise.resolve({ endpoint, ok: false, problem: (error as Error).message });
  }
  return new Promise((resolve) => {
    const socket = connect({
      host: target.host,
      port: target.port,
      servername: /^[0-9.]+$|:/.test(target.host) ? undefined : target.host,
      ca: credentials.ca,
      cert: credentials.cert,
      key: credentials.key,
      // Verification is reported, not required: an expired or mis-issued certificate is what we look for.
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    const finish = (report: EndpointReport): void => {
      socket.destroy();
      resolve(report);
    };
    socket.once("secureConnect", () => {
      const peer = socket.getPeerCertificate();
      if (Object.keys(peer).length === 0) {
        finish({ endpoint, ok: false, problem: "the endpoint presented no certificate" });
        return;
      }
      const pem = pemOf(peer);
      const info = certificateInfo(pem);
      const daysLeft = daysUntilExpiry(pem);
      const verified = credentials.ca === undefined ? undefined : socket.authorized;
      const problems: string[] = [];
      if (daysLeft < thresholdDays) problems.push(daysLeft < 0 ? `expired ${-daysLeft} days ago` : `expires in ${daysLeft} days, under the threshold of ${thresholdDays}`);
      if (verified === false) problems.push(`not signed by the given CA (${String(socket.authorizationError)})`);
      finish({
        endpoint,
        ok: problems.length === 0,
        subject: info.subject,
        issuer: info.issuer,
        dnsNames: info.dnsNames,
        ipAddresses: info.ipAddresses,
        notAfter: info.notAfter.toISOString(),
        daysLeft,
        ...(verified === undefined ? {} : { verified }),
        ...(problems.length > 0 ? { problem: problems.join("; ") } : {}),
      });
    });
    socket.once("timeout", () => {
      finish({ endpoint, ok: false, problem: `no TLS handshake within ${timeoutMs / 1000} s` });
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      finish({ endpoint, ok: false, problem: `cannot connect: ${error.code ?? error.message}` });
    });
  });
}

/** The client certificate given for the check, which expires too. */
export function checkLocalCertificate(label: string, pem: string, thresholdDays: number): EndpointReport {
  const info = certificateInfo(pem);
  const daysLeft = daysUntilExpiry(pem);
  return {
    endpoint: label,
    ok: daysLeft >= thresholdDays,
    subject: info.subject,
    issuer: info.issuer,
    dnsNames: info.dnsNames,
    ipAddresses: info.ipAddresses,
    notAfter: info.notAfter.toISOString(),
    daysLeft,
    ...(daysLeft >= thresholdDays ? {} : { problem: daysLeft < 0 ? `expired ${-daysLeft} days ago` : `expires in ${daysLeft} days, under the threshold of ${thresholdDays}` }),
  };
}
