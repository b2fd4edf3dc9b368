/** kubeadm bootstrap tokens. */
import { describe, expect, it } from "vitest";
import { generateBootstrapToken } from "../../lib/pki";

// The format kubeadm validates (k8s.io/cluster-bootstrap/token/api: BootstrapTokenPattern), written out here on purpose.
const KUBEADM_TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

describe("generateBootstrapToken", () => {
  const tokens = Array.from({ length: 5_000 }, generateBootstrapToken);

  it("THEN every token has kubeadm's format", () => {
    for (const token of tokens) expect(token).toMatch(KUBEADM_TOKEN);
  });

  it("THEN tokens do not repeat", () => {
    expect(new Set(tokens).size).toBe(tokens.length);
    // Ids alone (36^6) collide by chance among 5,000 about once in 175 runs; secrets (36^16) never should.
    expect(new Set(tokens.map((token) => token.slice(7))).size).toBe(tokens.length);
  });

  it("THEN they use every lowercase letter and digit, spread evenly", () => {
    const counts = new Map<string, number>();
    for (const character of tokens.join("").replace(/\./g, "")) counts.set(character, (counts.get(character) ?? 0) + 1);
    expect([...counts.keys()].sort().join("")).toBe("0123456789abcdefghijklmnopqrstuvwxyz");
    // 110,000 characters over 36 symbols: about 3,056 each; a biased generator (e.g. modulo of a byte) strays further.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(2_750);
      expect(count).toBeLessThan(3_360);
    }
  });
});
