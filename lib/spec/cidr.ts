/** IPv4 CIDR arithmetic for spec validation (and, later, subnet carving). */
import ipaddr from "ipaddr.js";

export interface Ipv4Network {
  readonly cidr: string;
  readonly prefix: number;
  /** First and last address as unsigned 32-bit numbers. */
  readonly first: number;
  readonly last: number;
}

export type CidrParse = { readonly network: Ipv4Network } | { readonly problem: string };

function toNumber(address: ipaddr.IPv4): number {
  return address.octets.reduce((sum, octet) => sum * 256 + octet, 0);
}

function fromNumber(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** Parses "10.0.0.0/16"; refuses invalid addresses, prefixes over 32 and host bits set. */
export function parseIpv4Cidr(text: string): CidrParse {
  const slash = text.indexOf("/");
  if (slash < 0) return { problem: `must be an IPv4 CIDR such as 10.0.0.0/16, got ${JSON.stringify(text)}` };
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!ipaddr.IPv4.isValidFourPartDecimal(address)) {
    return { problem: `has an invalid IPv4 address "${address}" (four numbers from 0 to 255)` };
  }
  const prefix = Number(prefixText);
  if (!/^[0-9]{1,2}$/.test(prefixText) || prefix > 32) {
    return { problem: `has an invalid prefix length "/${prefixText}" (0 to 32)` };
  }
  const size = 2 ** (32 - prefix);
  const value = toNumber(ipaddr.IPv4.parse(address));
  const first = value - (value % size);
  if (first !== value) {
    return { problem: `has host bits set: ${text} is inside the network ${fromNumber(first)}/${prefix}; write that instead` };
  }
  return { network: { cidr: text, prefix, first, last: first + size - 1 } };
}

export function networksOverlap(a: Ipv4Network, b: Ipv4Network): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function isIpv4Address(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

export function formatIpv4(value: number): string {
  return fromNumber(value);
}

/** The `index`-th subnet of prefix length `prefix` inside `network`. */
export function subnetOf(network: Ipv4Network, prefix: number, index: number): Ipv4Network {
  const size = 2 ** (32 - prefix);
  if (prefix < network.prefix || prefix > 32) throw new Error(`cannot carve /${prefix} subnets from ${network.cidr}`);
  const first = network.first + index * size;
  if (first + size - 1 > network.last) throw new Error(`${network.cidr} has no /${prefix} subnet number ${index}`);
  return { cidr: `${fromNumber(first)}/${prefix}`, prefix, first, last: first + size - 1 };
}

/** Parses a CIDR that validation already accepted; throws otherwise. */
export function mustParseIpv4Cidr(text: string): Ipv4Network {
  const result = parseIpv4Cidr(text);
  if ("problem" in result) throw new Error(`${text} ${result.problem}`);
  return result.network;
}
