/**
 * `k2 addons render FILE... --out DIR`: what each cluster's addons stack deploys, as files to
 * review: Prometheus rule files, Alertmanager's configuration, Grafana dashboards, Helm values
 * and Kubernetes manifests. Nothing is written unless every spec is valid.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { renderAddons, type RenderedFile } from "../addons/render";
import { EXIT, UserError } from "./errors";
import { loadClustersForCommand, plural, type CommandIo } from "./spec-input";
import { styleFor } from "./style";

export interface AddonsRenderOptions {
  readonly out: string;
  readonly format: "text" | "json";
}

/** A marker k2 leaves in DIR, so that it replaces only a directory it wrote. */
const MARKER = ".k2-addons-render";

function checkedDirectory(outOption: string): string {
  const out = resolve(outOption);
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, MARKER))) {
    throw new UserError(`${outOption} exists, is not empty and was not written by k2 addons render; choose another --out`);
  }
  return out;
}

export function addonsRenderCommand(files: readonly string[], options: AddonsRenderOptions, io: CommandIo = process): number {
  const loaded = loadClustersForCommand("addons render", files, io);
  if ("exitCode" in loaded) return loaded.exitCode;
  const out = checkedDirectory(options.out);
  // One directory per cluster when several are rendered; DIR itself for one.
  const rendered = loaded.clusters.map((cluster) => ({
    cluster: cluster.metadata.name,
    directory: loaded.clusters.length === 1 ? out : join(out, cluster.metadata.name),
    files: renderAddons(cluster),
  }));
  rmSync(out, { recursive: true, force: true });
  for (const { directory, files: clusterFiles } of rendered) writeFiles(directory, clusterFiles);
  writeFileSync(join(out, MARKER), "written by k2 addons render; replaced at the next render\n");

  if (options.format === "json") {
    io.stdout.write(`${JSON.stringify({ out, clusters: rendered.map(({ cluster, directory, files: written }) => ({ cluster, directory, files: written.map((file) => file.path) })) }, null, 2)}\n`);
  } else {
    const style = styleFor(io.stdout);
    io.stdout.write(`${style.green(`✔ rendered the addons of ${plural(rendered.length, "cluster")}`)} into ${out}\n`);
    for (const { cluster, directory, files: written } of rendered) {
      io.stdout.write(`  ${style.bold(cluster)}  ${directory}: ${written.length === 0 ? "nothing (monitoring is off)" : written.map((file) => file.path).join(", ")}\n`);
    }
  }
  return EXIT.ok;
}

function writeFiles(directory: string, files: readonly RenderedFile[]): void {
  mkdirSync(directory, { recursive: true });
  for (const file of files) {
    const path = join(directory, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
}
