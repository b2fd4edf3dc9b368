import type { SpecRule } from "./rule";

export const certificatesRule: SpecRule = {
  id: "certificates",
  summary: "Certificates never outlive the authority that signs them: etcdValidityDays is at most caValidityDays.",
  check(document, report) {
    const certificates = document.spec?.certificates;
    const leaf = certificates?.etcdValidityDays;
    const ca = certificates?.caValidityDays;
    if (leaf !== undefined && ca !== undefined && leaf > ca) {
      report(["spec", "certificates", "etcdValidityDays"], `must be at most caValidityDays (${ca}), got ${leaf}: a certificate cannot outlive its authority`);
    }
  },
};
