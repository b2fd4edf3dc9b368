/** `k2 certs check --etcd URL...`: the certificates etcd members present, and how long they last. */
import { checkEndpoint, checkLocalCertificate, readCredentials, type EndpointReport } from "../certs/check";
import { EXIT, UserError } from "./errors";
import type { CommandIo } from "./spec-input";
import { styleFor } from "./style";

export interface CertsCheckOptions {
  readonly etcd: readonly string[];
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly thresholdDays: string;
  readonly format: "text" | "json";
}

export async function certsCheckCommand(options: CertsCheckOptions, io: CommandIo = process): Promise<number> {
  const threshold = Number(options.thresholdDays);
  if (!/^[0-9]+$/.test(options.thresholdDays)) throw new UserError(`--threshold-days must be a whole number of days, got ${JSON.stringify(options.thresholdDays)}`);
  if ((options.cert === undefined) !== (options.key === undefined)) throw new UserError("--cert and --key go together");
  let credentials;
  try {
    credentials = readCredentials(options);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  const reports: EndpointReport[] = await Promise.all(options.etcd.map((endpoint) => checkEndpoint(endpoint, credentials, threshold)));
  if (credentials.cert !== undefined) reports.push(checkLocalCertificate(`client certificate ${options.cert ?? ""}`, credentials.cert, threshold));

  if (options.format === "json") {
    io.stdout.write(`${JSON.stringify({ thresholdDays: threshold, certificates: reports }, null, 2)}\n`);
  } else {
    const style = styleFor(io.stdout);
    for (const report of reports) {
      const mark = report.ok ? style.green("✔") : style.red("✖");
      io.stdout.write(`${mark} ${style.bold(report.endpoint)}\n`);
      if (report.subject !== undefined) {
        io.stdout.write(`    subject  ${report.subject}\n    issuer   ${report.issuer ?? ""}\n`);
        io.stdout.write(`    names    ${[...(report.dnsNames ?? []), ...(report.ipAddresses ?? [])].join(", ") || "(none)"}\n`);
        io.stdout.write(`    expires  ${report.notAfter ?? ""} (${report.daysLeft ?? "?"} days)${report.verified === undefined ? "" : report.verified ? ", chain verified" : ""}\n`);
      }
      if (report.problem !== undefined) io.stdout.write(`    ${style.red(report.problem)}\n`);
    }
  }
  return reports.every((report) => report.ok) ? EXIT.ok : EXIT.problems;
}
