import { describe, expect, it } from "vitest";
import { checkDns1123Label, checkLabelValue, checkQualifiedName, kubeletLabelRestriction } from "../../lib/spec/kube-names";
import { instanceArchitecture } from "../../lib/spec";
import { networksOverlap, parseIpv4Cidr } from "../../lib/spec/cidr";

describe("Kubernetes names", () => {
  it.each(["a", "prod-usw2", "x".repeat(63), "0abc"])("accepts the DNS-1123 label %s", (name) => {
    expect(checkDns1123Label(name)).toBeUndefined();
  });
  it.each(["", "-a", "a-", "A", "a_b", "a.b", "x".repeat(64)])("refuses the DNS-1123 label %j", (name) => {
    expect(checkDns1123Label(name)).toBeDefined();
  });
  it.each(["app", "example.com/app", "app.kubernetes.io/name", "A_b.c-D", `${"a".repeat(253)}/n`])("accepts the label key %s", (key) => {
    expect(checkQualifiedName(key)).toBeUndefined();
  });
  it.each(["", "/a", "a/", "a/b/c", "Example.com/a", "-a", "a".repeat(64), `${"a".repeat(254)}/n`])("refuses the label key %j", (key) => {
    expect(checkQualifiedName(key)).toBeDefined();
  });
  it.each(["", "v1", "a.b_c-d", "x".repeat(63)])("accepts the label value %j", (value) => {
    expect(checkLabelValue(value)).toBeUndefined();
  });
  it.each(["-a", "a b", "x".repeat(64), "a/b"])("refuses the label value %j", (value) => {
    expect(checkLabelValue(value)).toBeDefined();
  });
  it.each(["team", "example.com/x", "node.kubernetes.io/lifecycle", "kubelet.kubernetes.io/x", "sub.node.kubernetes.io/x"])("lets the kubelet set %s", (key) => {
    expect(kubeletLabelRestriction(key)).toBeUndefined();
  });
  it.each(["node-role.kubernetes.io/worker", "kubernetes.io/role", "k8s.io/x", "foo.k8s.io/x", "kubernetes.io/hostname"])("keeps the kubelet from setting %s", (key) => {
    expect(kubeletLabelRestriction(key)).toBeDefined();
  });
});

describe("IPv4 CIDRs", () => {
  it("parses networks into address ranges", () => {
    expect(parseIpv4Cidr("10.0.0.0/16")).toEqual({ network: { cidr: "10.0.0.0/16", prefix: 16, first: 167772160, last: 167837695 } });
    expect(parseIpv4Cidr("0.0.0.0/0")).toMatchObject({ network: { first: 0, last: 2 ** 32 - 1 } });
    expect(parseIpv4Cidr("192.168.1.7/32")).toMatchObject({ network: { prefix: 32 } });
  });
  it.each([
    ["10.0.0.0", /IPv4 CIDR/],
    ["10.0.0/16", /invalid IPv4 address/],
    ["10.0.0.256/24", /invalid IPv4 address/],
    ["010.0.0.0/8", /invalid IPv4 address/],
    ["10.0.0.0/33", /prefix length/],
    ["10.0.0.0/x", /prefix length/],
    ["10.1.0.0/8", /host bits set: 10\.1\.0\.0\/8 is inside the network 10\.0\.0\.0\/8/],
  ])("refuses %s", (text, message) => {
    const result = parseIpv4Cidr(text);
    expect("problem" in result && result.problem).toMatch(message);
  });
  it("finds overlaps, including containment, and not mere adjacency", () => {
    const net = (text: string) => {
      const result = parseIpv4Cidr(text);
      if (!("network" in result)) throw new Error(result.problem);
      return result.network;
    };
    expect(networksOverlap(net("10.0.0.0/16"), net("10.0.128.0/20"))).toBe(true);
    expect(networksOverlap(net("10.0.0.0/16"), net("10.1.0.0/16"))).toBe(false);
    expect(networksOverlap(net("0.0.0.0/0"), net("192.168.0.0/24"))).toBe(true);
  });
});

describe("instance architectures", () => {
  it.each([
    ["m6i.large", "x86_64"],
    ["g5.xlarge", "x86_64"],
    ["g4dn.xlarge", "x86_64"],
    ["p5.48xlarge", "x86_64"],
    ["u-6tb1.metal", "x86_64"],
    ["m7g.large", "arm64"],
    ["c7gn.large", "arm64"],
    ["r8gd.xlarge", "arm64"],
    ["t4g.small", "arm64"],
    ["im4gn.large", "arm64"],
    ["g5g.xlarge", "arm64"],
    ["a1.medium", "arm64"],
  ])("%s is %s", (type, architecture) => {
    expect(instanceArchitecture(type)).toBe(architecture);
  });
});
