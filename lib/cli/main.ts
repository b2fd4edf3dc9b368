/**
 * The `k2` command line. Options are declared here; each command's implementation is loaded
 * only when it runs, so that `k2 --help` and `k2 lint` do not pay for modules they do not use.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { EXIT, UserError } from "./errors";
import { styleFor } from "./style";

const EXIT_CODES_LINT = `
Exit codes:
  0  every document is valid
  1  at least one document is invalid (every problem is printed)
  2  usage error: bad options, a file that is missing, unreadable, empty or not YAML/JSON
  70 internal error (a bug in k2: please report it)

Examples:
  k2 lint examples/*/cluster.yaml
  k2 lint --format json clusters.yaml | jq '.[] | .path'
  cat cluster.yaml | k2 lint -`;

const EXIT_CODES_WRITE = `
Exit codes:
  0  written
  1  a spec is invalid (every problem is printed; nothing is written)
  2  usage error: bad options, a file that is missing, unreadable or not YAML/JSON, an --out that is not cdktf output
  70 internal error (a bug in k2: please report it)

Example:
  k2 synth examples/aws-ha/cluster.yaml --out cdktf.out
  cd cdktf.out/stacks/prod-usw2 && terraform init && terraform plan`;

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(require.resolve("kraken-lib/package.json"), "utf8")) as { version: string };
  return manifest.version;
}

export function buildProgram(): Command {
  const program = new Command("k2")
    .description("kraken-lib: define self-managed Kubernetes clusters as specs, check them, and plan their changes.")
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: (text, write) => { write(styleFor(process.stderr).red(text)); } });

  program
    .command("lint")
    .summary("check cluster spec files")
    .description("Check cluster spec files (YAML or JSON, several documents per file) against the schema and the semantic rules, and print every problem with its file, document, line and field path.")
    .argument("<files...>", "spec files; - reads standard input")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("--ignore-non-specs", "skip files in which no document has a kraken.dev apiVersion (for hooks that pass every staged YAML file)", false)
    .addHelpText("after", EXIT_CODES_LINT)
    .action(async (files: string[], options: { format: "text" | "json"; ignoreNonSpecs: boolean }) => {
      const { lintCommand } = await import("./lint.js");
      process.exitCode = lintCommand(files, options);
    });

  program
    .command("synth")
    .summary("write the Terraform of each cluster")
    .description(
      "Write the cdktf output of every cluster in the spec files, one stack per cluster (DIR/stacks/<cluster>/cdk.tf.json, plus DIR/manifest.json), as `cdktf synth` would for the same clusters. Nothing is written when any spec is invalid.",
    )
    .argument("<files...>", "spec files")
    .requiredOption("-o, --out <dir>", "output directory (replaced, keeping each stack's .terraform)")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText("after", EXIT_CODES_WRITE)
    .action(async (files: string[], options: { out: string; format: "text" | "json" }) => {
      const { synthCommand } = await import("./synth.js");
      process.exitCode = await synthCommand(files, options);
    });

  const secrets = program.command("secrets").summary("manage the secrets machines read at boot").description("Manage each cluster's secrets in its provider's secret store.");
  secrets
    .command("init")
    .summary("create a cluster's CAs, certificates and bootstrap token")
    .description(
      "Create each cluster's secrets in its secret store (AWS Secrets Manager, with your AWS credentials): certificate authorities, etcd member and API server client certificates, service-account keys and the bootstrap token, one secret per machine role. Run it once per cluster, before its machines boot. It never replaces a secret that exists.",
    )
    .argument("<files...>", "spec files")
    .option("--dry-run", "list the secrets that would be created, without calling AWS", false)
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      "\nExit codes:\n  0  created (or listed, with --dry-run)\n  1  a spec is invalid, a secret already exists, or the store refused\n  2  usage error\n  70 internal error\n\nAWS_ENDPOINT_URL_SECRETS_MANAGER sends the calls to another endpoint (LocalStack, a test double).\nSee docs/aws.md for the secrets flow.",
    )
    .action(async (files: string[], options: { dryRun: boolean; format: "text" | "json" }) => {
      const { secretsInitCommand } = await import("./secrets.js");
      process.exitCode = await secretsInitCommand(files, options);
    });

  program
    .command("schema")
    .summary("print the spec's JSON Schema or reference")
    .description("Print the cluster spec's JSON Schema (draft 2020-12), for editors and other tools, or its Markdown reference (docs/spec.md).")
    .addOption(new Option("--format <format>", "output format").choices(["json", "markdown"]).default("json"))
    .addHelpText("after", "\nExit codes:\n  0  printed\n  2  usage error\n\nExample:\n  k2 schema > cluster.schema.json   # then: # yaml-language-server: $schema=./cluster.schema.json")
    .action(async (options: { format: "json" | "markdown" }) => {
      const { schemaCommand } = await import("./schema.js");
      process.exitCode = schemaCommand(options);
    });

  return program;
}

/** Entry point of the `k2` binary. Never lets a stack trace reach the user on bad input. */
export async function run(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  const style = styleFor(process.stderr);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help, or the version).
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else if (error instanceof UserError) {
      process.stderr.write(`${style.red("k2:")} ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`${style.red("k2: internal error:")} ${message}\n`);
      if (process.env.K2_DEBUG) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
      else process.stderr.write("Set K2_DEBUG=1 to see the stack trace, and please report it.\n");
      process.exitCode = EXIT.internal;
    }
  }
}
