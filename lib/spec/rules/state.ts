import { STATE_BACKENDS } from "../schema";
import type { SpecRule } from "./rule";

export const stateBackendRule: SpecRule = {
  id: "state-backend",
  summary:
    "spec.state carries settings only for the chosen backend, and everything that backend needs (an s3 bucket; an s3 region on MAAS); a kubernetes secretSuffix does not end in -<number>.",
  check(document, report) {
    const state = document.spec?.state;
    if (!state?.backend) return;
    for (const backend of STATE_BACKENDS) {
      if (backend !== state.backend && state[backend] !== undefined) {
        report(["spec", "state", backend], `settings for the ${backend} backend, but spec.state.backend is ${state.backend}; remove them or change the backend`);
      }
    }
    const suffix = state.kubernetes?.secretSuffix;
    if (state.backend === "kubernetes" && suffix !== undefined && /-[0-9]+$/.test(suffix)) {
      report(["spec", "state", "kubernetes", "secretSuffix"], `must not end in -<number>, which Terraform keeps for the chunks of large states, got "${suffix}"`);
    }
    if (state.backend === "s3") {
      if (state.s3 === undefined) report(["spec", "state", "s3"], 'is required when spec.state.backend is s3, with at least a bucket: s3: { bucket: "..." }');
      else if (state.s3.region === undefined && document.spec?.provider?.maas) {
        report(["spec", "state", "s3", "region"], "is required on a MAAS cluster: there is no AWS region to take it from");
      }
    }
  },
};
