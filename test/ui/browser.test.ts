/**
 * k2 ui end to end: the built `k2 ui` on loopback, driven by Debian's Chromium through
 * playwright-core. The example clusters are copied to a temporary directory; aws-ha has an
 * applied spec in its (local) state, as if it had been applied. Screenshots of the pages go to
 * test/.output/ui/ for review. Chromium missing is a failure, never a skip (.ci/run installs it).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadClusterFiles } from "../../lib/spec";
import { appliedStateDocument } from "../support/applied-state";
import { REPO_ROOT } from "../util";

const CHROMIUM = process.env.K2_CHROMIUM ?? "/usr/bin/chromium";
const OUTPUT = join(REPO_ROOT, "test/.output/ui");

let directory: string;
let server: ChildProcessWithoutNullStreams | undefined;
let url: string;
let browser: Browser | undefined;

function startUi(dir: string): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, "bin/k2.js"), "ui", dir, "--port", "0", "--format", "json", "--state-interval", "1"], { env: { ...process.env, NO_COLOR: "1" } });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
    child.on("exit", (code) => {
      reject(new Error(`k2 ui exited with ${code}: ${err}`));
    });
  });
}

async function openCluster(page: Page, name: string): Promise<void> {
  await page.goto(`${url}clusters/${name}`);
  await expect.poll(() => page.locator("#live").getAttribute("data-state")).toBe("live");
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (.ci/run does), or set K2_CHROMIUM`);
  mkdirSync(OUTPUT, { recursive: true });
  directory = mkdtempSync(join(tmpdir(), "k2-ui-browser-"));
  for (const example of ["aws-ha", "aws-minimal", "maas-bare-metal"]) {
    mkdirSync(join(directory, example));
    copyFileSync(join(REPO_ROOT, "examples", example, "cluster.yaml"), join(directory, example, "cluster.yaml"));
  }
  // aws-ha runs: its state (local backend, relative to the UI's directory) holds its applied spec.
  const applied = loadClusterFiles([join(directory, "aws-ha/cluster.yaml")])[0]!;
  writeFileSync(join(directory, "terraform.prod-usw2.tfstate"), appliedStateDocument(applied, 4));
  ({ child: server, url } = await startUi(directory));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
});

afterAll(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
});

describe("k2 ui in Chromium", () => {
  it("GIVEN the examples WHEN the overview opens THEN every cluster shows with its shape, state and lock, and a lock appears live", async () => {
    const page = await browser!.newPage({ viewport: { width: 1366, height: 640 } });
    await page.goto(url);
    const rows = page.locator("#fleet tbody tr");
    await expect.poll(() => rows.count()).toBe(3);
    const ha = page.locator('tr[data-cluster="prod-usw2"]');
    expect(await ha.textContent()).toContain("AWS us-west-2");
    expect(await ha.textContent()).toContain("general 3 / 3 / 10");
    expect(await ha.locator(".applied").textContent()).toContain("applied");
    expect(await page.locator('tr[data-cluster="metal-dc1"]').textContent()).toContain("MAAS maas.dc1.example.com");
    expect(await page.locator('tr[data-cluster="dev"] .applied').textContent()).toContain("never applied");
    await expect.poll(() => page.locator("#live").getAttribute("data-state")).toBe("live");

    // Terraform takes the lock: the overview shows its holder without a reload.
    const lockInfo = join(directory, ".terraform.prod-usw2.tfstate.lock.info");
    writeFileSync(lockInfo, JSON.stringify({ ID: "5a1b-lock", Operation: "OperationTypeApply", Who: "ci@runner-7", Version: "1.11.4", Created: "2026-11-20T10:00:00Z" }));
    await expect.poll(() => ha.locator(".lock").textContent(), { timeout: 15_000 }).toContain("locked by ci@runner-7");
    await page.screenshot({ path: join(OUTPUT, "overview.png"), fullPage: true });
    const { rmSync } = await import("node:fs");
    rmSync(lockInfo);
    await expect.poll(() => ha.locator(".lock").textContent(), { timeout: 15_000 }).toContain("not locked");
    await page.close();
  });

  it("GIVEN a laptop (1366 px) and a tablet (768 px) WHEN the overview opens THEN nothing scrolls sideways and every cluster's link is visible", async () => {
    for (const [name, viewport] of [
      ["laptop", { width: 1366, height: 900 }],
      ["tablet", { width: 768, height: 1024 }],
    ] as const) {
      const page = await browser!.newPage({ viewport });
      await page.goto(url);
      await expect.poll(() => page.locator("#fleet tbody tr").count()).toBe(3);
      // Neither the page nor the table's own scrolling box is wider than the window.
      // (Run in the page; the tests are compiled without the DOM's types.)
      const widths = await page.evaluate<{ page: number; window: number; table: number; box: number }>(
        `(() => { const wrap = document.querySelector(".table-wrap"); return { page: document.documentElement.scrollWidth, window: document.documentElement.clientWidth, table: wrap.scrollWidth, box: wrap.clientWidth }; })()`,
      );
      expect(widths.page, `${name}: the page scrolls sideways`).toBeLessThanOrEqual(widths.window);
      expect(widths.table, `${name}: the clusters table scrolls sideways`).toBeLessThanOrEqual(widths.box);
      for (const cluster of ["prod-usw2", "dev", "metal-dc1"]) {
        const link = page.getByRole("link", { name: cluster, exact: true });
        await link.scrollIntoViewIfNeeded();
        expect(await link.isVisible(), `${name}: ${cluster}`).toBe(true);
        const box = (await link.boundingBox())!;
        expect(box.x + box.width, `${name}: ${cluster}'s link is cut off`).toBeLessThanOrEqual(viewport.width);
      }
      await page.screenshot({ path: join(OUTPUT, `overview-${name}.png`), fullPage: true });
      await page.close();
    }
  });

  it("GIVEN the overview and a cluster page THEN the table's headers and the form's controls have accessible names, Save says it is disabled, and focus is visible", async () => {
    const page = await browser!.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(url);
    const fleet = await page.locator("#fleet").ariaSnapshot();
    expect(fleet).toContain('- table "Clusters, their shape, state and lock"');
    for (const header of ["Cluster file", "Provider Kubernetes", "Control plane etcd members", "Pools min / desired / max", "State applied spec, lock, backend"]) expect(fleet).toContain(`- columnheader "${header}"`);
    expect(fleet).toContain('- rowheader "prod-usw2 aws-ha/cluster.yaml"');
    // The keyboard: the first Tab reaches the skip link, with a visible outline.
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string>("document.activeElement.textContent")).toBe("Skip to content");
    expect(await page.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle")).toBe("solid");

    await openCluster(page, "prod-usw2");
    const editor = await page.locator("#editor").ariaSnapshot();
    const controls = editor.split("\n").filter((line) => /^\s*- (textbox|button|spinbutton|combobox|checkbox)\b/.test(line));
    expect(controls.length).toBeGreaterThan(10);
    // Every control has a name: `- textbox "Maximum size"`, never a bare `- textbox`.
    expect(controls.filter((line) => !/^\s*- \w+ "[^"]+"/.test(line))).toEqual([]);
    expect(editor).toContain('- textbox "Maximum size": "10"');
    expect(editor).toContain('- button "Save" [disabled]');
    expect(await page.locator("#plan").getAttribute("aria-live")).toBe("polite");
    await page.close();
  });

  it("GIVEN aws-ha WHEN a pool's maxSize is raised in the form THEN the plan shows one in-place change", async () => {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(url);
    await page.getByRole("link", { name: "prod-usw2" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Cluster prod-usw2");
    expect(await page.locator("#plan").textContent()).toContain("No changes");
    await page.locator('[data-field="pool.0.maxSize"]').fill("12");
    await expect.poll(() => page.locator('#plan [data-impact="in-place"]').count()).toBe(1);
    expect(await page.locator("#plan [data-impact]").count()).toBe(1);
    expect(await page.locator('#plan [data-impact="in-place"]').textContent()).toContain("spec.nodePools[0].maxSize");
    expect(await page.locator("#plan [data-summary]").textContent()).toContain("1 in-place");
    expect(await page.locator("#yaml").inputValue()).toContain("      maxSize: 12\n");
    expect(await page.locator("#save").isEnabled()).toBe(true);
    await page.screenshot({ path: join(OUTPUT, "cluster.png"), fullPage: true });
    await page.close();
  });

  it("GIVEN aws-ha WHEN an invalid value is typed THEN the error is at the field and Save is disabled", async () => {
    const page = await browser!.newPage({ viewport: { width: 820, height: 1100 } });
    await openCluster(page, "prod-usw2");
    const maxSize = page.locator('[data-field="pool.0.maxSize"]');
    await maxSize.fill("abc");
    await expect.poll(() => maxSize.getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator('[data-field-error="pool.0.maxSize"]').textContent()).toMatch(/spec\.nodePools\[0\]\.maxSize: /);
    expect(await page.locator("#save").isDisabled()).toBe(true);
    expect(await page.locator("#validity").textContent()).toContain("1 problem");
    // The same field is shown in the file, under its line.
    expect(await page.locator("#listing .problem").first().textContent()).toContain("spec.nodePools[0].maxSize");
    await page.screenshot({ path: join(OUTPUT, "cluster-invalid-tablet.png"), fullPage: true });
    // Fixed again: the error goes, and with no change left there is nothing to save.
    await maxSize.fill("10");
    await expect.poll(() => maxSize.getAttribute("aria-invalid")).toBe("false");
    expect(await page.locator("#save").isDisabled()).toBe(true);
    await page.close();
  });

  it("GIVEN aws-ha applied WHEN an etcd member's machine changes in the YAML THEN the plan shows the blocked change and why", async () => {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    await openCluster(page, "prod-usw2");
    const yaml = page.locator("#yaml");
    await yaml.fill((await yaml.inputValue()).replace("instanceType: m6i.large", "instanceType: m6i.2xlarge"));
    const blocked = page.locator('#plan [data-impact="blocked"]');
    await expect.poll(() => blocked.count()).toBe(1);
    expect(await blocked.textContent()).toContain("lose quorum");
    expect(await blocked.textContent()).toContain("Instead:");
    expect(await page.locator('#plan [data-component="etcd/main"]').count()).toBe(1);
    await page.screenshot({ path: join(OUTPUT, "cluster-blocked.png"), fullPage: true });
    await page.close();
  });

  it("GIVEN two admins editing aws-ha WHEN both save THEN each knows of the other and the second save is refused", async () => {
    const first = await (await browser!.newContext()).newPage();
    const second = await (await browser!.newContext()).newPage();
    await openCluster(first, "prod-usw2");
    await openCluster(second, "prod-usw2");
    const file = join(directory, "aws-ha/cluster.yaml");
    const original = readFileSync(file, "utf8");

    await first.locator('[data-field="pool.1.labels"]').fill("node.kubernetes.io/lifecycle=spot\nteam=data");
    await expect.poll(() => second.locator("#presence").textContent()).toContain("has unsaved edits to this cluster");
    await second.locator('[data-field="pool.0.maxSize"]').fill("15");
    await expect.poll(() => first.locator("#presence").textContent()).toContain("has unsaved edits to this cluster");

    await expect.poll(() => first.locator("#save").isEnabled()).toBe(true);
    await first.locator("#save").click();
    await expect.poll(() => first.locator("#save-status").textContent()).toContain("Saved aws-ha/cluster.yaml");
    const saved = readFileSync(file, "utf8");
    expect(saved).toBe(original.replace("        node.kubernetes.io/lifecycle: spot\n", "        node.kubernetes.io/lifecycle: spot\n        team: data\n"));

    // The second admin is told before saving, and the save itself is refused.
    await expect.poll(() => second.locator("#external").textContent()).toContain("saving them will be refused");
    await expect.poll(() => second.locator("#save").isEnabled()).toBe(true);
    await second.locator("#save").click();
    await expect.poll(() => second.locator("#save-status").textContent()).toMatch(/^Not saved: aws-ha\/cluster\.yaml was changed by admin-[0-9a-f]{4} at .* since you loaded it/);
    expect(readFileSync(file, "utf8")).toBe(saved);
    await second.screenshot({ path: join(OUTPUT, "cluster-conflict.png"), fullPage: true });
  });
});
