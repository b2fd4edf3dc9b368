/** IP literals for subject alternative names. */
import ipaddr from "ipaddr.js";

export function isIpAddress(text: string): boolean {
  // Zone indexes ("fe80::1%eth0") only mean something on one host and cannot be encoded in a certificate.
  return ipaddr.IPv4.isValidFourPartDecimal(text) || (ipaddr.IPv6.isValid(text) && !text.includes("%"));
}

/**
 * The form @peculiar/x509 encodes correctly: dotted IPv4, or all eight IPv6 groups.
 * Its own parser misreads IPv6 with an embedded IPv4 tail ("::ffff:10.0.0.1"), so expand first.
 */
export function toSanIpValue(text: string): string {
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text).toString() : ipaddr.IPv6.parse(text).toNormalizedString();
}

/** An IP SAN as people write it: dotted IPv4, RFC 5952 IPv6 ("::ffff:10.0.0.1" for IPv4-mapped). */
export function formatIpAddress(text: string): string {
  if (!ipaddr.isValid(text)) return text;
  const address = ipaddr.parse(text);
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()) return `::ffff:${address.toIPv4Address().toString()}`;
  return address.toString();
}
