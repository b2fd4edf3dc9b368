import type { PathSegment } from "../problems";
import type { SpecRule } from "./rule";

const SECRET_SHAPES: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/, what: "an AWS access key ID" },
  { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, what: "a private key" },
  { pattern: /\bpostgres(ql)?:\/\/[^:\s/]+:[^@\s]+@/, what: "a connection string with a password" },
  { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/, what: "a Slack token" },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/, what: "a GitHub token" },
];

export const noSecretsRule: SpecRule = {
  id: "no-secrets",
  summary: "No value looks like a credential (access keys, private keys, passwords in URLs, tokens): spec files are reviewed and committed, so secrets are referenced from the environment or a secret store instead.",
  check(document, report) {
    const visit = (value: unknown, path: PathSegment[]): void => {
      if (typeof value === "string") {
        const match = SECRET_SHAPES.find((shape) => shape.pattern.test(value));
        if (match) report(path, `looks like ${match.what}; never put secrets in a spec: reference an environment variable or a secret store`);
      } else if (Array.isArray(value)) {
        value.forEach((item, index) => { visit(item, [...path, index]); });
      } else if (value !== null && typeof value === "object") {
        for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
      }
    };
    visit(document, []);
  },
};
