/**
 * Kubernetes naming rules (apimachinery's validation package), as plain functions that return
 * what is wrong, or undefined when the value is fine.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 */

export const DNS1123_LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
export const DNS1123_LABEL_MAX = 63;
const dns1123Label = new RegExp(DNS1123_LABEL_PATTERN);
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const DNS1123_LABEL_EXPECTED =
  "a DNS-1123 label: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit";

export function checkDns1123Label(value: string): string | undefined {
  if (value.length > DNS1123_LABEL_MAX) return `must be at most ${DNS1123_LABEL_MAX} characters, got ${value.length}`;
  if (!dns1123Label.test(value)) return `must be ${DNS1123_LABEL_EXPECTED}`;
  return undefined;
}

export function checkDns1123Subdomain(value: string): string | undefined {
  if (value.length > 253) return `must be at most 253 characters, got ${value.length}`;
  if (!dns1123Subdomain.test(value)) {
    return "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', each part starting and ending with a letter or digit";
  }
  return undefined;
}

/** A label or taint key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters. */
export function checkQualifiedName(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return "must have at most one '/' (prefix/name)";
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0) return "has an empty prefix before '/'";
    const prefixProblem = checkDns1123Subdomain(prefix);
    if (prefixProblem) return `prefix "${prefix}" ${prefixProblem}`;
  }
  if (name.length === 0) return "has an empty name";
  if (name.length > 63) return `name part must be at most 63 characters, got ${name.length}`;
  if (!qualifiedNamePart.test(name)) {
    return "name part must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit";
  }
  return undefined;
}

/** A label value (also a taint value): at most 63 characters, may be empty. */
export function checkLabelValue(value: string): string | undefined {
  if (value.length > 63) return `must be at most 63 characters, got ${value.length}`;
  if (!labelValue.test(value)) {
    return "must be empty or consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/**
 * Label prefixes a kubelet may not set on its own Node (the NodeRestriction admission plugin
 * refuses the registration). kubelet.kubernetes.io/ and node.kubernetes.io/ are allowed.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#noderestriction
 */
export function kubeletLabelRestriction(key: string): string | undefined {
  const slash = key.indexOf("/");
  if (slash < 0) return undefined;
  const prefix = key.slice(0, slash);
  const inKubernetesNamespace = (domain: string): boolean => prefix === domain || prefix.endsWith(`.${domain}`);
  if (!inKubernetesNamespace("kubernetes.io") && !inKubernetesNamespace("k8s.io")) return undefined;
  if (inKubernetesNamespace("kubelet.kubernetes.io") || inKubernetesNamespace("node.kubernetes.io")) return undefined;
  const setByKubelet = new Set([
    "kubernetes.io/hostname",
    "kubernetes.io/instance-type",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/instance-type",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
  ]);
  if (setByKubelet.has(key)) return "is a well-known label the kubelet sets itself; remove it from the spec";
  return (
    `is in the ${prefix}/ namespace, which a kubelet may not set on its own node (NodeRestriction refuses it); ` +
    "use a prefix of your own, or node.kubernetes.io/ for node metadata"
  );
}
