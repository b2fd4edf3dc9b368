import { isIpv4Address } from "../cidr";
import { checkDns1123Subdomain } from "../kube-names";
import { present, type SpecRule } from "./rule";

export const apiAccessRule: SpecRule = {
  id: "api-access",
  summary: "A public API endpoint has an explicit allowlist (allowedCidrs), and extra certificate names are DNS names or IPv4 addresses.",
  check(document, report) {
    const apiServer = document.spec?.controlPlane?.apiServer;
    if (!apiServer) return;
    const base = ["spec", "controlPlane", "apiServer"];
    if (apiServer.public === true && apiServer.allowedCidrs !== undefined && apiServer.allowedCidrs.length === 0) {
      report(
        [...base, "allowedCidrs"],
        "must list the networks allowed to reach a public API endpoint, got []; add your admins' and CI's networks (0.0.0.0/0 opens it to the whole internet, on purpose)",
      );
    }
    if (apiServer.public === true && document.spec.provider?.maas) {
      report([...base, "public"], "applies to AWS only: on MAAS the endpoint is provider.maas.controlPlaneEndpoint");
    }
    for (const [name, index] of present(apiServer.extraSans)) {
      if (isIpv4Address(name)) continue;
      const problem = checkDns1123Subdomain(name.startsWith("*.") ? name.slice(2) : name);
      if (problem) report([...base, "extraSans", index], `must be a DNS name or an IPv4 address: ${problem}, got ${JSON.stringify(name)}`);
    }
    const endpoint = document.spec.provider?.maas?.controlPlaneEndpoint;
    if (endpoint?.vip !== undefined && !isIpv4Address(endpoint.vip)) {
      report(["spec", "provider", "maas", "controlPlaneEndpoint", "vip"], `must be an IPv4 address (four numbers from 0 to 255), got "${endpoint.vip}"`);
    }
    if (endpoint?.dnsName !== undefined) {
      const problem = checkDns1123Subdomain(endpoint.dnsName);
      if (problem) report(["spec", "provider", "maas", "controlPlaneEndpoint", "dnsName"], `${problem}, got "${endpoint.dnsName}"`);
    }
  },
};
