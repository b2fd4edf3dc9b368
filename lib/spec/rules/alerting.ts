/** Alertmanager routing: receivers are named once, have somewhere to send, and every reference names one. */
import { checkUniqueNames, present, type SpecRule } from "./rule";

const INTEGRATIONS = ["slack", "pagerduty", "email", "webhook"] as const;

export const alertingRule: SpecRule = {
  id: "alerting",
  summary: "Alert receivers have unique names and at least one of slack, pagerduty, email or webhook; routes and defaultReceiver name existing receivers; email with a password names its user.",
  check(document, report) {
    const alerting = document.spec?.addons?.alerting;
    if (!alerting) return;
    const base = ["spec", "addons", "alerting"];
    checkUniqueNames(alerting.receivers, [...base, "receivers"], "receiver", report);
    const names = present(alerting.receivers).map(([receiver]) => receiver.name).filter((name): name is string => name !== undefined);
    for (const [receiver, index] of present(alerting.receivers)) {
      if (!INTEGRATIONS.some((integration) => receiver[integration] !== undefined)) {
        report([...base, "receivers", index], `receiver "${receiver.name ?? index}" sends nowhere: give it at least one of ${INTEGRATIONS.join(", ")}`);
      }
      if (receiver.email?.authPasswordEnv !== undefined && receiver.email.authUsername === undefined) {
        report([...base, "receivers", index, "email", "authUsername"], "is required with authPasswordEnv: SMTP authentication needs a user name");
      }
    }
    const known = (name: string) => names.includes(name);
    const listing = names.length > 0 ? `one of ${names.map((name) => `"${name}"`).join(", ")}` : "a receiver, and spec.addons.alerting.receivers has none";
    for (const [route, index] of present(alerting.routes)) {
      if (route.receiver !== undefined && !known(route.receiver)) report([...base, "routes", index, "receiver"], `must name ${listing}, got "${route.receiver}"`);
    }
    if (alerting.defaultReceiver !== undefined && !known(alerting.defaultReceiver)) report([...base, "defaultReceiver"], `must name ${listing}, got "${alerting.defaultReceiver}"`);
  },
};
