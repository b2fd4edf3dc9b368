/** `k2 certs check` when things are wrong: what cannot be checked is a problem, never a stack trace. */
import { describe, expect, it } from "vitest";
import { freePort } from "../support/etcd";
import { runK2Async } from "../util";

describe("k2 certs check", () => {
  it("reports an endpoint it cannot reach, and exits 1", async () => {
    const port = await freePort();
    const result = await runK2Async(["certs", "check", "--etcd", `https://127.0.0.1:${port}`, "--format", "json"]);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as { certificates: { endpoint: string; ok: boolean; problem: string }[] };
    expect(report.certificates).toEqual([{ endpoint: `https://127.0.0.1:${port}`, ok: false, problem: "cannot connect: ECONNREFUSED" }]);
  });

  it("refuses an endpoint that is not https", async () => {
    const result = await runK2Async(["certs", "check", "--etcd", "http://127.0.0.1:2379"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("only https endpoints have certificates");
  });

  it.each([
    [["--etcd", "https://127.0.0.1:1", "--threshold-days", "soon"], "k2: --threshold-days must be a whole number of days, got \"soon\"\n"],
    [["--etcd", "https://127.0.0.1:1", "--cert", "c.pem"], "k2: --cert and --key go together\n"],
    [["--etcd", "https://127.0.0.1:1", "--ca", "/nonexistent/ca.pem"], "k2: cannot read the CA certificate /nonexistent/ca.pem: ENOENT\n"],
  ])("exits 2 on usage errors: %j", async (args, message) => {
    const result = await runK2Async(["certs", "check", ...args]);
    expect(result).toMatchObject({ status: 2, stderr: message });
  });
});
