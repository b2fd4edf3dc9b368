/**
 * The cluster page's "Applied specs" on an s3 backend with a versioned bucket: the real AWS SDK
 * against the S3 test double (test/support/fake-s3.ts), which keeps a version per write as S3
 * does. Two applies are in the bucket; the page lists both, newest first, with what changed.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadClusterFiles, type Cluster } from "../../lib/spec";
import { createUiApp } from "../../lib/ui/server";
import { appliedStateDocument } from "../support/applied-state";
import { startFakeS3, type FakeS3 } from "../support/fake-s3";
import { EXAMPLES } from "../util";

const BUCKET = "acme-state";
const STATE_KEY = "kraken/prod-usw2/terraform.tfstate";
const HOST = { host: "127.0.0.1:8080" };
/** A resource attribute Terraform keeps in the state, marked sensitive: it must never reach a page. */
const SECRET = "-----BEGIN RSA PRIVATE KEY-----MIIEpAIBAAKCAQEA-never-in-a-page";

let fake: FakeS3;
let sdk: S3Client;
let directory: string;

/** The state terraform writes: the applied spec's outputs, and a resource with a private key. */
function stateWithSecret(cluster: Cluster, serial: number): string {
  const state = JSON.parse(appliedStateDocument(cluster, serial)) as Record<string, unknown>;
  state.resources = [
    {
      mode: "managed",
      type: "tls_private_key",
      name: "etcd_ca",
      provider: 'provider["registry.terraform.io/hashicorp/tls"]',
      instances: [{ schema_version: 1, attributes: { id: "ca", private_key_pem: SECRET }, sensitive_attributes: [[{ type: "get_attr", value: "private_key_pem" }]] }],
    },
  ];
  (state.outputs as Record<string, unknown>).etcd_ca_key = { value: SECRET, type: "string", sensitive: true };
  return JSON.stringify(state);
}

beforeAll(async () => {
  let clock = Date.parse("2026-11-20T10:00:00Z");
  fake = await startFakeS3({ now: () => new Date((clock += 3_600_000)) });
  fake.buckets.set(BUCKET, new Map());
  fake.versioning.set(BUCKET, []);
  for (const [name, value] of Object.entries(fake.awsEnv())) vi.stubEnv(name, value);
  sdk = new S3Client({ region: "us-west-2" });

  // GIVEN aws-ha keeping its state in the versioned bucket, applied twice: maxSize 10, then 12
  directory = mkdtempSync(join(tmpdir(), "k2-ui-history-"));
  mkdirSync(join(directory, "aws-ha"));
  const file = join(directory, "aws-ha/cluster.yaml");
  copyFileSync(EXAMPLES.awsHa, file);
  writeFileSync(file, readFileSync(file, "utf8").replace("    backend: local\n", `    backend: s3\n    s3: { bucket: ${BUCKET} }\n`));
  const first = loadClusterFiles([file])[0]!;
  writeFileSync(join(directory, "raised.yaml"), readFileSync(file, "utf8").replace("maxSize: 10", "maxSize: 12"));
  const second = loadClusterFiles([join(directory, "raised.yaml")])[0]!;
  rmSync(join(directory, "raised.yaml"));
  for (const [cluster, serial] of [[first, 3], [second, 4]] as const) {
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: STATE_KEY, Body: stateWithSecret(cluster, serial) }));
  }
});

afterAll(async () => {
  sdk.destroy();
  vi.unstubAllEnvs();
  await fake.close();
});

/** The history table's rows: version id, serial, time shown, and the changes cell's text. */
function historyRows(page: string): { version: string; serial: string; time: string; changes: string }[] {
  const table = /<table id="history-table">([\s\S]*?)<\/table>/.exec(page)?.[1] ?? "";
  return [...table.matchAll(/<tr data-version="([^"]+)" data-serial="([^"]+)">([\s\S]*?)<\/tr>/g)].map(([, version, serial, cells]) => ({
    version: version!,
    serial: serial!,
    time: /<time datetime="[^"]+">([^<]+)<\/time>/.exec(cells!)?.[1] ?? "",
    changes: (/<td class="history-changes">([\s\S]*)<\/td>/.exec(cells!)?.[1] ?? "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim(),
  }));
}

describe("Applied specs on a versioned s3 backend", () => {
  it("GIVEN two applies in the bucket WHEN the cluster page opens THEN both are listed newest first, with serial, time and what changed", async () => {
    const { app } = createUiApp({ root: directory, host: "127.0.0.1", port: 8080 });
    const versions = fake.versioning.get(BUCKET)!;

    const page = await (await app.request("/clusters/prod-usw2", { headers: HOST })).text();

    const rows = historyRows(page);
    expect(rows.map((row) => row.version)).toEqual([versions[1]!.versionId, versions[0]!.versionId]);
    expect(rows.map((row) => row.serial)).toEqual(["4", "3"]);
    expect(rows.map((row) => row.time)).toEqual(["2026-11-20 12:00:00 UTC", "2026-11-20 11:00:00 UTC"]);
    expect(rows[0]!.changes).toBe("in-place spec.nodePools[0].maxSize 10 → 12");
    expect(rows[1]!.changes).toBe("the oldest version listed");
    expect(page).toMatch(/<tr data-version="[^"]+" data-serial="4"><td><time[^>]*>[^<]*<\/time> <span class="badge ok">current<\/span>/);
    // AND the working spec (maxSize 10) is planned against the latest applied one (12)
    expect(page).toContain("against the applied spec (s3://acme-state/kraken/prod-usw2/terraform.tfstate (us-west-2), serial 4)");
    // AND it read the versions through ListObjectVersions and GetObject by version id
    expect(fake.calls.filter((call) => call.operation === "GetObject" && call.versionId !== undefined).map((call) => call.versionId).sort()).toEqual(versions.map((version) => version.versionId).sort());
  });

  it("GIVEN the state holds a private key THEN no page, fragment or API answer carries it", async () => {
    const { app } = createUiApp({ root: directory, host: "127.0.0.1", port: 8080 });
    const answers = await Promise.all(["/", "/clusters/prod-usw2", "/api/fleet", "/api/clusters/prod-usw2/fragments"].map(async (path) => (await app.request(path, { headers: HOST })).text()));
    expect(answers[3]).toContain("history-table");
    for (const answer of answers) {
      expect(answer).not.toContain("PRIVATE KEY");
      expect(answer).not.toContain("never-in-a-page");
    }
  });
});
