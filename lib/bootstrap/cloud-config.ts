/** Rendering cloud-init user data (#cloud-config) from a typed description. */

export interface CloudConfigFile {
  readonly path: string;
  readonly content: string;
  /** Octal string, as cloud-init expects: "0644". */
  readonly permissions: string;
  readonly owner?: string;
}

export interface CloudConfig {
  readonly writeFiles: readonly CloudConfigFile[];
  /** Commands run once, in order, at the end of the first boot. */
  readonly runcmd: readonly (readonly string[])[];
  /** Debian packages installed before runcmd. */
  readonly packages?: readonly string[];
}

/**
 * The user data text. Long lines are never folded: values may hold Terraform tokens, which must
 * stay whole on one line to be resolved at synth.
 */
export function renderCloudConfig(config: CloudConfig): string {
  const document: Record<string, unknown> = {
    write_files: config.writeFiles.map((file) => ({
      path: file.path,
      permissions: file.permissions,
      owner: file.owner ?? "root:root",
      content: file.content,
    })),
  };
  if (config.packages && config.packages.length > 0) {
    document.package_update = true;
    document.packages = [...config.packages];
  }
  document.runcmd = config.runcmd.map((command) => [...command]);
  // yaml is loaded here, not with the module: k2 lint and k2 plan reach this module (through the
  // etcd topology) without rendering any user data.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { stringify } = require("yaml") as typeof import("yaml");
  return `#cloud-config\n${stringify(document, { lineWidth: 0, blockQuote: "literal" })}`;
}

/** KEY=value lines for a systemd EnvironmentFile or `source` in bash, values single-quoted. */
export function renderEnvironmentFile(values: Readonly<Record<string, string | number | boolean>>): string {
  return Object.entries(values)
    .map(([key, value]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw new Error(`environment variable name ${JSON.stringify(key)} is not UPPER_SNAKE_CASE`);
      const text = String(value);
      if (text.includes("'") || text.includes("\n")) throw new Error(`value of ${key} must not contain quotes or newlines, got ${JSON.stringify(text)}`);
      return `${key}='${text}'`;
    })
    .join("\n")
    .concat("\n");
}
