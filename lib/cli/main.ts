/**
 * The `k2` command line. Options are declared here; each command's implementation is loaded
 * only when it runs, so that `k2 --help` and `k2 lint` do not pay for modules they do not use.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { EXIT, UserError } from "./errors";
import { registerStatusCommand } from "./status";
import { registerUsageCommand } from "./usage";
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
  1  a spec is invalid, or changes a running etcd cluster in a refused way (every problem is printed; nothing is written)
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
    .option("--against <files...>", "the specs the running clusters were applied with: changes to their etcd clusters that are not safe are refused")
    .option("--against-state", "read each cluster's applied spec from its state backend instead (clusters without one are new)", false)
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText("after", EXIT_CODES_WRITE)
    .action(async (files: string[], options: { out: string; against?: string[]; againstState: boolean; format: "text" | "json" }) => {
      const { synthCommand } = await import("./synth.js");
      process.exitCode = await synthCommand(files, options);
    });

  program
    .command("plan")
    .summary("show what applying the specs would change, per cluster component")
    .description(
      "The cluster modification plan: every change between the spec each cluster runs with and the new one, per component (network, etcd/<name>, controlPlane, nodePool/<name>, ...), with its impact: create, in-place, rolling-replace, replace, destroy, or blocked by a guardrail (with the reason and the override). The previous spec comes from --against, else from each cluster's state; without one the cluster is new.",
    )
    .argument("<files...>", "spec files (a fleet: every cluster in them is planned)")
    .option("--against <files...>", "spec files the clusters run with, matched by cluster name (instead of reading each cluster's state)")
    .addOption(new Option("--format <format>", "output format: text (grouped by component), json (docs/plan-json.md), markdown (for a pull request)").choices(["text", "json", "markdown"]).default("text"))
    .option("--migrate-state", "allow a change of spec.state: you will move the state with terraform init -migrate-state (docs/state.md)", false)
    .option("--terraform", "also synthesize each cluster's stack and run the real terraform init and plan, attributing every resource change to its component and warning about what the spec changes do not explain", false)
    .option("-o, --out <dir>", "where --terraform synthesizes the stacks (replaced, keeping .terraform and *_override.tf.json files)", "cdktf.out")
    .option("--no-refresh", "with --terraform: plan with -refresh=false, against the state as recorded")
    .addHelpText(
      "after",
      `
Exit codes (like terraform plan -detailed-exitcode):
  0  no changes
  1  error: an invalid spec, an unreadable file or state, a failed terraform run (nothing is planned)
  2  changes, none of them blocked
  3  blocked changes present: do not apply (each shows its override)
  70 internal error (a bug in k2: please report it)

Examples:
  k2 plan examples/aws-ha/cluster.yaml --against main-branch/cluster.yaml
  k2 plan clusters/*.yaml --format markdown > plan.md      # previous specs from each cluster's state
  k2 plan cluster.yaml --terraform --format json | jq '.clusters[].warnings'`,
    )
    .action(async (files: string[], options: { against?: string[]; format: "text" | "json" | "markdown"; migrateState: boolean; terraform: boolean; out: string; refresh: boolean }) => {
      const { planCommand } = await import("./plan.js");
      process.exitCode = await planCommand(files, options);
    });

  const addons = program.command("addons").summary("the in-cluster addons of each cluster").description("What each cluster's addons stack deploys (monitoring, alerting).");
  addons
    .command("render")
    .summary("write what the addons stack deploys, for review")
    .description(
      "Write what each cluster's addons stack deploys, in reviewable form: DIR/rules/*.yaml (Prometheus rule files), DIR/alertmanager.yaml, DIR/dashboards/*.json, DIR/values/*.yaml (Helm values of the pinned charts), DIR/manifests/*.yaml (Kubernetes objects) and DIR/secrets/ (templates naming the variables credentials come from, never values). One cluster renders into DIR, several into DIR/<cluster>. Nothing is written when any spec is invalid.",
    )
    .argument("<files...>", "spec files")
    .requiredOption("-o, --out <dir>", "output directory (replaced when k2 wrote it; refused when it holds anything else)")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText("after", "\nExit codes:\n  0  written\n  1  a spec is invalid (nothing is written)\n  2  usage error, or DIR holds files k2 did not write\n  70 internal error\n\nSee docs/monitoring.md and docs/alerting.md.")
    .action(async (files: string[], options: { out: string; format: "text" | "json" }) => {
      const { addonsRenderCommand } = await import("./addons.js");
      process.exitCode = addonsRenderCommand(files, options);
    });

  const secrets = program.command("secrets").summary("manage the secrets machines read at boot").description("Manage each cluster's secrets in its provider's secret store.");
  secrets
    .command("init")
    .summary("create a cluster's CAs, certificates and bootstrap token")
    .description(
      "Create each cluster's secrets in its secret store (AWS Secrets Manager with your AWS credentials; on MAAS, Vault with the token in provider.maas.vault.tokenEnv, plus a read-only policy and an AppRole role per machine role and the policy for CI's Terraform): certificate authorities, etcd member and API server client certificates, service-account keys and the bootstrap token, one secret per machine role. Run it once per cluster, before its machines boot. It never replaces a secret that exists.",
    )
    .argument("<files...>", "spec files")
    .option("--dry-run", "list what would be created, without calling AWS or Vault", false)
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      "\nExit codes:\n  0  created (or listed, with --dry-run)\n  1  a spec is invalid, a secret already exists, or the store refused\n  2  usage error\n  70 internal error\n\nAWS_ENDPOINT_URL_SECRETS_MANAGER sends the calls to another endpoint (LocalStack, a test double).\nSee docs/aws.md (AWS) and docs/vault.md (MAAS) for the secrets flow.",
    )
    .action(async (files: string[], options: { dryRun: boolean; format: "text" | "json" }) => {
      const { secretsInitCommand } = await import("./secrets.js");
      process.exitCode = await secretsInitCommand(files, options);
    });

  secrets
    .command("logging")
    .summary("put the log sinks' credentials into the etcd hosts' secrets")
    .description(
      "Write the log sinks' credentials (from the environment variables spec.addons.logging.sinks names) into each etcd cluster's secret, where etcd hosts read them at boot as /etc/kraken/logging.env; take them out when the sinks need none. k2 secrets init does the same for new clusters. Run it after changing the sinks' credentials or enabling logging on a running cluster. Kubernetes nodes get the same credentials from the addons stack (TF_VAR_logging_*).",
    )
    .argument("<files...>", "spec files")
    .option("--dry-run", "read the secrets and say what would change, without writing", false)
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      "\nExit codes:\n  0  written (or listed, with --dry-run)\n  1  a spec is invalid, a credential's environment variable is not set, a secret does not exist, or the store refused\n  2  usage error\n  70 internal error\n\nExample:\n  export LOKI_USERNAME=... LOKI_PASSWORD=...\n  k2 secrets logging examples/aws-ha/cluster.yaml\n\nSee docs/logging.md.",
    )
    .action(async (files: string[], options: { dryRun: boolean; format: "text" | "json" }) => {
      const { secretsLoggingCommand } = await import("./secrets.js");
      process.exitCode = await secretsLoggingCommand(files, options);
    });

  const etcd = program.command("etcd").summary("etcd member configuration and procedures").description("etcd member configuration, and the procedures to replace a member or restore from a snapshot, with the cluster's values filled in. See docs/etcd.md.");
  const etcdCommon = (command: Command): Command =>
    command
      .argument("<files...>", "spec files")
      .requiredOption("-c, --cluster <etcd>", "etcd cluster name (spec.etcd[].name)")
      .option("--name <cluster>", "the Kubernetes cluster, when the files hold several");
  etcdCommon(etcd.command("config"))
    .summary("print a member's ETCD_* environment file")
    .description("Print one member's configuration as an environment file of etcd's own ETCD_* variables, exactly as the member's machine gets it (/etc/etcd/etcd.env).")
    .requiredOption("-m, --member <index>", "member index, 0 for the first")
    .addOption(new Option("--initial-cluster-state <state>", "new, or existing for a member joining a running cluster (default: existing for the member replaceMember replaces with a new volume, else new)").choices(["new", "existing"]))
    .addHelpText("after", "\nExit codes:\n  0  printed\n  1  a spec is invalid\n  2  usage error\n\nExample:\n  k2 etcd config examples/aws-ha/cluster.yaml --cluster main --member 0")
    .action(async (files: string[], options: { cluster: string; member: string; name?: string; initialClusterState?: "new" | "existing" }) => {
      const { etcdConfigCommand } = await import("./etcd.js");
      process.exitCode = etcdConfigCommand(files, options);
    });
  etcdCommon(etcd.command("replace-member"))
    .summary("print the procedure to replace one member")
    .description(
      "Print the ordered procedure to replace one etcd member (remove it, add it back as a learner, apply the spec override that replaces exactly that member, promote it, verify), and the override itself. One member at a time, never below quorum. --keep-data replaces the machine only.",
    )
    .requiredOption("-m, --member <index>", "member index, 0 for the first")
    .option("--keep-data", "keep the member's data volume: replace the machine only (new instance type, image or etcd version)", false)
    .option("--id <id>", "replaceMember.id for the override (default: today's date, the etcd cluster and the member)")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText("after", "\nExit codes:\n  0  printed\n  1  a spec is invalid, or the replacement is refused (one member with --keep-data absent)\n  2  usage error")
    .action(async (files: string[], options: { cluster: string; member: string; name?: string; keepData: boolean; id?: string; format: "text" | "json" }) => {
      const { replaceMemberCommand } = await import("./etcd.js");
      process.exitCode = replaceMemberCommand(files, options);
    });
  etcdCommon(etcd.command("restore-plan"))
    .summary("print the procedure to restore from a snapshot")
    .description("Print the procedure to restore an etcd cluster from one snapshot on every member, with each member's restore command.")
    .requiredOption("-s, --snapshot <uri>", "s3://bucket/key of the snapshot (kraken_etcd_backup_bucket), or a path on the members")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText("after", "\nExit codes:\n  0  printed\n  1  a spec is invalid\n  2  usage error")
    .action(async (files: string[], options: { cluster: string; snapshot: string; name?: string; format: "text" | "json" }) => {
      const { restorePlanCommand } = await import("./etcd.js");
      process.exitCode = restorePlanCommand(files, options);
    });

  const certs = program.command("certs").summary("check certificates").description("Check the certificates of a cluster's endpoints.");
  certs
    .command("check")
    .summary("report etcd endpoints' certificates and their expiry")
    .description("Connect to each etcd endpoint over TLS and report its certificate's subject, names and days to expiry (and the client certificate's, when given).")
    .requiredOption("--etcd <urls...>", "etcd client URLs: https://10.0.0.10:2379 ...")
    .option("--ca <file>", "CA certificate to verify the endpoints against")
    .option("--cert <file>", "client certificate, for endpoints that require one")
    .option("--key <file>", "client key")
    .option("--threshold-days <days>", "report certificates that expire in fewer days", "30")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText("after", "\nExit codes:\n  0  every certificate is valid for at least the threshold (and signed by --ca, when given)\n  1  a certificate expires too soon, is expired or not signed by --ca, or an endpoint cannot be checked\n  2  usage error\n\nExample, on an etcd member:\n  k2 certs check --etcd https://10.0.0.10:2379 https://10.0.32.10:2379 --ca /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/member.crt --key /etc/etcd/pki/member.key")
    .action(async (options: { etcd: string[]; ca?: string; cert?: string; key?: string; thresholdDays: string; format: "text" | "json" }) => {
      const { certsCheckCommand } = await import("./certs.js");
      process.exitCode = await certsCheckCommand(options);
    });

  const state = program.command("state").summary("the clusters' Terraform state: applied spec, locks, state store").description("Each cluster's Terraform state, in the backend spec.state names. See docs/state.md.");
  const stateCommon = (command: Command): Command => command.argument("<files...>", "spec files").option("--name <cluster>", "the cluster, when the files hold several");
  stateCommon(state.command("spec"))
    .summary("print the spec a cluster was last applied with")
    .description("Read the spec a cluster was last applied with back from its state (the kraken_spec output), from any backend: local, s3, pg or kubernetes.")
    .addOption(new Option("--format <format>", "output format").choices(["yaml", "json"]).default("yaml"))
    .addHelpText("after", "\nExit codes:\n  0  printed\n  1  no applied spec (never applied), the state cannot be read, or a spec is invalid\n  2  usage error\n\nThe pg backend reads its connection string from the variable spec.state.pg.connStrEnv names (PG_CONN_STR).")
    .action(async (files: string[], options: { name?: string; format: "yaml" | "json" }) => {
      const { stateSpecCommand } = await import("./state.js");
      process.exitCode = await stateSpecCommand(files, options);
    });
  stateCommon(state.command("lock-info"))
    .summary("show who holds a cluster's state lock")
    .description("Show whether a cluster's state is locked, and by whom, since when, for what operation (as much as the backend records), and what to do about it.")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText("after", "\nExit codes:\n  0  not locked\n  3  locked (the holder is printed)\n  1  the state cannot be read, or a spec is invalid\n  2  usage error")
    .action(async (files: string[], options: { name?: string; format: "text" | "json" }) => {
      const { lockInfoCommand } = await import("./state.js");
      process.exitCode = await lockInfoCommand(files, options);
    });
  stateCommon(state.command("unlock"))
    .summary("release a lock whose holder is gone")
    .description("Without --lock-id: print the lock's holder and the safe procedure, and change nothing. With --lock-id: release exactly that lock (for pg, end the PostgreSQL session that holds it).")
    .option("--lock-id <id>", "the id k2 state lock-info (or Terraform's lock error) shows")
    .addHelpText("after", "\nExit codes:\n  0  released\n  1  refused (no --lock-id, or another lock id, or not locked), or the state cannot be reached\n  2  usage error")
    .action(async (files: string[], options: { name?: string; lockId?: string }) => {
      const { unlockCommand } = await import("./state.js");
      process.exitCode = await unlockCommand(files, options);
    });
  state
    .command("store")
    .summary("write the stack of the s3 state bucket")
    .description("Write the bootstrap stack of every s3 bucket the specs keep state in: versioned, encrypted, private, TLS only, protected from deletion, with the DynamoDB lock table when spec.state.s3.dynamodbTable is set. It is applied first, with local state.")
    .argument("<files...>", "spec files")
    .requiredOption("-o, --out <dir>", "output directory")
    .addHelpText("after", "\nExit codes:\n  0  written\n  1  a spec is invalid, or no spec uses the s3 backend\n  2  usage error")
    .action(async (files: string[], options: { out: string }) => {
      const { stateStoreCommand } = await import("./state.js");
      process.exitCode = await stateStoreCommand(files, options);
    });

  program
    .command("schema")
    .summary("print the spec's JSON Schema or reference")
    .description("Print the cluster spec's JSON Schema (draft 2020-12), for editors and other tools, or its Markdown reference (docs/spec.md); with --of plan, the same for the output of k2 plan --format json (docs/plan-json.md).")
    .addOption(new Option("--format <format>", "output format").choices(["json", "markdown"]).default("json"))
    .addOption(new Option("--of <document>", "which schema").choices(["cluster", "plan"]).default("cluster"))
    .addHelpText("after", "\nExit codes:\n  0  printed\n  2  usage error\n\nExample:\n  k2 schema > cluster.schema.json   # then: # yaml-language-server: $schema=./cluster.schema.json")
    .action(async (options: { format: "json" | "markdown"; of: "cluster" | "plan" }) => {
      const { schemaCommand } = await import("./schema.js");
      process.exitCode = await schemaCommand(options);
    });

  program
    .command("ui")
    .summary("serve the web UI for the fleet's spec files")
    .description(
      "Serve a web UI for the spec files under DIR (default: the current directory): the fleet overview with each cluster's applied spec and lock, each cluster's spec with its problems, its plan from the same engine as k2 plan, the history of applied specs, and a form and raw YAML to edit it with a live plan preview. Saving writes a spec file only when it is valid and unchanged since it was loaded; the UI never writes state (applying stays with CI). See docs/ui.md.",
    )
    .argument("[dir]", "directory holding the spec files (searched recursively; hidden folders, node_modules, dist and cdktf.out are skipped)")
    .option("-p, --port <port>", "port to listen on (0 picks a free one)", "8080")
    .option("--host <host>", "address to listen on; anything but loopback needs --auth-token-file", "127.0.0.1")
    .option("--auth-token-file <file>", "file holding the access token browsers must sign in with (at least 16 characters), e.g. a mounted Secret")
    .option("--state-interval <seconds>", "how often each cluster's state backend is read again for its applied spec and lock", "5")
    .addOption(new Option("--format <format>", "how to print the URL once listening").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      `
Exit codes:
  0  stopped (Ctrl-C, SIGTERM)
  1  no spec files under DIR
  2  usage error: DIR missing or not a directory, a bad --port, a port in use, --host other than loopback without --auth-token-file, an unreadable or short token
  70 internal error (a bug in k2: please report it)

Examples:
  k2 ui                                  # http://127.0.0.1:8080/ for the specs in this repository
  k2 ui clusters/ --port 0 --format json # {"url":"http://127.0.0.1:41234/",...}
  k2 ui /specs --host 0.0.0.0 --auth-token-file /var/run/k2-ui/token   # in a pod (examples/ui/k2-ui.yaml)`,
    )
    .action(async (dir: string | undefined, options: { port: string; host: string; authTokenFile?: string; stateInterval: string; format: "text" | "json" }) => {
      const { uiCommand } = await import("./ui.js");
      process.exitCode = await uiCommand(dir, options);
    });

  registerUsageCommand(program);
  registerStatusCommand(program);

  return program;
}

/** Entry point of the `k2` binary. Never lets a stack trace reach the user on bad input. */
export async function run(argv: readonly string[]): Promise<void> {
  // A reader that stops early (k2 ... | head) is not an error: stop quietly, as Unix tools do.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  const program = buildProgram();
  const style = styleFor(process.stderr);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help, or the version). k2 plan keeps
      // 2 and 3 for changes, so its usage errors exit 1.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : argv.slice(2).find((arg) => !arg.startsWith("-")) === "plan" ? EXIT.problems : EXIT.usage;
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
