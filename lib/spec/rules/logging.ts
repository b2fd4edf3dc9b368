/** Logging: an enabled pipeline has somewhere to go, and AWS sinks only where machines have AWS credentials. */
import type { SpecRule } from "./rule";

const SINKS = ["loki", "elasticsearch", "cloudwatch", "s3"] as const;

export const loggingRule: SpecRule = {
  id: "logging",
  summary: "Enabled logging has at least one sink; the cloudwatch and s3 sinks need AWS machines (their instance roles), so a MAAS cluster uses loki or elasticsearch.",
  check(document, report) {
    const logging = document.spec?.addons?.logging;
    if (!logging) return;
    const base = ["spec", "addons", "logging"];
    const sinks = logging.sinks ?? {};
    if (logging.enabled === true && !SINKS.some((sink) => sinks[sink] !== undefined)) {
      report([...base, "sinks"], `logging is enabled but ships nowhere: give at least one of ${SINKS.join(", ")}`);
    }
    if (document.spec.provider?.maas) {
      for (const sink of ["cloudwatch", "s3"] as const) {
        if (sinks[sink] !== undefined) report([...base, "sinks", sink], "needs AWS credentials, which MAAS machines do not have (no instance role): use loki or elasticsearch on MAAS");
      }
    }
  },
};
