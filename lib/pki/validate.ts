/** Checks on CA and certificate options; each returns every problem it finds, naming the field and the value. */
import { describeValue } from "./errors";
import { isIpAddress } from "./ip";
import type { CaOptions, CertificateOptions, CertificateUsage } from "./types";

/** 100 years: far beyond any sane certificate, and well inside X.509's year-9999 limit. */
export const MAX_VALIDITY_DAYS = 36_500;

const USAGES: readonly CertificateUsage[] = ["server", "client"];
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function checkValidityDays(value: unknown, problems: string[]): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    problems.push(`validityDays must be a positive integer, got ${describeValue(value)}`);
  } else if (value > MAX_VALIDITY_DAYS) {
    problems.push(`validityDays must be at most ${MAX_VALIDITY_DAYS} (100 years), got ${value}`);
  }
}

function checkText(field: string, value: unknown, problems: string[]): void {
  if (typeof value !== "string" || value.trim() === "") {
    problems.push(`${field} must be a non-empty string, got ${describeValue(value)}`);
  } else if (CONTROL_CHARACTERS.test(value)) {
    problems.push(`${field} must not contain control characters, got ${describeValue(value)}`);
  }
}

/** `value` as a list, or a problem when it is not an array (or, for an optional list, undefined). */
function listOf(field: string, value: unknown, problems: string[], optional = true): readonly unknown[] {
  if (value === undefined && optional) return [];
  if (Array.isArray(value)) return value as readonly unknown[];
  problems.push(`${field} must be an array, got ${describeValue(value)}`);
  return [];
}

function isDnsName(text: string): boolean {
  if (text.length > 253) return false;
  const labels = text.split(".");
  const checked = labels[0] === "*" && labels.length > 1 ? labels.slice(1) : labels;
  return checked.every((label) => DNS_LABEL.test(label));
}

function checkDnsName(field: string, value: unknown, problems: string[]): void {
  if (typeof value === "string" && isIpAddress(value)) {
    problems.push(`${field} is an IP address, got ${describeValue(value)}; put it in ipAddresses (clients match IPs only against IP SANs)`);
  } else if (typeof value !== "string" || !isDnsName(value)) {
    problems.push(`${field} must be a DNS name (letters, digits and hyphens in dot-separated labels, optionally starting with "*."), got ${describeValue(value)}`);
  }
}

export function validateCaOptions(options: CaOptions): string[] {
  const problems: string[] = [];
  checkText("commonName", options.commonName, problems);
  if (options.organization !== undefined) checkText("organization", options.organization, problems);
  checkValidityDays(options.validityDays, problems);
  return problems;
}

export function validateCertificateOptions(options: CertificateOptions): string[] {
  const problems: string[] = [];
  checkText("commonName", options.commonName, problems);
  listOf("organizations", options.organizations, problems).forEach((value, index) => {
    checkText(`organizations[${index}]`, value, problems);
  });
  const dnsNames = listOf("dnsNames", options.dnsNames, problems);
  dnsNames.forEach((value, index) => {
    checkDnsName(`dnsNames[${index}]`, value, problems);
  });
  const ipAddresses = listOf("ipAddresses", options.ipAddresses, problems);
  ipAddresses.forEach((value, index) => {
    if (typeof value !== "string" || !isIpAddress(value)) problems.push(`ipAddresses[${index}] must be an IPv4 or IPv6 address, got ${describeValue(value)}`);
  });
  const usages = listOf("usages", options.usages, problems, false);
  if (Array.isArray(options.usages) && usages.length === 0) problems.push(`usages must name at least one of ${USAGES.map((usage) => `"${usage}"`).join(", ")}, got []`);
  usages.forEach((value, index) => {
    if (!USAGES.includes(value as CertificateUsage)) problems.push(`usages[${index}] must be one of ${USAGES.map((usage) => `"${usage}"`).join(", ")}, got ${describeValue(value)}`);
  });
  if (usages.includes("server") && dnsNames.length === 0 && ipAddresses.length === 0) {
    // Go (since 1.15) and browsers ignore the common name; a server certificate without SANs matches no host.
    problems.push("dnsNames or ipAddresses must hold at least one entry for a server certificate (TLS clients check SANs, not the common name)");
  }
  checkValidityDays(options.validityDays, problems);
  return problems;
}
